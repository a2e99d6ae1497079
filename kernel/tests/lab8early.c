/* lab8early.c - in-kernel tests of Lab 8's exercises 2 and 3 on their own,
 * before path resolution (exercise 4) and inode_read/inode_write (exercise
 * 5) exist: they work on inodes the grader names by number (the image is
 * made on the host, so it knows them), and the grader judges what they
 * leave on the disk with debugfs and e2fsck after QEMU exits. Lab 8 (given).
 *
 *     test=fs_bmap ino=N lbns=A.B.C... holes=D.E... seed=S
 * maps each file block A, B, C ... of inode N (an empty regular file) with
 * bmap(alloc), fills the block it gets with fs_bmap_byte(lbn, i, S) through
 * the buffer cache, sets the size to the end of the last block and writes
 * the inode and the cache back. Prints
 *     fs_bmap: lbn L -> block B                 each, in the order given
 *     fs_bmap: again without alloc: same        (or "block X for lbn L")
 *     fs_bmap: holes: H H ...                   bmap(no alloc) of D, E ...: 0 each
 *     fs_bmap: past the largest file: R         bmap of the first block past it: -EFBIG
 *
 *     test=fs_dir ino=D target=T names=A.B.C... seed=S
 * adds to directory D the entries A, B, C ... all naming regular file T
 * (its link count raised to match), looks each up, removes every name k
 * for which bit k % 64 of S is set (K of them: the seed decides; the link
 * count lowered),
 * looks up all again, and adds K / 2 more called "rNNN"; then writes the
 * inodes and the cache back. Prints
 *     fs_dir: added N: 0 each                   or the first error
 *     fs_dir: lookups: N right
 *     fs_dir: adding A again: -17
 *     fs_dir: removed K: 0 each
 *     fs_dir: lookups after: M right            (found if kept, 0 if removed)
 *     fs_dir: removing a missing name: -2
 *     fs_dir: added K/2 more: 0 each, size before X after Y
 * Names are separated by '.' on the command line (a name holds no '.'). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bcache.h"
#include "cmdline.h"
#include "console.h"
#include "errno.h"
#include "fs.h"
#include "ktest.h"
#include "printf.h"
#include "string.h"

#define EARLY_MAX 64                 /* blocks or names one test handles */

/* Byte i of file block lbn in test=fs_bmap (the grader computes the same). */
static uint8_t fs_bmap_byte(uint32_t lbn, uint32_t i, uint32_t seed)
{
    return (uint8_t)(((lbn * 2654435761u) ^ (i * 40503u) ^ seed) >> 7);
}

/* Split list ("a.b.c") into at most max words in buf (cut in place):
 * their number. */
