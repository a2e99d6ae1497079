"""Lab 4 graders: the kernel heap (handouts/lab4-heap.md, §5).

Sizes, counts, seeds and the heap cap are drawn at random here; pointers the
kernel prints are checked here for alignment and overlap; panics must name
the kmalloc call site that the grader finds in the source itself. Exercises
1 and 3 are also graded without exercise 2: the split, merge and release
tests run the heap core on blocks laid out by the test, and the grader
computes the layout they must leave.
"""

import re

import pytest

from checks import check, rng
from gradelib import FAILURE, ROOT, SUCCESS

STUBS = [(r"\(LAB [34], exercises? [\d-]+", "the kernel printed: {line}")]
SOURCE = ROOT / "kernel" / "tests" / "lab4.c"
MIN_BLOCK, HEADER, REDZONE, FOOTER, TRIM_KEEP, PAGE = 64, 32, 8, 16, 16 * 4096, 4096
CORE_CASES = 8


def kmalloc_line(function):
    """The line of the kmalloc call in a test function of lab4.c."""
    lines = SOURCE.read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if f"KTEST({function}," in l)
    return next(i + 1 for i in range(start, len(lines)) if "kmalloc(" in lines[i])


def block_size(lo, hi):
    """A block size (a multiple of 16) in [lo, hi]."""
    return rng.randrange(lo, hi + 1, 16)


def layout(blocks, free_bytes):
    """A heap layout as the core tests print it: SIZE/STATE[/bin] ...; free N."""
    return " ".join(blocks) + f"; free {free_bytes}"


def expect_layouts(kernel, cmdline, wants):
    """Boot test=... and check each (line prefix, expected rest) in order."""
    with kernel.boot(cmdline, dead_ends=STUBS) as m:
        for prefix, want in wants:
            got = m.expect(rf"^{re.escape(prefix)} ?(.*)$", what=f"{prefix} {want}").group(1)
            check(got == want, f"{prefix} {want}", got)
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(1)
def test_split(kernel):
    """split_block on blocks the test lays out (no kmalloc needed), sizes
    drawn at random: the block cut to the size asked for and the rest a free
    block in its bin, or the block left whole when the rest is under 64
    bytes; used or free kept; footers right."""
    cases = []
    for i in range(CORE_CASES):
        need = block_size(MIN_BLOCK, 2048)
        # Odd cases leave too little to split off; case 0 just enough.
        rest = rng.randrange(0, MIN_BLOCK, 16) if i % 2 else MIN_BLOCK if i == 0 else block_size(MIN_BLOCK, 4096)
        cases.append((need + rest, need, rng.randrange(2)))
    wants = []
    for size, need, used in cases:
        state = "used" if used else "free"
        if size - need >= MIN_BLOCK:
            blocks = [f"{need}/{state}", f"{size - need}/free/bin", "64/used"]
            wants.append((f"split {size} to {need}:", layout(blocks, size - need)))
        else:
            wants.append((f"split {size} to {need}:", layout([f"{size}/{state}", "64/used"], 0)))
    lists = {k: ",".join(str(c[j]) for c in cases) for j, k in enumerate(("sizes", "needs", "used"))}
    expect_layouts(kernel, "test=heap_split " + " ".join(f"{k}={v}" for k, v in lists.items()), wants)


# heap_merge's cases (lab4.c): the block before and after the one merged,
# free, used, or none (the start or the end of the heap).
MERGE_CASES = [("free", "free"), ("free", "used"), ("used", "free"), ("used", "used"),
               (None, "free"), ("free", None), (None, None), ("used", None)]


