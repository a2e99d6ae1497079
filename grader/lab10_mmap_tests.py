"""Lab 10 graders, exercise 3: anonymous mmap, munmap and mprotect
(handouts/lab10-linux.md, §5). To be folded into test_lab10_linux.py.

Two in-kernel tests call the exercise's functions alone (no process, so
exercise 3 is graded whatever exercises 1 and 2 say): the region list, on
operations drawn from a random seed with the same xorshift64 as the kernel
and judged against a model of the list computed here (a set of pages, its
regions the maximal runs, at most MMAP_MAX_REGIONS of them); and the page
tables of a made-up address space, with random sizes. Two boots run
Linux programs unchanged (user/musl/mmaptest.c, musl's malloc in mhello,
glibc's RELRO mprotect in busybox), with random sizes, seeds and words:
the checksums are computed here, and every fault a child dies of must be
named by the kernel's own line, at the address the child touched.
"""

import re

import pytest

from checks import check, check_lines, lines, rng, word
from gradelib import SUCCESS, stub_dead_ends

MASK = (1 << 64) - 1
PAGE = 4096
MMAP_MAX_REGIONS = 256                   # tunables.h
LIST_WINDOW = 1100                       # kernel/tests/lab10mm.c
ENOMEM = -12
KTEST_STUBS = stub_dead_ends(10, exercises=[3], panic=True)
PROGRAM_STUBS = stub_dead_ends(10, panic=True)
FAULT_RE = (r"^mmaptest: killed by Page fault \(#PF\) at rip=0x[0-9a-f]+, "
            r"address 0x([0-9a-f]+) \((page not present|protection violation), (read|write)\)$")


def xorshift(state):
    """One step of the kernel's and mmaptest's xorshift64."""
    state ^= (state << 13) & MASK
    state ^= state >> 7
    state ^= (state << 17) & MASK
    return state


def xorshift_bytes(seed, n):
    out, s = bytearray(n), seed
    for i in range(n):
        s = xorshift(s)
        out[i] = s & 0xFF
    return bytes(out)


def fnv1a(data, h=14695981039346656037):
    for b in data:
        h = ((h ^ b) * 1099511628211) & MASK
    return h


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
    return want


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
    that joins two regions and the split it made room for succeed. Catches
    regions left unmerged (or merged when they only come close), a list
    out of order, a removal that forgets the region across its start or
    end or splits without a slot, a find that returns the lowest gap, one
    overlapping a region or reaching past hi, an off-by-one at the bound."""
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
    full list refuses leaves no page and no frame behind; every frame back
    at the end. Catches lazy or non-zeroed pages, wrong PTE bits, an
    mprotect that makes shared pages writable (the child would see the
    parent's writes) or leaves PTE_COW on read-only pages (a write fault
    would make them writable), frames not released or released twice, a
    failed mmap that leaks."""
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
                f"mmaptest: checksum {fnv1a(data):016x}",
                f"mmaptest: munmap of pages {hole}-{hole + holepages - 1}: 0")
    check_child_fault(text, "reading unmapped", "page not present, read", 8)
    check_lines(text, f"mmaptest: checksum of the rest {fnv1a(rest):016x}",
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
