/* ulib.h - the tiny C library of teachos user programs. Lab 6 (given).
 * System calls (int 0x80, Linux numbers), printf, and the string
 * functions of the kernel (compiled again for user space). Lab 7 adds
 * processes, file descriptors and pipes, and a line reader. */
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
#if LAB >= 7

#include "errno.h"

/* Errors of Lab 7's calls (Linux's values), for an errno.h without them. */
#ifndef ESRCH
#define ESRCH   3
#endif
#ifndef ECHILD
#define ECHILD  10
#endif
#ifndef EMFILE
#define EMFILE  24
#endif
#ifndef EPIPE
#define EPIPE   32
#endif

/* wait4's options and status word, as Linux encodes it: exit status in
 * bits 8..15 (low 7 bits 0), or the killing signal in the low 7 bits. */
#define WNOHANG 1
#define WIFEXITED(s)   (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define WTERMSIG(s)    ((s) & 0x7f)

#define SIGKILL 9
#define SIGTERM 15
#define O_CLOEXEC 02000000           /* pipe2: close this fd at execve */

/* Processes. Each returns a negative errno on failure. */
int fork(void);                      /* the child's pid in the parent, 0 in the child */
/* Wait for child pid (-1: any) to end; its status word in *status (if not
 * NULL). The child's pid, 0 with WNOHANG if none has ended yet, -ECHILD if
 * there is no such child. rusage, if not NULL, is zeroed (struct rusage:
 * 144 bytes). */
int wait4(int pid, int *status, int options, void *rusage);
int waitpid(int pid, int *status, int options);   /* wait4 without rusage */
int wait(int *status);               /* waitpid(-1, status, 0) */
int getppid(void);                   /* the parent's pid: 1 for an orphan (while pid 1
                                      * lives), 0 for a process the kernel started */
int kill(int pid, int sig);          /* 0; -ESRCH, -EINVAL (SIGKILL, SIGTERM only) */

/* File descriptors. */
int pipe(int fds[2]);                /* 0, fds[0] the read end, fds[1] the write end */
int pipe2(int fds[2], int flags);    /* the same, flags 0 or O_CLOEXEC */
/* pipe2, or end the program (status 1) with a line saying it failed: for
 * test programs, whose fds would otherwise be garbage. */
void must_pipe(int fds[2], int flags);

/* The frames of RAM the kernel has free now (sysinfo's freeram, in pages),
 * or a negative errno: how the test programs measure memory. */
long free_frames(void);
int dup(int fd);                     /* the lowest free fd, now also fd's file */
int dup2(int oldfd, int newfd);      /* newfd (closed first if open) */
int close(int fd);                   /* 0; -EBADF */

/* Helpers. */
/* Write all n bytes (looping on short writes): n, or the negative errno of
 * the write that failed (-EPIPE: nobody reads the pipe any more). */
long write_all(int fd, const void *buf, size_t n);
/* printf to fd: the number of bytes written, or a negative errno. */
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A short text for a negative errno ("no such process"). */
const char *errstr(long err);

/* A buffered reader of lines from an fd. */
#define READER_SIZE 512
struct reader {
    int fd;
    size_t start, end;               /* buf[start..end) is read but not yet returned */
    char buf[READER_SIZE];
};
void reader_init(struct reader *r, int fd);
/* The next line, with its '\n' if it has one, NUL-terminated in line
 * (size bytes, at least 2); a longer line comes in pieces. Returns its
 * length, 0 at end of file, or a negative errno. */
long read_line(struct reader *r, char *line, size_t size);
#endif

#endif
