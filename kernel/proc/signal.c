/* signal.c - Linux's signals (signal.h): sending, delivery on the way back
 * to ring 3 with the default actions, the handler's frame and
 * rt_sigreturn, and the calls rt_sigaction, rt_sigprocmask, rt_sigpending,
 * rt_sigsuspend, pause, tkill and tgkill (kill is process.c's). Lab 10:
 * signal_frame_push and rt_sigreturn's restore are exercise 4 (handout
 * §6.3); the rest is given. */
#include <stddef.h>

#include "signal.h"
#include "console.h"
#include "errno.h"
#include "gdt.h"
#include "memlayout.h"
#include "panic.h"
#include "proc.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"
#include "x86.h"

#define SYS_rt_sigaction   13
#define SYS_rt_sigprocmask 14
#define SYS_rt_sigreturn   15
#define SYS_pause          34
#define SYS_rt_sigpending  127
#define SYS_rt_sigsuspend  130
#define SYS_tkill          200
#define SYS_tgkill         234

#define RFLAGS_TF 0x00100ull
#define RFLAGS_DF 0x00400ull
#define RFLAGS_RF 0x10000ull
/* What ring 3 may change through rt_sigreturn: CF PF AF ZF SF TF DF OF AC
 * RF (Linux's FIX_EFLAGS); IF and IOPL stay the kernel's. */
#define RFLAGS_USER 0x50dd5ull

#define USER_CS (SEG_USER_CODE | 3)
#define USER_SS (SEG_USER_DATA | 3)

/* The signals whose default action is to do nothing: SIGCHLD, SIGURG and
 * SIGWINCH as on Linux; with no job control the stop signals (SIGSTOP,
 * SIGTSTP, SIGTTIN, SIGTTOU) and SIGCONT too. Every other default ends
 * the process (the core-dumping ones without a core). */
static const uint64_t default_ignored =
    SIG_BIT(SIGCHLD) | SIG_BIT(SIGURG) | SIG_BIT(SIGWINCH) | SIG_BIT(SIGCONT) |
    SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU);

/* Does p do nothing for sig (SIG_IGN, or a default that ignores)? */
static bool ignores(const struct proc *p, int sig)
{
    uint64_t handler = p->sig.action[sig - 1].handler;

    return handler == SIG_IGN || (handler == SIG_DFL && (default_ignored & SIG_BIT(sig)));
}

/* ---- sending ------------------------------------------------------------------ */

bool signal_pending(const struct proc *p)
{
    uint64_t ready = p->sig.pending & ~p->sig.blocked;

    if (p->killed)
        return true;
    for (int sig = 1; ready; sig++, ready >>= 1)
        if ((ready & 1) && !ignores(p, sig))
            return true;
    return false;
}

bool signal_interrupts_sleep(struct proc *p)
{
    if (!signal_pending(p))
        return false;
    /* Both ways into a system call from ring 3 leave its trap frame at the
     * top of the thread's kernel stack, rax still the call's number (the
     * dispatcher writes the result only once the call returns). */
    const struct trap_frame *tf = (const struct trap_frame *)(current->kstack + KSTACK_SIZE) - 1;
    if (p == proc_current() && tf->vector == VECTOR_SYSCALL && tf->cs == USER_CS)
        p->sig.restart_nr = tf->rax + 1;
    return true;
}

void signal_send_locked(struct proc *p, int sig, const struct sig_sender *sender)
{
    ASSERT(spin_holding(&proc_tree_lock));
    ASSERT(sig >= 1 && sig <= NSIG);
    if (p->zombie)
        return;
    if (sig == SIGKILL) {
        if (!p->killed)
            p->killed = SIGKILL;         /* as in Lab 7: nothing stops it */
    } else {
        uint64_t bit = SIG_BIT(sig);
        if (ignores(p, sig) && !(p->sig.blocked & bit))
            return;                      /* dropped: it would do nothing */
        if (!(p->sig.pending & bit)) {
            p->sig.pending |= bit;
            p->sig.sender[sig - 1] = *sender;
        }
    }
    if (p->blocked_on && signal_pending(p))
        waitqueue_wake_all(p->blocked_on);       /* its proc_sleep gives -EINTR */
}

