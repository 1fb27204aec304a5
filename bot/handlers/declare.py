"""实绩申报 `/declare` (DESIGN §6): a short guided conversation in private chat.

Each item takes three answers — its text, its task source (buttons) and a self-rating
(buttons) — and is stored the moment the last one arrives, so an interrupted
conversation (another command, a restart) loses at most the item being typed; `/declare`
picks up where it was and shows the list so far. The FSM data is small and plain JSON
(quarter, position being edited, the pending text and source, when the prompt went out),
so Redis storage works as well as memory.

A pending text prompt claims the person's next text for `TEXT_WAIT` only: after that a
text is a 日报 again (the reports router files it), and `/declare` asks afresh.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.ids import is_id
from core import declarations as core
from core.calendar import WorkCalendar
from core.grades import GRADE_ORDER, Grade
from core.policy import Policy
from core.quarter import Quarter
from core.quarter_end import QuarterEndWindow
from core.reports import short_date
from storage import declarations as store
from storage.tables import Declaration, DeclarationItem, Person

TEXT_WAIT = timedelta(minutes=30)
PREFIX = "dc"


class Declaring(StatesGroup):
    """Where the person is in adding or editing one item."""

    text = State()
    source = State()
    rating = State()


def make_router() -> Router:
    """`/declare` and its buttons; must come before the reports router's catch-all."""
    router = Router(name="declare")
    router.message.register(cmd_declare, Command("declare"), filters.private, filters.member)
    router.message.register(
        declare_text, StateFilter(Declaring.text), filters.private, filters.member,
        filters.has_text, waiting_for_text,
    )  # fmt: skip
    router.callback_query.register(button, filters.callback_prefix(PREFIX), filters.member)
    return router


async def waiting_for_text(message: Message, state: FSMContext, now: datetime) -> bool:
    """A fresh text prompt is pending, and this text is not a command."""
    if (message.text or "").startswith("/"):
        return False
    asked = (await state.get_data()).get("at")
    return isinstance(asked, str) and now - datetime.fromisoformat(asked) <= TEXT_WAIT


# ---- helpers ---------------------------------------------------------------------------


def _closed_text(policy: Policy, calendar: WorkCalendar, today_: datetime) -> str:
    day = today_.date()
    last = core.last_window(policy, calendar, day, today_.time())
    following = core.next_window(policy, calendar, day)
    return texts.declare_closed(
        last_quarter=last.quarter.label,
        last_close=short_date(last.declare_close),
        next_quarter=following.quarter.label,
        next_open=short_date(following.declare_open),
        next_close=short_date(following.declare_close),
    )


def _overview_keyboard(count: int) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for position in range(1, count + 1):
        rows.append(
            [
                InlineKeyboardButton(
                    text=texts.declare_edit_button(position), callback_data=f"dc:edit:{position}"
                ),
                InlineKeyboardButton(
                    text=texts.declare_delete_button(position), callback_data=f"dc:del:{position}"
                ),
            ]
        )
    last = []
    if count < core.MAX_ITEMS:
        last.append(InlineKeyboardButton(text=texts.DECLARE_ADD, callback_data="dc:add"))
    if count:
        last.append(InlineKeyboardButton(text=texts.DECLARE_SUBMIT, callback_data="dc:submit"))
    rows.append(last)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _choice_keyboard(kind: str) -> InlineKeyboardMarkup:
    if kind == "src":
        choices = [(s.label, f"dc:src:{s.value}") for s in core.TaskSource]
    else:
        choices = [(g.label, f"dc:rate:{g.value}") for g in GRADE_ORDER]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=data) for label, data in choices],
            [InlineKeyboardButton(text=texts.DECLARE_CANCEL, callback_data="dc:cancel")],
        ]
    )


def _text_keyboard(editing: bool) -> InlineKeyboardMarkup:
    row = [InlineKeyboardButton(text=texts.DECLARE_CANCEL, callback_data="dc:cancel")]
    if editing:
        row.insert(0, InlineKeyboardButton(text=texts.DECLARE_KEEP, callback_data="dc:keep"))
    return InlineKeyboardMarkup(inline_keyboard=[row])


async def _overview(
    message: Message, session: AsyncSession, me: Person, window: QuarterEndWindow
) -> int:
    """Send the list so far with its buttons; the number of items."""
    assert me.id is not None
    found = await store.declaration(session, person_id=me.id, quarter=window.quarter)
    rows = await store.items(session, declaration_id=found.id) if found and found.id else []
    lines = [
        texts.declare_item(
            n=row.position,
            text=row.text,
            source=core.TaskSource(row.source).label,
            rating=Grade(row.self_rating).label,
        )
        for row in rows
    ]
    await message.answer(
        texts.declare_overview(
            quarter=window.quarter.label,
            close=short_date(window.declare_close),
            items=lines,
            submitted=found is not None and found.submitted_at is not None,
            limit=core.MAX_ITEMS,
        ),
        reply_markup=_overview_keyboard(len(rows)),
    )
    return len(rows)


