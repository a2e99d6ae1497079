"""Lab 6 graders: user mode (handouts/lab6-user.md, §5).

First one test per exercise, alone: an in-kernel test (kernel/tests/lab6.c)
calls that exercise's code with a made-up process around it, on inputs
drawn here (an executable and its broken variants made here, addresses,
error bits), and the grader looks from outside where it can (the page
tables the loader made, the registers in ring 3). Then programs from user/
run with init=PROG:ARG...; words, statuses, sizes and durations are drawn
at random here. Fault addresses are checked against the user program's own
symbol table; malformed executables are made here from a good one.
Challenge 1 (the lazy heap) runs the brk program and counts its heap's
pages in its page tables.
"""

import re
import struct
import time

import pytest

from checks import check, rng, word, lines
from gradelib import GradeError, PANIC_DEAD_END, SUCCESS, kernel_symbols, stub_dead_ends

STUBS = stub_dead_ends(3, 4, 5, 6, panic=True)
PANICS = [PANIC_DEAD_END]
USER_STACK_TOP = 0x00007FFFFFFFF000
USER_STACK_GUARD = USER_STACK_TOP - 17 * 4096
USER_TOP = 0x0000800000000000
USER_MIN_ADDR = 0x10000                   # nothing below: null pointers fault
KERNEL_VMA = 0xFFFFFFFF80000000
PAGE = 4096
PTE_P, PTE_W, PTE_U, PTE_NX, PTE_ADDR = 1, 2, 4, 1 << 63, 0x000FFFFFFFFFF000
PF_X, PF_W, PF_R = 1, 2, 4


def page_down(a):
    return a & ~(PAGE - 1)


def page_up(a):
    return (a + PAGE - 1) & ~(PAGE - 1)


# ---- exercise 1 alone: the loader on files made here ---------------------------

def make_elf():
    """A random static ELF64 executable: (its bytes, its PT_LOAD segments as
    dicts with the offset of their program header, its entry point). Text
    (r-x) at USER_MIN_ADDR exactly, the lowest address a segment may start
    at (catches a bound off by one), then rodata (r--) and data with bss
    (rw-) at random places with gaps between, and a PT_GNU_STACK header
    among them that the loader must skip."""
    segs, va = [], USER_MIN_ADDR
    for flags in (PF_R | PF_X, PF_R, PF_R | PF_W):
        if segs:
            va = page_up(va + segs[-1]["memsz"]) + rng.randint(1, 3) * PAGE + rng.randrange(PAGE)
        filesz = rng.randint(0 if flags & PF_W else 100, 6000)
        segs.append({"vaddr": va, "flags": flags, "data": rng.randbytes(filesz),
                     "memsz": filesz + (rng.randint(16, 9000) if flags & PF_W else 0)})
    stack_at = rng.randrange(4)               # where the PT_GNU_STACK header goes
    kinds = ["load"] * 3
    kinds.insert(stack_at, "stack")
    off = 64 + 56 * len(kinds)
    for seg in segs:                          # file offset = vaddr mod 4096, as linkers do
        off += (seg["vaddr"] - off) % PAGE
        seg["offset"] = off
        off += len(seg["data"])
    out = bytearray(off)
    text = segs[0]
    entry = text["vaddr"] + rng.randrange(len(text["data"]))
    struct.pack_into("<16sHHIQQQIHHHHHH", out, 0, b"\x7fELF\x02\x01\x01", 2, 62, 1, entry, 64,
                     0, 0, 64, 56, len(kinds), 64, 0, 0)
    loads = iter(segs)
    for i, kind in enumerate(kinds):
        at = 64 + 56 * i
        if kind == "stack":
            struct.pack_into("<IIQQQQQQ", out, at, 0x6474E551, PF_R | PF_W, 0, 0, 0, 0, 0, 16)
            continue
        seg = next(loads)
        seg["phdr"] = at
        struct.pack_into("<IIQQQQQQ", out, at, 1, seg["flags"], seg["offset"], seg["vaddr"],
                         seg["vaddr"], len(seg["data"]), seg["memsz"], PAGE)
        out[seg["offset"]:seg["offset"] + len(seg["data"])] = seg["data"]
    return bytes(out), segs, entry


