"""Checks of the kit itself (no points): errors on bad input at the host,
and that each lab's starting point builds and boots. (The GDB workflow:
test_gdb.py.)"""

import os
import re
import subprocess
import tempfile

import pytest

import gradelib
from conftest import LAB_MAX, LABS
from gradelib import ROOT, SUCCESS


def run(argv, env=None, timeout=120):
    return subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, env=env)


def test_bad_lab_is_refused():
    r = run(["make", "LAB=99"])
    assert r.returncode != 0 and "LAB=99 is not a lab of this course" in r.stdout, r.stdout
    r = run(["make", "LAB=1", "SOL=2"])
    assert r.returncode != 0 and "SOL=2 must be 0..LAB=1" in r.stdout, r.stdout


def test_missing_tool_names_its_package():
    """With nasm missing from PATH, deps.sh names the package to install."""
    with tempfile.TemporaryDirectory() as bin_dir:
        for d in ("/usr/bin", "/bin"):
            for name in os.listdir(d):
                if name != "nasm" and not os.path.exists(os.path.join(bin_dir, name)):
                    os.symlink(os.path.join(d, name), os.path.join(bin_dir, name))
        env = dict(os.environ, PATH=bin_dir, TEACHOS_NO_INSTALL="1")
        r = run(["sh", str(ROOT / "labs" / "deps.sh")], env=env)
    assert r.returncode != 0, r.stdout
    assert "apt-get install -y nasm" in r.stdout, r.stdout


def test_unknown_grader_test_is_refused():
    r = run(["/usr/bin/python3", "grader/grade.py", f"--lab={LAB_MAX}", "--test", "nosuch"])
    assert r.returncode != 0 and "no grader test called 'nosuch'; the tests are:" in r.stdout, r.stdout


def test_bad_cmdline_characters_are_refused():
    r = run(["/usr/bin/python3", "grader/gradelib.py", "mkiso", "x.elf", 'a"b', "x.iso"])
    assert r.returncode != 0 and "use only letters" in r.stdout, r.stdout


@pytest.mark.parametrize("lab", sorted(LABS))
def test_start_builds_and_boots(lab):
    """Each lab's starting point (LAB=n SOL=n-1) builds and boots to the
    monitor, so a student sees failing tests, not a dead machine."""
    elf = gradelib.build(lab, lab - 1)
    with gradelib.Machine(elf, log_name=f"start_boots_lab{lab}") as m:
        m.expect_prompt()
        m.send("poweroff\r")
        m.expect_exit(SUCCESS)


def test_milestones_do_not_share_objects():
    """LAB/SOL switches never reuse objects: each milestone has its own tree."""
    a = gradelib.build(LAB_MAX, LAB_MAX)
    b = gradelib.build(LAB_MAX, LAB_MAX - 1)
    assert a.parent != b.parent and a.read_bytes() != b.read_bytes()


def test_bench_prints_its_table():
    """make bench: every lab's rows, with numbers (no timing is asserted)."""
    r = run(["/usr/bin/python3", "grader/bench.py"], timeout=300)
    assert r.returncode == 0, r.stdout
    rows = [line for line in r.stdout.splitlines() if re.search(r"\s\d+\s+.*\s\d+\s+\d+\.\d\d$", line)]
    assert len(rows) >= LAB_MAX, r.stdout


EXTERNAL_PROGRAM = r"""
/* built outside the tree: plain gcc -static -nostdlib, default flags (SSE allowed) */
static long sys(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "memory");
    return r;
}
volatile double scale = 1.5;
void _start(void)
{
    char buf[64];
    long v = (long)(7 * scale * 10), n = 0;
    for (const char *s = "external: 7 * 1.5 = "; *s; s++)
        buf[n++] = *s;
    buf[n++] = '0' + v / 100, buf[n++] = '0' + v / 10 % 10, buf[n++] = '.', buf[n++] = '0' + v % 10;
    buf[n++] = '\n';
    sys(1, 1, (long)buf, n);
    sys(60, 3, 0, 0);
}
"""


@pytest.mark.skipif(LAB_MAX < 6, reason="user programs come with Lab 6")
def test_external_program(tmp_path):
    """make run PROGS=...: a static ELF built elsewhere (using SSE) runs."""
    src, elf = tmp_path / "ext.c", tmp_path / "ext.elf"
    src.write_text(EXTERNAL_PROGRAM)
    cc = run(["gcc", "-static", "-nostdlib", "-O2", "-o", str(elf), str(src)])
    assert cc.returncode == 0, cc.stdout
    kernel = gradelib.build(LAB_MAX, LAB_MAX)
    with gradelib.Machine(kernel, "init=ext", log_name="external_program",
                          modules=[elf]) as m:
        m.expect_line("external: 7 * 1.5 = 10.5")
        m.expect_line("ext: exit(3)")
        m.expect_exit(gradelib.SUCCESS)


def test_handin(tmp_path):
    """make handin refuses uncommitted work, packs history, checks the size."""
    repo = tmp_path / "student"
    sh = lambda *a, **kw: subprocess.run(a, cwd=repo, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, **kw)
    (repo / "labs").mkdir(parents=True)
    (repo / "labs" / "handin.sh").write_bytes((ROOT / "labs" / "handin.sh").read_bytes())
    (repo / "labs" / "handin.sh").chmod(0o755)
    (repo / "work.c").write_text("int x;\n")
    sh("git", "init", "-q")
    sh("git", "add", "-A")
    sh("git", "-c", "user.name=s", "-c", "user.email=s@x", "commit", "-q", "-m", "work")
    (repo / "work.c").write_text("int y;\n")
    r = sh("labs/handin.sh")
    assert r.returncode != 0 and "uncommitted changes" in r.stdout, r.stdout
    sh("git", "checkout", "work.c")
    r = sh("labs/handin.sh")
    assert r.returncode == 0 and "1 commits" in r.stdout, r.stdout
    listing = subprocess.run(["tar", "-tzf", str(repo / "build" / "handin.tar.gz")],
                             stdout=subprocess.PIPE, text=True).stdout
    assert "student/.git/HEAD" in listing and "student/work.c" in listing, listing
    r = sh("labs/handin.sh", env=dict(os.environ, HANDIN_MAX_KIB="0"))
    assert r.returncode != 0 and "more than 0 KiB" in r.stdout, r.stdout
