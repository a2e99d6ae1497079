/* ktest.h - in-kernel tests that the graders start with test=NAME.
 * Lab 1 (given). A test is a function; KTEST registers it with the list of
 * command-line parameters it accepts (space-separated, "" for none).
 * Returning from the function means success: the kernel prints
 * "ktest NAME: ok" and powers off with success status. */
#ifndef KTEST_H
#define KTEST_H

struct ktest {
    const char *name;
    const char *params;
    void (*run)(void);
};

#define KTEST(name, params_)                                               \
    static void ktest_fn_##name(void);                                     \
    static const struct ktest ktest_##name                                 \
        __attribute__((used, section("ktests"), aligned(8))) = {           \
            #name, params_, ktest_fn_##name};                              \
    static void ktest_fn_##name(void)

/* The test called name, or NULL. */
const struct ktest *ktest_find(const char *name);

/* Print the names of all tests on one line. */
void ktest_list(void);

/* Run t and power off: success if it returns. */
void ktest_run(const struct ktest *t) __attribute__((noreturn));

/* Print "ktest: FAIL: message" and power off with failure. */
void ktest_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Print "ktest: hold" and wait for one byte on serial: the grader inspects
 * the machine (VGA memory) meanwhile, then lets the test finish. */
void ktest_hold(void);

#endif