def bad_variants(good, segs):
    """{name: bytes}: the good file with one thing wrong that elf_load must
    refuse (handout §3.1), each drawn at random where it can be."""
    text, rodata, data = segs
    size = len(good)

    def edit(fmt, at, value):
        d = bytearray(good)
        struct.pack_into(fmt, d, at, value)
        return bytes(d)
    d = bytearray(good)
    d[rng.randint(0, 3)] ^= 1 << rng.randrange(8)
    return {
        "short": good[:rng.randint(1, 63)],
        "header_only": good[:64],             # a whole header, its program headers cut off
        "bad_magic": bytes(d),
        "elf32": edit("<B", 4, 1),
        "big_endian": edit("<B", 5, 2),
        "not_exec": edit("<H", 16, rng.choice([1, 3, 4])),
        "wrong_machine": edit("<H", 18, rng.choice([3, 40, 183])),
        "bad_version": edit("<I", 20, rng.choice([0, 2])),
        "phdrs_past_end": edit("<Q", 32, size - rng.randint(8, 100)),
        "phoff_wraps": edit("<Q", 32, 2**64 - 56 * rng.randint(1, 3)),
        "kernel_half": edit("<Q", rodata["phdr"] + 16, KERNEL_VMA + rng.randrange(1 << 18) * PAGE),
        "null_page": edit("<Q", text["phdr"] + 16, rng.randrange(16) * PAGE),
        "past_top": edit("<Q", data["phdr"] + 16, USER_TOP - rng.randint(1, data["memsz"] - 1)),
        "filesz_memsz": edit("<Q", rodata["phdr"] + 32, rodata["memsz"] + rng.randint(1, 100)),
        "absurd_memsz": edit("<Q", data["phdr"] + 40, rng.randint(1 << 29, 1 << 44)),
        "bytes_past_end": edit("<Q", text["phdr"] + 8, size - rng.randint(1, 99)),
        "offset_wraps": edit("<Q", text["phdr"] + 8, 2**64 - rng.randint(1, 99)),
        "w_and_x": edit("<I", data["phdr"] + 4, PF_R | PF_W | PF_X),
        "entry_outside": edit("<Q", 24, rng.choice([rodata, data])["vaddr"]),
        "overlap": edit("<Q", rodata["phdr"] + 16,
                        text["vaddr"] + rng.randrange(len(text["data"]))),
    }


def expected_pages(segs):
    """{page: (flags, its 4096 bytes)} of the good file once loaded."""
    pages = {}
    for seg in segs:
        for pg in range(page_down(seg["vaddr"]), page_up(seg["vaddr"] + seg["memsz"]), PAGE):
            lo, hi = max(pg, seg["vaddr"]), min(pg + PAGE, seg["vaddr"] + len(seg["data"]))
            content = bytearray(PAGE)
            if lo < hi:
                content[lo - pg:hi - pg] = seg["data"][lo - seg["vaddr"]:hi - seg["vaddr"]]
            pages[pg] = (seg["flags"], bytes(content))
    return pages


def leaf_entry(m, pml4, va, tables):
    """va's page-table entry in the tables at physical pml4, walked by the
    grader through QMP (tables: a cache of the ones read); None if a level
    is missing."""
    table = pml4
    for level in (3, 2, 1, 0):
        if table not in tables:
            tables[table] = struct.unpack("<512Q", m.read_phys(table, PAGE))
        entry = tables[table][(va >> (12 + 9 * level)) & 511]
        if not entry & PTE_P:
            return None
        if level == 0:
            return entry
        table = entry & PTE_ADDR


@pytest.mark.points(10)
@pytest.mark.exercise(1)
def test_elf_load(kernel, tmp_path):
    """elf_load alone, on a random executable made here and 20 variants of it
    with one thing wrong (one of them just its 64-byte header): each bad one
    gives -ENOEXEC (-8) with a reason; the good one, its text at
    USER_MIN_ADDR exactly, gives its entry and end (catches a bound off by
    one refusing it), and the grader walks the new page tables itself:
    every page of each segment mapped for the user with its permissions (W,
    NX) and its bytes (file bytes, zeros after), nothing in the gaps."""
    good, segs, entry = make_elf()
    bad = bad_variants(good, segs)
    (tmp_path / "good.elf").write_bytes(good)
    for name, data in bad.items():
        (tmp_path / f"{name}.elf").write_bytes(data)
    progs = [tmp_path / f"{name}.elf" for name in ["good", *bad]]
    names = list(bad)
    rng.shuffle(names)
    end = max(page_up(s["vaddr"] + s["memsz"]) for s in segs)
    with kernel.boot(f"test=elf_load good=good bad={','.join(names)}", progs=progs,
                     dead_ends=PANICS) as m:
        for name in names:
            r = m.expect(rf"^elf_load: {name}: (-?\d+)(.*)$")
            check(r.group(1) == "-8" and re.fullmatch(r" \(.+\)", r.group(2)),
                  f"elf_load: {name}: -8 (a reason): -ENOEXEC", r.group(0))
        r = m.expect(r"^elf_load: good: (-?\d+)(.*)$")
        want = f"elf_load: good: 0, entry 0x{entry:x}, end 0x{end:x}, pml4 at 0x..."
        g = re.fullmatch(rf"0, entry 0x{entry:x}, end 0x{end:x}, pml4 at 0x([0-9a-f]+)",
                         f"{r.group(1)}{r.group(2)}")
        check(g, want, r.group(0))
        m.expect_line("ktest: hold")
        pml4, tables = int(g.group(1), 16), {}
        pages = expected_pages(segs)
        for pg in range(page_down(segs[0]["vaddr"]) - PAGE, end + PAGE, PAGE):
            pte = leaf_entry(m, pml4, pg, tables)
            if pg not in pages:
                check(pte is None, f"nothing mapped at 0x{pg:x} (no segment there)",
                      f"0x{pte or 0:x}")
                continue
            flags, content = pages[pg]
            perms = "r" + "-w"[bool(flags & PF_W)] + "-x"[bool(flags & PF_X)]
            check(pte is not None, f"0x{pg:x} mapped ({perms})", "not mapped")
            seen = "r" + "-w"[bool(pte & PTE_W)] + "x-"[bool(pte & PTE_NX)]
            check(pte & PTE_U and seen == perms, f"0x{pg:x} mapped for the user, {perms}",
                  f"{seen}{'' if pte & PTE_U else ', not for the user'}")
            got = m.read_phys(pte & PTE_ADDR, PAGE)
            diff = next((i for i in range(PAGE) if got[i] != content[i]), None)
            check(diff is None, f"0x{pg:x}: the segment's bytes, zeros past them",
                  diff is not None and f"at 0x{pg + diff:x}: 0x{got[diff]:02x}, not "
                  f"0x{content[diff]:02x}")
        m.send("\r")
        m.expect_line("ktest elf_load: ok")
        m.expect_exit(SUCCESS)


