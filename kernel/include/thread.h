/* thread.h - kernel threads and the scheduler. Lab 5.
 * A thread is a kernel stack (16 KiB, with an unmapped guard page below
 * it), a saved stack pointer, and bookkeeping. The scheduler is preemptive
 * round-robin: the timer takes the CPU from a thread after SCHED_SLICE
 * ticks. Handout lab5 §2 draws the stacks at a switch and the state machine:
 *
 *   create -> RUNNABLE <-> RUNNING -> ZOMBIE -> (joined: freed)
 *                 ^           |
 *                 +- BLOCKED <+  (sleep, mutex, condition variable, join)
 */
#ifndef THREAD_H
#define THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "spinlock.h"

#define THREAD_NAME_MAX 16
#define KSTACK_SIZE     16384
#define SCHED_SLICE     2            /* ticks a thread runs before preemption */

enum thread_state { THREAD_RUNNABLE, THREAD_RUNNING, THREAD_BLOCKED, THREAD_ZOMBIE };

struct waitqueue {                   /* threads blocked on something, FIFO */
    struct thread *head, *tail;
};

struct thread {
    uint64_t rsp;                    /* saved by switch_to */
    int id;
    char name[THREAD_NAME_MAX];
    enum thread_state state;
    int (*fn)(void *arg);            /* what a new thread runs */
    void *arg;
    uint64_t kstack;                 /* lowest address of the stack (above its guard) */
    int kstack_slot;
    int exit_value;
    struct waitqueue joiners;        /* who waits in thread_join */
    uint64_t wake_tick;              /* when a sleeping thread is due */
    uint64_t ticks_run;              /* for ps */
    unsigned slice;                  /* ticks left before preemption */
    struct thread *next, *prev;      /* on the run queue or a wait queue */
    struct thread *all_next;         /* on the list of all threads */
#if LAB >= 6
    struct proc *proc;               /* the user process it runs, or NULL */
    /* The x87/SSE registers (FXSAVE image). The kernel never uses them
     * (-mgeneral-regs-only); user programs may, so each switch saves
     * them for the old thread and loads them for the new one. */
    uint8_t fpu[512] __attribute__((aligned(16)));
#endif
};

/* The running thread. */
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
