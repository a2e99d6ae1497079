/* sync.h - blocking locks: mutexes and condition variables. Lab 5.
 * Unlike a spinlock, a mutex may be held across sleeps and long work: a
 * thread that finds it taken blocks on its wait queue instead of spinning.
 * Neither may be used from an interrupt handler. */
#ifndef SYNC_H
#define SYNC_H

#include "spinlock.h"
#include "thread.h"

struct mutex {
    struct spinlock guard;           /* protects the fields below */
    bool locked;
    struct thread *owner;
    struct waitqueue waiters;
};

struct condvar {
    struct waitqueue waiters;        /* interrupts off (thread.h); waiting also holds
                                        the mutex's guard */
};

void mutex_init(struct mutex *m, const char *name);

/* Take m for the calling thread: if another thread owns it, block on
 * m->waiters until it is free and this thread gets it (any number of
 * threads may wait; each wakeup is checked again, another may have taken m
 * first). Returns with m locked and owned by current. Interrupts on or off
 * with no spinlock held; not from an interrupt handler. Panics if current
 * already owns m. Exercise 5 (handout §3.5). */
void mutex_lock(struct mutex *m);

/* Free m, owned by current (else it panics), and wake one of its waiters,
 * if any, to try for it. Does not block or switch. Exercise 5. */
void mutex_unlock(struct mutex *m);

void condvar_init(struct condvar *c);

/* Release m (owned by current, else it panics), wait on c until signalled,
 * and own m again before returning. Releasing m and waiting on c happen as
 * one step under m's guard: no signal sent after the call began can be
 * missed. Callers check their condition again in a loop (a signal may
 * wake more than the condition allows). Exercise 5 (handout §3.5). */
void condvar_wait(struct condvar *c, struct mutex *m);

/* Wake one waiter of c / every waiter of c (none is fine). Called with or
 * without the mutex held; does not block. Exercise 5. */
void condvar_signal(struct condvar *c);
void condvar_broadcast(struct condvar *c);

#endif
