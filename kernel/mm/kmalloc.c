/* kmalloc.c - the kernel heap: the heap core (heap.c) on pages mapped at
 * HEAP_BASE, with panics that name the allocation site, and (challenge 1,
 * slab=1) a slab cache for small blocks in front of it.
 * Lab 4: mapping and unmapping the heap's frames is exercise 3 (handout
 * §3.3); the slab cache is challenge 1 (§6.1); the rest is given. */
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

/* The heap's grow callback (heap.h): map fresh frames, writable and not
 * executable, over [h->brk, new_brk) (both page-aligned, brk < new_brk) in
 * kernel_pml4, and return true; or return false having unmapped and freed
 * every frame this call mapped, so that a failed growth leaks nothing.
 * Called with the heap lock held (interrupts off from Lab 5): must not
 * sleep. May call pmm_alloc, pmm_free, vmm_map, vmm_unmap. */
static bool heap_grow(struct heap *h, uintptr_t new_brk)
{
#if SOL >= 4
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
#else
    /* LAB 4, exercise 3: back [brk, new_brk) with fresh writable frames;
     * on failure undo this call's mappings and return false (handout §3.3) */
    (void)h, (void)new_brk;
    return false;
#endif
}

/* The heap's shrink callback: unmap the pages of [new_brk, h->brk) (both
 * page-aligned) and free their frames. Heap lock held. May call vmm_unmap,
 * pmm_free. */
