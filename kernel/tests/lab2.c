/* lab2.c - in-kernel tests for Lab 2, started by the graders with test=NAME.
 * Lab 2 (given: students do not need to change this file). */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "cmdline.h"
#include "console.h"
#include "ktest.h"
#include "memlayout.h"
#include "pit.h"
#include "trap.h"
#include "x86.h"

static int64_t need_int(const char *key)
{
    if (cmdline_get(key) == NULL)
        ktest_fail("this test needs %s=... on the command line", key);
    return cmdline_get_int(key, 0);
}

/* int3 reports and resumes right after the instruction, at the label the
 * grader looks up in the symbol table. */
KTEST(int3, "")
{
    kprintf("int3: before\n");
    __asm__ volatile("int3\n"
                     ".globl ktest_int3_resume\n"
                     "ktest_int3_resume:");
    kprintf("int3: after\n");
}

KTEST(divzero, "")
{
    volatile int zero = 0;
    volatile int n = 42;

    kprintf("divzero: dividing by zero\n");
    n = n / zero;
    ktest_fail("divzero: the division did not fault");
}

KTEST(pagefault, "addr write")
{
    volatile uint64_t *p = (volatile uint64_t *)need_int("addr");

    kprintf("pagefault: %s %p\n", cmdline_get_int("write", 0) ? "writing" : "reading", (void *)p);
    if (cmdline_get_int("write", 0))
        *p = 1;
    else
        (void)*p;
    ktest_fail("pagefault: the access did not fault");
}

/* Load a selector whose index lies past the end of the GDT: #GP(selector). */
KTEST(gpf, "index")
{
    int64_t index = need_int("index");

    if (index < 8 || index > 8191)
        ktest_fail("gpf: index must be 8..8191 (past the GDT's 7 entries)");
    uint16_t selector = (uint16_t)(index << 3);
    kprintf("gpf: loading selector 0x%x into ds\n", selector);
    __asm__ volatile("mov %0, %%ds" : : "r"(selector));
    ktest_fail("gpf: the load did not fault");
}

/* Recurse on a stack at the very bottom of the direct map: physical
 * 0x1000-0x7000, free after boot, just above 0xFFFF800000000000. The
 * address below that is not canonical, so running off the end of the stack
 * faults, and the CPU cannot push the fault's frame on that stack either:
 * a double fault, which must run on its own IST stack. */
#define OVERFLOW_STACK_TOP (DIRECT_MAP_BASE + 0x7000)

#pragma GCC diagnostic ignored "-Winfinite-recursion"   /* that is the point */
__attribute__((noipa)) static uint64_t recurse(uint64_t depth)
{
    volatile uint64_t pad[32];   /* 256 bytes a frame: overflow sooner */

    pad[depth % 32] = depth;
    return recurse(depth + 1) + pad[depth % 32];
}

KTEST(stack_overflow, "")
{
    kprintf("stack_overflow: recursing on a 24 KiB stack\n");
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "xor %%edi, %%edi\n\t"
                     "call *%1"
                     :
                     : "r"(OVERFLOW_STACK_TOP), "r"(recurse)
                     : "memory");
    ktest_fail("stack_overflow: came back");
}

/* Print the tick count at two points n ticks apart: the grader times them. */
KTEST(timer, "ticks")
{
    int64_t n = need_int("ticks");

    if (n < 1 || n > 100000)
        ktest_fail("timer: ticks must be 1..100000");
    kprintf("timer: %u Hz\n", pit_hz());
    pit_wait_ticks(1);           /* start on a tick boundary */
    kprintf("timer: start at tick %lu\n", pit_ticks());
    pit_wait_ticks((uint64_t)n);
    kprintf("timer: end at tick %lu\n", pit_ticks());
}

/* Count interrupts per vector while the timer runs and a key is typed. */
KTEST(irqs, "")
{
    pit_wait_ticks(10);
    kprintf("irqs: press a key\n");
    while (trap_count(IRQ_BASE + 1) == 0)
        cpu_halt();
    pit_wait_ticks(2);
    for (unsigned v = 0; v < 256; v++)
        if (trap_count(v))
            kprintf("irqs: vector %u count %lu\n", v, trap_count(v));
}

/* A vector nobody uses and an IRQ vector with no handler, each twice. */
KTEST(bad_vectors, "")
{
    __asm__ volatile("int $0x90");
    __asm__ volatile("int $0x90");
    __asm__ volatile("int $0x23");   /* IRQ 3's vector: no handler */
    __asm__ volatile("int $0x23");
    kprintf("bad_vectors: still running\n");
}

/* ---- benchmarks ------------------------------------------------------------ */

uint64_t bench_sample_int(void *arg)
{
    uint64_t t = rdtsc();

    (void)arg;
    for (int i = 0; i < 200; i++)
        __asm__ volatile("int $0x31" ::: "memory");    /* VECTOR_BENCH */
    return (rdtsc() - t) / 200;
}

static void empty(void)
{
}

static uint64_t sample_call(void *arg)
{
    void (*volatile fn)(void) = arg;
    uint64_t t = rdtsc();

    for (int i = 0; i < 200; i++)
        fn();
    return (rdtsc() - t) / 200;
}

KBENCH(interrupt)
{
    bench_row("interrupt round trip (int, iretq)", bench_median(bench_sample_int, NULL, 31),
              "indirect call of an empty function", bench_median(sample_call, (void *)empty, 31));
}
