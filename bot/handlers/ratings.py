"""多主体评价 answers (DESIGN §6): one message per rater lists whom to rate, with a
button per person (paged when long); a person's button opens their request, with grade
buttons, and a typed number as a reply to the request counts too. `/ratings` shows the
list of what is still to rate.

A request is one message per (rater, ratee, kind), sent when its button is pressed: its
buttons carry the rating's id, and a typed reply finds the rating through the message it
answers. An answer counts only inside the ratings window of the rating's quarter and
replaces an earlier one. Nothing here shows anyone a rating they received: a rater sees
only their own answers, and the list only names whom they rate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.ids import is_id
from core import ratings as core
from core.calendar import WorkCalendar
from core.grades import GRADE_ORDER, Grade
from core.jobs import Job
from core.policy import Policy, RaterKind
from core.quarter import Quarter
from core.quarter_end import QuarterEndWindow
from core.reports import short_date
from storage import ratings as store
from storage.facts import scored_people
from storage.tables import Person, Rating

PREFIX = "rt"
PAGE = 8  # people's buttons per page of the list (two a row)
OPEN, TURN = "o", "p"  # rt:o:<rating id> opens a request, rt:p:<page> turns the list
REQUEST_JOBS = (Job.RATINGS_OPEN.value,)


def make_router() -> Router:
    """/ratings, the grade buttons and typed replies; before the reports catch-all."""
    router = Router(name="ratings")
    router.message.register(cmd_ratings, Command("ratings"), filters.private, filters.member)
    router.callback_query.register(button, filters.callback_prefix(PREFIX), filters.member)
    router.message.register(
        typed, filters.private, filters.member, filters.has_text, reply_to_request
    )
    return router


async def reply_to_request(message: Message, session: AsyncSession) -> bool | dict[str, Any]:
    """A reply to one of the bot's rating requests: hands the handler its `rating`."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return False
    rating = await store.rating_for_prompt(
        session, chat_id=message.chat.id, message_id=replied.message_id, jobs=REQUEST_JOBS
    )
    return {"rating": rating} if rating is not None else False


def keyboard(policy: Policy, rating_id: int) -> InlineKeyboardMarkup:
    """The grade buttons of one request, with the score each stands for."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=f"{g.label} {texts.score_number(core.grade_score(policy, g))}",
                    callback_data=f"{PREFIX}:{rating_id}:{g.value}",
                )
                for g in GRADE_ORDER
            ]
        ]
    )


def request_text(rating: Rating, ratee: str) -> str:
    """The text of a request for `rating`."""
    kind = RaterKind(rating.kind)
    return texts.rate_request(
        name=ratee,
        kind=kind.label,
        quarter=Quarter.parse(rating.quarter).label,
        anonymous=kind in core.ANONYMOUS_KINDS,
        own=kind is RaterKind.SELF,
    )


def whom(rows: list[Rating], names: dict[int, str]) -> list[str]:
    """The list's lines: whom the rater rates, per kind (自评 as 本人)."""
    return texts.rate_whom(
        [
            (RaterKind(r.kind).label, "" if r.kind == RaterKind.SELF else names[r.ratee_id])
            for r in rows
        ]
    )


def list_keyboard(
    rows: list[Rating], names: dict[int, str], page: int = 0
) -> InlineKeyboardMarkup | None:
    """A button per rating on `page` (two a row; ✅ marks the answered ones, which stay so
    that pages do not shift), and the page turns; None when nothing is left to answer
    (or the rows have no id yet: a dry run)."""
    shown = [r for r in rows if r.id is not None]
    if not any(r.score is None for r in shown):
        return None
    pages = (len(shown) + PAGE - 1) // PAGE
    page = min(max(page, 0), pages - 1)
    seen = [r.ratee_id for r in shown if r.kind != RaterKind.SELF]
    twice = {ratee for ratee in seen if seen.count(ratee) > 1}
    buttons = []
    for r in shown[page * PAGE : (page + 1) * PAGE]:
        if r.kind == RaterKind.SELF:
            label = texts.RATE_OWN_BUTTON
        else:
            label = names[r.ratee_id]
            if r.ratee_id in twice:  # the same person rated in two capacities
                label += f"·{RaterKind(r.kind).label}"
        label = texts.rate_button(label, done=r.score is not None)
        buttons.append(InlineKeyboardButton(text=label, callback_data=f"{PREFIX}:{OPEN}:{r.id}"))
    grid = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if pages > 1:
        turn = []
        if page > 0:
            turn.append(
                InlineKeyboardButton(
                    text=texts.RATE_PAGE_PREVIOUS, callback_data=f"{PREFIX}:{TURN}:{page - 1}"
                )
            )
        turn.append(
            InlineKeyboardButton(
                text=texts.rate_page(page + 1, pages), callback_data=f"{PREFIX}:{TURN}:{page}"
            )
        )
        if page < pages - 1:
            turn.append(
                InlineKeyboardButton(
                    text=texts.RATE_PAGE_NEXT, callback_data=f"{PREFIX}:{TURN}:{page + 1}"
                )
            )
        grid.append(turn)
    return InlineKeyboardMarkup(inline_keyboard=grid)


async def _names(session: AsyncSession, rows: list[Rating]) -> dict[int, str]:
    return {r.ratee_id: await _name(session, r.ratee_id) for r in rows}


async def _name(session: AsyncSession, person_id: int) -> str:
    person = await session.get(Person, person_id)
    return person.name if person is not None else str(person_id)