@pytest.mark.points(10)
@pytest.mark.exercise(1)
def test_merge(kernel):
    """coalesce on a free block between free or used neighbours, or at the
    heap's start or end, sizes drawn at random: the block returned where
    the merged one starts, one free block in no bin covering the free
    neighbours, taken out of their bins; used blocks untouched."""
    sizes = [[block_size(MIN_BLOCK, 4096) for _ in range(3)] for _ in MERGE_CASES]
    wants = []
    for i, ((before, after), (prev, size, nxt)) in enumerate(zip(MERGE_CASES, sizes)):
        blocks, start = [], 0
        if before:
            blocks.append("64/used")
            start = 64
            if before == "used":
                blocks.append(f"{prev}/used")
                start += prev
        merged = size + (prev if before == "free" else 0) + (nxt if after == "free" else 0)
        blocks.append(f"{merged}/free")
        if after == "used":
            blocks.append(f"{nxt}/used")
        if after:
            blocks.append("64/used")
        wants.append((f"merge case {i}:", f"returned the block at offset {start}; " + layout(blocks, 0)))
    lists = {k: ",".join(str(s[j]) for s in sizes) for j, k in enumerate(("prev", "block", "next"))}
    expect_layouts(kernel, "test=heap_merge " + " ".join(f"{k}={v}" for k, v in lists.items()), wants)


@pytest.mark.points(10)
@pytest.mark.exercise(3)
def test_release(kernel):
    """The free path (release_block through heap_free) on blocks the test
    lays out, of random sizes, with used neighbours (no merging needed):
    the block free, its payload poisoned, in its bin; at the end of the heap
    a big one gives its pages beyond 64 KiB back, a small one none."""
    sizes = [block_size(MIN_BLOCK, 8192), block_size(TRIM_KEEP + 64, 1 << 18),
             block_size(MIN_BLOCK, 16384)]
    requested = [rng.randint(1, s - HEADER - REDZONE - FOOTER) for s in sizes]
    keep = -(-(64 + TRIM_KEEP) // PAGE) * PAGE
    wants = [
        ("release case 0:", f"heap_free = 0, payload poisoned, brk at offset {128 + sizes[0]}, "
         f"nothing given back; " + layout(["64/used", f"{sizes[0]}/free/bin", "64/used"], sizes[0])),
        ("release case 1:", f"heap_free = 0, payload poisoned, brk at offset {keep}, pages given back; "
         + layout(["64/used", f"{keep - 64}/free/bin"], keep - 64)),
        ("release case 2:", f"heap_free = 0, payload poisoned, brk at offset {64 + sizes[2]}, "
         f"nothing given back; " + layout(["64/used", f"{sizes[2]}/free/bin"], sizes[2])),
    ]
    expect_layouts(kernel, f"test=heap_release sizes={','.join(map(str, sizes))} "
                   f"requested={','.join(map(str, requested))}", wants)


@pytest.mark.points(10)
@pytest.mark.exercise(2)
def test_basic(kernel):
    """Allocate, write, read, free; kmalloc(0), kfree(NULL), kcalloc, krealloc."""
    with kernel.boot("test=heap_basic", dead_ends=STUBS) as m:
        m.expect_line("heap_basic: all checks passed")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(2)
def test_alignment(kernel):
    """Every pointer 16-byte aligned; no two blocks overlap."""
    count = rng.randint(50, 200)
    with kernel.boot(f"test=heap_align seed={rng.randrange(1, 1 << 60)} count={count}",
                     dead_ends=STUBS) as m:
        m.expect_exit(SUCCESS)
    blocks = [(int(a, 16), int(n)) for n, a in
              re.findall(r"^align: (\d+) bytes at 0x([0-9a-f]{16})$", m.text, re.MULTILINE)]
    check(len(blocks) == count, f"{count} lines 'align: N bytes at 0x...'", len(blocks))
    for addr, size in blocks:
        check(addr, f"kmalloc({size}) returning a pointer", "NULL")
        check(addr % 16 == 0, "16-byte aligned pointers", f"0x{addr:x} for {size} bytes")
    blocks.sort()
    for (a1, n1), (a2, _) in zip(blocks, blocks[1:]):
        check(a1 + n1 <= a2, "disjoint blocks", f"0x{a1:x}+{n1} overlaps 0x{a2:x}")


@pytest.mark.points(15)
@pytest.mark.exercise(1, 2, 3)
def test_stress(kernel):
    """100,000 random allocs, frees and reallocs of 1 B to 64 KiB, contents checked."""
    ops = 100000
    with kernel.boot(f"test=heap_stress seed={rng.randrange(1, 1 << 60)} ops={ops}",
                     dead_ends=STUBS) as m:
        r = m.expect(r"^heap_stress: ops (\d+), errors (\d+), peak blocks (\d+), heap pages (\d+), "
                     r"free frames before (\d+), after (\d+)$", timeout=60)
        m.expect_exit(SUCCESS)
    done, errors, peak, pages, before, after = map(int, r.groups())
    check(done == ops, f"{ops} operations", done)
    check(errors == 0, "no block ever loses its contents", f"{errors} corrupted blocks")
    check(abs(before - after) <= 24, f"about {before} free frames after freeing everything "
          "(the heap may keep 16 pages and their tables)", after)


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3)
def test_coalesce(kernel):
    """Fragment the heap, free it all: a big block fits where the small ones were."""
    count, size = rng.randint(100, 600), rng.randint(32, 512)
    with kernel.boot(f"test=heap_coalesce count={count} size={size}", dead_ends=STUBS) as m:
        r = m.expect(r"^heap_coalesce: heap pages (\d+) before, (\d+) after the big allocation; "
                     r"big block at 0x([0-9a-f]{16}), first block was at 0x([0-9a-f]{16})$")
        m.expect_exit(SUCCESS)
    check(r.group(1) == r.group(2), "no growth: the freed blocks merged into one", r.group(0))
    check(r.group(3) == r.group(4), "the big block where the first small one was", r.group(0))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3)
