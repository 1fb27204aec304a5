"""`kaohe annual` (年度考核) and `kaohe pool` (激励资金分配) on the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from bot import texts
from bot.annual import (
    AnnualView,
    annual_json,
    annual_rows,
    annual_view,
    explain_row,
)
from bot.annual_export import pool_workbook
from bot.config import Settings
from bot.policies import load_policy
from bot.pool import BadAmount, PoolRefusal, compute_pool, parse_amount
from core.calendar import WorkCalendar
from core.quarter import Quarter


def add_parsers(sub: Any, day: Callable[[str], date] | None = None) -> None:
    """Register `kaohe annual` and `kaohe pool`; `day` reads a date argument."""
    from bot.cli_args import date_type, quarter_type

    day = day or date_type()
    annual = sub.add_parser("annual", help="年度考核：由各季度结果得出全年等次")
    annual.add_argument("--year", type=int, metavar="年份", help="如 2026（默认今年）")
    annual.add_argument("--json", action="store_true", help="输出全部内容的 JSON，供程序读取")
    annual.add_argument("--explain", metavar="姓名", help="逐行说明一个人的全年结果")
    annual.add_argument(
        "--as-of", type=day, metavar="日期", help="按该日结束时计算，如 2026-12-31（默认现在）"
    )
    pool = sub.add_parser("pool", help="激励资金分配：按等次和得分分配奖金池")
    pool.add_argument("--year", type=int, required=True, metavar="年份", help="如 2026")
    pool.add_argument(
        "--amount", required=True, metavar="金额", help="奖金池金额（元），如 500000"
    )
    pool.add_argument(
        "--quarter",
        type=quarter_type,
        metavar="季度",
        help="只按一个季度分配（如 2026Q4），不按全年",
    )
    pool.add_argument("--json", action="store_true", help="输出全部内容的 JSON，供程序读取")
    pool.add_argument(
        "-o", "--output", type=Path, metavar="文件", help="写出分配表工作簿（.xlsx）"
    )
    pool.add_argument("--as-of", type=day, metavar="日期", help="按该日结束时计算")


def _now(args: argparse.Namespace, settings: Settings) -> datetime:
    if args.as_of:
        day: date = args.as_of
        return datetime.combine(day, time(23, 59, 59), tzinfo=settings.zone)
    return datetime.now(UTC).astimezone(settings.zone)


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def annual_table(view: AnnualView) -> list[str]:
    """Plain-text results, graded people by group, then those set aside."""
    missing = "、".join(Quarter.parse(q).label for q in view.missing)
    lines = [texts.annual_header(year=view.year, complete=view.complete, missing=missing)]
    group = None
    for row in annual_rows(view):
        key = row["group"] if row["rank"] is not None else "不定等次 / 不参加"
        if key != group:
            group = key
            lines.append(f"\n【{group}】")
            lines.append("名次\t姓名\t部门\t得分\t等次\t各季度")
        quarters = " ".join(f"{q['quarter'][-2:]}{q['grade_label']}" for q in row["quarters"])
        score = "—" if row["score"] is None else f"{row['score']:.2f}"
        rank = "" if row["rank"] is None else str(row["rank"])
        lines.append(
            f"{rank}\t{row['name']}\t{row['department']}\t{score}\t{row['grade_label']}\t"
            f"{quarters}" + ("" if row["rank"] is not None else f"\t{row['reason']}")
        )
    return lines


async def run_annual(args: argparse.Namespace, settings: Settings, session: Any) -> int:
    """The body of `kaohe annual`."""
    policy = load_policy(settings.policy)
    now = _now(args, settings)
    year = args.year or now.year
    try:
        view = await annual_view(
            session, policy=policy, calendar=WorkCalendar(policy.calendar), year=year, now=now
        )
    except LookupError:
        _err("还没有名单。请先运行：kaohe import 名单.xlsx")
        return 1
    if not view.included:
        _err(texts.ANNUAL_NO_QUARTER.format(year=year))
        return 1
    if args.explain:
        rows = [r for r in annual_rows(view) if r["name"] == args.explain]
        if not rows:
            _err(texts.ANNUAL_NOT_FOUND.format(name=args.explain, year=year))
            return 1
        for row in rows:
            _out("\n".join(explain_row(row)))
        return 0
    if args.json:
        _out(json.dumps(annual_json(view), ensure_ascii=False, indent=2))
        return 0
    _out("\n".join(annual_table(view)))
    return 0


async def run_pool(args: argparse.Namespace, settings: Settings, session: Any) -> int:
    """The body of `kaohe pool`."""
    try:
        pool_fen = parse_amount(args.amount)
    except BadAmount:
        _err(texts.POOL_BAD_AMOUNT)
        return 2
    policy = load_policy(settings.policy)
    calendar = WorkCalendar(policy.calendar)
    now = _now(args, settings)
    quarter: Quarter | None = args.quarter
    try:
        outcome = await compute_pool(
            session, policy=policy, calendar=calendar, year=args.year, quarter=quarter,
            pool_fen=pool_fen, now=now,
        )  # fmt: skip
    except LookupError:
        _err("还没有名单。请先运行：kaohe import 名单.xlsx")
        return 1
    if isinstance(outcome, PoolRefusal):
        _err(outcome.text)
        return outcome.code
    data, title_period = outcome
    if args.output:
        title = f"{title_period} 激励资金分配表（资金总额 {data['pool']} 元）"
        args.output.write_bytes(pool_workbook(data, title=title))
    if args.json:
        _out(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    _out(f"{title_period} 激励资金分配：资金总额 {data['pool']} 元，方案 {policy.name}")
    _out("\n【部门】")
    for d in data["departments"]:
        _out(f"{d['name']}\t得分 {d['score']:.2f}\t{d['headcount']}人\t{d['amount']} 元")
    _out("\n【个人】\n姓名\t部门\t等次\t系数\t得分\t金额（元）")
    for p in data["people"]:
        _out(
            f"{p['name']}\t{p['department']}\t{p['grade_label']}\t{p['coefficient']:g}\t"
            f"{p['score']:.2f}\t{p['amount']}"
        )
    _out(f"\n合计 {data['distributed']} 元。{data['rounding']}")
    if args.output:
        _out(f"已导出：{args.output}")
    return 0