# ---- exercise 2 alone: ring 3, seen from outside --------------------------------

def ring3_registers(m, tries=100):
    """The registers QEMU shows once the CPU is in ring 3 (CPL=3)."""
    for _ in range(tries):
        try:
            out = m.qmp("human-monitor-command", **{"command-line": "info registers"})
        except (OSError, GradeError):
            break                             # QEMU is gone: the kernel ended
        if re.search(r"\bCPL=3\b", out):
            return {k: int(v, 16) for k, v in
                    re.findall(r"\b([A-Z][A-Z0-9]{0,2}) ?=([0-9a-f]+)", out)}
        time.sleep(0.02)
    m.expect(r"^(?!)", timeout=0.5, what="the CPU in ring 3 (CPL=3), spinning at the entry point")


def tss_rsp0(m):
    """TSS.rsp0 of the TSS the CPU uses: TR's base from `info registers`, the
    8 bytes at base + 4 read from memory (the TSS is in the kernel image)."""
    out = m.qmp("human-monitor-command", **{"command-line": "info registers"})
    r = re.search(r"^TR\s*=\s*[0-9a-f]{4} ([0-9a-f]{16}) ", out, re.M)
    check(r, "a TR line in QEMU's 'info registers'", out)
    base = int(r.group(1), 16)
    check(base >= KERNEL_VMA, f"the TSS in the kernel image (at 0x{KERNEL_VMA:x} and above)",
          f"0x{base:016x}")
    return struct.unpack("<Q", m.read_phys(base - KERNEL_VMA + 4, 8))[0]


@pytest.mark.points(5)
@pytest.mark.exercise(2)
def test_enter_user(kernel):
    """enter_user alone: a page of code (jmp $) at a random entry and a stack
    at a random rsp, mapped by the test; the grader reads the CPU's
    registers through QEMU: ring 3 (cs 0x23, ss 0x1b), rip = the entry,
    rsp as given, rflags 0x202, and every other register 0, although the
    caller filled them with a random value. Before that the test thread
    has gone away and come back through the scheduler, and the TSS the CPU
    uses (TR's base, read from outside while the program spins) holds in
    rsp0 the top of that thread's kernel stack (kstack + KSTACK_SIZE, as
    printed): catches proc_switch_in giving the stack's bottom, or another
    thread's stack, where the CPU lands on an interrupt from ring 3."""
    entry = 0x400000 + rng.randrange(1, 1 << 16) * PAGE + rng.randrange(PAGE - 1)
    rsp = 0x7FF000000000 + rng.randrange(1, 1 << 20) * PAGE - 16 * rng.randrange(64)
    junk = rng.getrandbits(64) | 1
    with kernel.boot(f"test=enter_user entry=0x{entry:x} rsp=0x{rsp:x} junk=0x{junk:x}",
                     dead_ends=PANICS) as m:
        top = int(m.expect(r"^enter_user: kernel stack top 0x([0-9a-f]+)$").group(1), 16)
        m.expect_line(f"enter_user: to ring 3 at 0x{entry:x} with rsp 0x{rsp:x}")
        regs = ring3_registers(m)
        rsp0 = tss_rsp0(m)
    check(rsp0 == top, f"TSS.rsp0 = 0x{top:016x}, the top of the ring-3 thread's kernel stack",
          f"0x{rsp0:016x}" + (" (inside the stack, not its top)" if top - 16384 <= rsp0 < top
                              else ""))
    check(regs.get("CS") == 0x23 and regs.get("SS") == 0x1B, "cs 0x23 and ss 0x1b (user, RPL 3)",
          f"cs 0x{regs.get('CS', 0):x}, ss 0x{regs.get('SS', 0):x}")
    check(regs.get("RIP") == entry, f"rip 0x{entry:x}: the program spinning at its entry",
          f"0x{regs.get('RIP', 0):x}")
    check(regs.get("RSP") == rsp, f"rsp 0x{rsp:x}", f"0x{regs.get('RSP', 0):x}")
    check(regs.get("RFL") == 0x202, "rflags 0x202 (interrupts on, IOPL 0)",
          f"0x{regs.get('RFL', 0):x}")
    names = ["RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP"] + [f"R{i}" for i in range(8, 16)]
    leaked = [f"{r.lower()}=0x{regs.get(r, 0):x}" for r in names if regs.get(r) != 0]
    check(not leaked, "every general register but rsp 0 in ring 3", ", ".join(leaked))


def read_user(m, pml4, va, size, tables):
    """size bytes at user address va of the address space at physical
    pml4, read page by page by the grader; None where a page is unmapped."""
    out = bytearray()
    while size > 0:
        n = min(size, PAGE - (va & (PAGE - 1)))
        pte = leaf_entry(m, pml4, va, tables)
        if pte is None:
            return None
        out += m.read_phys((pte & PTE_ADDR) + (va & (PAGE - 1)), n)
        va, size = va + n, size - n
    return bytes(out)


