/* process.c - the process tree: pids, exit and zombies, wait4, orphans,
 * kill, getppid. Lab 7: become_zombie and find_zombie are exercise 2
 * (handout §3.2); the rest is given.
 *
 * Every process but those the kernel starts has a parent, and is on its
 * parent's list of children from fork until the parent reaps it. A
 * process that ends stays as a zombie, holding its pid and its status
 * word, until then; its own children go to pid 1 (or, with pid 1 gone, to
 * the kernel's reaper thread). Handout §1.1 draws the states. */
#include <stddef.h>

#include "cmdline.h"
#include "console.h"
#include "errno.h"
#include "file.h"
#include "kinit.h"
#include "kmalloc.h"
#include "monitor.h"
#include "multiboot2.h"
#include "panic.h"
#include "pit.h"
#include "pmm.h"
#include "power.h"
#include "proc.h"
#include "string.h"
#include "syscall.h"
#include "trap.h"
#include "uaccess.h"
#include "x86.h"

struct spinlock proc_tree_lock = SPINLOCK_INIT("proc tree");
static struct proc *procs[PROC_MAX];         /* every process, zombies too; NULL: free */
static int next_pid = 1;                     /* pids only grow: none is used twice */
static struct proc *init_proc;               /* pid 1 while it lives: adopts orphans */
static struct waitqueue reaper_wakeup;       /* a zombie without a parent to reap it */

/* ---- making and finding processes ---------------------------------------------- */

/* procmax=N lowers the limit of processes at once below PROC_MAX (a fork
 * bomb's graders draw it). */
CMDLINE_KEY(procmax, "N");

static int proc_limit(void)
{
    int64_t n = cmdline_get_int("procmax", PROC_MAX);

    return n >= 1 && n < PROC_MAX ? (int)n : PROC_MAX;
}

struct proc *proc_alloc(struct proc *parent, const char *name)
{
    struct proc *p = kcalloc(1, sizeof *p);
    int limit = proc_limit();

    if (p == NULL)
        return NULL;
    strlcpy(p->name, name, sizeof p->name);
    spin_lock(&proc_tree_lock);
    int slot = 0, used = 0;
    for (int i = 0; i < PROC_MAX; i++)
        used += procs[i] != NULL;
    while (slot < PROC_MAX && procs[slot])
        slot++;
    if (slot == PROC_MAX || used >= limit) {
        spin_unlock(&proc_tree_lock);
        kfree(p);
        return NULL;
    }
    procs[slot] = p;
    p->pid = next_pid++;
    if (p->pid == 1)
        init_proc = p;
    p->parent = parent;
    if (parent) {
        p->sibling = parent->children;
        parent->children = p;
    }
    spin_unlock(&proc_tree_lock);
    return p;
}

struct proc *proc_find(int pid)
{
    ASSERT(spin_holding(&proc_tree_lock));
    for (int i = 0; i < PROC_MAX; i++)
        if (procs[i] && procs[i]->pid == pid)
            return procs[i];
    return NULL;
}

/* Take p off the table (and off its parent's children, if still there). */
static void forget(struct proc *p)
{
    spin_lock(&proc_tree_lock);
    for (int i = 0; i < PROC_MAX; i++)
        if (procs[i] == p)
            procs[i] = NULL;
    if (p->parent) {
        struct proc **link = &p->parent->children;
        while (*link && *link != p)
            link = &(*link)->sibling;
        if (*link)
            *link = p->sibling;
    }
    if (init_proc == p)
        init_proc = NULL;
    spin_unlock(&proc_tree_lock);
}

void proc_discard(struct proc *p)
{
    forget(p);
    if (p->pml4)
        as_destroy(p->pml4);
    kfree(p);
}

int proc_reap(struct proc *p)
{
    ASSERT(p->zombie || p->thread != NULL);
    int value = thread_join(p->thread);      /* it may still be on its way out */
    forget(p);
    kfree(p);
    return value;
}

/* ---- ending: zombies and orphans (exercise 2) --------------------------------------- */

