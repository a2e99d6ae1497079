/* errno.h - error numbers, as Linux x86-64 has them. Lab 3 (given).
 * Kernel functions return them negated: -ENOMEM. */
#ifndef ERRNO_H
#define ERRNO_H

#define ENOENT  2
#define E2BIG   7
#define EBADF   9
#define EFAULT  14
#define EEXIST  17
#define EINVAL  22
#define ENOMEM  12
#define ENOSYS  38
#define ENOEXEC 8
#define ENAMETOOLONG 36

#endif
