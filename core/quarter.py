"""Quarters (季度), the period every score and grade belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_SPEC = re.compile(r"^\s*(\d{4})\s*[Qq-]?\s*([1-4])\s*$")


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
        """'2026Q4' (also '2026-4', '2026q4'); ValueError otherwise."""
        match = _SPEC.match(text)
        if not match:
            raise ValueError(f"not a quarter: {text!r} (expected e.g. 2026Q4)")
        return cls(int(match[1]), int(match[2]))

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
