"""Drawing in pixels on a bare matplotlib Figure (no pyplot, no Axes), and PNG bytes out.

Coordinates are pixels from the top-left corner, y downwards. The figure runs at 72 dpi, so
a font size in points is its size in pixels and every pixel size survives the inch
conversion exactly (h / 72 * 72 == h for every h up to 10,000).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Polygon
from matplotlib.path import Path
from matplotlib.transforms import Affine2D, Transform
from numpy.typing import NDArray

from charts._png import encode_rgba
from charts.fonts import outline, register, warn_missing
from core.grades import Grade

DPI = 72
WIDTH = 1080  # a phone's screen width in pixels: Telegram shows it edge to edge

INK = "#1f2933"
MUTED = "#6b7280"
RULE = "#d9dde3"
STRIPE = "#f4f5f7"
WHITE = "#ffffff"
HEADER = "#a61b1b"
HEADER_SUB = "#ffdcd6"
GOLD = "#e0a100"
HIGHLIGHT = "#fff4d4"
NEUTRAL = "#8fa3b0"
FLAG_RED = "#d7191c"
GRADE_COLOURS: dict[Grade, str] = {
    Grade.GOOD: "#2e7d32",
    Grade.FAIRLY_GOOD: "#1e78c8",
    Grade.AVERAGE: "#e69500",
    Grade.POOR: "#c62828",
}

SWATCHES = ("■", "★", "●", "▲", "▼")
_CONTROLS = dict.fromkeys((*range(32), 127), " ")  # a stray newline in a name

P = ParamSpec("P")
R = TypeVar("R")

_render_lock = threading.Lock()


def serialised(render: Callable[P, R]) -> Callable[P, R]:
    """Run a render function one call at a time (matplotlib is not thread-safe)."""

    @functools.wraps(render)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with _render_lock:
            return render(*args, **kwargs)

    return wrapper


@dataclass(frozen=True, slots=True)
class Rows:
    """How a list fills the page: rows shown, each row's height, the body's height."""

    shown: int
    height: float
    body: int


def rows_layout(count: int, *, row: int, full: int, smallest: int, limit: int, empty: int) -> Rows:
    """`row` px a row up to `full` rows; then rows shrink, keeping the body at `full` × `row`
    px, down to `smallest` px, and the body grows. At most `limit` rows are shown; no rows
    leave an `empty` px message. More rows never make a shorter picture."""
    shown = min(count, limit)
    if not shown:
        return Rows(0, 0.0, empty)
    body = shown * row if shown <= full else max(full * row, shown * smallest)
    return Rows(shown, body / shown, body)


class Canvas:
    """A fixed-size white page to place text and shapes on, in pixels.

    Text is drawn from the shipped font's glyph outlines (`charts.fonts.outline`), all of
    it as one PathCollection: a ranked list has a hundred short strings, and a matplotlib
    Text artist each cost six times as much to draw.
    """

    def __init__(self, height: int, width: int = WIDTH) -> None:
        register()
        self.width, self.height = width, height
        self.figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=WHITE)
        self.agg = FigureCanvasAgg(self.figure)
        self.pixels: Transform = (
            Affine2D().scale(1 / DPI, -1 / DPI).translate(0, height / DPI)
            + self.figure.dpi_scale_trans
        )
        self._boxes: list[Sequence[tuple[float, float]]] = []
        self._box_colours: list[str] = []
        self._texts: list[Path] = []
        self._text_colours: list[str] = []

    def text(
        self,
        x: float,
        y: float,
        s: str,
        size: float,
        colour: str = INK,
        *,
        ha: str = "left",
    ) -> float:
        """Text whose baseline starts (ha=left), is centred or ends (ha=right) at (x, y).

        Returns its width. Warns, as matplotlib does, for characters the font lacks.
        """
        s = s.translate(_CONTROLS)
        warn_missing(s)
        glyphs = [outline(c) for c in s]
        width = sum(g.advance for g in glyphs) * size
        if ha == "center":
            x -= width / 2
        elif ha == "right":
            x -= width
        pen = 0.0
        vertices: list[NDArray[np.float64]] = []
        codes: list[NDArray[np.uint8]] = []
        for glyph in glyphs:
            if len(glyph.codes):
                vertices.append(glyph.vertices + (pen, 0.0))
                codes.append(glyph.codes)
            pen += glyph.advance
        if vertices:
            points = np.concatenate(vertices) * (size, -size) + (x, y)
            self._texts.append(Path(points, np.concatenate(codes)))
            self._text_colours.append(colour)
        return width

    def centred_text(
        self, x: float, middle: float, s: str, size: float, colour: str = INK, *, ha: str = "left"
    ) -> float:
        """Text whose CJK em box is centred vertically on `middle`; returns its width."""
        return self.text(x, middle + 0.38 * size, s, size, colour, ha=ha)

    def measure(self, s: str, size: float) -> float:
        """The width of `s` in pixels."""
        return sum(outline(c).advance for c in s) * size

    def fit(self, s: str, width: float, size: int, smallest: int) -> tuple[str, int]:
        """`s` at the largest size ≤ `size` that fits `width`; cut with … below `smallest`."""
        em = self.measure(s, 1.0)
        if em * smallest > width:
            cut = s
            while len(cut) > 1 and self.measure(cut + "…", smallest) > width:
                cut = cut[:-1]
            return cut + "…", smallest
        return s, max(smallest, min(size, int(width / em) if em else size))

    def box(self, x: float, y: float, w: float, h: float, colour: str) -> None:
        """A filled rectangle (all boxes are drawn together, under everything else)."""
        if w > 0 and h > 0:
            self._boxes.append(((x, y), (x + w, y), (x + w, y + h), (x, y + h)))
            self._box_colours.append(colour)

    def circle(self, cx: float, cy: float, r: float, colour: str) -> None:
        """A filled circle."""
        self.figure.add_artist(
            Circle((cx, cy), r, facecolor=colour, edgecolor="none", transform=self.pixels)
        )

    def polygon(self, points: Sequence[tuple[float, float]], colour: str) -> None:
        """A filled polygon."""
        self.figure.add_artist(
            Polygon(points, closed=True, facecolor=colour, edgecolor="none", transform=self.pixels)
        )

    def flag(self, x: float, top: float, size: float) -> None:
        """A small red banner on a pole (流动红旗): emoji are in no CJK font, so it is drawn."""
        pole = max(2.0, size * 0.09)
        self.box(x, top, pole, size, "#8a5a2b")
        self.circle(x + pole / 2, top, pole * 0.9, GOLD)
        left, width, height = x + pole, size * 0.85, size * 0.6
        wave = [(i / 6, 0.07 * height * (1 if i % 2 else -1) * (i > 0)) for i in range(7)]
        upper = [(left + t * width, top + dy) for t, dy in wave]
        lower = [(left + t * width, top + height + dy) for t, dy in reversed(wave)]
        self.polygon(upper + lower, FLAG_RED)

    def legend(
        self, x: float, middle: float, items: Sequence[tuple[str, str]], size: int = 28
    ) -> float:
        """Pieces of text in their colours on one line ("flag" draws the flag); returns the end.

        A swatch ("■", "★", "●") sits close to the label after it; labels are spaced apart.
        """
        for piece, colour in items:
            if piece == "flag":
                self.flag(x, middle - size * 0.45, size * 0.9)
                x += size * 0.9 + 8
                continue
            x += self.centred_text(x, middle, piece, size, colour)
            x += 6 if piece in SWATCHES else 24
        return x

    def header(self, title: str, subtitle: str, height: int = 190) -> int:
        """The red title band; returns the y where the body starts."""
        self.box(0, 0, self.width, height, HEADER)
        text, size = self.fit(title, self.width - 96, 50, 34)
        self.text(48, 88, text, size, WHITE)
        text, size = self.fit(subtitle, self.width - 96, 30, 22)
        self.text(48, 148, text, size, HEADER_SUB)
        return height

    def png(self) -> bytes:
        """Draw and encode: RGB PNG, no metadata; same drawing → same bytes."""
        if self._boxes:
            boxes = PolyCollection(
                self._boxes,
                facecolors=self._box_colours,
                edgecolors="none",
                antialiaseds=False,
                transform=self.pixels,
                zorder=0,
            )
            self.figure.add_artist(boxes)
        if self._texts:
            texts = PathCollection(
                self._texts,
                facecolors=self._text_colours,
                edgecolors="none",
                transform=self.pixels,
                zorder=3,
            )
            texts.set_snap(False)
            self.figure.add_artist(texts)
        # matplotlib's backend_agg is unannotated (no .pyi): draw() and buffer_rgba() below
        # are untyped calls to mypy --strict.
        self.agg.draw()  # type: ignore[no-untyped-call]
        width, height = self.agg.get_width_height()
        if (width, height) != (self.width, self.height):
            raise RuntimeError(f"rendered {width}×{height}, meant {self.width}×{self.height}")
        try:
            return encode_rgba(np.asarray(self.agg.buffer_rgba()))  # type: ignore[no-untyped-call]
        finally:
            self.close()

    def close(self) -> None:
        """Free the figure now rather than whenever the garbage collector gets to it.

        A figure is a web of reference cycles (figure ↔ canvas ↔ artists) that only the
        cyclic collector frees, late; with it would go a 10 MB pixel buffer per render. So
        drop the renderer and the artists by hand: memory stays flat render after render.
        """
        self.agg.renderer = None
        self.figure.clear()
        self._texts.clear()
        self._boxes.clear()
