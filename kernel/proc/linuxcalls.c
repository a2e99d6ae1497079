/* linuxcalls.c - the small system calls a static Linux program makes.
 * Lab 10, given (handout §4). None of them is a subsystem: ids that are all
 * 0, a uname that says Linux, the clocks, random bytes, fcntl and ioctl's
 * few commands, readv/writev as loops, clone and vfork as fork. Each
 * returns what Linux returns for the case it handles, and -ENOSYS or
 * -EINVAL for what it does not, never a made-up success: a C library
 * falls back on those (labs/lab10-research.md lists what glibc and musl
 * tolerate). The dispatcher answers every call with no entry -ENOSYS;
 * `strace` on the command line logs those once each. */
#include <stdbool.h>
#include <stddef.h>

#include "linux.h"
#include "cmdline.h"
#include "console.h"
#include "errno.h"
#include "file.h"
#include "kinit.h"
#include "pit.h"
#include "printf.h"
#include "proc.h"
#include "rtc.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"

#define SYS_readv           19
#define SYS_writev          20
#define SYS_madvise         28
#define SYS_sendfile        40
#define SYS_clone           56
#define SYS_vfork           58
#define SYS_uname           63
#define SYS_fcntl           72
#define SYS_gettimeofday    96
#define SYS_getuid          102
#define SYS_getgid          104
#define SYS_geteuid         107
#define SYS_getegid         108
#define SYS_setpgid         109
#define SYS_getpgrp         111
#define SYS_setsid          112
#define SYS_getpgid         121
#define SYS_getsid          124
#define SYS_gettid          186
#define SYS_time            201
#define SYS_set_tid_address 218
#define SYS_clock_gettime   228
#define SYS_clock_getres    229
#define SYS_clock_nanosleep 230
#define SYS_set_robust_list 273
#define SYS_dup3            292
#define SYS_getrandom       318
#define SYS_umask           95

static pte_t *user_space(void)
{
    return proc_current()->pml4;
}

/* ---- ids: one user, root; one session, every process its own group ---------- */

static long sys_zero(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a0, (void)a1, (void)a2;
    return 0;
}
SYSCALL(SYS_getuid, sys_zero);
SYSCALL(SYS_getgid, sys_zero);
SYSCALL(SYS_geteuid, sys_zero);
SYSCALL(SYS_getegid, sys_zero);

/* getpgrp, getpgid, getsid, gettid, set_tid_address: the caller's pid
 * (one thread per process, every process leads its own group). */
static long sys_own_pid(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a0, (void)a1, (void)a2;
    return proc_current()->pid;
}
SYSCALL(SYS_getpgrp, sys_own_pid);
SYSCALL(SYS_getpgid, sys_own_pid);
SYSCALL(SYS_getsid, sys_own_pid);
SYSCALL(SYS_gettid, sys_own_pid);
SYSCALL(SYS_set_tid_address, sys_own_pid);   /* the address is never written: no threads */
SYSCALL(SYS_setsid, sys_own_pid);

/* setpgid: groups are not kept (no job control); 0 for the caller's own
 * or a child's pid, as Linux says for a group it could make. */
static long sys_setpgid(struct trap_frame *tf, uint64_t pid, uint64_t pgid, uint64_t a2)
{
    (void)tf, (void)pgid, (void)a2;
    return (int)pid >= 0 ? 0 : -EINVAL;
}
SYSCALL(SYS_setpgid, sys_setpgid);

/* umask(mask): the permission bits open's O_CREAT and mkdir clear from
 * now on (fsyscall.h: proc_umask); the old mask. */
static long sys_umask(struct trap_frame *tf, uint64_t mask, uint64_t a1, uint64_t a2)
{
    struct proc *p = proc_current();
    uint32_t old = p->umask;

    (void)tf, (void)a1, (void)a2;
    p->umask = (uint32_t)mask & 0777;
    return old;
}
SYSCALL(SYS_umask, sys_umask);

/* set_robust_list: futexes a dying thread holds; with one thread per
 * process nobody can wait on them. Accepted and forgotten, as Linux does
 * for a list it never needs to walk. */
SYSCALL(SYS_set_robust_list, sys_zero);