/* Who waits for zombies of parent (NULL: the kernel's reaper). */
static struct waitqueue *parent_queue(struct proc *parent)
{
    return parent ? &parent->child_exited : &reaper_wakeup;
}

/* p ends with status word wstatus. Give each of its children to init_proc
 * (unless that is p itself or gone: then to the kernel, parent NULL), put
 * on the adopter's list of children; then make p a zombie with wstatus and
 * wake whoever reaps p (its parent's child_exited, or the reaper's queue
 * for a parent NULL), and a new parent if an adopted child is a zombie
 * already. proc_tree_lock held; calls waitqueue_wake_all only. */
static void become_zombie(struct proc *p, int wstatus)
{
    ASSERT(spin_holding(&proc_tree_lock));
#if SOL >= 7
    struct proc *adopter = init_proc != p ? init_proc : NULL;
    while (p->children) {
        struct proc *c = p->children;
        p->children = c->sibling;
        c->parent = adopter;
        c->sibling = adopter ? adopter->children : NULL;
        if (adopter)
            adopter->children = c;
        if (c->zombie)
            waitqueue_wake_all(parent_queue(adopter));
    }
    p->exit_status = wstatus;
    p->zombie = true;
    waitqueue_wake_all(parent_queue(p->parent));
#else
    /* LAB 7, exercise 2: p's children go to pid 1 (or the kernel); p
     * becomes a zombie with wstatus; whoever reaps it wakes (handout §3.2) */
    (void)parent_queue;
    for (struct proc *c = p->children; c; c = c->sibling)
        c->parent = NULL;            /* the kernel's reaper takes them */
    p->children = NULL;
    p->exit_status = wstatus;
    p->zombie = true;
#endif
}

void proc_end(struct proc *p, int wstatus, int value)
{
    ASSERT(p != NULL && p == proc_current());
    files_close_all(p);                      /* pipes see their ends go */
    push_cli();
    current->proc = NULL;                    /* back to the kernel's tables for good */
    write_cr3((uint64_t)kernel_pml4 - DIRECT_MAP_BASE);
    thread_fpu_forget(current);
    pop_cli();
    as_destroy(p->pml4);
    p->pml4 = NULL;
    spin_lock(&proc_tree_lock);
    become_zombie(p, wstatus);
#if LAB >= 10
    if (p->parent)
        signal_child_ended(p->parent, p->pid, wstatus);     /* Lab 10: SIGCHLD */
#endif
    if (init_proc == p)
        init_proc = NULL;                    /* a dead pid 1 adopts nobody */
    spin_unlock(&proc_tree_lock);
    thread_exit(value);                      /* whoever reaps it joins it */
}

/* The kernel's reaper: reaps the zombies nobody else will (parent NULL, not
 * started by init=, whose runner reaps its own). */
static int reaper(void *arg)
{
    (void)arg;
    spin_lock(&proc_tree_lock);
    for (;;) {
        struct proc *z = NULL;
        for (int i = 0; i < PROC_MAX && z == NULL; i++)
            if (procs[i] && procs[i]->zombie && procs[i]->parent == NULL &&
                !procs[i]->kernel_reaps)
                z = procs[i];
        if (z == NULL) {
            waitqueue_sleep(&reaper_wakeup, &proc_tree_lock);
            continue;
        }
        spin_unlock(&proc_tree_lock);
        proc_reap(z);
        spin_lock(&proc_tree_lock);
    }
    return 0;
}

/* ---- wait4 ------------------------------------------------------------------------- */

/* Look among p's children for those pid selects (pid > 0: that one; -1,
 * 0 or below -1: any, there being one process group): take the first
 * zombie of them off p's list of children and return it; NULL if none is a
 * zombie yet. *any tells whether pid selects any child at all.
 * proc_tree_lock held; calls nothing. */
