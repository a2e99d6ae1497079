"""Lab 10 graders: Linux binaries (handouts/lab10-linux.md).

Differential: each test runs one shell script twice, under Debian's
busybox-static on the host and under the very same file, the disk's
/bin/busybox, on our kernel, with the same input files (drawn at random
here), and the two runs must agree on standard output, standard error and
exit status (grader/linuxdiff.py). The guest's results are read from its
disk after QEMU exits (debugfs; e2fsck -fn clean), never from the console.
The programs of user/musl/ are static Linux programs too: each runs on the
host as it is and must say the same there and here. Only what truly
differs is set aside: where the directory is, file times, owners (the
image's files are root's), and what the host's file system decides itself
(directory sizes, block counts, the order of a directory's entries).

Exercise 1 alone is judged by user/regs.c, one of our own programs (a
Linux C library needs exercise 2 before its main): every register across
`syscall`, rcx and r11 as Linux documents them, against values drawn here.
Exercise 3 (mmap) and exercise 4 (signals) also have in-kernel tests
that call their code alone, on made-up address spaces and processes; their
sections below say more. Seeds are random; each test prints its own for a
replay (TEACHOS_SEED=...).
"""

import hashlib
import os
import re
import resource
import signal
import string
import struct
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

import disk
from checks import check, check_lines, lines, rng, shell_command, word
from gradelib import GradeError, SUCCESS, stub_dead_ends
from linuxdiff import STUBS, Tree, compare, differential, guest_run, host_run, seeded

MASK = (1 << 64) - 1
PT_LOAD, PT_PHDR = 1, 6
# System calls Linux x86-64 answers -ENOSYS to, whatever its version: old
# numbers it keeps as holes (create_module, get_kernel_syms, query_module,
# nfsservctl, getpmsg, putpmsg, afs_syscall, tuxcall, security,
# set_thread_area, get_thread_area, epoll_ctl_old, epoll_wait_old,
# vserver), all below NSYSCALLS (335), so that strace names them; and the
# gap after rseq (334) up to 423 (x86-64 goes on at 424), above it, from
# 337 on: a sandboxed host may answer 335 and 336 itself.
NOSYS_LOW = (174, 177, 178, 180, 181, 182, 183, 184, 185, 205, 211, 214, 215, 236)
NSYSCALLS = 335                     # kernel/include/syscall.h: strace logs numbers below


def musl(kernel, name):
    """The build's musl program user/musl/NAME.c (the disk's /bin/NAME)."""
    return kernel.elf.parent / "musl" / name


def words(rng, n, letters=string.ascii_lowercase, lo=2, hi=9):
    return ["".join(rng.choice(letters) for _ in range(rng.randint(lo, hi))) for _ in range(n)]


def fnv1a64(data, h=14695981039346656037):
    for b in data:
        h = ((h ^ b) * 1099511628211) & MASK
    return h


def xorshift(s):
    s ^= (s << 13) & MASK
    s ^= s >> 7
    s ^= (s << 17) & MASK
    return s


# ---- exercise 1 alone: the syscall instruction, from our own program -------------


def regs_line(seed, probes):
    """The line user/regs.c writes for seed when every register was kept:
    the FNV-1a of the twelve values it drew for each probe."""
    s, h = seed, 14695981039346656037
    for _ in range(probes):
        drawn = []
        for _ in range(14):                 # twelve kept, then rcx and r11
            s = xorshift(s)
            drawn.append(s)
        h = fnv1a64(b"".join(v.to_bytes(8, "little") for v in drawn[:12]), h)
    return f"regs: seed {seed}: {probes} probes, checksum {h:016x}, 0 wrong"


@pytest.mark.points(8)
@pytest.mark.exercise(1)
def test_syscall_entry(kernel):
    """The `syscall` entry and `sysret` on their own (user/regs.c, our
    own program: Linux's C libraries need exercise 2 too). Two processes
    each make 300-600 calls, by `syscall` and by `int 0x80` in turn, with
    every register loaded with values drawn from a seed given here, CF and
    DF set, while a third process spins: getpid, sched_yield, getppid,
    close of no fd, nanosleep of 1 ms, an unknown number. After each,
    every register but rax, rcx and r11 must hold what it held, rcx the
    address after the instruction, r11 rflags as it was, rflags and rsp
    restored; the result what int 0x80 gives. Each writes its verdict to
    a file on the disk, with the checksum of all it saw, computed here
    too. Catches a register not saved or not restored, sysret with the
    wrong rcx or r11, the user's rsp lost or shared between processes (the
    timer and nanosleep switch in the middle of calls), flags not
    restored, and a dispatcher that sees other arguments than int 0x80's."""
    rng = seeded("syscall_entry")
    seed, probes = rng.randrange(1, 1 << 30), rng.randint(300, 600)
    with kernel.boot(f"init=regs:{seed}:{probes}:/tmp/regs.out", dead_ends=STUBS, disk=True) as m:
        m.expect_exit(SUCCESS, timeout=90)
    text = m.text
    try:
        said = disk.cat(m.disk, "/tmp/regs.out").decode(errors="replace").splitlines()
    except FileNotFoundError:
        said = []
    check(said, "regs's report in /tmp/regs.out",
          "no such file or an empty one" + (": " + "; ".join(lines(text, "regs"))
                                            if lines(text, "regs") else ""))
    for s in (seed + 1, seed):
        want = regs_line(s, probes)
        check(want in said, want, said + [f"(the console: {'; '.join(lines(text, 'regs'))})"])


# ---- exercise 2: the first stack and the FS base, from musl programs --------------


def elf_facts(path):
    """(AT_PHDR, AT_PHNUM, AT_ENTRY) of the static executable at path, from
    its own headers: the program headers' address is PT_PHDR's, or where the
    PT_LOAD that holds them in the file maps them."""
    data = path.read_bytes()
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    phdr = None
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", data, phoff + i * phentsize)
        if p_type == PT_PHDR:
            phdr = p_vaddr
        elif p_type == PT_LOAD and phdr is None and p_offset <= phoff < p_offset + p_filesz:
            phdr = p_vaddr + phoff - p_offset
    return phdr, phnum, entry


def auxv_normalize(b):
    """auxv's output without what is not Linux's to say: AT_RANDOM's bytes
    (checked apart), whether AT_HWCAP is CPUID's edx (Linux hides a few
    bits there; our kernel must not: checked apart), and the host's own
    ids, which the image's only user, root, has instead."""
    b = re.sub(rb"^(at_random |at_hwcap ).*\n", b"", b, flags=re.M)
    for key, own in ((b"uid", os.getuid()), (b"gid", os.getgid())):
        b = re.sub(rb"^(at_e?" + key + rb") " + str(own).encode() + rb"$", rb"\1 0", b, flags=re.M)
    return b


