"""Lab 6 graders: user mode (handouts/lab6-user.md, §5).

Programs from user/ run with init=PROG:ARG...; words, statuses, sizes and
durations are drawn at random here. Fault addresses are checked against the
user program's own symbol table; malformed executables are made here from
a good one.
"""

import re
import struct

import pytest

from checks import check, rng, word
from gradelib import SUCCESS, kernel_symbols

STUBS = [(r"\(LAB [3456], exercises? [\d-]+", "the kernel printed: {line}"),
         (r"^PANIC at ", "the kernel panicked: {line}")]
USER_STACK_TOP = 0x00007FFFFFFFF000


def run(kernel, init, timeout=20, **kw):
    """Boot with init=..., wait for the power-off; return the serial text."""
    with kernel.boot(f"init={init}", dead_ends=STUBS, **kw) as m:
        m.expect_exit(SUCCESS, timeout=timeout)
        m.refuse_dead_ends(f"the programs of init={init} to run")
    return m.text


def lines(text, prefix):
    return [l for l in text.splitlines() if l.startswith(prefix)]


@pytest.mark.points(5)
def test_hello(kernel):
    """A program in ring 3 prints through write() and exits."""
    text = run(kernel, "hello")
    check(re.search(r"^Hello from user mode! \(pid \d+\)$", text, re.M), "Hello from user mode! (pid N)",
          lines(text, "Hello"))
    check("hello: exit(0)" in text.splitlines(), "hello: exit(0)", lines(text, "hello:"))


@pytest.mark.points(10)
def test_argv(kernel):
    """argc and argv as the System V ABI lays them out, random words."""
    words = [word(rng.randint(1, 12)) for _ in range(rng.randint(1, 6))]
    text = run(kernel, "echo:" + ":".join(words))
    want = f"echo: argc {len(words) + 1}, pid "
    got = [l for l in lines(text, "echo: argc")]
    check(got and got[0].startswith(want) and got[0].endswith(": " + " ".join(words)),
          f"{want}N: {' '.join(words)}", got)


@pytest.mark.points(5)
def test_exit_status(kernel):
    status = rng.randint(-1000, 1000)
    text = run(kernel, f"exitcode:{status}")
    check(f"exitcode: exit({status})" in text.splitlines(), f"exitcode: exit({status})",
          lines(text, "exitcode:"))


@pytest.mark.points(5)
def test_distinct_pids(kernel):
    text = run(kernel, "echo:a,echo:b,hello")
    pids = [int(p) for p in re.findall(r"pid (\d+)", text)]
    check(len(pids) == 3 and len(set(pids)) == 3, "three different pids", pids)


@pytest.mark.points(10)
def test_yield_interleave(kernel):
    """Two processes that sched_yield after each line take turns."""
    n = rng.randint(4, 10)
    text = run(kernel, f"yield:{n}+yield:{n}")
    seen = re.findall(r"^yield: pid (\d+) step (\d+)$", text, re.M)
    pids = sorted({p for p, _ in seen})
    check(len(pids) == 2 and len(seen) == 2 * n, f"{n} lines from each of two processes", seen)
    switches = sum(1 for a, b in zip(seen, seen[1:]) if a[0] != b[0])
    check(switches >= n, f"the processes taking turns (at least {n} changes)", switches)


@pytest.mark.points(5)
def test_nanosleep(kernel):
    ms = rng.randint(100, 600)
    with kernel.boot(f"init=sleep:{ms}", dead_ends=STUBS) as m:
        a = m.expect_line(f"sleep: start, {ms} ms")
        b = m.expect_line("sleep: done")
        m.expect_line("sleep: bad timespec gives -22")
        m.expect_exit(SUCCESS)
    took = m.time_of(b) - m.time_of(a)
    check(ms / 1000 * 0.9 <= took <= ms / 1000 + 1.0, f"about {ms} ms of wall time", f"{took * 1000:.0f} ms")


