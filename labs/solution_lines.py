#!/usr/bin/python3
"""solution_lines.py - how much of each lab the student writes.

Counts, per lab, the non-blank, non-directive lines in the solution branch
of the `#if SOL >= n` blocks of the kernel and user sources (C and NASM;
comments inside a solution count, since a student writes those too), the
exercises' and the optional challenges' apart, and the blocks, exercises
and challenges. The course aims at 150-300 lines of exercises for Labs 2
and up (Lab 1 may be smaller):

    labs/solution_lines.py            # the table
    labs/solution_lines.py --check    # also exit 1 if a lab 2+ is outside 150-300
"""

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "grader"))
import course  # noqa: E402

sys.path.insert(0, str(ROOT / "labs"))
import exercises  # noqa: E402

DIRECTIVE = re.compile(r"^\s*[#%]\s*\w")
LOW, HIGH = 150, 300


def count(paths):
    """{lab: [exercise lines, challenge lines, blocks, exercises, challenges]}
    over the SOL blocks of paths (a block nested in another counts once, in
    the outer one; a solution-only helper counts with the stub it serves)."""
    table = defaultdict(lambda: [0, 0, 0, set(), set()])
    for path in paths:
        text = path.read_text()
        lines = text.split("\n")
        blocks = [b for b in course.marker_blocks(text, str(path)) if b.kind == "SOL"]
        kinds = {start: ex for start, _, ex in exercises.sol_blocks(text, str(path))}
        for b in blocks:
            if any(o is not b and o.line < b.line and b.end < o.end for o in blocks):
                continue                    # inside another solution: counted there
            end = b.else_line or b.end
            body = lines[b.line:end - 1]
            row = table[b.lab]
            challenge = isinstance(kinds.get(b.line - 1), str)
            row[1 if challenge else 0] += sum(1 for s in body if s.strip() and not DIRECTIVE.match(s))
            row[2] += 1
            if b.exercise is not None:
                row[3].add(b.exercise)
            if b.challenge is not None:
                row[4].add(b.challenge)
    return table


def sources():
    return sorted(p for top in ("kernel", "user") for p in (ROOT / top).rglob("*")
                  if p.suffix in (".c", ".h", ".asm", ".S"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true",
                    help=f"exit 1 if a lab from 2 on has fewer than {LOW} or more than {HIGH} "
                    "lines of exercises")
    args = ap.parse_args()
    table = count(sources())
    print("| lab | solution lines a student writes: exercises | challenges | blocks | exercises "
          "| challenges |")
    print("|---|---|---|---|---|---|")
    bad = []
    for lab in sorted(course.LABS):
        lines, extra, blocks, exs, chs = table[lab]
        print(f"| {lab} {course.LABS[lab].title} | {lines} | {extra} | {blocks} | {len(exs)} "
              f"| {len(chs)} |")
        if lab >= 2 and not LOW <= lines <= HIGH:
            bad.append(f"lab {lab}: {lines} lines in its exercises, outside {LOW}-{HIGH}")
    if args.check and bad:
        sys.exit("\n".join(bad))


if __name__ == "__main__":
    main()
