"""Lab 5 graders: threads, scheduling, locks (handouts/lab5-threads.md, §5).

switch_to and a new thread's start (exercises 1 and 2) are graded before
the scheduler can run a thread: switch_to between two bare contexts, the
first frame read from memory through QEMU, the first run by a switch_to
with no run queue. The tests of exercises 3 to 5 wait for their threads
without thread_join (exercise 6). Counts, durations, names, register
values, seeds and priorities are drawn at random here, and the expected
results (exit values, sums, counts, run orders) computed here.
"""

import re

import pytest

from checks import check, rng
from gradelib import FAILURE, ROOT, SUCCESS, kernel_symbols, stub_dead_ends, symbolize

STUBS = stub_dead_ends(3, 4, 5)
REGS = ["rbp", "rbx", "r12", "r13", "r14", "r15"]      # the order switch_to pushes them
HEX = r"0x([0-9a-f]+)"


def read_words(m, addr, count):
    """count 64-bit words of guest memory at virtual address addr, read by
    QEMU through the CPU's page tables (not printed by the kernel)."""
    out = m.qmp("human-monitor-command", **{"command-line": f"x /{count}gx 0x{addr:x}"})
    words = [int(w, 16) for line in out.splitlines() for w in line.split(":", 1)[1].split()]
    check(len(words) == count, f"{count} words of memory at 0x{addr:x}", out)
    return words


def regs_line(what):
    return rf"^switch_to: {what} " + " ".join(rf"{r}={HEX}" for r in REGS) + "$"


# ---- exercises 1 and 2 alone: no thread has to run -------------------------------

@pytest.mark.points(10)
@pytest.mark.exercise(1)
def test_switch_to(kernel):
    """switch_to alone, between two bare contexts (threads may be off): the
    new context starts with the six random registers its stack holds and
    rsp just above them, the caller's registers and return address are
    saved in the order that pops them, and the caller gets its own back.
    Catches registers pushed in a different order than they are popped (the new
    context starts with them shuffled), rsp saved before the pushes (or into
    the wrong context), and a callee-saved register left out of the save (the
    caller does not get it back)."""
    vals = [rng.getrandbits(64) for _ in REGS]
    args = " ".join(f"{r}=0x{v:x}" for r, v in zip(REGS, vals))
    want = " ".join(f"{r}=0x{v:x}" for r, v in zip(REGS, vals))
    with kernel.boot(f"test=switch_to {args}") as m:
        new = int(m.expect(rf"^switch_to: new context's rsp {HEX}$")[1], 16)
        started = m.expect(regs_line("the new context started with"),
                           what=f"switch_to: the new context started with {want}")
        at = m.expect(rf"^switch_to: the new context started at rsp {HEX} and was saved at "
                      rf"rsp {HEX}$")
        frame = m.expect(r"^switch_to: the caller's saved frame" + rf" {HEX}" * 7 + "$")
        back = m.expect(regs_line("the caller got back"),
                        what=f"switch_to: the caller got back {want}")
        m.expect_line("ktest switch_to: ok")
        m.expect_exit(SUCCESS)
    seen = [int(x, 16) for x in started.groups()]
    check(seen == vals, f"the new context starts with {want} (popped from its stack)",
          started.group(0))
    land, saved = (int(x, 16) for x in at.groups())
    check(land == new + 56, f"the new context starts at rsp 0x{new + 56:x}: its saved rsp "
          "+ 6 registers + the return address", f"0x{land:x}")
    check(saved == land - 56, f"switching away from it (a call at rsp 0x{land:x}) saves rsp "
          f"0x{land - 56:x}: the return address and 6 registers below", f"0x{saved:x}")
    words = [int(x, 16) for x in frame.groups()]
    order = REGS[::-1]
    check(words[:6] == vals[::-1], "the caller's saved frame, from its saved rsp up: "
          + " ".join(f"{r}=0x{v:x}" for r, v in zip(order, vals[::-1])),
          " ".join(f"0x{w:x}" for w in words[:6]))
    name, _ = symbolize(kernel_symbols(kernel.elf), words[6])
    check(name == "lab5_switch_call", "then the return address into switch_to's caller "
          "(lab5_switch_call)", f"0x{words[6]:x} ({name or 'in no function'})")
    got = [int(x, 16) for x in back.groups()]
    check(got == vals, f"the caller gets back {want}", back.group(0))


