/* kmalloc.c - the kernel heap: the heap core (heap.c) on pages mapped at
 * HEAP_BASE, with panics that name the allocation site.
 * Lab 4 (given; the exercises are in heap.c). */
#include "kmalloc.h"
#include "console.h"
#include "heap.h"
#include "paging.h"
#include "panic.h"
#include "pmm.h"
#include "string.h"
#include "spinlock.h"
#include "cmdline.h"
#include "kinit.h"
#include "monitor.h"
#include "power.h"

#if LAB >= 5                         /* threads: the heap needs a lock */
static struct spinlock heap_lock = SPINLOCK_INIT("heap");
#define HEAP_LOCK() spin_lock(&heap_lock)
#define HEAP_UNLOCK() spin_unlock(&heap_lock)
#else
#define HEAP_LOCK() ((void)0)
#define HEAP_UNLOCK() ((void)0)
#endif

static struct heap heap;

/* Map fresh frames over [brk, new_brk); undo everything on failure. */
static bool heap_grow(struct heap *h, uintptr_t new_brk)
{
    for (uintptr_t va = h->brk; va < new_brk; va += PAGE_SIZE) {
        uint64_t pa = pmm_alloc(0);
        if (pa == 0 || vmm_map(kernel_pml4, va, pa, VM_WRITE) != 0) {
            if (pa)
                pmm_free(pa);
            for (uintptr_t undo = h->brk; undo < va; undo += PAGE_SIZE) {
                vmm_unmap(kernel_pml4, undo, &pa);
                pmm_free(pa);
            }
            return false;
        }
    }
    return true;
}

static void heap_shrink(struct heap *h, uintptr_t new_brk)
{
    for (uintptr_t va = new_brk; va < h->brk; va += PAGE_SIZE) {
        uint64_t pa;
        if (vmm_unmap(kernel_pml4, va, &pa) == 0)
            pmm_free(pa);
    }
}

void kheap_init(uint64_t max_bytes)
{
    heap_init(&heap, HEAP_BASE, HEAP_BASE + (max_bytes & ~(PAGE_SIZE - 1)), heap_grow, heap_shrink);
}

/* Stop with a message naming the block and where it was allocated. */
static void heap_panic(enum heap_error err, void *ptr, const struct block *b)
{
    static const char *const what[] = {
        [HEAP_NOT_HEAP] = "not a pointer kmalloc returned (or freed already, and its memory "
                          "given back)",
        [HEAP_BAD_HEADER] = "the block's header is overwritten (an underflow, or a wild pointer)",
        [HEAP_DOUBLE_FREE] = "double free",
        [HEAP_OVERFLOW] = "heap overflow: written past the end of the block",
    };
    if (b)
        PANIC("kfree(%p): %s (%u bytes allocated at %s:%u)", ptr, what[err], b->requested,
              b->file, b->line);
    PANIC("kfree(%p): %s", ptr, what[err]);
}

void *kmalloc_at(size_t size, const char *file, int line)
{
    if (kernel_pml4 == NULL)
        return NULL;                 /* no page tables of our own: no heap */
    HEAP_LOCK();
    void *p = heap_alloc(&heap, size, file, line);
    HEAP_UNLOCK();
    return p;
}

void *kcalloc_at(size_t n, size_t size, const char *file, int line)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = kmalloc_at(n * size, file, line);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *krealloc_at(void *ptr, size_t size, const char *file, int line)
{
    enum heap_error err;
    const struct block *bad;
    HEAP_LOCK();
    void *q = heap_realloc(&heap, ptr, size, file, line, &err, &bad);
    HEAP_UNLOCK();

    if (err != HEAP_OK)
        heap_panic(err, ptr, bad);
    return q;
}

void kfree(void *ptr)
{
    const struct block *bad;
    HEAP_LOCK();
    enum heap_error err = heap_free(&heap, ptr, &bad);
    HEAP_UNLOCK();

    if (err != HEAP_OK)
        heap_panic(err, ptr, bad);
}

void kheap_stats(struct kheap_stats *s)
{
    s->used_blocks = heap.used_blocks;
    s->used_bytes = heap.used_bytes;
    s->free_bytes = heap.free_bytes;
    s->pages = (heap.brk - heap.base) / PAGE_SIZE;
}

void kheap_print(void)
{
    struct kheap_stats s;

    kheap_stats(&s);
    kprintf("heap: %lu blocks in use (%lu bytes asked for), %lu bytes free, %lu pages held "
            "(limit %lu)\n", s.used_blocks, s.used_bytes, s.free_bytes, s.pages,
            (uint64_t)((heap.limit - heap.base) / PAGE_SIZE));
    for (unsigned i = 0; i < HEAP_NBINS; i++) {
        unsigned n = heap_bin_count(&heap, i);
        if (n == 0)
            continue;
        if (i < HEAP_SMALL_BINS)
            kprintf("heap: bin %2u: %u free blocks of %u bytes\n", i, n,
                    HEAP_MIN_BLOCK + i * HEAP_ALIGN);
        else
            kprintf("heap: bin %2u: %u free blocks of 2^%u.. bytes\n", i, n,
                    i - HEAP_SMALL_BINS + 10);
    }
}

CMDLINE_KEY(heapmax, "BYTES");

/* Boot step, after memory_init: the heap, capped at heapmax= bytes. */
static void heap_start(void)
{
    int64_t heapmax = cmdline_get_int("heapmax", HEAP_DEFAULT_MAX);

    if (heapmax < 0) {
        kprintf("cmdline: heapmax=%ld must not be negative\n", heapmax);
        power_off(false);
    }
    kheap_init((uint64_t)heapmax);
}
KINIT(40, heap_start);

MONITOR_COMMAND(heapinfo, "kernel heap: bytes in use and free, free blocks per bin, pages")
{
    (void)argc, (void)argv;
    kheap_print();
    return 0;
}
