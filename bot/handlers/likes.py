"""点赞 and 错情 by leaders; /undo, /void and /records (DESIGN §4)."""

from __future__ import annotations

import logging
from datetime import datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.ids import is_id, parse_id
from core import records as core
from core.people import Role, can_lead, decode_roles
from core.policy import Policy
from core.quarter import Quarter
from core.reports import short_date
from storage import people
from storage import records as store
from storage import reports as report_store
from storage.tables import ChatGroup, Person, Record, Report

log = logging.getLogger(__name__)
PENDING = "pending_action"


def make_router() -> Router:
    """Likes and errors in private chats and bound groups; undo, void and reading."""
    router = Router(name="likes")
    router.message.register(cmd_undo, Command("undo"), _allowed_chat)
    router.message.register(cmd_void, Command("void"), _allowed_chat)
    router.message.register(cmd_records, Command("records"), _allowed_chat)
    router.message.register(on_action, _allowed_chat, _action)
    router.callback_query.register(on_pick, filters.callback_prefix("pick"))
    return router


async def _allowed_chat(message: Message, group: ChatGroup | None) -> bool:
    return message.chat.type == "private" or group is not None


async def _action(message: Message, me: Person | None) -> dict[str, object] | bool:
    text = message.text or ""
    private = message.chat.type == "private"
    if private and me is not None and core.reads_as_report(text, leads=filters.leads(me)):
        return False  # a 日报 that happens to begin with 点赞 / 错情
    action = core.parse_action(text)
    return {"action": action} if action is not None else False


def _label(record: Record) -> str:
    return texts.severity_label(record.kind, record.severity)


async def target_from_reply(
    session: AsyncSession, bot: Bot, message: Message
) -> tuple[Person | None, Report | None]:
    """Who a reply means: the author of the echoed report, or the replied-to person."""
    target = message.reply_to_message
    if target is None:
        return None, None
    chat_id = message.chat.id
    if target.from_user is not None and target.from_user.id == bot.id:
        item = await report_store.item_by_echo(
            session, chat_id=chat_id, message_id=target.message_id
        )
        if item is None:
            return None, None
        report = await session.get(Report, item.report_id)
        person = await session.get(Person, report.person_id) if report else None
        return person, report
    if target.from_user is None:
        return None, None
    person = await people.person_by_tg(session, tg_user_id=target.from_user.id)
    item = await report_store.item_by_source(
        session, chat_id=chat_id, message_id=target.message_id
    )
    report = await session.get(Report, item.report_id) if item else None
    return person, report


async def named_people(
    session: AsyncSession, message: Message, me: Person, ref: str
) -> list[Person]:
    """People an @mention means: a Telegram text mention, a username, else a name."""
    for entity in message.entities or []:
        if entity.type == "text_mention" and entity.user is not None:
            person = await people.person_by_tg(session, tg_user_id=entity.user.id)
            return [person] if person else []
    found = await people.resolve_person(session, unit_id=me.unit_id, ref=ref)
    if not found:
        found = await people.resolve_person(session, unit_id=me.unit_id, ref=ref.lstrip("@"))
    return found


async def on_action(
    message: Message,
    action: core.Action,
    session: AsyncSession,
    bot: Bot,
    me: Person | None,
    policy: Policy,
    now: datetime,
    state: FSMContext,
) -> None:
    """Resolve who is meant, apply the rules, store, confirm, tell the person."""
    if me is None or not me.active:
        await message.reply(texts.ACTION_NOT_IN_ROSTER)
        return
    report: Report | None = None
    if action.target:
        found = await named_people(session, message, me, action.target)
        if not found:
            await message.reply(texts.action_who(action.target))
            return
        if len(found) > 1:
            leader = await people.to_core(session, me)
            allowed = [p for p in found if can_lead(leader, await people.to_core(session, p))]
            if len(allowed) != 1:
                await _ask_pick(message, session, state, action, allowed or found)
                return
            found = allowed
        target = found[0]
    elif message.reply_to_message is not None:
        person, report = await target_from_reply(session, bot, message)
        if person is None:
            await message.reply(texts.ACTION_TARGET_UNKNOWN)
            return
        target = person
    else:
        await message.reply(texts.ACTION_NO_TARGET)
        return
    await _record(message, session, bot, me, target, action, report, policy, now)


