"""`kaohe score`: quarterly results on the terminal, as JSON, or one person explained."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from bot import texts
from bot.calendars import calendar_from_db
from bot.config import Settings
from bot.policies import load_policy
from bot.scores import quarter_results
from core.quarter import Quarter
from core.scoring import PersonResult, QuarterResult, explain
from core.text import normalise_name
from storage.facts import Gathered, last_report_day
from storage.people import get_unit, resolve_person
from storage.tables import utcnow


def add_parser(sub: Any, day: Callable[[str], date] | None = None) -> None:
    """Register `kaohe score` on the CLI's subparsers; `day` reads a date argument."""
    from bot.cli_args import date_type, quarter_type

    score = sub.add_parser("score", help="季度得分、排名和等次")
    score.add_argument(
        "--quarter",
        type=quarter_type,
        metavar="季度",
        help="如 2026Q2、2026-Q2 或 2026年第二季度"
        "（默认本季度；本季度还没有人报送日报时用最近有日报的季度）",
    )
    score.add_argument("--json", action="store_true", help="输出全部内容的 JSON，供程序读取")
    score.add_argument(
        "--explain", metavar="姓名或工号", help="逐行说明一个人的得分（同名的人都列出）"
    )
    score.add_argument(
        "--as-of",
        type=day or date_type(),
        metavar="日期",
        help="按该日结束时计算，如 2026-06-12、2026/6/12 或 6-12（默认现在）",
    )


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def person_json(result: PersonResult, departments: dict[int, str]) -> dict[str, Any]:
    """One person's result with its whole breakdown."""
    return {
        "person_id": result.person_id,
        "name": result.name,
        "department": departments.get(result.department_id, ""),
        "category": result.category,
        "group": result.group,
        "score": _number(result.score),
        "rank": result.rank,
        "group_size": result.group_size,
        "grade": "undetermined" if result.undetermined else result.grade.value,
        "grade_label": result.grade_label,
        "undetermined": result.undetermined,
        "grade_reason": result.grade_reason,
        "provisional": result.provisional,
        "likes": result.likes,
        "errors": result.errors,
        "filing_rate": _number(result.filing_rate),
        "review_rate": _number(result.review_rate),
        "vetoes": list(result.vetoes),
        "caps": list(result.caps),
        "roster_position": result.roster_position,
        "components": [
            {
                "component": c.component.value,
                "label": c.component.label,
                "value": _number(c.value),
                "nominal_weight": _number(c.nominal_weight),
                "weight": _number(c.weight),
                "points": _number(c.points),
            }
            for c in result.components
        ],
        "adjustments": [
            {"kind": a.kind, "label": a.label, "count": a.count, "points": _number(a.points)}
            for a in result.adjustments
        ],
        "breakdown": [
            {
                "label": line.label,
                "value": _number(line.value),
                "points": _number(line.points),
                "detail": line.detail,
            }
            for line in result.breakdown
        ],
        "notes": list(result.notes),
    }


def result_json(result: QuarterResult, gathered: Gathered) -> dict[str, Any]:
    """The whole quarter, as `kaohe score --json` prints it."""
    names = gathered.departments
    return {
        "period": result.period,
        "policy": result.policy,
        "provisional": result.provisional,
        "start": gathered.start.isoformat(),
        "end": gathered.end.isoformat(),
        "people": [person_json(p, names) for p in result.people],
        "departments": [
            {
                "department_id": d.department_id,
                "name": names.get(d.department_id, ""),
                "score": _number(d.score),
                "rank": d.rank,
                "red_flag": d.red_flag,
                "members": d.members,
                "filing_rate": _number(d.filing_rate),
                "review_rate": _number(d.review_rate),
                "likes": d.likes,
                "errors": d.errors,
            }
            for d in result.departments
        ],
    }


