"""Reading the State Council's holiday notice (国务院办公厅关于XXXX年部分节假日安排的通知).

The notice is plain text in a fixed style: a title with the year, then one numbered item
per holiday, 「一、元旦：1月1日（周三）放假1天，不调休。」, each made of clauses:

- a span of days off: 「1月31日至2月6日放假调休，共7天」, 「10月1日（周四）至7日（周三）放假」;
- 调休 workdays: 「1月26日（星期日）、2月8日（星期六）上班」;
- a 补休 day: 「4月7日（星期一）补休」;
- remarks that change nothing: 「不调休」, 「与周末连休」, 「共3天」 (checked against the span).

Full- and half-width punctuation, 周 and 星期 are all accepted; a weekday in brackets is
checked against its date. Every clause of every item must be understood: otherwise the
whole text is refused with the line that could not be read, so nothing half-read is
ever stored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from core.calendar import HolidayNotice

_TITLE_YEAR = re.compile(r"(\d{4})\s*年\s*(?:部分)?节假日")
_ITEM = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.]\s*([^:]{1,20}?)\s*:\s*(.+)$")
_BRACKETS = re.compile(r"\(([^()]*)\)")
_WEEKDAY = re.compile(r"(?:周|星期|礼拜)([一二三四五六日天])")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_DATE = r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日"
_SPAN = re.compile(rf"^{_DATE}(?:(?:至|到|-|~|—|–){_DATE})?放假(?:调休|公休)?(?:(\d+)天)?$")
_LIST_TAIL = re.compile(r"^(.+?)(上班|补休|补假)$")
_LIST_SPLIT = re.compile(r"、|和|及|与")
_ONE_DATE = re.compile(rf"^{_DATE}$")
_COUNT = re.compile(r"^共(\d+)天$")
_REMARKS = frozenset({"不调休", "与周末连休", "不补休", "连休"})
_MAX_SPAN = 15  # no holiday is longer (春节 2026: 9 days)


class NoticeError(ValueError):
    """The text is not a notice this parser fully understands; `line` is the culprit."""

    def __init__(self, message: str, line: str | None = None) -> None:
        self.line = line
        super().__init__(message if line is None else f"{message}：{line}")


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """One holiday of the notice, as understood (what `--dry-run` shows)."""

    name: str
    days_off: tuple[date, ...]
    workdays: tuple[date, ...]


@dataclass(frozen=True, slots=True)
class ParsedNotice:
    """The notice's items, and the year's schedule they make."""

    year: int
    items: tuple[NoticeItem, ...]

    def notice(self) -> HolidayNotice:
        """The schedule as the calendar uses it."""
        return HolidayNotice(
            self.year,
            frozenset(day for item in self.items for day in item.days_off),
            frozenset(day for item in self.items for day in item.workdays),
        )


def _plain(text: str) -> str:
    # NFKC turns full-width （）：，０-９ into their half-width forms
    return unicodedata.normalize("NFKC", text).replace("\u200b", "").replace("\ufeff", "")


def find_year(text: str) -> int | None:
    """The year the notice is about, from its title (「关于2026年部分节假日安排」)."""
    match = _TITLE_YEAR.search(_plain(text))
    return int(match.group(1)) if match else None


def parse_notice(text: str, *, year: int | None = None) -> ParsedNotice:
    """The notice's days off and 调休 workdays; NoticeError for anything not understood."""
    plain = _plain(text)
    year = year or find_year(plain)
    if year is None:
        raise NoticeError(
            "找不到通知的年份（标题应是「国务院办公厅关于XXXX年部分节假日安排的通知」）"
        )
    items: list[NoticeItem] = []
    for raw in text.splitlines():
        line = re.sub(r"\s+", "", _plain(raw))
        match = _ITEM.match(line)
        if match is None:
            continue
        items.append(_parse_item(year, match.group(1), match.group(2), raw.strip()))
    if not items:
        raise NoticeError("没有找到放假安排（应有「一、元旦：1月1日放假……」这样的条目）")
    seen: dict[date, str] = {}
    for item in items:
        for day in (*item.days_off, *item.workdays):
            if day in seen:
                raise NoticeError(f"{day:%m月%d日}在「{seen[day]}」和「{item.name}」里都出现了")
            seen[day] = item.name
    return ParsedNotice(year, tuple(items))


