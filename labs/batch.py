#!/usr/bin/python3
"""batch.py - `make grade-batch SUBMISSIONS=dir`: grade many submissions.

Each entry of the directory is one student's hand-in: a tarball from `make
handin` (NAME.tar.gz) or a repository directory. Each is unpacked into
build/batch/NAME/, gets the course's pristine graders, Makefile and
in-kernel tests (grader/pristine.py) over its own, and is graded at LAB;
several at a time. The result: build/batch/grades.csv with one row per
submission (name, score, max, status, reason, seconds, and the hand-in's
HEAD commit and its committer date in ISO 8601, for late days) and, per
student, its results.json and serial logs. A broken submission (not a
tarball, does not build, hangs, ...) gets its row and a reason; it never
stops the batch.

    batch.py SUBMISSIONS [--lab N] [--jobs J] [--timeout SECONDS] [--out DIR]
"""

import argparse
import concurrent.futures
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "labs"))
sys.path.insert(0, str(ROOT / "grader"))
import handout  # noqa: E402
import pristine  # noqa: E402
from course import LAB_MAX  # noqa: E402


def pristine_tree(lab, out):
    """The course repository at lab, as students got it."""
    if out.exists():
        shutil.rmtree(out)
    for path, text in handout.tree_for(lab, 0).items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text)
        if os.access(ROOT / path, os.X_OK):
            (out / path).chmod(0o755)
    return out


def unpack(entry, dest):
    """Put the submission's tree at dest; returns None or why it cannot."""
    if dest.exists():
        shutil.rmtree(dest)
    if entry.is_dir():
        shutil.copytree(entry, dest, ignore=shutil.ignore_patterns("build"))
        return None
    if not tarfile.is_tarfile(entry):
        return "not a tarball (tar.gz from make handin) nor a repository"
    with tarfile.open(entry) as tar:
        names = tar.getnames()
        tops = {n.split("/")[0] for n in names}
        if len(tops) != 1 or any(n.startswith("/") or ".." in n.split("/") for n in names):
            return "the tarball must hold one directory (as make handin makes it)"
        tmp = dest.with_name(dest.name + ".unpack")
        shutil.rmtree(tmp, ignore_errors=True)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp, filter="data")      # no links out, no devices
        else:
            tar.extractall(tmp)                     # names were checked above
    (tmp / tops.pop()).rename(dest)
    shutil.rmtree(tmp)
    return None


def head_commit(repo):
    """(hash, committer date in ISO 8601) of the repository's HEAD, or
    empty strings when it has no history."""
    if not (repo / ".git").exists():
        return "", ""
    r = subprocess.run(["git", "-c", "safe.directory=*", "log", "-1", "--format=%H %cI"],
                       cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    fields = r.stdout.split()
    return (fields[0], fields[1]) if r.returncode == 0 and len(fields) == 2 else ("", "")


def grade_one(entry, lab, course, out, timeout):
    """One row: name, score, max, status, reason, seconds, commit, date."""
    name = re.sub(r"\.(tar\.gz|tgz|tar)$", "", entry.name)
    work = out / name / "repo"
    row = {"student": name, "score": 0, "max": "", "status": "error", "reason": "",
           "commit": "", "date": ""}
    work.parent.mkdir(parents=True, exist_ok=True)
    why = unpack(entry, work)
    if why:
        row["reason"] = why
        return row
    row["commit"], row["date"] = head_commit(work)
    if not (work / "kernel").is_dir():
        row["reason"] = "no kernel/ directory: not a teachos repository"
        return row
    pristine.overlay(course, work)
    started = time.monotonic()
    # Its own process group: on a timeout, pytest, its workers and their
    # QEMUs all go.
    proc = subprocess.Popen([sys.executable, "grader/grade.py", f"--lab={lab}", "--workers=1"],
                            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        row["reason"] = f"timed out after {timeout} s (a hang?)"
    (out / name / "grade.txt").write_text(output)
    results = work / "build" / "grade" / "results.json"
    if results.exists():
        shutil.copy2(results, out / name / "results.json")
        data = json.loads(results.read_text())
        row["score"] = data["score"]
        row["max"] = sum(t["max_score"] for t in data["tests"])
    logs = work / "build" / "grade" / "logs"
    if logs.exists():
        shutil.copytree(logs, out / name / "logs", dirs_exist_ok=True)
    if "the kernel does not build" in output:
        row["reason"] = "does not build (see grade.txt)"
    elif not row["reason"] and not results.exists():
        row["reason"] = "grading gave no results (see grade.txt)"
    row["status"] = "graded" if results.exists() and not row["reason"] else "error"
    row["seconds"] = round(time.monotonic() - started, 1)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("submissions", type=Path)
    ap.add_argument("--lab", type=int, default=LAB_MAX)
    ap.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1))
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per submission")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "batch")
    args = ap.parse_args()
    if not args.submissions.is_dir():
        sys.exit(f"grade-batch: {args.submissions} is not a directory of submissions")
    entries = sorted(p for p in args.submissions.iterdir() if not p.name.startswith("."))
    if not entries:
        sys.exit(f"grade-batch: {args.submissions} is empty")
    args.out.mkdir(parents=True, exist_ok=True)
    course = pristine_tree(args.lab, args.out / f"pristine-lab{args.lab}")
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(lambda e: grade_one(e, args.lab, course, args.out, args.timeout), entries))
    with open(args.out / "grades.csv", "w", newline="") as f:
        w = csv.DictWriter(f, ["student", "score", "max", "status", "reason", "seconds",
                               "commit", "date"])
        w.writeheader()
        w.writerows(rows)
    for r in rows:
        print(f"{r['student']:<24} {r['score']:>4}/{r['max'] or '?':<4} {r['status']:<7} {r['reason']}")
    print(f"grade-batch: {len(rows)} submissions in {time.monotonic() - started:.0f} s; "
          f"{(args.out / 'grades.csv').relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out / 'grades.csv'}")


if __name__ == "__main__":
    main()
