/* lab1.c - in-kernel tests for Lab 1, started by the graders with test=NAME.
 * Lab 1 (given: students do not need to change this file). Each test prints
 * what the grader checks; values come from the command line, chosen at
 * random by the grader, so no output can be hard-coded. Tests that check one
 * exercise print with console_write, not kprintf, wherever kprintf is not
 * the thing under test, so that one unfinished exercise fails one test. */
#include <stdint.h>

#include "backtrace.h"
#include "cmdline.h"
#include "console.h"
#include "ktest.h"
#include "memlayout.h"
#include "multiboot2.h"
#include "panic.h"
#include "printf.h"
#include "string.h"
#include "vga.h"

/* Decimal text of v, without kprintf. */
static const char *utoa(uint64_t v, char buf[21])
{
    char *p = buf + 20;

    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

static const char *need(const char *key)
{
    const char *value = cmdline_get(key);

    if (value == NULL)
        ktest_fail("this test needs %s=... (on the command line, or after test NAME "
                   "at the K> prompt)", key);
    return value;
}

/* ---- kprintf (exercise 2) ------------------------------------------------ */

/* Print "printf SPEC: [" then the conversion under test, then "]". */
#define CHECK_FORMAT(spec, value)        \
    do {                                 \
        console_write("printf " spec ": ["); \
        kprintf(spec, value);            \
        console_write("]\n");            \
    } while (0)

/* Build "%<flags><width><conv>" without kprintf. */
static void make_spec(char *buf, const char *flags, uint64_t width, const char *conv)
{
    char digits[21];

    buf[0] = '%';
    buf[1] = '\0';
    memcpy(buf + strlen(buf), flags, strlen(flags) + 1);
    const char *w = utoa(width, digits);
    memcpy(buf + strlen(buf), w, strlen(w) + 1);
    memcpy(buf + strlen(buf), conv, strlen(conv) + 1);
}

#define CHECK_WIDTH(flags, width, conv, value)              \
    do {                                                    \
        char spec[32];                                      \
        make_spec(spec, flags, width, conv);                \
        console_write("printf ");                           \
        console_write(spec);                                \
        console_write(": [");                               \
        kprintf(spec, value);                               \
        console_write("]\n");                               \
    } while (0)

/* The format strings are built at run time: the compiler cannot check them. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"

/* volatile: GCC would otherwise refuse a literal NULL for %s at compile time. */
static const char *volatile null_string = NULL;

/* k is one digit (with its sign), ps a pointer short enough to need zeros,
 * q a letter that is no conversion (copied as it stands, with its flag and
 * width), w9 and w0 widths with a 9 and a 0 among their digits. */
KTEST(printf, "d u x c s p ld lu w k ps q w9 w0")
{
    int64_t d, u, x, c, p, ld, lu, w, k, ps, w9, w0;

    if (!parse_int(need("d"), &d) || !parse_int(need("u"), &u) ||
        !parse_int(need("x"), &x) || !parse_int(need("c"), &c) ||
        !parse_int(need("p"), &p) || !parse_int(need("ld"), &ld) ||
        !parse_int(need("lu"), &lu) || !parse_int(need("w"), &w) ||
        !parse_int(need("k"), &k) || !parse_int(need("ps"), &ps) ||
        !parse_int(need("w9"), &w9) || !parse_int(need("w0"), &w0))
        ktest_fail("printf: every parameter but s and q must be a number");
    const char *s = need("s"), *q = need("q");
    uint64_t width = (uint64_t)w;

    if (strlen(q) != 1)
        ktest_fail("printf: q must be one letter");

    CHECK_FORMAT("%d", (int)d);
    CHECK_FORMAT("%i", (int)d);
    CHECK_FORMAT("%u", (unsigned)u);
    CHECK_FORMAT("%x", (unsigned)x);
    CHECK_FORMAT("%X", (unsigned)x);
    CHECK_FORMAT("%c", (int)c);
    CHECK_FORMAT("%s", s);
    CHECK_FORMAT("%p", (void *)p);
    CHECK_FORMAT("%s", null_string);
    CHECK_FORMAT("%d", (int)k);
    CHECK_FORMAT("%p", (void *)ps);
    CHECK_WIDTH("-", width, q, 0);        /* no conversion: as it stands */
    console_write("printf %%: [");
    kprintf("%%");
    console_write("]\n");
    CHECK_FORMAT("%ld", (long)ld);
    CHECK_FORMAT("%lld", (long long)ld);
    CHECK_FORMAT("%lu", (unsigned long)lu);
    CHECK_FORMAT("%lx", (unsigned long)lu);
    CHECK_FORMAT("%llX", (unsigned long long)lu);
    CHECK_FORMAT("%zu", (size_t)lu);
    CHECK_FORMAT("%d", (int)ld);          /* the low 32 bits only */
    CHECK_WIDTH("", width, "d", (int)d);
    CHECK_WIDTH("-", width, "d", (int)d);
    CHECK_WIDTH("0", width, "d", (int)d);
    CHECK_WIDTH("0", width, "x", (unsigned)x);
    CHECK_WIDTH("-", width, "u", (unsigned)u);
    CHECK_WIDTH("", width, "s", s);
    CHECK_WIDTH("-", width, "s", s);
    CHECK_WIDTH("", width, "c", (int)c);
    CHECK_WIDTH("0", width, "lld", (long long)ld);
    CHECK_WIDTH("-", width, "lx", (unsigned long)lu);
    CHECK_WIDTH("", width, "p", (void *)p);
    CHECK_WIDTH("", (uint64_t)w9, "d", (int)k);
    CHECK_WIDTH("0", (uint64_t)w0, "d", (int)k);
}

/* ---- VGA (exercises 3 and 4) --------------------------------------------- */

/* Write canary=WORD over the row just past the screen (VGA memory no row
 * shows, which a scroll moving one row too many copies over), print
 * lines=N numbered lines, then tabs=TEXT (each '.' a '\t'), then let the
 * grader read the screen and the canary. */
KTEST(vga_scroll, "lines tag tabs canary")
{
    int64_t lines = cmdline_get_int("lines", 40);
    const char *tag = need("tag"), *tabs = need("tabs"), *canary = need("canary");
    volatile uint16_t *past = (volatile uint16_t *)phys_to_virt(0xB8000) + VGA_ROWS * VGA_COLS;
    size_t canary_len = strlen(canary);
    char a[21], b[21];

    if (canary_len == 0)
        ktest_fail("vga_scroll: canary must not be empty");
    for (int i = 0; i < VGA_COLS; i++)
        past[i] = (uint16_t)(VGA_LIGHT_GREY << 8 | (uint8_t)canary[(size_t)i % canary_len]);
    /* Each line starts with marks a '\r' must take back (and a '\b' at
     * column 0 must not move), and ends with a mark a '\b' and a blank
     * must cover: the screen shows neither. */
    for (int64_t i = 1; i <= lines; i++) {
        console_write("#####\r\bscroll ");
        console_write(tag);
        console_write(" line ");
        console_write(utoa((uint64_t)i, a));
        console_write(" of ");
        console_write(utoa((uint64_t)lines, b));
        console_write("#\b \n");
    }
    for (; *tabs; tabs++)
        console_write_n(*tabs == '.' ? "\t" : tabs, 1);
    console_write("\n");
    ktest_hold();
}

/* Print word in colours fg on bg between two plain words, report where the
 * hardware cursor is, then let the grader read the screen. */
KTEST(vga_color, "fg bg word")
{
    int64_t fg = cmdline_get_int("fg", VGA_WHITE);
    int64_t bg = cmdline_get_int("bg", VGA_BLUE);
    char buf[21];

    if (fg < 0 || fg > 15 || bg < 0 || bg > 15)
        ktest_fail("vga_color: fg and bg must be 0..15");
    console_write("colour test: ");
    console_set_color((enum vga_color)fg, (enum vga_color)bg);
    console_write(need("word"));
    console_reset_color();
    console_write(" end");
    /* Read the cursor from the CRT controller, not the driver's variables. */
    uint16_t cursor = vga_read_hw_cursor();
    console_write("\nvga: hardware cursor at ");
    console_write(utoa(cursor, buf));
    console_write("\n");
    ktest_hold();
}

/* ---- challenge 1: ANSI colour sequences on the VGA console --------------- */

/* seq=ITEM,ITEM,...: each ITEM is SEQ:TEXT. SEQ is an escape sequence
 * written without its ESC: "31.44m" is ESC [ 3 1 ; 4 4 m (a '.' stands for
 * ';', which a command line cannot hold), "/c" is ESC c. Prints a line
 * "ansi: begin", then every sequence followed by its text on one line, then
 * lets the grader read the screen. */
KTEST(ansi, "seq")
{
    const char *s = need("seq");
    char out[256];
    size_t n = 0;

    while (*s && n < sizeof out - 8) {
        out[n++] = 0x1B;
        if (*s == '/')
            s++;                 /* ESC and the next byte as they stand */
        else
            out[n++] = '[';
        for (; *s && *s != ':' && n < sizeof out - 8; s++)
            out[n++] = *s == '.' ? ';' : *s;
        if (*s != ':')
            ktest_fail("ansi: each item of seq= is SEQ:TEXT");
        for (s++; *s && *s != ',' && n < sizeof out - 8; s++)
            out[n++] = *s;
        if (*s == ',')
            s++;
    }
    if (*s)
        ktest_fail("ansi: seq= is too long");
    console_write("ansi: begin\n");
    console_write_n(out, n);
    console_write("\n");
    ktest_hold();
}

/* ---- backtrace (exercise 5) ---------------------------------------------- */

/* bt_ping and bt_pong call each other depth times, then print a backtrace.
 * noipa (no inlining, cloning or other interprocedural changes) and the work
 * after each call keep every frame on the stack under its own name. */
static int bt_pong(int depth);

__attribute__((noipa)) static int bt_ping(int depth)
{
    int r = depth > 0 ? bt_pong(depth - 1) : (backtrace(), 0);
    __asm__ volatile("" : : : "memory");
    return r + 1;
}

__attribute__((noipa)) static int bt_pong(int depth)
{
    int r = depth > 0 ? bt_ping(depth - 1) : (backtrace(), 0);
    __asm__ volatile("" : : : "memory");
    return r + 2;
}

KTEST(backtrace, "depth")
{
    int64_t depth = cmdline_get_int("depth", 5);

    if (depth < 0 || depth > 40)
        ktest_fail("backtrace: depth must be 0..40");
    console_write("backtrace test:\n");
    bt_ping((int)depth);
}

/* ---- Multiboot2 (exercise 1) --------------------------------------------- */

/* kmain already printed the loader name and command line; echo one value. */
KTEST(cmdline, "echo")
{
    console_write("echo: ");
    console_write(need("echo"));
    console_write("\n");
}

/* ---- the Multiboot2 tag walk (exercise 1) -------------------------------- */

#define WALK_MAX_TAGS 8
static uint64_t walk_info[128];          /* 1 KiB, 8-byte aligned like GRUB's */

/* The numbers of key=N,N,... into out (at most max); how many. */
static int numbers(const char *key, int64_t out[], int max)
{
    const char *s = need(key);
    int n = 0;

    while (*s && n < max) {
        int64_t v = 0;
        if (*s < '0' || *s > '9')
            ktest_fail("%s: a list of numbers, N,N,...", key);
        while (*s >= '0' && *s <= '9')
            v = v * 10 + (*s++ - '0');
        out[n++] = v;
        if (*s == ',')
            s++;
    }
    return n;
}

/* Print every tag of type want mb2_find_tag finds in walk_info, one after
 * the other, with its offset, each line starting "mb2_walk: <label>: ". */
static void walk(const char *label, int64_t want)
{
    const struct mb2_tag *tag = NULL;
    const uint8_t *start = phys_to_virt((uintptr_t)walk_info - KERNEL_VMA);
    char buf[21];

    mb2_parse(MB2_LOADER_MAGIC, (uint64_t)((uintptr_t)walk_info - KERNEL_VMA));
    for (int found = 0; found <= WALK_MAX_TAGS && (tag = mb2_find_tag((uint32_t)want, tag)); found++) {
        console_write("mb2_walk: ");
        console_write(label);
        console_write(": type ");
        console_write(utoa((uint64_t)want, buf));
        console_write(" at offset ");
        console_write(utoa((uint64_t)((const uint8_t *)tag - start), buf));
        console_write("\n");
    }
    console_write("mb2_walk: ");
    console_write(label);
    console_write(": end\n");
}

/* An information structure the grader lays out, in place of GRUB's: a tag
 * of each of sizes=S,S,... (8..100 bytes), of type want where at=I,I,...
 * says and 100+i elsewhere, then, 4 bytes before total_size ends, the
 * start of one more tag of type want, cut off (no end tag): the walk
 * labelled "cut". A walk that reads a tag header past total_size finds one
 * too many (or calls it malformed). Then that last tag made whole, 8 bytes
 * ending just at total_size: the walk labelled "whole" must find it.
 * With bad=I,S, tag I's size field says S instead (its place does not
 * change): malformed, the walk must stop the kernel with failure. */
KTEST(mb2_walk, "want sizes at bad")
{
    int64_t sizes[WALK_MAX_TAGS], at[WALK_MAX_TAGS], bad[2], want = cmdline_get_int("want", 50);
    int n = numbers("sizes", sizes, WALK_MAX_TAGS), nat = numbers("at", at, WALK_MAX_TAGS);
    int nbad = cmdline_get("bad") ? numbers("bad", bad, 2) : 0;
    uint8_t *base = (uint8_t *)walk_info;
    uint32_t offset = sizeof(struct mb2_info);

    if (want < 20 || want > 90)
        ktest_fail("mb2_walk: want must be 20..90");
    if (nbad != 0 && (nbad != 2 || bad[0] >= n))
        ktest_fail("mb2_walk: bad=I,S with I one of the tags");
    for (int i = 0; i < n; i++) {
        struct mb2_tag *tag = (struct mb2_tag *)(base + offset);
        if (sizes[i] < 8 || sizes[i] > 100)
            ktest_fail("mb2_walk: sizes must be 8..100");
        tag->type = (uint32_t)(100 + i);
        for (int k = 0; k < nat; k++)
            if (at[k] == i)
                tag->type = (uint32_t)want;
        tag->size = (uint32_t)(nbad && bad[0] == i ? bad[1] : sizes[i]);
        offset += ((uint32_t)sizes[i] + 7) & ~7u;
    }
    struct mb2_tag *last = (struct mb2_tag *)(base + offset);
    last->type = (uint32_t)want;             /* inside total_size ... */
    last->size = 8;                          /* ... and past it */
    ((struct mb2_info *)base)->total_size = offset + 4;
    walk("cut", want);
    ((struct mb2_info *)base)->total_size = offset + 8;     /* now whole */
    walk("whole", want);
}

/* ---- panic (given, uses exercises 2 and 5) ------------------------------- */

KTEST(panic, "msg")
{
    PANIC("deliberate panic: %s", need("msg"));
}