static void heap_shrink(struct heap *h, uintptr_t new_brk)
{
#if SOL >= 4
    for (uintptr_t va = new_brk; va < h->brk; va += PAGE_SIZE) {
        uint64_t pa;
        if (vmm_unmap(kernel_pml4, va, &pa) == 0)
            pmm_free(pa);
    }
#else
    /* LAB 4, exercise 3: unmap [new_brk, brk) and free its frames
     * (handout §3.3) */
    (void)h, (void)new_brk;
#endif
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

/* ---- challenge 1: a slab cache for small blocks -------------------------------- */

/* With slab=1 on the command line (or kslab_enable(true)), kmalloc of at
 * most SLAB_MAX bytes is served by slab_alloc: objects of a size class
 * (16 << c bytes, class c < SLAB_CLASSES) cut from whole pages, reached
 * through the direct map, so that kfree tells them from heap blocks by
 * their address. Everything here runs with the heap lock held. */
CMDLINE_KEY(slab, "0|1");

#define SLAB_MAX     128
#define SLAB_CLASSES 4               /* objects of 16, 32, 64 and 128 bytes */

static bool slab_on;

/* heapinfo's figures: per class, the objects handed out and the pages the
 * class holds. The slab cache keeps them up to date. */
static struct {
    uint64_t objects, pages;
} slab_count[SLAB_CLASSES];

#if SOL >= 4
#define SLAB_HEADER 128              /* a slab page starts with its header */
#define SLAB_MAGIC  0x736c6162636c6173ull
#define class_size(c) (16ull << (c))     /* the object size of class c */

struct slab {                        /* the first bytes of a slab page */
    uint64_t magic;                  /* SLAB_MAGIC ^ its address: is this a slab? */
    struct slab *next, *prev;        /* its class's slabs with a free object */
    void *free;                      /* free objects, linked through their first word */
    uint32_t class, inuse;           /* size class; objects handed out */
    uint64_t taken[4];               /* bit i: object i handed out (catches double frees) */
};
_Static_assert(sizeof(struct slab) <= SLAB_HEADER, "slab header");
_Static_assert((PAGE_SIZE - SLAB_HEADER) / 16 <= 256, "slab bitmap");

static struct slab *partial[SLAB_CLASSES];   /* per class: slabs with a free object */

static unsigned slab_index(const struct slab *s, const void *obj)
{
    return (unsigned)(((uintptr_t)obj - (uintptr_t)s - SLAB_HEADER) / class_size(s->class));
}

static void slab_link(struct slab *s)
{
    s->prev = NULL;
    s->next = partial[s->class];
    if (s->next)
        s->next->prev = s;
    partial[s->class] = s;
}

static void slab_unlink(struct slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        partial[s->class] = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

/* A fresh slab of class c on its partial list, every object free; NULL if
 * no frame is left. */
static struct slab *slab_new(unsigned c)
{
    /* zeroed (all written once): under QEMU's TCG, writes to a frame the
     * boot loader ran code from stay slow until all of it is overwritten */
    uint64_t pa = pmm_alloc_zeroed();
    if (pa == 0)
        return NULL;
    struct slab *s = phys_to_virt(pa);
    *s = (struct slab){.magic = SLAB_MAGIC ^ (uintptr_t)s, .class = c};
    /* push from the top down, so that the lowest address goes out first */
    for (uintptr_t o = (uintptr_t)s + PAGE_SIZE - class_size(c); o >= (uintptr_t)s + SLAB_HEADER;
         o -= class_size(c)) {
        *(void **)o = s->free;
        s->free = (void *)o;
    }
    slab_link(s);
    slab_count[c].pages++;
    return s;
}

/* The slab whose page holds p, or NULL: p must lie in the direct map, on a
 * mapped page that starts with a slab header. */
static struct slab *slab_of(const void *p)
{
    struct slab *s = (struct slab *)((uintptr_t)p & ~(PAGE_SIZE - 1));
    uint64_t pa;

    if ((uintptr_t)p < DIRECT_MAP_BASE || (uintptr_t)p >= HEAP_BASE ||
        !vmm_translate(kernel_pml4, (uintptr_t)s, &pa, NULL))
        return NULL;
    return s->magic == (SLAB_MAGIC ^ (uintptr_t)s) ? s : NULL;
}
#endif

/* An object of at least size bytes (size <= SLAB_MAX) from the slab of its
 * size class, the smallest class that holds size; NULL if no frame is left
 * for a new slab (kmalloc then uses the heap). Counted in slab_count.
 * Heap lock held. May call pmm_alloc_zeroed and the slab's own helpers. */
static void *slab_alloc(size_t size)
{
#if SOL >= 4
    unsigned c = 0;
    while (class_size(c) < size)
        c++;
    struct slab *s = partial[c] ? partial[c] : slab_new(c);
    if (s == NULL)
        return NULL;
    void *obj = s->free;
    s->free = *(void **)obj;
    unsigned i = slab_index(s, obj);
    s->taken[i / 64] |= 1ull << (i % 64);
    s->inuse++;
    if (s->free == NULL)
        slab_unlink(s);              /* full: no longer a candidate */
    slab_count[c].objects++;
    return obj;
#else
    /* LAB 4, challenge 1: an object of size bytes or more from a slab of
     * its size class, or NULL to let the heap serve it (handout §6.1) */
    (void)size;
    return NULL;
#endif
}

/* The size of the slab object class that ptr lies in, or 0 if ptr is not in
 * a slab page (a heap pointer, NULL, anything else). Heap lock held. */
static size_t slab_size(const void *ptr)
{
#if SOL >= 4
    struct slab *s = slab_of(ptr);
    return s ? class_size(s->class) : 0;
#else
    /* LAB 4, challenge 1: the object size of the slab ptr lies in, or 0
     * if it lies in none (handout §6.1) */
    (void)ptr;
    return 0;
#endif
}

/* Free the object ptr (slab_size(ptr) != 0). Returns NULL, or what is wrong
 * (not the start of an object, or already free), having changed nothing.
 * A slab left empty goes back to the frame allocator unless it is the
 * last of its class with free objects (no page ping-pong). Heap lock held.
 * May call pmm_free. */
static const char *slab_free(void *ptr)
{
#if SOL >= 4
    struct slab *s = slab_of(ptr);
    unsigned c = s->class, i = slab_index(s, ptr);

    if ((uintptr_t)ptr < (uintptr_t)s + SLAB_HEADER ||
        ((uintptr_t)ptr - (uintptr_t)s - SLAB_HEADER) % class_size(c))
        return "not a pointer kmalloc returned (inside a slab object)";
    if (!(s->taken[i / 64] & (1ull << (i % 64))))
        return "double free (a slab object)";
    s->taken[i / 64] &= ~(1ull << (i % 64));
    if (s->free == NULL)
        slab_link(s);                /* it was full: a candidate again */
    *(void **)ptr = s->free;
    s->free = ptr;
    s->inuse--;
    slab_count[c].objects--;
    if (s->inuse == 0 && (partial[c] != s || s->next != NULL)) {
        slab_unlink(s);
        s->magic = 0;
        pmm_free((uintptr_t)s - DIRECT_MAP_BASE);
        slab_count[c].pages--;
    }
    return NULL;
#else
    /* LAB 4, challenge 1: return the object ptr to its slab, or say why
     * it cannot be freed (handout §6.1) */
    (void)ptr;
    return "no slab cache";
#endif
}

bool kslab_enable(bool on)
{
    HEAP_LOCK();
    bool was = slab_on;
    slab_on = on;
    HEAP_UNLOCK();
    return was;
}

/* ---- kmalloc and friends (given) -------------------------------------------------- */

void *kmalloc_at(size_t size, const char *file, int line)
{
    if (kernel_pml4 == NULL)
        return NULL;                 /* no page tables of our own: no heap */
    HEAP_LOCK();
    void *p = slab_on && size <= SLAB_MAX ? slab_alloc(size) : NULL;
    if (p == NULL)
        p = heap_alloc(&heap, size, file, line);
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
    size_t old = slab_size(ptr);
    HEAP_UNLOCK();

    if (old) {                       /* a slab object: stay if it fits, else move */
        if (size == 0 || size > old) {
            void *q = size ? kmalloc_at(size, file, line) : NULL;
            if (q == NULL && size)
                return NULL;
            if (q)
                memcpy(q, ptr, old);
            kfree(ptr);
            return q;
        }
        return ptr;
    }
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
    if (slab_size(ptr)) {
        const char *why = slab_free(ptr);
        HEAP_UNLOCK();
        if (why)
            PANIC("kfree(%p): %s", ptr, why);
        return;
    }
    enum heap_error err = heap_free(&heap, ptr, &bad);
    HEAP_UNLOCK();

    if (err != HEAP_OK)
        heap_panic(err, ptr, bad);
}

void kheap_stats(struct kheap_stats *s)
{
    HEAP_LOCK();
    *s = (struct kheap_stats){heap.used_blocks, heap.used_bytes, heap.free_bytes,
                              (heap.brk - heap.base) / PAGE_SIZE, 0, 0};
    for (unsigned c = 0; c < SLAB_CLASSES; c++) {
        s->slab_objects += slab_count[c].objects;
        s->slab_pages += slab_count[c].pages;
    }
    HEAP_UNLOCK();
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
    for (unsigned c = 0; slab_on && c < SLAB_CLASSES; c++)
        kprintf("slab: %u-byte objects: %lu in use, %lu pages\n", 16u << c,
                slab_count[c].objects, slab_count[c].pages);
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
    slab_on = cmdline_get_int("slab", 0) != 0;
}
KINIT(40, heap_start);

MONITOR_COMMAND(heapinfo, "kernel heap: bytes in use and free, free blocks per bin, pages")
{
    (void)argc, (void)argv;
    kheap_print();
    return 0;
}
