#!/usr/bin/python3
"""grade.py - `make grade`: run the graders of labs 1..LAB and score them.

Prints each test with its points and time as it finishes, what was expected
and what was seen for each failure, a subtotal per lab and `Score: X/Y`;
writes build/grade/results.json (Gradescope's schema) and
build/grade/junit.xml. Exits 0 only with full marks.

Before the tests, one plain boot (what `make run` does) must reach the
monitor prompt. A kernel that hangs before it would make every test wait
out its deadline (a minute or more in all): then no test runs, each is
listed as failed, and the hang is reported once, with where the CPU was.

    grade.py --lab N [--sol S] [--only N] [--test NAME] [--workers N]
"""

import argparse
import contextlib
import io
import json
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402
from course import LABS  # noqa: E402

OUT = gradelib.BUILD / "grade"

# The boot probe's budget in QEMU's CPU time, which a loaded host does not
# use up: a boot to the prompt takes 0.6-1 s of it, QEMU's own start and
# GRUB included (labs 1-6, start and solution). A kernel that sleeps (hlt)
# instead of spinning is caught by the wall-clock deadline every test's
# first line has.
PROBE_CPU_SECONDS = 3.0


class Test:
    def __init__(self, nodeid, lab, points, exercises=(), challenge=None):
        self.nodeid, self.lab, self.points = nodeid, lab, points
        self.exercises = exercises      # of its lab, from @pytest.mark.exercise
        self.challenge = challenge      # k of @pytest.mark.challenge(k): not in the score
        self.name = nodeid.split("::")[-1].split("[")[0].removeprefix("test_")
        self.passed = None
        self.seconds = 0.0
        self.message = ""

    @property
    def score(self):
        return self.points if self.passed else 0


class Collector:
    """pytest plugin: the lab tests that would run, with their points."""

    def __init__(self):
        self.tests = []

    def pytest_collection_finish(self, session):
        for item in session.items:
            props = dict(item.user_properties)
            if "points" in props:
                self.tests.append(Test(item.nodeid, props["lab"], props["points"],
                                       props.get("exercises", ()), props.get("challenge")))


class Reporter:
    """pytest plugin: gathers results (also from xdist workers) and prints
    one line per test as it finishes."""

    def __init__(self, tests):
        self.tests = {t.nodeid: t for t in tests}

    def pytest_runtest_logreport(self, report):
        t = self.tests.get(report.nodeid)
        if t is None:
            return
        t.seconds += report.duration
        if report.failed:
            t.passed = False
            # xdist adds a "[gw0] linux -- Python ..." line: not for students.
            text = "\n".join(line for line in report.longreprtext.splitlines()
                             if not line.startswith("[gw"))
            t.message = t.message or text
        elif report.when == "call" and t.passed is None:
            t.passed = True
        if report.when == "teardown":
            print_result(t)
            sys.stdout.flush()


def exercise_words(t):
    """'Lab 2, exercise 3' or 'Lab 2, exercises 2 and 3': what t grades."""
    if t.challenge is not None:
        return f"Lab {t.lab}, challenge {t.challenge} (optional, not counted)"
    ex = [str(k) for k in t.exercises]
    if not ex:
        return f"Lab {t.lab}"
    if len(ex) == 1:
        return f"Lab {t.lab}, exercise {ex[0]}"
    return f"Lab {t.lab}, exercises {', '.join(ex[:-1])} and {ex[-1]}"


def print_result(t, details=True):
    mark = "ok  " if t.passed else "FAIL"
    grades = "" if t.passed and t.challenge is None else f"  ({exercise_words(t)})"
    print(f"  {mark} {t.name:<28} {t.score:>3}/{t.points:<3} {t.seconds:6.1f} s{grades}")
    if details and not t.passed and t.message:
        for line in t.message.strip().splitlines():
            print("         " + line)


def boot_probe(elf):
    """None if a plain boot reaches the monitor prompt, or ends by itself
    (a panic or a reset: each test then fails fast, with its own report).
    If it hangs: the grader's report of the hang."""
    with gradelib.Machine(elf, "", log_name="boot") as m:
        try:
            m.expect_prompt(cpu_limit=PROBE_CPU_SECONDS)
            return None
        except gradelib.GradeError as e:
            return None if m.ended() else str(e)


def hang_message(report, labs):
    """The one message that replaces a column of timeouts."""
    which = f"lab {labs[0]}" if len(labs) == 1 else f"labs {labs[0]}-{labs[-1]}"
    return ("The kernel hangs before its monitor prompt (a plain boot, as `make run` does it):\n"
            f"    {report}\n"          # its later lines are indented already
            f"Every test of {which} boots through this start and would wait out its deadline,\n"
            "so none was run. Fix the boot first: `make run` shows the same, and\n"
            "`make qemu-gdb` with `make gdb` shows where the kernel is.")


def not_run(tests, why, listed=True):
    """Fail every test without running it, for the reason why, given once
    above; listed, each test's line is printed too. Writes junit.xml."""
    for t in tests:
        t.passed, t.message = False, why
        if listed:
            print_result(t, details=False)
    write_junit(tests, OUT / "junit.xml")


def write_junit(tests, path):
    """junit.xml for a run where pytest ran no test (no build, or a hang)."""
    suite = ET.Element("testsuite", name="teachos", tests=str(len(tests)), failures=str(len(tests)))
    for t in tests:
        case = ET.SubElement(suite, "testcase", name=t.name, classname=f"lab{t.lab}", time="0")
        ET.SubElement(case, "failure", message=t.message.splitlines()[0]).text = t.message
    ET.ElementTree(suite).write(path, encoding="unicode")


