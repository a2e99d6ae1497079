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
#if LAB >= 8
    default: return strerror((int)-err);
#else
    default: return "error";
#endif
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
#if LAB >= 8

int open(const char *path, int flags, ...)
{
    int mode = 0;

    if (flags & O_CREAT) {           /* the mode is there only then */
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return (int)syscall6(2, (long)path, flags, mode, 0, 0, 0);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    int mode = 0;

    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return (int)syscall6(257, dirfd, (long)path, flags, mode, 0, 0);
}

long lseek(int fd, long offset, int whence)
{
    return syscall6(8, fd, offset, whence, 0, 0, 0);
}

long pread(int fd, void *buf, size_t count, long offset)
{
    return syscall6(17, fd, (long)buf, (long)count, offset, 0, 0);
}

long pwrite(int fd, const void *buf, size_t count, long offset)
{
    return syscall6(18, fd, (long)buf, (long)count, offset, 0, 0);
}

int stat(const char *path, struct stat *st)
{
    return (int)syscall6(4, (long)path, (long)st, 0, 0, 0, 0);
}

int fstat(int fd, struct stat *st)
{
    return (int)syscall6(5, fd, (long)st, 0, 0, 0, 0);
}

int lstat(const char *path, struct stat *st)
{
    return (int)syscall6(6, (long)path, (long)st, 0, 0, 0, 0);
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    return (int)syscall6(262, dirfd, (long)path, (long)st, flags, 0, 0);
}

int truncate(const char *path, long length)
{
    return (int)syscall6(76, (long)path, length, 0, 0, 0, 0);
}

int ftruncate(int fd, long length)
{
    return (int)syscall6(77, fd, length, 0, 0, 0, 0);
}

int fsync(int fd)
{
    return (int)syscall6(74, fd, 0, 0, 0, 0, 0);
}

int fdatasync(int fd)
{
    return (int)syscall6(75, fd, 0, 0, 0, 0, 0);
}

void sync(void)
{
    syscall6(162, 0, 0, 0, 0, 0, 0);
}

int statfs(const char *path, struct statfs *st)
{
    return (int)syscall6(137, (long)path, (long)st, 0, 0, 0, 0);
}

int fstatfs(int fd, struct statfs *st)
{
    return (int)syscall6(138, fd, (long)st, 0, 0, 0, 0);
}

long getdents64(int fd, void *buf, size_t count)
{
    return syscall6(217, fd, (long)buf, (long)count, 0, 0, 0);
}

int mkdir(const char *path, int mode)
{
    return (int)syscall6(83, (long)path, mode, 0, 0, 0, 0);
}

int mkdirat(int dirfd, const char *path, int mode)
{
    return (int)syscall6(258, dirfd, (long)path, mode, 0, 0, 0);
}

int rmdir(const char *path)
{
    return (int)syscall6(84, (long)path, 0, 0, 0, 0, 0);
}

int unlink(const char *path)
{
    return (int)syscall6(87, (long)path, 0, 0, 0, 0, 0);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    return (int)syscall6(263, dirfd, (long)path, flags, 0, 0, 0);
}

int link(const char *oldpath, const char *newpath)
{
    return (int)syscall6(86, (long)oldpath, (long)newpath, 0, 0, 0, 0);
}

int rename(const char *oldpath, const char *newpath)
{
    return (int)syscall6(82, (long)oldpath, (long)newpath, 0, 0, 0, 0);
}

int symlink(const char *target, const char *linkpath)
{
    return (int)syscall6(88, (long)target, (long)linkpath, 0, 0, 0, 0);
}

long readlink(const char *path, char *buf, size_t size)
{
    return syscall6(89, (long)path, (long)buf, (long)size, 0, 0, 0);
}

int chdir(const char *path)
{
    return (int)syscall6(80, (long)path, 0, 0, 0, 0, 0);
}

int fchdir(int fd)
{
    return (int)syscall6(81, fd, 0, 0, 0, 0, 0);
}

long getcwd(char *buf, size_t size)
{
    return syscall6(79, (long)buf, (long)size, 0, 0, 0, 0);
}

const char *strerror(int err)
{
    static char unknown[32];

    switch (err) {
    case EPERM: return "Operation not permitted";
    case ENOENT: return "No such file or directory";
    case ESRCH: return "No such process";
    case EINTR: return "Interrupted system call";
    case EIO: return "Input/output error";
    case E2BIG: return "Argument list too long";
    case ENOEXEC: return "Exec format error";
    case EBADF: return "Bad file descriptor";
    case ECHILD: return "No child processes";
    case EAGAIN: return "Resource temporarily unavailable";
    case ENOMEM: return "Cannot allocate memory";
    case EACCES: return "Permission denied";
    case EFAULT: return "Bad address";
    case EBUSY: return "Device or resource busy";
    case EEXIST: return "File exists";
    case EXDEV: return "Invalid cross-device link";
    case ENOTDIR: return "Not a directory";
    case EISDIR: return "Is a directory";
    case EINVAL: return "Invalid argument";
    case ENFILE: return "Too many open files in system";
    case EMFILE: return "Too many open files";
    case EFBIG: return "File too large";
    case ENOSPC: return "No space left on device";
    case ESPIPE: return "Illegal seek";
    case EROFS: return "Read-only file system";
    case EMLINK: return "Too many links";
    case EPIPE: return "Broken pipe";
    case ERANGE: return "Numerical result out of range";
    case ENAMETOOLONG: return "File name too long";
    case ENOSYS: return "Function not implemented";
    case ENOTEMPTY: return "Directory not empty";
    case ELOOP: return "Too many levels of symbolic links";
    case EUCLEAN: return "Structure needs cleaning";
    default:
        ksnprintf(unknown, sizeof unknown, "Unknown error %d", err);
        return unknown;
    }
}

void mode_string(uint32_t mode, char out[11])
{
    static const char types[] = "?pc?d?b?-?l?s???";   /* by (mode >> 12) & 15 */
    const char *rwx = "rwxrwxrwx";

    out[0] = types[(mode >> 12) & 15];
    for (int i = 0; i < 9; i++)
        out[1 + i] = mode & (0400u >> i) ? rwx[i] : '-';
    if (mode & 04000)                /* set-user-ID, set-group-ID, sticky */
        out[3] = mode & 0100 ? 's' : 'S';
    if (mode & 02000)
        out[6] = mode & 010 ? 's' : 'S';
    if (mode & 01000)
        out[9] = mode & 01 ? 't' : 'T';
    out[10] = '\0';
}

void time_string(int64_t seconds, char out[20])
{
    int64_t days = seconds / 86400, rem = seconds % 86400;

    if (rem < 0) {                   /* before 1970: the day before, and a positive time */
        rem += 86400;
        days--;
    }
    /* The civil date of a day count (Howard Hinnant's days_from_civil,
     * inverted): eras of 400 years from 0000-03-01, March first so that
     * February's leap day ends a year. */
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;                          /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);      /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                           /* [0, 11] from March */
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);

    ksnprintf(out, 20, "%04ld-%02ld-%02ld %02ld:%02ld:%02ld", year, month, day, rem / 3600,
              rem / 60 % 60, rem % 60);
}

int stdin_from(const char *path)
{
    int fd = open(path, O_RDONLY);

    if (fd < 0 || fd == 0)
        return fd < 0 ? fd : 0;
    int err = dup2(fd, 0);
    close(fd);
    return err < 0 ? err : 0;
}

int path_join(char *buf, size_t size, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    int slash = n > 0 && dir[n - 1] != '/';   /* "/" and "a/" need none */

    if ((size_t)ksnprintf(buf, size, slash ? "%s/%s" : "%s%s", dir, name) >= size)
        return -ENAMETOOLONG;
    return 0;
}

void path_base(const char *path, char *buf, size_t size)
{
    size_t end = strlen(path), start;

    while (end > 1 && path[end - 1] == '/')
        end--;
    start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (start == end && end > 0)     /* all slashes: the root */
        start = end - 1;
    size_t n = end - start < size - 1 ? end - start : size - 1;
    memcpy(buf, path + start, n);
    buf[n] = '\0';
}

static uint32_t crc_table[256];

uint32_t crc32(uint32_t crc, const uint8_t *p, long n)
{
    if (crc_table[1] == 0)
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[i] = c;
        }
    crc = ~crc;
    for (long i = 0; i < n; i++)
        crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
#endif
