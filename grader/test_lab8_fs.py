"""Lab 8 graders: the file system (handouts/lab8-fs.md, §5).

The disk is judged from outside the guest. Every image is made here
(grader/disk.py: mke2fs -d) with random names, sizes and contents; after
QEMU exits, Linux's e2fsck -fn must find it clean (gradelib runs it after
every boot with a disk unless the test damaged it on purpose) and debugfs
reads back what the kernel wrote. Programs from user/ (fsread, fswrite,
fslink, fsdir, fsnames, fsfill, fsprobe) run with init=... and print what
they saw; what they must print is computed here from the files put on the
disk. The in-kernel tests fs_bmap and fs_dir (kernel/tests/lab8early.c) grade
exercises 2 and 3 before path resolution exists; bcache and names_ops
(kernel/tests/lab8.c) are judged with the disk they leave.
"""

import array
import hashlib
import re
import string
import zlib

import pytest

import disk
from checks import check, rng, word, lines, check_lines, shell_command
from gradelib import SUCCESS, TRIPLE_FAULT, FAILURE, GradeError, stub_dead_ends

STUBS = stub_dead_ends(8, panic=True)
# On a good image, a kernel that does not mount it has nothing more to show.
MOUNT_DEAD_END = (r"^fs: not mounted: ", "the kernel did not mount the disk: {line} (the mount "
                  "needs only the buffer cache, exercise 1: handout §3.1)")
MASK = (1 << 64) - 1
BLOCK = 1024                        # tunables.h FS_BLOCK_SIZE, mke2fs -b 1024
NDIR, NIND = 12, BLOCK // 4         # direct blocks; block numbers per indirect block
DIND_START = NDIR + NIND            # the first file block reached through the double-indirect
MOUNTED_RE = r"^fs: ext2 mounted, (\d+) blocks \((\d+) free\), (\d+) inodes \((\d+) free\)$"
NOT_MOUNTED_RE = r"^fs: not mounted: .+$"
INIT_MAX_LEN = 255                  # tunables.h: characters of init='s value
EISDIR, ENOENT, EEXIST, ENOSPC = 21, 2, 17, 28
S_IFLNK = 0o120000


# ---- helpers -------------------------------------------------------------------------


def run(kernel, init, img, timeout=30):
    """Boot with init=... and the disk img (a good one: it must mount), wait
    for the power-off (e2fsck then checks img); return the serial text."""
    check(len(init) <= INIT_MAX_LEN, f"init= of at most {INIT_MAX_LEN} characters (a grader bug)",
          len(init))
    with kernel.boot(f"init={init}", dead_ends=STUBS + [MOUNT_DEAD_END], disk=img) as m:
        m.expect_exit(SUCCESS, timeout=timeout)
        m.refuse_dead_ends(f"the programs of init={init} to run")
    return m.text


def xorshift(s):
    s ^= (s << 13) & MASK
    s ^= s >> 7
    s ^= (s << 17) & MASK
    return s


