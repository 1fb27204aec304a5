"""激励资金分配 (沂水 系数, 成都 科室间+科室内部): the shell around core.incentive.

`pool_json` is what `kaohe pool --json` prints and what the 奖金分配表 shows: per
department, then per person (coefficient × score), amounts in yuan as strings with two
decimals (exact: they are whole fen, and they add up to the pool).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from core.calendar import WorkCalendar
from core.incentive import PoolSplit, split_annual_pool, split_pool
from core.policy import DepartmentSplit, Policy
from core.quarter import Quarter
from storage.people import department_names, get_unit

MAX_POOL_YUAN = Decimal("1000000000")  # 10亿: a typo guard, far above any unit's pool


class BadAmount(ValueError):
    """The pool amount is not a sum of money in yuan (at most two decimals)."""


def parse_amount(text: str) -> int:
    """'500000', '500,000.05', '12345.6' → fen; BadAmount otherwise."""
    raw = text.strip().replace(",", "").replace("，", "").removesuffix("元")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise BadAmount(text) from exc
    if not value.is_finite() or value <= 0 or value > MAX_POOL_YUAN:
        raise BadAmount(text)
    if value != value.quantize(Decimal("0.01")):
        raise BadAmount(text)
    return int(value.scaleb(2))


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals, exactly."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def pool_json(
    split: PoolSplit,
    *,
    policy: Policy,
    period: str,
    names: dict[int, str],
    people: dict[int, str],
    grade_labels: dict[int, str],
) -> dict[str, Any]:
    """The split, machine-readable, each person's line with how it was computed."""
    mode = policy.incentive.department_split
    dept_amount = {d.department_id: d.amount_fen for d in split.departments}
    weights: dict[int, Decimal] = {}
    for p in split.people:
        key = p.department_id if mode is not DepartmentSplit.NONE else 0
        weights[key] = weights.get(key, Decimal(0)) + p.coefficient * max(p.score, Decimal(0))
    rows = []
    for p in split.people:
        key = p.department_id if mode is not DepartmentSplit.NONE else 0
        weight = p.coefficient * max(p.score, Decimal(0))
        base = split.pool_fen if mode is DepartmentSplit.NONE else dept_amount[p.department_id]
        whole = weights[key]
        rows.append(
            {
                "person_id": p.person_id,
                "name": people.get(p.person_id, str(p.person_id)),
                "department_id": p.department_id,
                "department": names.get(p.department_id, ""),
                "grade": p.grade,
                "grade_label": grade_labels.get(p.person_id, p.grade),
                "coefficient": float(p.coefficient),
                "score": float(p.score),
                "weight": float(weight.quantize(Decimal("0.0001"))),
                "department_amount": yuan(dept_amount[p.department_id]),
                "amount": yuan(p.amount_fen),
                "amount_fen": p.amount_fen,
                "explain": texts.pool_line(
                    base=yuan(base),
                    coefficient=f"{p.coefficient.normalize():f}",
                    score=f"{p.score:.2f}",
                    whole=f"{whole.quantize(Decimal('0.0001')).normalize():f}",
                    amount=yuan(p.amount_fen),
                    unit_pot=mode is DepartmentSplit.NONE,
                ),
            }
        )
    distributed = sum(p.amount_fen for p in split.people)
    return {
        "period": period,
        "policy": policy.name,
        "department_split": mode.value,
        "pool": yuan(split.pool_fen),
        "pool_fen": split.pool_fen,
        "distributed": yuan(distributed),
        "undistributed_fen": split.undistributed_fen,
        "rounding": texts.POOL_ROUNDING,
        "departments": [
            {
                "department_id": d.department_id,
                "name": names.get(d.department_id, ""),
                "score": float(d.score),
                "headcount": d.headcount,
                "amount": yuan(d.amount_fen),
                "amount_fen": d.amount_fen,
            }
            for d in split.departments
        ],
        "people": rows,
    }


@dataclass(frozen=True, slots=True)
class PoolRefusal:
    """Why a pool cannot be split now: the message, and the CLI's exit code."""

    text: str
    code: int = 1


async def compute_pool(
    session: AsyncSession,
    *,
    policy: Policy,
    calendar: WorkCalendar,
    year: int,
    quarter: Quarter | None,
    pool_fen: int,
    now: datetime,
) -> tuple[dict[str, Any], str] | PoolRefusal:
    """(`pool_json`, the period's label) for the year or one quarter; LookupError without
    a roster."""
    from bot.annual import annual_view, as_quarter_result
    from bot.results import quarter_view

    if quarter is not None:
        if quarter.year != year:
            return PoolRefusal(f"{quarter.label}不在{year}年。", 2)
        if quarter.end >= now.date():
            return PoolRefusal(f"{quarter.label}尚未结束，不能分配。")
        view = await quarter_view(
            session, policy=policy, calendar=calendar, quarter=quarter, now=now
        )
        result = as_quarter_result(view)
        split = split_pool(policy, result, pool_fen)
        people = {p.person_id: p.name for p in result.people}
        labels = {p.person_id: p.grade.label for p in result.people}
        period, label = str(quarter), quarter.label
    else:
        annual = await annual_view(session, policy=policy, calendar=calendar, year=year, now=now)
        if not annual.included:
            return PoolRefusal(texts.ANNUAL_NO_QUARTER.format(year=year))
        split = split_annual_pool(policy, annual.result, pool_fen)
        people = {p.person_id: p.name for p in annual.result.people}
        labels = {p.person_id: p.grade.label for p in annual.result.people}
        period, label = str(year), f"{year}年度"
    if not split.people:
        return PoolRefusal(texts.POOL_NOBODY)
    unit = await get_unit(session)
    names = await department_names(session, unit_id=unit.id if unit and unit.id else 0)
    data = pool_json(
        split, policy=policy, period=period, names=names, people=people, grade_labels=labels
    )
    return data, label
