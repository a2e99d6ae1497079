"""diagram.py - draw a handout's ASCII diagram as an SVG image.

The handouts draw their pictures on a character grid (```diagram blocks).
This module keeps that grid and redraws it: box edges and arrows become
strokes, arrowheads become filled triangles, every other character stays
text at the same row and column. So the picture in the HTML handout is the
picture in the markdown, only legible.

What counts as a stroke (everything else is text):
  |  Unicode box drawing   always
  +                        a corner or junction, when a stroke touches it
  -                        a run of 3 or more; or one touching a corner or an
                           arrowhead; or "--" with a space on one side
                           (so "r--", "32-bit" and "prev->rsp" stay text)
  > <                      arrowheads at the end of a horizontal stroke
  v ^                      arrowheads at the end of a vertical stroke

    to_svg(text, title) -> str     the whole SVG document
    Grid(text).pixels()            its width and height in px
"""

from xml.sax.saxutils import escape

CELL_W = 9.0        # px: the advance of a 15 px monospace font (0.6 em)
CELL_H = 20         # px: one line
FONT_SIZE = 15
INK = "#222"

# Unicode box drawing: which sides of the cell each character reaches.
BOX = {
    "─": "lr", "│": "ud", "┌": "rd", "┐": "ld", "└": "ru", "┘": "lu",
    "├": "udr", "┤": "udl", "┬": "lrd", "┴": "lru", "┼": "udlr",
}
SIDES = {"l": (0, -1), "r": (0, 1), "u": (-1, 0), "d": (1, 0)}
OPPOSITE = {"l": "r", "r": "l", "u": "d", "d": "u"}


def _num(x):
    return f"{x:.2f}".rstrip("0").rstrip(".")


class Grid:
    """The diagram as rows of equal width; reading outside it gives ' '."""

    def __init__(self, text):
        lines = text.expandtabs().rstrip("\n").split("\n")
        indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
        lines = [l[indent:].rstrip() for l in lines]
        self.width = max((len(l) for l in lines), default=0)
        self.rows = [l.ljust(self.width) for l in lines]
        self.height = len(self.rows)

    def pixels(self):
        """(width, height) of the drawing in px, as SVG attributes write them."""
        return _num(self.width * CELL_W), _num(self.height * CELL_H)

    def at(self, r, c):
        if 0 <= r < self.height and 0 <= c < self.width:
            return self.rows[r][c]
        return " "


def _is_word(ch):
    return ch.isalnum() or ch == "_"


def classify(grid):
    """{(row, col): sides} for every stroke cell; sides is a string of l/r/u/d,
    or 'h>' 'h<' 'v^' 'vv' for arrowheads."""
    kind = {}
    at = grid.at
    # 1. Characters that are strokes by themselves.
    for r in range(grid.height):
        for c in range(grid.width):
            ch = at(r, c)
            if ch in BOX:
                kind[(r, c)] = BOX[ch]
            elif ch == "|":
                kind[(r, c)] = "ud"
    # 2. Arrowheads: after or before a dash, not glued to a word.
    for r in range(grid.height):
        for c in range(grid.width):
            ch = at(r, c)
            if ch == ">" and at(r, c - 1) in "-─" and not _is_word(at(r, c + 1)):
                kind[(r, c)] = "h>"
            elif ch == "<" and at(r, c + 1) in "-─" and not _is_word(at(r, c - 1)):
                kind[(r, c)] = "h<"
            elif ch in "v^" and not _is_word(at(r, c - 1)) and not _is_word(at(r, c + 1)):
                # the stroke feeding the head must reach into this cell
                feed = at(r - 1, c) if ch == "v" else at(r + 1, c)
                if feed in "|+" or ("d" if ch == "v" else "u") in BOX.get(feed, ""):
                    kind[(r, c)] = "v" + ch
    # 3. Runs of dashes.
    for r in range(grid.height):
        c = 0
        while c < grid.width:
            if at(r, c) != "-":
                c += 1
                continue
            end = c
            while at(r, end) == "-":
                end += 1
            left, right = at(r, c - 1), at(r, end)
            touches = (left in "+─" or right in "+─" or
                       kind.get((r, c - 1)) == "h<" or kind.get((r, end)) == "h>")
            loose_pair = end - c == 2 and (left == " " or right == " ") and \
                not _is_word(left) and not _is_word(right)
            if end - c >= 3 or touches or loose_pair:
                for k in range(c, end):
                    kind[(r, k)] = "lr"
            c = end
    # 4. Corners: '+' reaches every side where a stroke reaches back.
    for r in range(grid.height):
        for c in range(grid.width):
            if at(r, c) != "+":
                continue
            sides = ""
            for side, (dr, dc) in SIDES.items():
                other = kind.get((r + dr, c + dc), "")
                back = OPPOSITE[side]
                if back in other or \
                        (side in "lr" and other in ("h>", "h<")) or \
                        (side in "ud" and other in ("v^", "vv")):
                    sides += side
            if sides:
                kind[(r, c)] = sides
    return kind


