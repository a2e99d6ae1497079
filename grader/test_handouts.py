"""Checks of `make handouts` (no points): the handouts' fenced blocks say
what they hold, every diagram is drawn without losing a character, and the
HTML pages link up (labs/render_handouts.py, labs/diagram.py)."""

import html
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import course
from course import LABS
from gradelib import ROOT

sys.path.insert(0, str(ROOT / "labs"))
import diagram  # noqa: E402
import render_handouts  # noqa: E402

HANDOUTS = sorted((ROOT / "handouts").glob("lab*.md"))
KNOWN_INFO = {"diagram", "text", "c", "sh", "nasm", "gdb"}
SVG = "{http://www.w3.org/2000/svg}"


def rel(p):
    return str(p.relative_to(ROOT))


def diagrams_of(path):
    text = path.read_text()
    return [(first, "\n".join(body))
            for first, info, body, _ in render_handouts.fenced_blocks(text, rel(path))
            if info == "diagram"]


ALL_DIAGRAMS = [(path, first, body) for path in HANDOUTS for first, body in diagrams_of(path)]


@pytest.mark.parametrize("path", HANDOUTS, ids=rel)
def test_fences_say_what_they_hold(path):
    blocks = render_handouts.fenced_blocks(path.read_text(), rel(path))
    bad = [f"{rel(path)}:{first}: ```{info}" for first, info, _, _ in blocks
           if info not in KNOWN_INFO]
    assert not bad, ("fenced blocks must say what they hold (" + ", ".join(sorted(KNOWN_INFO))
                     + "):\n" + "\n".join(bad))