void signal_raise(int sig, int code)
{
    struct proc *p = proc_current();
    struct sig_sender from = {code, p->pid, 0};

    spin_lock(&proc_tree_lock);
    signal_send_locked(p, sig, &from);
    spin_unlock(&proc_tree_lock);
}

void signal_child_ended(struct proc *parent, int pid, int wstatus)
{
    int termsig = wstatus & 0x7f;
    struct sig_sender from = {termsig ? CLD_KILLED : CLD_EXITED, pid,
                              termsig ? termsig : (wstatus >> 8) & 0xff};

    signal_send_locked(parent, SIGCHLD, &from);
}

/* The foreground of Ctrl-C: every process but pid 1 (signal.h). */
static bool in_foreground(const struct proc *p, const void *arg)
{
    (void)arg;
    return p->pid != 1;
}

void signal_interrupt_console(void)
{
    struct sig_sender from = {SI_KERNEL, 0, 0};

    proc_signal_each(in_foreground, NULL, SIGINT, &from);
}

/* ---- fork and execve ------------------------------------------------------------- */

void signal_fork(const struct proc *parent, struct proc *child)
{
    memcpy(child->sig.action, parent->sig.action, sizeof child->sig.action);
    child->sig.blocked = parent->sig.blocked;
}

void signal_exec(struct proc *p)
{
    spin_lock(&proc_tree_lock);
    for (int i = 0; i < NSIG; i++) {             /* the handlers are gone with the program */
        struct sigaction_k *a = &p->sig.action[i];
        uint64_t handler = a->handler == SIG_IGN ? SIG_IGN : SIG_DFL;
        memset(a, 0, sizeof *a);
        a->handler = handler;
    }
    spin_unlock(&proc_tree_lock);
    p->sig.restore_saved = false;
    p->sig.restart_nr = 0;
}

/* ---- the x87/SSE state around a handler ------------------------------------------ */

void signal_fpu_save(uint8_t image[SIG_FPU_SIZE])
{
    ASSERT(((uint64_t)image & 15) == 0);
    push_cli();                      /* the CPU's registers stay the caller's meanwhile */
    thread_fpu_load(current);        /* they are already (a no-op): the running user thread
                                      * owns them since its switch-in */
    __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[SIG_FPU_SIZE])image));
    pop_cli();
}

void signal_fpu_restore(const uint8_t image[SIG_FPU_SIZE])
{
    uint8_t copy[SIG_FPU_SIZE] __attribute__((aligned(16)));
    uint32_t mxcsr, mask;

    memcpy(copy, image, sizeof copy);
    memcpy(&mask, current->fpu + 28, 4);         /* MXCSR_MASK, as every FXSAVE writes it */
    if (mask == 0)
        mask = 0xffbf;                           /* the SDM's default */
    memcpy(&mxcsr, copy + 24, 4);
    mxcsr &= mask;                               /* a reserved bit would be #GP in ring 0 */
    memcpy(copy + 24, &mxcsr, 4);
    push_cli();
    thread_fpu_load(current);
    __asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[SIG_FPU_SIZE])copy));
    pop_cli();
}

void signal_fpu_reset(void)
{
    push_cli();
    thread_fpu_forget(current);      /* as execve does: the clean image, loaded now */
    thread_fpu_reset(current);
    thread_fpu_load(current);
    pop_cli();
}

void signal_set_blocked(uint64_t mask)
{
    struct proc *p = proc_current();

    spin_lock(&proc_tree_lock);
    p->sig.blocked = mask & ~SIG_UNBLOCKABLE;
    spin_unlock(&proc_tree_lock);
}

/* ---- the handler's frame and rt_sigreturn (exercise 4) ----------------------------- */

