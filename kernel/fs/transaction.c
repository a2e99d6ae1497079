/* transaction.c - the running transaction, its commit to the log, and the
 * checkpoint that lets the log's space be used again. Lab 9, exercises
 * 1-3 (handout §3.1-§3.3). Contracts: journal.h. Everything runs under
 * fs_lock: one thread at a time. */
#include <stddef.h>

#include "journal.h"
#include "console.h"
#include "disk.h"
#include "errno.h"
#include "fs.h"
#include "panic.h"
#include "string.h"

static uint32_t op_start;            /* journal.nlogged when the operation began */

/* ---- exercise 1: the running transaction ---- */

void journal_log(struct buf *b)
{
    ASSERT(b->refs > 0 && b->valid);
#if SOL >= 9
    if (!journal.active || b->journaled)
        return;
    ASSERT(journal.nlogged - op_start < JOURNAL_OP_BLOCKS);
    ASSERT(journal.nlogged < JOURNAL_TX_BLOCKS);
    bpin(b);
    b->journaled = true;
    journal.logged[journal.nlogged++] = b;
#else
    /* LAB 9, exercise 1: put b in the running transaction once, pinned
     * (handout §3.1) */
    (void)op_start;
#endif
}

void journal_op_begin(void)
{
#if SOL >= 9
    if (!journal.active)
        return;
    uint32_t want = journal.nlogged + JOURNAL_OP_BLOCKS;
    if (want > journal.tx_max || journal_log_blocks(want) > journal_room())
        journal_commit();
    bool hold_full = journal.no_checkpoint && journal.nheld + journal.tx_max > BCACHE_BUFS / 2;
    if (journal.nlogged == 0 &&
        (journal_log_blocks(journal.tx_max) > journal_room() || hold_full)) {
        if (hold_full)
            kprintf("journal: nocheckpoint: the cache is full of committed blocks: checkpoint\n");
        journal_checkpoint();
    }
    op_start = journal.nlogged;
#else
    /* LAB 9, exercise 1: room for one more operation in the transaction
     * and in the log, committing or checkpointing as needed (handout §3.1) */
#endif
}

void journal_op_end(void)
{
}

/* ---- exercise 2: commit ---- */

#if SOL >= 9
/* Descriptor block desc for logged[from .. from + n - 1]; set the ESCAPE
 * flag of a block that starts with the magic (its copy is zeroed there). */
static void fill_descriptor(uint8_t *desc, uint32_t from, uint32_t n)
{
    struct jbd2_header *h = (struct jbd2_header *)desc;
    uint8_t *p = desc + sizeof *h;

    memset(desc, 0, FS_BLOCK_SIZE);
    h->h_magic = be32(JBD2_MAGIC);
    h->h_blocktype = be32(JBD2_DESCRIPTOR_BLOCK);
    h->h_sequence = be32(journal.tid);
    for (uint32_t i = 0; i < n; i++) {
        struct buf *b = journal.logged[from + i];
        struct jbd2_tag tag = {be32(b->blockno), 0, 0};
        uint16_t flags = i > 0 ? JBD2_FLAG_SAME_UUID : 0;
        if (be32(*(uint32_t *)b->data) == JBD2_MAGIC)
            flags |= JBD2_FLAG_ESCAPE;
        if (i == n - 1)
            flags |= JBD2_FLAG_LAST_TAG;
        tag.t_flags = be16(flags);
        memcpy(p, &tag, sizeof tag);
        p += sizeof tag;
        if (i == 0) {
            memcpy(p, journal.uuid, JBD2_UUID_SIZE);
            p += JBD2_UUID_SIZE;
        }
    }
}
#endif

int journal_commit(void)
{
#if SOL >= 9
    static uint8_t block[FS_BLOCK_SIZE];
    uint32_t pos = journal.head;
    int err = 0;

    if (!journal.active || journal.nlogged == 0)
        return 0;
    ASSERT(journal_log_blocks(journal.nlogged) <= journal_room());
    for (uint32_t from = 0; from < journal.nlogged && !err; from += JOURNAL_TAGS_PER_DESC) {
        uint32_t n = journal.nlogged - from;
        if (n > JOURNAL_TAGS_PER_DESC)
            n = JOURNAL_TAGS_PER_DESC;
        fill_descriptor(block, from, n);
        err = journal_write(pos, block);
        pos = journal_next(pos);
        for (uint32_t i = 0; i < n && !err; i++) {
            struct buf *b = journal.logged[from + i];
            mutex_lock(&b->lock);
            memcpy(block, b->data, FS_BLOCK_SIZE);
            mutex_unlock(&b->lock);
            if (be32(*(uint32_t *)block) == JBD2_MAGIC)
                memset(block, 0, sizeof(uint32_t));     /* escaped: the tag says so */
            err = journal_write(pos, block);
            pos = journal_next(pos);
        }
    }
    /* Only once every block before it is on the disk may the commit block
     * be: a crash between the two must find no commit block. */
    if (journal_write_end() || err || disk_flush())
        return -EIO;
    struct jbd2_commit *c = (struct jbd2_commit *)block;
    memset(block, 0, sizeof block);
    c->c_header.h_magic = be32(JBD2_MAGIC);
    c->c_header.h_blocktype = be32(JBD2_COMMIT_BLOCK);
    c->c_header.h_sequence = be32(journal.tid);
    c->h_commit_sec = be64(fs_now());
    if (journal_write(pos, block) || journal_write_end() || disk_flush())
        return -EIO;
    journal_end_running(true);          /* on the disk, whole: it may go home now */
    journal.head = journal_next(pos);
    journal.tid++;
    return 0;
#else
    /* LAB 9, exercise 2: the running transaction into the log at head,
     * its commit block written only once all else of it is on the disk
     * (handout §3.2). Until it is done: Lab 8's write-back, unlogged. */
    journal_end_running(false);
    return bsync();
#endif
}

/* ---- exercise 3: checkpoint ---- */

int journal_checkpoint(void)
{
    ASSERT(journal.nlogged == 0);
#if SOL >= 9
    for (uint32_t i = 0; i < journal.nheld; i++) {
        journal.held[i]->held = false;
        bunpin(journal.held[i]);
    }
    journal.nheld = 0;
    if (bsync() != 0)
        return -EIO;
    if (journal_write_super(journal.head, journal.tid) != 0)
        return -EIO;
    journal.tail = journal.head;
    journal.tail_tid = journal.tid;
    return 0;
#else
    /* LAB 9, exercise 3: every committed block home, and the log's tail
     * at its head, said in the journal's superblock (handout §3.3) */
    return 0;
#endif
}
