"""Lab 4 graders: the kernel heap (handouts/lab4-heap.md, §5).

Sizes, counts, seeds and the heap cap are drawn at random here; pointers the
kernel prints are checked here for alignment and overlap; panics must name
the kmalloc call site that the grader finds in the source itself. Each
exercise is also graded without the later ones: the split, merge, fit,
grow, trim, release and resize tests run the heap core on blocks laid out
by the test, and the grader computes the layout they must leave. The
challenge's test (slab) recomputes the kernel's random sizes from the seed.
"""

import re

import pytest

from checks import check, rng
from gradelib import FAILURE, ROOT, SUCCESS, stub_dead_ends

STUBS = stub_dead_ends(3, 4)
SOURCE = ROOT / "kernel" / "tests" / "lab4.c"
MIN_BLOCK, HEADER, REDZONE, FOOTER, TRIM_KEEP, PAGE = 64, 32, 8, 16, 16 * 4096, 4096
SMALL_MAX, SMALL_BINS, NBINS = 1024, 61, 101          # tunables.h, heap.h
CORE_CASES = 8
DIRECT_MAP_BASE, HEAP_BASE, KSTACK_REGION = 0xFFFF800000000000, 0xFFFFA00000000000, 0xFFFFB00000000000


def kmalloc_line(function):
    """The line of the kmalloc call in a test function of lab4.c."""
    lines = SOURCE.read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if f"KTEST({function}," in l)
    return next(i + 1 for i in range(start, len(lines)) if "kmalloc(" in lines[i])


def block_size(lo, hi):
    """A block size (a multiple of 16) in [lo, hi]."""
    return rng.randrange(lo, hi + 1, 16)


