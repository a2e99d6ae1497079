"""Lab 2 graders: interrupts and exceptions (handouts/lab2-interrupts.md, §5).

Addresses, selectors, words and intervals are drawn at random here; the
expected report is computed here and checked against the kernel's ELF.
"""

import re
import time

import pytest

from checks import (check, check_frames, expect_exception, expect_panic_exit, parse_backtrace,
                    rng, word)
from gradelib import SUCCESS, kernel_symbols, symbolize

# A Lab 2 stub announces itself (e.g. "pic: not remapped yet (LAB 2,
# exercise 4)"): the awaited output will not come, so stop at once.
STUBS = [(r"\(LAB 2, exercise \d+", "the kernel printed: {line}")]

@pytest.mark.points(10)
def test_int3(kernel):
    """int3: a report naming the breakpoint, rip just after int3, and execution goes on."""
    syms = kernel_symbols(kernel.elf)
    with kernel.boot("test=int3", dead_ends=STUBS) as m:
        m.expect_line("int3: before")
        rip = expect_exception(m, syms, "Breakpoint", "BP", 3)
        after = syms["ktest_int3_resume"][0]
        check(rip == after, f"rip=0x{after:016x}, the instruction after int3", f"0x{rip:016x}")
        m.expect_line("int3: after")
        m.expect_line("ktest int3: ok")
        m.expect_exit(SUCCESS)


@pytest.mark.points(10)
def test_divide_error(kernel):
    """Division by zero: #DE report at the dividing instruction, panic, failure status."""
    syms = kernel_symbols(kernel.elf)
    with kernel.boot("test=divzero", dead_ends=STUBS) as m:
        rip = expect_exception(m, syms, "Divide error", "DE", 0)
        check(symbolize(syms, rip, exact=True)[0] == "ktest_fn_divzero",
              "the fault in ktest_fn_divzero", symbolize(syms, rip, exact=True)[0])
        m.expect_line("Backtrace:")
        start = m.pos
        expect_panic_exit(m)
    frames = parse_backtrace(m.text[start:m.text.index("PANIC at", start)])
    check_frames(frames, syms)
    names = [f[3] for f in frames]
    check(names[:1] == ["ktest_run"] and names[-2:] == ["kmain", "higher_half_entry"],
          "a backtrace from the divider's caller (ktest_run) down to kmain", " <- ".join(names))


@pytest.mark.points(15)
def test_page_fault(kernel):
    """A read or write at an address the grader picks: cr2 and the decoded error code."""
    addr = rng.randrange(1 << 32, 1 << 47) & ~7      # canonical, lower half, above 4 GiB
    write = rng.choice([0, 1])
    syms = kernel_symbols(kernel.elf)
    with kernel.boot(f"test=pagefault addr={addr:#x} write={write}", dead_ends=STUBS) as m:
        expect_exception(m, syms, "Page fault", "PF", 14)
        access = "write" if write else "read"
        m.expect_line(f"  error code 0x{2 * write:x}: page not present, {access}, kernel mode")
        m.expect_line(f"  cr2=0x{addr:016x}")
        expect_panic_exit(m)


@pytest.mark.points(10)
def test_general_protection(kernel):
    """Loading a selector past the GDT: #GP with the selector decoded."""
    index = rng.randint(8, 8191)
    syms = kernel_symbols(kernel.elf)
    with kernel.boot(f"test=gpf index={index}", dead_ends=STUBS) as m:
        expect_exception(m, syms, "General protection fault", "GP", 13)
        m.expect_line(f"  error code 0x{index << 3:x}: GDT selector index {index}")
        expect_panic_exit(m)


