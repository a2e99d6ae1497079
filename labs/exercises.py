#!/usr/bin/python3
"""exercises.py - a lab's starting point with chosen exercises solved.

Each `#if SOL >= n` block whose stub says `LAB n, exercise k:` belongs to
exercise k (a block without #else, a solution-only helper, belongs to the
exercise of the next block of its lab in the file, or else the one before).
`solve` copies this tree and turns the blocks of the chosen exercises into
`#if SOL >= 0`, so that building it with LAB=n SOL=n-1 gives the kernel of
a student who has done just those exercises. The milestone checks use it
to prove that each exercise earns its points on its own
(grader/test_exercises.py); an instructor can look at one by hand:

    exercises.py solve --lab 2 --exercises 1,3 --out /tmp/lab2-ex13
    cd /tmp/lab2-ex13 && make grade LAB=2 SOL=1 ONLY=2
"""

import argparse
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "grader"))
import course  # noqa: E402

SOL_ON = re.compile(r"^(\s*[#%]\s*if\s+)SOL\s*>=\s*\d+")     # made `SOL >= 0`: always on


def sol_blocks(text, name):
    """[(line index of the #if, lab, exercise)] of the SOL blocks of a
    source, in file order, each solution-only helper given the exercise it
    goes with: the next stubbed block of its lab, else the one before. A
    challenge k's blocks are exercise "ck"."""
    blocks = sorted((b.line - 1, b.lab, f"c{b.challenge}" if b.challenge else b.exercise)
                    for b in course.marker_blocks(text, name) if b.kind == "SOL")
    resolved = []
    for k, (start, lab, ex) in enumerate(blocks):
        if ex is None:
            after = [e for s, l, e in blocks[k + 1:] if l == lab and e is not None]
            before = [e for s, l, e in blocks[:k] if l == lab and e is not None]
            ex = (after or before[::-1] or [None])[0]
        resolved.append((start, lab, ex))
    return resolved


def solve_text(text, name, lab, exercises):
    """text with the SOL blocks of lab's chosen exercises always on."""
    lines = text.split("\n")
    for start, block_lab, ex in sol_blocks(text, name):
        if block_lab == lab and ex in exercises:
            lines[start] = SOL_ON.sub(r"\g<1>SOL >= 0", lines[start])
    return "\n".join(lines)


def copy_tree(out, edit):
    """Write this tree (as it stands, uncommitted edits included, no build/
    and no .git) to out, each C and NASM source as edit(text, path) has it."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    for path in course.tracked_files():
        src, dest = ROOT / path, out / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.endswith((".c", ".h", ".asm")):
            dest.write_text(edit(src.read_text(), path))
            shutil.copymode(src, dest)
        else:
            shutil.copy2(src, dest)
    return out


def solve(out, lab, exercises):
    """This tree written to out with lab's chosen exercises solved."""
    return copy_tree(out, lambda text, path: solve_text(text, path, lab, exercises))


def exercises_of(lab, challenges=False):
    """The exercise numbers of lab, from the stubs in the tree (and its
    challenges, "c1", ..., after them if asked)."""
    found = set()
    for path in course.tracked_files():
        if path.endswith((".c", ".h", ".asm")):
            found |= {ex for _, l, ex in sol_blocks((ROOT / path).read_text(), path)
                      if l == lab and (challenges or isinstance(ex, int))}
    return sorted(found, key=lambda ex: (isinstance(ex, str), str(ex).zfill(4)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("solve", help="copy the tree with some exercises solved")
    p.add_argument("--lab", type=int, required=True)
    p.add_argument("--exercises", required=True,
                   help="comma-separated, e.g. 1,3 (a challenge k is ck: 1,c1)")
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("list", help="each exercise of a lab and the tests that grade it")
    p.add_argument("--lab", type=int, required=True)
    args = ap.parse_args()
    if args.cmd == "solve":
        chosen = {int(x) if x.isdigit() else x for x in args.exercises.split(",") if x}
        unknown = chosen - set(exercises_of(args.lab, challenges=True))
        if unknown:
            sys.exit(f"exercises: lab {args.lab} has no exercise {sorted(map(str, unknown))}; "
                     f"it has {exercises_of(args.lab, challenges=True)}")
        print(f"exercises: {solve(args.out, args.lab, chosen)}: lab {args.lab} "
              f"with exercises {sorted(map(str, chosen))} solved; build it with LAB={args.lab} "
              f"SOL={args.lab - 1}")
    else:
        marks = course.exercise_marks(args.lab)
        for ex in exercises_of(args.lab):
            tests = [t for t, m in marks.items() if ex in m]
            print(f"exercise {ex}: {' '.join(tests) or '(no test)'}")


if __name__ == "__main__":
    main()
