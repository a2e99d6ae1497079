/* trap.h - the trap frame and the interrupt/exception dispatcher.
 * Lab 2. Every vector's entry stub (isr.asm) saves the machine state as a
 * struct trap_frame on the stack and calls trap_dispatch with a pointer to
 * it. The field order is the stack layout: lowest address first. The
 * assembly uses the offsets generated from this struct (asm-offsets.c).
 * Handout lab2 §2.3 draws it. */
#ifndef TRAP_H
#define TRAP_H

#include <stdint.h>

struct trap_frame {
    /* saved by isr_common */
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    /* pushed by the vector's stub */
    uint64_t vector;
    uint64_t error;         /* the CPU's error code, or 0 for vectors without one */
    /* pushed by the CPU */
    uint64_t rip, cs, rflags, rsp, ss;
};

#define IRQ_BASE 0x20            /* the PICs deliver IRQ n at vector IRQ_BASE + n */
#define IRQ_COUNT 16
#define VECTOR_SPURIOUS 0xFF     /* the local APIC's spurious vector (unused by the 8259s) */
#define VECTOR_BENCH    0x31     /* does nothing: the interrupt round-trip benchmark */
#define VECTOR_SYSCALL  0x80     /* int 0x80: system calls (Lab 6) */

enum exception_vector {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
    EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
    EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18, EXC_XM = 19,
    EXC_VE = 20, EXC_CP = 21,
};

/* Page-fault error code bits (Intel SDM vol. 3, 4.7). */
#define PF_PRESENT  (1u << 0)    /* 0: the page was not present */
#define PF_WRITE    (1u << 1)    /* 0: a read */
#define PF_USER     (1u << 2)    /* 0: in kernel mode */
#define PF_RESERVED (1u << 3)    /* a reserved bit was set in an entry */
#define PF_FETCH    (1u << 4)    /* an instruction fetch */

typedef void (*irq_handler_t)(struct trap_frame *tf);

/* Called by isr_common for every vector, interrupts off. */
void trap_dispatch(struct trap_frame *tf);

/* Run handler for IRQ irq (0..15) and unmask the line. Handlers are
 * registered at boot (the table has no lock); a second one replaces the first. */
void irq_register(int irq, irq_handler_t handler);

/* Print the report of the exception tf describes (vector 0..31; its fields
 * may hold any values) in the format of handout lab2 §3.2: the exception and
 * the symbol of rip ("??+0x0" when ksym_lookup finds none), the decoded
 * error code (and CR2 for a page fault), the registers, the IST stack it
 * runs on if any, and a backtrace from tf->rbp. Prints only: changes no
 * state, never fails. Interrupts off (a handler's state); may call
 * kprintf, ksym_lookup, backtrace_from, ist_stack_of, read_cr2 and
 * read_rsp. Lab 2, exercise 2. */
void exception_report(const struct trap_frame *tf);

/* The name of exception vector v ("Page fault"), and its mnemonic ("PF"). */
const char *exception_name(uint64_t vector);
const char *exception_mnemonic(uint64_t vector);

/* Register the one hook trap_dispatch calls on every way back to ring 3
 * (after a system call, an IRQ or a resolved fault that came from ring 3),
 * with the frame it will return with; interrupts off, or on after a
 * system call. It may end the process there (Lab 7's kill); a second
 * registration is a bug (ASSERT). */
void trap_on_return_to_user(void (*hook)(struct trap_frame *tf));

/* How many times vector v has been taken since boot (for tests). */
uint64_t trap_count(unsigned vector);

#endif