@pytest.mark.points(10)
@pytest.mark.exercise(2)
def test_first_frame(kernel):
    """thread_prepare_stack on a stack filled with a random word (read by
    the grader from memory through QEMU): t->rsp 72 bytes below the top,
    and from there up r15 r14 r13 = 0, r12 = t, rbx rbp = 0 and the address
    of thread_trampoline. Catches t->rsp set without the two spare words (56
    bytes below the top), the registers laid out in the reverse order (t in
    r13's slot), t put in a register other than r12, and slots left unwritten
    (the grader reads the fill word)."""
    fill = rng.getrandbits(64)
    with kernel.boot(f"test=first_frame fill=0x{fill:x}") as m:
        r = m.expect(rf"^first_frame: thread at {HEX}, stack {HEX} to {HEX}, rsp {HEX}$")
        m.expect_line("ktest: hold")
        t, top = int(r[1], 16), int(r[3], 16)
        rsp = read_words(m, t, 1)[0]         # struct thread's first field
        words = read_words(m, top - 72, 9)
        m.send("\r")
        m.expect_line("ktest first_frame: ok")
        m.expect_exit(SUCCESS)
    check(rsp == top - 72, f"t->rsp = 0x{top - 72:x}: the top 0x{top:x} - 2 spare words - "
          "7 words of frame", f"0x{rsp:x}")
    trampoline = kernel_symbols(kernel.elf)["thread_trampoline"][0]
    want = [0, 0, 0, t, 0, 0, trampoline]
    names = ["r15 = 0", "r14 = 0", "r13 = 0", f"r12 = t (0x{t:x})", "rbx = 0", "rbp = 0",
             f"the return address thread_trampoline (0x{trampoline:x})"]
    for i, (w, v, name) in enumerate(zip(words, want, names)):
        seen = "untouched" if w == fill else f"0x{w:x}"
        check(w == v, f"at rsp + {8 * i}: {name}", seen)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_first_run(kernel):
    """A thread made by thread_prepare_stack, switched to with no scheduler
    around it, runs its fn with the grader's random argument, interrupts on
    and no push_cli held, called from thread_start, called from
    thread_trampoline with rbp = 0 (the end of a backtrace). Catches a
    trampoline that passes the wrong register, a thread_start that leaves
    interrupts off or keeps the switching thread's cli depth, and a frame
    that leaves the stack misaligned."""
    arg = rng.getrandbits(63)
    needs = stub_dead_ends(3, 4) + stub_dead_ends(5, exercises=(1, 2))   # not 3's message
    with kernel.boot(f"test=first_run arg=0x{arg:x}", dead_ends=needs) as m:
        got = m.expect(rf"^first_run: fn got arg {HEX} with interrupts (on|off) and cli depth "
                       r"(-?\d+)$", what=f"first_run: fn got arg 0x{arg:x} with interrupts on "
                       "and cli depth 0")
        frame = m.expect(rf"^first_run: fn's frame at rbp {HEX} returns to {HEX}$")
        up = m.expect(rf"^first_run: its caller's frame (holds rbp {HEX} and returns to {HEX}|"
                      r"is not on the thread's stack)$")
        m.expect_line("ktest first_run: ok")
        m.expect_exit(SUCCESS)
    check(int(got[1], 16) == arg, f"fn(arg) with arg = 0x{arg:x} (t->arg)", f"0x{got[1]}")
    check(got[2] == "on", "interrupts on as fn begins (a new thread holds no lock)",
          f"interrupts {got[2]}")
    check(int(got[3]) == 0, "cli depth 0 as fn begins (the new thread's own, not the "
          "switching thread's)", got[3])
    syms = kernel_symbols(kernel.elf)
    rbp, ret = int(frame[1], 16), int(frame[2], 16)
    check(rbp % 16 == 0, "fn's rbp 16-byte aligned (rsp = 8 mod 16 at each call, as the ABI "
          "wants)", f"0x{rbp:x}")
    name, _ = symbolize(syms, ret)
    check(name == "thread_start", "fn called by thread_start", name or f"0x{ret:x}")
    check(up[2] is not None, "thread_start's frame on the thread's stack", up[0])
    up_rbp, up_ret = int(up[2], 16), int(up[3], 16)
    name, _ = symbolize(syms, up_ret)
    check(name == "thread_trampoline", "thread_start called by thread_trampoline",
          name or f"0x{up_ret:x}")
    check(up_rbp == 0, "rbp = 0 in the trampoline: every backtrace of the thread ends there",
          f"0x{up_rbp:x}")


