"""Lab 2 graders: interrupts and exceptions (handouts/lab2-interrupts.md, §5).

Addresses, selectors, register values, gates, scancodes, words, rates and
intervals are drawn at random here; the expected report is computed here and
checked against the kernel's ELF. Each test grades the exercises its
@pytest.mark.exercise names and needs no other. Exercises 1, 2, 3 and 5
have tests that grade them alone (ist_stacks and idt_gates, exception_report,
pic, kbd_translate): they read the TSS, the IDT or the PICs from outside
through QEMU's monitor, or call the exercise's functions with the grader's
values (kernel/tests/lab2.c). The others need the exercises that work
together for an exception or an IRQ to arrive; the timer (exercise 4) needs
the IDT and the PICs to tick at all. Tests come in the exercises' order;
the challenge's test comes last.
"""

import re
import struct
import time

import pytest

from checks import (check, check_frames, expect_exception, expect_panic_exit, parse_backtrace,
                    rng, word)
from gradelib import FAILURE, SUCCESS, kernel_symbols, stub_dead_ends, symbolize

KERNEL_VMA = 0xFFFFFFFF80000000      # the kernel image: physical address + KERNEL_VMA


def stub_message(prefix):
    """The dead end of one stub's message, the line that starts with prefix:
    for a test that needs only part of an exercise (the TSS, not the IDT)."""
    return [(rf"^{prefix}.*\(LAB 2, exercise \d\)", "the kernel printed: {line}")]


def stubs(*exercises):
    """Dead ends for a test that needs these exercises (gradelib): the
    message of one of their stubs (e.g. "pic: not remapped yet (LAB 2,
    exercise 3)") means the awaited output will not come."""
    return stub_dead_ends(2, exercises=exercises)


# ---- reading the machine from outside ---------------------------------------

def hmp(m, command):
    """The text QEMU's monitor prints for command (e.g. "info pic")."""
    return m.qmp("human-monitor-command", **{"command-line": command})


def cpu_halted(m):
    """"HLT=1" if the CPU is halted, "HLT=0" if not (QEMU's `info registers`)."""
    try:
        h = re.search(r"\bHLT=\d", hmp(m, "info registers"))
    except OSError:
        return "QEMU had quit"
    return h.group(0) if h else "no HLT= in 'info registers'"


def cpu_register(m, name):
    """(selector or None, base, limit) of TR, GDT or IDT, from `info registers`."""
    regs = hmp(m, "info registers")
    r = re.search(rf"^{name}\s*=\s*([0-9a-f]{{4}} )?([0-9a-f]{{16}}) ([0-9a-f]{{8}})", regs, re.M)
    check(r, f"a {name} line in QEMU's 'info registers'", regs)
    return (int(r.group(1), 16) if r.group(1) else None), int(r.group(2), 16), int(r.group(3), 16)


def read_kernel(m, addr, size, what):
    """size bytes at addr in the kernel image (linked at KERNEL_VMA + physical)."""
    check(addr >= KERNEL_VMA, f"{what} in the kernel image (at 0x{KERNEL_VMA:x} and above)",
          f"0x{addr:016x}")
    return m.read_phys(addr - KERNEL_VMA, size)


# ---- exercise 1: the IST stacks in the TSS ----------------------------------

IST_NAMES = ("IST1, double fault", "IST2, NMI", "IST3, machine check")


def ist_stacks(syms):
    """[(bottom, top)] of ist_stacks[0..2].stack: each slot is a guard page,
    then the stack."""
    base, size, _ = syms["ist_stacks"]
    slot = size // 3
    return [(base + i * slot + 4096, base + (i + 1) * slot) for i in range(3)]


def describe_ist(value, stacks):
    """What an IST entry points at, in the student's terms."""
    for i, (bottom, top) in enumerate(stacks):
        if value == top:
            return f"0x{value:016x}, the top of ist_stacks[{i}].stack"
        if value == bottom:
            return (f"0x{value:016x}, the start of ist_stacks[{i}].stack (stacks grow down: "
                    "the top is the address just past its end)")
        if bottom < value < top:
            return f"0x{value:016x}, inside ist_stacks[{i}].stack, not its top"
    return f"0x{value:016x}" + (" (not set)" if value == 0 else "")


@pytest.mark.points(5)
@pytest.mark.exercise(1)
def test_ist_stacks(kernel):
    """The TSS the CPU uses (TR's base, read from outside): IST1-3 hold the
    tops of ist_stacks[0..2].stack, IST4-7 stay 0. Catches the bottom of a
    stack instead of its top, the guard page, slots off by one (ist[1] for
    IST1), and two slots sharing a stack."""
    syms = kernel_symbols(kernel.elf)
    stacks = ist_stacks(syms)
    with kernel.boot("test=tables", dead_ends=stub_message("gdt:")) as m:
        m.expect_line("ktest: hold")
        _, base, _ = cpu_register(m, "TR")
        tss = read_kernel(m, base, 104, "the TSS (TR's base)")
        m.send("\r")
        m.expect_exit(SUCCESS)
    ist = struct.unpack_from("<7Q", tss, 36)        # after reserved0, rsp[3], reserved1
    for i in range(3):
        check(ist[i] == stacks[i][1],
              f"TSS ist[{i}] ({IST_NAMES[i]}) = 0x{stacks[i][1]:016x}, the top (end) of "
              f"ist_stacks[{i}].stack", describe_ist(ist[i], stacks))
    check(ist[3:] == (0, 0, 0, 0), "TSS ist[3..6] = 0 (unused slots)",
          " ".join(f"0x{v:x}" for v in ist[3:]))


