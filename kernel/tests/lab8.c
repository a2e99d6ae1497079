/* lab8.c - in-kernel tests for Lab 8. Lab 8 (given). Each part of the lab
 * adds its section; the grader judges each test's lines against the disk
 * image on the host after QEMU exits. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bcache.h"
#include "bench.h"
#include "cmdline.h"
#include "console.h"
#include "disk.h"
#include "errno.h"
#include "fs.h"
#include "kmalloc.h"
#include "ktest.h"
#include "printf.h"
#include "string.h"
#include "thread.h"
#include "x86.h"                     /* rdtsc */

/* ---- the disk driver (dev/virtio_blk.c) -------------------------------------------
 *     test=disk read=A rcount=N write=B wcount=M seed=S
 * prints
 *     disk: C sectors
 *     disk: read A+N: fnv1a 0xXXXXXXXX            FNV-1a 32 of image bytes [512A, 512(A+N))
 *     disk: read A+N again, unaligned buffers: same
 *     disk: read A+N in 3 threads at once: same
 *     disk: write B+M seed 0xSSSSSSSS: read back same, fnv1a 0xXXXXXXXX
 *     disk: past the end: read -5, write -5, wrap -5, last sector unchanged
 *     disk: flush 0
 * The write (only with write= and wcount=) fills sectors [B, B+M) with
 * disk_pattern: the 32-bit little-endian word at byte offset o of the disk
 * (o a multiple of 4) is (o ^ S) * 2654435761 mod 2^32; the grader checks
 * those bytes, and that the rest of the image is unchanged, on the host.
 * A failed check ends the test with "ktest: FAIL: disk: ...". */

#define DISK_TEST_MAX 2048           /* sectors per transfer in the test: 1 MiB */

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void disk_pattern(uint8_t *buf, uint64_t sector, size_t count, uint32_t seed)
{
    for (size_t i = 0; i < count * SECTOR_SIZE; i += 4) {
        uint64_t o = sector * SECTOR_SIZE + i;
        uint32_t w = ((uint32_t)o ^ seed) * 2654435761u;
        buf[i] = (uint8_t)w;
        buf[i + 1] = (uint8_t)(w >> 8);
        buf[i + 2] = (uint8_t)(w >> 16);
        buf[i + 3] = (uint8_t)(w >> 24);
    }
}

/* A sector count parameter, 1..DISK_TEST_MAX, and a range on the disk. */
static size_t disk_count(const char *key, int64_t dflt)
{
    int64_t n = cmdline_get_int(key, dflt);

    if (n < 1 || n > DISK_TEST_MAX)
        ktest_fail("disk: %s=%ld: 1..%d", key, n, DISK_TEST_MAX);
    return (size_t)n;
}

/* One of the threads reading at once: its own buffer, the same sectors. */
struct disk_reader {
    uint64_t sector;
    size_t count;
    const uint8_t *expect;
};

static int disk_reader(void *arg)
{
    struct disk_reader *r = arg;
    size_t bytes = r->count * SECTOR_SIZE;
    uint8_t *buf = kmalloc(bytes);
    int result = -1;

    if (buf != NULL && disk_read(r->sector, buf, r->count) == 0)
        result = memcmp(buf, r->expect, bytes) == 0 ? 0 : -2;
    kfree(buf);
    return result;
}

/* Requests from several threads: they queue on the driver's mutex, each
 * sleeping until its own interrupt. */
static void disk_test_threads(uint64_t sector, size_t count, const uint8_t *expect)
{
    struct disk_reader r = {sector, count, expect};
    struct thread *t[3];

    for (int i = 0; i < 3; i++)
        if ((t[i] = thread_create(disk_reader, &r, "disk_reader")) == NULL)
            ktest_fail("disk: cannot create a thread");
    for (int i = 0; i < 3; i++) {
        int result = thread_join(t[i]);
        if (result != 0)
            ktest_fail("disk: reader thread %d: %s", i,
                       result == -1 ? "disk_read failed" : "other bytes");
    }
    kprintf("disk: read %lu+%zu in 3 threads at once: same\n", sector, count);
}

static void disk_test_read(uint64_t sector, size_t count)
{
    size_t bytes = count * SECTOR_SIZE;
    uint8_t *a = kmalloc(bytes), *b = kmalloc(bytes + 8);
    uint8_t on_stack[SECTOR_SIZE + 1];
    int err;

    if (a == NULL || b == NULL)
        ktest_fail("disk: out of memory for %zu sectors", count);
    if ((err = disk_read(sector, a, count)) != 0)
        ktest_fail("disk: disk_read(%lu, %zu) = %d", sector, count, err);
    kprintf("disk: read %lu+%zu: fnv1a 0x%08x\n", sector, count, fnv1a(a, bytes));

    /* The same sectors into an odd heap address and an odd stack address. */
    memset(b, 0xA5, bytes + 8);
    if ((err = disk_read(sector, b + 3, count)) != 0)
        ktest_fail("disk: disk_read into an unaligned buffer = %d", err);
    if (memcmp(a, b + 3, bytes) != 0 || b[2] != 0xA5 || b[bytes + 3] != 0xA5)
        ktest_fail("disk: reading into an unaligned buffer gave other bytes");
    if ((err = disk_read(sector + count - 1, on_stack + 1, 1)) != 0 ||
        memcmp(on_stack + 1, a + bytes - SECTOR_SIZE, SECTOR_SIZE) != 0)
        ktest_fail("disk: reading into a stack buffer gave %d or other bytes", err);
    kprintf("disk: read %lu+%zu again, unaligned buffers: same\n", sector, count);
    disk_test_threads(sector, count, a);
    kfree(a);
    kfree(b);
}