# ---- from exercise 3 on, threads run ----------------------------------------------


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3)
def test_interleave(kernel):
    """Three threads that yield after each line take turns, each seeing
    itself RUNNING. Catches a run queue that is LIFO or loses a thread, a
    yield that does not requeue the caller, a schedule that switches to the
    wrong context or does not mark the thread it switches to running."""
    names = "".join(rng.sample("abcdefghijklmnopqrstuvwxyz", 3))
    n = rng.randint(4, 12)
    with kernel.boot(f"test=interleave names={names} count={n}", dead_ends=STUBS) as m:
        m.expect_line("ktest interleave: ok")
        m.expect_exit(SUCCESS)
    seen = re.findall(r"^interleave: (\w) (\d+) \(running\)$", m.text, re.MULTILINE)
    for name in names:
        mine = [int(i) for who, i in seen if who == name]
        check(mine == list(range(n)), f"thread {name}: lines 0..{n - 1} in order", mine)
    switches = sum(1 for a, b in zip(seen, seen[1:]) if a[0] != b[0])
    check(switches >= 2 * n, f"the threads taking turns (at least {2 * n} changes of thread)",
          f"{switches} changes: " + "".join(w for w, _ in seen))


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3)
def test_preemption(kernel):
    """A thread in an endless loop that never yields does not starve two
    workers. Catches a slice that is never counted down, need_resched never
    acted on at interrupt exit, and a preempted worker lost from the run
    queue."""
    with kernel.boot("test=preempt", dead_ends=STUBS) as m:
        m.expect_line("preempt: both workers done")
        m.expect_exit(SUCCESS)
    steps = re.findall(r"^preempt: worker (\w) step (\d), spinner at (\d+)$", m.text, re.MULTILINE)
    check(len(steps) == 10, "5 steps of each worker", len(steps))
    check(all(int(s) > 0 for _, _, s in steps), "the spinner ran before the workers (it was "
          "created first, and only the timer can take the CPU from it)", steps[:1])


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 4)
def test_sleep_order(kernel):
    """Sleepers wake in deadline order and never early. Catches sleepers
    woken in the order they went to sleep, one woken before its time, and
    one never woken."""
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


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_sleep_many(kernel):
    """20 to 40 threads asleep at once, random durations whose deadlines are
    3 ticks apart or more, not whole ticks: each wakes once, in deadline
    order, never before its time (rounded up to a tick) and within 10 ticks
    of it. Catches a sleep heap that sifts the wrong way or to the wrong
    child, a pop that loses or repeats a sleeper, waking only the top once
    per tick when several are due, and rounding the duration down."""
    n = rng.randint(20, 40)
    ticks = rng.sample(range(3, 180, 3), n)                  # at 100 Hz
    durations = [10 * k - rng.randint(0, 9) for k in ticks]
    with kernel.boot("test=sleep_many ms=" + ",".join(map(str, durations)),
                     dead_ends=STUBS) as m:
        hz = int(m.expect(rf"^sleep_many: {n} sleepers at (\d+) Hz$")[1])
        m.expect_line("ktest sleep_many: ok", timeout=30)
        m.expect_exit(SUCCESS)
    woke = [tuple(map(int, x)) for x in re.findall(
        r"^sleep_many: thread (\d+) asked (\d+) ms at tick (\d+), woke at tick (\d+)$",
        m.text, re.M)]
    order = [i for i, _, _, _ in woke]
    check(sorted(order) == list(range(n)), f"each of the {n} sleepers wakes once", order)
    deadline = {}
    for i, ms, asked, at in woke:
        check(ms == durations[i], f"thread {i} slept {durations[i]} ms", ms)
        need = -(-ms * hz // 1000)
        deadline[i] = asked + need
        check(at - asked >= need, f"thread {i}: asleep {need} ticks at least ({ms} ms at "
              f"{hz} Hz, rounded up)", f"{at - asked} ticks")
        check(at - asked <= need + 10, f"thread {i}: awake within 10 ticks of its deadline "
              f"({need} ticks)", f"{at - asked} ticks")
    late = [(a, b) for a, b in zip(order, order[1:]) if deadline[a] > deadline[b] + 1]
    check(not late, "wake order by deadline (tick asked + duration)",
          ", ".join(f"thread {a} (deadline tick {deadline[a]}) woke before thread {b} "
                    f"(deadline tick {deadline[b]})" for a, b in late[:5]))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 5, 6)