def write_results(tests, seconds, lab, sol, note=""):
    OUT.mkdir(parents=True, exist_ok=True)
    score = sum(t.score for t in tests if t.challenge is None)
    total = sum(t.points for t in tests if t.challenge is None)
    results = {
        "score": score,
        "execution_time": round(seconds, 1),
        "output": f"Graded LAB={lab} SOL={sol}: {score}/{total}" + (f"\n\n{note}" if note else ""),
        "stdout_visibility": "visible",
        "tests": [{
            "name": f"Lab {t.lab}: {t.name}" + (" (challenge, not counted)" if t.challenge else ""),
            "number": f"{t.lab}.{i + 1}",
            "score": 0 if t.challenge is not None else t.score,
            "max_score": 0 if t.challenge is not None else t.points,
            "status": "passed" if t.passed else "failed",
            "output": f"grades {exercise_words(t)}\n{t.message}" if not t.passed else "",
        } for i, t in enumerate(tests)],
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return score, total


def collect(common, name):
    """The lab tests pytest would run (only the one called name, if given),
    in lab order; adds --test=name to common. Exits on a collection error."""
    collector = Collector()
    chatter = io.StringIO()
    with contextlib.redirect_stdout(chatter):
        code = pytest.main(common + ["--collect-only", "-qq"], plugins=[collector])
    if code != 0 or not collector.tests:
        print(chatter.getvalue())
        sys.exit(f"grade: could not collect the graders (pytest status {code}); see above")
    tests = sorted(collector.tests, key=lambda t: (t.lab, t.nodeid))
    if name:
        wanted = name.removeprefix("test_")
        tests = [t for t in tests if t.name == wanted]
        if not tests:
            names = " ".join(t.name for t in sorted(collector.tests, key=lambda t: t.nodeid))
            sys.exit(f"grade: no grader test called {name!r}; the tests are: {names}")
        common.append(f"--test={wanted}")
    return tests


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab", type=int, required=True)
    ap.add_argument("--sol", type=int)
    ap.add_argument("--only", type=int, help="grade only this lab")
    ap.add_argument("--test", help="grade only this test (name as printed)")
    ap.add_argument("--workers", default="auto", help="parallel QEMUs (default: one per core)")
    args = ap.parse_args()
    sol = args.lab if args.sol is None else args.sol

    if args.lab not in LABS or not 0 <= sol <= args.lab:
        sys.exit(f"grade: LAB={args.lab} SOL={sol}: LAB must be one of {sorted(LABS)}, SOL 0..LAB")
    if args.only is not None and not 1 <= args.only <= args.lab:
        sys.exit(f"grade: ONLY={args.only}: choose a lab from 1 to LAB={args.lab}")
    common = [str(gradelib.ROOT / "grader"), f"--lab={args.lab}", f"--sol={sol}",
              "--grading", "-p", "no:cacheprovider", f"--rootdir={gradelib.ROOT}"]
    if args.only is not None:
        common.append(f"--only={args.only}")

    tests = collect(common, args.test)
    started = time.monotonic()
    labs = sorted({t.lab for t in tests})
    if (gradelib.ROOT / "labs" / "handout.py").exists():     # the instructor's tree
        print(f"Grading LAB={args.lab} SOL={sol}: labs {', '.join(map(str, labs))}")
    else:
        print(f"Grading lab{'s' if len(labs) > 1 else ''} {', '.join(map(str, labs))} "
              f"with your lab {args.lab} code")
    sys.stdout.flush()
    OUT.mkdir(parents=True, exist_ok=True)
    hang = None
    try:
        hang = boot_probe(gradelib.build(args.lab, sol))
    except gradelib.BuildError as e:
        print(str(e))
        not_run(tests, "the kernel does not build (see above)", listed=False)
    else:
        if hang:
            hang = hang_message(hang, labs)
            print(hang)
            not_run(tests, "not run: the kernel hangs before its monitor prompt (see above)")
        else:
            print("  (tests are listed as they finish; several run at once)")
            pytest.main(common + ["-n", args.workers, "--timeout=300",
                                  "-p", "no:terminal", f"--junitxml={OUT / 'junit.xml'}"],
                        plugins=[Reporter(tests)])
    for t in tests:
        if t.passed is None:
            t.passed, t.message = False, "did not run"

    score, total = write_results(tests, time.monotonic() - started, args.lab, sol, note=hang or "")
    print()
    for lab in labs:
        mine = [t for t in tests if t.lab == lab and t.challenge is None]
        print(f"Lab {lab} ({LABS[lab].title}): {sum(t.score for t in mine)}/{sum(t.points for t in mine)}")
        extra = [t for t in tests if t.lab == lab and t.challenge is not None]
        if extra:
            print(f"  challenges (optional, not counted): "
                  + ", ".join(f"{t.name} {'passed' if t.passed else 'not passed'}" for t in extra))
    print(f"Results: {OUT.relative_to(gradelib.ROOT)}/results.json, junit.xml; "
          f"serial logs in {gradelib.LOG_DIR.relative_to(gradelib.ROOT)}/")
    print(f"Score: {score}/{total}")
    sys.exit(0 if score == total else 1)


if __name__ == "__main__":
    main()
