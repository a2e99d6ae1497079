#!/usr/bin/python3
"""bench_linux.py - `make bench-linux`: one static benchmark program,
user/musl/lbench.c, run on Debian's Linux and on our kernel (Lab 10) under
the same QEMU, and one table of both (DESIGN §9).

    bench_linux.py [--lab N] [--sol S] [--mem 512M] [--append WORDS]

Linux boots with -kernel /boot/vmlinuz-VERSION and an initramfs made here:
busybox-static as the shell of a small /init, the modules the disk needs
(MODULES and what modules.dep says they need), and lbench. The disk is a
fresh ext3 image in the course's own format (grader/disk.py) holding
/bin/lbench and /tmp, attached as ours is (gradelib.disk_argv); /init
mounts it on /mnt and runs `lbench /mnt/tmp cold`. Both kernels get the same machine, accelerator, memory and disk
options (gradelib.qemu_argv without its ISO). Everything made goes to
build/bench-linux/; the serial logs to build/grade/logs/.

--append adds words to Linux's command line (e.g. mitigations=off).
"""

import argparse
import gzip
import lzma
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course  # noqa: E402
import disk  # noqa: E402
import gradelib  # noqa: E402
from gradelib import ROOT  # noqa: E402

OUT = gradelib.BUILD / "bench-linux"
SOURCE = ROOT / "user" / "musl" / "lbench.c"
BUSYBOX = Path("/bin/busybox")
LAB_LINUX = 10                      # the lab whose kernel runs Linux binaries
TIMEOUT = 300                       # seconds for a whole run, either kernel

# The rows in order: what lbench prints, what the row measures (lbench.c).
ROWS = [
    ("getpid", "getpid"),
    ("sched_yield", "sched_yield round trip, round robin"),
    ("fork", "fork+exit+wait"),
    ("pingpong", "pipe ping-pong round trip"),
    ("pipe", "pipe throughput, 1 MiB, per KiB"),
    ("mmap", "mmap+touch+munmap, 1 MiB"),
    ("file_write", "file write 16 MiB + fsync, per KiB"),
    ("file_read", "file read 16 MiB (cold), per KiB"),
]

# What Linux loads to reach the disk; modules.dep adds the rest. ext4 asks
# the crypto API for "crc32c" at every mount, a need modules.dep cannot
# show: the generic one (crc32c-intel needs SSE4.2, which QEMU's default
# CPU lacks).
MODULES = ["virtio_pci", "virtio_blk", "crc32c_generic", "ext4"]

ROW_RE = re.compile(r"^lbench: (\w+) (\d+)$", re.MULTILINE)
FAILED_RE = re.compile(r"^lbench: \w+ failed: .*$", re.MULTILINE)
DONE_RE = re.compile(r"^lbench: done$", re.MULTILINE)
INIT_SAYS_RE = re.compile(r"^bench-linux: .*$", re.MULTILINE)


class Missing(Exception):
    """A tool or package is missing: the message names the Debian package."""


# ---------------------------------------------------------------------------
# What lbench printed, and the table

def parse(text):
    """({name: cycles}, [failure lines], done) from the serial output of a
    run of lbench (carriage returns and other lines are ignored)."""
    text = text.replace("\r", "")
    rows = {name: int(cycles) for name, cycles in ROW_RE.findall(text)}
    return rows, FAILED_RE.findall(text), DONE_RE.search(text) is not None


def cell(value):
    return "n/a" if value is None else str(value)


def ratio(ours, linux):
    """ours / Linux with two decimals, or n/a."""
    if ours is None or not linux:
        return "n/a"
    return f"{ours / linux:.2f}"


def table(ours, linux):
    """The lines of the table: a row per operation of ROWS (and any other
    name lbench printed), ours and Linux's cycles and the ratio."""
    names = [name for name, _ in ROWS]
    names += sorted(n for n in set(ours) | set(linux) if n not in names)
    what = dict(ROWS)
    lines = [f"{'operation':<38} {'ours':>11} {'Linux':>11} {'ours/Linux':>11}"]
    for name in names:
        o, li = ours.get(name), linux.get(name)
        lines.append(f"{what.get(name, name):<38} {cell(o):>11} {cell(li):>11} {ratio(o, li):>11}")
    return lines


