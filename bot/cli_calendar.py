"""`kaohe calendar import|show`: the year's holiday notice and where each day comes from."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.calendars import calendar_from_db, understood
from bot.config import Settings
from bot.policies import load_policy
from core.calendar import WorkCalendar
from core.holiday_notice import NoticeError, ParsedNotice, parse_notice
from storage import calendar as store
from storage.notice_io import NoticeFileError, read_notice_text
from storage.people import get_unit

Out = Callable[[str], None]
MIN_YEAR, MAX_YEAR = 2000, 2100


def add_parser(sub: Any) -> None:
    """Register `kaohe calendar` on the CLI's subparsers."""
    cal = sub.add_parser("calendar", help="节假日安排：导入国务院通知，或查看某一年")
    cal_sub = cal.add_subparsers(dest="action", required=True, title="操作", metavar="操作")
    imp = cal_sub.add_parser("import", help="导入国务院办公厅节假日安排通知（.txt / .docx）")
    imp.add_argument("file", type=Path, metavar="通知文件", help="从网页保存的 .txt 或 .docx")
    imp.add_argument("--dry-run", action="store_true", help="只显示读到的内容，不保存")
    imp.add_argument("--yes", action="store_true", help="不再询问，直接保存")
    show = cal_sub.add_parser("show", help="某一年的放假日和调休上班日，及其来源")
    show.add_argument("year", type=int, metavar="年份", help="如 2026")
    show.add_argument("--json", action="store_true", help="输出 JSON，供程序读取")


def read_and_parse(path: Path) -> tuple[str, ParsedNotice]:
    """The file's text and what it says; NoticeError / NoticeFileError otherwise."""
    text = read_notice_text(path)
    return text, parse_notice(text)


async def run_import(
    args: argparse.Namespace,
    settings: Settings,
    session: AsyncSession,
    out: Out,
    err: Out,
    ask: Callable[[str], str] = input,
) -> int:
    """Parse, show, confirm, store (audited)."""
    try:
        text, parsed = read_and_parse(args.file)
    except (NoticeError, NoticeFileError) as exc:
        err(f"没有导入：{exc}")
        return 1
    out(understood(parsed))
    existing = await store.notice_row(session, year=parsed.year)
    if existing is not None:
        out(
            texts.notice_replaces(
                parsed.year, existing.imported_by, f"{existing.imported_at:%Y-%m-%d}"
            )
        )
    if args.dry_run:
        out("演练：没有写入。")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            err("请确认后加 --yes 再运行（或先用 --dry-run 查看）。没有写入。")
            return 1
        if ask("确认导入？[y/N] ").strip().lower() not in {"y", "yes", "是"}:
            out("已取消，没有写入。")
            return 1
    unit = await get_unit(session)
    await store.save_notice(
        session,
        notice=parsed.notice(),
        text=text,
        actor="cli",
        unit_id=unit.id if unit else None,
    )
    await session.commit()
    out(f"已导入 {parsed.year} 年放假安排（各个运行中的 kaohe 一分钟内生效，无需重启）。")
    return 0


def year_json(calendar: WorkCalendar, year: int) -> dict[str, Any]:
    """`calendar show --json`: the contract of issue 17."""
    days_off, extra_workdays = calendar.year_facts(year)
    return {
        "year": year,
        "source": calendar.source(year).value,
        "days_off": [d.isoformat() for d in days_off],
        "extra_workdays": [d.isoformat() for d in extra_workdays],
    }


def _origin(calendar: WorkCalendar, day: date) -> str:
    if day in calendar.rules.extra_holidays or day in calendar.rules.extra_workdays:
        return texts.CALENDAR_SOURCES["policy"]
    return texts.CALENDAR_SOURCES[calendar.source(day.year).value]


def _fact_line(calendar: WorkCalendar, day: date) -> str:
    return f"  {day.isoformat()} 周{texts.WEEKDAY_NAMES[day.weekday()]}  {_origin(calendar, day)}"


async def run_show(
    args: argparse.Namespace, settings: Settings, session: AsyncSession, out: Out, err: Out
) -> int:
    """The year's calendar and where each fact comes from."""
    if not MIN_YEAR <= args.year <= MAX_YEAR:
        err(f"年份应在 {MIN_YEAR}–{MAX_YEAR} 之间。")
        return 2
    policy = load_policy(settings.policy)
    calendar = await calendar_from_db(session, policy.calendar)
    if args.json:
        out(json.dumps(year_json(calendar, args.year), ensure_ascii=False, indent=2))
        return 0
    year = args.year
    source = calendar.source(year)
    out(f"{year} 年工作日历：{texts.CALENDAR_SOURCES[source.value]}")
    row = await store.notice_row(session, year=year)
    if row is not None:
        out(f"通知由 {row.imported_by} 于 {row.imported_at:%Y-%m-%d %H:%M} UTC 导入")
    days_off, workdays = calendar.year_facts(year)
    out(f"不上班的工作日（{len(days_off)} 天）：")
    for day in days_off:
        out(
            f"  {day.isoformat()} 周{texts.WEEKDAY_NAMES[day.weekday()]}  {_origin(calendar, day)}"
        )
    out(f"上班的周末（{len(workdays)} 天）：")
    for day in workdays:
        out(
            f"  {day.isoformat()} 周{texts.WEEKDAY_NAMES[day.weekday()]}  {_origin(calendar, day)}"
        )
    if not calendar.known(date(year, 6, 1)):
        out("提示：调休上班日未知。国务院通知发布后：kaohe calendar import 通知.txt")
    return 0
