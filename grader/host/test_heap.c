/* test_heap.c - host unit tests of kernel/mm/heap.c (Lab 4, exercises 1-5).
 * Built with AddressSanitizer and UBSan by grader/test_unit.py (`make unit`).
 * The heap lives in an array here; after every few operations the test
 * walks all blocks and checks the invariants: blocks tile the heap, no two
 * free blocks touch, every free block is in the bin of its size, the free
 * byte count adds up, the nonempty bitmap matches the bins; and every live
 * block keeps its contents. policies() checks the choices through the
 * interface alone: the fit, growth over a free last block, trimming,
 * resizing in place. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heap.h"
#include "check.h"

#define ARENA (64u << 20)

static uint8_t *arena;

static bool grow(struct heap *h, uintptr_t new_brk)
{
    (void)h;
    return new_brk <= (uintptr_t)arena + ARENA;
}

static void shrink(struct heap *h, uintptr_t new_brk)
{
    memset((void *)new_brk, 0xAA, h->brk - new_brk);   /* given back: gone */
}

static uint64_t rnd(void)
{
    static uint64_t x = 0x2545F4914F6CDD1Dull;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
}

static void walk_invariants(const struct heap *h)
{
    uint64_t free_bytes = 0;
    bool prev_free = false;
    uintptr_t a = h->base;

    while (a < h->brk) {
        const struct block *b = (const struct block *)a;
        uint64_t size = b->size & ~BLOCK_USED;
        bool is_free = !(b->size & BLOCK_USED);
        CHECK(size >= HEAP_MIN_BLOCK && size % HEAP_ALIGN == 0 && a + size <= h->brk,
              "bad block size %llu at offset %lu", (unsigned long long)size,
              (unsigned long)(a - h->base));
        if (size < HEAP_MIN_BLOCK || a + size > h->brk)
            return;
        CHECK(!(is_free && prev_free), "two free blocks side by side at offset %lu",
              (unsigned long)(a - h->base));
        if (is_free) {
            free_bytes += size;
            bool found = false;
            for (const struct block *f = h->bins[heap_bin_of(size)]; f && !found; f = f->next)
                found = f == b;
            CHECK(found, "free block of %llu bytes not in its bin", (unsigned long long)size);
        }
        prev_free = is_free;
        a += size;
    }
    CHECK(a == h->brk, "blocks do not end at brk");
    for (unsigned i = 0; i < HEAP_NBINS; i++)
        CHECK(!!(h->nonempty[i / 64] & (1ull << (i % 64))) == (h->bins[i] != NULL),
              "bin %u: its nonempty bit says %s", i, h->bins[i] ? "empty" : "not empty");
    CHECK(free_bytes == h->free_bytes, "free bytes %llu, counted %llu",
          (unsigned long long)h->free_bytes, (unsigned long long)free_bytes);
}

#define SLOTS 500
static struct {
    uint8_t *p;
    size_t size;
    uint8_t key;
} slot[SLOTS];

