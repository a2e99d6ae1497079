#!/usr/bin/python3
"""mutants.py - `make mutants LAB=n`: how many wrong solutions lab n's graders catch.

A mutant is the reference solution of lab n with one line of one of its
`#if SOL >= n` blocks changed the way a student's slip would change it:

    relational   <  <=  >  >=  ==  !=  swapped for a neighbour
    logical      && and || swapped
    arithmetic   + and -, ++ and --, += and -=, << and >>, & and | swapped
    constant     an integer literal moved by one (up, and down when not 0)
    condition    if (c) made if (!(c))
    boolean      true and false swapped
    delete       a statement (C) or an instruction (NASM) left out
    jump         a NASM conditional jump inverted (je/jne, jl/jge, ...)

Each mutant is built at LAB=n SOL=n in a copy of this tree and graded by
lab n's graders (challenges left out), stopping at the first failure:

    killed       a grader failed (or timed out): the graders caught it
    survived     every grader passed: a wrong solution with full marks
    stillborn    it does not build: no student would hand it in

The score is killed / (killed + survived), leaving out the mutants listed
in labs/mutants-equivalent.txt (changes that cannot alter behaviour, each
with its reason). The report goes to build/mutants/labN.txt too.

    mutants.py --lab N [--exercise K] [--seed S] [--count C] [--jobs J]

--exercise K measures one exercise's solution (its report goes to
build/mutants/labN-exK.txt).
"""

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "grader"))
sys.path.insert(0, str(ROOT / "labs"))
import course  # noqa: E402
import exercises  # noqa: E402
import gradelib  # noqa: E402

EQUIVALENT_FILE = ROOT / "labs" / "mutants-equivalent.txt"
OUT = ROOT / "build" / "mutants"
MUTANT_TIMEOUT = 600            # seconds to build and grade one mutant


class Mutant(NamedTuple):
    path: str           # relative to the top
    line: int           # from 1
    operator: str
    before: str         # the line as written
    after: str          # the line mutated
    exercise: int = 0   # the exercise whose solution the line is in

    def where(self):
        return f"{self.path}:{self.line}"

    def change(self):
        return f"{self.before.strip()} ==> {self.after.strip()}"


# ---- generating -------------------------------------------------------------

SWAPS = {
    "relational": [(" < ", " <= "), (" <= ", " < "), (" > ", " >= "), (" >= ", " > "),
                   (" == ", " != "), (" != ", " == ")],
    "logical": [(" && ", " || "), (" || ", " && ")],
    "arithmetic": [(" + ", " - "), (" - ", " + "), ("++", "--"), ("--", "++"),
                   (" += ", " -= "), (" -= ", " += "), (" << ", " >> "), (" >> ", " << "),
                   (" & ", " | "), (" | ", " & ")],
    "boolean": [("true", "false"), ("false", "true")],
}
NASM_JUMPS = [("je", "jne"), ("jne", "je"), ("jz", "jnz"), ("jnz", "jz"), ("jl", "jge"),
              ("jge", "jl"), ("jg", "jle"), ("jle", "jg"), ("jb", "jae"), ("jae", "jb"),
              ("ja", "jbe"), ("jbe", "ja")]
NUMBER = re.compile(r"(?<![\w.])(0x[0-9a-fA-F]+|\d+)(?=[uUlL]*(?![\w.]))")
DECLARATION = re.compile(r"^\s*(const\s+|static\s+)*(struct\s+\w+|enum\s+\w+|unsigned|signed|int|"
                         r"char|bool|long|short|void|size_t|uintptr_t|u?int\d+_t|\w+_t)\b[\s*]+\w+"
                         r"\s*(\[.*\])?\s*[;=,]")


def masked(line, nasm):
    """line with its string and char literals and its comment blanked (same
    length), so that operators are only looked for in code."""
    out = re.sub(r'"(\\.|[^"\\])*"' + ("" if nasm else r"|'(\\.|[^'\\])*'"),
                 lambda m: " " * len(m.group(0)), line)
    cut = out.find(";") if nasm else min((i for i in (out.find("//"), out.find("/*")) if i >= 0),
                                         default=-1)
    return out if cut < 0 else out[:cut] + " " * (len(out) - cut)


def swaps(line, code, operator, pairs, word=False):
    for old, new in pairs:
        pattern = rf"\b{re.escape(old)}\b" if word else re.escape(old)
        for m in re.finditer(pattern, code):
            if operator == "arithmetic" and old in (" - ", " + ") and code[:m.start()].rstrip()[-1:] in "(=,":
                continue                        # a sign, not a binary operator
            yield operator, line[:m.start()] + new + line[m.end():]


