/* spinlock.c - spinlocks (spinlock.h), built on push_cli/pop_cli (cli.h).
 * Lab 5 (given). Here in arch/, below mm/ (the heap takes one) and proc/:
 * a lock is an atomic exchange with interrupts off; it reads only which
 * thread is current, to say who holds it when something goes wrong. */
#include <stddef.h>

#include "spinlock.h"
#include "panic.h"
#include "kinit.h"
#include "pit.h"
#include "console.h"          /* kprintf */
#include "thread.h"
#include "x86.h"

void spin_init(struct spinlock *l, const char *name)
{
    *l = (struct spinlock)SPINLOCK_INIT(name);
}

bool spin_holding(const struct spinlock *l)
{
    return l->locked && l->holder == current;
}

void spin_lock_at(struct spinlock *l, const char *file, int line)
{
    push_cli();
    if (spin_holding(l))
        PANIC("spinlock %s: taken twice by thread %s (first at %s:%d)", l->name,
              current ? current->name : "?", l->file, l->line);
    uint64_t start = rdtsc();
    /* One CPU, interrupts off: if it is taken, its holder cannot run until
     * we give up. Wait a second, then say who holds it. */
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        if (tsc_per_ms && rdtsc() - start > 1000 * tsc_per_ms)
            PANIC("spinlock %s held far too long by thread %s (taken at %s:%d)", l->name,
                  l->holder ? l->holder->name : "?", l->file, l->line);
        cpu_relax();
    }
    l->holder = current;
    l->file = file;
    l->line = line;
}

void spin_release_sleeping(struct spinlock *l)
{
    ASSERT(!cpu_interrupts_enabled() && spin_holding(l));
    l->holder = NULL;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

void spin_retake_woken(struct spinlock *l)
{
    ASSERT(!cpu_interrupts_enabled());
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        cpu_relax();
    l->holder = current;
}

void spin_unlock(struct spinlock *l)
{
    ASSERT(spin_holding(l));
    l->holder = NULL;
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    pop_cli();
}

uint64_t tsc_per_ms;

/* Boot step, once the timer ticks (after interrupts_on, before sched_init):
 * TSC ticks per ms against 3 timer ticks. Rough, but what it serves (a
 * lock held "about a second") is rough too. If interrupts are off (the PICs
 * not remapped) or no tick comes (a Lab 2 timer still to write), it says so
 * and tsc_per_ms stays 0, "unknown": pit_wait_ticks would halt for ever. */
static void tsc_calibrate(void)
{
    if (!cpu_interrupts_enabled())
        return;
    uint64_t ticks = pit_ticks(), start = rdtsc();
    while (pit_ticks() == ticks) {        /* spin, not hlt: no tick may come */
        if (rdtsc() - start > TSC_NO_TICK_CYCLES) {
            kprintf("tsc: the timer does not tick (LAB 2, exercise 4): "
                    "spinlocks cannot time out\n");
            return;
        }
        cpu_relax();
    }
    pit_wait_ticks(1);
    uint64_t t0 = rdtsc();
    pit_wait_ticks(3);
    tsc_per_ms = (rdtsc() - t0) * pit_hz() / 3 / 1000;
}
KINIT(59, tsc_calibrate);
