/* ext2.c - mounting the disk's ext2 file system, fs_lock, sync and the
 * clock. Lab 8 (given). The mount reads and checks the superblock and the
 * group descriptor table, keeps them in `fs` (fs.h), and refuses, with one
 * line saying why, anything this kernel does not handle or that does not
 * add up: every later check of a block number relies on this geometry. */
#include <stdarg.h>

#include "bcache.h"
#include "console.h"
#include "disk.h"
#include "errno.h"
#include "fs.h"
#if LAB >= 9
#include "journal.h"
#endif
#include "kinit.h"
#include "kmalloc.h"
#include "printf.h"
#include "rtc.h"
#include "string.h"
#include "sync.h"

#define SB_BLOCK 1                   /* the superblock's block (1 KiB blocks) */
#define GDT_BLOCK 2                  /* the first block of the descriptor table */
#define DESCS_PER_BLOCK (FS_BLOCK_SIZE / sizeof(struct ext2_group_desc))
#define BITS_PER_BLOCK (FS_BLOCK_SIZE * 8)
#define CORRUPT_REPORTS 10           /* fs_corrupt lines printed, at most */

struct fs_geometry fs;
static bool mounted;
static struct mutex fs_lock;         /* serializes every file-system operation (fs.h) */

void fs_begin(void)
{
    mutex_lock(&fs_lock);
#if LAB >= 9
    journal_op_begin();
#endif
}

void fs_end(void)
{
#if LAB >= 9
    journal_op_end();
#endif
    mutex_unlock(&fs_lock);
}

#if LAB >= 9
void fs_op_split(void)
{
    journal_op_end();
    journal_op_begin();
}

int fs_writable(void)
{
    return journal.read_only ? -EROFS : 0;
}
#endif

bool fs_mounted(void)
{
    return mounted;
}

uint32_t fs_now(void)
{
    return (uint32_t)rtc_now();
}

int fs_corrupt(const char *fmt, ...)
{
    static int reports;
    char line[160];
    va_list ap;

    if (reports++ < CORRUPT_REPORTS) {
        va_start(ap, fmt);
        kvsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        kprintf("fs: corrupt: %s\n", line);
    }
    return -EUCLEAN;
}

/* Does group g hold a copy of the superblock and descriptor table? With
 * sparse_super: groups 0, 1 and powers of 3, 5, 7; else all. */
static bool group_has_super(uint32_t g)
{
    if (!(fs.sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER) || g <= 1)
        return true;
    for (uint32_t p = 3; p <= 7; p += 2) {
        uint64_t x = p;
        while (x < g)
            x *= p;
        if (x == g)
            return true;
    }
    return false;
}

bool fs_data_block_ok(uint32_t b)
{
    if (!mounted || b < fs.sb.s_first_data_block || b >= fs.sb.s_blocks_count)
        return false;
    uint32_t g = fs_block_group(b), first = fs_group_first(g);
    const struct ext2_group_desc *gd = &fs.groups[g];
    if (group_has_super(g) && b < first + 1 + fs.gdt_blocks + fs.sb.s_reserved_gdt_blocks)
        return false;
    return b != gd->bg_block_bitmap && b != gd->bg_inode_bitmap &&
           !(b >= gd->bg_inode_table && b < gd->bg_inode_table + fs.itable_blocks);
}

int fs_count(uint32_t g, int dblocks, int dinodes, int ddirs)
{
    struct ext2_group_desc *gd = &fs.groups[g];

    /* Counts a corrupted image got wrong stay in range (e2fsck fixes them). */
    gd->bg_free_blocks_count = (uint16_t)(gd->bg_free_blocks_count + dblocks);
    gd->bg_free_inodes_count = (uint16_t)(gd->bg_free_inodes_count + dinodes);
    gd->bg_used_dirs_count = (uint16_t)(gd->bg_used_dirs_count + ddirs);
    fs.sb.s_free_blocks_count += dblocks;
    fs.sb.s_free_inodes_count += dinodes;

    struct buf *b = bread(GDT_BLOCK + g / DESCS_PER_BLOCK);
    if (b == NULL)
        return -EIO;
    memcpy(b->data + g % DESCS_PER_BLOCK * sizeof *gd, gd, sizeof *gd);
    bdirty(b);
    brelse(b);
    if ((b = bread(SB_BLOCK)) == NULL)
        return -EIO;
    struct ext2_super *sb = (struct ext2_super *)b->data;
    sb->s_free_blocks_count = fs.sb.s_free_blocks_count;
    sb->s_free_inodes_count = fs.sb.s_free_inodes_count;
    bdirty(b);
    brelse(b);
    return 0;
}

int fs_sync(void)
{
    if (!mounted)
        return 0;
#if LAB >= 9
    if (journal.read_only)
        return 0;                    /* nothing was changed */
#endif
    struct buf *b = bread(SB_BLOCK);
    if (b != NULL) {
        ((struct ext2_super *)b->data)->s_wtime = fs_now();
        bdirty(b);
        brelse(b);
    }
#if LAB >= 9
    if (journal.active)
        return journal_commit();     /* durable in the log; home at the checkpoint */
#endif
    return bsync();
}