# ---------------------------------------------------------------------------
# Tools and files on the host

def need(tool, package):
    """The path of tool, or Missing naming its Debian package."""
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
    if path is None:
        raise Missing(f"{tool} not found: install the Debian package {package} "
                      f"(apt-get install -y {package})")
    return path


def build_lbench(out=OUT / "lbench"):
    """Compile lbench (static, musl) unless it is newer than its source."""
    if out.exists() and out.stat().st_mtime >= SOURCE.stat().st_mtime:
        return out
    cc = need("musl-gcc", "musl-tools")
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([cc, "-static", "-O2", "-Wall", "-Wextra", "-Werror",
                           "-o", str(out), str(SOURCE)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        sys.exit(f"bench-linux: {SOURCE.relative_to(ROOT)} does not build:\n{proc.stdout.strip()}")
    return out


def version_key(version):
    """A sort key that orders 6.1.0-9 before 6.1.0-10."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", version)]


def find_linux(boot=Path("/boot"), modules=Path("/lib/modules")):
    """(version, vmlinuz) of the newest Linux installed with its modules."""
    found = [p.name.removeprefix("vmlinuz-") for p in boot.glob("vmlinuz-*")]
    found = [v for v in found if (modules / v / "modules.dep").exists()]
    if not found:
        raise Missing("no Linux kernel with its modules in /boot and /lib/modules: install the "
                      "Debian package linux-image-amd64 (apt-get install -y linux-image-amd64)")
    version = max(found, key=version_key)
    vmlinuz = boot / f"vmlinuz-{version}"
    try:
        vmlinuz.open("rb").close()
    except PermissionError:
        raise Missing(f"{vmlinuz} is readable by root only: sudo chmod 0644 {vmlinuz}") from None
    return version, vmlinuz


def module_order(moddir, wanted=MODULES):
    """The paths (relative to moddir) of the modules wanted and of those
    they need, in an order insmod can load them: each after its needs.
    modules.dep lists, for each module, every module it needs."""
    deps = {}
    for line in (Path(moddir) / "modules.dep").read_text().splitlines():
        path, _, needs = line.partition(":")
        deps[path] = needs.split()
    by_name = {module_name(p): p for p in deps}
    order = []
    for name in wanted:
        if name not in by_name:
            raise Missing(f"no module {name} in {moddir}: is this Debian's linux-image-amd64?")
        for path in list(reversed(deps[by_name[name]])) + [by_name[name]]:
            if path not in order:
                order.append(path)
    return order


def module_name(path):
    """kernel/fs/ext4/ext4.ko.xz -> ext4 (modprobe's name: - and _ alike)."""
    return re.sub(r"\.ko(\.\w+)?$", "", Path(path).name).replace("-", "_")


def module_bytes(path):
    """A module's ELF: .ko as it is, .ko.xz and .ko.gz unpacked here
    (busybox insmod loads plain .ko files only), .ko.zst with zstd."""
    path = Path(path)
    if path.suffix == ".xz":
        return lzma.decompress(path.read_bytes())
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes())
    if path.suffix == ".zst":
        return subprocess.run([need("zstd", "zstd"), "-dc", str(path)], check=True,
                              stdout=subprocess.PIPE).stdout
    return path.read_bytes()


def static_busybox():
    """Debian's busybox-static (the plain busybox package is dynamic, and
    the initramfs holds no libraries)."""
    if not BUSYBOX.exists():
        raise Missing("no /bin/busybox: install the Debian package busybox-static "
                      "(apt-get install -y busybox-static)")
    if b"/ld-linux" in BUSYBOX.read_bytes()[:4096]:
        raise Missing("/bin/busybox is linked dynamically: install the Debian package "
                      "busybox-static instead (apt-get install -y busybox-static)")
    return BUSYBOX


# ---------------------------------------------------------------------------
# The initramfs and the disk

def cpio_newc(entries):
    """A gzip-less newc cpio archive (the initramfs format: the kernel's
    Documentation/driver-api/early-userspace/buffer-format.rst) of entries
    (name without the leading /, mode with its file type, data, rdev as
    (major, minor)). Owner root, time 0: the same input, the same bytes."""
    out = bytearray()
    trailer = ("TRAILER!!!", 0, b"", (0, 0))
    for ino, (name, mode, data, (major, minor)) in enumerate(entries + [trailer], 1):
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, major, minor, len(name) + 1, 0]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"
        out += bytes(-len(out) % 4) + data
        out += bytes(-len(out) % 4)
    return bytes(out)


# /init: pid 1 in Linux. Messages start "bench-linux:", which the host shows.
INIT = """#!/bin/busybox sh
# /init of make bench-linux's initramfs (grader/bench_linux.py): load the
# disk's modules, mount the disk, run lbench on it, power off.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t devtmpfs devtmpfs /dev
for m in $($bb cat /modules/order); do
    $bb insmod /modules/$m || echo "bench-linux: insmod $m failed"
done
n=0
while [ ! -b /dev/vda ] && [ $n -lt 100 ]; do $bb sleep 0.1; n=$((n + 1)); done
if $bb mount -t ext3 /dev/vda /mnt; then
    /bin/lbench /mnt/tmp cold
    $bb umount /mnt || echo "bench-linux: umount /mnt failed"
else
    echo "bench-linux: cannot mount /dev/vda (ext3)"
fi
$bb poweroff -f
"""


def make_initramfs(version, lbench, out):
    """Write the gzipped initramfs for Linux version at out."""
    moddir = Path("/lib/modules") / version
    directory, regular, chardev = 0o040755, 0o100644, 0o020600
    entries = [(d, directory, b"", (0, 0)) for d in ("bin", "dev", "proc", "sys", "mnt", "modules")]
    entries += [("dev/console", chardev, b"", (5, 1)),           # init's stdin, stdout, stderr
                ("init", regular | 0o111, INIT.encode(), (0, 0)),
                ("bin/busybox", regular | 0o111, static_busybox().read_bytes(), (0, 0)),
                ("bin/lbench", regular | 0o111, Path(lbench).read_bytes(), (0, 0))]
    names = []
    for path in module_order(moddir):
        names.append(module_name(path) + ".ko")
        entries.append((f"modules/{names[-1]}", regular, module_bytes(moddir / path), (0, 0)))
    entries.append(("modules/order", regular, "".join(n + "\n" for n in names).encode(), (0, 0)))
    out.write_bytes(gzip.compress(cpio_newc(entries), compresslevel=6, mtime=0))
    return out


def make_disk(lbench, out):
    """The pristine disk of both kernels: the course's ext3 (grader/disk.py)
    with /bin/lbench and an empty /tmp."""
    stage = OUT / "disk-root"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "bin").mkdir(parents=True)
    (stage / "tmp").mkdir(mode=0o1777)
    shutil.copy(lbench, stage / "bin" / "lbench")
    disk.mkfs(stage, out, journal=True)
    return out


