/* lab10.c - Lab 10's benchmark: a system call through the syscall
 * instruction against one through int 0x80, both from ring 3 (benchpid
 * measures in ring 3 and returns its median as its exit status). */
#include "bench.h"
#include "proc.h"

/* benchpid's median, run as `benchpid [mode]`; 0 if it could not start. */
static uint64_t ring3_getpid(char *mode)
{
    char *argv[] = {"benchpid", mode};
    struct proc *p = proc_spawn("benchpid", mode ? 2 : 1, argv);

    return p ? (uint64_t)proc_reap(p) : 0;
}

KBENCH(syscall_getpid)
{
    bench_row("getpid from ring 3 (syscall)", ring3_getpid("syscall"),
              "getpid from ring 3 (int 0x80)", ring3_getpid(NULL));
}
