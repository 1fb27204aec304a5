"""Row ids as people type them (`/void 12`) or buttons carry them (`rv:12`).

Anything else — signs, spaces, non-ASCII digits such as 「１」 or 「²」, or a number too
big for the database's INTEGER (SQLite and PostgreSQL refuse those with an error, not a
miss) — is no id, so a forged or mistyped one is answered like an unknown one."""

from __future__ import annotations

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER; SQLite's is wider


def is_id(text: str) -> bool:
    """Whether `text` is a row id that can exist."""
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


def parse_id(text: str) -> int:
    """The row id in `text`; ValueError if it is none (see `is_id`)."""
    if not is_id(text):
        raise ValueError(f"not a row id: {text[:20]!r}")
    return int(text)
