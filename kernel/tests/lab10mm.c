/* lab10mm.c - in-kernel tests of Lab 10's exercise 3 (mmap.c), given. They
 * call the exercise's functions directly, without a process, so that
 * exercise 3 is graded alone, and judge it by what the lists and page
 * tables hold:
 *     test=mmap_list seed=S ops=N
 * N operations drawn from S (xorshift64, as the grader draws them) on a
 * region list over a window of LIST_WINDOW pages: MAP_FIXED-like
 * remove-then-add, removals, and finds whose gap is then added; then the
 * list filled to MMAP_MAX_REGIONS, where an add or a split must fail and
 * change nothing, and whose neighbour in memory must stay untouched; then
 * a few fixed steps at the list's top end, with stale regions left in the
 * slots past n that a solution reading past n would take for real ones.
 * Each step prints its results and the whole list, in
 * page numbers from the window's start, for the grader to compare with its
 * own model.
 *     test=mmap_pages pages=P from=A to=B cut=C word=W
 * mmap_map, mmap_protect and mmap_unmap on a made-up address space:
 * zeroed pages with the right bits, mprotect of pages A..B-1, PROT_NONE,
 * a hole, pages shared as fork shares them (as_copy_cow) staying
 * copy-on-write when made writable again, page C unmapped (the region
 * splits, one frame back), the undo of a mapping the full list refuses,
 * mappings with no frame free (page tables there) and with one (the page
 * gets it, its page table cannot), and every frame back at the end. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "console.h"
#include "ktest.h"
#include "memlayout.h"
#include "mmap.h"
#include "paging.h"
#include "pmm.h"
#include "printf.h"
#include "proc.h"
#include "string.h"

#define LIST_BASE   0x10000000ull    /* page 0 of mmap_list's window */
#define LIST_WINDOW 1100             /* its pages: room for MMAP_MAX_REGIONS regions of 3 */
#define PAGES_BASE  0x00007f0000000000ull   /* mmap_pages's mapping: 2 MiB-aligned */
#define PAGES_MAX   64

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t page_at(uint64_t base, uint64_t i)
{
    return base + i * PAGE_SIZE;
}

/* The list's regions as "START-END" page numbers from base ([START, END)),
 * then the end of the line. */
static void print_regions(const struct mmap_list *l, uint64_t base)
{
    int n = l->n < 0 ? 0 : l->n > MMAP_MAX_REGIONS ? MMAP_MAX_REGIONS : l->n;

    if (n == 0)
        kprintf(" none");
    for (int i = 0; i < n; i++)
        kprintf(" %ld-%ld", (long)(l->r[i].start - base) / (long)PAGE_SIZE,
                (long)(l->r[i].end - base) / (long)PAGE_SIZE);
    kprintf("\n");
}

/* ---- test=mmap_list ------------------------------------------------------------ */

/* One drawn operation k on l (the grader draws the same). */
static void list_op(struct mmap_list *l, int k)
{
    unsigned kind = rnd() % 3;

    if (kind == 2) {                             /* find len pages in [lo, hi), add it */
        uint64_t len = 1 + rnd() % 16, lo = rnd() % (LIST_WINDOW / 2);
        uint64_t hi = LIST_WINDOW / 2 + rnd() % (LIST_WINDOW / 2 + 1);
        uint64_t a = mmap_list_find(l, len * PAGE_SIZE, page_at(LIST_BASE, lo),
                                    page_at(LIST_BASE, hi));
        int err = a ? mmap_list_add(l, a, a + len * PAGE_SIZE) : 1;
        kprintf("mmap_list: %d: find %lu in %lu-%lu: %ld, add %d:", k, len, lo, hi,
                a ? (long)(a - LIST_BASE) / (long)PAGE_SIZE : -1L, err);
    } else {                                     /* remove [s, e); fixed: add it back */
        uint64_t s = rnd() % LIST_WINDOW, e = s + 1 + rnd() % 24;
        if (e > LIST_WINDOW)
            e = LIST_WINDOW;
        int removed = mmap_list_remove(l, page_at(LIST_BASE, s), page_at(LIST_BASE, e));
        if (kind == 1)
            kprintf("mmap_list: %d: remove %lu-%lu: %d:", k, s, e, removed);
        else
            kprintf("mmap_list: %d: fixed %lu-%lu: %d %d:", k, s, e, removed,
                    removed ? 1 : mmap_list_add(l, page_at(LIST_BASE, s), page_at(LIST_BASE, e)));
    }
    print_regions(l, LIST_BASE);
}

