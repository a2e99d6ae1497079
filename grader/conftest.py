"""conftest.py - pytest glue for the graders: milestones, points, reports.

Lab graders live in test_labN_SLUG.py; each test takes the `kernel` fixture
(the milestone under test) and carries @pytest.mark.points(n) and
@pytest.mark.exercise(k, ...), the exercises of its lab it grades. The
labs themselves come from course.py.

Options:
  --lab N --sol S   grade the build LAB=N SOL=S (default: the last lab, SOL=LAB)
  --only N          run only lab N's graders (default: labs 1..LAB)
  --test NAME       run only the grader test NAME (with or without "test_")
  --milestones      `make test`: run every lab's graders at every milestone
                    LAB=n SOL=n (n >= the grader's lab), and at the lab's own
                    starting point LAB=n SOL=n-1, where each must fail.

With -n, the longest tests start first (LONGEST) and a free worker takes
the next test (pytest_xdist_make_scheduler), so both cores stay busy to the end.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gradelib  # noqa: E402
# LABS and LAB_MAX stay importable from here for the graders that do so.
from course import LAB_MAX, LABS, lab_of_grader  # noqa: E402
from gradelib import BuildError, GradeError  # noqa: E402


def pytest_addoption(parser):
    g = parser.getgroup("teachos")
    g.addoption("--lab", type=int, default=LAB_MAX, help="milestone LAB to grade")
    g.addoption("--sol", type=int, default=None, help="solutions up to SOL (default LAB)")
    g.addoption("--only", type=int, default=None, help="only this lab's graders")
    g.addoption("--test", default=None, help="only the grader test of this name")
    g.addoption("--milestones", action="store_true", help="check every milestone (make test)")
    g.addoption("--grading", action="store_true", help="only the lab graders (make grade)")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): what a grader test is worth")
    config.addinivalue_line("markers", "exercise(k, ...): the exercises of its lab a grader "
                            "test grades (test_exercises.py proves they are enough)")
    config.addinivalue_line("markers", "challenge(k): a test of its lab's optional challenge k "
                            "(make grade reports it apart; it does not count in the score)")
    if config.getoption("--milestones"):
        gradelib.use_ccache()
    lab, sol = config.getoption("--lab"), config.getoption("--sol")
    if lab not in LABS:
        raise pytest.UsageError(f"--lab {lab}: the labs are {sorted(LABS)}")
    if sol is None:
        config.option.sol = lab
    elif not 0 <= sol <= lab:
        raise pytest.UsageError(f"--sol {sol}: must be 0..{lab}")
    only = config.getoption("--only")
    if only is not None and not 1 <= only <= lab:
        raise pytest.UsageError(f"--only {only}: must be a lab in 1..{lab}")


class Kernel:
    """One milestone build, as the `kernel` fixture gives it to a test."""

    def __init__(self, lab, sol, request):
        self.lab, self.sol = lab, sol
        self.request = request
        self._elf = None
        self.log = None         # the serial log of the last boot

    @property
    def elf(self):
        if self._elf is None:
            self._elf = gradelib.build(self.lab, self.sol)
        return self._elf

    def boot(self, cmdline="", mem="128M", extra_args=(), dead_ends=(), progs=(), shell=False,
             disk=None, fsck=True):
        """A Machine booting this kernel; use in a with statement. Each boot
        of a test keeps its own log: NAME.log, NAME-2.log, ...
        disk (Lab 8 on): True for a fresh copy of the build's pristine disk
        image (NAME.disk.img beside the log, each boot its own), or the
        path of an image (m.disk of an earlier boot, to boot it again, or
        one made with grader/disk.py). After the run e2fsck -fn checks it
        and a complaint fails the test, unless fsck=False (see Machine)."""
        self.boots = getattr(self, "boots", 0) + 1
        name = self.request.node.nodeid.split("::", 1)[-1]
        if self.boots > 1:
            name += f"-{self.boots}"
        modules = sorted((self.elf.parent / "user").glob("*.elf")) + list(progs)
        m = gradelib.Machine(self.elf, cmdline, mem=mem, log_name=name,
                             extra_args=extra_args, dead_ends=dead_ends, modules=modules,
                             shell=shell, disk=disk, fsck=fsck)
        self.log = m.log_path
        return m


def configs_for(test_lab, config):
    """The (lab, sol, must_fail) milestones a test of test_lab runs at: with
    --milestones, its own lab's solution and start. Under the last lab's
    code every lab is graded by the student play-through of test_course.py
    (`make grade` in the student's repository with every lab solved and
    merged); running every grader at every milestone as well would cost
    minutes of `make test` (DEVELOPERS.md: 15 in all) for little that is new.
    For the same reason the last lab's own solution is graded there only:
    that `make grade` is exactly LAB=LAB_MAX SOL=LAB_MAX's."""
    if not config.getoption("--milestones"):
        return [(config.getoption("--lab"), config.option.sol, False)]
    start = [(test_lab, test_lab - 1, True)]
    return start if test_lab == LAB_MAX else [(test_lab, test_lab, False)] + start