static void disk_test_write(uint64_t sector, size_t count, uint32_t seed)
{
    size_t bytes = count * SECTOR_SIZE;
    uint8_t *src = kmalloc(bytes + 8), *back = kmalloc(bytes);
    int err;

    if (src == NULL || back == NULL)
        ktest_fail("disk: out of memory for %zu sectors", count);
    disk_pattern(src + 5, sector, count, seed);          /* from an odd address */
    if ((err = disk_write(sector, src + 5, count)) != 0)
        ktest_fail("disk: disk_write(%lu, %zu) = %d", sector, count, err);
    memset(back, 0, bytes);
    if ((err = disk_read(sector, back, count)) != 0)
        ktest_fail("disk: reading back = %d", err);
    if (memcmp(back, src + 5, bytes) != 0)
        ktest_fail("disk: what was read back is not what was written");
    kprintf("disk: write %lu+%zu seed 0x%08x: read back same, fnv1a 0x%08x\n", sector, count,
            seed, fnv1a(back, bytes));
    kfree(src);
    kfree(back);
}

/* Past the end: nothing is transferred, not even the sectors in range. */
static void disk_test_past_end(void)
{
    uint64_t last = disk_sectors() - 1;
    uint8_t before[SECTOR_SIZE], buf[2 * SECTOR_SIZE], after[SECTOR_SIZE];

    if (disk_read(last, before, 1) != 0)
        ktest_fail("disk: cannot read the last sector, %lu", last);
    memset(buf, 0x5A, sizeof buf);
    int r = disk_read(last + 1, buf, 1);
    int w = disk_write(last, buf, 2);
    int wrap = disk_read(UINT64_MAX, buf, 2);            /* sector + count overflows */
    if (disk_read(last, after, 1) != 0)
        ktest_fail("disk: cannot read the last sector again");
    if (r != -EIO || w != -EIO || wrap != -EIO)
        ktest_fail("disk: past the end: read %d, write %d, wrap %d (want -EIO)", r, w, wrap);
    if (memcmp(before, after, SECTOR_SIZE) != 0)
        ktest_fail("disk: a write past the end changed the last sector");
    kprintf("disk: past the end: read %d, write %d, wrap %d, last sector unchanged\n", r, w,
            wrap);
}

KTEST(disk, "read rcount write wcount seed")
{
    if (!disk_present())
        ktest_fail("disk: no disk (QEMU needs -drive ... -device virtio-blk-pci,...)");
    uint64_t sectors = disk_sectors();
    kprintf("disk: %lu sectors\n", sectors);

    int64_t rsector = cmdline_get_int("read", 0);
    size_t rcount = disk_count("rcount", 8);
    if (rsector < 0 || (uint64_t)rsector + rcount > sectors)
        ktest_fail("disk: read=%ld rcount=%zu is not on the disk", rsector, rcount);
    disk_test_read((uint64_t)rsector, rcount);

    if (cmdline_get("write") != NULL) {
        int64_t wsector = cmdline_get_int("write", 0);
        size_t wcount = disk_count("wcount", 1);
        uint32_t seed = (uint32_t)cmdline_get_int("seed", 1);
        if (wsector < 0 || (uint64_t)wsector + wcount > sectors)
            ktest_fail("disk: write=%ld wcount=%zu is not on the disk", wsector, wcount);
        disk_test_write((uint64_t)wsector, wcount, seed);
    }
    disk_test_past_end();
    kprintf("disk: flush %d\n", disk_flush());
}

/* ---- the file system's core (fs/bcache.c, ext2.c, alloc.c, inode.c) ------------------
 *     test=bcache
 * exercise 1 on its own: prints "bcache: <what>: yes" for one buffer per
 * block, LRU order, the write-back of a dirty buffer recycled, and a
 * reader waiting (not failing) while every buffer is in use; it writes
 * the fs's last block and puts back what it held.
 *     test=fs_read ino=N off=O len=L
 *         fs_read: inode N mode 0xM size S links K blocks B
 *         fs_read: off O len L: got R, fnv1a 0xXXXXXXXX
 * reads L bytes (default: all) of inode N from O (default 0).
 *     test=fs_write ino=N off=O len=L seed=S
 *         fs_write: inode N: wrote R at O, size S, blocks B, sync 0
 * writes fs_pattern bytes at [O, O+L) of inode N (32 KiB per call) and
 * syncs: the byte at file offset o is ((o ^ S) * 2654435761 mod 2^32) >> 24.
 *     test=fs_trunc ino=N size=S
 *         fs_trunc: inode N: 0, size S, blocks B, sync 0
 *     test=fs_scan
 *         fs_scan: N inodes in use, M bytes read, E errors
 * reads every inode in use and all of its contents (a corrupted image
 * must give errors, never a panic). fs_read, fs_write and fs_trunc end in
 * "ktest: FAIL: ..." if the inode cannot be had. */

#define FS_CHUNK 32768               /* bytes per inode_read / inode_write call in the tests */

/* Between two inode_write calls of one test: from Lab 9 each is an
 * operation of its own (JOURNAL_OP_BLOCKS), as write(2)'s pieces are. */
static void fs_test_next_op(void)
{
#if LAB >= 9
    fs_op_split();
#endif
}

static uint8_t fs_pattern_byte(uint64_t o, uint32_t seed)
{
    return (uint8_t)((((uint32_t)o ^ seed) * 2654435761u) >> 24);
}

/* Is b's block reported as recycled (not valid) by a fresh bget? Leaves
 * nothing held. */
static bool bcache_cached(uint32_t blockno)
{
    struct buf *b = bget(blockno);
    bool valid;

    mutex_lock(&b->lock);
    valid = b->valid;
    brelse(b);
    return valid;
}

static void bcache_read_range(uint32_t first, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct buf *b = bread(first + i);
        if (b == NULL)
            ktest_fail("bcache: bread(%u) failed", first + i);
        brelse(b);
    }
}

static volatile int waiter_done;

static int bcache_waiter(void *arg)
{
    struct buf *b = bread((uint32_t)(uint64_t)arg);

    if (b == NULL)
        return -1;
    waiter_done = 1;
    brelse(b);
    return 0;
}