def test_join(kernel):
    """thread_join returns each thread's exit value, whatever the order.
    Catches a join that does not wait for the thread to end (the threads
    yield before returning), thread_exit not recording the value, and
    joiners never woken."""
    seed, count = rng.randint(1, 10**6), rng.randint(3, 40)
    with kernel.boot(f"test=join seed={seed} count={count}", dead_ends=STUBS) as m:
        m.expect_line("ktest join: ok")
        m.expect_exit(SUCCESS)
    got = {int(i): int(v) for i, v in re.findall(r"^join: thread (\d+) returned (-?\d+)$",
                                                 m.text, re.MULTILINE)}
    want = {i: seed * (i + 1) % 100000 for i in range(count)}
    wrong = [f"thread {i}: " + (f"returned {got[i]}" if i in got else "no line")
             for i in sorted(set(want) | set(got)) if got.get(i) != want.get(i)]
    check(got == want, f"{count} exit values", ", ".join(wrong))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 5, 6)
def test_thousand(kernel):
    """1000 threads created and joined; every frame and heap byte comes
    back. Catches a join that frees the struct but not the kernel stack (or
    the reverse), or neither."""
    with kernel.boot("test=thousand count=1000", dead_ends=STUBS) as m:
        r = m.expect(r"^thousand: created (\d+), joined (\d+), wrong values (\d+), free frames "
                     r"before (\d+), after (\d+), heap bytes in use before (\d+), after (\d+)$",
                     timeout=30)
        m.expect_exit(SUCCESS)
    created, joined, wrong, f0, f1, h0, h1 = map(int, r.groups())
    check(created == joined == 1000 and wrong == 0, "1000 threads, each joined with its value", r.group(0))
    check(abs(f0 - f1) <= 24, f"about {f0} free frames after (the heap may keep 16 pages)", f1)
    check(h0 == h1, f"{h0} heap bytes in use after, as before", h1)


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 5)
def test_mutex_counter(kernel):
    """N threads x M increments under a mutex (with yields inside): exactly
    N x M. Catches a mutex_lock that checks once (if, not while) or never
    blocks, an unlock that wakes nobody, and a waitqueue_sleep that keeps
    the guard while asleep."""
    n, iters = rng.randint(3, 8), rng.randint(200, 800)
    with kernel.boot(f"test=mutex threads={n} iterations={iters}", dead_ends=STUBS) as m:
        r = m.expect(r"^mutex: counter (\d+)$", timeout=30)
        m.expect_exit(SUCCESS)
    check(int(r.group(1)) == n * iters, f"counter {n * iters}", r.group(1))


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2, 3, 5)
def test_producer_consumer(kernel):
    """A bounded buffer on condition variables: no item lost, none twice, no
    lost wakeup. Catches a condvar_wait that does not release the mutex or
    does not take it back, a signal that wakes nobody, and a broadcast that
    wakes one."""
    p, c, k = rng.randint(1, 5), rng.randint(1, 5), rng.randint(50, 300)
    with kernel.boot(f"test=prodcons producers={p} consumers={c} items={k}", dead_ends=STUBS) as m:
        r = m.expect(r"^prodcons: consumed (\d+) items, sum (\d+)$", timeout=30)
        m.expect_exit(SUCCESS)
    check((int(r.group(1)), int(r.group(2))) == (p * k, p * k * (k + 1) // 2),
          f"{p * k} items, sum {p * k * (k + 1) // 2}", r.group(0))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3, 4)
def test_idle_halts(kernel):
    """With every thread asleep the idle thread halts: about one wakeup per
    tick. Catches a sleep that returns early when only the idle thread is
    left to run, and a sleeper not woken while the idle thread runs."""
    ms = rng.randint(200, 500)
    with kernel.boot(f"test=idle ms={ms}", dead_ends=STUBS) as m:
        r = m.expect(r"^idle: (\d+) wakeups of the idle thread in (\d+) ticks$")
        m.expect_exit(SUCCESS)
    wakeups, ticks = int(r.group(1)), int(r.group(2))
    check(ticks >= ms // 10, f"at least {ms // 10} ticks asleep", ticks)
    check(wakeups <= ticks + 10, f"at most one idle wakeup per tick ({ticks}): hlt, not a spin",
          wakeups)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2, 3)
