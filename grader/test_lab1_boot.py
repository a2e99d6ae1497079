"""Lab 1 graders: boot and console (handout handouts/lab1-boot.md, §5).

Every value the kernel is asked to print is drawn at random here and passed
to it; the expected text is computed here, never stored. Each test grades
the exercises its @pytest.mark.exercise names and needs no other: only the
command-line tests pass their words through the Multiboot2 tags (exercise
1); the others type `test NAME KEY=VALUE ...` at the monitor prompt.
"""

import re
import string
from contextlib import contextmanager

import pytest

from checks import (VGA_BANNER, VGA_DEFAULT, banner, check, check_frames,
                    parse_backtrace, rng, show, show_row, show_screen, word)
from gradelib import FAILURE, ROOT, SUCCESS, GradeError, kernel_symbols


@contextmanager
def monitor_test(kernel, name, **params):
    """Boot to the monitor and start in-kernel test name there with params
    (`test NAME KEY=VALUE ...`): the same as test=NAME on the command line,
    without needing the command line (exercise 1)."""
    with kernel.boot() as m:
        m.expect_prompt()
        m.send(" ".join(["test", name] + [f"{k}={v}" for k, v in params.items()]) + "\r")
        yield m


# ---- banner (exercise 3) ----------------------------------------------------

@pytest.mark.points(10)
@pytest.mark.exercise(3)
def test_banner_vga(kernel):
    """The banner on serial, and the same banner in VGA memory in light
    cyan, read through QMP; the console line below it in light grey.
    Catches: a driver that ignores the colour, writes to the wrong cell, or
    never reaches video memory."""
    with kernel.boot() as m:
        m.expect_line(banner(kernel.lab))
        m.expect_line("console: COM1 at 115200 baud, VGA text 80x25")
        m.expect_prompt()
        screen = m.vga_screen()
        text, attrs = screen[0]
        want = banner(kernel.lab)
        check(text.rstrip() == want, f"VGA row 0: {want!r}", show_row(screen, 0))
        check(attrs[:len(want)] == bytes([VGA_BANNER]) * len(want),
              f"the banner in attribute 0x{VGA_BANNER:02x} (light cyan on black)",
              "attributes " + attrs[:len(want)].hex(" "))
        check(screen[1][0].startswith("console: COM1") and screen[1][1][0] == VGA_DEFAULT,
              "VGA row 1: 'console: COM1 ...' in light grey (0x07)", show_row(screen, 1))
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)


# ---- VGA (exercises 3 and 4) ------------------------------------------------

def tab_text():
    """Random words joined by tabs, written '.' for '\\t' on the command line:
    one empty word (two tabs in a row, the second at a multiple of 8), one
    word of 8 (a tab just after it, at a multiple of 8 again), and long
    enough (85 to 150 columns) to run past column 79."""
    words = ["", word(8)]
    while len("\t".join(words).expandtabs(8)) < rng.randint(85, 150):
        words.append(word(rng.randint(1, 11)))
    rng.shuffle(words)
    return ".".join(words)


def console_rows(text):
    """The rows text fills on the VGA console from column 0 of a blank row,
    as vga.h says: '\\t' to the next multiple of 8 (the cells it passes
    left as they were: blank), past column 79 on to the next row, '\\n'
    to the start of the next row."""
    rows, col = [[" "] * 80], 0
    for c in text:
        if c == "\n":
            rows.append([" "] * 80)
            col = 0
            continue
        if c == "\t":
            col = (col + 8) & ~7
        else:
            rows[-1][col] = c
            col += 1
        if col >= 80:
            rows.append([" "] * 80)
            col = 0
    return ["".join(r).rstrip() for r in rows]