KTEST(bcache, "")
{
    if (!fs_mounted())
        ktest_fail("bcache: no file system mounted");
    const uint32_t base = 100, x = 10, last = fs.sb.s_blocks_count - 1;

    /* One buffer per block, references counted. */
    struct buf *a = bget(x), *b = bget(x);
    bool same = a == b && a->refs == 2 && a->blockno == x;
    mutex_lock(&a->lock);
    brelse(a);
    mutex_lock(&b->lock);
    brelse(b);
    kprintf("bcache: one buffer per block: %s\n", same ? "yes" : "no");

    /* LRU: a block read just before BCACHE_BUFS - 2 others is still cached;
     * after BCACHE_BUFS others it is recycled. */
    bcache_read_range(x, 1);
    bcache_read_range(base, BCACHE_BUFS - 2);
    bool kept = bcache_cached(x);
    bcache_read_range(base + BCACHE_BUFS, BCACHE_BUFS);
    bool gone = !bcache_cached(x);
    kprintf("bcache: LRU keeps recent, recycles oldest: %s\n", kept && gone ? "yes" : "no");

    /* A dirty buffer reaches the disk when recycled. */
    static uint8_t saved[FS_BLOCK_SIZE], seen[FS_BLOCK_SIZE];
    struct buf *d = bread(last);
    if (d == NULL)
        ktest_fail("bcache: cannot read block %u", last);
    memcpy(saved, d->data, FS_BLOCK_SIZE);
    memset(d->data, 0xC3, FS_BLOCK_SIZE);
    bdirty(d);
    brelse(d);
    bcache_read_range(base, BCACHE_BUFS);
    disk_read((uint64_t)last * (FS_BLOCK_SIZE / SECTOR_SIZE), seen, FS_BLOCK_SIZE / SECTOR_SIZE);
    bool written = seen[0] == 0xC3 && seen[FS_BLOCK_SIZE - 1] == 0xC3;
    d = bread(last);
    memcpy(d->data, saved, FS_BLOCK_SIZE);
    int err = bwrite(d);
    brelse(d);
    kprintf("bcache: dirty buffer written back when recycled: %s\n",
            written && err == 0 ? "yes" : "no");

    /* Every buffer in use: a reader waits until one is released. */
    static struct buf *held[BCACHE_BUFS];
    for (int i = 0; i < BCACHE_BUFS; i++)
        if ((held[i] = bread(base + i)) == NULL)
            ktest_fail("bcache: bread(%u) failed", base + i);
    waiter_done = 0;
    struct thread *t = thread_create(bcache_waiter, (void *)(uint64_t)(base + 2 * BCACHE_BUFS),
                                     "bwaiter");
    if (t == NULL)
        ktest_fail("bcache: no thread");
    thread_sleep(50);
    bool waited = !waiter_done;
    for (int i = 0; i < BCACHE_BUFS; i++)
        brelse(held[i]);
    int value = thread_join(t);
    kprintf("bcache: a reader waits while all are in use: %s\n",
            waited && waiter_done && value == 0 ? "yes" : "no");
}

/*     test=itable
 * the inode table (inode.c): the same inode twice is one struct; with
 * FS_MAX_INODES held (the root, kept by the mount, among them) the next
 * iget says -ENFILE, one the caller holds is still found, and after an
 * iput a new one fits. Prints "itable: <what>: yes". */
KTEST(itable, "")
{
    static struct inode *held[FS_MAX_INODES];
    int n = 0, err = 0, full = 0;

    if (!fs_mounted() || fs.sb.s_inodes_count <= FS_MAX_INODES + 1)
        ktest_fail("itable: no file system mounted, or too few inodes");
    fs_begin();
    struct inode *a = iget(EXT2_ROOT_INO, &err), *b = iget(EXT2_ROOT_INO, &err);
    kprintf("itable: one struct per inode: %s\n", a && a == b && a->refs >= 3 ? "yes" : "no");
    iput(a), iput(b);
    /* Inodes 3.. (the root has its slot already) until the table is full. */
    for (uint32_t ino = 3; n < FS_MAX_INODES && (held[n] = iget(ino, &err)) != NULL; ino++)
        n++;
    full = n < FS_MAX_INODES && err == -ENFILE;
    bool found = n > 0 && iget(held[0]->ino, &err) == held[0];
    if (found)
        iput(held[0]);
    iput(held[--n]);
    struct inode *c = iget(fs.sb.s_inodes_count, &err);
    kprintf("itable: full table: -ENFILE: %s\n", full && found ? "yes" : "no");
    kprintf("itable: a freed slot is reused: %s\n", c != NULL ? "yes" : "no");
    if (c != NULL)
        iput(c);
    while (n > 0)
        iput(held[--n]);
    fs_end();
}

/* Inode ino= with a reference (fs_begin held), or the test fails. */
static struct inode *fs_test_inode(const char *test)
{
    int64_t ino = cmdline_get_int("ino", 0);

    if (!fs_mounted())
        ktest_fail("%s: no file system mounted", test);
    int err = 0;
    struct inode *ip = ino > 0 ? iget((uint32_t)ino, &err) : NULL;
    if (ip == NULL)
        ktest_fail("%s: no inode %ld (%d)", test, ino, err);
    return ip;
}

KTEST(fs_read, "ino off len")
{
    fs_begin();
    struct inode *ip = fs_test_inode("fs_read");
    uint64_t size = inode_size(ip), off = cmdline_get_int("off", 0);
    uint64_t len = cmdline_get_int("len", size > off ? size - off : 0), got = 0;
    uint8_t *buf = kmalloc(FS_CHUNK);
    uint32_t h = 2166136261u;
    long n = 0;

    kprintf("fs_read: inode %u mode 0x%x size %lu links %u blocks %u\n", ip->ino, ip->d.i_mode,
            size, ip->d.i_links_count, ip->d.i_blocks);
    while (got < len && buf != NULL) {
        n = inode_read(ip, false, (uint64_t)buf, off + got, len - got < FS_CHUNK ? len - got : FS_CHUNK);
        if (n <= 0)
            break;
        for (long i = 0; i < n; i++)
            h = (h ^ buf[i]) * 16777619u;
        got += n;
    }
    kprintf("fs_read: off %lu len %lu: got %lu, fnv1a 0x%08x%s\n", off, len, got, h,
            n < 0 ? ", error" : "");
    if (n < 0)
        kprintf("fs_read: error %ld\n", n);
    iput(ip);
    fs_end();
    kfree(buf);
}

