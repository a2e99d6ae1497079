"""Lab 5 graders: threads, scheduling, locks (handouts/lab5-threads.md, §5).

Counts, durations, names and seeds are drawn at random here, and the
expected results (exit values, sums, counts) computed here.
"""

import re

import pytest

from checks import check, rng
from gradelib import FAILURE, ROOT, SUCCESS

STUBS = [(r"\(LAB [345], exercises? [\d-]+", "the kernel printed: {line}")]


@pytest.mark.points(10)
def test_interleave(kernel):
    """Three threads that yield after each line take turns."""
    names = "".join(rng.sample("abcdefghijklmnopqrstuvwxyz", 3))
    n = rng.randint(4, 12)
    with kernel.boot(f"test=interleave names={names} count={n}", dead_ends=STUBS) as m:
        m.expect_line("ktest interleave: ok")
        m.expect_exit(SUCCESS)
    seen = re.findall(r"^interleave: (\w) (\d+)$", m.text, re.MULTILINE)
    for name in names:
        mine = [int(i) for who, i in seen if who == name]
        check(mine == list(range(n)), f"thread {name}: lines 0..{n - 1} in order", mine)
    switches = sum(1 for a, b in zip(seen, seen[1:]) if a[0] != b[0])
    check(switches >= 2 * n, f"the threads taking turns (at least {2 * n} changes of thread)",
          f"{switches} changes: " + "".join(w for w, _ in seen))


@pytest.mark.points(15)
def test_preemption(kernel):
    """A thread in an endless loop that never yields does not starve two workers."""
    with kernel.boot("test=preempt", dead_ends=STUBS) as m:
        m.expect_line("preempt: both workers done")
        m.expect_exit(SUCCESS)
    steps = re.findall(r"^preempt: worker (\w) step (\d), spinner at (\d+)$", m.text, re.MULTILINE)
    check(len(steps) == 10, "5 steps of each worker", len(steps))
    check(all(int(s) > 0 for _, _, s in steps), "the spinner ran before the workers (it was "
          "created first, and only the timer can take the CPU from it)", steps[:1])


@pytest.mark.points(15)
def test_sleep_order(kernel):
    """Sleepers wake in deadline order and never early."""
    durations = rng.sample(range(10, 400, 20), 5)       # distinct, 20 ms (2 ticks) apart at least
    args = " ".join(f"{k}={d}" for k, d in zip("abcde", durations))
    with kernel.boot(f"test=sleep {args}", dead_ends=STUBS) as m:
        start = m.expect_line("sleep: start")
        woke = []
        for _ in range(5):
            w = m.expect(r"^sleep: thread (\d) slept (\d+) ms, woke after (\d+) ms$")
            woke.append((int(w.group(1)), int(w.group(2)), int(w.group(3)), m.time_of(w) - m.time_of(start)))
        m.expect_exit(SUCCESS)
    order = [i for i, _, _, _ in woke]
    want = sorted(range(5), key=lambda i: durations[i])
    check(order == want, "wake order by deadline: " + " ".join(f"{durations[i]}ms" for i in want),
          " ".join(f"{durations[i]}ms" for i in order))
    for i, slept, after, wall in woke:
        check(slept == durations[i], f"thread {i} slept {durations[i]} ms", slept)
        check(after >= slept, f"thread {i}: never early (at least {slept} ms by the timer)", f"{after} ms")
        check(wall >= 0.9 * slept / 1000, f"thread {i}: at least {slept} ms of wall time",
              f"{wall * 1000:.0f} ms")


@pytest.mark.points(10)
def test_join(kernel):
    """thread_join returns each thread's exit value, whatever the order."""
    seed, count = rng.randint(1, 10**6), rng.randint(3, 40)
    with kernel.boot(f"test=join seed={seed} count={count}", dead_ends=STUBS) as m:
        m.expect_line("ktest join: ok")
        m.expect_exit(SUCCESS)
    got = {int(i): int(v) for i, v in re.findall(r"^join: thread (\d+) returned (-?\d+)$",
                                                 m.text, re.MULTILINE)}
    want = {i: seed * (i + 1) % 100000 for i in range(count)}
    check(got == want, f"{count} exit values", {i: got.get(i) for i in want if got.get(i) != want[i]})