@pytest.mark.points(10)
@pytest.mark.exercise(3)
def test_vga_scroll(kernel):
    """Print more lines than the screen holds: it shows the last ones. Each
    line is written over marks that a '\\r' (back to column 0) and a '\\b'
    (one column back) must take away, with a '\\b' at column 0 that must
    not move. Then a line of words and tabs, longer than a row. Catches a
    scroll that loses or shifts a line, a cleared last row left dirty, a
    scroll that copies one row too many and so writes VGA memory past the
    80x25 screen (a canary there, read through QMP, must be intact), '\\r'
    or '\\b' that do not move the column (or move it wrong, or '\\b' past
    column 0 onto the row above), a '\\t' ignored or not stopping at the next
    multiple of 8 (a tab already at a multiple of 8 must still move 8), and
    a long line not wrapping after column 79 onto the next row."""
    n, tag, tabs, canary = rng.randint(30, 70), word(6), tab_text(), word(rng.randint(5, 13))
    with monitor_test(kernel, "vga_scroll", lines=n, tag=tag, tabs=tabs, canary=canary) as m:
        m.expect_line("ktest: hold")
        screen = m.vga_screen()
        past = m.read_phys(0xB8000 + 80 * 25 * 2, 80 * 2)
        m.send("\r")
        m.expect_exit(SUCCESS)
    printed = ([f"scroll {tag} line {i} of {n}" for i in range(1, n + 1)]
               + console_rows(tabs.replace(".", "\t") + "\n"))
    want = printed[-25:]
    for row, (expected, (text, _)) in enumerate(zip(want, screen)):
        check(text.rstrip() == expected, f"VGA row {row}: {expected!r}", show_row(screen, row))
    want_past = ((canary * 80)[:80]).encode()
    seen_past = bytes(past[0::2])
    check(seen_past == want_past and past[1::2] == bytes([VGA_DEFAULT]) * 80,
          f"VGA memory just past the screen (0xB8FA0, row 25) untouched: {want_past.decode()!r} "
          "as the test wrote it (a scroll writes rows 0-24 only)",
          repr(seen_past.decode("latin-1")) + " attributes " + bytes(past[1::2]).hex(" "))


def mb2_layout():
    """A random tag layout for test=mb2_walk: (want, sizes, at, offsets of
    the tags of type want, offset of the tag after them)."""
    n = rng.randint(2, 8)
    sizes = [rng.randint(8, 100) for _ in range(n)]
    at = sorted(rng.sample(range(n), rng.randint(1, n)))
    want = rng.randint(20, 90)
    offsets, offset = [], 8
    for i, size in enumerate(sizes):
        if i in at:
            offsets.append(offset)
        offset += (size + 7) // 8 * 8
    return want, sizes, at, offsets, offset


def mb2_params(want, sizes, at, **more):
    return dict(want=want, sizes=",".join(map(str, sizes)), at=",".join(map(str, at)), **more)


@pytest.mark.points(5)
@pytest.mark.exercise(1)
def test_mb2_walk(kernel):
    """mb2_find_tag over an information structure the grader lays out:
    random tag sizes (not multiples of 8), the wanted type at random places,
    and the start of one more tag of that type cut off by total_size; then
    the same with that last tag whole (8 bytes ending just at total_size).
    Catches a walk that does not round sizes up to 8, stops at the first
    match when asked for the next one, reads a tag header that does not
    fit before total_size (it finds one tag too many, or calls it
    malformed), or stops before a tag that ends exactly at total_size (a
    `<` where the header's end may equal the end)."""
    want, sizes, at, offsets, tail = mb2_layout()
    with monitor_test(kernel, "mb2_walk", **mb2_params(want, sizes, at)) as m:
        m.expect_line("mb2_walk: whole: end")
        m.expect_exit(SUCCESS)
    for label, expected, how in (("cut", offsets, "and not in the cut-off header at the end"),
                                 ("whole", offsets + [tail], f"and in the whole last tag at {tail}")):
        seen = [int(o) for o in re.findall(rf"^mb2_walk: {label}: type {want} at offset (\d+)$",
                                           m.text, re.M)]
        check(seen == expected,
              f"{label}: type {want} found at offsets {expected} (sizes {sizes}), {how}", seen)


