"""make mutants (instructor-only, no points): the mutation tool itself.

The tool's verdicts are measured in the closing notes (a full run is far
too slow for make test); here, its operators on known lines, and a smoke
run on three mutants of Lab 1 with one declared equivalent.
"""

import re
import subprocess
import sys

from gradelib import ROOT

sys.path.insert(0, str(ROOT / "labs"))
import mutants  # noqa: E402


def mutations(line, nasm=False):
    return sorted(after for _, after in (mutants.nasm_mutations if nasm else mutants.c_mutations)(line))


def test_c_operators():
    """Each classic slip, in code only: not in strings, comments or signs."""
    got = mutations("    if (a < b && n == 16) // a < b")
    assert "    if (a <= b && n == 16) // a < b" in got
    assert "    if (a < b || n == 16) // a < b" in got
    assert "    if (a < b && n != 16) // a < b" in got
    assert "    if (a < b && n == 17) // a < b" in got and "    if (a < b && n == 15) // a < b" in got
    assert "    if (!(a < b && n == 16)) // a < b" in got
    assert all(line.endswith("// a < b") for line in got), "a comment was mutated"
    assert mutations('    kprintf("a + b");') == ["    {}"], "a string was mutated"
    assert "    x = -1;" not in mutations("    x = +1;") and "    {}" in mutations("    x = -1;")
    assert mutations("    uint64_t rest = size;") == [], "a declaration was deleted"
    assert "    return NULL;" not in mutations("    return NULL;") and mutations("    return NULL;") == []


def test_nasm_operators():
    got = mutations("    jne .loop        ; again", nasm=True)
    assert got == ["    je .loop        ; again", "    nop"]
    assert "    add rsp, 9" in mutations("    add rsp, 8", nasm=True)
    assert "    sub rsp, 8" in mutations("    add rsp, 8", nasm=True)
    assert mutations(".loop:", nasm=True) == [] and mutations("%if SOL >= 5", nasm=True) == []


def test_make_mutants_smoke(tmp_path):
    """Three mutants of Lab 1 (seeded), one declared equivalent: two are
    graded, one is reported equivalent with its reason, the summary adds up."""
    chosen = list(mutants.mutants_of(1))
    import random
    random.Random(7).shuffle(chosen)
    skip = chosen[2]
    known = tmp_path / "equivalent.txt"
    known.write_text(f"# test\n{skip.path}: {skip.before.strip()} ==> {skip.after.strip()} "
                     "## the smoke test says so\n")
    r = subprocess.run([sys.executable, "labs/mutants.py", "--lab", "1", "--seed", "7", "--count", "3",
                        "--jobs", "2", "--equivalent", str(known)], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert r.returncode == 0, r.stdout
    verdicts = re.findall(r"^(KILLED|SURVIVED|STILLBORN) +(\S+)", r.stdout, re.M)
    assert sorted(w for _, w in verdicts) == sorted(m.where() for m in chosen[:2]), r.stdout
    assert re.search(rf"^EQUIVALENT {re.escape(skip.where())} .*the smoke test says so", r.stdout, re.M)
    m = re.search(r"^Lab 1: killed (\d+), survived (\d+), stillborn (\d+), equivalent 1; "
                  r"mutation score [\d.]+%$", r.stdout, re.M)
    assert m and sum(map(int, m.groups())) == 2, r.stdout
    assert (ROOT / "build" / "mutants" / "lab1.txt").read_text().endswith(m.group(0) + "\n")


def test_bad_input_is_named(tmp_path):
    bad = tmp_path / "eq.txt"
    bad.write_text("kernel/x.c: no arrow here\n")
    for args, words in ((["--lab", "99"], "LAB=99: the labs are"),
                        (["--lab", "1", "--count", "0"], "COUNT and JOBS must be at least 1"),
                        (["--lab", "2", "--exercise", "9"], "lab 2 has no exercise 9; it has [1,"),
                        (["--lab", "1", "--equivalent", str(bad)], f"{bad}:1: write 'path: before")):
        r = subprocess.run([sys.executable, "labs/mutants.py", *args], cwd=ROOT, timeout=60,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert r.returncode != 0 and words in r.stdout, r.stdout


def test_equivalents_are_current():
    """Every line of labs/mutants-equivalent.txt names a mutant the tool
    makes today (a reworded solution line leaves a stale entry: say so), and
    gives a reason."""
    known = mutants.read_equivalent(mutants.EQUIVALENT_FILE)
    made = {(m.path, m.before.strip(), m.after.strip())
            for lab in mutants.course.LABS for m in mutants.mutants_of(lab)}
    stale = [f"{p}: {b} ==> {a}" for (p, b, a) in known if (p, b, a) not in made]
    assert not stale, "equivalent mutants no longer made (update the file):\n" + "\n".join(stale)
    assert all(len(reason.split()) >= 5 for reason in known.values()), known


def test_tests_in_order_puts_the_exercise_first():
    """A mutant of exercise k meets the tests that grade k first, and every
    test of the lab still runs for a survivor."""
    marks = mutants.course.exercise_marks(2)
    for ex in sorted({e for graded in marks.values() for e in graded}):
        order = [t.split("::test_")[1] for t in mutants.tests_in_order(2, ex)]
        assert set(marks) <= set(order), "a lab 2 test left out"
        first = [ex in marks.get(t, ()) for t in order]
        assert first == sorted(first, reverse=True), f"exercise {ex}: {order}"
