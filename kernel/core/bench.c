/* bench.c - run the microbenchmarks and print their table (see bench.h).
 * Lab 1 (given). */
#include "bench.h"
#include "console.h"
#include "printf.h"
#include "string.h"
#include "x86.h"
#include "cmdline.h"
#include "kinit.h"
#include "power.h"
#include "tunables.h"               /* BENCH_MAX_SAMPLES */

extern const struct kbench __start_kbenches[], __stop_kbenches[];

uint64_t bench_median(uint64_t (*sample)(void *arg), void *arg, unsigned samples)
{
    uint64_t v[BENCH_MAX_SAMPLES];

    if (samples > BENCH_MAX_SAMPLES)
        samples = BENCH_MAX_SAMPLES;
    sample(arg);                     /* warm up: caches, first-time paths */
    for (unsigned i = 0; i < samples; i++)
        v[i] = sample(arg);
    for (unsigned i = 1; i < samples; i++)       /* insertion sort: few samples */
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[samples / 2];
}

void bench_row(const char *what, uint64_t cycles, const char *baseline, uint64_t base_cycles)
{
    uint64_t ratio = base_cycles ? cycles * 100 / base_cycles : 0;   /* no floating point here */

    kprintf("bench: %-34s %9lu   %-34s %9lu %6lu.%02lu\n", what, cycles, baseline, base_cycles,
            ratio / 100, ratio % 100);
}

void bench_run_all(void)
{
    kprintf("bench: %-34s %9s   %-34s %9s %9s\n", "operation", "cycles", "baseline", "cycles",
            "ratio");
    for (const struct kbench *b = __start_kbenches; b < __stop_kbenches; b++)
        b->run();
    kprintf("bench: done\n");
}

/* ---- Lab 1: formatting ----------------------------------------------------- */

static uint64_t sample_ksnprintf(void *arg)
{
    char buf[64];
    uint64_t t = rdtsc();

    for (int i = 0; i < 200; i++)
        ksnprintf(buf, sizeof buf, "%d %s %p", i, "teachos", arg);
    return (rdtsc() - t) / 200;
}

static uint64_t sample_memcpy(void *arg)
{
    char buf[64];
    uint64_t t = rdtsc();

    (void)arg;
    for (int i = 0; i < 200; i++) {
        memcpy(buf, "12 teachos 0xffffffff80100000 ........", 40);
        __asm__ volatile("" : : "r"(buf) : "memory");
    }
    return (rdtsc() - t) / 200;
}

KBENCH(kprintf)
{
    bench_row("ksnprintf(\"%d %s %p\")", bench_median(sample_ksnprintf, (void *)0x1234, 31),
              "memcpy of as many bytes", bench_median(sample_memcpy, NULL, 31));
}

CMDLINE_KEY(bench, NULL);

/* Boot step: with `bench` on the command line, the table, then power off. */
static void bench_start(void)
{
    if (cmdline_has("bench")) {
        bench_run_all();
        power_off(true);
    }
}
KINIT(90, bench_start);