@pytest.mark.points(5)
@pytest.mark.exercise(2)
def test_user_stack(kernel):
    """stack_layout alone (through proc_setup_stack), on random words: the
    grader reads the new stack through QMP. rsp 16-byte aligned in the top
    page; argc; argv pointing at the words, in order, each ended by its NUL
    and inside the stack above the words; argv[argc] 0, an empty envp; auxv
    AT_PAGESZ 4096 then AT_NULL. Catches strings copied without their NUL,
    pointers to kernel addresses (the page's direct-map view), argv in reverse,
    a missing envp or auxv, an rsp off by 8, strings overlapping the vector."""
    words = [word(rng.randint(1, 40)) for _ in range(rng.randint(1, 8))]
    with kernel.boot(f"test=user_stack args={','.join(words)}", dead_ends=PANICS) as m:
        r = m.expect(r"^user_stack: (\d+) words, rsp 0x([0-9a-f]+), pml4 at 0x([0-9a-f]+)$")
        m.expect_line("ktest: hold")
        rsp, pml4, tables = int(r.group(2), 16), int(r.group(3), 16), {}
        check(int(r.group(1)) == len(words), f"{len(words)} words", r.group(1))
        check(USER_STACK_TOP - PAGE <= rsp < USER_STACK_TOP and rsp % 16 == 0,
              f"rsp 16-byte aligned, in the top page of the stack (0x{USER_STACK_TOP - PAGE:x}.."
              f"0x{USER_STACK_TOP:x})", f"0x{rsp:x}")
        page = read_user(m, pml4, USER_STACK_TOP - PAGE, PAGE, tables)
        check(page is not None, "the top page of the stack mapped", "not mapped")
        at = lambda va: struct.unpack_from("<Q", page, va - (USER_STACK_TOP - PAGE))[0]  # noqa: E731
        n = len(words)
        check(at(rsp) == n, f"argc = {n} at rsp", at(rsp))
        vector_end = rsp + 8 * (n + 7)
        check(vector_end <= USER_STACK_TOP, "the words inside the stack", hex(vector_end))
        spans = []
        for i, w in enumerate(words):
            ptr = at(rsp + 8 + 8 * i)
            check(vector_end <= ptr and ptr + len(w) + 1 <= USER_STACK_TOP,
                  f"argv[{i}] pointing into the stack above the words (0x{vector_end:x}.."
                  f"0x{USER_STACK_TOP:x})", f"0x{ptr:x}")
            off = ptr - (USER_STACK_TOP - PAGE)
            got = page[off:off + len(w) + 1]
            check(got == w.encode() + b"\0", f"argv[{i}] = {w!r} and its NUL", got)
            spans.append((ptr, ptr + len(w) + 1))
        spans.sort()
        check(all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), "the strings not overlapping",
              [f"0x{a:x}-0x{b:x}" for a, b in spans])
        rest = [at(rsp + 8 * (n + 1 + k)) for k in range(6)]
        check(rest == [0, 0, 6, PAGE, 0, 0],
              "argv[argc] 0, envp[0] 0, then auxv (6 AT_PAGESZ, 4096), (0 AT_NULL, 0)",
              ", ".join(hex(v) for v in rest))
        m.send("\r")
        m.expect_line("ktest user_stack: ok")
        m.expect_exit(SUCCESS)


# ---- exercises 3 and 4: the dispatcher on trap frames ------------------------------

@pytest.mark.points(5)
@pytest.mark.exercise(3, 4)
def test_syscall_dispatch(kernel):
    """syscall_dispatch and copy_argv (with exercise 3's copies), called by
    the test with trap frames for a made-up process (random pid, heap end,
    buffer): getpid, write (its random word appears; a random bad fd gives
    -EBADF), brk(0), sched_yield, and unknown numbers (a random one past the
    table, the first past it, a hole, -1) give -38: catches a signed or
    inclusive bound check, a missing
    hole check, the result left out of rax, arguments in the wrong
    registers. Then execve's argv: NULL and an array running into an
    unmapped page give -14, 17 entries or a 128-byte string -7, and a good
    one (a random count, the last string 127 bytes) gets as far as the
    missing program (-2): catches an off-by-one in either limit."""
    pid, w, fd = rng.randint(2, 30000), word(rng.randint(4, 24)), rng.randint(3, 1000)
    buf = 0x400000 + rng.randrange(1, 1 << 16) * PAGE + rng.randrange(PAGE - 64)
    brk = 0x600000 + rng.randrange(1 << 24)
    nsys = 232 if kernel.lab < 7 else 335     # NSYSCALLS: Lab 7 widens the table (pipe2 is 293)
    nr = rng.choice([rng.randint(nsys, 10**6), rng.getrandbits(63)])
    miss, nargs = word(rng.randint(4, 20)), rng.randint(1, 16)
    line = f"syscall: wrote {w}\n"
    with kernel.boot(f"test=syscall pid={pid} word={w} buf=0x{buf:x} brk=0x{brk:x} fd={fd} nr={nr}"
                     f" miss={miss} nargs={nargs}", dead_ends=PANICS) as m:
        for want in [f"syscall: getpid -> {pid}", line.strip(), f"syscall: write -> {len(line)}",
                     f"syscall: write to fd {fd} -> -9", f"syscall: brk(0) -> 0x{brk:x}",
                     "syscall: sched_yield -> 0", f"syscall: number {nr} -> -38",
                     f"syscall: number {nsys} -> -38", "syscall: number 180 -> -38",
                     "syscall: number -1 -> -38", "syscall: execve with argv NULL -> -14", "syscall: execve with 17 arguments -> -7",
                     "syscall: execve with an argument of 128 bytes -> -7",
                     "syscall: execve with argv running off its page -> -14",
                     f"exec {miss}: no such program in the boot image",
                     f"syscall: execve /bin/{miss} with {nargs} arguments -> -2", "ktest syscall: ok"]:
            m.expect_line(want)
        m.expect_exit(SUCCESS)


