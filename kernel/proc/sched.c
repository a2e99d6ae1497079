/* sched.c - the scheduler: run queue, context switches, preemption, sleep.
 * Lab 5: pick_next and the slice count in sched_tick are exercise 3,
 * thread_sleep and wake_sleepers exercise 4 (handout §3.3, §3.4); the rest
 * is given. One CPU: "interrupts off" (push_cli) is the scheduler's lock. */
#include <stddef.h>

#include "thread.h"
#include "console.h"
#include "kmalloc.h"
#include "panic.h"
#include "pit.h"
#include "string.h"
#include "x86.h"
#include "kinit.h"

struct thread *current;
volatile uint64_t idle_wakeups;

static struct thread *idle_thread;
static struct waitqueue runq;        /* RUNNABLE threads, FIFO: O(1) both ends */
static bool running;                 /* threads are on */
static bool need_resched;            /* set by the timer, acted on at interrupt exit */
static void (*switch_in_hook)(struct thread *next);   /* sched_on_switch_in */

/* Sleeping threads in a binary min-heap on wake_tick: the earliest at [0]. */
static struct thread *sleepers[MAX_SLEEPERS];
static int nsleepers;

void thread_start(struct thread *self);   /* called by thread_trampoline */
/* ---- queues (given) -------------------------------------------------------- */

static void queue_push(struct waitqueue *q, struct thread *t)
{
    t->next = NULL;
    t->prev = q->tail;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
}

static struct thread *queue_pop(struct waitqueue *q)
{
    struct thread *t = q->head;

    if (t) {
        q->head = t->next;
        if (q->head)
            q->head->prev = NULL;
        else
            q->tail = NULL;
    }
    return t;
}

static void make_runnable(struct thread *t)
{
    t->state = THREAD_RUNNABLE;
    queue_push(&runq, t);
}

void sched_make_runnable(struct thread *t)
{
    ASSERT(!cpu_interrupts_enabled());
    make_runnable(t);
}

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

/* ---- picking and switching ------------------------------------------------- */

/* The thread to run next: the head of the run queue, or the idle thread
 * when nobody else can run. */
static struct thread *pick_next(void)
{
#if SOL >= 5
    struct thread *t = queue_pop(&runq);
    return t ? t : idle_thread;
#else
    /* LAB 5, exercise 3: take the first thread off the run queue
     * (queue_pop); if it is empty, the idle thread (handout §3.3) */
    return current;
#endif
}

/* Switch to the next thread. Interrupts off; the caller has already put
 * current where it belongs (run queue, a wait queue, or nowhere if it
 * ended). Returns when current is scheduled again. */
static void schedule(void)
{
    struct thread *prev = current, *next = pick_next();
    int depth;
    bool intena;

    ASSERT(!cpu_interrupts_enabled());
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
}

void thread_yield(void)
{
    if (!running)
        return;
    push_cli();
    if (current != idle_thread)
        make_runnable(current);
    schedule();
    pop_cli();
}

void sched_preempt(void)
{
    if (running && need_resched) {
        if (current != idle_thread)
            make_runnable(current);
        schedule();
    }
}

/* ---- sleeping (exercise 4) -------------------------------------------------- */

/* Make runnable every sleeper whose wake_tick has come. Interrupts off. */
static void wake_sleepers(uint64_t now)
{
#if SOL >= 5
    while (nsleepers > 0 && sleepers[0]->wake_tick <= now) {
        make_runnable(sleepers_pop());
        if (current == idle_thread)
            need_resched = true;         /* leave idle at once */
    }
#else
    /* LAB 5, exercise 4: while the earliest sleeper (sleepers[0]) is due
     * (wake_tick <= now), take it out (sleepers_pop) and make it runnable;
     * if the idle thread is running, ask for a switch (need_resched)
     * (handout §3.4) */
    (void)now, (void)sleepers_pop;
#endif
}

void thread_sleep(uint64_t ms)
{
#if SOL >= 5
    /* Round up, and one tick more: the current tick is partly over, and
     * sleeping must never end early. */
    uint64_t ticks = (ms * pit_hz() + 999) / 1000 + 1;

    push_cli();
    current->wake_tick = pit_ticks() + ticks;
    current->state = THREAD_BLOCKED;
    sleepers_push(current);
    schedule();
    pop_cli();
#else
    /* LAB 5, exercise 4: with interrupts off (push_cli), set
     * current->wake_tick at least ms from now (round up, plus one tick),
     * block the thread (THREAD_BLOCKED, sleepers_push) and schedule()
     * (handout §3.4) */
    (void)ms, (void)sleepers_push;
#endif
}

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
    /* LAB 5, exercise 3: count down current's slice (not the idle
     * thread's); at 0 set need_resched, so that sched_preempt switches
     * (handout §3.3) */
#endif
}

/* ---- wait queues (given) ------------------------------------------------------ */

void waitqueue_sleep(struct waitqueue *wq, struct spinlock *lock)
{
    ASSERT(!cpu_interrupts_enabled());
    current->state = THREAD_BLOCKED;
    queue_push(wq, current);
    if (lock)                            /* let others take it while we sleep */
        spin_release_sleeping(lock);
    schedule();
    if (lock)
        spin_retake_woken(lock);
}

void waitqueue_wake_one(struct waitqueue *wq)
{
    struct thread *t = queue_pop(wq);

    if (t)
        make_runnable(t);
}

void waitqueue_wake_all(struct waitqueue *wq)
{
    struct thread *t;

    while ((t = queue_pop(wq)) != NULL)
        make_runnable(t);
}

/* ---- idle and start-up (given) -------------------------------------------------- */

static int idle_loop(void *arg)
{
    (void)arg;
    for (;;) {
        idle_wakeups++;
        cpu_enable_interrupts_and_halt();    /* sleep until the next interrupt */
        if (runq.head)
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
        kprintf("sched: the test thread did not run (LAB 5, exercise 3: pick_next): "
                "threads stay off\n");
        runq.head = runq.tail = NULL;
        current = main;
        running = false;
        return;
    }
    thread_join(p);
}

void thread_start(struct thread *self)
{
    current = self;
    cli_state_restore(0, false);         /* a fresh thread holds no lock */
    cpu_enable_interrupts();
    thread_exit(self->fn(self->arg));
}

void thread_exit(int value)
{
    push_cli();
    current->exit_value = value;
    current->state = THREAD_ZOMBIE;
    waitqueue_wake_all(&current->joiners);
    schedule();                          /* never comes back: nobody queues a zombie */
    PANIC("a zombie thread ran again");
}

KINIT(60, sched_init);
