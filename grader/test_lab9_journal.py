"""Lab 9 graders: crash consistency (handouts/lab9-journal.md, §5).

Everything is judged from outside the guest, on the disk image: the log
the kernel wrote is read here byte by byte (grader/jbd2.py), Linux's e2fsck
replays the same log and must agree with the kernel's own recovery, and
QEMU is killed (SIGKILL) at random moments while user/crashload.c works,
after which the kernel must recover by itself: e2fsck -fn clean, every
file whose fsync returned exactly as it was, no byte that was never
written. crashload's files are 64-byte records that say which file they
belong to, where they sit and their own CRC-32, so a stale or zeroed block
shows wherever it lands. Seeds are random; each test prints its own for a
replay (TEACHOS_SEED=... make grade).
"""

import os
import random
import re
import shutil
import struct
import tempfile
import time
import zlib
from pathlib import Path

import pytest

import disk
import jbd2
from checks import check, check_lines, lines
from gradelib import SUCCESS, stub_dead_ends

STUBS = stub_dead_ends(8, 9, panic=True)
MOUNT_DEAD_END = (r"^fs: not mounted: ", "the kernel did not mount the disk: {line}")
RECORD = 64
CRSH, JBD2_LE = 0x48535243, 0x98393BC0        # a record's two magics (crashload.c)
READ_ONLY_RE = r"^fs: journal: .+: mounted read-only$"
RECOVERED_RE = r"^journal: recovered (\d+) transactions?$"
# Crash points per crash test: 3 tests, at least 50 in one make grade.
CRASH_POINTS = int(os.environ.get("TEACHOS_CRASH_POINTS", "17"))
OP_BLOCKS = 64                      # JOURNAL_OP_BLOCKS (tunables.h)


def seeded(name):
    """A random generator for one test, its seed printed (and taken from
    TEACHOS_SEED if set) so that a failure can be replayed."""
    seed = int(os.environ.get("TEACHOS_SEED", random.randrange(1 << 30)))
    print(f"{name}: seed {seed} (replay: TEACHOS_SEED={seed})")
    return random.Random(seed), seed


# ---- what crashload left ---------------------------------------------------------------