@pytest.mark.points(5)
@pytest.mark.exercise(1)
def test_mb2_malformed(kernel):
    """A malformed tag stops the kernel with failure status (QEMU exit 35),
    in two boots: a random tag's size made smaller than its 8-byte header,
    then one that runs past total_size. Catches a walk that never checks a tag's
    size (it walks on, loops on a size of 0, or returns the tag), checks
    only one of the two bounds, or stops with success status (power_off(true))
    instead of failure."""
    for kind in ("short", "long"):
        want, sizes, at, offsets, tail = mb2_layout()
        i = rng.randrange(len(sizes))
        start = 8 + sum((size + 7) // 8 * 8 for size in sizes[:i])
        size = rng.randint(0, 7) if kind == "short" else tail + 4 - start + rng.randint(1, 64)
        with monitor_test(kernel, "mb2_walk", **mb2_params(want, sizes, at, bad=f"{i},{size}")) as m:
            m.expect_exit(FAILURE)
        check("mb2_walk: cut: end" not in m.text,
              f"tag {i} of size {size} ({'below the 8-byte header' if kind == 'short' else 'past total_size'}): "
              "malformed, the walk stopped before its end", "the walk went on to its end")


@pytest.mark.points(10)
@pytest.mark.exercise(3, 4)
def test_vga_color_cursor(kernel):
    """A word in colours the grader picks, and the hardware cursor after it
    (read back from the CRT controller, exercise 4; where the text ends
    comes from exercise 3). Catches foreground and background swapped in the
    attribute byte, a colour not reset after the word (' end' coloured too), a
    hardware cursor never moved or moved only at a newline, and the cursor's
    high and low bytes written to the wrong CRT registers."""
    fg, bg = rng.sample(range(16), 2)
    w = word(rng.randint(3, 12))
    with monitor_test(kernel, "vga_color", fg=fg, bg=bg, word=w) as m:
        cursor = int(m.expect(r"^vga: hardware cursor at (\d+)$").group(1))
        m.expect_line("ktest: hold")
        screen = m.vga_screen()
        line = f"colour test: {w} end"
        rows = [r for r, (text, _) in enumerate(screen) if text.rstrip() == line]
        check(rows, f"a VGA row reading {line!r}", show_screen(screen))
        row = rows[-1]
        attrs = screen[row][1]
        start = len("colour test: ")
        want = (bytes([VGA_DEFAULT]) * start + bytes([bg << 4 | fg]) * len(w)
                + bytes([VGA_DEFAULT]) * len(" end"))
        check(attrs[:len(want)] == want, f"attributes {want.hex(' ')}",
              attrs[:len(want)].hex(" "))
        end = row * 80 + len(line)
        check(cursor == end, f"hardware cursor at {end} (row {row}, column {len(line)}), "
              "just after the text", f"{cursor} (row {cursor // 80}, column {cursor % 80})")
        m.send("\r")
        m.expect_exit(SUCCESS)


# ---- kprintf (exercise 2) ---------------------------------------------------

def printf_cases():
    """Random arguments and, in the kernel's printing order, (group, spec,
    expected) for every line of test=printf."""
    v = {
        "d": rng.choice([-1, 1]) * rng.randint(0, 2**31 - 1),
        "u": rng.randint(2**31, 2**32 - 1),
        "x": rng.randint(0, 2**32 - 1),
        "c": ord(rng.choice(string.ascii_letters + string.digits + "!#*+-.:;?@^_~")),
        "s": word(rng.randint(3, 10)),
        "p": rng.randint(0, 2**64 - 1),
        "ld": rng.choice([-1, 1]) * rng.randint(2**33, 2**63 - 1),
        "lu": rng.randint(2**63, 2**64 - 1),
        "w": rng.randint(12, 24),
        "k": rng.randint(-9, 9),
        "ps": rng.randint(1, 2**rng.randint(4, 56)),
        "q": rng.choice("bkmqrvwy"),
        "w9": rng.choice([9, 19, 29, 39]),
        "w0": rng.choice([10, 20, 30, 40]),
    }
    d, ld, lu, w, p = v["d"], v["ld"], v["lu"], v["w"], v["p"]
    k, w9, w0 = v["k"], v["w9"], v["w0"]
    low32 = (ld & 0xFFFFFFFF) - (2**32 if ld & 0x80000000 else 0)
    ptr = f"0x{p:016x}"
    cases = [
        ("conversions", "%d", str(d)),
        ("conversions", "%i", str(d)),
        ("conversions", "%u", str(v["u"])),
        ("conversions", "%x", f"{v['x']:x}"),
        ("conversions", "%X", f"{v['x']:X}"),
        ("conversions", "%c", chr(v["c"])),
        ("conversions", "%s", v["s"]),
        ("conversions", "%p", ptr),
        ("conversions", "%s", "(null)"),
        ("conversions", "%d", str(k)),
        ("conversions", "%p", f"0x{v['ps']:016x}"),
        ("conversions", f"%-{w}{v['q']}", f"%-{w}{v['q']}"),
        ("conversions", "%%", "%"),
        ("lengths", "%ld", str(ld)),
        ("lengths", "%lld", str(ld)),
        ("lengths", "%lu", str(lu)),
        ("lengths", "%lx", f"{lu:x}"),
        ("lengths", "%llX", f"{lu:X}"),
        ("lengths", "%zu", str(lu)),
        ("lengths", "%d", str(low32)),
        ("width", f"%{w}d", "%*d" % (w, d)),
        ("width", f"%-{w}d", "%-*d" % (w, d)),
        ("width", f"%0{w}d", "%0*d" % (w, d)),
        ("width", f"%0{w}x", "%0*x" % (w, v["x"])),
        ("width", f"%-{w}u", "%-*d" % (w, v["u"])),
        ("width", f"%{w}s", "%*s" % (w, v["s"])),
        ("width", f"%-{w}s", "%-*s" % (w, v["s"])),
        ("width", f"%{w}c", "%*c" % (w, chr(v["c"]))),
        ("width", f"%0{w}lld", "%0*d" % (w, ld)),
        ("width", f"%-{w}lx", "%-*x" % (w, lu)),
        ("width", f"%{w}p", "%*s" % (w, ptr)),
        ("width", f"%{w9}d", "%*d" % (w9, k)),
        ("width", f"%0{w0}d", "%0*d" % (w0, k)),
    ]
    return v, cases


def check_printf(kernel, group):
    v, cases = printf_cases()
    with monitor_test(kernel, "printf", **v) as m:
        m.expect_line("ktest printf: start")
        m.expect_line("ktest printf: ok")
        m.expect_exit(SUCCESS)
        seen = re.findall(r"^printf (\S+): \[(.*)\]$", m.text, re.MULTILINE)
    if len(seen) != len(cases):
        raise GradeError(f"expected: {len(cases)} lines 'printf SPEC: [...]'\n"
                         f"    seen:     {len(seen)} (log: {m.log_path.name})")
    wrong = [f"kprintf(\"{spec}\"): expected [{want}]\n              seen     [{got}]"
             for (g, spec, want), (_, got) in zip(cases, seen) if g == group and got != want]
    if wrong:
        raise GradeError(f"{len(wrong)} of the {group} checks differ "
                         f"(arguments: {v}):\n    " + "\n    ".join(wrong))


@pytest.mark.points(10)
@pytest.mark.exercise(2)
def test_printf_conversions(kernel):
    """%d %i %u %x %X %c %s %p %% with random arguments, a one-digit %d, a
    short %p, and a letter that is no conversion. Catches a negative %d
    printed as a large unsigned number, a %u above 2^31 printed negative, %X in
    lower case or %p without its 0x and 16 zero-padded digits, a NULL %s
    that crashes or does not print (null), a one-digit value printed with a
    leading zero (05), and an unknown conversion (%-17q) not copied as it
    stands, flags and width included, or copied twice."""
    check_printf(kernel, "conversions")


@pytest.mark.points(5)
@pytest.mark.exercise(2)
def test_printf_lengths(kernel):
    """The l, ll and z length modifiers with 64-bit arguments. Catches l and ll
    arguments read as 32 bits (%ld cut short), ll or z not recognised as length
    modifiers, a %lu above 2^63 printed negative, and a plain %d that prints
    all 64 bits of its register instead of the low 32."""
    check_printf(kernel, "lengths")


@pytest.mark.points(10)
@pytest.mark.exercise(2)
def test_printf_width_flags(kernel):
    """Field width and the '-' and '0' flags. Catches a width read as one digit
    (the widths are 12 to 24), the '0' flag padding before the minus sign
    (000-42), '-' padding on the wrong side, the width ignored for %s, %c
    or %p or after a length modifier (%0Nlld), and a width whose digit 9 or 0
    is not taken as a digit (%9d, %020d of a one-digit value)."""
    check_printf(kernel, "width")


# ---- backtrace (exercise 5) -------------------------------------------------

@pytest.mark.points(15)
@pytest.mark.exercise(2, 5)
def test_backtrace(kernel):
    """Nested calls of a depth the grader picks: every frame, in order.
    (Its lines are printed with kprintf's %d and %p: exercise 2.) Catches a
    walk that stops before the frame whose saved rbp is 0 (no
    higher_half_entry) or runs on past it, the return rip read from the
    saved-rbp word at rbp instead of rbp + 8, and frames numbered from 1."""
    depth = rng.randint(2, 16)
    syms = kernel_symbols(kernel.elf)
    with monitor_test(kernel, "backtrace", depth=depth) as m:
        m.expect_line("backtrace test:")
        m.expect_line("ktest backtrace: ok")
        m.expect_exit(SUCCESS)
        frames = parse_backtrace(m.text)
    check_frames(frames, syms)
    # bt_ping(depth) calls bt_pong(depth - 1) ... down to level 0, which calls
    # backtrace(); frame #0 returns into level 0.
    chain = ["bt_ping" if (depth - i) % 2 == 0 else "bt_pong" for i in range(depth + 1)]
    want = chain + ["ktest_fn_backtrace", "ktest_run", "monitor_cmd_test", "monitor_execute",
                    "monitor_run", "kmain", "higher_half_entry"]
    got = [f[3] for f in frames]
    check(got == want, "the functions " + " <- ".join(want), " <- ".join(got))

    # From the monitor too: there kmain's call to monitor_run, which never
    # returns, is kmain's last instruction.
    with kernel.boot() as m:
        m.expect_prompt()
        m.send("backtrace\r")
        m.expect_prompt()
        frames = parse_backtrace(m.text)
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)
    check_frames(frames, syms)
    want = ["monitor_cmd_backtrace", "monitor_execute", "monitor_run", "kmain", "higher_half_entry"]
    got = [f[3] for f in frames]
    check(got == want, "from the monitor: " + " <- ".join(want), " <- ".join(got))


