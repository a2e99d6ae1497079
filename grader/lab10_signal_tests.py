"""Lab 10 graders, exercise 4: signals (handout §6). Folded into
test_lab10_linux.py.

The reference is Linux itself: the same busybox script runs under the
host's /bin/busybox (Debian's busybox-static, the very binary on the disk)
and under the kernel, and the same sigtest binary (user/musl/sigtest.c,
built by the Makefile with musl-gcc -static) runs on the host and on the
kernel; their lines must agree. Signals, exit codes, words and register
values are drawn here at random (sigtest's registers come from the seed
it is given), and the statuses are also computed here. The in-kernel test
sig_frame calls the exercise's code on a made-up process and prints the
frame it pushed and what rt_sigreturn took back; every value it must show
is computed here from the seed. Ctrl-C is typed into the course's shell.
"""

import re
import resource
import signal
import subprocess
import time
from pathlib import Path

import pytest

import disk
from checks import check, rng, word, shell_command
from gradelib import SUCCESS, GradeError, stub_dead_ends

STUBS = stub_dead_ends(10, panic=True)
KTEST_STUBS = stub_dead_ends(10, exercises=[4], panic=True)
HOST_BUSYBOX = "/bin/busybox"
START = "==== start"
# The kernel's own lines about processes, left out of what is compared.
KERNEL_LINE = re.compile(r"^\S+: (exit\(-?\d+\)|killed by .*|rt_sigreturn: bad signal frame at "
                         r"0x[0-9a-f]+|no room for the frame of signal \d+ at rsp=0x[0-9a-f]+)$")
SIGNALS = {"HUP": 1, "INT": 2, "USR1": 10, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15}
MASK = (1 << 64) - 1


# ---- running a script or sigtest here and there ------------------------------------


def _default_signals():
    """In the host's child before exec: every signal's default action,
    nothing blocked, no core files (pytest and its parents may ignore
    SIGPIPE or SIGINT; ash shows a core dump in its message)."""
    for s in range(1, signal.NSIG):
        try:
            signal.signal(s, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def host_run(argv, cwd, path="/bin:/usr/bin"):
    """The lines argv prints on the host (stdout and stderr as they come)."""
    if not Path(HOST_BUSYBOX).exists():
        raise GradeError(f"{HOST_BUSYBOX} not found: Lab 10's graders compare with the host's "
                         "busybox (sudo apt-get install -y busybox-static)")
    r = subprocess.run(argv, cwd=cwd, env={"PATH": path}, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       preexec_fn=_default_signals, timeout=120)
    return r.stdout.decode(errors="replace").splitlines()


def sigtest_path(kernel):
    """The sigtest binary built with this kernel (the disk has it as /bin/sigtest)."""
    path = kernel.elf.parent / "musl" / "sigtest"
    if not path.exists():
        raise GradeError(f"{path} was not built: the Makefile builds user/musl/*.c with "
                         "musl-gcc (sudo apt-get install -y musl-tools)")
    return path


def program_lines(text, after=None):
    """The lines of a serial log a program printed: after the line `after`
    (if given), without the kernel's lines about processes."""
    got = text.splitlines()
    if after is not None:
        got = got[got.index(after) + 1:] if after in got else []
    return [line for line in got if not KERNEL_LINE.match(line)]


def guest_script(kernel, tmp_path, script, timeout=90):
    """Boot with script as /t.sh on a copy of the disk and run
    `busybox sh /t.sh`; the lines it printed after START."""
    img = disk.copy_pristine(kernel.lab, kernel.sol, tmp_path / "signals.img")
    host = tmp_path / "t.sh"
    host.write_text(script)
    disk.debugfs(img, f"write {host} /t.sh", write=True)
    with kernel.boot("init=/bin/busybox:sh:/t.sh", disk=img, dead_ends=STUBS) as m:
        m.expect_exit(SUCCESS, timeout=timeout)
        m.refuse_dead_ends("the script to end")
    return program_lines(m.text, START)


def host_script(kernel, tmp_path, script):
    """The same script under the host's busybox (sigtest on its PATH)."""
    host = tmp_path / "host.sh"
    host.write_text(script)
    lines = host_run([HOST_BUSYBOX, "sh", str(host)], tmp_path,
                     f"{sigtest_path(kernel).parent}:/bin:/usr/bin")
    return lines[lines.index(START) + 1:] if START in lines else lines


def check_same(got, want, what):
    """got (the kernel's lines) must be want (Linux's): the first line
    that differs is reported."""
    for i in range(max(len(got), len(want))):
        g = got[i] if i < len(got) else "(nothing more)"
        w = want[i] if i < len(want) else "(nothing more)"
        if g != w:
            raise GradeError(f"{what}: line {i + 1} differs from Linux's\n"
                             f"    expected: {w!r}\n    seen:     {g!r}\n"
                             f"    (Linux printed {len(want)} lines, the kernel {len(got)})")


def compare_script(kernel, tmp_path, script, timeout=90):
    want = host_script(kernel, tmp_path, script)
    got = guest_script(kernel, tmp_path, script, timeout)
    check_same(got, want, "busybox sh")
    return got


def compare_sigtest(kernel, tmp_path, tests, timeout=90):
    """sigtest SEED TESTS... on the host and on the kernel: the same lines."""
    seed = str(rng.randrange(1, 1 << 40))
    want = host_run([str(sigtest_path(kernel)), seed] + tests, tmp_path)
    with kernel.boot(f"init=/bin/sigtest:{seed}:" + ":".join(tests), disk=True,
                     dead_ends=STUBS) as m:
        m.expect_exit(SUCCESS, timeout=timeout)
        m.refuse_dead_ends("sigtest to end")
    got = [line for line in program_lines(m.text) if line.startswith("sigtest: ")]
    check_same(got, want, f"sigtest {seed} {' '.join(tests)}")
    return got


# ---- busybox sh: trap, kill, default actions, SIGCHLD, SIGPIPE ---------------------------


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 4)
def test_sh_trap(kernel, tmp_path):
    """busybox sh's trap: a handler for a signal the shell sends itself
    (kill $$), a child shell whose trap exits with a code of its own, a
    child spinning in a loop (the signal comes with a timer interrupt)
    whose trap ends it, then the default action once the trap is gone:
    the same lines as on Linux, $? = the trap's code, then 128 + N.
    Catches a handler that does not run, a frame that loses the
    interrupted registers (the shell goes wrong after the handler), a
    handler run only at system calls (the spinning child never ends)."""
    s1, s2, s3 = rng.sample([s for s in SIGNALS if s not in ("INT", "PIPE")], 3)
    code, w = rng.randint(3, 100), word(6)
    script = f"""echo {START}
trap 'echo {w} got {s1}' {s1}
kill -{s1} $$
echo after {s1}
sh -c 'trap "echo child got {s2}; exit {code}" {s2}; kill -{s2} $$; echo not here'
echo status $?
sh -c 'trap "echo busy child got {s3}; exit {code + 1}" {s3}; echo $$; while :; do :; done' | \
(read pid; kill -{s3} $pid; cat; echo reader done)
trap - {s1}
sh -c 'kill -{s1} $$; echo not here'
echo status $?
"""
    got = compare_script(kernel, tmp_path, script)
    for want in (f"{w} got {s1}", f"status {code}", f"busy child got {s3}",
                 f"status {128 + SIGNALS[s1]}"):
        check(want in got, want, got)


