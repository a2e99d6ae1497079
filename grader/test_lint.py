"""Lints of the tree (no points): file openings and milestone markers.

- Every kernel source file opens with a comment naming the file and its lab.
- `#if LAB >= n` / `#if SOL >= n` (and NASM's %if) are balanced and name an
  existing lab; a SOL block sits in code that exists at LAB >= n; its #else
  (absent only for solution-only helpers) holds the stub, whose comment has
  the one fixed shape
  `LAB n, exercise k: <what to do> (handout §x)`, and §x exists in the
  lab's handout.
- A stub states a contract, not a recipe: a comment of at most 4 lines
  without steps, and a contract comment above its function or prototype.
- The course's metadata (labs.txt, files.txt, the exercise marks, the
  markers) is read by grader/course.py only, and the Makefile's own awk
  lines read it the same way.
"""

import ast
import re
import subprocess

import pytest

import course
from course import LABS
from gradelib import ROOT

SOURCES = sorted(p for p in (ROOT / "kernel").rglob("*")
                 if p.suffix in (".c", ".h", ".asm", ".inc", ".ld"))


def rel(p):
    return str(p.relative_to(ROOT))


@pytest.mark.parametrize("path", SOURCES, ids=rel)
def test_file_opening(path):
    head = "\n".join(path.read_text().splitlines()[:5])
    assert path.name in head and re.search(r"Lab \d", head), (
        f"{rel(path)}: the first lines must say what the file is ('{path.name} - ...') "
        "and which lab introduces it ('Lab n')")


def check_markers(path):
    """[(lab, exercise, section, where)] of the SOL blocks with a stub;
    assert the rest (the nesting itself is course.marker_blocks' to check)."""
    found = []
    for b in course.marker_blocks(path.read_text(), rel(path)):
        where = f"{rel(path)}:{b.line}"
        assert b.lab in LABS or (b.kind == "SOL" and b.lab == 0), f"{where}: no lab {b.lab}"
        if b.kind != "SOL":
            continue
        exists_from = max(course.file_lab(rel(path)), b.within)
        assert exists_from <= b.lab, (f"{where}: SOL >= {b.lab} block inside code that only "
                                      f"exists from lab {exists_from}")
        if b.stub is not None:          # without #else: a solution-only helper
            assert b.exercise is not None or b.challenge is not None, (
                f"{where}: the stub needs a comment "
                f"'LAB {b.lab}, exercise k: <what to do> (handout §x)' "
                f"(or 'LAB {b.lab}, challenge k: ...')")
            kind = "exercise" if b.exercise is not None else "challenge"
            found.append((b.lab, (kind, b.exercise or b.challenge), b.section, where))
    return found


def test_markers_and_exercises():
    exercises = {}
    for path in SOURCES:
        for lab, ex, section, where in check_markers(path):
            exercises[(lab, ex)] = where    # an exercise may have several stubs
            handout = ROOT / LABS[lab].handout
            assert re.search(rf"^#+ {re.escape(section)}\.? ", handout.read_text(), re.M), (
                f"{where}: handout §{section} is not a heading of {rel(handout)}")
    for lab in LABS:
        for kind in ("exercise", "challenge"):
            numbers = sorted(k for (lb, (knd, k)) in exercises if lb == lab and knd == kind)
            assert numbers == list(range(1, len(numbers) + 1)), (
                f"lab {lab}: {kind}s should be numbered 1..n, found {numbers}")
            assert numbers or kind == "challenge", f"lab {lab} has no exercise"


# ---- stubs state contracts, not recipes --------------------------------------

# A recipe's words ("then", "First, ...", "step", a numbered list); "the next
# block" or "first fit" may describe a contract.
STEP_WORDS = re.compile(r"\b(then|finally|afterwards|steps?)\b|\bfirst,|^\W*\d+[.)] ",
                        re.I | re.M)
