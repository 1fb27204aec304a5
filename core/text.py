"""Text hygiene shared by every input path: invisible characters and names.

A name copied from a web page or padded in Excel carries characters nobody sees: zero
width spaces, byte-order marks, soft hyphens, bidi controls, Hangul fillers, a full-width
space between the two characters of 「李　红」. Left in, they make look-alikes: a second
「办公室」, a person `--explain 李红` cannot find, a report that is only blanks.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing (or as blank) but are not in category Cf.
_BLANK_FILLERS = frozenset(
    {
        "\u115f",  # HANGUL CHOSEONG FILLER
        "\u1160",  # HANGUL JUNGSEONG FILLER
        "\u3164",  # HANGUL FILLER
        "\uffa0",  # HALFWIDTH HANGUL FILLER
        "\u2800",  # BRAILLE PATTERN BLANK
        "\u034f",  # COMBINING GRAPHEME JOINER
    }
)
_SPACES = re.compile(r"\s+")


def _invisible(char: str) -> bool:
    # Cf: format characters — U+200B…U+200F, U+202A…U+202E, U+2060…U+2064, U+FEFF, U+00AD…
    return char in _BLANK_FILLERS or unicodedata.category(char) == "Cf"


def visible(text: str) -> str:
    """`text` without format (Unicode Cf) and blank-filler characters."""
    if text.isascii():
        return text
    return "".join(char for char in text if not _invisible(char))


def is_blank(text: str) -> bool:
    """Whether nothing a reader can see is left once invisible characters and spaces go."""
    return not visible(text).strip()


def normalise_name(text: str) -> str:
    """A person's or department's name as stored and looked up.

    NFKC (full-width letters and digits to half-width), invisible characters removed,
    and every space removed when the name is Chinese (「李　红」 → 「李红」, 「办 公 室」 →
    「办公室」); a Latin name keeps single spaces between its words ("Anna Li").
    """
    cleaned = _SPACES.sub(" ", visible(unicodedata.normalize("NFKC", text))).strip()
    if _has_han(cleaned):
        return cleaned.replace(" ", "")
    return cleaned


def _has_han(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" for char in text)
