/* heap.c - the heap core (see heap.h): boundary-tag blocks in size bins.
 * Lab 4: the allocator is yours (handout §3): the bins and the fit
 * (exercise 1), the boundary tags, split and coalesce (2), growing and
 * trimming the heap (3), the alloc and free paths (4), resizing in place
 * (5). Given: the block layout, the red-zone arming. Compiled for the
 * kernel and for the host unit tests. The contracts below hold for every
 * function here: nothing takes a lock or sleeps; the caller serializes
 * every call on one heap (heap.h: kmalloc.c holds its spinlock, interrupts
 * off, from Lab 5), and that state is the same on return. */
#include "heap.h"

#define HEAP_CANARY 0x6B6D616C6C6F6321ull   /* "!collamk" */

struct footer {
    uint64_t size;
    uint64_t canary;
};

_Static_assert(__builtin_offsetof(struct block, next) == HEAP_HEADER, "header size");
_Static_assert(sizeof(struct footer) == HEAP_FOOTER, "footer size");

/* ---- blocks (given) -------------------------------------------------------- */

static uint64_t size_of(const struct block *b)
{
    return b->size & ~BLOCK_USED;
}

static bool is_used(const struct block *b)
{
    return b->size & BLOCK_USED;
}

static struct footer *footer_of(const struct block *b)
{
    return (struct footer *)((uintptr_t)b + size_of(b) - HEAP_FOOTER);
}

static uint8_t *payload_of(const struct block *b)
{
    return (uint8_t *)b + HEAP_HEADER;
}

/* Give b a size and a state, and write its header canary and footer. */
static void set_block(struct block *b, uint64_t size, bool used)
{
    b->size = size | (used ? BLOCK_USED : 0);
    b->canary = HEAP_CANARY ^ (uintptr_t)b;
    *footer_of(b) = (struct footer){size, HEAP_CANARY ^ (uintptr_t)b};
}

/* memset, by words where it can: byte loops are slow under emulation. */
static void fill(uint8_t *p, uint8_t value, uint64_t n)
{
    uint64_t word = value * 0x0101010101010101ull;

    for (; n && (uintptr_t)p % 8; n--)
        *p++ = value;
    for (; n >= 8; n -= 8, p += 8)
        *(uint64_t *)p = word;
    while (n--)
        *p++ = value;
}

/* Are the n bytes at p all value? */
static bool all_are(const uint8_t *p, uint8_t value, uint64_t n)
{
    uint64_t word = value * 0x0101010101010101ull;

    for (; n && (uintptr_t)p % 8; n--)
        if (*p++ != value)
            return false;
    for (; n >= 8; n -= 8, p += 8)
        if (*(const uint64_t *)p != word)
            return false;
    for (; n; n--)
        if (*p++ != value)
            return false;
    return true;
}

/* The used block b now holds size requested bytes for file:line: record the
 * site and fill the red zone, from the payload's end up to the footer. */
static void arm_block(struct block *b, size_t size, const char *file, int line)
{
    uint8_t *end = payload_of(b) + size;

    b->requested = (uint32_t)size;
    b->file = file;
    b->line = (uint32_t)line;
    fill(end, HEAP_POISON_RED, (uintptr_t)footer_of(b) - (uintptr_t)end);
}

/* ---- the bins and the fit (exercise 1) --------------------------------------- */

/* The bin of a free block of size bytes (a block size): bins 0 ..
 * HEAP_SMALL_BINS - 1 hold one exact size each, HEAP_MIN_BLOCK, + 16, ...
 * up to HEAP_SMALL_MAX (1024, included); above, one bin per power of two:
 * bin HEAP_SMALL_BINS holds the sizes from HEAP_SMALL_MAX + 16 (1040) to
 * 2^11 - 1, bin HEAP_SMALL_BINS + k (k >= 1) those from 2^(10 + k) to
 * 2^(11 + k) - 1 (sizes beyond the last bin go in the last). Exported
 * (heap.h): the tests call it. */
