"""Checks of make bench-linux's host side (no points, no boot): lbench's
output parsed, the table, the modules' load order, the initramfs's cpio
archive, missing packages named; with Debian's Linux installed, that the
disk's modules are found in it. Booting either kernel is make bench-linux's
own business: it takes too long for make test."""

import gzip
import lzma
import shutil
import subprocess
from pathlib import Path

import pytest

import bench_linux as bl
import gradelib

# What a run prints on the serial port: Linux's own lines around lbench's,
# carriage returns, a row that failed.
CANNED = (
    "[    2.49] EXT4-fs (vda): mounted filesystem without journal.\r\n"
    "lbench: getpid 826\r\n"
    "lbench: sched_yield 51274\r\n"
    "lbench: fork failed: clone returned -1 (errno 12)\r\n"
    "lbench: pingpong 131793\r\n"
    "lbench: pipe 4488\r\n"
    "lbench: mmap 4159155\r\n"
    "lbench: file_write 43120\r\n"
    "lbench: file_read 4851\r\n"
    "lbench: done\r\n"
    "[    3.39] reboot: Power down\r\n")


def test_parse_reads_rows_failures_and_the_end():
    rows, failed, done = bl.parse(CANNED)
    assert rows == {"getpid": 826, "sched_yield": 51274, "pingpong": 131793, "pipe": 4488,
                    "mmap": 4159155, "file_write": 43120, "file_read": 4851}
    assert failed == ["lbench: fork failed: clone returned -1 (errno 12)"]
    assert done


def test_parse_of_a_run_cut_short():
    rows, failed, done = bl.parse("lbench: getpid 900\nlbench: sched_y")
    assert rows == {"getpid": 900} and failed == [] and not done


def test_table_without_ours():
    linux, _, _ = bl.parse(CANNED)
    lines = bl.table({}, linux)
    assert lines[0].split() == ["operation", "ours", "Linux", "ours/Linux"]
    assert len(lines) == 1 + len(bl.ROWS)
    assert lines[1].split() == ["getpid", "n/a", "826", "n/a"]
    assert lines[3].split()[-3:] == ["n/a", "n/a", "n/a"]          # fork: neither ran it
    assert all(len(line) == len(lines[0]) for line in lines)       # the columns line up


def test_table_ratio_and_a_name_it_does_not_know():
    lines = bl.table({"getpid": 1652, "brk": 10}, {"getpid": 826, "brk": 4})
    assert lines[1].split() == ["getpid", "1652", "826", "2.00"]
    assert lines[-1].split() == ["brk", "10", "4", "2.50"]


def test_ours_is_not_booted_before_lab_10(tmp_path):
    rows, failed, seconds, why = bl.run_ours(9, 9, "512M", tmp_path / "no-such.img")
    assert rows == {} and failed == [] and seconds is None
    assert why.startswith("n/a (") and "Lab 10" in why


def test_linux_gets_our_qemu_options_without_the_iso():
    ours = gradelib.qemu_argv("x.iso", "512M")
    linux = bl.machine_argv("512M")
    assert linux == [a for a in ours if a not in ("-cdrom", "x.iso", "-boot", "d")]


MODULES_DEP = """\
kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/mbcache.ko.xz kernel/fs/jbd2/jbd2.ko.xz
kernel/fs/jbd2/jbd2.ko.xz:
kernel/fs/mbcache.ko.xz:
kernel/lib/crc16.ko.xz:
kernel/crypto/crc32c_generic.ko.xz:
kernel/drivers/virtio/virtio.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz
kernel/drivers/virtio/virtio_ring.ko.xz:
kernel/drivers/virtio/virtio_pci.ko.xz: kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz
kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz
"""


def test_modules_come_after_what_they_need(tmp_path):
    (tmp_path / "modules.dep").write_text(MODULES_DEP)
    names = [bl.module_name(p) for p in bl.module_order(tmp_path)]
    assert names == ["virtio_ring", "virtio", "virtio_pci", "virtio_blk", "crc32c_generic",
                     "jbd2", "mbcache", "crc16", "ext4"]


def test_a_missing_module_is_named(tmp_path):
    (tmp_path / "modules.dep").write_text("kernel/fs/jbd2/jbd2.ko:\n")
    with pytest.raises(bl.Missing, match="no module virtio_pci"):
        bl.module_order(tmp_path)


def test_compressed_modules_are_unpacked(tmp_path):
    elf = b"\x7fELF" + bytes(100)
    (tmp_path / "a.ko.xz").write_bytes(lzma.compress(elf))
    (tmp_path / "b.ko.gz").write_bytes(gzip.compress(elf))
    (tmp_path / "c.ko").write_bytes(elf)
    assert all(bl.module_bytes(tmp_path / n) == elf for n in ("a.ko.xz", "b.ko.gz", "c.ko"))


@pytest.mark.skipif(not Path("/bin/busybox").exists(), reason="busybox-static is not installed")
def test_cpio_archive_is_read_by_busybox(tmp_path):
    archive = tmp_path / "a.cpio"
    archive.write_bytes(bl.cpio_newc([("bin", 0o040755, b"", (0, 0)),
                                      ("bin/x", 0o100755, b"hello\n", (0, 0)),
                                      ("dev/console", 0o020600, b"", (5, 1))]))
    r = subprocess.run(["/bin/busybox", "cpio", "-tv"], stdin=archive.open("rb"),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
    listed = [line.split() for line in r.stdout.splitlines() if not line.endswith(" blocks")]
    assert [f[-1] for f in listed] == ["bin", "bin/x", "dev/console"], r.stdout
    assert listed[1][:3] == ["-rwxr-xr-x", "0/0", "6"], r.stdout
    assert listed[2][0] == "crw-------", r.stdout


def test_missing_tools_and_kernel_name_their_package(tmp_path):
    with pytest.raises(bl.Missing, match=r"apt-get install -y musl-tools"):
        bl.need("no-such-musl-gcc", "musl-tools")
    with pytest.raises(bl.Missing, match=r"apt-get install -y linux-image-amd64"):
        bl.find_linux(boot=tmp_path, modules=tmp_path)


def test_newest_kernel_first():
    assert max(["6.1.0-9-amd64", "6.1.0-10-amd64"], key=bl.version_key) == "6.1.0-10-amd64"


@pytest.mark.skipif(shutil.which("musl-gcc") is None, reason="musl-tools is not installed")
def test_lbench_builds(tmp_path):
    """-Wall -Wextra -Werror, static: what make bench-linux builds."""
    out = bl.build_lbench(tmp_path / "lbench")
    assert out.read_bytes()[:4] == b"\x7fELF"


@pytest.mark.skipif(not list(Path("/boot").glob("vmlinuz-*")),
                    reason="Debian's Linux (linux-image-amd64) is not installed")
def test_debian_linux_has_the_disk_modules():
    version, _ = bl.find_linux()
    names = [bl.module_name(p) for p in bl.module_order(Path("/lib/modules") / version)]
    for name in bl.MODULES + ["virtio", "virtio_ring", "jbd2", "mbcache", "crc16"]:
        assert name in names, names
    assert names.index("jbd2") < names.index("ext4") and names.index("virtio") < names.index(
        "virtio_blk"), names
