/* lab7.c - in-kernel tests and benchmarks for Lab 7. Lab 7 (given). The
 * Lab 7 graders run the programs of user/ with init=...; the test here
 * calls exercise 1's code directly, on made-up address spaces, so that
 * copy-on-write is judged from the page tables as well as from what
 * programs see:
 *     test=cow_break owners=K word=W
 * shares a page holding W with K more owners, then breaks the copy-on-write
 * K + 1 times, as each owner writing would, and prints what it found; then
 * frees the address spaces (as_destroy, frame_release) and says whether
 * every frame came back. The benchmarks add `make bench`'s rows: fork with
 * copy-on-write against the eager copy, a pipe's throughput against
 * memcpy, a ping-pong through two pipes against a sched_yield round trip;
 * the benchproc program measures each in ring 3. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "cmdline.h"
#include "console.h"
#include "frameref.h"
#include "ktest.h"
#include "memlayout.h"
#include "paging.h"
#include "pmm.h"
#include "printf.h"
#include "proc.h"
#include "string.h"

#define VA 0x400000ull               /* where the made-up page is mapped */

KTEST(cow_break, "owners word")
{
    int64_t owners = cmdline_get_int("owners", 2);
    const char *word = cmdline_get("word");
    uint64_t free_at_start = pmm_free_frames(), pa = pmm_alloc_zeroed(), free_before;

    if (word == NULL || owners < 1 || owners > 100 || pa == 0)
        ktest_fail("cow_break: needs owners=1..100 word=W and a frame");
    strlcpy(phys_to_virt(pa), word, PAGE_SIZE);
    pte_t *spaces[101];
    for (int i = 0; i <= owners; i++) {          /* owner 0 and owners more, as fork makes */
        spaces[i] = as_create();
        if (spaces[i] == NULL || vmm_map(spaces[i], VA, pa, VM_USER) != 0)
            ktest_fail("cow_break: out of memory");
        *pt_walk(spaces[i], VA, 0, false) |= PTE_COW;
        if (i > 0)
            frame_share(pa);
    }
    kprintf("cow_break: %u owners\n", frame_owners(pa));
    free_before = pmm_free_frames();
    for (int i = 0; i <= owners; i++) {
        int err = cow_break(spaces[i], VA);
        uint64_t got, flags;
        vmm_translate(spaces[i], VA, &got, &flags);
        kprintf("cow_break: owner %d: %d, %s frame, %s, %s, reads '%s', frames used %lu\n", i,
                err, got == pa ? "the same" : "a new", flags & PTE_W ? "writable" : "read-only",
                flags & PTE_COW ? "still COW" : "not COW", (char *)phys_to_virt(got),
                free_before - pmm_free_frames());
    }
    for (int i = 0; i <= owners; i++)
        as_destroy(spaces[i]);
    kprintf("cow_break: every frame back: %s\n", pmm_free_frames() == free_at_start ? "yes" : "no");
}

/* ---- benchmarks ---------------------------------------------------------- */

/* Run `benchproc mode` to its end: the median it measured (its exit()
 * argument), or -1 if it failed (its own line in the serial log says why)
 * or did not start. Without the lines "benchproc: exit(0)" of its
 * children, which would be timed. */
static int64_t benchproc(const char *mode)
{
    char *argv[] = {"benchproc", (char *)mode};
    bool report = proc_report;

    proc_report = false;
    struct proc *p = proc_spawn("benchproc", 2, argv);
    int value = p ? proc_reap(p) : -1;
    proc_report = report;
    if (value < 0)
        kprintf("bench: benchproc %s failed\n", mode);
    return value;
}

/* Both figures of one row come from the same boot; none if either failed. */
static void row(const char *what, int64_t cycles, const char *baseline, int64_t base_cycles)
{
    if (cycles >= 0 && base_cycles >= 0)
        bench_row(what, (uint64_t)cycles, baseline, (uint64_t)base_cycles);
}

/* One KBENCH, so that the rows come in this order, each program run in
 * turn. The eager row sets fork_eager for its one run: no other fork
 * happens meanwhile (the benchmarks run alone), and fork is COW again after. */
KBENCH(processes)
{
    int64_t cow = benchproc("fork");
    fork_eager = true;
    int64_t eager = benchproc("fork");
    fork_eager = false;
    row("fork+exit+wait, 1 MiB touched, COW", cow, "the same, eager copy", eager);

    int64_t pipe = benchproc("pipe"), copy = benchproc("memcpy");
    row("pipe, 1 MiB, 2 processes, per KiB", pipe, "memcpy of 1 MiB, per KiB", copy);

    int64_t pingpong = benchproc("pingpong"), yield = benchproc("yield");
    row("pipe ping-pong round trip", pingpong, "sched_yield round trip, 2 processes", yield);
}
