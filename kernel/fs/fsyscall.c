/* fsyscall.c - the file system's system calls on files (Linux x86-64
 * numbers, arguments, structures and errors), Lab 8 (given): open, lseek,
 * pread/pwrite, the stat family, getdents64, truncate, fsync and sync,
 * statfs; and the helpers all the calls share (fsyscall.h, which says the
 * rules every call follows). Names and the working directory: fsname.c. */
#include <stddef.h>

#include "fsyscall.h"
#include "errno.h"
#include "kmalloc.h"
#include "printf.h"
#include "proc.h"
#include "string.h"
#include "syscall.h"
#include "uaccess.h"

#define NINDIR (FS_BLOCK_SIZE / 4)
#define FS_MAX_FILE ((uint64_t)(EXT2_NDIR_BLOCKS + NINDIR + NINDIR * NINDIR) * FS_BLOCK_SIZE)
#define STATFS_NAMELEN EXT2_NAME_LEN

/* ---- the helpers fsname.c shares (contracts: fsyscall.h) --------------------------- */

int path_in(uint64_t upath, char **out, bool empty_ok)
{
    if (!fs_mounted())
        return -ENOENT;
    char *path = kmalloc(PATH_MAX);
    if (path == NULL)
        return -ENOMEM;
    long n = strncpy_from_user(user_space(), path, upath, PATH_MAX);
    if (n < 0 || (n == 0 && !empty_ok)) {
        kfree(path);
        return n == -EFAULT ? -EFAULT : n < 0 ? -ENAMETOOLONG : -ENOENT;
    }
    *out = path;
    return 0;
}

int start_dir(int dirfd, const char *path, struct inode **dp)
{
    struct file *f = dirfd == AT_FDCWD ? proc_current()->cwd : fd_file(dirfd);
    struct fsfile *ff = fsfile_of(f);

    *dp = NULL;
    if (path[0] == '/' || (dirfd == AT_FDCWD && f == NULL))
        return 0;
    if (f == NULL)
        return -EBADF;
    if (ff == NULL || type_of(ff->ip) != EXT2_S_IFDIR)
        return -ENOTDIR;
    if (ff->ip->d.i_links_count == 0)
        return -ENOENT;
    *dp = ff->ip;
    return 0;
}

int lookup_at(int dirfd, const char *path, bool follow, struct inode **ip)
{
    struct inode *dp;
    int err = start_dir(dirfd, path, &dp);

    return err ? err : namei(dp, path, follow, ip);
}

int fd_disk_file(int fd, struct fsfile **ffp, int bad)
{
    struct file *f = fd_file(fd);

    if (f == NULL)
        return -EBADF;
    *ffp = fsfile_of(f);
    return *ffp ? 0 : bad;
}

/* ---- open ------------------------------------------------------------------------- */

static bool fd_available(struct proc *p)
{
    for (int fd = 0; fd < PROC_MAX_FILES; fd++)
        if (p->files[fd] == NULL)
            return true;
    return false;
}

/* May ip be opened with flags? 0, -ELOOP (a symlink: only O_NOFOLLOW gets
 * one), -ENOTDIR (O_DIRECTORY), -EISDIR (a directory for writing or
 * O_CREAT), -ENXIO (a device, a FIFO, a socket). */
static int open_check(const struct inode *ip, int flags)
{
    uint16_t type = type_of(ip);

    if (type == EXT2_S_IFLNK)
        return -ELOOP;
    if ((flags & O_DIRECTORY) && type != EXT2_S_IFDIR)
        return -ENOTDIR;
    if (type == EXT2_S_IFDIR && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)))
        return -EISDIR;
    if (type != EXT2_S_IFDIR && type != EXT2_S_IFREG)
        return -ENXIO;
    return 0;
}