/* Contract in signal.h. */
int signal_frame_push(struct trap_frame *tf, int sig, const struct sigaction_k *act,
                      const struct siginfo *info, uint64_t oldmask)
{
    struct proc *p = proc_current();

    ASSERT(p != NULL && tf->cs == USER_CS && sig >= 1 && sig <= NSIG);
#if SOL >= 10
    uint8_t fpu[SIG_FPU_SIZE] __attribute__((aligned(16)));
    struct rt_sigframe f;
    uint64_t fpstate = (tf->rsp - SIG_RED_ZONE - SIG_FPU_SIZE) & ~63ull;
    uint64_t at = ((fpstate - sizeof f) & ~15ull) - 8;    /* (at + 8) % 16 == 0, as after a call */

    if (!(act->flags & SA_RESTORER))
        return -EFAULT;                  /* x86-64 has no default way back */
    memset(&f, 0, sizeof f);
    f.pretcode = act->restorer;
    struct sigcontext *sc = &f.uc.uc_mcontext;
    sc->r8 = tf->r8, sc->r9 = tf->r9, sc->r10 = tf->r10, sc->r11 = tf->r11;
    sc->r12 = tf->r12, sc->r13 = tf->r13, sc->r14 = tf->r14, sc->r15 = tf->r15;
    sc->rdi = tf->rdi, sc->rsi = tf->rsi, sc->rbp = tf->rbp, sc->rbx = tf->rbx;
    sc->rdx = tf->rdx, sc->rax = tf->rax, sc->rcx = tf->rcx, sc->rsp = tf->rsp;
    sc->rip = tf->rip, sc->eflags = tf->rflags;
    sc->cs = (uint16_t)tf->cs, sc->ss = (uint16_t)tf->ss;
    sc->err = tf->error, sc->trapno = tf->vector;
    sc->oldmask = oldmask;
    sc->fpstate = fpstate;
    f.uc.uc_sigmask = oldmask;
    f.info = *info;
    signal_fpu_save(fpu);
    if (copy_to_user(p->pml4, fpstate, fpu, sizeof fpu) || copy_to_user(p->pml4, at, &f, sizeof f))
        return -EFAULT;
    tf->rip = act->handler;
    tf->rsp = at;
    tf->rdi = (uint64_t)sig;
    tf->rsi = at + offsetof(struct rt_sigframe, info);
    tf->rdx = at + offsetof(struct rt_sigframe, uc);
    tf->rax = 0;
    tf->rflags &= ~(RFLAGS_DF | RFLAGS_TF | RFLAGS_RF);
    signal_fpu_reset();
    return 0;
#else
    /* LAB 10, exercise 4: push Linux's rt_sigframe (the registers, the
     * mask, the siginfo, the FXSAVE image) below the red zone and send tf
     * to the handler; 0 or -EFAULT (handout §6.3) */
    (void)act, (void)info, (void)oldmask;
    return -ENOSYS;                  /* the caller falls back on the default action */
#endif
}

/* A frame rt_sigreturn refuses: p ends with SIGSEGV on its way back to
 * ring 3, as Linux would end it. */
static long bad_frame(struct proc *p, uint64_t frame)
{
    if (proc_report)
        kprintf("%s: rt_sigreturn: bad signal frame at %p\n", p->name, (void *)frame);
    spin_lock(&proc_tree_lock);
    p->killed = SIGSEGV;
    spin_unlock(&proc_tree_lock);
    return -EFAULT;
}

/* rt_sigreturn(): the handler returned into sa_restorer, which makes this
 * call with rsp just above the frame's pretcode (the handler's ret took
 * it): the frame is at tf->rsp - 8. Puts back everything the frame holds,
 * as the handler may have left it: every register of uc_mcontext into tf
 * (rsp and rip included; of rflags only RFLAGS_USER's bits; cs and ss
 * ring 3's whatever the frame says), the blocked mask from uc_sigmask
 * (signal_set_blocked), the x87/SSE state from the FXSAVE image at
 * fpstate (signal_fpu_restore; fpstate 0: a clean state,
 * signal_fpu_reset). Returns the frame's rax, which the dispatcher puts
 * back in tf->rax. A frame that cannot be read, or whose cs is not ring
 * 3's (it would return to ring 0), or whose rip is not below USER_TOP
 * (not canonical, or the kernel's), changes nothing and ends the process
 * with SIGSEGV (bad_frame). Thread context, interrupts on; may call
 * copy_from_user, signal_set_blocked, signal_fpu_restore,
 * signal_fpu_reset, bad_frame. The way out is iretq (syscall_entry.asm:
 * rcx and r11 are the interrupted code's, not rip and rflags). */
