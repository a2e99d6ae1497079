/* ulib.h - the tiny C library of teachos user programs. Lab 6 (given).
 * System calls (int 0x80, Linux numbers), printf, and the string
 * functions of the kernel (compiled again for user space). Lab 7 adds
 * processes, file descriptors and pipes, and a line reader; Lab 8 files,
 * directories and links (struct stat, linux_dirent64 and struct statfs in
 * Linux x86-64's layout). */
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
int kill(int pid, int sig);          /* 0; -ESRCH, -EINVAL (SIGKILL, SIGTERM only; Lab 10: 1..64) */

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
#if LAB >= 8

/* Errors of Lab 8's calls (Linux's values), for an errno.h without them. */
#ifndef EPERM
#define EPERM   1
#endif
#ifndef EIO
#define EIO     5
#endif
#ifndef EACCES
#define EACCES  13
#endif
#ifndef EBUSY
#define EBUSY   16
#endif
#ifndef EXDEV
#define EXDEV   18
#endif
#ifndef ENOTDIR
#define ENOTDIR 20
#endif
#ifndef EISDIR
#define EISDIR  21
#endif
#ifndef ENFILE
#define ENFILE  23
#endif
#ifndef EFBIG
#define EFBIG   27
#endif
#ifndef ENOSPC
#define ENOSPC  28
#endif
#ifndef ESPIPE
#define ESPIPE  29
#endif
#ifndef EROFS
#define EROFS   30
#endif
#ifndef EMLINK
#define EMLINK  31
#endif
#ifndef ERANGE
#define ERANGE  34
#endif
#ifndef ENOTEMPTY
#define ENOTEMPTY 39
#endif
#ifndef ELOOP
#define ELOOP   40
#endif
#ifndef EUCLEAN
#define EUCLEAN 117                  /* a corrupted file system */
#endif

/* open's flags (octal, as Linux has them); O_CLOEXEC is above. */
#define O_RDONLY    0
#define O_WRONLY    01
#define O_RDWR      02
#define O_ACCMODE   03
#define O_CREAT     0100
#define O_EXCL      0200
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000

/* The *at calls: the working directory as dirfd, and their flags. */
#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100    /* fstatat: lstat's meaning */
#define AT_REMOVEDIR        0x200    /* unlinkat: rmdir's meaning */

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* st_mode: the type in the top bits, then the permission bits. */
#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

/* What stat, fstat, lstat and fstatat fill in: Linux x86-64's layout. */
struct stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;                /* S_IF* type and permission bits */
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t __pad0;
    uint64_t st_rdev;
    int64_t st_size;                 /* bytes */
    int64_t st_blksize;              /* the block size for I/O */
    int64_t st_blocks;               /* 512-byte units allocated */
    struct timespec st_atim;         /* last access, modification, change */
    struct timespec st_mtim;
    struct timespec st_ctim;
    int64_t __unused[3];
};
_Static_assert(sizeof(struct stat) == 144, "struct stat is Linux x86-64's");

/* One entry of getdents64's buffer; the next starts d_reclen bytes on. */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;                   /* where the next entry starts (lseek) */
    uint16_t d_reclen;
    uint8_t d_type;                  /* DT_* */
    char d_name[];                   /* NUL-terminated */
};
#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

/* What statfs fills in: Linux x86-64's layout (120 bytes). */
struct statfs {
    int64_t f_type;                  /* 0xEF53 for ext2 */
    int64_t f_bsize;                 /* the block size */
    uint64_t f_blocks, f_bfree, f_bavail;   /* blocks: all, free, free to users */
    uint64_t f_files, f_ffree;       /* inodes: all, free */
    int32_t f_fsid[2];
    int64_t f_namelen;               /* the longest name */
    int64_t f_frsize;
    int64_t f_flags;
    int64_t f_spare[4];
};
_Static_assert(sizeof(struct statfs) == 120, "struct statfs is Linux x86-64's");

/* Files. Each returns a negative errno on failure. */
int open(const char *path, int flags, ...);       /* an fd; a mode (int) follows with O_CREAT */
int openat(int dirfd, const char *path, int flags, ...);
long lseek(int fd, long offset, int whence);       /* the new offset */
long pread(int fd, void *buf, size_t count, long offset);  /* the file offset stays */
long pwrite(int fd, const void *buf, size_t count, long offset);
int stat(const char *path, struct stat *st);      /* 0; a symlink followed */
int fstat(int fd, struct stat *st);
int lstat(const char *path, struct stat *st);     /* a symlink itself */
int fstatat(int dirfd, const char *path, struct stat *st, int flags);
int truncate(const char *path, long length);     /* cut or grow (a hole) to length */
int ftruncate(int fd, long length);
int fsync(int fd);                                 /* its data and the file system's on disk */
int fdatasync(int fd);
void sync(void);
int statfs(const char *path, struct statfs *st);
int fstatfs(int fd, struct statfs *st);

/* Directories and names. */
/* Entries of directory fd into buf: the bytes filled (whole entries), 0 at
 * the end of the directory. */
long getdents64(int fd, void *buf, size_t count);
int mkdir(const char *path, int mode);
int mkdirat(int dirfd, const char *path, int mode);
int rmdir(const char *path);                       /* an empty directory */
int unlink(const char *path);                      /* not a directory */
int unlinkat(int dirfd, const char *path, int flags);
int link(const char *oldpath, const char *newpath);
int rename(const char *oldpath, const char *newpath);
int symlink(const char *target, const char *linkpath);
/* The target of symlink path into buf (not NUL-terminated): its length. */
long readlink(const char *path, char *buf, size_t size);
int chdir(const char *path);
int fchdir(int fd);
/* The working directory into buf, NUL-terminated: its length with the NUL
 * (the system call's result, not C's char *); -ERANGE if size is too small. */
long getcwd(char *buf, size_t size);

/* Helpers. */
/* Linux's message for errno err (positive): "No such file or directory". */
const char *strerror(int err);
/* The ls -l string of a mode: its type and permissions, "drwxr-xr-x". */
void mode_string(uint32_t mode, char out[11]);
/* Seconds since 1970 as "YYYY-MM-DD HH:MM:SS" (UTC) in out. */
void time_string(int64_t seconds, char out[20]);
/* Open file path for reading as standard input (fd 0): 0 or a negative
 * errno (for programs that read standard input or one FILE). */
int stdin_from(const char *path);
/* dir "/" name into buf (size bytes): 0, or -ENAMETOOLONG. */
int path_join(char *buf, size_t size, const char *dir, const char *name);
/* The last component of path (trailing slashes left off) into buf: "c"
 * for "a/b/c/", "/" for "/". */
void path_base(const char *path, char *buf, size_t size);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of n bytes at p: crc32(0, ...)
 * starts, a running value continues (the graders' test programs check
 * file contents with it). */
uint32_t crc32(uint32_t crc, const uint8_t *p, long n);
#endif

#endif