def check_overflow(path, args):
    """What auxv printed (into path) when its first stack could not fit in
    one page: the kernel's fallback, Lab 6's stack (argc, argv, an empty
    envp, AT_PAGESZ only), and not a stack written past its page."""
    out = path.read_text(errors="replace") if path.is_file() else ""
    got = out.splitlines()
    why = "with strings too big for one page (stack_layout_linux must refuse: Lab 6's stack)"
    want = [f"argc {len(args)}"] + [f"argv[{i}] {a}" for i, a in enumerate(args)]
    check(got[:len(want)] == want, f"the program to start and see its argv {why}",
          got[:len(want)] or "nothing")
    check(not lines(out, "envp["), f"no envp {why}", lines(out, "envp["))
    for line in ("auxv: AT_NULL ends it, its value 0", "at_pagesz 4096", "at_phdr none",
                 "at_random none"):
        check(line in got, f"{line} {why}", [g for g in got if g.startswith(line.split()[0])])


@pytest.mark.points(6)
@pytest.mark.exercise(1, 2)
def test_auxv(kernel, tmp_path):
    """The first stack of a Linux program (user/musl/auxv.c, run four
    times by busybox sh: with ash's environment; under env -i with a few
    variables; with 16 argv words and 16 variables, up to the kernel's
    limits (127 characters, 1 KiB of environment); with none): argc, argv
    and its NULL, envp right after it, the auxiliary vector after envp's
    NULL with AT_NULL (0) at its end, rsp 16-byte aligned at entry (the
    runs cover both parities of the word count), and AT_PHDR, AT_PHENT,
    AT_PHNUM, AT_PAGESZ, AT_ENTRY, the ids (root's), AT_SECURE, AT_CLKTCK,
    AT_EXECFN and AT_PLATFORM as Linux gives them to the same file (and
    AT_PHDR, AT_PHNUM and AT_ENTRY as its headers say, read here); AT_HWCAP
    CPUID leaf 1's edx. AT_RANDOM must point at 16 bytes that differ from
    run to run at every position, never all zero. A fifth run's strings
    (a path of 1.7 KiB) cannot fit in one page: the kernel must fall back
    to Lab 6's stack, not write past the page. Catches a vector out of
    order or without its end, a missing entry, a misaligned stack, envp
    dropped, strings cut or run together or not back to back (Linux packs
    argv's and envp's strings), bytes that are not random, and a stack
    that overflows its page."""
    rng = seeded("auxv")
    args1, args2 = words(rng, rng.randint(1, 5)), words(rng, rng.randint(0, 3))
    env = [f"{k.upper()}={v}" for k, v in zip(words(rng, 3, lo=3, hi=6), words(rng, 3))]
    # Up to the limits: 16 words of up to 127 characters (PROC_ARG_MAX),
    # 16 variables in 1 KiB (ENV_BUDGET).
    full_args = words(rng, 15, string.ascii_letters + string.digits, 1, 127)
    full_env = [f"V{i}_{w}=" + w for i, w in enumerate(words(rng, 16, lo=10, hi=25))]
    big_args = words(rng, 15, string.ascii_letters, 127, 127)
    big_path = "./" * 850 + "../auxv"
    script = f"""\
../auxv {' '.join(args1)}; echo status $?
env -i {' '.join(env)} ../auxv {' '.join(args2)}; echo status $?
env -i {' '.join(full_env)} ../auxv {' '.join(full_args)}; echo status $?
env -i ../auxv; echo status $?
(exec -a auxv {big_path} {' '.join(big_args)}) > ../big.out; echo status $?
"""
    prog = musl(kernel, "auxv")
    host = host_run(tmp_path, script, progs=[prog])
    guest, _ = guest_run(kernel, tmp_path, script, progs=[prog])
    compare("auxv run five times", host, guest, normalize=auxv_normalize)
    out = guest.stdout.decode(errors="replace")
    phdr, phnum, entry = elf_facts(prog)
    for want in (f"at_phdr 0x{phdr:x}", f"at_phnum {phnum}", f"at_entry 0x{entry:x}"):
        check(lines(out, want.split()[0] + " ") == [want] * 4,
              f"{want} in each run (from the ELF headers of user/musl/auxv)",
              lines(out, want.split()[0] + " "))
    hwcap = lines(out, "at_hwcap")
    check(hwcap == ["at_hwcap is cpuid 1's edx: yes"] * 4,
          "AT_HWCAP: CPUID leaf 1's edx, in each run", hwcap)
    randoms = [bytes.fromhex(r) for r in re.findall(r"^at_random ([0-9a-f]{32})$", out, re.M)]
    check(len(randoms) == 4, "four lines at_random HEX (16 bytes each)", lines(out, "at_random"))
    same = [i for i in range(16) if len({r[i] for r in randoms}) == 1]
    check(not same and bytes(16) not in randoms,
          "AT_RANDOM's 16 bytes random: no byte the same in all four runs, never all zero",
          [r.hex() for r in randoms] + [f"byte {i} the same in all" for i in same])
    check_overflow(guest.dir / "big.out", ["auxv"] + big_args)
    check_stack_edge(kernel, tmp_path, big_args)


# The sweep of check_stack_edge: SWEEP_RUNS paths from about SWEEP_FROM
# bytes, each one byte longer than the one before.
SWEEP_FROM, SWEEP_RUNS = 1560, 120


def linux_stack_room(argv, envp, execfn, pairs=16):
    """Bytes left at the bottom of the page under the contract's layout
    (linux.h: the strings, "x86_64", execfn, 16-aligned random bytes, then
    the 16-aligned words, AT_PHDR's three pairs among the 16); < 0: no fit."""
    top = PAGE - sum(len(a) + 1 for a in argv + envp) - 7 - (len(execfn) + 1)
    top = (top & ~15) - 16
    return ((top - 8 * (3 + len(argv) + len(envp) + 2 * pairs)) & ~15)