KTEST(fs_write, "ino off len seed")
{
    fs_begin();
    struct inode *ip = fs_test_inode("fs_write");
    uint64_t off = cmdline_get_int("off", 0), len = cmdline_get_int("len", 0), done = 0;
    uint32_t seed = (uint32_t)cmdline_get_int("seed", 1);
    uint8_t *buf = kmalloc(FS_CHUNK);
    long n = 0;

    while (done < len && buf != NULL) {
        size_t m = len - done < FS_CHUNK ? len - done : FS_CHUNK;
        for (size_t i = 0; i < m; i++)
            buf[i] = fs_pattern_byte(off + done + i, seed);
        if ((n = inode_write(ip, false, (uint64_t)buf, off + done, m)) <= 0)
            break;
        done += n;
        fs_test_next_op();
    }
    if (n < 0)
        kprintf("fs_write: error %ld\n", n);
    kprintf("fs_write: inode %u: wrote %lu at %lu, size %lu, blocks %u, sync %d\n", ip->ino,
            done, off, inode_size(ip), ip->d.i_blocks, (iput(ip), fs_sync()));
    fs_end();
    kfree(buf);
}

KTEST(fs_trunc, "ino size")
{
    fs_begin();
    struct inode *ip = fs_test_inode("fs_trunc");
    int err = inode_truncate(ip, cmdline_get_int("size", 0));

    kprintf("fs_trunc: inode %u: %d, size %lu, blocks %u, sync %d\n", ip->ino, err,
            inode_size(ip), ip->d.i_blocks, (iput(ip), fs_sync()));
    fs_end();
}

KTEST(fs_scan, "")
{
    uint8_t *buf = kmalloc(FS_CHUNK);
    uint64_t inodes = 0, bytes = 0, errors = 0;

    if (!fs_mounted() || buf == NULL)
        ktest_fail("fs_scan: no file system mounted");
    fs_begin();
    for (uint32_t ino = 1; ino <= fs.sb.s_inodes_count; ino++) {
        int err;
        struct inode *ip = iget(ino, &err);
        if (ip == NULL) {
            errors++;
            continue;
        }
        uint16_t type = ip->d.i_mode & EXT2_S_IFMT;
        if ((type == EXT2_S_IFREG || type == EXT2_S_IFDIR) && ip->d.i_links_count > 0 &&
            ip->d.i_dtime == 0) {
            inodes++;
            for (uint64_t off = 0;;) {
                long n = inode_read(ip, false, (uint64_t)buf, off, FS_CHUNK);
                if (n < 0)
                    errors++;
                if (n <= 0)
                    break;
                off += n, bytes += n;
            }
        }
        iput(ip);
    }
    fs_end();
    kfree(buf);
    kprintf("fs_scan: %lu inodes in use, %lu bytes read, %lu errors\n", inodes, bytes, errors);
}

/*     test=fs_ialloc len=L dir=D
 *         fs_ialloc: inode N, wrote L, freed: free blocks A -> A, free inodes C -> C
 * a new inode (a directory if D is 1) holding L pattern bytes, dropped
 * with no links: its blocks and its number come back. Syncs. */
KTEST(fs_ialloc, "len dir")
{
    uint64_t len = cmdline_get_int("len", 0), done = 0;
    bool dir = cmdline_get_int("dir", 0) == 1;
    uint8_t *buf = kmalloc(FS_CHUNK);
    int err = 0;

    if (!fs_mounted() || buf == NULL)
        ktest_fail("fs_ialloc: no file system mounted");
    fs_begin();
    uint32_t blocks = fs.sb.s_free_blocks_count, inodes = fs.sb.s_free_inodes_count;
    struct inode *ip = ialloc(dir ? EXT2_S_IFDIR | 0755 : EXT2_S_IFREG | 0644, NULL, &err);
    if (ip == NULL)
        ktest_fail("fs_ialloc: ialloc: %d", err);
    uint32_t ino = ip->ino;
    while (done < len) {
        size_t m = len - done < FS_CHUNK ? len - done : FS_CHUNK;
        for (size_t i = 0; i < m; i++)
            buf[i] = fs_pattern_byte(done + i, 1);
        long n = inode_write(ip, false, (uint64_t)buf, done, m);
        if (n <= 0)
            ktest_fail("fs_ialloc: inode_write: %ld", n);
        done += n;
        fs_test_next_op();
    }
    iput(ip);                        /* links 0: freed */
    kprintf("fs_ialloc: inode %u, wrote %lu, freed: free blocks %u -> %u, free inodes %u -> %u, "
            "sync %d\n", ino, done, blocks, fs.sb.s_free_blocks_count, inodes,
            fs.sb.s_free_inodes_count, fs_sync());
    fs_end();
    kfree(buf);
}

/* ---- names: directories, paths and the name operations (fs/dir.c, path.c,
 * namespace.c) ------------------------------------------------------------ */

/* The test=names_* tests work on the mounted disk through fs.h, under
 * fs_lock, print what each step gave, fail at the first unexpected result,
 * and end with fs_sync, so that the grader's e2fsck -fn and debugfs judge
 * what is left on the disk. */

/* Check that what gave want (0 or a negative errno); else end the test,
 * after a sync, so that the disk holds what went before, for e2fsck. */
static void names_expect(const char *what, long got, long want)
{
    if (got != want) {
        fs_sync();
        fs_end();
        ktest_fail("names: %s: %ld, expected %ld", what, got, want);
    }
}

/* The inode number path names (following symlinks if follow), or a
 * negative errno. */
static long names_ino(const char *path, bool follow)
{
    struct inode *ip;
    int err = namei(NULL, path, follow, &ip);

    if (err < 0)
        return err;
    long ino = ip->ino;
    iput(ip);
    return ino;
}

/* The link count of path (not followed), or a negative errno. */
static long names_links(const char *path)
{
    struct inode *ip;
    int err = namei(NULL, path, false, &ip);

    if (err < 0)
        return err;
    long links = ip->d.i_links_count;
    iput(ip);
    return links;
}

