/* lab4.c - in-kernel tests for Lab 4, started by the graders with test=NAME.
 * Lab 4 (given: students do not need to change this file). Sizes, counts
 * and seeds come from the grader's command line. */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "cmdline.h"
#include "console.h"
#include "kmalloc.h"
#include "memlayout.h"
#include "ktest.h"
#include "paging.h"
#include "pmm.h"
#include "string.h"
#include "x86.h"

static uint64_t rng_state = 1;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static void seed_from_cmdline(void)
{
    rng_state = (uint64_t)cmdline_get_int("seed", 1) | 1;
}

static uint64_t heap_pages(void)
{
    struct kheap_stats s;

    kheap_stats(&s);
    return s.pages;
}

static void need_heap(void)
{
    if (kernel_pml4 == NULL)
        ktest_fail("no kernel page tables, so no heap (finish Lab 3)");
}

/* The pattern word w of a block with this key; byte i of a block is byte
 * i % 8 of word i / 8, so any prefix of a block can be checked. */
static uint64_t pattern(uint64_t key, size_t w)
{
    return key ^ (w * 0x9E3779B97F4A7C15ull);
}

/* Fill n bytes with the pattern; check it. Whole words where possible:
 * byte loops are slow under emulation. */
static void fill(void *p, size_t n, uint64_t key)
{
    size_t i;

    for (i = 0; i < n / 8; i++)
        ((uint64_t *)p)[i] = pattern(key, i);
    for (i *= 8; i < n; i++)
        ((uint8_t *)p)[i] = (uint8_t)(pattern(key, i / 8) >> (8 * (i % 8)));
}

static bool intact(const void *p, size_t n, uint64_t key)
{
    size_t i;

    for (i = 0; i < n / 8; i++)
        if (((const uint64_t *)p)[i] != pattern(key, i))
            return false;
    for (i *= 8; i < n; i++)
        if (((const uint8_t *)p)[i] != (uint8_t)(pattern(key, i / 8) >> (8 * (i % 8))))
            return false;
    return true;
}

KTEST(heap_basic, "")
{
    static const size_t sizes[] = {1, 15, 16, 17, 100, 1000, 4096, 10000, 65536};
    void *p[sizeof sizes / sizeof sizes[0]];

    need_heap();
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        p[i] = kmalloc(sizes[i]);
        if (p[i] == NULL)
            ktest_fail("heap_basic: kmalloc(%zu) returned NULL", sizes[i]);
        fill(p[i], sizes[i], i);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (!intact(p[i], sizes[i], i))
            ktest_fail("heap_basic: the %zu-byte block lost its contents", sizes[i]);
        kfree(p[i]);
    }
    void *z1 = kmalloc(0), *z2 = kmalloc(0);
    if (z1 == NULL || z2 == NULL || z1 == z2)
        ktest_fail("heap_basic: kmalloc(0) must give distinct non-NULL pointers");
    kfree(z1);
    kfree(z2);
    kfree(NULL);
    uint8_t *c = kcalloc(100, 7);
    for (int i = 0; c && i < 700; i++)
        if (c[i])
            ktest_fail("heap_basic: kcalloc memory is not zeroed");
    if (c == NULL || kcalloc(SIZE_MAX / 2, 3) != NULL)
        ktest_fail("heap_basic: kcalloc(100, 7) failed, or kcalloc with an overflowing size did not");
    fill(c, 700, 99);
    c = krealloc(c, 20000);
    if (c == NULL || !intact(c, 700, 99))
        ktest_fail("heap_basic: krealloc lost the contents");
    c = krealloc(c, 300);
    if (c == NULL || !intact(c, 300, 99))
        ktest_fail("heap_basic: krealloc to a smaller size lost the contents");
    kfree(c);
    kprintf("heap_basic: all checks passed\n");
}

KTEST(heap_align, "seed count")
{
    int64_t count = cmdline_get_int("count", 100);
    void *p[200];

    need_heap();
    seed_from_cmdline();
    if (count < 1 || count > 200)
        ktest_fail("heap_align: count must be 1..200");
    for (int i = 0; i < count; i++) {
        size_t size = 1 + rnd() % 5000;
        p[i] = kmalloc(size);
        kprintf("align: %zu bytes at %p\n", size, p[i]);
    }
    for (int i = 0; i < count; i++)
        kfree(p[i]);
}

#define STRESS_SLOTS 1000