# ---- exercise 3 alone: user pointers ----------------------------------------------

@pytest.mark.points(5)
@pytest.mark.exercise(3)
def test_user_range(kernel):
    """user_range_ok and the copies alone, on an address space the test maps
    at random places (two user pages in a row, a read-only one, one not the
    user's, the last user page): NULL, kernel, unmapped, one byte too far,
    wrapping, past USER_TOP, read-only for a write are refused; a range
    across two pages is fine. The copies refuse a bad pointer with nothing
    copied (catches a copy that checks page by page as it goes), copy across
    two pages (catches a copy through one translation); strncpy_from_user
    stops at an unmapped page (-14) and without a NUL within max gives -22
    (catches reading one byte too many)."""
    a, ro, k = (0x10000000 + slot * 16 * PAGE for slot in rng.sample(range(1, 1 << 16), 3))
    off, ln, w = rng.randint(1, PAGE - 1), rng.randint(1, PAGE), word(rng.randint(2, 32))
    mapped = {a: True, a + PAGE: True, ro: False, USER_TOP - PAGE: True}   # user page: writable?
    cases = [("null", 0, ln, False), ("kernel", KERNEL_VMA + off, ln, False),
             ("inside", a + off, PAGE - off, True), ("straddling", a + PAGE - off, ln + off, True),
             ("last byte past the end", a + 2 * PAGE - ln, ln + 1, False),
             ("unmapped", a + 2 * PAGE + off, ln, False),
             ("read-only", ro + off, PAGE - off, False),
             ("read-only", ro + off, PAGE - off, True), ("not the user's", k + off, 1, False),
             ("wrapping", a + off, 2**64 - (a + off) + ln, False),
             ("huge", a + off, 1 << 62, False), ("top", USER_TOP - ln, ln, True),
             ("past the top", USER_TOP - ln, ln + 1, False)]

    def allowed(addr, length, write):
        if addr + length > USER_TOP:          # past the user half, or wrapping around
            return False
        return all(pg in mapped and (mapped[pg] or not write)
                   for pg in range(page_down(addr), addr + length, PAGE))
    with kernel.boot(f"test=uaccess a=0x{a:x} ro=0x{ro:x} k=0x{k:x} off={off} len={ln} word={w}",
                     dead_ends=PANICS) as m:
        for what, addr, length, write in cases:
            rw = "write" if write else "read"
            ok = "yes" if allowed(addr, length, write) else "no"
            m.expect_line(f"uaccess: {what} 0x{addr:x} +0x{length:x} {rw} -> {ok}")
        for want in ["uaccess: copy_from_user null -> -14, buffer untouched",
                     "uaccess: copy_to_user read-only -> -14, page untouched",
                     "uaccess: copy_to_user across two pages -> 0",
                     f"uaccess: read back across two pages: {w}",
                     f"uaccess: strncpy_from_user across two pages -> {len(w)}",
                     "uaccess: strncpy_from_user into the unmapped page -> -14",
                     f"uaccess: strncpy_from_user with max {len(w)} -> -22",
                     "uaccess: copy_from_user into the unmapped page -> -14, buffer untouched",
                     "ktest uaccess: ok"]:
            m.expect_line(want)
        m.expect_exit(SUCCESS)


# ---- exercise 5 alone: the report of a fault ------------------------------------------

EXCEPTIONS = {0: ("Divide error", "DE"), 6: ("Invalid opcode", "UD"),
              12: ("Stack-segment fault", "SS"), 13: ("General protection fault", "GP"),
              14: ("Page fault", "PF"), 17: ("Alignment check", "AC")}


def fault_report(name, vector, error, rip, cr2):
    """The line fault_kill must print for this fault (handout §3.5)."""
    exc, mn = EXCEPTIONS[vector]
    line = f"{name}: killed by {exc} (#{mn}) at rip=0x{rip:016x}"
    if vector == 14:
        line += (f", address 0x{cr2:016x} ("
                 + ("protection violation" if error & 1 else "page not present")
                 + (", write" if error & 2 else ", read")
                 + (", instruction fetch" if error & 16 else "") + ")")
        if USER_STACK_GUARD <= cr2 < USER_STACK_GUARD + PAGE:
            line += ": stack overflow"
    elif error:
        line += f", error code 0x{error:x}"
    return line


