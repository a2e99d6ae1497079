/* inode.c - inodes: the in-memory inode table, reading and writing inode
 * records, the block map and file contents. Lab 8: bmap is exercise 2
 * (handout §3.2), inode_read and inode_write exercise 5 (§3.5); iget, iput,
 * iupdate, ialloc and inode_truncate are given.
 *
 * A file's blocks: i_block[0..11] direct, i_block[12] a block of
 * NINDIR block numbers, i_block[13] a block of NINDIR such blocks. A 0 is
 * a hole (reads as zeros). i_blocks counts 512-byte sectors, the indirect
 * blocks included. Every block number read from the disk is checked
 * (fs_data_block_ok) before it is used. */
#include <stddef.h>

#include "bcache.h"
#include "errno.h"
#include "fs.h"
#include "panic.h"
#include "proc.h"
#include "string.h"
#include "uaccess.h"

#define NINDIR (FS_BLOCK_SIZE / sizeof(uint32_t))      /* block numbers in a block: 256 */
#define MAX_BLOCKS (EXT2_NDIR_BLOCKS + NINDIR + NINDIR * NINDIR)
#define MAX_FILE_SIZE ((uint64_t)MAX_BLOCKS * FS_BLOCK_SIZE)
#define SECTORS_PER_BLOCK (FS_BLOCK_SIZE / 512)

/* On what the exercises' code uses: the stubs do not, and -Werror would
 * refuse an unused static function. */
#define EXERCISE_USES __attribute__((unused))

/* The inode table, all fs_lock's. A slot in use (refs > 0) is on the hash
 * chain of its ino (found in O(1)); a free one is on the free stack, or
 * one of the slots never used yet (itable[ifresh..]). ilink[i] is slot
 * i's link in the one it is on. */
#define IHASH 31                     /* hash chains: a prime, about FS_MAX_INODES / 4 */
static struct inode itable[FS_MAX_INODES];
static struct inode *ilink[FS_MAX_INODES];
static struct inode *ihash[IHASH];   /* chains by ino % IHASH */
static struct inode *ifree;          /* the free stack */
static int ifresh;                   /* slots used at least once */
#define ILINK(ip) ilink[(ip) - itable]

/* iblock(ip, i), which is 4-byte aligned (the compiler cannot know it
 * of a member of a packed struct). */
static uint32_t *iblock(struct inode *ip, int i)
{
    return (uint32_t *)((uint8_t *)&ip->d + offsetof(struct ext2_inode, i_block)) + i;
}
_Static_assert((offsetof(struct inode, d) + offsetof(struct ext2_inode, i_block)) % 4 == 0,
               "i_block is aligned");