/* Random alloc/free/realloc of 1 B .. 64 KiB with checked contents. */
KTEST(heap_stress, "seed ops")
{
    static struct {
        uint8_t *p;
        size_t size;
        uint64_t key;
    } slot[STRESS_SLOTS];
    int64_t ops = cmdline_get_int("ops", 100000);
    uint64_t errors = 0, live = 0, peak = 0, before = pmm_free_frames();

    need_heap();
    seed_from_cmdline();
    for (int64_t op = 0; op < ops; op++) {
        unsigned i = (unsigned)(rnd() % STRESS_SLOTS);
        size_t size = rnd() % 10 ? 1 + rnd() % 256 : 1 + rnd() % 65536;
        uint64_t key = rnd();
        if (slot[i].p && !intact(slot[i].p, slot[i].size, slot[i].key))
            errors++;
        if (slot[i].p == NULL) {                     /* allocate */
            slot[i].p = kmalloc(size);
            live++;
        } else if (rnd() % 2) {                      /* free */
            kfree(slot[i].p);
            slot[i].p = NULL;
            live--;
            continue;
        } else {                                     /* resize, keeping the prefix */
            size_t keep = size < slot[i].size ? size : slot[i].size;
            slot[i].p = krealloc(slot[i].p, size);
            if (slot[i].p && !intact(slot[i].p, keep, slot[i].key))
                errors++;
        }
        if (slot[i].p == NULL)
            ktest_fail("heap_stress: out of memory at op %ld", op);
        slot[i].size = size;
        slot[i].key = key;
        fill(slot[i].p, size, key);
        peak = live > peak ? live : peak;
    }
    for (unsigned i = 0; i < STRESS_SLOTS; i++) {
        if (slot[i].p && !intact(slot[i].p, slot[i].size, slot[i].key))
            errors++;
        kfree(slot[i].p);
        slot[i].p = NULL;
    }
    kprintf("heap_stress: ops %ld, errors %lu, peak blocks %lu, heap pages %lu, "
            "free frames before %lu, after %lu\n", ops, errors, peak, heap_pages(), before,
            pmm_free_frames());
}

/* Fill the heap with count blocks of size bytes, free every other one, then
 * the rest: the holes must merge, so that one big block fits where they
 * were, without growing the heap. A last block pins the top of the heap. */
KTEST(heap_coalesce, "count size")
{
    int64_t count = cmdline_get_int("count", 300), size = cmdline_get_int("size", 200);
    static void *p[1000];

    need_heap();
    if (count < 2 || count > 1000 || size < 1 || size > 4096)
        ktest_fail("heap_coalesce: count 2..1000, size 1..4096");
    for (int i = 0; i < count; i++)
        if ((p[i] = kmalloc((size_t)size)) == NULL)
            ktest_fail("heap_coalesce: out of memory");
    void *pin = kmalloc(16);
    uint64_t pages = heap_pages();
    for (int i = 1; i < count; i += 2)
        kfree(p[i]);
    for (int i = 0; i < count; i += 2)
        kfree(p[i]);
    void *big = kmalloc((size_t)(count * size * 9 / 10));
    kprintf("heap_coalesce: heap pages %lu before, %lu after the big allocation; "
            "big block at %p, first block was at %p\n", pages, heap_pages(), big, p[0]);
    kfree(big);
    kfree(pin);
}

/* With heapmax=... small, allocate until NULL; the kernel must go on. */
KTEST(heap_oom, "size")
{
    int64_t size = cmdline_get_int("size", 2000);
    static void *p[20000];           /* static: the boot stack is only 16 KiB */
    int n = 0;

    need_heap();
    while (n < 20000 && (p[n] = kmalloc((size_t)size)) != NULL)
        n++;
    kprintf("heap_oom: NULL after %d blocks of %ld bytes (heap pages %lu)\n", n, size,
            heap_pages());
    while (n > 0)
        kfree(p[--n]);
    void *q = kmalloc((size_t)size);
    kprintf("heap_oom: after freeing, kmalloc %s\n", q ? "works again" : "STILL FAILS");
    kfree(q);
}

KTEST(heap_double_free, "size")
{
    need_heap();
    char *p = kmalloc((size_t)cmdline_get_int("size", 100));   /* the site the panic names */
    void *pin = kmalloc(16);         /* keeps p's memory in the heap once freed */
    (void)pin;
    kfree(p);
    kprintf("heap_double_free: freeing %p again\n", (void *)p);
    kfree(p);
    ktest_fail("heap_double_free: not detected");
}

KTEST(heap_overflow, "size")
{
    int64_t size = cmdline_get_int("size", 100);

    need_heap();
    char *p = kmalloc((size_t)size);                          /* the site the panic names */
    kprintf("heap_overflow: writing byte %ld of a %ld-byte block\n", size, size);
    p[size] = 'x';
    kfree(p);
    ktest_fail("heap_overflow: not detected");
}