@pytest.mark.points(4)
@pytest.mark.exercise(1, 2, 4)
def test_sh_status(kernel, tmp_path):
    """Default actions as wait4 reports them: sh -c 'kill -SIG $$' for
    random signals gives $? = 128 + N; a trap on CHLD runs when a child
    ends; an ignored signal (trap "") does nothing. Linux's lines, and the
    statuses computed here. Catches a wrong wait status, a SIGCHLD that is
    not sent, an ignored signal that kills."""
    chosen = rng.sample(sorted(SIGNALS), 3)
    code, w = rng.randint(1, 100), word(6)
    script = f"echo {START}\n"
    for s in chosen:
        script += f"sh -c 'kill -{s} $$; echo not here'\necho status $?\n"
    script += f"""trap 'echo {w} got CHLD' CHLD
sh -c 'exit {code}'
echo status $?
trap - CHLD
sh -c 'trap "" USR2; kill -USR2 $$; echo ignored USR2'
"""
    got = compare_script(kernel, tmp_path, script)
    for want in [f"status {128 + SIGNALS[s]}" for s in chosen] + [f"{w} got CHLD",
                                                                  f"status {code}"]:
        check(want in got, want, got)


@pytest.mark.points(3)
@pytest.mark.exercise(1, 2, 4)
def test_sigpipe(kernel, tmp_path):
    """yes | head -c N | wc -c: yes ends by SIGPIPE's default action when
    head is done (N and nothing else printed, as on Linux); then sigtest's
    pipe test: with a handler the write gives EPIPE after the handler ran,
    ignored only EPIPE, by default the writer ends with SIGPIPE. Catches a
    write without SIGPIPE (busybox yes then complains), a handler that
    does not run."""
    n, k, w = rng.randint(100_000, 2_000_000), rng.randint(2, 9), word(5)
    seed = rng.randrange(1, 1 << 40)
    script = f"""echo {START}
yes | head -c {n} | wc -c
yes {w} | head -n {k}
sigtest {seed} pipe
"""
    got = compare_script(kernel, tmp_path, script)
    check(got[:1 + k] == [str(n)] + [w] * k, [str(n)] + [w] * k, got[:1 + k])