def table(result: QuarterResult, gathered: Gathered, *, deadline: str = "20:00") -> list[str]:
    """Plain-text ranking, group by group."""
    state = "（季度进行中，暂定）" if result.provisional else ""
    span = f"{gathered.start}—{gathered.end}"
    if gathered.end < gathered.start:  # no deadline passed yet since the period began
        span = texts.score_nothing_counted(start=str(gathered.start), deadline=deadline)
    lines = [f"{result.period} 平时考核结果{state}：{span}，方案 {result.policy}"]
    group = None
    for person in result.people:
        if person.group != group:
            group = person.group
            lines.append(f"\n【{group}】")
            lines.append("名次\t姓名\t部门\t得分\t等次")
        department = gathered.departments.get(person.department_id, "")
        lines.append(
            f"{person.rank}\t{person.name}\t{department}\t{person.score}\t{person.grade_label}"
        )
    lines.append("\n【部门】")
    for d in result.departments:
        flag = " 🚩流动红旗" if d.red_flag else ""
        lines.append(f"{d.rank}\t{gathered.departments.get(d.department_id, '')}\t{d.score}{flag}")
    return lines


async def _default_quarter(session: Any, today: date) -> Quarter:
    """This quarter; if nobody filed a report in it yet, the last quarter with reports
    (said on stderr), so a finished rehearsal is not shown as everyone 缺报."""
    current = Quarter.of(today)
    unit = await get_unit(session)
    if unit is None or unit.id is None:
        return current
    latest = await last_report_day(session, unit_id=unit.id, until=today)
    if latest is None or Quarter.of(latest) == current:
        return current
    found = Quarter.of(latest)
    sys.stderr.write(texts.score_no_data(current=current.label, latest=found.label) + "\n")
    return found


async def _explain(session: Any, ref: str, result: QuarterResult, gathered: Gathered) -> int:
    """`--explain 姓名或工号`: spaces forgiven; namesakes each explained, by department."""
    compact = "".join(unicodedata.normalize("NFKC", ref).split())
    if not compact:
        sys.stderr.write(texts.SCORE_EXPLAIN_EMPTY + "\n")
        return 2
    unit = await get_unit(session)
    ids: set[int] = set()
    if unit is not None and unit.id is not None:
        for text in {ref.strip(), compact}:
            found = await resolve_person(session, unit_id=unit.id, ref=text)
            ids.update(p.id for p in found if p.id is not None)
    wanted = normalise_name(ref)
    matches = [p for p in result.people if p.person_id in ids or normalise_name(p.name) == wanted]
    if not matches:
        sys.stderr.write(texts.score_explain_missing(ref.strip()) + "\n")
        return 1
    departments = [gathered.departments.get(p.department_id, "") for p in matches]
    if len(matches) > 1:
        listed = "、".join(f"{p.name}（{d}）" for p, d in zip(matches, departments, strict=True))
        sys.stdout.write(texts.score_explain_namesakes(len(matches), listed) + "\n")
    for person, department in zip(matches, departments, strict=True):
        sys.stdout.write(f"【{department}】\n" + "\n".join(explain(person)) + "\n")
    return 0


async def run_score(
    args: argparse.Namespace,
    settings: Settings,
    session: Any,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> int:
    """The body of `kaohe score`, on an open session (`clock`: UTC now)."""
    policy = load_policy(settings.policy)
    if args.as_of:
        now = datetime.combine(args.as_of, time(23, 59, 59), tzinfo=settings.zone)
    else:
        now = clock().astimezone(settings.zone)
    quarter: Quarter = args.quarter or await _default_quarter(session, now.date())
    try:
        result, gathered = await quarter_results(
            session,
            policy=policy,
            calendar=await calendar_from_db(session, policy.calendar),
            quarter=quarter,
            now=now,
        )
    except LookupError:
        sys.stderr.write("还没有名单。请先运行：kaohe import 名单.xlsx\n")
        return 1
    if args.explain is not None:
        return await _explain(session, args.explain, result, gathered)
    if args.json:
        sys.stdout.write(json.dumps(result_json(result, gathered), ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
        return 0
    deadline = f"{policy.schedule.deadline:%H:%M}"
    sys.stdout.write("\n".join(table(result, gathered, deadline=deadline)) + "\n")
    return 0
