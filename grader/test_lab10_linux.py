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
Seeds are random; each test prints its own for a replay (TEACHOS_SEED=...).
"""

import hashlib
import os
import re
import string
import struct
import tarfile

import pytest

import disk
from checks import check, lines
from gradelib import SUCCESS
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
    dropped, strings cut or run together, bytes that are not random, and
    a stack that overflows its page."""
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
    default action not taken, the status of a killed child."""
    rng = seeded("jobs")
    rc, rc2 = rng.randint(1, 120), rng.randint(2, 120)
    script = f"""\
sleep 1 & echo started; wait; echo "wait: $?"
(sleep 1; echo one > one.txt) & (echo two > two.txt) & wait; cat one.txt two.txt
(exit {rc}) & wait $!; echo "wait for one: $?"
sleep 5 & kill -TERM $!; wait $!; echo "killed: $?"
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
