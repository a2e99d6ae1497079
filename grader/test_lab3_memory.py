"""Lab 3 graders: memory (handouts/lab3-memory.md, §5).

The memory map is checked against the layout QEMU's q35 machine gives the
RAM size the grader picks; frame counts against that map; addresses are
drawn at random; fault addresses come from the kernel's symbol table.
Exercises 2, 3 and 4 are also graded without the ones before them: the
buddy allocator on a pool of the test's own, the walk, translate and map
on page tables of the test's own (and on the live tables, checked from
outside through QMP). Tables made, freed and changed on the live tables
(unmap_tables, protect, the challenge's map_range) are read from outside
too, through QMP, while the test holds.
"""

import re
import struct

import pytest

from checks import check, expect_exception, expect_panic_exit, rng
from gradelib import FAILURE, SUCCESS, kernel_symbols, stub_dead_ends

GIB = 1 << 30
PAGE = 4096
DIRECT_MAP_BASE = 0xFFFF800000000000
USER_MIN_ADDR = 0x10000
USER_TOP = 0x0000800000000000
KTEST_WINDOW = 0xFFFFC00000000000
PTE_P, PTE_W, PTE_U, PTE_PS, PTE_G, PTE_NX = 1, 2, 4, 1 << 7, 1 << 8, 1 << 63
PTE_A, PTE_D, PTE_AVL = 1 << 5, 1 << 6, 1 << 9
PTE_ADDR = 0x000FFFFFFFFFF000
LARGE = 2 << 20
VM_WRITE, VM_EXEC, VM_USER = 1, 2, 4
ENOENT, ENOMEM, EEXIST, EINVAL = 2, 12, 17, 22
BUDDY_MAX_ORDER = 10

def stubs(*exercises):
    """What the start prints while an exercise is a stub (pmm.c, paging.c,
    lab3.c): a test stops at once on the message of an exercise it needs,
    and only on those; the others may still be stubs (gradelib)."""
    return stub_dead_ends(3, exercises=exercises)


STUBS = stubs(1, 2, 3, 4)
MEM_RE = r"^mem: 0x([0-9a-f]{16})-0x([0-9a-f]{16}) (.+)$"
RESERVED_RE = r"^reserved: 0x([0-9a-f]{16})-0x([0-9a-f]{16}) "


def q35_layout(mem):
    """RAM below 4 GiB and above it, as QEMU's q35 splits -m mem."""
    low = 2 * GIB if mem >= 0xB0000000 else mem
    return low, mem - low


def regions(text, kind=None):
    rs = [(int(a, 16), int(b, 16), t) for a, b, t in re.findall(MEM_RE, text, re.MULTILINE)]
    return [r for r in rs if kind is None or r[2] == kind]


