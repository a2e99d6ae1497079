/* errno.h - error numbers, as Linux x86-64 has them. Lab 3 (given).
 * Kernel functions return them negated: -ENOMEM. */
#ifndef ERRNO_H
#define ERRNO_H

#define EPERM   1                    /* link to a directory; mmap below USER_MIN_ADDR */
#define ENOENT  2
#define ESRCH   3                    /* no such process (kill) */
#define EINTR   4                    /* a blocking call ended by kill */
#define EIO     5                    /* the disk failed, or a block number off the disk */
#define ENXIO   6                    /* open of a device file (none is handled) */
#define E2BIG   7
#define ENOEXEC 8
#define EBADF   9
#define ECHILD  10                   /* wait4: no such child */
#define EAGAIN  11                   /* fork: too many processes */
#define ENOMEM  12
#define EACCES  13                   /* permission denied */
#define EFAULT  14
#define EBUSY   16                   /* rmdir of the root */
#define EEXIST  17
#define EXDEV   18
#define ENODEV  19                   /* mmap of a file: not supported (Lab 10) */
#define ENOTDIR 20
#define EISDIR  21
#define EINVAL  22
#define ENFILE  23                   /* the in-memory inode table is full */
#define EMFILE  24                   /* no free file descriptor */
#define ENOTTY  25                   /* ioctl on what is not a terminal (Lab 10) */
#define EFBIG   27                   /* past the largest file */
#define ENOSPC  28                   /* the disk is full */
#define ESPIPE  29                   /* lseek on a pipe or the console */
#define EROFS   30                   /* a read-only file system */
#define EMLINK  31                   /* too many links to an inode */
#define EPIPE   32                   /* write to a pipe nobody reads */
#define ERANGE  34                   /* getcwd: the buffer is too small */
#define ENAMETOOLONG 36
#define ENOSYS  38
#define ENOTEMPTY 39                 /* rmdir or rename over a directory with entries */
#define ELOOP   40                   /* too many symlinks in one path, or O_NOFOLLOW on one */
#define EUCLEAN 117                  /* a structure on the disk is corrupted */

#endif
