"""Dates as people type them at a terminal or in a form: 2026-06-12, 2026/6/12,
2026年6月12日, 6-12 (this year). Pure: `today` is given."""

from __future__ import annotations

import unicodedata
from datetime import date

from core.reports import FULL_DAY, SHORT_DAY  # the forms chat accepts, read the same way


class BadDay(ValueError):
    """A date that could not be read; its message is for the user."""

    def __init__(self, text: str) -> None:
        super().__init__(f"看不懂日期「{text}」，请写成 2026-06-12、2026/6/12 或 6-12")
        self.text = text


def parse_date(text: str, *, today: date) -> date:
    """A day: year, month and day (2026-06-12, 2026/6/12, 2026.6.12, 2026年6月12日), or
    month and day of `today`'s year (6-12, 6/12, 6月12日); full-width digits too."""
    word = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    try:
        if match := FULL_DAY.match(word):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := SHORT_DAY.match(word):
            return date(today.year, int(match[1]), int(match[2]))
    except ValueError as exc:  # 2026-02-30
        raise BadDay(text.strip()) from exc
    raise BadDay(text.strip())