static struct proc *find_zombie(struct proc *p, int pid, bool *any)
{
    ASSERT(spin_holding(&proc_tree_lock));
#if SOL >= 7
    *any = false;
    for (struct proc **link = &p->children; *link; link = &(*link)->sibling) {
        struct proc *c = *link;
        if (pid > 0 && c->pid != pid)
            continue;
        *any = true;
        if (c->zombie) {
            *link = c->sibling;
            return c;
        }
    }
    return NULL;
#else
    /* LAB 7, exercise 2: unlink and return a zombie child that pid selects,
     * else NULL; *any: does pid select a child at all (handout §3.2) */
    (void)p, (void)pid;
    *any = false;
    return NULL;
#endif
}

#define WUNTRACED  2                 /* accepted and ignored: no stopped processes */
#define WCONTINUED 8
#define RUSAGE_SIZE 144              /* struct rusage: reported as all zero */

/* wait4(pid, status, options, rusage): reap a child that has ended, or
 * wait for one to. Its pid, with its status word in *status (if not
 * NULL) and a zeroed struct rusage in *rusage (if not NULL, in r10); 0
 * with WNOHANG if none has ended; -ECHILD if pid selects no child;
 * -EINVAL for unknown options; -EFAULT (before anything is reaped). */
static long sys_wait4(struct trap_frame *tf, uint64_t pid, uint64_t status, uint64_t options)
{
    struct proc *p = proc_current(), *z;
    uint64_t rusage = tf->r10;
    bool any;

    if (options & ~(uint64_t)(WNOHANG | WUNTRACED | WCONTINUED))
        return -EINVAL;
    if ((status && (cow_prepare_write(p->pml4, status, 4) ||
                    !user_range_ok(p->pml4, status, 4, true))) ||
        (rusage && (cow_prepare_write(p->pml4, rusage, RUSAGE_SIZE) ||
                    !user_range_ok(p->pml4, rusage, RUSAGE_SIZE, true))))
        return -EFAULT;
    spin_lock(&proc_tree_lock);
    while ((z = find_zombie(p, (int)pid, &any)) == NULL) {
        if (!any || (options & WNOHANG) || proc_sleep(&p->child_exited, &proc_tree_lock)) {
            spin_unlock(&proc_tree_lock);
            return !any ? -ECHILD : (options & WNOHANG) ? 0 : -EINTR;
        }
    }
    spin_unlock(&proc_tree_lock);
    int zpid = z->pid, wstatus = z->exit_status;
    proc_reap(z);
    static const uint8_t zeros[RUSAGE_SIZE];
    if (status)
        copy_to_user(p->pml4, status, &wstatus, 4);
    if (rusage)
        copy_to_user(p->pml4, rusage, zeros, RUSAGE_SIZE);
    return zpid;
}
SYSCALL(SYS_wait4, sys_wait4);

static long sys_getppid(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a0, (void)a1, (void)a2;
    spin_lock(&proc_tree_lock);
    struct proc *parent = proc_current()->parent;
    int pid = parent ? parent->pid : 0;
    spin_unlock(&proc_tree_lock);
    return pid;
}
SYSCALL(SYS_getppid, sys_getppid);

/* ---- kill ---------------------------------------------------------------------------- */

int proc_sleep(struct waitqueue *wq, struct spinlock *lock)
{
    struct proc *p = proc_current();

    ASSERT(!cpu_interrupts_enabled());
#if LAB >= 10
    /* Lab 10: any signal that would do something ends the wait, not only
     * kill's; woken, the caller looks at its condition once more first (a
     * child's SIGCHLD comes with the zombie wait4 then finds, as on Linux). */
    if (p && signal_interrupts_sleep(p))
        return -EINTR;
#else
    if (p && p->killed)
        return -EINTR;
#endif
    if (p)
        p->blocked_on = wq;          /* interrupts off: kill sees it set or not */
    waitqueue_sleep(wq, lock);
    if (p)
        p->blocked_on = NULL;
#if LAB >= 10
    return 0;
#else
    return p && p->killed ? -EINTR : 0;
#endif
}

bool proc_killed(void)
{
    struct proc *p = proc_current();

#if LAB >= 10
    return p && signal_pending(p);
#else
    return p && p->killed;
#endif
}