async def _ask_pick(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    action: core.Action,
    candidates: list[Person],
) -> None:
    """Two 张伟: let the leader choose with buttons; the action waits in FSM data."""
    names = await people.department_names(session, unit_id=candidates[0].unit_id)
    buttons = [
        [
            InlineKeyboardButton(
                text=f"{p.name}（{names.get(p.department_id, '?')}）", callback_data=f"pick:{p.id}"
            )
        ]
        for p in candidates
    ]
    await state.update_data(
        {
            PENDING: {
                "kind": action.kind.value,
                "reason": action.reason,
                "severity": action.severity.value,
                "points": action.points,
                "chat_id": message.chat.id,
                "message_id": message.message_id,
                "candidates": [p.id for p in candidates],
            }
        }
    )
    name = candidates[0].name
    await message.reply(
        texts.action_pick(name, len(candidates)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons),
    )


async def on_pick(
    query: CallbackQuery,
    session: AsyncSession,
    bot: Bot,
    me: Person | None,
    policy: Policy,
    now: datetime,
    state: FSMContext,
) -> None:
    """The leader picked one of the namesakes."""
    pending = (await state.get_data()).get(PENDING)
    message = query.message
    try:
        person_id = parse_id((query.data or "").split(":", 1)[1])
    except (IndexError, ValueError):
        person_id = -1
    if me is None or not isinstance(message, Message):
        await query.answer(texts.ACTION_PICK_NOT_YOURS, show_alert=True)
        return
    if not pending or person_id not in pending["candidates"]:
        await query.answer(texts.ACTION_PICK_GONE, show_alert=True)
        return
    target = await session.get(Person, person_id)
    if target is None:
        await query.answer(texts.ACTION_PICK_GONE, show_alert=True)
        return
    await state.update_data({PENDING: None})
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    from core.policy import Severity

    action = core.Action(
        kind=core.RecordKind(pending["kind"]),
        reason=pending["reason"],
        severity=Severity(pending["severity"]),
        points=pending["points"],
    )
    await _record(
        message, session, bot, me, target, action, None, policy, now,
        source=(pending["chat_id"], pending["message_id"]),
    )  # fmt: skip


async def _record(
    message: Message,
    session: AsyncSession,
    bot: Bot,
    me: Person,
    target: Person,
    action: core.Action,
    report: Report | None,
    policy: Policy,
    now: datetime,
    *,
    source: tuple[int, int] | None = None,
) -> None:
    """Decide, store and commit, then confirm in the chat and tell the person privately."""
    assert me.id is not None and target.id is not None
    if target.id != me.id and (target.tg_user_id is None or not target.active):
        await message.reply(texts.action_target_inactive(target.name))
        return
    chat_id, message_id = source or (message.chat.id, message.message_id)
    existing = await store.record_by_source(session, chat_id=chat_id, message_id=message_id)
    if existing is not None:  # Telegram delivered the command again
        if existing.confirm_message_id is None:
            await _confirm(message, session, bot, me, target, existing, policy)
        return
    today = now.date()
    try:
        decision = core.decide(
            policy,
            await people.to_core(session, me),
            await people.to_core(session, target),
            action,
            today=today,
            issued_today=await store.issued_on(session, issuer_id=me.id, day=today),
            liked_target_today=await store.liked_on(
                session, issuer_id=me.id, person_id=target.id, day=today
            ),
        )
    except core.Refusal as refusal:
        await message.reply(_refusal_text(refusal, target, action))
        return
    record, created = await store.add_record(
        session,
        decision=decision,
        unit_id=me.unit_id,
        report_id=report.id if report else None,
        source_chat_id=chat_id,
        source_message_id=message_id,
        created_at=now,
    )
    await session.commit()  # stored before we say so
    if created or record.confirm_message_id is None:
        await _confirm(message, session, bot, me, target, record, policy)


