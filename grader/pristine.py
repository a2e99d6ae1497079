"""pristine.py - what graders must not take from a submission.

A student's repository holds its own copy of the graders, the Makefile and
the in-kernel tests; any of them could be edited to print a full score.
Batch grading (labs/batch.py) and Gradescope (grader/gradescope/) copy
these paths from the course's own repository over the submission first.
"""

import shutil
import sys
from pathlib import Path

# Everything that decides a grade, and nothing a student writes.
PRISTINE = ["Makefile", "labs", "grader", "kernel/tests", "kernel/arch/x86_64/linker.ld"]


def overlay(course, submission):
    """Replace PRISTINE in the submission tree by the course tree's copies
    (directories wholesale: files a student added there go too)."""
    course, submission = Path(course), Path(submission)
    for rel in PRISTINE:
        src, dst = course / rel, submission / rel
        if dst.is_dir():
            shutil.rmtree(dst)
        elif dst.exists():
            dst.unlink()
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: pristine.py COURSE_TREE SUBMISSION_TREE")
    overlay(sys.argv[1], sys.argv[2])