def pytest_generate_tests(metafunc):
    if "kernel_config" not in metafunc.fixturenames:
        return
    test_lab = lab_of_grader(metafunc.definition.fspath)
    params = []
    for lab, sol, must_fail in configs_for(test_lab, metafunc.config):
        marks = []
        if must_fail:
            marks.append(pytest.mark.xfail(
                strict=True, raises=GradeError,
                reason=f"the Lab {test_lab} starting point must fail this grader"))
        params.append(pytest.param((lab, sol), marks=marks,
                                   id=f"lab{lab}-sol{sol}" + ("-start" if must_fail else "")))
    metafunc.parametrize("kernel_config", params)


@pytest.fixture
def kernel(kernel_config, request):
    lab, sol = kernel_config
    return Kernel(lab, sol, request)


def pytest_collection_modifyitems(config, items):
    lab = config.getoption("--lab")
    only = config.getoption("--only")
    name = config.getoption("--test")
    grading = config.getoption("--grading")
    milestones = config.getoption("--milestones")
    keep, dropped = [], []
    for item in items:
        test_lab = lab_of_grader(item.fspath)
        if test_lab is not None:
            if test_lab > lab and not milestones or only is not None and test_lab != only:
                dropped.append(item)
                continue
            points = item.get_closest_marker("points")
            if points is None:
                raise pytest.UsageError(f"{item.nodeid}: a lab grader needs @pytest.mark.points(n)")
            item.user_properties.append(("points", points.args[0]))
            exercise = item.get_closest_marker("exercise")
            if exercise is not None:
                item.user_properties.append(("exercises", tuple(sorted(exercise.args))))
            challenge = item.get_closest_marker("challenge")
            if challenge is not None:
                item.user_properties.append(("challenge", challenge.args[0]))
            item.user_properties.append(("lab", test_lab))
        elif grading:
            dropped.append(item)
            continue
        if name is not None and item.originalname not in (name, "test_" + name):
            dropped.append(item)
            continue
        keep.append(item)
    if name is not None and not keep:
        known = sorted({i.originalname[5:] for i in items if lab_of_grader(i.fspath)})
        raise pytest.UsageError(f"no grader test called {name!r}; the tests are: {' '.join(known)}")
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    longest_first(items)


# The longest tests of make test, longest first: pieces of node ids (the
# first one found in a test's id is its rank; a file name ranks the rest of
# that file). They start first, so that on 2 cores they overlap the many
# short tests instead of running alone at the end with one core idle.
# Times: each alone, kernels built, TEACHOS_CRASH_POINTS=3 (make test's).
LONGEST = [
    "test_course.py::test_student_plays_through",   # make grade, every lab: 300 s
    "test_course.py::test_grade_batch",             # 55 s
    "test_course.py::test_gradescope_autograder",   # 41 s
    "test_cheat.py::",                              # a lab's graders on a cheat: 30-45 s
    "test_exercises.py::test_exercises_earn_their_points[lab9-",   # a tree built: 24 s
    "test_exercises.py::test_exercises_earn_their_points[lab7-",   # 17 s
    "test_exercises.py::test_exercises_earn_their_points[",        # 10-12 s
    "test_make.py::",                               # up to 12 s
    "test_lab9_journal.py::test_crash_",            # 8-11 s (make grade's 17 points: 70-90 s)
    "test_lab8_fs.py::test_big_directory",          # 4 s (on lab 9's ext3, make grade: 50 s)
    "test_grading.py::",                            # up to 7 s
]