# ---- Multiboot2 and the command line (exercise 1) ---------------------------

@pytest.mark.points(5)
@pytest.mark.exercise(1)
def test_cmdline(kernel):
    """The loader name and the command line come back from the boot
    information. Catches an mb2_find_tag that ignores the type (the loader name
    comes back as the command line, or the other way round), and one that steps
    by the unaligned size and so misreads or misses every tag after an
    odd-sized one."""
    w = word(10)
    with kernel.boot(f"test=cmdline echo={w}") as m:
        m.expect(r'^boot: loader "GRUB [^"]+"$', what='boot: loader "GRUB <version>"')
        m.expect_line(f'boot: command line "test=cmdline echo={w}"')
        m.expect_line(f"echo: {w}")
        m.expect_exit(SUCCESS)


@pytest.mark.points(5)
@pytest.mark.exercise(1)
def test_unknown_test(kernel):
    """test=<unknown> and an unknown word: a message listing what exists,
    failure status. Catches an mb2_find_tag that never finds the command-line
    tag (the kernel goes on to the monitor instead of failing), and one that
    returns another tag's string in its place (the message names a word other
    than the one given)."""
    tests = sorted(n[len("ktest_fn_"):] for n in kernel_symbols(kernel.elf)
                   if n.startswith("ktest_fn_"))
    name = "nosuch_" + word(5)
    with kernel.boot(f"test={name}") as m:
        m.expect_line(f"cmdline: no test called '{name}'. Tests: {' '.join(tests)}")
        m.expect_exit(FAILURE)
    bogus = "bogus_" + word(5)
    with kernel.boot(f"test=cmdline {bogus}") as m:
        m.expect(rf"^cmdline: unknown word '{bogus}'. Words: (\S+, )*test=NAME\b",
                 what=f"cmdline: unknown word '{bogus}'. Words: ..., test=NAME, ...")
        m.expect_exit(FAILURE)


