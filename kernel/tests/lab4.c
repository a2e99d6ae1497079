/* lab4.c - in-kernel tests for Lab 4, started by the graders with test=NAME.
 * Lab 4 (given: students do not need to change this file). Sizes, counts
 * and seeds come from the grader's command line. The heap_split,
 * heap_merge, heap_fit, heap_grow, heap_trim, heap_resize and heap_release
 * tests call the heap core directly, on blocks they lay out themselves, so
 * that each exercise is graded without the later ones; slab_small grades
 * challenge 1 (booted with slab=1). */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "cmdline.h"
#include "heap.h"
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

/* The edge sizes, then `extra` sizes drawn from seed (the grader's): each
 * block's address and whole size (from its header) are printed, for the
 * grader to check against the request, the heap's region and the other
 * blocks. */
#define BASIC_EDGES 10

/* heapinfo's counts: the blocks in use and the bytes asked for, for the
 * grader to check against the sizes it knows. */
static void print_in_use(const char *when)
{
    struct kheap_stats s;

    kheap_stats(&s);
    kprintf("heap_basic: in use %s: %lu blocks, %lu bytes\n", when, s.used_blocks, s.used_bytes);
}

#define BASIC_EXTRA_MAX 16

KTEST(heap_basic, "seed extra")
{
    size_t sizes[BASIC_EDGES + BASIC_EXTRA_MAX] = {1, 15, 16, 17, 41, 100, 1000, 4096, 10000,
                                                    65536};
    void *p[BASIC_EDGES + BASIC_EXTRA_MAX];
    int64_t extra = cmdline_get_int("extra", 0);

    need_heap();
    seed_from_cmdline();
    if (extra < 0 || extra > BASIC_EXTRA_MAX)
        ktest_fail("heap_basic: extra must be 0..%d", BASIC_EXTRA_MAX);
    print_in_use("at the start");
    size_t n = BASIC_EDGES + (size_t)extra;
    for (size_t i = BASIC_EDGES; i < n; i++)
        sizes[i] = 1 + rnd() % 20000;
    for (size_t i = 0; i < n; i++) {
        p[i] = kmalloc(sizes[i]);
        if (p[i] == NULL)
            ktest_fail("heap_basic: kmalloc(%zu) returned NULL", sizes[i]);
        fill(p[i], sizes[i], i);
        /* the whole block's size: its header's first word (heap.h) */
        uint64_t block = *(uint64_t *)((uintptr_t)p[i] - HEAP_HEADER) & ~(uint64_t)BLOCK_USED;
        kprintf("heap_basic: %zu bytes at %p (a block of %lu bytes)\n", sizes[i], p[i], block);
    }
    print_in_use("with all blocks");
    for (size_t i = 0; i < n; i++) {
        if (!intact(p[i], sizes[i], i))
            ktest_fail("heap_basic: the %zu-byte block lost its contents", sizes[i]);
        kfree(p[i]);
    }
    print_in_use("after freeing them");
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
    print_in_use("after krealloc to 20000");
    c = krealloc(c, 300);
    if (c == NULL || !intact(c, 300, 99))
        ktest_fail("heap_basic: krealloc to a smaller size lost the contents");
    print_in_use("after krealloc to 300");
    kfree(c);
    print_in_use("at the end");
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

/* With heapmax=... small, or with few frames, allocate until NULL; the
 * kernel must go on. */
KTEST(heap_oom, "size")
{
    int64_t size = cmdline_get_int("size", 2000);
    static void *p[20000];           /* static: the boot stack is only 16 KiB */
    int n = 0;
    uint64_t frames = pmm_free_frames();

    need_heap();
    while (n < 20000 && (p[n] = kmalloc((size_t)size)) != NULL)
        n++;
    kprintf("heap_oom: NULL after %d blocks of %ld bytes (heap pages %lu, free frames before "
            "%lu, now %lu)\n", n, size, heap_pages(), frames, pmm_free_frames());
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

/* footer=0 (the default): the byte just past the payload is written;
 * footer=1 or 2: one bit of the footer's size (1) or canary (2) is flipped,
 * the red zone left intact. */
KTEST(heap_overflow, "size footer")
{
    int64_t size = cmdline_get_int("size", 100), footer = cmdline_get_int("footer", 0);

    need_heap();
    char *p = kmalloc((size_t)size);                          /* the site the panic names */
    if (footer < 0 || footer > 2)
        ktest_fail("heap_overflow: footer must be 0..2");
    if (footer == 0) {
        kprintf("heap_overflow: writing byte %ld of a %ld-byte block\n", size, size);
        p[size] = 'x';
    } else {
        /* the footer: the last 16 bytes of the block, whose size is in the
         * header's first word (heap.h) */
        uint64_t block = *(uint64_t *)(p - HEAP_HEADER) & ~1ull;
        uint64_t *f = (uint64_t *)(p - HEAP_HEADER + block - HEAP_FOOTER);
        kprintf("heap_overflow: flipping a bit of the footer's %s of a %ld-byte block\n",
                footer == 1 ? "size" : "canary", size);
        f[footer - 1] ^= 1ull << (8 + size % 40);
    }
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

/* ---- exercises 1 and 3 alone: the heap core on blocks the test lays out ---- */

/* split_block, coalesce and release_block are static in heap.c, and kmalloc
 * reaches them only through heap_alloc (exercise 2). So this file compiles
 * a copy of heap.c (your code, the same as the kernel's) with its exported
 * names changed, so that the two copies do not clash, and calls them on
 * blocks laid out in an array of its own. */
#define fill core_fill               /* this file has a fill of its own */
#define heap_init core_heap_init
#define heap_alloc core_heap_alloc
#define heap_free core_heap_free
#define heap_realloc core_heap_realloc
#define heap_bin_of core_heap_bin_of
#define heap_bin_count core_heap_bin_count
#include "../mm/heap.c"
#undef fill
#undef heap_init
#undef heap_alloc
#undef heap_free
#undef heap_realloc
#undef heap_bin_of
#undef heap_bin_count

#define CORE_CASES 8

static uint8_t arena[1 << 20] __attribute__((aligned(HEAP_PAGE)));
static struct heap core;
static uintptr_t shrunk_to, grown_to;
static bool grow_fails;              /* the next arena_grow fails (no frames left) */

static bool arena_grow(struct heap *h, uintptr_t new_brk)
{
    (void)h;
    grown_to = new_brk;
    return !grow_fails && new_brk <= (uintptr_t)arena + sizeof arena;
}

static void arena_shrink(struct heap *h, uintptr_t new_brk)
{
    (void)h;
    shrunk_to = new_brk;
}

/* The comma-separated numbers of key (exactly n of them). */
static void cmdline_list(const char *key, int64_t *out, int n)
{
    const char *s = cmdline_get(key);
    char word[24];

    for (int i = 0; i < n; i++) {
        size_t len = 0;
        while (s && s[len] && s[len] != ',')
            len++;
        if (s == NULL || len == 0 || len >= sizeof word)
            ktest_fail("%s: %d comma-separated numbers expected", key, n);
        memcpy(word, s, len);
        word[len] = '\0';
        if (!parse_int(word, &out[i]))
            ktest_fail("%s: %s is not a number", key, word);
        s += len + (s[len] == ',');
    }
}

/* Blocks of sizes[i] bytes end to end from the arena's start, used or free
 * as used[i] says; the free ones in their bins, except block `loose`. */
static void lay_blocks(int n, const int64_t *sizes, const bool *used, int loose, struct block **b)
{
    uintptr_t a = (uintptr_t)arena;

    core_heap_init(&core, a, a + sizeof arena, arena_grow, arena_shrink);
    for (int i = 0; i < n; i++) {
        if (sizes[i] < HEAP_MIN_BLOCK || sizes[i] % HEAP_ALIGN || sizes[i] > (1 << 18))
            ktest_fail("block sizes must be multiples of %d, %d .. 2^18", HEAP_ALIGN,
                       HEAP_MIN_BLOCK);
        b[i] = (struct block *)a;
        set_block(b[i], (uint64_t)sizes[i], used[i]);
        a += (uint64_t)sizes[i];
    }
    core.brk = a;
    for (int i = 0; i < n; i++)
        if (!used[i] && i != loose)
            bin_insert(&core, b[i]);
}

/* Is b on the list of its bin? (At most 1000 steps: a broken list must not
 * hang the test.) */
static bool in_its_bin(const struct block *b)
{
    const struct block *f = core.bins[core_heap_bin_of(size_of(b))];

    for (int n = 0; f && n < 1000; f = f->next, n++)
        if (f == b)
            return true;
    return false;
}

/* Every block from the arena's start to brk as SIZE/used or SIZE/free,
 * "/bin" if it is in its bin, "/BAD-FOOTER" if its footer does not repeat
 * its size and canary; then the free byte count, and a complaint if the
 * nonempty bitmap disagrees with the bins. Stops at a size that cannot be
 * a block. */
static void print_layout(void)
{
    for (uintptr_t a = core.base; a < core.brk;) {
        const struct block *b = (const struct block *)a;
        uint64_t size = size_of(b);
        if (size < HEAP_MIN_BLOCK || size % HEAP_ALIGN || a + size > core.brk) {
            kprintf(" NOT-A-BLOCK(%lu bytes)", size);
            break;
        }
        const struct footer *f = footer_of(b);
        bool footer_ok = f->size == size && f->canary == (HEAP_CANARY ^ a) &&
                         b->canary == (HEAP_CANARY ^ a);
        kprintf(" %lu/%s%s%s", size, is_used(b) ? "used" : "free", in_its_bin(b) ? "/bin" : "",
                footer_ok ? "" : "/BAD-FOOTER");
        a += size;
    }
    bool bits_ok = true;             /* the nonempty bitmap says which bins have blocks */
    for (unsigned i = 0; i < HEAP_NBINS; i++)
        bits_ok &= !!(core.nonempty[i / 64] & (1ull << (i % 64))) == (core.bins[i] != NULL);
    kprintf("; free %lu%s\n", core.free_bytes, bits_ok ? "" : " (NONEMPTY BITMAP WRONG)");
}

/* split_block on a block of sizes[i] bytes (used or free as used[i] says,
 * in no bin) with a used block after it, to needs[i] bytes. */
KTEST(heap_split, "sizes needs used")
{
    int64_t sizes[CORE_CASES], needs[CORE_CASES], used[CORE_CASES];
    struct block *b[2];

    cmdline_list("sizes", sizes, CORE_CASES);
    cmdline_list("needs", needs, CORE_CASES);
    cmdline_list("used", used, CORE_CASES);
    for (int i = 0; i < CORE_CASES; i++) {
        int64_t layout[2] = {sizes[i], HEAP_MIN_BLOCK};
        bool states[2] = {used[i] != 0, true};
        if (needs[i] < HEAP_MIN_BLOCK || needs[i] % HEAP_ALIGN || needs[i] > sizes[i])
            ktest_fail("heap_split: need %ld does not fit a block of %ld", needs[i], sizes[i]);
        lay_blocks(2, layout, states, 0, b);
        split_block(&core, b[0], (uint64_t)needs[i]);
        kprintf("split %ld to %ld:", sizes[i], needs[i]);
        print_layout();
    }
}

/* coalesce on a free block in no bin, between neighbours the case says: a
 * free or used block before and after it, or none (the heap's start or
 * end). The cases' blocks have the sizes prev[i], block[i], next[i]; a
 * used block of 64 bytes stands at either end unless the case has none. */
KTEST(heap_merge, "prev block next")
{
    /* Per case: the state of the block before and after (0 used, 1 free,
     * -1 none). */
    static const int before[CORE_CASES] = {1, 1, 0, 0, -1, 1, -1, 0};
    static const int after[CORE_CASES] = {1, 0, 1, 0, 1, -1, -1, -1};
    int64_t prev[CORE_CASES], block[CORE_CASES], next[CORE_CASES];

    cmdline_list("prev", prev, CORE_CASES);
    cmdline_list("block", block, CORE_CASES);
    cmdline_list("next", next, CORE_CASES);
    for (int i = 0; i < CORE_CASES; i++) {
        int64_t sizes[5];
        bool used[5];
        struct block *b[5];
        int n = 0, target;
        if (before[i] >= 0) {
            sizes[n] = HEAP_MIN_BLOCK, used[n++] = true;
            sizes[n] = prev[i], used[n++] = before[i] == 0;
        }
        target = n;
        sizes[n] = block[i], used[n++] = false;
        if (after[i] >= 0) {
            sizes[n] = next[i], used[n++] = after[i] == 0;
            sizes[n] = HEAP_MIN_BLOCK, used[n++] = true;
        }
        lay_blocks(n, sizes, used, target, b);
        struct block *m = coalesce(&core, b[target]);
        kprintf("merge case %d: returned the block at offset %ld;", i,
                (long)((uintptr_t)m - core.base));
        print_layout();
    }
}

/* heap_free of a used block between used blocks (no merging needed), of a
 * big one at the end of the heap (its pages beyond 64 KiB given back), and
 * of a small one at the end (nothing to give back). */
KTEST(heap_release, "sizes requested")
{
    int64_t sizes[3], requested[3];
    static const int64_t fence = HEAP_MIN_BLOCK;

    cmdline_list("sizes", sizes, 3);
    cmdline_list("requested", requested, 3);
    for (int i = 0; i < 3; i++) {
        int64_t layout[3] = {fence, sizes[i], fence};
        bool used[3] = {true, true, true};
        struct block *b[3];
        const struct block *bad;
        if (requested[i] < 1 || requested[i] + HEAP_HEADER + HEAP_REDZONE + HEAP_FOOTER > sizes[i])
            ktest_fail("heap_release: %ld bytes do not fit a block of %ld", requested[i], sizes[i]);
        lay_blocks(i == 0 ? 3 : 2, layout, used, -1, b);
        b[1]->requested = (uint32_t)requested[i];
        core.used_blocks = 2;
        core_fill(payload_of(b[1]), 0x11, (uint64_t)requested[i]);
        core_fill(payload_of(b[1]) + requested[i], HEAP_POISON_RED,
                  (uintptr_t)footer_of(b[1]) - (uintptr_t)(payload_of(b[1]) + requested[i]));
        shrunk_to = 0;
        enum heap_error err = core_heap_free(&core, payload_of(b[1]), &bad);
        /* A free block's first 16 payload bytes are its bin links. */
        const uint8_t *p = payload_of(b[1]) + 16;
        bool poisoned = all_are(p, HEAP_POISON_FREE, (uintptr_t)footer_of(b[1]) - (uintptr_t)p);
        kprintf("release case %d: heap_free = %d, payload %s, brk at offset %lu, %s;", i, err,
                poisoned ? "poisoned" : "NOT poisoned", core.brk - core.base,
                shrunk_to ? "pages given back" : "nothing given back");
        print_layout();
    }
}

/* An offset in the arena, or "-" (printed as such) for NULL / not called. */
static void print_offset(const char *what, uintptr_t a)
{
    if (a)
        kprintf(" %s %lu,", what, a - core.base);
    else
        kprintf(" %s -,", what);
}

#define FIT_BLOCKS 8
#define FIT_TAKES 7

/* heap_bin_of for each of probes[]; then take_fit: free blocks of sizes[i]
 * bytes, each followed by a used 64-byte block, binned in order (so a
 * later block is ahead of an earlier one in a shared bin); then take_fit
 * for each of needs[] in turn. */
KTEST(heap_fit, "probes sizes needs")
{
    int64_t probes[FIT_BLOCKS], sizes[2 * FIT_BLOCKS], needs[FIT_TAKES];
    bool used[2 * FIT_BLOCKS];
    struct block *b[2 * FIT_BLOCKS];

    cmdline_list("probes", probes, FIT_BLOCKS);
    cmdline_list("sizes", sizes, FIT_BLOCKS);
    cmdline_list("needs", needs, FIT_TAKES);
    kprintf("fit bins:");
    for (int i = 0; i < FIT_BLOCKS; i++)
        kprintf(" %u", probes[i] >= HEAP_MIN_BLOCK ? core_heap_bin_of((uint64_t)probes[i]) : 0);
    kprintf("\n");
    for (int i = FIT_BLOCKS - 1; i >= 0; i--) {
        sizes[2 * i] = sizes[i], used[2 * i] = false;
        sizes[2 * i + 1] = HEAP_MIN_BLOCK, used[2 * i + 1] = true;
    }
    lay_blocks(2 * FIT_BLOCKS, sizes, used, -1, b);
    for (int j = 0; j < FIT_TAKES; j++) {
        if (needs[j] < HEAP_MIN_BLOCK || needs[j] % HEAP_ALIGN)
            ktest_fail("heap_fit: need %ld is not a block size", needs[j]);
        struct block *got = take_fit(&core, (uint64_t)needs[j]);
        kprintf("fit %d:", j);
        print_offset("took", (uintptr_t)got);
        print_layout();
    }
}

#define GROW_CASES 5

/* One line of a grow or trim case: what came back and what the heap's
 * callback was asked for (offsets from the heap's base), brk, the layout. */
static void print_case(const char *op, int i, const struct block *got, const char *asked,
                       uintptr_t value)
{
    kprintf("%s case %d:", op, i);
    print_offset("returned", (uintptr_t)got);
    print_offset(asked, value);
    kprintf(" brk at %lu;", core.brk - core.base);
    print_layout();
}

/* grow_heap at the end of a heap of two blocks, first[i] then last[i]
 * bytes, for need[i] bytes. Case 0: an empty heap; 1: both used; 2: the
 * last one free (in its bin); 3: as 2, with the limit one page above brk;
 * 4: as 2, with h->grow failing. */
KTEST(heap_grow, "first last need")
{
    int64_t first[GROW_CASES], last[GROW_CASES], need[GROW_CASES];

    cmdline_list("first", first, GROW_CASES);
    cmdline_list("last", last, GROW_CASES);
    cmdline_list("need", need, GROW_CASES);
    for (int i = 0; i < GROW_CASES; i++) {
        int64_t sizes[2] = {first[i], last[i]};
        bool used[2] = {true, i == 1};
        struct block *b[2];
        if (need[i] < HEAP_MIN_BLOCK || need[i] % HEAP_ALIGN || need[i] > (1 << 18))
            ktest_fail("heap_grow: need %ld is not a block size up to 2^18", need[i]);
        lay_blocks(i == 0 ? 0 : 2, sizes, used, -1, b);
        if (core.brk % HEAP_PAGE)
            ktest_fail("heap_grow: the blocks must end on a page boundary");
        if (i == 3)
            core.limit = core.brk + HEAP_PAGE;
        grow_fails = i == 4;
        grown_to = 0;
        struct block *got = grow_heap(&core, (uint64_t)need[i]);
        grow_fails = false;
        print_case("grow", i, got, "grow asked for", grown_to);
    }
}

#define TRIM_CASES 4

/* trim_top on a free block of size[i] bytes (in no bin) after a used block
 * of first[i] bytes; in case 2 a used 64-byte block follows it. */
KTEST(heap_trim, "first size")
{
    int64_t first[TRIM_CASES], size[TRIM_CASES];

    cmdline_list("first", first, TRIM_CASES);
    cmdline_list("size", size, TRIM_CASES);
    for (int i = 0; i < TRIM_CASES; i++) {
        int64_t sizes[3] = {first[i], size[i], HEAP_MIN_BLOCK};
        bool used[3] = {true, false, true};
        struct block *b[3];
        lay_blocks(i == 2 ? 3 : 2, sizes, used, 1, b);
        shrunk_to = 0;
        struct block *got = trim_top(&core, b[1]);
        print_case("trim", i, got, "shrink to", shrunk_to);
    }
}

#define RESIZE_CASES 10

/* resize_in_place on a used block of size[i] bytes after a used 64-byte
 * block, its payload filled with a pattern, to need[i] bytes. What follows
 * it (after[] below): a used block of next[i] bytes, a free one (in its
 * bin), or nothing (the block ends the heap); a used 64-byte block ends
 * the heap after a next block, except in case 8. */
KTEST(heap_resize, "size next need")
{
    /* 0 used next, 1 free next, -1 none; the cases as the grader knows them */
    static const int after[RESIZE_CASES] = {0, 1, 0, 1, 1, 1, 0, -1, 1, -1};
    int64_t size[RESIZE_CASES], next[RESIZE_CASES], need[RESIZE_CASES];

    cmdline_list("size", size, RESIZE_CASES);
    cmdline_list("next", next, RESIZE_CASES);
    cmdline_list("need", need, RESIZE_CASES);
    for (int i = 0; i < RESIZE_CASES; i++) {
        int64_t sizes[4] = {HEAP_MIN_BLOCK, size[i], next[i], HEAP_MIN_BLOCK};
        bool used[4] = {true, true, after[i] == 0, true};
        struct block *b[4];
        int n = after[i] < 0 ? 2 : i == 8 ? 3 : 4;
        if (need[i] < HEAP_MIN_BLOCK || need[i] % HEAP_ALIGN || need[i] > (1 << 18))
            ktest_fail("heap_resize: need %ld is not a block size up to 2^18", need[i]);
        lay_blocks(n, sizes, used, -1, b);
        uint64_t keep = (uint64_t)(size[i] < need[i] ? size[i] : need[i]) - HEAP_HEADER - HEAP_FOOTER;
        core_fill(payload_of(b[1]), 0x5A, (uint64_t)size[i] - HEAP_HEADER - HEAP_FOOTER);
        shrunk_to = grown_to = 0;
        bool ok = resize_in_place(&core, b[1], (uint64_t)need[i]);
        kprintf("resize case %d: %s, payload %s, brk at %lu;", i, ok ? "in place" : "cannot",
                all_are(payload_of(b[1]), 0x5A, keep) ? "kept" : "LOST", core.brk - core.base);
        print_layout();
    }
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
    unsigned span;                   /* sample_mixed's sizes: 16 .. 15 + span bytes */
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
        w->live[k] = wl_alloc(w, 16 + rnd() % w->span);
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
    struct workload k = {NULL, live_k, 200, 241}, n = {&naive, live_n, 200, 241};
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

/* Challenge 1: the same pairs with the slab cache on and off, in one boot;
 * the mixed row keeps 10,000 live blocks of 16-128 bytes. */
KBENCH(slab)
{
    static void *live[BENCH_LIVE];
    struct workload w = {NULL, live, 200, 113};
    uint64_t on[2], off[2];

    if (kernel_pml4 == NULL)
        return;
    bool was = kslab_enable(true);
    for (int pass = 0; pass < 2; pass++) {
        kslab_enable(pass == 0);
        uint64_t *cycles = pass == 0 ? on : off;
        cycles[0] = bench_median(sample_small, &w, 31);
        for (int i = 0; i < BENCH_LIVE; i++)
            live[i] = kmalloc(16 + rnd() % 113);
        cycles[1] = bench_median(sample_mixed, &w, 31);
        for (int i = 0; i < BENCH_LIVE; i++)
            kfree(live[i]);
    }
    kslab_enable(was);
    bench_row("kmalloc + kfree, 64 B, slab=1", on[0], "kmalloc + kfree, 64 B, heap", off[0]);
    bench_row("slab=1, 10k live, 16-128 B", on[1], "heap, 10k live, 16-128 B", off[1]);
}

/* ---- challenge 1: the slab cache (boot with slab=1) --------------------------- */

#define SLAB_TEST_MAX 400

/* count blocks of 1 + rnd() % 256 bytes (the grader knows the sizes from
 * the seed), each filled with its pattern; then the heap's and the slab's
 * figures; then every other one freed and allocated again, the first few
 * small ones moved by krealloc, all checked, all freed. */
KTEST(slab_small, "seed count")
{
    static struct {
        uint8_t *p;
        size_t size;
    } obj[SLAB_TEST_MAX];
    int64_t count = cmdline_get_int("count", 200);
    struct kheap_stats s0, s1, s2;
    uint64_t errors = 0, frames = pmm_free_frames();

    need_heap();
    seed_from_cmdline();
    if (count < 1 || count > SLAB_TEST_MAX)
        ktest_fail("slab_small: count must be 1..%d", SLAB_TEST_MAX);
    kheap_stats(&s0);
    for (int i = 0; i < count; i++) {
        obj[i].size = 1 + rnd() % 256;
        if ((obj[i].p = kmalloc(obj[i].size)) == NULL)
            ktest_fail("slab_small: out of memory");
        fill(obj[i].p, obj[i].size, (uint64_t)i);
        kprintf("slab: %zu bytes at %p\n", obj[i].size, obj[i].p);
    }
    kheap_stats(&s1);
    kprintf("slab_small: heap blocks in use %lu before, %lu after\n", s0.used_blocks,
            s1.used_blocks);
    kheap_print();
    for (int i = 0; i < count; i += 2) {
        errors += !intact(obj[i].p, obj[i].size, (uint64_t)i);
        kfree(obj[i].p);
    }
    for (int i = 0; i < count; i += 2) {
        if ((obj[i].p = kmalloc(obj[i].size)) == NULL)
            ktest_fail("slab_small: out of memory");
        fill(obj[i].p, obj[i].size, (uint64_t)i + 1000);
    }
    for (int i = 0, moved = 0; i < count && moved < 8; i++)
        if (obj[i].size <= 64) {             /* a small one to 64 bytes more, perhaps the heap */
            if ((obj[i].p = krealloc(obj[i].p, obj[i].size + 64)) == NULL)
                ktest_fail("slab_small: out of memory");
            errors += !intact(obj[i].p, obj[i].size, (uint64_t)i + (i % 2 ? 0 : 1000));
            fill(obj[i].p, obj[i].size += 64, (uint64_t)i + (i % 2 ? 0 : 1000));
            moved++;
        }
    for (int i = 0; i < count; i++) {
        errors += !intact(obj[i].p, obj[i].size, (uint64_t)i + (i % 2 ? 0 : 1000));
        kfree(obj[i].p);
    }
    kheap_stats(&s2);
    kprintf("slab_small: errors %lu; slab objects %lu, pages %lu at the end; free frames "
            "before %lu, after %lu\n", errors, s2.slab_objects, s2.slab_pages, frames,
            pmm_free_frames());
}
