/* test_printf.c - host unit tests of kernel/lib/printf.c (Lab 1, exercise 2).
 * Built for Linux with AddressSanitizer and UBSan by grader/test_unit.py
 * (`make unit`). Fixed cases pin the kernel's own choices (%p, unknown
 * conversions, truncation); random cases compare with the C library's
 * snprintf wherever the two must agree. Exit status 0 means all passed. */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printf.h"

static int failures, checks;

#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-truncation"

static void expect(const char *want, const char *fmt, ...)
{
    char got[256];
    va_list ap;

    va_start(ap, fmt);
    int n = kvsnprintf(got, sizeof got, fmt, ap);
    va_end(ap);
    checks++;
    if (strcmp(got, want) != 0 || n != (int)strlen(want)) {
        failures++;
        printf("FAIL: format \"%s\": expected [%s] (%zu), got [%s] (%d)\n", fmt, want,
               strlen(want), got, n);
    }
}

static void fixed_cases(void)
{
    expect("plain text", "plain text");
    expect("0", "%d", 0);
    expect("-2147483648", "%d", INT_MIN);
    expect("2147483647", "%i", INT_MAX);
    expect("4294967295", "%u", UINT_MAX);
    expect("deadbeef DEADBEEF", "%x %X", 0xdeadbeefu, 0xdeadbeefu);
    expect("-9223372036854775808", "%ld", (long)INT64_MIN);
    expect("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
    expect("ffffffffffffffff", "%lx", (unsigned long)UINT64_MAX);
    expect("12345", "%zu", (size_t)12345);
    expect("0x0000000000000000", "%p", (void *)0);
    expect("0xffffffff80100000", "%p", (void *)0xffffffff80100000ull);
    expect("  0x00000000000000ff", "%20p", (void *)0xff);
    expect("(null)", "%s", (char *)NULL);
    expect("x", "%c", 'x');
    expect("100%", "%d%%", 100);
    expect("[   42]", "[%5d]", 42);
    expect("[42   ]", "[%-5d]", 42);
    expect("[00042]", "[%05d]", 42);
    expect("[-0042]", "[%05d]", -42);
    expect("[42   ]", "[%-05d]", 42);       /* '-' wins over '0' */
    expect("[  abc]", "[%5s]", "abc");
    expect("[abc  ]", "[%-5s]", "abc");
    expect("[abcdef]", "[%3s]", "abcdef"); /* width is a minimum */
    expect("%q", "%q");                    /* unknown: copied */
    expect("50%", "50%");                  /* a lone '%' at the end */
    expect("%5", "%5");
}

static void truncation(void)
{
    char buf[8];

    checks++;
    memset(buf, '#', sizeof buf);
    int n = ksnprintf(buf, 5, "hello %s", "world");
    if (n != 11 || strcmp(buf, "hell") != 0 || buf[5] != '#') {
        failures++;
        printf("FAIL: ksnprintf(buf, 5, \"hello %%s\", \"world\"): want 11 and \"hell\", got %d and \"%s\"\n",
               n, buf);
    }
    checks++;
    memset(buf, '#', sizeof buf);
    n = ksnprintf(buf, 0, "abc");
    if (n != 3 || buf[0] != '#') {
        failures++;
        printf("FAIL: ksnprintf(buf, 0, \"abc\") must write nothing and return 3 (got %d)\n", n);
    }
}

static uint64_t rnd(void)
{
    static uint64_t x = 0x9E3779B97F4A7C15ull;   /* xorshift64*: repeatable */
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Random flags, width and conversion, checked against the C library. */
static void random_cases(int rounds)
{
    static const char *const flags[] = {"", "-", "0"};
    static const char *const lengths[] = {"", "l", "ll", "z"};
    static const char convs[] = "diuxXcs";

    for (int i = 0; i < rounds; i++) {
        char fmt[32], want[256], got[256];
        char conv = convs[rnd() % (sizeof convs - 1)];
        const char *len = (conv == 'c' || conv == 's') ? "" : lengths[rnd() % 4];
        const char *flag = flags[rnd() % 3];
        if (conv == 'c' || conv == 's')
            flag = flags[rnd() % 2];           /* '0' with c/s is undefined in C */
        unsigned width = rnd() % 3 ? (unsigned)(rnd() % 30) : 0;
        if (width)
            snprintf(fmt, sizeof fmt, "<%%%s%u%s%c>", flag, width, len, conv);
        else
            snprintf(fmt, sizeof fmt, "<%%%s%s%c>", flag, len, conv);

        uint64_t v = rnd() >> (rnd() % 64);
        const char *str = (const char *[]){"", "a", "kernel", "teachos!"}[rnd() % 4];
        int n1, n2;
        if (conv == 's') {
            n1 = snprintf(want, sizeof want, fmt, str);
            n2 = ksnprintf(got, sizeof got, fmt, str);
        } else if (conv == 'c') {
            int c = ' ' + (int)(v % 95);
            n1 = snprintf(want, sizeof want, fmt, c);
            n2 = ksnprintf(got, sizeof got, fmt, c);
        } else if (*len) {
            n1 = snprintf(want, sizeof want, fmt, v);
            n2 = ksnprintf(got, sizeof got, fmt, v);
        } else {
            n1 = snprintf(want, sizeof want, fmt, (unsigned)v);
            n2 = ksnprintf(got, sizeof got, fmt, (unsigned)v);
        }
        checks++;
        if (n1 != n2 || strcmp(want, got) != 0) {
            if (++failures <= 20)
                printf("FAIL: format \"%s\" value %" PRIu64 ": C library [%s], kernel [%s]\n",
                       fmt, v, want, got);
        }
    }
}

int main(void)
{
    fixed_cases();
    truncation();
    random_cases(50000);
    printf("printf unit tests: %d checks, %d failed\n", checks, failures);
    return failures != 0;
}