static int names_create(const char *path)
{
    struct inode *ip;
    int err = fs_create(NULL, path, 0644, true, &ip);

    if (err == 0)
        iput(ip);
    return err;
}

/* Entries in directory path, . and .. included (or a negative errno). */
static long names_count(const char *path)
{
    struct inode *dp;
    uint64_t pos = 0;
    uint32_t ino;
    uint8_t type;
    char name[EXT2_NAME_LEN + 1];
    long n = 0;
    int r = namei(NULL, path, true, &dp);

    if (r < 0)
        return r;
    while ((r = dir_read(dp, &pos, &ino, &type, name)) == 1)
        n++;
    iput(dp);
    return r < 0 ? r : n;
}

/* test=names_many n=N name=P: N empty files /many/P-0 .. /many/P-(N-1)
 * created, looked up, listed, the even-numbered ones removed, the rest
 * looked up again and listed; then P_0 .. P_(N/2-1) (N/2 rounded up), no
 * longer than the names removed, which must fit in the records they freed
 * (the directory does not grow).
 * Prints
 *     names_many: N files, directory of B blocks
 *     names_many: half removed and refilled, N+2 entries
 * and leaves /many holding P-1, P-3, ... and the P_i, all regular
 * files of size 0 and 1 link (debugfs -R 'ls -l /many'). */
KTEST(names_many, "n name")
{
    int64_t n = cmdline_get_int("n", 1000);
    const char *p = cmdline_get("name") ? cmdline_get("name") : "file";
    char path[64];

    if (n < 2 || n > 20000 || strlen(p) > 32)
        ktest_fail("names_many: n=2..20000, name= at most 32 characters");
    fs_begin();
    names_expect("mkdir /many", fs_mkdir(NULL, "/many", 0755), 0);
    for (int i = 0; i < n; i++) {
        ksnprintf(path, sizeof path, "/many/%s-%d", p, i);
        names_expect(path, names_create(path), 0);
    }
    ksnprintf(path, sizeof path, "/many/%s-0", p);
    names_expect("create an existing name", names_create(path), -EEXIST);
    for (int i = 0; i < n; i++) {
        ksnprintf(path, sizeof path, "/many/%s-%d", p, i);
        names_expect(path, names_ino(path, true) > 0, 1);
    }
    names_expect("entries", names_count("/many"), n + 2);
    uint32_t size = 0;
    struct inode *dp;
    if (namei(NULL, "/many", true, &dp) == 0) {
        size = dp->d.i_size;
        iput(dp);
    }
    kprintf("names_many: %ld files, directory of %u blocks\n", (long)n, size / FS_BLOCK_SIZE);
    for (int i = 0; i < n; i += 2) {
        ksnprintf(path, sizeof path, "/many/%s-%d", p, i);
        names_expect(path, fs_unlink(NULL, path), 0);
    }
    for (int i = 0; i < n; i++) {
        ksnprintf(path, sizeof path, "/many/%s-%d", p, i);
        names_expect(path, names_ino(path, true) > 0 ? 0 : names_ino(path, true),
                     i % 2 ? 0 : -ENOENT);
    }
    names_expect("entries after removing half", names_count("/many"), n - (n + 1) / 2 + 2);
    for (int i = 0; i < (n + 1) / 2; i++) {
        ksnprintf(path, sizeof path, "/many/%s_%d", p, i);
        names_expect(path, names_create(path), 0);
    }
    names_expect("entries after refilling", names_count("/many"), n + 2);
    if (namei(NULL, "/many", true, &dp) == 0) {
        names_expect("directory size after refilling", dp->d.i_size, size);
        iput(dp);
    }
    kprintf("names_many: half removed and refilled, %ld entries\n", names_count("/many"));
    names_expect("sync", fs_sync(), 0);
    fs_end();
}

/* test=names_ops: mkdir/rmdir, . and .., link/unlink, rename's cases,
 * paths relative to a directory, and symlinks (fast, slow, relative,
 * loops, the depth limit). Prints "names_ops: all as expected" at the end
 * and leaves in the root: directories a (holding f, a regular file, and
 * rel -> ../f2), d2, e (the old /d1/sub, holding k, holding d1) and a
 * regular file f2; symlinks la -> /a, slow (a 158-byte target: a block),
 * loop1 -> /loop2 (dangling), c0 -> /c1, ..., c7 -> /c8, c8 -> f2. */