static long sys_rt_sigreturn(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct proc *p = proc_current();

    (void)a0, (void)a1, (void)a2;
#if SOL >= 10
    uint64_t frame = tf->rsp - 8;
    uint8_t fpu[SIG_FPU_SIZE] __attribute__((aligned(16)));
    struct ucontext uc;
    const struct sigcontext *sc = &uc.uc_mcontext;

    if (copy_from_user(p->pml4, &uc, frame + offsetof(struct rt_sigframe, uc), sizeof uc) ||
        (sc->cs & 3) != 3 || sc->rip >= USER_TOP ||
        (sc->fpstate && copy_from_user(p->pml4, fpu, sc->fpstate, sizeof fpu)))
        return bad_frame(p, frame);
    tf->r8 = sc->r8, tf->r9 = sc->r9, tf->r10 = sc->r10, tf->r11 = sc->r11;
    tf->r12 = sc->r12, tf->r13 = sc->r13, tf->r14 = sc->r14, tf->r15 = sc->r15;
    tf->rdi = sc->rdi, tf->rsi = sc->rsi, tf->rbp = sc->rbp, tf->rbx = sc->rbx;
    tf->rdx = sc->rdx, tf->rcx = sc->rcx, tf->rsp = sc->rsp, tf->rip = sc->rip;
    tf->rflags = (tf->rflags & ~RFLAGS_USER) | (sc->eflags & RFLAGS_USER);
    tf->cs = USER_CS;
    tf->ss = USER_SS;
    signal_set_blocked(uc.uc_sigmask);
    if (sc->fpstate)
        signal_fpu_restore(fpu);
    else
        signal_fpu_reset();
    return (long)sc->rax;
#else
    /* LAB 10, exercise 4: read the frame at tf->rsp - 8 back into tf, the
     * mask and the x87/SSE state; SIGSEGV for a bad one; return its rax
     * (handout §6.3) */
    (void)tf, (void)p, (void)bad_frame;
    return -ENOSYS;
#endif
}
SYSCALL(SYS_rt_sigreturn, sys_rt_sigreturn);

/* ---- delivery ------------------------------------------------------------------ */

/* Run act's handler for sig (taken off pending, from sender) on the way
 * back through tf: a read, write or wait4 it interrupted starts again
 * with SA_RESTART; the frame is pushed; while the handler runs it blocks
 * act->mask and sig itself (not with SA_NODEFER). False if no frame was
 * pushed: then the process is killed (SIGSEGV for a frame that does not
 * fit; the default action with exercise 4 not done). */
static bool run_handler(struct trap_frame *tf, struct proc *p, int sig,
                        const struct sigaction_k *act, const struct sig_sender *sender)
{
    struct siginfo info = {.si_signo = sig, .si_code = sender->code, .si_pid = sender->pid,
                           .si_status = sender->status};
    uint64_t oldmask = p->sig.restore_saved ? p->sig.saved_mask : p->sig.blocked;
    struct trap_frame before = *tf;

    if (tf->vector == VECTOR_SYSCALL && (int64_t)tf->rax == -EINTR && p->sig.restart_nr &&
        (act->flags & SA_RESTART)) {
        tf->rax = p->sig.restart_nr - 1;         /* the same call again, from its syscall */
        tf->rip -= 2;                            /* instruction (int 0x80: 2 bytes too) */
    }
    int err = signal_frame_push(tf, sig, act, &info, oldmask);
    spin_lock(&proc_tree_lock);
    if (err == 0) {
        uint64_t mask = p->sig.blocked | act->mask | (act->flags & SA_NODEFER ? 0 : SIG_BIT(sig));
        p->sig.blocked = mask & ~SIG_UNBLOCKABLE;
        if (act->flags & SA_RESETHAND)
            p->sig.action[sig - 1].handler = SIG_DFL;
        p->sig.restore_saved = false;            /* the frame holds saved_mask now */
    } else {
        *tf = before;
        if (err != -ENOSYS)
            p->killed = SIGSEGV;
        else if (!(default_ignored & SIG_BIT(sig)))
            p->killed = sig;
    }
    spin_unlock(&proc_tree_lock);
    if (err && err != -ENOSYS && proc_report)
        kprintf("%s: no room for the frame of signal %d at rsp=%p\n", p->name, sig,
                (void *)tf->rsp);
    return err == 0;
}