def managed_frames(usable, reserved):
    """Frames of usable RAM outside every reserved range: the grader's count."""
    total = 0
    for a, b, _ in usable:
        a, b = -(-a // PAGE) * PAGE, b // PAGE * PAGE
        pages = set(range(a // PAGE, b // PAGE))
        for ra, rb in reserved:
            pages -= set(range(ra // PAGE, -(-rb // PAGE)))
        total += len(pages)
    return total


def check_map(text, mem):
    low, high = q35_layout(mem)
    rs = regions(text)
    check(rs, "lines 'mem: 0x<base>-0x<end> <type>'", "none")
    for (a1, b1, _), (a2, b2, _) in zip(rs, rs[1:]):
        check(b1 <= a2, "regions in order, not overlapping", f"0x{a1:x}-0x{b1:x} then 0x{a2:x}-0x{b2:x}")
    usable = [(a, b) for a, b, t in rs if t == "usable"]
    check(usable and usable[0][0] == 0 and usable[0][1] >= 0x9F000,
          "usable RAM from 0 to about 640 KiB", usable[:1])
    at_1m = [b for a, b in usable if a == 0x100000]
    check(at_1m and low - (1 << 20) <= at_1m[0] <= low,
          f"usable RAM from 1 MiB to just below 0x{low:x} (-m {mem >> 20}M)", usable)
    if high:
        check((4 * GIB, 4 * GIB + high) in usable, f"usable RAM 0x{4 * GIB:x}-0x{4 * GIB + high:x}", usable)
    total = sum(b - a for a, b in usable)
    t = re.search(r"^mem: (\d+) KiB usable in (\d+) regions$", text, re.MULTILINE)
    check(t and int(t.group(1)) == total // 1024 and int(t.group(2)) == len(rs),
          f"mem: {total // 1024} KiB usable in {len(rs)} regions", t and t.group(0))
    check(mem - 2 * (1 << 20) <= total <= mem, f"close to {mem >> 20} MiB usable", f"{total >> 10} KiB")


def boot_meminfo(kernel, mem, exercises):
    """Boot with -m mem to the prompt, run meminfo; (the boot text up to
    the prompt, the whole text, the 'frames:' match, QMP's `info mem`)."""
    with kernel.boot(mem=f"{mem >> 20}M", dead_ends=stubs(*exercises)) as m:
        m.expect(r"^mem: \d+ KiB usable in \d+ regions$", what="the memory map, ending with "
                 "'mem: N KiB usable in M regions'")
        m.expect_prompt()
        info_mem = m.qmp("human-monitor-command", **{"command-line": "info mem"})
        m.send("meminfo\r")
        f = m.expect(r"^frames: (\d+) free, (\d+) used, (\d+) in all")
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)
        m.refuse_dead_ends("the memory map, and meminfo's frame count")
    return m.text[:m.text.index("K> ")], m.text, f, info_mem


def check_frame_count(boot_text, text, f):
    usable = regions(boot_text, "usable")
    reserved = [(int(a, 16), int(b, 16)) for a, b in re.findall(RESERVED_RE, text, re.MULTILINE)]
    want = managed_frames(usable, reserved)
    check(int(f.group(3)) == want, f"{want} frames managed (usable RAM minus reserved ranges)",
          f.group(0))


@pytest.mark.points(5)
@pytest.mark.exercise(1)
def test_memory_map(kernel):
    """The map and totals for -m 64M, a size drawn at random below 2.5 GiB,
    and 5G (RAM above 4 GiB); below 4 GiB, the frame count meminfo derives
    from the map (usable RAM minus the reserved ranges). Catches a region's end
    stored as its length (or base + length - 1), entries read from just after
    the 8-byte tag header rather than after entry_size and entry_version, an
    entry read past the tag's end, and a base or length kept in 32 bits (the
    RAM at 4 GiB lost in the 5G run)."""
    for mem in (64 << 20, rng.randrange(96, 2560, 32) << 20, 5 * GIB):
        boot_text, text, f, _ = boot_meminfo(kernel, mem, [1])
        check_map(boot_text, mem)
        if mem < 4 * GIB:        # RAM above 4 GiB joins once paging is on: test_high_memory
            check_frame_count(boot_text, text, f)


def canonical_blocks(free):
    """{order: sorted pfns} of the blocks a buddy allocator that merges
    every pair of free buddies holds for the set of free frames: each is the
    largest aligned block (order <= BUDDY_MAX_ORDER) whose frames are all free."""
    blocks = {k: [] for k in range(BUDDY_MAX_ORDER + 1)}
    covered = set()
    for pfn in sorted(free):
        if pfn in covered:
            continue
        k = 0
        while (k < BUDDY_MAX_ORDER and pfn % (2 << k) == 0
               and all(p in free for p in range(pfn, pfn + (2 << k)))):
            k += 1
        blocks[k].append(pfn)
        covered.update(range(pfn, pfn + (1 << k)))
    return blocks


def fits(free, order):
    """Is some aligned block of 2^order frames all free?"""
    return any(pfn % (1 << order) == 0 and all(p in free for p in range(pfn, pfn + (1 << order)))
               for pfn in free)


def expect_blocks(m, free, when):
    blocks = canonical_blocks(free)
    for k in range(BUDDY_MAX_ORDER + 1):
        got = m.expect(rf"^buddy: order {k}:((?: \d+)*)$", what=f"buddy: order {k}: PFN ...")
        got = sorted(int(x) for x in got.group(1).split())
        check(got == blocks[k], f"{when}: the free blocks of order {k} at {blocks[k] or 'none'}",
              got or "none")
    expect_lists(m, free, when)


def expect_lists(m, free, when):
    blocks = canonical_blocks(free)
    want = " ".join(str(len(blocks[k])) for k in range(BUDDY_MAX_ORDER + 1)) + f", free {len(free)}"
    got = m.expect(r"^buddy: lists (.*)$", what="buddy: lists N0 N1 ... N10, free F")
    check(got.group(1) == want, f"{when}: free-list lengths by order, and the free count: {want} "
          "(every pair of free buddies merged)", got.group(1))


@pytest.mark.points(10)
@pytest.mark.exercise(2)
def test_buddy(kernel):
    """buddy_alloc and buddy_free on a pool the test sets up (no memory map
    needed): ranges the grader draws are added, then random allocations and
    frees. Each block is aligned and free; an allocation fails only when no
    aligned block is free; after each step the lists hold exactly the blocks
    of a fully merged allocator; all freed, everything merges back. Catches a
    buddy found as pfn + size instead of pfn ^ size (merging neighbours that
    are not buddies), a free that does not merge or merges only one level, an
    allocation that fails while a larger block could be split, and ranges added
    as blocks not aligned to their order."""
    frames = rng.randrange(1100, 2049)
    cuts = sorted(rng.sample(range(1, frames), 5))
    ranges = [(cuts[0], cuts[1] - cuts[0]), (cuts[2], cuts[3] - cuts[2]), (cuts[4], frames - cuts[4])]
    args = " ".join(f"first{i}={a} count{i}={n}" for i, (a, n) in enumerate(ranges, 1))
    ops = 150
    with kernel.boot(f"test=buddy frames={frames} {args} seed={rng.randrange(1, 1 << 62)} ops={ops}",
                     dead_ends=stubs(2) + [(r"^buddy: free gave", "buddy_free refused a live block: {line}")]) as m:
        free = {p for a, n in ranges for p in range(a, a + n)}
        expect_blocks(m, free, "after adding the ranges")
        live = {}
        for _ in range(ops):
            op = m.expect(r"^buddy: (alloc (\d+) -> (none|\d+)|free (\d+))$",
                          what="buddy: alloc K -> PFN, or buddy: free PFN")
            if op.group(4):
                pfn = int(op.group(4))
                free.update(range(pfn, pfn + (1 << live.pop(pfn))))
                when = f"after free {pfn}"
            else:
                order, got = int(op.group(2)), op.group(3)
                when = f"after alloc {order} -> {got}"
                if got == "none":
                    check(not fits(free, order), f"alloc {order}: a free block (one fits)", "none")
                else:
                    pfn = int(got)
                    block = set(range(pfn, pfn + (1 << order)))
                    check(pfn % (1 << order) == 0, f"alloc {order}: a pfn aligned to {1 << order}", pfn)
                    check(block <= free, f"alloc {order}: a block of free frames", f"{pfn} "
                          f"({len(block - free)} of its frames not free or not in the pool)")
                    free -= block
                    live[pfn] = order
            expect_lists(m, free, when)
        for _ in live:
            m.expect(r"^buddy: free (\d+)$")
        free = {p for a, n in ranges for p in range(a, a + n)}
        expect_blocks(m, free, "after freeing every block")
        m.expect_exit(SUCCESS)


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2)
def test_frames_all(kernel):
    """Allocate every frame, check each, free them all: the count comes back.
    Catches a frame handed out twice (its pattern overwritten), frames of a
    reserved range (the kernel image, the boot tables) handed out, frames lost
    on free or an allocator that stops while frames are still free, and freed
    frames never merged back (no order-10 block after)."""
    mem = rng.choice([64, 128, 256]) << 20
    with kernel.boot(f"test=frames_all seed={rng.randrange(1, 1 << 62)}", mem=f"{mem >> 20}M",
                     dead_ends=stubs(1, 2)) as m:
        a = m.expect(r"^frames_all: free before (\d+), allocated (\d+), in reserved ranges (\d+), "
                     r"patterns lost (\d+)$")
        b = m.expect(r"^frames_all: free after (\d+), a block of order 10 (.+)$")
        m.expect_exit(SUCCESS)
    before, n, hits, lost = map(int, a.groups())
    reserved = [(int(x, 16), int(y, 16)) for x, y in re.findall(RESERVED_RE, m.text, re.MULTILINE)]
    managed = managed_frames(regions(m.text, "usable"), reserved)
    check(n == before, f"every free frame allocated ({before})", n)
    check(managed - 1024 <= n <= managed, f"about {managed} frames (the map minus reserved ranges, "
          "minus the kernel's page tables)", n)
    check(hits == 0, "no frame inside a reserved range", hits)
    check(lost == 0, "every frame keeps what was written to it (no frame given twice)", lost)
    check(int(b.group(1)) == before, f"{before} frames free after freeing all", b.group(1))
    check(b.group(2).startswith("allocated"), "free blocks merged back into large ones", b.group(0))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_frames_blocks(kernel):
    """Blocks of random orders: aligned to their size, disjoint, in usable RAM.
    Catches a split that hands out a block at the wrong address (not aligned to
    its size), one that leaves the half it handed out on a free list
    (overlapping blocks), a pfn-to-address conversion that lands outside usable
    RAM, and a free that returns only part of a block."""
    count = rng.randint(40, 100)
    with kernel.boot(f"test=frames_blocks seed={rng.randrange(1, 1 << 62)} count={count}",
                     mem="512M", dead_ends=stubs(1, 2)) as m:
        e = m.expect(r"^frames_blocks: free before (\d+), after (\d+)$")
        m.expect_exit(SUCCESS)
    blocks = [(int(o), int(a, 16)) for o, a in
              re.findall(r"^block: order (\d+) at 0x([0-9a-f]{16})$", m.text, re.MULTILINE)]
    check(len(blocks) == count, f"{count} 'block: order K at 0x...' lines", len(blocks))
    usable = [(a, b) for a, b, _ in regions(m.text, "usable")]
    spans = []
    for order, addr in blocks:
        size = PAGE << order
        check(addr and addr % size == 0, f"an order-{order} block aligned to {size} bytes", hex(addr))
        check(any(a <= addr and addr + size <= b for a, b in usable),
              "every block inside usable RAM", hex(addr))
        spans.append((addr, addr + size))
    spans.sort()
    for (a1, b1), (a2, b2) in zip(spans, spans[1:]):
        check(b1 <= a2, "disjoint blocks", f"0x{a1:x}-0x{b1:x} overlaps 0x{a2:x}-0x{b2:x}")
    check(e.group(1) == e.group(2), "as many free frames after freeing the blocks as before", e.group(0))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_bad_free(kernel):
    """A double free, and a free of a reserved frame or inside a block (of
    an order and at a frame the grader draws), panic naming the address and,
    inside a block, the block's start. Catches: an error missed or called
    by the wrong name (a free frame inside a free block is a double free),
    and buddy_block_of finding the wrong block."""
    messages = {"double": "double free", "reserved": "free of a reserved frame",
                "inside": "inside the block that starts at 0x([0-9a-f]{16})"}
    for what in ("double", "reserved", "inside"):
        order = rng.randint(1, 3)
        with kernel.boot(f"test=bad_free what={what} order={order} "
                         f"index={rng.randrange(1, 1 << order)}", dead_ends=stubs(1, 2)) as m:
            said = m.expect(r"^bad_free: freeing 0x([0-9a-f]{16})(?:.* block at 0x([0-9a-f]{16}))?")
            p = m.expect(rf"^PANIC at .*pmm_free\(0x([0-9a-f]{{16}})\): .*{messages[what]}",
                         what=f"PANIC at ...: pmm_free(0x{said[1]}): ..."
                         + messages[what].replace("0x([0-9a-f]{16})", f"0x{said[2]}"))
            m.expect_exit(FAILURE)
        check(p[1] == said[1], f"the panic names the frame freed, 0x{said[1]}", f"0x{p[1]}")
        if what == "inside":
            check(p[2] == said[2], f"the panic names the block's start, 0x{said[2]}", f"0x{p[2]}")


def index(va, level):
    return (va >> (12 + 9 * level)) & 511


def va_of(i3, i2, i1, i0):
    """The canonical address with these table indexes (bits 63..48 copy bit 47)."""
    va = i3 << 39 | i2 << 30 | i1 << 21 | i0 << 12
    return va | 0xFFFF000000000000 if i3 >= 256 else va


def table_shape():
    """Addresses a..e with the shape the walk and map_existing tests give
    their own tables (lab3.c): a path to a PT holding a 4 KiB page at a; in
    a's PD a 2 MiB page at b and nothing at d; in a's PDPT a 1 GiB page at
    c; another PML4 slot, empty, for e. Also the indexes, for the answers."""
    i3, e3 = rng.sample(range(512), 2)
    i2, c2 = rng.sample(range(512), 2)
    i1, b1, d1 = rng.sample(range(512), 3)
    r = lambda: rng.randrange(512)                      # noqa: E731
    shape = {"a": va_of(i3, i2, i1, r()), "b": va_of(i3, i2, b1, r()), "c": va_of(i3, c2, r(), r()),
             "d": va_of(i3, i2, d1, r()), "e": va_of(e3, r(), r(), r())}
    return shape, (i3, i2, i1)


def walk_answers(shape):
    """{(name, level): the entry pt_walk must find without create}, as the
    test names it: 'pdpt[i]', 'pd[i]', 'pt[i]' or 'NULL'."""
    a, b, c, d = (shape[k] for k in "abcd")
    return {("a", 2): f"pdpt[{index(a, 2)}]", ("a", 1): f"pd[{index(a, 1)}]", ("a", 0): f"pt[{index(a, 0)}]",
            ("b", 2): f"pdpt[{index(b, 2)}]", ("b", 1): f"pd[{index(b, 1)}]", ("b", 0): "NULL",
            ("c", 2): f"pdpt[{index(c, 2)}]", ("c", 1): "NULL", ("c", 0): "NULL",
            ("d", 2): f"pdpt[{index(d, 2)}]", ("d", 1): f"pd[{index(d, 1)}]", ("d", 0): "NULL",
            ("e", 2): "NULL", ("e", 1): "NULL", ("e", 0): "NULL"}


def expect_answer(m, prefix, want, what):
    """The line 'PREFIX ANSWER' must come next with the answer want."""
    got = m.expect(rf"^{re.escape(prefix)} (.*)$", what=f"{prefix} {want}").group(1)
    check(got == str(want), f"{what}: {want}", got)


def walk_outside(m, cr3, va, level):
    """The physical address of va's entry at level in the live tables,
    walked by the grader through QMP; None where pt_walk must give NULL
    (an entry not present, or a large page, on the way)."""
    table = cr3 & PTE_ADDR
    for lv in range(3, level, -1):
        entry = int.from_bytes(m.read_phys(table + 8 * index(va, lv), 8), "little")
        if not entry & PTE_P or entry & PTE_PS:
            return None
        table = entry & PTE_ADDR
    return table + 8 * index(va, level)


@pytest.mark.points(10)
@pytest.mark.exercise(3)
def test_walk(kernel):
    """pt_walk without create, at every level: on page tables the test builds
    for five addresses the grader draws (a 4 KiB page, a 2 MiB and a 1 GiB
    page in the way, missing entries), and at the first one's non-canonical
    twin (same indexes, sign bits flipped; with create too), the tables
    left unchanged; and on the live page tables at a kernel function, a
    direct-map address and a low address, against the grader's own walk of
    the same tables through QMP. Catches: an index taken from the wrong
    bits, a large page walked through as if it were a table, a walk that
    stops a level early or late, tables made or entries changed without
    create, and a non-canonical address walked as its canonical alias."""
    shape, _ = table_shape()
    syms = kernel_symbols(kernel.elf)
    funcs = [a for name, (a, size, t) in syms.items() if t in "tT" and size]
    live = {"x": rng.choice(funcs), "y": DIRECT_MAP_BASE + rng.randrange(0, 120 << 20),
            "z": rng.randrange(PAGE, 4 * GIB)}
    args = " ".join(f"{k}={va:#x}" for k, va in {**shape, **live}.items())
    with kernel.boot(f"test=walk {args}") as m:
        for (name, level), want in walk_answers(shape).items():
            expect_answer(m, f"walk: {name} level {level} ->", want,
                          f"pt_walk(0x{shape[name]:x}, level {level}, no create)")
        nc = shape["a"] ^ 0xFFFF000000000000
        expect_answer(m, "walk: non-canonical a level 0 ->", "NULL",
                      f"pt_walk(0x{nc:x}, level 0, no create): not canonical")
        expect_answer(m, "walk: non-canonical a level 0 with create ->", "NULL",
                      f"pt_walk(0x{nc:x}, level 0, create): not canonical")
        expect_answer(m, "walk: the tables", "are as built",
                      "pt_walk without create, and with create at a non-canonical address")
        seen = {}
        for name, va in live.items():
            for level in (2, 1, 0):
                r = m.expect(rf"^walk: live 0x{va:016x} level {level} -> "
                             r"(NULL|entry at physical 0x([0-9a-f]{16}))$",
                             what=f"walk: live 0x{va:016x} level {level} -> NULL or entry at physical 0x...")
                seen[(va, level)] = int(r.group(2), 16) if r.group(2) else None
        m.expect_line("ktest: hold")
        regs = m.qmp("human-monitor-command", **{"command-line": "info registers"})
        cr3 = int(re.search(r"\bCR3=([0-9a-f]+)", regs).group(1), 16)
        for (va, level), got in seen.items():
            want = walk_outside(m, cr3, va, level)
            check(got == want, f"0x{va:x} level {level}: "
                  + (f"the entry at physical 0x{want:x}" if want is not None else "NULL")
                  + f" (the live tables at CR3=0x{cr3:x}, walked through QMP)",
                  f"0x{got:x}" if got is not None else "NULL")
        m.send("\n")
        m.expect_line("ktest walk: ok")
        m.expect_exit(SUCCESS)


def live_cr3(m):
    regs = m.qmp("human-monitor-command", **{"command-line": "info registers"})
    return int(re.search(r"\bCR3=([0-9a-f]+)", regs).group(1), 16) & PTE_ADDR


def read_entry(m, table, i):
    return int.from_bytes(m.read_phys(table + 8 * i, 8), "little")


def read_table(m, table):
    return struct.unpack("<512Q", m.read_phys(table, PAGE))


def path_outside(m, cr3, va):
    """[(level, physical address of the entry, the entry)] of va's walk in
    the live tables, read through QMP: from the PML4 down to the leaf or to
    the first entry not present."""
    path, table = [], cr3
    for level in (3, 2, 1, 0):
        e = read_entry(m, table, index(va, level))
        path.append((level, table + 8 * index(va, level), e))
        if not e & PTE_P or level == 0 or (level < 3 and e & PTE_PS):
            break
        table = e & PTE_ADDR
    return path


def translate_outside(m, cr3, va):
    """(physical address, the leaf's bits) as the MMU translates va, or
    None if it is not mapped."""
    level, _, e = path_outside(m, cr3, va)[-1]
    if not e & PTE_P:
        return None
    size = 1 << (12 + 9 * level)
    return (e & PTE_ADDR & ~(size - 1)) | (va & (size - 1)), e & ~PTE_ADDR


@pytest.mark.points(5)
@pytest.mark.exercise(3)
def test_translate(kernel):
    """vmm_translate through pages of every size: on the walk test's tables
    at five addresses the grader draws, at any offset in the page (a 4 KiB
    page, inside a 2 MiB and a 1 GiB page, nothing mapped at two), and at
    the first one's non-canonical twin; on the live tables at a kernel
    function, a direct-map address and a low address, against the grader's
    own translation through QMP. Catches: the offset in the page dropped or
    cut at the wrong page size, a large page walked through as a table,
    flags with address bits in them or some bits lost, *pa or *flags written
    for an unmapped address, a non-canonical address translated as its
    alias, tables changed by a lookup."""
    shape, _ = table_shape()
    shape = {k: va | rng.randrange(PAGE) for k, va in shape.items()}
    syms = kernel_symbols(kernel.elf)
    funcs = [a for name, (a, size, t) in syms.items() if t in "tT" and size]
    live = {"x": rng.choice(funcs) + rng.randrange(4), "y": DIRECT_MAP_BASE + rng.randrange(0, 120 << 20),
            "z": rng.randrange(PAGE, 4 * GIB)}
    args = " ".join(f"{k}={va:#x}" for k, va in {**shape, **live}.items())
    a, b, c = shape["a"], shape["b"], shape["c"]
    want = {"a": (0x80200000 | a % PAGE, PTE_P | PTE_W | PTE_A | PTE_NX),
            "b": (0x80000000 | b % LARGE, PTE_P | PTE_W | PTE_PS),
            "c": (0x40000000 | c % GIB, PTE_P | PTE_W | PTE_PS), "d": None, "e": None}
    show = lambda t: "not mapped" if t is None else f"0x{t[0]:016x} flags 0x{t[1]:016x}"  # noqa: E731
    with kernel.boot(f"test=translate {args}") as m:
        for name, t in want.items():
            expect_answer(m, f"translate: {name} ->", show(t), f"vmm_translate(0x{shape[name]:x})")
        expect_answer(m, "translate: non-canonical a ->", "not mapped",
                      f"vmm_translate(0x{a ^ 0xFFFF000000000000:x}): not canonical")
        expect_answer(m, "translate: the tables", "are as built", "vmm_translate only reads")
        seen = {}
        for name, va in live.items():
            r = m.expect(rf"^translate: live {name} -> (not mapped|0x([0-9a-f]{{16}}) flags "
                         r"0x([0-9a-f]{16}))$", what=f"translate: live {name} -> 0x... flags 0x..., "
                         "or not mapped")
            seen[name] = r.group(2) and (int(r.group(2), 16), int(r.group(3), 16))
        m.expect_line("ktest: hold")
        cr3 = live_cr3(m)
        for name, va in live.items():
            t = translate_outside(m, cr3, va)
            got = seen[name] and (seen[name][0], seen[name][1] & ~(PTE_A | PTE_D))
            t = t and (t[0], t[1] & ~(PTE_A | PTE_D))
            check(got == t, f"vmm_translate(0x{va:x}) on the live tables (CR3=0x{cr3:x}): "
                  f"{show(t)} (accessed and dirty bits aside), as QMP reads them", show(got))
        m.send("\n")
        m.expect_line("ktest translate: ok")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(3, 4)
def test_map_existing(kernel):
    """vmm_map and vmm_unmap where the tables already exist (no frame needed):
    a page mapped next to a in the test's tables with a frame and flags the
    grader draws (the leaf entry exactly), mapped twice (-EEXIST), under a
    2 MiB page (-ENOMEM); unmapped (the frame given back, the entry cleared,
    the other entries untouched), and nothing to unmap (-ENOENT), also at
    a's non-canonical twin. Catches: wrong leaf bits (W, NX, U, G for the
    kernel half), a mapping overwritten, a large page split or replaced,
    the frame not reported, a table freed that still holds a's page, and an
    unmap of a non-canonical address that removes its alias."""
    shape, (i3, i2, i1) = table_shape()
    i0 = rng.choice([i for i in range(512) if i != index(shape["a"], 0)])
    v = va_of(i3, i2, i1, i0)
    pa = rng.randrange(1, 1 << 28) * PAGE
    flags = rng.randrange(4) | (VM_USER if v < USER_TOP and rng.randrange(2) else 0)
    leaf = (pa | PTE_P | (PTE_W if flags & VM_WRITE else 0) | (0 if flags & VM_EXEC else PTE_NX)
            | (PTE_U if flags & VM_USER else 0) | (PTE_G if v >= USER_TOP else 0))
    args = " ".join(f"{k}={va:#x}" for k, va in shape.items())
    with kernel.boot(f"test=map_existing {args} v={v:#x} pa={pa:#x} flags={flags}",
                     dead_ends=stubs(3, 4)) as m:
        addr = {"v": v, **shape}
        addr["n"] = shape["a"] ^ 0xFFFF000000000000           # "non-canonical a"
        for call, want in [("vmm_map(v)", f"0, pt[{i0}] = 0x{leaf:016x}"),
                           ("vmm_map(v) again", -EEXIST), ("vmm_map(b)", -ENOMEM),
                           ("vmm_unmap(v)", f"0, frame 0x{pa:016x}, pt[{i0}] = 0x{0:016x}"),
                           ("vmm_unmap(v) again", -ENOENT),
                           *((f"vmm_unmap({k})", -ENOENT) for k in "bcde"),
                           ("vmm_unmap(non-canonical a)", -ENOENT)]:
            expect_answer(m, f"map_existing: {call} =", want,
                          re.sub(r"\((\w)[^)]*\)", lambda g: f"(0x{addr[g[1]]:x})", call))
        expect_answer(m, "map_existing: the tables", "are as built", "vmm_map and vmm_unmap")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_map_translate(kernel):
    """map, write, translate, unmap on the kernel's live tables at four
    addresses the grader picks (two in each half): the write lands in the
    frame, translate agrees, mapping twice gives -EEXIST, the frame comes
    back, and every frame, tables included, is free again at the end.
    Catches: tables not made on the way, the wrong frame mapped, the TLB
    or the tables still holding an unmapped page, tables leaked. (Protect
    is test_protect's.)"""
    vas = [rng.randrange(1 << 20, 1 << 47) for _ in range(2)] + \
          [rng.randrange(0xFFFF900000000000, 0xFFFFFF0000000000) for _ in range(2)]
    args = " ".join(f"{k}={va:#x}" for k, va in zip("abcd", vas))
    with kernel.boot(f"test=map {args}", dead_ends=STUBS) as m:
        frames = set()
        for va in vas:
            r = m.expect(rf"^map: 0x{va:016x} -> 0x([0-9a-f]{{16}}) (.+)$",
                         what=f"map: 0x{va:016x} -> 0x<pa> writable no-exec, frame holds the value written")
            pa = int(r.group(1), 16)
            check(pa % PAGE == va % PAGE, f"0x{va:x}: the same offset in the page", hex(pa))
            check(r.group(2) == "writable no-exec, frame holds the value written",
                  "writable no-exec, frame holds the value written", r.group(2))
            frames.add(pa // PAGE)
            m.expect_line(f"map: 0x{va:016x} unmapped: not mapped")
        e = m.expect(r"^map: free frames before (\d+), after (\d+)$")
        m.expect_exit(SUCCESS)
    check(e.group(1) == e.group(2), "every frame back, page tables included", e.group(0))


def expect_entry(got, want, what, ignore=PTE_A):
    """An entry the grader read through QMP, with the bits in ignore (that
    the CPU sets by itself) left aside."""
    check(got & ~ignore == want & ~ignore, f"{what}: 0x{want:016x}", f"0x{got:016x}")


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_unmap_tables(kernel):
    """Tables made on the way and freed when left empty, on the kernel's live
    tables, read through QMP while the test holds: u and u2 in one PT of the
    empty user half (mapping u makes a PDPT, a PD and a PT, with P, W and U),
    k in the kernel half (a PD and a PT; the PDPT is there from boot).
    Unmapping u leaves the PT (u2 is still in it); unmapping u2 frees all
    three and clears the PML4 entry; unmapping k frees its PD and PT but not
    the kernel PDPT. Free-frame counts must follow exactly. Catches: tables
    never freed, a table freed while it holds a page, a freed table still
    pointed to, a kernel PDPT freed (address spaces share them), U missing
    on the way down to a user page."""
    u = rng.randrange(USER_MIN_ADDR, USER_TOP - LARGE) & ~(PAGE - 1)
    u2 = u & ~(LARGE - 1) | rng.choice([i for i in range(512) if i != index(u, 0)]) * PAGE
    k = KTEST_WINDOW + rng.randrange(1 << 39) & ~(PAGE - 1)
    with kernel.boot(f"test=unmap_tables u={u:#x} u2={u2:#x} k={k:#x}", dead_ends=STUBS) as m:
        free = int(m.expect(r"^unmap_tables: free frames (\d+)$").group(1))
        frames = {}
        for name, made in (("u", 3), ("u2", 0), ("k", 2)):
            r = m.expect(rf"^unmap_tables: vmm_map\({name}\) = (-?\d+), frame 0x([0-9a-f]{{16}}), "
                         r"free frames (\d+)$", what=f"unmap_tables: vmm_map({name}) = 0, ...")
            check(r.group(1) == "0", f"vmm_map({name}) = 0", r.group(1))
            frames[name] = int(r.group(2), 16)
            check(free - int(r.group(3)) == made, f"vmm_map(0x{[u, u2, k][len(frames) - 1]:x}): "
                  f"{made} tables made", free - int(r.group(3)))
            free = int(r.group(3))
        m.expect_line("ktest: hold")
        cr3 = live_cr3(m)
        pu, pu2, pk = (path_outside(m, cr3, va) for va in (u, u2, k))
        check(len(pu) == 4 and len(pk) == 4, "u and k mapped by 4 KiB pages (a PT entry)",
              f"walks of {len(pu)} and {len(pk)} levels")
        for level, _, e in pu[:3]:
            expect_entry(e, e & PTE_ADDR | PTE_P | PTE_W | PTE_U,
                         f"u 0x{u:x}: the level-{level} entry, to a table the user may reach")
        for level, _, e in pk[1:3]:
            expect_entry(e, e & PTE_ADDR | PTE_P | PTE_W,
                         f"k 0x{k:x}: the level-{level} entry, to a kernel-only table")
        expect_entry(pu[3][2], frames["u"] | PTE_P | PTE_W | PTE_U | PTE_NX, f"u 0x{u:x}: its PT entry",
                     PTE_A | PTE_D)
        expect_entry(pu2[-1][2], frames["u2"] | PTE_P | PTE_W | PTE_NX, f"u2 0x{u2:x}: its PT entry",
                     PTE_A | PTE_D)
        expect_entry(pk[3][2], frames["k"] | PTE_P | PTE_W | PTE_NX | PTE_G,
                     f"k 0x{k:x}: its PT entry", PTE_A | PTE_D)
        m.send("\n")

        r = m.expect(r"^unmap_tables: vmm_unmap\(u\) = (-?\d+), frame 0x([0-9a-f]{16}), free frames (\d+)$")
        check(r.group(1) == "0" and int(r.group(2), 16) == frames["u"],
              f"vmm_unmap(0x{u:x}) = 0, frame 0x{frames['u']:016x}", r.group(0))
        check(int(r.group(3)) == free, f"no table freed by vmm_unmap(0x{u:x}): u2 0x{u2:x} shares "
              f"its PT ({free} frames free)", r.group(3))
        m.expect_line("ktest: hold")
        expect_entry(read_entry(m, pu[3][1] & ~(PAGE - 1), index(u, 0)), 0, f"u 0x{u:x}: its PT entry")
        for (level, at, e) in pu2:
            expect_entry(int.from_bytes(m.read_phys(at, 8), "little"), e,
                         f"u2 0x{u2:x}: its level-{level} entry, unchanged", PTE_A | PTE_D)
        m.send("\n")

        for name, freed in (("u2", 3), ("k", 2)):
            r = m.expect(rf"^unmap_tables: vmm_unmap\({name}\) = (-?\d+), frame 0x([0-9a-f]{{16}}), "
                         r"free frames (\d+)$")
            check(r.group(1) == "0" and int(r.group(2), 16) == frames[name],
                  f"vmm_unmap({name}) = 0, frame 0x{frames[name]:016x}", r.group(0))
            check(int(r.group(3)) - free == freed, f"vmm_unmap({name}): {freed} tables freed",
                  int(r.group(3)) - free)
            free = int(r.group(3))
        m.expect_line("ktest: hold")
        expect_entry(read_entry(m, cr3, index(u, 3)), 0,
                     f"PML4[{index(u, 3)}] (u's PDPT, freed): cleared")
        expect_entry(read_entry(m, cr3, index(k, 3)), pk[0][2],
                     f"PML4[{index(k, 3)}] (k's PDPT, shared by every address space): unchanged")
        expect_entry(read_entry(m, pk[1][1] & ~(PAGE - 1), index(k, 2)), 0,
                     f"k's PDPT entry {index(k, 2)} (its PD, freed): cleared")
        m.send("\n")
        m.expect_line("ktest unmap_tables: ok")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_write_rodata(kernel):
    """A write to .rodata: #PF, protection violation on a write, at that
    address. Catches .rodata mapped writable along with .data, a leaf_bits that
    sets W whatever the flags say, and section ranges taken from the wrong
    symbols so that the target's page lands in a writable range (the write does
    not fault)."""
    syms = kernel_symbols(kernel.elf)
    target = syms["ktest_rodata_target"][0]
    with kernel.boot("test=write_rodata", dead_ends=STUBS) as m:
        expect_exception(m, syms, "Page fault", "PF", 14)
        m.expect_line("  error code 0x3: protection violation, write, kernel mode")
        m.expect_line(f"  cr2=0x{target:016x}")
        expect_panic_exit(m)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_exec_nx(kernel):
    """Jumping into .data or onto the stack: #PF with the instruction-fetch
    bit. Catches a leaf_bits that never sets NX (or sets it in the wrong bit)
    when VM_EXEC is absent, and the kernel image mapped as one executable range
    so that .data and the boot stack in .bss can be run (the call does not
    fault, or faults elsewhere)."""
    syms = kernel_symbols(kernel.elf)
    stack = (syms["boot_stack_guard"][0] + PAGE, syms["boot_stack_top"][0])
    for test, where in (("exec_data", "data"), ("exec_stack", "stack")):
        with kernel.boot(f"test={test}", dead_ends=STUBS) as m:
            rip = expect_exception(m, syms, "Page fault", "PF", 14)
            m.expect_line("  error code 0x11: protection violation, read, kernel mode, instruction fetch")
            cr2 = int(m.expect(r"^  cr2=0x([0-9a-f]{16})$").group(1), 16)
            expect_panic_exit(m)
        check(cr2 == rip, f"{where}: cr2 equal to rip (the fetch itself faulted)", f"cr2 0x{cr2:x} rip 0x{rip:x}")
        if where == "data":
            check(cr2 == syms["ktest_data_target"][0], "cr2 at ktest_data_target", hex(cr2))
        else:
            check(stack[0] <= cr2 < stack[1], "cr2 on the boot stack", hex(cr2))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4, 5)
def test_protect(kernel):
    """vmm_protect on the live tables: a page at an address the grader draws
    (either half) is mapped writable and written (the CPU sets accessed and
    dirty), given a software bit, then protected with flags the grader
    draws; its entry, read through QMP, must have W, NX and U as asked and
    the frame and every other bit as they were. Nothing mapped, or a 2 MiB
    page: -ENOENT, the large page untouched. Last, a page written while
    writable, then protected read-only, is written again: #PF at that
    address. Catches: bits other than the permissions lost or changed, the
    wrong permissions, a large page changed, and no invlpg (the TLB keeps
    the page writable)."""
    syms = kernel_symbols(kernel.elf)
    if rng.randrange(2):
        a = rng.randrange(USER_MIN_ADDR, USER_TOP - 2 * PAGE) & ~(PAGE - 1)
        flags = rng.randrange(4) | VM_USER * rng.randrange(2)
    else:
        a = KTEST_WINDOW + rng.randrange(1 << 38) & ~(PAGE - 1)
        flags = rng.randrange(4)
    b = KTEST_WINDOW + (1 << 38) + rng.randrange(1 << 38) & ~(PAGE - 1)
    with kernel.boot(f"test=protect a={a:#x} flags={flags} b={b:#x}", dead_ends=STUBS) as m:
        r = m.expect(rf"^protect: vmm_protect\(a, {flags}\) = (-?\d+), frame 0x([0-9a-f]{{16}})$",
                     what=f"protect: vmm_protect(a, {flags}) = 0, frame 0x...")
        check(r.group(1) == "0", f"vmm_protect(0x{a:x}, {flags}) = 0", r.group(1))
        frame = int(r.group(2), 16)
        expect_answer(m, "protect: vmm_protect(a + 4096) =", -ENOENT,
                      f"vmm_protect(0x{a + PAGE:x}): nothing mapped")
        expect_answer(m, "protect: vmm_protect(the direct map) =", f"{-ENOENT}, its entry unchanged",
                      "vmm_protect in the direct map (2 MiB pages)")
        m.expect_line("ktest: hold")
        leaf = path_outside(m, live_cr3(m), a)[-1]
        want = (frame | PTE_P | PTE_A | PTE_D | PTE_AVL | (PTE_W if flags & VM_WRITE else 0)
                | (0 if flags & VM_EXEC else PTE_NX) | (PTE_U if flags & VM_USER else 0)
                | (PTE_G if a >= USER_TOP else 0))
        check(leaf[0] == 0, f"0x{a:x} mapped by a 4 KiB page", f"a level-{leaf[0]} leaf")
        expect_entry(leaf[2], want, f"0x{a:x}'s entry after vmm_protect(flags {flags}): the frame, "
                     "accessed, dirty and bit 9 kept", 0)
        m.send("\n")
        m.expect_line(f"protect: writing to 0x{b:016x}, read-only now")
        expect_exception(m, syms, "Page fault", "PF", 14)
        m.expect_line("  error code 0x3: protection violation, write, kernel mode")
        m.expect_line(f"  cr2=0x{b:016x}")
        expect_panic_exit(m)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_null_deref(kernel):
    """Reading address 0: #PF, page not present (the kernel's tables leave
    the user half empty), cr2 = 0. Catches new kernel tables that keep the boot
    tables' identity map of low memory, or that copy all of the boot PML4
    instead of only building the kernel half, so the read of address 0 succeeds
    instead of faulting."""
    syms = kernel_symbols(kernel.elf)
    with kernel.boot("test=null", dead_ends=STUBS) as m:
        expect_exception(m, syms, "Page fault", "PF", 14)
        m.expect_line("  error code 0x0: page not present, read, kernel mode")
        m.expect_line("  cr2=0x0000000000000000")
        expect_panic_exit(m)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_guard_overflow(kernel):
    """Recursion off the boot stack hits its guard page: reported as a stack
    overflow. Catches a vmm_unmap that reports success but leaves the guard
    page's entry present (the recursion runs on into the memory below the
    stack), and one that fails on the guard page so it is never registered (no
    'KERNEL STACK OVERFLOW' line)."""
    syms = kernel_symbols(kernel.elf)
    guard = syms["boot_stack_guard"][0]
    with kernel.boot("test=guard_overflow", dead_ends=STUBS) as m:
        g = m.expect(r"^KERNEL STACK OVERFLOW: 0x([0-9a-f]{16}) is in the guard page below the boot stack$",
                     what="KERNEL STACK OVERFLOW: 0x... is in the guard page below the boot stack")
        addr = int(g.group(1), 16)
        check(guard <= addr < guard + PAGE, f"an address in boot_stack_guard (0x{guard:x})", hex(addr))
        expect_exception(m, syms, "Double fault", "DF", 8)
        expect_panic_exit(m)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_map_gib(kernel):
    """Map 1 GiB of fresh pages and unmap it: every frame, tables too, comes
    back. Catches a vmm_unmap that never frees the tables it empties (about 513
    frames missing after), a pt_walk with create that makes a new table even
    when one is present (memory runs out before 1 GiB is mapped), and a
    vmm_unmap that hands back a frame with flag bits or the wrong frame
    (pmm_free panics or the count is off)."""
    with kernel.boot("test=map_gib", mem="1200M", dead_ends=STUBS) as m:
        r = m.expect(r"^map_gib: (\d+) pages; free frames before (\d+), while mapped (\d+), after (\d+)$",
                     timeout=60)
        m.expect_exit(SUCCESS)
    pages, before, low, after = map(int, r.groups())
    check(pages == 262144 and before - low >= pages, "262144 frames in use while mapped",
          f"{before - low}")
    check(after == before, f"{before} frames free after unmapping", after)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_high_memory(kernel):
    """With RAM above 4 GiB (-m drawn between 4.5 and 6 GiB): the direct map
    covers all of it, read/write, as QEMU sees the live tables (QMP `info
    mem`); the allocator manages it (meminfo's frame count against the map).
    Catches a memory map whose base or length is kept in 32 bits (the RAM above
    4 GiB lost, so the direct map and the frame count fall short), and pt_walk
    making intermediate entries without PTE_W (the direct map not '-rw')."""
    mem = rng.randrange(4608, 6145, 256) << 20
    boot_text, text, f, info_mem = boot_meminfo(kernel, mem, [1, 2, 3, 4])
    check_map(boot_text, mem)
    check_frame_count(boot_text, text, f)
    top = -(-max(b for a, b, _ in regions(boot_text, "usable")) // (2 << 20)) * (2 << 20)
    want = f"{DIRECT_MAP_BASE:016x}-{DIRECT_MAP_BASE + top:016x} {top:016x} -rw"
    check(want in info_mem.splitlines(), f"the direct map in `info mem`: {want}",
          [line for line in info_mem.splitlines() if line.startswith("ffff8")] or info_mem.splitlines())


# ---- challenge 1: 2 MiB pages ------------------------------------------------------


def range_layout(va, pa, length):
    """{2 MiB chunk start: None if vmm_map_range must map it with one 2 MiB
    page, else [the 4 KiB pages of the range in it]} for [va, va + length)."""
    chunks = {}
    v = va
    while v < va + length:
        c = v & ~(LARGE - 1)
        if v == c and (pa + v - va) % LARGE == 0 and va + length - v >= LARGE:
            chunks[c] = None
            v += LARGE
        else:
            chunks.setdefault(c, []).append(v)
            v += PAGE
    return chunks


def check_range_mapped(m, cr3, name, va, pa, length, bits, only=None):
    """The live tables map [va, va + length) to [pa, ...) as range_layout
    says, with bits; nothing else in the chunks it touches, nor in the
    pages on either side. With only (an address), the range must instead
    be unmapped except for that one page (bits: its whole entry)."""
    for c, pages in sorted(range_layout(va, pa, length).items()):
        pde = ([e for level, _, e in path_outside(m, cr3, c) if level == 1] or [0])[0]
        if only is None and pages is None:
            check(pde & PTE_P and pde & PTE_PS, f"{name}: 0x{c:x} mapped by a 2 MiB page (its "
                  "virtual and physical addresses both 2 MiB aligned)", f"PD entry 0x{pde:016x}")
            expect_entry(pde, pa + c - va | bits | PTE_PS, f"{name}: the PD entry of 0x{c:x}",
                         PTE_A | PTE_D)
            continue
        if not pde & PTE_P:
            check(only is not None and only & ~(LARGE - 1) != c,
                  f"{name}: 4 KiB pages mapped at 0x{c:x}", "no page table there")
            continue
        check(not pde & PTE_PS, f"{name}: 4 KiB pages at 0x{c:x}" + (
              " (a 2 MiB page would need 2 MiB-aligned virtual and physical addresses and "
              "2 MiB of the range left)" if only is None else ""), f"a 2 MiB page 0x{pde:016x}")
        pt = read_table(m, pde & PTE_ADDR)
        for i, e in enumerate(pt):
            v = c + i * PAGE
            if only is not None:
                want = bits if v == only else 0
            else:
                want = pa + v - va | bits if v in pages else 0
            expect_entry(e, want, f"{name}: the PT entry of 0x{v:x}", PTE_A | PTE_D)
    for v in (va - PAGE, va + length):
        if only is None or v != only:
            check(translate_outside(m, cr3, v) is None, f"{name}: 0x{v:x}, just outside, not mapped",
                  translate_outside(m, cr3, v))


@pytest.mark.points(10)
@pytest.mark.challenge(1)
def test_map_range(kernel):
    """Challenge 1: vmm_map_range on the live tables at regions the grader
    draws, read through QMP: r1 with virtual and physical addresses equal
    modulo 2 MiB (4 KiB pages up to a 2 MiB boundary, 2 MiB pages while
    2 MiB remain, 4 KiB pages after), r2 with addresses that never align
    (4 KiB pages only); vmm_translate inside them; r3 ending on a page
    mapped already: -EEXIST, and nothing of r3 left mapped. vmm_unmap_range
    refuses to cut r1's 2 MiB page (-EINVAL, left whole), then unmaps r1
    (its 4 KiB tail first, its 2 MiB pages last) and r2: nothing left,
    every table freed. Catches: a 2 MiB page where
    the physical address is not aligned or the range too short, 4 KiB pages
    where a 2 MiB page fits, the range overrun, a failed map leaving pages
    behind, a large page unmapped in part, tables leaked."""
    slots = rng.sample(range(64), 3)
    regions = []
    for i, slot in enumerate(slots):
        base = KTEST_WINDOW + slot * GIB + rng.randrange(1, 64) * LARGE
        off = rng.randrange(512) * PAGE
        va = base + off
        if i == 1:                          # never aligned together, a whole 2 MiB inside
            pa = rng.randrange(8, 40) * LARGE + (off + rng.randrange(1, 512) * PAGE) % LARGE
            length = (LARGE - off) % LARGE + LARGE * rng.randint(1, 2) + rng.randrange(512) * PAGE
        else:
            pa = rng.randrange(8, 40) * LARGE + off
            length = (LARGE - off) % LARGE + LARGE * rng.randint(1, 3) + rng.randrange(1, 512) * PAGE
        regions.append((va, pa, length))
    first_large = -(-regions[0][0] // LARGE) * LARGE
    cut = first_large + rng.randrange(1, 512) * PAGE
    split = (regions[0][0] + regions[0][2]) & ~(LARGE - 1)   # the end of r1's last 2 MiB page
    args = " ".join(f"va{i}={va:#x} pa{i}={pa:#x} len{i}={n:#x}"
                    for i, (va, pa, n) in enumerate(regions, 1))
    with kernel.boot(f"test=map_range {args} cut={cut:#x} split={split:#x}", dead_ends=STUBS) as m:
        for i, (va, pa, length) in enumerate(regions[:2], 1):
            expect_answer(m, f"map_range: vmm_map_range(r{i}) =", 0,
                          f"vmm_map_range(0x{va:x}, 0x{pa:x}, 0x{length:x})")
            for off in range(0, length, length // 4 + 1):
                expect_answer(m, f"map_range: r{i} + {off} ->", f"0x{pa + off:016x}",
                              f"vmm_translate(0x{va + off:x})")
        va3, pa3, len3 = regions[2]
        expect_answer(m, "map_range: vmm_map_range(r3) =", -EEXIST,
                      f"vmm_map_range(0x{va3:x}, 0x{pa3:x}, 0x{len3:x}) over the page mapped at "
                      f"0x{va3 + len3 - PAGE:x}")
        expect_answer(m, "map_range: vmm_unmap_range(cut) =", -EINVAL,
                      f"vmm_unmap_range(0x{cut:x}, 4096), inside the 2 MiB page at 0x{first_large:x}")
        m.expect_line("ktest: hold")
        cr3 = live_cr3(m)
        for i, (va, pa, length) in enumerate(regions[:2], 1):
            bits = PTE_P | PTE_NX | PTE_G | (PTE_W if i == 1 else 0)
            check_range_mapped(m, cr3, f"r{i} 0x{va:x}-0x{va + length:x}", va, pa, length, bits)
        last = va3 + len3 - PAGE
        t = translate_outside(m, cr3, last)
        check(t is not None, f"r3: the page mapped before at 0x{last:x} still mapped", "not mapped")
        check_range_mapped(m, cr3, f"r3 0x{va3:x}-0x{va3 + len3:x} after -EEXIST", va3, pa3, len3,
                           t[0] | PTE_P | PTE_W | PTE_NX | PTE_G, only=last)
        m.send("\n")
        va1, _, len1 = regions[0]
        for what, start, end in (("r1 from split", split, va1 + len1), ("r1 up to split", va1, split),
                                 ("r2", regions[1][0], regions[1][0] + regions[1][2])):
            expect_answer(m, f"map_range: vmm_unmap_range({what}) =", 0,
                          f"vmm_unmap_range(0x{start:x}, 0x{end - start:x})")
        e = m.expect(r"^map_range: free frames before (\d+), after (\d+)$")
        check(e.group(1) == e.group(2), "every table freed: as many free frames as before",
              e.group(0))
        m.expect_line("ktest: hold")
        for i, (va, pa, length) in enumerate(regions, 1):
            for v in range(va & ~(LARGE - 1), va + length, LARGE):
                path = path_outside(m, cr3, v)
                check(len(path) == 2 and not path[-1][2] & PTE_P,
                      f"r{i}: nothing left at 0x{v:x}, its PD freed (PDPT entry clear)",
                      f"a level-{path[-1][0]} entry 0x{path[-1][2]:016x}")
        m.send("\n")
        m.expect_line("ktest map_range: ok")
        m.expect_exit(SUCCESS)
