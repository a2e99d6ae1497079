"""linuxdiff.py - Lab 10's differential harness: one shell script, two runs.

The same script runs under Debian's busybox-static twice: on the host
(`env -i /bin/busybox sh`, in a temporary directory) and on our kernel
(the very same file is the disk's /bin/busybox), each with the same input
files, and the two runs must agree on what the script wrote to standard
output and standard error and on its exit status. Nothing the kernel
prints on the console is judged: the guest's results are read back from
its disk after QEMU exits (debugfs), and e2fsck -fn must find that disk
clean. A static musl program built here runs on the host just as well, so
the same comparison holds for the programs of user/musl/.

Both sides get the same layout, the host's under a temporary directory and
the guest's under GUEST_DIR on a fresh image made from the build's
staging tree (mke2fs -d):

    DIR/run.sh      the wrapper: cd DIR/w, sh ../test.sh <../stdin
                    >../stdout 2>../stderr, then its status into ../status
    DIR/test.sh     the script under test
    DIR/w/...       its input files (a Tree), the script's working directory

so a test that lists or archives its working directory never sees the
harness's own files. Plain functions and classes, no pytest.
"""

import os
import random
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

import disk
from checks import check, show
from gradelib import ROOT, SUCCESS, GradeError, stub_dead_ends

BUSYBOX = "/bin/busybox"            # the host's, Debian's busybox-static: the disk's too
GUEST_DIR = "/t"
STUBS = stub_dead_ends(10, panic=True)
HOST_TIMEOUT = 60                   # seconds for a host run (all of them take well under 1)

# The wrapper, the same on both sides: its one argument is DIR.
RUN_SH = """\
cd "$1/w" || exit 99
sh ../test.sh <../stdin >../stdout 2>../stderr
echo $? >../status
"""


def seeded(name):
    """A random generator for one test, its seed printed (and taken from
    TEACHOS_SEED if set) so that a failure can be replayed."""
    seed = int(os.environ.get("TEACHOS_SEED", random.randrange(1 << 30)))
    print(f"{name}: seed {seed} (replay: TEACHOS_SEED={seed})")
    return random.Random(seed)


# ---- the input files ---------------------------------------------------------------


