/* fs.h - the file system: ext2 on the disk, through the buffer cache.
 * Lab 8. Exercises: bmap (§3.2), dir_lookup/dir_add/dir_remove (§3.3),
 * path resolution (§3.4), inode_read/inode_write (§3.5); mounting, the
 * bitmaps, inode I/O and the system calls are given.
 *
 * Locking: one sleeping lock, fs_lock, serializes every file-system
 * operation (fs_begin / fs_end around it: a system call, an exec's read of
 * a program, sync). Everything below is called with it held unless said.
 * Lab 9 turns fs_begin / fs_end into a journal transaction. */
#ifndef FS_H
#define FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ext2.h"                    /* the on-disk structures */

/* An inode in memory: its number and a copy of its on-disk record. One
 * struct per inode in use (the inode table in inode.c); refs counts the
 * holders (iget without iput yet). All fields: fs_lock. */
struct inode {
    uint32_t ino;
    int refs;
    struct ext2_inode d;             /* what the inode table holds (iupdate writes it) */
};

void fs_begin(void);
void fs_end(void);

#if LAB >= 9
/* Lab 9: end the running operation and begin the next, fs_lock kept: a
 * write too large for one operation (JOURNAL_OP_BLOCKS) is made of pieces
 * of FS_WRITE_CHUNK bytes, each in a transaction (fsfile.c). */
void fs_op_split(void);

/* Lab 9: 0, or -EROFS when the file system is mounted read-only (its
 * journal could not be used): every call that would change the disk asks
 * first. Any context. */
int fs_writable(void);

/* Lab 9: the clean power-off: sync, then the journal's clean unmount (the
 * log emptied, no recovery needed). Called with fs_lock held; 0 or -EIO. */
int fs_unmount(void);
#endif

/* Is the disk's ext2 file system mounted? The mount is a boot step
 * (ext2.c, after the disk's probe); when it refuses it says why in one
 * line ("fs: not mounted: WHY": no disk, not ext2, a revision, block
 * size or feature it does not handle, numbers that do not add up). Any
 * context, no lock needed: set once at boot. */
bool fs_mounted(void);

/* ---- inodes (inode.c) ---- */

/* Inode ino with one more reference (read from the inode table on first
 * use; found in O(1) if in use), or NULL with *err = -EIO (a failed read,
 * or nothing mounted), -EUCLEAN (ino out of range: a corrupted directory)
 * or -ENFILE (all FS_MAX_INODES in use). An inode the caller already
 * holds is always found. */
struct inode *iget(uint32_t ino, int *err);

/* Drop a reference; the last one of an inode with no links left frees its
 * blocks and the inode itself. */
void iput(struct inode *ip);

/* Write ip->d back to the inode table. 0 or -EIO. */
int iupdate(struct inode *ip);

/* A new inode of mode (type and permission bits), links 0, size 0, times
 * now, with one reference; or NULL with *err = -ENOSPC / -EIO, or
 * -EUCLEAN when the bitmap offered an inode that is still linked (a
 * damaged disk). near: the directory it goes in (its group is tried first). */
struct inode *ialloc(uint16_t mode, struct inode *near, int *err);

/* The disk block holding byte lbn * FS_BLOCK_SIZE of ip: direct, single- or
 * double-indirect. If it has none: with alloc, a new zeroed block is put
 * there (and any indirect block on the way, each counted in i_blocks),
 * else 0 (a hole). Returns the block number (> 0), 0 for a hole, -EFBIG
 * past double-indirect (lbn >= 12 + 256 + 256 * 256), -ENOSPC, -EIO (a
 * read failed), -EUCLEAN (a number on the way that cannot be a data
 * block: a corrupted inode or indirect block). Every buffer it reads is
 * released. Exercise 2 (handout §3.2). */
long bmap(struct inode *ip, uint32_t lbn, bool alloc);

/* Free every block of ip past its first `size` bytes and set its size
 * (ftruncate, O_TRUNC, and freeing an inode with size 0). 0 or -EIO. */
int inode_truncate(struct inode *ip, uint64_t size);

/* Move n bytes between ip at offset off and dst / src: kernel memory, or
 * the calling process's user memory if user (-EFAULT). Exercise 5
 * (handout §3.5).
 * inode_read stops at the end of the file (holes read as zeros) and
 * returns the count copied (0 at or past the end). An error part way
 * (-EIO, -EFAULT, -EUCLEAN; -EFBIG for a block past the map, which only
 * a size this kernel cannot have written reaches) gives the count so far,
 * or the error if nothing was copied.
 * inode_write allocates blocks as needed and grows the size if it ends
 * past it (a gap before off stays a hole); it sets i_mtime and i_ctime
 * and writes the inode back when anything was written. Returns n, cut at
 * the largest file (-EFBIG if off is past it); less if the disk fills or
 * a read fails part way; the error (-ENOSPC, -EIO, -EUCLEAN) if nothing
 * was written. A bad user range is -EFAULT before anything is written. */
long inode_read(struct inode *ip, bool user, uint64_t dst, uint64_t off, size_t n);
long inode_write(struct inode *ip, bool user, uint64_t src, uint64_t off, size_t n);

