"""Regenerate the CJK font the charts ship (a build-time step; the result is committed).

    apt-get install fonts-noto-cjk unicode-data      # Debian / Ubuntu
    pip install fonttools                            # (matplotlib already needs it)
    python -m charts.make_font          # rewrites charts/fontdata/KaoheSansSC-Regular.otf

Source: Noto Sans CJK SC Regular (in Debian's NotoSansCJK-Regular.ttc, OFL-1.1). Kept: every
character of GBK (all 20,902 URO hanzi plus GBK's symbols, kana, Greek, Cyrillic), every
character of the 通用规范汉字表 (8,105 hanzi, from Unihan's kTGH field, including its
extension-A/B name characters such as 䶮 and 𬌗), ASCII, Latin-1, general punctuation, CJK
punctuation and fullwidth forms — only what the source font has. Dropped: hinting (matplotlib
hints automatically), vertical metrics, every OpenType feature but kerning. Renamed "Kaohe
Sans SC" so that it never collides with an installed Noto, and because the OFL asks a modified
font to carry its own name. The output is byte-for-byte reproducible for a given source font and
fontTools version (no timestamp is rewritten).
"""

from __future__ import annotations

import argparse
import bz2
import sys
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

NOTO_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
UNIHAN_MAPPINGS = Path("/usr/share/unicode/Unihan_OtherMappings.txt.bz2")
OUTPUT = Path(__file__).resolve().parent / "fontdata" / "KaoheSansSC-Regular.otf"
SC_FAMILY = "Noto Sans CJK SC"

FAMILY = "Kaohe Sans SC"
POSTSCRIPT = "KaoheSansSC-Regular"

EXTRA_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: · × ÷ ° ±
    (0x2010, 0x205E),  # general punctuation: — ‘’ “” … ‰
    (0x2190, 0x2193),  # arrows ← ↑ → ↓
    (0x2212, 0x2212),  # minus sign (matplotlib's negative tick labels)
    (0x2460, 0x2473),  # ① … ⑳
    (0x25A0, 0x25FF),  # geometric shapes ■ ▲ ● ◆
    (0x2605, 0x2606),  # ★ ☆ (绩效之星)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF01, 0xFF5E),  # fullwidth forms
    (0xFFE0, 0xFFE6),  # fullwidth signs ￥
)


def gbk_characters() -> set[int]:
    """Every character GBK can encode in two bytes (GB2312's 6,763 hanzi included)."""
    found: set[int] = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                text = bytes((lead, trail)).decode("gbk")
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                found.add(ord(text))
    return found


def tgh_characters(path: Path) -> set[int]:
    """The 通用规范汉字表 (2013): Unihan's kTGH field."""
    found: set[int] = set()
    with bz2.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            fields = line.split("\t")
            if len(fields) >= 2 and fields[1] == "kTGH":
                found.add(int(fields[0][2:], 16))
    return found


def wanted(unihan: Path) -> set[int]:
    """All code points the subset should keep (before intersecting with the source font)."""
    extra = {cp for low, high in EXTRA_RANGES for cp in range(low, high + 1)}
    return gbk_characters() | tgh_characters(unihan) | extra


def open_sc(ttc: Path) -> TTFont:
    """The Simplified Chinese face of the Noto Sans CJK collection."""
    number = 0
    while True:
        font = TTFont(ttc, fontNumber=number, recalcTimestamp=False)
        if font["name"].getDebugName(1) == SC_FAMILY:
            return font
        number += 1


def rename(font: TTFont) -> None:
    """Give the subset its own family name in the name table and the CFF table."""
    version = font["name"].getDebugName(5) or ""
    names = {
        1: FAMILY,
        3: f"{version.split(';')[0].removeprefix('Version ')};KAOHE;{POSTSCRIPT}",
        4: FAMILY,
        6: POSTSCRIPT,
        10: "Subset of Noto Sans CJK SC Regular (GBK + 通用规范汉字表) for the kaohe charts.",
    }
    table = font["name"]
    table.names = [r for r in table.names if r.nameID not in (*names, 16, 17)]
    for name_id, text in names.items():
        table.setName(text, name_id, 3, 1, 0x409)
    cff = font["CFF "].cff
    old = cff.fontNames[0]
    cff.fontNames = [POSTSCRIPT]
    top = cff.topDictIndex[0]
    top.FullName = FAMILY
    top.FamilyName = FAMILY
    for fd in getattr(top, "FDArray", ()):
        fd.FontName = fd.FontName.replace(old, POSTSCRIPT)


def make(ttc: Path, unihan: Path, output: Path) -> tuple[int, int, list[int]]:
    """Write the subset; return (characters kept, glyphs, requested characters not in Noto)."""
    font = open_sc(ttc)
    cmap = font.getBestCmap()
    requested = wanted(unihan)
    keep = requested & cmap.keys()
    options = subset.Options()
    options.hinting = False
    options.layout_features = ["kern"]
    options.drop_tables += ["BASE", "VORG", "vhea", "vmtx", "GSUB", "DSIG"]
    options.name_IDs = ["*"]
    options.name_languages = [0x409]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(keep))
    subsetter.subset(font)
    rename(font)
    output.parent.mkdir(parents=True, exist_ok=True)
    font.save(output)
    return len(keep), len(font.getGlyphOrder()), sorted(requested - cmap.keys())


def _han(codepoints: Iterable[int]) -> int:
    return sum(1 for cp in codepoints if 0x3400 <= cp <= 0x9FFF or cp >= 0x20000)


def main(argv: list[str] | None = None) -> int:
    """Command line: regenerate the font and say what it holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ttc", type=Path, default=NOTO_TTC)
    parser.add_argument("--unihan", type=Path, default=UNIHAN_MAPPINGS)
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    kept, glyphs, missing = make(args.ttc, args.unihan, args.output)
    font = TTFont(args.output, lazy=True)
    han = _han(font.getBestCmap())
    size = args.output.stat().st_size
    sys.stdout.write(
        f"{args.output}: {size:,} bytes, {kept:,} characters ({han:,} hanzi), {glyphs:,} glyphs;"
        f" {len(missing)} requested characters are not in Noto Sans CJK SC "
        f"({_han(missing)} of them hanzi)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
