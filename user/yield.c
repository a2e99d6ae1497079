/* yield.c - print a line, yield, N times (argv[1]). Lab 6 (given).
 * Around each sched_yield, xmm7 holds a value of this process's own: with
 * two of them taking turns, it comes back intact only if the kernel keeps
 * each process's x87/SSE registers apart (proc_switch_in, handout §3.2).
 * The C code is built without SSE, so nothing else touches xmm7. */
#include "ulib.h"

static void xmm7_set(uint64_t v)
{
    __asm__ volatile("movq %0, %%xmm7" : : "r"(v));
}

static uint64_t xmm7_get(void)
{
    uint64_t v;

    __asm__ volatile("movq %%xmm7, %0" : "=r"(v));
    return v;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 5, kept = 0;

    for (long i = 0; i < n; i++) {
        uint64_t mine = (uint64_t)getpid() << 32 | (uint64_t)i;
        printf("yield: pid %d step %ld\n", getpid(), i);
        xmm7_set(mine);
        sched_yield();
        kept += xmm7_get() == mine;
    }
    printf("yield: pid %d kept xmm7 across %ld of %ld yields\n", getpid(), kept, n);
    return 0;
}
