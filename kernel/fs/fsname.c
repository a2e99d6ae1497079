/* fsname.c - the file system's system calls on names and the working
 * directory (Linux x86-64 numbers, arguments and errors), Lab 8 (given):
 * mkdir, rmdir, unlink, link, rename, symlink, readlink; chdir, fchdir,
 * getcwd. The rules every call follows, and the helpers: fsyscall.h. */
#include <stddef.h>

#include "fsyscall.h"
#include "errno.h"
#include "kmalloc.h"
#include "proc.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"

/* ---- names: mkdir, rmdir, unlink, link, rename, symlink, readlink ------------------- */

enum name_op { OP_MKDIR, OP_RMDIR, OP_UNLINK };

static long name_call(enum name_op op, int dirfd, uint64_t upath, uint32_t mode)
{
    struct inode *dp;
    char *path;
    int err = path_in(upath, &path, false);

    if (err)
        return err;
#if LAB >= 9
    if ((err = fs_writable()) != 0) {
        kfree(path);
        return err;
    }
#endif
    fs_begin();
    if ((err = start_dir(dirfd, path, &dp)) == 0)
        err = op == OP_MKDIR ? fs_mkdir(dp, path, (uint16_t)(mode & 07777 & ~proc_umask()))
            : op == OP_RMDIR ? fs_rmdir(dp, path)
                             : fs_unlink(dp, path);
    fs_end();
    kfree(path);
    return err;
}

/* mkdir(path, mode), mkdirat(dirfd, path, mode): a new directory. */
static long sys_mkdir(struct trap_frame *tf, uint64_t path, uint64_t mode, uint64_t a2)
{
    (void)tf, (void)a2;
    return name_call(OP_MKDIR, AT_FDCWD, path, (uint32_t)mode);
}
SYSCALL(SYS_mkdir, sys_mkdir);

static long sys_mkdirat(struct trap_frame *tf, uint64_t dirfd, uint64_t path, uint64_t mode)
{
    (void)tf;
    return name_call(OP_MKDIR, (int)dirfd, path, (uint32_t)mode);
}
SYSCALL(SYS_mkdirat, sys_mkdirat);

/* rmdir(path): remove an empty directory. */
static long sys_rmdir(struct trap_frame *tf, uint64_t path, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a1, (void)a2;
    return name_call(OP_RMDIR, AT_FDCWD, path, 0);
}
SYSCALL(SYS_rmdir, sys_rmdir);

/* unlink(path), unlinkat(dirfd, path, flags): remove a name (AT_REMOVEDIR:
 * an empty directory's). -EINVAL for other flags. */
static long sys_unlink(struct trap_frame *tf, uint64_t path, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a1, (void)a2;
    return name_call(OP_UNLINK, AT_FDCWD, path, 0);
}
SYSCALL(SYS_unlink, sys_unlink);

static long sys_unlinkat(struct trap_frame *tf, uint64_t dirfd, uint64_t path, uint64_t flags)
{
    (void)tf;
    if (flags & ~(uint64_t)AT_REMOVEDIR)
        return -EINVAL;
    return name_call(flags ? OP_RMDIR : OP_UNLINK, (int)dirfd, path, 0);
}
SYSCALL(SYS_unlinkat, sys_unlinkat);

enum pair_op { OP_LINK, OP_RENAME, OP_SYMLINK };

/* The calls of two paths, both from the working directory (symlink: the
 * first is the target, stored as it is). */
static long pair_call(enum pair_op op, uint64_t uold, uint64_t unew)
{
    struct inode *old_at, *new_at;
    char *old, *new;
    int err = path_in(uold, &old, false);

    if (err)
        return err;
    if ((err = path_in(unew, &new, false)) != 0) {
        kfree(old);
        return err;
    }
#if LAB >= 9
    if ((err = fs_writable()) != 0) {
        kfree(old);
        kfree(new);
        return err;
    }
#endif
    fs_begin();
    if ((err = start_dir(AT_FDCWD, op == OP_SYMLINK ? "/" : old, &old_at)) == 0 &&
        (err = start_dir(AT_FDCWD, new, &new_at)) == 0)
        err = op == OP_LINK     ? fs_link(old_at, old, new_at, new)
            : op == OP_RENAME   ? fs_rename(old_at, old, new_at, new)
                                : fs_symlink(old, new_at, new);
    fs_end();
    kfree(old);
    kfree(new);
    return err;
}

