"""Lints of the tree (no points): file openings and milestone markers.

- Every kernel source file opens with a comment naming the file and its lab.
- `#if LAB >= n` / `#if SOL >= n` (and NASM's %if) are balanced and name an
  existing lab; a SOL block sits in code that exists at LAB >= n; its #else
  (absent only for solution-only helpers) holds the stub, whose comment has
  the one fixed shape
  `LAB n, exercise k: <what to do> (handout §x)`, and §x exists in the
  lab's handout.
"""

import re

import pytest

from conftest import LABS
from gradelib import ROOT

SOURCES = sorted(p for p in (ROOT / "kernel").rglob("*")
                 if p.suffix in (".c", ".h", ".asm", ".ld"))
FILE_LABS = {}
for line in (ROOT / "labs" / "files.txt").read_text().splitlines():
    if line.strip() and not line.startswith("#"):
        path, lab = line.split()
        if lab != "-":
            FILE_LABS[path] = int(lab)

COND_RE = re.compile(r"^\s*[#%]\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$")
MARKER_RE = re.compile(r"^\s*(LAB|SOL)\s*>=\s*(\d+)\s*(/\*.*\*/|;.*)?$")
STUB_RE = re.compile(r"LAB (\d+), exercise (\d+): .+? \(handout §(\d+(?:\.\d+)*)\)", re.S)


def rel(p):
    return str(p.relative_to(ROOT))


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_file_opening(path):
    head = "\n".join(path.read_text().splitlines()[:5])
    assert path.name in head and re.search(r"Lab \d", head), (
        f"{rel(path)}: the first lines must say what the file is ('{path.name} - ...') "
        "and which lab introduces it ('Lab n')")


def check_markers(path):
    """Yield (lab, exercise, section, line) for each SOL block; assert the rest."""
    lines = path.read_text().splitlines()
    file_lab = FILE_LABS.get(rel(path), 1)
    stack = []      # open conditionals: [kind, n, line, stub_text, has_else]
    for i, line in enumerate(lines, 1):
        m = COND_RE.match(line)
        if stack and stack[-1][4]:
            stack[-1][3] += line + "\n"
        if not m:
            continue
        where = f"{rel(path)}:{i}"
        word, rest = m.group(1), m.group(2)
        if word in ("if", "ifdef", "ifndef"):
            mk = MARKER_RE.match(rest) if word == "if" else None
            if mk is None and re.search(r"\b(LAB|SOL)\b", rest):
                raise AssertionError(f"{where}: write markers exactly as '#if LAB >= n' or '#if SOL >= n'")
            kind, n = (mk.group(1), int(mk.group(2))) if mk else (None, None)
            if kind:
                assert n in LABS or (kind == "SOL" and n == 0), f"{where}: no lab {n}"
            if kind == "SOL":
                exists_from = max([file_lab] + [s[1] for s in stack if s[0] == "LAB"])
                assert exists_from <= n, (f"{where}: SOL >= {n} block inside code that only "
                                          f"exists from lab {exists_from}")
            stack.append([kind, n, i, "", False])
        elif word in ("else", "elif"):
            assert stack, f"{where}: #{word} without #if"
            assert not (stack[-1][0] and word == "elif"), f"{where}: no #elif after a marker"
            stack[-1][4] = True
        else:
            assert stack, f"{where}: #endif without #if"
            kind, n, start, stub, has_else = stack.pop()
            if kind == "SOL" and has_else:     # without #else: a solution-only helper
                found = STUB_RE.search(re.sub(r"\s*(\*|;|//)\s*", " ", stub))
                assert found and int(found.group(1)) == n, (
                    f"{rel(path)}:{start}: the stub needs a comment "
                    f"'LAB {n}, exercise k: <what to do> (handout §x)'")
                yield n, int(found.group(2)), found.group(3), f"{rel(path)}:{start}"
    assert not stack, f"{rel(path)}:{stack[-1][2]}: #if never closed"


def test_markers_and_exercises():
    exercises = {}
    for path in SOURCES:
        for lab, ex, section, where in check_markers(path):
            exercises[(lab, ex)] = where    # an exercise may have several stubs
            handout = ROOT / "handouts" / f"lab{lab}-{LABS[lab][0]}.md"
            assert re.search(rf"^#+ {re.escape(section)}\.? ", handout.read_text(), re.M), (
                f"{where}: handout §{section} is not a heading of {rel(handout)}")
    for lab in LABS:
        numbers = sorted(ex for (lb, ex) in exercises if lb == lab)
        assert numbers and numbers == list(range(1, len(numbers) + 1)), (
            f"lab {lab}: exercises should be numbered 1..n, found {numbers}")