#if LAB >= 9
int fs_unmount(void)
{
    int err = fs_sync();

    if (!err && journal.active)
        err = journal_unmount();
    return err;
}
#endif

struct inode *fs_root(void)
{
    int err;

    return iget(EXT2_ROOT_INO, &err);
}

/* Why the superblock cannot be mounted, or NULL. */
static const char *check_super(const struct ext2_super *sb)
{
    const uint32_t ok_ro = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
    uint64_t disk_blocks = disk_sectors() / (FS_BLOCK_SIZE / SECTOR_SIZE);

    if (sb->s_magic != EXT2_MAGIC)
        return "not ext2 (bad magic)";
    if (sb->s_rev_level != 1)
        return "revision is not 1";
    if (sb->s_log_block_size != 0)
        return "block size is not 1024";
#if LAB >= 9
    uint32_t incompat = sb->s_feature_incompat;
    if (sb->s_feature_compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL)
        incompat &= ~EXT3_FEATURE_INCOMPAT_RECOVER;          /* the journal's business */
    else if (incompat & EXT3_FEATURE_INCOMPAT_RECOVER)
        return "needs recovery, but has no journal";
    if (incompat != EXT2_FEATURE_INCOMPAT_FILETYPE)
        return "incompatible features other than exactly filetype";
#else
    if (sb->s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER)
        return "the journal needs recovery";
    if (sb->s_feature_incompat != EXT2_FEATURE_INCOMPAT_FILETYPE)
        return "incompatible features other than exactly filetype";
#endif
    if (sb->s_feature_ro_compat & ~ok_ro)
        return "unknown read-only-compatible features";
    if (sb->s_inode_size < 128 || sb->s_inode_size > FS_BLOCK_SIZE ||
        (sb->s_inode_size & (sb->s_inode_size - 1)))
        return "bad inode size";
    if (sb->s_first_data_block != 1)
        return "first data block is not 1";
    if (sb->s_blocks_per_group == 0 || sb->s_blocks_per_group > BITS_PER_BLOCK ||
        sb->s_inodes_per_group == 0 || sb->s_inodes_per_group > BITS_PER_BLOCK ||
        sb->s_inodes_per_group % (FS_BLOCK_SIZE / sb->s_inode_size) != 0)
        return "bad blocks or inodes per group";
    if (sb->s_blocks_count <= sb->s_first_data_block || sb->s_blocks_count > disk_blocks)
        return "block count larger than the disk";
    uint64_t groups = (sb->s_blocks_count - sb->s_first_data_block + sb->s_blocks_per_group - 1) /
                      sb->s_blocks_per_group;
    if ((uint64_t)sb->s_inodes_count != groups * sb->s_inodes_per_group)
        return "inode count does not match the groups";
    if (sb->s_first_ino <= EXT2_ROOT_INO || sb->s_first_ino > sb->s_inodes_count)
        return "bad first inode";
    if (sb->s_free_blocks_count > sb->s_blocks_count || sb->s_free_inodes_count > sb->s_inodes_count)
        return "free counts larger than the totals";
    if (GDT_BLOCK + (groups * sizeof(struct ext2_group_desc) + FS_BLOCK_SIZE - 1) / FS_BLOCK_SIZE +
            sb->s_reserved_gdt_blocks > (uint64_t)sb->s_first_data_block + sb->s_blocks_per_group)
        return "descriptor table larger than group 0";
    return NULL;
}

/* Why group g's descriptor cannot be used, or NULL: its bitmaps and inode
 * table must lie inside its own blocks, past its superblock copy. */
static const char *check_group(uint32_t g)
{
    const struct ext2_group_desc *gd = &fs.groups[g];
    uint64_t first = fs_group_first(g), end = first + fs_group_blocks(g);

    if (group_has_super(g))
        first += 1 + fs.gdt_blocks + fs.sb.s_reserved_gdt_blocks;
    if (gd->bg_block_bitmap < first || gd->bg_block_bitmap >= end ||
        gd->bg_inode_bitmap < first || gd->bg_inode_bitmap >= end ||
        gd->bg_inode_table < first || (uint64_t)gd->bg_inode_table + fs.itable_blocks > end)
        return "a group's bitmap or inode table lies outside the group";
    if (gd->bg_inode_table <= gd->bg_block_bitmap &&
        gd->bg_block_bitmap < gd->bg_inode_table + fs.itable_blocks)
        return "a group's block bitmap inside its inode table";
    if (gd->bg_inode_table <= gd->bg_inode_bitmap &&
        gd->bg_inode_bitmap < gd->bg_inode_table + fs.itable_blocks)
        return "a group's inode bitmap inside its inode table";
    if (gd->bg_block_bitmap == gd->bg_inode_bitmap)
        return "a group's two bitmaps in one block";
    if (gd->bg_free_blocks_count > fs_group_blocks(g) ||
        gd->bg_free_inodes_count > fs.sb.s_inodes_per_group ||
        gd->bg_used_dirs_count > fs.sb.s_inodes_per_group)
        return "a group's counts larger than the group";
    return NULL;
}

