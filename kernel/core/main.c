/* main.c - kmain, where the kernel starts in C. Lab 1 (given).
 * boot.asm calls kmain in long mode on the boot stack with the Multiboot2
 * magic and the physical address of the boot information. Each lab's
 * subsystems start themselves: they register boot steps (kinit.h) next to
 * their code, and kmain runs the steps of the labs this build has. */
#include <stdint.h>

#include "cmdline.h"
#include "console.h"
#include "kinit.h"
#include "monitor.h"
#include "multiboot2.h"
#include "power.h"
#include "printf.h"
#include "vga.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)   /* the value of the macro x, as a string */
#ifndef LAB_TITLE
#define LAB_TITLE "?"
#endif

void kmain(uint32_t magic, uint64_t mb2_info_phys);

void kmain(uint32_t magic, uint64_t mb2_info_phys)
{
    console_init();
    console_set_color(VGA_LIGHT_CYAN, VGA_BLACK);
    /* Whole strings, no conversions: these show before kprintf works. */
    console_write("teachos x86-64 teaching kernel - lab " STRINGIFY(LAB) ": " LAB_TITLE "\n");
    console_reset_color();
    console_write("console: COM1 at 115200 baud, VGA text " STRINGIFY(VGA_COLS) "x"
                  STRINGIFY(VGA_ROWS) "\n");
    kinit_run(0, KINIT_CMDLINE);     /* first: exceptions get reports from here on */

    mb2_parse(magic, mb2_info_phys);
    kprintf("boot: loader \"%s\"\n", boot_info.loader_name);
    kprintf("boot: command line \"%s\"\n", boot_info.cmdline);
    if (!cmdline_parse(boot_info.cmdline))
        power_off(false);
    kinit_run(KINIT_CMDLINE, 100);   /* the rest; bench=, init=, test= do not return */
    monitor_run();
}
