/* lab8.c - in-kernel tests for Lab 8. Lab 8 (given). Each part of the lab
 * adds its section; the grader judges each test's lines against the disk
 * image on the host after QEMU exits. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "console.h"
#include "disk.h"
#include "errno.h"
#include "kmalloc.h"
#include "ktest.h"
#include "string.h"

/* ---- the disk driver (dev/virtio_blk.c) -------------------------------------------
 *     test=disk read=A rcount=N write=B wcount=M seed=S
 * prints
 *     disk: C sectors
 *     disk: read A+N: fnv1a 0xXXXXXXXX            FNV-1a 32 of image bytes [512A, 512(A+N))
 *     disk: read A+N again, unaligned buffers: same
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