/* Is l as it was (snapshot)? */
static bool list_same(const struct mmap_list *l, const struct mmap_list *snapshot)
{
    return l->n == snapshot->n && memcmp(l->r, snapshot->r, sizeof l->r) == 0;
}

/* The top-end steps: {add (1) or remove (0), start page, end page}. Each
 * removal of the last region leaves it stale in slot n, and the next add
 * touches it (from above, from below, from below while joining r[n - 1]),
 * where a look past n would grow it; the last add joins the last two, and
 * two removals cut a region exactly at its start and at its end. Then two
 * finds {len, lo, hi}: one where no gap is long enough, though the lowest
 * is not empty, and one that fits only at the top. */
static const uint64_t top_end_steps[][3] = {
    {1, 10, 12}, {1, 20, 22}, {0, 20, 22}, {1, 22, 24}, {0, 22, 24}, {1, 20, 22},
    {0, 20, 22}, {1, 12, 20}, {1, 22, 26}, {1, 20, 22}, {0, 10, 12}, {0, 24, 26},
};
static const uint64_t top_end_finds[][3] = {{3, 10, 26}, {2, 10, 26}};

static void list_top_end(struct mmap_list *l)
{
    memset(l, 0, sizeof *l);
    for (size_t k = 0; k < sizeof top_end_steps / sizeof top_end_steps[0]; k++) {
        const uint64_t *step = top_end_steps[k];
        uint64_t s = page_at(LIST_BASE, step[1]), e = page_at(LIST_BASE, step[2]);
        int err = step[0] ? mmap_list_add(l, s, e) : mmap_list_remove(l, s, e);
        kprintf("mmap_list: top end: %s %lu-%lu: %d:", step[0] ? "add" : "remove",
                step[1], step[2], err);
        print_regions(l, LIST_BASE);
    }
    kprintf("mmap_list: top end: finds:");
    for (size_t k = 0; k < sizeof top_end_finds / sizeof top_end_finds[0]; k++) {
        const uint64_t *f = top_end_finds[k];
        uint64_t a = mmap_list_find(l, f[0] * PAGE_SIZE, page_at(LIST_BASE, f[1]),
                                    page_at(LIST_BASE, f[2]));
        kprintf("%s %lu in %lu-%lu: %ld", k ? "," : "", f[0], f[1], f[2],
                a ? (long)(a - LIST_BASE) / (long)PAGE_SIZE : -1L);
    }
    kprintf("\n");
}

/* What lies past the full list: a different word in each slot, so that a
 * move of too many slots cannot put back what it overwrote. */
#define GUARD(i) (0x6775617264000000ull + (i))