# ---- panic (exercises 2 and 5) -----------------------------------------------

@pytest.mark.points(5)
@pytest.mark.exercise(2, 5)
def test_panic(kernel):
    """PANIC prints file:line and the message, the function and a backtrace.
    Catches a kvsnprintf that garbles the message PANIC hands on through a
    va_list or leaves it without its terminating NUL, a backtrace that stops
    short of kmain and higher_half_entry, and one that walks past the last
    frame to an address in no function."""
    msg = word(12)
    source = ROOT / "kernel" / "tests" / "lab1.c"
    syms = kernel_symbols(kernel.elf)
    with monitor_test(kernel, "panic", msg=msg) as m:
        hit = m.expect(rf"^PANIC at kernel/tests/lab1\.c:(\d+): deliberate panic: {msg}$",
                       what=f"PANIC at kernel/tests/lab1.c:LINE: deliberate panic: {msg}")
        m.expect_line("  in ktest_fn_panic()")
        m.expect_line("Backtrace:")
        m.expect_exit(FAILURE)
        frames = parse_backtrace(m.text[m.pos:])
    line = int(hit.group(1))
    text = source.read_text().splitlines()
    check(0 < line <= len(text) and "PANIC(" in text[line - 1],
          "the line number of the PANIC call", f"line {line}")
    check_frames(frames, syms)
    names = [f[3] for f in frames]
    check("ktest_fn_panic" in names and names[-2:] == ["kmain", "higher_half_entry"],
          "a backtrace through ktest_fn_panic down to kmain", " <- ".join(names))


