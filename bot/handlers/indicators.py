"""/indicators: a person's own table (一人一表); heads see their department's (DESIGN §10)."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from core.indicators import completion
from core.people import Role, decode_roles
from storage import people
from storage.indicators import current_indicators
from storage.tables import Indicator, Person

MAX_LINES = 80  # a phone screen's worth, well within Telegram's 4096 characters


def make_router() -> Router:
    """/indicators in private."""
    router = Router(name="indicators")
    router.message.register(cmd_indicators, Command("indicators"), filters.private, filters.member)
    return router


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _line(indicator: Indicator) -> str:
    measure = indicator.measure
    actual = (
        texts.INDICATOR_NOT_REPORTED
        if indicator.actual is None
        else f"{_num(indicator.actual)}{measure}"
    )
    done = _num(completion(indicator.target, indicator.actual))
    return texts.indicator_line(
        indicator.title,
        _num(indicator.weight),
        f"{_num(indicator.target)}{measure}",
        texts.indicator_actual(actual, done),
        indicator.version,
    )


async def cmd_indicators(
    message: Message, session: AsyncSession, me: Person, now: datetime
) -> None:
    """The person's own indicators; leaders also their departments' (department-level
    indicators and each member's table)."""
    assert me.id is not None
    year = now.year
    own = await current_indicators(session, unit_id=me.unit_id, year=year, person_ids=[me.id])
    lines = [texts.indicators_header(me.name, year)]
    lines.extend(_line(i) for i in own)
    roles = decode_roles(me.roles)
    departments: list[int] = []
    if roles & {Role.CHIEF, Role.ADMIN}:
        departments = list(await people.department_names(session, unit_id=me.unit_id))
    else:
        if Role.HEAD in roles:
            departments.append(me.department_id)
        if Role.SUPERVISOR in roles:
            departments.extend(await people.supervised_ids(session, person_id=me.id))
    if not own and not departments:
        await message.answer(texts.INDICATORS_NONE)
        return
    if not own:
        lines.append(texts.INDICATORS_OWN_NONE)
    if departments:
        names = await people.department_names(session, unit_id=me.unit_id)
        rows = await current_indicators(
            session, unit_id=me.unit_id, year=year, department_ids=departments
        )
        members = {p.id: p.name for p in await people.members_of(
            session, unit_id=me.unit_id, department_ids=departments)}  # fmt: skip
        for dept in dict.fromkeys(departments):
            in_dept = [r for r in rows if r.department_id == dept and r.person_id != me.id]
            if not in_dept:
                continue
            lines.append(texts.indicators_department(names.get(dept, "")))
            for row in in_dept:
                who = (
                    members.get(row.person_id, "")
                    if row.person_id
                    else texts.INDICATOR_OF_DEPARTMENT
                )
                lines.append(f"{who} {_line(row)}")
    await message.answer("\n".join(lines[:MAX_LINES]))