KTEST(mmap_list, "seed ops")
{
    /* 4 KiB each: not on the kernel stack; l's neighbour in memory is a
     * guard that the full list's moves must not reach. */
    static struct { struct mmap_list l; uint64_t guard[32]; } guarded;
    static struct mmap_list snapshot;
    struct mmap_list *const lp = &guarded.l;
    int64_t ops = cmdline_get_int("ops", 40);
    int added = 0, err;

    rng_state = (uint64_t)cmdline_get_int("seed", 1) | 1;
    if (ops < 1 || ops > 400)
        ktest_fail("mmap_list: ops must be 1..400");
    memset(lp, 0, sizeof *lp);
    for (int k = 0; k < ops; k++)
        list_op(lp, k);

    /* Full: regions of 3 pages 4 apart, until an add is refused. */
    memset(lp, 0, sizeof *lp);
    for (size_t i = 0; i < sizeof guarded.guard / sizeof guarded.guard[0]; i++)
        guarded.guard[i] = GUARD(i);
    do {
        err = mmap_list_add(lp, page_at(LIST_BASE, 4 * added), page_at(LIST_BASE, 4 * added + 3));
    } while (err == 0 && ++added <= MMAP_MAX_REGIONS);
    kprintf("mmap_list: full: %d added, then %d:", added, err);
    print_regions(lp, LIST_BASE);
    snapshot = *lp;
    err = mmap_list_remove(lp, page_at(LIST_BASE, 21), page_at(LIST_BASE, 22));
    kprintf("mmap_list: full: remove 21-22 (a split): %d, unchanged %s\n", err,
            list_same(lp, &snapshot) ? "yes" : "no");
    err = mmap_list_add(lp, page_at(LIST_BASE, 1097), page_at(LIST_BASE, 1099));
    kprintf("mmap_list: full: add 1097-1099: %d, unchanged %s\n", err,
            list_same(lp, &snapshot) ? "yes" : "no");
    err = mmap_list_add(lp, page_at(LIST_BASE, 31), page_at(LIST_BASE, 32));
    kprintf("mmap_list: full: add 31-32 (joins two): %d:", err);
    print_regions(lp, LIST_BASE);
    err = mmap_list_remove(lp, page_at(LIST_BASE, 21), page_at(LIST_BASE, 22));
    kprintf("mmap_list: full: remove 21-22 again: %d:", err);
    print_regions(lp, LIST_BASE);
    err = mmap_list_remove(lp, page_at(LIST_BASE, 41), page_at(LIST_BASE, 82));
    kprintf("mmap_list: full: remove 41-82: %d:", err);
    print_regions(lp, LIST_BASE);
    static const uint64_t finds[][2] = {{3, 40}, {3, 44}, {2, LIST_WINDOW}};   /* len, hi */
    kprintf("mmap_list: full: finds in 0-HI:");
    for (size_t i = 0; i < sizeof finds / sizeof finds[0]; i++) {
        uint64_t a = mmap_list_find(lp, finds[i][0] * PAGE_SIZE, LIST_BASE,
                                    page_at(LIST_BASE, finds[i][1]));
        kprintf("%s %lu in 0-%lu: %ld", i ? "," : "", finds[i][0], finds[i][1],
                a ? (long)(a - LIST_BASE) / (long)PAGE_SIZE : -1L);
    }
    kprintf("\n");
    bool untouched = true;
    for (size_t i = 0; i < sizeof guarded.guard / sizeof guarded.guard[0]; i++)
        untouched = untouched && guarded.guard[i] == GUARD(i);
    kprintf("mmap_list: full: the memory past the list: %s\n",
            untouched ? "untouched" : "overwritten");

    list_top_end(lp);
}

/* ---- test=mmap_pages ----------------------------------------------------------- */

/* How many of pages [from, to) at base of space are present, and of
 * those how many have each of the bits of want (PTE_W, PTE_COW, PTE_U). */
struct page_counts {
    uint64_t present, writable, cow, user, nx;
};

static struct page_counts count_pages_at(pte_t *space, uint64_t base, uint64_t from, uint64_t to)
{
    struct page_counts c = {0};

    for (uint64_t i = from; i < to; i++) {
        uint64_t flags;
        if (!vmm_translate(space, page_at(base, i), NULL, &flags))
            continue;
        c.present++;
        c.writable += (flags & PTE_W) != 0;
        c.cow += (flags & PTE_COW) != 0;
        c.user += (flags & PTE_U) != 0;
        c.nx += (flags & PTE_NX) != 0;
    }
    return c;
}

static struct page_counts count_pages(pte_t *space, uint64_t from, uint64_t to)
{
    return count_pages_at(space, PAGES_BASE, from, to);
}

/* Does every present page of [0, n) read word (zero: only zeroes)? */
static bool pages_hold(pte_t *space, uint64_t n, const char *word)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t pa;
        if (!vmm_translate(space, page_at(PAGES_BASE, i), &pa, NULL))
            continue;
        const char *page = phys_to_virt(pa & ~(PAGE_SIZE - 1));
        if (word ? strcmp(page, word) != 0 : memcmp(page, page + 1, PAGE_SIZE - 1) || page[0])
            return false;
    }
    return true;
}

static void write_word(pte_t *space, uint64_t n, const char *word)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t pa;
        if (vmm_translate(space, page_at(PAGES_BASE, i), &pa, NULL))
            strlcpy(phys_to_virt(pa & ~(PAGE_SIZE - 1)), word, PAGE_SIZE);
    }
}

/* Take frames until only keep are free; they are chained through their
 * first words. Returns the chain for give_back. */
