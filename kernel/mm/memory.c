/* memory.c - bring up memory at boot: frames, then the kernel's own page
 * tables, then the RAM they opened up, and the guard pages under the boot
 * and IST stacks. Lab 3 (given): a boot step (kinit.h). */
#include <stdint.h>

#include "gdt.h"
#include "kinit.h"
#include "paging.h"
#include "pmm.h"

extern char boot_stack_guard[];      /* boot.asm */

static void memory_init(void)
{
    if (!pmm_init() || !paging_init())
        return;
    pmm_add_high_memory();
    paging_add_guard((uint64_t)boot_stack_guard, "boot stack");
    paging_add_guard(ist_guard_page(IST_DOUBLE_FAULT), "IST1 (double fault) stack");
    paging_add_guard(ist_guard_page(IST_NMI), "IST2 (NMI) stack");
    paging_add_guard(ist_guard_page(IST_MACHINE_CHECK), "IST3 (machine check) stack");
}
KINIT(30, memory_init);