/* Allocate a few MiB in blocks, free them: the frames all come back. */
KTEST(heap_frames, "seed count")
{
    int64_t count = cmdline_get_int("count", 500);
    uint64_t before = pmm_free_frames(), pages_before = heap_pages();
    static void *p[1000];

    need_heap();
    seed_from_cmdline();
    if (count < 1 || count > 1000)
        ktest_fail("heap_frames: count must be 1..1000");
    for (int i = 0; i < count; i++)
        if ((p[i] = kmalloc(1 + rnd() % 20000)) == NULL)
            ktest_fail("heap_frames: out of memory");
    uint64_t during = pmm_free_frames();
    for (int i = 0; i < count; i++)
        kfree(p[(i * 7919) % count]);   /* a scrambled order: 7919 is prime */
    kprintf("heap_frames: free frames before %lu, while allocated %lu, after %lu; "
            "heap pages before %lu, after %lu\n", before, during, pmm_free_frames(), pages_before,
            heap_pages());
}

/* ---- benchmarks: kmalloc against a naive first-fit allocator ---------------- */

/* The baseline: one arena, blocks with an 16-byte header (size | used) laid
 * end to end, searched from the start for the first free block that fits;
 * free merges only with the blocks after it. */
struct naive {
    uint8_t *arena;
    uint64_t size;
};

static void naive_init(struct naive *n, void *arena, uint64_t size)
{
    n->arena = arena;
    n->size = size;
    *(uint64_t *)arena = size;
}

static void *naive_alloc(struct naive *n, uint64_t bytes)
{
    uint64_t need = ((bytes + 15) & ~15ull) + 16;

    for (uint64_t off = 0; off < n->size;) {
        uint64_t *h = (uint64_t *)(n->arena + off), size = *h & ~1ull;
        if (!(*h & 1) && size >= need) {
            if (size - need >= 32) {
                *(uint64_t *)(n->arena + off + need) = size - need;
                size = need;
            }
            *h = size | 1;
            return h + 2;
        }
        off += size;
    }
    return NULL;
}

static void naive_free(struct naive *n, void *p)
{
    uint64_t *h = (uint64_t *)p - 2, size = *h & ~1ull;

    while ((uint8_t *)h + size < n->arena + n->size) {
        uint64_t next = *(uint64_t *)((uint8_t *)h + size);
        if (next & 1)
            break;
        size += next;
    }
    *h = size;
}

#define BENCH_LIVE 10000

struct workload {
    struct naive *naive;             /* NULL: kmalloc */
    void **live;
    unsigned ops;
};

static void *wl_alloc(struct workload *w, uint64_t size)
{
    return w->naive ? naive_alloc(w->naive, size) : kmalloc(size);
}

static void wl_free(struct workload *w, void *p)
{
    if (w->naive)
        naive_free(w->naive, p);
    else
        kfree(p);
}

static uint64_t sample_small(void *arg)
{
    struct workload *w = arg;
    uint64_t t = rdtsc();

    for (unsigned i = 0; i < w->ops; i++)
        wl_free(w, wl_alloc(w, 64));
    return (rdtsc() - t) / w->ops;
}

/* Replace a random one of BENCH_LIVE live blocks by one of a new size. */
static uint64_t sample_mixed(void *arg)
{
    struct workload *w = arg;
    uint64_t t = rdtsc();

    for (unsigned i = 0; i < w->ops; i++) {
        unsigned k = (unsigned)(rnd() % BENCH_LIVE);
        wl_free(w, w->live[k]);
        w->live[k] = wl_alloc(w, 16 + rnd() % 241);
    }
    return (rdtsc() - t) / w->ops;
}

KBENCH(heap)
{
    static void *live_k[BENCH_LIVE], *live_n[BENCH_LIVE];
    struct naive naive;
    uint64_t arena = pmm_alloc(10);                  /* 4 MiB for the baseline */

    if (kernel_pml4 == NULL || arena == 0)
        return;
    naive_init(&naive, phys_to_virt(arena), PAGE_SIZE << 10);
    struct workload k = {NULL, live_k, 200}, n = {&naive, live_n, 200};
    bench_row("kmalloc + kfree, 64 bytes", bench_median(sample_small, &k, 31),
              "first-fit alloc + free, 64 bytes", bench_median(sample_small, &n, 31));
    for (int i = 0; i < BENCH_LIVE; i++) {
        live_k[i] = kmalloc(16 + rnd() % 241);
        live_n[i] = naive_alloc(&naive, 16 + rnd() % 241);
    }
    n.ops = 20;                                      /* it is slow: fewer per sample */
    bench_row("kmalloc + kfree, 10k live, 16-256 B", bench_median(sample_mixed, &k, 31),
              "first-fit, 10k live, 16-256 B", bench_median(sample_mixed, &n, 15));
    for (int i = 0; i < BENCH_LIVE; i++)
        kfree(live_k[i]);
    pmm_free(arena);
}