/* ---- directories (dir.c), exercise 3 (handout §3.3) ---- */

/* The inode number of entry name (not NUL-terminated: len bytes) in
 * directory dp, or 0 if there is none; -EIO; -EUCLEAN for a record whose
 * lengths do not fit its block (or a hole in the directory). */
long dir_lookup(struct inode *dp, const char *name, size_t len);

/* Add entry name -> ino with file_type type (EXT2_FT_*) to dp: in the
 * first record with room to split, else in a new block at the end (the
 * size grows by FS_BLOCK_SIZE). dp's mtime and ctime are set and dp is
 * written back; link counts are the caller's. 0, -EEXIST, -ENOENT (len 0),
 * -ENAMETOOLONG (len > EXT2_NAME_LEN), -ENOSPC, -EFBIG, -EIO, -EUCLEAN. */
int dir_add(struct inode *dp, const char *name, size_t len, uint32_t ino, uint8_t type);

/* Remove entry name from dp (merged into the record before it, or an
 * inode 0 at a block's start); dp's mtime and ctime set, written back.
 * Link counts are the caller's. 0, -ENOENT, -EIO, -EUCLEAN. */
int dir_remove(struct inode *dp, const char *name, size_t len);

/* The next entry of dp from byte *pos on (0 to start; *pos is left just
 * past it): its inode, file_type and NUL-terminated name. 1 for an entry,
 * 0 at the end, -EIO, -EUCLEAN. (getdents: *pos is the offset to keep.) */
int dir_read(struct inode *dp, uint64_t *pos, uint32_t *ino, uint8_t *type,
             char name[EXT2_NAME_LEN + 1]);

/* Is dp empty but for . and ..? (rmdir) 1 yes, 0 no, -EIO, -EUCLEAN. */
int dir_is_empty(struct inode *dp);

/* ---- paths (path.c), exercise 4 (handout §3.4) ---- */

#define SYMLINK_MAX_DEPTH 8          /* symlinks followed in one resolution: -ELOOP past it */

/* Resolve path from dir_at, or from the root if it starts with /. The
 * working directory: the system calls pass the calling process's cwd
 * inode as dir_at (AT_FDCWD) or a directory fd's inode; NULL means the
 * root (kernel callers, exec of an absolute path): fs never looks at a
 * process itself. Each component is looked up in the directory before it
 * (-ENOTDIR if that is not one, -ENOENT if absent, -ENAMETOOLONG past
 * EXT2_NAME_LEN; repeated slashes are one), . and .. as usual (.. of the
 * root is the root), a symlink followed (a relative one from its
 * directory; -ELOOP past SYMLINK_MAX_DEPTH in the whole resolution)
 * except as the last component when !follow. A path ending in / must name
 * a directory (-ENOTDIR; a symlink there is followed). "" is -ENOENT.
 * *out gets the inode with a reference. 0 or a negative errno (nothing
 * held). The caller bounds path's length (PATH_MAX when copied in). */
int namei(struct inode *dir_at, const char *path, bool follow, struct inode **out);

/* Resolve all but the last component (dir_at as for namei): *dirp gets
 * that directory (with a reference) and name its last component
 * (NUL-terminated; "." for "/"; it may be "." or ".."; it is not looked
 * up). 0 or a negative errno (nothing held). */
int namei_parent(struct inode *dir_at, const char *path, struct inode **dirp,
                 char name[EXT2_NAME_LEN + 1]);

/* The root directory, with a reference; NULL (-EIO) only if nothing is
 * mounted (the mount keeps a reference: it is always in the inode table). */
struct inode *fs_root(void);

/* ---- names (namespace.c): what the system calls do, given ---- */

/* Paths are resolved as by namei (dir_at NULL: from the root). Each
 * returns 0 or a negative errno: those of namei/namei_parent, -EIO,
 * -EUCLEAN, -ENOSPC, and the ones listed. Link counts, directory times
 * and the allocator's counts are kept as e2fsck checks them. */

/* A new regular file (links 1, mode's permission bits) at path; *out gets
 * it with a reference. If the name exists: -EEXIST with excl, else *out
 * gets what path names (a symlink followed; it may be a directory: the
 * caller says -EISDIR for writing). A path ending in / is -EISDIR (or
 * -ENOTDIR if it names a file), as Linux's open(O_CREAT) says. */
int fs_create(struct inode *dir_at, const char *path, uint16_t mode, bool excl,
              struct inode **out);

/* A new directory (. and .. in its first block, links 2; its parent's
 * links + 1). -EEXIST, -EMLINK. */
int fs_mkdir(struct inode *dir_at, const char *path, uint16_t mode);

/* Remove the entry of a non-directory; its links - 1 (freed at its last
 * iput if none left). -ENOENT, -EISDIR (a directory, as Linux says),
 * -ENOTDIR ("file/"). */
int fs_unlink(struct inode *dir_at, const char *path);

/* Remove an empty directory; its parent's links - 1. -ENOTDIR, -ENOTEMPTY
 * (also for ".."), -EINVAL for ".", -EBUSY for the root. */