STUB_COMMENT_LINES = 4
C_DEFINITION = re.compile(r"^(?:static\s+)?(?:inline\s+)?[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;]*$")
HEADERS = sorted((ROOT / "kernel" / "include").glob("*.h"))


def stub_comment(stub):
    """The comment lines of a stub (C or NASM), as written."""
    return [line for line in stub.splitlines()
            if re.match(r"\s*(/\*|\*|//|;)", line) and not re.match(r"\s*[#%]", line)]


def enclosing_function(lines, at):
    """(name, index of its definition line) of the C function around line
    index at, or None."""
    for i in range(at, -1, -1):
        m = C_DEFINITION.match(lines[i])
        if m and not lines[i].startswith((" ", "\t")):
            return m.group(1), i
    return None


def has_contract(lines, definition, name):
    """A comment ends right above the definition, or above the function's
    prototype in a kernel header."""
    if definition > 0 and lines[definition - 1].rstrip().endswith("*/"):
        return True
    for header in HEADERS:
        hl = header.read_text().splitlines()
        for i, line in enumerate(hl):
            if re.search(rf"\b{name}\s*\(", line):
                while i > 0 and hl[i - 1].rstrip().endswith(");"):
                    i -= 1              # one comment over a group of prototypes
                if i > 0 and hl[i - 1].rstrip().endswith("*/"):
                    return True
    return False


def test_stubs_state_contracts():
    """Every stub: a short comment (at most STUB_COMMENT_LINES lines) with
    no implementation steps, and, in C, a contract comment above its
    function or its prototype (inputs, result, errors, locks: the handout's
    Hints hold the recipe)."""
    problems = []
    for path in SOURCES:
        text = path.read_text()
        lines = text.split("\n")
        for b in course.marker_blocks(text, rel(path)):
            if b.kind != "SOL" or b.stub is None:
                continue
            where = f"{rel(path)}:{b.else_line}"
            comment = stub_comment(b.stub)
            if len(comment) > STUB_COMMENT_LINES:
                problems.append(f"{where}: the stub's comment has {len(comment)} lines "
                                f"(at most {STUB_COMMENT_LINES}: state what, not how)")
            step = STEP_WORDS.search("\n".join(comment))
            if step:
                problems.append(f"{where}: the stub lists steps ({step.group(0).strip()!r}); "
                                "move the recipe to the handout's #### Hints")
            if path.suffix == ".c":
                # A stub that is a whole function has its contract above it
                # in the #else branch; otherwise the function around the #if.
                inside = [i for i in range(b.else_line, b.end - 1)
                          if C_DEFINITION.match(lines[i]) and not lines[i].startswith((" ", "\t"))]
                found = (enclosing_function(lines, inside[0]) if inside
                         else enclosing_function(lines, b.line - 1))
                if found and not has_contract(lines, found[1], found[0]):
                    problems.append(f"{where}: {found[0]}() has no contract comment above it "
                                    "or above its prototype in kernel/include")
    assert not problems, "\n".join(problems)


# ---- the course's metadata, read in one place ---------------------------------

