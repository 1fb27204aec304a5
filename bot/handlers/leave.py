"""请假 / 出差 / 培训: `/leave` to record, list and cancel leave (DESIGN §2)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.ids import parse_id
from core import reports as core
from core.calendar import WorkCalendar
from core.policy import Policy
from storage import people
from storage import reports as store
from storage.audit import audit
from storage.tables import Leave, Person


def make_router() -> Router:
    """/leave in private; its cancel buttons."""
    router = Router(name="leave")
    router.message.register(cmd_leave, Command("leave"), filters.private, filters.member)
    router.message.register(
        leave_in_group, Command("leave"), filters.in_group, filters.bound_group
    )
    router.callback_query.register(cancel_button, filters.callback_prefix("lv"), filters.member)
    return router


def _period(leave: Leave) -> str:
    return texts.leave_range(core.short_date(leave.start), core.short_date(leave.end))


async def leave_in_group(message: Message) -> None:
    """Leave is personal: do it in private."""
    await message.reply(texts.LEAVE_PRIVATE)


async def cmd_leave(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """`/leave` lists; `/leave 开始 [结束] 事由` records; admins may name someone first."""
    words = (command.args or "").split()
    if not words:
        await _list(message, session, me, now.date())
        return
    target = me
    if not core.looks_like_day(words[0]):
        if not filters.is_admin(me):
            await message.answer(texts.LEAVE_ONLY_ADMIN)
            return
        found = await people.resolve_person(session, unit_id=me.unit_id, ref=words[0])
        if len(found) != 1:
            ref = words[0]
            await message.answer(
                texts.who_ambiguous(ref, len(found)) if found else texts.who_unknown(ref)
            )
            return
        target, words = found[0], words[1:]
    try:
        request = core.parse_leave(words, today=now.date())
    except core.MissingReason:
        await message.answer(texts.LEAVE_REASON)
        return
    except core.BadPeriod:
        await message.answer(texts.LEAVE_PERIOD)
        return
    except core.InputError:
        await message.answer(texts.LEAVE_USAGE)
        return
    oldest = now.date() - timedelta(days=policy.schedule.backfill_days)
    if request.start < oldest and not filters.is_admin(me):
        await message.answer(texts.leave_too_early(policy.schedule.backfill_days))
        return
    assert target.id is not None
    for existing in await store.leave_list(session, person_id=target.id, since=request.start):
        if existing.start <= request.end:
            await message.answer(texts.leave_overlap(_period(existing)))
            return
    leave = store.add_leave(
        session, person=target, start=request.start, end=request.end, reason=request.reason, by=me
    )
    audit(
        session,
        action="leave_add",
        unit_id=me.unit_id,
        actor_person_id=me.id,
        actor=me.name,
        subject=target.name,
        detail={"start": request.start.isoformat(), "end": request.end.isoformat()},
    )
    await session.commit()
    workdays = len(calendar.workdays(request.start, request.end))
    kind, detail = core.leave_kind(leave.reason)
    await message.answer(
        texts.leave_recorded(
            name=target.name if target.id != me.id else None,
            period=_period(leave),
            kind=kind,
            detail=detail,
            workdays=workdays,
            days=(request.end - request.start).days + 1,
        )
    )


async def _list(message: Message, session: AsyncSession, me: Person, today: date) -> None:
    assert me.id is not None
    current = await store.leave_list(session, person_id=me.id, since=today)
    if not current:
        await message.answer(texts.LEAVE_NOBODY)
        return
    lines = [texts.LEAVE_LIST_HEAD]
    buttons = []
    for number, leave in enumerate(current, start=1):
        what = texts.leave_what(*core.leave_kind(leave.reason))
        lines.append(f"{number}. {_period(leave)} {what}")
        buttons.append(
            [InlineKeyboardButton(text=f"撤销 {_period(leave)}", callback_data=f"lv:{leave.id}")]
        )
    await message.answer(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons)
    )


async def cancel_button(query: CallbackQuery, session: AsyncSession, me: Person) -> None:
    """Cancel a leave period: its person or an admin."""
    try:
        leave = await session.get(Leave, parse_id((query.data or "").split(":", 1)[1]))
    except (IndexError, ValueError):
        leave = None
    if leave is None or leave.cancelled_at is not None:
        await query.answer(texts.LEAVE_GONE, show_alert=True)
        return
    if leave.person_id != me.id and not filters.is_admin(me):
        await query.answer(texts.LEAVE_CANCEL_DENIED, show_alert=True)
        return
    store.cancel_leave(session, leave=leave, by=me)
    owner = await session.get(Person, leave.person_id)
    audit(
        session,
        action="leave_cancel",
        unit_id=me.unit_id,
        actor_person_id=me.id,
        actor=me.name,
        subject=owner.name if owner else "",
        detail={"leave_id": leave.id},
    )
    await session.commit()
    await query.answer(texts.leave_cancelled(_period(leave)))
    if isinstance(query.message, Message):
        await query.message.answer(texts.leave_cancelled(_period(leave)))
