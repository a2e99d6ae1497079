"""A kernel that only prints what the graders look for scores (almost) nothing.

Instructor-only, no points. Every line a grader waits for (each constant
passed to expect/expect_line in the lab graders; a regex becomes a line
that matches it, with the smallest numbers and words it allows) is printed
by a cheating kernel built from each lab's starting point: at boot, and in
place of every in-kernel test, which then reports `ok` and powers off with
success. Graded like a student's kernel, it must score at most
CHEAT_MAX_SHARE of each lab: the graders judge values that depend on their
random inputs and evidence from outside the guest, not a line the kernel
under test can print without doing the work. `make test` tries the
newest lab (course.JUDGED_LABS), `make test-all` every lab.
"""

import ast
import json
import re
import subprocess
import sys

import pytest

from course import JUDGED_LABS, LABS
from gradelib import ROOT

try:
    import re._parser as sre_parse          # Python 3.11 on
except ImportError:                         # pragma: no cover (Ubuntu 22.04's 3.10)
    import sre_parse

sys.path.insert(0, str(ROOT / "labs"))
import exercises  # noqa: E402

CHEAT_MAX_SHARE = 0.10
EXPECTING = {"expect", "expect_line"}


def example(pattern):
    """A short line that matches the regex pattern, or None."""
    def walk(items):
        out = ""
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                out += chr(av)
            elif name == "NOT_LITERAL":
                out += "x" if chr(av) != "x" else "y"
            elif name == "ANY":
                out += "x"
            elif name == "IN":
                out += one_of(av)
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                low, _, sub = av
                out += walk(sub) * low
            elif name == "SUBPATTERN":
                out += walk(av[-1])
            elif name == "BRANCH":
                out += walk(av[1][0])
            elif name in ("ATOMIC_GROUP",):
                out += walk(av)
            elif name in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF"):
                continue
            else:
                raise ValueError(name)
        return out

    def one_of(items):
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                return chr(av)
            if name == "RANGE":
                return chr(av[0])
            if name == "CATEGORY":
                return {"CATEGORY_DIGIT": "1", "CATEGORY_WORD": "x",
                        "CATEGORY_SPACE": " "}.get(str(av), "x")
        return "x"

    try:
        line = walk(sre_parse.parse(pattern))
    except (ValueError, re.error, TypeError):
        return None
    return line if "\n" not in line and re.search(pattern, line, re.M) else None


def wanted_lines(lab):
    """The lines a cheat prints for lab n's graders, in source order."""
    tree = ast.parse((ROOT / LABS[lab].grader).read_text())
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in EXPECTING and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            text = node.args[0].value
            line = text if node.func.attr == "expect_line" else example(text)
            if line and line not in found:
                found.append(line)
    return found


def c_string(text):
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\x{ord(c):02x}"
                         for c in text) + '"'


def cheat_source(lines):
    return ("/* cheat.c - prints what the graders look for, does nothing else (test_cheat.py). Lab 1 */\n"
            '#include "console.h"\n#include "kinit.h"\n\n'
            "static const char *const cheat_lines[] = {\n"
            + "".join(f"    {c_string(line)},\n" for line in lines) + "};\n\n"
            "void cheat_print(void)\n{\n"
            "    for (unsigned i = 0; i < sizeof cheat_lines / sizeof cheat_lines[0]; i++) {\n"
            "        console_write(cheat_lines[i]);\n        console_write(\"\\n\");\n    }\n}\n\n"
            "KINIT(12, cheat_print);\n")


def cheat_edit(text, path):
    if path == "kernel/core/ktest.c":
        assert "    t->run();\n" in text, "ktest_run no longer calls t->run(): update test_cheat.py"
        text = text.replace("    t->run();\n", "    (void)t; cheat_print();\n")
        return text.replace('#include "ktest.h"\n', '#include "ktest.h"\nvoid cheat_print(void);\n', 1)
    return text


@pytest.mark.parametrize("lab", JUDGED_LABS, ids=[f"lab{n}" for n in JUDGED_LABS])
def test_printing_the_lines_earns_nothing(lab, tmp_path):
    lines = wanted_lines(lab)
    assert lines, f"lab {lab}: found no line its graders wait for"
    tree = exercises.copy_tree(tmp_path / "cheat", cheat_edit)
    (tree / "kernel" / "tests" / "cheat.c").write_text(cheat_source(lines))
    r = subprocess.run([sys.executable, "grader/grade.py", f"--lab={lab}", f"--sol={lab - 1}",
                        f"--only={lab}", "--workers=1"], cwd=tree, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=900)
    results = tree / "build" / "grade" / "results.json"
    assert results.exists(), r.stdout[-3000:]
    data = json.loads(results.read_text())
    total = sum(t["max_score"] for t in data["tests"])
    assert "does not build" not in r.stdout, r.stdout[-3000:]
    passed = [t["name"] for t in data["tests"] if t["status"] == "passed" and t["max_score"]]
    assert data["score"] <= CHEAT_MAX_SHARE * total, (
        f"lab {lab}: a kernel that prints the {len(lines)} lines its graders wait for scores "
        f"{data['score']}/{total}; passed: {passed}")