/* Read the descriptor table into fs.groups; why not, or NULL. */
static const char *read_groups(void)
{
    fs.groups = kcalloc(fs.ngroups, sizeof *fs.groups);
    if (fs.groups == NULL)
        return "out of memory";
    for (uint32_t i = 0; i < fs.gdt_blocks; i++) {
        struct buf *b = bread(GDT_BLOCK + i);
        if (b == NULL)
            return "cannot read the group descriptors";
        uint32_t n = fs.ngroups - i * DESCS_PER_BLOCK;
        if (n > DESCS_PER_BLOCK)
            n = DESCS_PER_BLOCK;
        memcpy(&fs.groups[i * DESCS_PER_BLOCK], b->data, n * sizeof *fs.groups);
        brelse(b);
    }
    for (uint32_t g = 0; g < fs.ngroups; g++) {
        const char *why = check_group(g);
        if (why != NULL)
            return why;
    }
    return NULL;
}

/* Read and check the superblock and the descriptor table into fs; why
 * not, or NULL. */
static const char *read_super(void)
{
    struct buf *b = bread(SB_BLOCK);
    if (b == NULL)
        return "cannot read the superblock";
    memcpy(&fs.sb, b->data, sizeof fs.sb);
    brelse(b);
    const char *why = check_super(&fs.sb);
    if (why != NULL)
        return why;
    fs.ngroups = (fs.sb.s_blocks_count - fs.sb.s_first_data_block + fs.sb.s_blocks_per_group - 1) /
                 fs.sb.s_blocks_per_group;
    fs.gdt_blocks = (fs.ngroups * sizeof(struct ext2_group_desc) + FS_BLOCK_SIZE - 1) / FS_BLOCK_SIZE;
    fs.inode_size = fs.sb.s_inode_size;
    fs.itable_blocks = fs.sb.s_inodes_per_group * fs.inode_size / FS_BLOCK_SIZE;
    kfree(fs.groups);
    fs.groups = NULL;
    return read_groups();
}

#if LAB >= 9
/* Lab 9: start the journal, if the file system has one (recovering what
 * the log holds); a journal that cannot be used leaves it read-only. Why
 * the file system cannot be mounted at all, or NULL. */
static const char *start_journal(void)
{
    bool replayed;

    if (!(fs.sb.s_feature_compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL))
        return NULL;
    const char *why = journal_mount(&replayed);
    if (why != NULL) {
        kprintf("fs: journal: %s: mounted read-only\n", why);
        journal.read_only = true;
        return NULL;
    }
    return replayed ? read_super() : NULL;     /* the log may have changed them */
}
#endif

/* Why the disk's file system cannot be mounted, or NULL once it is. */
static const char *mount(void)
{
    if (!disk_present())
        return "no disk";
    bcache_init();
    const char *why = read_super();
    if (why != NULL)
        return why;
    mounted = true;                  /* iget needs it */
#if LAB >= 9
    if ((why = start_journal()) != NULL) {
        mounted = false;
        return why;
    }
#endif
    struct buf *b;
    struct inode *root = fs_root();  /* kept: fs_root never meets a full inode table */
    bool dir = root && (root->d.i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR && root->d.i_links_count > 0;
    if (!dir) {
        if (root)
            iput(root);
        mounted = false;
        return "the root is not a directory";
    }
#if LAB >= 9
    if (journal.read_only)
        return NULL;
#endif
    if ((b = bread(SB_BLOCK)) != NULL) {          /* reaches the disk at the next sync */
        struct ext2_super *sb = (struct ext2_super *)b->data;
        sb->s_mtime = fs_now();
        sb->s_mnt_count++;
        bdirty(b);
        brelse(b);
    }
    return NULL;
}

/* Boot step, after the disk's probe. */
static void fs_mount(void)
{
    mutex_init(&fs_lock, "fs");
    const char *why = mount();
    if (why != NULL) {
        kprintf("fs: not mounted: %s\n", why);
        kfree(fs.groups);
        fs.groups = NULL;
        return;
    }
    kprintf("fs: ext2 mounted, %u blocks (%u free), %u inodes (%u free)\n", fs.sb.s_blocks_count,
            fs.sb.s_free_blocks_count, fs.sb.s_inodes_count, fs.sb.s_free_inodes_count);
#if LAB >= 9
    if (journal.active)
        kprintf("fs: journal of %u blocks, transaction %u%s\n", journal.maxlen, journal.tid,
                journal.no_checkpoint ? " (nocheckpoint)" : "");
#endif
}
KINIT(70, fs_mount);
