/* test_buddy.c - host unit tests of kernel/mm/buddy.c (Lab 3, exercise 2).
 * Built with AddressSanitizer and UBSan by grader/test_unit.py (`make unit`).
 * A model (a bitmap of allocated frames) checks every block the allocator
 * hands out: aligned to its size, inside the added ranges, disjoint from all
 * others; and that freeing everything merges the memory back into the
 * largest blocks. Small cases check each split and merge block by block
 * (buddy_block_of), ranges added in pieces, and failures that change
 * nothing. Exit status 0 means all passed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buddy.h"
#include "check.h"

#define NFRAMES 20000

static uint32_t meta[BUDDY_META_BYTES(NFRAMES) / 4 + 1];   /* 4-byte aligned */
static uint8_t owned[NFRAMES];       /* model: frame handed out */
static uint8_t usable[NFRAMES];      /* model: frame added as free */

static uint64_t rnd(void)
{
    static uint64_t x = 88172645463325252ull;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
}

/* Ranges with holes and odd alignments, like a real memory map. */
static const uint64_t ranges[][2] = {{1, 158}, {256, 7936}, {8200, 3}, {9000, 10999}};

static uint64_t setup(struct buddy *b)
{
    uint64_t total = 0;

    buddy_init(b, meta, NFRAMES);
    memset(usable, 0, sizeof usable);
    memset(owned, 0, sizeof owned);
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        buddy_add_range(b, ranges[i][0], ranges[i][1]);
        memset(usable + ranges[i][0], 1, ranges[i][1]);
        total += ranges[i][1];
    }
    return total;
}

struct block {
    int64_t pfn;
    unsigned order;
};
static struct block live[NFRAMES];
static int nlive;

static void take(struct buddy *b, unsigned order)
{
    int64_t pfn = buddy_alloc(b, order);
    if (pfn < 0)
        return;
    uint64_t n = 1ull << order;
    CHECK(pfn % (int64_t)n == 0, "order %u block at %lld is not aligned", order, (long long)pfn);
    for (uint64_t i = 0; i < n; i++) {
        CHECK(pfn + i < NFRAMES && usable[pfn + i], "frame %llu was never added",
              (unsigned long long)(pfn + i));
        CHECK(!owned[pfn + i], "frame %llu handed out twice", (unsigned long long)(pfn + i));
        owned[pfn + i] = 1;
    }
    live[nlive++] = (struct block){pfn, order};
}

static void give_back(struct buddy *b, int i)
{
    struct block blk = live[i];
    CHECK(buddy_free(b, (uint64_t)blk.pfn) == BUDDY_OK, "free of block %lld failed",
          (long long)blk.pfn);
    memset(owned + blk.pfn, 0, 1ull << blk.order);
    live[i] = live[--nlive];
}

static void random_workload(void)
{
    struct buddy b;
    uint64_t total = setup(&b);

    CHECK(b.free_frames == total, "after setup: %llu free, want %llu",
          (unsigned long long)b.free_frames, (unsigned long long)total);
    nlive = 0;
    for (int round = 0; round < 200000; round++) {
        if (nlive && rnd() % 100 < 48)
            give_back(&b, (int)(rnd() % (uint64_t)nlive));
        else
            take(&b, (unsigned)(rnd() % 8 == 0 ? rnd() % (BUDDY_MAX_ORDER + 1) : rnd() % 3));
        uint64_t used = 0;
        if (round % 1000 == 0) {
            for (int i = 0; i < nlive; i++)
                used += 1ull << live[i].order;
            CHECK(b.free_frames + used == total, "round %d: free %llu + used %llu != %llu",
                  round, (unsigned long long)b.free_frames, (unsigned long long)used,
                  (unsigned long long)total);
        }
    }
    while (nlive)
        give_back(&b, nlive - 1);
    CHECK(b.free_frames == total, "after freeing all: %llu free, want %llu",
          (unsigned long long)b.free_frames, (unsigned long long)total);

    /* Everything merged back: [256, 8192) holds 7 aligned blocks of 1024
     * frames plus the pieces of [256, 1024); [9000, 19999) holds 10 more. */
    int big = 0;
    while (buddy_alloc(&b, BUDDY_MAX_ORDER) >= 0)
        big++;
    CHECK(big == 17, "after freeing all, %d blocks of order %d; want 17 (no merging?)", big,
          BUDDY_MAX_ORDER);
}

/* The block holding pfn: "order@head", or "none". */
static const char *block(const struct buddy *b, uint64_t pfn)
{
    static char out[4][32];
    static int n;
    uint64_t head = 0xdead;
    int order = buddy_block_of(b, pfn, &head);
    char *s = out[n++ % 4];

    if (order < 0)
        snprintf(s, 32, "none%s", head == 0xdead ? "" : " (but *head written)");
    else
        snprintf(s, 32, "%d@%llu", order, (unsigned long long)head);
    return s;
}

#define CHECK_BLOCK(b, pfn, want) \
    do { const char *got_ = block(b, pfn); \
         CHECK(strcmp(got_, want) == 0, "block of frame %d: %s, want %s", (int)(pfn), got_, want); \
    } while (0)

/* One split and one merge, block by block: only [8, 16) is free. Allocating
 * one frame splits [8, 16) into [8], [9], [10, 11] and [12, 15]; freeing it
 * merges them all back. The handout's example (§3.2). */
