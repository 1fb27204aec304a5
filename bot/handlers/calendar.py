"""/calendar: this and next month's holidays and 调休 workdays (everyone); admins import
the year's State Council notice by pasting it: `/calendar import` + the text (DESIGN §2)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.calendars import CalendarBook, understood
from core.calendar import WorkCalendar
from core.holiday_notice import NoticeError, parse_notice
from storage import calendar as store
from storage.tables import Person

PENDING = "calendar_notice"
IMPORT_WORDS = frozenset({"import", "导入"})


def make_router() -> Router:
    """/calendar in private and groups; the import's confirm buttons."""
    router = Router(name="calendar")
    router.message.register(cmd_calendar, Command("calendar"), filters.member)
    router.callback_query.register(on_confirm, filters.callback_prefix("calimp"), filters.member)
    return router


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _span(start: date, end: date) -> range:
    return range((end - start).days + 1)


def overview(calendar: WorkCalendar, today: date) -> str:
    """This month's and next month's holidays and 调休 workdays, with their source."""
    blocks, unknown = [], None
    first = today.replace(day=1)
    for _ in range(2):
        last = _month_end(first)
        runs = calendar.holiday_runs(first, last)
        days_off = [start + timedelta(days=n) for start, end in runs for n in _span(start, end)]
        source = texts.CALENDAR_SOURCES[calendar.source(first.year).value]
        blocks.append(
            texts.calendar_month_lines(
                f"{first.year}年{first.month}月",
                days_off,
                calendar.weekend_workdays(first, last),
                source,
            )
        )
        if not calendar.known(first) and unknown is None:
            unknown = first.year
        first = last + timedelta(days=1)
    return texts.calendar_overview(blocks, unknown)


async def cmd_calendar(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    me: Person,
    calendar: WorkCalendar,
    today: date,
    state: FSMContext,
) -> None:
    """`/calendar` shows; `/calendar import` + the notice's text asks to import it."""
    words = re.match(r"\s*(\S*)\s*(.*)", command.args or "", re.DOTALL)
    word, rest = (words.group(1), words.group(2)) if words else ("", "")
    if word not in IMPORT_WORDS:
        await message.answer(overview(calendar, today))
        return
    if not filters.is_admin(me):
        await message.reply(texts.CALENDAR_IMPORT_DENIED)
        return
    if message.chat.type != "private":
        await message.reply(texts.CALENDAR_IMPORT_PRIVATE)
        return
    text = rest.strip()
    if not text:
        await message.answer(texts.CALENDAR_IMPORT_USAGE)
        return
    try:
        parsed = parse_notice(text)
    except NoticeError as exc:
        await message.answer(texts.notice_refused(str(exc)))
        return
    shown = understood(parsed)
    existing = await store.notice_row(session, year=parsed.year)
    if existing is not None:
        at = f"{existing.imported_at:%Y-%m-%d}"
        shown += "\n" + texts.notice_replaces(parsed.year, existing.imported_by, at)
    buttons = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=texts.BUTTON_CONFIRM, callback_data="calimp:ok"),
                InlineKeyboardButton(text=texts.BUTTON_CANCEL, callback_data="calimp:no"),
            ]
        ]
    )
    asked = await message.answer(texts.notice_ask(shown), reply_markup=buttons)
    await state.update_data({PENDING: {"text": text, "confirm_id": asked.message_id}})


async def on_confirm(
    query: CallbackQuery,
    session: AsyncSession,
    me: Person,
    state: FSMContext,
    calendar_book: CalendarBook,
) -> None:
    """确认 stores the notice (audited) and puts it in force; 取消 drops it."""
    message = query.message
    pending = (await state.get_data()).get(PENDING)
    if (
        not isinstance(message, Message)
        or not pending
        or pending.get("confirm_id") != message.message_id
        or not filters.is_admin(me)
    ):
        await query.answer(texts.CALENDAR_IMPORT_GONE, show_alert=True)
        return
    await state.update_data({PENDING: None})
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    if query.data != "calimp:ok":
        await message.answer(texts.CALENDAR_IMPORT_CANCELLED)
        return
    try:
        parsed = parse_notice(pending["text"])
    except NoticeError as exc:  # the parser changed between asking and confirming
        await message.answer(texts.notice_refused(str(exc)))
        return
    await store.save_notice(
        session,
        notice=parsed.notice(),
        text=pending["text"],
        actor=me.name,
        actor_person_id=me.id,
        unit_id=me.unit_id,
    )
    await session.commit()  # stored before we say so
    calendar_book.invalidate()
    await message.answer(texts.notice_saved(parsed.year))
