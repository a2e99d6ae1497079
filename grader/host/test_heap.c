/* test_heap.c - host unit tests of kernel/mm/heap.c (Lab 4, exercises 1-3).
 * Built with AddressSanitizer and UBSan by grader/test_unit.py (`make unit`).
 * The heap lives in an array here; after every few operations the test
 * walks all blocks and checks the invariants: blocks tile the heap, no two
 * free blocks touch, every free block is in the bin of its size, the free
 * byte count adds up; and every live block keeps its contents. */
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
    b[-4] = 0;                       /* into the header */
    CHECK(heap_free(&h, b, &bad) == HEAP_BAD_HEADER, "a write before the block not detected");
    CHECK(heap_free(&h, arena + ARENA / 2, &bad) == HEAP_NOT_HEAP, "a pointer past brk accepted");
    CHECK(heap_free(&h, pin + 8, &bad) != HEAP_OK, "a pointer inside a block accepted");
    CHECK(heap_alloc(&h, 1ull << 41, "x", 1) == NULL, "an absurd size succeeded");
    void *z1 = heap_alloc(&h, 0, "x", 1), *z2 = heap_alloc(&h, 0, "x", 2);
    CHECK(z1 && z2 && z1 != z2, "size 0 must give distinct pointers");
}

int main(void)
{
    arena = aligned_alloc(HEAP_PAGE, ARENA);
    errors();
    random_workload();
    free(arena);
    return CHECK_SUMMARY("heap");
}
