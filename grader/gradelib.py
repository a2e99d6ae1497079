"""gradelib.py - how the graders build, boot and watch the kernel.

This module owns QEMU: every boot (graders, `make run`, `make qemu-gdb`)
starts from qemu_argv() here, and every boot image from mkiso(). A grader
test typically does

    with kernel.boot("test=printf d=5 ...") as m:
        m.expect(r"ktest printf: ok")          # wait for a line, or fail
        m.expect_exit(SUCCESS)

and a failure raises GradeError with what was expected, what was seen, how
the machine ended and where the serial log is kept. QEMU is killed on every
path. Run as a script it offers `mkiso` and `run` to the Makefile.
"""

import argparse
import fcntl
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
LOG_DIR = BUILD / "grade" / "logs"

def use_ccache():
    """For the instructor's tools that build the kernel in many copies of
    the tree (make test's exercise sets and play-through, make mutants):
    compile through ccache when it is there (labs/deps.sh test installs
    it), keyed on content and not on the directory, so that one copy
    reuses what another compiled. Child processes inherit it."""
    if Path("/usr/lib/ccache/gcc").exists() and "CCACHE_DIR" not in os.environ:
        os.environ["PATH"] = "/usr/lib/ccache:" + os.environ["PATH"]
        os.environ["CCACHE_DIR"] = str(BUILD / "ccache")
        os.environ["CCACHE_NOHASHDIR"] = "1"


# QEMU exit statuses (DESIGN §6). The kernel writes 0x10 or 0x11 to the
# isa-debug-exit port; QEMU exits with (value << 1) | 1.
SUCCESS = 33
FAILURE = 35
TRIPLE_FAULT = 0   # with -no-reboot, a CPU reset makes QEMU exit 0

EXPECT_TIMEOUT = 10.0
PROMPT = "K> "          # the kernel monitor's prompt


class GradeError(AssertionError):
    """A check failed. The message is shown to the student as it stands."""


class BuildError(Exception):
    """The kernel did not build. Not a GradeError: a start that does not build
    must never count as 'failing as expected'."""


def describe_exit(status):
    """A plain-words account of how QEMU ended."""
    if status is None:
        return "the kernel was still running at the deadline (a hang, or waiting for input)"
    if status == SUCCESS:
        return "the kernel powered off with success status (QEMU exit 33)"
    if status == FAILURE:
        return "the kernel powered off with failure status (QEMU exit 35: a panic or a failed test)"
    if status == TRIPLE_FAULT:
        return "QEMU exited 0: a triple fault reset the CPU (an exception with no working handler)"
    return f"QEMU exited with status {status} (a QEMU error, not the kernel: see the log)"


# ---------------------------------------------------------------------------
# Building

def config_dir(lab, sol):
    return BUILD / f"lab{lab}-sol{sol}"


_build_failed = set()   # configs that failed to build in this process


