/* heap.c - the heap core (see heap.h): boundary-tag blocks in size bins.
 * Lab 4: split_block and coalesce are exercise 1, heap_alloc exercise 2,
 * the free path (release_block) exercise 3 (handout §3); the checks, the
 * bins and the growth of the heap are given. Compiled for the kernel and
 * for the host unit tests. */
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

/* The block after b, or NULL at the end of the heap. */
static struct block *next_block(const struct heap *h, const struct block *b)
{
    uintptr_t n = (uintptr_t)b + size_of(b);
    return n < h->brk ? (struct block *)n : NULL;
}

/* The block before b (its footer says where it starts), or NULL at the start. */
static struct block *prev_block(const struct heap *h, const struct block *b)
{
    if ((uintptr_t)b == h->base)
        return NULL;
    const struct footer *f = (const struct footer *)((uintptr_t)b - HEAP_FOOTER);
    return (struct block *)((uintptr_t)b - f->size);
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

/* The whole block size for a request: header, payload, red zone, footer. */
static uint64_t block_size_for(size_t size)
{
    uint64_t n = HEAP_HEADER + (uint64_t)size + HEAP_REDZONE + HEAP_FOOTER;

    n = (n + HEAP_ALIGN - 1) & ~(uint64_t)(HEAP_ALIGN - 1);
    return n < HEAP_MIN_BLOCK ? HEAP_MIN_BLOCK : n;
}

/* ---- bins (given) ------------------------------------------------------------ */

unsigned heap_bin_of(uint64_t size)
{
    if (size <= HEAP_SMALL_MAX)
        return (unsigned)((size - HEAP_MIN_BLOCK) / HEAP_ALIGN);
    unsigned log = 63 - (unsigned)__builtin_clzll(size);      /* 2^log <= size */
    unsigned i = HEAP_SMALL_BINS + (log - 10);
    return i < HEAP_NBINS ? i : HEAP_NBINS - 1;
}

static void bin_insert(struct heap *h, struct block *b)
{
    unsigned i = heap_bin_of(size_of(b));

    h->nonempty[i / 64] |= 1ull << (i % 64);
    b->prev = NULL;
    b->next = h->bins[i];
    if (b->next)
        b->next->prev = b;
    h->bins[i] = b;
    h->free_bytes += size_of(b);
}

static void bin_remove(struct heap *h, struct block *b)
{
    unsigned i = heap_bin_of(size_of(b));

    if (b->prev)
        b->prev->next = b->next;
    else if ((h->bins[i] = b->next) == NULL)
        h->nonempty[i / 64] &= ~(1ull << (i % 64));
    if (b->next)
        b->next->prev = b->prev;
    h->free_bytes -= size_of(b);
}

unsigned heap_bin_count(const struct heap *h, unsigned bin)
{
    unsigned n = 0;

    for (const struct block *b = h->bins[bin]; b; b = b->next)
        n++;
    return n;
}

/* The first non-empty bin at or above bin i, or HEAP_NBINS: two words of
 * bitmap, not a loop over the bins. */
static unsigned next_nonempty(const struct heap *h, unsigned i)
{
    for (unsigned w = i / 64; w < HEAP_BIN_WORDS; w++) {
        uint64_t bits = h->nonempty[w] & (w == i / 64 ? ~0ull << (i % 64) : ~0ull);
        if (bits)
            return w * 64 + (unsigned)__builtin_ctzll(bits);
    }
    return HEAP_NBINS;
}

/* A free block of at least size bytes, taken out of its bin, or NULL.
 * Small bins hold one exact size, so the first non-empty bin at or above
 * size's bin fits at once; only a large bin needs a first-fit scan. */
static struct block *take_fit(struct heap *h, uint64_t size)
{
    for (unsigned i = next_nonempty(h, heap_bin_of(size)); i < HEAP_NBINS;
         i = next_nonempty(h, i + 1))
        for (struct block *b = h->bins[i]; b; b = b->next)
            if (size_of(b) >= size) {
                bin_remove(h, b);
                return b;
            }
    return NULL;
}

/* ---- split and coalesce (exercise 1) ----------------------------------------- */

/* b is a block of at least size bytes, in no bin. Cut it to size and put the
 * rest, if it can be a block of its own, in a bin as a free block. */
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
    /* LAB 4, exercise 1: if size_of(b) - size is at least HEAP_MIN_BLOCK, make
     * b size bytes (set_block) and the rest a free block (set_block,
     * bin_insert) right after it; otherwise leave b whole (handout §3.1) */
    (void)h, (void)b, (void)size;
#endif
}

/* b is a free block in no bin. Merge it with a free block before and after
 * it (taking them out of their bins) and return the merged block, in no bin. */
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
        b = prev;
    }
    return b;
#else
    /* LAB 4, exercise 1: if the next block (next_block) is free, take it out
     * of its bin and grow b over it; if the previous one (prev_block) is
     * free, take it out and grow it over b; return the merged block
     * (handout §3.1) */
    (void)h, (void)next_block, (void)prev_block;
    return b;
#endif
}

/* ---- growing and shrinking (given) --------------------------------------------- */

/* Extend the heap by at least size bytes and return the free block at its
 * end (merged with a free last block), in no bin; NULL if it cannot grow. */
