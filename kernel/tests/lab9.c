/* lab9.c - Lab 9's in-kernel test and benchmark.
 *
 * test=journal_tx sizes=A.B...: exercise 1 on its own (the running
 * transaction, with commit and checkpoint still stubs or not): which
 * buffers an operation puts in it, and when journal_op_begin commits.
 *
 * The benchmark: what the journal costs. A 16 MiB file is written
 * sequentially and synced twice in one boot: journaled (every block goes
 * to the log, then home at the checkpoint) and with the journal set aside
 * (Lab 8's write-back: home only). The bar: at most 2.5 times. */
#include <stddef.h>

#include "bench.h"
#include "cmdline.h"
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

#define TX_TEST_OPS_MAX 16           /* operations of sizes=A.B.C... */
#define TX_TEST_BLOCKS (3 + TX_TEST_OPS_MAX * JOURNAL_OP_BLOCKS)

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
            ktest_fail("journal_tx: the disk has no %u blocks in a row outside the journal",
                       TX_TEST_BLOCKS);
        if (in_journal(base + i)) {
            base += i + 1;
            i = (uint32_t)-1;        /* start again after it */
        }
    }
    return base;
}

/* sizes=A.B.C...: how many blocks each operation changes (1 ..
 * JOURNAL_OP_BLOCKS), at most TX_TEST_OPS_MAX of them. Their count. */
static int tx_test_sizes(uint32_t *sizes)
{
    const char *p = cmdline_get("sizes");
    int n = 0;

    while (p != NULL && *p != '\0' && n < TX_TEST_OPS_MAX) {
        uint32_t v = 0;
        while (*p >= '0' && *p <= '9' && v <= JOURNAL_OP_BLOCKS)
            v = v * 10 + (uint32_t)(*p++ - '0');
        if (v == 0 || v > JOURNAL_OP_BLOCKS || (*p != '.' && *p != '\0'))
            break;
        sizes[n++] = v;
        if (*p == '.')
            p++;
    }
    if (n == 0 || (p != NULL && *p != '\0'))
        ktest_fail("journal_tx: sizes=A.B...: up to %d operations of 1..%d blocks each",
                   TX_TEST_OPS_MAX, JOURNAL_OP_BLOCKS);
    return n;
}

/* The buffer of block blockno, read (its content as it was); with times >
 * 0, marked changed that many times: logging it is harmless whatever is
 * done with it later. Released; the pointer is for comparing only. Called
 * in fs_begin .. fs_end, which a failure ends first (for the power-off). */
static struct buf *touch(uint32_t blockno, int times, bool log_directly)
{
    struct buf *b = bread(blockno);

    if (b == NULL) {
        fs_end();
        ktest_fail("journal_tx: cannot read block %u", blockno);
    }
    for (int i = 0; i < times; i++)
        bdirty(b);
    if (log_directly)
        journal_log(b);
    brelse(b);
    return b;
}

/* Run with fs_lock held from start to end (one long fs_begin .. fs_end,
 * the operations split by fs_op_split): the commit thread cannot commit
 * in between, so every commit seen is journal_op_begin's. On a fresh
 * disk the log has room for every transaction here: only tx_max decides.
 * The grader computes every number it prints from sizes= and tx_max. */
KTEST(journal_tx, "sizes")
{
    uint32_t sizes[TX_TEST_OPS_MAX];
    int nops = tx_test_sizes(sizes);

    if (!fs_mounted() || !journal.active)
        ktest_fail("journal_tx: no journaled file system mounted");
    uint32_t base = tx_test_window();

    fs_begin();
    journal_commit();                /* an empty transaction to start from */
    kprintf("journal_tx: tx_max %u\n", journal.tx_max);

    /* One operation: block base changed twice, base + 1 once. */
    fs_op_split();
    uint32_t before = journal.nlogged;
    struct buf *a = touch(base, 2, false), *b = touch(base + 1, 1, false);
    bool in_order = journal.nlogged == before + 2 && journal.logged[before] == a &&
                    journal.logged[before + 1] == b && a->journaled && b->journaled;
    kprintf("journal_tx: a block changed twice and one once: %u logged, in order %s, "
            "references %d and %d\n", journal.nlogged - before, in_order ? "yes" : "no",
            a->refs, b->refs);

    /* The journal off (as during recovery): journal_log logs nothing. */
    journal.active = false;
    before = journal.nlogged;
    touch(base + 2, 0, true);
    journal.active = true;
    kprintf("journal_tx: the journal off: journal_log logged %u\n", journal.nlogged - before);

    /* Operations of sizes[op] new blocks each. */
    for (int op = 0; op < nops; op++) {
        before = journal.nlogged;
        fs_op_split();
        uint32_t after = journal.nlogged;
        for (uint32_t i = 0; i < sizes[op]; i++)
            touch(base + 3 + (uint32_t)op * JOURNAL_OP_BLOCKS + i, 1, false);
        kprintf("journal_tx: operation %d: %u logged before journal_op_begin, %u after it, "
                "%u after its %u blocks\n", op, before, after, journal.nlogged, sizes[op]);
    }
    fs_end();
}
