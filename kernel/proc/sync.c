/* sync.c - mutexes and condition variables on wait queues (sync.h).
 * Lab 5: mutex_lock and mutex_unlock are exercise 5 (handout §3.5); the
 * condition variable is given. */
#include <stddef.h>

#include "sync.h"
#include "panic.h"

void mutex_init(struct mutex *m, const char *name)
{
    spin_init(&m->guard, name);
    m->locked = false;
    m->owner = NULL;
    m->waiters = (struct waitqueue){NULL, NULL};
}

void mutex_lock(struct mutex *m)
{
    spin_lock(&m->guard);
    if (m->locked && m->owner == current)
        PANIC("mutex %s: locked twice by thread %s", m->guard.name, current->name);
#if SOL >= 5
    while (m->locked)                    /* woken, another may have come first: check again */
        waitqueue_sleep(&m->waiters, &m->guard);
    m->locked = true;
    m->owner = current;
#else
    /* LAB 5, exercise 5: while m is locked, sleep on m->waiters
     * (waitqueue_sleep releases and retakes m->guard); then take it:
     * locked, owner = current (handout §3.5) */
#endif
    spin_unlock(&m->guard);
}

void mutex_unlock(struct mutex *m)
{
    spin_lock(&m->guard);
    if (!m->locked || m->owner != current)
        PANIC("mutex %s: unlocked by thread %s, which does not hold it", m->guard.name,
              current->name);
#if SOL >= 5
    m->locked = false;
    m->owner = NULL;
    waitqueue_wake_one(&m->waiters);
#else
    /* LAB 5, exercise 5: release m and wake one waiter
     * (waitqueue_wake_one) (handout §3.5) */
#endif
    spin_unlock(&m->guard);
}

void condvar_init(struct condvar *c)
{
    c->waiters = (struct waitqueue){NULL, NULL};
}

void condvar_wait(struct condvar *c, struct mutex *m)
{
    spin_lock(&m->guard);
    if (m->owner != current)
        PANIC("condvar_wait: thread %s does not hold mutex %s", current->name, m->guard.name);
    /* Release m and queue up for c in one step, interrupts off: a signal
     * cannot come in between and be lost. */
    m->locked = false;
    m->owner = NULL;
    waitqueue_wake_one(&m->waiters);
    waitqueue_sleep(&c->waiters, &m->guard);
    spin_unlock(&m->guard);
    mutex_lock(m);
}

void condvar_signal(struct condvar *c)
{
    push_cli();
    waitqueue_wake_one(&c->waiters);
    pop_cli();
}

void condvar_broadcast(struct condvar *c)
{
    push_cli();
    waitqueue_wake_all(&c->waiters);
    pop_cli();
}
