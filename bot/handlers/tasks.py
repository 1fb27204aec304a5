"""Tasks (动态指标 / 督办, DESIGN §10): /task, progress, /done, acceptance, /tasks.

交办 → 进度汇报 → 完成 → 审核评定 (格尔木): a leader with authority assigns in a chat; the
assignee is told privately, reports progress by replying to the task message (or
`/progress`), marks it `/done`; the assigning leader accepts it with a quality rating
(buttons 优 / 良 / 中 / 差, or `/accept`) or sends it back (`/return`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.handlers.likes import named_people, target_from_reply
from bot.ids import is_id, parse_id
from core import tasks as core
from core.calendar import WorkCalendar
from core.indicators import Quality
from core.people import can_lead
from core.quarter import Quarter
from core.reports import percent, short_date
from storage import people
from storage import tasks as store
from storage.audit import audit
from storage.indicators import indicator_by_key
from storage.tables import ChatGroup, Person, Task

log = logging.getLogger(__name__)
RETURN = "return"


def make_router() -> Router:
    """Task commands in private chats and bound groups; replies to task messages."""
    router = Router(name="tasks")
    router.message.register(cmd_task, Command("task"), _allowed_chat)
    router.message.register(cmd_progress, Command("progress"), _allowed_chat, filters.member)
    router.message.register(cmd_done, Command("done"), _allowed_chat, filters.member)
    router.message.register(cmd_accept, Command("accept"), _allowed_chat, filters.member)
    router.message.register(cmd_return, Command("return"), _allowed_chat, filters.member)
    router.message.register(cmd_tasks, Command("tasks"), filters.private, filters.member)
    router.message.register(reply_progress, _allowed_chat, filters.member, _reply_to_task)
    router.callback_query.register(press_rating, filters.callback_prefix("tk"), filters.member)
    return router


async def _allowed_chat(message: Message, group: ChatGroup | None) -> bool:
    return message.chat.type == "private" or group is not None


async def _reply_to_task(message: Message, session: AsyncSession) -> dict[str, object] | bool:
    """A plain text reply to the bot's task notice or confirmation."""
    target = message.reply_to_message
    text = (message.text or "").strip()
    if target is None or not text or text.startswith("/"):
        return False
    task = await store.task_by_message(
        session, chat_id=message.chat.id, message_id=target.message_id
    )
    return {"task": task} if task is not None else False


def _due_text(calendar: WorkCalendar, task: Task) -> str:
    moved = short_date(task.due_workday) if task.due_workday != task.due else None
    return texts.task_due_label(short_date(task.due), moved)


async def _tell(bot: Bot, person: Person | None, text: str, **kwargs: object) -> Message | None:
    """A private message to a person; None if they are unbound or blocked the bot."""
    if person is None or person.tg_user_id is None:
        return None
    try:
        return await bot.send_message(person.tg_user_id, text, **kwargs)  # type: ignore[arg-type]
    except TelegramAPIError:
        log.warning("could not tell person %s about a task", person.id)
        return None


# ---- 交办 -------------------------------------------------------------------------------------