# ---- exercise 1: the IDT gates ----------------------------------------------

IST_OF_VECTOR = {2: 2, 8: 1, 18: 3}      # NMI, double fault, machine check (idt_init)


def gate_fields(idt, v):
    """(handler, selector, IST byte, type_attr, reserved) of gate v."""
    low, sel, ist, attr, mid, high, reserved = struct.unpack_from("<HHBBHII", idt, 16 * v)
    return low | mid << 16 | high << 32, sel, ist, attr, reserved


def show_gate(fields):
    handler, sel, ist, attr, reserved = fields
    return (f"handler 0x{handler:016x} selector 0x{sel:x} IST {ist} type_attr 0x{attr:02x}"
            + (f" reserved 0x{reserved:x}" if reserved else ""))


@pytest.mark.points(10)
@pytest.mark.exercise(1)
def test_idt_gates(kernel):
    """The IDT the CPU uses (IDTR, read from outside): each gate holds its
    isr_stub_N (from the ELF), selector 0x08, an interrupt gate, the IST
    slots of vectors 2, 8 and 18; and one free vector, filled by
    idt_set_gate with the grader's handler, DPL (1-3) and IST slot (4-7),
    as a trap gate: what the kernel's own gates do not try. The handler is
    random with the low bit of each 16-bit piece set. Catches offset pieces
    shifted or truncated (a mask that drops a piece's low bit too), a
    missing present bit, DPL or type in the wrong bits, the IST slot
    ignored, the reserved word left dirty."""
    syms = kernel_symbols(kernel.elf)
    vector = rng.choice([v for v in range(0x32, 0x100) if v != 0x80])
    handler = rng.getrandbits(64) | 1 | 1 << 16 | 1 << 32 | 1 << 48
    kind, dpl, ist = 0xF, rng.randint(1, 3), rng.randint(4, 7)
    want = {v: (syms[f"isr_stub_{v}"][0], 0x08, IST_OF_VECTOR.get(v, 0), 0x8E, 0) for v in range(256)}
    if kernel.lab >= 6:
        want[0x80] = want[0x80][:3] + (0xEE, 0)          # int 0x80: DPL 3 (Lab 6)
    want[vector] = (handler, 0x08, ist, 0x80 | dpl << 5 | kind, 0)
    with kernel.boot(f"test=idt_gate vector={vector} handler={handler:#x} type={kind} dpl={dpl} "
                     f"ist={ist}", dead_ends=stub_message("idt:")) as m:
        m.expect_line("ktest: hold")
        _, base, limit = cpu_register(m, "IDT")
        idt = read_kernel(m, base, 16 * 256, "the IDT (IDTR's base)")
        m.send("\r")
        m.expect_exit(SUCCESS)
    check(limit == 16 * 256 - 1, "IDTR limit 0xfff (256 gates of 16 bytes)", f"0x{limit:x}")
    wrong = [v for v in range(256) if gate_fields(idt, v) != want[v]]
    check(not wrong, "every gate as §2.2 draws it; gate 0x%02x is idt_set_gate(0x%02x, 0x%x, "
          "0x%x, %d, %d)" % (vector, vector, handler, kind, dpl, ist),
          [f"{len(wrong)} wrong gates; the first:"]
          + [f"gate 0x{v:02x}: {show_gate(gate_fields(idt, v))}\n"
             f"  should be:  {show_gate(want[v])}" for v in wrong[:3]])


# ---- exercise 2: the report, on the grader's trap frame ---------------------

EXCEPTIONS = {
    0: ("Divide error", "DE"), 1: ("Debug", "DB"), 3: ("Breakpoint", "BP"), 4: ("Overflow", "OF"),
    5: ("BOUND range exceeded", "BR"), 6: ("Invalid opcode", "UD"),
    7: ("Device not available", "NM"), 10: ("Invalid TSS", "TS"),
    11: ("Segment not present", "NP"), 12: ("Stack-segment fault", "SS"),
    13: ("General protection fault", "GP"), 14: ("Page fault", "PF"),
    16: ("x87 floating-point error", "MF"), 19: ("SIMD floating-point exception", "XM"),
    20: ("Virtualization exception", "VE"),
}
SELECTOR_ERRORS = (10, 11, 12, 13)
REGS = "rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15".split()


def random_code_address(syms):
    """An address inside a kernel function, and its symbol+offset."""
    funcs = [(a, s, n) for n, (a, s, k) in syms.items() if k in "tT" and s > 0]
    while True:
        start, size, name = rng.choice(funcs)
        rip = start + rng.randrange(size)
        if symbolize(syms, rip, exact=True) == (name, rip - start):
            return rip, f"{name}+0x{rip - start:x}"


