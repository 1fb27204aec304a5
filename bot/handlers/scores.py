"""/me (one's own score so far, with the breakdown) and /rank (text rankings)."""

from __future__ import annotations

from datetime import date, datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import figures, filters, texts
from bot.figure_worker import RankAsk
from bot.ids import parse_id
from bot.ordering import let_next_in
from core.calendar import WorkCalendar
from core.people import Role, decode_roles
from core.policy import Policy
from core.quarter import Quarter
from core.records import RecordKind
from core.reports import short_date
from storage import results as published
from storage.records import records_of
from storage.tables import ChatGroup, Person


def make_router() -> Router:
    """/me in private, its 「查看明细」 button and the private result's; /rank in private
    (leaders) and in bound groups."""
    router = Router(name="scores")
    router.message.register(cmd_me, Command("me"), filters.private, filters.member)
    router.callback_query.register(me_detail, filters.callback_prefix(ME_DETAIL), filters.member)
    router.callback_query.register(
        result_detail, filters.callback_prefix(RESULT_DETAIL), filters.member
    )
    router.message.register(cmd_rank, Command("rank"), filters.member)
    return router


ME_DETAIL = "medt"  # medt:<person id>
RESULT_DETAIL = "resdt"  # resdt:<quarter>:<person id>


def detail_button(data: str) -> InlineKeyboardMarkup:
    """The 「查看明细」 button under a summary."""
    button = InlineKeyboardButton(text=texts.DETAIL_BUTTON, callback_data=data)
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def result_detail_button(quarter: Quarter, person_id: int) -> InlineKeyboardMarkup:
    """The 「查看明细」 button under a private quarter result."""
    return detail_button(f"{RESULT_DETAIL}:{quarter}:{person_id}")


async def cmd_me(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """Own quarter-to-date score, rank, provisional grade and breakdown (computed and
    drawn in a figures worker, bot/figures.py)."""
    assert me.id is not None
    publicity = await _publicity_line(session, me, policy, calendar)
    question = figures.ask(session, policy, calendar, now)
    await _step_aside(session)
    answer = await figures.me(question, me.id)
    if answer.starts is not None:  # the period has begun, no deadline passed
        first_day = await _not_counted_yet(session, me, policy, answer.starts, now)
        await message.answer("\n".join([first_day, *publicity]))
        return
    if answer.text is None:
        await message.answer("\n".join([texts.NO_SCORE_YET, *publicity]))
        return
    if answer.png is not None:
        await message.answer_photo(BufferedInputFile(answer.png, "me.png"), caption=answer.header)
    await message.answer(
        "\n".join([*publicity, answer.text]), reply_markup=detail_button(f"{ME_DETAIL}:{me.id}")
    )


async def _step_aside(session: AsyncSession) -> None:
    """Before waiting for a figures worker (up to seconds for a large unit): end this
    update's transaction — it has read what it needs; on SQLite it holds the database's
    write lock from its first statement (the update's claim), so every filing would wait
    for the picture — and let the person's next update start (bot/ordering.py). A handler
    that stores nothing has its update remembered afterwards all the same."""
    await session.rollback()
    let_next_in()


async def me_detail(
    query: CallbackQuery,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """「查看明细」 under /me: the full explanation, as of now; only for the person."""
    try:
        person_id = parse_id((query.data or "").split(":", 1)[1])
    except (IndexError, ValueError):
        person_id = None
    if person_id is None or person_id != me.id:
        await query.answer(texts.DETAIL_NOT_YOURS, show_alert=True)
        return
    answer = await figures.me(figures.ask(session, policy, calendar, now), person_id, trend=False)
    if answer.detail is None or not isinstance(query.message, Message):
        await query.answer(texts.DETAIL_GONE, show_alert=True)
        return
    await query.answer()
    await query.message.answer(answer.detail)


async def result_detail(query: CallbackQuery, session: AsyncSession, me: Person) -> None:
    """「查看明细」 under the private quarter result: the published explanation."""
    try:
        _, quarter_text, person_text = (query.data or "").split(":")
        quarter, person_id = Quarter.parse(quarter_text), parse_id(person_text)
    except ValueError:
        quarter, person_id = None, None
    if person_id is None or person_id != me.id or quarter is None:
        await query.answer(texts.DETAIL_NOT_YOURS, show_alert=True)
        return
    snapshot = await published.published(session, unit_id=me.unit_id, quarter=quarter)
    mine = None if snapshot is None else snapshot.person(person_id)
    if mine is None or not isinstance(query.message, Message):
        await query.answer(texts.DETAIL_GONE, show_alert=True)
        return
    await query.answer()
    await query.message.answer(
        texts.result_detail(quarter=quarter.label, lines=mine.get("explain", []))
    )


async def _publicity_line(
    session: AsyncSession, me: Person, policy: Policy, calendar: WorkCalendar
) -> list[str]:
    """The last published quarter while it is in 公示: the person's proposed result."""
    from core.quarter_end import window  # issue 19: 公示

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
    session: AsyncSession, me: Person, policy: Policy, start: date, now: datetime
) -> str:
    """/me before the first deadline of the period (the first day of use, of a quarter):
    when counting starts, and today's likes and errors, which are in already."""
    today = now.date()
    if start > today:
        return texts.me_starts_on(short_date(start))
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
    assert me.id is not None
    request = RankAsk(
        person_id=me.id, roles=frozenset(roles), department_id=me.department_id,
        in_group=in_group, group_department_id=group.department_id if group else None,
    )  # fmt: skip
    question = figures.ask(session, policy, calendar, now)
    await _step_aside(session)
    for out in await figures.rank(question, request):
        if out.png is not None:
            await message.answer_photo(BufferedInputFile(out.png, "rank.png"), caption=out.text)
        else:
            await message.answer(out.text)