async def cmd_task(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    me: Person | None,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """`/task @张三 内容 截止 12-05` (or as a reply): a leader with authority assigns."""
    if me is None or not me.active:
        await message.reply(texts.TASK_NOT_IN_ROSTER)
        return
    source = (message.chat.id, message.message_id)
    if await _task_by_source(session, source) is not None:
        return  # Telegram delivered the command again
    replying = message.reply_to_message is not None
    try:
        parsed = core.parse_task(command.args or "", today=now.date(), replying=replying)
    except core.DueInPast:
        await message.reply(texts.TASK_DUE_PAST)
        return
    except core.TaskInputError:
        await message.reply(texts.TASK_USAGE)
        return
    leader = await people.to_core(session, me)
    if parsed.target is not None:
        found = await named_people(session, message, me, parsed.target)
        if len(found) > 1:
            allowed = [p for p in found if can_lead(leader, await people.to_core(session, p))]
            found = allowed if len(allowed) == 1 else found
        if len(found) != 1:
            ref = parsed.target
            await message.reply(
                texts.who_ambiguous(ref, len(found)) if found else texts.who_unknown(ref)
            )
            return
        target: Person | None = found[0]
    else:
        target, _ = await target_from_reply(session, bot, message)
    if target is None:
        await message.reply(texts.TASK_TARGET_UNKNOWN)
        return
    if not can_lead(leader, await people.to_core(session, target)):
        await message.reply(texts.task_denied(target.name))
        return
    indicator = None
    if parsed.indicator is not None:
        found_indicator = await indicator_by_key(
            session, unit_id=me.unit_id, year=parsed.due.year, key=parsed.indicator
        )
        indicator = found_indicator.key if found_indicator else None
    assert me.id is not None and target.id is not None
    task = store.add_task(
        session,
        unit_id=me.unit_id,
        assignee_id=target.id,
        assigner_id=me.id,
        text=parsed.text,
        due=parsed.due,
        due_workday=core.due_workday(calendar, parsed.due),
        indicator_key=indicator,
        source=source,
    )
    await session.flush()
    assert task.id is not None
    audit(
        session,
        action="task_assign",
        unit_id=me.unit_id,
        actor_person_id=me.id,
        actor=me.name,
        subject=target.name,
        detail={"task_id": task.id, "due": parsed.due.isoformat()},
    )
    await session.commit()
    due = _due_text(calendar, task)
    confirm = await message.reply(
        texts.task_assigned(task.id, target.name, task.text, due, indicator)
    )
    task.confirm_chat_id, task.confirm_message_id = confirm.chat.id, confirm.message_id
    notice = None
    if target.tg_user_id != message.chat.id:
        notice = await _tell(
            bot, target, texts.task_notice(task.id, me.name, task.text, due, indicator)
        )
    if notice is not None:
        task.notice_chat_id, task.notice_message_id = notice.chat.id, notice.message_id
    session.add(task)
    await session.commit()


async def _task_by_source(session: AsyncSession, source: tuple[int, int]) -> Task | None:
    from sqlmodel import select

    query = select(Task).where(
        Task.source_chat_id == source[0], Task.source_message_id == source[1]
    )
    return (await session.exec(query)).first()


async def _numbered(
    message: Message, session: AsyncSession, args: str | None
) -> tuple[Task | None, str]:
    """The task a command means: `N 其余` or a reply to a task message; and the rest."""
    word, _, rest = (args or "").strip().partition(" ")
    if is_id(word.lstrip("#")):
        return await session.get(Task, int(word.lstrip("#"))), rest.strip()
    target = message.reply_to_message
    if target is not None:
        task = await store.task_by_message(
            session, chat_id=message.chat.id, message_id=target.message_id
        )
        return task, (args or "").strip()
    return None, (args or "").strip()


# ---- 进度汇报 and 完成 -----------------------------------------------------------------------


async def cmd_progress(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    me: Person,
    now: datetime,
) -> None:
    """`/progress N 进展` (or as a reply to the task message)."""
    task, text = await _numbered(message, session, command.args)
    if task is None or task.unit_id != me.unit_id:
        await message.reply(texts.TASK_UNKNOWN)
        return
    if not text:
        await message.reply(texts.TASK_PROGRESS_USAGE)
        return
    await _progress(message, session, bot, me, task, text, now)


async def reply_progress(
    message: Message, task: Task, session: AsyncSession, bot: Bot, me: Person, now: datetime
) -> None:
    """A reply to the task message is a progress report."""
    await _progress(message, session, bot, me, task, (message.text or "").strip(), now)


async def _progress(
    message: Message,
    session: AsyncSession,
    bot: Bot,
    me: Person,
    task: Task,
    text: str,
    now: datetime,
) -> None:
    assert task.id is not None and me.id is not None
    if task.assignee_id != me.id:
        await message.reply(texts.TASK_NOT_ASSIGNEE)
        return
    if task.status == core.TaskStatus.ACCEPTED.value:
        await message.reply(texts.TASK_ALREADY_ACCEPTED)
        return
    store.add_event(session, task=task, person_id=me.id, kind="progress", text=text, at=now)
    await session.commit()
    await message.reply(texts.task_progress_saved(task.id))
    leader = await session.get(Person, task.assigner_id)
    await _tell(bot, leader, texts.task_progress_to_leader(task.id, me.name, text))


async def cmd_done(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    me: Person,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """`/done N [说明]`: the assignee marks the task done; the leader is asked to accept."""
    task, note = await _numbered(message, session, command.args)
    if task is None or task.unit_id != me.unit_id:
        await message.reply(texts.TASK_UNKNOWN)
        return
    assert task.id is not None and me.id is not None
    if task.assignee_id != me.id:
        await message.reply(texts.TASK_NOT_ASSIGNEE)
        return
    if task.status == core.TaskStatus.ACCEPTED.value:
        await message.reply(texts.TASK_ALREADY_ACCEPTED)
        return
    today = now.date()
    task.status = core.TaskStatus.DONE.value
    task.done_on, task.done_at = today, now
    task.on_time = core.on_time(calendar, task.due, done_on=today)
    session.add(task)
    store.add_event(session, task=task, person_id=me.id, kind="done", text=note, at=now)
    await session.commit()
    await message.reply(texts.task_done_saved(task.id, task.on_time))
    leader = await session.get(Person, task.assigner_id)
    await _tell(
        bot,
        leader,
        texts.task_done_to_leader(task.id, me.name, task.text, note, task.on_time),
        reply_markup=_rating_buttons(task.id),
    )


def _rating_buttons(task_id: int) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(text=q.label, callback_data=f"tk:{task_id}:{q.value}")
        for q in Quality
    ]
    back = InlineKeyboardButton(
        text=texts.BUTTON_TASK_RETURN, callback_data=f"tk:{task_id}:{RETURN}"
    )
    return InlineKeyboardMarkup(inline_keyboard=[row, [back]])


# ---- 审核评定 ---------------------------------------------------------------------------------


async def cmd_accept(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    me: Person,
    now: datetime,
) -> None:
    """`/accept N 优|良|中|差`."""
    task, rest = await _numbered(message, session, command.args)
    quality = Quality.parse(rest.split()[0]) if rest.split() else None
    if task is None or quality is None:
        await message.reply(texts.TASK_ACCEPT_USAGE if task else texts.TASK_UNKNOWN)
        return
    reply = await _judge(session, bot, me, task, quality, "", now)
    await message.reply(reply)


async def cmd_return(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    bot: Bot,
    me: Person,
    now: datetime,
) -> None:
    """`/return N 理由`: send the task back to the assignee."""
    task, reason = await _numbered(message, session, command.args)
    if task is None:
        await message.reply(texts.TASK_UNKNOWN)
        return
    await message.reply(await _judge(session, bot, me, task, None, reason, now))


async def press_rating(query: CallbackQuery, session: AsyncSession, bot: Bot, me: Person,
                       now: datetime) -> None:  # fmt: skip
    """A rating button under the 'task done' message."""
    try:
        _, number, choice = (query.data or "").split(":")
        task = await session.get(Task, parse_id(number))
    except ValueError:
        task, choice = None, ""
    if task is None:
        await query.answer(texts.TASK_UNKNOWN, show_alert=True)
        return
    quality = None if choice == RETURN else Quality(choice)
    reply = await _judge(session, bot, me, task, quality, "", now)
    await query.answer(reply, show_alert=True)
    if isinstance(query.message, Message) and task.status != core.TaskStatus.DONE.value:
        await query.message.edit_reply_markup(reply_markup=None)


async def _judge(
    session: AsyncSession,
    bot: Bot,
    me: Person,
    task: Task,
    quality: Quality | None,
    reason: str,
    now: datetime,
) -> str:
    """Accept with `quality`, or send back (quality None); the answer for the leader."""
    assert task.id is not None and me.id is not None
    if task.unit_id != me.unit_id:
        return texts.TASK_UNKNOWN
    if task.assigner_id != me.id:
        return texts.TASK_NOT_ASSIGNER
    if task.status == core.TaskStatus.ACCEPTED.value:
        return texts.TASK_ALREADY_ACCEPTED
    if quality is not None and task.status != core.TaskStatus.DONE.value:
        return texts.TASK_NOT_DONE
    assignee = await session.get(Person, task.assignee_id)
    name = assignee.name if assignee else ""
    if quality is None:
        task.status, task.on_time, task.done_on, task.done_at = "open", None, None, None
        kind, text = "returned", reason
    else:
        task.status, task.quality, task.accepted_at = "accepted", quality.value, now
        kind, text = "accepted", quality.label
    session.add(task)
    store.add_event(session, task=task, person_id=me.id, kind=kind, text=text, at=now)
    audit(
        session,
        action=f"task_{kind}",
        unit_id=me.unit_id,
        actor_person_id=me.id,
        actor=me.name,
        subject=name,
        detail={"task_id": task.id, "quality": task.quality} if quality else {"task_id": task.id},
    )
    await session.commit()
    if quality is None:
        await _tell(bot, assignee, texts.task_returned_to_assignee(task.id, me.name, reason))
        return texts.task_returned(task.id, name)
    await _tell(bot, assignee, texts.task_accepted_to_assignee(task.id, me.name, quality.label))
    return texts.task_accepted(task.id, name, quality.label)


# ---- lists -------------------------------------------------------------------------------------


async def cmd_tasks(
    message: Message, session: AsyncSession, me: Person, calendar: WorkCalendar, now: datetime
) -> None:
    """My open tasks, and the tasks I assigned that are not accepted yet."""
    assert me.id is not None
    mine = await store.tasks_of(session, assignee_id=me.id)
    given = await store.tasks_of(session, assigner_id=me.id)
    if not mine and not given:
        await message.answer(texts.TASK_NONE)
        return
    lines: list[str] = []
    today = now.date()
    if mine:
        lines.append(texts.TASKS_MINE)
        lines.extend(_line(calendar, t, today) for t in mine)
    if given:
        names = {p.id: p.name for p in await _people(session, [t.assignee_id for t in given])}
        lines.append(texts.TASKS_GIVEN)
        lines.extend(
            _line(calendar, t, today, texts.task_line_assignee(names.get(t.assignee_id, "")))
            for t in given
        )
    await message.answer("\n".join(lines))


def _line(calendar: WorkCalendar, task: Task, today: date, extra: str = "") -> str:
    assert task.id is not None
    status = core.TaskStatus(task.status).label
    if core.is_overdue(calendar, task.due, today=today, done=task.status != "open"):
        status = texts.TASK_STATUS_OVERDUE
    return texts.task_line(task.id, task.text, _due_text(calendar, task), status, extra)


async def _people(session: AsyncSession, ids: list[int]) -> list[Person]:
    found = [await session.get(Person, pid) for pid in dict.fromkeys(ids)]
    return [p for p in found if p is not None]


async def stats_lines(
    session: AsyncSession, *, unit_id: int, departments: list[int], names: dict[int, str],
    today: date,
) -> list[str]:  # fmt: skip
    """/stats: per department, this quarter's task completion and overdue counts."""
    quarter = Quarter.of(today)
    figures = await store.department_tasks(
        session, unit_id=unit_id, start=quarter.start, end=quarter.end, today=today
    )
    lines = []
    for dept in (d for d in names if d in departments and d in figures):
        f = figures[dept]
        rate = percent(f.rate)
        lines.append(f"{names[dept]}\n" + texts.stats_tasks(f.total, f.accepted, f.awaiting,
                                                             f.overdue, rate))  # fmt: skip
    return ([texts.STATS_TASKS_HEADER] + lines) if lines else []