def error_lines(vector, error, cr2):
    """The decoded error code lines of the report (§3.2)."""
    if vector == 14:
        bits = ["protection violation" if error & 1 else "page not present",
                "write" if error & 2 else "read", ("user" if error & 4 else "kernel") + " mode"]
        extra = (", reserved bit set" if error & 8 else "") + (", instruction fetch" if error & 16 else "")
        return [f"  error code 0x{error:x}: {', '.join(bits)}{extra}", f"  cr2=0x{cr2:016x}"]
    if vector in SELECTOR_ERRORS:
        table = ("GDT", "IDT", "LDT", "IDT")[error >> 1 & 3]
        return [f"  error code 0x{error:x}: {table} selector index {error >> 3 & 0x1FFF}"
                + (", external event" if error & 1 else "")]
    return []


def check_report_block(lines, vector, error, ist, frame, syms):
    """The lines of one report between its first line and 'Backtrace:'."""
    about = f"the report of vector {vector} (error 0x{error:x}"
    about += f", on IST stack {ist})" if ist else ", on the boot stack)"
    first_reg = next((i for i, line in enumerate(lines) if "rax" in line), len(lines))
    want = error_lines(vector, error, frame["cr2"])
    check(lines[:first_reg] == want, f"{about}: after its first line " + (
          " then ".join(map(repr, want)) if want else "the registers (no error code line)"),
          lines[:first_reg])
    last_reg = next((i for i, line in enumerate(lines) if "ss=" in line), len(lines) - 1)
    pairs = re.findall(r"(\w+)\s*=0x([0-9a-f]+)", "\n".join(lines[first_reg:last_reg + 1]))
    expected = [(r, frame[r]) for r in REGS + ["rflags", "cs", "ss"]]
    check([(n, int(v, 16)) for n, v in pairs] == expected,
          f"{about}: the registers of the frame, in order: "
          + " ".join(f"{n}=0x{v:x}" for n, v in expected), lines[first_reg:last_reg + 1])
    rest = lines[last_reg + 1:]
    if ist:
        bottom, top = ist_stacks(syms)[ist - 1]
        h = re.fullmatch(r"  handler stack: IST(\d) \(rsp=0x([0-9a-f]{16})\)", rest[0] if rest else "")
        check(len(rest) == 1 and h and int(h.group(1)) == ist and bottom < int(h.group(2), 16) <= top,
              f"{about}: '  handler stack: IST{ist} (rsp=0x...)' with rsp in 0x{bottom:x}..0x{top:x}",
              rest)
    else:
        check(not rest, f"{about}: no 'handler stack' line after the registers", rest)


@pytest.mark.points(10)
@pytest.mark.exercise(2)
def test_exception_report(kernel):
    """exception_report on five trap frames of random registers, cr2 and
    rip, one boot: page faults with random error bits and their complement,
    two selector errors (GDT or LDT with an external event, IDT without),
    an exception without error code, each on the boot stack or one of the
    IST stacks. Every line of each report, and a backtrace from the frame's
    rbp. Catches the table taken from the wrong bits of a selector error
    (bits 0-1: the two selectors cannot both decode right)."""
    syms = kernel_symbols(kernel.elf)
    rip, where = random_code_address(syms)
    frame = {r: rng.getrandbits(64) for r in REGS + ["rflags", "cr2"]}
    frame["rbp"] = rng.randrange(1 << 12, 1 << 47) & ~7   # not a kernel stack: the chain ends at once
    frame["cs"], frame["ss"] = rng.getrandbits(16), rng.getrandbits(16)
    pf_error = rng.randrange(32)
    # index bit 12 set (test_general_protection has the low ones), GDT or LDT, an external
    # event; and any index in the IDT, no external event: the table's bits are 1-2, not 0-1
    selectors = [rng.randrange(1 << 12, 1 << 13) << 3 | rng.choice([0, 2]) << 1 | 1,
                 rng.randrange(1, 1 << 13) << 3 | rng.choice([1, 3]) << 1]
    cases = [(14, pf_error), (14, pf_error ^ 0x1F)]
    cases += [(rng.choice(SELECTOR_ERRORS), selector) for selector in selectors]
    cases += [(rng.choice([v for v in EXCEPTIONS if v != 14 and v not in SELECTOR_ERRORS]), 0)]
    rng.shuffle(cases)
    ists = rng.sample(range(4), 4) + [rng.randrange(4)]          # every stack, one twice
    rng.shuffle(ists)
    cases = [(v, e, ist) for (v, e), ist in zip(cases, ists)]
    cmdline = (f"test=report vectors={','.join(str(v) for v, _, _ in cases)} "
               f"errors={','.join(f'{e:#x}' for _, e, _ in cases)} "
               f"ists={','.join(str(i) for _, _, i in cases)} rip={rip:#x} "
               + " ".join(f"{k}={frame[k]:#x}" for k in ("rflags", "cs", "ss", "cr2"))
               + " regs=" + ",".join(f"{frame[r]:#x}" for r in REGS))
    assert len(cmdline) < 512, len(cmdline)                       # CMDLINE_MAX_LEN
    backtraces = []
    with kernel.boot(cmdline, dead_ends=stubs(2)) as m:
        for vector, error, ist in cases:
            name, mnemonic = EXCEPTIONS[vector]
            first = f"EXCEPTION: {name} (#{mnemonic}, vector {vector}) at rip=0x{rip:016x} {where}"
            start = m.expect(r"^EXCEPTION: .*$", what=first)
            check(start.group(0) == first, first, start.group(0))
            end = m.expect(r"^Backtrace:$", what="'Backtrace:' after the registers")
            check_report_block(m.text[start.end():end.start()].strip("\n").split("\n"),
                               vector, error, ist, frame, syms)
            backtraces.append(end.end())
        ok = m.expect_line("ktest report: ok")
        m.expect_exit(SUCCESS)
    for bt in backtraces:
        frame0 = m.text[bt:ok.start()].strip("\n").split("\n")[0]
        check(re.search(rf"\b0x0*{frame['rbp']:x}\b", frame0),
              f"a backtrace from the frame's rbp: its first line names rbp=0x{frame['rbp']:016x}",
              frame0)


