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
