"""The charts' Chinese font: found, registered with matplotlib and resolved here, once.

The package ships `fontdata/KaoheSansSC-Regular.otf` (a subset of Noto Sans CJK SC, OFL-1.1;
see `fontdata/README.md`), so Chinese renders the same on any machine with nothing installed.
Two ways in, both to this one file:

- `font(size)`: FontProperties by family name, for matplotlib text (axes, ticks). Only this
  family is named, so a character it lacks shows up as matplotlib's "Glyph … missing"
  warning instead of silently falling back to another font.
- `outline(char)`: the glyph's outline, cached, for `charts._canvas`, which draws the ranked
  lists' many short strings as paths in one go (six times faster than a Text artist each);
  `warn_missing` warns for a lacking character with matplotlib's wording.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from matplotlib import font_manager, ft2font
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font
from numpy.typing import NDArray

FAMILY = "Kaohe Sans SC"
FONT_FILE = Path(__file__).resolve().parent / "fontdata" / "KaoheSansSC-Regular.otf"

# matplotlib ≥ 3.10 names its load flags in an enum; 3.8 and 3.9 have a plain constant
NO_HINTING = (
    ft2font.LoadFlags.NO_HINTING
    if hasattr(ft2font, "LoadFlags")
    else vars(ft2font)["LOAD_NO_HINTING"]
)

_lock = threading.RLock()
_registered = False


def register() -> str:
    """Add the shipped font to matplotlib's font manager (once per process); its family name.

    Raises RuntimeError if matplotlib then resolves the family to any other file.
    """
    global _registered  # noqa: PLW0603 — the one piece of process state the charts keep
    with _lock:
        if not _registered:
            font_manager.fontManager.addfont(FONT_FILE)
            found = font_manager.fontManager.findfont(
                FontProperties(family=FAMILY), fallback_to_default=False
            )
            if Path(found).resolve() != FONT_FILE:
                raise RuntimeError(f"{FAMILY} resolved to {found}, not {FONT_FILE}")
            _registered = True
    return FAMILY


@lru_cache(maxsize=256)
def font(size: float) -> FontProperties:
    """Font properties for the shipped font at `size` points (shared; artists copy them)."""
    register()
    return FontProperties(family=FAMILY, size=size)


@dataclass(frozen=True, slots=True)
class Outline:
    """A glyph's outline in em units (y up, origin on the baseline) and its advance width."""

    vertices: NDArray[np.float64]
    codes: NDArray[np.uint8]
    advance: float


_OUTLINE_SIZE = 100.0  # load outlines at 100 px per em: plenty of precision, then scale


@lru_cache(maxsize=1)
def _face() -> FT2Font:
    face = FT2Font(str(FONT_FILE))
    face.set_size(_OUTLINE_SIZE, 72)
    return face


@lru_cache(maxsize=1)
def charmap() -> frozenset[int]:
    """The code points the shipped font has glyphs for."""
    with _lock:
        return frozenset(_face().get_charmap())


def outline(char: str) -> Outline:
    """The unhinted outline of one character of the shipped font (.notdef if it lacks it)."""
    with _lock:
        return _outline(char)


@lru_cache(maxsize=4096)  # a few thousand distinct characters at most, a few KB each
def _outline(char: str) -> Outline:
    face = _face()
    index = face.get_char_index(ord(char))  # 0, the .notdef box, for a character it lacks
    glyph = face.load_glyph(index, flags=NO_HINTING)
    vertices, codes = face.get_path()
    scale = 1 / _OUTLINE_SIZE
    advance = glyph.linearHoriAdvance / 65536 * scale
    return Outline(vertices * scale, codes.astype(np.uint8), advance)


def missing(text: str) -> list[str]:
    """The characters of `text` that the shipped font lacks, in order, without repeats."""
    have = charmap()
    return list(dict.fromkeys(c for c in text if ord(c) not in have))


def warn_missing(text: str) -> None:
    """Warn, as matplotlib does, for each character the shipped font lacks."""
    for char in missing(text):
        name = char.encode("ascii", "namereplace").decode("ascii")
        warnings.warn(
            f"Glyph {ord(char)} ({name}) missing from font(s) {FAMILY}.", UserWarning, stacklevel=3
        )
