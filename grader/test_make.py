"""Checks of the Makefile as students and instructors meet it (no points):
`make run` takes each new CMDLINE and PROGS and exits the right way round,
the build works with an older linker, and a student repository handles an
earlier LAB and the instructor-only targets with one clear line."""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager

import pytest

import gradelib
from gradelib import BUILD, ROOT

MAKE = ["make", "--no-print-directory"]


def run(argv, cwd=ROOT, env=None, timeout=180, stdin=subprocess.DEVNULL):
    return subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, env=env, stdin=stdin)


@contextmanager
def milestone(lab, sol):
    """The milestone built, and held: the graders running beside us build
    the same directory under the same lock (gradelib.build)."""
    gradelib.build(lab, sol)
    with open(BUILD / f".lock-lab{lab}-sol{sol}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def make_run(lab, sol, cmdline, progs=()):
    """`make run` with a command line whose test powers off by itself."""
    argv = MAKE + [f"LAB={lab}", f"SOL={sol}", "run", f"CMDLINE={cmdline}"]
    if progs:
        argv.append("PROGS=" + " ".join(map(str, progs)))
    return run(argv)


def test_run_takes_each_new_cmdline():
    """Two `make run`s in a row with different command lines: the second
    boots with its own (a frozen cmdline.txt kept the first)."""
    with milestone(1, 1):
        for echo in ("first" + os.urandom(3).hex(), "second" + os.urandom(3).hex()):
            r = make_run(1, 1, f"test=cmdline echo={echo}")
            assert f"echo: {echo}" in r.stdout, r.stdout[-2000:]


def test_run_takes_each_new_progs(tmp_path):
    """PROGS= given twice with different programs: each run has its own."""
    with milestone(6, 6):
        hello = gradelib.config_dir(6, 6) / "user" / "hello.elf"
        for name in ("alpha", "beta"):
            prog = tmp_path / f"{name}.elf"
            shutil.copyfile(hello, prog)
            r = make_run(6, 6, f"init={name}", [prog])
            assert f"{name}: exit(0)" in r.stdout, r.stdout[-2000:]


def test_run_exit_status():
    """`make run` ends 0 on poweroff with success, and non-zero with one
    line saying what happened on a panic or a triple fault."""
    with milestone(1, 1):
        r = make_run(1, 1, "test=cmdline echo=x")
        assert r.returncode == 0, r.stdout[-2000:]
        r = make_run(1, 1, "test=panic msg=oops")
        assert r.returncode != 0, r.stdout[-2000:]
        assert "teachos: the kernel powered off with failure status" in r.stdout, r.stdout[-2000:]
    # At the start of Lab 2 there are no gates yet: a division by zero
    # cannot be delivered, and the CPU resets.
    with milestone(2, 1):
        r = make_run(2, 1, "test=divzero")
        assert r.returncode != 0, r.stdout[-2000:]
        assert "teachos: QEMU exited 0: a triple fault" in r.stdout, r.stdout[-2000:]


def test_run_passes_qemuflags(tmp_path):
    """QEMUFLAGS= reaches QEMU: the Lab 2 handout's `-d int,cpu_reset -D
    qemu.log` writes its log."""
    log = tmp_path / "qemu.log"
    with milestone(1, 1):
        r = run(MAKE + ["LAB=1", "SOL=1", "run", "CMDLINE=test=cmdline echo=x",
                        f"QEMUFLAGS=-d cpu_reset -D {log}"])
    assert r.returncode == 0, r.stdout[-2000:]
    assert log.exists() and "CPU Reset" in log.read_text(), r.stdout[-2000:]


def test_run_poweroff_typed_is_success():
    """`poweroff` typed at the monitor, the documented way out: status 0."""
    with milestone(1, 1):
        proc = subprocess.Popen(MAKE + ["LAB=1", "SOL=1", "run"], cwd=ROOT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
        try:
            seen = b""
            while b"K> " not in seen:
                chunk = os.read(proc.stdout.fileno(), 4096)
                assert chunk, f"make run ended before the prompt:\n{seen.decode()}"
                seen += chunk
            proc.stdin.write(b"poweroff\r")
            proc.stdin.flush()
            seen += proc.stdout.read()
            assert proc.wait(timeout=60) == 0, seen.decode()[-2000:]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_build_with_binutils_2_38():
    """An `ld` that rejects options newer than binutils 2.38 (Ubuntu 22.04:
    Gradescope and GitHub Classroom) still links the kernel."""
    with tempfile.TemporaryDirectory() as bin_dir:
        wrapper = os.path.join(bin_dir, "ld")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\n"
                    "for a; do case $a in --no-warn-rwx-segments)\n"
                    "  echo \"ld: unrecognized option '$a'\" >&2; exit 1;; esac; done\n"
                    f"exec {shutil.which('ld')} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"])
        out = BUILD / "test-old-ld"
        shutil.rmtree(out, ignore_errors=True)
        try:
            r = run(MAKE + ["LAB=1", "SOL=1", f"B={out.relative_to(ROOT)}", "elf"], env=env,
                    timeout=300)
            assert r.returncode == 0 and (out / "kernel.elf").exists(), r.stdout[-3000:]
        finally:
            shutil.rmtree(out, ignore_errors=True)


# ---- a student's repository ----------------------------------------------------

@pytest.fixture(scope="module")
def student_at_lab2(tmp_path_factory):
    """The student repository from `make handout`, checked out at lab 2."""
    repo = tmp_path_factory.mktemp("student") / "repo"
    r = run([sys.executable, str(ROOT / "labs" / "handout.py"), "--out", str(repo)])
    assert r.returncode == 0, r.stdout
    r = run(["git", "checkout", "-q", "lab2"], cwd=repo)
    assert r.returncode == 0, r.stdout
    return repo


def test_student_grade_earlier_lab(student_at_lab2):
    """After merging lab2, `make grade LAB=1` grades lab 1's tests with the
    current code (it used to fail to link: gdt_init missing at LAB=1)."""
    r = run(MAKE + ["grade", "LAB=1", "TEST=unknown_test"], cwd=student_at_lab2, timeout=300)
    assert "undefined reference" not in r.stdout, r.stdout[-3000:]
    assert "grading lab 1's tests with it (same as make grade ONLY=1)" in r.stdout, r.stdout
    assert "Grading lab 1 with your lab 2 code" in r.stdout, r.stdout[-3000:]
    assert "Score: " in r.stdout, r.stdout[-3000:]


def test_student_other_targets_at_earlier_lab(student_at_lab2):
    """Anything but grade at an earlier LAB: one line naming ONLY=n."""
    r = run(MAKE + ["kernel", "LAB=1"], cwd=student_at_lab2)
    assert r.returncode != 0
    assert "your repository is at lab 2 and builds only that" in r.stdout, r.stdout
    assert "make grade ONLY=1" in r.stdout, r.stdout
    assert "Traceback" not in r.stdout and len(r.stdout.splitlines()) == 1, r.stdout


def test_student_help_and_instructor_targets(student_at_lab2):
    """The student's `make help` lists no instructor tool; asking for one
    gets one line, not a traceback."""
    r = run(MAKE + ["help"], cwd=student_at_lab2)
    for target in ("handout ", "handout-solutions", "grade-batch", "gradescope", "SOL="):
        assert target not in r.stdout, r.stdout
    for target in ("handout", "grade-batch", "gradescope"):
        r = run(MAKE + [target], cwd=student_at_lab2)
        assert r.returncode != 0 and "Traceback" not in r.stdout, r.stdout
        assert f"make {target}: an instructor's tool" in r.stdout, r.stdout