async def _ask_text(
    message: Message, state: FSMContext, quarter: Quarter, position: int, now: datetime, n: int
) -> None:
    """Prompt for an item's text; `position` 0 is a new item (the n-th)."""
    await state.set_state(Declaring.text)
    await state.set_data({"q": str(quarter), "pos": position, "at": now.isoformat()})
    if position:
        await message.answer(texts.declare_ask_edit(position), reply_markup=_text_keyboard(True))
    else:
        await message.answer(
            texts.declare_ask_text(n, core.MAX_ITEMS), reply_markup=_text_keyboard(False)
        )


async def _resume(message: Message, state: FSMContext, now: datetime, n: int) -> None:
    """Ask again for the step the person left off at."""
    current = await state.get_state()
    data = await state.get_data()
    position = int(data.get("pos") or 0)
    if current == Declaring.text.state:
        await _ask_text(message, state, Quarter.parse(data["q"]), position, now, n + 1)
    elif current == Declaring.source.state:
        await message.answer(
            texts.declare_ask_source(data.get("text", "")), reply_markup=_choice_keyboard("src")
        )
    elif current == Declaring.rating.state:
        await message.answer(texts.DECLARE_ASK_RATING, reply_markup=_choice_keyboard("rate"))


# ---- handlers --------------------------------------------------------------------------


