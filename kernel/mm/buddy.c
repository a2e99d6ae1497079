/* buddy.c - the buddy allocator core (see buddy.h).
 * Lab 3: buddy_add_range, buddy_block_of, buddy_alloc and buddy_free are
 * exercise 2 (handout §3.2); the free lists and the state bytes (the side
 * arrays) and buddy_init are given. Compiled for the kernel and for the
 * host unit tests. */
#include <stddef.h>

#include "buddy.h"

/* ---- free lists (given) --------------------------------------------------- */

/* Put the free block of 2^order frames at pfn on its list, marking its first
 * frame FRAME_FREE_HEAD | order. The frames after the first must already be
 * FRAME_INTERIOR. */
static void list_push(struct buddy *b, uint64_t pfn, unsigned order)
{
    uint32_t head = b->free_lists[order];

    b->links[pfn] = (struct buddy_links){head, BUDDY_NIL};
    if (head != BUDDY_NIL)
        b->links[head].prev = (uint32_t)pfn;
    b->free_lists[order] = (uint32_t)pfn;
    b->state[pfn] = FRAME_FREE_HEAD | order;
    b->free_frames += 1ull << order;
}

/* Take the free block at pfn off the list of its order, marking its first
 * frame FRAME_INTERIOR: the caller gives it a new state. */
static void list_remove(struct buddy *b, uint64_t pfn, unsigned order)
{
    struct buddy_links l = b->links[pfn];

    if (l.prev != BUDDY_NIL)
        b->links[l.prev].next = l.next;
    else
        b->free_lists[order] = l.next;
    if (l.next != BUDDY_NIL)
        b->links[l.next].prev = l.prev;
    b->state[pfn] = FRAME_INTERIOR;
    b->free_frames -= 1ull << order;
}

/* Take the first block off the free list of order k; returns its pfn. */
static uint64_t list_pop(struct buddy *b, unsigned order)
{
    uint64_t pfn = b->free_lists[order];

    list_remove(b, pfn, order);
    return pfn;
}

/* Is pfn the first frame of a free block of exactly this order? */
static bool is_free_head(const struct buddy *b, uint64_t pfn, unsigned order)
{
    return pfn < b->nframes && b->state[pfn] == (FRAME_FREE_HEAD | order);
}

/* ---- setup (given) ------------------------------------------------------- */

void buddy_init(struct buddy *b, void *meta, uint64_t nframes)
{
    b->nframes = nframes;
    b->links = meta;
    b->state = (uint8_t *)(b->links + nframes);
    b->free_frames = 0;
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
        b->free_lists[k] = BUDDY_NIL;
    for (uint64_t i = 0; i < nframes; i++)
        b->state[i] = FRAME_RESERVED;
}


/* ---- the allocator (exercise 2) --------------------------------------------- */

void buddy_add_range(struct buddy *b, uint64_t start, uint64_t count)
{
#if SOL >= 3
    uint64_t end = start + count;

    if (end > b->nframes)
        end = b->nframes;
    /* Cut the range into the largest aligned blocks that fit, then let the
     * free path merge each with free neighbours added earlier. */
    while (start < end) {
        unsigned k = BUDDY_MAX_ORDER;
        while (k > 0 && ((start & ((1ull << k) - 1)) || start + (1ull << k) > end))
            k--;
        for (uint64_t i = start; i < start + (1ull << k); i++)
            b->state[i] = FRAME_INTERIOR;
        b->state[start] = FRAME_USED_HEAD | k;
        buddy_free(b, start);
        start += 1ull << k;
    }
#else
    /* LAB 3, exercise 2: make the reserved frames [start, start + count)
     * free blocks, merged with their free buddies (handout §3.2) */
    (void)b, (void)start, (void)count;
#endif
}

int buddy_block_of(const struct buddy *b, uint64_t pfn, uint64_t *head)
{
#if SOL >= 3
    if (pfn >= b->nframes || b->state[pfn] == FRAME_RESERVED)
        return -1;
    /* The block holding pfn starts at pfn rounded down to its size: try
     * each size from the smallest; the first head found is the block's. */
    for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
        uint64_t h = pfn & ~((1ull << k) - 1);
        uint8_t s = b->state[h];
        if ((s & (FRAME_FREE_HEAD | FRAME_USED_HEAD)) && FRAME_ORDER(s) >= k) {
            *head = h;
            return FRAME_ORDER(s);
        }
    }
    return -1;
#else
    /* LAB 3, exercise 2: find the free or allocated block that holds pfn:
     * its order, and the pfn it starts at in *head (handout §3.2) */
    (void)b, (void)pfn, (void)head;
    return -1;
#endif
}

int64_t buddy_alloc(struct buddy *b, unsigned order)
{
#if SOL >= 3
    unsigned k = order;

    if (order > BUDDY_MAX_ORDER)
        return -1;
    while (k <= BUDDY_MAX_ORDER && b->free_lists[k] == BUDDY_NIL)
        k++;                         /* the smallest free block that is big enough */
    if (k > BUDDY_MAX_ORDER)
        return -1;
    uint64_t pfn = list_pop(b, k);
    while (k > order) {              /* split: keep the lower half, free the upper */
        k--;
        list_push(b, pfn + (1ull << k), k);
    }
    b->state[pfn] = FRAME_USED_HEAD | order;
    return (int64_t)pfn;
#else
    /* LAB 3, exercise 2: hand out an aligned block of 2^order frames cut
     * from the smallest free block that is large enough (handout §3.2) */
    (void)b, (void)order, (void)list_pop, (void)list_push, (void)is_free_head;
    return -1;
#endif
}

enum buddy_error buddy_free(struct buddy *b, uint64_t pfn)
{
#if SOL >= 3
    uint64_t head;

    if (pfn >= b->nframes)
        return BUDDY_OUT_OF_RANGE;
    uint8_t s = b->state[pfn];
    if (s == FRAME_RESERVED)         /* first: its bits look like a head's */
        return BUDDY_RESERVED;
    if (!(s & FRAME_USED_HEAD)) {    /* a free head, or inside some block: whose? */
        int order = buddy_block_of(b, pfn, &head);
        return order >= 0 && (b->state[head] & FRAME_FREE_HEAD) ? BUDDY_DOUBLE_FREE
                                                                 : BUDDY_NOT_BLOCK_START;
    }
    unsigned k = FRAME_ORDER(s);
    b->state[pfn] = FRAME_INTERIOR;
    while (k < BUDDY_MAX_ORDER) {    /* merge while the buddy is a free block of order k */
        uint64_t buddy = pfn ^ (1ull << k);
        if (!is_free_head(b, buddy, k))
            break;
        list_remove(b, buddy, k);
        pfn &= ~(1ull << k);         /* the merged block starts at the lower half */
        k++;
    }
    list_push(b, pfn, k);
    return BUDDY_OK;
#else
    /* LAB 3, exercise 2: free the allocated block that starts at pfn and
     * merge it with its buddies while they are free; refuse a bad pfn with
     * its buddy_error, changing nothing (handout §3.2) */
    (void)b, (void)pfn;
    return BUDDY_OK;
#endif
}