unsigned heap_bin_of(uint64_t size)
{
#if SOL >= 4
    if (size <= HEAP_SMALL_MAX)
        return (unsigned)((size - HEAP_MIN_BLOCK) / HEAP_ALIGN);
    unsigned log = 63 - (unsigned)__builtin_clzll(size);      /* 2^log <= size */
    unsigned i = HEAP_SMALL_BINS + (log - 10);
    return i < HEAP_NBINS ? i : HEAP_NBINS - 1;
#else
    /* LAB 4, exercise 1: the bin of a block size: exact bins up to
     * HEAP_SMALL_MAX, one per power of two above (handout §3.1) */
    (void)size;
    return 0;
#endif
}

/* Push the free block b (not in a bin) on the front of its bin's list, set
 * the bin's bit in the nonempty bitmap and count b's bytes in free_bytes.
 * O(1). May call heap_bin_of, size_of. */
static void bin_insert(struct heap *h, struct block *b)
{
#if SOL >= 4
    unsigned i = heap_bin_of(size_of(b));

    h->nonempty[i / 64] |= 1ull << (i % 64);
    b->prev = NULL;
    b->next = h->bins[i];
    if (b->next)
        b->next->prev = b;
    h->bins[i] = b;
    h->free_bytes += size_of(b);
#else
    /* LAB 4, exercise 1: put the free block b at the front of its bin,
     * marked non-empty, its bytes counted free (handout §3.1) */
    (void)h, (void)b;
#endif
}

/* Unlink the free block b from the list of its bin (the bin of its size
 * now: change the size only after), clearing the bin's bit if the bin is
 * left empty, and stop counting its bytes in free_bytes. O(1). May call
 * heap_bin_of, size_of. */
static void bin_remove(struct heap *h, struct block *b)
{
#if SOL >= 4
    unsigned i = heap_bin_of(size_of(b));

    if (b->prev)
        b->prev->next = b->next;
    else if ((h->bins[i] = b->next) == NULL)
        h->nonempty[i / 64] &= ~(1ull << (i % 64));   /* it was the only one */
    if (b->next)
        b->next->prev = b->prev;
    h->free_bytes -= size_of(b);
#else
    /* LAB 4, exercise 1: unlink the free block b from its bin, its bit
     * cleared if the bin is left empty, its bytes no longer free (handout
     * §3.1) */
    (void)h, (void)b;
#endif
}

unsigned heap_bin_count(const struct heap *h, unsigned bin)
{
    unsigned n = 0;

    for (const struct block *b = h->bins[bin]; b; b = b->next)
        n++;
    return n;
}

/* The lowest-numbered non-empty bin among bins i .. HEAP_NBINS - 1 (i may
 * be HEAP_NBINS), or HEAP_NBINS if all are empty. Reads only the nonempty
 * bitmap (bit j set: bins[j] has a block), a word at a time: no loop over
 * the bins. */
static unsigned next_nonempty(const struct heap *h, unsigned i)
{
#if SOL >= 4
    for (unsigned w = i / 64; w < HEAP_BIN_WORDS; w++) {
        /* in i's own word, only the bits of bins i and up */
        uint64_t bits = h->nonempty[w] & (w == i / 64 ? ~0ull << (i % 64) : ~0ull);
        if (bits)
            return w * 64 + (unsigned)__builtin_ctzll(bits);
    }
    return HEAP_NBINS;
#else
    /* LAB 4, exercise 1: the lowest bin at or above i whose bit is set in
     * the nonempty bitmap, found a word at a time (handout §3.1) */
    (void)h, (void)i;
    return HEAP_NBINS;
#endif
}

/* A free block of at least size bytes (a block size), taken out of its bin,
 * or NULL (nothing changed) if no free block is that big. The choice: the
 * lowest-numbered bin that holds a block of size bytes or more, and in it
 * the first such block on the list. A small bin holds one exact size, and a
 * power-of-two bin above size's own holds only bigger blocks, so only
 * size's own bin may need a scan. May call next_nonempty, heap_bin_of,
 * bin_remove. */