static void random_workload(void)
{
    struct heap h;
    enum heap_error err;
    const struct block *bad;

    heap_init(&h, (uintptr_t)arena, (uintptr_t)arena + ARENA, grow, shrink);
    for (int op = 0; op < 100000; op++) {
        int i = (int)(rnd() % SLOTS);
        size_t size = rnd() % 8 ? rnd() % 300 : rnd() % 40000;
        if (slot[i].p) {
            for (size_t k = 0; k < slot[i].size; k++)
                if (slot[i].p[k] != slot[i].key) {
                    CHECK(0, "op %d: block of %zu bytes lost its contents", op, slot[i].size);
                    break;
                }
        }
        if (slot[i].p && rnd() % 3 == 0) {
            size_t keep = size < slot[i].size ? size : slot[i].size;
            uint8_t *q = heap_realloc(&h, slot[i].p, size, "test", op, &err, &bad);
            CHECK(err == HEAP_OK, "op %d: realloc error %d", op, err);
            if (size == 0) {
                slot[i].p = NULL;
                continue;
            }
            CHECK(q != NULL, "op %d: realloc to %zu failed", op, size);
            for (size_t k = 0; q && k < keep; k++)
                if (q[k] != slot[i].key) {
                    CHECK(0, "op %d: realloc lost the contents", op);
                    break;
                }
            slot[i].p = q;
        } else if (slot[i].p) {
            CHECK(heap_free(&h, slot[i].p, &bad) == HEAP_OK, "op %d: free failed", op);
            slot[i].p = NULL;
            continue;
        } else {
            slot[i].p = heap_alloc(&h, size, "test", op);
            CHECK(slot[i].p != NULL, "op %d: alloc of %zu failed", op, size);
        }
        if (slot[i].p == NULL)
            continue;
        CHECK((uintptr_t)slot[i].p % HEAP_ALIGN == 0, "op %d: unaligned pointer", op);
        slot[i].size = size;
        slot[i].key = (uint8_t)rnd();
        memset(slot[i].p, slot[i].key, size);
        if (op % 97 == 0)
            walk_invariants(&h);
    }
    for (int i = 0; i < SLOTS; i++)
        if (slot[i].p) {
            CHECK(heap_free(&h, slot[i].p, &bad) == HEAP_OK, "final free failed");
            slot[i].p = NULL;
        }
    walk_invariants(&h);
    CHECK(h.brk - h.base <= HEAP_TRIM_KEEP + HEAP_PAGE,
          "after freeing everything the heap holds %lu bytes", (unsigned long)(h.brk - h.base));
    CHECK(h.used_blocks == 0 && h.used_bytes == 0, "used counts not back to 0");
}

static void errors(void)
{
    struct heap h;
    const struct block *bad;

    heap_init(&h, (uintptr_t)arena, (uintptr_t)arena + ARENA, grow, shrink);
    char *a = heap_alloc(&h, 40, "errors.c", 11), *pin = heap_alloc(&h, 8, "errors.c", 12);
    CHECK(a && pin, "allocation failed");
    if (!a || !pin)
        return;
    CHECK(heap_free(&h, a, &bad) == HEAP_OK, "free failed");
    CHECK(heap_free(&h, a, &bad) == HEAP_DOUBLE_FREE && bad && bad->line == 11,
          "double free not detected, or the site lost");
    char *b = heap_alloc(&h, 24, "errors.c", 20);
    b[24] = 1;
    CHECK(heap_free(&h, b, &bad) == HEAP_OVERFLOW && bad && bad->line == 20,
          "a write past the end not detected");
    b[24] = (char)HEAP_POISON_RED;
    b[-4] ^= 0x5A;                   /* into the header: changed whatever it held */
    CHECK(heap_free(&h, b, &bad) == HEAP_BAD_HEADER, "a write before the block not detected");
    CHECK(heap_free(&h, arena + ARENA / 2, &bad) == HEAP_NOT_HEAP, "a pointer past brk accepted");
    CHECK(heap_free(&h, pin + 8, &bad) != HEAP_OK, "a pointer inside a block accepted");
    CHECK(heap_alloc(&h, 1ull << 41, "x", 1) == NULL, "an absurd size succeeded");
    void *z1 = heap_alloc(&h, 0, "x", 1), *z2 = heap_alloc(&h, 0, "x", 2);
    CHECK(z1 && z2 && z1 != z2, "size 0 must give distinct pointers");
}

/* The block size heap_alloc uses for n bytes (heap.h's layout). */
static uint64_t block_of(size_t n)
{
    uint64_t b = (HEAP_HEADER + n + HEAP_REDZONE + HEAP_FOOTER + 15) & ~15ull;
    return b < HEAP_MIN_BLOCK ? HEAP_MIN_BLOCK : b;
}

