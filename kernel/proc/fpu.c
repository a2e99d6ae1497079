/* fpu.c - x87/SSE state for user threads: enabled at boot, saved and loaded
 * by the scheduler's switch-in hook (proc.c) only when another user thread
 * runs (kernel threads leave the registers alone). From Lab 10 the FS base
 * (tls.c) is loaded with it: the other user register the trap frame lacks.
 * Lab 6 (given). */
#include <stdint.h>

#include "kinit.h"
#include "panic.h"
#include "string.h"
#include "thread.h"
#include "x86.h"
#if LAB >= 10
#include "linux.h"
#endif

static uint8_t fpu_clean[512] __attribute__((aligned(16)));
static struct thread *fpu_owner;     /* whose x87/SSE state the CPU holds */

/* Only user code uses x87/SSE: kernel threads leave the registers alone,
 * so the state is swapped only when a different user thread runs.
 * Interrupts off. */
void thread_fpu_load(struct thread *next)
{
    ASSERT(!cpu_interrupts_enabled());   /* fpu_owner's lock */
#if LAB >= 10
    tls_switch_in(next);
#endif
    if (next->proc == NULL || fpu_owner == next)
        return;
    if (fpu_owner)
        __asm__ volatile("fxsave64 %0" : "=m"(fpu_owner->fpu));
    __asm__ volatile("fxrstor64 %0" : : "m"(next->fpu));
    fpu_owner = next;
}

void thread_fpu_forget(struct thread *t)
{
    if (fpu_owner == t)
        fpu_owner = NULL;
}

/* Let user programs use x87 and SSE (CR0.EM off, CR4.OSFXSR and
 * OSXMMEXCPT on) and record a clean register image for new threads. */
static void fpu_init(void)
{
    write_cr0((read_cr0() & ~(1ull << 2)) | (1ull << 1));     /* EM off, MP on */
    __asm__ volatile("mov %%cr4, %%rax; or $0x600, %%rax; mov %%rax, %%cr4" ::: "rax");
    __asm__ volatile("fninit");
    uint32_t mxcsr = 0x1F80;                                /* all SSE exceptions masked */
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    __asm__ volatile("fxsave64 %0" : "=m"(fpu_clean));
    if (current)                     /* the boot thread, from sched_init */
        memcpy(current->fpu, fpu_clean, sizeof fpu_clean);
}

void thread_fpu_reset(struct thread *t)
{
    memcpy(t->fpu, fpu_clean, sizeof t->fpu);
}
KINIT(62, fpu_init);
