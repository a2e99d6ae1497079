/* sched.c - the scheduler: run queues, context switches, preemption, sleep,
 * wait queues. Lab 5: thread_start is exercise 2 (handout §3.2); the queues,
 * picking, switching, yielding, preemption and thread_exit exercise 3
 * (§3.3); sleeping exercise 4 (§3.4); the wait queues exercise 5 (§3.5);
 * priorities challenge 1 (§6.1). The rest is given. One CPU: "interrupts
 * off" (push_cli) is the scheduler's lock. */
#include <stddef.h>

#include "thread.h"
#include "console.h"
#include "kmalloc.h"
#include "panic.h"
#include "pit.h"
#include "string.h"
#include "x86.h"
#include "kinit.h"

/* On what the exercises' code uses: the stubs do not, and -Werror would
 * refuse an unused static function or variable. */
#define EXERCISE_USES __attribute__((unused))

struct thread *current;
volatile uint64_t idle_wakeups;

static struct thread *idle_thread;
/* RUNNABLE threads, one FIFO per priority (thread.h); the idle thread is on
 * none once it has run. Until challenge 1 every thread waits on
 * runq[PRIO_DEFAULT]. */
static struct waitqueue runq[PRIO_LEVELS];
static bool running;                 /* threads are on */
static bool need_resched EXERCISE_USES;   /* set by the timer, acted on at interrupt exit */
static void (*switch_in_hook)(struct thread *next);   /* sched_on_switch_in */

/* ---- queues (exercise 3) ----------------------------------------------------- */

/* Append t, which is on no queue, at the tail of q, in O(1) through t's next
 * and prev links. Interrupts off. Calls nothing. */
EXERCISE_USES static void queue_push(struct waitqueue *q, struct thread *t)
{
#if SOL >= 5
    t->next = NULL;
    t->prev = q->tail;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
#else
    /* LAB 5, exercise 3: append t to q in O(1) (handout §3.3) */
    (void)q, (void)t;
#endif
}

/* Take the thread at the head of q off it, in O(1): the one queued first,
 * or NULL if q is empty. Interrupts off. Calls nothing. */
EXERCISE_USES static struct thread *queue_pop(struct waitqueue *q)
{
#if SOL >= 5
    struct thread *t = q->head;

    if (t) {
        q->head = t->next;
        if (q->head)
            q->head->prev = NULL;
        else
            q->tail = NULL;
        t->next = t->prev = NULL;
    }
    return t;
#else
    /* LAB 5, exercise 3: unlink and return q's oldest thread, NULL when
     * empty (handout §3.3) */
    (void)q;
    return NULL;
#endif
}

/* ---- priorities (challenge 1) -------------------------------------------------- */

/* The run queue t waits on while RUNNABLE: its priority's. Interrupts off. */
EXERCISE_USES static struct waitqueue *runq_of(const struct thread *t);

/* The run queue pick_next takes from: the highest priority's that is not
 * empty, or NULL when all are. A scan of PRIO_LEVELS queues at most (a
 * constant). Interrupts off. */
static struct waitqueue *runq_best(void);

/* thread_set_priority's contract is in thread.h. */
#if SOL >= 5
static struct waitqueue *runq_of(const struct thread *t)
{
    ASSERT(t->priority >= PRIO_MIN && t->priority <= PRIO_MAX);
    return &runq[t->priority];
}

static struct waitqueue *runq_best(void)
{
    for (int p = PRIO_MAX; p >= PRIO_MIN; p--)
        if (runq[p].head)
            return &runq[p];
    return NULL;
}

/* Unlink t from anywhere in q, in O(1). */
static void queue_remove(struct waitqueue *q, struct thread *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        q->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        q->tail = t->prev;
    t->next = t->prev = NULL;
}

int thread_set_priority(struct thread *t, int priority)
{
    if (priority < PRIO_MIN || priority > PRIO_MAX || t == idle_thread ||
        t->state == THREAD_ZOMBIE)
        return -1;
    push_cli();
    bool queued = t->state == THREAD_RUNNABLE;
    if (queued)
        queue_remove(runq_of(t), t);
    t->priority = priority;
    if (queued)
        queue_push(runq_of(t), t);       /* at the tail of its new level */
    struct waitqueue *best = runq_best();
    if (t == current && best && best->head->priority > priority)
        thread_yield();                  /* a higher priority is ready: give way now */
    pop_cli();
    return 0;
}
#else
/* LAB 5, challenge 1: queue each RUNNABLE thread by its priority; the
 * highest ready priority runs ahead of lower ones, FIFO within a priority
 * (handout §6.1) */
