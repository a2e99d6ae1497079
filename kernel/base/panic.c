/* panic.c - report a fatal kernel error and power off with failure.
 * Lab 1 (given). The first line is stable for the graders:
 *   PANIC at kernel/core/main.c:42: message */
#include <stdarg.h>
#include <stdbool.h>

#include "panic.h"
#include "backtrace.h"
#include "console.h"
#include "power.h"
#include "printf.h"
#include "serial.h"
#include "x86.h"

static bool panicking;

static void serial_write(const char *s)
{
    for (; *s; s++)
        serial_putc(*s);
}

void panic_at(const char *file, int line, const char *func, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    cpu_disable_interrupts();
    if (panicking) {
        /* A panic inside the report: print nothing more that could fault. */
        serial_write("\r\nPANIC while reporting a panic; powering off\r\n");
        power_off(false);
    }
    panicking = true;

    va_start(ap, fmt);
    kvsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    console_set_color(VGA_WHITE, VGA_RED);
    kprintf("PANIC at %s:%d: %s\n", file, line, msg);
    console_reset_color();
    kprintf("  in %s()\n", func);
    kprintf("  rsp=%p rbp=%p rflags=%p\n", (void *)read_rsp(), (void *)read_rbp(),
            (void *)read_rflags());
    kprintf("  cr0=%p cr2=%p cr3=%p cr4=%p\n", (void *)read_cr0(), (void *)read_cr2(),
            (void *)read_cr3(), (void *)read_cr4());
    kprintf("Backtrace:\n");
    backtrace();
    power_off(false);
}