@pytest.mark.points(5)
@pytest.mark.exercise(5)
def test_user_fault_report(kernel):
    """fault_kill alone: the test hands trap_dispatch (which calls
    proc_fault, then fault_kill) trap frames from ring 3 for made-up
    processes (random names, rips, addresses in CR2, error bits): each
    prints its one line (page faults decoded, the stack guard named and
    the pages just outside it not, other error codes shown) and ends only
    its process, exit(-1). Catches swapped read/write or present bits, a
    guard check off by a page, an error code printed when 0, a panic."""
    rip = lambda: 0x400000 + rng.randrange(1 << 20)            # noqa: E731
    faults = [(14, 4 | rng.choice([0, 1]) | rng.choice([0, 2]) | rng.choice([0, 16]),
               rip(), rng.choice([rng.randrange(USER_TOP), rng.getrandbits(64)])),
              (14, 6, rip(), USER_STACK_GUARD + rng.randrange(PAGE)),
              (14, 6, rip(), rng.choice([USER_STACK_GUARD - 1 - rng.randrange(PAGE),
                                         USER_STACK_GUARD + PAGE + rng.randrange(PAGE)])),
              (13, rng.choice([0, rng.randrange(8, 1 << 16, 8)]), rip(), 0),
              (rng.choice([0, 6]), 0, rip(), 0),
              (rng.choice([12, 17]), rng.choice([0, rng.randrange(8, 1 << 16, 8)]), rip(), 0)]
    rng.shuffle(faults)
    names = rng.sample(["alpha", "bravo", "delta", "echo", "golf", "hotel", "kilo", "lima",
                        "oscar", "romeo", "tango"], len(faults))
    names = [f"{n}{rng.randrange(100)}" for n in names]
    spec = ",".join(f"{n}:{v}:0x{e:x}:0x{r:x}:0x{c:x}" for n, (v, e, r, c) in zip(names, faults))
    with kernel.boot(f"test=user_fault faults={spec}", dead_ends=PANICS) as m:
        for name, fault in zip(names, faults):
            m.expect_line(fault_report(name, *fault))
            m.expect_line(f"{name}: exit(-1)")
            m.expect_line(f"user_fault: {name} ended with -1")
        m.expect_line("ktest user_fault: ok")
        m.expect_exit(SUCCESS)


# ---- programs in ring 3: the exercises together -------------------------------------


