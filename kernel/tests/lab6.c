/* lab6.c - benchmarks for Lab 6. Lab 6 (given). The Lab 6 graders start
 * the user programs of user/ with init=... instead of in-kernel tests. */
#include "bench.h"
#include "kmalloc.h"
#include "proc.h"

/* benchpid measures in ring 3 and returns its median as the exit status. */
KBENCH(getpid)
{
    char *argv[] = {"benchpid"};
    struct proc *p = proc_spawn("benchpid", 1, argv);

    if (p == NULL)
        return;
    uint64_t ring3 = (uint64_t)thread_join(p->thread);
    kfree(p);
    bench_row("getpid from ring 3 (int 0x80)", ring3, "empty interrupt round trip, ring 0",
              bench_median(bench_sample_int, NULL, 31));
}
