/* lab9.c - Lab 9's benchmark: what the journal costs. A 16 MiB file is
 * written sequentially and synced twice in one boot: journaled (every
 * block goes to the log, then home at the checkpoint) and with the
 * journal set aside (Lab 8's write-back: home only). The bar:
 * at most 2.5 times. */
#include <stddef.h>

#include "bench.h"
#include "console.h"
#include "errno.h"
#include "fs.h"
#include "journal.h"
#include "kmalloc.h"
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