def stream(seed, n):
    """n bytes of the stream of seed (user/fswrite.c, fsfill.c): xorshift64
    from seed | 1, each step's 8 bytes least significant first."""
    s, words = (seed & MASK) | 1, array.array("Q")
    for _ in range((n + 7) // 8):
        s = xorshift(s)
        words.append(s)
    return words.tobytes()[:n]


def name(n=None):
    """A random file name: letters and digits, 3 to 8 of them."""
    return word(n or rng.randint(3, 8))


def names(k, n=None):
    """k different random names (of n characters, else 3 to 8)."""
    out = set()
    while len(out) < k:
        out.add(name(n))
    return sorted(out, key=lambda _: rng.random())


def region(lbn):
    if lbn < NDIR:
        return "a direct block"
    if lbn < DIND_START:
        return "a block under the single-indirect block"
    return "a block under the double-indirect block"


def check_bytes(path, got, want):
    """got (read from the image) is want exactly; else where they first differ."""
    if got == want:
        return
    if len(got) != len(want):
        raise GradeError(f"expected: {path}: {len(want)} bytes on the disk\n    seen:     {len(got)}")
    at = next(i for i in range(len(want)) if got[i] != want[i])
    lbn = at // BLOCK
    raise GradeError(f"expected: {path}: the bytes written\n"
                     f"    seen:     byte {at} (file block {lbn}, {region(lbn)}) is 0x{got[at]:02x}, "
                     f"not 0x{want[at]:02x}; {sum(a != b for a, b in zip(got, want))} bytes differ")


def blocks_used(written):
    """The blocks a file with bytes written in the ranges written (offset,
    length) holds: the data blocks touched, and the indirect blocks above
    them."""
    data = set()
    for off, n in written:
        data.update(range(off // BLOCK, (off + n - 1) // BLOCK + 1) if n else ())
    ind = any(NDIR <= b < DIND_START for b in data)
    dind = {(b - DIND_START) // NIND for b in data if b >= DIND_START}
    return len(data) + ind + (len(dind) + 1 if dind else 0)


def fsread_line(path, data, seed, index):
    """What fsread SEED ... prints for path (argv[index]) holding data."""
    w = xorshift(((seed * 31 + index) & MASK) | 1)
    off = w % (len(data) + 2049)
    n = xorshift(w) % 70000 + 1
    part = data[off:off + n]
    return (f"fsread: {path} size {len(data)} read {len(data)} crc {zlib.crc32(data):08x} "
            f"at {off}: {len(part)} bytes crc {zlib.crc32(part):08x}")


def fsread(seed, files):
    """init= program fsread for files {path: data}, and the lines it must print."""
    paths = list(files)
    spec = "fsread:" + ":".join([str(seed)] + paths)
    want = [fsread_line(p, files[p], seed, i + 2) for i, p in enumerate(paths)]
    return spec, want


def make_image(tmp_path, label, size="8M", junk=False, **contents):
    """An image made by mke2fs -d (disk.make_image). With junk, every block
    it leaves free first held random bytes (a file written, then removed by
    debugfs): a kernel that hands out a new block without zeroing it shows
    them."""
    img = tmp_path / f"{label}.img"
    if junk:
        files = dict(contents.pop("files", {}))
        free = int(size.rstrip("M")) * 1024 * 3 // 4
        files["/junk"] = rng.randbytes(free * 1024)
        disk.make_image(img, files=files, size=size, **contents)
        disk.debugfs(img, "rm /junk", write=True)
    else:
        disk.make_image(img, size=size, **contents)
    return img


def superblock_counts(img):
    sb = disk.superblock(img)
    return tuple(int(sb[k]) for k in ("Block count", "Free blocks", "Inode count", "Free inodes"))


# ---- mounting (exercise 1) -----------------------------------------------------------------


MKE2FS_WRONG = [
    (["-b", "2048"], "2 KiB blocks"),
    (["-b", "4096"], "4 KiB blocks"),
    (["-O", "none,sparse_super"], "no filetype feature"),
    (["-O", "none,filetype,sparse_super,extent"], "the extent feature"),
    (["-O", "none,filetype,sparse_super,meta_bg"], "the meta_bg feature"),
    (["-O", "none,filetype,sparse_super,flex_bg"], "the flex_bg feature"),
    (["-O", "none,filetype,sparse_super,huge_file"], "the huge_file feature"),
    (["-O", "none,filetype,sparse_super,uninit_bg"], "the uninit_bg feature"),
    (["-r", "0", "-O", "none"], "revision 0"),
]


@pytest.mark.points(5)
@pytest.mark.exercise(1)
def test_mount(kernel, tmp_path):
    """The buffer cache on its own. The kernel mounts an image of a random
    size holding a random number of files: its mount line gives the block
    and inode counts the superblock holds (free ones too), read by
    dumpe2fs here. The in-kernel test bcache then checks one buffer per
    block, LRU recycling, a dirty buffer written back when recycled and a
    reader that waits while every buffer is in use; the image stays clean.
    An image made with another block size, an incompatible feature or
    revision (drawn at random) is refused with one line, and not one byte
    of it changes. Catches a bget that never finds a block (the mount
    fails), two buffers for one block, a cache that never recycles or
    recycles a buffer in use, a dirty buffer dropped, a bget that fails
    instead of waiting, and a kernel that writes to a disk it refused."""
    size = f"{rng.randint(3, 24)}M"
    files = {f"/d{rng.randint(0, 3)}/{name()}": rng.randbytes(rng.randint(0, 3000))
             for _ in range(rng.randint(1, 40))}
    img = make_image(tmp_path, "good", size=size, files=files)
    want = superblock_counts(img)
    text = boot_ktest(kernel, "test=bcache", img)
    m = re.search(MOUNTED_RE, text, re.M)
    check(m, "fs: ext2 mounted, B blocks (F free), I inodes (J free)", lines(text, "fs:"))
    got = tuple(int(x) for x in m.groups())
    check(got == want, "%d blocks (%d free), %d inodes (%d free), as the superblock says" % want,
          m.group(0))
    check_lines(text, "bcache: one buffer per block: yes", "bcache: LRU keeps recent, recycles oldest: yes",
                "bcache: dirty buffer written back when recycled: yes",
                "bcache: a reader waits while all are in use: yes")

    options, what = rng.choice(MKE2FS_WRONG)
    bad = tmp_path / "wrong.img"
    disk._run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024", "-I", "128",
               "-O", "none,filetype,sparse_super", "-m", "0"] + options + [bad, "4M"])
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    with kernel.boot("init=true", dead_ends=STUBS, disk=bad) as m:
        m.expect_exit(SUCCESS)
    text = m.text
    check(re.search(NOT_MOUNTED_RE, text, re.M) and not re.search(MOUNTED_RE, text, re.M),
          f"'fs: not mounted: ...' for an image with {what}", lines(text, "fs:"))
    check(hashlib.sha256(bad.read_bytes()).hexdigest() == before,
          f"the refused image ({what}) left as it was", "it was written to")


# ---- the block map alone (exercise 2) ----------------------------------------------------------


def bmap_byte(lbn, i, seed):
    """Byte i of file block lbn in test=fs_bmap (kernel/tests/lab8early.c)."""
    return ((((lbn * 2654435761) & 0xFFFFFFFF) ^ ((i * 40503) & 0xFFFFFFFF) ^ seed) >> 7) & 0xFF


def boot_ktest(kernel, cmdline, img, timeout=20):
    with kernel.boot(cmdline, dead_ends=STUBS + [MOUNT_DEAD_END], disk=img) as m:
        name_ = cmdline.split()[0].split("=")[1]
        m.expect_line(f"ktest {name_}: ok", timeout=timeout)
        m.expect_exit(SUCCESS)
    return m.text


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_bmap(kernel, tmp_path):
    """bmap on its own (the in-kernel test fs_bmap): random file blocks of
    an empty file, direct, under the single- and under the double-indirect
    block (the boundaries 11/12 and 267/268 often among them), mapped with
    allocation in random order and filled through the buffer cache; then
    mapped again without allocation (the same blocks), holes (0), the
    first block past the largest file (-EFBIG). After QEMU exits debugfs
    must see the same block map, the file's bytes and i_blocks counting
    the indirect blocks; e2fsck a clean disk. The free blocks held random
    bytes before. Catches an off-by-one in an indirect index (debugfs sees
    another map), indirect blocks not zeroed (random block numbers:
    e2fsck), i_blocks without the indirect blocks, a block allocated twice
    or not marked in the bitmap, holes filled by a lookup without alloc."""
    img = make_image(tmp_path, "bmap", size="4M", junk=True, files={"/e": b""})
    ino = disk.stat(img, "/e")["ino"]
    pool = (list(range(NDIR)), list(range(NDIR, DIND_START)), list(range(DIND_START, 1800)))
    lbns = set(rng.sample([11, 12, 267, 268, 268 + NIND - 1, 268 + NIND], rng.randint(1, 4)))
    for rangeof in pool:
        lbns.update(rng.sample(rangeof, rng.randint(2, 4)))
    lbns = sorted(lbns, key=lambda _: rng.random())
    holes = [rng.choice([b for b in r if b not in lbns]) for r in pool] + [max(lbns) + 1]
    seed = rng.getrandbits(31)
    text = boot_ktest(kernel, f"test=fs_bmap ino={ino} lbns={'.'.join(map(str, lbns))} "
                              f"holes={'.'.join(map(str, holes))} seed={seed}", img)
    got = {int(l): int(b) for l, b in re.findall(r"^fs_bmap: lbn (\d+) -> block (-?\d+)$", text, re.M)}
    check(sorted(got) == sorted(lbns), f"a line for each of lbns {lbns}", lines(text, "fs_bmap: lbn"))
    check_lines(text, "fs_bmap: again without alloc: same",
                "fs_bmap: holes: " + " ".join("0" for _ in holes), "fs_bmap: past the largest file: -27")
    st = disk.stat(img, "/e")
    check(st["block_map"] == got, "debugfs's block map of the file the same as bmap's",
          {l: st["block_map"].get(l) for l in lbns if st["block_map"].get(l) != got[l]})
    want = blocks_used([(l * BLOCK, BLOCK) for l in lbns])
    check(st["blockcount"] == 2 * want, f"i_blocks {2 * want} ({want} blocks, the indirect ones "
          "included)", st["blockcount"])
    data = disk.cat(img, "/e")
    for l in lbns:
        block = data[l * BLOCK:(l + 1) * BLOCK]
        check(block == bytes(bmap_byte(l, i, seed) for i in range(BLOCK)),
              f"file block {l} ({region(l)}) holding what the test wrote in it", "other bytes")


# ---- directories alone (exercises 2 and 3) --------------------------------------------------


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3)
def test_dir_ops(kernel, tmp_path):
    """dir_add, dir_lookup and dir_remove on their own (the in-kernel test
    fs_dir) in a directory the host filled with random long names: random
    names of random lengths added (past the first block), looked up,
    added again (-EEXIST), a random subset removed, all looked up again
    (0 for the removed), a missing one removed (-ENOENT), and short names
    added into the freed space (the directory does not grow). debugfs must
    list exactly the names kept and added, all naming the file, whose link
    count is right; every record well formed, a removed one merged into
    the record before it; e2fsck clean. Catches a rec_len not a multiple
    of 4, a split that overlaps the next record, a lookup that stops at
    the first block or matches a prefix, removed records left in place,
    a new block not added when the last is full."""
    d = name()
    host = {f"/{d}/{word(rng.randint(30, 60))}{i}": b"" for i in range(rng.randint(8, 16))}
    img = make_image(tmp_path, "dirops", size="4M", files={**host, "/t": b"target"})
    dino, tino = disk.stat(img, f"/{d}")["ino"], disk.stat(img, "/t")["ino"]
    new = [n for n in names(rng.randint(18, 26)) if f"/{d}/{n}" not in host]
    new[rng.randrange(len(new))] = new[0][:-1] if len(new[0]) > 3 else new[0] + "x"   # a prefix
    new = list(dict.fromkeys(new))
    seed = rng.getrandbits(62)
    gone = [bool((seed >> (k % 64)) & 1) for k in range(len(new))]
    k_removed = sum(gone)
    text = boot_ktest(kernel, f"test=fs_dir ino={dino} target={tino} names={'.'.join(new)} "
                              f"seed={seed}", img)
    check_lines(text, f"fs_dir: added {len(new)}: 0 each", f"fs_dir: lookups: {len(new)} right",
                f"fs_dir: adding {new[0]} again: -{EEXIST}", f"fs_dir: removed {k_removed}: 0 each",
                f"fs_dir: lookups after: {len(new)} right", f"fs_dir: removing a missing name: -{ENOENT}")
    m = re.search(rf"^fs_dir: added {k_removed // 2} more: 0 each, size before (\d+) after (\d+)$",
                  text, re.M)
    check(m and m.group(1) == m.group(2), f"{k_removed // 2} more added into the freed space "
          "(the directory's size unchanged)", lines(text, "fs_dir: added"))
    kept = [n for n, g in zip(new, gone) if not g] + [f"r{j:03d}" for j in range(k_removed // 2)]
    ents = [e for e in disk.entries(img, f"/{d}") if e["ino"] != 0]
    want = [(".", dino), ("..", 2)] + [(p.rsplit("/", 1)[1], None) for p in host] + [(n, tino) for n in kept]
    check_listing([(e["name"], e["ino"] if e["name"] in kept or e["name"] in (".", "..") else None)
                   for e in ents], want, f"debugfs's listing of /{d}")
    links = disk.stat(img, "/t")["links"]
    check(links == 1 + len(kept), f"/t with {1 + len(kept)} links", links)
    check_dir_blocks(disk.cat(img, f"/{d}"), f"/{d}")


# ---- reading what the host made (exercises 1-5) ---------------------------------------------


def host_tree():
    """Files of sizes across the direct, single- and double-indirect
    blocks, the block boundaries and holes, in nested directories, a big
    directory, and symlinks fast and slow: {path: data}, symlinks
    {path: target} and the paths to read with the data each must give."""
    top, sub, deep, big = names(4, 3)           # short: init= holds 255 characters
    sizes = [0, rng.randint(1, BLOCK - 1), BLOCK * rng.randint(1, 11) + rng.randint(-1, 1),
             NDIR * BLOCK + rng.choice([-1, 0, 1]), rng.randint(NDIR * BLOCK + 2, DIND_START * BLOCK),
             DIND_START * BLOCK + rng.choice([-1, 0, 1]),
             rng.randint(DIND_START * BLOCK + 2, 900 * BLOCK)]
    files, read = {}, {}
    for i, size in enumerate(sizes):
        p = f"/{top}/f{i}"
        files[p] = read[p] = rng.randbytes(size)
    # Holes: zero blocks mke2fs leaves unallocated, one where the whole
    # single-indirect range is a hole (no indirect block at all).
    a, hole = rng.randint(1, 3 * BLOCK), rng.randint(2, 40) * BLOCK
    data = rng.randbytes(a) + bytes(hole + (-a) % BLOCK) + rng.randbytes(rng.randint(1, 20000))
    files[f"/{top}/h0"] = read[f"/{top}/h0"] = data
    data = bytes((DIND_START + rng.randint(0, 300)) * BLOCK) + rng.randbytes(rng.randint(1, 5000))
    files[f"/{top}/h1"] = read[f"/{top}/h1"] = data
    # A directory of many blocks: the file asked for is in its last block.
    many = [f"{word(rng.randint(20, 40))}{i}" for i in range(rng.randint(90, 140))]
    many[-1] = f"{word(3)}z"
    for n in many:
        files[f"/{big}/{n}"] = n.encode()
    read[f"/{big}/{many[-1]}"] = many[-1].encode()
    deepfile = rng.randbytes(rng.randint(1, 5000))
    files[f"/{top}/{sub}/{deep}/x"] = deepfile
    symlinks = {f"/{top}/s": f"{sub}/{deep}/x",                    # relative, fast
                f"/{top}/t": f"/{top}/./{sub}/../{sub}/{deep}" + "/." * 30 + "/x",   # slow
                f"/{top}/u": f"{sub}"}                              # to a directory
    read[f"/{top}/s"] = deepfile
    read[f"/{top}/t"] = deepfile
    read[f"/{top}/u/{deep}/x"] = deepfile
    return top, files, symlinks, read


@pytest.mark.points(15)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_read_host_files(kernel, tmp_path):
    """Files mke2fs -d put on the disk read back exactly: random contents
    of sizes on either side of every block-map boundary (empty, under a
    block, the 12 direct blocks, the single- and the double-indirect
    block), files with holes (one with no single-indirect block at all),
    a file in the last block of a directory of many blocks, relative, slow
    and directory symlinks; each read whole in chunks of random sizes and
    once with pread at a random offset (past the end too). A directory
    read gives -EISDIR, a missing name -ENOENT. Catches an off-by-one in
    the indirect or double-indirect index, holes that read as garbage,
    reads that cross a block boundary wrong, the end of the file not
    clamped, a lookup that stops at a directory's first block, symlinks
    not followed or followed from the wrong directory."""
    top, files, symlinks, read = host_tree()
    img = make_image(tmp_path, "host", files=files, symlinks=symlinks)
    paths = list(read)
    rng.shuffle(paths)
    seed1, seed2 = rng.randint(1, 1 << 40), rng.randint(1, 1 << 40)
    half = len(paths) // 2
    spec1, want1 = fsread(seed1, {p: read[p] for p in paths[:half]})
    spec2, want2 = fsread(seed2, {p: read[p] for p in paths[half:]})
    extra = f":/{top}:/{top}/nope"
    text = run(kernel, f"{spec1},{spec2}{extra}", img)
    check_lines(text, *want1, *want2)
    check(f"fsread: /{top} read error -{EISDIR}" in text.splitlines(),
          f"fsread: /{top} read error -{EISDIR}", lines(text, f"fsread: /{top} "))
    check_lines(text, f"fsread: /{top}/nope open error -{ENOENT}")


# ---- writing what the host reads (exercises 1-5) --------------------------------------------


def segments():
    """(offset, length) pieces of a file: a partial first block, a hole,
    a piece under the single-indirect block, a hole into the
    double-indirect range and a long piece there, then two overwrites (one
    inside the first piece, one across block boundaries in the last)."""
    s0 = (0, rng.randint(BLOCK + 1, 5 * BLOCK - 1))
    s1 = (rng.randint(20 * BLOCK, 100 * BLOCK) + rng.randint(1, BLOCK - 1), rng.randint(1, 30000))
    s2 = (rng.randint(DIND_START * BLOCK + 1, 600 * BLOCK), rng.randint(100_000, 300_000))
    s3 = (rng.randint(1, s0[1] - 200), rng.randint(1, 150))
    s4 = (s2[0] + rng.randint(0, s2[1] - 5000), rng.randint(BLOCK + 1, 4000))
    return [s0, s1, s2, s3, s4]


def written(seed, segs):
    """The file fswrite PATH SEED segs makes."""
    out = bytearray(max(o + n for o, n in segs))
    for k, (o, n) in enumerate(segs):
        out[o:o + n] = stream(seed + k, n)
    return bytes(out)


def fswrite(path, seed, segs):
    return f"fswrite:{path}:{seed}:" + ":".join(f"{o}:{n}" for o, n in segs)


@pytest.mark.points(15)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_write_files(kernel, tmp_path):
    """The kernel writes a file in pieces (random offsets, sizes and bytes:
    a partial block, holes, pieces under the single- and double-indirect
    blocks, overwrites inside earlier pieces, in writes of random sizes
    through write and pwrite) and a file of about 12 blocks; debugfs's copy
    of each must be the bytes written, holes zero, and the inode must hold
    exactly the blocks they need (data and indirect). The free blocks of
    the image held random bytes before. A slow symlink the kernel makes
    has its target on the disk, and reads through it work. Catches new
    blocks not zeroed (the junk shows in a hole or past a piece's end), an
    off-by-one in the indirect index, i_blocks not counting indirect
    blocks, blocks allocated for holes, a partial write that loses the
    rest of its block, a size not updated, dirty buffers never written
    back."""
    d, a, b, lnk = names(4, 3)                  # short: init= holds 255 characters
    img = make_image(tmp_path, "write", junk=True, dirs=[f"/{d}"])
    segs = segments()
    seed_a, seed_b, seed_r = (rng.randint(1, 1 << 40) for _ in range(3))
    segs_b = [(0, NDIR * BLOCK + rng.randint(-3, 3))]
    data_a, data_b = written(seed_a, segs), written(seed_b, segs_b)
    k = rng.randint(30, 60)
    target = f"/{d}" + "/." * k + f"/{b}"
    spec, want = fsread(seed_r, {f"/{d}/{lnk}": data_b, f"/{d}/{a}": data_a})
    init = ",".join([fswrite(f"/{d}/{a}", seed_a, segs), fswrite(f"/{d}/{b}", seed_b, segs_b),
                     f"fslink:/{d}:{b}:{k}:/{d}/{lnk}", spec])
    text = run(kernel, init, img, timeout=40)
    for path, data in ((f"/{d}/{a}", data_a), (f"/{d}/{b}", data_b)):
        check_lines(text, f"fswrite: {path} size {len(data)} crc {zlib.crc32(data):08x}")
    check_lines(text, f"fslink: /{d}/{lnk}: symlink 0, readlink gives {len(target)} bytes, "
                      "the same: yes", *want)
    for path, data, pieces in ((f"/{d}/{a}", data_a, segs), (f"/{d}/{b}", data_b, segs_b)):
        check_bytes(path, disk.cat(img, path), data)
        st = disk.stat(img, path)
        want_blocks = blocks_used(pieces)
        check(st["blockcount"] == 2 * want_blocks,
              f"{path}: i_blocks {2 * want_blocks} (512-byte units: {want_blocks} blocks, "
              "data and indirect, none for holes)", st["blockcount"])
    got = disk.symlink_target(img, f"/{d}/{lnk}")
    check(got == target, f"/{d}/{lnk} -> {target}", got)


# ---- a big directory (exercises 1-5) ---------------------------------------------------------


def fsdir_names(seed, n):
    """The names fsdir DIR n seed makes, and which of them it removes."""
    alphabet = string.ascii_lowercase + string.digits
    s, r, out, gone = (seed & MASK) | 1, (seed * 3 + 1) & MASK, [], []
    for i in range(n):
        s = xorshift(s)
        chars = []
        for _ in range(s % 24):
            s = xorshift(s)
            chars.append(alphabet[s % 36])
        out.append("".join(chars) + f"_{i:x}")
    for i in range(n):
        r = xorshift(r)
        gone.append(bool((r >> 11) & 1))
    return out, gone


def listing(text, round_):
    """fsdir's entries of one round: a list of (name, type)."""
    return [(m[0], int(m[1])) for m in re.findall(rf"^fsdir: {round_} (\S+) (\d+)$", text, re.M)]


def check_listing(got, want, what):
    dup = sorted({e for e in got if got.count(e) > 1})
    check(not dup, f"{what}: each entry once", f"{len(dup)} given twice, e.g. {dup[:3]}")
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    check(not missing and not extra, f"{what}: the {len(want)} entries (name, d_type)",
          f"{len(missing)} missing {missing[:3]}, {len(extra)} not expected {extra[:3]}")


def check_dir_blocks(raw, path):
    """Every record of a directory's blocks is well formed, and a removed
    entry's record was merged into the one before it (inode 0 only at a
    block's start)."""
    for blk in range(0, len(raw), BLOCK):
        at = 0
        while at < BLOCK:
            ino = int.from_bytes(raw[blk + at:blk + at + 4], "little")
            rec_len = int.from_bytes(raw[blk + at + 4:blk + at + 6], "little")
            name_len = raw[blk + at + 6]
            where = f"{path}: block {blk // BLOCK}, record at byte {at}"
            check(rec_len % 4 == 0 and rec_len >= 8 + name_len and at + rec_len <= BLOCK,
                  f"{where}: rec_len a multiple of 4, holding its name, inside the block",
                  f"rec_len {rec_len}, name_len {name_len}")
            check(ino != 0 or at == 0, f"{where}: a live entry (a removed one is merged into "
                  "the record before it; inode 0 only at a block's start)", "inode 0")
            at += rec_len
            if rec_len == 0:
                break


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_big_directory(kernel, tmp_path):
    """A thousand files or more with random names of random lengths in one
    directory, each holding its name: created (O_EXCL again gives
    -EEXIST), listed with getdents64, a random half removed, listed, the
    rest read back, then new short names added into the freed space and
    listed. Each listing must be the set computed here; the directory
    must not grow once entries are removed and added back (the freed space
    is reused); debugfs's listing must agree; every record must be well
    formed, a removed one merged into the record before it. Catches
    records whose rec_len is not a multiple of 4 or does not reach the
    block's end (e2fsck), removed records left as holes, a lookup that
    misses entries past the first block, the cache never recycling a
    buffer (a thousand files need more blocks than it has)."""
    d = name()
    n, seed = rng.randint(1000, 1100), rng.randint(1, 1 << 40)
    img = make_image(tmp_path, "dir", size="8M")
    text = run(kernel, f"fsdir:/{d}:{n}:{seed}", img, timeout=240)     # a hang guard: ~40 s alone, more under load
    made, gone = fsdir_names(seed, n)
    check_lines(text, f"fsdir: created {n} files; O_EXCL again gives -{EEXIST}")
    dots = [(".", 4), ("..", 4)]
    kept = [x for x, g in zip(made, gone) if not g]
    added = [f"z{j:03x}" for j in range((n - len(kept)) // 2)]
    check_listing(listing(text, 1), dots + [(x, 8) for x in made], "the first listing")
    check_listing(listing(text, 2), dots + [(x, 8) for x in kept], "after removing")
    check_lines(text, f"fsdir: removed {n - len(kept)}: {n - len(kept)} of them give -{ENOENT}, "
                      f"{len(kept)} of {len(kept)} kept read back their names")
    check_listing(listing(text, 3), dots + [(x, 8) for x in kept + added], "after adding")
    m = re.search(r"^fsdir: directory size (\d+) (\d+) (\d+)$", text, re.M)
    check(m and m.group(1) == m.group(2) == m.group(3),
          "the directory's size the same after removing and adding back", lines(text, "fsdir: dir"))
    check(int(m.group(1)) == disk.stat(img, f"/{d}")["size"],
          f"the size debugfs gives, {disk.stat(img, f'/{d}')['size']}", m.group(1))
    check_listing([(e["name"], 4 if e["mode"] & 0o040000 else 8) for e in disk.entries(img, f"/{d}")
                   if e["ino"] != 0],                   # a removed first record of a block
                  dots + [(x, 8) for x in kept + added], "debugfs's listing")
    check_dir_blocks(disk.cat(img, f"/{d}"), f"/{d}")


# ---- names (exercises 1-4) ----------------------------------------------------------------


def fsnames_want(A, B, C, F, G, H, X, P):
    """What fsnames A B C F G H X P must print, Linux's way."""
    return [
        "mkdir /A /A/B /C: 0 0 0", "mkdir /A again: -17", "put /A/F: 0", "link /A/F /C/G: 0",
        "links of /A/F: 2", "link /A/F /C/G again: -17", "unlink /A/F: 0", "links of /C/G: 1",
        "/C/G is F: yes", "rename /C/G /A/B/H: 0", "stat /C/G: -2", "/A/B/H is F: yes",
        "put /A/X: 0", "rename /A/B/H over /A/X: 0", "/A/X is F: yes", "links of /A/X: 1",
        "stat /A/B/H: -2", "rename /A/X /A/X: 0", "/A/X is still F: yes",
        "rmdir /A: -39", "rmdir /A/X: -20", "unlink /A/B: -21", "open /A/X/F: -20",
        "open /A/F: -2", "mkdir /A/F/G: -2", "rename /A/F /A/G: -2",
        "rename /A/B /C/B: 0", "/C/B is B, /C/B/.. is /C: yes yes", "links of /A /C /C/B: 2 3 2",
        "rename /C into /C/B/H: -22",
        "inodes of / /.. /../.. /C/B/../../..: 2 2 2 2", "/A/./../C/./B is B: yes",
        "chdir /C/B: 0", f"getcwd: /{C}/{B}", "put F (relative): 0", "F is /C/B/F, so is ../B/F: yes yes",
        "chdir ..: 0", f"getcwd: /{C}", "B/F is /C/B/F: yes", "chdir /: 0", "inode of .. from /: 2",
        "chdir /C/B/F: -20",
        "symlink B /C/P: 0", "/C/P is a symlink, and leads to a directory: yes yes",
        f"readlink /C/P: {len(B)} {B}", "/C/P/F is /C/B/F: yes", "symlink /P2 /P1: 0",
        "symlink P1 /P2: 0", "open /P1: -40", "open /P1/F: -40", "symlink C/B/F /Pi: 0",
        "/Pb is /C/B/F (8 links): yes", "open /Pa (9 links): -40", "symlink /A/F /P0: 0",
        f"open /P0, lstat /P0: -2 {S_IFLNK}",
        "put /C/ + 256 characters: -36", "put /C/ + 255 characters: 0", "unlink it: 0",
        "rmdir /C/B: -39", "unlink /C/B/F: 0", "rmdir /C/B: 0", "rmdir /C/B again: -2",
        "links of /C: 2",
    ]


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4)
def test_names(kernel, tmp_path):
    """Names with random spellings: mkdir, link and the link count, unlink,
    rename across directories and over an existing file, rename of a
    directory (its .. follows), and the errors (-EEXIST, -ENOTEMPTY,
    -ENOTDIR, -EISDIR, -ENOENT, -EINVAL for a directory moved into itself,
    -ENAMETOOLONG past 255 bytes); .. of the root is the root; chdir and
    relative paths, getcwd; fast symlinks: relative, to a directory in the
    middle of a path, a loop (-ELOOP), a chain of 8 (followed) and of 9
    (-ELOOP), a dangling one. After QEMU exits, debugfs must see the same
    tree and link counts. Then the in-kernel test names_ops (rename over
    directories, rmdir's cases, slow symlinks) and the tree it leaves, seen
    by debugfs. Catches .. of the root wrong, a symlink resolved
    from the wrong directory, a loop limit off by one, a component that is
    a file not refused, a directory record not found or not removed."""
    A, B, C, F, G, H, X, P = names(8)
    img = make_image(tmp_path, "names", size="4M", dirs=[f"/{name()}x"])
    text = run(kernel, f"fsnames:{A}:{B}:{C}:{F}:{G}:{H}:{X}:{P}", img)
    want = ["fsnames: " + l for l in fsnames_want(A, B, C, F, G, H, X, P)]
    got = lines(text, "fsnames: ")
    for i, w in enumerate(want):
        seen = got[i] if i < len(got) else "nothing"
        check(seen == w, w, f"{seen!r}, after {got[i - 1]!r}" if i else seen)
    st = disk.stat(img, f"/{A}/{X}")
    check(st["type"] == "regular" and st["links"] == 1, f"debugfs: /{A}/{X} a file with 1 link",
          f"{st['type']}, {st.get('links')} links")
    check(disk.stat(img, f"/{A}")["links"] == 2 and disk.stat(img, f"/{C}")["links"] == 2,
          f"debugfs: /{A} and /{C} with 2 links each",
          (disk.stat(img, f"/{A}")["links"], disk.stat(img, f"/{C}")["links"]))
    check(sorted(disk.ls(img, f"/{C}")) == [P], f"debugfs: /{C} holds only {P}", disk.ls(img, f"/{C}"))
    check(disk.symlink_target(img, f"/{C}/{P}") == B, f"debugfs: /{C}/{P} -> {B}",
          disk.symlink_target(img, f"/{C}/{P}"))

    # The in-kernel test names_ops (rename's and rmdir's cases, slow
    # symlinks): the tree it leaves, as debugfs sees it.
    img = make_image(tmp_path, "names_ops", size="4M")
    text = boot_ktest(kernel, "test=names_ops", img)
    check_lines(text, "names_ops: all as expected")
    want = {"/a": ("directory", 2), "/a/f": ("regular", 1), "/f2": ("regular", 1),
            "/d2": ("directory", 2), "/e": ("directory", 3), "/e/k": ("directory", 3),
            "/e/k/d1": ("directory", 2), "/la": ("symlink", 1), "/slow": ("symlink", 1)}
    for path, (kind, links) in want.items():
        st = disk.stat(img, path)
        check((st["type"], st["links"]) == (kind, links), f"debugfs: {path} a {kind} with {links} links",
              f"a {st['type']} with {st['links']} links")
    check(disk.ls(img, "/d2") == [] and sorted(disk.ls(img, "/e")) == ["k"],
          "debugfs: /d2 empty, /e holding k", (disk.ls(img, "/d2"), disk.ls(img, "/e")))
    check(disk.symlink_target(img, "/a/rel") == "../f2" and disk.symlink_target(img, "/la") == "/a",
          "debugfs: /a/rel -> ../f2, /la -> /a",
          (disk.symlink_target(img, "/a/rel"), disk.symlink_target(img, "/la")))
    slow = disk.symlink_target(img, "/slow")
    check(len(slow) > 60 and slow.endswith("a/../f2"), "debugfs: /slow -> /././.../a/../f2 (a slow symlink)",
          slow)
    check(not disk.exists(img, "/loop2") and disk.exists(img, "/loop1"),
          "debugfs: /loop1 left, /loop2 removed", sorted(disk.ls(img, "/")))


# ---- persistence (exercises 1-5) -------------------------------------------------------------


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_persistence(kernel, tmp_path):
    """Two boots on one image: the first writes two files (one past the
    single-indirect blocks) and a slow symlink and powers off; the second
    reads them back (checksums computed here, not from the first boot's
    output), then rewrites the large one smaller (O_TRUNC frees its blocks).
    debugfs must see the second version and e2fsck a clean disk after each
    boot. Catches a cache never written back at power-off, a size or block
    map held only in memory, blocks freed by truncation still marked used."""
    d, f1, f2, lnk = names(4)
    img = make_image(tmp_path, "persist", junk=True, dirs=[f"/{d}"])
    s1, s2, s3, s4 = (rng.randint(1, 1 << 40) for _ in range(4))
    segs1 = [(0, rng.randint(1, 30 * BLOCK))]
    segs2 = [(rng.randint(0, 5000), rng.randint(1000, 20000)),
             (rng.randint(DIND_START * BLOCK, 400 * BLOCK), rng.randint(1000, 90000))]
    data1, data2 = written(s1, segs1), written(s2, segs2)
    k = rng.randint(30, 60)
    text = run(kernel, ",".join([fswrite(f"/{d}/{f1}", s1, segs1), fswrite(f"/{d}/{f2}", s2, segs2),
                                 f"fslink:/{d}:{f1}:{k}:/{d}/{lnk}"]), img)
    check_lines(text, f"fswrite: /{d}/{f1} size {len(data1)} crc {zlib.crc32(data1):08x}",
                f"fswrite: /{d}/{f2} size {len(data2)} crc {zlib.crc32(data2):08x}")
    segs3 = [(0, rng.randint(1, 3 * BLOCK))]
    data3 = written(s4, segs3)
    spec, want = fsread(s3, {f"/{d}/{f1}": data1, f"/{d}/{f2}": data2, f"/{d}/{lnk}": data1})
    text = run(kernel, spec + "," + fswrite(f"/{d}/{f2}", s4, segs3), img)
    check_lines(text, *want)
    check_bytes(f"/{d}/{f2}", disk.cat(img, f"/{d}/{f2}"), data3)
    check_bytes(f"/{d}/{f1}", disk.cat(img, f"/{d}/{f1}"), data1)


# ---- a full disk (exercises 1-5) --------------------------------------------------------------


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_enospc(kernel, tmp_path):
    """A small image (2-4 MiB) filled by one file in writes of random sizes
    until a write is refused: the write that found no room returns what
    fit, the next -ENOSPC; the file's size, as fstat and debugfs see it, is
    what was written and its bytes are those written; the disk has (almost)
    no free block left, and e2fsck finds it clean: no block counted twice
    or lost, the free counts right. Then a new file can be made but not
    written (-ENOSPC), nor a directory made; removing the new file works.
    Catches a write that claims bytes it did not store, an allocation
    that fails half way and leaves a block or an inode marked used, a free
    count not kept, a size past the data."""
    f = name()
    img = make_image(tmp_path, "full", size=f"{rng.randint(2, 4)}M",
                     files={f"/{name()}": rng.randbytes(rng.randint(1, 50000)) for _ in range(3)})
    seed = rng.randint(1, 1 << 40)
    text = run(kernel, f"fsfill:/{f}:{seed}", img, timeout=40)
    m = re.search(r"^fsfill: wrote (\d+) bytes, then (-?\d+)$", text, re.M)
    check(m and m.group(2) == f"-{ENOSPC}", f"fsfill: wrote N bytes, then -{ENOSPC}",
          lines(text, "fsfill:"))
    n = int(m.group(1))
    check_lines(text, f"fsfill: size {n}",
                f"fsfill: another file: open 0, write -{ENOSPC}, mkdir -{ENOSPC}, unlink 0")
    st = disk.stat(img, f"/{f}")
    check(st["size"] == n, f"debugfs: /{f} of {n} bytes", st["size"])
    check_bytes(f"/{f}", disk.cat(img, f"/{f}"), stream(seed, n))
    free = superblock_counts(img)[1]
    check(free <= 2, "at most 2 free blocks left on the disk", f"{free} free")


# ---- a damaged disk (exercises 1-5) -----------------------------------------------------------


def damage(img, regions, count):
    """Change count random places in regions (kind, offset, length, what):
    a random byte, or a 2- or 4-byte field set to a value that breaks
    bounds (0, all ones, the block count, just past it, a small odd
    number). Returns the kinds hit."""
    blocks = superblock_counts(img)[0]
    hit = []
    with open(img, "r+b") as f:
        for _ in range(count):
            kind, off, length, what = rng.choice(regions)
            at = off + rng.randrange(length)
            choice = rng.random()
            if choice < 0.5:
                f.seek(at)
                old = f.read(1)
                f.seek(at)
                f.write(bytes([(old[0] + rng.randint(1, 255)) % 256]))
            elif choice < 0.8:
                at = off + rng.randrange(max(1, length // 4)) * 4
                value = rng.choice([0, 0xFFFFFFFF, 0x7FFFFFFF, blocks, blocks + 1, rng.getrandbits(32)])
                f.seek(at)
                f.write(value.to_bytes(4, "little"))
            else:
                at = off + rng.randrange(max(1, length // 2)) * 2
                value = rng.choice([0, 1, 3, 0xFFFF, BLOCK - 2, BLOCK + 4, 9])
                f.seek(at)
                f.write(value.to_bytes(2, "little"))
            hit.append(kind)
    return hit


def damaged_tree():
    """/good (files the damage never touches) and /bad (files, a directory,
    a large file with indirect blocks, symlinks) for the damage tests."""
    files = {f"/good/{name()}": rng.randbytes(rng.randint(0, 300 * BLOCK)) for _ in range(3)}
    for i in range(rng.randint(4, 8)):
        files[f"/bad/{name()}{i}"] = rng.randbytes(rng.randint(0, 20 * BLOCK))
    files["/bad/big"] = rng.randbytes(rng.randint(DIND_START * BLOCK, 500 * BLOCK))
    for i in range(30):
        files[f"/bad/sub/{word(rng.randint(10, 30))}{i}"] = b"x" * rng.randint(0, 100)
    return files, {"/bad/s": "sub", "/bad/t": "/good" + "/." * 40}


# Which metadata each boot damages, and whether /good must read back right.
DAMAGE = [   # (what, kinds of region, places, /good must read back)
    ("the bitmaps and the inodes of /bad's files", ("block_bitmap", "inode_bitmap", "inode"),
     (42, 50), True),
    ("/bad's directory blocks and indirect blocks", ("dir", "indirect"), (42, 50), True),
    ("the superblock", ("superblock",), (10, 15), False),
    ("the group descriptors", ("gdt",), (6, 10), False),      # few: some images still mount
]


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_damaged_disk(kernel, tmp_path):
    """Four images damaged at 100 random places or more in all: the bitmaps
    and the inodes of some files (42-50 places); directory and indirect
    blocks (42-50); the superblock (10-15); the group descriptors (6-10).
    On each the kernel lists, stats and reads everything, then writes, makes a
    directory, renames and removes: it may refuse to mount, and any call
    on damaged data may fail (-EIO, -EUCLEAN), but the kernel must never
    panic, hang or triple-fault, and the files the damage did not touch
    must still read back exactly when the superblock is intact. Catches
    block numbers from the disk used unchecked (an indirect block past the
    disk's end), a record length of 0 looping for ever, a name length past
    its record, an inode number out of range, a bitmap trusted to give a
    block inside the disk."""
    summary = []
    for i, (what, kinds, places, good_must_read) in enumerate(DAMAGE):
        files, symlinks = damaged_tree()
        img = make_image(tmp_path, f"damaged{i}", size="4M", files=files, symlinks=symlinks)
        bad_inodes = {disk.stat(img, p)["ino"] for p in files if p.startswith("/bad/")
                      and not p.startswith("/bad/sub/")}
        bad_dirs = {disk.stat(img, p)["ino"] for p in ("/bad", "/bad/sub")}
        regions = []
        for kind, off, length, about in disk.metadata_regions(img):
            if kind not in kinds:
                continue
            found = re.search(r"inode (\d+)", about)
            ino = int(found.group(1)) if found else None
            if kind == "inode" and ino not in bad_inodes:
                continue
            if kind == "dir" and ino not in bad_dirs:
                continue
            if kind == "indirect" and ino not in bad_inodes:
                continue
            regions.append((kind, off, length, about))
        check(regions, f"places to damage in {what} (a grader bug)", regions)
        hit = damage(img, regions, rng.randint(*places))
        good = {p: d for p, d in files.items() if p.startswith("/good/")}
        seed = rng.randint(1, 1 << 40)
        spec, want = fsread(seed, good)
        init = f"{spec},fsprobe:/bad:/bad/sub:/"
        ends = STUBS + ([MOUNT_DEAD_END] if good_must_read else [])
        with kernel.boot(f"init={init}", dead_ends=ends, disk=img, fsck=False) as m:
            status = m.wait_exit(timeout=30)
            m.refuse_dead_ends(f"after damage to {what}: the programs run to the end")
            if status != SUCCESS:
                why = {None: "a hang", TRIPLE_FAULT: "a triple fault",
                       FAILURE: "a panic or failure"}.get(status, f"QEMU exit {status}")
                m._fail(f"after damage to {what} ({len(hit)} places): the programs run to the "
                        f"end and the kernel powers off ({why} instead)")
        text = m.text
        check("fsprobe: done" in text.splitlines(),
              f"after damage to {what}: fsprobe: done", lines(text, "fsprobe:")[-5:])
        refused = bool(re.search(NOT_MOUNTED_RE, text, re.M))
        if good_must_read:
            check(not refused, f"after damage to {what} only: the disk mounted",
                  lines(text, "fs:"))
            check_lines(text, *want)
        errors = re.findall(r"^fsprobe: \S+ \S+: (-\d+)$", text, re.M)
        summary.append(f"{what}: {len(hit)} places, "
                       f"{'refused at mount' if refused else 'mounted'}, {len(errors)} calls failed "
                       f"({', '.join(sorted(set(errors)))}), "
                       f"{len(lines(text, 'fs: corrupt:'))} 'fs: corrupt' lines")
        with open(m.log_path, "a") as log:
            log.write(f"# damage: {summary[-1]}\n")
    print("\n".join(summary))


# ---- the shell on the disk (exercises 1-5) ---------------------------------------------------


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_shell(kernel, tmp_path):
    """The lab's scenario with random names: a plain boot on the course's
    disk reaches the shell (/bin/init and /bin/sh from the disk); `echo
    WORD > /home/NAME`, `cat /home/NAME`, `ls -l /home` (NAME with its
    size, and a file put there by the grader), `cat` of that file; a
    program that exists only on the disk (a copy of echo the grader put at
    /bin/RANDOM, not a boot module) runs; `poweroff`; then debugfs reads
    WORD from /home/NAME and e2fsck finds the disk clean. Catches exec
    that reads only the boot modules, a file written but never reaching
    the disk at power-off, a directory entry whose size or name is wrong."""
    img = tmp_path / "shell.img"
    disk.copy_pristine(kernel.lab, kernel.sol, img)
    prog, fname, hostname = f"x{name()}", name(), f"h{name()}"
    text_lines = [word(rng.randint(1, 20)) for _ in range(rng.randint(1, 5))]
    echo = kernel.elf.parent / "user" / "echo.elf"
    host = tmp_path / "hostfile"
    host.write_text("\n".join(text_lines) + "\n")
    disk.debugfs(img, f"write {echo} /bin/{prog}", write=True)
    disk.debugfs(img, f"sif /bin/{prog} mode 0100755", write=True)
    disk.debugfs(img, f"write {host} /home/{hostname}", write=True)
    w = word(rng.randint(4, 30))
    with kernel.boot("", dead_ends=STUBS, shell=True, disk=img) as m:
        m.expect(r"^\$ ", partial=True, what="the shell's prompt after a plain boot")
        check(shell_command(m, f"echo {w} > /home/{fname}") == [], "no output", m.lines()[-3:])
        got = shell_command(m, f"cat /home/{fname}")
        check(got == [w], w, got)
        got = shell_command(m, "ls -l /home")
        check(any(l.split()[-1:] == [fname] and str(len(w) + 1) in l.split() for l in got),
              f"a line for {fname} of {len(w) + 1} bytes", got)
        check(any(l.split()[-1:] == [hostname] for l in got), f"a line for {hostname}", got)
        got = shell_command(m, f"cat /home/{hostname}")
        check(got == text_lines, text_lines, got)
        args = [word(rng.randint(1, 8)) for _ in range(rng.randint(1, 4))]
        got = shell_command(m, f"{prog} " + " ".join(args))
        check(got == [" ".join(args)], f"{' '.join(args)} (from /bin/{prog}, only on the disk)", got)
        m.send("poweroff\r")
        m.expect_exit(SUCCESS, timeout=20)
    got = disk.cat(img, f"/home/{fname}")
    check(got == (w + "\n").encode(), f"debugfs: /home/{fname} holds {w!r}", got)