static uint64_t take_frames_but(uint64_t keep)
{
    uint64_t chain = 0, pa;

    while (pmm_free_frames() > keep && (pa = pmm_alloc(0)) != 0) {
        *(uint64_t *)phys_to_virt(pa) = chain;
        chain = pa;
    }
    return chain;
}

static void give_back(uint64_t chain)
{
    while (chain != 0) {
        uint64_t next = *(uint64_t *)phys_to_virt(chain);
        pmm_free(chain);
        chain = next;
    }
}

/* mmap_map of pages [0, n) from base with only keep frames free: it must
 * fail and leave no page and no frame behind. */
static void map_starved(pte_t *space, struct mmap_list *l, uint64_t base, uint64_t n,
                        uint64_t keep, const char *where)
{
    uint64_t chain = take_frames_but(keep), before = pmm_free_frames();
    int err = mmap_map(space, l, base, page_at(base, n), VM_USER | VM_WRITE);
    long kept = (long)(before - pmm_free_frames());
    struct page_counts c = count_pages_at(space, base, 0, n);

    give_back(chain);
    kprintf("mmap_pages: map with %lu frames free (%s): %d, present %lu, frames kept %ld, "
            "regions %d\n", keep, where, err, c.present, kept, l->n);
}

KTEST(mmap_pages, "pages from to cut word")
{
    static struct mmap_list l, full, anchor;
    int64_t n = cmdline_get_int("pages", 8), from = cmdline_get_int("from", 1);
    int64_t to = cmdline_get_int("to", 3), cut = cmdline_get_int("cut", 4);
    const char *word = cmdline_get("word");
    uint64_t free0 = pmm_free_frames(), end = page_at(PAGES_BASE, (uint64_t)n);
    unsigned rw = VM_USER | VM_WRITE;

    if (word == NULL || n < 4 || n > PAGES_MAX || from < 1 || from >= to || to >= n ||
        cut < 1 || cut >= n - 1)
        ktest_fail("mmap_pages: needs pages=4..%d, 1 <= from < to < pages, 1 <= cut < pages - 1, "
                   "word=W", PAGES_MAX);
    pte_t *space = as_create(), *child = as_create();
    if (space == NULL || child == NULL)
        ktest_fail("mmap_pages: out of memory");
    memset(&l, 0, sizeof l);
    uint64_t dirty[PAGES_MAX + 8];               /* frames full of 0xA5, given back: the */
    for (int i = 0; i < PAGES_MAX + 8; i++)      /* mapping must zero what it gets */
        if ((dirty[i] = pmm_alloc(0)) != 0)
            memset(phys_to_virt(dirty[i]), 0xA5, PAGE_SIZE);
    for (int i = PAGES_MAX + 7; i >= 0; i--)
        if (dirty[i])
            pmm_free(dirty[i]);

    int err = mmap_map(space, &l, PAGES_BASE, end, rw);
    struct page_counts c = count_pages(space, 0, (uint64_t)n);
    kprintf("mmap_pages: map %ld pages: %d, present %lu, user %lu, writable %lu, no-execute %lu, "
            "zeroed %s:", n, err, c.present, c.user, c.writable, c.nx,
            pages_hold(space, (uint64_t)n, NULL) ? "yes" : "no");
    print_regions(&l, PAGES_BASE);
    write_word(space, (uint64_t)n, word);

    err = mmap_protect(space, page_at(PAGES_BASE, (uint64_t)from), page_at(PAGES_BASE, (uint64_t)to),
                       VM_USER);
    c = count_pages(space, 0, (uint64_t)n);
    struct page_counts in = count_pages(space, (uint64_t)from, (uint64_t)to);
    kprintf("mmap_pages: read-only %ld-%ld: %d, writable %lu (%lu of them inside), user %lu, "
            "words kept %s\n", from, to, err, c.writable, in.writable, c.user,
            pages_hold(space, (uint64_t)n, word) ? "yes" : "no");
    err = mmap_protect(space, PAGES_BASE, page_at(PAGES_BASE, 1), 0);
    c = count_pages(space, 0, 1);
    kprintf("mmap_pages: PROT_NONE page 0: %d, present %lu, user %lu, writable %lu\n", err,
            c.present, c.user, c.writable);
    err = mmap_protect(space, page_at(PAGES_BASE, (uint64_t)n - 1), end + PAGE_SIZE, VM_USER);
    c = count_pages(space, (uint64_t)n - 1, (uint64_t)n);
    kprintf("mmap_pages: read-only over the last page and a hole: %d, last page writable %lu\n",
            err, c.writable);

    /* As fork shares them: every page read-only, and copy-on-write where it was writable. */
    err = mmap_protect(space, PAGES_BASE, end, rw) | as_copy_cow(space, child);
    c = count_pages(space, 0, (uint64_t)n);
    kprintf("mmap_pages: shared: %d, writable %lu, COW %lu\n", err, c.writable, c.cow);
    err = mmap_protect(space, PAGES_BASE, end, VM_USER);
    c = count_pages(space, 0, (uint64_t)n);
    kprintf("mmap_pages: shared, read-only: %d, writable %lu, COW %lu\n", err, c.writable, c.cow);
    err = mmap_protect(space, PAGES_BASE, end, rw);
    c = count_pages(space, 0, (uint64_t)n);
    kprintf("mmap_pages: shared, read-write: %d, writable %lu, COW %lu, user %lu\n", err,
            c.writable, c.cow, c.user);
    err = cow_break(space, PAGES_BASE);
    c = count_pages(space, 0, 1);
    kprintf("mmap_pages: the first write to page 0: %d, writable %lu, COW %lu, word kept %s\n",
            err, c.writable, c.cow, pages_hold(space, 1, word) ? "yes" : "no");
    as_destroy(child);
    err = mmap_protect(space, PAGES_BASE, end, rw);
    c = count_pages(space, 0, (uint64_t)n);
    kprintf("mmap_pages: not shared any more, read-write: %d, writable %lu, COW %lu\n", err,
            c.writable, c.cow);

    uint64_t before = pmm_free_frames();
    err = mmap_unmap(space, &l, page_at(PAGES_BASE, (uint64_t)cut), page_at(PAGES_BASE, (uint64_t)cut + 1));
    c = count_pages(space, 0, (uint64_t)n);
    kprintf("mmap_pages: unmap page %ld: %d, present %lu, frames back %ld, page %ld present %s:",
            cut, err, c.present, (long)(pmm_free_frames() - before), cut,
            count_pages(space, (uint64_t)cut, (uint64_t)cut + 1).present ? "yes" : "no");
    print_regions(&l, PAGES_BASE);
    err = mmap_unmap(space, &l, PAGES_BASE, end + 4 * PAGE_SIZE);
    c = count_pages(space, 0, (uint64_t)n);
    kprintf("mmap_pages: unmap all and beyond: %d, present %lu:", err, c.present);
    print_regions(&l, PAGES_BASE);

    /* A list with no slot left: the mapping must be undone whole. */
    memset(&full, 0, sizeof full);
    for (int i = 0; i < MMAP_MAX_REGIONS; i++)
        full.r[i] = (struct mmap_region){page_at(LIST_BASE, 2 * i), page_at(LIST_BASE, 2 * i + 1)};
    full.n = MMAP_MAX_REGIONS;
    before = pmm_free_frames();
    err = mmap_map(space, &full, PAGES_BASE, end, rw);
    kprintf("mmap_pages: map with the list full: %d, present %lu, regions %d, frames kept %ld\n",
            err, count_pages(space, 0, (uint64_t)n).present, full.n,
            (long)(before - pmm_free_frames()));

    /* Out of frames: where the page tables are there (a page mapped just
     * above keeps them), and where the first page needs new ones. */
    memset(&anchor, 0, sizeof anchor);
    err = mmap_map(space, &anchor, page_at(PAGES_BASE, PAGES_MAX),
                   page_at(PAGES_BASE, PAGES_MAX + 1), rw);
    if (err != 0)
        ktest_fail("mmap_pages: mmap_map of one page: %d", err);
    map_starved(space, &l, PAGES_BASE, (uint64_t)n, 0, "page tables there");
    map_starved(space, &l, PAGES_BASE + (1ull << 30), (uint64_t)n, 1, "new page tables needed");
    as_destroy(space);
    kprintf("mmap_pages: every frame back: %s\n", pmm_free_frames() == free0 ? "yes" : "no");
}
