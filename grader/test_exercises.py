"""Each exercise earns its own points (instructor-only, no points).

Every lab grader carries @pytest.mark.exercise(k, ...): the exercises it
grades (all of them must be done for it to pass). Here, for each lab and each set of
exercises some test is marked with, the lab's starting point is built with
just that set solved (labs/exercises.py) and those tests must pass: a
student who does exercise k gets its points whatever else is still a stub.
Every exercise has a test of its own, or one that needs only exercises
before it, so that done in the handout's order each one raises the score;
the handouts' grading tables say the same as the marks.

`make test` builds and grades the exercise sets of the newest lab
only (course.JUDGED_LABS); `make test-all` those of every lab.
"""

import re
import subprocess
import sys

import pytest

from course import JUDGED_LABS, LABS, challenge_marks, exercise_marks
from gradelib import ROOT

sys.path.insert(0, str(ROOT / "labs"))
import exercises  # noqa: E402

MARKS = {lab: exercise_marks(lab) for lab in LABS}


def solved_sets():
    """(lab, exercises solved, the tests marked with exactly those). Not
    the set of all a lab's exercises when it has no challenge: that tree
    is then the lab's solution itself, which the milestone LAB=n SOL=n
    grades in full (make test's --milestones); building and grading it
    again here would cost a minute for nothing new."""
    for lab, marks in sorted(MARKS.items()):
        everything = tuple(sorted(set().union(*marks.values())))
        for solved in sorted(set(marks.values())):
            if solved == everything and not challenge_marks(lab):
                continue
            yield lab, solved, sorted(t for t, m in marks.items() if m == solved)


SETS = [s for s in solved_sets() if s[0] in JUDGED_LABS]


@pytest.mark.parametrize("lab,solved,tests", SETS,
                         ids=[f"lab{lab}-ex{'+'.join(map(str, s))}" for lab, s, _ in SETS])
def test_exercises_earn_their_points(lab, solved, tests, tmp_path):
    """The start of lab with just these exercises solved passes their tests."""
    tree = exercises.solve(tmp_path / "repo", lab, set(solved))
    grader = next((tree / "grader").glob(f"test_lab{lab}_*.py")).relative_to(tree)
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         f"--lab={lab}", f"--sol={lab - 1}", f"--only={lab}"]
        + [f"{grader}::test_{t}" for t in tests],
        cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert r.returncode == 0, (
        f"lab {lab} with only exercise(s) {solved} solved should pass {tests}:\n"
        + r.stdout[-4000:])


@pytest.mark.parametrize("lab", sorted(LABS), ids=[f"lab{n}" for n in sorted(LABS)])
def test_every_exercise_earns_points_in_order(lab):
    """Every lab test is marked; each exercise has a test that needs only it
    and exercises before it; the first exercise earns points on its own."""
    marks = MARKS[lab]
    source = next((ROOT / "grader").glob(f"test_lab{lab}_*.py")).read_text()
    unmarked = [name for name in re.findall(r"^def test_(\w+)", source, re.M)
                if name not in marks and name not in challenge_marks(lab)]
    assert not unmarked, f"lab {lab}: tests without @pytest.mark.exercise(...): {unmarked}"
    for ex in exercises.exercises_of(lab):
        ok = [t for t, m in marks.items() if ex in m and max(m) == ex]
        assert ok, (f"lab {lab}, exercise {ex}: no test needs only it and earlier exercises "
                    f"(marks: {marks})")
    first = min(exercises.exercises_of(lab))
    assert any(m == (first,) for m in marks.values()), (
        f"lab {lab}: no test grades exercise {first} alone")


TABLE_ROW = re.compile(r"^\| (\w+) \| (\d+) \| .* \| ([\d, –-]+) \|$", re.M)
CHALLENGE_ROW = re.compile(r"^\| (\w+) \| (\d+) \| .* \| challenge (\d+) \|$", re.M)


def exercise_list(text):
    """'1–3' -> (1, 2, 3); '2, 4' -> (2, 4)."""
    out = []
    for part in text.split(","):
        lo, _, hi = part.strip().replace("-", "–").partition("–")
        out += range(int(lo), int(hi or lo) + 1)
    return tuple(sorted(out))


@pytest.mark.parametrize("lab", sorted(LABS), ids=[f"lab{n}" for n in sorted(LABS)])
def test_handout_grading_table_matches_marks(lab):
    """The handout's grading table lists each test with the points and the
    exercises its marks say."""
    slug = LABS[lab].slug
    text = (ROOT / "handouts" / f"lab{lab}-{slug}.md").read_text()
    table = {name: (int(points), exercise_list(exs)) for name, points, exs in TABLE_ROW.findall(text)}
    source = (ROOT / "grader" / f"test_lab{lab}_{slug}.py").read_text()
    points = {name: int(p) for p, name in
              re.findall(r"@pytest\.mark\.points\((\d+)\)\n(?:@.*\n)*def test_(\w+)", source)}
    want = {name: (points.get(name), tuple(sorted(m))) for name, m in MARKS[lab].items()}
    assert table == want, (f"handouts/lab{lab}-{slug}.md grading table "
                           f"(test | points | ... | exercises) differs from the graders:\n"
                           f"  handout: {sorted(table.items())}\n  graders: {sorted(want.items())}")
    table = {name: (int(p), int(k)) for name, p, k in CHALLENGE_ROW.findall(text)}
    want = {name: (points.get(name), k) for name, (k,) in challenge_marks(lab).items()}
    assert table == want, (f"handouts/lab{lab}-{slug}.md challenge rows "
                           f"(test | points | ... | challenge k) differ from the graders:\n"
                           f"  handout: {sorted(table.items())}\n  graders: {sorted(want.items())}")


def test_each_lab_is_a_week_of_design():
    """Labs 2 and up: 150-300 lines of exercise solutions (labs/solution_lines.py
    counts them; the challenges apart). Catches a lab that shrinks back
    into a recipe, or grows past what a student does in a week or two."""
    import solution_lines
    table = solution_lines.count(solution_lines.sources())
    sizes = {lab: table[lab][0] for lab in LABS if lab >= 2}
    assert all(solution_lines.LOW <= n <= solution_lines.HIGH for n in sizes.values()), sizes
