"""The given disk driver (kernel/dev/virtio_blk.c) through its in-kernel
test (test=disk, kernel/tests/lab8.c). Instructor-only, no points: the
driver is given, so its check cannot be a Lab 8 grader (the lab's start
must fail every one of those, and the driver works there).

The disk is a file of random bytes (not ext2: nothing mounts it, so
nothing but the test writes to it). The grader draws the sectors read and
written and the pattern's seed, computes what the kernel must print from
the file, and after QEMU exits checks the file byte for byte: the pattern
where the test wrote, the rest as it was.
"""

import random

import pytest

import gradelib
from checks import check
from conftest import LAB_MAX
from gradelib import SUCCESS

pytestmark = pytest.mark.skipif(LAB_MAX < 8, reason="the disk comes with Lab 8")

SECTOR = 512
MAX_COUNT = 2048                    # kernel/tests/lab8.c DISK_TEST_MAX


def fnv1a32(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def pattern(sector, count, seed):
    """disk_pattern: the word at byte offset o is (o ^ seed) * 2654435761 mod 2^32."""
    out = bytearray()
    for o in range(sector * SECTOR, (sector + count) * SECTOR, 4):
        out += (((o ^ seed) * 2654435761) & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(out)


def test_disk_driver(tmp_path):
    """Reads of random sectors (into aligned, unaligned and stack buffers,
    and from 3 threads at once) give the file's bytes; a write of random
    sectors puts the pattern there and nowhere else; transfers past the end
    give -EIO and change nothing; flush works. The last lab's kernel."""
    elf = gradelib.build(LAB_MAX, LAB_MAX)
    rng = random.Random()
    sectors = rng.randint(2, 8) * 2048
    img = tmp_path / "raw.img"
    before = rng.randbytes(sectors * SECTOR)
    img.write_bytes(before)
    rcount, wcount = rng.randint(1, 64), rng.randint(1, 64)
    read, write = rng.randrange(sectors - rcount + 1), rng.randrange(sectors - wcount + 1)
    if rng.random() < 0.3:
        read = sectors - rcount                       # up to the last sector
    seed = rng.getrandbits(31)
    with gradelib.Machine(elf, f"test=disk read={read} rcount={rcount} write={write} "
                          f"wcount={wcount} seed={seed}", log_name="test_disk_driver",
                          disk=img, fsck=False) as m:
        m.expect_line(f"disk: {sectors} sectors")
        m.expect_line(f"disk: read {read}+{rcount}: fnv1a "
                      f"0x{fnv1a32(before[read * SECTOR:(read + rcount) * SECTOR]):08x}")
        m.expect_line(f"disk: read {read}+{rcount} again, unaligned buffers: same")
        m.expect_line(f"disk: read {read}+{rcount} in 3 threads at once: same")
        want = pattern(write, wcount, seed)
        m.expect_line(f"disk: write {write}+{wcount} seed 0x{seed:08x}: read back same, "
                      f"fnv1a 0x{fnv1a32(want):08x}")
        m.expect_line("disk: past the end: read -5, write -5, wrap -5, last sector unchanged")
        m.expect_line("disk: flush 0")
        m.expect_line("ktest disk: ok")
        m.expect_exit(SUCCESS)
    after = img.read_bytes()
    check(len(after) == len(before), f"the image still {len(before)} bytes", len(after))
    lo, hi = write * SECTOR, (write + wcount) * SECTOR
    check(after[lo:hi] == want, f"sectors {write}+{wcount} hold the pattern", "other bytes")
    changed = [i // SECTOR for i in range(0, len(before), SECTOR)
               if not lo <= i < hi and after[i:i + SECTOR] != before[i:i + SECTOR]]
    check(not changed, "every other sector as it was", f"sectors {changed[:8]} changed")
