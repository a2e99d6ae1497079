/* dir.c - ext2 directories: linear lists of records, one block after
 * another. Lab 8: dir_lookup, dir_add and dir_remove are exercise 3
 * (handout §3.3); reading a block's records safely, dir_read and
 * dir_is_empty are given.
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
        *err = blk == 0 ? -EUCLEAN : (int)blk;
        return NULL;
    }
    if ((b = bread((uint32_t)blk)) == NULL)
        *err = -EIO;
    return b;
}

/* The record at byte off of directory block data, or NULL if it is
 * corrupted: rec_len under 8 or not a multiple of 4, too short for its
 * name, or reaching past the block's end. Check every record before using
 * its fields: a corrupted disk must give -EUCLEAN, never a read past the
 * buffer. */
static struct ext2_dir_entry *dir_rec(uint8_t *data, uint32_t off)
{
    struct ext2_dir_entry *de = (struct ext2_dir_entry *)(data + off);

    if (off + 8 > FS_BLOCK_SIZE || de->rec_len < 8 || de->rec_len % 4 != 0 ||
        de->rec_len < EXT2_DIR_REC_LEN(de->name_len) || off + de->rec_len > FS_BLOCK_SIZE)
        return NULL;
    return de;
}

/* Does record de hold the entry name (len bytes)? */
static bool dir_name_is(const struct ext2_dir_entry *de, const char *name, size_t len)
{
    return de->inode != 0 && de->name_len == len && memcmp(de->name, name, len) == 0;
}

/* dp's contents changed: its mtime and ctime are now; written back. */
static int dir_changed(struct inode *dp)
{
    dp->d.i_mtime = dp->d.i_ctime = fs_now();
    return iupdate(dp);
}

#if SOL >= 8
/* The block and offset of entry name in dp (*bp locked, with a reference)
 * and of the record before it in that block (*prev; -1 if it is first).
 * 0 if found, 1 if not (nothing held), or a negative errno. */
static int dir_find(struct inode *dp, const char *name, size_t len, struct buf **bp,
                    uint32_t *off, int32_t *prev)
{
    for (uint32_t lbn = 0; lbn < dir_nblocks(dp); lbn++) {
        int err;
        struct buf *b = dir_bread(dp, lbn, &err);
        if (b == NULL)
            return err;
        *prev = -1;
        for (uint32_t o = 0; o < FS_BLOCK_SIZE;) {
            struct ext2_dir_entry *de = dir_rec(b->data, o);
            if (de == NULL) {
                brelse(b);
                return -EUCLEAN;
            }
            if (dir_name_is(de, name, len)) {
                *bp = b, *off = o;
                return 0;
            }
            *prev = (int32_t)o;
            o += de->rec_len;
        }
        brelse(b);
    }
    return 1;
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
#endif

long dir_lookup(struct inode *dp, const char *name, size_t len)
{
    ASSERT(dp != NULL && name != NULL);
#if SOL >= 8
    struct buf *b;
    uint32_t off;
    int32_t prev;
    int r = dir_find(dp, name, len, &b, &off, &prev);
    if (r != 0)
        return r < 0 ? r : 0;
    uint32_t ino = ((struct ext2_dir_entry *)(b->data + off))->inode;
    brelse(b);
    return ino;
#else
    /* LAB 8, exercise 3: scan dp's blocks record by record (dir_rec checks
     * each) for a used entry called name; its inode number (handout §3.3) */
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
    long found = dir_lookup(dp, name, len);
    uint32_t need = EXT2_DIR_REC_LEN(len), lbn;
    if (found != 0)
        return found > 0 ? -EEXIST : (int)found;
    for (lbn = 0; lbn < dir_nblocks(dp); lbn++) {
        int err;
        struct buf *b = dir_bread(dp, lbn, &err);
        if (b == NULL)
            return err;
        for (uint32_t o = 0; o < FS_BLOCK_SIZE;) {
            struct ext2_dir_entry *de = dir_rec(b->data, o);
            if (de == NULL) {
                brelse(b);
                return -EUCLEAN;
            }
            uint32_t used = de->inode ? EXT2_DIR_REC_LEN(de->name_len) : 0;
            if (de->rec_len - used >= need) {
                if (used > 0) {                  /* split: the slack becomes the new record */
                    struct ext2_dir_entry *nde = (struct ext2_dir_entry *)(b->data + o + used);
                    nde->rec_len = (uint16_t)(de->rec_len - used);
                    de->rec_len = (uint16_t)used;
                    de = nde;
                }
                dir_fill(de, name, len, ino, type);
                bdirty(b);
                brelse(b);
                return dir_changed(dp);
            }
            o += de->rec_len;
        }
        brelse(b);
    }
    long blk = bmap(dp, lbn, true);              /* no room: a new (zeroed) block at the end */
    struct buf *b;
    if (blk <= 0)
        return blk == 0 ? -EIO : (int)blk;
    if ((b = bread((uint32_t)blk)) == NULL)
        return -EIO;
    struct ext2_dir_entry *de = (struct ext2_dir_entry *)b->data;
    de->rec_len = FS_BLOCK_SIZE;
    dir_fill(de, name, len, ino, type);
    bdirty(b);
    brelse(b);
    dp->d.i_size += FS_BLOCK_SIZE;
    return dir_changed(dp);
#else
    /* LAB 8, exercise 3: -EEXIST if name is there; else split the first
     * record whose slack holds EXT2_DIR_REC_LEN(len), or append a block
     * holding one record (handout §3.3) */
    (void)ino, (void)type, (void)dir_changed;
    return -ENOSYS;
#endif
}

int dir_remove(struct inode *dp, const char *name, size_t len)
{
    ASSERT(dp != NULL && name != NULL);
#if SOL >= 8
    struct buf *b;
    uint32_t off;
    int32_t prev;
    int r = dir_find(dp, name, len, &b, &off, &prev);
    if (r != 0)
        return r < 0 ? r : -ENOENT;
    struct ext2_dir_entry *de = (struct ext2_dir_entry *)(b->data + off);
    if (prev >= 0)                               /* merged into the record before it */
        ((struct ext2_dir_entry *)(b->data + prev))->rec_len += de->rec_len;
    else                                         /* first in its block: left as free space */
        de->inode = 0;
    bdirty(b);
    brelse(b);
    return dir_changed(dp);
#else
    /* LAB 8, exercise 3: find name; merge its record into the one before
     * it in its block, or set its inode to 0 if it is first (handout §3.3) */
    (void)len;
    return -ENOSYS;
#endif
}

int dir_read(struct inode *dp, uint64_t *pos, uint32_t *ino, uint8_t *type,
             char name[EXT2_NAME_LEN + 1])
{
    ASSERT(dp != NULL && pos != NULL);
    while (*pos < (uint64_t)dir_nblocks(dp) * FS_BLOCK_SIZE) {
        int err;
        uint32_t off = *pos % FS_BLOCK_SIZE;
        struct buf *b = dir_bread(dp, (uint32_t)(*pos / FS_BLOCK_SIZE), &err);
        if (b == NULL)
            return err;
        struct ext2_dir_entry *de = dir_rec(b->data, off);
        if (de == NULL) {
            brelse(b);
            return -EUCLEAN;
        }
        *pos += de->rec_len;
        if (de->inode != 0) {
            *ino = de->inode;
            *type = de->file_type;
            memcpy(name, de->name, de->name_len);
            name[de->name_len] = '\0';
            brelse(b);
            return 1;
        }
        brelse(b);
    }
    return 0;
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
