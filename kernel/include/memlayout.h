/* memlayout.h - where things live in the kernel's virtual address space.
 * Lab 1 (given). KERNEL_VMA must match boot.asm and linker.ld. */
#ifndef MEMLAYOUT_H
#define MEMLAYOUT_H

#include <stdint.h>

#define KERNEL_VMA      0xFFFFFFFF80000000ull  /* kernel image: phys + KERNEL_VMA */
#define DIRECT_MAP_BASE 0xFFFF800000000000ull  /* all RAM: phys + DIRECT_MAP_BASE */
#define BOOT_DIRECT_MAP_SIZE (4ull << 30)      /* what the boot page tables map */

/* Section boundaries, defined by linker.ld. Use their addresses, not values. */
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];
extern char __kernel_end[];

/* Kernel pointer to physical address p (p below BOOT_DIRECT_MAP_SIZE in Lab 1). */
static inline void *phys_to_virt(uint64_t p)
{
    return (void *)(p + DIRECT_MAP_BASE);
}

#endif
