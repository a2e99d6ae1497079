/* thread.h - kernel threads and the scheduler. Lab 5.
 * A thread is a kernel stack (KSTACK_SIZE, 16 KiB, with an unmapped guard
 * page below it, in the region memlayout.h places), a saved stack pointer, and bookkeeping. The scheduler is preemptive
 * round-robin: the timer takes the CPU from a thread after SCHED_SLICE
 * ticks. Handout lab5 §2 draws the stacks at a switch and the state machine:
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

/* A new thread running fn(arg); fn's return value is its exit value. NULL
 * if threads are off or memory ran out. The caller must thread_join it. */
struct thread *thread_create(int (*fn)(void *), void *arg, const char *name);

/* End the calling thread with value; never returns. */
void thread_exit(int value) __attribute__((noreturn));

/* Wait for t to end, free it, and return its exit value. May block. */
int thread_join(struct thread *t);

/* Give the CPU to the next runnable thread (if any). */
void thread_yield(void);

/* Block for at least ms milliseconds. */
void thread_sleep(uint64_t ms);

/* Called by the timer, interrupts off: wake sleepers, count the slice. */
void sched_tick(void);

/* Called at the end of every interrupt, interrupts off: switch if the
 * running thread's slice is used up. */
void sched_preempt(void);

/* Block the calling thread on wq. Interrupts must be off (a spinlock held,
 * which is released meanwhile and taken again before returning). */
void waitqueue_sleep(struct waitqueue *wq, struct spinlock *lock);

/* Make the first / every thread on wq runnable. Interrupts off. */
void waitqueue_wake_one(struct waitqueue *wq);
void waitqueue_wake_all(struct waitqueue *wq);

/* For thread.c and sched.c: queue t to run (interrupts off); add t to
 * the list of all threads. */
void sched_make_runnable(struct thread *t);
void thread_register(struct thread *t);

/* For thread_create and the Lab 5 tests: lay out the first frame of t's
 * stack (t->kstack .. + KSTACK_SIZE) so that switch_to to t->rsp starts
 * thread_trampoline with r12 = t, and set t->rsp. Touches nothing else. */
void thread_prepare_stack(struct thread *t);
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

/* The assembly context switch (switch.asm): save the callee-saved
 * registers and rsp in *old_rsp, load new_rsp, restore, return there. */
void switch_to(uint64_t *old_rsp, uint64_t new_rsp);

#endif