@pytest.mark.points(10)
def test_brk(kernel):
    """brk grows the heap with zeroed, usable pages; too far fails; it shrinks back."""
    pages = rng.randint(1, 64)
    text = run(kernel, f"brk:{pages}")
    r = re.search(r"^brk: from 0x([0-9a-f]+) to 0x([0-9a-f]+) \(asked 0x([0-9a-f]+)\), "
                  r"zero-filled (\w+), usable (\w+)$", text, re.M)
    check(r, "brk: from 0x... to 0x... (asked 0x...), zero-filled yes, usable yes", lines(text, "brk:"))
    start, end, asked = (int(r.group(i), 16) for i in (1, 2, 3))
    check(asked == start + pages * 4096 + 100 and end == asked, f"the heap grown to 0x{asked:x}", hex(end))
    check(r.group(4) == "yes" and r.group(5) == "yes", "zero-filled and usable", r.group(0))
    check("brk: too far gives the old end" in text, "an absurd brk refused", lines(text, "brk: too"))
    check("brk: shrunk back to the start" in text, "brk back to the start", lines(text, "brk: shrunk"))


@pytest.mark.points(10)
def test_execve(kernel):
    """execve replaces the program, same pid, new argv; a missing program gives -ENOENT."""
    words = [word(6) for _ in range(rng.randint(1, 4))]
    text = run(kernel, "exec:" + ":".join(words))
    pid = re.search(r"^exec: pid (\d+), running echo$", text, re.M)
    check(pid, "exec: pid N, running echo", lines(text, "exec"))
    check("exec: a missing program gives -2" in text, "execve of a missing program: -2", lines(text, "exec:"))
    want = f"echo: argc {len(words) + 1}, pid {pid.group(1)}: {' '.join(words)}"
    check(want in text.splitlines(), want, lines(text, "echo"))
    check("echo: exit(0)" in text and "exec: execve came back" not in text, "echo: exit(0), no return",
          lines(text, "e"))


@pytest.mark.points(5)
def test_unknown_syscall(kernel):
    text = run(kernel, "badsys")
    check(lines(text, "badsys: ") [:2] == ["badsys: 1000 gives -38", "badsys: -1 gives -38"],
          "-38 (-ENOSYS) for 1000 and -1", lines(text, "badsys"))


@pytest.mark.points(10)
def test_bad_pointers(kernel):
    """write() refuses bad buffers whole (-14, nothing printed); one across two pages works."""
    text = run(kernel, "badptr")
    want = ["badptr: null -14", "badptr: kernel -14", "badptr: unmapped -14",
            "badptr: off the end -14", "badptr: wraps around -14", "across two pages",
            "badptr: straddling 17", "badptr: nanosleep kernel pointer -14",
            "badptr: execve bad path -14", "badptr: exit(0)"]
    start = text.index("badptr: null") if "badptr: null" in text else len(text)
    got = text[start:].strip().splitlines()
    check(got == want, "exactly:\n      | " + "\n      | ".join(want), "\n      | " + "\n      | ".join(got))


FAULTS = {  # kind: (exception, how to check the address)
    "nullread": ("Page fault", r"address 0x0{16} \(page not present, read\)"),
    "nullwrite": ("Page fault", r"address 0x0{16} \(page not present, write\)"),
    "kernel": ("Page fault", r"address 0xffffffff80100000 \(.*instruction fetch\)"),
    "writecode": ("Page fault", r"address (0x[0-9a-f]{16}) \(protection violation, write\)"),
    "execdata": ("Page fault", r"address (0x[0-9a-f]{16}) \(protection violation, read, instruction fetch\)"),
    "execstack": ("Page fault", r"address (0x[0-9a-f]{16}) \(protection violation, read, instruction fetch\)"),
    "hlt": ("General protection fault", ""),
    "cli": ("General protection fault", ""),
    "in": ("General protection fault", ""),
    "out": ("General protection fault", ""),
    "cr3": ("General protection fault", ""),
    "int0e": ("General protection fault", ""),
    "stack": ("Page fault", r"address (0x[0-9a-f]{16}) \(page not present, write\): stack overflow"),
}


