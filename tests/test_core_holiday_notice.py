"""The State Council notice parser: the real notices, the styles they use, refusals."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from core.calendar import Source, WorkCalendar
from core.holiday_notice import NoticeError, parse_notice

NOTICES = Path(__file__).parent / "data" / "notices"


@pytest.mark.parametrize("year", [2014, 2025, 2026])
def test_each_real_notice_reproduces_chinese_calendar(year: int) -> None:
    parsed = parse_notice((NOTICES / f"{year}.txt").read_text(encoding="utf-8"))
    assert parsed.year == year
    calendar = WorkCalendar().with_notices([parsed.notice()])
    assert calendar.source(year) is Source.NOTICE
    day, different = date(year, 1, 1), []
    while day.year == year:
        if calendar.is_workday(day) != chinese_calendar.is_workday(day):
            different.append(day)
        day += timedelta(days=1)
    assert different == []


def notice(*items: str, year: int = 2027) -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知\n\n" + "\n".join(items)


@pytest.mark.parametrize(
    ("item", "off", "work"),
    [
        ("一、元旦：1月1日（周五）放假1天，不调休。", ["2027-01-01"], []),
        (
            "二、春节：2月5日至2月11日放假调休，共7天。2月14日（星期日）、2月20日（星期六）上班。",
            [f"2027-02-{d:02}" for d in range(5, 12)],
            ["2027-02-14", "2027-02-20"],
        ),
        ("三、清明节：4月3日放假，4月5日(星期一)补休。", ["2027-04-03", "2027-04-05"], []),
        ("五、端午节：6月9日放假，与周末连休。", ["2027-06-09"], []),
        (
            "七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）上班。",
            [f"2027-10-0{d}" for d in range(1, 8)],
            ["2027-09-26"],
        ),
        (
            "一、元旦:1月1日(周五)至3日(周日)放假,共3天.",
            ["2027-01-01", "2027-01-02", "2027-01-03"],
            [],
        ),
        (
            "一、元旦：2027年1月1日至3日放假调休，共3天。2026年12月26日（星期六）上班。",
            ["2027-01-01", "2027-01-02", "2027-01-03"],
            ["2026-12-26"],
        ),
    ],
)
def test_the_styles_notices_use(item: str, off: list[str], work: list[str]) -> None:
    parsed = parse_notice(notice(item.replace(".", "。")))
    schedule = parsed.notice()
    assert sorted(d.isoformat() for d in schedule.days_off) == off
    assert sorted(d.isoformat() for d in schedule.workdays) == work


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (notice("一、元旦：1月1日（周四）放假1天。"), "不是周四"),
        (notice("一、元旦：1月1日放假1天，另行通知。"), "一、元旦：1月1日放假1天，另行通知。"),
        (notice("一、春节：2月5日至11日放假调休，共8天。"), "天数和日期对不上"),
        (notice("一、元旦：2月30日放假。"), "日期不存在"),
        ("一、元旦：1月1日放假。", "年份"),
        (notice("各地区要妥善安排好值班。"), "没有找到放假安排"),
        (notice("一、元旦：1月1日放假。", "二、春节：1月1日放假。"), "都出现了"),
    ],
)
def test_what_is_not_fully_understood_is_refused_with_the_line(text: str, says: str) -> None:
    with pytest.raises(NoticeError) as caught:
        parse_notice(text)
    assert says in str(caught.value)
