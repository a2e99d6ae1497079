"""Checks of `make grade` itself (instructor-only, no points): a kernel that
hangs at boot is graded in seconds with one message, failure messages never
say None nor dump a blank screen, and `make unit` in a student repository
shows only what ran.
"""

import json
import shutil
import subprocess
import sys
import time

import pytest

import gradelib
from checks import check, show, show_row, show_screen
from gradelib import ROOT, GradeError

sys.path.insert(0, str(ROOT / "labs"))
import handout  # noqa: E402

HANG_BUDGET = 15.0       # seconds for all of `make grade` on a kernel that hangs


def copy_tree(dest):
    shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns("build", ".git", "__pycache__"))
    return dest


def test_hanging_kernel_is_graded_fast(tmp_path):
    """kmain spins before printing a byte: grading lab 1 stops after one
    boot, within 15 s, every test failed with 0 points, the cause said once
    with where the CPU was."""
    tree = copy_tree(tmp_path / "tree")
    main = tree / "kernel" / "core" / "main.c"
    text = main.read_text()
    assert "    console_init();\n" in text, "kmain no longer starts with console_init()"
    spin = "    for (;;)\n        ;\n"
    main.write_text(text.replace("    console_init();\n", spin + "    console_init();\n", 1))
    build = subprocess.run(["make", "-s", "LAB=1", "SOL=1", "elf"], cwd=tree, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    assert build.returncode == 0, build.stdout

    started = time.monotonic()
    r = subprocess.run([sys.executable, "grader/grade.py", "--lab=1", "--sol=1"], cwd=tree,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    took = time.monotonic() - started
    out = r.stdout
    assert r.returncode == 1 and out.splitlines()[-1] == "Score: 0/100", out
    assert took <= HANG_BUDGET, f"grading a hanging kernel took {took:.1f} s:\n{out}"
    assert out.count("The kernel hangs before its monitor prompt") == 1, out
    assert out.count("the kernel printed nothing after GRUB started it") == 1, out
    assert "the CPU was in kmain (kernel/core/main.c:" in out, out
    assert "Fix the boot first" in out and "None" not in out, out
    results = json.loads((tree / "build" / "grade" / "results.json").read_text())
    tests = results["tests"]
    assert sum(t["max_score"] for t in tests) == 100 and all(
        t["score"] == 0 and t["status"] == "failed" and "hangs" in t["output"] for t in tests), results
    for t in tests:
        name = t['name'].split(': ')[1].split(' (')[0]       # no '(challenge, ...)'
        assert f"  FAIL {name:<28}   0/" in out, out
        # Each failure names the exercise it grades, on screen and in results.json.
        assert t["output"].startswith(("grades Lab 1, exercise", "grades Lab 1, challenge")), t
    # A challenge is listed, on a line of its own, and left out of the score.
    assert "  challenges (optional, not counted): vga_ansi not passed" in out, out
    assert [t["max_score"] for t in tests if "challenge" in t["name"]] == [0], tests
    assert "s  (Lab 1, exercise 1)" in out and "s  (Lab 1, exercises 2 and 5)" in out, out
    assert "The kernel hangs" in results["output"]
    junit = (tree / "build" / "grade" / "junit.xml").read_text()
    assert junit.count("<failure") == len(tests), junit


# Each lab's start reaches the prompt on a plain boot, so the boot probe
# never cuts its grading short: test_tools.py::test_start_builds_and_boots.


def failure(**state):
    """The message of a Machine's failure, for the serial output given
    (text, pos), as if QEMU had ended."""
    m = gradelib.Machine("kernel.elf", log_name="grading_test")
    m.status = gradelib.SUCCESS
    for name, value in state.items():
        setattr(m, name, value)
    with pytest.raises(GradeError) as e:
        m._fail("'the line'")
    return str(e.value)


def test_failure_says_what_was_printed():
    """No output at all, and none since the last line matched, are said in words."""
    silent = failure(text="")
    assert "seen: nothing: the kernel printed nothing after GRUB started it" in silent, silent
    assert "(nothing)" not in silent
    msg = failure(text="boot: one\nktest x: start\n", pos=len("boot: one\nktest x: start\n"))
    assert "seen: nothing after 'ktest x: start'; the last lines" in msg, msg
    msg = failure(text="boot: one\nktest x: start\noops\n", pos=len("boot: one\n"))
    assert "seen (last lines of serial output):\n      | boot: one" in msg, msg


def test_check_never_says_none():
    for empty in (None, "", [], {}):
        with pytest.raises(GradeError) as e:
            check(False, "a line 'mem: ...'", empty)
        assert str(e.value).endswith("seen:     nothing") and "None" not in str(e.value)
    assert show(["a", "b\nc"]) == "\n      | a\n      | b\n      | c"
    assert show(0) == "0" and show({32: 5}) == "{32: 5}"


def test_empty_screen_is_said_in_words():
    blank = [(" " * 80, bytes(80))] * 25
    assert show_screen(blank) == "the screen is empty"
    assert show_row(blank, 0) == "the screen is empty"
    screen = [("hello".ljust(80), bytes(80))] + blank[1:]
    assert show_screen(screen) == "\n      | hello"
    assert show_row(screen, 0) == "'hello'" and show_row(screen, 3) == "an empty row"


def test_student_make_unit_shows_only_passes(tmp_path):
    """In a student repository (lab 1, solved) `make unit` runs the unit
    tests of its labs and reports passes only: nothing skipped or deselected."""
    tree = tmp_path / "student"
    for path, text in handout.tree_for(1, 1).items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(text)
        shutil.copymode(ROOT / path, tree / path)       # scripts stay executable
    r = subprocess.run(["make", "--no-print-directory", "unit"], cwd=tree, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    summary = r.stdout.strip().splitlines()[-1]
    assert r.returncode == 0 and " passed" in summary, r.stdout
    assert "skipped" not in summary and "deselected" not in summary, r.stdout