static long do_open(int dirfd, uint64_t upath, int flags, uint32_t mode)
{
    struct proc *p = proc_current();
    struct inode *dp, *ip = NULL;
    struct file *f = NULL;
    char *path;
    int err;

    if ((flags & O_ACCMODE) == O_ACCMODE)
        return -EINVAL;
    if ((err = path_in(upath, &path, false)) != 0)
        return err;
    if (!fd_available(p)) {              /* before O_CREAT or O_TRUNC change anything */
        kfree(path);
        return -EMFILE;
    }
#if LAB >= 10
    if ((f = dev_open(path, &err)) != NULL || err) {     /* Lab 10: /dev/null and friends */
        kfree(path);
        int fd = f ? fd_install(p, f, flags & O_CLOEXEC) : err;
        if (f && fd < 0)
            file_put(f);
        return fd;
    }
#endif
#if LAB >= 9
    if ((flags & (O_CREAT | O_TRUNC)) || (flags & O_ACCMODE) != O_RDONLY) {
        if ((err = fs_writable()) != 0) {
            kfree(path);
            return err;
        }
    }
#endif
    fs_begin();
    err = start_dir(dirfd, path, &dp);
    if (err == 0 && (flags & O_CREAT))
        err = fs_create(dp, path, (uint16_t)(mode & 07777 & ~proc_umask()), flags & O_EXCL, &ip);
    else if (err == 0)
        err = namei(dp, path, !(flags & O_NOFOLLOW), &ip);
    if (err == 0)
        err = open_check(ip, flags);
    if (err == 0 && (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY &&
        type_of(ip) == EXT2_S_IFREG)
        err = inode_truncate(ip, 0);
    if (err == 0 && (f = fsfile_open(ip, flags)) == NULL)
        err = -ENOMEM;
    if (err && ip)
        iput(ip);
    fs_end();
    kfree(path);
    if (err)
        return err;
    int fd = fd_install(p, f, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* open(path, flags, mode): a new fd (the lowest free) for the file at
 * path; flags as fsfile.h lists (others are ignored), mode the permission
 * bits of a file O_CREAT makes. */
static long sys_open(struct trap_frame *tf, uint64_t path, uint64_t flags, uint64_t mode)
{
    (void)tf;
    return do_open(AT_FDCWD, path, (int)flags, (uint32_t)mode);
}
SYSCALL(SYS_open, sys_open);

/* openat(dirfd, path, flags, mode): open relative to dirfd. */
static long sys_openat(struct trap_frame *tf, uint64_t dirfd, uint64_t path, uint64_t flags)
{
    return do_open((int)dirfd, path, (int)flags, (uint32_t)tf->r10);
}
SYSCALL(SYS_openat, sys_openat);

/* ---- offsets: lseek, pread64, pwrite64 ---------------------------------------------- */

/* lseek(fd, offset, whence): the new offset. -EBADF, -ESPIPE (the console,
 * a pipe), -EINVAL (whence, or a negative result). */
static long sys_lseek(struct trap_frame *tf, uint64_t fd, uint64_t off, uint64_t whence)
{
    struct fsfile *ff;
    int err = fd_disk_file((int)fd, &ff, -ESPIPE);
    int64_t base, pos;

    (void)tf;
    if (err)
        return err;
    fs_begin();
    if (whence == SEEK_SET)
        base = 0;
    else if (whence == SEEK_CUR)
        base = (int64_t)ff->pos;
    else if (whence == SEEK_END)
        base = (int64_t)inode_size(ff->ip);
    else
        base = -1;
    if (base < 0 || __builtin_add_overflow(base, (int64_t)off, &pos) || pos < 0) {
        fs_end();
        return -EINVAL;
    }
    ff->pos = (uint64_t)pos;
    fs_end();
    return pos;
}
SYSCALL(SYS_lseek, sys_lseek);

static long positioned_io(uint64_t fd, uint64_t buf, uint64_t count, uint64_t off, bool write)
{
    struct fsfile *ff;
    uint64_t end;
    int err = fd_disk_file((int)fd, &ff, -ESPIPE);

    if (err)
        return err;
    if ((int64_t)off < 0)
        return -EINVAL;
    fs_begin();
    long n = fsfile_io(ff, buf, count, off, write, &end);
    fs_end();
    return n;
}

/* pread64(fd, buf, count, offset) / pwrite64: at offset, the fd's own
 * offset unchanged (pwrite on an O_APPEND fd appends, as on Linux). */
static long sys_pread64(struct trap_frame *tf, uint64_t fd, uint64_t buf, uint64_t count)
{
    return positioned_io(fd, buf, count, tf->r10, false);
}
SYSCALL(SYS_pread64, sys_pread64);

static long sys_pwrite64(struct trap_frame *tf, uint64_t fd, uint64_t buf, uint64_t count)
{
    return positioned_io(fd, buf, count, tf->r10, true);
}
SYSCALL(SYS_pwrite64, sys_pwrite64);

/* ---- stat -------------------------------------------------------------------------- */

static long stat_out(uint64_t ubuf, const struct linux_stat *st)
{
    return copy_to_user(user_space(), ubuf, st, sizeof *st) ? -EFAULT : 0;
}

/* fstat of the open file f, or of the working directory if f is NULL. */
static long stat_file(struct file *f, uint64_t ubuf)
{
    struct fsfile *ff = fsfile_of(f);
    struct linux_stat st;

    if (f != NULL && ff == NULL) {
        fs_stat_other(f, &st);
        return stat_out(ubuf, &st);
    }
    fs_begin();
    struct inode *ip = ff ? ff->ip : fs_root();
    if (ip)
        fs_stat_inode(ip, &st);
    if (ip && !ff)
        iput(ip);
    fs_end();
    return ip ? stat_out(ubuf, &st) : -EIO;
}

static long stat_at(int dirfd, uint64_t upath, uint64_t ubuf, uint64_t flags)
{
    struct linux_stat st;
    struct inode *ip;
    char *path;
    int err;

    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    if ((err = path_in(upath, &path, flags & AT_EMPTY_PATH)) != 0)
        return err;
    if (path[0] == '\0') {               /* AT_EMPTY_PATH: dirfd itself */
        kfree(path);
        if (dirfd == AT_FDCWD)
            return stat_file(proc_current()->cwd, ubuf);
        struct file *f = fd_file(dirfd);
        return f ? stat_file(f, ubuf) : -EBADF;
    }
    fs_begin();
    err = lookup_at(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &ip);
    if (err == 0) {
        fs_stat_inode(ip, &st);
        iput(ip);
    }
    fs_end();
    kfree(path);
    return err ? err : stat_out(ubuf, &st);
}

/* stat(path, buf), lstat (a symlink itself), fstat(fd, buf), and
 * newfstatat(dirfd, path, buf, flags): struct stat as Linux x86-64 has it. */
static long sys_stat(struct trap_frame *tf, uint64_t path, uint64_t buf, uint64_t a2)
{
    (void)tf, (void)a2;
    return stat_at(AT_FDCWD, path, buf, 0);
}
SYSCALL(SYS_stat, sys_stat);

static long sys_lstat(struct trap_frame *tf, uint64_t path, uint64_t buf, uint64_t a2)
{
    (void)tf, (void)a2;
    return stat_at(AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW);
}
SYSCALL(SYS_lstat, sys_lstat);

static long sys_fstat(struct trap_frame *tf, uint64_t fd, uint64_t buf, uint64_t a2)
{
    struct file *f = fd_file((int)fd);

    (void)tf, (void)a2;
    return f ? stat_file(f, buf) : -EBADF;
}
SYSCALL(SYS_fstat, sys_fstat);

static long sys_newfstatat(struct trap_frame *tf, uint64_t dirfd, uint64_t path, uint64_t buf)
{
    return stat_at((int)dirfd, path, buf, tf->r10);
}
SYSCALL(SYS_newfstatat, sys_newfstatat);

/* ---- getdents64 ---------------------------------------------------------------------- */

#define DIRENT_MAX ((sizeof(struct linux_dirent64) + EXT2_NAME_LEN + 1 + 7) & ~7ul)

/* getdents64(fd, dirp, count): as many records of directory fd as fit in
 * count bytes from its offset on (which moves past them); the bytes
 * written, 0 at the end. -EBADF, -ENOTDIR, -EINVAL (no room for the next
 * record), -EFAULT, -EIO, -EUCLEAN. */
static long sys_getdents64(struct trap_frame *tf, uint64_t fd, uint64_t dirp, uint64_t count)
{
    struct fsfile *ff;
    int err = fd_disk_file((int)fd, &ff, -ENOTDIR);
    long done = 0;

    (void)tf;
    count = (uint32_t)count;             /* Linux's unsigned int */
    if (err)
        return err;
    struct linux_dirent64 *rec = kmalloc(DIRENT_MAX);
    char *name = kmalloc(EXT2_NAME_LEN + 1);
    if (rec == NULL || name == NULL) {
        kfree(rec);
        kfree(name);
        return -ENOMEM;
    }
    fs_begin();
    if (type_of(ff->ip) != EXT2_S_IFDIR)
        done = -ENOTDIR;
    while (done >= 0) {
        uint64_t pos = ff->pos;
        uint32_t ino;
        uint8_t type;
        int r = dir_read(ff->ip, &pos, &ino, &type, name);
        if (r <= 0) {
            done = done > 0 ? done : r;
            break;
        }
        size_t len = strlen(name);
        size_t reclen = (sizeof *rec + len + 1 + 7) & ~7ul;
        if ((uint64_t)done + reclen > count) {
            done = done > 0 ? done : -EINVAL;
            break;
        }
        memset(rec, 0, reclen);
        rec->d_ino = ino;
        rec->d_off = (int64_t)pos;
        rec->d_reclen = (uint16_t)reclen;
        rec->d_type = fs_dtype(type);
        memcpy(rec->d_name, name, len + 1);
        if (copy_to_user(user_space(), dirp + (uint64_t)done, rec, reclen)) {
            done = -EFAULT;
            break;
        }
        ff->pos = pos;
        done += (long)reclen;
    }
    fs_end();
    kfree(rec);
    kfree(name);
    return done;
}
SYSCALL(SYS_getdents64, sys_getdents64);

/* ---- sizes and write-back: ftruncate, truncate, fsync, sync ------------------------- */

/* Set ip's size to length (fs_lock held): a shorter file loses its blocks
 * past it, a longer one reads zeros there. */
static int set_size(struct inode *ip, uint64_t length)
{
    if (type_of(ip) == EXT2_S_IFDIR)
        return -EISDIR;
    if (type_of(ip) != EXT2_S_IFREG)
        return -EINVAL;
    if (length > FS_MAX_FILE)
        return -EFBIG;
#if LAB >= 9
    if (fs_writable() != 0)
        return -EROFS;
#endif
    return inode_truncate(ip, length);
}

/* ftruncate(fd, length): -EINVAL if fd is not a disk file open for writing
 * or length < 0; -EFBIG past the largest file. */
static long sys_ftruncate(struct trap_frame *tf, uint64_t fd, uint64_t length, uint64_t a2)
{
    struct fsfile *ff;
    int err = fd_disk_file((int)fd, &ff, -EINVAL);

    (void)tf, (void)a2;
    if (err)
        return err;
    if ((int64_t)length < 0 || (ff->flags & O_ACCMODE) == O_RDONLY)
        return -EINVAL;
    fs_begin();
    err = set_size(ff->ip, length);
    fs_end();
    return err;
}
SYSCALL(SYS_ftruncate, sys_ftruncate);

/* truncate(path, length): the same by name. */
static long sys_truncate(struct trap_frame *tf, uint64_t upath, uint64_t length, uint64_t a2)
{
    struct inode *ip;
    char *path;
    int err;

    (void)tf, (void)a2;
    if ((int64_t)length < 0)
        return -EINVAL;
    if ((err = path_in(upath, &path, false)) != 0)
        return err;
    fs_begin();
    if ((err = lookup_at(AT_FDCWD, path, true, &ip)) == 0) {
        err = set_size(ip, length);
        iput(ip);
    }
    fs_end();
    kfree(path);
    return err;
}
SYSCALL(SYS_truncate, sys_truncate);

static long sync_all(void)
{
    fs_begin();
    int err = fs_sync();
    fs_end();
    return err;
}

/* fsync(fd), fdatasync(fd): every change so far is durable (the whole
 * file system's, fs_sync: one cache; Lab 9, one commit). -EBADF; -EINVAL
 * for the console or a pipe. */
static long sys_fsync(struct trap_frame *tf, uint64_t fd, uint64_t a1, uint64_t a2)
{
    struct fsfile *ff;
    int err = fd_disk_file((int)fd, &ff, -EINVAL);

    (void)tf, (void)a1, (void)a2;
    return err ? err : sync_all();
}
SYSCALL(SYS_fsync, sys_fsync);

static long sys_fdatasync(struct trap_frame *tf, uint64_t fd, uint64_t a1, uint64_t a2)
{
    return sys_fsync(tf, fd, a1, a2);
}
SYSCALL(SYS_fdatasync, sys_fdatasync);

/* sync(): everything to the disk. Always 0, as on Linux. */
static long sys_sync(struct trap_frame *tf, uint64_t a0, uint64_t a1, uint64_t a2)
{
    (void)tf, (void)a0, (void)a1, (void)a2;
    if (fs_mounted())
        sync_all();
    return 0;
}
SYSCALL(SYS_sync, sys_sync);

/* ---- statfs ------------------------------------------------------------------------------ */

static long statfs_out(uint64_t ubuf)
{
    struct linux_statfs s;

    memset(&s, 0, sizeof s);
    fs_begin();
    s.f_type = EXT2_MAGIC;
    s.f_bsize = s.f_frsize = FS_BLOCK_SIZE;
    s.f_blocks = fs.sb.s_blocks_count;
    s.f_bfree = fs.sb.s_free_blocks_count;
    s.f_bavail = s.f_bfree > fs.sb.s_r_blocks_count ? s.f_bfree - fs.sb.s_r_blocks_count : 0;
    s.f_files = fs.sb.s_inodes_count;
    s.f_ffree = fs.sb.s_free_inodes_count;
    memcpy(s.f_fsid, fs.sb.s_uuid, sizeof s.f_fsid);
    s.f_namelen = STATFS_NAMELEN;
    fs_end();
    return copy_to_user(user_space(), ubuf, &s, sizeof s) ? -EFAULT : 0;
}

/* statfs(path, buf), fstatfs(fd, buf): the file system's sizes and free
 * counts (df), struct statfs as Linux x86-64 has it. */
static long sys_statfs(struct trap_frame *tf, uint64_t upath, uint64_t buf, uint64_t a2)
{
    struct inode *ip;
    char *path;
    int err;

    (void)tf, (void)a2;
    if ((err = path_in(upath, &path, false)) != 0)
        return err;
    fs_begin();
    if ((err = lookup_at(AT_FDCWD, path, true, &ip)) == 0)
        iput(ip);
    fs_end();
    kfree(path);
    return err ? err : statfs_out(buf);
}
SYSCALL(SYS_statfs, sys_statfs);

static long sys_fstatfs(struct trap_frame *tf, uint64_t fd, uint64_t buf, uint64_t a2)
{
    (void)tf, (void)a2;
    if (fd_file((int)fd) == NULL)
        return -EBADF;
    return fs_mounted() ? statfs_out(buf) : -ENOSYS;
}
SYSCALL(SYS_fstatfs, sys_fstatfs);