# ---- sigtest: the frame, masks, siginfo, SIGCHLD, -EINTR ------------------------------------


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 4)
def test_sigtest_frame(kernel, tmp_path):
    """sigtest's frame tests, as on Linux: at the handler's first
    instruction rsp % 16 = 8, rdi the signal, rsi = rsp + 312 (siginfo),
    rdx = rsp + 8 (ucontext), rax 0, DF clear, MXCSR the default; after it
    every register, DF, the SSE registers and MXCSR of the interrupted code
    as they were, except what the handler changed in the frame's ucontext
    (r12, xmm7), which comes back; the same for a process interrupted while
    spinning (rcx changed in the frame: rt_sigreturn must leave by iretq).
    Catches a frame at the wrong place or of the wrong layout, a register
    or the SSE state not saved or not restored, rt_sigreturn restoring from
    a copy of its own instead of the frame."""
    got = compare_sigtest(kernel, tmp_path, ["frame", "async"])
    check(any("as before: yes" in line for line in got), "the registers as before", got)


@pytest.mark.points(4)
@pytest.mark.exercise(1, 2, 4)
def test_sigtest_masks(kernel, tmp_path):
    """sigtest's other tests, as on Linux: blocked signals delivered at
    unblock, the mask while a handler runs (its signal, sa_mask) and after
    it, SA_NODEFER and SA_RESETHAND, siginfo of kill and tkill, SIGCHLD's
    siginfo and sigsuspend's -EINTR with the old mask back, a read
    interrupted (-EINTR) or restarted (SA_RESTART), the default actions,
    execve keeping ignored signals and the mask, a bad frame killed with
    SIGSEGV. Catches a mask not restored by rt_sigreturn, a handler that
    runs while its signal is blocked, rt_sigreturn's return value lost
    (sigsuspend's -EINTR), a frame whose rip or cs is not checked."""
    compare_sigtest(kernel, tmp_path, ["mask", "chld", "eintr", "default", "bad", "exec"])


# ---- the frame from inside: test=sig_frame ----------------------------------------------


def xorshift(s):
    s ^= (s << 13) & MASK
    s ^= s >> 7
    s ^= (s << 17) & MASK
    return s


def sig_frame_expected(seed, rsp):
    """What test=sig_frame seed=SEED rsp=RSP must print (kernel/tests/lab10sig.c)."""
    s, v = seed | 1, []
    for _ in range(24):
        s = xorshift(s)
        v.append(s)
    regs = v[1:16]                                   # r15 ... rax, trap-frame order
    names = "r15 r14 r13 r12 r11 r10 r9 r8 rbp rdi rsi rdx rcx rbx rax".split()
    r = dict(zip(names, regs))
    rip, rflags = v[16] & 0x7fffffffffff, 0x10702 | (v[17] & 0xcd5)
    handler, restorer = v[18] & 0x7fffffffffff, v[19] & 0x7fffffffffff
    oldmask = v[20] & ~((1 << 8) | (1 << 18)) & MASK
    pid, mxcsr, mxcsr2 = v[21] % 1000 + 1, 0x3f80 | (v[22] & 0x403f), 0x5f80 | (v[23] & 0x203f)
    fpstate = (rsp - 128 - 512) & ~63
    at = ((fpstate - 440) & ~15) - 8

    def line(what, regs, rip, rflags):
        return (f"sig_frame: {what}: " + " ".join(f"{x:x}" for x in regs)
                + f" rip={rip:x} rflags={rflags:x} cs=23 ss=1b")
    h = dict(r, rdi=10, rsi=at + 312, rdx=at + 8, rax=0)
    back = dict(r, rbx=r["rbx"] ^ 0xff)
    context = " ".join(f"{r[n]:x}" for n in "r8 r9 r10 r11 r12 r13 r14 r15 rdi rsi rbp rbx "
                       "rdx rax rcx".split())
    return {
        "push": "sig_frame: push 0",
        "handler": line("handler", [h[n] for n in names], handler, rflags & ~0x10500),
        "handler mxcsr": "sig_frame: handler mxcsr 1f80",
        "frame": re.compile(rf"sig_frame: frame pretcode={restorer:x} flags=\w+ link=0 "
                            rf"sigmask={oldmask:x} info=10,0,0,{pid}"),
        "context": re.compile(rf"sig_frame: context {context} {rsp:x} rip={rip:x} "
                              rf"eflags={rflags:x} cs=23 ss=1b err={v[0] & 0xffff:x} trapno=80 "
                              rf"oldmask={oldmask:x} fpstate={fpstate:x} mxcsr={mxcsr:x}"),
        "frame zero": "sig_frame: frame zero elsewhere (uc_stack, gs, fs, cr2, reserved): yes",
        "sigreturn": line("sigreturn", [back[n] for n in names], rip,
                          0x202 | (rflags & 0x50dd5)),
        "sigreturn state": f"sig_frame: sigreturn blocked={oldmask:x} mxcsr={mxcsr2:x} killed=0",
        "no fpstate": f"sig_frame: no fpstate: mxcsr=1f80 rip={rip:x} killed=0",
        "refused": "sig_frame: refused: no restorer -14 (tf the same: yes), no room -14",
        "bad rip": re.compile(r"sig_frame: bad rip: rax=-?\d+ killed=11 rip=401000 cs=0"),
        "bad cs": re.compile(r"sig_frame: bad cs: rax=-?\d+ killed=11 rip=401000 cs=0"),
        "bad fpstate": re.compile(r"sig_frame: bad fpstate: rax=-?\d+ killed=11 rip=401000 cs=0"),
    }