KTEST(names_ops, "")
{
    char path[300], target[200];
    struct inode *ip;

    fs_begin();
    /* directories and their link counts */
    names_expect("mkdir /a", fs_mkdir(NULL, "/a", 0755), 0);
    names_expect("mkdir /a again", fs_mkdir(NULL, "/a", 0755), -EEXIST);
    names_expect("mkdir /a/b", fs_mkdir(NULL, "/a/b", 0755), 0);
    names_expect("links of /a", names_links("/a"), 3);
    names_expect("links of /a/b", names_links("/a/b"), 2);
    names_expect("rmdir /a (not empty)", fs_rmdir(NULL, "/a"), -ENOTEMPTY);
    names_expect("rmdir /a/b", fs_rmdir(NULL, "/a/b"), 0);
    names_expect("rmdir /a/b again", fs_rmdir(NULL, "/a/b"), -ENOENT);
    names_expect("links of /a after", names_links("/a"), 2);
    names_expect("rmdir /", fs_rmdir(NULL, "/"), -EBUSY);
    names_expect("rmdir /a/.", fs_rmdir(NULL, "/a/."), -EINVAL);
    names_expect("rmdir /a/..", fs_rmdir(NULL, "/a/.."), -ENOTEMPTY);
    names_expect("mkdir /nope/x", fs_mkdir(NULL, "/nope/x", 0755), -ENOENT);

    /* resolution */
    long root = names_ino("/", true), a = names_ino("/a", true);
    names_expect("/ is inode 2", root, EXT2_ROOT_INO);
    names_expect("/..", names_ino("/..", true), root);
    names_expect("/a/../..", names_ino("/a/../..", true), root);
    names_expect("//a///./", names_ino("//a///./", true), a);
    names_expect("\"\"", names_ino("", true), -ENOENT);
    names_expect("create /a/f", names_create("/a/f"), 0);
    names_expect("/a/f/", names_ino("/a/f/", true), -ENOTDIR);
    names_expect("/a/f/x", names_ino("/a/f/x", true), -ENOTDIR);
    names_expect("create /a/f/x", names_create("/a/f/x"), -ENOTDIR);
    names_expect("create /a/f/", names_create("/a/f/"), -ENOTDIR);
    names_expect("create /a/new/", names_create("/a/new/"), -EISDIR);
    names_expect("unlink /a/f/", fs_unlink(NULL, "/a/f/"), -ENOTDIR);
    names_expect("/nope/x", names_ino("/nope/x", true), -ENOENT);
    memset(path, 'n', sizeof path);
    path[0] = '/';
    path[257] = '\0';                            /* 256 characters */
    names_expect("a 256-character name", names_create(path), -ENAMETOOLONG);
    path[256] = '\0';                            /* 255: the longest */
    names_expect("a 255-character name", names_create(path), 0);
    names_expect("unlink it", fs_unlink(NULL, path), 0);

    /* link and unlink */
    names_expect("link /a/f /a/g", fs_link(NULL, "/a/f", NULL, "/a/g"), 0);
    names_expect("links of /a/f", names_links("/a/f"), 2);
    names_expect("link onto a name", fs_link(NULL, "/a/f", NULL, "/a/g"), -EEXIST);
    names_expect("link a directory", fs_link(NULL, "/a", NULL, "/x"), -EPERM);
    names_expect("unlink /a (a directory)", fs_unlink(NULL, "/a"), -EISDIR);
    names_expect("rmdir /a/f (a file)", fs_rmdir(NULL, "/a/f"), -ENOTDIR);
    names_expect("unlink /a/g", fs_unlink(NULL, "/a/g"), 0);
    names_expect("links of /a/f after", names_links("/a/f"), 1);
    names_expect("unlink /a/g again", fs_unlink(NULL, "/a/g"), -ENOENT);

    /* rename */
    long f = names_ino("/a/f", true);
    names_expect("rename to itself", fs_rename(NULL, "/a/f", NULL, "/a/f"), 0);
    names_expect("rename /a/f /f2", fs_rename(NULL, "/a/f", NULL, "/f2"), 0);
    names_expect("/f2 is the old /a/f", names_ino("/f2", true), f);
    names_expect("/a/f is gone", names_ino("/a/f", true), -ENOENT);
    names_expect("create /a/h", names_create("/a/h"), 0);
    long h = names_ino("/a/h", true);
    names_expect("rename /a/h over /f2", fs_rename(NULL, "/a/h", NULL, "/f2"), 0);
    names_expect("/f2 is the old /a/h", names_ino("/f2", true), h);
    names_expect("mkdir /d1", fs_mkdir(NULL, "/d1", 0755), 0);
    names_expect("mkdir /d1/sub", fs_mkdir(NULL, "/d1/sub", 0755), 0);
    names_expect("mkdir /d2", fs_mkdir(NULL, "/d2", 0755), 0);
    names_expect("rename /d1/sub /d2/sub", fs_rename(NULL, "/d1/sub", NULL, "/d2/sub"), 0);
    names_expect("links of /d1", names_links("/d1"), 2);
    names_expect("links of /d2", names_links("/d2"), 3);
    names_expect("/d2/sub/.. is /d2", names_ino("/d2/sub/..", true), names_ino("/d2", true));
    names_expect("rename /d2 into its subtree", fs_rename(NULL, "/d2", NULL, "/d2/sub/x"), -EINVAL);
    names_expect("rename /d2 onto itself below", fs_rename(NULL, "/d2", NULL, "/d2/y"), -EINVAL);
    names_expect("mkdir /e", fs_mkdir(NULL, "/e", 0755), 0);
    long sub = names_ino("/d2/sub", true);
    long rootlinks = names_links("/");
    names_expect("rename /d2/sub over empty /e", fs_rename(NULL, "/d2/sub", NULL, "/e"), 0);
    names_expect("/e is the old /d2/sub", names_ino("/e", true), sub);
    names_expect("links of / after", names_links("/"), rootlinks);
    names_expect("links of /d2 after", names_links("/d2"), 2);
    names_expect("/e/.. is /", names_ino("/e/..", true), root);
    names_expect("rename a directory over a file", fs_rename(NULL, "/d2", NULL, "/f2"), -ENOTDIR);
    names_expect("rename a file over a directory", fs_rename(NULL, "/f2", NULL, "/d2"), -EISDIR);
    names_expect("mkdir /d2/k", fs_mkdir(NULL, "/d2/k", 0755), 0);
    names_expect("rename over a full directory", fs_rename(NULL, "/e", NULL, "/d2"), -ENOTEMPTY);
    names_expect("rename /a/.", fs_rename(NULL, "/a/.", NULL, "/z"), -EINVAL);
    names_expect("rename a missing name", fs_rename(NULL, "/a/nope", NULL, "/z"), -ENOENT);
    names_expect("rename /d2/k /e/k", fs_rename(NULL, "/d2/k", NULL, "/e/k"), 0);
    names_expect("rename /d1 /e/k/d1 (across, deeper)", fs_rename(NULL, "/d1", NULL, "/e/k/d1"), 0);
    names_expect("links of /e/k", names_links("/e/k"), 3);

    /* relative to a directory */
    struct inode *ap;
    names_expect("namei /a", namei(NULL, "/a", true, &ap), 0);
    names_expect("mkdir a:rd", fs_mkdir(ap, "rd", 0755), 0);
    names_expect("a:rd/..", names_ino("/a/rd/..", true), a);
    names_expect("a:../a/./rd", namei(ap, "../a/./rd", true, &ip), 0);
    names_expect("  is /a/rd", ip->ino, names_ino("/a/rd", true));
    iput(ip);
    names_expect("a:/e/k is absolute", namei(ap, "/e/k", true, &ip), 0);
    names_expect("  is /e/k", ip->ino, names_ino("/e/k", true));
    iput(ip);
    names_expect("rmdir a:rd", fs_rmdir(ap, "rd"), 0);
    names_expect("rmdir a:.", fs_rmdir(ap, "."), -EINVAL);
    iput(ap);

    /* symlinks */
    names_expect("symlink /la -> /a", fs_symlink("/a", NULL, "/la"), 0);
    names_expect("create /a/f", names_create("/a/f"), 0);
    names_expect("/la/f", names_ino("/la/f", true), names_ino("/a/f", true));
    names_expect("/la/", names_ino("/la/", false), a);
    names_expect("/la not followed", names_ino("/la", false) != a, 1);
    names_expect("symlink /a/rel -> ../f2", fs_symlink("../f2", NULL, "/a/rel"), 0);
    names_expect("/a/rel", names_ino("/a/rel", true), h);
    int len = ksnprintf(target, sizeof target, "/");
    while (len < 150)
        len += ksnprintf(target + len, sizeof target - len, "./");
    ksnprintf(target + len, sizeof target - len, "a/../f2");
    names_expect("a slow symlink", fs_symlink(target, NULL, "/slow"), 0);
    names_expect("/slow", names_ino("/slow", true), h);
    char got[FS_BLOCK_SIZE];
    names_expect("namei /slow", namei(NULL, "/slow", false, &ip), 0);
    long n = fs_readlink(ip, got, sizeof got);
    names_expect("readlink /slow", n == (long)strlen(target) && memcmp(got, target, n) == 0, 1);
    iput(ip);
    names_expect("symlink onto a name", fs_symlink("x", NULL, "/slow"), -EEXIST);
    names_expect("symlink /loop1 -> /loop2", fs_symlink("/loop2", NULL, "/loop1"), 0);
    names_expect("symlink /loop2 -> loop1", fs_symlink("loop1", NULL, "/loop2"), 0);
    names_expect("/loop1", names_ino("/loop1", true), -ELOOP);
    names_expect("/loop1/x", names_ino("/loop1/x", true), -ELOOP);
    names_expect("/loop1 not followed", names_ino("/loop1", false) > 0, 1);
    for (int i = 0; i <= SYMLINK_MAX_DEPTH; i++) {   /* /c0 -> /c1 -> ... -> /cMAX -> /f2 */
        ksnprintf(path, sizeof path, "/c%d", i);
        if (i < SYMLINK_MAX_DEPTH)
            ksnprintf(target, sizeof target, "/c%d", i + 1);
        else
            ksnprintf(target, sizeof target, "f2");
        names_expect(path, fs_symlink(target, NULL, path), 0);
    }
    names_expect("/c1: the most links", names_ino("/c1", true), h);
    names_expect("/c0: one too many", names_ino("/c0", true), -ELOOP);
    names_expect("unlink /loop2", fs_unlink(NULL, "/loop2"), 0);
    names_expect("/loop1 dangles", names_ino("/loop1", true), -ENOENT);
    names_expect("sync", fs_sync(), 0);
    fs_end();
    kprintf("names_ops: all as expected\n");
}