async def _confirm(
    message: Message, session: AsyncSession, bot: Bot, me: Person, target: Person,
    record: Record, policy: Policy,
) -> None:  # fmt: skip
    """Confirm in the chat (remembering the message for /undo), then tell the person."""
    points = core.signed(record.points)
    confirm = await message.answer(
        texts.action_confirm(
            kind=record.kind, name=target.name, points=points, reason=record.reason,
            issuer=me.name, severity=record.severity,
        )
    )  # fmt: skip
    store.set_confirm(
        session, record=record, chat_id=confirm.chat.id, message_id=confirm.message_id
    )
    await session.commit()
    if target.tg_user_id is not None and target.tg_user_id != message.chat.id:
        try:
            await bot.send_message(
                target.tg_user_id,
                texts.action_notice(
                    kind=record.kind, issuer=me.name, points=points, reason=record.reason,
                    severity=record.severity, record_id=record.id,
                    objection_days=policy.appeals.objection_days,
                ),
            )  # fmt: skip
        except TelegramAPIError:
            log.warning("could not tell person %s about record %s", target.id, record.id)


def _refusal_text(refusal: core.Refusal, target: Person, action: core.Action) -> str:
    if isinstance(refusal, core.SelfAction):
        return texts.ACTION_SELF
    if isinstance(refusal, core.NoAuthority):
        return texts.action_no_authority(target.name, action.kind.value)
    if isinstance(refusal, core.NoReason):
        return texts.action_reason_missing(action.kind.value)
    if isinstance(refusal, core.UnsavableReason):
        return texts.TEXT_UNSAVABLE
    if isinstance(refusal, core.DailyCapReached):
        return texts.action_daily_cap(refusal.cap)
    if isinstance(refusal, core.AlreadyLikedToday):
        return texts.ACTION_ALREADY_LIKED.format(name=target.name)
    if isinstance(refusal, core.PointsNotAllowed):
        return texts.action_points_bounds(refusal.low, refusal.high)
    return texts.ACTION_NO_TARGET


# ---- undo, void, records ------------------------------------------------------------------


async def _reverse(
    message: Message, session: AsyncSession, bot: Bot, record: Record, by: Person, reason: str,
    action: str,
) -> None:  # fmt: skip
    """Void, commit, confirm, and tell the person."""
    target = await reverse(session, record, by, reason, action)
    name = target.name if target else "?"
    points = core.signed(record.points)
    await message.reply(
        texts.undone(name=name, label=_label(record), points=points, reason=record.reason)
    )
    await tell_undone(bot, target, record, by)


async def reverse(
    session: AsyncSession, record: Record, by: Person, reason: str, action: str
) -> Person | None:
    """Void the record (audited) and commit; its person (also the web console's)."""
    store.void_record(session, record=record, by=by, reason=reason, action=action)
    await session.commit()
    return await session.get(Person, record.person_id)


async def tell_undone(bot: Bot, target: Person | None, record: Record, by: Person) -> None:
    """Tell the person their record was undone or voided."""
    if target is None or target.tg_user_id is None:
        return
    try:
        await bot.send_message(
            target.tg_user_id,
            texts.undone_notice(by=by.name, label=_label(record),
                                points=core.signed(record.points), reason=record.reason),
        )  # fmt: skip
    except TelegramAPIError:
        log.warning("could not tell person %s about the undo of %s", target.id, record.id)


def void_refusal(me: Person | None, record: Record | None, reason: str) -> str | None:
    """Why `me` may not void `record` with `reason` (/void and the web console), or None."""
    if me is None or not me.active or Role.ADMIN not in decode_roles(me.roles):
        return texts.VOID_DENIED
    if record is None or record.unit_id != me.unit_id:
        return texts.VOID_NOT_FOUND
    if not reason:
        return texts.VOID_USAGE
    if record.voided_at is not None:
        return texts.UNDO_ALREADY
    return None