static void policies(void)
{
    struct heap h;
    const struct block *bad;
    enum heap_error err;
    char *p[8];

    /* The fit: free blocks of 200, 100 and 3000 bytes between pins. A
     * request of 100 takes the exact one, not the first or the biggest. */
    heap_init(&h, (uintptr_t)arena, (uintptr_t)arena + ARENA, grow, shrink);
    static const size_t sizes[] = {200, 100, 3000, 2000};
    for (int i = 0; i < 4; i++) {
        p[2 * i] = heap_alloc(&h, sizes[i], "fit", i);
        p[2 * i + 1] = heap_alloc(&h, 1, "pin", i);
    }
    CHECK(p[0] && p[7], "allocation failed");
    if (!p[0] || !p[7])
        return;
    for (int i = 0; i < 4; i++)
        heap_free(&h, p[2 * i], &bad);
    CHECK(heap_alloc(&h, 100, "x", 1) == p[2], "alloc(100) did not take the free 100-byte block");
    CHECK(heap_alloc(&h, 150, "x", 2) == p[0], "alloc(150) did not take the 200-byte block");
    CHECK(heap_alloc(&h, 2500, "x", 3) == p[4], "alloc(2500) did not take the 3000-byte block "
          "(the 2000-byte one in the same bin is too small)");
    walk_invariants(&h);

    /* Growth: a free last block is reused, so the heap grows by what is
     * missing only. */
    heap_init(&h, (uintptr_t)arena, (uintptr_t)arena + ARENA, grow, shrink);
    char *a = heap_alloc(&h, 1000, "a", 1), *t = heap_alloc(&h, 2000, "t", 2);
    heap_free(&h, t, &bad);
    uintptr_t brk = h.brk;
    char *big = heap_alloc(&h, 3 * HEAP_PAGE, "big", 3);
    CHECK(big == t, "a growing heap did not reuse its free last block");
    CHECK(h.brk == (((uintptr_t)t - HEAP_HEADER + block_of(3 * HEAP_PAGE) + HEAP_PAGE - 1) &
                    ~(uintptr_t)(HEAP_PAGE - 1)), "brk %lu bytes past where it should be",
          (unsigned long)(h.brk - brk));
    walk_invariants(&h);

    /* Trimming: freeing a big last block keeps HEAP_TRIM_KEEP bytes of it,
     * rounded up to a page. */
    char *huge = heap_alloc(&h, 64 * HEAP_PAGE, "huge", 4);
    heap_free(&h, big, &bad);
    heap_free(&h, huge, &bad);
    uintptr_t top = (uintptr_t)a - HEAP_HEADER + block_of(1000);
    CHECK(h.brk == ((top + HEAP_TRIM_KEEP + HEAP_PAGE - 1) & ~(uintptr_t)(HEAP_PAGE - 1)),
          "after freeing the top, brk at offset %lu", (unsigned long)(h.brk - h.base));
    walk_invariants(&h);

    /* Resizing in place: into the free block after it, shrinking, and at
     * the top of the heap; the contents stay. */
    char *r = heap_alloc(&h, 500, "r", 5), *n = heap_alloc(&h, 3000, "n", 6);
    heap_alloc(&h, 1, "pin", 7);
    CHECK(r && n, "allocation failed");
    if (!r || !n)
        return;
    memset(r, 0x3C, 500);
    heap_free(&h, n, &bad);
    CHECK(heap_realloc(&h, r, 2000, "r", 8, &err, &bad) == r, "realloc did not grow into the "
          "free block after it");
    uint64_t free_before = h.free_bytes;
    CHECK(heap_realloc(&h, r, 100, "r", 9, &err, &bad) == r, "realloc to a smaller size moved");
    CHECK(h.free_bytes > free_before, "shrinking in place freed nothing");
    for (int i = 0; i < 100; i++)
        if (r[i] != 0x3C) {
            CHECK(0, "realloc in place lost the contents");
            break;
        }
    char *last = heap_alloc(&h, 100, "last", 10);
    while (last && (uintptr_t)last - HEAP_HEADER + block_of(100) + HEAP_MIN_BLOCK <= h.brk)
        last = heap_alloc(&h, 100, "last", 10);    /* until it is the last block */
    CHECK(heap_realloc(&h, last, 5 * HEAP_PAGE, "last", 11, &err, &bad) == last,
          "realloc of the last block did not grow the heap under it");
    walk_invariants(&h);
}

int main(void)
{
    arena = aligned_alloc(HEAP_PAGE, ARENA);
    errors();
    policies();
    random_workload();
    free(arena);
    return CHECK_SUMMARY("heap");
}