static struct block *take_fit(struct heap *h, uint64_t size)
{
#if SOL >= 4
    for (unsigned i = next_nonempty(h, heap_bin_of(size)); i < HEAP_NBINS;
         i = next_nonempty(h, i + 1))
        for (struct block *b = h->bins[i]; b; b = b->next)
            if (size_of(b) >= size) {
                bin_remove(h, b);
                return b;
            }
    return NULL;
#else
    /* LAB 4, exercise 1: take out of its bin the earliest block of size
     * bytes or more in the lowest bin that has one; NULL if none (handout
     * §3.1) */
    (void)h, (void)size, (void)next_nonempty;
    return NULL;
#endif
}

/* ---- boundary tags: neighbours, split and coalesce (exercise 2) -------------- */

/* The block that starts where b ends (b's header has its size), or NULL
 * if b ends the heap (at brk). */
static struct block *next_block(const struct heap *h, const struct block *b)
{
#if SOL >= 4
    uintptr_t n = (uintptr_t)b + size_of(b);
    return n < h->brk ? (struct block *)n : NULL;
#else
    /* LAB 4, exercise 2: the block right after b from b's header, or NULL
     * at the end of the heap (handout §3.2) */
    (void)h, (void)b;
    return NULL;
#endif
}

/* The block that ends where b starts, or NULL if b starts the heap. b is a
 * block, or brk (then the result is the last block): only the footer just
 * below b is read, so b itself need not be a block. */
static struct block *prev_block(const struct heap *h, const struct block *b)
{
#if SOL >= 4
    if ((uintptr_t)b == h->base)
        return NULL;
    const struct footer *f = (const struct footer *)((uintptr_t)b - HEAP_FOOTER);
    return (struct block *)((uintptr_t)b - f->size);
#else
    /* LAB 4, exercise 2: the block right before b from the footer below b,
     * or NULL at the start of the heap (handout §3.2) */
    (void)h, (void)b;
    return NULL;
#endif
}

/* b is a block (used or free) of at least size bytes, in no bin; size is a
 * block size (a multiple of HEAP_ALIGN, at least HEAP_MIN_BLOCK). If the
 * rest, size_of(b) - size, can be a block (HEAP_MIN_BLOCK or more), cut b
 * to size bytes, keeping its state, and make the rest a free block in its
 * bin; otherwise leave b whole. The block after b must not be free (no
 * merging here). May call set_block, bin_insert. */
static void split_block(struct heap *h, struct block *b, uint64_t size)
{
#if SOL >= 4
    uint64_t rest = size_of(b) - size;

    if (rest < HEAP_MIN_BLOCK)
        return;                      /* too small to stand alone: b keeps it */
    set_block(b, size, is_used(b));
    struct block *tail = (struct block *)((uintptr_t)b + size);
    set_block(tail, rest, false);
    bin_insert(h, tail);
#else
    /* LAB 4, exercise 2: cut b to size bytes and bin the rest as a free
     * block, unless the rest is too small to be a block (handout §3.2) */
    (void)h, (void)b, (void)size, (void)set_block, (void)bin_insert;
#endif
}

/* b is a free block in no bin. Merge it with the block before and the
 * block after it where those are free, taking them out of their bins, and
 * return the merged block (where it starts now), free and in no bin. Used
 * blocks are not touched. May call next_block, prev_block, bin_remove,
 * set_block. */
static struct block *coalesce(struct heap *h, struct block *b)
{
#if SOL >= 4
    struct block *next = next_block(h, b), *prev = prev_block(h, b);

    if (next && !is_used(next)) {
        bin_remove(h, next);
        set_block(b, size_of(b) + size_of(next), false);
    }
    if (prev && !is_used(prev)) {
        bin_remove(h, prev);
        set_block(prev, size_of(prev) + size_of(b), false);
        b = prev;                    /* the merged block starts at prev */
    }
    return b;
#else
    /* LAB 4, exercise 2: merge the free block b with free neighbours on
     * both sides, out of their bins; return the merged block (handout §3.2) */
    (void)h, (void)next_block, (void)prev_block, (void)bin_remove;
    return b;
#endif
}

/* ---- growing and trimming (exercise 3) ------------------------------------------ */