/* ---- benchmarks (make bench attaches a fresh disk from Lab 8) ---------------------
 * Each row is one run, not a median: a run moves 16 MiB or makes 1,000
 * files, long enough to average itself. The file system's rows go through
 * the buffer cache one block at a time (FS_BLOCK_SIZE); the driver's
 * baseline moves the same disk range in 64 KiB requests. */

#define BENCH_FILE_BYTES (16u << 20)
#define BENCH_CHUNK      (64u << 10)
#define BENCH_FILES      1000

/* A benchmark step that failed: one line, and the row is left out. */
static bool bench_failed(const char *what, long err)
{
    if (err >= 0)
        return false;
    kprintf("bench: fs %s failed: %ld\n", what, err);
    return true;
}

/* Both figures of one row come from the same boot; none if either failed. */
static void row(const char *what, int64_t cycles, const char *baseline, int64_t base_cycles)
{
    if (cycles >= 0 && base_cycles >= 0)
        bench_row(what, (uint64_t)cycles, baseline, (uint64_t)base_cycles);
}

/* Cycles per KiB to write (or read) the whole 16 MiB file through
 * inode_write / inode_read, syncing at the end of a write. */
static int64_t bench_file_pass(struct inode *ip, uint8_t *chunk, bool write)
{
    uint64_t t = rdtsc();
    for (uint64_t off = 0; off < BENCH_FILE_BYTES; off += FS_CHUNK) {
        fs_begin();
        long n = write ? inode_write(ip, false, (uint64_t)chunk, off, FS_CHUNK)
                       : inode_read(ip, false, (uint64_t)chunk, off, FS_CHUNK);
        fs_end();
        if (n != FS_CHUNK) {
            bench_failed(write ? "write" : "read", n < 0 ? n : -EIO);
            return -1;
        }
    }
    if (write && bench_failed("sync", fs_sync()))
        return -1;
    return (int64_t)((rdtsc() - t) / (BENCH_FILE_BYTES >> 10));
}

/* The same for the raw driver over the file's own disk blocks (map: one
 * per file block), in requests of up to 64 KiB of consecutive blocks. */
static int64_t bench_raw_pass(const uint32_t *map, uint8_t *chunk, bool write)
{
    const uint32_t nblocks = BENCH_FILE_BYTES / FS_BLOCK_SIZE, per = BENCH_CHUNK / FS_BLOCK_SIZE;
    uint64_t t = rdtsc();
    for (uint32_t i = 0, run; i < nblocks; i += run) {
        for (run = 1; i + run < nblocks && run < per && map[i + run] == map[i] + run; run++)
            ;
        uint64_t sector = (uint64_t)map[i] * (FS_BLOCK_SIZE / SECTOR_SIZE);
        size_t count = run * (FS_BLOCK_SIZE / SECTOR_SIZE);
        if (write ? disk_write(sector, chunk, count) : disk_read(sector, chunk, count)) {
            bench_failed("raw disk", -EIO);
            return -1;
        }
    }
    return (int64_t)((rdtsc() - t) / (BENCH_FILE_BYTES >> 10));
}