# ---------------------------------------------------------------------------
# Linux

def machine_argv(mem):
    """Our kernel's QEMU command line (gradelib.qemu_argv) without its boot
    medium: the same machine, accelerator, memory and devices for Linux."""
    argv = gradelib.qemu_argv("NONE", mem)
    for option in ("-cdrom", "-boot"):
        i = argv.index(option)
        del argv[i:i + 2]
    return argv


def run_linux(vmlinuz, initramfs, img, mem, append=""):
    """Boot Linux with the initramfs and the disk img; (serial text,
    seconds from QEMU's start to its end). The log: build/grade/logs/."""
    cmdline = f"console=ttyS0 quiet panic=-1 {append}".strip()
    argv = machine_argv(mem) + ["-kernel", str(vmlinuz), "-initrd", str(initramfs),
                                "-append", cmdline, "-display", "none", "-monitor", "none",
                                "-serial", "stdio"] + gradelib.disk_argv(img)
    log = gradelib.LOG_DIR / "bench-linux.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=TIMEOUT)
        out, end = proc.stdout, f"QEMU exited {proc.returncode}"
    except subprocess.TimeoutExpired as e:
        out, end = e.stdout or b"", f"stopped after {TIMEOUT} s"
    seconds = time.monotonic() - start
    text = out.decode("utf-8", errors="replace").replace("\r", "")
    log.write_text(f"# qemu: {' '.join(argv)}\n{text}\n# end: {end}, {seconds:.1f} s\n")
    return text, seconds


# ---------------------------------------------------------------------------
# OURS: our kernel runs lbench from Lab 10 on (Linux binaries, the syscall
# instruction). Until a lab of this course does, run_ours says why not and
# the table shows n/a in its column.

