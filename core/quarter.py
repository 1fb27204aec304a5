"""Quarters (季度), the period every score and grade belongs to."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

# 2026Q4, 2026q4, 2026-Q4, 2026-4, 2026 Q4
_SPEC = re.compile(r"^(\d{4})[-_/ ]?[Qq]?([1-4])$")
# 2026年第四季度, 2026年第4季度, 2026年四季度, 2026第4季度
_CHINESE = re.compile(r"^(\d{4})年?第?([1-4一二三四])季度?$")
_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4}


class BadQuarter(ValueError):
    """A quarter that could not be read; its message is for the user."""

    def __init__(self, text: str) -> None:
        super().__init__(f"看不懂季度「{text}」，请写成 2026Q2 或 2026年第二季度")
        self.text = text


@dataclass(frozen=True, slots=True, order=True)
class Quarter:
    """A calendar quarter, e.g. 2026Q4."""

    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter a day falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """'2026Q4' (also '2026-Q4', '2026-4', '2026q4', '2026年第四季度', '2026年第4季度',
        full-width digits); BadQuarter (a ValueError) otherwise."""
        word = unicodedata.normalize("NFKC", text).strip()
        if match := _SPEC.match(word):
            return cls(int(match[1]), int(match[2]))
        if match := _CHINESE.match(word.replace(" ", "")):
            number = _NUMERALS.get(match[2]) or int(match[2])
            return cls(int(match[1]), number)
        raise BadQuarter(text.strip())

    @property
    def start(self) -> date:
        """First day."""
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """Last day."""
        following = self.next().start
        return following - timedelta(days=1)

    def next(self) -> Quarter:
        """The quarter after this one."""
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        """2026年第4季度."""
        return f"{self.year}年第{self.number}季度"
