/* alloc.c - the block and inode bitmaps: allocating and freeing blocks
 * and inode numbers, with the free counts of the group descriptors and the
 * superblock kept exact (e2fsck checks them). Lab 8 (given).
 *
 * Each group has one bitmap block for its blocks (bit i: block
 * s_first_data_block + g * s_blocks_per_group + i) and one for its inodes
 * (bit i: inode g * s_inodes_per_group + i + 1). A bitmap that disagrees
 * with what the mount checked is corruption: -EUCLEAN, never a panic. */
#include "bcache.h"
#include "errno.h"
#include "fs.h"

static bool bit_test(const uint8_t *map, uint32_t i)
{
    return map[i / 8] & (1u << (i % 8));
}

static void bit_flip(uint8_t *map, uint32_t i)
{
    map[i / 8] ^= (uint8_t)(1u << (i % 8));
}

/* The first clear bit below n of map at or after from, or -1. */
static long bit_find_clear(const uint8_t *map, uint32_t from, uint32_t n)
{
    for (uint32_t i = from; i < n; i++) {
        if (map[i / 8] == 0xFF) {                /* skip whole bytes that are full */
            i |= 7;
            continue;
        }
        if (!bit_test(map, i))
            return i;
    }
    return -1;
}

/* Take a clear bit of group g's block bitmap: the block, 0 if the group
 * has none that may hold data, or a negative errno. */
static long balloc_group(uint32_t g)
{
    uint32_t first = fs.sb.s_first_data_block + g * fs.sb.s_blocks_per_group;
    struct buf *b = bread(fs.groups[g].bg_block_bitmap);
    long i = 0;

    if (b == NULL)
        return -EIO;
    /* A clear bit on metadata is corruption: skipped (e2fsck will say). */
    while ((i = bit_find_clear(b->data, i, fs_group_blocks(g))) >= 0 &&
           !fs_data_block_ok(first + i))
        i++;
    if (i >= 0) {
        bit_flip(b->data, i);
        bdirty(b);
    }
    brelse(b);
    return i < 0 ? 0 : (long)(first + i);
}

long balloc(uint32_t goal)
{
    if (!fs_mounted())
        return -EIO;
    for (uint32_t k = 0; k < fs.ngroups; k++) {
        uint32_t g = (goal + k) % fs.ngroups;
        if (fs.groups[g].bg_free_blocks_count == 0)
            continue;
        long blk = balloc_group(g);
        if (blk < 0)
            return blk;
        if (blk == 0) {
            fs_corrupt("group %u counts %u free blocks, its bitmap none", g,
                       fs.groups[g].bg_free_blocks_count);
            continue;
        }
        int err = fs_count(g, -1, 0, 0);
        struct buf *zb = bread_zero(blk);        /* no old data may show in a file */
        if (zb == NULL)
            return -EIO;
        brelse(zb);
        return err ? err : blk;
    }
    return -ENOSPC;
}

int bfree(uint32_t blk)
{
    if (!fs_data_block_ok(blk))
        return fs_corrupt("freeing block %u, not a data block", blk);
    uint32_t g = fs_block_group(blk);
    uint32_t i = blk - fs.sb.s_first_data_block - g * fs.sb.s_blocks_per_group;
    struct buf *b = bread(fs.groups[g].bg_block_bitmap);
    if (b == NULL)
        return -EIO;
    if (!bit_test(b->data, i)) {
        brelse(b);
        return fs_corrupt("block %u freed twice", blk);
    }
    bit_flip(b->data, i);
    bdirty(b);
    brelse(b);
    return fs_count(g, 1, 0, 0);
}

long inum_alloc(uint32_t goal, bool dir)
{
    if (!fs_mounted())
        return -EIO;
    for (uint32_t k = 0; k < fs.ngroups; k++) {
        uint32_t g = (goal + k) % fs.ngroups, base = g * fs.sb.s_inodes_per_group;
        if (fs.groups[g].bg_free_inodes_count == 0)
            continue;
        struct buf *b = bread(fs.groups[g].bg_inode_bitmap);
        if (b == NULL)
            return -EIO;
        /* Bits of the reserved inodes (below s_first_ino) are never taken. */
        uint32_t from = base + 1 >= fs.sb.s_first_ino ? 0 : fs.sb.s_first_ino - 1 - base;
        long i = bit_find_clear(b->data, from, fs.sb.s_inodes_per_group);
        if (i >= 0) {
            bit_flip(b->data, i);
            bdirty(b);
        }
        brelse(b);
        if (i < 0) {
            fs_corrupt("group %u counts %u free inodes, its bitmap none", g,
                       fs.groups[g].bg_free_inodes_count);
            continue;
        }
        int err = fs_count(g, 0, -1, dir ? 1 : 0);
        return err ? err : (long)(base + i + 1);
    }
    return -ENOSPC;
}

int inum_free(uint32_t ino, bool dir)
{
    if (!fs_mounted() || ino < fs.sb.s_first_ino || ino > fs.sb.s_inodes_count)
        return fs_corrupt("freeing inode %u, a reserved or impossible one", ino);
    uint32_t g = fs_inode_group(ino), i = (ino - 1) % fs.sb.s_inodes_per_group;
    struct buf *b = bread(fs.groups[g].bg_inode_bitmap);
    if (b == NULL)
        return -EIO;
    if (!bit_test(b->data, i)) {
        brelse(b);
        return fs_corrupt("inode %u freed twice", ino);
    }
    bit_flip(b->data, i);
    bdirty(b);
    brelse(b);
    return fs_count(g, 0, 1, dir ? -1 : 0);
}
