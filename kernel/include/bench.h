/* bench.h - in-kernel microbenchmarks: `make bench` boots with `bench` on
 * the command line. Lab 1 (given); each lab adds rows (kernel/tests/labN.c).
 * A row is the median cost of one operation in TSC cycles, next to a
 * baseline measured in the same boot, and their ratio. Under QEMU's TCG the
 * TSC follows host time: compare ratios, not cycles, across machines. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

struct kbench {
    const char *name;
    void (*run)(void);
};

/* Register a benchmark; its function calls bench_row one or more times. */
#define KBENCH(name)                                                       \
    static void kbench_fn_##name(void);                                    \
    static const struct kbench kbench_##name                               \
        __attribute__((used, section("kbenches"), aligned(8))) = {         \
            #name, kbench_fn_##name};                                      \
    static void kbench_fn_##name(void)

/* Cycles per operation: runs sample(arg) `samples` times (each sample does
 * its own batch of operations and returns cycles per operation) and
 * returns the median. */
uint64_t bench_median(uint64_t (*sample)(void *arg), void *arg, unsigned samples);

/* Print one row of the table. */
void bench_row(const char *what, uint64_t cycles, const char *baseline, uint64_t base_cycles);

/* One sample of the Lab 2 row (an empty interrupt round trip in ring 0),
 * for later labs to compare with. */
uint64_t bench_sample_int(void *arg);

/* Run every registered benchmark and print the table. */
void bench_run_all(void);

#endif