async def cmd_undo(
    message: Message, session: AsyncSession, bot: Bot, me: Person | None, now: datetime
) -> None:
    """The issuer reverses a like or error: the one replied to, or their latest."""
    if me is None or not me.active or me.id is None:
        await message.reply(texts.ACTION_NOT_IN_ROSTER)
        return
    reply = message.reply_to_message
    if reply is not None:
        record = await store.record_by_confirm(
            session, chat_id=message.chat.id, message_id=reply.message_id
        )
    else:
        record = await store.latest_by_issuer(session, issuer_id=me.id)
    if record is None:
        await message.reply(texts.UNDO_NOTHING)
        return
    if record.issuer_id != me.id:
        await message.reply(texts.UNDO_NOT_YOURS)
        return
    if record.voided_at is not None:
        await message.reply(texts.UNDO_ALREADY)
        return
    if not core.can_undo(created_at=record.created_at, now=now):
        await message.reply(texts.UNDO_TOO_LATE if reply is not None else texts.UNDO_NOTHING)
        return
    await _reverse(message, session, bot, record, me, "撤销", "record_undo")


async def cmd_void(
    message: Message, command: CommandObject, session: AsyncSession, bot: Bot, me: Person | None
) -> None:
    """An admin voids any record, with a reason: a reply to its confirmation, or by number."""
    if me is None or not me.active or Role.ADMIN not in decode_roles(me.roles):
        await message.reply(texts.VOID_DENIED)
        return
    words = (command.args or "").split(maxsplit=1)
    record: Record | None = None
    if message.reply_to_message is not None:
        record = await store.record_by_confirm(
            session, chat_id=message.chat.id, message_id=message.reply_to_message.message_id
        )
        reason = (command.args or "").strip()
    elif words and is_id(words[0].lstrip("#")):
        record = await session.get(Record, int(words[0].lstrip("#")))
        reason = words[1].strip() if len(words) > 1 else ""
    else:
        await message.reply(texts.VOID_USAGE)
        return
    refusal = void_refusal(me, record, reason)
    if refusal is not None or record is None:
        await message.reply(refusal or texts.VOID_NOT_FOUND)
        return
    await _reverse(message, session, bot, record, me, reason, "record_void")


async def cmd_records(
    message: Message, command: CommandObject, session: AsyncSession, me: Person | None,
    now: datetime,
) -> None:  # fmt: skip
    """This quarter's likes and errors of oneself, or of someone one leads."""
    if message.chat.type != "private":
        await message.reply(texts.RECORDS_PRIVATE)
        return
    if me is None or not me.active:
        await message.answer(texts.NOT_BOUND)
        return
    person = me
    ref = (command.args or "").strip()
    if ref:
        found = await named_people(session, message, me, ref)
        if len(found) != 1:
            await message.answer(
                texts.who_ambiguous(ref, len(found)) if found else texts.action_who(ref)
            )
            return
        person = found[0]
        admin = Role.ADMIN in decode_roles(me.roles)
        leader = can_lead(await people.to_core(session, me), await people.to_core(session, person))
        if person.id != me.id and not (admin or leader):
            await message.answer(texts.RECORDS_DENIED)
            return
    assert person.id is not None
    quarter = Quarter.of(now.date())
    rows = await store.records_of(
        session, person_id=person.id, start=quarter.start, end=quarter.end
    )
    live = [r for r, _ in rows if r.voided_at is None]
    likes = sum(1 for r in live if r.kind == core.RecordKind.LIKE.value)
    errors = sum(1 for r in live if r.kind == core.RecordKind.ERROR.value)
    total = core.signed(sum(r.points for r in live))
    lines = [
        texts.records_header(
            name=person.name, quarter=quarter.label, likes=likes, errors=errors, total=total
        )
    ]
    for record, issuer in rows[:30]:
        line = (
            f"{short_date(record.day)} {_label(record)} {core.signed(record.points)} "
            f"{record.reason} —— {issuer or '系统'} #{record.id}"
        )
        lines.append(f"{line}（已撤销）" if record.voided_at else line)
    if len(rows) > 30:
        lines.append(f"……共 {len(rows)} 条，只显示最近 30 条")
    if not rows:
        lines.append("本季度还没有记录。")
    await message.answer("\n".join(lines))