def check_stack_edge(kernel, tmp_path, args):
    """auxv run by paths one byte longer each time across the edge of the
    page (with ash's environment, which env lists first): every run must
    start with its argv; with 64 bytes or more to spare it gets Linux's
    stack, and with no room, Lab 6's (its AT_RANDOM none); between the
    two, either."""
    rest = "./" * ((SWEEP_FROM - 9) // 2) + "../auxv"
    script = f"""\
A="{' '.join(args)}"
S=""
env > ../edge-env
for i in $(seq 0 {SWEEP_RUNS - 1}); do
    (exec -a auxv .$S/{rest} $A) > ../edge$i 2>&1
    echo "run $i: status $?"
    S="$S/"
done
"""
    guest, _ = guest_run(kernel, tmp_path, script, progs=[musl(kernel, "auxv")], name="edge",
                         timeout=120)
    got = guest.stdout.decode(errors="replace").splitlines()
    argv = ["auxv"] + args
    envp = (guest.dir / "edge-env").read_text(errors="replace").splitlines() \
        if (guest.dir / "edge-env").is_file() else []     # ash's exports: auxv's envp
    for i in range(SWEEP_RUNS):
        path = "." + "/" * (i + 1) + rest
        room = linux_stack_room(argv, envp, path)
        why = f"a path of {len(path)} bytes, {room} bytes of the page to spare"
        line = next((g for g in got if g.startswith(f"run {i}:")), "no such line")
        run = guest.dir / f"edge{i}"
        out = run.read_text(errors="replace") if run.is_file() else ""
        seen = re.findall(r"^argv\[\d+\] (.*)$", out, re.M)
        check(line == f"run {i}: status 0" and seen == argv,
              f"auxv to start and see its {len(argv)} words ({why})", [line] + seen[:2])
        linux = bool(re.search(r"^at_random [0-9a-f]{32}$", out, re.M))
        if room >= 64 or room < 0:
            check(linux == (room >= 64), f"{'Linux' if room >= 64 else 'Lab 6'}'s first stack ({why})",
                  lines(out, "at_random"))


def tls_lines(seed, rounds):
    """What user/musl/tls.c prints for seed when every read is right."""
    s, drawn = seed, []
    for _ in range(3):
        s = xorshift(s)
        drawn.append(s % 1000000000)
    b, c, d = drawn
    return ["tls: fs base is musl's thread pointer: yes", "tls: at start tv=1 tz=0",
            "tls: arch_prctl(ARCH_SET_FS, 0x800000000000): -1 errno 1",
            "tls: arch_prctl(ARCH_SET_FS, 0xffff800000000000): -1 errno 1",
            "tls: arch_prctl(0x1999, 0x0): -1 errno 22", "tls: fs base still musl's: yes",
            f"tls: child inherits tv={b}", f"tls: child moved its fs base: yes, tv={c} there",
            f"tls: child {rounds} rounds, tv={d} throughout: yes",
            f"tls: parent {rounds} rounds, tv={b} throughout: yes", "tls: child exit 0"]


@pytest.mark.points(4)
@pytest.mark.exercise(1, 2)
def test_tls(kernel, tmp_path):
    """The FS base, one per process (user/musl/tls.c under busybox sh):
    musl points FS at its thread block with arch_prctl(ARCH_SET_FS); a
    __thread variable is read back as set, ARCH_GET_FS says the same; after
    fork the child moves its FS base to a copy of the block and writes
    another value there, and for 100-300 rounds parent and child yield to
    each other and read the variable through %fs: each must see its own.
    The values come from a seed drawn here; Linux prints the same.
    Catches an FS base not saved per thread, not loaded at a switch, not
    inherited by fork, and ARCH_GET_FS wrong."""
    rng = seeded("tls")
    seed, rounds = rng.randrange(1, 1 << 30), rng.randint(100, 300)
    script = f"../tls {seed} {rounds}\necho status $?\n"
    _, guest, _ = differential(kernel, tmp_path, "tls", script,
                               progs=[musl(kernel, "tls")])
    got = guest.stdout.decode(errors="replace").splitlines()
    for want in tls_lines(seed, rounds):
        check(want in got, want, got)


# ---- the kernel stays up -----------------------------------------------------------


@pytest.mark.points(4)
@pytest.mark.exercise(1, 2)
def test_nosys(kernel, tmp_path):
    """Calls no kernel has (user/musl/nosys.c, with `strace` on the command
    line): three numbers Linux keeps as holes below 335, one of its gap
    337-423 and one far past its table (all drawn here), then the first
    again. Each gives -1 with errno ENOSYS, as on Linux; the program goes
    on, and so does the script after it. strace logs each number below 335
    once, naming the program, however often it is made. Catches an unknown
    number that kills the process or the kernel, a wrong errno, and a log
    line per call."""
    rng = seeded("nosys")
    nums = rng.sample(NOSYS_LOW, 3) + [rng.randint(337, 423), rng.randint(1000, 1 << 20)]
    script = (f"../nosys {' '.join(map(str, nums))}\necho status $?\n"
              "echo after | wc -c\n")
    _, _, text = differential(kernel, tmp_path, "nosys and after it", script,
                              progs=[musl(kernel, "nosys")], more="strace")
    logged = re.findall(r"^strace: nosys made system call (\d+): not implemented \(-ENOSYS\)$",
                        text, re.M)
    logged = [int(n) for n in logged]
    want = sorted(n for n in nums if n < NSYSCALLS)
    check(all(logged.count(n) == 1 for n in want) and len(set(logged)) == len(logged),
          "one line 'strace: nosys made system call N: not implemented (-ENOSYS)' for each of "
          f"{want}, however often it is made", lines(text, "strace: nosys"))


# ---- busybox: text utilities over random files --------------------------------------


def text_tree(rng):
    """Random input files for the text utilities, and a few of their
    words for the script: (tree, a word that occurs, a letter)."""
    vocab = words(rng, rng.randint(8, 20))
    text = "".join(" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 8))) + "\n"
                   for _ in range(rng.randint(40, 200)))
    nums = "".join(f"{rng.randint(-1000, 1000)}\n" for _ in range(rng.randint(50, 400)))
    table = "".join(":".join([rng.choice(vocab), str(rng.randint(0, 999)), rng.choice(vocab),
                              str(rng.randint(-50, 50))]) + "\n"
                    for _ in range(rng.randint(20, 80)))
    blob = rng.randbytes(rng.randint(1000, 40000))
    tree = Tree().file("words.txt", text).file("nums.txt", nums).file("table.txt", table)
    tree.file("blob.bin", blob)
    return tree, rng.choice(vocab), rng.choice(string.ascii_lowercase)


@pytest.mark.points(8)
@pytest.mark.exercise(1, 2)
def test_text_utils(kernel, tmp_path):
    """echo, cat, wc, sort -n, uniq, head, tail, cut, tr, sed, awk, grep -c
    and sha256sum over random files (words, numbers, a colon-separated
    table, random bytes), the same command lines as on Linux; the bytes'
    SHA-256 is also computed here. Catches reads and writes that lose or
    repeat data, pipes that end too soon, lseek on a file, execve of
    /proc/self/exe (cat, wc, tr, sed, grep, tail are run that way)."""
    rng = seeded("text_utils")
    tree, word, letter = text_tree(rng)
    n, k = rng.randint(2, 9), rng.randint(1, 3)
    # A reader that stops early (head) reads a file here, not a pipe: the
    # writer would end by SIGPIPE, exercise 4's (the signals' own tests).
    script = f"""\
echo hello, "$(echo {word} | tr a-z A-Z)"
cat words.txt nums.txt | wc
wc -l -w -c words.txt table.txt
sort -n nums.txt > sorted.txt; head -n {n} sorted.txt; tail -n 2 sorted.txt
sort -rn nums.txt | uniq | tail -n {n}
sort words.txt | uniq -c | sort -rn > counts.txt; head -n {n} counts.txt
cut -d: -f1,{k + 1} table.txt | tail -n {n + 5}
tr a-z A-Z < words.txt | tail -n 3
tr -d '{letter}' < words.txt > deleted.txt; head -c 200 deleted.txt
sed -n '{k},{k + n}p' words.txt
sed 's/{word}/<&>/g; s/^[a-z]*/[&]/' words.txt | tail -n {n}
awk -F: '{{ s += $2; t += $4 }} END {{ print NR, s, t }}' table.txt
awk '{{ print NF, length($0), $1 }}' words.txt | sort -n | uniq | tail -n {n}
grep -c {word} words.txt
grep -c -v {letter} words.txt
grep -c nosuchword words.txt; echo "grep said $?"
sha256sum blob.bin words.txt
head -c {rng.randint(1, 999)} blob.bin | wc -c
tail -c {rng.randint(1, 999)} blob.bin | sha256sum
"""
    _, guest, _ = differential(kernel, tmp_path, "the text utilities", script,
                               tree=tree)
    blob = tree.files()["blob.bin"]
    want = f"{hashlib.sha256(blob).hexdigest()}  blob.bin"
    got = guest.stdout.decode(errors="replace").splitlines()
    check(want in got, f"{want} (computed here)",
          [line for line in got if line.endswith("blob.bin")])


# ---- busybox: ls, find, tar over a known tree ----------------------------------------


def random_tree(rng, top, depth=3):
    """A Tree under top: subdirectories (down to depth), 8-20 files of
    random sizes (some empty) and modes, a hard link, symbolic links to a
    file, a directory and nothing; random names."""
    tree = Tree().dir(top)
    links = {f"{top}/{name}" for name in ("hardlink", "symlink", "dirlink", "dangling")}
    dirs, files = [top], []
    for _ in range(rng.randint(3, 6)):
        d = f"{rng.choice(dirs)}/{words(rng, 1, lo=3, hi=7)[0]}"
        if d.count("/") <= depth and d not in dirs and d not in links:
            dirs.append(d)
            tree.dir(d, rng.choice([0o755, 0o750, 0o700, 0o711]))
    for _ in range(rng.randint(8, 20)):
        name = words(rng, 1, lo=1, hi=8)[0] + rng.choice(["", ".txt", ".c", ".md", ".bin"])
        path = f"{rng.choice(dirs)}/{name}"
        if path in files or path in dirs or path in links:
            continue
        files.append(path)
        size = rng.choice([0, rng.randint(1, 100), rng.randint(100, 5000),
                           rng.randint(5000, 30000)])
        tree.file(path, rng.randbytes(size), rng.choice([0o644, 0o600, 0o755, 0o444, 0o640, 0o700]))
    tree.link(f"{top}/hardlink", files[0])
    tree.symlink(f"{top}/symlink", os.path.relpath(files[-1], top))
    tree.symlink(f"{top}/dirlink", os.path.relpath(dirs[-1], top) if len(dirs) > 1 else ".")
    tree.symlink(f"{top}/dangling", "nosuchfile")
    return tree


LS_LINE = re.compile(rb"^([-dlcbps][-rwxsStT]{9})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+"
                     rb"\w{3}\s+\d+\s+(?:\d\d:\d\d|\d{4}) (.*)$")


def ls_normalize(b):
    """ls -ln lines without what the file systems decide themselves: the
    times, "total" (block counts), a directory's size; the host's own uid
    and gid are the image's root."""
    ids = {str(os.getuid()).encode(): b"0", str(os.getgid()).encode(): b"0"}
    out = []
    for line in b.split(b"\n"):
        m = LS_LINE.match(line)
        if m:
            mode, links, uid, gid, size, name = m.groups()
            size = b"DIR" if mode.startswith(b"d") else size
            line = b" ".join([mode, links, ids.get(uid, uid), ids.get(gid, gid), size, name])
        elif line.startswith(b"total "):
            line = b"total"
        out.append(line)
    return b"\n".join(out)


@pytest.mark.points(4)
@pytest.mark.exercise(1, 2)
def test_ls(kernel, tmp_path):
    """ls -ln of a random tree (ls -lnR, ls -lnd, ls -lnL, ls -1a, ls of a
    glob and of a missing name): modes, link counts (a hard link, the
    directories'), sizes, symbolic links and their targets, the same as
    Linux shows for the same tree; times, block totals and directory sizes
    are the file systems' own and left out. Catches newfstatat (stat,
    lstat, fstat with AT_EMPTY_PATH) filling struct stat wrong, getdents64
    records, readlink."""
    rng = seeded("ls")
    tree = random_tree(rng, "tree")
    script = """\
ls -ln tree
echo "ls: $?"
ls -lnR tree
ls -lnd tree tree/*/
ls -lnL tree/symlink tree/hardlink
ls -1a tree
cd tree && ls -ln -- *.* ; cd ..
ls -ln tree/nosuchfile; echo "ls: $?"
"""
    differential(kernel, tmp_path, "ls -ln of a tree", script, tree=tree,
                 normalize=ls_normalize)


@pytest.mark.points(3)
@pytest.mark.exercise(1, 2)
def test_find(kernel, tmp_path):
    """find over a random tree: every name, by type (f, d, l), by name
    pattern, by size, empty files, maxdepth, -exec, and xargs; sorted,
    since each file system lists a directory in its own order. Catches
    getdents64 losing or repeating entries (a directory larger than one
    read), d_type wrong, lstat of symbolic links."""
    rng = seeded("find")
    tree = random_tree(rng, "top", depth=4)
    size = rng.randint(100, 10000)
    script = f"""\
find . | sort
find top -type f | sort
find top -type d | sort
find top -type l | sort
find top -name '*.txt' -o -name '*.c' | sort
find top -type f -size +{size}c | sort
find top -empty | sort
find . -maxdepth 2 | sort
find top -type f -exec wc -c {{}} \\; | sort
find top -type f | sort | xargs -n 8 cat | sha256sum
find top -name nosuch; echo "find: $?"
"""
    differential(kernel, tmp_path, "find over a tree", script, tree=tree)


def tree_of(root):
    """{relative path: ("file", bytes, mode) | ("dir", mode) | ("symlink", target)}
    of the directory root on the host."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            if os.path.islink(p):
                out[rel] = ("symlink", os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir", st.st_mode & 0o7777)
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", f.read(), st.st_mode & 0o7777)
    return out


def describe(entry):
    """A tree_of entry in words."""
    if entry[0] == "file":
        return f"a file of {len(entry[1])} bytes, mode {entry[2]:o}"
    if entry[0] == "dir":
        return f"a directory, mode {entry[1]:o}"
    return f"a symbolic link to {entry[1]}"


def check_same_tree(want, got, what):
    """got (a tree_of tree) holds what want does, and nothing else."""
    for rel in sorted(want):
        check(rel in got, f"{what}: {rel}", f"not there (there: {', '.join(sorted(got)[:12])})")
        w, g = want[rel], got[rel]
        other = w[0] == g[0] == "file" and w[1] != g[1] and len(w[1]) == len(g[1])
        check(w == g, f"{what}: {rel}, {describe(w)}",
              describe(g) + (", other bytes" if other else ""))
    extra = sorted(set(got) - set(want))
    check(not extra, f"{what}: nothing else", extra)


def tar_members(path):
    """The archive at path as tree_of gives a tree, read by Python's
    tarfile; a hard link's member holds its target's bytes."""
    out, links = {}, {}
    with tarfile.open(path) as tar:
        for m in tar.getmembers():
            name = m.name.rstrip("/")
            if m.issym():
                out[name] = ("symlink", m.linkname)
            elif m.isdir():
                out[name] = ("dir", m.mode & 0o7777)
            elif m.islnk():
                links[name] = (m.linkname.rstrip("/"), m.mode & 0o7777)
            elif m.isfile():
                out[name] = ("file", tar.extractfile(m).read(), m.mode & 0o7777)
    for name, (target, mode) in links.items():
        out[name] = ("file", out[target][1] if target in out else None, mode)
    return out


@pytest.mark.points(4)
@pytest.mark.exercise(1, 2)
def test_tar(kernel, tmp_path):
    """tar c and tar x round trip: a random tree (modes, empty files,
    files of up to 30 KiB, a hard link, symbolic links) archived and
    extracted elsewhere on our kernel; tar t, find and diff -r say the
    same as on Linux, the extracted tree (read from the disk here) has
    every file, byte and mode and every link's target, and the archive
    the kernel wrote holds the tree for Python's tarfile too. Catches
    writes, lseek, mkdir, symlink, chmod or utimensat that go wrong, and
    files cut short."""
    rng = seeded("tar")
    tree = random_tree(rng, "src")
    script = """\
tar cf ../a.tar src; echo "tar c: $?"
mkdir out && cd out && tar xf ../../a.tar; echo "tar x: $?"; cd ..
tar tf ../a.tar | sort
find out | sort
diff -r src out/src; echo "diff: $?"
cd out/src && find . -type f | sort | xargs -n 8 sha256sum
"""
    host, guest, _ = differential(kernel, tmp_path, "tar c and tar x", script,
                                  tree=tree)
    want = tree_of(host.dir / "w" / "src")
    check_same_tree(want, tree_of(guest.dir / "w" / "out" / "src"),
                    "the tree tar x made on our kernel")
    archived = tar_members(guest.dir / "a.tar")
    archived = {os.path.relpath(k, "src"): v for k, v in archived.items() if k != "src"}
    check_same_tree(want, archived, "the archive tar c made on our kernel (read by Python)")


# ---- busybox sh ------------------------------------------------------------------------


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_shell(kernel, tmp_path):
    """busybox sh: variables and their expansions, a for loop, a while
    loop with arithmetic, case, a function and its status, $? after
    true, false, exit N and a missing command, redirections (>, >>, <,
    2>, 2>&1, a here-document, exec on fd 3), a pipeline through tee,
    command substitution nested and into set --, a subshell with cd, the
    script's own exit status; values drawn here. Catches fork (clone),
    wait4's status, pipes, dup2, fcntl(F_DUPFD_CLOEXEC), O_APPEND and
    O_TRUNC, getcwd."""
    rng = seeded("shell")
    w = words(rng, 4)
    items = " ".join(words(rng, rng.randint(2, 6)))
    k, d, m = rng.randint(5, 40), rng.randint(1, 7), rng.randint(10, 300)
    rc, rc2 = rng.randint(1, 120), rng.randint(2, 125)
    a, b = rng.randint(0, 999), rng.randint(0, 999)
    script = f"""\
x={w[0]}; y="{w[1]} {w[2]}"
echo "$x" $y "${{#x}}" "${{x%?}}" "${{y#* }}"
for i in {items}; do echo "item $i"; done
n=0; while [ $n -lt {k} ]; do n=$((n + {d})); done; echo "n=$n"
case $x in {w[0][:2]}*) echo "case: matched";; *) echo "case: no";; esac
f() {{ echo "f got $# args: $*"; return {rc}; }}; f {w[3]} b c; echo "f returned $?"
false; echo "false: $?"; true; echo "true: $?"
sh -c 'exit {rc2}'; echo "exit: $?"
echo first > f.txt; echo second >> f.txt; cat < f.txt; wc -l < f.txt
echo again > f.txt; cat f.txt
echo to-stderr >&2
ls nosuchfile 2> err.txt; echo "ls: $?"; cat err.txt
{{ echo a; echo b >&2; }} > both.txt 2>&1; cat both.txt
echo "$(echo inner $(echo nested {w[1]}))"
count=$(seq {m} | wc -l); echo "count $count"
set -- $(seq {m}); shift {d}; echo "$# left, first $1"
nosuchcommand; echo "missing: $?"
seq 5 | tee t.txt | tr 1-5 a-e; cat t.txt
cat <<EOF
here $x {w[2]}
EOF
(cd / && pwd); pwd
echo $((3 * {a} + {b} % 7))
test -f f.txt && echo exists; [ -d nosuch ] || echo "no dir"
printf '%s=%d\\n' key {k}
exec 3> fd3.txt; echo via3 >&3; exec 3>&-; cat fd3.txt
exit {rc}
"""
    differential(kernel, tmp_path, "the shell script", script)


@pytest.mark.points(4)
@pytest.mark.exercise(1, 2, 4)
def test_jobs(kernel, tmp_path):
    """Background jobs and signals in busybox sh: `&` and `wait` (ash
    sleeps in rt_sigsuspend until SIGCHLD), for one job and for two
    subshells writing files, wait for one pid and its
    status, kill -TERM of a child with no handler (status 143), and of a
    child shell that installed a handler with trap: it runs the handler,
    which exits with a status drawn here. Catches SIGCHLD never sent,
    rt_sigsuspend that returns at once or never, a handler not run, a
    default action not taken, the status of a killed child. (ash's
    "Terminated" for the killed sleep comes when the shell happens to reap
    it, a matter of timing, so that line's standard error is not compared.)"""
    rng = seeded("jobs")
    rc, rc2 = rng.randint(1, 120), rng.randint(2, 120)
    script = f"""\
sleep 1 & echo started; wait; echo "wait: $?"
(sleep 1; echo one > one.txt) & (echo two > two.txt) & wait; cat one.txt two.txt
(exit {rc}) & wait $!; echo "wait for one: $?"
(sleep 5 & kill -TERM $!; wait $!; echo "killed: $?") 2>/dev/null
sh -c 'trap "echo got TERM; exit {rc2}" TERM; echo > ready; while :; do sleep 1; done' > trap.out &
while [ ! -e ready ]; do sleep 0; done
kill -TERM $!; wait $!; echo "trapped: $?"
cat trap.out
"""
    differential(kernel, tmp_path, "jobs, wait and kill", script)


# ---- musl: malloc, stdio, qsort ------------------------------------------------------------


@pytest.mark.points(4)
@pytest.mark.exercise(1, 2, 3)
def test_musl_sortfile(kernel, tmp_path):
    """A C program with a real C library (user/musl/sortfile.c and
    mhello.c, musl-gcc -static): fopen, getline, malloc growing by
    realloc, strdup, qsort, fprintf to a new file, a 1-2 MiB buffer,
    strerror; random input drawn here. Its output and the file it writes
    must be what the same binary gives on Linux. Catches anonymous mmap
    (musl's malloc) that maps too little, the wrong place or not zeroed,
    munmap that unmaps too much, and writev."""
    rng = seeded("musl_sortfile")
    vocab = words(rng, rng.randint(5, 50), lo=1, hi=30)
    text = "".join(f"{rng.randint(-99999, 99999)} {rng.choice(vocab)}\n"
                   for _ in range(rng.randint(200, 3000)))
    who = words(rng, 1)[0]
    script = f"""\
../sortfile in.txt out.txt; echo "status $?"
head -n 3 out.txt
../mhello {who}; echo "status $?"
"""
    tree = Tree().file("in.txt", text)
    host, guest, _ = differential(kernel, tmp_path, "sortfile and mhello",
                                  script, tree=tree,
                                  progs=[musl(kernel, "sortfile"), musl(kernel, "mhello")])
    want = (host.dir / "w" / "out.txt").read_bytes()
    got = guest.dir / "w" / "out.txt"
    check(got.is_file() and got.read_bytes() == want,
          f"out.txt as on Linux ({len(want)} bytes)",
          f"{len(got.read_bytes())} bytes, not the same" if got.is_file() else "no out.txt")


# ==== exercise 3: anonymous mmap, munmap and mprotect (§5) ==================
#
# Two in-kernel tests call the exercise's functions alone (no process, so
# exercise 3 is graded whatever exercises 1 and 2 say): the region list, on
# operations drawn from a random seed with the same xorshift64 as the kernel
# and judged against a model of the list computed here (a set of pages, its
# regions the maximal runs, at most MMAP_MAX_REGIONS of them); and the page
# tables of a made-up address space, with random sizes. Two boots run
# Linux programs unchanged (user/musl/mmaptest.c, musl's malloc in mhello,
# glibc's RELRO mprotect in busybox), with random sizes, seeds and words:
# the checksums are computed here, and every fault a child dies of must be
# named by the kernel's own line, at the address the child touched.

PAGE = 4096
MMAP_MAX_REGIONS = 256                   # tunables.h
LIST_WINDOW = 1100                       # kernel/tests/lab10mm.c
ENOMEM = -12
KTEST_STUBS = stub_dead_ends(10, exercises=[3], panic=True)
PROGRAM_STUBS = stub_dead_ends(10, panic=True)
FAULT_RE = (r"^mmaptest: killed by Page fault \(#PF\) at rip=0x[0-9a-f]+, "
            r"address 0x([0-9a-f]+) \((page not present|protection violation), (read|write)\)$")


def xorshift_bytes(seed, n):
    out, s = bytearray(n), seed
    for i in range(n):
        s = xorshift(s)
        out[i] = s & 0xFF
    return bytes(out)


# ---- a model of the region list ---------------------------------------------------------


class RegionModel:
    """What an mmap_list must hold, as a set of page numbers: its regions
    are the set's maximal runs (touching regions are one), at most
    MMAP_MAX_REGIONS; an operation that would need more changes nothing
    and gives -ENOMEM."""

    def __init__(self):
        self.pages = set()

    def regions(self, pages=None):
        runs = []
        for p in sorted(self.pages if pages is None else pages):
            if runs and runs[-1][1] == p:
                runs[-1][1] = p + 1
            else:
                runs.append([p, p + 1])
        return [tuple(r) for r in runs]

    def _change(self, pages):
        if len(self.regions(pages)) > MMAP_MAX_REGIONS:
            return ENOMEM
        self.pages = pages
        return 0

    def add(self, s, e):
        assert not self.pages & set(range(s, e)), "the grader's own draw overlapped"
        return self._change(self.pages | set(range(s, e)))

    def remove(self, s, e):
        return self._change(self.pages - set(range(s, e)))

    def find(self, length, lo, hi):
        """The highest free place of length pages in [lo, hi), or -1."""
        for a in range(hi - length, lo - 1, -1):
            if not self.pages & set(range(a, a + length)):
                return a
        return -1

    def text(self):
        return "".join(f" {s}-{e}" for s, e in self.regions()) or " none"


def expected_list_lines(seed, ops):
    """The lines test=mmap_list seed=SEED ops=OPS must print."""
    state, model, want = seed | 1, RegionModel(), []

    def rnd():
        nonlocal state
        state = xorshift(state)
        return state

    for k in range(ops):
        kind = rnd() % 3
        if kind == 2:
            length, lo = 1 + rnd() % 16, rnd() % (LIST_WINDOW // 2)
            hi = LIST_WINDOW // 2 + rnd() % (LIST_WINDOW // 2 + 1)
            a = model.find(length, lo, hi)
            err = model.add(a, a + length) if a >= 0 else 1
            want.append(f"mmap_list: {k}: find {length} in {lo}-{hi}: {a}, add {err}:{model.text()}")
        else:
            s = rnd() % LIST_WINDOW
            e = min(s + 1 + rnd() % 24, LIST_WINDOW)
            removed = model.remove(s, e)
            if kind == 1:
                want.append(f"mmap_list: {k}: remove {s}-{e}: {removed}:{model.text()}")
            else:
                added = 1 if removed else model.add(s, e)
                want.append(f"mmap_list: {k}: fixed {s}-{e}: {removed} {added}:{model.text()}")

    model, added, err = RegionModel(), 0, 0
    while added <= MMAP_MAX_REGIONS:
        err = model.add(4 * added, 4 * added + 3)
        if err:
            break
        added += 1
    want.append(f"mmap_list: full: {added} added, then {err}:{model.text()}")
    for what, op, s, e in (("remove 21-22 (a split)", model.remove, 21, 22),
                           ("add 1097-1099", model.add, 1097, 1099)):
        before = model.text()
        err = op(s, e)
        want.append(f"mmap_list: full: {what}: {err}, unchanged {'yes' if model.text() == before else 'no'}")
    for what, op, s, e in (("add 31-32 (joins two)", model.add, 31, 32),
                           ("remove 21-22 again", model.remove, 21, 22),
                           ("remove 41-82", model.remove, 41, 82)):
        err = op(s, e)
        want.append(f"mmap_list: full: {what}: {err}:{model.text()}")
    finds = ", ".join(f"{n} in 0-{hi}: {model.find(n, 0, hi)}"
                      for n, hi in ((3, 40), (3, 44), (2, LIST_WINDOW)))
    want.append(f"mmap_list: full: finds in 0-HI: {finds}")
    want.append("mmap_list: full: the memory past the list: untouched")

    model = RegionModel()
    for add, s, e in TOP_END_STEPS:
        err = model.add(s, e) if add else model.remove(s, e)
        want.append(f"mmap_list: top end: {'add' if add else 'remove'} {s}-{e}: {err}:{model.text()}")
    finds = ", ".join(f"{n} in {lo}-{hi}: {model.find(n, lo, hi)}" for n, lo, hi in TOP_END_FINDS)
    want.append(f"mmap_list: top end: finds: {finds}")
    return want


# lab10mm.c's top_end_steps: removals of the last region leave it stale
# past n, where the adds after them must not find it; cuts exactly at a
# region's start and end. Then top_end_finds (len, lo, hi).
TOP_END_STEPS = ((1, 10, 12), (1, 20, 22), (0, 20, 22), (1, 22, 24), (0, 22, 24), (1, 20, 22),
                 (0, 20, 22), (1, 12, 20), (1, 22, 26), (1, 20, 22), (0, 10, 12), (0, 24, 26))
TOP_END_FINDS = ((3, 10, 26), (2, 10, 26))


# ---- the region list and the page tables, alone (in-kernel) ----------------------------------


@pytest.mark.points(5)
@pytest.mark.exercise(3)
def test_mmap_list(kernel):
    """The region list alone (test=mmap_list): 40-80 operations drawn from
    a random seed on a window of 1100 pages: MAP_FIXED's remove-then-add,
    removals across any number of regions, and finds of the highest free
    gap in a random part of the window, each followed by the whole list,
    which must be the grader's model exactly (sorted, touching regions
    merged); then a list filled to its 256 slots, where a split and a
    separate add must fail with -ENOMEM and change nothing, while an add
    that joins two regions and the split it made room for succeed, and the
    memory right after the list stays untouched; then fixed steps at the
    list's top end, where each removal leaves a stale region past n that
    the next add touches. Catches regions left unmerged (or merged when
    they only come close), a list out of order, a removal that forgets the
    region across its start or end or splits without a slot, a find that
    returns the lowest gap, one overlapping a region or reaching past hi,
    an off-by-one at the bound, a look at the slots past n (i <= n), a
    join of the last two regions missed, a move of too many slots, a cut
    at a region's very start or end taken for a split, a find that runs
    on when no gap fits."""
    seed, ops = rng.randint(1, 1 << 40), rng.randint(40, 80)
    with kernel.boot(f"test=mmap_list seed={seed} ops={ops}", dead_ends=KTEST_STUBS) as m:
        for line in expected_list_lines(seed, ops):
            m.expect_line(line)
        m.expect_line("ktest mmap_list: ok")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(3)
def test_mmap_pages(kernel):
    """mmap_map, mmap_protect and mmap_unmap on a made-up address space
    (test=mmap_pages), with a random number of pages, a random read-only
    range, page to unmap and word: every page present, zeroed, user,
    writable and not executable; read-only pages exactly those asked, their
    words kept; PROT_NONE present but not the user's; a range with a hole
    gives -ENOMEM and changes nothing; after a fork-like sharing
    (as_copy_cow) read-only clears PTE_COW and read-write gives PTE_COW
    back instead of write access, until the sharer is gone; unmapping one
    page gives back exactly its frame and splits the region; a mapping the
    full list refuses leaves no page and no frame behind, and so does one
    with no frame free (where the page tables are there: a page mapped to
    frame 0 would do) and with one (the page gets it, its page table
    cannot: that frame must go back); every frame back at the end.
    Catches lazy or non-zeroed pages, wrong PTE bits, an mprotect that
    makes shared pages writable (the child would see the parent's writes)
    or leaves PTE_COW on read-only pages (a write fault would make them
    writable), frames not released or released twice, a
    failed mmap that leaks, a frame 0 taken for a frame."""
    n = rng.randint(8, 64)
    lo = rng.randint(1, n - 3)
    hi = rng.randint(lo + 1, n - 2)
    cut, w = rng.randint(1, n - 2), word(rng.randint(4, 20))
    cmd = f"test=mmap_pages pages={n} from={lo} to={hi} cut={cut} word={w}"
    with kernel.boot(cmd, dead_ends=KTEST_STUBS) as m:
        for line in (
                f"mmap_pages: map {n} pages: 0, present {n}, user {n}, writable {n}, "
                f"no-execute {n}, zeroed yes: 0-{n}",
                f"mmap_pages: read-only {lo}-{hi}: 0, writable {n - (hi - lo)} (0 of them inside), "
                f"user {n}, words kept yes",
                "mmap_pages: PROT_NONE page 0: 0, present 1, user 0, writable 0",
                "mmap_pages: read-only over the last page and a hole: -12, last page writable 1",
                f"mmap_pages: shared: 0, writable 0, COW {n}",
                "mmap_pages: shared, read-only: 0, writable 0, COW 0",
                f"mmap_pages: shared, read-write: 0, writable 0, COW {n}, user {n}",
                "mmap_pages: the first write to page 0: 0, writable 1, COW 0, word kept yes",
                f"mmap_pages: not shared any more, read-write: 0, writable {n}, COW 0",
                f"mmap_pages: unmap page {cut}: 0, present {n - 1}, frames back 1, page {cut} "
                f"present no: 0-{cut} {cut + 1}-{n}",
                "mmap_pages: unmap all and beyond: 0, present 0: none",
                f"mmap_pages: map with the list full: -12, present 0, regions {MMAP_MAX_REGIONS}, "
                "frames kept 0",
                "mmap_pages: map with 0 frames free (page tables there): -12, present 0, "
                "frames kept 0, regions 0",
                "mmap_pages: map with 1 frames free (new page tables needed): -12, present 0, "
                "frames kept 0, regions 0",
                "mmap_pages: every frame back: yes",
                "ktest mmap_pages: ok"):
            m.expect_line(line)
        m.expect_exit(SUCCESS)


# ---- Linux programs (with exercises 1 and 2) -----------------------------------------------


def run_programs(kernel, init, timeout=60):
    """Boot with the disk and init=..., wait for the power-off; the serial text."""
    with kernel.boot(f"init={init}", dead_ends=PROGRAM_STUBS, disk=True) as m:
        m.expect_exit(SUCCESS, timeout=timeout)
        m.refuse_dead_ends(f"the programs of init={init} to run")
    return m.text


def mmaptest_args():
    """Random mmaptest arguments: pages, seed, hole, hole pages, ro, none."""
    pages = rng.randint(24, 96)
    hole, holepages = rng.randint(2, pages // 2), rng.randint(1, 4)
    outside = [i for i in range(pages) if not hole <= i < hole + holepages]
    ro, none = rng.sample(outside, 2)
    return pages, rng.randint(1, 1 << 40), hole, holepages, ro, none


def check_child_fault(text, what, kind, offset):
    """mmaptest's line "child <what> 0xADDR: HOW" says the child died, and
    the kernel's line just before it names that address and kind (e.g.
    "page not present, read"). offset: ADDR's place in its page."""
    m = re.search(rf"^mmaptest: child {re.escape(what)} 0x([0-9a-f]+)(?: after)?: (.*)$", text, re.M)
    check(m, f"mmaptest: child {what} 0x...: ...", lines(text, "mmaptest: child"))
    addr = int(m.group(1), 16)
    check(m.group(2) in ("exit 255", "signal 11"),
          f"the child {what} 0x{addr:x} killed (exit 255, or signal 11)", m.group(0))
    check(addr % PAGE == offset, f"an address at offset {offset} of its page (a grader bug)", hex(addr))
    before = text[:m.start()].splitlines()[-2:]
    faults = [re.match(FAULT_RE, l) for l in before]
    check(any(f and int(f.group(1), 16) == addr and f"{f.group(2)}, {f.group(3)}" == kind
              for f in faults),
          f"the kernel's line: mmaptest: killed by Page fault (#PF) at rip=..., address "
          f"0x{addr:016x} ({kind})", before)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3)
def test_mmap_program(kernel):
    """mmaptest, a musl program run unchanged, with a random size, seed,
    hole, read-only page and PROT_NONE page: its mapping is page-aligned,
    zeroed and between the heap and the stack; the bytes it writes come
    back (checksum computed here); a child touching the unmapped hole, the
    read-only page (write) and the PROT_NONE page (read) is killed, and the
    kernel names each address and why; write(2) from the PROT_NONE page and
    read(2) into the read-only page give -EFAULT; both pages come back
    read-write with their bytes; MAP_FIXED over a page gives a zeroed page
    at that address and keeps every other; MAP_FIXED_NOREPLACE works in
    the hole. Catches pages not zeroed, munmap that leaves pages (or
    unmaps too many: the checksum of the rest), mprotect that does nothing
    or loses the bytes, PROT_NONE that the kernel's own copies ignore,
    MAP_FIXED placed elsewhere or keeping the old page."""
    pages, seed, hole, holepages, ro, none = mmaptest_args()
    text = run_programs(kernel, f"mmaptest:{pages}:{seed}:{hole}:{holepages}:{ro}:{none}")
    data = xorshift_bytes(seed, pages * PAGE)
    rest = data[:hole * PAGE] + data[(hole + holepages) * PAGE:]
    check_lines(text, f"mmaptest: mapped {pages} pages: page-aligned yes, zeroed yes, "
                      "between the heap and the stack yes",
                f"mmaptest: checksum {fnv1a64(data):016x}",
                f"mmaptest: munmap of pages {hole}-{hole + holepages - 1}: 0")
    check_child_fault(text, "reading unmapped", "page not present, read", 8)
    check_lines(text, f"mmaptest: checksum of the rest {fnv1a64(rest):016x}",
                "mmaptest: mprotect read-only 0, none 0",
                "mmaptest: read-only page reads the same: yes")
    check_child_fault(text, "writing read-only", "protection violation, write", 16)
    check_child_fault(text, "reading PROT_NONE", "protection violation, read", 24)
    check_lines(text, "mmaptest: write(2) from the PROT_NONE page -14, read(2) into the "
                      "read-only page -14",
                "mmaptest: read-write again: 0, bytes kept: yes, writable: yes",
                f"mmaptest: MAP_FIXED over page {ro}: at the address asked: yes, zeroed: yes, "
                "the other pages kept: yes",
                "mmaptest: MAP_FIXED_NOREPLACE in the hole: yes")


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3)
def test_mmap_fork_and_libc(kernel):
    """mmaptest's second half, then mhello and busybox: a page shared by
    fork, made read-only and read-write again by the parent, who then
    writes: the child still sees the old byte and the parent not the
    child's; the program's own data page made read-only (as glibc's RELRO)
    kills a child writing it and comes back writable; Linux's error
    numbers for bad lengths, flags, addresses, fds and holes; 300 one-page
    mappings at once (more than the list has slots: they must merge), half
    unmapped, the rest intact; a munmap across holes; 200 rounds of mmap,
    touch and munmap with every frame back; mhello's malloc (musl: mmap)
    with a random word; busybox (glibc's RELRO mprotect at its start) echoing
    another. Catches mprotect that makes a shared page writable, that
    refuses pages mmap did not make, regions never merged (mapping 257
    fails), a list that forgets a split, frames leaked by munmap, and
    wrong errno."""
    pages, seed, hole, holepages, ro, none = mmaptest_args()
    w1, w2 = word(rng.randint(4, 12)), word(rng.randint(4, 12))
    init = (f"mmaptest:{pages}:{seed}:{hole}:{holepages}:{ro}:{none},mhello:{w1},"
            f"/bin/busybox:echo:{w2}")
    text = run_programs(kernel, init, timeout=90)
    v = seed % 200 + 20
    check_lines(text, f"mmaptest: cow: mprotect 0 0; child saw {v}; parent sees {v + 1}")
    own = re.search(r"^mmaptest: own data at 0x([0-9a-f]+) read-only: 0, reads yes, child writing "
                    r"it: (exit 255|signal 11); read-write again: 0, yes$", text, re.M)
    check(own, "mmaptest: own data at 0x... read-only: 0, reads yes, child writing it: exit 255; "
               "read-write again: 0, yes", lines(text, "mmaptest: own"))
    before = text[:own.start()].splitlines()[-2:]
    check(any(re.match(FAULT_RE, l) and int(re.match(FAULT_RE, l).group(1), 16) == int(own.group(1), 16)
              and l.endswith("(protection violation, write)") for l in before),
          f"the kernel's line: ... address 0x{int(own.group(1), 16):016x} (protection violation, "
          "write)", before)
    check_lines(text, "mmaptest: errors: len 0 -22, fixed unaligned -22, shared -22, file fd 77 -9, "
                      "file fd 0 -19, noreplace -17, below 64 KiB -1, huge -12, munmap unaligned -22, "
                      "munmap len 0 -22, mprotect hole -12, mprotect len 0 0, mprotect bad prot -22",
                "mmaptest: 300 one-page mappings: 300 made, the odd ones kept their bytes after the "
                "even ones went: yes, 300 unmapped",
                "mmaptest: munmap of all of it, holes included: 0")
    check_child_fault(text, "reading", "page not present, read", 0)
    check_lines(text, "mmaptest: 200 rounds of mmap, touch, munmap: free memory the same: yes",
                f"hello, {w1}, from musl", "mhello: exit(0)", w2, "busybox: exit(0)")


# ==== exercise 4: signals (§6) ==============================================
#
# The reference is Linux itself: the same busybox script runs under the
# host's /bin/busybox (Debian's busybox-static, the very binary on the disk)
# and under the kernel, and the same sigtest binary (user/musl/sigtest.c,
# built by the Makefile with musl-gcc -static) runs on the host and on the
# kernel; their lines must agree. Signals, exit codes, words and register
# values are drawn here at random (sigtest's registers come from the seed
# it is given), and the statuses are also computed here. The in-kernel test
# sig_frame calls the exercise's code on a made-up process and prints the
# frame it pushed and what rt_sigreturn took back; every value it must show
# is computed here from the seed. Ctrl-C is typed into the course's shell.

sig_STUBS = stub_dead_ends(10, panic=True)
sig_KTEST_STUBS = stub_dead_ends(10, exercises=[4], panic=True)
HOST_BUSYBOX = "/bin/busybox"
START = "==== start"
# The kernel's own lines about processes, left out of what is compared.
KERNEL_LINE = re.compile(r"^\S+: (exit\(-?\d+\)|killed by .*|rt_sigreturn: bad signal frame at "
                         r"0x[0-9a-f]+|no room for the frame of signal \d+ at rsp=0x[0-9a-f]+)$")
SIGNALS = {"HUP": 1, "INT": 2, "USR1": 10, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15}


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


def sig_host_run(argv, cwd, path="/bin:/usr/bin"):
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
    with kernel.boot("init=/bin/busybox:sh:/t.sh", disk=img, dead_ends=sig_STUBS) as m:
        m.expect_exit(SUCCESS, timeout=timeout)
        m.refuse_dead_ends("the script to end")
    return program_lines(m.text, START)


def host_script(kernel, tmp_path, script):
    """The same script under the host's busybox (sigtest on its PATH)."""
    host = tmp_path / "host.sh"
    host.write_text(script)
    lines = sig_host_run([HOST_BUSYBOX, "sh", str(host)], tmp_path,
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
    want = sig_host_run([str(sigtest_path(kernel)), seed] + tests, tmp_path)
    with kernel.boot(f"init=/bin/sigtest:{seed}:" + ":".join(tests), disk=True,
                     dead_ends=sig_STUBS) as m:
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
    (r12, xmm7, and CF: rflags then differs from r11, so the way back
    cannot be sysret), which comes back; the same for a process
    interrupted while spinning (rcx changed in the frame: rt_sigreturn must
    leave by iretq). Catches a frame at the wrong place or of the wrong
    layout, a register or the SSE state not saved or not restored,
    rt_sigreturn restoring from a copy of its own instead of the frame, a
    sysret exit that does not check rflags against r11."""
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
    with kernel.boot(f"test=sig_frame seed={seed} rsp={rsp}", dead_ends=sig_KTEST_STUBS) as m:
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
    with kernel.boot("", dead_ends=sig_KTEST_STUBS, shell=True, disk=True) as m:
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
