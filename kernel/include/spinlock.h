/* spinlock.h - spinlocks and the interrupt-flag stack. Lab 5.
 * This kernel runs on one CPU: what a spinlock really does here is turn
 * interrupts off, so that no interrupt handler or preemption can run while
 * it is held. push_cli/pop_cli count nesting, so that the interrupt flag
 * comes back as it was only when the outermost lock is released. A lock
 * held far too long (which on one CPU means: taken by a thread that then
 * switched away) panics naming its holder and where it was taken. */
#ifndef SPINLOCK_H
#define SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

struct thread;

/* locked is changed only atomically; name is set once by spin_init; holder,
 * file and line are written only by the holder, with locked set. */
struct spinlock {
    volatile uint32_t locked;
    const char *name;
    struct thread *holder;           /* for reports */
    const char *file;                /* where it was taken */
    int line;
};

#define SPINLOCK_INIT(n) {0, (n), 0, 0, 0}

void spin_init(struct spinlock *l, const char *name);

/* Take l (interrupts off until the matching spin_unlock). Panics if this
 * thread already holds it, or if it stays taken for about a second. */
#define spin_lock(l) spin_lock_at((l), __FILE__, __LINE__)
void spin_lock_at(struct spinlock *l, const char *file, int line);
void spin_unlock(struct spinlock *l);
bool spin_holding(const struct spinlock *l);

/* For waitqueue_sleep only, interrupts off: let l go while the caller
 * sleeps (the interrupt-off depth stays: the sleeper's, restored by the
 * scheduler), and take it back, spinning, when it runs again. */
void spin_release_sleeping(struct spinlock *l);
void spin_retake_woken(struct spinlock *l);

/* TSC ticks per millisecond, measured against the PIT at boot (0 before, or
 * if the timer does not tick): a lock held far too long is one held for
 * 1000 * tsc_per_ms cycles. */
extern uint64_t tsc_per_ms;

#endif
