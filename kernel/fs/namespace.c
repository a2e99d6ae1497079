/* namespace.c - the operations on names: create, mkdir, unlink, rmdir,
 * link, rename, symlink, readlink. Lab 8 (given): built on the directory
 * functions (dir.c) and path resolution (path.c).
 *
 * Each keeps what e2fsck checks: a regular file or symlink has one link
 * per entry naming it; a directory has 2 ('.' and its entry) plus one per
 * subdirectory (their '..'); the inode is freed by iput once it has no
 * links and no holder (an open file keeps an unlinked file alive). The
 * allocator counts directories in its group (bg_used_dirs_count) when one
 * is allocated or freed. Everything here runs under fs_lock. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bcache.h"
#include "errno.h"
#include "fs.h"
#include "panic.h"
#include "string.h"

#define LINK_MAX 32000               /* links to one inode (Linux's ext2 limit) */

static bool is_dir(const struct inode *ip)
{
    return (ip->d.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

/* Does path end in '/' (so it must name a directory)? */
static bool trailing_slash(const char *path)
{
    size_t len = strlen(path);

    return len > 0 && path[len - 1] == '/';
}

static bool is_dot(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* The directory entry's file_type for inode mode. */
static uint8_t ftype(uint16_t mode)
{
    switch (mode & EXT2_S_IFMT) {
    case EXT2_S_IFREG: return EXT2_FT_REG_FILE;
    case EXT2_S_IFDIR: return EXT2_FT_DIR;
    case EXT2_S_IFLNK: return EXT2_FT_SYMLINK;
    case EXT2_S_IFCHR: return EXT2_FT_CHRDEV;
    case EXT2_S_IFBLK: return EXT2_FT_BLKDEV;
    case EXT2_S_IFIFO: return EXT2_FT_FIFO;
    case EXT2_S_IFSOCK: return EXT2_FT_SOCK;
    default: return EXT2_FT_UNKNOWN;
    }
}

/* ip's link count becomes links, its ctime now; written back. */
static int set_links(struct inode *ip, int links)
{
    ip->d.i_links_count = (uint16_t)links;
    ip->d.i_ctime = fs_now();
    return iupdate(ip);
}

/* The inode of entry name in dp, with a reference: 0, -ENOENT, -EIO... */
static int lookup(struct inode *dp, const char *name, struct inode **out)
{
    long ino = dir_lookup(dp, name, strlen(name));

    if (ino <= 0)
        return ino == 0 ? -ENOENT : (int)ino;
    int err;

    *out = iget((uint32_t)ino, &err);
    return *out != NULL ? 0 : err;
}

/* A new inode of mode named name in dp, with links (1, or 2 for a
 * directory, whose block with . and .. init writes first), one reference
 * in *out. On failure the inode is freed again (its last iput with no
 * links). */
static int make(struct inode *dp, const char *name, uint16_t mode,
                int (*init)(struct inode *ip, struct inode *dp, const void *arg),
                const void *arg, struct inode **out)
{
    int err;
    long found = dir_lookup(dp, name, strlen(name));
    struct inode *ip;

    if (found != 0)
        return found > 0 ? -EEXIST : (int)found;
    if ((ip = ialloc(mode, dp, &err)) == NULL)
        return err;
    if ((init == NULL || (err = init(ip, dp, arg)) == 0) &&
        (err = set_links(ip, is_dir(ip) ? 2 : 1)) == 0 &&
        (err = dir_add(dp, name, strlen(name), ip->ino, ftype(mode))) == 0) {
        *out = ip;
        return 0;
    }
    ip->d.i_links_count = 0;                     /* iput frees it */
    iupdate(ip);
    iput(ip);
    return err;
}

int fs_create(struct inode *dir_at, const char *path, uint16_t mode, bool excl,
              struct inode **out)
{
    char name[EXT2_NAME_LEN + 1];
    struct inode *dp;
    int err;

    if (trailing_slash(path)) {                  /* "name/" is a directory, never a new file */
        if ((err = namei(dir_at, path, true, &dp)) == 0)
            iput(dp);
        return err == 0 || err == -ENOENT ? -EISDIR : err;
    }
    if ((err = namei_parent(dir_at, path, &dp, name)) < 0)
        return err;
    err = make(dp, name, EXT2_S_IFREG | (mode & 07777), NULL, NULL, out);
    iput(dp);

    if (err == -EEXIST && !excl)                 /* open the one there (through a symlink) */
        return namei(dir_at, path, true, out);
    return err;
}

/* The first block of new directory ip in dp: . and .. */
static int mkdir_init(struct inode *ip, struct inode *dp, const void *arg)
{
    long blk = bmap(ip, 0, true);
    struct buf *b;

    (void)arg;
    if (blk <= 0)
        return blk == 0 ? -EIO : (int)blk;
    if ((b = bread((uint32_t)blk)) == NULL)
        return -EIO;
    struct ext2_dir_entry *dot = (struct ext2_dir_entry *)b->data;
    *dot = (struct ext2_dir_entry){ip->ino, EXT2_DIR_REC_LEN(1), 1, EXT2_FT_DIR};
    dot->name[0] = '.';
    struct ext2_dir_entry *dotdot = (struct ext2_dir_entry *)(b->data + dot->rec_len);
    *dotdot = (struct ext2_dir_entry){dp->ino, FS_BLOCK_SIZE - dot->rec_len, 2, EXT2_FT_DIR};
    dotdot->name[0] = dotdot->name[1] = '.';
    bdirty(b);
    brelse(b);
    ip->d.i_size = FS_BLOCK_SIZE;
    return iupdate(ip);
}

int fs_mkdir(struct inode *dir_at, const char *path, uint16_t mode)
{
    char name[EXT2_NAME_LEN + 1];
    struct inode *dp, *ip = NULL;
    int err = namei_parent(dir_at, path, &dp, name);

    if (err < 0)
        return err;
    if (dp->d.i_links_count >= LINK_MAX)
        err = -EMLINK;
    else if ((err = make(dp, name, EXT2_S_IFDIR | (mode & 07777), mkdir_init, NULL, &ip)) == 0) {
        err = set_links(dp, dp->d.i_links_count + 1);    /* the new '..' */
        iput(ip);
    }
    iput(dp);
    return err;
}

int fs_unlink(struct inode *dir_at, const char *path)
{
    char name[EXT2_NAME_LEN + 1];
    struct inode *dp, *ip = NULL;
    int err = namei_parent(dir_at, path, &dp, name);

    if (err < 0)
        return err;
    if (is_dot(name))
        err = -EISDIR;
    else if ((err = lookup(dp, name, &ip)) == 0) {
        if (is_dir(ip))
            err = -EISDIR;                       /* Linux's unlink says EISDIR */
        else if (trailing_slash(path))
            err = -ENOTDIR;
        else if ((err = dir_remove(dp, name, strlen(name))) == 0)
            err = set_links(ip, ip->d.i_links_count - 1);
        iput(ip);                                /* the last one frees it */
    }
    iput(dp);
    return err;
}

/* Take empty directory ip, named name in dp, out of the tree: its entry
 * goes, its links drop to 0 (freed by its last iput), dp loses its '..'. */
static int rmdir_entry(struct inode *dp, const char *name, struct inode *ip)
{
    int err = dir_is_empty(ip);

    if (err <= 0)
        return err == 0 ? -ENOTEMPTY : err;
    if ((err = dir_remove(dp, name, strlen(name))) < 0 || (err = set_links(ip, 0)) < 0)
        return err;
    return set_links(dp, dp->d.i_links_count - 1);
}

int fs_rmdir(struct inode *dir_at, const char *path)
{
    char name[EXT2_NAME_LEN + 1];
    struct inode *dp, *ip = NULL;
    int err = namei_parent(dir_at, path, &dp, name);

    if (err < 0)
        return err;
    if (is_dot(name))                            /* rmdir / gives "." here */
        err = strcmp(name, "..") == 0 ? -ENOTEMPTY : dp->ino == EXT2_ROOT_INO ? -EBUSY : -EINVAL;
    else if ((err = lookup(dp, name, &ip)) == 0) {
        err = !is_dir(ip) ? -ENOTDIR : rmdir_entry(dp, name, ip);
        iput(ip);
    }
    iput(dp);
    return err;
}

int fs_link(struct inode *old_at, const char *oldpath, struct inode *new_at, const char *newpath)
{
    char name[EXT2_NAME_LEN + 1];
    struct inode *dp, *ip = NULL;
    int err = namei(old_at, oldpath, false, &ip);

    if (err < 0)
        return err;
    if (is_dir(ip))
        err = -EPERM;
    else if (ip->d.i_links_count >= LINK_MAX)
        err = -EMLINK;
    else if ((err = namei_parent(new_at, newpath, &dp, name)) == 0) {
        long found = dir_lookup(dp, name, strlen(name));
        if (found != 0)
            err = found > 0 ? -EEXIST : (int)found;
        else if ((err = dir_add(dp, name, strlen(name), ip->ino, ftype(ip->d.i_mode))) == 0)
            err = set_links(ip, ip->d.i_links_count + 1);
        iput(dp);
    }
    iput(ip);
    return err;
}

/* Is directory ip dp or an ancestor of it? (Walks dp's '..' up to the
 * root; a chain longer than any tree is a corrupted disk.) 1, 0 or an
 * errno. */
static int is_ancestor(struct inode *ip, struct inode *dp)
{
    uint32_t ino = dp->ino;

    for (int steps = 0; steps < 65536; steps++) {
        if (ino == ip->ino)
            return 1;
        if (ino == EXT2_ROOT_INO)
            return 0;
        int err;
        struct inode *cur = iget(ino, &err);
        if (cur == NULL)
            return err;
        long up = is_dir(cur) ? dir_lookup(cur, "..", 2) : 0;
        iput(cur);
        if (up <= 0)
            return up < 0 ? (int)up : fs_corrupt("directory %u: no '..' leading up", ino);
        ino = (uint32_t)up;
    }
    return fs_corrupt("directory %u: a loop of '..'", dp->ino);
}

/* Rename entry oname of odp (inode ip) to nname in ndp: the entry there
 * (target, or NULL) replaced. The checks are done. */
static int rename_entry(struct inode *odp, const char *oname, struct inode *ip,
                        struct inode *ndp, const char *nname, struct inode *target)
{
    bool dir = is_dir(ip);
    int err;

    if (target != NULL) {
        if (dir)
            err = rmdir_entry(ndp, nname, target);
        else if ((err = dir_remove(ndp, nname, strlen(nname))) == 0)
            err = set_links(target, target->d.i_links_count - 1);
        if (err < 0)
            return err;
    }
    if ((err = dir_add(ndp, nname, strlen(nname), ip->ino, ftype(ip->d.i_mode))) < 0 ||
        (err = dir_remove(odp, oname, strlen(oname))) < 0 ||
        (err = set_links(ip, ip->d.i_links_count)) < 0)      /* ctime */
        return err;
    if (!dir || odp == ndp)
        return 0;
    /* A directory moved: its '..' now names ndp. Removing '..' merges its
     * record into '.', whose slack the add then splits again, so '..'
     * stays the second record, as e2fsck wants. */
    if ((err = dir_remove(ip, "..", 2)) < 0 || (err = dir_add(ip, "..", 2, ndp->ino, EXT2_FT_DIR)) < 0)
        return err;
    if ((err = set_links(odp, odp->d.i_links_count - 1)) < 0)
        return err;
    return set_links(ndp, ndp->d.i_links_count + 1);
}

int fs_rename(struct inode *old_at, const char *oldpath, struct inode *new_at, const char *newpath)
{
    char oname[EXT2_NAME_LEN + 1], nname[EXT2_NAME_LEN + 1];
    struct inode *odp, *ndp = NULL, *ip = NULL, *target = NULL;
    int err = namei_parent(old_at, oldpath, &odp, oname);

    if (err < 0)
        return err;
    if ((err = namei_parent(new_at, newpath, &ndp, nname)) < 0 || (err = lookup(odp, oname, &ip)) < 0)
        goto out;
    if (is_dot(oname) || is_dot(nname)) {
        err = -EINVAL;
        goto out;
    }
    err = lookup(ndp, nname, &target);
    if (err == -ENOENT)
        err = 0, target = NULL;
    if (err < 0 || target == ip)                 /* the same file: nothing to do */
        goto out;
    if (is_dir(ip)) {
        if ((err = is_ancestor(ip, ndp)) != 0)   /* a directory into its own subtree */
            err = err > 0 ? -EINVAL : err;
        else if (target != NULL && !is_dir(target))
            err = -ENOTDIR;
        else if (target == NULL && ndp != odp && ndp->d.i_links_count >= LINK_MAX)
            err = -EMLINK;
    } else if (target != NULL && is_dir(target)) {
        err = -EISDIR;
    }
    if (err == 0)
        err = rename_entry(odp, oname, ip, ndp, nname, target);
out:
    if (target != NULL)
        iput(target);
    if (ip != NULL)
        iput(ip);
    if (ndp != NULL)
        iput(ndp);
    iput(odp);
    return err;
}

/* Symlink ip's target: in i_block if short (a fast symlink), else in a
 * block of its own. */
static int symlink_init(struct inode *ip, struct inode *dp, const void *arg)
{
    const char *target = arg;
    size_t len = strlen(target);

    (void)dp;
    if (len < EXT2_FAST_SYMLINK_MAX) {
        memcpy(ip->d.i_block, target, len);
    } else {
        long blk = bmap(ip, 0, true);
        struct buf *b;
        if (blk <= 0)
            return blk == 0 ? -EIO : (int)blk;
        if ((b = bread((uint32_t)blk)) == NULL)
            return -EIO;
        memcpy(b->data, target, len);
        bdirty(b);
        brelse(b);
    }
    ip->d.i_size = (uint32_t)len;
    return iupdate(ip);
}

int fs_symlink(const char *target, struct inode *dir_at, const char *linkpath)
{
    char name[EXT2_NAME_LEN + 1];
    size_t len = strnlen(target, FS_BLOCK_SIZE);
    struct inode *dp, *ip = NULL;
    int err;

    if (len == 0 || len >= FS_BLOCK_SIZE)        /* a slow symlink's target fits one block */
        return len == 0 ? -ENOENT : -ENAMETOOLONG;
    if ((err = namei_parent(dir_at, linkpath, &dp, name)) < 0)
        return err;
    if ((err = make(dp, name, EXT2_S_IFLNK | 0777, symlink_init, target, &ip)) == 0)
        iput(ip);
    iput(dp);
    return err;
}

long fs_readlink(struct inode *ip, char *buf, size_t size)
{
    uint32_t len = ip->d.i_size;

    if ((ip->d.i_mode & EXT2_S_IFMT) != EXT2_S_IFLNK)
        return -EINVAL;
    if (len >= FS_BLOCK_SIZE)
        return fs_corrupt("symlink %u: size %u", ip->ino, len);
    if (len > size)
        len = (uint32_t)size;
    if (ip->d.i_blocks == 0) {                   /* fast: the target is in i_block */
        if (ip->d.i_size >= EXT2_FAST_SYMLINK_MAX)
            return fs_corrupt("fast symlink %u: size %u", ip->ino, ip->d.i_size);
        memcpy(buf, ip->d.i_block, len);
        return len;
    }
    long blk = bmap(ip, 0, false);
    struct buf *b;
    if (blk <= 0)
        return blk < 0 ? blk : fs_corrupt("symlink %u: no block", ip->ino);
    if ((b = bread((uint32_t)blk)) == NULL)
        return -EIO;
    memcpy(buf, b->data, len);
    brelse(b);
    return len;
}
