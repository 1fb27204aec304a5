"""/me (one's own score so far, with the breakdown) and /rank (text rankings)."""

from __future__ import annotations

from datetime import date, datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, pictures, texts
from bot.scores import quarter_results
from core.calendar import WorkCalendar
from core.people import Role, decode_roles
from core.policy import Policy
from core.quarter import Quarter
from core.quarter_end import windows_around
from core.records import RecordKind
from core.reports import short_date
from core.scoring import QuarterResult, explain
from storage import people
from storage.facts import Gathered
from storage.records import records_of
from storage.tables import ChatGroup, Person

TOP = 30


def make_router() -> Router:
    """/me in private; /rank in private (leaders) and in bound groups."""
    router = Router(name="scores")
    router.message.register(cmd_me, Command("me"), filters.private, filters.member)
    router.message.register(cmd_rank, Command("rank"), filters.member)
    return router


def scored_quarter(policy: Policy, calendar: WorkCalendar, day: date) -> Quarter:
    """The quarter /me and /rank show: the previous one until its results are published
    (its declarations and ratings come in during the new quarter's first days), then
    the current one."""
    closing, _ = windows_around(policy, calendar, day)
    return closing.quarter if day < closing.results else Quarter.of(day)


async def _results(
    session: AsyncSession, policy: Policy, calendar: WorkCalendar, now: datetime
) -> tuple[QuarterResult, Gathered, Quarter]:
    quarter = scored_quarter(policy, calendar, now.date())
    result, gathered = await quarter_results(
        session, policy=policy, calendar=calendar, quarter=quarter, now=now
    )
    return result, gathered, quarter


async def cmd_me(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """Own quarter-to-date score, rank, provisional grade and breakdown."""
    result, gathered, quarter = await _results(session, policy, calendar, now)
    mine = [p for p in result.people if p.person_id == me.id]
    publicity = await _publicity_line(session, me, policy, calendar)
    if mine and gathered.end < gathered.start:  # the period has begun, no deadline passed
        first_day = await _not_counted_yet(session, me, policy, gathered, now)
        await message.answer("\n".join([first_day, *publicity]))
        return
    if not mine:
        await message.answer("\n".join([texts.NO_SCORE_YET, *publicity]))
        return
    header = texts.me_header(
        quarter=quarter.label, until=short_date(gathered.end), provisional=result.provisional
    )
    assert me.id is not None
    png = await pictures.trend_png(
        session, person_id=me.id, policy=policy, calendar=calendar, now=now
    )
    if png is not None:
        await message.answer_photo(BufferedInputFile(png, "me.png"), caption=header)
    await message.answer("\n".join([*publicity, header, *explain(mine[0])]))


async def _publicity_line(
    session: AsyncSession, me: Person, policy: Policy, calendar: WorkCalendar
) -> list[str]:
    """The last published quarter while it is in 公示: the person's proposed result."""
    from core.quarter_end import window  # issue 19: 公示
    from storage import results as published

    snapshot = await published.latest_published(session, unit_id=me.unit_id)
    if snapshot is None or snapshot.final or me.id is None:
        return []
    mine = snapshot.person(me.id)
    if mine is None:
        return []
    quarter = Quarter.parse(snapshot.quarter.quarter)
    until = short_date(window(policy, calendar, quarter).publicity_end)
    return [
        texts.me_publicity(
            quarter=quarter.label, score=f"{float(mine['score']):.2f}",
            grade=mine["grade_label"], until=until, revised=bool(mine.get("revision")),
        )
    ]  # fmt: skip


async def _not_counted_yet(
    session: AsyncSession, me: Person, policy: Policy, gathered: Gathered, now: datetime
) -> str:
    """/me before the first deadline of the period (the first day of use, of a quarter):
    when counting starts, and today's likes and errors, which are in already."""
    today = now.date()
    if gathered.start > today:
        return texts.me_starts_on(short_date(gathered.start))
    assert me.id is not None
    counted = [
        record.kind
        for record, _issuer in await records_of(session, person_id=me.id, start=today, end=today)
        if record.voided_at is None
    ]
    return texts.first_day_me(
        deadline=f"{policy.schedule.deadline:%H:%M}",
        likes=counted.count(RecordKind.LIKE.value),
        errors=counted.count(RecordKind.ERROR.value),
    )


def _line(rank: int, name: str, score: object, grade: str) -> str:
    return f"{rank}. {name} {score} {grade}"


async def cmd_rank(
    message: Message,
    session: AsyncSession,
    me: Person,
    group: ChatGroup | None,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """A group's department ranking; in private, the departments a leader leads."""
    roles = decode_roles(me.roles)
    in_group = message.chat.type in filters.GROUP_CHATS
    if in_group and group is None:
        return
    if not in_group and not roles & {Role.HEAD, Role.SUPERVISOR, Role.CHIEF, Role.ADMIN}:
        await message.answer(texts.RANK_DENIED)
        return
    result, gathered, quarter = await _results(session, policy, calendar, now)
    until = short_date(gathered.end) + ("，暂定" if result.provisional else "")
    if in_group and group is not None:
        await _rank_picture(message, result, gathered, group, quarter, until)
        return
    names = gathered.departments
    if (in_group and group is not None and group.department_id is None) or (
        not in_group and roles & {Role.CHIEF, Role.ADMIN}
    ):
        lines = [texts.rank_header(title="部门", quarter=quarter.label, until=until)]
        for d in result.departments:
            flag = " 🚩流动红旗" if d.red_flag else ""
            lines.append(f"{d.rank}. {names.get(d.department_id, '?')} {d.score}{flag}")
        await message.answer("\n".join(lines))
        return
    if in_group and group is not None:
        wanted = {group.department_id}
    else:
        assert me.id is not None
        wanted = set(await people.supervised_ids(session, person_id=me.id))
        if Role.HEAD in roles:
            wanted.add(me.department_id)
    for department_id in [d for d in names if d in wanted]:
        members = sorted(
            (p for p in result.people if p.department_id == department_id),
            key=lambda p: (-p.score, p.rank),
        )
        title = names.get(department_id or 0, "?")
        lines = [texts.rank_header(title=title, quarter=quarter.label, until=until)]
        for position, person in enumerate(members[:TOP], start=1):
            lines.append(_line(position, person.name, person.score, person.grade_label))
        await message.answer("\n".join(lines))


async def _rank_picture(
    message: Message,
    result: QuarterResult,
    gathered: Gathered,
    group: ChatGroup,
    quarter: Quarter,
    until: str,
) -> None:
    """/rank in a group: the department's leaderboard, or the unit's department ranking."""
    week = f"截至{until}"
    if group.department_id is None:
        png = await pictures.ranking_png(result, gathered, unit="", week=week)
        title = "部门"
    else:
        png = await pictures.leaderboard_png(result, gathered, group.department_id, week=week)
        title = gathered.departments.get(group.department_id, "")
    caption = texts.rank_caption(
        title=title, quarter=quarter.label, until=until,
        top=pictures.top_three(result, group.department_id),
    )  # fmt: skip
    await message.answer_photo(BufferedInputFile(png, "rank.png"), caption=caption)