/* Contract in signal.h. */
void signal_deliver(struct trap_frame *tf)
{
    struct proc *p = proc_current();

    ASSERT(p != NULL && (tf->cs & 3) == 3);
    if (!(p->sig.pending & ~p->sig.blocked) && !p->sig.restore_saved) {
        p->sig.restart_nr = 0;               /* the common case, without the lock: one
                                              * sent meanwhile waits for the next way back */
        return;
    }
    for (;;) {
        spin_lock(&proc_tree_lock);
        uint64_t ready = p->sig.pending & ~p->sig.blocked;
        if (p->killed || ready == 0) {
            spin_unlock(&proc_tree_lock);
            break;
        }
        int sig = __builtin_ctzll(ready) + 1;    /* the lowest first, as Linux */
        struct sigaction_k act = p->sig.action[sig - 1];
        struct sig_sender sender = p->sig.sender[sig - 1];
        bool ignored = ignores(p, sig);
        p->sig.pending &= ~SIG_BIT(sig);
        if (!ignored && act.handler == SIG_DFL)
            p->killed = sig;                     /* the caller ends it: wait4 sees sig */
        spin_unlock(&proc_tree_lock);
        if (!ignored && act.handler != SIG_DFL && run_handler(tf, p, sig, &act, &sender))
            break;                               /* one frame per way back */
    }
    if (p->sig.restore_saved) {                  /* rt_sigsuspend ran no handler */
        p->sig.restore_saved = false;
        signal_set_blocked(p->sig.saved_mask);
    }
    p->sig.restart_nr = 0;
}

/* ---- the system calls ----------------------------------------------------------- */

static pte_t *user_space(void)
{
    return proc_current()->pml4;
}

/* rt_sigaction(sig, act, oact, sigsetsize): sig's action becomes *act (if
 * act), the old one goes to *oact (if oact). -EINVAL for sigsetsize not 8,
 * sig not 1..NSIG, or an action for SIGKILL or SIGSTOP; -EFAULT. Pending
 * sig is dropped when the new action ignores it. */
static long sys_rt_sigaction(struct trap_frame *tf, uint64_t sig, uint64_t act, uint64_t oact)
{
    struct proc *p = proc_current();
    struct sigaction_k new, old;

    if (tf->r10 != sizeof(uint64_t) || sig < 1 || sig > NSIG)
        return -EINVAL;
    if (act && copy_from_user(p->pml4, &new, act, sizeof new))
        return -EFAULT;
    if (act && (SIG_BIT(sig) & SIG_UNBLOCKABLE))
        return -EINVAL;
    spin_lock(&proc_tree_lock);
    old = p->sig.action[sig - 1];
    if (act) {
        new.mask &= ~SIG_UNBLOCKABLE;
        p->sig.action[sig - 1] = new;
        if (ignores(p, (int)sig))
            p->sig.pending &= ~SIG_BIT(sig);
    }
    spin_unlock(&proc_tree_lock);
    return oact && copy_to_user(p->pml4, oact, &old, sizeof old) ? -EFAULT : 0;
}
SYSCALL(SYS_rt_sigaction, sys_rt_sigaction);

/* rt_sigprocmask(how, set, oset, sigsetsize): with set, SIG_BLOCK adds
 * *set to the blocked mask, SIG_UNBLOCK takes it away, SIG_SETMASK
 * replaces it (SIGKILL and SIGSTOP stay unblocked); the old mask to *oset
 * (if oset). -EINVAL (sigsetsize not 8, how unknown), -EFAULT. A signal
 * it unblocks is delivered before the call returns to ring 3. */