uint64_t inode_size(const struct inode *ip)
{
    uint64_t size = ip->d.i_size;

    if ((ip->d.i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
        size |= (uint64_t)ip->d.i_size_high << 32;
    return size;
}

void inode_set_size(struct inode *ip, uint64_t size)
{
    ip->d.i_size = (uint32_t)size;
    if ((ip->d.i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
        ip->d.i_size_high = (uint32_t)(size >> 32);
}

/* The inode table block holding ino's record, and the offset there. */
static uint32_t inode_block(uint32_t ino, uint32_t *offset)
{
    uint32_t index = (ino - 1) % fs.sb.s_inodes_per_group;
    uint64_t byte = (uint64_t)index * fs.inode_size;

    *offset = byte % FS_BLOCK_SIZE;
    return fs.groups[fs_inode_group(ino)].bg_inode_table + byte / FS_BLOCK_SIZE;
}

struct inode *iget(uint32_t ino, int *err)
{
    struct inode *ip;

    if (!fs_mounted() || ino == 0 || ino > fs.sb.s_inodes_count) {
        *err = fs_mounted() ? fs_corrupt("inode %u out of range", ino) : -EIO;
        return NULL;
    }
    for (ip = ihash[ino % IHASH]; ip != NULL; ip = ILINK(ip)) {
        if (ip->ino == ino) {
            ip->refs++;
            return ip;
        }
    }
    if ((ip = ifree != NULL ? ifree : ifresh < FS_MAX_INODES ? &itable[ifresh] : NULL) == NULL) {
        *err = -ENFILE;              /* every slot in use */
        return NULL;
    }
    uint32_t off, blk = inode_block(ino, &off);
    struct buf *b = bread(blk);
    if (b == NULL) {
        *err = -EIO;
        return NULL;
    }
    memcpy(&ip->d, b->data + off, sizeof ip->d);
    brelse(b);
    if (ip == ifree)
        ifree = ILINK(ip);
    else
        ifresh++;
    ip->ino = ino;
    ip->refs = 1;
    ILINK(ip) = ihash[ino % IHASH];
    ihash[ino % IHASH] = ip;
    return ip;
}

int iupdate(struct inode *ip)
{
    uint32_t off, blk = inode_block(ip->ino, &off);
    struct buf *b = bread(blk);

    ASSERT(ip->refs > 0);
    if (b == NULL)
        return -EIO;
    memcpy(b->data + off, &ip->d, sizeof ip->d);
    bdirty(b);
    brelse(b);
    return 0;
}

void iput(struct inode *ip)
{
    ASSERT(ip->refs > 0);
    if (ip->refs == 1 && ip->d.i_links_count == 0 && ip->d.i_mode != 0 && ip->d.i_dtime == 0 &&
        ip->ino >= fs.sb.s_first_ino) {
        /* The order e2fsck expects of a deleted inode: no blocks, a
         * deletion time, then its bit cleared. */
        bool dir = (ip->d.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
        inode_truncate(ip, 0);
        ip->d.i_dtime = fs_now() ? fs_now() : 1;
        iupdate(ip);
        inum_free(ip->ino, dir);
    }
    if (--ip->refs == 0) {           /* off its hash chain, onto the free stack */
        struct inode **pp = &ihash[ip->ino % IHASH];
        while (*pp != ip)
            pp = &ILINK(*pp);
        *pp = ILINK(ip);
        ILINK(ip) = ifree;
        ifree = ip;
    }
}

struct inode *ialloc(uint16_t mode, struct inode *near, int *err)
{
    bool dir = (mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
    long ino = inum_alloc(near ? fs_inode_group(near->ino) : 0, dir);

    if (ino < 0) {
        *err = (int)ino;
        return NULL;
    }
    struct inode *ip = iget(ino, err);
    if (ip == NULL) {
        inum_free(ino, dir);
        return NULL;
    }
    if (ip->d.i_links_count != 0) {
        /* A damaged bitmap called a linked inode free. Reusing it would
         * hijack its file; its bit, now set, is right again. */
        *err = fs_corrupt("inode %ld is linked but its bitmap bit was clear", ino);
        iput(ip);
        return NULL;
    }
    uint32_t now = fs_now();
    memset(&ip->d, 0, sizeof ip->d);
    ip->d.i_mode = mode;
    ip->d.i_atime = ip->d.i_ctime = ip->d.i_mtime = now;
    if ((*err = iupdate(ip)) != 0) {
        ip->d.i_dtime = now;         /* iput must not free it again */
        iput(ip);
        inum_free(ino, dir);
        return NULL;
    }
    return ip;
}

/* Does ip have blocks in i_block (not a device number or a fast
 * symlink's target)? */
static bool has_blocks(const struct inode *ip)
{
    uint16_t type = ip->d.i_mode & EXT2_S_IFMT;

    if (type == EXT2_S_IFLNK)
        return ip->d.i_blocks != 0;
    return type == EXT2_S_IFREG || type == EXT2_S_IFDIR;
}

/* Free block *slot (if any) of ip and clear it; then *slot is 0. A bad
 * number is cleared too (never freed): -EUCLEAN. */
static int free_slot(struct inode *ip, uint32_t *slot)
{
    int err = 0;

    if (*slot != 0) {
        err = bfree(*slot);
        if (err == 0 && ip->d.i_blocks >= SECTORS_PER_BLOCK)
            ip->d.i_blocks -= SECTORS_PER_BLOCK;
        *slot = 0;
    }
    return err;
}

/* Free the blocks of the indirect block *slot (depth 1: data blocks;
 * depth 2: indirect blocks) from entry `from` on, which cover file blocks
 * from there; the indirect block itself too if from is 0. 0 or an errno
 * (the first). */
static int free_indirect(struct inode *ip, uint32_t *slot, int depth, uint32_t from)
{
    uint32_t per = depth == 1 ? 1 : NINDIR;  /* file blocks one entry covers */
    bool changed = false;
    int err = 0, e;

    if (*slot == 0)
        return 0;
    if (!fs_data_block_ok(*slot)) {
        e = fs_corrupt("inode %u: indirect block %u out of range", ip->ino, *slot);
        *slot = 0;
        return e;
    }
    struct buf *b = bread(*slot);
    if (b == NULL)
        return -EIO;
    uint32_t *entry = (uint32_t *)b->data;
    for (uint32_t i = from / per; i < NINDIR; i++) {
        uint32_t sub = i == from / per ? from % per : 0;
        if (entry[i] == 0)
            continue;
        e = depth == 1 ? free_slot(ip, &entry[i]) : free_indirect(ip, &entry[i], 1, sub);
        err = err ? err : e;
        changed = true;
    }
    /* A block that stays must have its cleared entries on the disk; one
     * freed whole is not written (Lab 9: one truncate logs a few blocks,
     * not one per indirect block of the file). */
    if (changed && (from != 0 || err == -EIO))
        bdirty(b);
    brelse(b);
    if (from == 0 && err != -EIO)
        err = err ? err : free_slot(ip, slot);
    return err;
}

int inode_truncate(struct inode *ip, uint64_t size)
{
    uint64_t first = (size + FS_BLOCK_SIZE - 1) / FS_BLOCK_SIZE;   /* first block to free */
    int err = 0, e;

    if (has_blocks(ip) && first < MAX_BLOCKS) {
        for (uint64_t i = first; i < EXT2_NDIR_BLOCKS; i++)
            if ((e = free_slot(ip, iblock(ip, i))) != 0)
                err = err ? err : e;
        uint64_t rest = first > EXT2_NDIR_BLOCKS ? first - EXT2_NDIR_BLOCKS : 0;
        if (rest < NINDIR && (e = free_indirect(ip, iblock(ip, EXT2_IND_BLOCK), 1, rest)))
            err = err ? err : e;
        rest = rest > NINDIR ? rest - NINDIR : 0;
        if ((e = free_indirect(ip, iblock(ip, EXT2_DIND_BLOCK), 2, rest)) != 0)
            err = err ? err : e;
    }
    if (size % FS_BLOCK_SIZE != 0 && size < inode_size(ip)) {
        /* The rest of the last block must read as zeros if the file grows again. */
        long blk = bmap(ip, size / FS_BLOCK_SIZE, false);
        struct buf *b = blk > 0 ? bread(blk) : NULL;
        if (b != NULL) {
            memset(b->data + size % FS_BLOCK_SIZE, 0, FS_BLOCK_SIZE - size % FS_BLOCK_SIZE);
            bdirty(b);
            brelse(b);
        }
    }
    if (size == 0 && !has_blocks(ip) && (ip->d.i_mode & EXT2_S_IFMT) == EXT2_S_IFLNK)
        memset(ip->d.i_block, 0, sizeof ip->d.i_block);   /* a fast symlink's target */
    inode_set_size(ip, size);
    ip->d.i_mtime = ip->d.i_ctime = fs_now();
    e = iupdate(ip);
    return err ? err : e;
}

/* The block number in *slot (in ip's inode, or in the indirect block b
 * when b is not NULL): a new zeroed block put there first if it is 0 and
 * alloc. The number (0: a hole), or a negative errno. */
EXERCISE_USES static long bmap_slot(struct inode *ip, struct buf *b, uint32_t *slot, bool alloc)
{
    if (*slot == 0 && alloc) {
        long blk = balloc(fs_inode_group(ip->ino));
        if (blk < 0)
            return blk;
        *slot = (uint32_t)blk;
        ip->d.i_blocks += SECTORS_PER_BLOCK;
        if (b != NULL)
            bdirty(b);
        int err = iupdate(ip);
        if (err)
            return err;
    }
    if (*slot != 0 && !fs_data_block_ok(*slot))
        return fs_corrupt("inode %u: block %u out of range", ip->ino, *slot);
    return *slot;
}

long bmap(struct inode *ip, uint32_t lbn, bool alloc)
{
#if SOL >= 8
    uint32_t index[2];
    int depth, top;

    if (lbn < EXT2_NDIR_BLOCKS)
        return bmap_slot(ip, NULL, iblock(ip, lbn), alloc);
    lbn -= EXT2_NDIR_BLOCKS;
    if (lbn < NINDIR) {
        depth = 1, top = EXT2_IND_BLOCK, index[0] = lbn;
    } else if ((lbn -= NINDIR) < NINDIR * NINDIR) {
        depth = 2, top = EXT2_DIND_BLOCK, index[0] = lbn / NINDIR, index[1] = lbn % NINDIR;
    } else {
        return -EFBIG;
    }
    long blk = bmap_slot(ip, NULL, iblock(ip, top), alloc);
    for (int i = 0; i < depth && blk > 0; i++) {
        struct buf *b = bread(blk);
        if (b == NULL)
            return -EIO;
        blk = bmap_slot(ip, b, &((uint32_t *)b->data)[index[i]], alloc);
        brelse(b);
    }
    return blk;
#else
    /* LAB 8, exercise 2: the disk block of file block lbn, direct, single-
     * or double-indirect; with alloc, missing blocks on the way are made;
     * 0 for a hole, -EFBIG past the map (handout §3.2) */
    (void)ip, (void)lbn, (void)alloc;
    return -EIO;
#endif
}

/* Copy n bytes to dst / from src, user memory of the calling process if
 * user, else kernel memory. 0 or -EFAULT. */
EXERCISE_USES static int copy_out(bool user, uint64_t dst, const void *src, size_t n)
{
    if (user)
        return copy_to_user(proc_current()->pml4, dst, src, n);
    memcpy((void *)dst, src, n);
    return 0;
}

EXERCISE_USES static int copy_in(bool user, void *dst, uint64_t src, size_t n)
{
    if (user)
        return copy_from_user(proc_current()->pml4, dst, src, n);
    memcpy(dst, (const void *)src, n);
    return 0;
}

long inode_read(struct inode *ip, bool user, uint64_t dst, uint64_t off, size_t n)
{
    static const uint8_t zeros[FS_BLOCK_SIZE];   /* what a hole reads as */
    uint64_t size = inode_size(ip);

    if (off >= size)
        return 0;
    if (n > size - off)
        n = size - off;
#if SOL >= 8
    size_t done = 0;
    while (done < n) {
        uint64_t pos = off + done;
        size_t in = pos % FS_BLOCK_SIZE, m = FS_BLOCK_SIZE - in;
        if (m > n - done)
            m = n - done;
        long blk = pos / FS_BLOCK_SIZE < MAX_BLOCKS ? bmap(ip, pos / FS_BLOCK_SIZE, false) : -EFBIG;
        struct buf *b = blk > 0 ? bread(blk) : NULL;
        int err = blk < 0 ? (int)blk : blk > 0 && b == NULL ? -EIO : 0;
        if (err == 0)
            err = copy_out(user, dst + done, b ? b->data + in : zeros + in, m);
        if (b != NULL)
            brelse(b);
        if (err)
            return done > 0 ? (long)done : err;
        done += m;
    }
    return (long)done;
#else
    /* LAB 8, exercise 5: copy n bytes of ip from offset off to dst, holes
     * as zeros; the count copied (handout §3.5) */
    (void)user, (void)dst, (void)zeros;
    return -EIO;
#endif
}

long inode_write(struct inode *ip, bool user, uint64_t src, uint64_t off, size_t n)
{
    if (n == 0)
        return 0;
    if (off >= MAX_FILE_SIZE)
        return -EFBIG;
    if (n > MAX_FILE_SIZE - off)
        n = MAX_FILE_SIZE - off;
    if (user && !user_range_ok(proc_current()->pml4, src, n, false))
        return -EFAULT;              /* checked first: a write stops only on a full disk */
#if SOL >= 8
    size_t done = 0;
    int err = 0;
    while (done < n) {
        uint64_t pos = off + done;
        size_t in = pos % FS_BLOCK_SIZE, m = FS_BLOCK_SIZE - in;
        if (m > n - done)
            m = n - done;
        long blk = bmap(ip, pos / FS_BLOCK_SIZE, true);
        struct buf *b = blk > 0 ? bread(blk) : NULL;
        if (b == NULL) {
            err = blk < 0 ? (int)blk : -EIO;
            break;
        }
        err = copy_in(user, b->data + in, src + done, m);
        if (err == 0)
            bdirty(b);
        brelse(b);
        if (err)
            break;
        done += m;
    }
    if (done > 0) {
        if (off + done > inode_size(ip))
            inode_set_size(ip, off + done);
        ip->d.i_mtime = ip->d.i_ctime = fs_now();
        if ((err = iupdate(ip)) != 0)
            return err;
    }
    return done > 0 ? (long)done : err;
#else
    /* LAB 8, exercise 5: put n bytes from src at offset off of ip, with
     * the blocks it needs; the size and times kept; the count written
     * (handout §3.5) */
    (void)ip, (void)user, (void)src;
    return -EIO;
#endif
}