# ---- exercises 1 and 2: exceptions delivered and reported -------------------

@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_int3(kernel):
    """int3: a report naming the breakpoint, rip just after int3, '  breakpoint:
    resuming', and execution goes on. Catches a dispatcher that panics on
    #BP (or returns for every exception, or silently), and a report whose
    rip is not the frame's."""
    syms = kernel_symbols(kernel.elf)
    with kernel.boot("test=int3", dead_ends=stubs(1, 2)) as m:
        m.expect_line("int3: before")
        rip = expect_exception(m, syms, "Breakpoint", "BP", 3)
        after = syms["ktest_int3_resume"][0]
        check(rip == after, f"rip=0x{after:016x}, the instruction after int3", f"0x{rip:016x}")
        m.expect_line("  breakpoint: resuming")
        m.expect_line("int3: after")
        m.expect_line("ktest int3: ok")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_divide_error(kernel):
    """Division by zero: #DE report at the dividing instruction, panic, failure
    status. Catches a fault that returns (it would fault again forever), a
    backtrace that does not start from the frame's rbp."""
    syms = kernel_symbols(kernel.elf)
    with kernel.boot("test=divzero", dead_ends=stubs(1, 2)) as m:
        rip = expect_exception(m, syms, "Divide error", "DE", 0)
        check(symbolize(syms, rip, exact=True)[0] == "ktest_fn_divzero",
              "the fault in ktest_fn_divzero",
              symbolize(syms, rip, exact=True)[0] or f"rip 0x{rip:x}, in no kernel function")
        m.expect_line("Backtrace:")
        start = m.pos
        expect_panic_exit(m)
    frames = parse_backtrace(m.text[start:m.text.index("PANIC at", start)])
    check_frames(frames, syms)
    names = [f[3] for f in frames]
    check(names[:1] == ["ktest_run"] and names[-2:] == ["kmain", "higher_half_entry"],
          "a backtrace from the divider's caller (ktest_run) down to kmain", " <- ".join(names))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_page_fault(kernel):
    """A read or write at an address the grader picks: cr2 and the decoded
    error code. Catches cr2 left out or read as something else, read and
    write swapped."""
    addr = rng.randrange(1 << 32, 1 << 47) & ~7      # canonical, lower half, above 4 GiB
    write = rng.choice([0, 1])
    syms = kernel_symbols(kernel.elf)
    with kernel.boot(f"test=pagefault addr={addr:#x} write={write}", dead_ends=stubs(1, 2)) as m:
        expect_exception(m, syms, "Page fault", "PF", 14)
        access = "write" if write else "read"
        m.expect_line(f"  error code 0x{2 * write:x}: page not present, {access}, kernel mode")
        m.expect_line(f"  cr2=0x{addr:016x}")
        expect_panic_exit(m)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 2)
def test_general_protection(kernel):
    """Loading a selector the grader picks past the GDT: #GP with the selector
    decoded. Catches the index taken without dropping bits 0-2, a real #GP's
    error code not decoded."""
    index = rng.randint(8, 8191)
    syms = kernel_symbols(kernel.elf)
    with kernel.boot(f"test=gpf index={index}", dead_ends=stubs(1, 2)) as m:
        expect_exception(m, syms, "General protection fault", "GP", 13)
        m.expect_line(f"  error code 0x{index << 3:x}: GDT selector index {index}")
        expect_panic_exit(m)


@pytest.mark.points(10)
@pytest.mark.exercise(1, 2)
def test_stack_overflow(kernel):
    """Unbounded recursion: a double fault handled on IST1, a PANIC that
    says "stack overflow", failure status, no triple fault. Catches an IST
    entry that is not the top of its stack (the report would run off its
    end), a DF gate without IST, a dispatcher that returns from #DF or
    gives it the message of any other exception."""
    syms = kernel_symbols(kernel.elf)
    bottom, top = ist_stacks(syms)[0]
    with kernel.boot("test=stack_overflow", dead_ends=stubs(1, 2)) as m:
        expect_exception(m, syms, "Double fault", "DF", 8)
        h = m.expect(r"^  handler stack: IST(\d) \(rsp=0x([0-9a-f]{16})\)$",
                     what="  handler stack: IST1 (rsp=0x...)")
        rsp = int(h.group(2), 16)
        check(h.group(1) == "1" and bottom < rsp <= top,
              f"the handler on IST1 (0x{bottom:x}..0x{top:x})", f"IST{h.group(1)} rsp=0x{rsp:x}")
        p = m.expect(r"^PANIC at .*$", what="a PANIC line after the report")
        check("stack overflow" in p.group(0).lower(),
              "a double fault's PANIC message that says 'stack overflow' (§3.2)", p.group(0))
        m.expect_exit(FAILURE)