def run(kernel, init, timeout=20, **kw):
    """Boot with init=..., wait for the power-off; return the serial text."""
    with kernel.boot(f"init={init}", dead_ends=STUBS, **kw) as m:
        m.expect_exit(SUCCESS, timeout=timeout)
        m.refuse_dead_ends(f"the programs of init={init} to run")
    return m.text


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_hello(kernel):
    """A program in ring 3 prints through write() and exits. Catches an iretq
    frame with the wrong selectors or RPL (the program never reaches ring 3),
    write taking its arguments from the wrong registers or printing the wrong
    length, and an exit that is never reported as 'hello: exit(0)'."""
    text = run(kernel, "hello")
    check(re.search(r"^Hello from user mode! \(pid \d+\)$", text, re.M), "Hello from user mode! (pid N)",
          lines(text, "Hello"))
    check("hello: exit(0)" in text.splitlines(), "hello: exit(0)", lines(text, "hello:"))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_argv(kernel):
    """argc and argv as the System V ABI lays them out, random words. Catches
    an argc without the program's name, argv strings copied in the wrong order
    or without their terminating NUL (the words run together), and argv
    pointers left as kernel addresses (the program faults reading them)."""
    words = [word(rng.randint(1, 12)) for _ in range(rng.randint(1, 6))]
    text = run(kernel, "args:" + ":".join(words))
    want = f"args: argc {len(words) + 1}, pid "
    got = [l for l in lines(text, "args: argc")]
    check(got and got[0].startswith(want) and got[0].endswith(": " + " ".join(words)),
          f"{want}N: {' '.join(words)}", got)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_exit_status(kernel):
    """A program's random exit status is reported as NAME: exit(STATUS).
    Catches a status cut to 8 bits as on Unix (exit(-5) reported as 251, 300 as
    44), a negative status printed as unsigned, and the status taken from the
    wrong register of the trap frame."""
    status = rng.randint(-1000, 1000)
    text = run(kernel, f"exitcode:{status}")
    check(f"exitcode: exit({status})" in text.splitlines(), f"exitcode: exit({status})",
          lines(text, "exitcode:"))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_distinct_pids(kernel):
    """Three processes one after another get three different pids. Catches a
    pid reused as soon as its process exits, a pid that is the same for every
    process (a constant, or the creating thread's id), and a getpid that
    returns something other than the caller's pid."""
    text = run(kernel, "args:a,args:b,hello")
    pids = [int(p) for p in re.findall(r"pid (\d+)", text)]
    check(len(pids) == 3 and len(set(pids)) == 3, "three different pids", pids)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_yield_interleave(kernel):
    """Two processes that sched_yield after each line take turns, and each
    finds its own value in xmm7 after every yield (catches a switch that
    leaves the x87/SSE registers of one process to the other)."""
    n = rng.randint(4, 10)
    text = run(kernel, f"yield:{n}+yield:{n}")
    seen = re.findall(r"^yield: pid (\d+) step (\d+)$", text, re.M)
    pids = sorted({p for p, _ in seen})
    check(len(pids) == 2 and len(seen) == 2 * n, f"{n} lines from each of two processes", seen)
    switches = sum(1 for a, b in zip(seen, seen[1:]) if a[0] != b[0])
    check(switches >= n, f"the processes taking turns (at least {n} changes)", switches)
    kept = sorted(re.findall(r"^yield: pid (\d+) kept xmm7 across (\d+) of (\d+) yields$", text, re.M))
    check(kept == sorted((p, str(n), str(n)) for p in pids),
          f"each process: yield: pid N kept xmm7 across {n} of {n} yields", lines(text, "yield: pid"))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_nanosleep(kernel):
    """nanosleep of a random duration takes about that long in wall time; a bad
    timespec gives -EINVAL. Catches tv_nsec ignored (every sleep under a second
    returns at once), nanoseconds taken as microseconds or milliseconds (the
    sleep 1000 times too long or too short), a sleep that returns before its
    time, and a tv_nsec of 2000000000 accepted instead of -EINVAL."""
    ms = rng.randint(100, 600)
    with kernel.boot(f"init=nap:{ms}", dead_ends=STUBS) as m:
        a = m.expect_line(f"nap: start, {ms} ms")
        b = m.expect_line("nap: done")
        m.expect_line("nap: bad timespec gives -22")
        m.expect_exit(SUCCESS)
    took = m.time_of(b) - m.time_of(a)
    check(ms / 1000 * 0.9 <= took <= ms / 1000 + 1.0, f"about {ms} ms of wall time", f"{took * 1000:.0f} ms")


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_brk(kernel):
    """brk grows the heap with zeroed, usable pages; too far fails; it shrinks
    back. Catches a heap end rounded up to the page instead of the exact
    address asked, the last partial page left unmapped (the program faults
    writing its last bytes), a 1 TiB request accepted or answered with an error
    code instead of the old end, and a shrink back to the start refused."""
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


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_execve(kernel):
    """execve replaces the program, same pid, new argv; a missing program gives
    -ENOENT. Catches execve making a new process (a new pid) instead of
    replacing the caller, the old argv kept, an execve that returns on success
    ('execve came back'), and a missing program that crashes or gives something
    other than -ENOENT."""
    words = [word(6) for _ in range(rng.randint(1, 4))]
    text = run(kernel, "exec:" + ":".join(words))
    pid = re.search(r"^exec: pid (\d+), running args$", text, re.M)
    check(pid, "exec: pid N, running args", lines(text, "exec"))
    check("exec: a missing program gives -2" in text, "execve of a missing program: -2", lines(text, "exec:"))
    want = f"args: argc {len(words) + 1}, pid {pid.group(1)}: {' '.join(words)}"
    check(want in text.splitlines(), want, lines(text, "args"))
    check("args: exit(0)" in text and "exec: execve came back" not in text, "args: exit(0), no return",
          lines(text, "e"))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_unknown_syscall(kernel):
    """Unknown system-call numbers (1000 and -1) from ring 3 give -38
    (-ENOSYS). Catches a table lookup with no bounds check (1000 reads past the
    table), a signed check that lets -1 through as a negative index, and
    -EINVAL or 0 returned instead of -ENOSYS."""
    text = run(kernel, "badsys")
    check(lines(text, "badsys: ") [:2] == ["badsys: 1000 gives -38", "badsys: -1 gives -38"],
          "-38 (-ENOSYS) for 1000 and -1", lines(text, "badsys"))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_bad_pointers(kernel):
    """write() refuses bad buffers whole (-14, nothing printed); one across two
    pages works. Catches a check of the first byte only (the buffer off the end
    of the heap accepted), kernel-half pointers accepted because they are
    mapped, a range check that overflows on 0xfffffffffffffff0 + 100, and a
    page-by-page check that refuses the buffer straddling two mapped pages or
    prints part of a bad one."""
    text = run(kernel, "badptr")
    want = ["badptr: null -14", "badptr: kernel -14", "badptr: unmapped -14",
            "badptr: off the end -14", "badptr: wraps around -14", "across two pages",
            "badptr: straddling 17", "badptr: nanosleep kernel pointer -14",
            "badptr: execve bad path -14", "badptr: exit(0)"]
    start = text.index("badptr: null") if "badptr: null" in text else len(text)
    got = text[start:].strip().splitlines()
    check(got == want, "exactly:\n      | " + "\n      | ".join(want), got)


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


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_user_faults(kernel):
    """Each fault kills only its process, with its reason; the next program
    still runs. Catches a user fault that panics the kernel instead of killing
    the process, an IOPL of 3 in the user rflags (cli, in and out do not
    fault), the page-fault gate given DPL 3 (int 0x0e reaches the handler as a
    fake #PF instead of a #GP), and program segments mapped writable and
    executable whatever their p_flags."""
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


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_malformed_elf(kernel, tmp_path):
    """Eight broken executables refused with -ENOEXEC and a reason; no crash.
    Catches a loader that checks only the magic (ELF32, big-endian or another
    machine accepted), trusts e_phoff and e_phnum without checking they lie in
    the file, maps a segment at a kernel-half address, or accepts a p_filesz
    above p_memsz or a p_memsz of 1 TiB."""
    bad = bad_elves(kernel.elf.parent / "user" / "hello.elf", tmp_path)
    names = [p.stem for p in bad]
    text = run(kernel, ",".join(names) + ",hello", progs=bad)
    for name in names:
        check(re.search(rf"^exec {name}: refused: .+ \(-ENOEXEC\)$", text, re.M),
              f"exec {name}: refused: <reason> (-ENOEXEC)", lines(text, f"exec {name}"))
    check("hello: exit(0)" in text, "hello runs after them", lines(text, "hello"))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_many_processes(kernel):
    """200 processes one after another: the free-frame count comes back.
    Catches a process's user-half page tables, kernel stack, user stack or
    program pages never freed at exit (the free-frame count drops a little each
    run), and the shared kernel-half tables freed with them (the count differs,
    or a later run crashes)."""
    with kernel.boot("init=tiny repeat=200", dead_ends=STUBS) as m:
        r = m.expect(r"^init: 200 runs; free frames before (\d+), after (\d+)$", timeout=60)
        m.expect_exit(SUCCESS)
    check(m.text.count("tiny: exit(0)") == 200, "200 times 'tiny: exit(0)'", m.text.count("tiny: exit(0)"))
    check(r.group(1) == r.group(2), "as many free frames after as before", r.group(0))


