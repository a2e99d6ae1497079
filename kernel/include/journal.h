/* journal.h - Lab 9: crash consistency. The file system's changes go
 * through ext3's journal (JBD2's format, jbd2.h) before they reach their
 * home blocks, so that QEMU killed at any moment leaves a disk the next
 * mount repairs by itself. Full data journaling: every block an operation
 * dirties, file data included, is logged.
 *
 * The life of a block (handout §2):
 *   bdirty ─> journal_log: in the running transaction, pinned in the cache
 *   journal_commit: descriptor + copies + commit block in the log; the
 *                   buffer stays dirty, unpinned: it may go home any time
 *   journal_checkpoint: everything home (bsync), the log's tail moves up
 *   journal_recover (mount): committed transactions copied home again
 *
 * Given (journal.c): the journal's superblock, its block map, mount and
 * clean unmount, the commit thread, the log's block I/O. Exercises:
 *   1. journal_log, journal_op_begin, journal_op_end (transaction.c, §3.1)
 *   2. journal_commit                                  (transaction.c, §3.2)
 *   3. journal_checkpoint                              (transaction.c, §3.3)
 *   4. journal_recover                                 (recovery.c,    §3.4)
 *
 * Locking: fs_lock (fs.h) serializes every operation, and everything here
 * runs under it: fs_begin calls journal_op_begin, fs_end journal_op_end.
 * Only one operation is ever between the two, so a transaction holds
 * whole operations only. */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bcache.h"
#include "jbd2.h"
#include "tunables.h"                /* JOURNAL_OP_BLOCKS, JOURNAL_TX_BLOCKS */

/* Tags in one descriptor block: after its header, one 16-byte UUID (after
 * the first tag) and 8 bytes a tag. */
#define JOURNAL_TAGS_PER_DESC \
    ((FS_BLOCK_SIZE - sizeof(struct jbd2_header) - JBD2_UUID_SIZE) / sizeof(struct jbd2_tag))

/* The journal, as mounted. Blocks of the log are numbered as in the
 * journal file: 0 is its superblock, the ring is first .. maxlen - 1. */
struct journal {
    bool active;                     /* journaling: bdirty logs every block */
    bool read_only;                  /* the journal could not be used: nothing is written */
    bool no_checkpoint;              /* journal=nocheckpoint: the log only (graders, §5) */
    uint32_t maxlen, first;          /* the ring: blocks first .. maxlen - 1 */
    uint32_t *map;                   /* journal block -> disk block, maxlen of them */
    uint8_t uuid[JBD2_UUID_SIZE];    /* the journal's (after each descriptor's first tag) */
    uint32_t tx_max;                 /* blocks a transaction may log (JOURNAL_TX_BLOCKS or fewer) */

    /* The log: transactions tail .. head - 1 (ring order) are committed
     * and may not all be home yet; the superblock says tail and tail_tid. */
    uint32_t tail, tail_tid;
    uint32_t head;                   /* where the next commit writes */
    uint32_t tid;                    /* the running transaction's id */

    /* The running transaction: the buffers it logged, each pinned (one
     * more reference, so the cache never writes it home or recycles it)
     * and marked b->journaled. */
    struct buf *logged[JOURNAL_TX_BLOCKS];
    uint32_t nlogged;

    /* no_checkpoint: committed buffers stay pinned here (never home),
     * each once (b->held). */
    struct buf **held;
    uint32_t nheld;
};
extern struct journal journal;

/* ---- given (journal.c) ---- */

/* Mount time, from ext2.c's mount, with the superblock and the group
 * descriptors read, no operation running: load the journal of inode
 * fs.sb.s_journal_inum; if the superblock says recovery is needed, recover
 * (*replayed: the caller reads the superblock and descriptors again); then
 * start journaling. NULL, or why the journal cannot be used: a damaged
 * journal superblock or map, a format this kernel does not write, a
 * journal too small for one operation, a damaged log. The caller then
 * mounts read-only (journal.read_only). Never panics on what it reads. */
const char *journal_mount(bool *replayed);

/* Clean unmount (the power-off's hook): commit, checkpoint, mark the log
 * empty and the file system as needing no recovery, as ext3 does. With
 * journal=nocheckpoint: commit only (the log is left for recovery). */
int journal_unmount(void);

/* Blocks of the log that n logged blocks take: descriptors, the copies,
 * the commit block. */
uint32_t journal_log_blocks(uint32_t n);

/* Blocks of the ring free for the next commit (head up to tail). */
uint32_t journal_room(void);

/* The ring's block after jblock (wrapping from maxlen - 1 to first). */
uint32_t journal_next(uint32_t jblock);

/* Put data (FS_BLOCK_SIZE bytes) in journal block jblock. Consecutive
 * calls for consecutive disk blocks are gathered into one disk request,
 * sent when the run breaks or fills, or by journal_write_end. 0 or -EIO
 * (a failure of an earlier request of the run). */
