/* console.c - one output stream to serial and VGA, one input stream.
 * Lab 1 (given). kprintf lives here so that lib/printf.c stays free of
 * hardware and can be unit-tested on the host. */
#include <stdarg.h>

#include "cli.h"
#include "console.h"
#include "panic.h"
#include "printf.h"
#include "serial.h"
#include "tunables.h"
#include "vga.h"
#include "x86.h"

void console_init(void)
{
    serial_init();
    vga_init();
}

void console_putc(char c)
{
    if (c == '\n')
        serial_putc('\r');   /* terminals want CR LF */
    serial_putc(c);
    vga_putc(c);
}

/* One call's output is never cut by another's: interrupts are off while
 * it is written (push_cli), so no thread is switched in to print inside a
 * line (a grader reading "^brk: lazy: ...$" needs the line whole). A long
 * console_write_n goes out in pieces of CONSOLE_WHOLE bytes, so that the
 * timer is never held off for long (the write system calls already come
 * in pieces of 256 bytes, syscall.c and file.c). */
#define CONSOLE_WHOLE 512

static void console_release(void)
{
    vga_update_cursor();     /* once per call: cursor I/O is slow */
    pop_cli();
}

void console_write(const char *s)
{
    push_cli();
    while (*s)
        console_putc(*s++);
    console_release();
}

void console_write_n(const char *buf, size_t n)
{
    for (size_t done = 0; done < n; done += CONSOLE_WHOLE) {
        push_cli();
        for (size_t i = done; i < n && i < done + CONSOLE_WHOLE; i++)
            console_putc(buf[i]);
        console_release();
    }
}

void console_set_color(enum vga_color fg, enum vga_color bg)
{
    vga_set_color(fg, bg);
}

void console_reset_color(void)
{
    vga_set_color(VGA_LIGHT_GREY, VGA_BLACK);
}

/* Interrupts off guards these: console_input runs in interrupt handlers,
 * console_getc reads with interrupts off. The indices only grow; a power-of-2
 * size keeps index % size right when they wrap. */
_Static_assert((CONSOLE_INPUT_SIZE & (CONSOLE_INPUT_SIZE - 1)) == 0, "a power of 2");
static char input[CONSOLE_INPUT_SIZE];
static volatile unsigned input_head, input_tail;   /* head == tail: empty */

static void (*input_hook)(void);

void console_on_input(void (*hook)(void))
{
    ASSERT(input_hook == NULL);
    input_hook = hook;
}

#if LAB >= 10
static bool (*input_filter)(char c);

void console_on_input_filter(bool (*filter)(char c))
{
    ASSERT(input_filter == NULL);
    input_filter = filter;
}

void console_drop_input(void)
{
    ASSERT(!cpu_interrupts_enabled());
    input_tail = input_head;
}
#endif

void console_input(char c)
{
    ASSERT(!cpu_interrupts_enabled());   /* the buffer's lock */
#if LAB >= 10
    if (input_filter && input_filter(c))
        return;                          /* taken: Ctrl-C is a signal, not input */
#endif
    if (input_head - input_tail < CONSOLE_INPUT_SIZE)
        input[input_head++ % CONSOLE_INPUT_SIZE] = c;
    if (input_hook)
        input_hook();
}

int console_has_input(void)
{
    ASSERT(!cpu_interrupts_enabled());
    return input_head != input_tail;
}

int console_getc(void)
{
    int c;

    /* Without interrupts (Lab 1, or before the IDT works) poll the UART,
     * after what serial_init kept from before the kernel started. */
    if (!cpu_interrupts_enabled()) {
        if (input_head != input_tail)
            return (unsigned char)input[input_tail++ % CONSOLE_INPUT_SIZE];
        while ((c = serial_getc()) < 0)
            cpu_relax();
        return c;
    }
    for (;;) {
        cpu_disable_interrupts();        /* check and sleep without a gap */
        if (input_head != input_tail) {
            c = (unsigned char)input[input_tail++ % CONSOLE_INPUT_SIZE];
            cpu_enable_interrupts();
            return c;
        }
        cpu_enable_interrupts_and_halt();
    }
}

static void console_out(char c, void *ctx)
{
    (void)ctx;
    console_putc(c);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    int n;

    push_cli();
    va_start(ap, fmt);
    n = kvformat(console_out, NULL, fmt, ap);
    va_end(ap);
    console_release();
    return n;
}
