/* signal.h - Linux's signals: numbers, actions, masks and the frame a
 * handler runs on. Lab 10 (handout §6). A process has 64 signals; each is
 * pending or not (a second kill of a pending signal is one delivery),
 * blocked or not, and has an action: the default (terminate, or ignore
 * for SIGCHLD, SIGURG, SIGWINCH and, with no job control, the stop and
 * continue signals), SIG_IGN, or a handler in ring 3. Signals are sent by
 * kill/tkill/tgkill, by the kernel (SIGCHLD when a child ends, SIGPIPE for
 * a write nobody will read, SIGINT for Ctrl-C), and delivered on the way
 * back to ring 3 (trap.c's return-to-user hook): a handler gets Linux's
 * struct rt_sigframe pushed on the user stack, which rt_sigreturn reads
 * back. Bit sig - 1 of a mask is signal sig, as in Linux's sigset_t. */
#ifndef SIGNAL_H
#define SIGNAL_H

#if LAB >= 10

#include <stdbool.h>
#include <stdint.h>

#include "thread.h"                  /* struct waitqueue */
#include "trap.h"

struct proc;

#define NSIG      64                 /* signals 1..NSIG */
#define SIGHUP    1
#define SIGINT    2
#define SIGQUIT   3
#define SIGILL    4
#define SIGTRAP   5
#define SIGABRT   6
#define SIGBUS    7
#define SIGFPE    8
#define SIGKILL   9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGWINCH  28

#define SIG_BIT(sig) (1ull << ((sig) - 1))
/* Never blocked, caught or ignored. */
#define SIG_UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))

/* A handler's value: or a user address. */
#define SIG_DFL 0
#define SIG_IGN 1

/* sa_flags (Linux's values). */
#define SA_NOCLDSTOP 0x00000001u     /* accepted: no process ever stops */
#define SA_SIGINFO   0x00000004u     /* the siginfo is filled (rsi points to it anyway) */
#define SA_RESTORER  0x04000000u     /* sa_restorer is set: x86-64 requires it */
#define SA_ONSTACK   0x08000000u     /* accepted: no alternate stacks (sigaltstack: -ENOSYS) */
#define SA_RESTART   0x10000000u     /* a read, write or wait4 a signal interrupted starts again */
#define SA_NODEFER   0x40000000u     /* sig is not blocked while its handler runs */
#define SA_RESETHAND 0x80000000u     /* the action goes back to SIG_DFL once delivered */

/* rt_sigprocmask's how. */
#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

/* si_code values. */
#define SI_USER    0                 /* kill(), or the kernel for SIGPIPE (as Linux says) */
#define SI_KERNEL  0x80              /* Ctrl-C on the console */
#define SI_TKILL   (-6)              /* tkill, tgkill (glibc's raise) */
#define CLD_EXITED 1                 /* SIGCHLD: si_status is exit()'s code */
#define CLD_KILLED 2                 /* SIGCHLD: si_status is the signal that ended it */

/* rt_sigaction's struct (Linux's kernel layout on x86-64; 32 bytes). */
struct sigaction_k {
    uint64_t handler;                /* SIG_DFL, SIG_IGN or a user address */
    uint64_t flags;                  /* SA_* */
    uint64_t restorer;               /* where the handler returns: the C library's
                                      * __restore_rt, which calls rt_sigreturn */
    uint64_t mask;                   /* blocked too while the handler runs */
};

/* ---- the frame a handler runs on: Linux's, byte for byte (handout §6.1) ---- */

/* struct siginfo: 128 bytes; the fields kill and SIGCHLD fill. */
struct siginfo {
    int32_t si_signo, si_errno, si_code, pad;
    int32_t si_pid;                  /* who sent it (0: the kernel) */
    uint32_t si_uid;                 /* always 0: root */
    int32_t si_status;               /* SIGCHLD: the exit code or the signal */
    uint8_t rest[100];
};