static struct waitqueue *runq_of(const struct thread *t)
{
    (void)t;
    return &runq[PRIO_DEFAULT];
}

static struct waitqueue *runq_best(void)
{
    return runq[PRIO_DEFAULT].head ? &runq[PRIO_DEFAULT] : NULL;
}

int thread_set_priority(struct thread *t, int priority)
{
    (void)t, (void)priority;
    return -1;
}
#endif

int thread_get_priority(const struct thread *t)
{
    return t->priority;
}

/* ---- picking and switching (exercise 3) ---------------------------------------- */

/* Mark t RUNNABLE and append it to its run queue (runq_of(t)). Interrupts
 * off; t is on no queue and is not the idle thread. */
static void make_runnable(struct thread *t)
{
    ASSERT(t != idle_thread);
#if SOL >= 5
    t->state = THREAD_RUNNABLE;
    queue_push(runq_of(t), t);
#else
    /* LAB 5, exercise 3: t becomes RUNNABLE, last on its run queue
     * (handout §3.3) */
    (void)t;
#endif
}

void sched_make_runnable(struct thread *t)
{
    ASSERT(!cpu_interrupts_enabled());
    make_runnable(t);
}

/* The thread to run next, taken off its run queue: the first of the best
 * run queue (runq_best), or the idle thread when every queue is empty.
 * Never NULL. Interrupts off. */
EXERCISE_USES static struct thread *pick_next(void)
{
#if SOL >= 5
    struct waitqueue *q = runq_best();
    return q ? queue_pop(q) : idle_thread;
#else
    /* LAB 5, exercise 3: the chosen thread, taken off its run queue; the
     * idle thread if none is RUNNABLE (handout §3.3) */
    return current;
#endif
}

/* Run the thread pick_next chooses: it becomes RUNNING with a fresh slice
 * of SCHED_SLICE ticks, and need_resched is cleared. Interrupts off; the
 * caller has already put current where it belongs (a run queue, a wait
 * queue, the sleepers, or nowhere if it ended). If the caller is chosen,
 * returns at once. If another thread is: the switch-in hook (if
 * registered) sees it before it runs, it is current when it runs, and the
 * caller's thread is switched out; the interrupt-off state (cli.h: depth
 * and saved flag) belongs to each thread, so the caller finds its own as it
 * was. Returns when the caller's thread is running again, as current. May
 * call pick_next, the hook, cli_state_save/cli_state_restore and switch_to. */
EXERCISE_USES static void schedule(void)
{
    ASSERT(!cpu_interrupts_enabled());
#if SOL >= 5
    struct thread *prev = current, *next = pick_next();
    int depth;
    bool intena;

    next->state = THREAD_RUNNING;
    next->slice = SCHED_SLICE;
    need_resched = false;
    if (next == prev)
        return;
    cli_state_save(&depth, &intena);     /* the interrupt-off state is per thread */
    if (switch_in_hook)
        switch_in_hook(next);            /* its process's state (Lab 6: proc.c) */
    current = next;
    switch_to(&prev->rsp, next->rsp);
    current = prev;                      /* we run again: someone switched to us */
    cli_state_restore(depth, intena);
#else
    /* LAB 5, exercise 3: run the thread pick_next chooses, each thread
     * keeping its own interrupt-off state across the switch (handout §3.3) */
#endif
}

void thread_yield(void)
{
    if (!running)
        return;
#if SOL >= 5
    push_cli();
    if (current != idle_thread)
        make_runnable(current);
    schedule();
    pop_cli();
#else
    /* LAB 5, exercise 3: requeue current (not the idle thread) and let the
     * scheduler choose, interrupts off meanwhile (handout §3.3) */
#endif
}

void sched_preempt(void)
{
    if (!running)
        return;
#if SOL >= 5
    if (need_resched) {
        if (current != idle_thread)
            make_runnable(current);
        schedule();
    }
#else
    /* LAB 5, exercise 3: if the timer asked for it, current gives way as
     * in thread_yield (handout §3.3) */
#endif
}

