/* sync.c - mutexes and condition variables on wait queues (sync.h).
 * Lab 5: mutex_lock, mutex_unlock and the condition variable are exercise 5
 * (handout §3.5), with the wait queues of sched.c; priority donation is
 * challenge 2 (§6.2). */
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

/* Challenge 2 (priority donation, one level). mutex_lend: current is about
 * to wait for m, owned by another thread; if that owner's priority is lower
 * than current's, raise it to current's (thread_set_priority) until it
 * unlocks, remembering what it was. m->guard held (interrupts off), so it
 * must not yield. mutex_lent_back: current has just unlocked a mutex (no
 * spinlock held); if its priority was raised, put it back as it was, which
 * may yield. Without the challenge both do nothing. */
static void mutex_lend(struct mutex *m);
static void mutex_lent_back(void);

#if SOL >= 5
static void mutex_lend(struct mutex *m)
{
    struct thread *owner = m->owner;

    if (owner->priority >= current->priority)
        return;
    if (!owner->lent) {
        owner->own_priority = owner->priority;
        owner->lent = true;
    }
    thread_set_priority(owner, current->priority);   /* not current: no yield */
}

static void mutex_lent_back(void)
{
    if (current->lent) {
        current->lent = false;
        thread_set_priority(current, current->own_priority);
    }
}
#else
/* LAB 5, challenge 2: lend a waiter's higher priority to the mutex's owner
 * until it unlocks (handout §6.2) */
static void mutex_lend(struct mutex *m)
{
    (void)m;
}

static void mutex_lent_back(void)
{
}
#endif

void mutex_lock(struct mutex *m)
{
    spin_lock(&m->guard);
    if (m->locked && m->owner == current)
        PANIC("mutex %s: locked twice by thread %s", m->guard.name, current->name);
    if (m->locked)
        mutex_lend(m);                   /* challenge 2: the owner runs at our priority */
#if SOL >= 5
    while (m->locked)                    /* woken, another may have come first: check again */
        waitqueue_sleep(&m->waiters, &m->guard);
    m->locked = true;
    m->owner = current;
#else
    /* LAB 5, exercise 5: return only once current owns m, blocked while
     * another thread does (handout §3.5) */
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
    /* LAB 5, exercise 5: free m and let one waiter try for it
     * (handout §3.5) */
#endif
    spin_unlock(&m->guard);
    mutex_lent_back();                   /* challenge 2: our own priority again */
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
#if SOL >= 5
    /* Release m and queue up for c in one step, under m's guard (interrupts
     * off): a signal cannot come in between and be lost. */
    m->locked = false;
    m->owner = NULL;
    waitqueue_wake_one(&m->waiters);
    waitqueue_sleep(&c->waiters, &m->guard);
    spin_unlock(&m->guard);
    mutex_lock(m);
#else
    /* LAB 5, exercise 5: release m and wait on c with no signal lost in
     * between; return owning m again (handout §3.5) */
    (void)c;
    spin_unlock(&m->guard);
#endif
}

void condvar_signal(struct condvar *c)
{
#if SOL >= 5
    push_cli();
    waitqueue_wake_one(&c->waiters);
    pop_cli();
#else
    /* LAB 5, exercise 5: wake one waiter of c, if any (handout §3.5) */
    (void)c;
#endif
}

void condvar_broadcast(struct condvar *c)
{
#if SOL >= 5
    push_cli();
    waitqueue_wake_all(&c->waiters);
    pop_cli();
#else
    /* LAB 5, exercise 5: wake every waiter of c (handout §3.5) */
    (void)c;
#endif
}
