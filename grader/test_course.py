"""The course distribution (instructor-only): `make handout` builds a
student repository that leaks nothing, and a student who solves each lab
and merges the next tag goes through the whole course without a conflict,
with full marks at every step.
"""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from course import LAB_MAX, LABS, file_lab
from gradelib import ROOT

sys.path.insert(0, str(ROOT / "labs"))
import handout  # noqa: E402


def sh(args, cwd, check=True):
    r = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} (in {cwd}) failed:\n{r.stdout[-3000:]}")
    return r.stdout


@pytest.fixture(scope="module")
def student_repo(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout") / "repo"
    sh([sys.executable, str(ROOT / "labs" / "handout.py"), "--out", str(out)], ROOT)
    return out


def test_history_is_linear_and_tagged(student_repo):
    log = sh(["git", "log", "--format=%s %p", "--reverse"], student_repo).splitlines()
    check_tags = sh(["git", "tag"], student_repo).split()
    assert len(log) == LAB_MAX and all(len(l.split()) >= 2 for l in log), log
    assert sorted(check_tags) == sorted(f"lab{n}" for n in LABS), check_tags
    for n in LABS:
        parents = sh(["git", "rev-list", "--parents", "-n", "1", f"lab{n}"], student_repo).split()
        assert len(parents) == (1 if n == 1 else 2), f"lab{n} is not a plain commit on the line"


def git_out(repo, *args):
    return sh(["git", *args], repo).strip()


def files_at(repo, tag, dest):
    """The files of repo at tag, without its history, in a new dest."""
    dest.mkdir()
    archive = subprocess.run(["git", "archive", tag], cwd=repo, check=True,
                             stdout=subprocess.PIPE).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def test_handout_upto(student_repo, tmp_path):
    """make handout UPTO=n stops at lab n with the very commits of the full
    history, so a clone of week 1's release merges a later week's tag."""
    week1, week2 = tmp_path / "week1", tmp_path / "week2"
    sh(["make", "--no-print-directory", "handout", "UPTO=1", f"HANDOUT={week1}"], ROOT)
    sh([sys.executable, str(ROOT / "labs" / "handout.py"), "--upto", "2", "--out", str(week2)], ROOT)
    assert git_out(week1, "tag").split() == ["lab1"]
    assert sorted(git_out(week2, "tag").split()) == ["lab1", "lab2"]
    assert git_out(week2, "rev-parse", "main") == git_out(week2, "rev-parse", "lab2")
    for n in (1, 2):
        assert git_out(week2, "rev-parse", f"lab{n}") == git_out(student_repo, "rev-parse", f"lab{n}")
    work = tmp_path / "student"
    sh(["git", "clone", "-q", str(week1), str(work)], tmp_path)
    sh(["git", "fetch", "-q", "--tags", str(week2)], work)
    sh(["git", "-c", "user.name=s", "-c", "user.email=s@x", "merge", "-q", "--no-edit", "lab2"], work)
    assert git_out(work, "rev-parse", "HEAD^{tree}") == git_out(week2, "rev-parse", "lab2^{tree}")
    r = subprocess.run([sys.executable, str(ROOT / "labs" / "handout.py"), "--upto", str(LAB_MAX + 1),
                        "--out", str(tmp_path / "bad")], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    assert r.returncode != 0 and f"UPTO={LAB_MAX + 1} is not a lab" in r.stdout, r.stdout


def test_handout_hints_contract(student_repo, tmp_path):
    """make handout HINTS=contract: every commit the same as the default
    one but for the handouts, which lose their Hints subsections and keep
    everything else. The code being the same at both levels, the milestone
    proof and the play-through of the default level prove both. Catches: a
    level that also changes code, hints left in, contracts cut with them."""
    lean = tmp_path / "contract"
    sh(["make", "--no-print-directory", "handout", "HINTS=contract", f"HANDOUT={lean}"], ROOT)
    for n in LABS:
        full = files_at(student_repo, f"lab{n}", tmp_path / f"full{n}")
        cut = files_at(lean, f"lab{n}", tmp_path / f"cut{n}")
        names = sorted(str(p.relative_to(full)) for p in full.rglob("*") if p.is_file())
        assert names == sorted(str(p.relative_to(cut)) for p in cut.rglob("*") if p.is_file())
        for name in names:
            a, b = (full / name).read_text(), (cut / name).read_text()
            if not name.startswith("handouts/"):
                assert a == b, f"lab{n}: HINTS=contract changed {name}"
                continue
            assert "#### Hints" not in b, f"lab{n}: {name} keeps a Hints subsection"
            assert b == handout.strip_hints(a)
        own = full / LABS[n].handout
        assert "\n#### Hints\n" in own.read_text(), (
            f"{LABS[n].handout}: no '#### Hints' subsection (the recipes live there)")
    r = subprocess.run(["make", "--no-print-directory", "handout", "HINTS=some",
                        f"HANDOUT={tmp_path / 'bad'}"], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    assert r.returncode != 0 and "HINTS=some: choose one of full, contract" in r.stdout, r.stdout


def test_strip_hints_keeps_what_is_not_a_hint():
    text = ("### 3.1 Exercise 1\n**Do:** x\n#### Hints\n- step\n```sh\n# not a heading\n```\n"
            "- more\n### 3.2 Exercise 2\n#### Hints\n- last\n## 4. Grading\n| t |\n")
    assert handout.strip_hints(text) == ("### 3.1 Exercise 1\n**Do:** x\n### 3.2 Exercise 2\n"
                                         "## 4. Grading\n| t |\n")


def test_student_readme_at_each_lab(student_repo, tmp_path):
    """Each lab's README: its exercise-listing command works at that lab
    (even before user/ exists); it merges the next lab with --no-edit, and
    the last lab's says it is the last instead of naming a lab that is not."""
    tree = tmp_path / "student"
    sh(["git", "clone", "-q", str(student_repo), str(tree)], tmp_path)
    for n in LABS:
        sh(["git", "checkout", "-q", f"lab{n}"], tree)
        readme = (tree / "README.md").read_text()
        listing = [c for c in re.findall(r"`([^`]+)`", readme) if "exercise\"" in c]
        assert listing, f"lab{n}: the README gives no command listing the exercises"
        out = subprocess.run(listing[0], shell=True, cwd=tree, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        assert out.returncode == 0 and f"LAB {n}, exercise" in out.stdout, (
            f"lab{n}: `{listing[0]}` failed:\n{out.stdout}")
        merges = re.findall(r"git merge[^\n`]*", readme)
        assert all("--no-edit" in m for m in merges), f"lab{n}: a merge opens an editor: {merges}"
        if n < LAB_MAX:
            assert f"git merge --no-edit lab{n + 1}" in readme, f"lab{n}: no merge of lab{n + 1}"
        else:
            assert "last lab" in readme and f"lab{n + 1}" not in readme, (
                f"lab{n}: the last lab's README points past the course")


def test_classroom_copy_merges_next_lab(student_repo, tmp_path):
    """A repository made from the course repository as a template (GitHub
    Classroom: lab 1's files, none of its history) merges the next lab
    after the README's one-time command, without a conflict."""
    work = files_at(student_repo, "lab1", tmp_path / "copy")
    sh(["git", "init", "-q", "-b", "main"], work)
    sh(["git", "config", "user.email", "student@example.com"], work)
    sh(["git", "config", "user.name", "A Student"], work)
    sh(["git", "add", "-A"], work)
    sh(["git", "commit", "-q", "-m", "Initial commit"], work)
    write_tree(handout.tree_for(1, 1), work)      # lab 1 solved
    sh(["git", "commit", "-q", "-am", "lab 1 done"], work)
    sh(["git", "remote", "add", "course", str(student_repo)], work)
    sh(["git", "fetch", "-q", "--tags", "course"], work)
    once = "git merge --no-edit --allow-unrelated-histories -s ours lab1"
    assert once in git_out(student_repo, "show", "lab1:README.md")
    sh(once.split(), work)
    sh(["git", "merge", "-q", "--no-edit", "lab2"], work)
    for path, text in handout.tree_for(2, 1).items():
        assert (work / path).read_text() == text, f"after merging lab2: {path} differs"


def solution_lines():
    """{path: lines only a solution has}: in the full tree, not in its stubbed twin."""
    full = handout.tree_for(LAB_MAX, LAB_MAX)
    stub = handout.tree_for(LAB_MAX, 0)
    lines = {}
    for path, text in full.items():
        if path.endswith((".c", ".h", ".asm")):
            theirs = set(l.strip() for l in stub[path].splitlines())
            mine = {l.strip() for l in text.splitlines() if len(l.strip()) >= 16} - theirs
            if mine:
                lines[path] = mine
    return lines


def test_nothing_leaks(student_repo, tmp_path):
    """No solution, no marker, no later lab, no instructor-only file in any commit."""
    solutions = solution_lines()
    assert sum(len(v) for v in solutions.values()) > 100, "the solution lines were not found"
    for n in LABS:
        tree = files_at(student_repo, f"lab{n}", tmp_path / f"lab{n}")
        for f in (p for p in tree.rglob("*") if p.is_file()):
            rel = str(f.relative_to(tree))
            owner = file_lab(rel)
            assert owner is not None, f"lab{n}: instructor-only file {rel}"
            assert owner <= n, f"lab{n}: {rel} belongs to lab {owner}"
            text = f.read_text(errors="replace")
            lines = {l.strip() for l in text.splitlines()}
            assert not any(l.startswith(("#if SOL", "%if SOL")) for l in lines), (
                f"lab{n}: {rel} has solution markers")
            leaked = solutions.get(rel, set()) & lines
            assert not leaked, f"lab{n}: {rel} holds solution lines: {sorted(leaked)[:5]}"


def test_student_renders_handouts(student_repo, tmp_path):
    """`make handouts` works in the student repository, on the labs so far."""
    tree = files_at(student_repo, "lab2", tmp_path / "lab2")
    out = sh(["make", "--no-print-directory", "handouts"], tree)
    assert "handouts: 2 labs" in out, out
    pages = sorted(p.name for p in (tree / "build" / "handouts").glob("*.html"))
    assert pages == sorted(["index.html"] + [f"lab{n}-{LABS[n].slug}.html" for n in (1, 2)])


def write_tree(files, dest):
    for path, text in files.items():
        (dest / path).parent.mkdir(parents=True, exist_ok=True)
        (dest / path).write_text(text)


def grade(repo):
    out = sh(["make", "--no-print-directory", "grade"], repo, check=False)
    score = [l for l in out.splitlines() if l.startswith("Score:")]
    assert score and score[-1].split()[1].split("/")[0] == score[-1].split()[1].split("/")[1], (
        f"make grade in {repo} not full:\n{out[-4000:]}")


@pytest.mark.timeout(1500)      # every lab graded at the end: make test's longest test
def test_student_plays_through(student_repo, tmp_path):
    """Solve lab n, commit, merge lab n+1 (no conflict: the result is exactly
    lab n+1 with labs 1..n solved), and so on; at the end `make grade` in the
    student's repository: every lab full, each graded with all the later
    labs' code merged under it. (Each lab is graded once, at the end: the
    milestones grade every LAB=n SOL=n and every start LAB=n SOL=n-1 apart,
    and `make test`'s budget is 15 minutes.)"""
    work = tmp_path / "student"
    sh(["git", "clone", "-q", str(student_repo), str(work)], tmp_path)
    sh(["git", "checkout", "-q", "-b", "work", "lab1"], work)
    sh(["git", "config", "user.email", "student@example.com"], work)
    sh(["git", "config", "user.name", "A Student"], work)
    for n in LABS:
        if n > 1:
            sh(["git", "merge", "-q", "--no-edit", f"lab{n}"], work)
            expected = handout.tree_for(n, n - 1)
            for path, text in expected.items():
                assert (work / path).read_text() == text, f"after merging lab{n}: {path} differs"
        write_tree(handout.tree_for(n, n), work)     # the student's solution
        sh(["git", "add", "-A"], work)
        sh(["git", "commit", "-q", "-m", f"lab {n} solved"], work)
    grade(work)


def submission(repo, tmp, name, edit=None, tarball=True):
    """A student repository at lab 1 (cloned from the handout), changed by
    edit(tree), committed; handed in as make handin does, or as a directory."""
    work = tmp / name
    sh(["git", "clone", "-q", "-b", "main", str(repo), str(work)], tmp)
    sh(["git", "checkout", "-q", "-B", "main", "lab1"], work)
    if edit:
        edit(work)
    sh(["git", "-c", "user.name=s", "-c", "user.email=s@x", "commit", "-q", "-a", "-m", "work",
        "--allow-empty"], work)
    if not tarball:
        return work
    sh(["make", "--no-print-directory", "handin"], work)
    return work / "build" / "handin.tar.gz"


def test_grade_batch(student_repo, tmp_path):
    """Five submissions, five right rows: full marks, the untouched start,
    one that does not build, one that hangs, one whose graders always pass."""

    def solve(w):
        write_tree(handout.tree_for(1, 1), w)

    def break_build(w):
        main = w / "kernel" / "core" / "main.c"
        main.write_text(main.read_text().replace("console_init();", "console_init()"))

    def hang(w):
        solve(w)
        main = w / "kernel" / "core" / "main.c"
        main.write_text(main.read_text().replace("console_init();", "for (;;)\n        ;"))

    def cheat(w):
        (w / "grader" / "test_lab1_boot.py").write_text(
            "import pytest\n\n@pytest.mark.points(100)\ndef test_all():\n    pass\n")

    subs = tmp_path / "submissions"
    subs.mkdir()
    made = tmp_path / "made"
    made.mkdir()
    heads = {}
    for name, edit, tarball in [("full", solve, True), ("start", None, True),
                                ("nobuild", break_build, False), ("hang", hang, True),
                                ("cheat", cheat, True)]:
        src = submission(student_repo, made, name, edit, tarball)
        heads[name] = git_out(made / name, "log", "-1", "--format=%H %cI").split()
        dest = subs / (name + ".tar.gz" if tarball else name)
        shutil.move(str(src), str(dest))
    (subs / "garbage.tar.gz").write_text("not a tarball")
    out = tmp_path / "batch"
    r = subprocess.run([sys.executable, str(ROOT / "labs" / "batch.py"), str(subs), "--lab", "1",
                        "--timeout", "90", "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    assert r.returncode == 0, r.stdout
    rows = {row["student"]: row for row in csv.DictReader(open(out / "grades.csv"))}
    assert sorted(rows) == ["cheat", "full", "garbage", "hang", "nobuild", "start"], rows
    assert (rows["full"]["score"], rows["full"]["max"], rows["full"]["status"]) == ("100", "100", "graded"), rows["full"]
    assert rows["start"]["status"] == "graded" and int(rows["start"]["score"]) < 100, rows["start"]
    assert (rows["nobuild"]["score"], rows["nobuild"]["status"]) == ("0", "error") and \
        "does not build" in rows["nobuild"]["reason"], rows["nobuild"]
    # A hang costs its own row only: cut by the batch's timeout, or graded
    # 0 where the graders stop a hanging kernel first.
    assert rows["hang"]["score"] == "0" and (
        "timed out" in rows["hang"]["reason"] or rows["hang"]["status"] == "graded"), rows["hang"]
    assert int(rows["cheat"]["score"]) < 100 and rows["cheat"]["max"] == "100", rows["cheat"]
    assert "not a tarball" in rows["garbage"]["reason"], rows["garbage"]
    for name, (commit, date) in heads.items():     # for late days
        assert (rows[name]["commit"], rows[name]["date"]) == (commit, date), rows[name]
    assert (rows["garbage"]["commit"], rows["garbage"]["date"]) == ("", ""), rows["garbage"]
    assert (out / "full" / "results.json").exists() and (out / "full" / "logs").is_dir()
    print(r.stdout)


def test_gradescope_autograder(student_repo, tmp_path):
    """The autograder zip in a simulated /autograder: what `make handin`
    writes, uploaded as it is, gets full marks for a solved lab (a broken
    file left untracked is named by make handin and left out); a folder
    upload whose graders always pass does not."""
    zipped = tmp_path / "lab1.zip"
    sh([sys.executable, str(ROOT / "labs" / "handout.py"), "--gradescope", "1", "--out", str(zipped)], ROOT)

    def solve(w):
        write_tree(handout.tree_for(1, 1), w)

    made = tmp_path / "made"
    made.mkdir()
    handin = submission(student_repo, made, "my-repo", solve, tarball=False)
    scratch = handin / "kernel" / "core" / "scratch.c"
    scratch.write_text("this does not compile\n")
    out = sh(["make", "--no-print-directory", "handin"], handin)
    assert "kernel/core/scratch.c" in out and "left out" in out, out
    cheat = handout.tree_for(1, 0)
    cheat["grader/test_lab1_boot.py"] = "import pytest\n\n@pytest.mark.points(100)\ndef test_x():\n    pass\n"
    for name, want_full in [("handin", True), ("cheat", False)]:
        ag = tmp_path / name
        (ag / "source").mkdir(parents=True)
        with zipfile.ZipFile(zipped) as z:
            z.extractall(ag / "source")
        for f in (ag / "source").rglob("*"):
            if f.name in ("run_autograder", "setup.sh", "handin.sh", "deps.sh"):
                f.chmod(0o755)
        (ag / "submission").mkdir()
        if name == "handin":
            shutil.copy(handin / "build" / "handin.tar.gz", ag / "submission" / "handin.tar.gz")
        else:
            write_tree(cheat, ag / "submission" / "my-repo")          # uploaded as one folder
        r = subprocess.run([str(ag / "source" / "run_autograder")], cwd=ag, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=300,
                           env=dict(os.environ, AUTOGRADER_ROOT=str(ag),
                                    PYTHON=sys.executable))
        results = json.loads((ag / "results" / "results.json").read_text())
        total = sum(t["max_score"] for t in results["tests"])
        assert total == 100 and (results["score"] == 100) == want_full, (
            name, results, r.stdout[-2000:])
        assert all({"name", "score", "max_score", "status"} <= set(t) for t in results["tests"])
        if name == "handin":
            assert "graded commit " + git_out(handin, "rev-parse", "HEAD") in r.stdout, r.stdout[:2000]
