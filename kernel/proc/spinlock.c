/* spinlock.c - spinlocks (spinlock.h), built on push_cli/pop_cli (cli.h).
 * Lab 5 (given). */
#include <stddef.h>

#include "spinlock.h"
#include "panic.h"
#include "pit.h"
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