/* madvise: advice only; Linux may ignore it too. */
SYSCALL(SYS_madvise, sys_zero);

/* ---- uname --------------------------------------------------------------------- */

struct utsname {                     /* Linux's: six 65-byte strings */
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

static long sys_uname(struct trap_frame *tf, uint64_t buf, uint64_t a1, uint64_t a2)
{
    static const struct utsname u = {
        "Linux", "teachos", "6.1.0-teachos",     /* glibc wants a release >= its minimum */
        "#10 teachos lab 10", "x86_64", "(none)",
    };
    (void)tf, (void)a1, (void)a2;
    return copy_to_user(user_space(), buf, &u, sizeof u) ? -EFAULT : 0;
}
SYSCALL(SYS_uname, sys_uname);

/* ---- time ---------------------------------------------------------------------- */

#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_BOOTTIME  7

struct timespec {
    int64_t sec, nsec;
};

static int64_t boot_epoch;           /* the RTC's time at tick 0, read once */

/* The time since boot from the PIT's ticks, or the wall clock. */
static struct timespec clock_now(uint64_t clock)
{
    uint64_t ticks = pit_ticks(), hz = pit_hz();
    struct timespec t = {(int64_t)(ticks / hz), (int64_t)((ticks % hz) * (1000000000 / hz))};

    if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE) {
        if (boot_epoch == 0)
            boot_epoch = (int64_t)rtc_now() - t.sec;
        t.sec += boot_epoch;
    }
    return t;
}

static bool clock_known(uint64_t clock)
{
    return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC || clock == CLOCK_BOOTTIME ||
           clock == 4 || clock == 5 || clock == 6;       /* the RAW and COARSE variants */
}

static long sys_clock_gettime(struct trap_frame *tf, uint64_t clock, uint64_t ts, uint64_t a2)
{
    (void)tf, (void)a2;
    if (!clock_known(clock))
        return -EINVAL;
    struct timespec t = clock_now(clock);
    return copy_to_user(user_space(), ts, &t, sizeof t) ? -EFAULT : 0;
}
SYSCALL(SYS_clock_gettime, sys_clock_gettime);

static long sys_clock_getres(struct trap_frame *tf, uint64_t clock, uint64_t ts, uint64_t a2)
{
    struct timespec res = {0, (int64_t)(1000000000 / pit_hz())};

    (void)tf, (void)a2;
    if (!clock_known(clock))
        return -EINVAL;
    return ts && copy_to_user(user_space(), ts, &res, sizeof res) ? -EFAULT : 0;
}
SYSCALL(SYS_clock_getres, sys_clock_getres);

static long sys_gettimeofday(struct trap_frame *tf, uint64_t tv, uint64_t tz, uint64_t a2)
{
    struct timespec t = clock_now(CLOCK_REALTIME);
    int64_t v[2] = {t.sec, t.nsec / 1000};

    (void)tf, (void)tz, (void)a2;
    return tv && copy_to_user(user_space(), tv, v, sizeof v) ? -EFAULT : 0;
}
SYSCALL(SYS_gettimeofday, sys_gettimeofday);

static long sys_time(struct trap_frame *tf, uint64_t where, uint64_t a1, uint64_t a2)
{
    int64_t now = clock_now(CLOCK_REALTIME).sec;

    (void)tf, (void)a1, (void)a2;
    if (where && copy_to_user(user_space(), where, &now, sizeof now))
        return -EFAULT;
    return now;
}
SYSCALL(SYS_time, sys_time);

/* clock_nanosleep(clock, flags, req, rem): glibc's nanosleep and sleep.
 * A relative sleep is nanosleep's; TIMER_ABSTIME is not handled. */
static long sys_clock_nanosleep(struct trap_frame *tf, uint64_t clock, uint64_t flags,
                                uint64_t req)
{
    struct timespec t;

    if (!clock_known(clock))
        return -EINVAL;
    if (flags != 0)
        return -EINVAL;
    if (copy_from_user(user_space(), &t, req, sizeof t))
        return -EFAULT;
    if (t.sec < 0 || t.nsec < 0 || t.nsec >= 1000000000)
        return -EINVAL;
    (void)tf;
    proc_nap((uint64_t)t.sec * 1000 + (uint64_t)t.nsec / 1000000);
    return proc_killed() ? -EINTR : 0;
}
SYSCALL(SYS_clock_nanosleep, sys_clock_nanosleep);