def constants(line, code):
    for m in NUMBER.finditer(code):
        text = m.group(1)
        value = int(text, 0)
        for moved in ([value + 1, value - 1] if value > 0 else [value + 1]):
            new = hex(moved) if text.lower().startswith("0x") else str(moved)
            yield "constant", line[:m.start()] + new + line[m.end():]


def negated_condition(line, code):
    m = re.search(r"\b(if|while)\s*\(", code)
    if not m:
        return
    depth, start = 0, m.end() - 1
    for i in range(start, len(code)):
        depth += {"(": 1, ")": -1}.get(code[i], 0)
        if depth == 0:
            yield "condition", line[:start + 1] + "!(" + line[start + 1:i] + ")" + line[i:]
            return


def c_mutations(line):
    code = masked(line, nasm=False)
    if not code.strip() or code.lstrip().startswith(("*", "#")):
        return
    for operator in ("relational", "logical", "arithmetic"):
        yield from swaps(line, code, operator, SWAPS[operator])
    yield from swaps(line, code, "boolean", SWAPS["boolean"], word=True)
    yield from constants(line, code)
    yield from negated_condition(line, code)
    stripped = code.strip()
    if stripped.endswith(";") and not DECLARATION.match(code) and not stripped.startswith(
            ("return", "break", "continue", "}", "for")):
        indent = line[:len(line) - len(line.lstrip())]
        yield "delete", indent + "{}"           # not ";": an empty if body is a warning


def nasm_mutations(line):
    code = masked(line, nasm=True)
    stripped = code.strip()
    if not stripped or stripped.endswith(":") or stripped.startswith(("%", "[", "global", "extern",
                                                                     "section", "bits", "align")):
        return
    yield from swaps(line, code, "jump", NASM_JUMPS, word=True)
    yield from swaps(line, code, "arithmetic", [("add", "sub"), ("sub", "add")], word=True)
    yield from constants(line, code)
    indent = line[:len(line) - len(line.lstrip())]
    yield "delete", indent + "nop"


def mutants_of(lab):
    """Every mutant of lab's solution lines (its exercises, not its
    challenges), in file and line order."""
    found = []
    for path in course.tracked_files():
        if not path.endswith((".c", ".asm")) or not path.startswith(("kernel/", "user/")):
            continue
        text = (ROOT / path).read_text()
        lines = text.split("\n")
        mutate = nasm_mutations if path.endswith(".asm") else c_mutations
        owner = {start + 1: ex for start, _, ex in exercises.sol_blocks(text, path)}
        for b in course.marker_blocks(text, path):
            if b.kind != "SOL" or b.lab != lab or isinstance(owner.get(b.line), str):
                continue                # another lab's, or a challenge's (not graded here)
            for i in range(b.line, (b.else_line or b.end) - 1):
                if re.match(r"\s*[#%]", lines[i]):
                    continue            # a nested conditional
                for operator, after in mutate(lines[i]):
                    if after != lines[i]:
                        found.append(Mutant(path, i + 1, operator, lines[i], after,
                                            owner.get(b.line, 0)))
    return sorted(set(found), key=lambda m: (m.path, m.line, m.operator, m.after))


def read_equivalent(path):
    """{(path, before, after): reason} from the known-equivalent file:
    `path: line before ==> line after ## why it cannot change behaviour`."""
    known = {}
    if not path.exists():
        return known
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        m = re.match(r"^(\S+?): (.+?) ==> (.+?) ## (.+)$", raw)
        if not m:
            sys.exit(f"mutants: {path}:{n}: write 'path: before ==> after ## reason'")
        known[(m.group(1), m.group(2).strip(), m.group(3).strip())] = m.group(4)
    return known


# ---- running ----------------------------------------------------------------

def run(args, cwd, timeout):
    """(returncode or None on a timeout, output), the whole process group
    killed on a timeout (pytest and its QEMUs)."""
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        return None, proc.communicate()[0]


def tests_in_order(lab, exercise):
    """Lab's graders as pytest node ids, the ones that grade exercise first
    (with -x a mutant is judged at its first failure: the tests most likely
    to catch it go first; a survivor still runs them all)."""
    grader = course.LABS[lab].grader
    tests = re.findall(r"^def (test_\w+)\(", (ROOT / grader).read_text(), re.M)
    marks = course.exercise_marks(lab)
    graded = lambda test: marks.get(test.removeprefix("test_"), ())
    ordered = sorted(tests, key=lambda test: (exercise not in graded(test), len(graded(test)) or 99))
    return [f"{grader}::{test}" for test in ordered] or [str(grader)]


