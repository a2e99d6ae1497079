/* errno.h - error numbers, as Linux x86-64 has them. Lab 3 (given).
 * Kernel functions return them negated: -ENOMEM. */
#ifndef ERRNO_H
#define ERRNO_H

#define ENOENT  2
#define ESRCH   3                    /* no such process (kill) */
#define EINTR   4                    /* a blocking call ended by kill */
#define E2BIG   7
#define ENOEXEC 8
#define EBADF   9
#define ECHILD  10                   /* wait4: no such child */
#define EAGAIN  11                   /* fork: too many processes */
#define ENOMEM  12
#define EFAULT  14
#define EEXIST  17
#define EINVAL  22
#define EMFILE  24                   /* no free file descriptor */
#define EPIPE   32                   /* write to a pipe nobody reads */
#define ENAMETOOLONG 36
#define ENOSYS  38

#endif