def rank(item):
    """Where item's id first matches LONGEST; len(LONGEST) if nowhere."""
    for i, piece in enumerate(LONGEST):
        if piece in item.nodeid:
            return i
    return len(LONGEST)


def uses_module_fixture(item):
    """Does item take a fixture of scope "module" (student_repo, rendered)?"""
    info = getattr(item, "_fixtureinfo", None)      # pytest's; without it, no
    defs = info.name2fixturedefs.values() if info is not None else ()
    return any(d and d[-1].scope == "module" for d in defs)


def longest_first(items):
    """Sort items by rank, keeping their order otherwise (a stable sort: every
    xdist worker must collect the same list). A file with a module-scoped
    fixture stays in one piece, at the rank of its longest test: a worker
    that leaves the file tears the fixture down and would build it again
    on coming back (test_course.py's student repository: 8 s)."""
    def file_of(item):
        return item.nodeid.split("::")[0]

    together = {file_of(item) for item in items if uses_module_fixture(item)}
    best = {}                   # each file's best rank
    for item in items:
        best[file_of(item)] = min(best.get(file_of(item), len(LONGEST)), rank(item))

    def key(item):
        own = rank(item)
        return (best[file_of(item)] if file_of(item) in together else own, own)
    items.sort(key=key)


# Optional: without pytest-xdist (or with -p no:xdist, as test_exercises.py's
# runs do) the hook does not exist, and pytest would refuse an unknown one.
@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With -n (make test, make grade): a free worker takes the next test.
    xdist's own "load" scheduling hands each worker a batch of tests up
    front and refills it in batches, so at the end one worker can still
    hold long tests while the other is idle. Other --dist modes keep
    xdist's schedulers."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScheduling

    class OneAtATime(LoadScheduling):
        """LoadScheduling with at most two tests on a worker: the one it
        runs and the next (a worker starts a test only once it knows
        the next, to know which fixtures to tear down after it)."""

        def schedule(self):
            """All workers have collected: deal the first tests round-robin,
            one to each worker and then a second, so that the longest two
            (the list starts with them) run on different workers."""
            if self.collection is None:     # as LoadScheduling.schedule does
                if not self._check_nodes_have_same_collection():
                    self.log("**Different tests collected, aborting run**")
                    return
                self.collection = list(self.node2collection.values())[0]
                self.pending[:] = range(len(self.collection))
            for _ in range(2):
                for node in self.nodes:
                    if self.pending and len(self.node2pending[node]) < 2:
                        self.send_next(node)
            for node in self.nodes:
                self.check_schedule(node)

        def check_schedule(self, node, duration=0):
            """A worker finished a test (or joined): top it up to two, or
            tell it to finish when no test is left to give."""
            if node.shutting_down:
                return
            while self.pending and len(self.node2pending[node]) < 2:
                self.send_next(node)
            if not self.pending:
                node.shutdown()     # it runs what it holds, then stops

        def send_next(self, node):
            index = self.pending.pop(0)
            self.node2pending[node].append(index)
            node.send_runtest_some([index])

    return OneAtATime(config, log)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Show a grader's failure as its message (expected / seen / end / log),
    not as a Python traceback. A check made after the boot names its log too."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance((GradeError, BuildError)):
        if report.failed:
            report.longrepr = str(call.excinfo.value)
            kernel = item.funcargs.get("kernel")
            if "log:" not in report.longrepr and getattr(kernel, "log", None):
                report.longrepr += f"\n    log: {kernel.log.relative_to(gradelib.ROOT)}"