def page_up(n):
    return -(-n // PAGE) * PAGE


def bin_of(size):
    """heap_bin_of: one bin per size up to 1024 bytes, then one per power of two."""
    if size <= SMALL_MAX:
        return (size - MIN_BLOCK) // 16
    return min(SMALL_BINS + size.bit_length() - 1 - 10, NBINS - 1)


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
@pytest.mark.exercise(1, 2)
def test_split(kernel):
    """split_block on blocks the test lays out (no kmalloc needed), sizes
    drawn at random: the block cut to the size asked for and the rest a free
    block in its bin, or the block left whole when the rest is under 64
    bytes; used or free kept; footers right. Catches splitting off a rest
    too small to be a block (or keeping one big enough), the rest not
    binned, a used block made free, a footer not rewritten."""
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


@pytest.mark.points(8)
@pytest.mark.exercise(1, 2)
def test_merge(kernel):
    """coalesce on a free block between free or used neighbours, or at the
    heap's start or end, sizes drawn at random: the block returned where
    the merged one starts, one free block in no bin covering the free
    neighbours, taken out of their bins; used blocks untouched. Catches a
    merge on one side only, merging with a used block, the wrong block
    returned after a merge backwards, a neighbour left in its bin (or
    removed after its size changed), reading past the heap's start or end."""
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
@pytest.mark.exercise(1)
def test_fit(kernel):
    """heap_bin_of on sizes at the bins' edges; then bin_insert (the test
    lays out free blocks of random sizes in their bins with it) and take_fit
    for six requests in turn. Catches a bin index off by one at an edge
    (1024, 1040, a power of two) or not clamped to the last bin, a list
    not pushed at its front, a bit of the nonempty bitmap not set or not
    cleared when a bin empties; a search that does not start at the request's
    own bin (an exact-size block passed over for a bigger one), that takes a
    bin's first block without checking it fits (a power-of-two bin holds
    smaller blocks too), that scans bins above its own in a different order
    or takes a best or last fit in a bin, and a block left in its bin (or its
    bytes still counted free) once taken, and a bit cleared in the wrong word
    of the bitmap (bin 64 emptied)."""
    small = rng.sample(range(MIN_BLOCK, SMALL_MAX + 1, 16), 4)
    lo, hi = block_size(2048, 3008), block_size(3024, 4080)       # one bin: 2^11 .. 2^12
    # bin 64 (2^13 .. 2^14) holds one block, which a take empties: its bit
    # is the first of the bitmap's second word
    others = [block_size(1040, 2032), block_size(8192, 16368)]
    sizes = small + others
    rng.shuffle(sizes)
    k = rng.randrange(len(sizes) + 1)
    sizes[k:k] = [hi, lo]            # hi binned first: lo is ahead of it in their bin
    needs = [rng.choice(small), min(max(small) + 16, SMALL_MAX), block_size(lo + 16, hi), lo,
             block_size(MIN_BLOCK, 8192), block_size(8192, others[1]),
             block_size(max(sizes) + 16, max(sizes) + 4096)]
    bins = {}
    for i, size in enumerate(sizes):
        bins.setdefault(bin_of(size), []).insert(0, i)
    offsets = [i * MIN_BLOCK + sum(sizes[:i]) for i in range(len(sizes))]
    taken, wants = set(), []
    for j, need in enumerate(needs):
        got = next((i for b in sorted(bins) if b >= bin_of(need) for i in bins[b]
                    if sizes[i] >= need), None)
        if got is not None:
            bins[bin_of(sizes[got])].remove(got)
            taken.add(got)
        blocks = []
        for i, size in enumerate(sizes):
            blocks += [f"{size}/free" + ("" if i in taken else "/bin"), "64/used"]
        free = sum(size for i, size in enumerate(sizes) if i not in taken)
        took = "-" if got is None else offsets[got]
        wants.append((f"fit {j}:", f"took {took}, " + layout(blocks, free)))
    probes = [64, rng.choice([1008, 1024]), 1040, rng.choice([2032, 2048]),
              (1 << rng.randint(12, 40)) - 16, 1 << rng.randint(12, 50),
              rng.randrange(1 << 51, 1 << 60), block_size(MIN_BLOCK, SMALL_MAX)]
    rng.shuffle(probes)
    wants.insert(0, ("fit bins:", " ".join(str(bin_of(p)) for p in probes)))
    expect_layouts(kernel, f"test=heap_fit probes={','.join(map(str, probes))} "
                   f"sizes={','.join(map(str, sizes))} needs={','.join(map(str, needs))}", wants)


@pytest.mark.points(8)
@pytest.mark.exercise(1, 2, 3)
def test_grow(kernel):
    """grow_heap at the end of laid-out heaps, random sizes: an empty heap,
    a used last block, a free last block (reused: only the missing bytes
    mapped), the limit in the way, h->grow failing. Catches brk not moved
    to a page boundary (or a page past one when start + size is on it:
    a rounding that adds HEAP_PAGE instead of HEAP_PAGE - 1), or moved from
    the wrong place, a free last block
    not reused, or not taken out of its bin, h->grow asked to pass the
    limit, and a failed growth that changed the heap (the free last block
    gone from its bin)."""
    firsts, lasts, needs, wants = [], [], [], []
    for i in range(5):
        pages = rng.randint(1, 4)
        first = block_size(MIN_BLOCK, pages * PAGE - MIN_BLOCK)
        last = pages * PAGE - first
        need = block_size(MIN_BLOCK, 20000) if i < 2 else block_size(last + 16, last + 20000)
        if i == 0:
            need = rng.randint(1, 4) * PAGE                          # brk lands on start + need
        if i == 3:
            need = block_size(last + PAGE + 16, last + 4 * PAGE)   # past the limit, brk + 1 page
        firsts.append(first), lasts.append(last), needs.append(need)
        brk = 0 if i == 0 else pages * PAGE
        start = first if i >= 2 else brk
        want = page_up(start + need)
        before = [f"{first}/used", f"{last}/" + ("used" if i == 1 else "free/bin")] if i else []
        if i < 3:
            after = layout(before[:1 if i == 2 else 2] + [f"{want - start}/free"], 0)
            wants.append((f"grow case {i}:", f"returned {start}, grow asked for {want}, "
                           f"brk at {want}; {after}"))
        else:
            asked = "-" if i == 3 else want
            wants.append((f"grow case {i}:", f"returned -, grow asked for {asked}, brk at {brk}; "
                           + layout(before, last)))
    expect_layouts(kernel, f"test=heap_grow first={','.join(map(str, firsts))} "
                   f"last={','.join(map(str, lasts))} need={','.join(map(str, needs))}", wants)


@pytest.mark.points(5)
@pytest.mark.exercise(3)
def test_trim(kernel):
    """trim_top on a free block after a used one, random sizes: at the top
    of the heap with many pages to give back, with exactly one, with none
    (the block ends at the first page boundary past HEAP_TRIM_KEEP), and a
    block that does not end the heap. Catches keeping too much or too
    little (the boundary counted from the heap's base or the block's end,
    not rounded up to a page), shrink asked for the wrong range, brk not
    moved, and trimming a block that is not at the top."""
    firsts, sizes, wants = [], [], []
    for i in range(4):
        first = block_size(MIN_BLOCK, 8000)
        keep = page_up(first + TRIM_KEEP)
        brk = [keep + rng.randint(2, 40) * PAGE, keep, None, keep + PAGE][i]
        size = brk - first if brk else block_size(TRIM_KEEP, 1 << 18)
        firsts.append(first), sizes.append(size)
        if i in (0, 3):
            wants.append((f"trim case {i}:", f"returned {first}, shrink to {keep}, brk at {keep}; "
                           + layout([f"{first}/used", f"{keep - first}/free"], 0)))
        else:
            end = ["64/used"] if i == 2 else []
            wants.append((f"trim case {i}:", f"returned {first}, shrink to -, brk at "
                          f"{first + size + 64 * len(end)}; "
                          + layout([f"{first}/used", f"{size}/free"] + end, 0)))
    expect_layouts(kernel, f"test=heap_trim first={','.join(map(str, firsts))} "
                   f"size={','.join(map(str, sizes))}", wants)


@pytest.mark.points(7)
@pytest.mark.exercise(1, 3, 4)
def test_release(kernel):
    """The free path (release_block through heap_free) on blocks the test
    lays out, of random sizes, with used neighbours (no merging needed):
    the block free, its payload poisoned, in its bin; at the end of the heap
    a big one gives its pages beyond 64 KiB back, a small one none. Catches
    a block not marked free or not binned, poison missing or written over
    the footer, trim_top not on the path (the used counts are not checked
    here)."""
    keep = -(-(64 + TRIM_KEEP) // PAGE) * PAGE     # where the trim leaves the top
    # Case 1's block ends past keep, so that the trim has pages to give back.
    sizes = [block_size(MIN_BLOCK, 8192), block_size(keep, 1 << 18),
             block_size(MIN_BLOCK, 16384)]
    requested = [rng.randint(1, s - HEADER - REDZONE - FOOTER) for s in sizes]
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


# heap_resize's cases (lab4.c): what follows the block, and what is asked.
RESIZE_CASES = ["shrink, used next", "shrink, free next", "shrink by under 64", "grow into free next",
                "grow into all of free next", "free next too small", "used next", "grow at the top",
                "free next at the top too small", "shrink at the top"]


def resize_case(i):
    """(size, next, need, expected line) of heap_resize's case i, random."""
    size, nxt = block_size(256, 4096), block_size(MIN_BLOCK, 2048)
    if i in (7, 8, 9):               # the heap ends on a page boundary after the block
        pages = rng.randint(18, 40) if i == 9 else rng.randint(1, 6)
        size = pages * PAGE - 64 - (nxt if i == 8 else 0)
    need = {0: size - 64, 1: block_size(MIN_BLOCK, size - 64),     # 0: a rest of exactly 64
            2: max(MIN_BLOCK, size - rng.randrange(0, 64, 16)),
            3: block_size(size + 16, max(size + 16, size + nxt - 64)),
            4: block_size(max(size + 16, size + nxt - 48), size + nxt),
            5: block_size(size + nxt + 16, size + nxt + 4096), 6: block_size(size + 16, size + 4096),
            7: block_size(size + 16, size + 20000), 8: block_size(size + nxt + 16, size + nxt + 20000),
            9: block_size(MIN_BLOCK, 8192)}[i]
    if i == 3 and size + nxt - need < MIN_BLOCK:
        nxt += MIN_BLOCK             # room for a rest of a block of its own
    tail = {0: [f"{nxt}/used", "64/used"], 1: [f"{nxt}/free/bin", "64/used"],
            2: [f"{nxt}/used", "64/used"], 3: [f"{nxt}/free/bin", "64/used"],
            4: [f"{nxt}/free/bin", "64/used"], 5: [f"{nxt}/free/bin", "64/used"],
            6: [f"{nxt}/used", "64/used"], 7: [], 8: [f"{nxt}/free/bin"], 9: []}[i]
    brk = 64 + size + sum(int(t.split("/")[0]) for t in tail)
    state, blocks, free = "in place", None, 0
    if need <= size:                 # shrink
        rest = size - need
        if rest < MIN_BLOCK:
            blocks = ["64/used", f"{size}/used"] + tail
            free = sum(int(t.split("/")[0]) for t in tail if "/bin" in t)
        elif i == 9:
            keep = page_up(64 + need + TRIM_KEEP)
            brk = min(brk, keep)
            blocks, free = ["64/used", f"{need}/used", f"{brk - 64 - need}/free/bin"], brk - 64 - need
        else:
            merged = rest + (nxt if i == 1 else 0)
            blocks = ["64/used", f"{need}/used", f"{merged}/free/bin"] + tail[1 if i == 1 else 0:]
            free = merged
    elif i in (3, 4):                # into the free block after it
        got = size + nxt
        blocks = ["64/used"] + ([f"{need}/used", f"{got - need}/free/bin"] if got - need >= MIN_BLOCK
                                else [f"{got}/used"]) + ["64/used"]
        free = got - need if got - need >= MIN_BLOCK else 0
    elif i in (7, 8):                # the heap grows under it
        brk = page_up(64 + need)
        got = brk - 64
        blocks = ["64/used"] + ([f"{need}/used", f"{got - need}/free/bin"] if got - need >= MIN_BLOCK
                                else [f"{got}/used"])
        free = got - need if got - need >= MIN_BLOCK else 0
    else:
        state = "cannot"
        blocks = ["64/used", f"{size}/used"] + tail
        free = sum(int(t.split("/")[0]) for t in tail if "/bin" in t)
    return size, nxt, need, (f"resize case {i}:", f"{state}, payload kept, brk at {brk}; "
                             + layout(blocks, free))


@pytest.mark.points(8)
@pytest.mark.exercise(1, 2, 3, 5)
def test_resize(kernel):
    """resize_in_place on laid-out blocks of random sizes: shrinking (the
    rest split off and merged with a free block after it, trimmed at the
    top, or kept when under 64 bytes; a rest of exactly 64 bytes is a
    block), growing over a free block after it
    (cut to size, or all of it), growing the heap at the top, and refusing
    when the block after is used or too small. Catches a rest put in its bin
    without merging (two free blocks side by side), a 64-byte rest kept, a free neighbour used
    without taking it out of its bin, growing over a used block, a grown
    block not cut, pages not given back, payload bytes lost."""
    cases = [resize_case(i) for i in range(len(RESIZE_CASES))]
    lists = {k: ",".join(str(c[j]) for c in cases) for j, k in enumerate(("size", "next", "need"))}
    expect_layouts(kernel, "test=heap_resize " + " ".join(f"{k}={v}" for k, v in lists.items()),
                   [c[3] for c in cases])


@pytest.mark.points(7)
@pytest.mark.exercise(1, 3, 4)
def test_basic(kernel):
    """Allocate the edge sizes and a few drawn from the grader's seed, write,
    read, free; kmalloc(0), kfree(NULL), kcalloc, krealloc. The addresses are
    judged here: 16-aligned, inside the heap's region, no two blocks
    overlapping, each block's size (its header's) right for its request;
    and heapinfo's counts (blocks in use, bytes asked for)
    after each step, against the sizes. Catches blocks too small for the
    request (block_size_for: a red zone under 8 bytes when the rounding is
    off for a size of 9 mod 16), kmalloc(0) returning NULL or a shared
    pointer, a free path that breaks the heap for the next request,
    used_blocks or used_bytes not counted up on alloc or down on free (or
    the block size counted for the bytes asked for), and a kernel that only
    prints the success line."""
    seed, extra = rng.randrange(1, 1 << 60), rng.randint(4, 16)
    with kernel.boot(f"test=heap_basic seed={seed} extra={extra}", dead_ends=STUBS) as m:
        m.expect_line("heap_basic: all checks passed")
        m.expect_exit(SUCCESS)
    found = re.findall(r"^heap_basic: (\d+) bytes at 0x([0-9a-f]{16}) \(a block of (\d+) bytes\)$",
                       m.text, re.MULTILINE)
    blocks = [(int(a, 16), int(n)) for n, a, _ in found]
    edges = [1, 15, 16, 17, 41, 100, 1000, 4096, 10000, 65536]     # 41: 9 mod 16
    check(len(blocks) == len(edges) + extra and [n for _, n in blocks[:len(edges)]] == edges,
          f"a line 'heap_basic: N bytes at 0x...' for the {len(edges)} edge sizes and the "
          f"{extra} drawn from the seed", blocks)
    for addr, size in blocks:
        check(HEAP_BASE <= addr and addr + size <= KSTACK_REGION and addr % 16 == 0,
              f"the {size}-byte block 16-aligned in the heap's region", f"0x{addr:x}")
    for n, _, whole in found:
        need = max(MIN_BLOCK, -(-(HEADER + int(n) + REDZONE + FOOTER) // 16) * 16)
        # more when a rest too small to split off stays in it (or without
        # exercise 2, which splits nothing)
        check(need <= int(whole) and int(whole) % 16 == 0, f"a block of at least {need} bytes "
              f"for {n} (header, payload, at least {REDZONE} bytes of red zone, footer, rounded "
              "up to 16)", int(whole))
    ordered = sorted((int(a, 16) - HEADER, int(whole)) for _, a, whole in found)
    for (a, n), (b, _) in zip(ordered, ordered[1:]):
        check(a + n <= b, f"blocks that do not overlap: a block of {n} bytes at 0x{a:x}",
              f"next at 0x{b:x}")
    counts = dict(((w, (int(b), int(n))) for w, b, n in
                   re.findall(r"^heap_basic: in use (.+): (\d+) blocks, (\d+) bytes$", m.text, re.M)))
    start = counts.get("at the start")
    check(start, "a line 'heap_basic: in use at the start: B blocks, U bytes'", m.text[-300:])
    b0, u0 = start
    total = sum(n for _, n in blocks)
    for when, want in [("with all blocks", (b0 + len(blocks), u0 + total)),
                       ("after freeing them", (b0, u0)),
                       ("after krealloc to 20000", (b0 + 1, u0 + 20000)),
                       ("after krealloc to 300", (b0 + 1, u0 + 300)), ("at the end", (b0, u0))]:
        check(counts.get(when) == want, f"heapinfo's counts {when}: {want[0]} blocks in use, "
              f"{want[1]} bytes asked for", counts.get(when))


@pytest.mark.points(4)
@pytest.mark.exercise(1, 3, 4)
def test_alignment(kernel):
    """Every pointer 16-byte aligned; no two blocks overlap. Catches block
    sizes not rounded to 16, a split that cuts a block shorter than its
    request, the same block handed out twice."""
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


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4)
def test_stress(kernel):
    """100,000 random allocs, frees and reallocs of 1 B to 64 KiB, contents
    checked. Catches any corner the laid-out tests miss: a bin list broken
    after many operations, a merge or split that overlaps a live block, a
    krealloc that loses bytes, frames not given back."""
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


@pytest.mark.points(6)
@pytest.mark.exercise(1, 2, 3, 4)
def test_coalesce(kernel):
    """Fragment the heap, free it all: a big block fits where the small ones
    were. Catches frees that do not merge with both neighbours, and a fit
    that grows the heap although a merged block would do."""
    count, size = rng.randint(100, 600), rng.randint(32, 512)
    with kernel.boot(f"test=heap_coalesce count={count} size={size}", dead_ends=STUBS) as m:
        r = m.expect(r"^heap_coalesce: heap pages (\d+) before, (\d+) after the big allocation; "
                     r"big block at 0x([0-9a-f]{16}), first block was at 0x([0-9a-f]{16})$")
        m.expect_exit(SUCCESS)
    before, first = int(r.group(1)), int(r.group(4), 16)
    check(before * PAGE >= count * size and HEAP_BASE <= first < HEAP_BASE + before * PAGE,
          f"a heap that held {count} blocks of {size} bytes (at least "
          f"{-(-count * size // PAGE)} pages), the first block inside it", r.group(0))
    check(r.group(1) == r.group(2), "no growth: the freed blocks merged into one", r.group(0))
    check(r.group(3) == r.group(4), "the big block where the first small one was", r.group(0))


@pytest.mark.points(4)
@pytest.mark.exercise(1, 2, 3, 4)
def test_out_of_memory(kernel):
    """With a capped heap, kmalloc returns NULL; after frees it works again.
    Then with few frames and no cap: NULL once the frames run out, nothing
    leaked. Catches growth past heapmax, a panic or hang on exhaustion, a
    failed growth that leaves the heap broken (or the frame mapped, or
    unmaps and frees one page too many: a double free), pmm_alloc's 0 taken
    for a frame, memory not reusable after frees."""
    cap, size = rng.randint(64, 512) * 4096, rng.randint(500, 4000)
    with kernel.boot(f"test=heap_oom size={size} heapmax={cap}", dead_ends=STUBS) as m:
        r = m.expect(r"^heap_oom: NULL after (\d+) blocks of (\d+) bytes \(heap pages (\d+), "
                     r"free frames before (\d+), now (\d+)\)$")
        m.expect_line("heap_oom: after freeing, kmalloc works again")
        m.expect_exit(SUCCESS)
    n, pages = int(r.group(1)), int(r.group(3))
    check(n * size <= cap and pages * 4096 <= cap, f"at most {cap} bytes (heapmax)",
          f"{n} blocks of {size}, {pages} pages")
    check((n + 1) * (size + 64) > cap * 0.9, f"NULL only near the cap of {cap} bytes",
          f"{n} blocks of {size}")
    # Few frames, no cap: the frames run out first, in the middle of a
    # growth of several pages (blocks of 2-5 pages).
    size = rng.randint(2 * PAGE, 5 * PAGE)
    with kernel.boot(f"test=heap_oom size={size} heapmax={1 << 30}", mem="24M",
                     dead_ends=STUBS) as m:
        r = m.expect(r"^heap_oom: NULL after (\d+) blocks of (\d+) bytes \(heap pages (\d+), "
                     r"free frames before (\d+), now (\d+)\)$")
        m.expect_line("heap_oom: after freeing, kmalloc works again")
        m.expect_exit(SUCCESS)
    n, pages, before, now = int(r.group(1)), int(r.group(3)), int(r.group(4)), int(r.group(5))
    check(pages <= before and n * size <= pages * PAGE, f"at most the {before} free frames mapped, "
          f"{n} blocks of {size} bytes in them", r.group(0))
    check(now <= 64, "NULL only once the frames run out (a failed growth gives its frames back)",
          r.group(0))


def expect_heap_panic(kernel, test, what, extra=""):
    """test=TEST with a random size panics: "kfree(0x...): WHAT... (SIZE bytes
    allocated at kernel/tests/lab4.c:LINE)", LINE being its kmalloc's."""
    size = rng.randint(1, 5000)
    line = kmalloc_line(test)
    site = f"({size} bytes allocated at kernel/tests/lab4.c:{line})"
    with kernel.boot(f"test={test} size={size} {extra}".strip(), dead_ends=STUBS) as m:
        m.expect(rf"^PANIC at .*kfree\(0x[0-9a-f]+\): {what}.* {re.escape(site)}$",
                 what=f"PANIC at ...: kfree(0x...): {what}... {site}")
        m.expect_exit(FAILURE)


@pytest.mark.points(6)
@pytest.mark.exercise(1, 3, 4)
def test_double_free(kernel):
    """A second kfree panics naming the block and its kmalloc site. Catches
    check_block not seeing a free block, *bad not set (no site named), and
    a free path that loses the block's header."""
    expect_heap_panic(kernel, "heap_double_free", "double free")


@pytest.mark.points(6)
@pytest.mark.exercise(1, 3, 4)
def test_overflow(kernel):
    """One byte written past the end, then (another boot) one bit of the
    footer's size or of its canary flipped, the red zone intact: kfree
    panics naming the kmalloc site. Catches a red zone not checked up to the
    footer, or checked from the wrong place (the block's size instead of the
    bytes requested), and a footer check that needs both its size and its
    canary wrong."""
    expect_heap_panic(kernel, "heap_overflow", "heap overflow")
    expect_heap_panic(kernel, "heap_overflow", "heap overflow", f"footer={rng.randint(1, 2)}")


@pytest.mark.points(6)
@pytest.mark.exercise(1, 2, 3, 4)
def test_frames_back(kernel):
    """Several MiB allocated and freed: the heap gives every frame back.
    Catches heap_grow or heap_shrink that leak frames, trim_top not called
    on the free path, a top block that is never merged and so never
    trimmed."""
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


# ---- challenge 1: a slab cache for small blocks --------------------------------

def xorshift(seed):
    """The sizes' source in lab4.c: rnd() from seed_from_cmdline()."""
    x, mask = seed | 1, (1 << 64) - 1
    while True:
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        yield x


def slab_class(size):
    """The object size that serves size bytes: 16, 32, 64 or 128."""
    return max(16, 1 << (size - 1).bit_length())


@pytest.mark.points(10)
@pytest.mark.challenge(1)
def test_slab(kernel):
    """With slab=1, random sizes of 1-256 bytes (the grader recomputes them
    from the seed): every block of at most 128 bytes comes from the slab
    cache (a direct-map address, no heap block), in pages of its own size
    class, packed at least half full; bigger ones from the heap; heapinfo's
    slab lines count the objects and pages of each class; contents survive
    frees, new allocations and krealloc; all objects and all but one page
    per class come back. Catches a cache that is not used, classes mixed in
    a page, one page per object, counts not kept, a free list that hands out
    an object twice (overlaps, lost contents), pages never given back."""
    seed, count = rng.randrange(1, 1 << 60), rng.randint(150, 400)
    gen = xorshift(seed)
    sizes = [1 + next(gen) % 256 for _ in range(count)]
    with kernel.boot(f"test=slab_small seed={seed} count={count} slab=1", dead_ends=STUBS) as m:
        r = m.expect(r"^slab_small: heap blocks in use (\d+) before, (\d+) after$")
        end = m.expect(r"^slab_small: errors (\d+); slab objects (\d+), pages (\d+) at the end; "
                       r"free frames before (\d+), after (\d+)$")
        m.expect_exit(SUCCESS)
    got = [(int(n), int(a, 16)) for n, a in
           re.findall(r"^slab: (\d+) bytes at 0x([0-9a-f]{16})$", m.text, re.MULTILINE)]
    check([n for n, _ in got] == sizes, f"{count} lines 'slab: N bytes at 0x...' with the sizes "
          f"of seed {seed}", [n for n, _ in got][:20])
    pages = {}
    for size, addr in got:
        small = size <= 128
        where = (DIRECT_MAP_BASE <= addr < HEAP_BASE) if small else (HEAP_BASE <= addr < KSTACK_REGION)
        check(where, f"kmalloc({size}) from the {'slab cache (direct map)' if small else 'heap'}",
              hex(addr))
        check(addr % 16 == 0, "16-byte aligned pointers", f"0x{addr:x} for {size} bytes")
        if small:
            pages.setdefault(addr // PAGE, set()).add(slab_class(size))
    mixed = [hex(p * PAGE) for p, classes in pages.items() if len(classes) > 1]
    check(not mixed, "each slab page holding objects of one size class", f"mixed pages {mixed}")
    spans = sorted((a, a + n) for n, a in got)
    for (a1, e1), (a2, _) in zip(spans, spans[1:]):
        check(e1 <= a2, "disjoint blocks", f"0x{a1:x}..0x{e1:x} overlaps 0x{a2:x}")
    big = sum(1 for n in sizes if n > 128)
    before, after = int(r.group(1)), int(r.group(2))
    check(after - before == big, f"{big} more heap blocks in use (the blocks over 128 bytes)",
          after - before)
    for c in (16, 32, 64, 128):
        n = sum(1 for s in sizes if s <= 128 and slab_class(s) == c)
        held = sum(1 for classes in pages.values() if c in classes)
        line = re.search(rf"^slab: {c}-byte objects: (\d+) in use, (\d+) pages$", m.text, re.M)
        check(line, f"heapinfo's line 'slab: {c}-byte objects: N in use, P pages'", None)
        check(int(line.group(1)) == n, f"{n} {c}-byte objects in use", line.group(0))
        check(int(line.group(2)) == held, f"{held} pages of {c}-byte objects (as the addresses say)",
              line.group(0))
        check(held <= -(-n // (PAGE // 2 // c)), f"{c}-byte objects packed at least half a page "
              f"each: at most {-(-n // (PAGE // 2 // c))} pages for {n}", held)
    errors, objects, slab_pages, f0, f1 = map(int, end.groups())
    check(errors == 0, "no block ever loses its contents", f"{errors} corrupted blocks")
    check(objects == 0 and slab_pages <= 4, "no slab object in use at the end, at most one "
          "page kept per class", end.group(0))
    check(abs(f0 - f1) <= 24, f"about {f0} free frames after freeing everything", f1)
