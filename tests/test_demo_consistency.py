"""The demo never contradicts itself (issue 22): what it shows at a moment saw exactly what had
happened by then, so every figure agrees with every other figure shown at the same moment.

The transcript is parsed, not compared with fixed numbers: the times shown run forward; the
流动红旗 and the department ranking of the weekly picture are those of `/rank` at the same
moment, and so are a department's board and its head's `/rank`; a department's filing rate
for a week is one number in the digest, in `/stats` and in the filing chart; the audit log
of the workbook carries the simulated times the transcript shows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from tests.conftest import DemoRun

pytestmark = pytest.mark.xdist_group("demo")  # one demo run per test session

STAMP = re.compile(r"\[(\d\d)-(\d\d) (\d\d):(\d\d)\]")
FIRST_YEAR = 2026
ZONE = ZoneInfo("Asia/Shanghai")  # the times shown are the unit's


def stamps(transcript: str) -> list[tuple[datetime, int]]:
    """Every simulated time shown, with its line number; a January after the summer is the
    next year's."""
    found = []
    year, last_month = FIRST_YEAR, 0
    for number, line in enumerate(transcript.splitlines(), 1):
        for month, day, hour, minute in STAMP.findall(line):
            if int(month) < last_month and int(month) + 12 - last_month <= 6:
                year += 1  # January after the summer: the next year
            last_month = int(month)
            found.append(
                (datetime(year, int(month), int(day), int(hour), int(minute), tzinfo=ZONE), number)
            )
    return found


def moments(transcript: str) -> dict[datetime, list[str]]:
    """The transcript's lines grouped by the last time shown before them."""
    grouped: dict[datetime, list[str]] = defaultdict(list)
    current: datetime | None = None
    year, last_month = FIRST_YEAR, 0
    for line in transcript.splitlines():
        found = STAMP.search(line)
        if found:
            month, day, hour, minute = map(int, found.groups())
            if month < last_month and month + 12 - last_month <= 6:
                year += 1
            last_month = month
            current = datetime(year, month, day, hour, minute, tzinfo=ZONE)
        if current is not None:
            grouped[current].append(line)
    return grouped


def test_the_times_shown_run_forward(demo_run: DemoRun) -> None:
    shown = stamps(demo_run.transcript)
    assert len(shown) > 100
    backwards = [(a, b) for a, b in zip(shown, shown[1:], strict=False) if b[0] < a[0]]
    assert backwards == [], f"a later line shows an earlier time: {backwards[:3]}"
    # the scheduled jobs sit among the day's events: the 17:00 reminders before 17:10
    text = demo_run.transcript
    assert text.index("⏰ [06-01 17:00] 日报提醒") < text.index("[06-01 17:10] 赵丽")
    assert text.index("⏰ [06-12 21:00] 每周排行榜") < text.index(
        "[06-12 21:00] 周敏 ▸ 私聊：/rank"
    )


RANKED = re.compile(r"(\d+)\. (\S+) (\d+\.\d\d)")


def ranking_in_picture(line: str) -> list[tuple[str, str, bool]]:
    """'（图中）1. 城东市场监管所 89.11🚩 2. …' → [(name, score, flag), …]."""
    body = line.split("（图中）", 1)[1]
    return [
        (name, score, body[match.end() : match.end() + 1] == "🚩")
        for match in RANKED.finditer(body)
        for _, name, score in [match.groups()]
    ]


def test_the_weekly_pictures_agree_with_rank_at_the_same_moment(demo_run: DemoRun) -> None:
    compared = 0
    for moment, lines in moments(demo_run.transcript).items():
        picture = [
            ranking_in_picture(next(x for x in lines[i + 1 : i + 4] if "（图中）" in x))
            for i, line in enumerate(lines)
            if "→ 全单位群：[图片" in line and "🏆 部门 " in line
        ]
        private = [
            i
            for i, line in enumerate(lines)
            if "🏆 部门" in line and " 排名（截至" in line and "[图片" not in line
        ]
        for start in private:
            listed = []
            for line in lines[start + 1 :]:
                found = re.match(r"\s+(\d+)\. (\S+) (\d+\.\d\d)( 🚩流动红旗)?$", line)
                if not found:
                    break
                listed.append((found[2], found[3], bool(found[4])))
            assert picture, f"{moment}: /rank without the weekly picture to compare"
            assert listed == picture[0], f"{moment}: the picture and /rank disagree"
            compared += 1
    assert compared >= 1


def test_a_department_board_agrees_with_its_heads_rank(demo_run: DemoRun) -> None:
    compared = 0
    for moment, lines in moments(demo_run.transcript).items():
        boards = {}
        for i, line in enumerate(lines):
            found = re.search(r"→ (\S+)群：\[图片 [^\]]+\] 🏆 (\S+) ", line)
            if found and found[1] == found[2] and found[1] != "全单位":
                alt = next(x for x in lines[i + 1 : i + 4] if "（图中）" in x)
                boards[found[2]] = [
                    (group, name, score)
                    for group, ranked in re.findall(
                        r"(?:【(\S+)】)?((?:\d+\. \S+ \d+\.\d\d★? ?)+)", alt
                    )
                    for _, name, score in RANKED.findall(ranked)
                ]
        for i, line in enumerate(lines):
            found = re.search(r"🏆 (\S+) \S+ 排名（截至", line)
            if not found or found[1] not in boards or "[图片" in line:
                continue
            listed, group = [], ""
            for row in lines[i + 1 :]:
                heading = re.match(r"\s+【(\S+)】$", row)
                ranked = re.match(r"\s+(\d+)\. (\S+) (\d+\.\d\d) ", row)
                if heading:
                    group = heading[1]
                elif ranked:
                    listed.append((group, ranked[2], ranked[3]))
                else:
                    break
            shown = boards[found[1]]
            assert [(n, s) for _, n, s in listed] == [(n, s) for _, n, s in shown], moment
            compared += 1
    assert compared >= 1