def _parse_item(year: int, name: str, body: str, line: str) -> NoticeItem:
    days_off: list[date] = []
    workdays: list[date] = []
    for sentence in (s for s in re.split(r"[。;；]", body) if s):
        span: list[date] = []
        for clause in (c for c in re.split(r"[,，]", sentence) if c):
            bare = _strip_brackets(clause, year, line)
            if bare in _REMARKS:
                continue
            if (count := _COUNT.match(bare)) is not None:
                if int(count.group(1)) not in _lengths(span, days_off):
                    raise NoticeError("天数和日期对不上", line)
                continue
            if (match := _SPAN.match(bare)) is not None:
                span = _span(year, match, line)
                days_off.extend(span)
                continue
            if (tail := _LIST_TAIL.match(bare)) is not None:
                listed = [_one_date(year, part, line) for part in _LIST_SPLIT.split(tail.group(1))]
                (workdays if tail.group(2) == "上班" else days_off).extend(listed)
                continue
            raise NoticeError("这一行有看不懂的内容", line)
    if not days_off:
        raise NoticeError("这一条没有放假日期", line)
    return NoticeItem(name, tuple(sorted(set(days_off))), tuple(sorted(set(workdays))))


def _lengths(span: list[date], days_off: list[date]) -> set[int]:
    """The day counts a 「共N天」 may state: the span just read, or the whole holiday."""
    counts = {len(span)} if span else set()
    if days_off:
        counts.add((max(days_off) - min(days_off)).days + 1)
    return counts


def _strip_brackets(clause: str, year: int, line: str) -> str:
    """The clause without its bracketed remarks; a weekday in one is checked."""
    pieces = _BRACKETS.split(clause)
    bare = "".join(pieces[0::2])
    for remark, before in zip(pieces[1::2], pieces[0::2], strict=False):
        weekday = _WEEKDAY.search(remark)
        date_before = re.search(rf"{_DATE}$", before)
        if weekday is None or date_before is None:
            continue
        # the bracket follows its date; the month may be only in an earlier clause part
        day = _date_of(year, date_before, 0, line, month_from=_last_month(bare, before))
        if day.weekday() != _WEEKDAYS[weekday.group(1)]:
            raise NoticeError(f"{day:%m月%d日}不是{weekday.group(0)}", line)
    if "(" in bare or ")" in bare:
        raise NoticeError("括号不配对", line)
    return bare


def _last_month(bare: str, before: str) -> int | None:
    months = re.findall(r"(\d{1,2})月", bare[: bare.find(before) + len(before)] or before)
    return int(months[-1]) if months else None


def _date_of(
    year: int, match: re.Match[str], offset: int, line: str, *, month_from: int | None = None
) -> date:
    y, m, d = match.group(offset + 1, offset + 2, offset + 3)
    month = int(m) if m else month_from
    if month is None:
        raise NoticeError("日期缺少月份", line)
    try:
        return date(int(y) if y else year, month, int(d))
    except ValueError as exc:
        raise NoticeError("日期不存在", line) from exc


def _span(year: int, match: re.Match[str], line: str) -> list[date]:
    start = _date_of(year, match, 0, line)
    if match.group(6) is None:
        days = [start]
    else:
        end = _date_of(year, match, 3, line, month_from=start.month)
        if end < start and match.group(4) is None:
            end = end.replace(year=end.year + 1)  # 12月31日至1月2日
        if not start <= end <= start + timedelta(days=_MAX_SPAN):
            raise NoticeError("放假日期的起止不对", line)
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    count = match.group(7)
    if count is not None and int(count) != len(days):
        raise NoticeError("天数和日期对不上", line)
    return days


def _one_date(year: int, text: str, line: str) -> date:
    match = _ONE_DATE.match(text)
    if match is None:
        raise NoticeError("这一行有看不懂的日期", line)
    return _date_of(year, match, 0, line)