static long sys_rt_sigprocmask(struct trap_frame *tf, uint64_t how, uint64_t set, uint64_t oset)
{
    struct proc *p = proc_current();
    uint64_t old = p->sig.blocked, mask = 0;

    if (tf->r10 != sizeof(uint64_t))
        return -EINVAL;
    if (set && copy_from_user(p->pml4, &mask, set, sizeof mask))
        return -EFAULT;
    if (set) {
        if (how == SIG_BLOCK)
            mask |= old;
        else if (how == SIG_UNBLOCK)
            mask = old & ~mask;
        else if (how != SIG_SETMASK)
            return -EINVAL;
        signal_set_blocked(mask);
    }
    return oset && copy_to_user(p->pml4, oset, &old, sizeof old) ? -EFAULT : 0;
}
SYSCALL(SYS_rt_sigprocmask, sys_rt_sigprocmask);

/* rt_sigpending(set, sigsetsize): the pending signals that are blocked. */
static long sys_rt_sigpending(struct trap_frame *tf, uint64_t set, uint64_t size, uint64_t a2)
{
    struct proc *p = proc_current();

    (void)tf, (void)a2;
    if (size > sizeof(uint64_t))
        return -EINVAL;
    spin_lock(&proc_tree_lock);
    uint64_t waiting = p->sig.pending & p->sig.blocked;
    spin_unlock(&proc_tree_lock);
    return copy_to_user(user_space(), set, &waiting, size) ? -EFAULT : 0;
}
SYSCALL(SYS_rt_sigpending, sys_rt_sigpending);

/* Sleep until a signal would end a blocking call (signal_pending): only a
 * signal wakes p->sig.wake. The call is never restarted (Linux neither). */
static void wait_for_signal(struct proc *p)
{
    push_cli();
    while (proc_sleep(&p->sig.wake, NULL) == 0)
        ;
    pop_cli();
    p->sig.restart_nr = 0;
}

/* rt_sigsuspend(mask, sigsetsize): block *mask instead until a signal
 * comes whose handler runs (or that ends the process); -EINTR. The old
 * mask is what the handler's frame holds (uc_sigmask), restored after it. */
static long sys_rt_sigsuspend(struct trap_frame *tf, uint64_t set, uint64_t size, uint64_t a2)
{
    struct proc *p = proc_current();
    uint64_t mask;

    (void)tf, (void)a2;
    if (size != sizeof(uint64_t))
        return -EINVAL;
    if (copy_from_user(p->pml4, &mask, set, sizeof mask))
        return -EFAULT;
    p->sig.saved_mask = p->sig.blocked;
    p->sig.restore_saved = true;
    signal_set_blocked(mask);
    wait_for_signal(p);
    return -EINTR;
}
SYSCALL(SYS_rt_sigsuspend, sys_rt_sigsuspend);

/* pause(): sleep until a signal's handler runs (or it ends the process). */
static long sys_pause(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a0, (void)a1, (void)a2;
    wait_for_signal(proc_current());
    return -EINTR;
}
SYSCALL(SYS_pause, sys_pause);

/* sig (0: only check) to thread tid, which is process tid here. */
static long send_to_thread(int64_t tid, uint64_t sig)
{
    struct sig_sender from = {SI_TKILL, proc_current()->pid, 0};

    if (tid <= 0 || tid > INT32_MAX || sig > NSIG)
        return -EINVAL;
    spin_lock(&proc_tree_lock);
    struct proc *t = proc_find((int)tid);
    if (t && sig)
        signal_send_locked(t, (int)sig, &from);
    spin_unlock(&proc_tree_lock);
    return t ? 0 : -ESRCH;
}

/* tkill(tid, sig): one thread per process, its tid its pid (gettid). */
static long sys_tkill(struct trap_frame *tf, uint64_t tid, uint64_t sig, uint64_t a2)
{
    (void)tf, (void)a2;
    return send_to_thread((int)tid, sig);
}
SYSCALL(SYS_tkill, sys_tkill);

/* tgkill(tgid, tid, sig): glibc's raise(); thread tid of process tgid. */
static long sys_tgkill(struct trap_frame *tf, uint64_t tgid, uint64_t tid, uint64_t sig)
{
    (void)tf;
    if ((int)tgid <= 0)
        return -EINVAL;
    if ((int)tgid != (int)tid)
        return (int)tid <= 0 ? -EINVAL : -ESRCH;
    return send_to_thread((int)tid, sig);
}
SYSCALL(SYS_tgkill, sys_tgkill);