/* The disk block of each of ip's file blocks, or false. */
static bool bench_map(struct inode *ip, uint32_t *map)
{
    bool ok = true;
    fs_begin();
    for (uint32_t i = 0; i < BENCH_FILE_BYTES / FS_BLOCK_SIZE && ok; i++) {
        long b = bmap(ip, i, false);
        map[i] = (uint32_t)b;
        ok = b > 0;
    }
    fs_end();
    return ok;
}

static void bench_sequential(uint8_t *chunk)
{
    struct inode *ip;
    uint32_t *map = kmalloc(BENCH_FILE_BYTES / FS_BLOCK_SIZE * sizeof *map);

    if (map == NULL)
        return;
    for (uint32_t i = 0; i < BENCH_CHUNK; i++)
        chunk[i] = (uint8_t)(i * 7 + 1);
    fs_begin();
    int err = fs_create(NULL, "/bench-seq", EXT2_S_IFREG | 0644, true, &ip);
    fs_end();
    if (bench_failed("create", err)) {
        kfree(map);
        return;
    }
    int64_t fs_write = bench_file_pass(ip, chunk, true);
    bool mapped = fs_write >= 0 && bench_map(ip, map);
    int64_t raw_write = mapped ? bench_raw_pass(map, chunk, true) : -1;
    int64_t fs_read = raw_write < 0 ? -1 : bench_file_pass(ip, chunk, false);
    int64_t raw_read = fs_read < 0 ? -1 : bench_raw_pass(map, chunk, false);
    row("fs write 16 MiB + sync, per KiB", fs_write, "disk_write, same blocks, per KiB", raw_write);
    row("fs read 16 MiB, per KiB", fs_read, "disk_read, same blocks, per KiB", raw_read);
    fs_begin();
    iput(ip);
    bench_failed("unlink", fs_unlink(NULL, "/bench-seq"));
    fs_end();
    kfree(map);
}

/* A 64 KiB file read twice: the second read finds every block in the
 * cache (BCACHE_BUFS buffers hold it), against memcpy of as many bytes. */
static void bench_cached(uint8_t *chunk)
{
    struct inode *ip;
    uint8_t *copy = kmalloc(BENCH_CHUNK);

    fs_begin();
    int err = copy ? fs_create(NULL, "/bench-cached", EXT2_S_IFREG | 0644, true, &ip) : -ENOMEM;
    long n = err ? err : inode_write(ip, false, (uint64_t)chunk, 0, FS_CHUNK);
    if (n == FS_CHUNK) {
        fs_test_next_op();
        n = inode_write(ip, false, (uint64_t)chunk + FS_CHUNK, FS_CHUNK, BENCH_CHUNK - FS_CHUNK);
    }
    if (n >= 0)
        n = inode_read(ip, false, (uint64_t)copy, 0, BENCH_CHUNK);
    fs_end();
    if (!bench_failed("cached file", n)) {
        uint64_t t = rdtsc();
        fs_begin();
        n = inode_read(ip, false, (uint64_t)copy, 0, BENCH_CHUNK);
        fs_end();
        int64_t cached = (int64_t)((rdtsc() - t) / (BENCH_CHUNK >> 10));
        memcpy(copy, chunk, BENCH_CHUNK);          /* warm, as the cache is */
        t = rdtsc();
        memcpy(copy, chunk, BENCH_CHUNK);
        int64_t mem = (int64_t)((rdtsc() - t) / (BENCH_CHUNK >> 10));
        if (n == BENCH_CHUNK)
            row("fs re-read 64 KiB, cached, per KiB", cached, "memcpy 64 KiB, per KiB", mem);
    }
    fs_begin();
    if (err == 0) {
        iput(ip);
        bench_failed("unlink", fs_unlink(NULL, "/bench-cached"));
    }
    fs_end();
    kfree(copy);
}

/* Make BENCH_FILES empty files in one new directory, then look each up
 * again: cycles per file for both. The files are removed after. */
static void bench_create(void)
{
    char path[48];
    uint64_t made = 0, looked = 0;
    int n = 0;

    fs_begin();
    int err = fs_mkdir(NULL, "/bench-dir", 0755);
    fs_end();
    if (bench_failed("mkdir", err))
        return;
    uint64_t t = rdtsc();
    for (; n < BENCH_FILES && err == 0; n++) {
        struct inode *ip;
        ksnprintf(path, sizeof path, "/bench-dir/f%04d", n);
        fs_begin();
        err = fs_create(NULL, path, EXT2_S_IFREG | 0644, true, &ip);
        if (err == 0)
            iput(ip);
        fs_end();
    }
    made = rdtsc() - t;
    t = rdtsc();
    for (int i = 0; i < n && err == 0; i++) {
        struct inode *ip;
        ksnprintf(path, sizeof path, "/bench-dir/f%04d", i);
        fs_begin();
        err = namei(NULL, path, true, &ip);
        if (err == 0)
            iput(ip);
        fs_end();
    }
    looked = rdtsc() - t;
    if (!bench_failed("create", err))
        row("create an empty file (1,000 in a dir)", (int64_t)(made / BENCH_FILES),
            "look one up in that dir", (int64_t)(looked / BENCH_FILES));
    for (int i = 0; i < n; i++) {
        ksnprintf(path, sizeof path, "/bench-dir/f%04d", i);
        fs_begin();
        fs_unlink(NULL, path);
        fs_end();
    }
    fs_begin();
    bench_failed("rmdir", fs_rmdir(NULL, "/bench-dir"));
    fs_end();
}

KBENCH(file_system)
{
    if (!fs_mounted()) {
        kprintf("bench: no file system mounted: no Lab 8 rows\n");
        return;
    }
    uint8_t *chunk = kmalloc(BENCH_CHUNK);
    if (chunk == NULL)
        return;
    bench_sequential(chunk);
    bench_cached(chunk);
    bench_create();
    kfree(chunk);
}
