"""Quarters and dates as typed at the terminal (`kaohe score --quarter … --as-of …`)."""

from datetime import date

import pytest

from core.dates import BadDay, parse_date
from core.quarter import BadQuarter, Quarter

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    "text",
    ["2026Q2", "2026q2", "2026-Q2", "2026-2", "2026 Q2", "2026年第二季度", "2026年第2季度",
     "2026年二季度", "２０２６Ｑ２", " 2026Q2 "],
)  # fmt: skip
def test_quarter_forms(text: str) -> None:
    assert Quarter.parse(text) == Quarter(2026, 2)


@pytest.mark.parametrize("text", ["26Q9", "2026Q5", "2026年第五季度", "Q2", "", "2026-06"])
def test_bad_quarter_says_how_to_write_it(text: str) -> None:
    with pytest.raises(BadQuarter) as caught:
        Quarter.parse(text)
    assert str(caught.value).startswith("看不懂季度")
    assert "2026Q2 或 2026年第二季度" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-06-12", date(2026, 6, 12)),
        ("2026/6/12", date(2026, 6, 12)),
        ("2026/06/12", date(2026, 6, 12)),
        ("2026.6.12", date(2026, 6, 12)),
        ("2026年6月12日", date(2026, 6, 12)),
        ("6-12", date(2026, 6, 12)),
        ("6/12", date(2026, 6, 12)),
        ("6月12日", date(2026, 6, 12)),
        ("２０２５－０６－１２", date(2025, 6, 12)),
    ],
)
def test_date_forms(text: str, day: date) -> None:
    assert parse_date(text, today=TODAY) == day


@pytest.mark.parametrize("text", ["2026-02-30", "12-32", "昨天吧", "20260612x", ""])
def test_bad_date_is_said_in_chinese(text: str) -> None:
    with pytest.raises(BadDay) as caught:
        parse_date(text, today=TODAY)
    assert str(caught.value).startswith("看不懂日期")