def test_out_of_memory(kernel):
    """With a capped heap, kmalloc returns NULL; after frees it works again."""
    cap, size = rng.randint(64, 512) * 4096, rng.randint(500, 4000)
    with kernel.boot(f"test=heap_oom size={size} heapmax={cap}", dead_ends=STUBS) as m:
        r = m.expect(r"^heap_oom: NULL after (\d+) blocks of (\d+) bytes \(heap pages (\d+)\)$")
        m.expect_line("heap_oom: after freeing, kmalloc works again")
        m.expect_exit(SUCCESS)
    n, pages = int(r.group(1)), int(r.group(3))
    check(n * size <= cap and pages * 4096 <= cap, f"at most {cap} bytes (heapmax)",
          f"{n} blocks of {size}, {pages} pages")
    check((n + 1) * (size + 64) > cap * 0.9, f"NULL only near the cap of {cap} bytes",
          f"{n} blocks of {size}")


def expect_heap_panic(kernel, test, what):
    """test=TEST with a random size panics: "kfree(0x...): WHAT... (SIZE bytes
    allocated at kernel/tests/lab4.c:LINE)", LINE being its kmalloc's."""
    size = rng.randint(1, 5000)
    line = kmalloc_line(test)
    site = f"({size} bytes allocated at kernel/tests/lab4.c:{line})"
    with kernel.boot(f"test={test} size={size}", dead_ends=STUBS) as m:
        m.expect(rf"^PANIC at .*kfree\(0x[0-9a-f]+\): {what}.* {re.escape(site)}$",
                 what=f"PANIC at ...: kfree(0x...): {what}... {site}")
        m.expect_exit(FAILURE)


@pytest.mark.points(10)
@pytest.mark.exercise(2, 3)
def test_double_free(kernel):
    """A second kfree panics naming the block and its kmalloc site."""
    expect_heap_panic(kernel, "heap_double_free", "double free")


@pytest.mark.points(10)
@pytest.mark.exercise(2)
def test_overflow(kernel):
    """One byte written past the end: kfree panics naming the kmalloc site."""
    expect_heap_panic(kernel, "heap_overflow", "heap overflow")


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3)
def test_frames_back(kernel):
    """Several MiB allocated and freed: the heap gives every frame back."""
    with kernel.boot(f"test=heap_frames seed={rng.randrange(1, 1 << 60)} count={rng.randint(200, 1000)}",
                     dead_ends=STUBS) as m:
        r = m.expect(r"^heap_frames: free frames before (\d+), while allocated (\d+), after (\d+); "
                     r"heap pages before (\d+), after (\d+)$")
        m.expect_exit(SUCCESS)
    before, during, after, _, pages_after = map(int, r.groups())
    check(before - during >= 100, "the heap grew by mapping frames", f"{before - during} frames")
    check(abs(after - before) <= 24, f"{before} free frames again (within the 16 pages the heap "
          "keeps, and their tables)", after)
    check(pages_after <= 17, "an empty heap keeps at most 16 pages (+1)", pages_after)
