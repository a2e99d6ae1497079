/* ulib.h - the tiny C library of teachos user programs. Lab 6 (given).
 * System calls (int 0x80, Linux numbers), printf, and the string
 * functions of the kernel (compiled again for user space). */
#ifndef ULIB_H
#define ULIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "printf.h"                  /* kvformat, ksnprintf: kernel/lib/printf.c */
#include "string.h"                  /* memset, strlen, ...: kernel/lib/string.c */

struct timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

/* The raw system call: number and up to six arguments; the result or a
 * negative errno. */
long syscall6(long n, long a0, long a1, long a2, long a3, long a4, long a5);

long read(int fd, void *buf, size_t count);
long write(int fd, const void *buf, size_t count);
void exit(int status) __attribute__((noreturn));
int getpid(void);
int sched_yield(void);
int nanosleep(const struct timespec *req, struct timespec *rem);
void *brk(void *addr);               /* the new end, or the old one on failure */
int execve(const char *path, char *const argv[], char *const envp[]);

/* Helpers. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int puts(const char *s);             /* s and a newline */
long atol(const char *s);
void sleep_ms(long ms);

#endif