def _segments(grid, kind):
    """Unit strokes in half-cell coordinates: cell (r, c) spans x 2c..2c+2 and
    y 2r..2r+2, its centre is (2c+1, 2r+1). Returns (horizontal, vertical,
    triangles)."""
    hor, ver, heads = [], [], []
    for (r, c), sides in kind.items():
        cx, cy = 2 * c + 1, 2 * r + 1
        if sides in ("h>", "h<", "vv", "v^"):
            heads.append((r, c, sides[1]))
            continue
        for side in sides:
            if side == "l":
                hor.append((cy, 2 * c, cx))
            elif side == "r":
                hor.append((cy, cx, 2 * c + 2))
            elif side == "u":
                ver.append((cx, 2 * r, cy))
            elif side == "d":
                ver.append((cx, cy, 2 * r + 2))
    return hor, ver, heads


def _merge(segments):
    """Join collinear unit strokes that touch: (line, start, end) sorted."""
    out = []
    for line, a, b in sorted(segments):
        if out and out[-1][0] == line and out[-1][2] >= a:
            out[-1] = (line, out[-1][1], max(out[-1][2], b))
        else:
            out.append((line, a, b))
    return out


def _arrowhead(kind, r, c, direction):
    """The shaft and triangle of one arrowhead, in pixels. The tip reaches
    the centre of the next cell when a stroke is there (an arrow into a box
    edge), else the cell's far edge."""
    x0, y0 = c * CELL_W, r * CELL_H
    xc, yc = x0 + CELL_W / 2, y0 + CELL_H / 2
    step = {">": (0, 1), "<": (0, -1), "v": (1, 0), "^": (-1, 0)}[direction]
    into_stroke = (r + step[0], c + step[1]) in kind
    length, half = 7.0, 3.5
    if direction in "<>":
        sign = step[1]
        tip = xc + sign * (CELL_W if into_stroke else CELL_W / 2)
        base = tip - sign * length
        shaft = (xc - sign * CELL_W / 2, yc, base, yc)
        tri = [(tip, yc), (base, yc - half), (base, yc + half)]
    else:
        sign = step[0]
        tip = yc + sign * (CELL_H if into_stroke else CELL_H / 2)
        base = tip - sign * length
        shaft = (xc, yc - sign * CELL_H / 2, xc, base)
        tri = [(xc, tip), (xc - half, base), (xc + half, base)]
    return shaft, tri


def _text_runs(grid, kind):
    """(row, col, text) for the text of each row, split at strokes and at
    gaps of two or more spaces."""
    runs = []
    for r in range(grid.height):
        c = 0
        while c < grid.width:
            if (r, c) in kind or grid.at(r, c) == " ":
                c += 1
                continue
            start = c
            while c < grid.width and (r, c) not in kind and \
                    not (grid.at(r, c) == " " and grid.at(r, c + 1) == " "):
                c += 1
            runs.append((r, start, grid.rows[r][start:c].rstrip()))
    return runs


def to_svg(text, title=""):
    """The SVG document of one diagram. Its width and height are the grid's
    in pixels; <desc> keeps the ASCII original for search and screen readers."""
    grid = Grid(text)
    kind = classify(grid)
    hor, ver, heads = _segments(grid, kind)
    hx, hy = CELL_W / 2, CELL_H / 2
    path = []
    for y, a, b in _merge(hor):
        path.append(f"M{_num(a * hx)} {_num(y * hy)}H{_num(b * hx)}")
    for x, a, b in _merge(ver):
        path.append(f"M{_num(x * hx)} {_num(a * hy)}V{_num(b * hy)}")
    triangles = []
    for r, c, direction in heads:
        (x1, y1, x2, y2), tri = _arrowhead(kind, r, c, direction)
        path.append(f"M{_num(x1)} {_num(y1)}L{_num(x2)} {_num(y2)}")
        triangles.append(" ".join(f"{_num(x)},{_num(y)}" for x, y in tri))

    width, height = grid.pixels()
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img">',
           f"<title>{escape(title)}</title>",
           f"<desc>{escape(chr(10).join(grid.rows))}</desc>"]
    if path:
        out.append(f'<path d="{"".join(path)}" fill="none" stroke="{INK}" '
                   f'stroke-width="1.3" stroke-linecap="square"/>')
    for points in triangles:
        out.append(f'<polygon points="{points}" fill="{INK}"/>')
    out.append(f'<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" '
               f'font-size="{FONT_SIZE}" fill="{INK}" xml:space="preserve">')
    baseline = CELL_H / 2 + FONT_SIZE * 0.35
    for r, c, run in _text_runs(grid, kind):
        out.append(f'<text x="{_num(c * CELL_W)}" y="{_num(r * CELL_H + baseline)}" '
                   f'textLength="{_num(len(run) * CELL_W)}" lengthAdjust="spacingAndGlyphs">'
                   f"{escape(run)}</text>")
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
