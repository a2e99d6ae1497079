"""checks.py - helpers shared by the lab graders: random words, checks
that fail with expected-versus-seen, backtrace parsing and verification."""

import random
import re
import string

from course import LABS
from gradelib import FAILURE, GradeError, symbolize

rng = random.Random()
VGA_DEFAULT = 0x07          # light grey on black
VGA_BANNER = 0x0B           # light cyan on black


def word(n=8):
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def banner(lab):
    return f"teachos x86-64 teaching kernel - lab {lab}: {LABS[lab].title}"


def check(condition, expected, seen):
    if not condition:
        raise GradeError(f"expected: {expected}\n    seen:     {show(seen)}")


def lines(text, prefix):
    """The lines of text (a serial log) that start with prefix."""
    return [l for l in text.splitlines() if l.startswith(prefix)]


def check_lines(text, *wants):
    """Each of wants is a whole line of text; if one is missing, the lines
    of its program (those starting "NAME:") are what was seen."""
    for want in wants:
        check(want in text.splitlines(), want, lines(text, want.split(":", 1)[0] + ":"))


def shell_command(m, command, timeout=20):
    """Type command at the shell's prompt of machine m; return the lines it
    printed before the next prompt (its echo left out)."""
    m.send(command + "\r")
    m.expect(re.escape(command) + r"\n", timeout=timeout, what=f"the shell echoing {command!r}")
    start = m.pos
    m.expect(r"^\$ ", timeout=timeout, partial=True, what=f"the prompt after {command!r}")
    return [l for l in m.text[start:m.pos].splitlines() if l and not l.startswith("$ ")]


def show(seen):
    """What a check saw, as a student should read it: "nothing" rather than
    None or an empty value, a list of lines one per row, else as it is."""
    if seen is None or isinstance(seen, (str, list, tuple, dict, set)) and not seen:
        return "nothing"
    if isinstance(seen, (list, tuple)) and all(isinstance(s, str) for s in seen):
        return "".join("\n      | " + line for s in seen for line in s.splitlines() or [""])
    return str(seen)


def show_screen(screen):
    """A VGA screen (vga_screen()'s rows) as rows of text, up to its last
    non-blank row; "the screen is empty" when every row is blank."""
    rows = [text.rstrip() for text, _ in screen]
    while rows and not rows[-1]:
        rows.pop()
    return "".join(f"\n      | {row}" for row in rows) if rows else "the screen is empty"


def show_row(screen, row):
    """One VGA row as seen: its text quoted, or why there is none."""
    text = screen[row][0].rstrip()
    if text:
        return repr(text)
    return "the screen is empty" if show_screen(screen) == "the screen is empty" else "an empty row"


FRAME_RE = r"^\s*#(\d+)\s+rbp=0x([0-9a-f]{16})\s+rip=0x([0-9a-f]{16})\s+(\S+)\+0x([0-9a-f]+)\s*$"


def parse_backtrace(text):
    """(number, rbp, rip, symbol, offset) for each frame line in text."""
    return [(int(n), int(rbp, 16), int(rip, 16), sym, int(off, 16))
            for n, rbp, rip, sym, off in re.findall(FRAME_RE, text, re.MULTILINE)]


def check_frames(frames, syms):
    """Frame numbers count up from 0, frames move up the stack, and every
    symbol+offset is right for its rip according to the ELF's symbol table."""
    check(frames, "frame lines '#N  rbp=0x...  rip=0x...  symbol+0xOFFSET'", "no such line")
    for i, (n, rbp, rip, sym, off) in enumerate(frames):
        check(n == i, f"frame #{i}", f"#{n}")
        if i:
            check(rbp > frames[i - 1][1], f"frame #{i}: rbp above the previous frame's",
                  f"0x{rbp:x} after 0x{frames[i - 1][1]:x}")
        want = symbolize(syms, rip)
        check(want[0], f"no frame #{i}: its rip 0x{rip:x} is in no kernel function (the chain "
              "ends before it)", f"#{i} {sym}+0x{off:x}")
        check((sym, off) == want, f"frame #{i}: rip 0x{rip:x} is {want[0]}+0x{want[1]:x}",
              f"{sym}+0x{off:x}")


EXC_RE = (r"^EXCEPTION: (?P<name>.+) \(#(?P<mn>\w+), vector (?P<vec>\d+)\) "
          r"at rip=0x(?P<rip>[0-9a-f]{16}) (?P<sym>\S+)\+0x(?P<off>[0-9a-f]+)$")


def expect_exception(m, syms, name, mnemonic, vector):
    """Wait for the report's first line; check it and the register dump.
    Returns the reported rip."""
    e = m.expect(EXC_RE, what=f"EXCEPTION: {name} (#{mnemonic}, vector {vector}) at rip=...")
    got = (e["name"], e["mn"], int(e["vec"]))
    check(got == (name, mnemonic, vector), f"{name} (#{mnemonic}, vector {vector})",
          f"{got[0]} (#{got[1]}, vector {got[2]})")
    rip = int(e["rip"], 16)
    name_, off = symbolize(syms, rip, exact=True)
    want = f"{name_}+0x{off:x}" if name_ else "??+0x0"     # "??": not in any function
    check(f"{e['sym']}+0x{e['off']}" == want, f"rip 0x{rip:x} named {want}",
          f"{e['sym']}+0x{e['off']}")
    after_first_line = m.pos
    for regs in ("rax rbx rcx", "rdx rsi rdi", "rbp rsp r8", "r15 rflags"):
        m.expect(r"^  " + r" ".join(rf"{r}\s*=0x[0-9a-f]{{16}}" for r in regs.split()),
                 what="registers: " + " ".join(f"{r}=0x..." for r in regs.split()))
    m.pos = after_first_line            # the lines between are the caller's to check
    return rip


def expect_panic_exit(m):
    m.expect(r"^PANIC at ", what="a PANIC line after the report")
    m.expect_exit(FAILURE)
