/* monitor.c - the kernel monitor: a command prompt on the console.
 * Lab 1 (given). Commands are registered with MONITOR_COMMAND (monitor.h)
 * next to the code they show: this file has the Lab 1 ones. */
#include <stdbool.h>

#include "monitor.h"
#include "backtrace.h"
#include "cmdline.h"
#include "console.h"
#include "memlayout.h"
#include "power.h"
#include "string.h"

extern const struct monitor_command __start_monitor_commands[], __stop_monitor_commands[];

/* The bare word monitor: boot to this prompt even where a user program
 * would start (from Lab 7, /bin/init); known from Lab 1 so that the graders
 * can always pass it. */
CMDLINE_KEY(monitor, NULL);

MONITOR_COMMAND(help, "list the commands")
{
    (void)argc, (void)argv;
    for (const struct monitor_command *c = __start_monitor_commands; c < __stop_monitor_commands; c++)
        kprintf("  %-10s %s\n", c->name, c->help);
    return 0;
}

static void print_section(const char *name, const char *start, const char *end)
{
    kprintf("  %-8s %p - %p  (%lu bytes)\n", name, (void *)start, (void *)end,
            (uint64_t)(end - start));
}

MONITOR_COMMAND(kerninfo, "show where the kernel's sections are")
{
    (void)argc, (void)argv;
    kprintf("Kernel sections (virtual addresses):\n");
    print_section(".text", __text_start, __text_end);
    print_section(".rodata", __rodata_start, __rodata_end);
    print_section(".data", __data_start, __data_end);
    print_section(".bss", __bss_start, __bss_end);
    kprintf("  image    %lu KiB in memory, loaded at physical %p\n",
            (uint64_t)(__kernel_end - __text_start + 1023) / 1024,
            (void *)((uint64_t)__text_start - KERNEL_VMA));
    return 0;
}

MONITOR_COMMAND(backtrace, "print the stack frames of this command")
{
    (void)argc, (void)argv;
    backtrace();
    return 0;
}

MONITOR_COMMAND(echo, "print the arguments")
{
    for (int i = 1; i < argc; i++) {
        console_write(argv[i]);
        console_write(i + 1 < argc ? " " : "");
    }
    console_write("\n");
    return 0;
}

MONITOR_COMMAND(poweroff, "turn the machine off (QEMU exits)")
{
    (void)argc, (void)argv;
    kprintf("Powering off.\n");
    power_off(true);
}

/* Split line into words in place. Returns the number of words. */
static int split_args(char *line, char **argv)
{
    int argc = 0;

    for (char *p = line; *p;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (argc == MONITOR_MAX_ARGS) {
            kprintf("too many arguments (at most %d)\n", MONITOR_MAX_ARGS - 1);
            return -1;
        }
        argv[argc++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    return argc;
}

int monitor_execute(char *line)
{
    char *argv[MONITOR_MAX_ARGS];
    int argc = split_args(line, argv);

    if (argc <= 0)
        return argc;
    for (const struct monitor_command *c = __start_monitor_commands; c < __stop_monitor_commands; c++)
        if (strcmp(argv[0], c->name) == 0)
            return c->run(argc, argv);
    kprintf("unknown command '%s' (try 'help')\n", argv[0]);
    return -1;
}

/* Read one line with echo and backspace editing. Returns its length. */
static int read_line(char *buf, int size)
{
    static bool last_was_cr;
    int n = 0;

    for (;;) {
        int c = console_getc();
        bool lf_after_cr = c == '\n' && last_was_cr;
        last_was_cr = c == '\r';
        if (lf_after_cr)
            continue;                  /* the LF of a CR LF pair ends nothing */
        if (c == '\r' || c == '\n') {
            console_write("\n");
            buf[n] = '\0';
            return n;
        }
        if (c == '\b' || c == 0x7F) {  /* terminals send DEL for backspace */
            if (n > 0) {
                n--;
                console_write("\b \b");
            }
        } else if (c >= ' ' && c <= '~' && n < size - 1) {
            buf[n++] = (char)c;
            char echo[2] = {(char)c, '\0'};
            console_write(echo);
        }
    }
}

void monitor_run(void)
{
    char line[MONITOR_LINE_MAX];

    kprintf("Type 'help' for a list of commands.\n");
    for (;;) {
        console_write("K> ");
        read_line(line, sizeof line);
        monitor_execute(line);
    }
}