async def cmd_declare(
    message: Message,
    session: AsyncSession,
    me: Person,
    state: FSMContext,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """Show the declaration so far and continue it; outside the window, say when it is."""
    window = core.open_window(policy, calendar, now.date(), now.time())
    current = await state.get_state()
    mine = current is not None and current.startswith("Declaring:")
    if window is None:
        if mine:
            await state.clear()
        await message.answer(_closed_text(policy, calendar, now))
        return
    data = await state.get_data() if mine else {}
    if mine and data.get("q") != str(window.quarter):
        await state.clear()
        mine = False
    count = await _overview(message, session, me, window)
    if mine:
        await _resume(message, state, now, count)
    elif count == 0:
        await _ask_text(message, state, window.quarter, 0, now, 1)


async def declare_text(
    message: Message,
    session: AsyncSession,
    me: Person,
    state: FSMContext,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """The text of the item being added or edited; next, its task source."""
    if core.open_window(policy, calendar, now.date(), now.time()) is None:
        await state.clear()
        await message.answer(_closed_text(policy, calendar, now))
        return
    try:
        text = core.check_text(message.text or "")
    except core.DeclarationError:
        await message.answer(texts.declare_bad_text(core.MAX_TEXT))
        return
    await state.update_data(text=text)
    await state.set_state(Declaring.source)
    await message.answer(texts.declare_ask_source(text), reply_markup=_choice_keyboard("src"))


@dataclass
class Press:
    """One press of a /declare button, with what every action needs."""

    query: CallbackQuery
    message: Message
    session: AsyncSession
    me: Person
    state: FSMContext
    window: QuarterEndWindow
    now: datetime
    arg: str
    found: Declaration | None
    rows: list[DeclarationItem]

    def row(self, position: int) -> DeclarationItem | None:
        return next((r for r in self.rows if r.position == position), None)


async def button(
    query: CallbackQuery,
    session: AsyncSession,
    me: Person,
    state: FSMContext,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """Every /declare button: add, edit, delete, keep text, source, rating, submit, cancel."""
    message = query.message
    if not isinstance(message, Message) or message.chat.type != "private":
        await query.answer()
        return
    parts = (query.data or "").split(":")
    action, arg = parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else ""
    window = core.open_window(policy, calendar, now.date(), now.time())
    if window is None:
        await state.clear()
        await query.answer(texts.DECLARE_CLOSED_SHORT, show_alert=True)
        await message.answer(_closed_text(policy, calendar, now))
        return
    assert me.id is not None
    found = await store.declaration(session, person_id=me.id, quarter=window.quarter)
    rows = await store.items(session, declaration_id=found.id) if found and found.id else []
    press = Press(query, message, session, me, state, window, now, arg, found, rows)
    handler = _ACTIONS.get(action)
    if handler is None:
        await query.answer(texts.DECLARE_STALE, show_alert=True)
        return
    await handler(press)


async def _add(p: Press) -> None:
    if len(p.rows) >= core.MAX_ITEMS:
        await p.query.answer(texts.declare_full(core.MAX_ITEMS), show_alert=True)
        return
    data = await p.state.get_data()
    waiting = await p.state.get_state() == Declaring.text.state and not data.get("pos")
    if waiting and data.get("q") == str(p.window.quarter):  # already asked: not twice
        await p.query.answer(texts.declare_ask_text(len(p.rows) + 1, core.MAX_ITEMS))
        return
    await p.query.answer()
    await _ask_text(p.message, p.state, p.window.quarter, 0, p.now, len(p.rows) + 1)


async def _edit(p: Press) -> None:
    position = int(p.arg) if is_id(p.arg) else 0
    if p.row(position) is None:
        await p.query.answer(texts.DECLARE_GONE, show_alert=True)
        return
    await p.query.answer()
    await _ask_text(p.message, p.state, p.window.quarter, position, p.now, position)


async def _delete(p: Press) -> None:
    position = int(p.arg) if is_id(p.arg) else 0
    row = p.row(position)
    if row is None or p.found is None:
        await p.query.answer(texts.DECLARE_GONE, show_alert=True)
        return
    await store.delete_item(p.session, declaration=p.found, item=row, now=p.now)
    await p.session.commit()
    await p.state.clear()
    await p.query.answer(texts.declare_deleted(position))
    await p.message.answer(texts.declare_deleted(position))
    await _overview(p.message, p.session, p.me, p.window)


async def _cancel(p: Press) -> None:
    await p.state.clear()
    await p.query.answer()
    await _overview(p.message, p.session, p.me, p.window)


async def _submit(p: Press) -> None:
    if p.found is None or not p.rows:
        await p.query.answer(texts.DECLARE_EMPTY, show_alert=True)
        return
    await store.submit(p.session, declaration=p.found, now=p.now)
    await p.session.commit()
    await p.state.clear()
    await p.query.answer()
    await p.message.answer(
        texts.declare_submitted(
            quarter=p.window.quarter.label,
            count=len(p.rows),
            close=short_date(p.window.declare_close),
        )
    )


async def _step(p: Press, step: State) -> dict[str, Any] | None:
    """The conversation's data if it is at `step` of an item of this window's quarter."""
    data = await p.state.get_data()
    if await p.state.get_state() != step.state or data.get("q") != str(p.window.quarter):
        await p.query.answer(texts.DECLARE_STALE, show_alert=True)
        return None
    return data


async def _keep(p: Press) -> None:
    data = await _step(p, Declaring.text)
    if data is None:
        return
    row = p.row(int(data.get("pos") or 0))
    if row is None:
        await p.state.clear()
        await p.query.answer(texts.DECLARE_GONE, show_alert=True)
        return
    await p.state.update_data(text=row.text)
    await p.state.set_state(Declaring.source)
    await p.query.answer()
    await p.message.answer(
        texts.declare_ask_source(row.text), reply_markup=_choice_keyboard("src")
    )


async def _source(p: Press) -> None:
    data = await _step(p, Declaring.source)
    if data is None:
        return
    if p.arg not in set(core.TaskSource):
        await p.query.answer(texts.DECLARE_STALE, show_alert=True)
        return
    await p.state.update_data(src=p.arg)
    await p.state.set_state(Declaring.rating)
    await p.query.answer()
    await p.message.answer(texts.DECLARE_ASK_RATING, reply_markup=_choice_keyboard("rate"))


async def _rate(p: Press) -> None:
    data = await _step(p, Declaring.rating)
    if data is None:
        return
    if p.arg not in set(Grade):
        await p.query.answer(texts.DECLARE_STALE, show_alert=True)
        return
    await _save(p, data, Grade(p.arg))


_ACTIONS: dict[str, Callable[[Press], Awaitable[None]]] = {
    "add": _add,
    "edit": _edit,
    "del": _delete,
    "cancel": _cancel,
    "submit": _submit,
    "keep": _keep,
    "src": _source,
    "rate": _rate,
}


async def _save(p: Press, data: dict[str, Any], rating: Grade) -> None:
    """Store the item the conversation built (new, or the one being edited)."""
    me, session = p.me, p.session
    assert me.id is not None
    text, source = str(data.get("text") or ""), core.TaskSource(str(data.get("src")))
    position = int(data.get("pos") or 0)
    declaration = await store.ensure_declaration(
        session, unit_id=me.unit_id, person_id=me.id, quarter=p.window.quarter, now=p.now
    )
    assert declaration.id is not None
    if position:
        row = await store.item_at(session, declaration_id=declaration.id, position=position)
        if row is None:
            await p.state.clear()
            await p.query.answer(texts.DECLARE_GONE, show_alert=True)
            return
        await store.update_item(
            session, declaration=declaration, item=row, now=p.now,
            text=text, source=source, self_rating=rating,
        )  # fmt: skip
        saved = position
    else:
        try:
            row = await store.add_item(
                session, declaration=declaration, text=text, source=source,
                self_rating=rating, now=p.now,
            )  # fmt: skip
        except core.DeclarationError:
            await session.rollback()
            await p.state.clear()
            await p.query.answer(texts.declare_full(core.MAX_ITEMS), show_alert=True)
            return
        saved = row.position
    await session.commit()
    await p.state.clear()
    await p.query.answer()
    await p.message.answer(
        texts.declare_saved(n=saved, source=source.label, rating=rating.label, text=text)
    )
    await _overview(p.message, session, me, p.window)