def code_strings_and_attributes(path):
    """The string constants (docstrings left out) and the attributes (as
    ".name") of a Python file."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body
                  and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                yield node.value
        elif isinstance(node, ast.Attribute):
            yield "." + node.attr


# (This file is left out: it names what it looks for.)
TOOLS = sorted(p for p in (ROOT / "grader").glob("*.py")
               if p.name not in ("course.py", "test_lint.py")) + sorted((ROOT / "labs").glob("*.py"))


@pytest.mark.parametrize("path", TOOLS, ids=rel)
def test_course_metadata_is_read_by_course_py_only(path):
    """No tool reads labs.txt or files.txt, or walks the graders'
    decorators for their marks, by itself: grader/course.py does."""
    found = [s for s in code_strings_and_attributes(path)
             if re.search(r"(labs|files)\.txt$", s) or s == ".decorator_list"]
    assert not found, f"{rel(path)} reads the course's metadata itself ({found}): use course.py"


@pytest.mark.parametrize("lab", sorted({1, course.LAB_MAX}))
def test_makefile_reads_the_labs_as_course_does(lab):
    """The Makefile keeps awk lines for the labs, the lab's title and the
    later labs' files (one Python start per make would cost more than all of
    them); they must agree with course.py."""
    r = subprocess.run(["make", "-s", "--no-print-directory", f"LAB={lab}", "--eval",
                        "course-vars: ; @echo '$(LAB_NUMBERS)|$(LAB_TITLE)|$(LATER_FILES)'",
                        "course-vars"], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    numbers, title, later = r.stdout.strip().split("|")
    assert numbers.split() == [str(n) for n in LABS], r.stdout
    assert title == LABS[lab].title, r.stdout
    assert sorted(later.split()) == sorted(p for p, n in course.FILE_LABS.items()
                                           if n is not None and n > lab), r.stdout


SOURCE = """\
#if LAB >= 2
int a;
#if SOL >= 2
int solved(void) { return 1; }
#else
/* LAB 2, exercise 3: return one
 * (handout §2.4) */
int solved(void) { return 0; }
#endif
#endif
#ifdef X
#if SOL >= 1
static int helper;
#endif
#endif
"""


def test_marker_blocks():
    """course.marker_blocks: each block with its lines, the LAB around it,
    and its stub's exercise and section (also from a comment that spans
    lines); a solution-only helper has no stub."""
    blocks = {b.line: b for b in course.marker_blocks(SOURCE, "t.c")}
    assert sorted(blocks) == [1, 3, 12]
    sol = blocks[3]
    assert (sol.kind, sol.lab, sol.else_line, sol.end, sol.within) == ("SOL", 2, 5, 9, 2)
    assert (sol.exercise, sol.section) == (3, "2.4") and "exercise 3" in sol.stub
    assert (blocks[1].kind, blocks[1].end, blocks[1].within) == ("LAB", 10, 0)
    assert (blocks[12].stub, blocks[12].exercise, blocks[12].within) == (None, None, 0)
    other_lab = SOURCE.replace("LAB 2, exercise 3", "LAB 3, exercise 3")
    assert course.marker_blocks(other_lab, "t.c")[0].exercise is None


@pytest.mark.parametrize("text,error", [
    ("#if SOL>=2 && X\n#endif\n", "t.c:1: write markers exactly as '#if LAB >= n'"),
    ("%ifdef LAB\n%endif\n", "t.c:1: write markers exactly as '%if LAB >= n'"),
    ("#if LAB >= 2\n#elif X\n#endif\n", "t.c:2: no #elif after a marker"),
    ("int a;\n#endif\n", "t.c:2: #endif without #if"),
    ("%else\n", "t.c:1: %else without %if"),
    ("#if X\n#if SOL >= 1\n#endif\n", "t.c:1: #if never closed"),
])
def test_marker_errors_name_file_and_line(text, error):
    with pytest.raises(course.MarkerError) as e:
        course.marker_blocks(text, "t.c")
    assert str(e.value).startswith(error), str(e.value)


# ---- graders say what they are for --------------------------------------------

@pytest.mark.parametrize("lab", sorted(LABS), ids=[f"lab{n}" for n in sorted(LABS)])
def test_graders_name_the_mistakes_they_catch(lab):
    """Each lab grader's docstring names the student mistakes it exists to
    catch ("Catches ..."), so that a reader (and the mutation score) can
    tell what a test is worth."""
    tree = ast.parse((ROOT / LABS[lab].grader).read_text())
    silent = [node.name for node in tree.body
              if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
              and not re.search(r"\bCatch(es)?\b", ast.get_docstring(node) or "", re.I)]
    assert not silent, f"{LABS[lab].grader}: no 'Catches ...' in the docstring of {silent}"