/* ---- random -------------------------------------------------------------------- */

static long sys_getrandom(struct trap_frame *tf, uint64_t buf, uint64_t len, uint64_t flags)
{
    uint8_t chunk[256];

    (void)tf, (void)flags;
    for (uint64_t done = 0; done < len;) {
        size_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
        random_bytes(chunk, n);
        if (copy_to_user(user_space(), buf + done, chunk, n))
            return done ? (long)done : -EFAULT;
        done += n;
    }
    return (long)len;
}
SYSCALL(SYS_getrandom, sys_getrandom);

/* ---- processes: clone and vfork as fork -------------------------------------------- */

#define CLONE_VM             0x00000100
#define CLONE_VFORK          0x00004000
#define CLONE_THREAD         0x00010000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_SIGNAL_MASK    0xff        /* the signal the parent gets at the child's end */

/* clone(flags, stack, parent_tid, child_tid, tls): fork's meaning only.
 * CLONE_VM without CLONE_VFORK would be a thread: -ENOSYS (one thread per
 * process). With CLONE_VFORK the child gets a copy of the memory instead
 * of sharing it: a vfork child only execs or exits, so it cannot tell. */
static long sys_clone(struct trap_frame *tf, uint64_t flags, uint64_t stack, uint64_t ptid)
{
    if ((flags & CLONE_THREAD) || (flags & CLONE_SETTLS) ||
        ((flags & CLONE_VM) && !(flags & CLONE_VFORK)))
        return -ENOSYS;
    long pid = proc_fork(tf, stack, flags & CLONE_CHILD_SETTID ? tf->r10 : 0);
    if (pid > 0 && (flags & CLONE_PARENT_SETTID))       /* a bad address: not stored */
        copy_to_user(user_space(), ptid, &(int){(int)pid}, sizeof(int));
    return pid;
}
SYSCALL(SYS_clone, sys_clone);

static long sys_vfork(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    (void)a0, (void)a1, (void)a2;
    return proc_fork(tf, 0, 0);
}
SYSCALL(SYS_vfork, sys_vfork);

/* ---- files: readv/writev, fcntl, dup3, access, sendfile ------------------------------ */

struct iovec {
    uint64_t base, len;
};

#define IOV_MAX 1024

/* readv/writev: each buffer in turn through the file's own read or write,
 * stopping at the first short transfer; the total, or the first error if
 * nothing moved. */
static long vector_io(uint64_t fd, uint64_t iov, uint64_t n, bool write)
{
    struct file *f = fd_file((int)fd);
    long total = 0;

    if (f == NULL)
        return -EBADF;
    if (n > IOV_MAX)
        return -EINVAL;
    for (uint64_t i = 0; i < n; i++) {
        struct iovec v;
        if (copy_from_user(user_space(), &v, iov + i * sizeof v, sizeof v))
            return total ? total : -EFAULT;
        if (v.len == 0)
            continue;
        long done = write ? (f->ops->write ? f->ops->write(f, v.base, v.len) : -EBADF)
                          : (f->ops->read ? f->ops->read(f, v.base, v.len) : -EBADF);
        if (done < 0)
            return total ? total : done;
        total += done;
        if ((uint64_t)done < v.len)
            break;
    }
    return total;
}

static long sys_readv(struct trap_frame *tf, uint64_t fd, uint64_t iov, uint64_t n)
{
    (void)tf;
    return vector_io(fd, iov, n, false);
}
SYSCALL(SYS_readv, sys_readv);

static long sys_writev(struct trap_frame *tf, uint64_t fd, uint64_t iov, uint64_t n)
{
    (void)tf;
    return vector_io(fd, iov, n, true);
}
SYSCALL(SYS_writev, sys_writev);

#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC      1
#define O_RDWR          2

/* A new fd for f at the lowest free number >= min, with one more
 * reference; -EMFILE or -EINVAL (min out of range). */