# ---- exercise 3: the PICs and IRQ dispatch ------------------------------------

def pic_state(m):
    """{"master": {...}, "slave": {...}}: irr, imr, isr, irq_base, ... of
    the two 8259s, from QEMU's `info pic`."""
    out = hmp(m, "info pic")
    chips = {name: {k: int(v, 16) for k, v in re.findall(r"(\w+)=([0-9a-f]+)", fields)}
             for name, fields in re.findall(r"^(pic[01]): (.*)$", out, re.M)}
    check(set(chips) == {"pic0", "pic1"}, "pic0 and pic1 in QEMU's 'info pic'", out)
    return {"master": chips["pic0"], "slave": chips["pic1"]}


def check_pics(m, step, isr, imr):
    """At a hold of test=pic: both chips remapped, and their in-service and
    mask registers as given (master, slave)."""
    pics = pic_state(m)
    seen = {chip: " ".join(f"{k}=0x{pics[chip][k]:02x}" for k in ("irq_base", "imr", "isr"))
            for chip in pics}
    for chip, base in (("master", 0x20), ("slave", 0x28)):
        check(pics[chip]["irq_base"] == base,
              f"the {chip} PIC remapped: IRQ {0 if base == 0x20 else 8} at vector 0x{base:x} (ICW2)",
              f"{chip}: {seen[chip]}")
    for chip, want in zip(("master", "slave"), isr):
        check(pics[chip]["isr"] == want, f"{step}: {chip} in-service register 0x{want:02x}"
              + (" (ICW4 0x01: no auto-EOI)" if step.endswith("service") else ""),
              f"{chip}: {seen[chip]}")
    for chip, want in zip(("master", "slave"), imr):
        check(pics[chip]["imr"] == want,
              f"{step}: {chip} mask 0x{want:02x} (the masks restored after initialisation)",
              f"{chip}: {seen[chip]}")


@pytest.mark.points(10)
@pytest.mark.exercise(3)
def test_pic(kernel):
    """The PICs read from outside (QEMU's `info pic`), interrupts off: both
    remapped to 0x20/0x28 with their masks kept; IRQ 0, then IRQ 8 (RTC) put
    in service by polling, and pic_eoi clears the in-service bits: the
    master's, then the slave's and the master's IRQ 2. pic_is_spurious(7)
    with IRQ 0 in service, and (15) with IRQ 8 in service: both spurious; the
    7 owes no EOI (IRQ 0 stays in service), the 15 owes the master its IRQ 2
    and the slave nothing. Catches ICW2 bases swapped or unshifted, ICW3
    values swapped (the slave's IRQs never reach the master), auto-EOI in
    ICW4, masks not restored, an EOI to the master only or to the slave only
    for IRQ 8, an EOI for a spurious 7, a missing or extra EOI for a spurious
    15, the in-service bit of the wrong IRQ tested."""
    with kernel.boot("test=pic", dead_ends=stubs(3)) as m:
        for line, step, isr, imr in (
                ("pic: IRQ 0 in service", "IRQ 0 in service", (0x01, 0x00), (0xFE, 0xFF)),
                ("pic: pic_is_spurious(7) = 1", "after pic_is_spurious(7) (no EOI owed)",
                 (0x01, 0x00), (0xFE, 0xFF)),
                ("pic: pic_eoi(0) returned", "after pic_eoi(0)", (0x00, 0x00), (0xFE, 0xFF)),
                ("pic: IRQ 8 in service", "IRQ 8 in service", (0x04, 0x01), (0xFB, 0xFE)),
                ("pic: pic_eoi(8) returned", "after pic_eoi(8)", (0x00, 0x00), (0xFB, 0xFE)),
                ("pic: IRQ 8 in service again", "IRQ 8 in service again", (0x04, 0x01),
                 (0xFB, 0xFE)),
                ("pic: pic_is_spurious(15) = 1",
                 "after pic_is_spurious(15) (an EOI to the master only)", (0x00, 0x01), (0xFB, 0xFE)),
                ("pic: pic_eoi(8) returned again", "after pic_eoi(8)", (0x00, 0x00), (0xFB, 0xFE))):
            m.expect_line(line)
            m.expect_line("ktest: hold")
            check_pics(m, step, isr, imr)
            m.send("\r")
        m.expect_line("ktest pic: ok")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 3, 4)
