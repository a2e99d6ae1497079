"""Host unit tests: pure kernel code compiled for Linux under AddressSanitizer
and UBSan (DESIGN §10). No points: these check the reference solution, and
that the tests fail on the student starting point of the code they test."""

import subprocess

import pytest

from conftest import LABS
from gradelib import BUILD, ROOT

SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]

# (name, sources, the lab whose exercise the code is)
UNITS = [
    ("printf", ["kernel/lib/printf.c", "grader/host/test_printf.c"], 1),
    ("buddy", ["kernel/mm/buddy.c", "grader/host/test_buddy.c"], 3),
    ("heap", ["kernel/mm/heap.c", "grader/host/test_heap.c"], 4),
]


def build_and_run(name, sources, sol):
    out = BUILD / "host" / f"test_{name}-sol{sol}"
    out.parent.mkdir(parents=True, exist_ok=True)
    cc = subprocess.run(["gcc", "-std=gnu11", "-g", "-O1", "-Wall", "-Wextra", "-Werror",
                         *SANITIZE, "-iquote", "kernel/include", "-iquote", "grader/host", f"-DSOL={sol}", f"-DLAB={sol}",
                         *sources, "-o", str(out)],
                        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert cc.returncode == 0, "host build failed:\n" + cc.stdout
    return subprocess.run([str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)


# Units whose lab exists in this tree (a student repository has labs 1..n).
UNITS = [u for u in UNITS if u[2] in LABS]


@pytest.mark.parametrize("name,sources,lab", UNITS, ids=[u[0] for u in UNITS])
def test_unit(name, sources, lab):
    run = build_and_run(name, sources, sol=lab)
    assert run.returncode == 0, run.stdout[-4000:]


# Units whose solution is in this tree (the instructor's): only those have a
# stub to catch. A student repository has none, and gets no such test at all
# (not a skipped one: students should see passes, or failures to fix).
STARTS = [u for u in UNITS if "#if SOL >=" in (ROOT / u[1][0]).read_text()]

if STARTS:
    @pytest.mark.parametrize("name,sources,lab", STARTS, ids=[u[0] for u in STARTS])
    def test_unit_fails_on_start(name, sources, lab):
        """At SOL = lab - 1 the exercise is a stub: the unit tests must catch it."""
        run = build_and_run(name, sources, sol=lab - 1)
        assert run.returncode != 0 and "failed" in run.stdout, run.stdout[-2000:]