void thread_exit(int value)
{
    push_cli();
#if SOL >= 5
    current->exit_value = value;
    current->state = THREAD_ZOMBIE;
    waitqueue_wake_all(&current->joiners);
    schedule();                          /* never comes back: nobody queues a zombie */
    PANIC("a zombie thread ran again");
#else
    /* LAB 5, exercise 3: record value, become a ZOMBIE, wake the joiners
     * and switch away for good (handout §3.3) */
    (void)value;
    PANIC("thread_exit is a stub (LAB 5, exercise 3)");
#endif
}

/* ---- sleeping (exercise 4) ------------------------------------------------------ */

/* Make RUNNABLE (make_runnable), in order of wake_tick, every sleeper
 * whose wake_tick is <= now, and set need_resched if the idle thread is
 * running and one was woken (so that it gives way at once). The sleepers
 * are the threads thread_sleep (contract in thread.h) left BLOCKED, at most
 * MAX_SLEEPERS, kept in this file's own statics (yours to define, with
 * these two functions): the earliest found in O(1), one added or removed in
 * O(log n). Called by sched_tick, interrupts off. O(log n) per thread
 * woken, O(1) when none is due. Switches nothing; calls make_runnable. */
static void wake_sleepers(uint64_t now);

#if SOL >= 5
/* Sleeping threads in a binary min-heap on wake_tick: the earliest at [0]. */
static struct thread *sleepers[MAX_SLEEPERS];
static int nsleepers;

