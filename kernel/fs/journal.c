/* journal.c - the journal's given parts, Lab 9: its superblock and block
 * map, mount (with recovery) and clean unmount, the log's block I/O, and
 * the thread that commits at least every JOURNAL_COMMIT_MS. The
 * transaction, commit and checkpoint are the exercises of transaction.c;
 * recovery is recovery.c's. Contracts: journal.h. */
#include <stddef.h>

#include "journal.h"
#include "cmdline.h"
#include "console.h"
#include "disk.h"
#include "errno.h"
#include "fs.h"
#include "kmalloc.h"
#include "panic.h"
#include "string.h"
#include "thread.h"

#define SB_BLOCK 1                   /* ext2's superblock (1 KiB blocks) */
#define SECTORS (FS_BLOCK_SIZE / SECTOR_SIZE)
#define STAGE_BLOCKS 64              /* blocks one request of the log writes (64 KiB: the driver's) */

_Static_assert(JOURNAL_TX_BLOCKS <= BCACHE_BUFS / 2,
               "a transaction's pinned buffers leave half the cache to the operations");
_Static_assert((FS_WRITE_CHUNK / FS_BLOCK_SIZE) + 16 <= JOURNAL_OP_BLOCKS,
               "a write's piece (data, indirect blocks, bitmaps, counts, inode) fits one operation");

CMDLINE_KEY(journal, "nocheckpoint");

struct journal journal;
static struct jbd2_super jsb;        /* the journal's superblock, as last written */

/* ---- the ring ---------------------------------------------------------------- */

uint32_t journal_next(uint32_t jblock)
{
    return jblock + 1 < journal.maxlen ? jblock + 1 : journal.first;
}

uint32_t journal_room(void)
{
    uint32_t ring = journal.maxlen - journal.first;
    uint32_t used = (journal.head + ring - journal.tail) % ring;

    return ring - used - 1;          /* one short: a full ring would look empty */
}

uint32_t journal_log_blocks(uint32_t n)
{
    return (n + JOURNAL_TAGS_PER_DESC - 1) / JOURNAL_TAGS_PER_DESC + n + 1;
}

/* ---- the running transaction's end ------------------------------------------- */

void journal_end_running(bool committed)
{
    for (uint32_t i = 0; i < journal.nlogged; i++) {
        struct buf *b = journal.logged[i];
        b->journaled = false;
        if (committed && journal.no_checkpoint && !b->held) {
            b->held = true;                       /* stays pinned: never home */
            journal.held[journal.nheld++] = b;
        } else {
            bunpin(b);
        }
    }
    journal.nlogged = 0;
}

/* ---- the log's block I/O: runs of consecutive disk blocks in one request ----- */

static uint8_t *stage;               /* STAGE_BLOCKS blocks gathered by journal_write */
static uint32_t stage_disk;          /* the disk block of stage's first */
static uint32_t stage_n;             /* blocks gathered */
static int stage_err;                /* a request of the run failed */

int journal_write_end(void)
{
    int err = stage_err;

    if (stage_n > 0 && disk_write((uint64_t)stage_disk * SECTORS, stage, stage_n * SECTORS) != 0)
        err = -EIO;
    stage_n = 0;
    stage_err = 0;
    return err;
}

int journal_write(uint32_t jblock, const void *data)
{
    ASSERT(jblock >= journal.first && jblock < journal.maxlen);
    uint32_t where = journal.map[jblock];

    if (stage_n == STAGE_BLOCKS || (stage_n > 0 && where != stage_disk + stage_n))
        stage_err = journal_write_end();
    if (stage_n == 0)
        stage_disk = where;
    memcpy(stage + (size_t)stage_n++ * FS_BLOCK_SIZE, data, FS_BLOCK_SIZE);
    return stage_err;
}

int journal_read(uint32_t jblock, void *data)
{
    ASSERT(jblock < journal.maxlen);
    return disk_read((uint64_t)journal.map[jblock] * SECTORS, data, SECTORS) ? -EIO : 0;
}

int journal_write_super(uint32_t start, uint32_t tid)
{
    jsb.s_start = be32(start);
    jsb.s_sequence = be32(tid);
    if (disk_write((uint64_t)journal.map[0] * SECTORS, &jsb, SECTORS) != 0 || disk_flush() != 0)
        return -EIO;
    return 0;
}

/* ---- loading: the map and the superblock, every number checked -------------- */

/* journal.map from the journal inode's blocks; why not, or NULL. */
static const char *load_map(uint32_t *nblocks)
{
    int err;
    struct inode *ip = iget(fs.sb.s_journal_inum, &err);
    const char *why = NULL;

    if (ip == NULL)
        return "cannot read the journal's inode";
    uint64_t size = inode_size(ip);
    *nblocks = (uint32_t)(size / FS_BLOCK_SIZE);
    if ((ip->d.i_mode & EXT2_S_IFMT) != EXT2_S_IFREG || ip->d.i_links_count == 0)
        why = "the journal's inode is not a file";
    else if (size % FS_BLOCK_SIZE || *nblocks < 2 || size > (64u << 20))
        why = "the journal file's size is not a number of blocks between 2 and 64 MiB";
    else if ((journal.map = kmalloc(*nblocks * sizeof *journal.map)) == NULL)
        why = "out of memory";
    for (uint32_t i = 0; why == NULL && i < *nblocks; i++) {
        long b = bmap(ip, i, false);
        if (b <= 0 || !fs_data_block_ok((uint32_t)b))
            why = "the journal file has a hole or a block outside the file system";
        else
            journal.map[i] = (uint32_t)b;
    }
    iput(ip);
    return why;
}

