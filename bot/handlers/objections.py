"""申辩 (DESIGN §6): a person objects to a 错情 or a veto within `appeals.objection_days`
working days of its notice — by replying 「申辩 理由」 to the notice or with
`/object N 理由` — and the issuing leader or an admin decides with
`/objection K 维持|撤销 理由` (撤销 = the record is voided, audited). The person is told.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from core.appeals import may_decide_objection, objection_until
from core.calendar import WorkCalendar
from core.policy import Policy
from core.records import KIND_LABELS, RecordKind
from core.reports import short_date
from storage import objections as store
from storage import people
from storage.records import void_record
from storage.tables import Objection, Person, Record

log = logging.getLogger(__name__)
NOTICE_ID = re.compile(r"/object (\d+)")
OBJECTABLE = {RecordKind.ERROR.value, RecordKind.VETO.value}


async def objection_reply(message: Message) -> bool:
    """A private reply 「申辩 理由」 to one of the bot's 错情 / veto notices."""
    reply = message.reply_to_message
    return (
        message.chat.type == "private"
        and message.text is not None
        and message.text.lstrip().startswith("申辩")
        and reply is not None
        and NOTICE_ID.search(reply.text or "") is not None
    )


def make_router() -> Router:
    """/object and 「申辩 …」 replies (private); /objection for deciders."""
    router = Router(name="objections")
    router.message.register(cmd_object, Command("object"), filters.member)
    router.message.register(reply_object, objection_reply, filters.member)
    router.message.register(cmd_objection, Command("objection"), filters.member)
    return router


def _label(record: Record) -> str:
    return record_label(record.kind, record.id or 0)


def record_label(kind: str, record_id: int) -> str:
    """错情 #12, as the notices and letters name the record."""
    return f"{KIND_LABELS.get(RecordKind(kind), kind)} #{record_id}"


async def reply_object(
    message: Message, session: AsyncSession, me: Person, policy: Policy,
    calendar: WorkCalendar, now: datetime, bot: Bot,
) -> None:  # fmt: skip
    """「申辩 理由」 in reply to the notice."""
    found = NOTICE_ID.search(message.reply_to_message.text or "")  # type: ignore[union-attr]
    assert found is not None and message.text is not None
    reason = message.text.lstrip().removeprefix("申辩").strip(" ：:")
    await _object(message, session, me, policy, calendar, now, bot, int(found[1]), reason)


async def cmd_object(
    message: Message, session: AsyncSession, me: Person, policy: Policy,
    calendar: WorkCalendar, now: datetime, bot: Bot, command: CommandObject,
) -> None:  # fmt: skip
    """/object N 理由."""
    words = (command.args or "").split(maxsplit=1)
    if message.chat.type != "private" or not words or not words[0].lstrip("#").isdigit():
        await message.answer(texts.OBJECT_USAGE)
        return
    reason = words[1].strip() if len(words) > 1 else ""
    await _object(
        message, session, me, policy, calendar, now, bot, int(words[0].lstrip("#")[-9:]), reason
    )


async def _object(
    message: Message, session: AsyncSession, me: Person, policy: Policy,
    calendar: WorkCalendar, now: datetime, bot: Bot, record_id: int, reason: str,
) -> None:  # fmt: skip
    record = await session.get(Record, record_id)
    if record is None or record.person_id != me.id:
        await message.answer(texts.OBJECT_NOT_YOURS)
        return
    if record.kind not in OBJECTABLE:
        await message.answer(texts.OBJECT_KIND)
        return
    if record.voided_at is not None:
        await message.answer(texts.OBJECT_VOIDED)
        return
    if not reason:
        await message.answer(texts.OBJECT_USAGE)
        return
    limit = policy.appeals.reason_chars
    if len(reason) > limit:
        await message.answer(texts.appeal_too_long(limit))
        return
    notified = record.created_at.astimezone(now.tzinfo).date()
    until = objection_until(policy, calendar, notified)
    if now.date() > until:
        await message.answer(texts.object_too_late(short_date(until)))
        return
    existing = await store.open_objection(session, record_id=record_id)
    if existing is not None:
        await message.answer(texts.object_duplicate(existing.id or 0))
        return
    objection = await store.file_objection(session, record=record, reason=reason, now=now)
    await session.commit()
    label = _label(record)
    await message.answer(texts.object_filed(objection_id=objection.id or 0, label=label))
    note = texts.object_to_deciders(
        objection_id=objection.id or 0, name=me.name, label=label, reason=reason,
        record_reason=record.reason,
    )  # fmt: skip
    chats = set(await people.admin_chat_ids(session))
    if record.issuer_id is not None:
        issuer = await session.get(Person, record.issuer_id)
        if issuer is not None and issuer.tg_user_id is not None and issuer.active:
            chats.add(issuer.tg_user_id)
    for chat_id in sorted(chats):
        try:
            await bot.send_message(chat_id, note)
        except TelegramAPIError as exc:
            log.warning("objection %s: could not tell %s: %s", objection.id, chat_id, exc)


async def cmd_objection(
    message: Message, session: AsyncSession, me: Person, now: datetime, bot: Bot,
    command: CommandObject,
) -> None:  # fmt: skip
    """/objection K 维持|撤销 理由, by the issuer or an admin."""
    words = (command.args or "").split(maxsplit=2)
    if len(words) < 3 or words[1] not in ("维持", "撤销") or not words[0].lstrip("#").isdigit():
        await message.answer(texts.OBJECTION_USAGE)
        return
    objection = await session.get(Objection, int(words[0].lstrip("#")[-9:]))
    if objection is None or objection.unit_id != me.unit_id:
        await message.answer(texts.objection_unknown(words[0]))
        return
    record = await session.get(Record, objection.record_id)
    assert record is not None
    if not may_decide_objection(
        viewer_id=me.id, admin=filters.is_admin(me), issuer_id=record.issuer_id
    ):
        await message.answer(texts.OBJECTION_DENIED)
        return
    if objection.status != "open":
        await message.answer(texts.objection_already(objection.id or 0))
        return
    voided, reason = words[1] == "撤销", words[2].strip()
    await store.decide(
        session, objection=objection, voided=voided, decision=reason, actor_id=me.id, now=now
    )
    if voided and record.voided_at is None:
        void_record(session, record=record, by=me, reason=f"申辩撤销：{reason}",
                    action="objection_void")  # fmt: skip
    await session.commit()
    await message.answer(texts.objection_decided(objection_id=objection.id or 0, voided=voided))
    person = await session.get(Person, record.person_id)
    if person is not None and person.tg_user_id is not None:
        try:
            await bot.send_message(
                person.tg_user_id,
                texts.objection_letter(label=_label(record), voided=voided, reason=reason),
            )
        except TelegramAPIError as exc:
            log.warning("objection %s: could not tell the person: %s", objection.id, exc)