@pytest.mark.points(15)
def test_stack_overflow(kernel):
    """Unbounded recursion: a double fault handled on IST1, failure status, no triple fault."""
    syms = kernel_symbols(kernel.elf)
    start, size, _ = syms["ist_stacks"]
    with kernel.boot("test=stack_overflow", dead_ends=STUBS) as m:
        expect_exception(m, syms, "Double fault", "DF", 8)
        h = m.expect(r"^  handler stack: IST(\d) \(rsp=0x([0-9a-f]{16})\)$",
                     what="  handler stack: IST1 (rsp=0x...)")
        rsp = int(h.group(2), 16)
        ist1 = (start + 4096, start + size // 3)      # each slot: a guard page, then the stack
        check(h.group(1) == "1" and ist1[0] < rsp <= ist1[1],
              f"the handler on IST1 (0x{ist1[0]:x}..0x{ist1[1]:x})", f"IST{h.group(1)} rsp=0x{rsp:x}")
        expect_panic_exit(m)


@pytest.mark.points(10)
def test_timer_rate(kernel):
    """n ticks at 100 Hz take n/100 s of wall time (QEMU's PIT follows host time)."""
    n = rng.randint(50, 120)
    with kernel.boot(f"test=timer ticks={n}", dead_ends=STUBS) as m:
        m.expect_line("timer: 100 Hz")
        a = m.expect(r"^timer: start at tick (\d+)$")
        b = m.expect(r"^timer: end at tick (\d+)$")
        m.expect_exit(SUCCESS)
    ticks = int(b.group(1)) - int(a.group(1))
    check(n <= ticks <= n + 1, f"{n} ticks between the lines", ticks)
    seconds = m.time_of(b) - m.time_of(a)
    want = n / 100
    check(0.8 * want <= seconds <= 1.5 * want + 0.1,
          f"about {want:.2f} s of wall time for {n} ticks at 100 Hz", f"{seconds:.2f} s")


@pytest.mark.points(10)
def test_irq_vectors(kernel):
    """The timer arrives at vector 32 and the keyboard at 33 (remapped PICs)."""
    with kernel.boot("test=irqs", dead_ends=STUBS) as m:
        m.expect_line("irqs: press a key")
        m.send_key(rng.choice("abcdefghijklmnopqrstuvwxyz"))
        m.expect_line("ktest irqs: ok")
        m.expect_exit(SUCCESS)
    counts = {int(v): int(c) for v, c in re.findall(r"^irqs: vector (\d+) count (\d+)$",
                                                     m.text, re.MULTILINE)}
    check(counts.get(32, 0) >= 10, "at least 10 timer interrupts at vector 32", counts)
    check(counts.get(33, 0) >= 1, "keyboard interrupts at vector 33", counts)
    check(not any(v < 32 for v in counts), "no exception vectors (0-31) taken", counts)


@pytest.mark.points(10)
def test_keyboard(kernel):
    """Words typed through QEMU's keyboard: shift, caps lock, ctrl, an arrow key."""
    w1 = word(rng.randint(5, 10))
    w2 = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
    with kernel.boot(dead_ends=[(r"\(LAB 2, exercise [25]\)", "the kernel printed: {line}")]) as m:
        m.expect_prompt()
        m.type_text("echo " + w1)
        m.send_key("left")                  # an extended (0xE0) key: ignored
        m.type_text("\n")
        m.expect_line(w1)
        m.expect_prompt()
        m.send_key("caps_lock")             # letters now upper case; shift lowers them
        for c in "echo":
            m.send_key("shift", c)
        m.type_text(" " + w2[:3])
        m.send_key("ctrl", "c")             # a control character: the monitor drops it
        m.type_text(w2[3:] + "\n")
        m.send_key("caps_lock")
        m.expect_line(w2.upper())
        m.expect_prompt()
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
def test_timer_in_monitor(kernel):
    """The timer keeps ticking while the monitor waits for input."""
    with kernel.boot(dead_ends=STUBS) as m:
        m.expect_prompt()
        m.send("uptime\r")
        a = m.expect(r"^uptime: (\d+) ticks at 100 Hz")
        m.expect_prompt()
        time.sleep(0.3)                     # the interval under test: nothing to wait for
        m.send("uptime\r")
        b = m.expect(r"^uptime: (\d+) ticks at 100 Hz")
        m.expect_prompt()
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)
    ticks = int(b.group(1)) - int(a.group(1))
    wall = m.time_of(b) - m.time_of(a)
    check(ticks >= 0.5 * 100 * wall, f"about {100 * wall:.0f} ticks in {wall:.2f} s", ticks)


@pytest.mark.points(5)
def test_bad_vectors(kernel):
    """An unused vector and an IRQ without a handler: reported once each, the kernel goes on."""
    with kernel.boot("test=bad_vectors", dead_ends=STUBS) as m:
        m.expect_line("bad_vectors: still running")
        m.expect_exit(SUCCESS)
    unexpected = re.findall(r"^trap: unexpected interrupt vector 144 ", m.text, re.MULTILINE)
    no_handler = re.findall(r"^irq: IRQ 3 \(vector 35\) has no handler", m.text, re.MULTILINE)
    check(len(unexpected) == 1, "one 'trap: unexpected interrupt vector 144' line", len(unexpected))
    check(len(no_handler) == 1, "one 'irq: IRQ 3 (vector 35) has no handler' line", len(no_handler))