def drawn(svg):
    """What an SVG shows: {(row, col): char} of its text, and its strokes as
    a set of (x1, y1, x2, y2) in half-cell units."""
    root = ET.fromstring(svg)
    chars = {}
    for t in root.iter(SVG + "text"):
        col = round(float(t.get("x")) / diagram.CELL_W)
        row = int(float(t.get("y")) // diagram.CELL_H)
        assert float(t.get("textLength")) == pytest.approx(len(t.text) * diagram.CELL_W)
        for k, ch in enumerate(t.text):
            if ch != " ":
                chars[(row, col + k)] = ch
    strokes = set()
    path = root.find(SVG + "path")
    hx, hy = diagram.CELL_W / 2, diagram.CELL_H / 2
    for m in re.finditer(r"M([\d.]+) ([\d.]+)([HV])([\d.]+)", path.get("d") if path is not None else ""):
        x, y, axis, to = (float(m.group(1)), float(m.group(2)), m.group(3), float(m.group(4)))
        end = (to, y) if axis == "H" else (x, to)
        strokes.add((round(x / hx), round(y / hy), round(end[0] / hx), round(end[1] / hy)))
    heads = len(root.findall(SVG + "polygon"))
    return chars, strokes, heads


@pytest.mark.parametrize("path,first,body", ALL_DIAGRAMS,
                         ids=[f"{rel(p)}:{first}" for p, first, _ in ALL_DIAGRAMS])
def test_diagram_keeps_every_character(path, first, body):
    """Every character of the ASCII original is either drawn as a stroke or
    shown as text in its own row and column; a diagram has strokes (if it
    has none, it is text and should say ```text)."""
    grid = diagram.Grid(body)
    kind = diagram.classify(grid)
    chars, strokes, heads = drawn(diagram.to_svg(body, "t"))
    assert strokes, f"{rel(path)}:{first}: nothing to draw here; make it a ```text block"
    for r, row in enumerate(grid.rows):
        for c, ch in enumerate(row):
            if (r, c) in kind:
                assert (r, c) not in chars, f"row {r} col {c}: {ch!r} drawn twice"
            elif ch != " ":
                assert chars.get((r, c)) == ch, f"row {r} col {c}: {ch!r} lost:\n{row}"
    assert len(chars) == sum(1 for r, row in enumerate(grid.rows) for c, ch in enumerate(row)
                             if ch != " " and (r, c) not in kind)


def strokes_of(text):
    return drawn(diagram.to_svg(text))[1:]


def test_box_is_four_strokes():
    # a 4x3 box: corners at the centres of cells (0,0), (0,3), (2,0), (2,3)
    strokes, heads = strokes_of("+--+\n|  |\n+--+")
    assert strokes == {(1, 1, 7, 1), (1, 5, 7, 5), (1, 1, 1, 5), (7, 1, 7, 5)}
    assert heads == 0


def test_arrows_get_heads_and_words_stay_text():
    strokes, heads = strokes_of("a --> b <-- c\n   |\n   v")
    assert heads == 3
    chars = drawn(diagram.to_svg("a --> b <-- c"))[0]
    assert "".join(chars[k] for k in sorted(chars)) == "abc"


@pytest.mark.parametrize("text", ["prev->rsp", "(r--)", "32-bit", "rw-", "+0 +4",
                                  "x - y", "1 << 4", "order 2: -", "a v b"])
def test_text_that_looks_like_lines_stays_text(text):
    kind = diagram.classify(diagram.Grid(text))
    assert not kind, f"{text!r}: {kind}"


def test_stacked_plus_signs_are_text():
    kind = diagram.classify(diagram.Grid("+0 size\n+4 reserved\n+8 tags"))
    assert not kind


def test_unicode_box_drawing():
    strokes, heads = strokes_of("──>┐\n   │\n   ┘")
    assert heads == 1 and strokes


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    r = subprocess.run(["make", "--no-print-directory", "handouts", f"HTML={out}"], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    assert r.returncode == 0, r.stdout
    return out, r.stdout


def test_make_handouts_renders_every_lab(rendered):
    out, log = rendered
    assert f"{len(LABS)} labs, {len(ALL_DIAGRAMS)} diagrams" in log, log
    index = (out / "index.html").read_text()
    for path in HANDOUTS:
        assert f'href="{path.stem}.html"' in index, f"index.html does not link {path.stem}"


@pytest.mark.parametrize("path", HANDOUTS, ids=rel)
def test_page_shows_diagrams_as_images(rendered, path):
    out, _ = rendered
    page = (out / f"{path.stem}.html").read_text()
    num = int(re.match(r"lab(\d+)-", path.stem).group(1))
    assert f"<title>Lab {num}: {LABS[num].title}</title>" in page
    images = re.findall(r'<img src="(img/[^"]+\.svg)"', page)
    assert len(images) == len(diagrams_of(path)), "one <img> per ```diagram block"
    for src in images:
        ET.parse(out / src)                       # exists and is well-formed SVG
    assert "```" not in page
    preformatted = html.unescape(re.sub(r"<(?!/?pre)[^>]+>", "", page))
    preformatted = "\n".join(re.findall(r"<pre[^>]*>(.*?)</pre>", preformatted, re.S))
    for first, info, body, _ in render_handouts.fenced_blocks(path.read_text(), rel(path)):
        if info == "text":
            assert "\n".join(body) in preformatted, f"the ```text block of line {first}"
    ids = set(re.findall(r' id="([^"]+)"', page))
    for target in re.findall(r'href="#([^"]+)"', page):
        assert target in ids, f"a link to #{target}, which is not on the page"
    sections = set(re.findall(r"^#+ (\d+(?:\.\d+)*)", path.read_text(), re.M))
    refs = set(re.findall(r"§(\d+(?:\.\d+)*)", path.read_text())) & sections
    assert refs, "the exercise table points at sections"
    for ref in refs:
        assert f">§{ref}</a>" in page, f"§{ref} is not a link to its section"


def tree_with(tmp_path, handouts):
    """A student-like tree: the renderer, the course's metadata and the
    given handouts."""
    (tmp_path / "handouts").mkdir()
    for path in ("labs/diagram.py", "labs/render_handouts.py", "grader/course.py",
                 course.LABS_FILE, course.FILES_FILE):
        (tmp_path / path).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    for name, text in handouts.items():
        (tmp_path / "handouts" / name).write_text(text)
    return tmp_path


def run_renderer(tree, env=None):
    return subprocess.run([sys.executable, str(tree / "labs" / "render_handouts.py"),
                           "--out", str(tree / "out")], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env, timeout=120)


def test_student_tree_renders_its_labs_only(tmp_path):
    tree = tree_with(tmp_path, {"lab1-boot.md": (ROOT / "handouts/lab1-boot.md").read_text()})
    r = run_renderer(tree)
    assert r.returncode == 0 and "1 labs" in r.stdout, r.stdout
    assert sorted(p.name for p in (tree / "out").glob("*.html")) == ["index.html",
                                                                    "lab1-boot.html"]


def test_untagged_block_is_named_and_rendered(tmp_path):
    tree = tree_with(tmp_path, {"lab1-boot.md": "# Lab 1\n\ntext\n\n```\nuntagged\n```\n"})
    r = run_renderer(tree)
    assert r.returncode == 0, r.stdout
    assert "handouts/lab1-boot.md:5: warning: a ``` block that does not say" in r.stdout
    assert "<code>untagged</code>" in (tree / "out" / "lab1-boot.html").read_text()


def test_unclosed_block_is_refused(tmp_path):
    tree = tree_with(tmp_path, {"lab1-boot.md": "# Lab 1\n\n```diagram\n+--+\n"})
    r = run_renderer(tree)
    assert r.returncode == 1, r.stdout
    assert "handouts/lab1-boot.md:3: this ``` block is never closed" in r.stdout, r.stdout
    assert "Traceback" not in r.stdout


def test_missing_pandoc_is_named(tmp_path):
    tree = tree_with(tmp_path, {"lab1-boot.md": "# Lab 1\n"})
    r = run_renderer(tree, env={"PATH": str(tmp_path)})
    assert r.returncode == 1 and "pandoc is missing" in r.stdout, r.stdout


def test_unwritable_output_is_named(tmp_path):
    tree = tree_with(tmp_path, {"lab1-boot.md": "# Lab 1\n"})
    (tree / "out").write_text("a file, not a directory")
    r = run_renderer(tree)
    assert r.returncode == 1 and "handouts: cannot write" in r.stdout, r.stdout
    assert "Traceback" not in r.stdout


# Words that only make sense in the instructor's tree: a student repository
# has one milestone, no SOL, and no "full tree" to build a lab from.
INSTRUCTOR_WORDS = re.compile(r"\bSOL=|\bLAB=\d|full tree|reference solution")


@pytest.mark.parametrize("path", HANDOUTS, ids=rel)
def test_handout_speaks_to_students(path):
    """A handout tells students what to run in their repository; nothing
    there needs LAB=, SOL= or the instructor's tree."""
    found = [f"{rel(path)}:{n}: {line.strip()}"
             for n, line in enumerate(path.read_text().splitlines(), 1)
             if INSTRUCTOR_WORDS.search(line)]
    assert not found, "instructor's words in a student handout:\n" + "\n".join(found)
