#!/usr/bin/python3
"""render_handouts.py - `make handouts`: the lab handouts as HTML pages.

Each handouts/labN-*.md becomes labN-*.html (pandoc, GitHub-flavoured
markdown, a table of contents), its ```diagram blocks drawn as SVG images
(labs/diagram.py) under img/, plus an index.html listing the labs. Code and
```text blocks stay text. Only the handouts present are rendered, so a
student's repository renders the labs handed out so far.

    render_handouts.py [--out DIR]       (default build/handouts)

Every fenced block in a handout names what it holds: ```diagram for a
picture, ```text for program output, ```c / ```sh for code. A block without
one is rendered as code, with a warning naming its line.
"""

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "labs"))
sys.path.insert(0, str(ROOT / "grader"))
import diagram  # noqa: E402  (labs/ is not a package)
from course import LABS  # noqa: E402  (the labs, from labs/labs.txt)

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)")

STYLE = """<style>
  body { max-width: 46em; }
  p.diagram { overflow-x: auto; margin: 1.2em 0; }
  p.diagram img { max-width: 100%; height: auto; }
  pre, code { font-size: 85%; }
  table { font-size: 90%; }
  nav.labs { font-size: 85%; margin-bottom: 2em; }
</style>
"""


class HandoutError(Exception):
    """A handout this script cannot render; the message names file and line."""


def fenced_blocks(text, name):
    """(first line number, info word, body lines, closing line number) for
    each fenced block of a markdown text."""
    blocks, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start = m.group(2), i
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            i += 1
        if i == len(lines):
            raise HandoutError(f"{name}:{start + 1}: this {fence} block is never closed")
        blocks.append((start + 1, m.group(3), lines[start + 1:i], i + 1))
        i += 1
    return blocks


def untagged_blocks(text, name):
    """Line numbers of the fenced blocks that do not say what they hold."""
    return [first for first, info, _, _ in fenced_blocks(text, name) if not info]


def draw_diagrams(text, name, stem, title, img_dir):
    """The markdown with every ```diagram block replaced by an <img> of its
    SVG, written to img_dir as STEM-K.svg. Returns (markdown, count)."""
    lines = text.split("\n")
    out, done, count = [], 0, 0
    for first, info, body, last in fenced_blocks(text, name):
        if info != "diagram":
            continue
        count += 1
        label = f"{title}, diagram {count}"
        file = f"{stem}-{count}.svg"
        (img_dir / file).write_text(diagram.to_svg("\n".join(body), label))
        width, height = diagram.Grid("\n".join(body)).pixels()
        out += lines[done:first - 1]
        out += ["", f'<p class="diagram"><img src="img/{file}" alt="{html.escape(label)}" '
                f'width="{width}" height="{height}"></p>', ""]
        done = last
    out += lines[done:]
    return "\n".join(out), count


def pandoc(markdown, out_file, header, before):
    """Render one page; pandoc's own error is shown when it fails."""
    proc = subprocess.run(
        ["pandoc", "--from=gfm", "--to=html5", "--standalone", "--toc", "--toc-depth=2",
         "--shift-heading-level-by=-1", f"--include-in-header={header}",
         f"--include-before-body={before}", f"--output={out_file}"],
        input=markdown, text=True, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise HandoutError(f"pandoc failed on {out_file.name}: {proc.stderr.strip()}")


def link_sections(page):
    """Turn every "§3.1" of a rendered page (outside code) into a link to the
    heading "3.1 ...", so the exercise table and the stubs' pointers click."""
    text = page.read_text()
    ids = {m.group(2): m.group(1) for m in re.finditer(
        r'<h[1-6] id="([^"]+)">(\d+(?:\.\d+)*)\.? ', text)}

    def link(m):
        target = ids.get(m.group(1))
        return f'<a href="#{target}">{m.group(0)}</a>' if target else m.group(0)

    parts = re.split(r"(<pre.*?</pre>|<code>.*?</code>)", text, flags=re.S)
    parts[::2] = [re.sub(r"§(\d+(?:\.\d+)*)", link, part) for part in parts[::2]]
    page.write_text("".join(parts))


def render(out, scratch):
    """Render every handout present into out (pandoc's include files go to
    scratch); returns [(file, title, diagrams)]."""
    img_dir = out / "img"
    img_dir.mkdir(parents=True, exist_ok=True)
    header, before = scratch / "header.html", scratch / "before.html"
    header.write_text(STYLE)
    before.write_text('<nav class="labs"><a href="index.html">All labs</a></nav>\n')
    pages = []
    for lab in LABS.values():
        md = ROOT / lab.handout
        if not md.exists():         # only the handouts present are rendered
            continue
        title, text = f"Lab {lab.number}: {lab.title}", md.read_text()
        for line in untagged_blocks(text, lab.handout):
            print(f"{lab.handout}:{line}: warning: a ``` block that does not say what it "
                  "holds; write ```diagram to draw it or ```text to keep it as text",
                  file=sys.stderr)
        markdown, count = draw_diagrams(text, lab.handout, md.stem, title, img_dir)
        pandoc(markdown, out / f"{md.stem}.html", header, before)
        link_sections(out / f"{md.stem}.html")
        pages.append((f"{md.stem}.html", title, count))
    if not pages:
        raise HandoutError("no handouts/labN-*.md to render")
    index = ["# Lab handouts", ""]
    index += [f"- [{title}]({file})" for file, title, _ in pages]
    before.write_text("")
    pandoc("\n".join(index) + "\n", out / "index.html", header, before)
    return pages


def main():
    parser = argparse.ArgumentParser(description="Render the lab handouts as HTML.")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "handouts",
                        help="output directory (default build/handouts)")
    args = parser.parse_args()
    if shutil.which("pandoc") is None:
        sys.exit("handouts: pandoc is missing (Debian package pandoc): "
                 "`sudo apt-get install pandoc`, or `make handouts` as root")
    try:
        with tempfile.TemporaryDirectory() as scratch:
            pages = render(args.out.resolve(), Path(scratch))
    except HandoutError as err:
        sys.exit(f"handouts: {err}")
    except OSError as err:          # an output directory that cannot be written
        sys.exit(f"handouts: cannot write {args.out}: {err.strerror}: {err.filename}")
    diagrams = sum(count for _, _, count in pages)
    print(f"handouts: {len(pages)} labs, {diagrams} diagrams: {args.out / 'index.html'}")


if __name__ == "__main__":
    main()