int journal_write(uint32_t jblock, const void *data);

/* Send what journal_write gathered, and wait for it. 0 or -EIO. */
int journal_write_end(void);

/* Read journal block jblock into data (FS_BLOCK_SIZE bytes). 0 or -EIO. */
int journal_read(uint32_t jblock, void *data);

/* Write the journal's superblock: the log starts at start (0: empty) with
 * transaction tid; then flush the disk's cache. 0 or -EIO. */
int journal_write_super(uint32_t start, uint32_t tid);

/* The running transaction is over: committed (journal_commit's end), or
 * not (exercise 2's stub: Lab 8's bsync then writes its blocks home). Its
 * buffers leave it, still dirty, unpinned -- but with journal=nocheckpoint
 * a committed one stays pinned in journal.held (once). nlogged is 0. */
void journal_end_running(bool committed);

/* bcache.c's bdirty, Lab 9: the block goes into the running transaction. */
static inline bool journal_logs(void)
{
    return journal.active;
}

/* ---- exercise 1 (transaction.c): the running transaction, handout §3.1 ---- */

/* b (locked by the caller, valid) was changed: make it part of the running
 * transaction, once: pinned (bpin), marked b->journaled, appended to
 * journal.logged. Not journaling (journal.active false: no journal,
 * read-only, during recovery): nothing.
 * An operation logs at most JOURNAL_OP_BLOCKS blocks (ASSERT), so the
 * transaction always has room (journal_op_begin made it). */
void journal_log(struct buf *b);

/* Before an operation (fs_begin, fs_lock held): make sure it fits. If the
 * running transaction could outgrow journal.tx_max with one more
 * operation's JOURNAL_OP_BLOCKS, or the log's room could not take it,
 * commit first, and never sooner; then, with nothing running, checkpoint
 * if the room left is less than a whole transaction's, or (no_checkpoint)
 * if the held buffers and one more transaction would pass half the cache.
 * With no_checkpoint that checkpoint prints the line "journal:
 * nocheckpoint: the cache is full of committed blocks: checkpoint". A
 * failing disk is not handled here: the commit's and the checkpoint's
 * -EIO are dropped, and a transaction that cannot be committed grows
 * until an ASSERT stops the kernel (handout §6: what ext3 does instead). */
void journal_op_begin(void);

/* After an operation (fs_end, fs_lock held). Nothing to do in this
 * design (the commit thread commits at least every JOURNAL_COMMIT_MS);
 * the place for group-commit policies (handout §6). */
void journal_op_end(void);

/* ---- exercise 2 (transaction.c): commit, handout §3.2 ---- */

/* Write the running transaction to the log at journal.head: descriptor
 * blocks (tags in journal.logged's order: home block number, flags ESCAPE
 * for a block that starts with JBD2_MAGIC, whose copy has it zeroed,
 * SAME_UUID but on the first, LAST_TAG on the last), the copies, then --
 * only once they are on the disk (journal_write_end, disk_flush) -- the
 * commit block, flushed too. Then the transaction is over: head and tid
 * move on, every buffer is unpinned (no_checkpoint: moved to
 * journal.held), still dirty: it may go home now. An empty transaction
 * writes nothing. 0 or -EIO. When it returns 0, a crash any time later
 * leaves the transaction on the disk, whole. */
int journal_commit(void);

/* ---- exercise 3 (transaction.c): checkpoint, handout §3.3 ---- */

/* With no running transaction (ASSERT): every committed block home
 * (bsync: it writes every dirty buffer and flushes the disk's cache),
 * then the log is empty: tail = head, tail_tid = tid, said in the
 * journal's superblock. With no_checkpoint, the held buffers are
 * unpinned first. 0 or -EIO (the tail stays where it was). */
int journal_checkpoint(void);

/* ---- exercise 4 (recovery.c): recovery, handout §3.4 ---- */

/* At mount (journal.active false; journal.tail, tail_tid from the
 * superblock, tail != 0): find the committed transactions from tail on --
 * each a run of descriptor blocks with their copies, all with its tid,
 * closed by its commit block; tids count up from tail_tid; the first
 * block that is not the next one expected ends the log -- then copy each
 * transaction's blocks home, in order (ESCAPE: put the magic back), through
 * the cache (bread_zero + bwrite), and bsync. A transaction without its
 * commit block is not applied. Sets journal.tid to tail_tid plus the
 * number replayed (the mount starts the new log one past it, so a stale
 * uncommitted transaction is never read as part of the new log).
 * Returns the number of transactions replayed, -EIO, or -EUCLEAN (with a
 * line saying why, nothing replayed) for a log that cannot be right: a
 * tag naming a block outside the file system, a descriptor running past
 * the ring. Running it again on the same disk gives the same result. */
int journal_recover(void);

#endif