# lbench's argv: /bin/lbench /tmp. report=0: the kernel prints no
# "lbench: exit(0)" line as each child ends, inside the fork row's timing.
OUR_CMDLINE = "init=/bin/lbench:/tmp report=0"


def run_ours(lab, sol, mem, pristine):
    """Boot our kernel LAB=lab SOL=sol with init=/bin/lbench on a fresh
    copy of the disk pristine (/bin/lbench on it). Returns ({name:
    cycles}, [failure lines], seconds from QEMU's start to its end, None)
    after a whole run; after a run cut short, the rows it printed and
    "did not finish: why"; with no run, ({}, [], None, "n/a (why)")."""
    if lab < LAB_LINUX:
        return {}, [], None, (f"n/a (Lab {LAB_LINUX}, Linux binaries, is not in this course yet)"
                              if LAB_LINUX not in course.LABS else
                              f"n/a (LAB={lab}: Linux binaries come with Lab {LAB_LINUX})")
    try:
        elf = gradelib.build(lab, sol)
    except gradelib.BuildError:
        return {}, [], None, f"n/a (LAB={lab} SOL={sol} does not build: make LAB={lab} SOL={sol})"
    m = gradelib.Machine(elf, OUR_CMDLINE, mem=mem, log_name="bench-linux-ours",
                         disk=disk.copy_image(pristine, OUT / "disk-ours.img"))
    seconds, why = None, None
    try:
        with m:
            m.expect(r"^lbench: done$", timeout=TIMEOUT)
            m.expect_exit(gradelib.SUCCESS)
            seconds = time.monotonic() - m.started_at
    except gradelib.GradeError as e:
        why = "did not finish: " + str(e).replace("\n", "\n    ")
    rows, failed, _ = parse(m.text)
    return rows, failed, seconds, why


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab", type=int, default=course.LAB_MAX)
    ap.add_argument("--sol", type=int)
    ap.add_argument("--mem", default="512M")
    ap.add_argument("--append", default="", help="more words for Linux's command line")
    args = ap.parse_args()
    sol = args.lab if args.sol is None else args.sol
    try:
        need(gradelib.qemu_argv("NONE")[0], "qemu-system-x86")
        version, vmlinuz = find_linux()
        lbench = build_lbench()
        OUT.mkdir(parents=True, exist_ok=True)
        initramfs = make_initramfs(version, lbench, OUT / "initramfs.cpio.gz")
        pristine = make_disk(lbench, OUT / "disk-pristine.img")
    except (Missing, disk.DiskError) as e:
        sys.exit(f"bench-linux: {e}")

    print(f"bench-linux: lbench on our kernel (LAB={args.lab}), then on Linux {version}...",
          flush=True)
    ours, ours_failed, ours_seconds, why_not = run_ours(args.lab, sol, args.mem, pristine)
    img = disk.copy_image(pristine, OUT / "disk-linux.img")
    text, seconds = run_linux(vmlinuz, initramfs, img, args.mem, args.append)
    linux, linux_failed, done = parse(text)

    argv = gradelib.qemu_argv("NONE")
    accel = argv[argv.index("-accel") + 1].upper()
    print(f"median TSC cycles (QEMU {accel}, one machine for both: compare ratios)")
    print("\n".join(table(ours, linux)))
    for line in ours_failed:
        print(f"ours: {line}")
    if why_not:
        print(f"ours: {why_not}")
    else:
        print(f"ours: booted, ran lbench and powered off in {ours_seconds:.1f} s; disk clean "
              f"(e2fsck -fn); log {gradelib.LOG_DIR.relative_to(ROOT)}/bench-linux-ours.log")
    for line in linux_failed + INIT_SAYS_RE.findall(text):
        print(f"Linux: {line}")
    clean, _ = disk.fsck(img)
    print(f"Linux: {'' if done else 'did not finish; '}booted, ran lbench and powered off in "
          f"{seconds:.1f} s; disk {'clean' if clean else 'NOT clean'} (e2fsck -fn); "
          f"log {gradelib.LOG_DIR.relative_to(ROOT)}/bench-linux.log")
    if not done:
        sys.exit(1)


if __name__ == "__main__":
    main()
