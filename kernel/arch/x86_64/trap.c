/* trap.c - where every interrupt and exception arrives (from isr.asm).
 * Lab 2: exception_report and exception_dispatch are exercise 2 (handout
 * §3.2), irq_dispatch is exercise 3 (§3.3); the routing of vectors and the
 * report of unexpected ones are given. */
#include <stdbool.h>

#include "trap.h"
#include "backtrace.h"
#include "console.h"
#include "gdt.h"
#include "ksyms.h"
#include "panic.h"
#include "pic.h"
#include "x86.h"
#include "paging.h"
#include "thread.h"
#include "proc.h"
#include "syscall.h"

static irq_handler_t irq_handlers[IRQ_COUNT];
static uint64_t counts[256];
static bool reported[256];       /* unexpected vectors and IRQs: report once */

static const char *const names[32] = {
    "Divide error", "Debug", "Non-maskable interrupt", "Breakpoint", "Overflow",
    "BOUND range exceeded", "Invalid opcode", "Device not available", "Double fault",
    "Coprocessor segment overrun", "Invalid TSS", "Segment not present",
    "Stack-segment fault", "General protection fault", "Page fault", "Reserved",
    "x87 floating-point error", "Alignment check", "Machine check",
    "SIMD floating-point exception", "Virtualization exception",
    "Control protection exception",
};
static const char *const mnemonics[32] = {
    "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS",
    "GP", "PF", "R15", "MF", "AC", "MC", "XM", "VE", "CP",
};

const char *exception_name(uint64_t vector)
{
    return vector < 32 && names[vector] ? names[vector] : "Reserved exception";
}

const char *exception_mnemonic(uint64_t vector)
{
    return vector < 32 && mnemonics[vector] ? mnemonics[vector] : "??";
}

uint64_t trap_count(unsigned vector)
{
    return counts[vector & 0xFF];
}

void irq_register(int irq, irq_handler_t handler)
{
    ASSERT(irq >= 0 && irq < IRQ_COUNT);
    irq_handlers[irq] = handler;
    pic_unmask(irq);
}

#if SOL >= 2
static void print_registers(const struct trap_frame *tf)
{
    kprintf("  rax=%p rbx=%p rcx=%p\n", (void *)tf->rax, (void *)tf->rbx, (void *)tf->rcx);
    kprintf("  rdx=%p rsi=%p rdi=%p\n", (void *)tf->rdx, (void *)tf->rsi, (void *)tf->rdi);
    kprintf("  rbp=%p rsp=%p r8 =%p\n", (void *)tf->rbp, (void *)tf->rsp, (void *)tf->r8);
    kprintf("  r9 =%p r10=%p r11=%p\n", (void *)tf->r9, (void *)tf->r10, (void *)tf->r11);
    kprintf("  r12=%p r13=%p r14=%p\n", (void *)tf->r12, (void *)tf->r13, (void *)tf->r14);
    kprintf("  r15=%p rflags=%p cs=0x%lx ss=0x%lx\n", (void *)tf->r15, (void *)tf->rflags,
            tf->cs, tf->ss);
}

/* The error code of #TS, #NP, #SS and #GP names a segment selector. */
static void print_selector_error(uint64_t error)
{
    static const char *const tables[4] = {"GDT", "IDT", "LDT", "IDT"};

    kprintf("  error code 0x%lx: %s selector index %lu%s\n", error, tables[(error >> 1) & 3],
            (error >> 3) & 0x1FFF, error & 1 ? ", external event" : "");
}

static void print_page_fault_error(uint64_t error)
{
    kprintf("  error code 0x%lx: %s, %s, %s mode%s%s\n", error,
            error & PF_PRESENT ? "protection violation" : "page not present",
            error & PF_WRITE ? "write" : "read", error & PF_USER ? "user" : "kernel",
            error & PF_RESERVED ? ", reserved bit set" : "",
            error & PF_FETCH ? ", instruction fetch" : "");
    kprintf("  cr2=%p\n", (void *)read_cr2());
}
#endif

void exception_report(const struct trap_frame *tf)
{
#if SOL >= 2
    uint64_t offset;
    const char *sym = ksym_lookup(tf->rip, &offset);
    uint64_t rsp = read_rsp();
    int ist = ist_stack_of(rsp);

    kprintf("EXCEPTION: %s (#%s, vector %lu) at rip=%p %s+0x%lx\n", exception_name(tf->vector),
            exception_mnemonic(tf->vector), tf->vector, (void *)tf->rip, sym ? sym : "??",
            sym ? offset : 0);
    switch (tf->vector) {
    case EXC_PF:
        print_page_fault_error(tf->error);
        break;
    case EXC_TS:
    case EXC_NP:
    case EXC_SS:
    case EXC_GP:
        if (tf->error)
            print_selector_error(tf->error);
        else
            kprintf("  error code 0\n");
        break;
    case EXC_DF:
    case EXC_AC:
    case EXC_CP:
        kprintf("  error code 0x%lx\n", tf->error);
        break;
    }
    print_registers(tf);
    if (ist)
        kprintf("  handler stack: IST%d (rsp=%p)\n", ist, (void *)rsp);
    kprintf("Backtrace:\n");
    backtrace_from(tf->rbp);
#else
    /* LAB 2, exercise 2: print the report of tf in the handout's format:
     * what and where, the decoded error code, the registers, the IST stack
     * in use and a backtrace of the interrupted code (handout §3.2) */
    (void)tf;
#endif
}

