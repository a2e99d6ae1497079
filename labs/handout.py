#!/usr/bin/python3
"""handout.py - `make handout`: the student repository from this tree.

One linear git history, one commit per lab, tagged lab1, lab2, ...: commit n
holds labs 1..n with every solution stripped (stubs in place), the graders
and handouts of labs 1..n only, LAB=n as the default, and a student README.
With --solutions the same history keeps the solutions of labs 1..n in
commit n, tagged lab1-sol, ... (the instructor's counterpart). With --upto N
the history stops at lab N; its commits are the same whatever N (fixed
authors and dates), so releasing lab N+1 later extends what students have.

    handout.py [--out DIR] [--solutions] [--upto N] [--hints full|contract]
    handout.py --gradescope LAB [--out FILE.zip]

Hints are the instructor's dial: with --hints contract (make handout
HINTS=contract) the handouts lose their "#### Hints" subsections, the
step-by-step recipes, and students work from the contracts alone (the
stubs state only contracts at either level, so the code is the same).

What belongs to which lab comes from labs/labs.txt and labs/files.txt
(read by grader/course.py); inside files, from the #if LAB >= n /
#if SOL >= n markers (DESIGN §5), resolved by unifdef for C and by
strip_nasm below for NASM.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "grader"))
import course  # noqa: E402
from course import LAB_MAX, LABS  # noqa: E402


def strip_c(path, text, lab, sol):
    """Resolve the LAB and SOL markers of a C file with unifdef."""
    proc = subprocess.run(["unifdef", f"-DLAB={lab}", f"-DSOL={sol}"], input=text,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"handout: unifdef failed on {path}: {proc.stderr.strip()}")
    return proc.stdout


def strip_nasm(path, text, lab, sol):
    """The same for NASM: %if LAB/SOL >= n blocks resolved, markers removed;
    any other %if is kept as it stands."""
    try:
        blocks = course.marker_blocks(text, path)
    except course.MarkerError as e:
        sys.exit(f"handout: {e}")
    values = {"LAB": lab, "SOL": sol}
    drop = set()                 # line numbers left out: the markers, the branch not taken
    for b in blocks:
        middle = b.else_line or b.end           # where the marker's own branch ends
        not_taken = range(middle, b.end) if values[b.kind] >= b.lab else range(b.line, middle)
        drop |= {b.line, middle, b.end, *not_taken}
    lines = text.splitlines(keepends=True)
    return "".join(line for n, line in enumerate(lines, 1) if n not in drop)


# The student README's section on merging the next lab is for every lab but
# the course's last; the last lab has its own section instead.
NOT_LAST, LAST = "## Moving to the next lab", "## This is the last lab"


def student_readme(lab):
    template = (ROOT / "labs" / "README.student.md").read_text()
    drop = LAST if lab < LAB_MAX else NOT_LAST
    sections = template.split("\n## ")
    template = "\n## ".join(s for s in sections if not ("## " + s).startswith(drop))
    table = "\n".join(f"| {n} | {l.title} | [{l.handout}]({l.handout}) |"
                      for n, l in LABS.items() if n <= lab)
    return template.format(lab=lab, next=lab + 1, title=LABS[lab].title, labs_table=table)


HINTS_LEVELS = ("full", "contract")
HINTS_HEADING = re.compile(r"^#### Hints\s*$")
HEADING = re.compile(r"^#{1,4} ")
FENCE = re.compile(r"^\s*(```|~~~)")


def strip_hints(text):
    """text (a handout) without its "#### Hints" subsections: each runs to
    the next heading of level 1-4 (headings inside code fences do not count)."""
    out, dropping, fenced = [], False, False
    for line in text.splitlines(keepends=True):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and HINTS_HEADING.match(line):
            dropping = True
            continue
        elif not fenced and HEADING.match(line):
            dropping = False
        if not dropping:
            out.append(line)
    return "".join(out)


def tree_for(lab, sol, hints="full"):
    """{path: text} of the repository at lab with solutions up to sol, its
    handouts with hints at the level asked (HINTS_LEVELS)."""
    files = {}
    for path in course.tracked_files():
        owner = course.file_lab(path)
        if owner is None or owner > lab:
            continue
        text = (ROOT / path).read_bytes().decode()
        if path.endswith((".c", ".h")):
            text = strip_c(path, text, lab, sol)
        elif path.endswith(".asm"):
            text = strip_nasm(path, text, lab, sol)
        elif path in (course.LABS_FILE, course.FILES_FILE):
            text = course.metadata_at(path, text, lab)
        elif path == "Makefile":
            text = re.sub(r"^LAB \?= .*$", f"LAB ?= {lab}", text, count=1, flags=re.M)
        elif path == "README.md":
            text = student_readme(lab)
        elif path.startswith("handouts/") and path.endswith(".md") and hints == "contract":
            text = strip_hints(text)
        files[path] = text
    return files


def git(args, cwd, date=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="teachos", GIT_AUTHOR_EMAIL="teachos@localhost",
               GIT_COMMITTER_NAME="teachos", GIT_COMMITTER_EMAIL="teachos@localhost")
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)


def make_history(out, solutions, upto=None, hints="full"):
    """The student repository at out, with labs 1..upto (default: all)."""
    if upto is not None and upto not in LABS:
        sys.exit(f"handout: UPTO={upto} is not a lab of this course; the labs are: "
                 + " ".join(map(str, LABS)))
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    git(["init", "-q", "-b", "main"], out)
    released = [lab for lab in LABS.values() if upto is None or lab.number <= upto]
    for n, _, title in released:
        for child in out.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        for path, text in tree_for(n, n if solutions else 0, hints).items():
            dest = out / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text)
            if os.access(ROOT / path, os.X_OK):
                dest.chmod(0o755)
        git(["add", "-A"], out)
        tag = f"lab{n}-sol" if solutions else f"lab{n}"
        git(["commit", "-q", "-m", f"Lab {n}: {title}" + (" (solutions)" if solutions else "")],
            out, date=f"2026-01-{n:02d}T12:00:00")
        git(["tag", tag], out)
    print(f"handout: {out} with tags " + " ".join(
        f"lab{n}" + ("-sol" if solutions else "") for n, _, _ in released))


def make_gradescope(lab, out):
    """Gradescope's autograder zip for lab: setup.sh and run_autograder at
    the top, next to the course repository as students have it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for script in ("setup.sh", "run_autograder"):
            info = zipfile.ZipInfo(script)
            info.external_attr = 0o755 << 16
            z.writestr(info, (ROOT / "grader" / "gradescope" / script).read_text())
        for path, text in tree_for(lab, 0).items():
            info = zipfile.ZipInfo(path)
            info.external_attr = (0o755 if os.access(ROOT / path, os.X_OK) else 0o644) << 16
            z.writestr(info, text)
    print(f"gradescope: {out} (upload it as the autograder of lab {lab})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--solutions", action="store_true")
    ap.add_argument("--upto", type=int, metavar="N", help="stop the history at lab N")
    ap.add_argument("--gradescope", type=int, metavar="LAB", help="write the autograder zip of LAB")
    ap.add_argument("--hints", default="full",
                    help="full: handouts with their Hints subsections (default); contract: without")
    args = ap.parse_args()
    if args.hints not in HINTS_LEVELS:
        sys.exit(f"handout: HINTS={args.hints}: choose one of {', '.join(HINTS_LEVELS)}")
    if args.gradescope:
        make_gradescope(args.gradescope, (args.out or ROOT / "build" / "gradescope" /
                                          f"lab{args.gradescope}.zip").resolve())
        return
    out = args.out or ROOT / "build" / ("handout-solutions" if args.solutions else "handout")
    make_history(out.resolve(), args.solutions, args.upto, args.hints)


if __name__ == "__main__":
    main()
