/* fsfile.h - files on the disk as open files, and the structures the
 * file system calls share with user programs, in Linux x86-64's layout.
 * Lab 8 (given): kernel/fs/fsfile.c, fsyscall.c and fsname.c. */
#ifndef FSFILE_H
#define FSFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "file.h"
#include "fs.h"

/* open's flags (Linux's values, octal). */
#define O_ACCMODE   03
#define O_RDONLY    00
#define O_WRONLY    01
#define O_RDWR      02
#define O_CREAT     0100
#define O_EXCL      0200
#define O_NOCTTY    0400             /* accepted, nothing to do */
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_NONBLOCK  04000            /* accepted, nothing to do */
#define O_LARGEFILE 0100000          /* accepted: files are 64-bit anyway */
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
/* O_CLOEXEC: file.h */

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_NO_AUTOMOUNT     0x800    /* accepted, nothing to do */
#define AT_EMPTY_PATH       0x1000

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* An open file on the disk (struct file's data). ip holds one reference,
 * let go when the open file goes; pos and ip's contents are fs_lock's;
 * flags are [once]. */
struct fsfile {
    struct inode *ip;
    uint64_t pos;                    /* read/write's offset; a directory's: dir_read's */
    int flags;                       /* open's access mode and O_APPEND */
};

/* A new open file of ip (taking over the caller's reference) with open's
 * flags; NULL if memory ran out (the reference is still the caller's).
 * fs_lock held or not (nothing on the disk is touched). */
struct file *fsfile_open(struct inode *ip, int flags);

/* The disk file behind f, or NULL if f is not one (the console, a pipe). */
struct fsfile *fsfile_of(const struct file *f);

/* Read or write count bytes of ff at offset off (O_APPEND: a write goes to
 * the end) between the file and the calling process's user memory at buf.
 * The count moved (a read: 0 at the end), or -EBADF (not open for that),
 * -EISDIR (a directory), -EFAULT, -EIO, -ENOSPC, -EFBIG. *end gets the
 * offset just past the bytes moved. fs_lock held. */
long fsfile_io(struct fsfile *ff, uint64_t buf, size_t count, uint64_t off, bool write,
               uint64_t *end);

/* struct stat as Linux x86-64 lays it out (144 bytes; st_nlink before
 * st_mode). */
struct linux_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;               /* 512-byte units */
    int64_t st_atime_sec, st_atime_nsec;
    int64_t st_mtime_sec, st_mtime_nsec;
    int64_t st_ctime_sec, st_ctime_nsec;
    int64_t reserved[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "struct stat: Linux x86-64's 144 bytes");

/* Fill st for inode ip (fs_lock held) / for f, an open file that is not
 * on the disk (the console: a character device; a pipe end: a FIFO). */
void fs_stat_inode(const struct inode *ip, struct linux_stat *st);
void fs_stat_other(const struct file *f, struct linux_stat *st);

/* linux_dirent64, getdents64's record: d_name (NUL-terminated) follows
 * d_type; d_reclen is 8-aligned. */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;                   /* the directory offset of the next record */
    uint16_t d_reclen;
    uint8_t d_type;                  /* DT_* */
    char d_name[];
} __attribute__((packed));

#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

/* The DT_* of an ext2 file_type (EXT2_FT_*). */
uint8_t fs_dtype(uint8_t file_type);

/* struct statfs as Linux x86-64 lays it out (120 bytes). */
struct linux_statfs {
    int64_t f_type;                  /* 0xEF53 */
    int64_t f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail;
    uint64_t f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen;
    int64_t f_frsize;
    int64_t f_flags;
    int64_t f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs: Linux x86-64's 120 bytes");

#endif
