"""Lab 3 graders: memory (handouts/lab3-memory.md, §5).

The memory map is checked against the layout QEMU's q35 machine gives the
RAM size the grader picks; frame counts against that map; addresses are
drawn at random; fault addresses come from the kernel's symbol table.
"""

import re

import pytest

from checks import check, expect_exception, expect_panic_exit, rng
from gradelib import FAILURE, SUCCESS, kernel_symbols

STUBS = [(r"\(LAB 3, exercises? [\d-]+", "the kernel printed: {line}")]
GIB = 1 << 30
PAGE = 4096
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


@pytest.mark.points(10)
def test_memory_map(kernel):
    """The map and totals for -m 64M, 512M and 5G (RAM above 4 GiB), and the
    allocator's frame count against the map."""
    for mem in (64 << 20, 512 << 20, 5 * GIB):
        with kernel.boot(mem=f"{mem >> 20}M", dead_ends=STUBS) as m:
            m.expect_prompt()
            m.send("meminfo\r")
            f = m.expect(r"^frames: (\d+) free, (\d+) used, (\d+) in all")
            m.send("poweroff\r")
            m.expect_exit(SUCCESS)
        boot_text = m.text[:m.text.index("K> ")]
        check_map(boot_text, mem)
        usable = regions(boot_text, "usable")
        reserved = [(int(a, 16), int(b, 16)) for a, b in re.findall(RESERVED_RE, m.text, re.MULTILINE)]
        want = managed_frames(usable, reserved)
        check(int(f.group(3)) == want, f"{want} frames managed (usable RAM minus reserved ranges)",
              f.group(0))


@pytest.mark.points(15)
def test_frames_all(kernel):
    """Allocate every frame, check each, free them all: the count comes back."""
    mem = rng.choice([64, 128, 256]) << 20
    with kernel.boot(f"test=frames_all seed={rng.randrange(1, 1 << 62)}", mem=f"{mem >> 20}M",
                     dead_ends=STUBS) as m:
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


@pytest.mark.points(10)
def test_frames_blocks(kernel):
    """Blocks of random orders: aligned to their size, disjoint, in usable RAM."""
    count = rng.randint(40, 100)
    with kernel.boot(f"test=frames_blocks seed={rng.randrange(1, 1 << 62)} count={count}",
                     mem="512M", dead_ends=STUBS) as m:
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
def test_bad_free(kernel):
    """A double free, and a free of a reserved frame or inside a block, panic by name."""
    messages = {"double": "double free", "reserved": "free of a reserved frame",
                "inside": "inside the block that starts at"}
    for what in ("double", rng.choice(["reserved", "inside"])):
        with kernel.boot(f"test=bad_free what={what}", dead_ends=STUBS) as m:
            m.expect(rf"^PANIC at .*pmm_free\(0x[0-9a-f]+\): .*{messages[what]}",
                     what=f"PANIC at ...: pmm_free(0x...): ...{messages[what]}...")
            m.expect_exit(FAILURE)


@pytest.mark.points(15)
def test_map_translate(kernel):
    """map, translate, protect, unmap at addresses the grader picks; tables freed."""
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
            m.expect_line(f"map: 0x{va:016x} protected: read-only")
            m.expect_line(f"map: 0x{va:016x} unmapped: not mapped")
        e = m.expect(r"^map: free frames before (\d+), after (\d+)$")
        m.expect_exit(SUCCESS)
    check(e.group(1) == e.group(2), "every frame back, page tables included", e.group(0))


@pytest.mark.points(10)
def test_write_rodata(kernel):
    """A write to .rodata: #PF, protection violation on a write, at that address."""
    syms = kernel_symbols(kernel.elf)
    target = syms["ktest_rodata_target"][0]
    with kernel.boot("test=write_rodata", dead_ends=STUBS) as m:
        expect_exception(m, syms, "Page fault", "PF", 14)
        m.expect_line("  error code 0x3: protection violation, write, kernel mode")
        m.expect_line(f"  cr2=0x{target:016x}")
        expect_panic_exit(m)


@pytest.mark.points(10)
def test_exec_nx(kernel):
    """Jumping into .data or onto the stack: #PF with the instruction-fetch bit."""
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
def test_null_deref(kernel):
    syms = kernel_symbols(kernel.elf)
    with kernel.boot("test=null", dead_ends=STUBS) as m:
        expect_exception(m, syms, "Page fault", "PF", 14)
        m.expect_line("  error code 0x0: page not present, read, kernel mode")
        m.expect_line("  cr2=0x0000000000000000")
        expect_panic_exit(m)


@pytest.mark.points(10)
def test_guard_overflow(kernel):
    """Recursion off the boot stack hits its guard page: reported as a stack overflow."""
    syms = kernel_symbols(kernel.elf)
    guard = syms["boot_stack_guard"][0]
    with kernel.boot("test=guard_overflow", dead_ends=STUBS) as m:
        g = m.expect(r"^KERNEL STACK OVERFLOW: 0x([0-9a-f]{16}) is in the guard page below the boot stack$",
                     what="KERNEL STACK OVERFLOW: 0x... is in the guard page below the boot stack")
        addr = int(g.group(1), 16)
        check(guard <= addr < guard + PAGE, f"an address in boot_stack_guard (0x{guard:x})", hex(addr))
        expect_exception(m, syms, "Double fault", "DF", 8)
        expect_panic_exit(m)


@pytest.mark.points(10)
def test_map_gib(kernel):
    """Map 1 GiB of fresh pages and unmap it: every frame, tables too, comes back."""
    with kernel.boot("test=map_gib", mem="1200M", dead_ends=STUBS) as m:
        r = m.expect(r"^map_gib: (\d+) pages; free frames before (\d+), while mapped (\d+), after (\d+)$",
                     timeout=60)
        m.expect_exit(SUCCESS)
    pages, before, low, after = map(int, r.groups())
    check(pages == 262144 and before - low >= pages, "262144 frames in use while mapped",
          f"{before - low}")
    check(after == before, f"{before} frames free after unmapping", after)