class Tree:
    """Files, directories, symbolic and hard links to put in a directory,
    by paths relative to it ("a/b.txt"). Written the same way on the host
    and in the guest's staging tree, so both runs start from one tree."""

    def __init__(self):
        self.entries = []           # ("file", path, bytes, mode), ("dir", path, mode),
                                    # ("symlink", path, target), ("link", path, existing)

    def file(self, path, data, mode=0o644):
        self.entries.append(("file", path, data.encode() if isinstance(data, str) else data, mode))
        return self

    def dir(self, path, mode=0o755):
        self.entries.append(("dir", path, mode))
        return self

    def symlink(self, path, target):
        self.entries.append(("symlink", path, target))
        return self

    def link(self, path, existing):
        """A hard link: path becomes another name of existing (a file)."""
        self.entries.append(("link", path, existing))
        return self

    def files(self):
        """{path: bytes} of the regular files, hard links included."""
        out = {}
        for e in self.entries:
            if e[0] == "file":
                out[e[1]] = e[2]
            elif e[0] == "link":
                out[e[1]] = out[e[2]]
        return out

    def write(self, root):
        """Make the tree under the directory root. Directory modes are set
        last, so that a directory without write permission still gets its
        files."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        dir_modes = []
        for e in self.entries:
            p = root / e[1]
            p.parent.mkdir(parents=True, exist_ok=True)
            if e[0] == "file":
                p.write_bytes(e[2])
                p.chmod(e[3])
            elif e[0] == "dir":
                p.mkdir(parents=True, exist_ok=True)
                dir_modes.append((p, e[2]))
            elif e[0] == "symlink":
                p.symlink_to(e[2])
            else:
                os.link(root / e[2], p)
        for p, mode in reversed(dir_modes):
            p.chmod(mode)


# ---- one run's results ---------------------------------------------------------------


class Result(NamedTuple):
    """What a run of test.sh left: its standard output and error (bytes),
    its exit status (None if it never wrote one), and the directory DIR as
    it was after the run (on the host, the run's own; for the guest, a copy
    read out of the image by debugfs rdump). ends: for the guest, the
    kernel's lines about processes that a fault or signal ended (shown
    when the script never finished)."""
    stdout: bytes
    stderr: bytes
    status: object
    dir: Path
    ends: tuple = ()
    script: object = None       # the guest's: a copy of test.sh beside the serial log


# The kernel's line for a process that a fault or a signal killed (DESIGN §7).
KILLED_RE = re.compile(r"^\S+: killed by .*$", re.M)


def _read_result(d):
    def get(name):
        p = d / name
        return p.read_bytes() if p.is_file() else None
    status = get("status")
    try:
        status = int(status) if status is not None else None
    except ValueError:
        status = status.decode(errors="replace")
    return Result(get("stdout"), get("stderr"), status, d)


def _scratch(tmp_path, name):
    d = Path(tmp_path) / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def _lay_out(d, script, tree, stdin, progs):
    """DIR's files: the wrapper, the script, standard input, the programs
    progs (paths on the host: the script runs each as ../NAME), the tree
    in w/."""
    (d / "run.sh").write_text(RUN_SH)
    (d / "test.sh").write_text(script)
    (d / "stdin").write_bytes(stdin)
    for p in progs:
        shutil.copy(p, d / Path(p).name)
    (tree or Tree()).write(d / "w")


def host_run(tmp_path, script, tree=None, stdin=b"", progs=(), name="host"):
    """Run script with Debian's busybox on the host, in a fresh directory
    tmp_path/name laid out as the guest's. Returns its Result.
    The host's run is the reference: if it fails to write a status, the
    grader itself is broken, and that is said plainly."""
    if not Path(BUSYBOX).is_file():
        raise GradeError(f"expected: {BUSYBOX} on the host (Lab 10 compares with it): "
                         "install the Debian package busybox-static")
    d = _scratch(tmp_path, name)
    _lay_out(d, script, tree, stdin, progs)
    # From /, as the kernel starts its first program (OLDPWD says so).
    proc = subprocess.run(["env", "-i", BUSYBOX, "sh", str(d / "run.sh"), str(d)], cwd="/",
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=HOST_TIMEOUT)
    res = _read_result(d)
    # The one thing that truly differs: where DIR is.
    here = str(d).encode()
    res = res._replace(stdout=res.stdout.replace(here, GUEST_DIR.encode()),
                       stderr=res.stderr.replace(here, GUEST_DIR.encode()))
    if res.status is None:
        raise GradeError(f"the host's run of the script did not finish (a grader bug): "
                         f"{proc.stdout.decode(errors='replace')[-2000:]}")
    return res


def guest_image(kernel, tmp_path, script, tree=None, stdin=b"", progs=(), name="guest"):
    """A fresh disk image for kernel's build: its staging tree (what the
    pristine image holds) plus GUEST_DIR laid out for the script. Returns
    its path."""
    staging = kernel.elf.parent / "disk-root"
    pristine = kernel.elf.parent / disk.PRISTINE_NAME
    if not staging.is_dir() or not pristine.is_file():
        raise GradeError(f"expected: the build's disk ({_rel(staging)}), which the kernel's "
                         "build makes from Lab 8 on")
    ours = staging / BUSYBOX.lstrip("/")
    if not ours.is_file() or ours.read_bytes() != Path(BUSYBOX).read_bytes():
        raise GradeError(f"expected: the disk's /bin/busybox ({_rel(ours)}) the same file as the "
                         f"host's {BUSYBOX}, which the graders compare with: the host's has "
                         "changed since the build (make rebuilds the disk with it)")
    img = Path(tmp_path) / f"{name}.img"
    with tempfile.TemporaryDirectory(prefix="teachos-stage-") as stage:
        stage = Path(stage)
        shutil.copytree(staging, stage, symlinks=True, dirs_exist_ok=True)
        os.chmod(stage, 0o755)
        d = stage / GUEST_DIR.lstrip("/")
        d.mkdir()
        _lay_out(d, script, tree, stdin, progs)
        # The pristine image's kind: ext3 from Lab 9 on (a journal inode).
        journal = "has_journal" in disk.superblock(pristine).get("Filesystem features", "")
        disk.mkfs(stage, img, journal=journal)
    return img


def guest_run(kernel, tmp_path, script, tree=None, stdin=b"", progs=(), more="", timeout=60,
              name="guest"):
    """Run script with the disk's /bin/busybox on kernel: one boot with
    init=/bin/busybox:sh:GUEST_DIR/run.sh:GUEST_DIR (and the command-line
    words more) on a fresh image, to the power-off the end of init brings;
    e2fsck -fn must then find the image clean. Returns (its Result, read
    out of the image, and the serial text)."""
    img = guest_image(kernel, tmp_path, script, tree, stdin, progs, name)
    init = f"init={BUSYBOX}:sh:{GUEST_DIR}/run.sh:{GUEST_DIR}"
    with kernel.boot(f"{more} {init}".strip(), dead_ends=STUBS, disk=img) as m:
        kept = m.log_path.with_suffix(".sh")    # beside the serial log: what ran
        kept.write_text(script)
        m.expect_exit(SUCCESS, timeout=timeout)
        m.refuse_dead_ends("busybox to run the script and the kernel to power off")
    out = _scratch(tmp_path, name + "-dir")
    disk.rdump(img, GUEST_DIR, out)
    res = _read_result(out / GUEST_DIR.lstrip("/"))
    return res._replace(ends=tuple(KILLED_RE.findall(m.text)), script=kept), m.text


# ---- comparing ------------------------------------------------------------------------


def _rel(path):
    try:
        return Path(path).relative_to(ROOT)
    except ValueError:
        return path


def _first_difference(want, got):
    """(index of the first line where two outputs differ, in words)."""
    wl, gl = want.splitlines(), got.splitlines()
    for i in range(max(len(wl), len(gl))):
        w = wl[i].decode(errors="replace") if i < len(wl) else None
        g = gl[i].decode(errors="replace") if i < len(gl) else None
        if w != g:
            return i, (f"line {i + 1}: expected {w!r}" if w is not None
                       else f"line {i + 1}: expected the end of the output") + \
                (f", seen {g!r}" if g is not None else ", seen the end of the output")
    return len(wl), "the same lines, but not the same bytes (a missing last newline?)"


def _block(b, at, before=3, after=8):
    """An output as the report shows it: its lines around line index at,
    or nothing."""
    lines = b.decode(errors="replace").splitlines()
    start = max(0, at - before)
    shown = lines[start:at + after]
    if start:
        shown.insert(0, f"({start} lines before)")
    if len(lines) > at + after:
        shown.append(f"({len(lines) - at - after} lines after)")
    return show(shown) if lines else " nothing"


def compare(what, host, guest, normalize=None):
    """guest (a Result of guest_run) must have written what host did:
    the same exit status, standard output and standard error, each after
    normalize (bytes -> bytes) if given. what names the run in the report,
    which also says where a copy of the script is kept."""
    norm = normalize or (lambda b: b)
    script = f"\n    script: {_rel(guest.script)}" if guest.script else ""
    ends = "".join(f"\n      | {line}" for line in guest.ends[:6])
    check(guest.status is not None, f"{what}: the script to finish and write its status "
          f"({host.status} on Linux)", "no status file: the script never got that far"
          + (f"; the console said:{ends}" if ends else "") + script)
    for label, w, g in (("standard output", host.stdout, guest.stdout),
                        ("standard error", host.stderr, guest.stderr)):
        w, g = norm(w or b""), norm(g or b"")
        if w != g:
            at, where = _first_difference(w, g)
            raise GradeError(f"expected: {what}: on {label}, what Linux gives:{_block(w, at)}\n"
                             f"    seen:     on our kernel:{_block(g, at)}\n"
                             f"    first difference: {where}{script}")
    check(guest.status == host.status, f"{what}: exit status {host.status}, as on Linux",
          f"{guest.status}{script}")


def differential(kernel, tmp_path, what, script, tree=None, stdin=b"", progs=(), normalize=None,
                 more="", timeout=60):
    """The whole comparison: script on the host and on kernel, the same
    outputs and status. Returns (host's Result, guest's Result, serial
    text) for checks of the files the script left."""
    host = host_run(tmp_path, script, tree, stdin, progs)
    guest, text = guest_run(kernel, tmp_path, script, tree, stdin, progs, more, timeout)
    compare(what, host, guest, normalize)
    return host, guest, text