def test_bad_vectors(kernel):
    """An unused vector and an unmasked IRQ without a handler, each raised
    twice: one message each, at the first arrival, the IRQ masked (read from
    outside); IRQ 7's and 15's vectors raised with nothing in service (as
    spurious IRQs arrive): no message; and the timer still ticks. Catches an
    IRQ without a handler left unmasked, reported at every arrival or only
    from the second on, the wrong line masked, a spurious 7 or 15 taken for
    an IRQ without a handler (not checked with pic_is_spurious), an IRQ
    path that stops the timer (no EOI, a mask too wide)."""
    with kernel.boot("test=bad_vectors", dead_ends=stubs(1, 3, 4)) as m:
        m.expect_line("bad_vectors: still running")
        m.expect_line("ktest: hold")
        imr = pic_state(m)["master"]["imr"]
        m.send("\r")
        m.expect_exit(SUCCESS)
    for what, marker in (("trap: unexpected interrupt vector 144 ", "vector 144 raised once"),
                         ("irq: IRQ 3 (vector 35) has no handler", "IRQ 3 raised once")):
        lines = [r.start() for r in re.finditer("^" + re.escape(what), m.text, re.MULTILINE)]
        once = m.text.find(f"bad_vectors: {marker}")
        check(len(lines) == 1, f"one '{what.strip()}' line", len(lines))
        check(0 <= lines[0] < once, f"'{what.strip()}' at the first arrival, before "
              f"'bad_vectors: {marker}'", "after it")
    spurious = re.findall(r"^irq: IRQ (?:7|15)\b.*$", m.text, re.MULTILINE)
    check(not spurious, "no message for vectors 39 and 47 raised with nothing in service "
          "(spurious IRQs 7 and 15: pic_is_spurious)", spurious)
    check(imr & 0x1F == 0x08, "master mask: IRQ 3 masked; IRQ 0, 1, 2 and 4 (timer, keyboard, "
          "cascade, serial) still unmasked", f"imr=0x{imr:02x}")


# ---- exercise 4: the timer ----------------------------------------------------

PIT_INPUT_HZ = 1193182