/* The journal's superblock, checked; why not usable, or NULL. */
static const char *load_super(uint32_t nblocks)
{
    if (disk_read((uint64_t)journal.map[0] * SECTORS, &jsb, SECTORS) != 0)
        return "cannot read the journal's superblock";
    uint32_t type = be32(jsb.s_header.h_blocktype);
    if (be32(jsb.s_header.h_magic) != JBD2_MAGIC ||
        (type != JBD2_SUPERBLOCK_V1 && type != JBD2_SUPERBLOCK_V2))
        return "the journal's superblock has a bad magic number";
    if (be32(jsb.s_blocksize) != FS_BLOCK_SIZE)
        return "the journal's block size is not 1024";
    journal.maxlen = be32(jsb.s_maxlen);
    journal.first = be32(jsb.s_first);
    journal.tail = be32(jsb.s_start);
    journal.tail_tid = be32(jsb.s_sequence);
    if (journal.maxlen < 2 || journal.maxlen > nblocks || journal.first == 0 ||
        journal.first >= journal.maxlen)
        return "the journal's size or first block does not fit its file";
    if (journal.tail != 0 && (journal.tail < journal.first || journal.tail >= journal.maxlen))
        return "the journal's start is outside it";
    if (type == JBD2_SUPERBLOCK_V2 && jsb.s_feature_incompat != 0)
        return "the journal uses features this kernel does not write (checksums, 64-bit)";
    memcpy(journal.uuid, jsb.s_uuid, sizeof journal.uuid);

    /* The largest transaction the ring holds, and at least one operation. */
    uint32_t ring = journal.maxlen - journal.first - 1;
    if (journal_log_blocks(JOURNAL_OP_BLOCKS) > ring)
        return "the journal is too small for one operation";
    journal.tx_max = JOURNAL_TX_BLOCKS;
    while (journal_log_blocks(journal.tx_max) > ring)
        journal.tx_max--;
    if (journal.no_checkpoint)       /* small ones: the cache keeps every committed block */
        journal.tx_max = JOURNAL_OP_BLOCKS;
    return NULL;
}

/* Set or clear needs_recovery in the superblock on the disk, now. */
static int set_needs_recovery(bool on)
{
    struct buf *b = bread(SB_BLOCK);
    int err = -EIO;

    if (b != NULL) {
        struct ext2_super *sb = (struct ext2_super *)b->data;
        if (on)
            sb->s_feature_incompat |= EXT3_FEATURE_INCOMPAT_RECOVER;
        else
            sb->s_feature_incompat &= ~EXT3_FEATURE_INCOMPAT_RECOVER;
        err = bwrite(b);
        brelse(b);
    }
    return err ? err : disk_flush() ? -EIO : 0;
}

/* ---- the commit thread --------------------------------------------------------- */

static int commit_thread(void *arg)
{
    (void)arg;
    for (;;) {
        thread_sleep(JOURNAL_COMMIT_MS);
        fs_begin();
        if (journal.active && journal.nlogged > 0) {
            int err = journal_commit();
            if (err)
                kprintf("journal: commit failed (%d)\n", err);
        }
        fs_end();
    }
    return 0;
}

/* ---- mount and unmount ----------------------------------------------------------- */

const char *journal_mount(bool *replayed)
{
    uint32_t nblocks;
    const char *why;

    *replayed = false;
    journal.no_checkpoint = cmdline_get("journal") && !strcmp(cmdline_get("journal"), "nocheckpoint");
    if ((why = load_map(&nblocks)) != NULL || (why = load_super(nblocks)) != NULL)
        return why;
    if ((stage = kmalloc(STAGE_BLOCKS * FS_BLOCK_SIZE)) == NULL ||
        (journal.no_checkpoint &&
         (journal.held = kcalloc(BCACHE_BUFS, sizeof *journal.held)) == NULL))
        return "out of memory";

    journal.tid = journal.tail_tid;
    if ((fs.sb.s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER) && journal.tail != 0) {
        int n = journal_recover();
        if (n < 0)
            return n == -EIO ? "the log cannot be read" : "the log is damaged";
        kprintf("journal: recovered %d transaction%s\n", n, n == 1 ? "" : "s");
        *replayed = n > 0;
    }
    /* An empty log from its first block, said before anything is logged:
     * a stale block left from before cannot have the tid expected. */
    journal.tail = journal.head = journal.first;
    journal.tid++;
    journal.tail_tid = journal.tid;
    if (journal_write_super(journal.tail, journal.tid) != 0 || set_needs_recovery(true) != 0)
        return "cannot write the journal's superblock";
    journal.active = true;
    if (thread_create(commit_thread, NULL, "kjournald") == NULL)
        kprintf("journal: no commit thread: commits on fsync, sync and when full only\n");
    return NULL;
}

int journal_unmount(void)
{
    if (!journal.active)
        return 0;
    int err = journal_commit();
    if (err || journal.no_checkpoint)
        return err;                  /* the log stays: the next mount recovers */
    if ((err = journal_checkpoint()) == 0 && (err = journal_write_super(0, journal.tid)) == 0)
        err = set_needs_recovery(false);
    journal.active = false;
    return err;
}
