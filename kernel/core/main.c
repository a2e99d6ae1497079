/* main.c - kmain, where the kernel starts in C. Lab 1 (given).
 * boot.asm calls kmain in long mode on the boot stack with the Multiboot2
 * magic and the physical address of the boot information. */
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "cmdline.h"
#include "console.h"
#include "ktest.h"
#include "monitor.h"
#include "multiboot2.h"
#include "power.h"
#include "x86.h"
#if LAB >= 2
#include "gdt.h"
#include "idt.h"
#include "keyboard.h"
#include "pic.h"
#include "pit.h"
#include "serial.h"
#endif
#if LAB >= 3
#include "paging.h"
#include "pmm.h"
#endif
#if LAB >= 4
#include "kmalloc.h"
#endif
#if LAB >= 5
#include "thread.h"
#endif
#if LAB >= 6
#include "proc.h"
#endif

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)   /* the value of the macro x, as a string */
#ifndef LAB_TITLE
#define LAB_TITLE "?"
#endif

void kmain(uint32_t magic, uint64_t mb2_info_phys);

#if LAB >= 3
extern char boot_stack_guard[];

/* Frames, then the kernel's own page tables, then the RAM they opened up. */
static void memory_init(void)
{
    if (!pmm_init() || !paging_init())
        return;
    pmm_add_high_memory();
    paging_add_guard((uint64_t)boot_stack_guard, "boot stack");
    paging_add_guard(ist_guard_page(IST_DOUBLE_FAULT), "IST1 (double fault) stack");
    paging_add_guard(ist_guard_page(IST_NMI), "IST2 (NMI) stack");
    paging_add_guard(ist_guard_page(IST_MACHINE_CHECK), "IST3 (machine check) stack");
#if LAB >= 4
    int64_t heapmax = cmdline_get_int("heapmax", HEAP_DEFAULT_MAX);
    if (heapmax < 0) {
        kprintf("cmdline: heapmax=%ld must not be negative\n", heapmax);
        power_off(false);
    }
    kheap_init((uint64_t)heapmax);
#endif
}
#endif

#if LAB >= 2
/* Segments, interrupt gates, PICs, timer, keyboard; then interrupts on. */
static void interrupts_init(void)
{
    int64_t hz = cmdline_get_int("hz", PIT_DEFAULT_HZ);

    if (hz < PIT_MIN_HZ || hz > PIT_MAX_HZ) {
        kprintf("cmdline: hz=%ld is out of range (%d..%d)\n", hz, PIT_MIN_HZ, PIT_MAX_HZ);
        power_off(false);
    }
    pic_init();
    pit_init((unsigned)hz);
    keyboard_init();
    serial_enable_interrupts();
    if (idt_ready())
        cpu_enable_interrupts();
}
#endif

void kmain(uint32_t magic, uint64_t mb2_info_phys)
{
    console_init();
    console_set_color(VGA_LIGHT_CYAN, VGA_BLACK);
    /* Whole strings, no conversions: these show before kprintf works. */
    console_write("teachos x86-64 teaching kernel - lab " STRINGIFY(LAB) ": " LAB_TITLE "\n");
    console_reset_color();
    console_write("console: COM1 at 115200 baud, VGA text " STRINGIFY(VGA_COLS) "x"
                  STRINGIFY(VGA_ROWS) "\n");
#if LAB >= 2
    gdt_init();                  /* first: exceptions get reports from here on */
    idt_init();
#endif

    mb2_parse(magic, mb2_info_phys);
    kprintf("boot: loader \"%s\"\n", boot_info.loader_name);
    kprintf("boot: command line \"%s\"\n", boot_info.cmdline);
    if (!cmdline_parse(boot_info.cmdline))
        power_off(false);
#if LAB >= 3
    memory_init();
#endif
#if LAB >= 2
    interrupts_init();
#endif
#if LAB >= 5
    sched_init();
#endif

    if (cmdline_has("bench")) {
        bench_run_all();
        power_off(true);
    }
#if LAB >= 6
    if (cmdline_get("init"))
        proc_run_init(cmdline_get("init"));
#endif
    const char *test = cmdline_get("test");
    if (test != NULL)
        ktest_run(ktest_find(test));
    monitor_run();
}