/* link(old, new): another name for old's inode. */
static long sys_link(struct trap_frame *tf, uint64_t old, uint64_t new, uint64_t a2)
{
    (void)tf, (void)a2;
    return pair_call(OP_LINK, old, new);
}
SYSCALL(SYS_link, sys_link);

/* rename(old, new): move a name, replacing what new names. */
static long sys_rename(struct trap_frame *tf, uint64_t old, uint64_t new, uint64_t a2)
{
    (void)tf, (void)a2;
    return pair_call(OP_RENAME, old, new);
}
SYSCALL(SYS_rename, sys_rename);

/* symlink(target, linkpath): a symlink holding target. */
static long sys_symlink(struct trap_frame *tf, uint64_t target, uint64_t linkpath, uint64_t a2)
{
    (void)tf, (void)a2;
    return pair_call(OP_SYMLINK, target, linkpath);
}
SYSCALL(SYS_symlink, sys_symlink);

/* readlink(path, buf, size): symlink path's target in buf (no NUL), at most
 * size bytes; the count. -EINVAL if path is not a symlink or size <= 0. */
static long sys_readlink(struct trap_frame *tf, uint64_t upath, uint64_t buf, uint64_t size)
{
    struct inode *ip;
    char *path, *target;
    int err;

    (void)tf;
    if ((int)size <= 0)
        return -EINVAL;
    if ((err = path_in(upath, &path, false)) != 0)
        return err;
    if ((target = kmalloc(FS_BLOCK_SIZE)) == NULL) {
        kfree(path);
        return -ENOMEM;
    }
#if LAB >= 10
    if (strcmp(path, PROC_SELF_EXE) == 0) {     /* Lab 10: no /proc, but this one link */
        long n = (long)strlen(proc_current()->exe);
        n = n < (long)size ? n : (long)size;
        n = copy_to_user(user_space(), buf, proc_current()->exe, (size_t)n) ? -EFAULT : n;
        kfree(target);
        kfree(path);
        return n;
    }
#endif
    fs_begin();
    long n = lookup_at(AT_FDCWD, path, false, &ip);
    if (n == 0) {
        n = fs_readlink(ip, target, (int)size < FS_BLOCK_SIZE ? (size_t)(int)size : FS_BLOCK_SIZE);
        iput(ip);
    }
    fs_end();
    if (n > 0 && copy_to_user(user_space(), buf, target, (size_t)n))
        n = -EFAULT;
    kfree(target);
    kfree(path);
    return n;
}
SYSCALL(SYS_readlink, sys_readlink);

/* ---- the working directory ------------------------------------------------------------- */

/* Make f (a reference that becomes the process's) the working directory;
 * the old one is let go. */
static void set_cwd(struct file *f)
{
    struct proc *p = proc_current();
    struct file *old = p->cwd;

    p->cwd = f;
    if (old)
        file_put(old);
}

/* chdir(path): path's directory becomes the working directory. */
static long sys_chdir(struct trap_frame *tf, uint64_t upath, uint64_t a1, uint64_t a2)
{
    struct inode *ip = NULL;
    struct file *f = NULL;
    char *path;
    int err;

    (void)tf, (void)a1, (void)a2;
    if ((err = path_in(upath, &path, false)) != 0)
        return err;
    fs_begin();
    err = lookup_at(AT_FDCWD, path, true, &ip);
    if (err == 0 && type_of(ip) != EXT2_S_IFDIR)
        err = -ENOTDIR;
    if (err == 0 && (f = fsfile_open(ip, O_RDONLY)) == NULL)
        err = -ENOMEM;
    if (err && ip)
        iput(ip);
    fs_end();
    kfree(path);
    if (err == 0)
        set_cwd(f);
    return err;
}
SYSCALL(SYS_chdir, sys_chdir);

