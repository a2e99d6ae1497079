/* thread.h - kernel threads and the scheduler. Lab 5.
 * A thread is a kernel stack (KSTACK_SIZE, 16 KiB, with an unmapped guard
 * page below it, in the region memlayout.h places), a saved stack pointer
 * and bookkeeping. The scheduler is preemptive round-robin: the timer takes
 * the CPU from a thread after SCHED_SLICE ticks (with challenge 1, the
 * highest priority first). Handout lab5 §1.1 draws the state machine
 * and §2 the stacks at a switch:
 *
 *   create -> RUNNABLE <-> RUNNING -> ZOMBIE -> (joined: freed)
 *                 ^           |
 *                 +- BLOCKED <+  (sleep, mutex, condition variable, join)
 *
 * Locking: the scheduler's state (the run queue, the sleepers, current),
 * the list of all threads and the kernel-stack slots (thread.c) are
 * guarded by interrupts off, because the timer interrupt changes them. */
#ifndef THREAD_H
#define THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "memlayout.h"               /* KSTACK_REGION, KSTACK_SLOT */
#include "spinlock.h"
#include "tunables.h"                /* THREAD_NAME_MAX, KSTACK_SIZE, SCHED_SLICE, MAX_* */

enum thread_state { THREAD_RUNNABLE, THREAD_RUNNING, THREAD_BLOCKED, THREAD_ZOMBIE };

/* Priorities (challenge 1): the highest ready priority runs first, FIFO
 * within one. Every thread starts at PRIO_DEFAULT, so that without
 * thread_set_priority the scheduler is plain round-robin. */
#define PRIO_MIN     0
#define PRIO_MAX     7
#define PRIO_DEFAULT 4
#define PRIO_LEVELS  (PRIO_MAX - PRIO_MIN + 1)

/* Threads blocked on something, FIFO. Guarded by interrupts off: the
 * scheduler and interrupt handlers (the timer) change queues, so every
 * access is made with interrupts off (push_cli, or a spinlock held). */
struct waitqueue {
    struct thread *head, *tail;
};

/* Who may touch what, on this one CPU:
 *   [once]  set by thread_create (or sched_init) before the thread is
 *           runnable or on any list; read-only afterwards.
 *   [intr]  interrupts off: the scheduler, the timer and wait queues.
 *   [self]  only the thread itself (and the scheduler switching it). */
struct thread {
    uint64_t rsp;                    /* [intr] saved by switch_to */
    int id;                          /* [intr] set as it is queued; then read-only */
    char name[THREAD_NAME_MAX];      /* [once]; [self] in execve (Lab 6) */
    enum thread_state state;         /* [intr] */
    int (*fn)(void *arg);            /* [once] what a new thread runs */
    void *arg;                       /* [once] */
    uint64_t kstack;                 /* [once] lowest address of the stack (above its guard) */
    int kstack_slot;                 /* [once] */
    int exit_value;                  /* [intr] written by thread_exit; read once ZOMBIE */
    struct waitqueue joiners;        /* [intr] who waits in thread_join */
    uint64_t wake_tick;              /* [intr] when a sleeping thread is due */
    uint64_t ticks_run;              /* [intr] for ps, counted by the timer */
    unsigned slice;                  /* [intr] ticks left before preemption */
    int priority;                    /* [intr] PRIO_MIN..PRIO_MAX, the run queue it waits on */
    bool lent;                       /* [intr] priority raised by a waiter (challenge 2) */
    int own_priority;                /* [intr] what it was before, while lent */
    struct thread *next, *prev;      /* [intr] on the run queue or a wait queue */
    struct thread *all_next;         /* [intr] on the list of all threads */
#if LAB >= 6
    struct proc *proc;               /* [once] the user process it runs, or NULL */
    /* [intr] The x87/SSE registers (FXSAVE image), saved and loaded by the
     * switch-in hook (fpu.c). The kernel never uses them
     * (-mgeneral-regs-only); user programs may, so a switch between user
     * threads saves them for the old thread and loads them for the new one. */
    uint8_t fpu[512] __attribute__((aligned(16)));
#endif
#if LAB >= 10
    uint64_t fs_base;                /* [self] its FS base (arch_prctl): Linux TLS (tls.c) */
#endif
};

/* The running thread. Changed only by the scheduler, interrupts off. */
extern struct thread *current;

/* Start the scheduler: the boot code becomes the thread "main", the idle
 * thread is made, and a test thread proves switching works. If an exercise
 * is missing, say which and leave threads off (thread_create gives NULL). */
void sched_init(void);
bool sched_running(void);

/* Register the one hook the scheduler calls, interrupts off, just before it
 * switches to next: what next's process needs loaded (its page tables, its
 * kernel stack for ring 3, its x87/SSE state). Lab 6 (proc.c) registers it;
 * a second registration is a bug (ASSERT). */
void sched_on_switch_in(void (*hook)(struct thread *next));

/* A new thread running fn(arg) at PRIO_DEFAULT; fn's return value is its
 * exit value. NULL if threads are off or memory ran out. The caller must
 * thread_join it. Interrupts as the caller has them. */
struct thread *thread_create(int (*fn)(void *), void *arg, const char *name);

/* End the calling thread with value: it becomes a ZOMBIE that keeps value
 * in exit_value, every thread in its joiners is woken, and it switches away
 * for good (it never runs or returns again; its stack and struct are freed
 * by whoever joins it). Any interrupt state. Calls push_cli,
 * waitqueue_wake_all and the scheduler. Exercise 3 (handout §3.3). */
void thread_exit(int value) __attribute__((noreturn));

