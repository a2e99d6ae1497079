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
#if LAB >= 8
/* Lab 8: the file system's. */
#define EPERM   1                    /* link to a directory */
#define EIO     5                    /* the disk failed, or a block number off the disk */
#define ENXIO   6                    /* open of a device file (none is handled) */
#define EACCES  13
#define EBUSY   16                   /* rmdir / rename of the root or a cwd in use */
#define EXDEV   18
#define ENOTDIR 20
#define EISDIR  21
#define ENFILE  23                   /* every in-memory inode in use */
#define EFBIG   27                   /* past the largest file (double-indirect) */
#define ENOSPC  28
#define ESPIPE  29                   /* lseek on a pipe or the console */
#define EROFS   30
#define EMLINK  31                   /* too many links */
#define ERANGE  34                   /* getcwd: the buffer is too small */
#define ENOTEMPTY 39
#define ELOOP   40                   /* too many symlinks, or O_NOFOLLOW on one */
#define EUCLEAN 117                  /* a corrupted structure on the disk */
#endif

#endif