static struct block *grow_heap(struct heap *h, uint64_t size)
{
    uintptr_t old = h->brk;
    uintptr_t want = (old + size + HEAP_PAGE - 1) & ~(uintptr_t)(HEAP_PAGE - 1);

    if (want > h->limit || want < old || !h->grow(h, want))
        return NULL;
    h->brk = want;
    struct block *b = (struct block *)old;
    set_block(b, want - old, false);
    return coalesce(h, b);
}

/* If the free block b (in no bin) ends the heap and is bigger than
 * HEAP_TRIM_KEEP, hand the whole pages beyond that back. (Keeping some
 * avoids mapping and unmapping a page on every kmalloc/kfree pair at the
 * top.) Returns b, perhaps shortened. */
static struct block *trim_top(struct heap *h, struct block *b)
{
    if ((uintptr_t)b + size_of(b) != h->brk)
        return b;
    uintptr_t keep = ((uintptr_t)b + HEAP_TRIM_KEEP + HEAP_PAGE - 1) & ~(uintptr_t)(HEAP_PAGE - 1);
    if (keep >= h->brk)
        return b;
    h->shrink(h, keep);
    h->brk = keep;
    set_block(b, keep - (uintptr_t)b, false);
    return b;
}

/* ---- allocation (exercise 2) ------------------------------------------------- */

void heap_init(struct heap *h, uintptr_t base, uintptr_t limit,
               bool (*grow)(struct heap *, uintptr_t), void (*shrink)(struct heap *, uintptr_t))
{
    *h = (struct heap){.base = base, .brk = base, .limit = limit, .grow = grow, .shrink = shrink};
}

void *heap_alloc(struct heap *h, size_t size, const char *file, int line)
{
    if (size > (1ull << 40))
        return NULL;                 /* no size arithmetic may overflow below */
    uint64_t need = block_size_for(size);
#if SOL >= 4
    struct block *b = take_fit(h, need);

    if (b == NULL)
        b = grow_heap(h, need);
    if (b == NULL)
        return NULL;
    set_block(b, size_of(b), true);
    split_block(h, b, need);
#else
    /* LAB 4, exercise 2: take a free block of at least need bytes
     * (take_fit), or grow the heap for one (grow_heap); NULL if neither
     * works. Mark it used (set_block) and split off what it does not need
     * (split_block) (handout §3.2). Then the given code fills in the rest: */
    struct block *b = NULL;
    (void)need, (void)take_fit, (void)grow_heap, (void)split_block;
    return NULL;
#endif
    b->requested = (uint32_t)size;
    b->file = file;
    b->line = (uint32_t)line;
    uint8_t *p = payload_of(b);
    fill(p + size, HEAP_POISON_RED, (uintptr_t)footer_of(b) - (uintptr_t)(p + size));
    h->used_blocks++;
    h->used_bytes += size;
    return p;
}

/* ---- free (exercise 3) --------------------------------------------------------- */

/* What is wrong with ptr as an argument of heap_free, or HEAP_OK. */
static enum heap_error check_block(const struct heap *h, const void *ptr, const struct block **bad)
{
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
}

/* b passed check_block. Free it: poison, merge, return pages, bin it. */
static void release_block(struct heap *h, struct block *b)
{
    h->used_blocks--;
    h->used_bytes -= b->requested;
#if SOL >= 4
    fill(payload_of(b), HEAP_POISON_FREE, size_of(b) - HEAP_HEADER - HEAP_FOOTER);
    set_block(b, size_of(b), false);
    bin_insert(h, trim_top(h, coalesce(h, b)));
#else
    /* LAB 4, exercise 3: poison the payload (HEAP_POISON_FREE, up to the
     * footer), mark the block free (set_block), merge it with its neighbours
     * (coalesce), give whole pages at the end of the heap back (trim_top)
     * and put what is left in its bin (bin_insert) (handout §3.3) */
    (void)b, (void)trim_top, (void)bin_insert;
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

void *heap_realloc(struct heap *h, void *ptr, size_t size, const char *file, int line,
                   enum heap_error *err, const struct block **bad)
{
    *err = HEAP_OK;
    if (ptr == NULL)
        return heap_alloc(h, size, file, line);
    if ((*err = check_block(h, ptr, bad)) != HEAP_OK)
        return NULL;
    if (size == 0) {
        release_block(h, (struct block *)((uintptr_t)ptr - HEAP_HEADER));
        return NULL;
    }
    struct block *b = (struct block *)((uintptr_t)ptr - HEAP_HEADER);
    if (block_size_for(size) <= size_of(b)) {        /* fits: stay, re-arm the red zone */
        h->used_bytes += size - b->requested;
        b->requested = (uint32_t)size;
        fill(payload_of(b) + size, HEAP_POISON_RED,
             (uintptr_t)footer_of(b) - (uintptr_t)(payload_of(b) + size));
        return ptr;
    }
    uint8_t *q = heap_alloc(h, size, file, line);
    if (q == NULL)
        return NULL;
    for (uint32_t i = 0; i < b->requested; i++)
        q[i] = payload_of(b)[i];
    release_block(h, b);
    return q;
}
