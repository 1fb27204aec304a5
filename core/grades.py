"""Grade scales: quarterly 好 / 较好 / 一般 / 较差; annual 优秀 / 称职 / 基本称职 / 不称职."""

from __future__ import annotations

from enum import StrEnum


class Grade(StrEnum):
    """A quarterly (平时考核) grade; the value is the policy-file spelling."""

    GOOD = "good"
    FAIRLY_GOOD = "fairly_good"
    AVERAGE = "average"
    POOR = "poor"

    @property
    def label(self) -> str:
        """The Chinese name of the grade."""
        return GRADE_LABELS[self]

    @property
    def level(self) -> int:
        """0 for the best grade, 3 for the worst."""
        return GRADE_ORDER.index(self)

    @property
    def needs_talk(self) -> bool:
        """Whether a feedback talk is mandatory after this grade (DESIGN §6)."""
        return self in (Grade.AVERAGE, Grade.POOR)


GRADE_ORDER: tuple[Grade, ...] = (Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR)
GRADE_LABELS: dict[Grade, str] = {
    Grade.GOOD: "好",
    Grade.FAIRLY_GOOD: "较好",
    Grade.AVERAGE: "一般",
    Grade.POOR: "较差",
}


def worse(a: Grade, b: Grade) -> Grade:
    """The lower of two grades."""
    return a if a.level >= b.level else b


class AnnualGrade(StrEnum):
    """An annual (年度考核) grade; the value is the policy-file spelling."""

    EXCELLENT = "excellent"
    COMPETENT = "competent"
    BASIC = "basic"
    INCOMPETENT = "incompetent"

    @property
    def label(self) -> str:
        """The Chinese name of the grade."""
        return ANNUAL_LABELS[self]

    @property
    def level(self) -> int:
        """0 for the best grade, 3 for the worst."""
        return ANNUAL_ORDER.index(self)


ANNUAL_ORDER: tuple[AnnualGrade, ...] = (
    AnnualGrade.EXCELLENT,
    AnnualGrade.COMPETENT,
    AnnualGrade.BASIC,
    AnnualGrade.INCOMPETENT,
)
ANNUAL_LABELS: dict[AnnualGrade, str] = {
    AnnualGrade.EXCELLENT: "优秀",
    AnnualGrade.COMPETENT: "称职",
    AnnualGrade.BASIC: "基本称职",
    AnnualGrade.INCOMPETENT: "不称职",
}