def crash_files(img):
    """{"a/n3": bytes} for every file crashload's directories hold."""
    with tempfile.TemporaryDirectory(prefix="teachos-rdump-") as d:
        if not disk.exists(img, "/crash"):
            return {}
        disk.rdump(img, "/crash", d)
        root = Path(d) / "crash"
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def never_written(name, data):
    """Why data cannot be a file crashload wrote (bytes it never wrote, or
    records of two files), or None."""
    if len(data) % RECORD:
        return f"{name}: {len(data)} bytes, not a whole number of 64-byte records"
    ids = set()
    for i in range(len(data) // RECORD):
        r = data[i * RECORD:(i + 1) * RECORD]
        magic, rid, index = struct.unpack_from("<III", r)
        if magic not in (CRSH, JBD2_LE) or zlib.crc32(r[:60]) != struct.unpack_from("<I", r, 60)[0] \
                or index != i:
            return (f"{name}: bytes {i * RECORD}..{i * RECORD + 63} were never written there "
                    f"(they begin {r[:16].hex()})")
        ids.add(rid)
    if len(ids) > 1:
        return f"{name}: records of {len(ids)} different files"
    return None


def fsynced(text):
    """{name: (size, crc)}: the files whose fsync returned (a synced line)
    and that no later op line names. Only whole lines count: a line cut by
    the kill was not finished, so its op had not begun."""
    claims = {}
    for line in text[:text.rfind("\n") + 1].splitlines():
        m = re.match(r"^synced (\S+) (\d+) ([0-9a-f]{8})$", line)
        if m:
            claims[m[1]] = (int(m[2]), int(m[3], 16))
            continue
        m = re.match(r"^op \w+ (\S+)(?: (\S+))?$", line)
        if m:
            claims.pop(m[1], None)
            claims.pop(m[2], None)
    return claims


def check_crash_files(img, text, where):
    """The files on img after a recovery: every fsynced one exact, none
    holding a byte never written. Returns how many claims were checked."""
    files = crash_files(img)
    for name, data in sorted(files.items()):
        why = never_written(name, data)
        check(why is None, f"after {where}: crashload's files made of its records only", why)
    claims = fsynced(text)
    for name, (size, crc) in sorted(claims.items()):
        check(name in files, f"after {where}: /crash/{name}, fsynced and not touched since",
              "it is not there")
        got = files[name]
        check(len(got) == size and zlib.crc32(got) == crc,
              f"after {where}: /crash/{name} as fsynced: {size} bytes, crc {crc:08x}",
              f"{len(got)} bytes, crc {zlib.crc32(got):08x}")
    return len(claims)


def log_transactions(img):
    """The committed transactions in img's log (an image QEMU left)."""
    return [t for t in jbd2.transactions(jbd2.open_journal(img)) if t.commit is not None]


def check_clean_unmount(img, where):
    j = jbd2.open_journal(img)
    features = disk.superblock(img).get("Filesystem features", "")
    check(j.start == 0 and "needs_recovery" not in features,
          f"after {where}: an empty log (s_start 0) and no needs_recovery, as a clean unmount leaves",
          f"s_start {j.start}, features: {features}")


# ---- booting -----------------------------------------------------------------------------


def recover(kernel, img, where, cmdline="init=true"):
    """Boot img with nothing to do: the mount recovers, the power-off
    unmounts cleanly; e2fsck -fn then checks img (a complaint fails)."""
    with kernel.boot(cmdline, dead_ends=STUBS + [MOUNT_DEAD_END], disk=img) as m:
        m.expect_exit(SUCCESS, timeout=60)
        m.refuse_dead_ends(f"the recovery of {where}")
    check_clean_unmount(img, where)
    return m.text


def workload(kernel, img, seed, maxrecs, steps, extra=""):
    """Run crashload to its end (steps > 0) and power off; its output."""
    with kernel.boot(f"{extra} init=crashload:{seed}:{maxrecs}:{steps}".strip(),
                     dead_ends=STUBS + [MOUNT_DEAD_END], disk=img, fsck=not extra) as m:
        m.expect_line("crashload: done", timeout=120)
        m.expect_exit(SUCCESS, timeout=60)
    return m.text


def crash(kernel, img, seed, maxrecs, delay):
    """Start crashload for ever and kill QEMU delay seconds after it
    starts. Returns its output up to the kill."""
    with kernel.boot(f"init=crashload:{seed}:{maxrecs}:0", dead_ends=STUBS + [MOUNT_DEAD_END],
                     disk=img, fsck=False) as m:
        m.expect(r"^crashload: start seed \d+$", timeout=60)
        time.sleep(delay)
        check(not m.ended(), "crashload still running when QEMU is killed",
              m.text.strip().splitlines()[-1:])
    # Leaving the with block killed QEMU (SIGKILL) and read what it had
    # printed up to then: all of it counts (an op line printed after the
    # sleep began names a file whose fsync claim it ends).
    return m.text


def check_recovered(img, copy, text, where):
    """Judge the disk a mount has just recovered (QEMU still running, the
    journal started again): a copy of it, told that its log is empty, must
    satisfy e2fsck -fn and crashload's claims from before the crash."""
    shutil.copyfile(img, copy)
    jbd2.write_super(jbd2.open_journal(copy), s_start=0)
    disk.debugfs(copy, "feature -needs_recovery", write=True)
    clean, said = disk.fsck(copy)
    check(clean, f"after {where}: e2fsck -fn clean on the disk the mount recovered",
          [line for line in said.splitlines() if line and not line.startswith(("Pass ", "e2fsck "))][:12])
    return check_crash_files(copy, text, where)


def crash_test(kernel, tmp_path, name, maxrecs, delays):
    """CRASH_POINTS crash points on one image. Each boot's mount recovers
    the crash before; the grader copies that disk before crashload goes on
    (crashload ... wait) and judges the copy; then crashload runs until the
    kill. The last crash is recovered by a boot that powers off cleanly."""
    rng, _ = seeded(name)
    img = tmp_path / "disk.img"
    disk.copy_image(kernel.elf.parent / disk.PRISTINE_NAME, img)
    with_log, claims, ops, text, where = 0, 0, 0, None, None
    for point in range(CRASH_POINTS):
        delay = rng.uniform(*delays)
        seed = rng.randrange(1, 1 << 20)
        with kernel.boot(f"init=crashload:{seed}:{maxrecs}:0:wait", disk=img, fsck=False,
                         dead_ends=STUBS + [MOUNT_DEAD_END]) as m:
            m.expect_line("crashload: ready", timeout=60)
            if text is not None:
                claims += check_recovered(img, tmp_path / "recovered.img", text, where)
            m.send("go\n")
            m.expect(r"^crashload: start seed \d+$", timeout=30)
            time.sleep(delay)
            check(not m.ended(), "crashload still running when QEMU is killed",
                  m.text.strip().splitlines()[-1:])
        text = m.text                # all it printed up to the kill (SIGKILL, leaving the with)
        ops += len(lines(text, "op "))
        where = f"crash point {point + 1} ({delay:.2f} s into crashload, seed {seed})"
        with_log += bool(log_transactions(img))
    recover(kernel, img, where)
    claims += check_crash_files(img, text, where)
    print(f"{name}: {CRASH_POINTS} crash points, {ops} operations, {claims} fsync claims checked, "
          f"{with_log} kills with committed transactions in the log")
    check(with_log > 0, "some kill leaving committed transactions in the log for the recovery",
          f"none in {CRASH_POINTS} kills: is anything written to the journal?")


# ---- one logged run, left for recovery (journal=nocheckpoint) ------------------------------


def logged_image(kernel, tmp_path, rng, steps=40):
    """An image whose log holds committed transactions that never went
    home: crashload with journal=nocheckpoint, powered off (the log is
    left, as by a crash). Checks that the log is there and the homes are
    not written. Returns (img, crashload's output, transactions)."""
    img = tmp_path / "logged.img"
    disk.copy_image(kernel.elf.parent / disk.PRISTINE_NAME, img)
    text = workload(kernel, img, rng.randrange(1, 1 << 20), 4, steps, extra="journal=nocheckpoint")
    txs = log_transactions(img)
    features = disk.superblock(img).get("Filesystem features", "")
    check("needs_recovery" in features, "needs_recovery set while the log holds transactions",
          features)
    check(len(txs) >= 2, "at least two committed transactions in the log (crashload fsyncs often)",
          f"{len(txs)} (jbd2.py read the journal's superblock and walked from s_start)")
    check(not disk.exists(img, "/crash/a"),
          "the homes untouched with journal=nocheckpoint: /crash/a only in the log",
          "/crash/a is in its directory on the disk already")
    return img, text, txs


def host_replay(img, out):
    """Copy img to out and let Linux's e2fsck -fy replay its journal."""
    shutil.copyfile(img, out)
    proc = disk._run(["e2fsck", "-fy", out], check=False)
    check(proc.returncode in (0, 1), "e2fsck -fy to replay the journal and find nothing to fix",
          (proc.stdout + proc.stderr).strip().splitlines()[-6:])
    clean, said = disk.fsck(out)
    check(clean, "e2fsck -fn clean after e2fsck's replay", said.splitlines()[-6:])
    return out


def same_files(a, b, what):
    fa, fb = crash_files(a), crash_files(b)
    check(sorted(fa) == sorted(fb), f"{what}: the same files in /crash", f"{sorted(fa)} vs {sorted(fb)}")
    for name in fa:
        check(fa[name] == fb[name], f"{what}: /crash/{name} the same bytes",
              f"{len(fa[name])} vs {len(fb[name])} bytes, they differ")


# ---- the tests -----------------------------------------------------------------------------


@pytest.mark.points(10)
@pytest.mark.exercise(1)
def test_transaction(kernel):
    """Exercise 1 alone, commit and checkpoint stubs or not (the in-kernel
    test journal_tx, fs_lock held throughout, on a fresh disk): the blocks
    one operation changes join the running transaction once each, in
    order, pinned once in the cache; journal_log logs nothing with the
    journal off; then 10-16 operations of random sizes (16-64 blocks,
    drawn here): before each, journal_op_begin commits exactly when
    one more operation's JOURNAL_OP_BLOCKS could pass tx_max, never
    sooner, and every count the kernel prints must be the one computed
    here. (The log's room never decides on a fresh disk: the checkpoint
    and crash tests catch a begin that forgets it, in the commit's
    ASSERT.) Catches a block logged twice, a pin per bdirty (or none),
    logging while inactive, a commit before every operation, and none
    before the transaction overflows."""
    rng, _ = seeded("transaction")
    sizes = [rng.randint(16, 64) for _ in range(rng.randint(10, 16))]
    with kernel.boot(f"test=journal_tx sizes={'.'.join(map(str, sizes))}",
                     dead_ends=STUBS + [MOUNT_DEAD_END], disk=True) as m:
        m.expect_line("ktest journal_tx: ok", timeout=60)
        m.expect_exit(SUCCESS)
    said = re.search(r"^journal_tx: tx_max (\d+)$", m.text, re.M)
    check(said, "journal_tx: tx_max N", lines(m.text, "journal_tx"))
    tx_max = int(said[1])
    want = ["journal_tx: a block changed twice and one once: 2 logged, in order yes, references 1 and 1",
            "journal_tx: the journal off: journal_log logged 0"]
    logged = 2
    for op, size in enumerate(sizes):
        after = 0 if logged + OP_BLOCKS > tx_max else logged
        want.append(f"journal_tx: operation {op}: {logged} logged before journal_op_begin, {after} after it, "
                    f"{after + size} after its {size} blocks")
        logged = after + size
    check_lines(m.text, *want)


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2)
def test_log_format(kernel, tmp_path):
    """The log itself, read here: crashload runs with journal=nocheckpoint
    and the machine powers off, leaving the log. Its transactions follow
    the journal's superblock with consecutive ids, each descriptors with
    tags then a commit block; a block that begins with JBD2's magic (half
    of crashload's writes) is logged with its first four bytes zeroed and
    the ESCAPE flag; and the last fsynced content of every file is what
    the log holds for it (e2fsck's replay shows); every commit block is
    zero but for its header and time. Catches no logging, a commit block
    before its blocks, wrong tags, a missing escape, a commit block
    holding stale bytes, and a kernel that writes homes before
    checkpointing."""
    rng, _ = seeded("log_format")
    img, text, txs = logged_image(kernel, tmp_path, rng)
    j = jbd2.open_journal(img)
    check(txs[0].tid == j.sequence and txs[0].start == j.start,
          f"the first transaction at s_start {j.start} with s_sequence {j.sequence}",
          f"transaction {txs[0].tid} at {txs[0].start}")
    escaped = 0
    for t in txs:
        for home, flags, copy in t.tags:
            raw = j.read(copy)
            if flags & jbd2.FLAG_ESCAPE:
                escaped += 1
                check(raw[:4] == b"\0\0\0\0", f"the escaped copy of block {home} with its magic zeroed",
                      raw[:4].hex())
            else:
                check(struct.unpack(">I", raw[:4])[0] != jbd2.MAGIC,
                      f"a copy of block {home} that begins with the magic has the ESCAPE flag",
                      f"flags {flags:#x}")
    check(escaped > 0, "some escaped block (half of crashload's writes begin with the magic)",
          "none: no tag has JBD2_FLAG_ESCAPE")
    for t in txs:
        raw = j.read(t.commit)
        sec = struct.unpack_from(">Q", raw, 48)[0]
        check(raw[12:48] == bytes(36) and raw[60:] == bytes(len(raw) - 60) and 1 << 30 < sec < 1 << 33,
              f"transaction {t.tid}'s commit block as Linux writes it without checksums: zero but "
              "for its header and h_commit_sec (the time now)",
              f"h_commit_sec {sec}, {sum(1 for x in raw[12:48] + raw[60:] if x)} other bytes not zero")
    replayed = host_replay(img, tmp_path / "host.img")
    check_crash_files(replayed, text, "e2fsck's replay of the log")


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 4)
def test_kernel_replays_as_linux(kernel, tmp_path):
    """Recovery: the same kind of image (a log left by journal=
    nocheckpoint) is recovered twice, by Linux's e2fsck -fy and by the
    kernel's mount; both images must hold the same files, byte for byte,
    every fsynced one exact; the kernel's unmount then leaves an empty log
    and no needs_recovery. Catches a recovery that skips transactions,
    applies them out of order, forgets an escape, or stops early."""
    rng, _ = seeded("kernel_replays_as_linux")
    img, text, txs = logged_image(kernel, tmp_path, rng)
    host = host_replay(img, tmp_path / "host.img")
    out = recover(kernel, img, "the kernel's recovery")
    m = re.search(RECOVERED_RE, out, re.M)
    check(m and int(m[1]) == len(txs), f"journal: recovered {len(txs)} transactions",
          lines(out, "journal:"))
    same_files(img, host, "the kernel's recovery and e2fsck's")
    check_crash_files(img, text, "the kernel's recovery")


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 4)
def test_commit_block_required(kernel, tmp_path):
    """A transaction without its commit block is not applied: the commit
    block of the log's last transaction is zeroed here (as if the crash
    came just before it). The kernel and e2fsck must both replay all the
    others and not that one, and agree byte for byte. Catches a recovery
    that applies whatever descriptors it finds."""
    rng, _ = seeded("commit_block_required")
    img, text, txs = logged_image(kernel, tmp_path, rng)
    j = jbd2.open_journal(img)
    j.write(txs[-1].commit, bytes(jbd2.BLOCK))
    host = host_replay(img, tmp_path / "host.img")
    out = recover(kernel, img, "the recovery of a log whose last commit block is gone")
    m = re.search(RECOVERED_RE, out, re.M)
    check(m and int(m[1]) == len(txs) - 1, f"journal: recovered {len(txs) - 1} transactions",
          lines(out, "journal:"))
    same_files(img, host, "the kernel's recovery and e2fsck's")


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 4)
def test_replay_is_idempotent(kernel, tmp_path):
    """A crash during recovery, then recovery again: here a random part of
    the log's blocks is copied home first (what a recovery killed half
    way leaves), the log kept; the kernel's recovery must end where
    e2fsck's recovery of the untouched image ends. Catches a recovery that
    depends on what the homes held, or that the half-done one confuses."""
    rng, _ = seeded("replay_is_idempotent")
    img, text, txs = logged_image(kernel, tmp_path, rng)
    host = host_replay(img, tmp_path / "host.img")
    j = jbd2.open_journal(img)
    done = {}
    for t in txs[:rng.randint(1, len(txs))]:
        blocks = jbd2.logged_content(j, t)
        done.update({h: blocks[h] for h in blocks if rng.random() < 0.6})
    jbd2.write_home(img, done)
    recover(kernel, img, f"a recovery after {len(done)} blocks were copied home")
    same_files(img, host, "the kernel's recovery after a half-done one and e2fsck's")
    check_crash_files(img, text, "the second recovery")


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3)
def test_checkpoint(kernel, tmp_path):
    """The log is a ring: crashload writes about twice the journal's
    size (4096 blocks) in 400 steps, so the kernel must checkpoint and
    move the tail again and again to keep going, then powers off. From
    outside: the journal's superblock shows the transactions counted up,
    the clean unmount left an empty log and no needs_recovery, every
    fsynced file is exact and e2fsck is clean. The same again with
    journal=nocheckpoint: the committed blocks held in the cache fill half
    of it several times, and each time the kernel must checkpoint and let
    them go; e2fsck's replay of the log it leaves has every fsynced file.
    Catches a tail never moved (the log runs out: the commit's ASSERT, or
    it overwrites itself), a checkpoint that writes nothing home, a
    superblock not updated, and held blocks never let go (the cache runs
    out of buffers: a hang)."""
    rng, _ = seeded("checkpoint")
    img = tmp_path / "disk.img"
    disk.copy_image(kernel.elf.parent / disk.PRISTINE_NAME, img)
    before = jbd2.open_journal(img).sequence
    text = workload(kernel, img, rng.randrange(1, 1 << 20), 1024, 400)
    check_clean_unmount(img, "crashload's 400 steps")
    check_crash_files(img, text, "crashload's 400 steps")
    after = jbd2.open_journal(img).sequence
    check(after - before >= 20, "s_sequence counted up by the commits (one per fsync at least)",
          f"{before} before, {after} after")
    print(f"checkpoint: {len(lines(text, 'op '))} operations, transactions {before}..{after}")

    # journal=nocheckpoint keeps committed blocks pinned in the cache; the
    # same run fills half the cache with them again and again, and each
    # time the kernel checkpoints them (letting them go) and goes on.
    img = tmp_path / "held.img"
    disk.copy_image(kernel.elf.parent / disk.PRISTINE_NAME, img)
    text = workload(kernel, img, rng.randrange(1, 1 << 20), 1024, 400, extra="journal=nocheckpoint")
    full = lines(text, "journal: nocheckpoint: the cache is full")
    check(len(full) >= 3, "with journal=nocheckpoint, a checkpoint each time the held blocks fill "
          "half the cache (3 times at least in 400 steps)", full or "no such line")
    replayed = host_replay(img, tmp_path / "held-host.img")     # exercise 4 not needed
    check_crash_files(replayed, text, "e2fsck's replay after 400 steps with journal=nocheckpoint")


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4)
def test_crash_small_files(kernel, tmp_path):
    """Crash points: crashload with writes of 1-8 records (many
    metadata changes per data block), killed at a random moment
    (0.05-1.5 s in), the kernel recovers at the next boot, and then
    e2fsck -fn is clean, every file fsynced and not touched since is
    exact, no file holds a byte never written. TEACHOS_CRASH_POINTS
    rounds (17) on one image. Catches a transaction that splits an
    operation, a block home before its commit, a recovery that misses."""
    crash_test(kernel, tmp_path, "crash_small_files", 8, (0.05, 1.5))


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4)
def test_crash_large_writes(kernel, tmp_path):
    """Crash points as crash_small_files, with writes of up to 1024
    records (64 KiB, several transactions each): the log wraps and
    checkpoints happen between kills. Catches what only a full log, a
    checkpoint or a write cut into pieces shows."""
    crash_test(kernel, tmp_path, "crash_large_writes", 1024, (0.2, 2.5))


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4)
def test_crash_mixed(kernel, tmp_path):
    """Crash points as crash_small_files, with writes of up to 96 records
    and kills early and late (0.01-2 s): in the first moments after a
    mount (a recovery just done, the log empty) and deep in a run of
    commits. Catches a mount that forgets what the last recovery left (a
    tid counted from the wrong place, a stale transaction replayed again)."""
    crash_test(kernel, tmp_path, "crash_mixed", 96, (0.01, 2.0))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_clean_unmount(kernel, tmp_path):
    """While the kernel runs, the disk says needs_recovery and the log
    holds what fsync committed: QEMU is killed once crashload has fsynced
    three times, and the image has both. The next boot recovers those
    transactions and its clean power-off leaves no needs_recovery and an
    empty log (s_start 0); the boot after that recovers nothing. Catches a
    commit that writes no log, an unmount that leaves the log for the
    next mount, and a recovery that leaves needs_recovery set."""
    img = tmp_path / "disk.img"
    disk.copy_image(kernel.elf.parent / disk.PRISTINE_NAME, img)
    rng, seed = seeded("clean_unmount")
    with kernel.boot(f"init=crashload:{seed}:8:0", dead_ends=STUBS + [MOUNT_DEAD_END],
                     disk=img, fsck=False) as m:
        for _ in range(3):
            m.expect(r"^synced \S+ \d+ [0-9a-f]{8}$", timeout=60)
    text = m.text
    features = disk.superblock(img).get("Filesystem features", "")
    txs = log_transactions(img)
    check("needs_recovery" in features and txs,
          "needs_recovery, and committed transactions in the log, while the kernel runs",
          f"features: {features}; {len(txs)} committed transactions in the log")
    out = recover(kernel, img, "the recovery")
    said = re.search(RECOVERED_RE, out, re.M)
    check(said and int(said[1]) >= len(txs), f"journal: recovered {len(txs)} transactions (or more)",
          lines(out, "journal:"))
    check_crash_files(img, text, "the recovery")
    out = recover(kernel, img, "a boot after a clean power-off")
    check(not re.search(RECOVERED_RE, out, re.M),
          "nothing to recover after a clean power-off", lines(out, "journal:"))