static int early_split(const char *list, char *buf, size_t size, char **words, int max)
{
    int n = 0;

    if (list == NULL)
        return 0;
    strlcpy(buf, list, size);
    for (char *p = buf; *p && n < max;) {
        words[n++] = p;
        while (*p && *p != '.')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

/* The numbers in list ("1.20.300"), at most max: their count. */
static int early_numbers(const char *key, uint32_t *out, int max)
{
    static char buf[CMDLINE_MAX_LEN];
    char *words[EARLY_MAX];
    int n = early_split(cmdline_get(key), buf, sizeof buf, words,
                        max < EARLY_MAX ? max : EARLY_MAX);

    for (int i = 0; i < n; i++) {
        uint32_t v = 0;
        for (const char *p = words[i]; *p >= '0' && *p <= '9'; p++)
            v = v * 10 + (uint32_t)(*p - '0');
        out[i] = v;
    }
    return n;
}

/* Inode key= with a reference, or the test fails. fs_begin held. */
static struct inode *early_inode(const char *test, const char *key)
{
    int64_t ino = cmdline_get_int(key, 0);
    int err;
    struct inode *ip = fs_mounted() && ino > 0 ? iget((uint32_t)ino, &err) : NULL;

    if (ip == NULL)
        ktest_fail("%s: no inode %s=%ld (is the file system mounted?)", test, key, ino);
    return ip;
}

KTEST(fs_bmap, "ino lbns holes seed")
{
    uint32_t lbns[EARLY_MAX], holes[EARLY_MAX], got[EARLY_MAX], end = 0;
    int n = early_numbers("lbns", lbns, EARLY_MAX);
    int nholes = early_numbers("holes", holes, EARLY_MAX);
    uint32_t seed = (uint32_t)cmdline_get_int("seed", 1);

    fs_begin();
    struct inode *ip = early_inode("fs_bmap", "ino");
    for (int k = 0; k < n; k++) {
        long b = bmap(ip, lbns[k], true);
        kprintf("fs_bmap: lbn %u -> block %ld\n", lbns[k], b);
        if (b <= 0)
            ktest_fail("fs_bmap: bmap(%u, alloc) gave %ld", lbns[k], b);
        got[k] = (uint32_t)b;
        struct buf *buf = bread(got[k]);
        if (buf == NULL)
            ktest_fail("fs_bmap: bread(%u) failed", got[k]);
        for (uint32_t i = 0; i < FS_BLOCK_SIZE; i++)
            buf->data[i] = fs_bmap_byte(lbns[k], i, seed);
        bdirty(buf);
        brelse(buf);
        if (lbns[k] + 1 > end)
            end = lbns[k] + 1;
    }
    const char *again = "same";
    static char why[80];
    for (int k = 0; k < n; k++) {
        long b = bmap(ip, lbns[k], false);
        if (b != got[k]) {
            ksnprintf(why, sizeof why, "block %ld for lbn %u", b, lbns[k]);
            again = why;
            break;
        }
    }
    kprintf("fs_bmap: again without alloc: %s\n", again);
    kprintf("fs_bmap: holes:");
    for (int k = 0; k < nholes; k++)
        kprintf(" %ld", bmap(ip, holes[k], false));
    kprintf("\n");
    const uint32_t nind = FS_BLOCK_SIZE / 4;     /* block numbers per indirect block */
    uint32_t past = EXT2_NDIR_BLOCKS + nind + nind * nind;
    kprintf("fs_bmap: past the largest file: %ld\n", bmap(ip, past, true));
    inode_set_size(ip, (uint64_t)end * FS_BLOCK_SIZE);
    int err = iupdate(ip);
    iput(ip);
    if (err == 0)
        err = fs_sync();
    fs_end();
    if (err != 0)
        ktest_fail("fs_bmap: writing back gave %d", err);
}

KTEST(fs_dir, "ino target names seed")
{
    static char buf[CMDLINE_MAX_LEN], extra[EARLY_MAX][8];
    char *names[EARLY_MAX];
    bool gone[EARLY_MAX];
    int n = early_split(cmdline_get("names"), buf, sizeof buf, names, EARLY_MAX);
    uint64_t seed = (uint64_t)cmdline_get_int("seed", 0);
    long err = 0, right = 0, removed = 0;

    fs_begin();
    struct inode *dp = early_inode("fs_dir", "ino"), *ip = early_inode("fs_dir", "target");
    for (int k = 0; k < n && err == 0; k++)
        if ((err = dir_add(dp, names[k], strlen(names[k]), ip->ino, EXT2_FT_REG_FILE)) == 0)
            ip->d.i_links_count++;
    kprintf("fs_dir: added %d: %ld%s\n", n, err, err ? "" : " each");
    for (int k = 0; k < n; k++)
        right += dir_lookup(dp, names[k], strlen(names[k])) == ip->ino;
    kprintf("fs_dir: lookups: %ld right\n", right);
    if (n > 0)
        kprintf("fs_dir: adding %s again: %d\n", names[0],
                dir_add(dp, names[0], strlen(names[0]), ip->ino, EXT2_FT_REG_FILE));
    err = 0;
    for (int k = 0; k < n; k++) {
        gone[k] = (seed >> (k % 64)) & 1;
        if (!gone[k] || err != 0)
            continue;
        if ((err = dir_remove(dp, names[k], strlen(names[k]))) == 0) {
            ip->d.i_links_count--;
            removed++;
        }
    }
    kprintf("fs_dir: removed %ld: %ld%s\n", removed, err, err ? "" : " each");
    right = 0;
    for (int k = 0; k < n; k++)
        right += dir_lookup(dp, names[k], strlen(names[k])) == (gone[k] ? 0 : ip->ino);
    kprintf("fs_dir: lookups after: %ld right\n", right);
    kprintf("fs_dir: removing a missing name: %d\n", dir_remove(dp, "r-none", 6));
    uint64_t before = inode_size(dp);
    err = 0;
    for (long k = 0; k < removed / 2 && err == 0; k++) {
        ksnprintf(extra[k], sizeof extra[k], "r%03ld", k);
        if ((err = dir_add(dp, extra[k], strlen(extra[k]), ip->ino, EXT2_FT_REG_FILE)) == 0)
            ip->d.i_links_count++;
    }
    kprintf("fs_dir: added %ld more: %ld%s, size before %lu after %lu\n", removed / 2, err,
            err ? "" : " each", before, inode_size(dp));
    err = iupdate(ip);
    if (err == 0)
        err = iupdate(dp);
    iput(ip);
    iput(dp);
    if (err == 0)
        err = fs_sync();
    fs_end();
    if (err != 0)
        ktest_fail("fs_dir: writing back gave %ld", err);
}