# ---- the monitor --------------------------------------------------------------

KERNINFO_RE = r"^\s+(\.\w+)\s+0x([0-9a-f]{16}) - 0x([0-9a-f]{16})\s+\((\d+) bytes\)$"


@pytest.mark.points(5)
@pytest.mark.exercise(2)
def test_monitor(kernel):
    """Line editing with backspace, echo, and kerninfo against the ELF. Catches
    a %p that drops the 0x, does not zero-pad to 16 digits or prints capitals,
    and a %p that goes through the signed path and prints a kernel-half address
    as negative (kerninfo's lines then fail to match the ELF)."""
    w = word(8)
    syms = kernel_symbols(kernel.elf)
    with kernel.boot() as m:
        m.expect_prompt()
        m.send(f"ecxx\b\x7fho {w}\r")       # two ways to erase: BS and DEL
        m.expect_line(w)
        m.expect_prompt()
        m.send("kerninfo\r")
        header = m.expect_line("Kernel sections (virtual addresses):")
        printed = m.text[header.end():m.expect_prompt().start()].strip("\n").splitlines()
        sections = {name: (int(a, 16), int(b, 16), int(n))
                    for name, a, b, n in re.findall(KERNINFO_RE, m.text, re.MULTILINE)}
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)
    for sec in ("text", "rodata", "data", "bss"):
        start, end = syms[f"__{sec}_start"][0], syms[f"__{sec}_end"][0]
        want = (start, end, end - start)
        got = sections.get("." + sec)
        check(got == want, f".{sec} 0x{start:016x} - 0x{end:016x} ({end - start} bytes)",
              f".{sec} 0x{got[0]:016x} - 0x{got[1]:016x} ({got[2]} bytes)" if got else
              f"no .{sec} line: after 'Kernel sections (virtual addresses):' the kernel printed"
              + (f":{show(printed)}" if printed else " nothing"))


# ---- challenge 1: ANSI colour sequences on the VGA console ------------------

ANSI_TO_VGA = (0, 4, 2, 6, 1, 5, 3, 7)     # black red green yellow blue magenta cyan white


