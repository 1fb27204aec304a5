"""`kaohe score`: quarterly results on the terminal, as JSON, or one person explained."""

from __future__ import annotations

import argparse
import json
import sys
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
from storage.facts import Gathered
from storage.tables import utcnow


def add_parser(sub: Any) -> None:
    """Register `kaohe score` on the CLI's subparsers."""
    score = sub.add_parser("score", help="quarterly scores, ranks and grades")
    score.add_argument("--quarter", help="e.g. 2026Q4 (default: the current quarter)")
    score.add_argument("--json", action="store_true", help="everything, machine-readable")
    score.add_argument("--explain", metavar="姓名", help="one person's breakdown line by line")
    score.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="compute as at the end of that day (default: now)"
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
        day = date.fromisoformat(args.as_of)
        now = datetime.combine(day, time(23, 59), tzinfo=settings.zone)
    else:
        now = clock().astimezone(settings.zone)
    quarter = Quarter.parse(args.quarter) if args.quarter else Quarter.of(now.date())
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
    if args.explain:
        wanted = normalise_name(args.explain)
        matches = [p for p in result.people if normalise_name(p.name) == wanted]
        if not matches:
            sys.stderr.write(f"没有找到「{args.explain}」（只算在职人员）。\n")
            return 1
        for person in matches:
            department = gathered.departments.get(person.department_id, "")
            sys.stdout.write(f"【{department}】\n" + "\n".join(explain(person)) + "\n")
        return 0
    if args.json:
        sys.stdout.write(json.dumps(result_json(result, gathered), ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
        return 0
    deadline = f"{policy.schedule.deadline:%H:%M}"
    sys.stdout.write("\n".join(table(result, gathered, deadline=deadline)) + "\n")
    return 0