/* fchdir(fd): fd's directory becomes the working directory. */
static long sys_fchdir(struct trap_frame *tf, uint64_t fd, uint64_t a1, uint64_t a2)
{
    struct fsfile *ff;
    int err = fd_disk_file((int)fd, &ff, -ENOTDIR);

    (void)tf, (void)a1, (void)a2;
    if (err == 0 && type_of(ff->ip) != EXT2_S_IFDIR)     /* [once]: no lock needed */
        err = -ENOTDIR;
    if (err == 0)
        set_cwd(file_get(fd_file((int)fd)));
    return err;
}
SYSCALL(SYS_fchdir, sys_fchdir);

/* Find the name of inode ino in directory dp (not . or ..) into name.
 * 0, -ENOENT (none: the directory was removed), -EIO, -EUCLEAN. */
static int name_in(struct inode *dp, uint32_t ino, char name[EXT2_NAME_LEN + 1])
{
    uint64_t pos = 0;
    uint32_t e_ino;
    uint8_t type;
    int r;

    while ((r = dir_read(dp, &pos, &e_ino, &type, name)) > 0)
        if (e_ino == ino && strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
            return 0;
    return r < 0 ? r : -ENOENT;
}

/* The working directory's absolute path, built backwards from the end of
 * buf (PATH_MAX bytes) by walking '..' up to the root and looking for each
 * directory's name in its parent. Returns where the path starts in buf,
 * or a negative errno (-ENAMETOOLONG past PATH_MAX). fs_lock held. */
static long cwd_path(char *buf, char *name)
{
    struct file *cwd = proc_current()->cwd;
    int e = -EIO;
    struct inode *ip = fsfile_of(cwd) ? iget(fsfile_of(cwd)->ip->ino, &e) : fs_root();
    long at = PATH_MAX - 1, err = 0;

    buf[at] = '\0';
    if (ip == NULL)
        return e;
    while (ip->ino != EXT2_ROOT_INO && err == 0) {
        long up = dir_lookup(ip, "..", 2);
        struct inode *parent = up > 0 ? iget((uint32_t)up, &e) : NULL;
        err = up < 0 ? up : up == 0 ? -ENOENT : parent == NULL ? e : 0;
        if (err == 0)
            err = name_in(parent, ip->ino, name);
        size_t len = err == 0 ? strlen(name) : 0;
        if (err == 0 && (size_t)at < len + 1)
            err = -ENAMETOOLONG;
        if (err == 0) {
            at -= (long)len;
            memcpy(buf + at, name, len);
            buf[--at] = '/';
        }
        iput(ip);
        ip = parent;
        if (ip == NULL)
            return err;
    }
    iput(ip);
    if (err == 0 && buf[at] == '\0')
        buf[--at] = '/';
    return err ? err : at;
}

/* getcwd(buf, size): the working directory's path with its NUL; returns
 * its length counting the NUL (Linux's system call). -ERANGE if size is
 * too small, -ENOENT if the directory was removed, -EFAULT. */
static long sys_getcwd(struct trap_frame *tf, uint64_t ubuf, uint64_t size, uint64_t a2)
{
    char *buf = kmalloc(PATH_MAX), *name = kmalloc(EXT2_NAME_LEN + 1);
    long at = -ENOMEM;

    (void)tf, (void)a2;
    if (buf && name) {
        fs_begin();
        at = fs_mounted() ? cwd_path(buf, name) : -ENOENT;
        fs_end();
    }
    long len = at >= 0 ? PATH_MAX - at : at;
    if (len > 0 && (uint64_t)len > size)
        len = -ERANGE;
    else if (len > 0 && copy_to_user(user_space(), ubuf, buf + at, (size_t)len))
        len = -EFAULT;
    kfree(buf);
    kfree(name);
    return len;
}
SYSCALL(SYS_getcwd, sys_getcwd);