def sgr(attr, params):
    """The attribute after ESC [ params m (handout §6.1): params in order;
    none means 0; numbers without a meaning change nothing."""
    for p in params or [0]:
        fg, bg = attr & 0x0F, attr >> 4
        if p == 0:
            fg, bg = 7, 0
        elif 30 <= p <= 37:
            fg = ANSI_TO_VGA[p - 30]
        elif 90 <= p <= 97:
            fg = ANSI_TO_VGA[p - 90] | 8
        elif 40 <= p <= 47:
            bg = ANSI_TO_VGA[p - 40]
        elif 100 <= p <= 107:
            bg = ANSI_TO_VGA[p - 100] | 8
        elif p == 39:
            fg = 7
        elif p == 49:
            bg = 0
        attr = bg << 4 | fg
    return attr


def random_ansi_items():
    """[(seq as written on the command line, shown as, params or None, text)]:
    colour sequences with one to three parameters the grader draws (some
    empty, some without a meaning), a reset, and sequences that are not
    colours, each followed by a random word."""
    def colour():
        return rng.choice([rng.randint(30, 37), rng.randint(40, 47), rng.randint(90, 97),
                           rng.randint(100, 107), 39, 49])

    items = []
    for _ in range(rng.randint(2, 3)):
        params = [colour() for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.3:
            params.insert(rng.randrange(len(params) + 1), rng.choice([1, 4, 5, 7, 22]))
        items.append((".".join(map(str, params)) + "m", params))
    items.append(("m" if rng.random() < 0.5 else "0m", []))            # reset
    items.append((f"{colour()}.{colour()}m", None))                      # params drawn below
    n, m = rng.randint(1, 40), rng.randint(1, 40)
    items.append((f"{n}.{m}" + rng.choice("ABCDHJKf"), "move"))          # not a colour
    items.append(("/" + rng.choice("c78="), "esc"))                      # ESC and one byte
    items.append(("2J", "move"))
    rng.shuffle(items)
    out = []
    for seq, params in items:
        if params is None:
            params = [int(p) for p in seq[:-1].split(".")]
        text = word(rng.randint(3, 7))
        shown = "ESC " + (seq[1:] if seq.startswith("/") else "[" + seq.replace(".", ";"))
        out.append((seq, shown, params if isinstance(params, list) else None, text))
    return out


@pytest.mark.points(5)
@pytest.mark.challenge(1)
def test_vga_ansi(kernel):
    """Escape sequences the grader draws, each followed by a random word:
    colour sequences (foreground, background, bright, defaults, several
    parameters in one, a reset with and without its 0) set the attribute of
    the words after them, read from VGA memory; sequences that are not
    colours (cursor moves, clear screen, ESC with one byte) are dropped: no
    cell, no change. Catches ANSI's colour order taken as VGA's (red 1 is
    VGA's blue), bright colours or backgrounds ignored, only the first
    parameter applied, ESC [ m not a reset, an unknown sequence printed or
    acted on, the state kept past the final byte (the next word eaten)."""
    items = random_ansi_items()
    with monitor_test(kernel, "ansi", seq=",".join(f"{seq}:{text}" for seq, _, _, text in items)) as m:
        m.expect_line("ansi: begin")
        m.expect_line("ktest: hold")
        screen = m.vga_screen()
        m.send("\r")
        m.expect_exit(SUCCESS)
    rows = [i for i, (text, _) in enumerate(screen) if text.startswith("ansi: begin")]
    check(rows and rows[-1] + 1 < len(screen), "a VGA row 'ansi: begin', then the words below it",
          show_screen(screen))
    text, attrs = screen[rows[-1] + 1]
    want_text = "".join(t for _, _, _, t in items)
    check(text.rstrip() == want_text, f"the words alone, the sequences taking no cell: {want_text!r}",
          show_row(screen, rows[-1] + 1))
    attr, col = VGA_DEFAULT, 0
    for seq, shown, params, word_ in items:
        if params is not None:
            attr = sgr(attr, params)
        got = attrs[col:col + len(word_)]
        check(got == bytes([attr]) * len(word_),
              f"{word_!r} after {shown} in attribute 0x{attr:02x}",
              "attributes " + got.hex(" "))
        col += len(word_)
