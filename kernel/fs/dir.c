/* dir.c - ext2 directories: linear lists of records, one block after
 * another. Lab 8: dir_lookup, dir_add and dir_remove are exercise 3
 * (handout §3.3); the walk over the records, which checks each one
 * (dir_next), dir_read and dir_is_empty are given.
 *
 * The records of a block fill it exactly: each rec_len reaches the next
 * record, the last one the block's end. A record needs only
 * EXT2_DIR_REC_LEN(name_len) bytes; the rest of its rec_len is slack that
 * a new entry may take. A record of inode 0 holds no entry (only the
 * first of a block is ever left so: a removed entry is merged into the
 * record before it). Everything here runs under fs_lock. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bcache.h"
#include "errno.h"
#include "fs.h"
#include "panic.h"
#include "string.h"

/* The blocks of directory dp (its size is a whole number of blocks). */
static uint32_t dir_nblocks(const struct inode *dp)
{
    return dp->d.i_size / FS_BLOCK_SIZE;
}

/* Block lbn of directory dp, read and locked; NULL with *err = -EIO, or
 * -EUCLEAN if the directory has a hole there (ext2 directories have none). */
static struct buf *dir_bread(struct inode *dp, uint32_t lbn, int *err)
{
    long blk = bmap(dp, lbn, false);
    struct buf *b;

    if (blk <= 0) {
        *err = blk < 0 ? (int)blk : fs_corrupt("directory %u: a hole at block %u", dp->ino, lbn);
        return NULL;
    }
    if ((b = bread((uint32_t)blk)) == NULL)
        *err = -EIO;
    return b;
}

/* The record at byte off of directory dp's block b, or NULL if it is
 * corrupted (said once on the console; the caller returns -EUCLEAN):
 * rec_len under 8 or not a multiple of 4, too short for its name, or
 * reaching past the block's end. Check every record before using its
 * fields: a corrupted disk must give -EUCLEAN, never a read past the
 * buffer. */
static struct ext2_dir_entry *dir_rec(const struct inode *dp, struct buf *b, uint32_t off)
{
    struct ext2_dir_entry *de = (struct ext2_dir_entry *)(b->data + off);

    if (off + 8 > FS_BLOCK_SIZE || de->rec_len < 8 || de->rec_len % 4 != 0 ||
        de->rec_len < EXT2_DIR_REC_LEN(de->name_len) || off + de->rec_len > FS_BLOCK_SIZE) {
        fs_corrupt("directory %u: a bad record at byte %u of block %u", dp->ino, off, b->blockno);
        return NULL;
    }
    return de;
}

/* A walk over dp's records, block after block: struct dir_iter it =
 * {.dp = dp} (.pos = P to start at byte P), then dir_next until it
 * returns 1 no more. While it returns 1 the record's block is held and
 * locked: a walk left early must dir_stop. */
struct dir_iter {
    struct inode *dp;
    uint64_t pos;                    /* byte offset of the next record in dp */
    struct buf *b;                   /* the block of de (held, locked), or NULL */
    struct ext2_dir_entry *de;       /* the record dir_next found */
    struct ext2_dir_entry *prev;     /* the one before de in its block, or NULL */
};

/* Release the block a walk holds (if any). */
static void dir_stop(struct dir_iter *it)
{
    if (it->b != NULL)
        brelse(it->b);
    it->b = NULL;
}

/* The next record (each checked by dir_rec; used or not): 1 with it->de
 * set, 0 past the last one, -EIO or -EUCLEAN (nothing is held then). */
static int dir_next(struct dir_iter *it)
{
    uint32_t off = it->pos % FS_BLOCK_SIZE;
    int err;

    if (off == 0)
        dir_stop(it);                            /* the walk enters a new block */
    if (it->pos >= (uint64_t)dir_nblocks(it->dp) * FS_BLOCK_SIZE) {
        dir_stop(it);
        return 0;
    }
    if (it->b == NULL) {
        it->de = NULL;
        if ((it->b = dir_bread(it->dp, (uint32_t)(it->pos / FS_BLOCK_SIZE), &err)) == NULL)
            return err;
    }
    it->prev = it->de;
    if ((it->de = dir_rec(it->dp, it->b, off)) == NULL) {
        dir_stop(it);
        return -EUCLEAN;
    }
    it->pos += it->de->rec_len;
    return 1;
}

/* Does record de hold the entry name (len bytes)? */
static bool dir_name_is(const struct ext2_dir_entry *de, const char *name, size_t len)
{
    return de->inode != 0 && de->name_len == len && memcmp(de->name, name, len) == 0;
}

/* Fill record de (its rec_len already set) with name -> ino. */
static void dir_fill(struct ext2_dir_entry *de, const char *name, size_t len, uint32_t ino,
                     uint8_t type)
{
    de->inode = ino;
    de->name_len = (uint8_t)len;
    de->file_type = type;
    memcpy(de->name, name, len);
}

/* dp's contents changed: its mtime and ctime are now, an htree index
 * flag dropped (the index no longer matches); written back. */