static void split_and_merge(void)
{
    struct buddy b;

    buddy_init(&b, meta, 16);
    buddy_add_range(&b, 8, 8);
    CHECK(b.free_frames == 8, "after adding [8, 16): %llu free, want 8",
          (unsigned long long)b.free_frames);
    CHECK_BLOCK(&b, 13, "3@8");
    CHECK_BLOCK(&b, 7, "none");
    CHECK_BLOCK(&b, 16, "none");
    int64_t a = buddy_alloc(&b, 0);
    CHECK(a == 8, "alloc 0 from [8, 16): %lld, want 8 (the lower half at every split)", (long long)a);
    CHECK(b.free_frames == 7, "after the split: %llu free, want 7", (unsigned long long)b.free_frames);
    CHECK_BLOCK(&b, 8, "0@8");
    CHECK_BLOCK(&b, 9, "0@9");
    CHECK_BLOCK(&b, 11, "1@10");
    CHECK_BLOCK(&b, 15, "2@12");
    CHECK(buddy_free(&b, 9) == BUDDY_DOUBLE_FREE, "free of the free frame 9: not a double free");
    CHECK(buddy_free(&b, 13) == BUDDY_DOUBLE_FREE, "free inside the free block [12, 15]: "
          "not a double free");
    int64_t c = buddy_alloc(&b, 3);
    CHECK(c == -1, "alloc 3 with no free block that large: %lld, want -1", (long long)c);
    CHECK(b.free_frames == 7, "a failed alloc changed the free count to %llu",
          (unsigned long long)b.free_frames);
    int64_t d = buddy_alloc(&b, 1);
    CHECK(d == 10, "alloc 1: %lld, want 10 (the order-1 block, no split)", (long long)d);
    CHECK_BLOCK(&b, 11, "1@10");
    CHECK(buddy_free(&b, 11) == BUDDY_NOT_BLOCK_START, "free inside the allocated block [10, 11]");
    CHECK(buddy_free(&b, 8) == BUDDY_OK, "free 8");
    CHECK_BLOCK(&b, 9, "1@8");          /* [8] and [9] merged; [10, 11] is still allocated */
    CHECK(buddy_free(&b, 10) == BUDDY_OK, "free 10");
    CHECK_BLOCK(&b, 15, "3@8");
    CHECK(b.free_frames == 8, "after freeing all: %llu free, want 8",
          (unsigned long long)b.free_frames);
    CHECK(buddy_alloc(&b, 3) == 8, "after freeing all: the order-3 block at 8");
}

/* Ranges added in pieces merge as if added at once; a range past the end
 * is cut at nframes; merging stops at BUDDY_MAX_ORDER. */
static void ranges_in_pieces(void)
{
    struct buddy b;
    uint64_t top = 3ull << BUDDY_MAX_ORDER;

    buddy_init(&b, meta, top);
    buddy_add_range(&b, 3, 2);
    CHECK_BLOCK(&b, 3, "0@3");
    CHECK_BLOCK(&b, 4, "0@4");          /* 3 and 4 are no buddies */
    buddy_add_range(&b, 0, 3);
    buddy_add_range(&b, 5, 3);
    CHECK_BLOCK(&b, 6, "3@0");
    buddy_add_range(&b, 8, top);        /* past the end: cut */
    CHECK(b.free_frames == top, "after adding [0, %llu): %llu free", (unsigned long long)top,
          (unsigned long long)b.free_frames);
    char want[32];
    snprintf(want, sizeof want, "%d@%llu", BUDDY_MAX_ORDER, (unsigned long long)(top - 1024));
    CHECK_BLOCK(&b, top - 1, want);     /* three blocks of the largest order, not bigger */
    snprintf(want, sizeof want, "%d@0", BUDDY_MAX_ORDER);
    CHECK_BLOCK(&b, 5, want);
    CHECK(buddy_free(&b, 0) == BUDDY_DOUBLE_FREE, "free of a free block's start");
}

static void errors(void)
{
    struct buddy b;
    setup(&b);

    int64_t a = buddy_alloc(&b, 0);
    CHECK(a >= 0, "alloc order 0 failed");
    CHECK(buddy_free(&b, (uint64_t)a) == BUDDY_OK, "first free failed");
    CHECK(buddy_free(&b, (uint64_t)a) == BUDDY_DOUBLE_FREE, "double free not detected");
    CHECK(buddy_free(&b, 0) == BUDDY_RESERVED, "free of a reserved frame not detected");
    CHECK(buddy_free(&b, NFRAMES + 5) == BUDDY_OUT_OF_RANGE, "free out of range not detected");
    int64_t c = buddy_alloc(&b, 3);
    CHECK(c >= 0, "alloc order 3 failed");
    CHECK(buddy_free(&b, (uint64_t)c + 2) == BUDDY_NOT_BLOCK_START,
          "free inside an allocated block not detected");
    CHECK(buddy_free(&b, (uint64_t)c) == BUDDY_OK, "free of the order-3 block failed");
    CHECK(buddy_alloc(&b, BUDDY_MAX_ORDER + 1) == -1, "an order above the maximum succeeded");
    uint64_t head;
    CHECK(buddy_block_of(&b, (uint64_t)c + 5, &head) >= 3, "freed block not merged");
}

static void exhaustion(void)
{
    struct buddy b;
    uint64_t total = setup(&b), n = 0;

    while (buddy_alloc(&b, 0) >= 0)
        n++;
    CHECK(n == total, "order-0 allocations until failure: %llu, want %llu",
          (unsigned long long)n, (unsigned long long)total);
    CHECK(b.free_frames == 0, "free count %llu after exhaustion", (unsigned long long)b.free_frames);
}

int main(void)
{
    split_and_merge();
    ranges_in_pieces();
    errors();
    exhaustion();
    random_workload();
    return CHECK_SUMMARY("buddy");
}
