/* lab7.c - benchmarks for Lab 7. Lab 7 (given). Lab 7's graders start the
 * user programs of user/ with init=...; this file only adds `make bench`'s
 * rows: fork with copy-on-write against the eager copy, a pipe's throughput
 * against memcpy, a ping-pong through two pipes against a sched_yield
 * round trip. The benchproc program measures each in ring 3. */
#include <stdbool.h>
#include <stdint.h>

#include "bench.h"
#include "console.h"
#include "printf.h"
#include "proc.h"

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