static long dup_at_least(struct file *f, uint64_t min, bool cloexec)
{
    struct proc *p = proc_current();

    if (min >= PROC_MAX_FILES)
        return -EINVAL;
    for (uint64_t fd = min; fd < PROC_MAX_FILES; fd++)
        if (p->files[fd] == NULL) {
            p->files[fd] = file_get(f);
            if (cloexec)
                p->cloexec |= 1u << fd;
            else
                p->cloexec &= ~(1u << fd);
            return (long)fd;
        }
    return -EMFILE;
}

static long sys_fcntl(struct trap_frame *tf, uint64_t fd, uint64_t cmd, uint64_t arg)
{
    struct proc *p = proc_current();
    struct file *f = fd_file((int)fd);

    (void)tf;
    if (f == NULL)
        return -EBADF;
    switch (cmd) {
    case F_DUPFD:
        return dup_at_least(f, arg, false);
    case F_DUPFD_CLOEXEC:
        return dup_at_least(f, arg, true);
    case F_GETFD:
        return p->cloexec >> fd & 1 ? FD_CLOEXEC : 0;
    case F_SETFD:
        if (arg & FD_CLOEXEC)
            p->cloexec |= 1u << fd;
        else
            p->cloexec &= ~(1u << fd);
        return 0;
    case F_GETFL:
        return O_RDWR;               /* status flags are not kept: no O_APPEND, no O_NONBLOCK */
    case F_SETFL:
        return 0;
    default:
        return -EINVAL;
    }
}
SYSCALL(SYS_fcntl, sys_fcntl);

/* sendfile: not here; -EINVAL makes busybox and glibc copy with read and
 * write (0 would mean "end of file" and lose the data). */
static long sys_sendfile(struct trap_frame *tf, uint64_t out, uint64_t in, uint64_t off)
{
    (void)tf, (void)out, (void)in, (void)off;
    return -EINVAL;
}
SYSCALL(SYS_sendfile, sys_sendfile);

/* dup3(old, new, flags): dup2 with close-on-exec as flags say, and
 * -EINVAL for old == new. */
static long sys_dup3(struct trap_frame *tf, uint64_t old, uint64_t new, uint64_t flags)
{
    struct proc *p = proc_current();
    struct file *f = fd_file((int)old);

    (void)tf;
    if (flags & ~(uint64_t)O_CLOEXEC)
        return -EINVAL;
    if (f == NULL || new >= PROC_MAX_FILES)
        return -EBADF;
    if (old == new)
        return -EINVAL;
    struct file *was = p->files[new];
    p->files[new] = file_get(f);
    if (was)
        file_put(was);
    if (flags & O_CLOEXEC)
        p->cloexec |= 1u << new;
    else
        p->cloexec &= ~(1u << new);
    return (long)new;
}
SYSCALL(SYS_dup3, sys_dup3);

/* ---- the console as a terminal ------------------------------------------------------ */

#define SYS_ioctl  16
#define TCGETS     0x5401
#define TCSETS     0x5402            /* now */
#define TCSETSW    0x5403            /* after output drains: ours never waits */
#define TCSETSF    0x5404            /* and drop typed input: not kept apart here */
#define TIOCGPGRP  0x540F
#define TIOCGWINSZ 0x5413

struct winsize {
    uint16_t rows, cols, xpixel, ypixel;
};

/* ioctl(fd, cmd, arg): on the console, its termios (TCGETS, TCSETS*) and
 * size (TIOCGWINSZ: the VGA screen's 80x25); -ENOTTY for anything else and
 * on other files, as Linux says for a file that is not a terminal. No
 * process groups: TIOCGPGRP is -ENOTTY too, so a shell turns job control
 * off. */
static long sys_ioctl(struct trap_frame *tf, uint64_t fd, uint64_t cmd, uint64_t arg)
{
    struct file *f = fd_file((int)fd);
    static const struct winsize size = {25, 80, 0, 0};

    (void)tf;
    if (f == NULL)
        return -EBADF;
    if (!file_is_console(f))
        return -ENOTTY;
    switch (cmd) {
    case TCGETS:
        return copy_to_user(user_space(), arg, &console_termios, sizeof console_termios)
                   ? -EFAULT : 0;
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
        struct termios t;
        if (copy_from_user(user_space(), &t, arg, sizeof t))
            return -EFAULT;
        console_termios = t;
        return 0;
    }
    case TIOCGWINSZ:
        return copy_to_user(user_space(), arg, &size, sizeof size) ? -EFAULT : 0;
    default:
        return -ENOTTY;
    }
}
SYSCALL(SYS_ioctl, sys_ioctl);

