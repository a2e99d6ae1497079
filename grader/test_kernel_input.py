"""Checks of the kernel's input paths (no points): init= values past a limit
are refused, not cut short; characters typed before the first prompt reach
the monitor; the Lab 1 handout shows the backtrace the kernel prints."""

import re

import pytest

import gradelib
from checks import FRAME_RE
from conftest import LAB_MAX
from gradelib import FAILURE, ROOT, SUCCESS


def boot_to_exit(cmdline, log_name):
    """Boot the last lab's kernel with cmdline; return the serial text once
    it has powered off, and its exit status."""
    elf = gradelib.build(LAB_MAX, LAB_MAX)
    with gradelib.Machine(elf, cmdline, log_name=log_name) as m:
        status = m.wait_exit(timeout=20)
        return m.text, status


INIT_REFUSED = [
    # (what, init= value, the line that refuses it)
    ("17_programs", ",".join(["hello"] * 17),
     "init: too many programs (17, at most 16)"),
    ("300_characters", "args:" + "x" * 295,
     "init: the value is too long (300 characters, at most 255)"),
    ("16_arguments", "args:" + ":".join("abcdefghijklmnop"),
     "init: too many arguments for args (16, at most 15)"),
    ("128_character_argument", "args:" + "y" * 128,
     "init: argument 1 of args is too long (128 characters, at most 127)"),
    ("empty_program", "hello,,hello",
     "init: program 2 of init=hello,,hello has no name"),
]


@pytest.mark.skipif(LAB_MAX < 6, reason="init= comes with Lab 6")
@pytest.mark.parametrize("what,value,line", INIT_REFUSED, ids=[w for w, _, _ in INIT_REFUSED])
def test_init_past_a_limit_is_refused(what, value, line):
    """init= past a limit: one line naming it, nothing runs, failure status."""
    text, status = boot_to_exit(f"init={value}", f"init_refused_{what}")
    assert line in text.splitlines(), f"expected the line {line!r}; seen:\n{text[-600:]}"
    assert not re.search(r"^\w+: exit\(", text, re.M), f"a program ran:\n{text[-600:]}"
    assert status == FAILURE, gradelib.describe_exit(status)


@pytest.mark.skipif(LAB_MAX < 6, reason="init= comes with Lab 6")
def test_init_of_a_missing_program_is_refused():
    """init= naming a program the boot image lacks: refused before anything
    runs, the programs listed, failure status (it used to run the others
    and power off with success)."""
    elf = gradelib.build(LAB_MAX, LAB_MAX)
    progs = " ".join(p.stem for p in sorted((elf.parent / "user").glob("*.elf")))
    text, status = boot_to_exit("init=hello,nosuch", "init_missing_program")
    line = f"init: no program called 'nosuch'. Programs: {progs}"
    assert line in text.splitlines(), f"expected the line {line!r}; seen:\n{text[-600:]}"
    assert "hello: exit(" not in text, f"a program ran:\n{text[-600:]}"
    assert status == FAILURE, gradelib.describe_exit(status)


@pytest.mark.skipif(LAB_MAX < 6, reason="init= comes with Lab 6")
def test_init_at_the_limits_runs():
    """16 programs, and 15 arguments (one of 127 characters), run whole."""
    text, status = boot_to_exit("init=" + ",".join(["hello"] * 16), "init_at_limits_16")
    assert text.count("hello: exit(0)") == 16 and status == SUCCESS, text[-600:]
    args = ["z" * 127] + list("abcdefghijklmn")
    text, status = boot_to_exit("init=args:" + ":".join(args), "init_at_limits_args")
    assert f"args: argc 16, pid 1: {' '.join(args)}" in text.splitlines(), text[-600:]
    assert status == SUCCESS, gradelib.describe_exit(status)


@pytest.mark.parametrize("lab", sorted({1, LAB_MAX}))
def test_typed_before_the_prompt_is_kept(lab):
    """A command typed as QEMU starts, long before the prompt, runs whole.
    (Short: QEMU hands the UART only what its 16-byte FIFO has room for.)"""
    elf = gradelib.build(lab, lab)
    with gradelib.Machine(elf, log_name=f"type_ahead_lab{lab}") as m:
        m.send("echo hello\r")
        m.expect_prompt()
        m.expect_line("hello")
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)


@pytest.mark.skipif(LAB_MAX < 2, reason="the keyboard comes with Lab 2")
def test_keys_typed_during_boot_are_kept():
    """Keys pressed once the kernel runs, before its keyboard driver starts,
    reach the monitor (they wait in the PS/2 controller and QEMU's queue)."""
    elf = gradelib.build(LAB_MAX, LAB_MAX)
    with gradelib.Machine(elf, log_name="type_ahead_keyboard") as m:
        m.expect(r"^teachos ", what="the banner")
        m.type_text("echo hello\n")
        m.expect_prompt()
        m.expect_line("hello")
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)


HEX = re.compile(r"0x[0-9a-f]+")


def test_lab1_handout_shows_the_real_backtrace():
    """Handout §3.4's example is the monitor's backtrace, but for addresses."""
    handout = (ROOT / "handouts" / "lab1-boot.md").read_text()
    section = handout.split("### 3.4", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"```text\n(.*?)```", section, re.S)
    example = next((b for b in blocks if "rbp=" in b), "")
    shown = example.strip("\n").split("\n")
    assert shown and all(re.fullmatch(FRAME_RE, line) for line in shown), example
    elf = gradelib.build(1, 1)
    with gradelib.Machine(elf, log_name="handout_backtrace") as m:
        m.expect_prompt()
        m.send("backtrace\r")
        m.expect_prompt()
        # Every line the command printed, between its echo and the next prompt.
        printed = m.text.split("K> backtrace\n", 1)[1].rsplit("\n", 1)[0].split("\n")
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)
    assert [HEX.sub("0x…", line) for line in shown] == [HEX.sub("0x…", line) for line in printed], \
        "\n".join(["handout:"] + shown + ["kernel:"] + printed)