#if LAB >= 10
/* Contract in proc.h. */
int proc_signal_each(bool (*pick)(const struct proc *p, const void *arg), const void *arg,
                     int sig, const struct sig_sender *sender)
{
    int n = 0;

    spin_lock(&proc_tree_lock);
    for (int i = 0; i < PROC_MAX; i++) {
        if (procs[i] == NULL || !pick(procs[i], arg))
            continue;
        n++;
        if (sig)
            signal_send_locked(procs[i], sig, sender);
    }
    spin_unlock(&proc_tree_lock);
    return n;
}

/* Whom kill's pid names: pid > 0 that process, -1 every process but pid 1
 * and the caller. */
struct kill_target {
    int pid;
    const struct proc *self;
};

static bool kill_picks(const struct proc *p, const void *arg)
{
    const struct kill_target *k = arg;

    return k->pid == -1 ? p->pid != 1 && p != k->self : p->pid == k->pid;
}
#endif

/* kill(pid, sig): SIGKILL or SIGTERM ends process pid (a zombie is left
 * alone); sig 0 only asks whether it exists. 0; -ESRCH if no process has
 * that pid; -EINVAL for another signal (Lab 10) or pid <= 0 (groups).
 * From Lab 10 any signal 1..NSIG (signal_send_locked), and pid may name a
 * group: every process leads its own (getpgrp is its pid), so pid 0 is
 * the caller and -N is process N; -1 is every process but pid 1 and the
 * caller. -ESRCH if pid names nobody; -EINVAL for sig past NSIG. */
static long sys_kill(struct trap_frame *tf, uint64_t pid, uint64_t sig, uint64_t a2)
{
    (void)tf, (void)a2;
#if LAB >= 10
    struct proc *self = proc_current();
    struct kill_target k = {(int)pid, self};
    struct sig_sender from = {SI_USER, self->pid, 0};

    if (sig > NSIG)
        return -EINVAL;
    if (k.pid == 0)
        k.pid = self->pid;
    else if (k.pid < -1 && k.pid != INT32_MIN)
        k.pid = -k.pid;
    return proc_signal_each(kill_picks, &k, (int)sig, &from) ? 0 : -ESRCH;
#else
    if ((sig != 0 && sig != SIGKILL && sig != SIGTERM) || (int)pid <= 0)
        return -EINVAL;
    spin_lock(&proc_tree_lock);
    struct proc *t = proc_find((int)pid);
    if (t && sig && !t->zombie && !t->killed) {
        t->killed = (int)sig;
        if (t->blocked_on)
            waitqueue_wake_all(t->blocked_on);   /* its wait ends with -EINTR */
    }
    spin_unlock(&proc_tree_lock);
    return t ? 0 : -ESRCH;
#endif
}
SYSCALL(SYS_kill, sys_kill);

/* On every way back to ring 3 (trap.c): a killed process ends there.
 * From Lab 10 the pending signals are delivered first (signal_deliver): a
 * handler's frame, or a default action that ends the process. */
static void end_if_killed(struct trap_frame *tf)
{
    struct proc *p = proc_current();

    (void)tf;
#if LAB >= 10
    if (p)
        signal_deliver(tf);
#endif
    if (p == NULL || !p->killed)
        return;
    if (proc_report)
        kprintf("%s: killed by signal %d\n", p->name, p->killed);
    cpu_enable_interrupts();         /* thread context: ending may take a while */
    proc_end(p, p->killed, -p->killed);
}

/* ---- sysinfo: what graders and tests read of the machine ---------------------------- */

struct sysinfo {                     /* Linux's layout */
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
};

/* sysinfo(info): uptime in seconds, RAM in pages (mem_unit = the page
 * size), and the number of processes. 0 or -EFAULT. */
