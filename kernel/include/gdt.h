/* gdt.h - segments and the task state segment. Lab 2.
 * In 64-bit mode segments barely matter (base 0, no limits), but the CPU
 * still needs code segments for ring 0 and ring 3, and a TSS: it holds the
 * stacks the CPU switches to on an interrupt (rsp0 and the IST). */
#ifndef GDT_H
#define GDT_H

#include <stdint.h>

#include "tunables.h"            /* IST_STACK_SIZE */

#define SEG_KERNEL_CODE 0x08
#define SEG_KERNEL_DATA 0x10
#define SEG_USER_DATA   0x18     /* used with RPL 3: 0x1B (Lab 6) */
#define SEG_USER_CODE   0x20     /* used with RPL 3: 0x23 (Lab 6) */
#define SEG_TSS         0x28     /* a 16-byte system descriptor: two slots */
#define GDT_ENTRIES     7

/* Interrupt stack table slots (1-based, as in an IDT gate's IST field). */
#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3

/* The one TSS: built at boot by gdt_init; afterwards only rsp[0] changes,
 * set by tss_set_rsp0 at every switch to a user thread, interrupts off. */
struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];             /* stack for entering ring 0, 1, 2 from a lower ring */
    uint64_t reserved1;
    uint64_t ist[7];             /* ist[n - 1] is the stack for IST slot n */
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;         /* offset of the I/O permission bitmap: none */
} __attribute__((packed));

/* Build the GDT and TSS, load them (lgdt, ltr) and reload the segment
 * registers. Call once, early, with interrupts off. */
void gdt_init(void);

/* The IST stacks, for reports: the slot (1..3) whose stack holds addr, or 0. */
int ist_stack_of(uint64_t addr);

/* The page below IST slot n's stack (Lab 3 makes it a guard page). */
uint64_t ist_guard_page(int slot);

/* The stack the CPU switches to on an interrupt from ring 3 (Lab 6): the
 * top of the running thread's kernel stack, set at every switch. */
void tss_set_rsp0(uint64_t rsp0);

#if LAB >= 10
/* Lab 10: the same top of stack, kept for the syscall instruction's entry
 * (syscall_entry.asm), which must switch stacks itself: syscall leaves rsp
 * as ring 3 had it. Set by tss_set_rsp0 only. */
extern uint64_t syscall_rsp0;
#endif

#endif