/* The registers of the interrupted code (Linux's struct sigcontext). */
struct sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
    uint64_t rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno;            /* the trap frame's error and vector */
    uint64_t oldmask;                /* the mask to restore (as uc_sigmask) */
    uint64_t cr2;
    uint64_t fpstate;                /* user address of the FXSAVE image, or 0 */
    uint64_t reserved[8];
};

struct sig_stack {                   /* stack_t: the alternate stack, unused here */
    uint64_t ss_sp;
    int32_t ss_flags, pad;
    uint64_t ss_size;
};

struct ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct sig_stack uc_stack;
    struct sigcontext uc_mcontext;
    uint64_t uc_sigmask;             /* the mask rt_sigreturn restores */
};

/* At the handler's rsp (rsp + 8 16-byte aligned, as after a call). */
struct rt_sigframe {
    uint64_t pretcode;               /* the handler's return address: sa_restorer */
    struct ucontext uc;              /* rdx at entry */
    struct siginfo info;             /* rsi at entry */
};

#define SIG_FPU_SIZE  512            /* FXSAVE's image, 64-byte aligned above the frame */
#define SIG_RED_ZONE  128            /* below the interrupted rsp: the ABI's red zone */

_Static_assert(sizeof(struct siginfo) == 128, "Linux's siginfo_t");
_Static_assert(sizeof(struct sigcontext) == 256, "Linux's struct sigcontext");
_Static_assert(sizeof(struct ucontext) == 304, "Linux's struct ucontext");
_Static_assert(sizeof(struct rt_sigframe) == 440, "Linux's struct rt_sigframe");
_Static_assert(__builtin_offsetof(struct rt_sigframe, uc.uc_mcontext) == 48 &&
               __builtin_offsetof(struct rt_sigframe, uc.uc_sigmask) == 304 &&
               __builtin_offsetof(struct rt_sigframe, info) == 312 &&
               __builtin_offsetof(struct sigcontext, fpstate) == 184,
               "the offsets glibc and musl read");

/* ---- a process's signals (struct proc's sig) ---- */

/* Who sent a pending signal: what its siginfo says. */
struct sig_sender {
    int code;                        /* SI_USER, SI_KERNEL, SI_TKILL, CLD_* */
    int pid;                         /* the sender (SIGCHLD: the child) */
    int status;                      /* SIGCHLD only */
};

/* pending and sender are guarded by proc_tree_lock (kill and interrupt
 * handlers send); blocked and action are the process's own [self] but
 * written with proc_tree_lock held, so that a sender reads them whole;
 * the rest is [self]. A new process has all zero: every action SIG_DFL,
 * nothing blocked or pending. */
struct proc_signals {
    uint64_t pending;
    uint64_t blocked;
    struct sigaction_k action[NSIG];
    struct sig_sender sender[NSIG];  /* of each pending signal: the first kill's */
    uint64_t saved_mask;             /* rt_sigsuspend's mask, restored after the handler */
    bool restore_saved;              /* saved_mask is to be restored */
    uint64_t restart_nr;             /* 1 + the system call proc_sleep interrupted; 0: none */
    struct waitqueue wake;           /* rt_sigsuspend and pause sleep here */
};

/* Send sig (1..NSIG) to p, from sender. SIGKILL sets p->killed at once.
 * A signal p ignores (SIG_IGN, or a default that ignores) and does not
 * block is dropped, as Linux does; otherwise it becomes pending (a second
 * one while pending is merged into it) and, if it would interrupt a
 * blocking call (signal_pending), p is woken from proc_sleep. A zombie
 * gets nothing. proc_tree_lock held (any context: an interrupt handler
 * too); calls waitqueue_wake_all only. */
void signal_send_locked(struct proc *p, int sig, const struct sig_sender *sender);

/* The calling process sends sig to itself (SIGPIPE). Thread context. */
void signal_raise(int sig, int code);