static void sleepers_push(struct thread *t)
{
    if (nsleepers == MAX_SLEEPERS)
        PANIC("more than %d sleeping threads", MAX_SLEEPERS);
    int i = nsleepers++;
    while (i > 0 && sleepers[(i - 1) / 2]->wake_tick > t->wake_tick) {   /* sift up */
        sleepers[i] = sleepers[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    sleepers[i] = t;
}

static struct thread *sleepers_pop(void)
{
    struct thread *top = sleepers[0], *last = sleepers[--nsleepers];
    int i = 0;

    for (;;) {                                                           /* sift down */
        int c = 2 * i + 1;
        if (c >= nsleepers)
            break;
        if (c + 1 < nsleepers && sleepers[c + 1]->wake_tick < sleepers[c]->wake_tick)
            c++;
        if (sleepers[c]->wake_tick >= last->wake_tick)
            break;
        sleepers[i] = sleepers[c];
        i = c;
    }
    sleepers[i] = last;
    return top;
}

static void wake_sleepers(uint64_t now)
{
    while (nsleepers > 0 && sleepers[0]->wake_tick <= now) {
        make_runnable(sleepers_pop());
        if (current == idle_thread)
            need_resched = true;         /* leave idle at once */
    }
}

void thread_sleep(uint64_t ms)
{
    /* Round up, and one tick more: the current tick is partly over, and
     * sleeping must never end early. */
    uint64_t ticks = (ms * pit_hz() + 999) / 1000 + 1;

    push_cli();
    current->wake_tick = pit_ticks() + ticks;
    current->state = THREAD_BLOCKED;
    sleepers_push(current);
    schedule();
    pop_cli();
}
#else
/* LAB 5, exercise 4: keep the sleepers, ordered by wake_tick, for
 * thread_sleep (contract in thread.h) to block current among them and
 * wake_sleepers (contract above) to wake each when due (handout §3.4) */
static void wake_sleepers(uint64_t now)
{
    (void)now;
}

/* Contract in thread.h. */
void thread_sleep(uint64_t ms)
{
    (void)ms;
}
#endif

void sched_tick(void)
{
    if (!running)
        return;
    current->ticks_run++;
    wake_sleepers(pit_ticks());
#if SOL >= 5
    if (current != idle_thread && current->slice > 0 && --current->slice == 0)
        need_resched = true;             /* acted on as the interrupt returns */
#else
    /* LAB 5, exercise 3: use up one tick of current's slice (not the idle
     * thread's); at 0 ask for a switch at interrupt exit (handout §3.3) */
#endif
}

/* ---- wait queues (exercise 5) ------------------------------------------------------ */

void waitqueue_sleep(struct waitqueue *wq, struct spinlock *lock)
{
    ASSERT(!cpu_interrupts_enabled());
#if SOL >= 5
    current->state = THREAD_BLOCKED;
    queue_push(wq, current);
    if (lock)                            /* let others take it while we sleep */
        spin_release_sleeping(lock);
    schedule();
    if (lock)
        spin_retake_woken(lock);
#else
    /* LAB 5, exercise 5: block current on wq until woken, lock let go
     * meanwhile and held again on return (handout §3.5) */
    (void)wq, (void)lock;
#endif
}

void waitqueue_wake_one(struct waitqueue *wq)
{
    ASSERT(!cpu_interrupts_enabled());
#if SOL >= 5
    struct thread *t = queue_pop(wq);

    if (t)
        make_runnable(t);
#else
    /* LAB 5, exercise 5: make wq's longest waiter RUNNABLE (handout §3.5) */
    (void)wq;
#endif
}

void waitqueue_wake_all(struct waitqueue *wq)
{
    ASSERT(!cpu_interrupts_enabled());
#if SOL >= 5
    struct thread *t;

    while ((t = queue_pop(wq)) != NULL)
        make_runnable(t);
#else
    /* LAB 5, exercise 5: make every waiter on wq RUNNABLE, in the order they
     * came (handout §3.5) */
    (void)wq;
#endif
}

/* ---- idle and start-up (given) -------------------------------------------------- */

static int idle_loop(void *arg)
{
    (void)arg;
    for (;;) {
        idle_wakeups++;
        cpu_enable_interrupts_and_halt();    /* sleep until the next interrupt */
        if (runq_best())
            thread_yield();
    }
    return 0;                            /* never: the idle thread does not end */
}

/* Does switch_to go to a bare context and come back (exercise 1)? The
 * other context is a small stack laid out as switch_to leaves one: six
 * registers, then a return address, here switch_check_other. */
static uint64_t check_main_rsp, check_other_rsp;
static volatile bool check_switched;

static void switch_check_other(void)
{
    check_switched = true;
    for (;;)                             /* back to switch_works; never resumed */
        switch_to(&check_other_rsp, check_main_rsp);
}

static bool switch_works(void)
{
    uint64_t *stack = kmalloc(1024), *sp;

    if (stack == NULL)
        return false;
    sp = stack + 1024 / 8 - 2;           /* after the ret, rsp = 8 mod 16, as after a call */
    *sp = (uint64_t)switch_check_other;
    for (int i = 0; i < 6; i++)
        *--sp = 0;                       /* r15 r14 r13 r12 rbx rbp */
    check_other_rsp = (uint64_t)sp;
    push_cli();                          /* no timer tick on the bare stack */
    switch_to(&check_main_rsp, check_other_rsp);
    pop_cli();
    kfree(stack);
    return check_switched;
}

static volatile bool probe_ran;

static int probe(void *arg)
{
    (void)arg;
    probe_ran = true;
    return 0;
}

void sched_on_switch_in(void (*hook)(struct thread *next))
{
    ASSERT(switch_in_hook == NULL);
    switch_in_hook = hook;
}

bool sched_running(void)
{
    return running;
}

void sched_init(void)
{
    struct thread *main = kcalloc(1, sizeof *main);

    if (main == NULL) {
        kprintf("sched: no memory for threads\n");
        return;
    }
    main->id = 0;
    strlcpy(main->name, "main", sizeof main->name);
    main->state = THREAD_RUNNING;
    main->priority = PRIO_DEFAULT;
    main->kstack_slot = -1;
    current = main;
    thread_register(main);
    if (!switch_works()) {
        kprintf("sched: switch_to did not go to a test context and back (LAB 5, exercise 1: "
                "start here): threads stay off\n");
        return;
    }
    running = true;                      /* for thread_create */
    idle_thread = thread_create(idle_loop, NULL, "idle");
    struct thread *p = idle_thread ? thread_create(probe, NULL, "probe") : NULL;
    if (p == NULL) {
        running = false;
        return;                          /* thread_create said why */
    }
    thread_yield();                      /* the probe runs and ends; we come back */
    if (!probe_ran) {
        kprintf("sched: the test thread did not run (LAB 5, exercise 3: the run queue and "
                "schedule): threads stay off\n");
        for (int level = PRIO_MIN; level <= PRIO_MAX; level++)
            runq[level] = (struct waitqueue){NULL, NULL};
        current = main;
        running = false;
        return;
    }
    thread_join(p);
}

void thread_start(struct thread *self)
{
#if SOL >= 5
    cli_state_restore(0, false);         /* a fresh thread holds no lock */
    cpu_enable_interrupts();
    thread_exit(self->fn(self->arg));
#else
    /* LAB 5, exercise 2: run self->fn(self->arg) as the thread's own code,
     * as the contract in thread.h says (handout §3.2) */
    (void)self;
    PANIC("a new thread started in thread_start, a stub (LAB 5, exercise 2)");
#endif
}

KINIT(60, sched_init);
