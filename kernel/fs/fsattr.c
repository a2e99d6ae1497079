/* fsattr.c - an inode's attributes from user space: mode, owner, times,
 * and access checks. Lab 10, given: busybox's `tar x` restores a file's
 * mode, owner and times (chmod, chown, utimensat), and its shell asks
 * access() before running a script. Each call resolves its path like
 * stat (fsyscall.h), changes the inode between fs_begin and fs_end (one
 * journaled operation from Lab 9), and writes it back with iupdate. */
#include <stdbool.h>

#include "fsyscall.h"
#include "errno.h"
#include "ext2.h"
#include "fs.h"
#include "kmalloc.h"
#include "rtc.h"
#include "syscall.h"
#include "uaccess.h"

#define SYS_access      21
#define SYS_chmod       90
#define SYS_fchmod      91
#define SYS_chown       92
#define SYS_fchown      93
#define SYS_lchown      94
#define SYS_fchownat    260
#define SYS_fchmodat    268
#define SYS_faccessat   269
#define SYS_utimensat   280

#define MODE_BITS   07777            /* what chmod may change: not the file type */
#define UTIME_NOW   ((1l << 30) - 1) /* utimensat's tv_nsec: now / leave alone */
#define UTIME_OMIT  ((1l << 30) - 2)
#define X_OK        1
#define W_OK        2

/* What to do to an inode: one of these. */
struct attr_change {
    enum { SET_MODE, SET_OWNER, SET_TIMES, CHECK_ACCESS } what;
    uint32_t mode, uid, gid;         /* uid/gid (uint32_t)-1: unchanged */
    int64_t atime, mtime;            /* -1: unchanged */
    int access;                      /* access's mode bits (R_OK 4, W_OK 2, X_OK 1) */
};

/* Apply c to ip (fs_lock held). 0 or a negative errno. */
static int apply(struct inode *ip, const struct attr_change *c)
{
    if (c->what == CHECK_ACCESS && (c->access & W_OK) && fs_writable() != 0)
        return -EROFS;
    if (c->what == CHECK_ACCESS)     /* root: all but running a file nobody may run */
        return (c->access & X_OK) && (ip->d.i_mode & EXT2_S_IFMT) != EXT2_S_IFDIR &&
                       !(ip->d.i_mode & 0111) ? -EACCES : 0;
    int err = fs_writable();
    if (err)
        return -EROFS;
    if (c->what == SET_MODE)
        ip->d.i_mode = (uint16_t)((ip->d.i_mode & ~MODE_BITS) | (c->mode & MODE_BITS));
    if (c->what == SET_OWNER && c->uid != (uint32_t)-1)
        ip->d.i_uid = (uint16_t)c->uid;
    if (c->what == SET_OWNER && c->gid != (uint32_t)-1)
        ip->d.i_gid = (uint16_t)c->gid;
    if (c->what == SET_TIMES && c->atime >= 0)
        ip->d.i_atime = (uint32_t)c->atime;
    if (c->what == SET_TIMES && c->mtime >= 0)
        ip->d.i_mtime = (uint32_t)c->mtime;
    ip->d.i_ctime = (uint32_t)rtc_now();
    return iupdate(ip);
}

/* Apply c to the file at upath from dirfd (follow: through a last
 * symlink), or to fd's file when upath is 0 (the f- calls). */
static long change(int dirfd, uint64_t upath, bool follow, int fd, const struct attr_change *c)
{
    struct inode *ip;
    char *path;
    int err;

    if (upath == 0) {
        struct fsfile *ff;
        if ((err = fd_disk_file(fd, &ff, -EBADF)) != 0)
            return err;
        fs_begin();
        err = apply(ff->ip, c);
        fs_end();
        return err;
    }
    if ((err = path_in(upath, &path, false)) != 0)
        return err;
    fs_begin();
    if ((err = lookup_at(dirfd, path, follow, &ip)) == 0) {
        err = apply(ip, c);
        iput(ip);
    }
    fs_end();
    kfree(path);
    return err;
}

/* ---- mode --------------------------------------------------------------------------- */

static long sys_chmod(struct trap_frame *tf, uint64_t path, uint64_t mode, uint64_t a2)
{
    struct attr_change c = {.what = SET_MODE, .mode = (uint32_t)mode};

    (void)tf, (void)a2;
    return change(AT_FDCWD, path, true, -1, &c);
}
SYSCALL(SYS_chmod, sys_chmod);

static long sys_fchmod(struct trap_frame *tf, uint64_t fd, uint64_t mode, uint64_t a2)
{
    struct attr_change c = {.what = SET_MODE, .mode = (uint32_t)mode};

    (void)tf, (void)a2;
    return change(AT_FDCWD, 0, true, (int)fd, &c);
}
SYSCALL(SYS_fchmod, sys_fchmod);