int fs_rmdir(struct inode *dir_at, const char *path);

/* A new entry newpath for oldpath's inode (a symlink is not followed);
 * links + 1. -EPERM for a directory, -EEXIST, -EMLINK. */
int fs_link(struct inode *old_at, const char *oldpath, struct inode *new_at, const char *newpath);

/* Move oldpath's entry to newpath (any directories), replacing a file
 * there, or an empty directory if it moves a directory; a moved directory's
 * '..' and both parents' links follow. Nothing happens if both name the
 * same inode. -EINVAL for "." / ".." or a directory into its own subtree,
 * -ENOTDIR (directory over a file), -EISDIR (file over a directory),
 * -ENOTEMPTY, -EMLINK. */
int fs_rename(struct inode *old_at, const char *oldpath, struct inode *new_at, const char *newpath);

/* A new symlink at linkpath holding target (fast, in i_block, if shorter
 * than EXT2_FAST_SYMLINK_MAX bytes; else in one block). -EEXIST, -ENOENT
 * for an empty target, -ENAMETOOLONG for one of FS_BLOCK_SIZE or more. */
int fs_symlink(const char *target, struct inode *dir_at, const char *linkpath);

/* Copy up to size bytes of symlink ip's target into kernel buf (no NUL
 * added); the count copied. -EINVAL if ip is not a symlink, -EUCLEAN. */
long fs_readlink(struct inode *ip, char *buf, size_t size);

/* Every change so far made durable (sync, fsync, shutdown): Lab 8, every
 * dirty block written back and the disk flushed; Lab 9, with the journal
 * on, the running transaction committed (home later, at a checkpoint). */
int fs_sync(void);

/* Seconds since 1970 now (the CMOS clock read at boot, plus the ticks since). */
uint32_t fs_now(void);

/* ---- inside fs/: the mounted file system (ext2.c) and its bitmaps
 * (alloc.c). Geometry is set at mount and read-only afterwards; the
 * counts in groups[] and sb are fs_lock's. ---- */

struct fs_geometry {
    struct ext2_super sb;            /* the superblock as mounted (its free counts kept current) */
    struct ext2_group_desc *groups;  /* ngroups descriptors (their counts kept current) */
    uint32_t ngroups;
    uint32_t gdt_blocks;             /* blocks of the group descriptor table */
    uint32_t inode_size;             /* bytes of an inode table entry (>= 128) */
    uint32_t itable_blocks;          /* blocks of one group's inode table */
};
extern struct fs_geometry fs;

/* Is b a block that may hold data (a file's, a directory's, an indirect
 * block): inside the file system and not the superblock, a group
 * descriptor table (or its backups and reserved blocks), a bitmap or an
 * inode table? */
bool fs_data_block_ok(uint32_t b);

/* Report corruption once in a line ("fs: corrupt: ..."; only the first
 * few are printed) and return -EUCLEAN. */
int fs_corrupt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Group g's free blocks / free inodes / directories changed by the deltas:
 * kept in fs.groups[g] and fs.sb, and written to the descriptor table's
 * and the superblock's buffers (they reach the disk with them). 0 or -EIO. */
int fs_count(uint32_t g, int dblocks, int dinodes, int ddirs);

/* A free block, marked used and zeroed (dirty in the buffer cache), in
 * group goal or the nearest after it with one free. The block number, or
 * -ENOSPC, -EIO, -EUCLEAN (a bitmap that disagrees with the counts). */
long balloc(uint32_t goal);

/* Free data block b. 0; -EUCLEAN if b is not a data block or is already
 * free (nothing is changed); -EIO. */
int bfree(uint32_t b);

/* A free inode number (>= s_first_ino), marked used, in group goal or the
 * nearest after it with one free; dir counts it in bg_used_dirs_count. The
 * number, or -ENOSPC, -EIO, -EUCLEAN. */
long inum_alloc(uint32_t goal, bool dir);

/* Free inode number ino (was a directory: dir). 0, -EUCLEAN (reserved or
 * already free), -EIO. */
int inum_free(uint32_t ino, bool dir);

/* The group of block b / inode ino. */
static inline uint32_t fs_block_group(uint32_t b)
{
    return (b - fs.sb.s_first_data_block) / fs.sb.s_blocks_per_group;
}
static inline uint32_t fs_inode_group(uint32_t ino)
{
    return (ino - 1) / fs.sb.s_inodes_per_group;
}

/* The first block of group g, and how many it has (the last may be short). */
static inline uint32_t fs_group_first(uint32_t g)
{
    return fs.sb.s_first_data_block + g * fs.sb.s_blocks_per_group;
}
static inline uint32_t fs_group_blocks(uint32_t g)
{
    uint32_t left = fs.sb.s_blocks_count - fs_group_first(g);
    return left < fs.sb.s_blocks_per_group ? left : fs.sb.s_blocks_per_group;
}

/* ip's size in bytes (i_size_high counts for regular files only), and
 * setting it. */
uint64_t inode_size(const struct inode *ip);
void inode_set_size(struct inode *ip, uint64_t size);

#endif