/* Make a free block of at least size bytes at the end of the heap. It
 * starts at the last block if that is free (taken out of its bin), else at
 * brk; brk moves up to the first page boundary at or past start + size,
 * through h->grow. Returns the block, [start, new brk), free and in no bin;
 * NULL if brk would pass h->limit or h->grow fails, and then nothing has
 * changed. Called when no free block fits, so brk always moves. May call
 * prev_block, h->grow, bin_remove, set_block. */
static struct block *grow_heap(struct heap *h, uint64_t size)
{
#if SOL >= 4
    struct block *last = prev_block(h, (struct block *)h->brk);
    uintptr_t start = last && !is_used(last) ? (uintptr_t)last : h->brk;
    uintptr_t want = (start + size + HEAP_PAGE - 1) & ~(uintptr_t)(HEAP_PAGE - 1);

    if (want > h->limit || want < start || !h->grow(h, want))
        return NULL;                 /* the free last block is still in its bin */
    if (start != h->brk)
        bin_remove(h, last);         /* reused: only the missing bytes are mapped */
    h->brk = want;
    struct block *b = (struct block *)start;
    set_block(b, want - start, false);
    return b;
#else
    /* LAB 4, exercise 3: move brk up (h->grow) for a free block of size
     * bytes at the end of the heap, reusing a free last block; NULL if
     * the heap cannot grow (handout §3.3) */
    (void)h, (void)size, (void)prev_block;
    return NULL;
#endif
}

/* b is a free block in no bin. If it ends the heap, give back the pages
 * beyond the first page boundary at or past b + HEAP_TRIM_KEEP (h->shrink,
 * then brk moves down to that boundary) and shorten b to end there. Keeping
 * HEAP_TRIM_KEEP bytes avoids mapping and unmapping a page on every
 * kmalloc/kfree pair at the top. Returns b. May call h->shrink, set_block. */
static struct block *trim_top(struct heap *h, struct block *b)
{
#if SOL >= 4
    if ((uintptr_t)b + size_of(b) != h->brk)
        return b;
    uintptr_t keep = ((uintptr_t)b + HEAP_TRIM_KEEP + HEAP_PAGE - 1) & ~(uintptr_t)(HEAP_PAGE - 1);
    if (keep >= h->brk)
        return b;
    h->shrink(h, keep);              /* shrink unmaps [keep, brk): brk still old */
    h->brk = keep;
    set_block(b, keep - (uintptr_t)b, false);
    return b;
#else
    /* LAB 4, exercise 3: if b ends the heap, give the whole pages beyond
     * HEAP_TRIM_KEEP bytes of it back (h->shrink) (handout §3.3) */
    (void)h;
    return b;
#endif
}

/* ---- allocation and free (exercise 4) ------------------------------------------- */

void heap_init(struct heap *h, uintptr_t base, uintptr_t limit,
               bool (*grow)(struct heap *, uintptr_t), void (*shrink)(struct heap *, uintptr_t))
{
    *h = (struct heap){.base = base, .brk = base, .limit = limit, .grow = grow, .shrink = shrink};
}

/* The whole block size for a request of size bytes (at most 2^40): header,
 * payload, at least HEAP_REDZONE bytes of red zone, footer; a multiple of
 * HEAP_ALIGN and at least HEAP_MIN_BLOCK. */
static uint64_t block_size_for(size_t size)
{
#if SOL >= 4
    uint64_t n = HEAP_HEADER + (uint64_t)size + HEAP_REDZONE + HEAP_FOOTER;

    n = (n + HEAP_ALIGN - 1) & ~(uint64_t)(HEAP_ALIGN - 1);
    return n < HEAP_MIN_BLOCK ? HEAP_MIN_BLOCK : n;
#else
    /* LAB 4, exercise 4: the block size a request of size bytes needs
     * (handout §3.4) */
    (void)size;
    return HEAP_MIN_BLOCK;
#endif
}