def test_spinlock_timeout(kernel):
    """A spinlock kept across a switch: the next taker panics naming the
    holder and site (the spinlock is given). Catches a thread_yield that
    does not switch to the other thread, or never switches back."""
    src = (ROOT / "kernel" / "tests" / "lab5.c").read_text().splitlines()
    line = next(i + 1 for i, l in enumerate(src) if "spin_lock(&test_lock);" in l and "site" in l)
    with kernel.boot("test=spin_timeout", dead_ends=STUBS) as m:
        m.expect(rf"^PANIC at .*spinlock test held far too long by thread holder "
                 rf"\(taken at kernel/tests/lab5\.c:{line}\)$",
                 what=f"PANIC at ...: spinlock test held far too long by thread holder "
                      f"(taken at kernel/tests/lab5.c:{line})", timeout=20)
        m.expect_exit(FAILURE)


# ---- challenges (optional, not counted) ---------------------------------------------

def prio_max():
    """PRIO_MAX as thread.h defines it."""
    text = (ROOT / "kernel" / "include" / "thread.h").read_text()
    return int(re.search(r"^#define PRIO_MAX\s+(\d+)", text, re.M)[1])


@pytest.mark.points(10)
@pytest.mark.challenge(1)
def test_priority(kernel):
    """Challenge 1: threads given random priorities (some shared) by a main
    thread at PRIO_MAX, which then drops to PRIO_MIN: they run highest
    priority first, round-robin in creation order within a priority (each
    yields between rounds, with interrupts off otherwise), and main runs
    again only after all of them. Catches a run queue that ignores
    priorities, one that is LIFO or reorders within a level, a priority
    change that leaves a RUNNABLE thread on its old level, and a thread
    lowering its own priority without giving way."""
    top, n, rounds = prio_max(), rng.randint(5, 10), rng.randint(2, 3)
    while True:
        prios = [rng.randint(1, top) for _ in range(n)]
        if 2 <= len(set(prios)) < n:            # several levels, and one shared
            break
    want = [(i, level, r) for level in sorted(set(prios), reverse=True)
            for r in range(rounds) for i in range(n) if prios[i] == level]
    digits = "".join(map(str, prios))
    with kernel.boot(f"test=priority prios={digits} rounds={rounds}", dead_ends=STUBS) as m:
        m.expect_line("priority: start")
        m.expect_line("priority: main runs again", timeout=20)
        m.expect_line("ktest priority: ok")
        m.expect_exit(SUCCESS)
    body = m.text[m.text.index("priority: start"):m.text.index("priority: main runs again")]
    seen = [tuple(map(int, x)) for x in
            re.findall(r"^priority: thread (\d+) \(priority (\d+)\) round (\d+)$", body, re.M)]
    lines = lambda got: [f"thread {i} (priority {p}) round {r}" for i, p, r in got]
    check(seen == want, f"priorities {digits}: highest first, round-robin within one, all "
          "before main runs again:" + "".join("\n      | " + x for x in lines(want)), lines(seen))


@pytest.mark.points(5)
@pytest.mark.challenge(2)
def test_donation(kernel):
    """Challenge 2: main, at a random low priority L, holds a mutex that a
    thread at a random high priority H waits for, while a thread at a
    random middle priority M is ready: main must run next, at priority H,
    until it unlocks; then H gets the mutex, then M runs, and main is back
    at L. Catches no donation (M runs first: priority inversion), a
    donation that is never given back, and one given back without
    yielding to the waiter."""
    low, middle, high = sorted(rng.sample(range(1, prio_max() + 1), 3))
    with kernel.boot(f"test=donation low={low} middle={middle} high={high}",
                     dead_ends=STUBS) as m:
        m.expect_line("ktest donation: ok", timeout=20)
        m.expect_exit(SUCCESS)
    seen = re.findall(r"^donation: .*$", m.text, re.M)
    want = ["donation: L holds the mutex", "donation: H waits for the mutex",
            f"donation: L runs at priority {high}", "donation: H got the mutex",
            "donation: M runs", f"donation: L done at priority {low}"]
    check(seen == want, f"priorities L={low} M={middle} H={high}, in this order:"
          + "".join("\n      | " + x for x in want), seen)
