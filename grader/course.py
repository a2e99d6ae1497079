"""course.py - the course's metadata, read in this one place (Lab 1).

- the labs, from labs/labs.txt: number, slug, title, handout and grader;
- which lab each file belongs to, from labs/files.txt (None: instructor-only);
- the exercises each grader test grades, from its @pytest.mark.exercise(...);
- the exercise blocks of a source (DESIGN §5): `#if LAB >= n` / `#if SOL >= n`
  (NASM: %if), and the stub comment `LAB n, exercise k: ... (handout §x)`.

The graders, the lints, the handout and rendering tools all read these; the
Makefile keeps two awk lines of its own (test_lint.py checks they agree).
"""

import os
import re
import sys
from pathlib import Path
from typing import NamedTuple, Optional

ROOT = Path(__file__).resolve().parent.parent
LABS_FILE = "labs/labs.txt"
FILES_FILE = "labs/files.txt"


class Lab(NamedTuple):
    number: int
    slug: str
    title: str

    @property
    def handout(self):
        """Its handout, relative to the tree's top (as in labs/files.txt)."""
        return f"handouts/lab{self.number}-{self.slug}.md"

    @property
    def grader(self):
        return f"grader/test_lab{self.number}_{self.slug}.py"


def data_lines(path, maxsplit=-1):
    """The lines of a metadata file that are not comments or blank, split."""
    return [line.split(None, maxsplit) for line in (ROOT / path).read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def read_labs():
    """{number: Lab} from labs/labs.txt, in course order."""
    labs = {}
    for number, slug, title in data_lines(LABS_FILE, 2):
        labs[int(number)] = Lab(int(number), slug, title)
    return labs


def read_file_labs():
    """{path: lab number, or None for an instructor-only file} from
    labs/files.txt. A path not listed belongs to Lab 1 (file_lab)."""
    return {path: None if lab == "-" else int(lab) for path, lab in data_lines(FILES_FILE)}


LABS = read_labs()
LAB_MAX = max(LABS)

# The labs whose graders make test judges as well as runs (test_exercises.py's
# exercise sets, test_cheat.py's cheating kernel): the newest, where the work
# is. TEACHOS_TEST_ALL=1 (make test-all) judges every lab's: a lab's graders
# change rarely once it is done, and all of them cost `make test` far more
# than its 15-minute budget (Lab 10's alone cost seven minutes of work).
JUDGED_LABS = (sorted(LABS) if os.environ.get("TEACHOS_TEST_ALL")
               else [LAB_MAX])
FILE_LABS = read_file_labs()


def file_lab(path):
    """The lab that brings path (relative to the top), None if students
    never get it."""
    return FILE_LABS.get(str(path), 1)


def metadata_at(path, text, lab):
    """The text of labs.txt or files.txt (path) as the student repository
    has it at lab: the labs and files up to lab, no instructor-only files."""
    def keep(fields):
        if path == LABS_FILE:
            return int(fields[0]) <= lab
        return fields[1] != "-" and int(fields[1]) <= lab
    return "".join(line for line in text.splitlines(keepends=True)
                   if line.startswith("#") or not line.strip() or keep(line.split()))


def lab_of_grader(path):
    """N for a lab grader file test_labN_*.py, else None."""
    m = re.match(r"test_lab(\d+)_", Path(str(path)).name)
    return int(m.group(1)) if m else None


def test_marks(lab, mark):
    """{test name without "test_": sorted tuple of the arguments} of the
    @pytest.mark.<mark>(...) decorators of lab's grader file (read, not
    imported: no pytest and no kernel needed)."""
    import ast
    marks = {}
    for node in ast.parse((ROOT / LABS[lab].grader).read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for d in node.decorator_list:
                if (isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                        and d.func.attr == mark):
                    marks[node.name.removeprefix("test_")] = tuple(sorted(
                        ast.literal_eval(a) for a in d.args))
    return marks


def exercise_marks(lab):
    """{test: the exercises of lab it grades} (@pytest.mark.exercise)."""
    return test_marks(lab, "exercise")


def challenge_marks(lab):
    """{test: (k,)} of lab's challenge tests (@pytest.mark.challenge(k)):
    reported by make grade, not counted in the score."""
    return test_marks(lab, "challenge")


def tool_milestone(doc, **options):
    """The start of a tool that measures one milestone (bench.py,
    boottime.py): its command line, --lab N (default: the last lab),
    --sol S (default: LAB) and its own --NAME options (NAME=default), then
    that milestone's kernel built. Returns (args, kernel.elf); a kernel
    that does not build ends the tool with the compiler's message."""
    import argparse
    import gradelib
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--lab", type=int, default=LAB_MAX)
    ap.add_argument("--sol", type=int)
    for name, default in options.items():
        ap.add_argument("--" + name, type=type(default), default=default)
    args = ap.parse_args()
    if args.sol is None:
        args.sol = args.lab
    try:
        return args, gradelib.build(args.lab, args.sol)
    except gradelib.BuildError as e:
        sys.exit(str(e))


def stub_message_re(labs, exercises=None):
    """A regex for what a stub of these labs prints when it runs: every
    such message ends "(LAB n, exercise k)", "(LAB n, exercises j and k)"
    or, a challenge's, "(LAB n, challenge k)". With exercises (of the labs
    given), the messages of those exercises only."""
    labs_rx = "[" + "".join(str(n) for n in labs) + "]"
    which = r"(?:exercises?|challenge) [\d-]+" if exercises is None else (
        r"exercises? (?:\d+(?:, | and ))*[" + "".join(str(k) for k in exercises) + r"]\b")
    return rf"\(LAB {labs_rx},? {which}"


# ---- exercise blocks in the sources ------------------------------------------

# Every conditional: C's #if/#ifdef/#ifndef, NASM's %if and its %ifidn, ...
COND_RE = re.compile(r"^\s*([#%])\s*(if\w*|elif\w*|else|endif)\b(.*)$")
MARKER_RE = re.compile(r"^\s*(LAB|SOL)\s*>=\s*(\d+)\s*(/\*.*\*/|;.*)?$")
STUB_RE = re.compile(r"LAB (\d+), (exercise|challenge) (\d+): .+? \(handout §(\d+(?:\.\d+)*)\)",
                     re.S)
COMMENT_RE = re.compile(r"\s*(\*|;|//)\s*")     # comment punctuation, folded away


class MarkerError(ValueError):
    """Markers that do not nest or are not written in the one form; the
    message starts with file:line."""


class Block(NamedTuple):
    """One `#if LAB >= n` or `#if SOL >= n` block (line numbers from 1)."""
    kind: str                   # "LAB" or "SOL"
    lab: int                    # n
    line: int                   # the #if
    else_line: Optional[int]    # its #else, None when it has none
    end: int                    # its #endif
    within: int                 # the largest n of the LAB blocks around it (0: none)
    stub: Optional[str]         # the #else branch's text (a SOL block's stub)
    exercise: Optional[int]     # k of a SOL block's stub "LAB n, exercise k", for its own lab
    section: Optional[str]      # x of the stub's "(handout §x)"
    challenge: Optional[int] = None     # k of a stub "LAB n, challenge k" (optional, not scored)


def marker_blocks(text, name):
    """Every LAB and SOL block of a C or NASM source, in the order they
    close (inner blocks first). Other conditionals only nest. name is what
    error messages call the file."""
    blocks, stack = [], []    # stack: [kind, n, line, else_line, stub lines, sign]
    for i, line in enumerate(text.split("\n"), 1):
        if stack and stack[-1][3] is not None:
            stack[-1][4].append(line)
        m = COND_RE.match(line)
        if not m:
            continue
        sign, word, rest = m.groups()
        where = f"{name}:{i}"
        if word.startswith("if"):
            marker = MARKER_RE.match(rest) if word == "if" else None
            if marker is None and re.search(r"\b(LAB|SOL)\b", rest):
                raise MarkerError(f"{where}: write markers exactly as "
                                  f"'{sign}if LAB >= n' or '{sign}if SOL >= n'")
            kind, n = (marker.group(1), int(marker.group(2))) if marker else (None, None)
            stack.append([kind, n, i, None, [], sign])
        elif not stack:
            raise MarkerError(f"{where}: {sign}{word} without {sign}if")
        elif word == "else" or word.startswith("elif"):
            if stack[-1][0] and word != "else":
                raise MarkerError(f"{where}: no {sign}elif after a marker")
            stack[-1][3] = i
        else:
            kind, n, start, else_line, stub, _ = stack.pop()
            if kind:
                blocks.append(new_block(kind, n, start, else_line, i, stack,
                                        "\n".join(stub) + "\n" if else_line else None))
    if stack:
        raise MarkerError(f"{name}:{stack[-1][2]}: {stack[-1][5]}if never closed")
    return blocks


def new_block(kind, n, start, else_line, end, around, stub):
    within = max([0] + [s[1] for s in around if s[0] == "LAB"])
    found = STUB_RE.search(COMMENT_RE.sub(" ", stub)) if kind == "SOL" and stub else None
    if found and int(found.group(1)) != n:
        found = None            # a stub that names another lab is no stub of this one
    if found is None:
        return Block(kind, n, start, else_line, end, within, stub, None, None)
    k = int(found.group(3))
    return Block(kind, n, start, else_line, end, within, stub,
                 k if found.group(2) == "exercise" else None, found.group(4),
                 k if found.group(2) == "challenge" else None)


def tracked_files():
    """The tree's files that git tracks and that exist (uncommitted edits
    are read as they stand)."""
    import subprocess
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    return [f for f in out.split("\0") if f and (ROOT / f).exists()]