def build(lab, sol):
    """Build LAB=lab SOL=sol and return the path of kernel.elf. Raises
    BuildError with the compiler's own output if it fails (once per process;
    later calls say where to look). Safe to call from several processes at
    once: one builds, the others wait."""
    if (lab, sol) in _build_failed:
        raise BuildError(f"the kernel does not build (LAB={lab} SOL={sol}): "
                         "the compiler's message is with the first test that tried")
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / f".lock-lab{lab}-sol{sol}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(
            ["make", "--no-print-directory", "-s", f"LAB={lab}", f"SOL={sol}", "elf"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        _build_failed.add((lab, sol))
        raise BuildError(f"the kernel does not build (LAB={lab} SOL={sol}):\n"
                         + proc.stdout.strip())
    return config_dir(lab, sol) / "kernel.elf"


def kernel_symbols(elf):
    """{name: (address, size, type letter)} of the kernel's symbols, by nm."""
    out = subprocess.run(["nm", "-S", "--defined-only", str(elf)], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4:
            syms[f[3]] = (int(f[0], 16), int(f[1], 16), f[2])
        elif len(f) == 3:
            syms[f[2]] = (int(f[0], 16), 0, f[1])
    return syms


SECTION_MARK = re.compile(r"__[a-z]+_(start|end)$")   # linker.ld's markers, not functions


def symbolize(syms, rip, exact=False):
    """(name, offset) of the function a return address rip belongs to, or
    (None, None): the grader's own answer, from the ELF's symbols. Like the
    kernel, it looks up rip - 1 (the call itself), since a call to a function
    that never returns can be the last instruction of its caller. With exact,
    rip is the address of an instruction itself (a faulting rip)."""
    addr = rip if exact else rip - 1
    code = [(start, size, name) for name, (start, size, kind) in syms.items()
            if kind in "tTwW" and start <= addr and not SECTION_MARK.match(name)]
    if not code or not syms["__text_start"][0] <= addr < syms["__text_end"][0]:
        return None, None
    start, size, name = max(code)
    if size and addr >= start + size:
        return None, None
    return name, rip - start


# Characters GRUB's script parser takes literally in a menu entry.
CMDLINE_RE = re.compile(r"[A-Za-z0-9 =_.,:/+-]*")


def mkiso(elf, cmdline, out, modules=()):
    """Write a GRUB rescue ISO at out that boots elf with cmdline, and loads
    each file in modules as a Multiboot2 module named for the file
    (path/hello.elf -> "hello": the name init= and execve use)."""
    if not CMDLINE_RE.fullmatch(cmdline):
        raise ValueError(f"command line {cmdline!r}: use only letters, digits, spaces and =_.,:/+-")
    out = Path(out)
    tree = Path(tempfile.mkdtemp(prefix="iso-", dir=out.parent))
    try:
        (tree / "boot" / "grub").mkdir(parents=True)
        (tree / "boot" / "progs").mkdir()
        shutil.copyfile(elf, tree / "boot" / "kernel.elf")
        lines = ""
        for m in modules:
            name = Path(m).name.removesuffix(".elf")
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,15}", name):
                raise ValueError(f"program {m}: its name must be 1-15 letters, digits, _ or -")
            shutil.copyfile(m, tree / "boot" / "progs" / name)
            lines += f"    module2 /boot/progs/{name} {name}\n"
        (tree / "boot" / "grub" / "grub.cfg").write_text(
            "set timeout=0\nset default=0\n"
            f'menuentry "teachos" {{\n    multiboot2 /boot/kernel.elf {cmdline}\n{lines}    boot\n}}\n')
        proc = subprocess.run(
            ["grub-mkrescue", "-o", str(out), str(tree),
             "--install-modules=multiboot2 normal iso9660 biosdisk part_msdos",
             "--locales=", "--fonts=", "--themes="],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise RuntimeError("grub-mkrescue failed:\n" + proc.stdout)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    return out


def qemu_argv(iso, mem="128M", accel=None):
    """The QEMU command line shared by every boot (DESIGN §6)."""
    accel = accel or os.environ.get("ACCEL", "tcg")
    return ["qemu-system-x86_64", "-M", "q35", "-accel", accel, "-m", mem,
            "-cdrom", str(iso), "-boot", "d", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


def disk_argv(img):
    """QEMU's arguments for the disk (Lab 8 on): a raw image on a virtio-blk
    PCI device, legacy interface (I/O BAR0, INTx through the 8259s)."""
    path = str(Path(img).resolve()).replace(",", ",,")      # QEMU's escape for a comma
    return ["-drive", f"file={path},if=none,id=disk0,format=raw",
            "-device", "virtio-blk-pci,drive=disk0,disable-modern=on"]


# ---------------------------------------------------------------------------
# A running machine

PANIC_DEAD_END = (r"^PANIC at ", "the kernel panicked: {line}")


def stub_dead_ends(*labs, exercises=None, panic=False):
    """Dead ends (Machine's dead_ends=) for a test that needs the exercises
    of these labs: every stub says "... (LAB n, exercise k)" or "(LAB n,
    exercises j and k)" when it runs (a challenge's, "(LAB n, challenge
    k)"), so such a line means the output the test waits for will not come;
    the test stops at once and reports the stub's own words. With
    exercises (of the labs given), only the stubs of those: the others may
    speak. With panic, a panic is a dead end too."""
    import course
    ends = [(course.stub_message_re(labs, exercises), "the kernel printed: {line}")]
    return ends + [PANIC_DEAD_END] if panic else ends


class Machine:
    """One QEMU running the kernel, its serial port on our pipes and a QMP
    socket for looking inside. Use as a context manager.

    disk (Lab 8 on): the path of an ext2 image to attach, or True for a
    fresh copy of the build's pristine image, kept next to the log
    (build/grade/logs/NAME.disk.img); self.disk is its path, for
    grader/disk.py after the run, or for booting it again. When QEMU has
    ended, however it ended, e2fsck -fn checks the image unless fsck is
    False: a complaint fails the test (GradeError), the image kept."""

    def __init__(self, elf, cmdline="", mem="128M", log_name="boot", extra_args=(),
                 dead_ends=(), modules=None, shell=False, disk=None, fsck=True):
        # A boot that runs nothing (no init=, test= or bench) is for the
        # monitor: say so, since from Lab 7 such a boot starts /bin/init and
        # its shell instead (shell=True asks for that).
        if not shell and not re.search(r"(^|\s)(init=|test=|bench(\s|$)|monitor(\s|$))", cmdline):
            cmdline = (cmdline + " monitor").strip()
        self.elf, self.cmdline, self.mem = Path(elf), cmdline, mem
        # Boot modules: by default the user programs built with this kernel.
        self.modules = sorted((self.elf.parent / "user").glob("*.elf")) if modules is None else modules
        # Output that means the awaited line will never come: fail at once.
        # The monitor prompt is one: the kernel is done and waits for input
        # (and, having no newline, is looked for in the line being written).
        why = "the kernel reached the monitor prompt 'K> ' first"
        if "test=" in cmdline:
            why += (": it did not see test=... in its command line "
                    "(Lab 1, exercise 1: the Multiboot2 tags)")
        self.dead_ends = [(re.compile("^" + re.escape(PROMPT), re.MULTILINE), why, True)]
        # A test may add its own: (regex, reason), matched in complete lines;
        # the reason may quote the matched line as {line}.
        self.dead_ends += [(re.compile(rx, re.MULTILINE), reason, False)
                           for rx, reason in dead_ends]
        self.log_path = LOG_DIR / (re.sub(r"[^A-Za-z0-9_.-]+", "_", log_name) + ".log")
        self.extra_args = list(extra_args)
        if disk is True:
            disk = self.log_path.with_suffix(".disk.img")
            disk_tools().copy_image(self._pristine(), disk)
        self.disk = Path(disk).resolve() if disk else None
        self.fsck = fsck and self.disk is not None
        self.fsck_output = None     # what e2fsck said after the run
        self.proc = None
        self.text = ""          # serial output so far, "\r" removed
        self.arrivals = []      # (length of text, time.monotonic()) after each chunk
        self.pos = 0            # expect() searches from here
        self.status = None      # QEMU's exit status once it ended
        self._cond = threading.Condition()
        self._qmp = None

    def _pristine(self):
        """The pristine disk image built with this kernel (Makefile, Lab 8 on)."""
        img = self.elf.parent / disk_tools().PRISTINE_NAME
        if not img.exists():
            raise GradeError(f"a test asked for a disk, but this build has none ({img}): "
                             "the disk comes with Lab 8")
        return img

    # -- life cycle --
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, *exc):
        self.close()
        # The file system check after the run. If the test failed already,
        # its own report comes first; the check goes to the log only.
        if self.fsck and self.proc:
            self.check_disk(report=exc_type is None)

    def check_disk(self, report=True):
        """Run e2fsck -fn on the disk (QEMU must have ended); note the verdict
        in the serial log; with report, raise GradeError on a complaint."""
        tools = disk_tools()
        try:
            clean, out = tools.fsck(self.disk)
        except tools.DiskError as e:
            if not report:
                return
            raise GradeError(f"could not check the disk after the run: {e}") from None
        self.fsck_output = out
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"# e2fsck -fn {self.disk.name}: {'clean' if clean else 'NOT clean'}\n")
            if not clean:
                log.write("".join(f"#   {line}\n" for line in out.splitlines()))
        if not clean and report:
            # What it found, without the banner and the five "Pass N" lines.
            found = [line for line in out.splitlines()
                     if line.strip() and not re.match(r"Pass \d|e2fsck \d", line)]
            if len(found) > 30:
                found = found[:30] + [f"... ({len(found) - 30} more lines in the log)"]
            lines = "\n".join("      | " + line[:300] for line in found)
            raise GradeError(
                "expected: a disk that e2fsck -fn finds clean after the run\n"
                f"    e2fsck said:\n{lines}\n"
                f"    end: {describe_exit(self.status)}\n"
                f"    disk: {_rel(self.disk)} (kept: look inside with debugfs {_rel(self.disk)})\n"
                f"    log: {_rel(self.log_path)}")

    def start(self):
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        # In the system's temp dir, not build/: a UNIX socket path must stay
        # under 108 bytes, however deep the checkout is.
        self.dir = Path(tempfile.mkdtemp(prefix="teachos-qemu-"))
        iso = mkiso(self.elf, self.cmdline, self.dir / "boot.iso", self.modules)
        self.qmp_path = self.dir / "qmp.sock"
        argv = qemu_argv(iso, self.mem) + [
            "-display", "none", "-monitor", "none", "-serial", "stdio",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off"] + self.extra_args
        if self.disk:
            argv += disk_argv(self.disk)
        self.log = open(self.log_path, "w", encoding="utf-8", errors="replace")
        self.log.write(f"# command line: {self.cmdline}\n# qemu: {' '.join(argv)}\n")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read_serial, daemon=True)
        self._reader.start()

    def _read_serial(self):
        while True:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                break
            s = chunk.decode("utf-8", errors="replace").replace("\r", "")
            self.log.write(s)
            with self._cond:
                self.text += s
                self.arrivals.append((len(self.text), time.monotonic()))
                self._cond.notify_all()
        status = self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace").strip()
        with self._cond:
            self.status = status
            self.qemu_stderr = err
            self._cond.notify_all()

    def close(self):
        """Kill QEMU if it still runs, keep the log, remove the scratch files."""
        if self._qmp:
            self._qmp.close()
        killed = self.proc and self.proc.poll() is None
        if killed:
            self.proc.kill()
        if self.proc:
            self.proc.wait()
            self._reader.join(timeout=5)
            end = "stopped by the grader" if killed else describe_exit(self.status)
            self.log.write(f"\n# end: {end}\n")
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- watching --
    def ended(self):
        return self.status is not None

    def _fail(self, expected, why=None, last=12):
        """Raise the GradeError a student reads: what was expected, what the
        kernel printed, how the machine ended, where the serial log is."""
        raise GradeError(f"expected: {expected}\n    {self._seen(last)}\n"
                         f"    end: {why or self._end()}\n    log: {self.log_path.relative_to(ROOT)}")

    def _seen(self, last):
        """The last lines of output, saying so plainly when there are none,
        or none since the line the grader matched last."""
        if not self.text.strip():
            return "seen: nothing: the kernel printed nothing after GRUB started it"
        lines = "\n".join("      | " + line for line in self.text.strip("\n").split("\n")[-last:])
        if self.pos and not self.text[self.pos:].strip():
            matched = self.text[:self.pos].rstrip("\n").rsplit("\n", 1)[-1]
            return f"seen: nothing after {matched!r}; the last lines of serial output:\n{lines}"
        return f"seen (last lines of serial output):\n{lines}"

    def _end(self, how=None):
        """How the machine ended; if it still runs, where its CPU is."""
        how = how or describe_exit(self.status)
        place = "" if self.ended() else self.where()
        return f"{how}; the CPU was in {place}" if place else how

    def expect(self, pattern, timeout=EXPECT_TIMEOUT, what=None, partial=False, cpu_limit=None):
        """Wait until pattern (a regex, multiline) matches complete lines of
        output not yet consumed; return the match and consume up to its end.
        With partial, a line still being written counts too (for prompts).
        Fails with a clear report on timeout or if the machine ends first,
        or, given cpu_limit, once QEMU has used that many seconds of CPU."""
        rx = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                end = len(self.text) if partial or self.ended() else self.text.rfind("\n") + 1
                m = rx.search(self.text, self.pos, max(end, self.pos))
                if m:
                    self.pos = m.end()
                    return m
                for dead_end, why, in_partial_line in self.dead_ends:
                    d = dead_end.search(self.text, self.pos,
                                        len(self.text) if in_partial_line else max(end, self.pos))
                    if d:
                        line = self.text[self.text.rfind("\n", 0, d.start()) + 1:].split("\n")[0]
                        self._fail(what or f"a line matching /{pattern}/", why.format(line=line))
                left = deadline - time.monotonic()
                if self.ended() or left <= 0:
                    self._fail(what or f"a line matching /{pattern}/")
                if cpu_limit is not None:
                    if self.cpu_seconds() >= cpu_limit:
                        self._fail(what or f"a line matching /{pattern}/", self._end(
                            f"the kernel was still running after {cpu_limit:g} s of CPU time (a hang)"))
                    left = min(left, 0.1)        # CPU time is polled, not signalled
                self._cond.wait(left)

    def expect_line(self, line, timeout=EXPECT_TIMEOUT):
        """Wait for a whole line equal to line."""
        return self.expect("^" + re.escape(line) + "$", timeout, what=repr(line))

    def expect_prompt(self, timeout=EXPECT_TIMEOUT, cpu_limit=None):
        """Wait for the monitor's prompt (it has no newline after it)."""
        return self.expect("^" + re.escape(PROMPT), timeout, what=f"the monitor prompt {PROMPT!r}",
                           partial=True, cpu_limit=cpu_limit)

    def wait_exit(self, timeout=EXPECT_TIMEOUT):
        """Wait for QEMU to end; return its status (None if still running)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.ended():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        return self.status

    def expect_exit(self, status, timeout=EXPECT_TIMEOUT):
        got = self.wait_exit(timeout)
        if got != status:
            self._fail(describe_exit(status))

    def refuse_dead_ends(self, expected):
        """After the end: fail on any dead-end line the test gave (a stub's
        message, a panic), reporting it rather than a vaguer symptom."""
        for rx, why, in_partial_line in self.dead_ends:
            d = rx.search(self.text) if not in_partial_line else None
            if d:
                line = self.text[self.text.rfind("\n", 0, d.start()) + 1:].split("\n")[0]
                self._fail(expected, why.format(line=line))

    def lines(self):
        return self.text.split("\n")

    def cpu_seconds(self):
        """CPU time QEMU has used so far (all its threads). Unlike wall
        time, a loaded host does not use it up while the guest waits."""
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return 0.0
        fields = stat.rsplit(")", 1)[1].split()          # after "pid (comm)"
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def where(self, looks=5):
        """Where the CPU is, from a few looks at rip over QMP: "kmain
        (kernel/core/main.c:89)", several places joined by "and"; "" when
        QEMU cannot tell (it is gone, or QMP does not answer)."""
        rips = []
        try:
            if self._qmp is None:
                self._qmp = QMP(self.qmp_path, timeout=2.0)
            for _ in range(looks):
                regs = self._qmp.execute("human-monitor-command", **{"command-line": "info registers"})
                rips += re.findall(r"\bRIP=([0-9a-f]{16})", regs)[:1]
            if not rips:
                return ""
            found = subprocess.run(["addr2line", "-f", "-e", str(self.elf)] + [f"0x{r}" for r in rips],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, timeout=5).stdout.split("\n")
        except (GradeError, OSError, ValueError, subprocess.SubprocessError):
            return ""
        places = []
        for rip, function, line in zip(rips, found[0::2], found[1::2]):
            line = line.split(" (")[0].removeprefix(str(ROOT) + "/")    # drop "(discriminator 1)"
            # ccache (CCACHE_NOHASHDIR) may give an object built in another
            # copy of the tree, its absolute paths with it: keep from kernel/.
            line = re.sub(r"^/.*/(?=kernel/)", "", line)
            place = f"{function} ({line})" if function != "??" else f"0x{rip} (not in the kernel's code)"
            if place not in places:
                places.append(place)
        return " and ".join(places[:3])

    def time_of(self, match):
        """When the text up to the end of match arrived (time.monotonic)."""
        return next(t for length, t in self.arrivals if length >= match.end())

    # -- input --
    def send(self, text):
        """Type text on the serial port."""
        try:
            self.proc.stdin.write(text.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass    # QEMU is gone; the next expect reports how it ended

    # -- looking inside through QMP --
    def qmp(self, command, **arguments):
        if self._qmp is None:
            self._qmp = QMP(self.qmp_path)
        return self._qmp.execute(command, **arguments)

    def send_key(self, *qcodes, hold_ms=20):
        """Press keys together on the PS/2 keyboard, e.g. send_key("shift", "a").
        Names are QEMU qcodes: a-z, 0-9, spc, ret, shift, ctrl, caps_lock, left..."""
        self.qmp("send-key", keys=[{"type": "qcode", "data": k} for k in qcodes],
                 **{"hold-time": hold_ms})

    def type_text(self, text):
        """Type text on the keyboard: letters (capitals with shift), digits,
        space and newline."""
        for c in text:
            if c == "\n":
                self.send_key("ret")
            elif c == " ":
                self.send_key("spc")
            elif c.isupper():
                self.send_key("shift", c.lower())
            elif c.isalnum() and c.isascii():
                self.send_key(c)
            else:
                raise ValueError(f"type_text: no key for {c!r}")

    def read_phys(self, addr, size):
        """Read guest physical memory (QMP pmemsave)."""
        out = self.dir / f"mem-{addr:x}-{size}.bin"
        self.qmp("pmemsave", val=addr, size=size, filename=str(out))
        return out.read_bytes()

    def vga_screen(self):
        """The 25 rows of the VGA text screen as (text, attributes) pairs,
        read from video memory at 0xB8000 (not from the serial copy)."""
        data = self.read_phys(0xB8000, 80 * 25 * 2)
        rows = []
        for r in range(25):
            cells = data[r * 160:(r + 1) * 160]
            text = "".join(chr(c) if 32 <= c < 127 else " " for c in cells[0::2])
            rows.append((text, bytes(cells[1::2])))
        return rows


def _rel(path):
    """path relative to the tree's top when it is inside it."""
    try:
        return Path(path).relative_to(ROOT)
    except ValueError:
        return path


def disk_tools():
    """grader/disk.py, imported on first use (labs 1-7 never need it)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    import disk
    return disk


class QMP:
    """A minimal QMP client: one command at a time, events skipped."""

    def __init__(self, path, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(timeout)
                self.sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.monotonic() > deadline:
                    raise GradeError(f"could not connect to QEMU's QMP socket {path}")
                time.sleep(0.02)
        self.file = self.sock.makefile("rwb")
        self._read()                      # greeting
        self.execute("qmp_capabilities")

    def _read(self):
        line = self.file.readline()
        if not line:
            raise GradeError("QEMU closed its QMP socket (the machine ended)")
        return json.loads(line)

    def execute(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.file.write(json.dumps(msg).encode() + b"\n")
        self.file.flush()
        while True:
            reply = self._read()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise GradeError(f"QMP {command} failed: {reply['error'].get('desc')}")

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------
# Command-line use by the Makefile

def main(argv):
    ap = argparse.ArgumentParser(prog="gradelib.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("mkiso", help="build a boot ISO for a kernel and command line")
    p.add_argument("elf")
    p.add_argument("cmdline")
    p.add_argument("out")
    p.add_argument("modules", nargs="*", help="user programs to load as boot modules")
    p = sub.add_parser("run", help="boot an ISO with the serial console on this terminal")
    p.add_argument("iso")
    p.add_argument("--vga", action="store_true", help="show the VGA screen")
    p.add_argument("--gdb", type=int, metavar="PORT", help="start paused, GDB stub on PORT")
    p.add_argument("--mem", default="128M")
    p.add_argument("--disk", metavar="IMG", help="attach this disk image (Lab 8 on)")
    p.add_argument("--qemuflags", default="", help="more QEMU options, e.g. '-d int,cpu_reset'")
    args = ap.parse_args(argv)

    if args.cmd == "mkiso":
        try:
            mkiso(args.elf, args.cmdline, args.out, args.modules)
        except (ValueError, RuntimeError, OSError) as e:
            sys.exit(f"mkiso: {e}")
        return
    argv = qemu_argv(args.iso, args.mem)
    if args.vga and os.environ.get("DISPLAY"):
        argv += ["-serial", "mon:stdio"]
    elif args.vga:
        log = Path(args.iso).parent / "serial.log"
        print(f"teachos: VGA in this terminal (curses); serial goes to {log}.\n"
              "         To quit: Esc then 2, then type 'quit' at the (qemu) prompt.")
        time.sleep(2)
        argv += ["-display", "curses", "-serial", f"file:{log}"]
    else:
        argv += ["-display", "none", "-serial", "mon:stdio"]
    if args.gdb:
        argv += ["-S", "-gdb", f"tcp:localhost:{args.gdb}"]   # GDB's `continue` starts it
    if args.disk:
        argv += disk_argv(args.disk)
    argv += shlex.split(args.qemuflags)
    sys.exit(run_interactive(argv, gdb=bool(args.gdb)))


def run_interactive(argv, gdb=False):
    """Run QEMU on this terminal and turn how it ended into make's status:
    0 when the kernel powered off with success or the user quit QEMU; else
    one line saying what happened, and 1. QEMU exits 0 both for a quit and,
    with -no-reboot, for a triple fault: its QMP SHUTDOWN event tells them
    apart (reason "guest-reset" is the CPU resetting itself). QMP sends
    events only after its handshake, so the machine starts paused (-S) and
    the watcher lets it run once it listens; under GDB (already -S), GDB's
    `continue` does."""
    scratch = Path(tempfile.mkdtemp(prefix="teachos-run-"))
    qmp_path = scratch / "qmp.sock"
    events = []
    try:
        proc = subprocess.Popen(argv + ([] if gdb else ["-S"])
                                + ["-qmp", f"unix:{qmp_path},server=on,wait=off"])
        watcher = threading.Thread(target=_watch_shutdown,
                                   args=(qmp_path, proc, events, not gdb), daemon=True)
        watcher.start()
        while True:
            try:
                status = proc.wait()
                break
            except KeyboardInterrupt:   # Ctrl-C reaches QEMU too; wait for it
                continue
        watcher.join(timeout=2)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if "no-qmp" in events:
        print("\nteachos: could not watch QEMU over QMP; stopped it", file=sys.stderr)
        return 1
    if status == SUCCESS:
        return 0
    if status == TRIPLE_FAULT and "guest-reset" in events:
        print(f"\nteachos: {describe_exit(TRIPLE_FAULT)}", file=sys.stderr)
        return 1
    if status == TRIPLE_FAULT:
        return 0                        # the user quit QEMU (Ctrl-A X, or closed its window)
    if status == FAILURE:
        print(f"\nteachos: {describe_exit(status)}", file=sys.stderr)
    else:
        print(f"\nteachos: QEMU exited with status {status}: see its message above",
              file=sys.stderr)
    return 1


def _watch_shutdown(qmp_path, proc, events, start):
    """Collect the reasons of QMP SHUTDOWN events until QEMU ends; with
    start, let the paused machine run once the handshake is done. If QMP
    never answers, stop QEMU (a paused machine would wait for ever)."""
    deadline = time.monotonic() + 10
    while proc.poll() is None:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(qmp_path))
            break
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                events.append("no-qmp")
                proc.kill()
                return
            time.sleep(0.02)
    else:
        return
    with sock, sock.makefile("rwb") as f:
        try:
            f.readline()                                     # greeting
            f.write(b'{"execute": "qmp_capabilities"}\n')
            if start:
                f.write(b'{"execute": "cont"}\n')
            f.flush()
            for line in f:
                msg = json.loads(line)
                if msg.get("event") == "SHUTDOWN":
                    events.append(msg.get("data", {}).get("reason"))
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    main(sys.argv[1:])