/* An exception in kernel mode (vector 0..31), interrupts off: report it
 * (exception_report), then return for a breakpoint (#BP: iretq resumes after
 * the int3) and PANIC for anything else, the double fault with a message of
 * its own. May call exception_report, kprintf and PANIC. Lab 2, exercise 2. */
static void exception_dispatch(struct trap_frame *tf)
{
#if SOL >= 2
    exception_report(tf);
    if (tf->vector == EXC_BP) {
        kprintf("  breakpoint: resuming\n");
        return;                  /* rip already points after the int3 */
    }
    if (tf->vector == EXC_DF)
        PANIC("double fault (a fault while starting the handler of another: "
              "a kernel stack overflow?)");
    PANIC("unhandled exception %s in kernel mode", exception_name(tf->vector));
#else
    /* LAB 2, exercise 2: report the exception; resume after a breakpoint
     * and panic for every other exception (handout §3.2) */
    PANIC("exception %lu at rip %p (LAB 2, exercise 2: report and handle exceptions)",
          tf->vector, (void *)tf->rip);
#endif
}

/* IRQ irq = tf->vector - IRQ_BASE (0..15) arrived, interrupts off (they
 * stay off). A spurious IRQ 7 or 15 (pic_is_spurious) runs no handler and
 * gets no EOI of its own. Any other runs the handler irq_register gave it,
 * or, without one, is masked (pic_mask) and reported once:
 * "irq: IRQ <n> (vector <v>) has no handler: masked" (reported[] says if it
 * was). Either way it returns with the PICs' EOI sent (pic_eoi), so that the
 * caller may switch threads. May call the handler, pic_*, kprintf.
 * Lab 2, exercise 3. */
static void irq_dispatch(struct trap_frame *tf)
{
    int irq = (int)(tf->vector - IRQ_BASE);

#if SOL >= 2
    if ((irq == 7 || irq == 15) && pic_is_spurious(irq))
        return;                  /* nothing to handle and no EOI owed */
    if (irq_handlers[irq]) {
        irq_handlers[irq](tf);
    } else {
        if (!reported[tf->vector])
            kprintf("irq: IRQ %d (vector %lu) has no handler: masked\n", irq, tf->vector);
        reported[tf->vector] = true;
        pic_mask(irq);           /* else it fires again at once */
    }
    pic_eoi(irq);                /* after the handler: it ran with its line blocked */
#else
    /* LAB 2, exercise 3: run the handler of this IRQ, or mask and report it
     * once without one, and acknowledge it to the PICs; a spurious IRQ 7 or
     * 15 gets neither (handout §3.3) */
    PANIC("IRQ %d arrived (LAB 2, exercise 3: dispatch IRQs)", irq);
#endif
    /* From Lab 5 on, the scheduler may switch threads here, after the EOI. */
#if LAB >= 5
    sched_preempt();                 /* after the EOI: the next thread needs the timer too */
#endif
}

#if LAB >= 3
/* A fault in a guard page means a stack ran off its end: say so first. */
static void report_stack_overflow(const struct trap_frame *tf)
{
    uint64_t cr2 = read_cr2();
    const char *stack = paging_guard_name(cr2);

    if ((tf->vector == EXC_PF || tf->vector == EXC_DF) && stack)
        kprintf("KERNEL STACK OVERFLOW: %p is in the guard page below the %s\n", (void *)cr2,
                stack);
}
#endif

static void (*return_to_user_hook)(struct trap_frame *tf);

void trap_on_return_to_user(void (*hook)(struct trap_frame *tf))
{
    ASSERT(return_to_user_hook == NULL);
    return_to_user_hook = hook;
}

static void trap_dispatch_kernel(struct trap_frame *tf);

void trap_dispatch(struct trap_frame *tf)
{
    ASSERT(!cpu_interrupts_enabled());   /* every gate is an interrupt gate (idt.c) */
    counts[tf->vector & 0xFF]++;
#if LAB >= 6
    if (tf->vector == VECTOR_SYSCALL) {
        cpu_enable_interrupts();     /* a system call may block: it runs like thread code */
        syscall_dispatch(tf);
    } else if (tf->vector < 32 && (tf->cs & 3) == 3) {
        proc_fault(tf);          /* ring 3's exception: proc.c resolves it or kills the process */
    } else {
        trap_dispatch_kernel(tf);
    }
    if ((tf->cs & 3) == 3 && return_to_user_hook)
        return_to_user_hook(tf);
#else
    trap_dispatch_kernel(tf);
#endif
}

/* What trap_dispatch does for an exception, IRQ or other vector that is
 * not a system call or ring 3's exception. */
static void trap_dispatch_kernel(struct trap_frame *tf)
{
#if LAB >= 3
    report_stack_overflow(tf);
#endif
    if (tf->vector < 32)
        exception_dispatch(tf);
    else if (tf->vector < IRQ_BASE + IRQ_COUNT)
        irq_dispatch(tf);
    else if (tf->vector != VECTOR_SPURIOUS && tf->vector != VECTOR_BENCH && !reported[tf->vector]) {
        kprintf("trap: unexpected interrupt vector %lu at rip=%p: ignored\n", tf->vector,
                (void *)tf->rip);
        reported[tf->vector] = true;
    }
}