async def _apply(
    session: AsyncSession,
    me: Person,
    rating: Rating | None,
    score: float,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> str:
    """Store `score` if the rating is the sender's and its window is open; the answer."""
    if rating is None:
        return texts.RATE_GONE
    if rating.rater_id != me.id:
        return texts.RATE_NOT_YOURS
    window = core.rating_window(policy, calendar, now.date(), now.time())
    if window is None or str(window.quarter) != rating.quarter:
        return texts.RATE_CLOSED
    await store.answer(session, rating=rating, score=score, now=now)
    await session.commit()
    kind = RaterKind(rating.kind)
    return texts.rate_done(
        name=await _name(session, rating.ratee_id),
        kind=kind.label,
        score=texts.score_number(score),
        anonymous=kind in core.ANONYMOUS_KINDS,
        own=kind is RaterKind.SELF,
    )


async def _open(
    query: CallbackQuery,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    rating_id: int,
) -> None:
    """A person's button in the list: send the request for that rating."""
    rating = await session.get(Rating, rating_id)
    refusal = None
    if rating is None:
        refusal = texts.RATE_GONE
    elif rating.rater_id != me.id:
        refusal = texts.RATE_NOT_YOURS
    else:
        window = core.rating_window(policy, calendar, now.date(), now.time())
        if window is None or str(window.quarter) != rating.quarter:
            refusal = texts.RATE_CLOSED
    if refusal is not None or rating is None or not isinstance(query.message, Message):
        await query.answer(refusal, show_alert=refusal is not None)
        return
    await query.answer()
    assert rating.id is not None
    sent = await query.message.answer(
        request_text(rating, await _name(session, rating.ratee_id)),
        reply_markup=keyboard(policy, rating.id),
    )
    rating.prompt_chat_id, rating.prompt_message_id = sent.chat.id, sent.message_id
    session.add(rating)
    await session.commit()


async def _turn(
    query: CallbackQuery,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    page: int,
) -> None:
    """A page turn of the list: show that page of what is still to rate."""
    assert me.id is not None
    window = core.rating_window(policy, calendar, now.date(), now.time())
    if window is None:
        await query.answer(texts.RATE_CLOSED, show_alert=True)
        return
    rows = await store.requests_of(
        session, unit_id=me.unit_id, quarter=window.quarter, rater_id=me.id
    )
    pending = [r for r in rows if r.score is None]
    await query.answer(None if pending else texts.RATE_NOTHING)
    if pending and isinstance(query.message, Message):
        names = await _names(session, rows)
        await query.message.edit_text(
            _pending_text(window, rows, names), reply_markup=list_keyboard(rows, names, page)
        )


def _pending_text(window: QuarterEndWindow, rows: list[Rating], names: dict[int, str]) -> str:
    pending = [r for r in rows if r.score is None]
    head = texts.ratings_pending(
        quarter=window.quarter.label, count=len(pending), close=short_date(window.ratings_close)
    )
    return texts.ratings_list(head, whom(pending, names), buttons=True)


async def button(
    query: CallbackQuery,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """A grade button under a request; a person's button or a page turn of the list."""
    parts = (query.data or "").split(":")
    if len(parts) == 3 and parts[1] == OPEN and is_id(parts[2]):
        await _open(query, session, me, policy, calendar, now, int(parts[2]))
        return
    if len(parts) == 3 and parts[1] == TURN and parts[2] in {str(n) for n in range(100)}:
        await _turn(query, session, me, policy, calendar, now, int(parts[2]))  # 0 is a page
        return
    if len(parts) != 3 or not is_id(parts[1]) or parts[2] not in set(Grade):
        await query.answer()
        return
    rating = await session.get(Rating, int(parts[1]))
    score = core.grade_score(policy, Grade(parts[2]))
    answer = await _apply(session, me, rating, score, policy, calendar, now)
    stored = answer.startswith("✅")
    await query.answer(answer if not stored else None, show_alert=not stored)
    if stored and isinstance(query.message, Message) and rating is not None:
        assert rating.id is not None
        await query.message.edit_text(answer, reply_markup=keyboard(policy, rating.id))


async def typed(
    message: Message,
    session: AsyncSession,
    me: Person,
    rating: Rating,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """A number typed as a reply to a request."""
    try:
        score = core.parse_score(message.text or "")
    except core.BadScore:
        await message.answer(texts.RATE_BAD_NUMBER)
        return
    await message.answer(await _apply(session, me, rating, score, policy, calendar, now))


async def cmd_ratings(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """What the sender still has to rate, as requests they can answer right here."""
    assert me.id is not None
    window = core.rating_window(policy, calendar, now.date(), now.time())
    if window is None:
        await message.answer(texts.RATE_NOTHING)
        return
    # the requests are created by ratings_open; asking here first is as good
    people = await scored_people(session, unit_id=me.unit_id)
    mine = [a for a in core.assignments(policy, people) if a.rater_id == me.id]
    await store.ensure_requests(
        session, unit_id=me.unit_id, quarter=window.quarter, assignments=mine, now=now
    )
    rows = await store.requests_of(
        session, unit_id=me.unit_id, quarter=window.quarter, rater_id=me.id
    )
    pending = [r for r in rows if r.score is None]
    if not pending:
        await session.commit()
        await message.answer(texts.RATE_NOTHING)
        return
    await session.commit()
    names = await _names(session, rows)
    await message.answer(
        _pending_text(window, rows, names), reply_markup=list_keyboard(rows, names)
    )