static long sys_sysinfo(struct trap_frame *tf, uint64_t info, uint64_t a1, uint64_t a2)
{
    struct proc *p = proc_current();
    struct sysinfo si = {.uptime = (int64_t)(pit_ticks() / pit_hz()),
                         .totalram = pmm_total_frames(), .freeram = pmm_free_frames(),
                         .mem_unit = PAGE_SIZE};

    (void)tf, (void)a1, (void)a2;
    spin_lock(&proc_tree_lock);
    for (int i = 0; i < PROC_MAX; i++)
        si.procs += procs[i] != NULL;
    spin_unlock(&proc_tree_lock);
    if (cow_prepare_write(p->pml4, info, sizeof si))
        return -EFAULT;
    return copy_to_user(p->pml4, info, &si, sizeof si);
}
SYSCALL(SYS_sysinfo, sys_sysinfo);

#if LAB >= 8
/* ---- reboot: poweroff (Lab 8) ---------------------------------------------------- */

#define REBOOT_MAGIC1        0xfee1deadu
#define REBOOT_MAGIC2        672274793u      /* Linux's LINUX_REBOOT_MAGIC2 (one of four) */
#define REBOOT_MAGIC2A       85072278u
#define REBOOT_MAGIC2B       369367448u
#define REBOOT_MAGIC2C       537993216u
#define REBOOT_CMD_POWER_OFF 0x4321fedcu
#define REBOOT_CMD_HALT      0xcdef0123u
#define REBOOT_CMD_RESTART   0x01234567u

/* reboot(magic1, magic2, cmd): Linux's, for `poweroff`: POWER_OFF, HALT and
 * RESTART all turn the machine off with success (power_off runs its hooks
 * first: the file system is written back). -EINVAL for wrong magic numbers
 * or another command. */
static long sys_reboot(struct trap_frame *tf, uint64_t magic1, uint64_t magic2, uint64_t cmd)
{
    (void)tf;
    if ((uint32_t)magic1 != REBOOT_MAGIC1 ||
        ((uint32_t)magic2 != REBOOT_MAGIC2 && (uint32_t)magic2 != REBOOT_MAGIC2A &&
         (uint32_t)magic2 != REBOOT_MAGIC2B && (uint32_t)magic2 != REBOOT_MAGIC2C))
        return -EINVAL;
    if ((uint32_t)cmd != REBOOT_CMD_POWER_OFF && (uint32_t)cmd != REBOOT_CMD_HALT &&
        (uint32_t)cmd != REBOOT_CMD_RESTART)
        return -EINVAL;
    kprintf("Powering off.\n");
    power_off(true);
}
SYSCALL(SYS_reboot, sys_reboot);
#endif

/* ---- the monitor's procs ------------------------------------------------------------ */

MONITOR_COMMAND(procs, "the processes: pid, parent, state, name")
{
    (void)argc, (void)argv;
    spin_lock(&proc_tree_lock);
    kprintf("  pid  ppid  state   name\n");
    for (int i = 0; i < PROC_MAX; i++) {
        struct proc *p = procs[i];
        if (p)
            kprintf("%5d %5d  %-7s %s\n", p->pid, p->parent ? p->parent->pid : 0,
                    p->zombie ? "zombie" : p->killed ? "killed" : "alive", p->name);
    }
    spin_unlock(&proc_tree_lock);
    return 0;
}

/* ---- starting ---------------------------------------------------------------------- */

/* Boot steps: the reaper and the check on the way to ring 3; then, with
 * neither init= nor test= nor monitor on the command line, /bin/init as
 * pid 1 (it starts the shell); when it ends, the kernel powers off. */
static void process_start(void)
{
    if (thread_create(reaper, NULL, "reaper") == NULL)
        kprintf("proc: no reaper thread: orphans of a dead pid 1 stay zombies\n");
    trap_on_return_to_user(end_if_killed);
}
KINIT(66, process_start);

static void start_init(void)
{
#if LAB >= 8
    if (cmdline_has("monitor") || !proc_program_exists("init"))
        return;
#else
    if (cmdline_has("monitor") || mb2_find_module("init") == NULL)
        return;
#endif
    proc_report = false;         /* a shell session: no exit line per command */
    proc_run_init("init");
}
KINIT(93, start_init);