@pytest.mark.points(10)
@pytest.mark.exercise(4)
def test_damaged_journal(kernel, tmp_path):
    """A journal the kernel cannot trust mounts the file system read-only,
    with one line saying why, and never a panic: a committed transaction
    whose first tag is good (0xAB bytes for /home/readme.txt's block) and
    whose second names the first block past the file system (number
    s_blocks_count), a transaction longer than the whole ring (descriptor,
    copy, descriptor, ... from its first block to its last, no commit
    block), a journal superblock with a bad magic, and one too small for
    an operation (s_maxlen 40). Reads still work, /home/readme.txt as it
    was (nothing of the damaged log replayed); a write fails with EROFS.
    Catches a recovery that writes wherever a damaged tag says, copies
    blocks home before it has checked the whole log, or walks the ring
    without counting (round and round, or mistaken for the log's end)."""
    rng, _ = seeded("damaged_journal")
    pristine = kernel.elf.parent / disk.PRISTINE_NAME
    readme = disk.cat(pristine, "/home/readme.txt")
    good = int(disk.debugfs(pristine, "bmap /home/readme.txt 0").split()[0])     # its block
    for k, what in enumerate(("a tag past the file system", "a log longer than its ring", "a bad magic",
                              "a journal of 40 blocks")):
        img = tmp_path / f"damaged{k}.img"
        disk.copy_image(pristine, img)
        j = jbd2.open_journal(img)
        if what == "a tag past the file system":
            blocks = int(disk.superblock(img)["Block count"])
            j.write(j.first, jbd2.descriptor(j, [good, blocks]))     # blocks: the first one past
            j.write(j.first + 1, bytes([0xAB]) * jbd2.BLOCK)
            j.write(j.first + 2, bytes([0xAB]) * jbd2.BLOCK)
            commit = bytearray(jbd2.BLOCK)
            jbd2.HEADER.pack_into(commit, 0, jbd2.MAGIC, jbd2.COMMIT, j.sequence)
            j.write(j.first + 3, bytes(commit))
        if what == "a log longer than its ring":
            for pos in range(j.first, j.maxlen, 2):
                j.write(pos, jbd2.descriptor(j, [good]))
                if pos + 1 < j.maxlen:
                    j.write(pos + 1, bytes([0xAB]) * jbd2.BLOCK)
        if what in ("a tag past the file system", "a log longer than its ring"):
            jbd2.write_super(j, s_start=j.first)
            disk.debugfs(img, "feature needs_recovery", write=True)
        elif what == "a bad magic":
            jbd2.write_super(j, s_magic=rng.randrange(1 << 32) & ~1)
        else:
            jbd2.write_super(j, s_maxlen=40)
        with kernel.boot("init=cat:/home/readme.txt,touch:/home/new", disk=img, fsck=False,
                         dead_ends=STUBS + [MOUNT_DEAD_END]) as m:
            m.expect_exit(SUCCESS, timeout=30)
        text = m.text
        check(re.search(READ_ONLY_RE, text, re.M), f"with {what}: 'fs: journal: WHY: mounted read-only'",
              lines(text, "fs:") + lines(text, "journal:"))
        check(disk.cat(img, "/home/readme.txt") == readme,
              f"with {what}: /home/readme.txt on the disk as it was", "it changed: a block was replayed")
        check(readme.decode().splitlines()[0] in text, f"with {what}: /home/readme.txt still read",
              "cat did not print it")
        check(re.search(r"^touch: cannot touch '/home/new': .*[Rr]ead-only", text, re.M)
              and not disk.exists(img, "/home/new"), f"with {what}: touch refused with EROFS",
              lines(text, "touch"))
