/* console.c - one output stream to serial and VGA, one input stream.
 * Lab 1 (given). kprintf lives here so that lib/printf.c stays free of
 * hardware and can be unit-tested on the host. */
#include <stdarg.h>

#include "console.h"
#include "printf.h"
#include "serial.h"
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

void console_write(const char *s)
{
    while (*s)
        console_putc(*s++);
    vga_update_cursor();
}

void console_set_color(enum vga_color fg, enum vga_color bg)
{
    vga_set_color(fg, bg);
}

void console_reset_color(void)
{
    vga_set_color(VGA_LIGHT_GREY, VGA_BLACK);
}

int console_getc(void)
{
    int c;

    /* Lab 1 has no interrupts yet, so poll the UART. */
    while ((c = serial_getc()) < 0)
        cpu_relax();
    return c;
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

    va_start(ap, fmt);
    n = kvformat(console_out, NULL, fmt, ap);
    va_end(ap);
    vga_update_cursor();     /* once per call: cursor I/O is slow */
    return n;
}
