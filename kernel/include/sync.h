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
void mutex_lock(struct mutex *m);    /* may block */
void mutex_unlock(struct mutex *m);  /* panics unless the caller owns m */

void condvar_init(struct condvar *c);
/* Release m, wait for a signal, take m again. The caller must own m; no
 * signal sent after the call began can be missed. */
void condvar_wait(struct condvar *c, struct mutex *m);
void condvar_signal(struct condvar *c);       /* wake one waiter */
void condvar_broadcast(struct condvar *c);    /* wake them all */

#endif
