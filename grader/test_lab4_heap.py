"""Lab 4 graders: the kernel heap (handouts/lab4-heap.md, §5).

Sizes, counts, seeds and the heap cap are drawn at random here; pointers the
kernel prints are checked here for alignment and overlap; panics must name
the kmalloc call site that the grader finds in the source itself.
"""

import re

import pytest

from checks import check, rng
from gradelib import FAILURE, ROOT, SUCCESS

STUBS = [(r"\(LAB [34], exercises? [\d-]+", "the kernel printed: {line}")]
SOURCE = ROOT / "kernel" / "tests" / "lab4.c"


def kmalloc_line(function):
    """The line of the kmalloc call in a test function of lab4.c."""
    lines = SOURCE.read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if f"KTEST({function}," in l)
    return next(i + 1 for i in range(start, len(lines)) if "kmalloc(" in lines[i])


@pytest.mark.points(10)
def test_basic(kernel):
    """Allocate, write, read, free; kmalloc(0), kfree(NULL), kcalloc, krealloc."""
    with kernel.boot("test=heap_basic", dead_ends=STUBS) as m:
        m.expect_line("heap_basic: all checks passed")
        m.expect_exit(SUCCESS)


@pytest.mark.points(10)
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
        check(addr % 16 == 0, "16-byte aligned pointers", f"0x{addr:x} for {size} bytes")
    blocks.sort()
    for (a1, n1), (a2, _) in zip(blocks, blocks[1:]):
        check(a1 + n1 <= a2, "disjoint blocks", f"0x{a1:x}+{n1} overlaps 0x{a2:x}")


@pytest.mark.points(25)
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


@pytest.mark.points(15)
def test_coalesce(kernel):
    """Fragment the heap, free it all: a big block fits where the small ones were."""
    count, size = rng.randint(100, 600), rng.randint(32, 512)
    with kernel.boot(f"test=heap_coalesce count={count} size={size}", dead_ends=STUBS) as m:
        r = m.expect(r"^heap_coalesce: heap pages (\d+) before, (\d+) after the big allocation; "
                     r"big block at 0x([0-9a-f]{16}), first block was at 0x([0-9a-f]{16})$")
        m.expect_exit(SUCCESS)
    check(r.group(1) == r.group(2), "no growth: the freed blocks merged into one", r.group(0))
    check(r.group(3) == r.group(4), "the big block where the first small one was", r.group(0))


@pytest.mark.points(10)
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
def test_double_free(kernel):
    """A second kfree panics naming the block and its kmalloc site."""
    expect_heap_panic(kernel, "heap_double_free", "double free")


@pytest.mark.points(10)
def test_overflow(kernel):
    """One byte written past the end: kfree panics naming the kmalloc site."""
    expect_heap_panic(kernel, "heap_overflow", "heap overflow")


@pytest.mark.points(10)
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
