/* monitor.c - the kernel monitor: a command prompt on the console.
 * Lab 1 (given). Later labs add commands to the table below. */
#include <stdbool.h>

#include "monitor.h"
#include "backtrace.h"
#include "console.h"
#include "memlayout.h"
#include "power.h"
#include "string.h"
#if LAB >= 2
#include "pit.h"
#endif
#if LAB >= 4
#include "kmalloc.h"
#endif
#if LAB >= 5
#include "thread.h"
#endif
#if LAB >= 3
#include "memmap.h"
#include "paging.h"
#include "pmm.h"
#endif

static int cmd_help(int argc, char **argv);
static int cmd_kerninfo(int argc, char **argv);
static int cmd_backtrace(int argc, char **argv);
static int cmd_echo(int argc, char **argv);
static int cmd_poweroff(int argc, char **argv);
#if LAB >= 2
static int cmd_uptime(int argc, char **argv);
#endif
#if LAB >= 4
static int cmd_heapinfo(int argc, char **argv);
#endif
#if LAB >= 5
static int cmd_ps(int argc, char **argv);
#endif
#if LAB >= 3
static int cmd_meminfo(int argc, char **argv);
static int cmd_pt(int argc, char **argv);
#endif

/* The commands of this file; others register with MONITOR_COMMAND. */
static const struct monitor_command commands[] = {
    {"help", "list the commands", cmd_help},
    {"kerninfo", "show where the kernel's sections are", cmd_kerninfo},
    {"backtrace", "print the stack frames of this command", cmd_backtrace},
    {"echo", "print the arguments", cmd_echo},
    {"poweroff", "turn the machine off (QEMU exits)", cmd_poweroff},
#if LAB >= 2
    {"uptime", "timer ticks and seconds since boot", cmd_uptime},
#endif
#if LAB >= 3
    {"meminfo", "the memory map and free/used frames", cmd_meminfo},
    {"pt", "pt ADDR: the page-table walk for a virtual address", cmd_pt},
#endif
#if LAB >= 4
    {"heapinfo", "kernel heap: bytes in use and free, free blocks per bin, pages", cmd_heapinfo},
#endif
#if LAB >= 5
    {"ps", "the threads: id, name, state, timer ticks run", cmd_ps},
#endif
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

extern const struct monitor_command __start_monitor_commands[], __stop_monitor_commands[];

static int cmd_help(int argc, char **argv)
{
    (void)argc, (void)argv;
    for (size_t i = 0; i < NCOMMANDS; i++)
        kprintf("  %-10s %s\n", commands[i].name, commands[i].help);
    for (const struct monitor_command *c = __start_monitor_commands; c < __stop_monitor_commands; c++)
        kprintf("  %-10s %s\n", c->name, c->help);
    return 0;
}

static void print_section(const char *name, const char *start, const char *end)
{
    kprintf("  %-8s %p - %p  (%lu bytes)\n", name, (void *)start, (void *)end,
            (uint64_t)(end - start));
}

static int cmd_kerninfo(int argc, char **argv)
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

static int cmd_backtrace(int argc, char **argv)
{
    (void)argc, (void)argv;
    backtrace();
    return 0;
}

static int cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        console_write(argv[i]);
        console_write(i + 1 < argc ? " " : "");
    }
    console_write("\n");
    return 0;
}

static int cmd_poweroff(int argc, char **argv)
{
    (void)argc, (void)argv;
    kprintf("Powering off.\n");
    power_off(true);
}

#if LAB >= 2
static int cmd_uptime(int argc, char **argv)
{
    (void)argc, (void)argv;
    uint64_t t = pit_ticks();
    unsigned hz = pit_hz();
    kprintf("uptime: %lu ticks at %u Hz = %lu.%02lu s\n", t, hz, t / hz, t % hz * 100 / hz);
    return 0;
}
#endif

#if LAB >= 3
static int cmd_meminfo(int argc, char **argv)
{
    (void)argc, (void)argv;
    memmap_print();
    for (int i = 0; i < reserved_count; i++)
        kprintf("reserved: %p-%p %s\n", (void *)reserved[i].start, (void *)reserved[i].end,
                reserved[i].what);
    uint64_t total = pmm_total_frames(), free = pmm_free_frames();
    kprintf("frames: %lu free, %lu used, %lu in all (%lu KiB free)\n", free, total - free, total,
            free * 4);
    return 0;
}

static int cmd_pt(int argc, char **argv)
{
    int64_t va;

    if (argc != 2 || !parse_int(argv[1], &va)) {
        kprintf("usage: pt ADDR   (e.g. pt 0xffffffff80100000)\n");
        return -1;
    }
    if (kernel_pml4 == NULL) {
        kprintf("pt: the kernel's page tables are not built (LAB 3)\n");
        return -1;
    }
    vmm_print_walk(kernel_pml4, (uint64_t)va);
    return 0;
}
#endif

#if LAB >= 4
static int cmd_heapinfo(int argc, char **argv)
{
    (void)argc, (void)argv;
    kheap_print();
    return 0;
}
#endif

#if LAB >= 5
static int cmd_ps(int argc, char **argv)
{
    (void)argc, (void)argv;
    thread_print_all();
    return 0;
}
#endif

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
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[0], commands[i].name) == 0)
            return commands[i].run(argc, argv);
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