def judge(mutant, lab, work):
    """(verdict, detail) of one mutant, built and graded in work."""
    def edit(text, path):
        if path != mutant.path:
            return text
        lines = text.split("\n")
        assert lines[mutant.line - 1] == mutant.before, f"{mutant.where()} changed under us"
        lines[mutant.line - 1] = mutant.after
        return "\n".join(lines)

    deadline = time.monotonic() + MUTANT_TIMEOUT
    exercises.copy_tree(work, edit)
    try:
        code, out = run(["make", "--no-print-directory", "-s", f"LAB={lab}", f"SOL={lab}", "elf"],
                        work, MUTANT_TIMEOUT)
        if code != 0:
            return "stillborn", "does not build"
        code, out = run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                         "-p", "no:xdist", "--timeout=300", "-m", "not challenge",
                         f"--lab={lab}", f"--sol={lab}", f"--only={lab}",
                         *tests_in_order(lab, mutant.exercise)],
                        work, max(1, deadline - time.monotonic()))
        if code is None:
            return "killed", "timed out"
        if code == 0:
            return "survived", "every grader passed"
        failed = re.search(r"^FAILED \S+::(test_\w+)", out, re.M)
        if failed:
            return "killed", f"by {failed.group(1)}"
        if code == 1:
            return "killed", "a grader failed"
        last = out.strip().splitlines()[-1] if out.strip() else ""
        return "error", f"pytest status {code}: {last}"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab", type=int, required=True)
    ap.add_argument("--seed", type=int, help="shuffle the mutants with this seed before --count")
    ap.add_argument("--count", type=int, help="grade only this many (default: all)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutants at once")
    ap.add_argument("--exercise", type=int, help="only the mutants of this exercise's solution")
    ap.add_argument("--equivalent", type=Path, default=EQUIVALENT_FILE,
                    help="the known-equivalent mutants (default: labs/mutants-equivalent.txt)")
    args = ap.parse_args()
    if args.lab not in course.LABS:
        sys.exit(f"mutants: LAB={args.lab}: the labs are {sorted(course.LABS)}")
    if args.count is not None and args.count < 1 or args.jobs < 1:
        sys.exit("mutants: COUNT and JOBS must be at least 1")

    gradelib.use_ccache()
    equivalent = read_equivalent(args.equivalent)
    every = mutants_of(args.lab)
    if args.exercise is not None:
        have = sorted({m.exercise for m in every})
        if args.exercise not in have:
            sys.exit(f"mutants: lab {args.lab} has no exercise {args.exercise}; it has {have}")
        every = [m for m in every if m.exercise == args.exercise]
    if args.seed is not None:
        random.Random(args.seed).shuffle(every)
    chosen = every[:args.count] if args.count else every
    known = [m for m in chosen if (m.path, m.before.strip(), m.after.strip()) in equivalent]
    todo = [m for m in chosen if m not in known]
    what = f"exercise {args.exercise}'s" if args.exercise is not None else "its"
    print(f"mutants: lab {args.lab}: {len(every)} mutants of {what} solution lines; grading "
          f"{len(todo)} ({len(known)} known equivalent), {args.jobs} at a time")
    sys.stdout.flush()

    OUT.mkdir(parents=True, exist_ok=True)
    report = []

    def one(k_mutant):
        k, mutant = k_mutant
        started = time.monotonic()
        verdict, detail = judge(mutant, args.lab, OUT / f"lab{args.lab}-work{k}")
        line = (f"{verdict.upper():<9} {mutant.where():<32} {mutant.operator:<10} "
                f"{mutant.change()}   [{detail}, {time.monotonic() - started:.0f} s]")
        print(line)
        sys.stdout.flush()
        report.append((verdict, line))
        return verdict

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        verdicts = list(pool.map(one, enumerate(todo)))
    for m in known:
        line = (f"{'EQUIVALENT':<9} {m.where():<32} {m.operator:<10} {m.change()}   "
                f"[{equivalent[(m.path, m.before.strip(), m.after.strip())]}]")
        print(line)
        report.append(("equivalent", line))

    killed, survived = verdicts.count("killed"), verdicts.count("survived")
    stillborn, errors = verdicts.count("stillborn"), verdicts.count("error")
    score = 100.0 * killed / (killed + survived) if killed + survived else 100.0
    summary = (f"Lab {args.lab}" + (f" exercise {args.exercise}" if args.exercise is not None else "")
               + f": killed {killed}, survived {survived}, stillborn {stillborn}, "
               f"equivalent {len(known)}" + (f", errors {errors}" if errors else "")
               + f"; mutation score {score:.1f}%")
    path = OUT / (f"lab{args.lab}" + (f"-ex{args.exercise}" if args.exercise is not None else "")
                  + ".txt")
    path.write_text("\n".join(line for _, line in sorted(report)) + "\n" + summary + "\n")
    print(f"Report: {path.relative_to(ROOT)}")
    print(summary)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
