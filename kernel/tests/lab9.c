/* lab9.c - Lab 9's in-kernel test and benchmark.
 *
 * test=journal_tx: exercise 1 on its own (the running transaction, with
 * commit and checkpoint still stubs or not): which buffers an operation
 * puts in it, and when journal_op_begin commits.
 *
 * The benchmark: what the journal costs. A 16 MiB file is written
 * sequentially and synced twice in one boot: journaled (every block goes
 * to the log, then home at the checkpoint) and with the journal set aside
 * (Lab 8's write-back: home only). The bar: at most 2.5 times. */
#include <stddef.h>

#include "bench.h"
#include "console.h"
#include "errno.h"
#include "fs.h"
#include "journal.h"
#include "kmalloc.h"
#include "ktest.h"
#include "string.h"
#include "x86.h"

#define JBENCH_BYTES (16u << 20)

/* Cycles per KiB to write the file at path whole, FS_WRITE_CHUNK bytes per
 * operation, then sync (journaled: commit, then checkpoint, so that both
 * runs end with everything home); -1 if a step failed. */
static int64_t write_pass(const char *path, const uint8_t *chunk)
{
    struct inode *ip;
    long n = 0;

    fs_begin();
    int err = fs_create(NULL, path, EXT2_S_IFREG | 0644, true, &ip);
    fs_end();
    if (err)
        return -1;
    uint64_t t = rdtsc();
    for (uint64_t off = 0; off < JBENCH_BYTES && n >= 0; off += FS_WRITE_CHUNK) {
        fs_begin();
        n = inode_write(ip, false, (uint64_t)chunk, off, FS_WRITE_CHUNK);
        fs_end();
        if (n != FS_WRITE_CHUNK)
            n = -1;
    }
    fs_begin();
    if (n >= 0 && fs_sync() != 0)
        n = -1;
    if (n >= 0 && journal.active && journal_checkpoint() != 0)
        n = -1;
    uint64_t cycles = rdtsc() - t;
    iput(ip);
    fs_unlink(NULL, path);
    fs_sync();
    fs_end();
    return n < 0 ? -1 : (int64_t)(cycles / (JBENCH_BYTES >> 10));
}

KBENCH(journal)
{
    if (!fs_mounted() || !journal.active) {
        kprintf("bench: no journaled file system mounted: no Lab 9 rows\n");
        return;
    }
    uint8_t *chunk = kmalloc(FS_WRITE_CHUNK);
    if (chunk == NULL)
        return;
    for (uint32_t i = 0; i < FS_WRITE_CHUNK; i++)
        chunk[i] = (uint8_t)(i * 7 + 3);
    int64_t journaled = write_pass("/bench-journaled", chunk);

    /* The journal set aside: nothing is running or pinned after a commit
     * and a checkpoint, and bdirty logs nothing while it is inactive. */
    fs_begin();
    bool ready = journal_commit() == 0 && journal_checkpoint() == 0;
    journal.active = !ready;
    fs_end();
    int64_t plain = ready ? write_pass("/bench-plain", chunk) : -1;
    fs_begin();
    journal.active = true;
    fs_end();
    if (journaled >= 0 && plain >= 0)
        bench_row("journaled fs write 16 MiB, per KiB", (uint64_t)journaled,
                  "journal off (Lab 8), per KiB", (uint64_t)plain);
    else
        kprintf("bench: the journal's write pass failed\n");
    kfree(chunk);
}

/* ---- test=journal_tx: exercise 1 alone ---------------------------------------- */

#define TX_TEST_OPS 8                /* operations of JOURNAL_OP_BLOCKS blocks each */
#define TX_TEST_BLOCKS (2 + TX_TEST_OPS * JOURNAL_OP_BLOCKS)

/* Is disk block blockno one of the journal's own? The test must not log
 * those: the log is written around the cache, so its cached copy is old. */
static bool in_journal(uint32_t blockno)
{
    for (uint32_t i = 0; i < journal.maxlen; i++)
        if (journal.map[i] == blockno)
            return true;
    return false;
}

/* The first block of TX_TEST_BLOCKS in a row, none of them the journal's. */
static uint32_t tx_test_window(void)
{
    uint32_t base = fs.sb.s_first_data_block + 1;

    for (uint32_t i = 0; i < TX_TEST_BLOCKS; i++) {
        if (base + i >= fs.sb.s_blocks_count)
            ktest_fail("journal: the disk has no %u blocks in a row outside the journal",
                       TX_TEST_BLOCKS);
        if (in_journal(base + i)) {
            base += i + 1;
            i = (uint32_t)-1;        /* start again after it */
        }
    }
    return base;
}

/* Mark block blockno changed, times times, its content as it was: logging
 * it is harmless whatever is done with it later. Called in fs_begin ..
 * fs_end (ended before a failure: the power-off syncs under fs_lock). */
static struct buf *touch(uint32_t blockno, int times)
{
    struct buf *b = bread(blockno);

    if (b == NULL) {
        fs_end();
        ktest_fail("journal: cannot read block %u", blockno);
    }
    for (int i = 0; i < times; i++)
        bdirty(b);
    brelse(b);
    return b;
}

/* Run with fs_lock held from start to end (one long fs_begin .. fs_end,
 * the operations split by fs_op_split): the commit thread cannot commit
 * in between, so every commit seen is journal_op_begin's. */
KTEST(journal_tx, "")
{
    if (!fs_mounted() || !journal.active)
        ktest_fail("journal: no journaled file system mounted");
    uint32_t base = tx_test_window();

    fs_begin();
    journal_commit();                /* an empty transaction to start from */
    uint32_t before;

    /* One operation: block base changed twice, base + 1 once. */
    fs_op_split();
    before = journal.nlogged;
    struct buf *a = touch(base, 2), *b = touch(base + 1, 1);
    bool once = journal.nlogged == before + 2 && journal.logged[before] == a &&
                journal.logged[before + 1] == b && a->journaled && b->journaled;
    bool pinned = a->refs == 1 && b->refs == 1;
    kprintf("journal: an operation's blocks in the transaction once each: %s\n",
            once ? "yes" : "no");
    kprintf("journal: in the transaction, pinned in the cache: %s\n", pinned ? "yes" : "no");

    /* The journal off: bdirty logs nothing. */
    journal.active = false;
    before = journal.nlogged;
    touch(base + 1, 1);
    touch(base + 2, 1);
    journal.active = true;
    kprintf("journal: nothing logged with the journal off: %s\n",
            journal.nlogged == before ? "yes" : "no");

    /* Operations of JOURNAL_OP_BLOCKS new blocks each: op_begin commits
     * exactly when one more might not fit the transaction or the log. */
    bool commits_right = true;
    uint32_t commits = 0;
    for (uint32_t op = 0; op < TX_TEST_OPS; op++) {
        before = journal.nlogged;
        bool must = before + JOURNAL_OP_BLOCKS > journal.tx_max ||
                    journal_log_blocks(before + JOURNAL_OP_BLOCKS) > journal_room();
        fs_op_split();
        if (journal.nlogged != (must ? 0 : before)) {
            kprintf("journal: %u blocks logged, room for %u more: %s\n", before,
                    journal.tx_max - before, must ? "no commit" : "a commit too soon");
            commits_right = false;
        }
        commits += must;
        for (uint32_t i = 0; i < JOURNAL_OP_BLOCKS; i++)
            touch(base + 2 + op * JOURNAL_OP_BLOCKS + i, 1);
    }
    kprintf("journal: a commit before an operation that might not fit, never sooner: %s\n",
            commits_right && commits > 0 ? "yes" : "no");
    fs_end();
}