/* The contract is heap.h's. Besides: the block returned is used, of
 * block_size_for(size) bytes (or the whole block taken, when the rest would
 * be under HEAP_MIN_BLOCK), from the bins if a free block fits (take_fit),
 * else from the end of the grown heap (grow_heap); the rest of what was
 * taken is a free block in its bin. Its site is recorded and its red zone
 * filled (arm_block), and it is counted: used_blocks + 1, used_bytes +
 * size (requested bytes). NULL changes nothing. May call block_size_for,
 * take_fit, grow_heap, set_block, split_block, arm_block. */
void *heap_alloc(struct heap *h, size_t size, const char *file, int line)
{
    if (size > (1ull << 40))
        return NULL;                 /* no size arithmetic may overflow below */
#if SOL >= 4
    uint64_t need = block_size_for(size);
    struct block *b = take_fit(h, need);

    if (b == NULL)
        b = grow_heap(h, need);
    if (b == NULL)
        return NULL;
    set_block(b, size_of(b), true);
    split_block(h, b, need);
    arm_block(b, size, file, line);
    h->used_blocks++;
    h->used_bytes += size;
    return payload_of(b);
#else
    /* LAB 4, exercise 4: a used block for size bytes from the bins, or
     * else from the growing heap, cut to fit, armed and counted; NULL if
     * there is no room (handout §3.4) */
    (void)h, (void)file, (void)line, (void)take_fit, (void)grow_heap, (void)split_block;
    return NULL;
#endif
}

/* What is wrong with ptr as an argument of heap_free, checked in this
 * order: HEAP_NOT_HEAP if it is not 16-aligned or no payload of [base, brk)
 * could start there; HEAP_BAD_HEADER if the header's canary is wrong or its
 * size impossible (under HEAP_MIN_BLOCK, or past brk); HEAP_DOUBLE_FREE if
 * the block is free; HEAP_OVERFLOW if a red-zone byte is not
 * HEAP_POISON_RED or the footer does not repeat the size and canary; else
 * HEAP_OK. *bad is the header once it passed the HEAP_BAD_HEADER check,
 * NULL before. Reads only. May call size_of, is_used, footer_of, all_are. */
static enum heap_error check_block(const struct heap *h, const void *ptr, const struct block **bad)
{
#if SOL >= 4
    uintptr_t p = (uintptr_t)ptr;
    const struct block *b = (const struct block *)(p - HEAP_HEADER);

    *bad = NULL;
    if (p % HEAP_ALIGN || p < h->base + HEAP_HEADER || p >= h->brk)
        return HEAP_NOT_HEAP;
    if (b->canary != (HEAP_CANARY ^ (uintptr_t)b) || size_of(b) < HEAP_MIN_BLOCK ||
        (uintptr_t)b + size_of(b) > h->brk)
        return HEAP_BAD_HEADER;
    *bad = b;
    if (!is_used(b))
        return HEAP_DOUBLE_FREE;
    const uint8_t *red = payload_of(b) + b->requested;
    if (!all_are(red, HEAP_POISON_RED, (uintptr_t)footer_of(b) - (uintptr_t)red))
        return HEAP_OVERFLOW;
    const struct footer *f = footer_of(b);
    if (f->size != size_of(b) || f->canary != (HEAP_CANARY ^ (uintptr_t)b))
        return HEAP_OVERFLOW;
    return HEAP_OK;
#else
    /* LAB 4, exercise 4: say what is wrong with ptr (not a block, broken
     * header, already free, red zone or footer overwritten), or HEAP_OK
     * (handout §3.4) */
    (void)h, (void)ptr, (void)all_are, (void)is_used;
    *bad = NULL;
    return HEAP_OK;
#endif
}

/* b is a used block that passed check_block. Afterwards it is free: no
 * longer counted (used_blocks - 1, used_bytes - b->requested), the bytes
 * between its header and footer filled with HEAP_POISON_FREE (a use after
 * free then reads 0x6b6b...), merged with its free neighbours, the merged
 * block trimmed as trim_top does if it ends the heap, and what is left in
 * its bin. May call fill, set_block, coalesce, trim_top, bin_insert. */