/* Wait for t (not the caller, not yet joined by anyone) to be a ZOMBIE,
 * blocking on t->joiners meanwhile; then free all it holds (see
 * thread_free in thread.c) and return its exit value. Interrupts on or off
 * with no spinlock held (it may block). Exercise 6 (handout §3.6). */
int thread_join(struct thread *t);

/* Give the CPU to the next thread chosen by the scheduler, the caller
 * waiting at the tail of its run queue meanwhile (the idle thread waits on
 * none); return when the caller is chosen again, with its interrupt state
 * as it was. A no-op while threads are off. May be called with interrupts
 * off (push_cli), not with a spinlock held. Exercise 3 (handout §3.3). */
void thread_yield(void);

/* Block the caller (not the idle thread) for at least ms milliseconds of
 * timer ticks, never less, and return RUNNING with its interrupt state as
 * it was; ms = 0 still yields for a tick. The caller is BLOCKED among the
 * sleepers (at most MAX_SLEEPERS, O(log n) to add) with its wake_tick set,
 * and wake_sleepers makes it RUNNABLE when that tick comes; a caller that
 * would be sleeper number MAX_SLEEPERS + 1 is a PANIC. Any interrupt state,
 * no spinlock held. Calls pit_ticks, pit_hz, push_cli, pop_cli and the
 * scheduler. Exercise 4 (handout §3.4). */
void thread_sleep(uint64_t ms);

/* Called by the timer on every tick, interrupts off: counts ticks_run,
 * wakes the sleepers that are due (exercise 4) and uses up one tick of
 * current's slice; when the slice is used up (never for the idle thread)
 * it asks for a switch at interrupt exit (need_resched). Switches nothing
 * itself. Exercise 3 (handout §3.3). */
void sched_tick(void);

/* Called by irq_dispatch at the end of every IRQ, after its EOI,
 * interrupts off (not after exceptions or system calls): if the timer
 * asked for a switch, current goes to the tail of its run queue (unless
 * idle) and the scheduler picks again; the interrupted thread resumes,
 * later, where the interrupt came. Exercise 3 (handout §3.3). */
void sched_preempt(void);

/* Block current on wq (FIFO) until waitqueue_wake_* picks it. Interrupts
 * off (a push_cli, or lock held). If lock is not NULL it is held by the
 * caller, released while the caller sleeps (spin_release_sleeping) and
 * held again on return (spin_retake_woken). Exercise 5 (handout §3.5). */
void waitqueue_sleep(struct waitqueue *wq, struct spinlock *lock);

/* Make the first / every thread on wq RUNNABLE (to the tail of its run
 * queue, in the order they waited); none on wq is fine. Interrupts off.
 * They do not switch. Exercise 5 (handout §3.5). */
void waitqueue_wake_one(struct waitqueue *wq);
void waitqueue_wake_all(struct waitqueue *wq);

/* For thread.c and sched.c: queue t to run (interrupts off); add t to
 * the list of all threads. */
void sched_make_runnable(struct thread *t);
void thread_register(struct thread *t);

/* Lay out the first frame of t's stack (t->kstack .. + KSTACK_SIZE): two
 * spare words below the top, then the seven words switch_to pops (six
 * registers, all 0 but r12 = t, and the return address thread_trampoline),
 * and set t->rsp to the lowest of them. Touches nothing else; calls
 * nothing. Exercise 2 (handout §3.2). */
void thread_prepare_stack(struct thread *t);

/* The first C code of a new thread, called by thread_trampoline (switch.asm,
 * which passes r12) with interrupts off and the interrupt-off depth of
 * whichever thread switched to it. Makes that state the new thread's own
 * (no push_cli held, interrupts on), runs self->fn(self->arg) and ends the
 * thread with its result (thread_exit). Never returns. Exercise 2 (handout
 * §3.2). */
void thread_start(struct thread *self) __attribute__((noreturn));

/* Challenge 1 (handout §6.1): set t's priority (PRIO_MIN..PRIO_MAX) and
 * return 0, or -1 if priority is out of range or t is the idle thread or a
 * ZOMBIE (or priorities are not done). A RUNNABLE t moves to the tail of
 * its new level; if t is current and a higher priority is ready, it yields
 * at once. Any interrupt state, no spinlock held. */
int thread_set_priority(struct thread *t, int priority);
int thread_get_priority(const struct thread *t);
#if LAB >= 6
void thread_fpu_reset(struct thread *t);   /* a clean x87/SSE state */
void thread_fpu_forget(struct thread *t);  /* t is going away */
void thread_fpu_load(struct thread *t);    /* put t's state in the CPU (interrupts off) */
#endif

/* Print one line per thread (the monitor's ps). */
void thread_print_all(void);

/* Counters for tests: how often the idle thread woke from hlt. */
extern volatile uint64_t idle_wakeups;

/* The guard page of a kernel stack holding addr, as a name, or NULL. */
const char *kstack_guard_name(uint64_t addr);

/* The context switch (switch.asm), interrupts off. Saves the caller's
 * context on its own stack and stores the saved rsp in *old_rsp; from that
 * rsp upward the stack then holds r15, r14, r13, r12, rbx, rbp and the
 * return address into the caller (the layout thread_prepare_stack builds
 * and the grader reads). Resumes the context saved at new_rsp, of the same
 * layout: those six registers as stored there, execution at the return
 * address above them, rsp just above it. Other registers are the caller's
 * to lose (System V ABI). It returns in the other context; the caller's
 * call returns only when someone switches back to *old_rsp. Exercise 1
 * (handout §3.1). */
void switch_to(uint64_t *old_rsp, uint64_t new_rsp);

#endif