def test_a_department_filing_rate_for_a_week_is_one_number(demo_run: DemoRun) -> None:
    """(department, week's Monday, counted until) → every percentage shown for it on one
    evening: the 20:30 digest, /stats, the 21:00 filing chart (a backfill the next week may
    raise last week's rate later: that is another evening's figure)."""
    days: dict[date, list[str]] = defaultdict(list)
    for moment, lines in moments(demo_run.transcript).items():
        days[moment.date()].extend(lines)
    agreed = 0
    for day, lines in days.items():
        seen = rates_shown("\n".join(lines) + "\n")
        disagree = {key: rates for key, rates in seen.items() if len(rates) > 1}
        assert disagree == {}, (day, disagree)
        agreed += sum(1 for rates in seen.values() if rates)
    assert agreed > 20
    friday = rates_shown(demo_run.transcript.split("— 6月12日 周五 —", 1)[1])
    assert friday[("局领导", "6月8日", "6月12日")] == {75}  # digest, /stats and chart alike


def rates_shown(text: str) -> dict[tuple[str, str, str], set[int]]:
    """Filing rates in `text` by (department, week's Monday, counted until)."""
    seen: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for department, first, last, filed, due in re.findall(
        r"📰 (\S+) 本周（(\d+月\d+日)—(\d+月\d+日)）\n\s+日报 (\d+)/(\d+) 天", text
    ):
        seen[(department, first, last)].add(round(int(filed) / int(due) * 100))
    for until, body in re.findall(r"统计到 (\d+月\d+日)）\n((?:\s{9}.+\n)+)", text):
        for department, rate in re.findall(r"(\S+)（\d+人）\n\s+本周 填报 (\d+)%", body):
            if department != "合计":  # (the total differs by who asks)
                seen[(department, week_monday(until), until)].add(int(rate))
    for first, last, alt in re.findall(
        r"📊 各部门日报填报率：本周（(\d+月\d+日)—(\d+月\d+日)）与上周对比\n\s+（图中）(.+)", text
    ):
        before = (shifted(first, -7), shifted(last, -7))
        for part in alt.split("；"):
            found = re.fullmatch(r"(\S+) 本周(\d+%|—) 上周(\d+%|—)", part)
            assert found, part
            department, now, then = found.groups()
            if now != "—":
                seen[(department, first, last)].add(int(now.rstrip("%")))
            if then != "—":
                seen[(department, *before)].add(int(then.rstrip("%")))
    return seen


def shifted(label: str, days: int) -> str:
    """'6月12日', -7 → '6月5日' (2026)."""
    month, day = map(int, re.findall(r"\d+", label))
    moved = date.fromordinal(date(FIRST_YEAR, month, day).toordinal() + days)
    return f"{moved.month}月{moved.day}日"


def week_monday(label: str) -> str:
    """'6月12日' → '6月8日', the Monday of its week (2026)."""
    month, day = map(int, re.findall(r"\d+", label))
    shown = date(FIRST_YEAR, month, day)
    monday = date.fromordinal(shown.toordinal() - shown.weekday())
    return f"{monday.month}月{monday.day}日"


def test_audit_times_are_the_simulated_times_shown(demo_run: DemoRun) -> None:
    sheet = load_workbook(demo_run.folder / "平时考核-2026Q2.xlsx")["审计日志"]
    rows = [r for r in sheet.iter_rows(min_row=3, values_only=True) if isinstance(r[0], int)]
    undo = [r for r in rows if r[3] == "撤回" and "分值：-3" in str(r[5] or "")]
    assert undo, "the /undo of 06-04 is audited"
    assert "[06-04 17:02] 陈静 ▸ 办公室群：/undo" in demo_run.transcript
    assert str(undo[0][1]).startswith("2026-06-04 17:02")
    first = str(rows[0][1])
    assert first.startswith("2026-05-29"), first  # the roster's import, before the fortnight


def test_posted_pictures_keep_the_leaders_and_small_departments_private(
    demo_run: DemoRun,
) -> None:
    text = demo_run.transcript
    assert "→ 局领导群：[图片" not in text  # no 班子成员 board is posted (policy privacy)
    rankings = re.findall(r"全单位群：\[图片 [^\]]+\] 🏆 部门 .+\n.+\n\s+（图中）(.+)", text)
    assert rankings and all("局领导" not in r for r in rankings)  # nor ranked as a department
    boards = re.findall(r"🏆 \S+ .+\n.+\n\s+（图中）(【.+)", text)
    assert boards and all("【中层干部】" in b and "【一般工作人员】" in b for b in boards)