static void release_block(struct heap *h, struct block *b)
{
#if SOL >= 4
    h->used_blocks--;
    h->used_bytes -= b->requested;
    fill(payload_of(b), HEAP_POISON_FREE, size_of(b) - HEAP_HEADER - HEAP_FOOTER);
    set_block(b, size_of(b), false);
    bin_insert(h, trim_top(h, coalesce(h, b)));
#else
    /* LAB 4, exercise 4: free the checked block b: uncounted, poisoned,
     * merged with free neighbours, the heap's top trimmed, the rest binned
     * (handout §3.4) */
    (void)h, (void)b, (void)coalesce, (void)trim_top, (void)bin_insert;
#endif
}

enum heap_error heap_free(struct heap *h, void *ptr, const struct block **bad)
{
    if (ptr == NULL)
        return HEAP_OK;
    enum heap_error err = check_block(h, ptr, bad);
    if (err == HEAP_OK)
        release_block(h, (struct block *)((uintptr_t)ptr - HEAP_HEADER));
    return err;
}

/* ---- resizing in place (exercise 5) ---------------------------------------------- */

/* b is a used block in no bin; need is a block size. Make b hold need bytes
 * without moving it and return true, or return false with nothing changed.
 * Shrinking always works: a rest of HEAP_MIN_BLOCK bytes or more becomes a
 * free block, merged with a free block after it, trimmed if it ends the
 * heap, and binned (a smaller rest stays in b). Growing takes the free
 * block right after b if it holds the bytes missing, else grows the heap if
 * b, or the free block after it, ends the heap; b is then cut to need as
 * split_block does. The payload's bytes stay; requested, the site and the
 * red zone are the caller's. May call next_block, set_block, split_block,
 * coalesce, trim_top, grow_heap, bin_insert, bin_remove. */
static bool resize_in_place(struct heap *h, struct block *b, uint64_t need)
{
#if SOL >= 4
    if (size_of(b) >= need) {
        uint64_t rest = size_of(b) - need;
        if (rest < HEAP_MIN_BLOCK)
            return true;
        struct block *tail = (struct block *)((uintptr_t)b + need);
        set_block(b, need, true);
        set_block(tail, rest, false);
        /* unlike split_block's, this rest may have a free block after it */
        bin_insert(h, trim_top(h, coalesce(h, tail)));
        return true;
    }
    uint64_t more = need - size_of(b);
    struct block *next = next_block(h, b), *got = NULL;
    if (next && !is_used(next) && size_of(next) >= more) {
        bin_remove(h, next);
        got = next;
    } else if (next == NULL || (!is_used(next) && next_block(h, next) == NULL)) {
        /* b or the free block after it ends the heap: grow_heap starts its
         * block there, so b + need is what it must reach */
        got = grow_heap(h, more);
    }
    if (got == NULL)
        return false;
    set_block(b, size_of(b) + size_of(got), true);
    split_block(h, b, need);
    return true;
#else
    /* LAB 4, exercise 5: make the used block b need bytes where it is,
     * shrinking it or growing it over free space right after it; false
     * if it cannot stay (handout §3.5) */
    (void)h, (void)b, (void)need, (void)next_block, (void)split_block, (void)coalesce;
    return false;
#endif
}

void *heap_realloc(struct heap *h, void *ptr, size_t size, const char *file, int line,
                   enum heap_error *err, const struct block **bad)
{
    *err = HEAP_OK;
    if (ptr == NULL)
        return heap_alloc(h, size, file, line);
    if ((*err = check_block(h, ptr, bad)) != HEAP_OK)
        return NULL;
    struct block *b = (struct block *)((uintptr_t)ptr - HEAP_HEADER);
    if (size == 0) {
        release_block(h, b);
        return NULL;
    }
    if (size <= (1ull << 40) && resize_in_place(h, b, block_size_for(size))) {
        h->used_bytes += size - b->requested;        /* stays: re-arm the red zone */
        arm_block(b, size, b->file, (int)b->line);
        return ptr;
    }
    uint8_t *q = heap_alloc(h, size, file, line);
    if (q == NULL)
        return NULL;
    for (uint32_t i = 0; i < b->requested && i < size; i++)
        q[i] = payload_of(b)[i];
    release_block(h, b);
    return q;
}