@pytest.mark.points(10)
def test_user_faults(kernel):
    """Each fault kills only its process, with its reason; the next program still runs."""
    kinds = list(FAULTS)
    rng.shuffle(kinds)
    syms = kernel_symbols(kernel.elf.parent / "user" / "fault.elf")
    text_lo, text_hi = syms["main"][0] & ~0xFFF, syms["_etext"][0] if "_etext" in syms else syms["main"][0] + 0x10000
    text = run(kernel, ",".join(f"fault:{k}" for k in kinds) + ",hello", timeout=30)
    chunks = text.split("fault: ")[1:]
    for kind in kinds:
        i = next((j for j, c in enumerate(chunks) if c.startswith(kind + "\n")), None)
        check(i is not None, f"fault: {kind}", "not started")
        exc, addr_rx = FAULTS[kind]
        killed = re.search(rf"^fault: killed by {exc} \(#\w+\) at rip=0x([0-9a-f]{{16}})(.*)$",
                           "fault: " + chunks[i + 1] if i + 1 < len(chunks) else "", re.M)
        check(killed, f"{kind}: 'fault: killed by {exc} (#..) at rip=...'", chunks[i + 1:i + 2])
        rip, rest = int(killed.group(1), 16), killed.group(2)
        if addr_rx:
            a = re.search(addr_rx, rest)
            check(a, f"{kind}: {addr_rx}", rest)
            if kind == "writecode":
                check(int(a.group(1), 16) == syms["main"][0], f"{kind}: the address of main", a.group(1))
            if kind in ("execdata", "execstack"):
                check(int(a.group(1), 16) == rip, f"{kind}: cr2 = rip", rest)
            if kind == "execstack":
                check(USER_STACK_TOP - 65536 <= rip < USER_STACK_TOP, f"{kind}: on the user stack", hex(rip))
        if exc.startswith("General"):
            check(text_lo <= rip < text_hi, f"{kind}: rip in the program's code", hex(rip))
    check(text.count("fault: exit(-1)") == len(kinds), f"{len(kinds)} times 'fault: exit(-1)'",
          text.count("fault: exit(-1)"))
    check("hello: exit(0)" in text, "hello still runs afterwards", lines(text, "hello"))


def bad_elves(good, tmp):
    """Malformed variants of a good executable, named for what is wrong."""
    data = bytearray(good.read_bytes())
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phnum = struct.unpack_from("<H", data, 56)[0]
    load = next(phoff + 56 * i for i in range(phnum) if struct.unpack_from("<I", data, phoff + 56 * i)[0] == 1)
    memsz = struct.unpack_from("<Q", data, load + 40)[0]

    def variant(name, edit):
        d = bytearray(data)
        edit(d)
        path = tmp / f"{name}.elf"
        path.write_bytes(bytes(d))
        return path
    return [
        variant("bad_magic", lambda d: d.__setitem__(1, ord("X"))),
        variant("elf32", lambda d: d.__setitem__(4, 1)),
        variant("big_endian", lambda d: d.__setitem__(5, 2)),
        variant("wrong_machine", lambda d: struct.pack_into("<H", d, 18, 3)),
        variant("phdrs_past_end", lambda d: struct.pack_into("<Q", d, 32, len(d) - 16)),
        variant("kernel_half", lambda d: struct.pack_into("<Q", d, load + 16, 0xFFFFFFFF80000000)),
        variant("filesz_memsz", lambda d: struct.pack_into("<Q", d, load + 32, memsz + 8192)),
        variant("absurd_memsz", lambda d: struct.pack_into("<Q", d, load + 40, 1 << 40)),
    ]


@pytest.mark.points(10)
def test_malformed_elf(kernel, tmp_path):
    """Eight broken executables refused with -ENOEXEC and a reason; no crash."""
    bad = bad_elves(kernel.elf.parent / "user" / "hello.elf", tmp_path)
    names = [p.stem for p in bad]
    text = run(kernel, ",".join(names) + ",hello", progs=bad)
    for name in names:
        check(re.search(rf"^exec {name}: refused: .+ \(-ENOEXEC\)$", text, re.M),
              f"exec {name}: refused: <reason> (-ENOEXEC)", lines(text, f"exec {name}"))
    check("hello: exit(0)" in text, "hello runs after them", lines(text, "hello"))


@pytest.mark.points(5)
def test_many_processes(kernel):
    """200 processes one after another: the free-frame count comes back."""
    with kernel.boot("init=tiny repeat=200", dead_ends=STUBS) as m:
        r = m.expect(r"^init: 200 runs; free frames before (\d+), after (\d+)$", timeout=60)
        m.expect_exit(SUCCESS)
    check(m.text.count("tiny: exit(0)") == 200, "200 times 'tiny: exit(0)'", m.text.count("tiny: exit(0)"))
    check(r.group(1) == r.group(2), "as many free frames after as before", r.group(0))
