/* heap.h - the heap allocator core behind kmalloc. Lab 4 (exercises in
 * heap.c, and the grow/shrink callbacks in kmalloc.c; handout §2 draws a
 * block and the bins).
 *
 * Pure logic, no hardware: the heap is the address range [base, brk), which
 * grows towards limit through the grow callback and shrinks through shrink
 * (the kernel maps and unmaps frames there; the host unit tests,
 * grader/host/test_heap.c, use an array). Every byte of [base, brk) belongs
 * to exactly one block:
 *
 *   | header 32 | payload (requested bytes) | red zone >= 8 | footer 16 |
 *    ^ 16-aligned ^ 16-aligned                  0xFD bytes
 *
 * Free blocks sit in bins: one per exact size for blocks up to
 * HEAP_SMALL_MAX bytes (so small requests are served in O(1)), and one per
 * power of two above. Neighbouring free blocks are always merged. */
#ifndef HEAP_H
#define HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunables.h"                /* HEAP_SMALL_MAX, HEAP_TRIM_KEEP */

#define HEAP_ALIGN      16
#define HEAP_HEADER     32
#define HEAP_FOOTER     16
#define HEAP_REDZONE    8            /* at least this many guard bytes after a payload */
#define HEAP_MIN_BLOCK  64
#define HEAP_SMALL_BINS ((HEAP_SMALL_MAX - HEAP_MIN_BLOCK) / HEAP_ALIGN + 1)
#define HEAP_LARGE_BINS 40           /* 2^10 .. 2^50 bytes */
#define HEAP_NBINS      (HEAP_SMALL_BINS + HEAP_LARGE_BINS)
#define HEAP_BIN_WORDS  ((HEAP_NBINS + 63) / 64)
#define HEAP_PAGE       4096

#define HEAP_POISON_FREE 0x6B        /* fills freed payloads: 'k' */
#define HEAP_POISON_RED  0xFD        /* fills red zones */

struct block {                       /* the header of every block */
    uint64_t size;                   /* whole block in bytes | BLOCK_USED */
    uint32_t requested;              /* payload bytes asked for */
    uint32_t line;                   /* where kmalloc was called */
    const char *file;
    uint64_t canary;                 /* HEAP_CANARY ^ address: detects overwrites */
    /* a free block continues with its bin links */
    struct block *next, *prev;
};
#define BLOCK_USED 1ull

/* No lock of its own: the caller serializes every call on one heap. The
 * kernel's heap (kmalloc.c) is guarded by heap_lock from Lab 5 on (a
 * spinlock: interrupts off); before, only boot code and tests use it. */
struct heap {
    uintptr_t base, brk, limit;      /* [base, brk) is mapped; brk <= limit; page-aligned */
    /* map [brk, new_brk): true, or false having mapped nothing */
    bool (*grow)(struct heap *h, uintptr_t new_brk);
    void (*shrink)(struct heap *h, uintptr_t new_brk);   /* unmap [new_brk, brk) */
    struct block *bins[HEAP_NBINS];
    uint64_t nonempty[HEAP_BIN_WORDS];  /* bit i: bins[i] has a block */
    uint64_t used_blocks, used_bytes;   /* requested bytes of live blocks */
    uint64_t free_bytes;                /* whole free blocks, headers included */
};

/* What heap_free found wrong (then it changed nothing). */
enum heap_error {
    HEAP_OK = 0,
    HEAP_NOT_HEAP,                   /* not an address kmalloc returned */
    HEAP_BAD_HEADER,                 /* header overwritten: underflow, or a wild pointer */
    HEAP_DOUBLE_FREE,                /* already free */
    HEAP_OVERFLOW,                   /* the red zone after the payload was written */
};

void heap_init(struct heap *h, uintptr_t base, uintptr_t limit,
               bool (*grow)(struct heap *, uintptr_t), void (*shrink)(struct heap *, uintptr_t));

/* size bytes, 16-byte aligned, recording file:line as the allocation site;
 * NULL if the heap cannot grow enough. size 0 gives a unique minimal block. */
void *heap_alloc(struct heap *h, size_t size, const char *file, int line);

/* Free ptr (NULL is fine). On an error returns it and sets *bad to the
 * block's header (for its site) when there is one. */
enum heap_error heap_free(struct heap *h, void *ptr, const struct block **bad);

/* Resize: in place when the block is big enough, else move. NULL (and ptr
 * untouched) on failure. ptr NULL: heap_alloc; size 0: free, return NULL. */
void *heap_realloc(struct heap *h, void *ptr, size_t size, const char *file, int line,
                   enum heap_error *err, const struct block **bad);

/* The bin of a block size (exercise 1: exact bins up to HEAP_SMALL_MAX,
 * one per power of two above), and the number of free blocks in bin i. */
unsigned heap_bin_of(uint64_t block_size);
unsigned heap_bin_count(const struct heap *h, unsigned bin);

#endif
