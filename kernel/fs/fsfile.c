/* fsfile.c - files on the disk as open files, Lab 8 (given): read and
 * write at the open file's offset (O_APPEND at the end), the inode let go
 * with the last reference, stat's view of an inode; and the hooks the
 * layers below call: programs for exec (proc_program_reader), the sync of a
 * clean power-off (power_on_clean_off). The calls: fsyscall.c, fsname.c. */
#include <stddef.h>

#include "fsfile.h"
#include "console.h"
#include "errno.h"
#include "kinit.h"
#include "kmalloc.h"
#include "panic.h"
#include "power.h"
#include "proc.h"
#include "string.h"
#include "uaccess.h"
#include "x86.h"

#define FS_DEV      0x0800           /* st_dev of the disk's files: "8:0", as sda */
#define CONSOLE_DEV 0x0501           /* st_rdev of the console: Linux's /dev/console, 5:1 */
#define PIPE_DEV    0x000c           /* st_dev of pipes (an anonymous device) */

static bool is_dir(const struct inode *ip)
{
    return (ip->d.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

/* inode_write of a user buffer; from Lab 9, in pieces of FS_WRITE_CHUNK
 * bytes, each an operation of its own (fs_op_split), so that no
 * operation logs more than JOURNAL_OP_BLOCKS blocks. A failure part way
 * gives the count written so far, as inode_write does. */
static long write_pieces(struct inode *ip, uint64_t buf, uint64_t off, size_t count)
{
#if LAB >= 9
    size_t done = 0;

    while (done < count) {
        size_t n = count - done < FS_WRITE_CHUNK ? count - done : FS_WRITE_CHUNK;
        if (done > 0)
            fs_op_split();
        long w = inode_write(ip, true, buf + done, off + done, n);
        if (w <= 0)
            return done > 0 ? (long)done : w;
        done += (size_t)w;
        if ((size_t)w < n)
            break;
    }
    return (long)done;
#else
    return inode_write(ip, true, buf, off, count);
#endif
}

/* Contract in fsfile.h. */
long fsfile_io(struct fsfile *ff, uint64_t buf, size_t count, uint64_t off, bool write,
               uint64_t *end)
{
    pte_t *pml4 = proc_current()->pml4;
    int mode = ff->flags & O_ACCMODE;
    long n;

    if (write ? mode == O_RDONLY : mode == O_WRONLY)
        return -EBADF;
    if (is_dir(ff->ip))
        return -EISDIR;
    if (write) {
        if (ff->flags & O_APPEND)
            off = inode_size(ff->ip);
        n = write_pieces(ff->ip, buf, off, count);
    } else {
        uint64_t size = inode_size(ff->ip);
        if (off >= size)
            count = 0;
        else if (count > size - off)
            count = size - off;      /* only what can be returned is checked */
        if (cow_prepare_write(pml4, buf, count) || !user_range_ok(pml4, buf, count, true))
            return -EFAULT;
        n = count ? inode_read(ff->ip, true, buf, off, count) : 0;
    }
    if (n > 0)
        *end = off + (uint64_t)n;
    return n;
}

/* read(2) and write(2): at the open file's offset, which moves past them. */
static long fsfile_rw(struct file *f, uint64_t buf, size_t count, bool write)
{
    struct fsfile *ff = f->data;

    fs_begin();
    long n = fsfile_io(ff, buf, count, ff->pos, write, &ff->pos);
    fs_end();
    return n;
}

static long fsfile_read(struct file *f, uint64_t buf, size_t count)
{
    return fsfile_rw(f, buf, count, false);
}

static long fsfile_write(struct file *f, uint64_t buf, size_t count)
{
    return fsfile_rw(f, buf, count, true);
}

/* The last reference is gone: so is the inode's (which frees an unlinked
 * file). file_put calls it with no lock held. */
static void fsfile_release(struct file *f)
{
    struct fsfile *ff = f->data;

    fs_begin();
    iput(ff->ip);
    fs_end();
    kfree(ff);
}

static const struct file_ops fsfile_ops = {fsfile_read, fsfile_write, fsfile_release};

struct file *fsfile_open(struct inode *ip, int flags)
{
    struct fsfile *ff = kmalloc(sizeof *ff);
    struct file *f = ff ? file_new(&fsfile_ops, ff) : NULL;

    ASSERT(ip != NULL);
    if (f == NULL) {
        kfree(ff);
        return NULL;
    }
    ff->ip = ip;
    ff->pos = 0;
    ff->flags = flags & (O_ACCMODE | O_APPEND);
    return f;
}

struct fsfile *fsfile_of(const struct file *f)
{
    return f && f->ops == &fsfile_ops ? f->data : NULL;
}

/* ---- stat ------------------------------------------------------------------------- */

void fs_stat_inode(const struct inode *ip, struct linux_stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_dev = FS_DEV;
    st->st_ino = ip->ino;
    st->st_nlink = ip->d.i_links_count;
    st->st_mode = ip->d.i_mode;
    st->st_uid = ip->d.i_uid;
    st->st_gid = ip->d.i_gid;
    st->st_size = (int64_t)inode_size(ip);
    st->st_blksize = FS_BLOCK_SIZE;
    st->st_blocks = ip->d.i_blocks;
    st->st_atime_sec = ip->d.i_atime;
    st->st_mtime_sec = ip->d.i_mtime;
    st->st_ctime_sec = ip->d.i_ctime;
}

void fs_stat_other(const struct file *f, struct linux_stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_nlink = 1;
    st->st_blksize = 4096;
    if (file_is_console(f)) {
        st->st_mode = EXT2_S_IFCHR | 0620;
        st->st_rdev = CONSOLE_DEV;
        st->st_ino = 1;
    } else {
        st->st_mode = EXT2_S_IFIFO | 0600;
        st->st_dev = PIPE_DEV;
        st->st_ino = (uint64_t)f->data >> 4;     /* one number per pipe */
    }
}

uint8_t fs_dtype(uint8_t file_type)
{
    static const uint8_t dtypes[] = {
        [EXT2_FT_UNKNOWN] = DT_UNKNOWN, [EXT2_FT_REG_FILE] = DT_REG, [EXT2_FT_DIR] = DT_DIR,
        [EXT2_FT_CHRDEV] = DT_CHR,      [EXT2_FT_BLKDEV] = DT_BLK,   [EXT2_FT_FIFO] = DT_FIFO,
        [EXT2_FT_SOCK] = DT_SOCK,       [EXT2_FT_SYMLINK] = DT_LNK,
    };

    return file_type < sizeof dtypes ? dtypes[file_type] : DT_UNKNOWN;
}

/* ---- hooks: programs from the disk, and the power-off's sync ------------------------ */

/* proc_program_reader (proc.h): the whole regular file at path, from the
 * calling process's working directory (the root for a kernel thread). */
static int read_program(const char *path, void **image, size_t *len)
{
    struct proc *p = proc_current();
    struct fsfile *cwd = p ? fsfile_of(p->cwd) : NULL;
    struct inode *ip;
    void *data = NULL;
    uint64_t size = 0;

    fs_begin();
    int err = namei(cwd ? cwd->ip : NULL, path, true, &ip);
    if (err == 0) {
        size = inode_size(ip);
        if ((ip->d.i_mode & EXT2_S_IFMT) != EXT2_S_IFREG)
            err = -EACCES;
        else if (image && (data = kmalloc(size ? size : 1)) == NULL)
            err = -ENOMEM;
        else if (image) {
            long n = inode_read(ip, false, (uint64_t)data, 0, size);
            err = n == (long)size ? 0 : n < 0 ? (int)n : -EIO;
        }
        iput(ip);
    }
    fs_end();
    if (err) {
        kfree(data);
        return err;
    }
    if (image) {
        *image = data;
        *len = (size_t)size;
    }
    return 0;
}

/* power_off(true)'s hook: write everything back, and keep fs_lock so that
 * nothing changes the disk between this sync and the end. */
static void sync_at_power_off(void)
{
    if (!cpu_interrupts_enabled()) {
        kprintf("fs: power-off with interrupts off: the disk is not synced\n");
        return;
    }
    fs_begin();
#if LAB >= 9
    int err = fs_unmount();
#else
    int err = fs_sync();
#endif
    if (err)
        kprintf("fs: sync at power-off failed (%d)\n", err);
}

/* Boot step, after the mount (KINIT 70): with a file system, programs come
 * from it and a clean power-off syncs it. */
static void fs_hooks_start(void)
{
    if (!fs_mounted())
        return;
    proc_program_reader = read_program;
    power_on_clean_off(sync_at_power_off);
}
KINIT(71, fs_hooks_start);