@pytest.mark.points(15)
def test_thousand(kernel):
    """1000 threads created and joined; every frame and heap byte comes back."""
    with kernel.boot("test=thousand count=1000", dead_ends=STUBS) as m:
        r = m.expect(r"^thousand: created (\d+), joined (\d+), wrong values (\d+), free frames "
                     r"before (\d+), after (\d+), heap bytes in use before (\d+), after (\d+)$",
                     timeout=30)
        m.expect_exit(SUCCESS)
    created, joined, wrong, f0, f1, h0, h1 = map(int, r.groups())
    check(created == joined == 1000 and wrong == 0, "1000 threads, each joined with its value", r.group(0))
    check(abs(f0 - f1) <= 24, f"about {f0} free frames after (the heap may keep 16 pages)", f1)
    check(h0 == h1, f"{h0} heap bytes in use after, as before", h1)


@pytest.mark.points(15)
def test_mutex_counter(kernel):
    """N threads x M increments under a mutex (with yields inside): exactly N x M."""
    n, iters = rng.randint(3, 8), rng.randint(200, 800)
    with kernel.boot(f"test=mutex threads={n} iterations={iters}", dead_ends=STUBS) as m:
        r = m.expect(r"^mutex: counter (\d+)$", timeout=30)
        m.expect_exit(SUCCESS)
    check(int(r.group(1)) == n * iters, f"counter {n * iters}", r.group(1))


@pytest.mark.points(10)
def test_producer_consumer(kernel):
    """A bounded buffer on condition variables: no item lost, none twice, no lost wakeup."""
    p, c, k = rng.randint(1, 5), rng.randint(1, 5), rng.randint(50, 300)
    with kernel.boot(f"test=prodcons producers={p} consumers={c} items={k}", dead_ends=STUBS) as m:
        r = m.expect(r"^prodcons: consumed (\d+) items, sum (\d+)$", timeout=30)
        m.expect_exit(SUCCESS)
    check((int(r.group(1)), int(r.group(2))) == (p * k, p * k * (k + 1) // 2),
          f"{p * k} items, sum {p * k * (k + 1) // 2}", r.group(0))


@pytest.mark.points(5)
def test_idle_halts(kernel):
    """With every thread asleep the idle thread halts: about one wakeup per tick."""
    ms = rng.randint(200, 500)
    with kernel.boot(f"test=idle ms={ms}", dead_ends=STUBS) as m:
        r = m.expect(r"^idle: (\d+) wakeups of the idle thread in (\d+) ticks$")
        m.expect_exit(SUCCESS)
    wakeups, ticks = int(r.group(1)), int(r.group(2))
    check(ticks >= ms // 10, f"at least {ms // 10} ticks asleep", ticks)
    check(wakeups <= ticks + 10, f"at most one idle wakeup per tick ({ticks}): hlt, not a spin",
          wakeups)


@pytest.mark.points(5)
def test_spinlock_timeout(kernel):
    """A spinlock kept across a switch: the next taker panics naming the holder and site."""
    src = (ROOT / "kernel" / "tests" / "lab5.c").read_text().splitlines()
    line = next(i + 1 for i, l in enumerate(src) if "spin_lock(&test_lock);" in l and "site" in l)
    with kernel.boot("test=spin_timeout", dead_ends=STUBS) as m:
        m.expect(rf"^PANIC at .*spinlock test held far too long by thread holder "
                 rf"\(taken at kernel/tests/lab5\.c:{line}\)$",
                 what=f"PANIC at ...: spinlock test held far too long by thread holder "
                      f"(taken at kernel/tests/lab5.c:{line})", timeout=20)
        m.expect_exit(FAILURE)
