/* ulib.c - system call wrappers and helpers for user programs. Lab 6 (given). */
#include "ulib.h"

long syscall6(long n, long a0, long a1, long a2, long a3, long a4, long a5)
{
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    long ret;

    __asm__ volatile("int $0x80"
                     : "=a"(ret)
                     : "a"(n), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : "memory");
    return ret;
}

long read(int fd, void *buf, size_t count)
{
    return syscall6(0, fd, (long)buf, (long)count, 0, 0, 0);
}

long write(int fd, const void *buf, size_t count)
{
    return syscall6(1, fd, (long)buf, (long)count, 0, 0, 0);
}

void exit(int status)
{
    syscall6(60, status, 0, 0, 0, 0, 0);
    for (;;)                         /* exit does not return; if it did, fault */
        __asm__ volatile("ud2");
}

int getpid(void)
{
    return (int)syscall6(39, 0, 0, 0, 0, 0, 0);
}

int sched_yield(void)
{
    return (int)syscall6(24, 0, 0, 0, 0, 0, 0);
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    return (int)syscall6(35, (long)req, (long)rem, 0, 0, 0, 0);
}

void *brk(void *addr)
{
    return (void *)syscall6(12, (long)addr, 0, 0, 0, 0, 0);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    return (int)syscall6(59, (long)path, (long)argv, (long)envp, 0, 0, 0);
}

int printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    write(1, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
    return n;
}

int puts(const char *s)
{
    write(1, s, strlen(s));
    return (int)write(1, "\n", 1);
}

long atol(const char *s)
{
    int64_t v = 0;

    return parse_int(s, &v) ? (long)v : 0;
}

void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};

    nanosleep(&t, NULL);
}
#if LAB >= 7

int fork(void)
{
    return (int)syscall6(57, 0, 0, 0, 0, 0, 0);
}

int wait4(int pid, int *status, int options, void *rusage)
{
    return (int)syscall6(61, pid, (long)status, options, (long)rusage, 0, 0);
}

int waitpid(int pid, int *status, int options)
{
    return wait4(pid, status, options, NULL);
}

int wait(int *status)
{
    return wait4(-1, status, 0, NULL);
}

int getppid(void)
{
    return (int)syscall6(110, 0, 0, 0, 0, 0, 0);
}

int kill(int pid, int sig)
{
    return (int)syscall6(62, pid, sig, 0, 0, 0, 0);
}

int pipe(int fds[2])
{
    return (int)syscall6(22, (long)fds, 0, 0, 0, 0, 0);
}

int pipe2(int fds[2], int flags)
{
    return (int)syscall6(293, (long)fds, flags, 0, 0, 0, 0);
}

void must_pipe(int fds[2], int flags)
{
    int err = pipe2(fds, flags);

    if (err < 0) {
        printf("pipe2 failed: %d\n", err);
        exit(1);
    }
}

struct sysinfo {                     /* Linux's layout: what is used of it here */
    long uptime;
    unsigned long loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    unsigned short procs, pad;
    unsigned long totalhigh, freehigh;
    unsigned int mem_unit;
    char reserved[4];
};

long free_frames(void)
{
    struct sysinfo si;
    long err = syscall6(99, (long)&si, 0, 0, 0, 0, 0);

    return err < 0 ? err : (long)si.freeram;
}

int dup(int fd)
{
    return (int)syscall6(32, fd, 0, 0, 0, 0, 0);
}

int dup2(int oldfd, int newfd)
{
    return (int)syscall6(33, oldfd, newfd, 0, 0, 0, 0);
}

int close(int fd)
{
    return (int)syscall6(3, fd, 0, 0, 0, 0, 0);
}

long write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    for (size_t done = 0; done < n;) {
        long w = write(fd, p + done, n - done);
        if (w < 0)
            return w;
        if (w == 0)                  /* should not happen; do not spin */
            return -EPIPE;
        done += (size_t)w;
    }
    return (long)n;
}

int dprintf(int fd, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = kvsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return (int)write_all(fd, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

const char *errstr(long err)
{
    switch (-err) {
    case ENOENT: return "not found";
    case ESRCH: return "no such process";
    case ENOEXEC: return "not an executable";
    case EBADF: return "bad file descriptor";
    case ECHILD: return "no child processes";
    case ENOMEM: return "out of memory";
    case EFAULT: return "bad address";
    case EINVAL: return "invalid argument";
    case EMFILE: return "too many open files";
    case EPIPE: return "broken pipe";
    case ENOSYS: return "not implemented";
    case EAGAIN: return "too many processes";
    case EINTR: return "interrupted";
    case E2BIG: return "argument list too long";
    default: return "error";
    }
}

void reader_init(struct reader *r, int fd)
{
    r->fd = fd;
    r->start = r->end = 0;
}

long read_line(struct reader *r, char *line, size_t size)
{
    size_t n = 0;

    while (n + 1 < size) {
        if (r->start == r->end) {
            long got = read(r->fd, r->buf, sizeof r->buf);
            if (got < 0)
                return got;
            if (got == 0)
                break;               /* end of file: what we have is the last line */
            r->start = 0;
            r->end = (size_t)got;
        }
        char c = r->buf[r->start++];
        line[n++] = c;
        if (c == '\n')
            break;
    }
    line[n] = '\0';
    return (long)n;
}
#endif
