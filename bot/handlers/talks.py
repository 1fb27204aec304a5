"""反馈谈话 (DESIGN §6): `/talk` for leaders (a conversation), `/talks` for the 考核办.

Talks belong to the last published quarter. `/talk` lists the people the leader may talk
with as buttons (❗ mandatory and not yet held, ✅ held), or `/talk 姓名` picks one; then
three questions: strengths, shortcomings, improvement plan. The talk is stored after the
third answer and the person is told its whole record. `/cancel` (or 取消) stops it; other
commands may be used in between and the conversation waits — for `ANSWER_WAIT` after a
question: a text later than that is a 日报 again, and `/talk` starts afresh.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.ids import parse_id
from bot.results import needs_talk
from core.calendar import WorkCalendar
from core.people import Role, can_lead, decode_roles
from core.policy import Policy
from core.quarter import Quarter
from core.quarter_end import window
from core.reports import short_date
from storage import people
from storage import results as store
from storage.facts import scored_people
from storage.tables import Person

log = logging.getLogger(__name__)

MAX_ANSWER = 1000
ANSWER_WAIT = timedelta(minutes=30)
MAX_BUTTONS = 60
LEADERS = frozenset({Role.HEAD, Role.SUPERVISOR, Role.CHIEF})


class TalkForm(StatesGroup):
    """The three questions of a talk."""

    strengths = State()
    shortcomings = State()
    plan = State()


def make_router() -> Router:
    """/talk and its conversation (private), the pick buttons, /talks (admins)."""
    router = Router(name="talks")
    in_talk = StateFilter(TalkForm)
    router.message.register(cmd_cancel, Command("cancel"), in_talk, filters.private)
    router.message.register(cmd_cancel, in_talk, filters.private, _says_cancel)
    router.message.register(cmd_talk, Command("talk"), filters.member)
    router.message.register(cmd_talks, Command("talks"), filters.member)
    router.message.register(on_answer, in_talk, filters.private, filters.member, _waiting)
    router.callback_query.register(on_pick, filters.callback_prefix("talk"), filters.member)
    return router


async def _waiting(message: Message, state: FSMContext, now: datetime) -> bool:
    """A question is pending and fresh, and this is not a command: a question claims the
    leader's next text for `ANSWER_WAIT` only, after which text is a 日报 again."""
    if (message.text or "").startswith("/"):
        return False
    asked = (await state.get_data()).get("at")
    return isinstance(asked, str) and now - datetime.fromisoformat(asked) <= ANSWER_WAIT


async def _says_cancel(message: Message) -> bool:
    return (message.text or "").strip() in texts.TALK_CANCEL_WORDS


def _is_leader(person: Person) -> bool:
    return bool(LEADERS & decode_roles(person.roles))


async def cmd_cancel(message: Message, state: FSMContext) -> None:
    """Stop the talk; nothing is stored."""
    await state.clear()
    await message.answer(texts.TALK_CANCELLED)