static int dir_changed(struct inode *dp)
{
    dp->d.i_mtime = dp->d.i_ctime = fs_now();
    dp->d.i_flags &= ~EXT2_INDEX_FL; /* its htree no longer matches: as Linux's ext2, drop it */
    return iupdate(dp);
}

long dir_lookup(struct inode *dp, const char *name, size_t len)
{
    ASSERT(dp != NULL && name != NULL);
#if SOL >= 8
    struct dir_iter it = {.dp = dp};
    int r;
    while ((r = dir_next(&it)) == 1) {
        if (dir_name_is(it.de, name, len)) {
            uint32_t ino = it.de->inode;
            dir_stop(&it);
            return ino;
        }
    }
    return r;
#else
    /* LAB 8, exercise 3: the inode number of dp's entry name, 0 if it
     * has none (handout §3.3) */
    (void)len, (void)dir_name_is;
    return -ENOSYS;
#endif
}

int dir_add(struct inode *dp, const char *name, size_t len, uint32_t ino, uint8_t type)
{
    ASSERT(dp != NULL && name != NULL && ino != 0);
    if (len == 0 || len > EXT2_NAME_LEN)
        return len == 0 ? -ENOENT : -ENAMETOOLONG;
#if SOL >= 8
    struct dir_iter it = {.dp = dp};
    int r;
    long found = dir_lookup(dp, name, len);
    uint32_t used = 0;
    if (found != 0)
        return found > 0 ? -EEXIST : (int)found;
    while ((r = dir_next(&it)) == 1) {           /* the first record with room enough */
        used = it.de->inode ? EXT2_DIR_REC_LEN(it.de->name_len) : 0;
        if (it.de->rec_len - used >= EXT2_DIR_REC_LEN(len))
            break;
    }
    if (r < 0)
        return r;
    if (r == 0) {                                /* none: a new (zeroed) block at the end */
        long blk = bmap(dp, dir_nblocks(dp), true);
        if (blk <= 0)
            return blk < 0 ? (int)blk : -EIO;
        if ((it.b = bread((uint32_t)blk)) == NULL)
            return -EIO;
        it.de = (struct ext2_dir_entry *)it.b->data;
        it.de->rec_len = FS_BLOCK_SIZE;
        dp->d.i_size += FS_BLOCK_SIZE;
    } else if (used > 0) {                       /* split: its slack becomes the new record */
        struct ext2_dir_entry *de = (struct ext2_dir_entry *)((uint8_t *)it.de + used);
        de->rec_len = (uint16_t)(it.de->rec_len - used);
        it.de->rec_len = (uint16_t)used;
        it.de = de;
    }
    dir_fill(it.de, name, len, ino, type);
    bdirty(it.b);
    dir_stop(&it);
    return dir_changed(dp);
#else
    /* LAB 8, exercise 3: a record name -> ino in the first room dp has, or
     * in a block added at its end; -EEXIST if name is there (handout §3.3) */
    (void)ino, (void)type, (void)dir_fill, (void)dir_changed;
    return -ENOSYS;
#endif
}

int dir_remove(struct inode *dp, const char *name, size_t len)
{
    ASSERT(dp != NULL && name != NULL);
#if SOL >= 8
    struct dir_iter it = {.dp = dp};
    int r;
    while ((r = dir_next(&it)) == 1 && !dir_name_is(it.de, name, len))
        ;
    if (r != 1)
        return r < 0 ? r : -ENOENT;
    if (it.prev != NULL)                         /* merged into the record before it */
        it.prev->rec_len += it.de->rec_len;
    else                                         /* first in its block: left as free space */
        it.de->inode = 0;
    bdirty(it.b);
    dir_stop(&it);
    return dir_changed(dp);
#else
    /* LAB 8, exercise 3: take entry name out of dp, its record's space
     * given back; -ENOENT if there is none (handout §3.3) */
    (void)len;
    return -ENOSYS;
#endif
}

int dir_read(struct inode *dp, uint64_t *pos, uint32_t *ino, uint8_t *type,
             char name[EXT2_NAME_LEN + 1])
{
    struct dir_iter it = {.dp = dp, .pos = *pos};
    int r;

    ASSERT(dp != NULL && pos != NULL);
    while ((r = dir_next(&it)) == 1 && it.de->inode == 0)
        ;
    if (r == 1) {
        *ino = it.de->inode;
        *type = it.de->file_type;
        memcpy(name, it.de->name, it.de->name_len);
        name[it.de->name_len] = '\0';
        dir_stop(&it);
    }
    *pos = it.pos;
    return r;
}

int dir_is_empty(struct inode *dp)
{
    uint64_t pos = 0;
    uint32_t ino;
    uint8_t type;
    char name[EXT2_NAME_LEN + 1];
    int r;

    while ((r = dir_read(dp, &pos, &ino, &type, name)) == 1) {
        if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
            return 0;
    }
    return r == 0 ? 1 : r;
}