@pytest.mark.points(2)
@pytest.mark.exercise(4)
def test_sig_frame(kernel):
    """The frame as signal_frame_push leaves it, read from the made-up
    process's memory (test=sig_frame): every field of the rt_sigframe at
    the address Linux's get_sigframe picks below a random rsp, the
    FXSAVE image 64-byte aligned above it with the interrupted MXCSR, tf
    sent to the handler (DF, TF and RF off, MXCSR the default); rt_sigreturn
    takes back every register and the mask but not IF off, IOPL 3, SIGKILL
    blocked, a reserved MXCSR bit nor the frame's cs and ss (ring 3's
    always), and without an FXSAVE image a clean MXCSR; no restorer, no
    room, a non-canonical rip, a ring 0 cs and an unreadable image are
    refused. Catches a field in the wrong place, a frame misaligned, flags
    taken from the frame that ring 3 may not set."""
    seed = rng.randrange(1, 1 << 62)
    rsp = (0x700000000000 - rng.randint(2, 4095)) | 1       # odd: every alignment shows
    with kernel.boot(f"test=sig_frame seed={seed} rsp={rsp}", dead_ends=KTEST_STUBS) as m:
        m.expect_exit(SUCCESS, timeout=30)
    got = m.text.splitlines()
    for what, want in sig_frame_expected(seed, rsp).items():
        if isinstance(want, str):
            ok = want in got
            shown = want
        else:
            ok = any(want.fullmatch(line) for line in got)
            shown = want.pattern.replace("\\", "")
        prefix = "sig_frame: " + what.split()[0]
        check(ok, f"{what}: {shown}", [line for line in got if line.startswith(prefix)])


# ---- Ctrl-C at the course's shell ------------------------------------------------------------


@pytest.mark.points(2)
@pytest.mark.exercise(4)
def test_ctrl_c(kernel):
    """Ctrl-C typed while the course's shell runs a command: the command
    ends at once with SIGINT ($? = 130), the shell goes on (its handler
    runs and its wait is restarted, SA_RESTART), for a program sleeping
    and for cat reading the console; at the prompt a typed line is
    dropped. Catches a shell killed by its own Ctrl-C (init then starts a
    new one: $? would be 0), a handler whose wait4 is not restarted."""
    with kernel.boot("", dead_ends=KTEST_STUBS, shell=True, disk=True) as m:
        m.expect(r"^\$ ", partial=True, timeout=30, what="the shell's prompt after a plain boot")
        n = rng.randint(20, 50)
        m.send(f"sleep {n}\r")
        m.expect(rf"sleep {n}\n", what=f"the shell echoing sleep {n}")
        time.sleep(1)
        start = time.monotonic()
        m.send("\x03")
        m.expect(r"^\$ ", partial=True, timeout=10, what="the prompt back after Ctrl-C")
        check(time.monotonic() - start < 5, "the prompt within 5 s of Ctrl-C",
              f"after {time.monotonic() - start:.1f} s")
        check(shell_command(m, "echo $?") == ["130"], "130 (128 + SIGINT)", m.lines()[-3:])
        w = word(8)
        m.send("cat\r")
        m.expect(r"cat\n")
        m.send(w + "\r")
        m.expect(rf"{w}\n{w}\n", what=f"cat echoing {w}")
        m.send("\x03")
        m.expect(r"^\$ ", partial=True, timeout=10, what="the prompt back after Ctrl-C")
        check(shell_command(m, "echo $?") == ["130"], "130 after cat", m.lines()[-3:])
        dropped = word(8)
        m.send(f"echo {dropped}\x03")
        time.sleep(0.5)
        got = shell_command(m, f"echo {w}")
        check(got == [w] and dropped not in m.lines(),
              f"{w} alone (the line before Ctrl-C dropped)", m.lines()[-3:])
