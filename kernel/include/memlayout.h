/* memlayout.h - the map of the 64-bit virtual address space: where every
 * region starts and how big it is. Lab 1 (given); the regions of later labs
 * are fixed here from the start. KERNEL_VMA must match boot.asm and
 * linker.ld. Sizes that are choices (stack pages, slot counts) come from
 * tunables.h. Handout lab3 §1 and lab6 §1 draw parts of it.
 *
 *  0x0000000000000000 +-------------------------------+
 *                     | unmapped: null pointers fault |
 *  USER_MIN_ADDR      +-------------------------------+ 64 KiB
 *                     | user program (linked at       | Lab 6: the ELF segments, then
 *                     | 0x400000), then its heap      | brk, up to USER_BRK_MAX past them
 *                     |              ...              |
 *                     | mmap's regions, placed from   | Lab 10 (mmap.c): top-down
 *                     | the top down                  |   from USER_MMAP_TOP
 *  USER_STACK_GUARD   | guard page                    | = USER_MMAP_TOP
 *                     | user stack                    | USER_STACK_PAGES pages
 *  USER_STACK_TOP     +-------------------------------+ 0x00007FFFFFFFF000
 *                     | one unmapped page             |
 *  USER_TOP           +===============================+ 0x0000800000000000: end of
 *                     | non-canonical: every access   |   the lower (user) half
 *                     | faults                        |
 *  DIRECT_MAP_BASE    +===============================+ 0xFFFF800000000000
 *                     | all RAM, at phys +            | Lab 3, 2 MiB pages (the boot
 *                     |   DIRECT_MAP_BASE (at most    |   tables: the first 4 GiB)
 *                     |   DIRECT_MAP_MAX)             |
 *  HEAP_BASE          +-------------------------------+ 0xFFFFA00000000000
 *                     | kernel heap, grows up to      | Lab 4 (kmalloc.c)
 *                     |   heapmax= (HEAP_REGION_SIZE) |
 *  KSTACK_REGION      +-------------------------------+ 0xFFFFB00000000000
 *                     | thread kernel stacks: slots   | Lab 5 (thread.c): per slot a
 *                     |   of KSTACK_SLOT bytes        |   guard page, then the stack
 *  KTEST_WINDOW       +-------------------------------+ 0xFFFFC00000000000
 *                     | scratch for in-kernel tests   | Lab 3 tests map 1 GiB here
 *                     |              ...              |
 *  KERNEL_VMA         +-------------------------------+ 0xFFFFFFFF80000000
 *                     | kernel image: .text .rodata   | phys + KERNEL_VMA (the top
 *                     |   .data .bss, boot stacks     |   2 GiB, -mcmodel=kernel)
 *  0xFFFFFFFFFFFFFFFF +-------------------------------+
 *
 * Every PML4 entry of the upper half (from DIRECT_MAP_BASE) is made at
 * boot and shared by all address spaces (Lab 6), so kernel mappings
 * anywhere above are the same in every process. */
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "tunables.h"

/* ---- the lower half: user space (Lab 6) ---- */
#define USER_MIN_ADDR    0x10000ull                 /* nothing is loaded below: null pointers fault */
#define USER_STACK_TOP   0x00007FFFFFFFF000ull      /* the first argv string ends just below */
#define USER_STACK_GUARD (USER_STACK_TOP - (USER_STACK_PAGES + 1) * 4096ull)
#define USER_TOP         0x0000800000000000ull      /* the lower half: user space */
#define USER_MMAP_TOP    USER_STACK_GUARD           /* Lab 10: mmap places regions below */

/* ---- the upper half: the kernel ---- */
#define DIRECT_MAP_BASE  0xFFFF800000000000ull      /* all RAM: phys + DIRECT_MAP_BASE */
#define DIRECT_MAP_MAX   (HEAP_BASE - DIRECT_MAP_BASE)   /* 32 TiB of RAM at most */
#define BOOT_DIRECT_MAP_SIZE (4ull << 30)           /* what the boot page tables map */

#define HEAP_BASE        0xFFFFA00000000000ull      /* kmalloc's pages (Lab 4) */
#define HEAP_REGION_SIZE (KSTACK_REGION - HEAP_BASE)

/* Kernel stacks (Lab 5), one 32 KiB slot each:
 *   slot + 0        guard page, never mapped: an overflow faults here
 *   slot + 4 KiB    KSTACK_SIZE (16 KiB) of stack
 *   slot + 20 KiB   unused */
#define KSTACK_REGION    0xFFFFB00000000000ull
#define KSTACK_SLOT      (32 * 1024ull)
#define KSTACK_REGION_SIZE (MAX_KSTACKS * KSTACK_SLOT)

#define KTEST_WINDOW     0xFFFFC00000000000ull      /* scratch mappings of in-kernel tests */
#define KERNEL_VMA       0xFFFFFFFF80000000ull      /* kernel image: phys + KERNEL_VMA */

_Static_assert(USER_STACK_GUARD > USER_MIN_ADDR && USER_STACK_TOP < USER_TOP,
               "memlayout: the user stack lies in the user half");
_Static_assert(KSTACK_SIZE + 4096 <= KSTACK_SLOT, "memlayout: a stack and its guard fit a slot");
_Static_assert(KSTACK_REGION + KSTACK_REGION_SIZE <= KTEST_WINDOW,
               "memlayout: the kernel stacks end before the test window");

/* Section boundaries, defined by linker.ld. Use their addresses, not values. */
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];
extern char __kernel_end[];

/* Is va canonical: bits 63..48 all copies of bit 47? Any other address
 * is in the hole between the halves, and every access to it faults. */
static inline bool is_canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* Kernel pointer to physical address p (p below BOOT_DIRECT_MAP_SIZE in Lab 1). */
static inline void *phys_to_virt(uint64_t p)
{
    return (void *)(p + DIRECT_MAP_BASE);
}

#endif