/* Child ended with wait4's status word wstatus: SIGCHLD to its parent
 * (CLD_EXITED or CLD_KILLED). proc_tree_lock held. */
void signal_child_ended(struct proc *parent, int pid, int wstatus);

/* Ctrl-C typed (the console's line discipline, interrupts off): SIGINT to
 * the foreground. With no process groups the foreground is every process
 * but pid 1, as on Linux with job control off; shells protect themselves
 * as Linux's do, with a handler (user/sh.c) or SIG_IGN (handout §6.4). */
void signal_interrupt_console(void);

/* Would p's blocking call end now: a pending signal p does not block and
 * does not ignore (its handler must run, or its default ends p), or
 * p->killed? Never true for an ignored or blocked signal (a C library
 * treats a made-up -EINTR as an error). Any context; reads words only. */
bool signal_pending(const struct proc *p);

/* The same for proc_sleep, which then also notes the system call it
 * interrupts (for SA_RESTART): the calling process only. */
bool signal_interrupts_sleep(struct proc *p);

/* fork: the child gets the parent's actions and blocked mask, nothing
 * pending. execve: every handler goes back to SIG_DFL (SIG_IGN stays
 * ignored); the mask and pending signals stay. [self]. */
void signal_fork(const struct proc *parent, struct proc *child);
void signal_exec(struct proc *p);

/* The return-to-user hook's part (process.c's end_if_killed calls it
 * first, the frame tf about to go back to ring 3, interrupts as the hook
 * has them): take the pending signals p does not block, lowest first;
 * drop the ignored ones; for one whose default ends the process set
 * p->killed (the caller ends it); for a handler push its frame
 * (signal_frame_push) and stop: the others wait for the next way back to
 * ring 3 (at the latest rt_sigreturn's). */
void signal_deliver(struct trap_frame *tf);

/* ---- the exercise (signal.c; handout §6.3) ---- */

/* Make tf, about to return to ring 3, run act's handler for sig: push
 * Linux's struct rt_sigframe on the user stack below tf->rsp's red zone,
 * with the FXSAVE image of the interrupted x87/SSE state 64-byte aligned
 * above it (signal_fpu_save), the interrupted registers in uc_mcontext
 * (err and trapno: tf's error and vector), oldmask as its oldmask and as
 * uc_sigmask, *info as the siginfo, act->restorer as the return address,
 * and 0 everywhere else (uc_flags may say more); then point tf at the
 * handler: rip = act->handler, rsp = the frame ((rsp + 8) % 16 == 0),
 * rdi = sig, rsi = &frame->info, rdx = &frame->uc, rax = 0, rflags
 * without DF, TF and RF (cs and ss are ring 3's already); and give the
 * handler a clean x87/SSE state (signal_fpu_reset). Returns 0; -EFAULT if
 * act has no SA_RESTORER or the frame does not fit in writable user
 * memory (tf unchanged: the caller ends the process with SIGSEGV). The
 * calling process's frame; thread context, any interrupt state, no lock
 * held. May call copy_to_user, signal_fpu_save, signal_fpu_reset, memset. */
int signal_frame_push(struct trap_frame *tf, int sig, const struct sigaction_k *act,
                      const struct siginfo *info, uint64_t oldmask);

/* The x87/SSE state of the calling thread (the CPU holds it: fpu.c's
 * owner) as an FXSAVE image, into image (16-byte aligned); load image back
 * (its MXCSR's reserved bits cleared first: they would fault here); or
 * start clean. Thread context, any interrupt state. Given. */
void signal_fpu_save(uint8_t image[SIG_FPU_SIZE]);
void signal_fpu_restore(const uint8_t image[SIG_FPU_SIZE]);
void signal_fpu_reset(void);

/* The calling process's blocked mask becomes mask (SIGKILL and SIGSTOP
 * never blocked). Given. */
void signal_set_blocked(uint64_t mask);

#endif /* LAB >= 10 */

#endif