/* ---- poll -------------------------------------------------------------------------- */

#define SYS_poll  7
#define SYS_ppoll 271
#define POLLIN    0x001
#define POLLOUT   0x004
#define POLLNVAL  0x020
#define POLL_MAX  PROC_MAX_FILES

struct pollfd {
    int32_t fd;
    int16_t events, revents;
};

/* Fill each entry's revents; the number of entries with any. The console
 * is readable when something was typed; pipes and files always count as
 * ready (a read or write of them blocks at worst, which a shell's poll
 * before a read tolerates). */
static int poll_scan(struct pollfd *fds, uint64_t n)
{
    int ready = 0;

    for (uint64_t i = 0; i < n; i++) {
        struct file *f = fds[i].fd >= 0 ? fd_file(fds[i].fd) : NULL;
        int16_t r = 0;
        if (fds[i].fd >= 0 && f == NULL)
            r = POLLNVAL;
        else if (f && file_is_console(f))
            r = (int16_t)((console_readable() ? POLLIN : 0) | POLLOUT);
        else if (f)
            r = POLLIN | POLLOUT;
        fds[i].revents = (int16_t)(r & (fds[i].events | POLLNVAL));
        ready += fds[i].revents != 0;
    }
    return ready;
}

/* poll(fds, n, timeout_ms): waits in 10 ms naps (timeout < 0: for ever)
 * until an entry is ready; -EINTR if the process is killed meanwhile. */
static long do_poll(uint64_t ufds, uint64_t n, int64_t timeout_ms)
{
    struct pollfd fds[POLL_MAX];
    uint64_t start = pit_ticks();

    if (n > POLL_MAX)
        return -EINVAL;
    if (copy_from_user(user_space(), fds, ufds, n * sizeof fds[0]))
        return -EFAULT;
    int ready;
    while ((ready = poll_scan(fds, n)) == 0 && !proc_killed()) {
        if (timeout_ms >= 0 && (pit_ticks() - start) * 1000 / pit_hz() >= (uint64_t)timeout_ms)
            break;
        proc_nap(10);
    }
    if (ready == 0 && proc_killed())
        return -EINTR;
    return copy_to_user(user_space(), ufds, fds, n * sizeof fds[0]) ? -EFAULT : ready;
}

static long sys_poll(struct trap_frame *tf, uint64_t fds, uint64_t n, uint64_t timeout)
{
    (void)tf;
    return do_poll(fds, n, (int)timeout);
}
SYSCALL(SYS_poll, sys_poll);

/* ppoll(fds, n, timespec, sigmask, size): the mask is not applied. */
static long sys_ppoll(struct trap_frame *tf, uint64_t fds, uint64_t n, uint64_t ts)
{
    struct timespec t;

    (void)tf;
    if (ts == 0)
        return do_poll(fds, n, -1);
    if (copy_from_user(user_space(), &t, ts, sizeof t))
        return -EFAULT;
    return do_poll(fds, n, t.sec * 1000 + t.nsec / 1000000);
}
SYSCALL(SYS_ppoll, sys_ppoll);

/* ---- unknown calls ---------------------------------------------------------------- */

/* Every number below NSYSCALLS with no call: -ENOSYS, and with `strace`
 * on the command line one line per number, the first time in the boot
 * that a program makes it (the dispatcher answers numbers past the table
 * -ENOSYS without calling anything). */
long syscall_unknown(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    static uint8_t logged[NSYSCALLS];
    uint64_t n = tf->rax;

    (void)a0, (void)a1, (void)a2;
    if (n < NSYSCALLS && !logged[n] && cmdline_has("strace")) {
        logged[n] = 1;
        kprintf("strace: %s made system call %lu: not implemented (-ENOSYS)\n",
                proc_current()->name, n);
    }
    return -ENOSYS;
}
CMDLINE_KEY(strace, NULL);