@pytest.mark.points(5)
@pytest.mark.exercise(1, 3, 4)
def test_timer_rate(kernel):
    """At a rate the grader picks (hz=), channel 0 is a rate generator (mode
    2, low then high byte, binary: its read-back status) with the nearest
    divisor (measured against channel 2 over 8 reloads, three times: the
    median counts), and n ticks take n/hz s of wall time (QEMU's PIT
    follows host time). The rate is one where 1193182/hz has a fraction in
    [1/2, 2/3). Catches a divisor for the
    wrong rate, truncated or rounded otherwise than to the nearest, or only
    its low byte written, a one-shot or square-wave mode, ticks not counted
    or counted twice, a wait that returns early or spins past its tick, or
    spins instead of halting (QEMU's `info registers` says HLT=1 at one of
    five looks during the wait)."""
    hz = rng.choice([r for r in range(40, 251) if (PIT_INPUT_HZ + r // 2) // r
                     not in (PIT_INPUT_HZ // r, (PIT_INPUT_HZ + r // 3) // r)])
    divisor = (PIT_INPUT_HZ + hz // 2) // hz
    n = rng.randint(hz // 2, hz)
    with kernel.boot(f"hz={hz} test=timer ticks={n}", dead_ends=stubs(1, 3, 4)) as m:
        m.expect_line(f"timer: {hz} Hz")
        st = m.expect(r"^timer: channel 0 status 0x([0-9a-f]+)$")
        dv = [m.expect(r"^timer: (\d+) reloads in (\d+) input clocks, count (\d+) then (\d+)$",
                       what="timer: N reloads in C input clocks, count A then B") for _ in range(3)]
        a = m.expect(r"^timer: start at tick (\d+)$")
        halted = [cpu_halted(m) for _ in range(5)]
        b = m.expect(r"^timer: end at tick (\d+)$")
        m.expect_exit(SUCCESS)
    status = int(st.group(1), 16)
    check(status >> 4 & 3 == 3 and status >> 1 & 3 == 2 and not status & 1,
          "channel 0 status: access low then high byte (bits 5-4 = 3), mode 2 (bits 3-1 = "
          "x10), binary (bit 0 = 0)", f"0x{status:02x}")
    # clocks = reloads * divisor + first count - last count, give or take a clock at each end
    # (the two channels latched a moment apart); reloads from the clocks, should one be missed;
    # the median of three measurements, should the host stall the guest during one
    measured = []
    for d in dv:
        clocks = int(d.group(2)) + int(d.group(4)) - int(d.group(3))
        measured.append(clocks / max(1, round(clocks / divisor)))
    check(abs(sorted(measured)[1] - divisor) < 0.5,
          f"channel 0's divisor {divisor}, the nearest to {PIT_INPUT_HZ}/{hz} = "
          f"{PIT_INPUT_HZ / hz:.3f} (median of three measurements over 8 reloads)",
          " ".join(f"{v:.2f}" for v in measured))
    check(any(h == "HLT=1" for h in halted), "the CPU halted (HLT=1 in 'info registers') at "
          "one of five looks while pit_wait_ticks waits", halted)
    ticks = int(b.group(1)) - int(a.group(1))
    check(n <= ticks <= n + 1, f"{n} ticks between the lines", ticks)
    seconds = m.time_of(b) - m.time_of(a)
    want = n * divisor / PIT_INPUT_HZ
    check(0.8 * want <= seconds <= 1.5 * want + 0.1,
          f"about {want:.2f} s of wall time for {n} ticks at {hz} Hz", f"{seconds:.2f} s")


@pytest.mark.points(5)
@pytest.mark.exercise(1, 3, 4)
def test_irq_vectors(kernel):
    """The timer arrives at vector 32 and the keyboard at 33 (remapped PICs).
    Catches IRQs at the BIOS's vectors (8-15: exceptions), the slave's base
    given to the master, EOIs missing so that only one tick arrives."""
    with kernel.boot("test=irqs", dead_ends=stubs(1, 3, 4)) as m:
        m.expect_line("irqs: press a key")
        m.send_key(rng.choice("abcdefghijklmnopqrstuvwxyz"))
        m.expect_line("ktest irqs: ok")
        m.expect_exit(SUCCESS)
    counts = {int(v): int(c) for v, c in re.findall(r"^irqs: vector (\d+) count (\d+)$",
                                                     m.text, re.MULTILINE)}
    check(counts.get(32, 0) >= 10, "at least 10 timer interrupts at vector 32", counts)
    check(counts.get(33, 0) >= 1, "keyboard interrupts at vector 33", counts)
    check(not any(v < 32 for v in counts), "no exception vectors (0-31) taken", counts)


@pytest.mark.points(5)
@pytest.mark.exercise(1, 3, 4)
def test_timer_in_monitor(kernel):
    """The timer keeps ticking while the monitor waits for input. Catches a
    tick handler that stops after the first (no EOI), interrupts left off
    while the monitor sleeps."""
    with kernel.boot(dead_ends=stubs(1, 3, 4)) as m:
        m.expect_prompt()
        m.refuse_dead_ends("the monitor prompt, with the timer ticking")
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


# ---- exercise 5: the keyboard -----------------------------------------------

# Scancode set 1, make codes 0x00-0x39, as keyboard.c's normal_map and
# shift_map ("\0": no character).
NORMAL = ("\0\x1b1234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ")
SHIFTED = ("\0\x1b!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ")
LSHIFT, RSHIFT, CTRL, CAPS, EXTENDED = 0x2A, 0x36, 0x1D, 0x3A, 0xE0
LETTER_KEYS = [c for c, ch in enumerate(NORMAL) if ch.isalpha()]
OTHER_KEYS = [c for c, ch in enumerate(NORMAL) if ch != "\0" and not ch.isalpha()]
ARROW_KEYS = [0x48, 0x4B, 0x4D, 0x50]             # after 0xE0: up, left, right, down
EXTENDED_CHARS = [0x1C, 0x35]                      # after 0xE0: keypad enter and /, not \n and /
EXTENDED_MODIFIERS = [0x1D, 0x2A]                  # after 0xE0: right ctrl, a fake shift
UNKNOWN_KEYS = [0x38] + list(range(0x3B, 0x45)) + [0x57, 0x58]   # alt, F1-F12


class Keyboard:
    """What kbd_translate should do (handout §3.5), one byte at a time."""

    def __init__(self):
        self.lshift = self.rshift = self.ctrl = self.caps = self.extended = False

    def state(self):
        held = [name for name, on in (("left shift held", self.lshift),
                                      ("right shift held", self.rshift), ("ctrl held", self.ctrl),
                                      ("caps lock on", self.caps),
                                      ("after an 0xE0 prefix", self.extended)) if on]
        return ", ".join(held) or "no modifier"

    def feed(self, byte):
        if byte == EXTENDED:
            self.extended = True
            return 0
        if self.extended:
            self.extended = False
            return 0
        released, code = bool(byte & 0x80), byte & 0x7F
        if code in (LSHIFT, RSHIFT, CTRL):
            setattr(self, {LSHIFT: "lshift", RSHIFT: "rshift", CTRL: "ctrl"}[code], not released)
            return 0
        if code == CAPS:
            self.caps ^= not released
            return 0
        if released or code >= len(NORMAL):
            return 0
        ch, shift = NORMAL[code], self.lshift or self.rshift
        if ch.isalpha():
            if self.ctrl:
                return ord(ch) & 0x1F
            return ord(SHIFTED[code] if shift != self.caps else ch)
        return ord(SHIFTED[code] if shift else ch)


def tap(code):
    return [code, code | 0x80]


def random_scancodes():
    """Bytes that try every rule of §3.5, in random pieces and order."""
    def keys(n, pool=LETTER_KEYS + OTHER_KEYS):
        return [b for _ in range(n) for b in tap(rng.choice(pool))]

    def mixed(n):           # a letter, a symbol, then any n keys, in random order
        taps = [tap(rng.choice(LETTER_KEYS)), tap(rng.choice(OTHER_KEYS))]
        taps += [tap(rng.choice(LETTER_KEYS + OTHER_KEYS)) for _ in range(n)]
        rng.shuffle(taps)
        return [b for t in taps for b in t]

    def extended(code):
        return [EXTENDED, code, EXTENDED, code | 0x80]

    held, other = rng.sample(LETTER_KEYS, 2)
    modifier = rng.choice(EXTENDED_MODIFIERS)
    pieces = [
        mixed(rng.randint(1, 4)),
        [LSHIFT] + mixed(rng.randint(0, 2)) + [LSHIFT | 0x80],
        [RSHIFT] + mixed(rng.randint(0, 2)) + [RSHIFT | 0x80],
        tap(CAPS) + mixed(rng.randint(0, 2)) + [rng.choice([LSHIFT, RSHIFT])] + mixed(0)
        + [LSHIFT | 0x80, RSHIFT | 0x80] + tap(CAPS),
        [CTRL] + keys(rng.randint(1, 3), LETTER_KEYS) + keys(1, OTHER_KEYS) + [CTRL | 0x80],
        extended(rng.choice(ARROW_KEYS)) + keys(1),
        extended(rng.choice(EXTENDED_CHARS)) + keys(1),
        [EXTENDED, modifier] + keys(2, LETTER_KEYS) + [EXTENDED, modifier | 0x80],
        tap(rng.choice(UNKNOWN_KEYS)) + keys(1),
        [held, other, held | 0x80, other | 0x80],            # overlapping keys
        [LSHIFT, RSHIFT, LSHIFT | 0x80] + keys(1, LETTER_KEYS) + [RSHIFT | 0x80] + keys(1, LETTER_KEYS),
    ]
    rng.shuffle(pieces)
    return [b for piece in pieces for b in piece]


def show_char(c):
    return f"0x{c:x}" + (f" {chr(c)!r}" if 32 <= c < 127 else "")


@pytest.mark.points(10)
@pytest.mark.exercise(5)
def test_kbd_translate(kernel):
    """kbd_translate on random scancode sequences (letters, digits and
    punctuation, both shifts, caps lock, ctrl, 0xE0 keys, releases, keys
    without a character), interrupts off: each return value as §3.5 says.
    Catches one shift's release clearing the other's, caps lock applied to
    digits and punctuation or toggled on release, caps lock + shift not
    lower case, ctrl ignored, an 0xE0 key taken as the plain one (keypad
    enter as Enter, right ctrl as ctrl), a release printing its key."""
    codes = random_scancodes()
    with kernel.boot(f"test=kbd codes={bytes(codes).hex()}", dead_ends=stubs(5)) as m:
        r = m.expect(r"^kbd:((?: [0-9a-f]+)*)$", what="kbd: followed by one hex value per scancode")
        m.expect_exit(SUCCESS)
    seen = [int(v, 16) for v in r.group(1).split()]
    check(len(seen) == len(codes), f"{len(codes)} values, one per scancode", f"{len(seen)} values")
    kbd = Keyboard()
    for i, (code, got) in enumerate(zip(codes, seen)):
        state = kbd.state()
        want = kbd.feed(code)
        before = ("..." if i > 8 else "") + " ".join(f"{b:02x}" for b in codes[max(0, i - 8):i])
        check(got == want, f"after scancodes {before or '(none)'} ({state}): "
              f"kbd_translate(0x{code:02x}) = {show_char(want)}", show_char(got))


@pytest.mark.points(5)
@pytest.mark.exercise(1, 3, 5)
def test_keyboard(kernel):
    """Words typed through QEMU's keyboard: shift, caps lock, ctrl, an arrow
    key. Catches a translation that works on the grader's bytes but not on
    the keyboard's own (QEMU's make and release timing), keys lost between
    the IRQ and the monitor."""
    w1 = word(rng.randint(5, 10))
    w2 = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
    with kernel.boot(dead_ends=stubs(1, 3, 5)) as m:
        m.expect_prompt()
        m.refuse_dead_ends("the monitor prompt, reading the keyboard")
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


# ---- challenge 1: extended keys as escape sequences -------------------------

ESCAPES = {"up": "\x1b[A", "down": "\x1b[B", "right": "\x1b[C", "left": "\x1b[D",
           "home": "\x1b[H", "end": "\x1b[F", "insert": "\x1b[2~", "delete": "\x1b[3~",
           "pgup": "\x1b[5~", "pgdn": "\x1b[6~"}


@pytest.mark.points(5)
@pytest.mark.challenge(1)
def test_keyboard_escapes(kernel):
    """keys=ansi: extended keys typed through QEMU's keyboard, among random
    letters (some shifted), reach the console input as VT100 escape
    sequences, byte for byte, and nothing else does. Catches a missing or
    wrong sequence, a sequence for the key's release too, the 0xE0 state
    lost (a letter after an arrow taken as extended), the plain key's
    character sent as well (keypad 8 for up)."""
    keys = []
    for _ in range(rng.randint(6, 10)):
        keys.append(("key", rng.choice(sorted(ESCAPES))))
        keys.append(("char", rng.choice("abcdefghijklmnopqrstuvwxyz")))
    keys.append(("shifted", rng.choice("abcdefghijklmnopqrstuvwxyz")))
    rng.shuffle(keys)
    want = "".join(ESCAPES[k] if kind == "key" else k.upper() if kind == "shifted" else k
                   for kind, k in keys)
    with kernel.boot("keys=ansi test=keys", dead_ends=stubs(1, 3, 5)) as m:
        m.expect_line("keys: type, then Enter")
        for kind, k in keys:
            if kind == "shifted":
                m.send_key("shift", k)
            else:
                m.send_key(k)
        m.send_key("ret")
        r = m.expect(r"^keys:((?: [0-9a-f]{2})*)$", what="keys: and the bytes read, in hex")
        m.expect_exit(SUCCESS)
    got = bytes(int(v, 16) for v in r.group(1).split())
    check(got == want.encode(), f"the keys {' '.join(k for _, k in keys)} as "
          f"{want.encode()!r}", repr(got))
