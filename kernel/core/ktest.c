/* ktest.c - find and run the in-kernel tests registered with KTEST.
 * Lab 1 (given). Tests live in kernel/tests/labN.c; the linker gathers their
 * descriptors between __start_ktests and __stop_ktests (linker.ld). */
#include <stdarg.h>

#include "ktest.h"
#include "cmdline.h"
#include "console.h"
#include "monitor.h"
#include "power.h"
#include "printf.h"
#include "serial.h"
#include "string.h"
#include "kinit.h"

extern const struct ktest __start_ktests[], __stop_ktests[];

const struct ktest *ktest_find(const char *name)
{
    for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

void ktest_list(void)
{
    /* Alphabetical, so the list reads the same whatever the link order. */
    const char *last = "";
    for (;;) {
        const char *next = NULL;
        for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++)
            if (strcmp(t->name, last) > 0 && (next == NULL || strcmp(t->name, next) < 0))
                next = t->name;
        if (next == NULL)
            break;
        console_write(last[0] ? " " : "");
        console_write(next);
        last = next;
    }
    console_write("\n");
}

void ktest_run(const struct ktest *t)
{
    console_write("ktest ");
    console_write(t->name);
    console_write(": start\n");
    t->run();
    console_write("ktest ");
    console_write(t->name);
    console_write(": ok\n");
    power_off(true);
}

void ktest_fail(const char *fmt, ...)
{
    va_list ap;
    char msg[256];

    va_start(ap, fmt);
    kvsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    console_write("ktest: FAIL: ");
    console_write(msg);
    console_write("\n");
    power_off(false);
}

void ktest_hold(void)
{
    /* Serial only: a line on VGA would scroll the screen the grader reads. */
    for (const char *s = "ktest: hold\r\n"; *s; s++)
        serial_putc(*s);
    console_getc();
}

/* The monitor's way in: `test NAME KEY=VALUE ...` does what the command line
 * test=NAME KEY=VALUE ... does. Lab 1's graders start their tests here, so
 * that only the command-line test needs the Multiboot2 tags (exercise 1).
 * Prints with console_write: kprintf is exercise 2. */
MONITOR_COMMAND(test, "test NAME [KEY=VALUE ...]: run an in-kernel test (as test=NAME does)")
{
    char line[CMDLINE_MAX_LEN];

    if (argc < 2) {
        console_write("usage: test NAME [KEY=VALUE ...]. Tests: ");
        ktest_list();
        return -1;
    }
    strlcpy(line, "test=", sizeof line);
    for (int i = 1; i < argc; i++) {
        size_t len = strlen(line);
        if (len + 1 + strlen(argv[i]) >= sizeof line) {
            console_write("test: the words are too long\n");
            return -1;
        }
        if (i > 1)
            line[len++] = ' ';
        strlcpy(line + len, argv[i], sizeof line - len);
    }
    if (!cmdline_parse(line))   /* says why: an unknown test or word */
        return -1;
    ktest_run(ktest_find(argv[1]));
}

/* test=NAME's keys are the test's own; an unknown NAME lists the tests. */
static const char *test_params(const char *name)
{
    const struct ktest *t = ktest_find(name);

    if (t == NULL) {
        kprintf("cmdline: no test called '%s'. Tests: ", name);
        ktest_list();
        return NULL;
    }
    return t->params;
}
CMDLINE_KEY_WITH_PARAMS(test, "NAME", test_params);

/* Boot step: test=NAME runs that test and powers off. */
static void test_start(void)
{
    const char *name = cmdline_get("test");

    if (name != NULL)
        ktest_run(ktest_find(name));   /* cmdline_parse checked that it exists */
}
KINIT(92, test_start);
