/* syscall_msr.c - turning the syscall instruction on. Lab 10, exercise 1
 * with syscall_entry.asm (handout §2).
 * `syscall` reads its whole behaviour from four MSRs: EFER.SCE allows it,
 * STAR holds the selectors, LSTAR the entry point, FMASK the rflags bits
 * it clears. `int 0x80` (Lab 6) stays, with the same dispatcher. */
#include "gdt.h"
#include "kinit.h"
#include "x86.h"

void syscall_entry(void);            /* syscall_entry.asm */

/* STAR[47:32]: syscall loads cs = this, ss = this + 8 (kernel code, data).
 * STAR[63:48]: 64-bit sysret loads cs = this + 16, ss = this + 8, each
 * with RPL 3; our GDT has user data (0x18) just below user code (0x20),
 * the order sysret needs. */
#define STAR_SYSCALL_CS ((uint64_t)SEG_KERNEL_CODE)
#define STAR_SYSRET_BASE ((uint64_t)(SEG_USER_DATA - 8) | 3)

/* FMASK: interrupts off until the entry is on its own stack (IF), no
 * single-step (TF) or alignment check (AC) in the kernel, the direction
 * flag clear as C expects (DF), no nested task (NT), IOPL 0. */
#define FMASK_BITS (0x200ull | 0x100ull | 0x40000ull | 0x400ull | 0x4000ull | 0x3000ull)

_Static_assert(SEG_USER_CODE == SEG_USER_DATA + 8 && SEG_KERNEL_DATA == SEG_KERNEL_CODE + 8,
               "the GDT's order is the one syscall and sysret load");

/* Boot step: make `syscall` in ring 3 enter syscall_entry with the
 * kernel's selectors and FMASK_BITS cleared, and `sysret` return to the
 * user's selectors; set EFER.SCE last, once the other three are right.
 * Interrupts off or on; calls rdmsr and wrmsr. */
static void syscall_msr_init(void)
{
#if SOL >= 10
    wrmsr(MSR_STAR, STAR_SYSCALL_CS << 32 | STAR_SYSRET_BASE << 48);
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_FMASK, FMASK_BITS);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
#else
    /* LAB 10, exercise 1: make syscall enter syscall_entry, through
     * STAR, LSTAR, FMASK and EFER.SCE; without them it raises #UD (handout §2) */
#endif
}
KINIT(63, syscall_msr_init);