static long sys_fchmodat(struct trap_frame *tf, uint64_t dirfd, uint64_t path, uint64_t mode)
{
    struct attr_change c = {.what = SET_MODE, .mode = (uint32_t)mode};

    (void)tf;
    return change((int)dirfd, path, true, -1, &c);
}
SYSCALL(SYS_fchmodat, sys_fchmodat);

/* ---- owner -------------------------------------------------------------------------- */

static long sys_chown(struct trap_frame *tf, uint64_t path, uint64_t uid, uint64_t gid)
{
    struct attr_change c = {.what = SET_OWNER, .uid = (uint32_t)uid, .gid = (uint32_t)gid};

    (void)tf;
    return change(AT_FDCWD, path, true, -1, &c);
}
SYSCALL(SYS_chown, sys_chown);

static long sys_lchown(struct trap_frame *tf, uint64_t path, uint64_t uid, uint64_t gid)
{
    struct attr_change c = {.what = SET_OWNER, .uid = (uint32_t)uid, .gid = (uint32_t)gid};

    (void)tf;
    return change(AT_FDCWD, path, false, -1, &c);
}
SYSCALL(SYS_lchown, sys_lchown);

static long sys_fchown(struct trap_frame *tf, uint64_t fd, uint64_t uid, uint64_t gid)
{
    struct attr_change c = {.what = SET_OWNER, .uid = (uint32_t)uid, .gid = (uint32_t)gid};

    (void)tf;
    return change(AT_FDCWD, 0, true, (int)fd, &c);
}
SYSCALL(SYS_fchown, sys_fchown);

/* fchownat(dirfd, path, uid, gid, flags): AT_SYMLINK_NOFOLLOW (0x100) in r8. */
static long sys_fchownat(struct trap_frame *tf, uint64_t dirfd, uint64_t path, uint64_t uid)
{
    struct attr_change c = {.what = SET_OWNER, .uid = (uint32_t)uid, .gid = (uint32_t)tf->r10};

    return change((int)dirfd, path, !(tf->r8 & AT_SYMLINK_NOFOLLOW), -1, &c);
}
SYSCALL(SYS_fchownat, sys_fchownat);

/* ---- times -------------------------------------------------------------------------- */

struct timespec_user {
    int64_t sec, nsec;
};

/* One of utimensat's two times: -1 to leave it, now, or the given second. */
static int64_t utime_of(const struct timespec_user *t, int64_t now)
{
    if (t->nsec == UTIME_OMIT)
        return -1;
    return t->nsec == UTIME_NOW ? now : t->sec;
}

/* utimensat(dirfd, path, times, flags): times NULL means both now; path
 * NULL means dirfd's own file (futimens). */
static long sys_utimensat(struct trap_frame *tf, uint64_t dirfd, uint64_t path, uint64_t times)
{
    struct timespec_user t[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    int64_t now = (int64_t)rtc_now();

    if (times && copy_from_user(user_space(), t, times, sizeof t))
        return -EFAULT;
    for (int i = 0; i < 2; i++)
        if (t[i].nsec != UTIME_NOW && t[i].nsec != UTIME_OMIT &&
            (t[i].nsec < 0 || t[i].nsec >= 1000000000))
            return -EINVAL;
    struct attr_change c = {.what = SET_TIMES, .atime = utime_of(&t[0], now),
                            .mtime = utime_of(&t[1], now)};
    return change((int)dirfd, path, !(tf->r10 & AT_SYMLINK_NOFOLLOW), (int)dirfd, &c);
}
SYSCALL(SYS_utimensat, sys_utimensat);

/* ---- access -------------------------------------------------------------------------- */

/* access(path, mode), faccessat(dirfd, path, mode): the file is there (and,
 * for X_OK, someone may run it: every process is root). */
static long sys_access(struct trap_frame *tf, uint64_t path, uint64_t mode, uint64_t a2)
{
    struct attr_change c = {.what = CHECK_ACCESS, .access = (int)mode};

    (void)tf, (void)a2;
    return change(AT_FDCWD, path, true, -1, &c);
}
SYSCALL(SYS_access, sys_access);

static long sys_faccessat(struct trap_frame *tf, uint64_t dirfd, uint64_t path, uint64_t mode)
{
    struct attr_change c = {.what = CHECK_ACCESS, .access = (int)mode};

    (void)tf;
    return change((int)dirfd, path, true, -1, &c);
}
SYSCALL(SYS_faccessat, sys_faccessat);
