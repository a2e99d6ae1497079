/* idt.h - the interrupt descriptor table. Lab 2.
 * 256 gates, one per vector; each names the entry stub (isr.asm), the code
 * segment, the gate type, the lowest privilege allowed to use `int n` on it,
 * and optionally an IST stack. Handout lab2 §2.2 draws a gate. */
#ifndef IDT_H
#define IDT_H

#include <stdbool.h>
#include <stdint.h>

#define GATE_INTERRUPT 0xE       /* clears IF on entry: what we use everywhere */
#define GATE_TRAP      0xF       /* leaves IF alone */

/* Build every gate (exceptions with their IST stacks) and load the IDT. */
void idt_init(void);

/* Make gate vector (0..255) present: handler (any 64-bit address) run in
 * SEG_KERNEL_CODE, type GATE_INTERRUPT or GATE_TRAP, dpl (0..3: the least
 * privileged ring that may use `int vector`; we use 0 or 3), ist (0: stay on
 * the current stack, else IST slot 1..7). Out-of-range arguments panic
 * (ASSERT). Changes no other gate; does not reload the IDT. Lab 2, exercise 1. */
void idt_set_gate(int vector, uint64_t handler, int type, int dpl, int ist);

/* Did idt_init produce usable gates? If not (the exercise is still a stub)
 * the kernel keeps interrupts off and polls. */
bool idt_ready(void);

#endif
