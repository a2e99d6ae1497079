"""Checks of the host's disk tools (no points): grader/disk.py, the
Makefile's pristine image, and gradelib's disk= (fresh copy, e2fsck after
the run, a second boot on the same image)."""

import random

import pytest

import disk
import gradelib
from conftest import LAB_MAX
from gradelib import GradeError, SUCCESS

SAMPLE = {
    "/home/a.txt": "hello, disk\n",
    "/home/bin.dat": bytes(range(256)) * 64,           # 16 KiB: past the 12 direct blocks
    "/a dir/with space": b"spaced\n",
    "/empty": b"",
}


def make_sample(path, size="32M"):
    return disk.make_image(path, files=SAMPLE, dirs=["/tmp", "/deep/er"], size=size,
                           symlinks={"/home/link": "/home/a.txt"}, modes={"/home/a.txt": 0o600})


@pytest.fixture
def image(tmp_path):
    return make_sample(tmp_path / "t.img")


@pytest.fixture
def small_image(tmp_path):
    """One block group (8 MiB): quicker to copy and compare whole."""
    return make_sample(tmp_path / "small.img", size="8M")


def test_make_image_is_clean_and_reads_back(image):
    clean, out = disk.fsck(image)
    assert clean, out
    for path, data in SAMPLE.items():
        assert disk.cat(image, path) == (data.encode() if isinstance(data, str) else data), path
    assert set(disk.ls(image, "/")) == {"lost+found", "home", "a dir", "empty", "tmp", "deep"}
    assert disk.ls(image, "/home") == ["a.txt", "bin.dat", "link"] or \
        sorted(disk.ls(image, "/home")) == ["a.txt", "bin.dat", "link"]
    assert disk.ls(image, "/deep/er") == []
    assert disk.symlink_target(image, "/home/link") == "/home/a.txt"
    assert disk.exists(image, "/deep/er") and not disk.exists(image, "/nope")
    with pytest.raises(FileNotFoundError):
        disk.cat(image, "/home/nope")


def test_stat_and_layout(image):
    st = disk.stat(image, "/home/bin.dat")
    assert st["type"] == "regular" and st["size"] == 16384 and st["links"] == 1
    assert len(st["blocks"]) == 16 and len(st["indirect"]) == 1
    assert sorted(st["block_map"]) == list(range(16))
    assert disk.stat(image, "/home/a.txt")["mode"] == 0o600
    root = disk.stat(image, "/")
    assert root["type"] == "directory" and root["uid"] == 0 and root["links"] == 7
    sb = disk.superblock(image)
    assert sb["Filesystem features"] == "filetype sparse_super", sb
    assert (sb["Block size"], sb["Inode size"], sb["Filesystem revision #"][:1]) == ("1024", "128", "1")
    assert sb["Reserved block count"] == "0" and sb["Filesystem volume name"] == "teachos"
    lay = disk.layout(image)
    assert len(lay["groups"]) == 4 and lay["groups"][0]["superblock"] == [1]
    assert lay["groups"][2]["superblock"] == []          # sparse_super: backups in 1 and 3 only


def test_corrupt_hits_each_kind(small_image, tmp_path):
    rng = random.Random(8)
    before = small_image.read_bytes()
    for kind in disk.CORRUPT_KINDS:
        img = disk.copy_image(small_image, tmp_path / f"{kind}.img")
        hits = disk.corrupt(img, rng, 3, kinds=(kind,))
        after = bytearray(img.read_bytes())
        assert len(hits) == 3 and all(h["kind"] == kind for h in hits)
        for h in reversed(hits):         # the same byte may be hit twice
            assert h["new"] != h["old"], h
            after[h["offset"]] = h["old"]
        assert all(after[h["offset"]] == before[h["offset"]] for h in hits)
        assert after == before, f"{kind}: bytes changed that no hit names"


def test_corruption_is_seen(image):
    disk.corrupt(image, random.Random(1), 20, kinds=("block_bitmap",))
    clean, out = disk.fsck(image)
    assert not clean and "Block bitmap differences" in out, out


def test_bad_superblock_is_seen(image):
    """e2fsck -n falls back on a backup superblock and says status 0: fsck()
    must not call that clean."""
    disk.write_bytes(image, 1024 + 56, b"\0\0")          # s_magic
    clean, out = disk.fsck(image)
    assert not clean and "backup" in out, out


def test_copy_is_sparse_and_equal(small_image, tmp_path):
    copy = disk.copy_image(small_image, tmp_path / "copy.img")
    assert copy.read_bytes() == small_image.read_bytes()
    assert copy.stat().st_blocks * 512 < copy.stat().st_size // 4


def test_missing_tool_names_its_package(monkeypatch):
    monkeypatch.setattr(disk.shutil, "which", lambda *a, **k: None)
    with pytest.raises(disk.DiskError, match="e2fsprogs"):
        disk.fsck(__file__)


@pytest.mark.skipif(LAB_MAX < 8, reason="the disk comes with Lab 8")
def test_pristine_image():
    """The Makefile's image: every user program in /bin, /etc and /home from
    user/disk/, a /home/numbers.txt with an indirect block, a clean file
    system of the agreed shape."""
    elf = gradelib.build(8, 8)
    img = disk.pristine_image(8, 8)
    clean, out = disk.fsck(img)
    assert clean, out
    programs = sorted(p.stem for p in (elf.parent / "user").glob("*.elf"))
    assert sorted(disk.ls(img, "/bin")) == programs
    assert disk.cat(img, "/bin/hello") == (elf.parent / "user" / "hello.elf").read_bytes()
    assert disk.cat(img, "/etc/motd") == (gradelib.ROOT / "user/disk/etc/motd").read_bytes()
    numbers = disk.cat(img, "/home/numbers.txt")
    assert numbers == "".join(f"{i}\n" for i in range(1, 5001)).encode()
    assert disk.stat(img, "/home/numbers.txt")["indirect"]
    assert disk.stat(img, "/tmp")["mode"] == 0o1777
    assert disk.superblock(img)["Filesystem features"] == "filetype sparse_super"


@pytest.mark.skipif(LAB_MAX < 8, reason="the disk comes with Lab 8")
def test_machine_disk_checked_after_the_run():
    """disk=True boots a fresh copy and checks it after; the same image
    boots again; a damaged one fails the test with e2fsck's words, unless
    fsck=False."""
    elf = gradelib.build(8, 8)

    def boot(d, **kw):
        with gradelib.Machine(elf, log_name="disk_checked", disk=d, **kw) as m:
            m.expect_prompt()
            m.send("poweroff\r")
            m.expect_exit(SUCCESS)
        return m

    m = boot(True)
    assert m.disk.exists() and m.disk.name.endswith(".disk.img")
    assert "Pass 5" in m.fsck_output
    disk.corrupt(m.disk, random.Random(2), 20, kinds=("block_bitmap",))
    m2 = boot(m.disk, fsck=False)                          # boots again; no check
    assert m2.disk == m.disk and m2.fsck_output is None
    with pytest.raises(GradeError, match=r"(?s)e2fsck -fn finds clean.*Block bitmap differences.*disk:"):
        m2.check_disk()                                    # what fsck=True does after the run