async def cmd_talk(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    me: Person,
    state: FSMContext,
    now: datetime,
) -> None:
    """Start a talk: buttons of the people one may talk with, or the one named."""
    if message.chat.type != "private":
        await message.reply(texts.TALK_PRIVATE)
        return
    if not _is_leader(me):
        await message.answer(texts.TALK_NOT_LEADER)
        return
    snapshot = await store.latest_published(session, unit_id=me.unit_id)
    if snapshot is None:
        await message.answer(texts.TALK_NO_RESULTS)
        return
    ref = (command.args or "").strip()
    leader = await people.to_core(session, me)
    if ref:
        found = await people.resolve_person(session, unit_id=me.unit_id, ref=ref)
        if not found and ref.startswith("@"):
            found = await people.resolve_person(session, unit_id=me.unit_id, ref=ref[1:])
        if len(found) > 1:
            mine = [p for p in found if can_lead(leader, await people.to_core(session, p))]
            found = mine if len(mine) == 1 else found
        if len(found) != 1:
            await message.answer(
                texts.who_ambiguous(ref, len(found)) if found else texts.action_who(ref)
            )
            return
        await _begin(message, session, state, me, found[0], snapshot, now)
        return
    quarter = Quarter.parse(snapshot.quarter.quarter)
    done = {t.person_id for t in await store.talks(session, unit_id=me.unit_id, quarter=quarter)}
    choices = []
    for person in await scored_people(session, unit_id=me.unit_id):
        result = snapshot.person(person.id)
        if result is None or not can_lead(leader, person):
            continue
        must = needs_talk(result)
        label = texts.talk_choice(person.name, done=person.id in done, mandatory=must)
        order = 2 if person.id in done else (0 if must else 1)
        choices.append((order, len(choices), label, person.id))
    if not choices:
        await message.answer(texts.TALK_NOBODY)
        return
    choices.sort()
    buttons = [
        InlineKeyboardButton(text=label, callback_data=f"talk:{pid}")
        for _, _, label, pid in choices[:MAX_BUTTONS]
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    outstanding = sum(1 for order, *_ in choices if order == 0)
    await message.answer(
        texts.talk_pick(quarter.label, outstanding),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def on_pick(
    query: CallbackQuery, session: AsyncSession, me: Person, state: FSMContext, now: datetime
) -> None:
    """The leader chose whom to talk with."""
    message = query.message
    try:
        person_id = parse_id((query.data or "").split(":", 1)[1])
    except (IndexError, ValueError):
        person_id = -1
    person = await session.get(Person, person_id) if person_id > 0 else None
    snapshot = await store.latest_published(session, unit_id=me.unit_id)
    if person is None or snapshot is None or not isinstance(message, Message):
        await query.answer(texts.TALK_GONE, show_alert=True)
        return
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    await _begin(message, session, state, me, person, snapshot, now)


async def _begin(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    me: Person,
    person: Person,
    snapshot: store.Published,
    now: datetime,
) -> None:
    """Check the talk may be held, then ask the first question."""
    leader = await people.to_core(session, me)
    if not can_lead(leader, await people.to_core(session, person)):
        await message.answer(texts.talk_not_yours(person.name))
        return
    quarter = Quarter.parse(snapshot.quarter.quarter)
    result = snapshot.person(person.id or 0)
    if result is None:
        await message.answer(texts.talk_not_scored(person.name, quarter.label))
        return
    held = await store.talk_of(
        session, unit_id=me.unit_id, quarter=quarter, person_id=person.id or 0
    )
    if held is not None:
        by = await session.get(Person, held.leader_id)
        day = short_date(held.created_at.date())
        await message.answer(texts.talk_already(person.name, by.name if by else "?", day))
        return
    must = needs_talk(result)
    await state.set_state(TalkForm.strengths)
    await state.set_data(
        {
            "person_id": person.id,
            "quarter": str(quarter),
            "mandatory": must,
            "at": now.isoformat(),
        }
    )
    await message.answer(
        texts.talk_ask_strengths(
            name=person.name, quarter=quarter.label, grade=result["grade_label"], mandatory=must
        )
    )


async def on_answer(
    message: Message,
    session: AsyncSession,
    bot: Bot,
    me: Person,
    state: FSMContext,
    now: datetime,
) -> None:
    """One answer of the conversation; the third stores the talk."""
    text = (message.text or "").strip()
    if not text:
        await message.answer(texts.TALK_EMPTY)
        return
    if len(text) > MAX_ANSWER:
        await message.answer(texts.TALK_TOO_LONG)
        return
    current = await state.get_state()
    if current == TalkForm.strengths.state:
        await state.update_data({"strengths": text, "at": now.isoformat()})
        await state.set_state(TalkForm.shortcomings)
        await message.answer(texts.TALK_ASK_SHORTCOMINGS)
        return
    if current == TalkForm.shortcomings.state:
        await state.update_data({"shortcomings": text, "at": now.isoformat()})
        await state.set_state(TalkForm.plan)
        await message.answer(texts.TALK_ASK_PLAN)
        return
    data = await state.get_data()
    await state.clear()
    person = await session.get(Person, data.get("person_id", 0))
    if person is None or "strengths" not in data or "shortcomings" not in data:
        await message.answer(texts.TALK_GONE)
        return
    quarter = Quarter.parse(data["quarter"])
    talk = await store.add_talk(
        session,
        unit_id=me.unit_id,
        quarter=quarter,
        person_id=person.id or 0,
        leader_id=me.id or 0,
        mandatory=bool(data.get("mandatory")),
        strengths=data["strengths"],
        shortcomings=data["shortcomings"],
        plan=text,
        now=now,
    )
    await session.commit()  # stored before we say so
    if talk is None:
        await message.answer(texts.talk_taken(person.name))
        return
    await message.answer(texts.talk_saved(person.name))
    if person.tg_user_id is not None:
        try:
            await bot.send_message(
                person.tg_user_id,
                texts.talk_notice(
                    leader=me.name, quarter=quarter.label, strengths=talk.strengths,
                    shortcomings=talk.shortcomings, plan=talk.plan,
                ),
            )  # fmt: skip
        except TelegramAPIError:
            log.warning("could not tell person %s about their talk", person.id)


async def cmd_talks(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
) -> None:
    """Admins: per department, whose mandatory talks are held and whose are outstanding."""
    if Role.ADMIN not in decode_roles(me.roles):
        await message.answer(texts.TALKS_DENIED)
        return
    if message.chat.type != "private":
        await message.reply(texts.TALK_PRIVATE)
        return
    snapshot = await store.latest_published(session, unit_id=me.unit_id)
    if snapshot is None:
        await message.answer(texts.TALK_NO_RESULTS)
        return
    quarter = Quarter.parse(snapshot.quarter.quarter)
    held = {t.person_id for t in await store.talks(session, unit_id=me.unit_id, quarter=quarter)}
    names = await people.department_names(session, unit_id=me.unit_id)
    everyone = await scored_people(session, unit_id=me.unit_id)
    rows = []
    for department_id, name in names.items():
        outstanding, done, optional = [], [], 0
        for person in everyone:
            result = snapshot.person(person.id)
            if person.department_id != department_id or result is None:
                continue
            if needs_talk(result):
                (done if person.id in held else outstanding).append(person.name)
            elif person.id in held:
                optional += 1
        if outstanding or done or optional:
            rows.append((name, outstanding, done, optional))
    due = window(policy, calendar, quarter).talks_due
    overview = texts.talks_overview(quarter=quarter.label, due=short_date(due), rows=rows)
    for part in chunks(overview):
        await message.answer(part)


def chunks(text: str, limit: int = 4000) -> list[str]:
    """Split a long text at line ends into messages Telegram accepts (4096 characters)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in [line[i : i + limit] for i in range(0, len(line), limit)] or [""]:
            if current and len(current) + 1 + len(piece) > limit:
                parts.append(current)
                current = piece
            else:
                current = f"{current}\n{piece}" if current else piece
    if current:
        parts.append(current)
    return parts