# ---- challenge 1: the lazy heap --------------------------------------------------------

USER_BRK_MAX = 64 << 20


@pytest.mark.points(10)
@pytest.mark.challenge(1)
def test_lazy_brk(kernel):
    """With lazybrk=1, brk only reserves: the brk program grows its heap by
    a random 8..64 MiB and touches a few random bytes (the first and last
    among them), reading 0 first, then writing a random value. The grader
    walks the program's page tables while it waits: exactly the touched
    pages are mapped in the heap (user, writable, not executable), each
    holding the values written and zeros elsewhere. Then the heap shrinks
    back, and a write to its old start kills the program, and every frame
    comes back. Catches an eager brk, a page mapped read-only or not for the
    user, a frame not zeroed, a fault outside the reserved heap mapped
    instead of killed, a reserved range off by a page."""
    size = rng.randint(8 << 20, USER_BRK_MAX)
    offsets = {0, size - 1} | {rng.randrange(size) for _ in range(rng.randint(1, 4))}
    touches = [(off, rng.randint(1, 255)) for off in sorted(offsets)]
    rng.shuffle(touches)
    spec = ",".join(f"{o}:{v}" for o, v in touches)
    with kernel.boot(f"lazybrk=1 test=lazy_brk size={size} touch={spec}", dead_ends=PANICS) as m:
        r = m.expect(r"^brk: lazy: (.*)$", timeout=60)
        want = (f"heap at 0x([0-9a-f]+) grown by {size}, {len(touches)} bytes touched, "
                "read zero yes, read back yes")
        g = re.fullmatch(want, r.group(1))
        check(g, f"brk: lazy: {want}", r.group(0))
        start = int(g.group(1), 16)
        p = re.search(r"^lazy_brk: brk is pid \d+, pml4 at 0x([0-9a-f]+)$", m.text, re.M)
        check(p, "lazy_brk: brk is pid N, pml4 at 0x...", lines(m.text, "lazy_brk"))
        pml4, tables = int(p.group(1), 16), {}
        pages = {}
        for off, val in touches:
            pages.setdefault(page_down(start + off), bytearray(PAGE))[(start + off) % PAGE] = val
        mapped = [pg for pg in range(page_down(start), page_up(start + size) + PAGE, PAGE)
                  if leaf_entry(m, pml4, pg, tables) is not None]
        check(sorted(mapped) == sorted(pages),
              f"{len(pages)} heap pages mapped, the touched ones: "
              + ", ".join(f"0x{pg:x}" for pg in sorted(pages)),
              f"{len(mapped)} pages: " + ", ".join(f"0x{pg:x}" for pg in mapped[:8])
              + (", ..." if len(mapped) > 8 else ""))
        for pg, content in sorted(pages.items()):
            pte = leaf_entry(m, pml4, pg, tables)
            check(pte & PTE_U and pte & PTE_W and pte & PTE_NX,
                  f"0x{pg:x} mapped for the user, rw-", f"pte 0x{pte:x}")
            got = m.read_phys(pte & PTE_ADDR, PAGE)
            diff = next((i for i in range(PAGE) if got[i] != content[i]), None)
            check(diff is None, f"0x{pg:x}: the bytes written, zeros elsewhere",
                  diff is not None and f"at 0x{pg + diff:x}: 0x{got[diff]:02x}, not 0x{content[diff]:02x}")
        m.send("\r")
        m.expect_line("brk: lazy: shrunk back to the start")
        k = m.expect(r"^brk: (killed by .*|lazy: the old start is still writable)$")
        check(re.fullmatch(rf"killed by Page fault \(#PF\) at rip=0x[0-9a-f]{{16}}, address "
                           rf"0x{start:016x} \(page not present, write\)", k.group(1)),
              f"brk: killed by Page fault (#PF) at rip=..., address 0x{start:016x} "
              "(page not present, write)", k.group(0))
        m.expect_line("brk: exit(-1)")
        f = m.expect(r"^lazy_brk: brk ended with (-?\d+); free frames before (\d+), after (\d+)$")
        check(f.group(1) == "-1" and f.group(2) == f.group(3),
              "brk ended with -1, as many free frames after as before", f.group(0))
        m.expect_exit(SUCCESS)
