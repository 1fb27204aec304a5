"""审阅 and 批复: leaders press 「已阅」 under an echo, or reply to it with text (DESIGN §3)."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import echoes, filters, texts
from bot.handlers.reports import review_keyboard
from bot.ids import parse_id
from core.people import can_lead
from core.reports import short_date
from storage import echoes as echo_store
from storage import people
from storage import reports as store
from storage.tables import Person, Report

log = logging.getLogger(__name__)

# Replies that are likes or error notices belong to their own feature, not to 批复.
NOT_A_REPLY = ("点赞", "错情", "/like", "/error", "/undo", "#")


def make_router() -> Router:
    """「已阅」 callbacks anywhere; 批复 replies in bound groups."""
    router = Router(name="review")
    router.callback_query.register(press_reviewed, filters.callback_prefix("rv"))
    router.callback_query.register(press_all_reviewed, filters.callback_prefix("rva"))
    router.message.register(
        leader_reply, filters.in_group, filters.bound_group, filters.member, _reply_to_report
    )
    return router


async def _reply_to_report(message: Message, session: AsyncSession) -> dict[str, object] | bool:
    """A text reply to the bot's echo of a report, or to the author's own #日报 message."""
    target = message.reply_to_message
    text = (message.text or "").lstrip()
    if target is None or not text or text.startswith(NOT_A_REPLY):
        return False
    item = await store.item_by_echo(
        session, chat_id=message.chat.id, message_id=target.message_id
    ) or await store.item_by_source(session, chat_id=message.chat.id, message_id=target.message_id)
    if item is None:
        return False
    report = await session.get(Report, item.report_id)
    return {"report": report} if report is not None else False


async def _authority(session: AsyncSession, leader: Person, report: Report) -> Person | None:
    """The report's author if `leader` may review them, else None."""
    author = await session.get(Person, report.person_id)
    if author is None:
        return None
    allowed = can_lead(
        await people.to_core(session, leader), await people.to_core(session, author)
    )
    return author if allowed else None


async def press_reviewed(
    query: CallbackQuery, session: AsyncSession, bot: Bot, me: Person | None
) -> None:
    """Mark a report reviewed; anyone without authority gets an alert and nothing changes."""
    try:
        report_id = parse_id((query.data or "").split(":", 1)[1])
    except (IndexError, ValueError):
        await query.answer(texts.REVIEW_GONE, show_alert=True)
        return
    report = await session.get(Report, report_id)
    if report is None:
        await query.answer(texts.REVIEW_GONE, show_alert=True)
        return
    if me is None or not me.active:
        await query.answer(texts.REVIEW_DENIED, show_alert=True)
        return
    if me.id == report.person_id:
        await query.answer(texts.REVIEW_SELF, show_alert=True)
        return
    if await _authority(session, me, report) is None:
        await query.answer(texts.REVIEW_DENIED, show_alert=True)
        return
    assert me.id is not None
    if not await store.add_review(session, report=report, leader_id=me.id):
        await query.answer(texts.REVIEW_AGAIN)
        return
    await session.commit()
    await query.answer(texts.REVIEW_DONE)
    await refresh_buttons(session, bot, report)


async def press_all_reviewed(
    query: CallbackQuery, session: AsyncSession, bot: Bot, me: Person | None
) -> None:
    """「全部已阅」 under a batched echo: review every report in it the presser may review."""
    message = query.message
    batch = (
        await echo_store.batch_at(session, chat_id=message.chat.id, message_id=message.message_id)
        if message is not None
        else None
    )
    if batch is None:
        await query.answer(texts.REVIEW_GONE, show_alert=True)
        return
    if me is None or not me.active or me.id is None:
        await query.answer(texts.REVIEW_DENIED, show_alert=True)
        return
    _, _, entries = await echoes.batch_view(session, batch)
    done: list[Report] = []
    allowed = 0
    ids = list(dict.fromkeys(e.report_id for e in entries))
    reports = await store.lock_reports(session, report_ids=ids)  # in the filer's order
    for report_id in ids:
        report = reports.get(report_id)
        if report is None or report.person_id == me.id:
            continue
        if await _authority(session, me, report) is None:
            continue
        allowed += 1
        if await store.add_review(session, report=report, leader_id=me.id):
            done.append(report)
    if not allowed:
        await query.answer(texts.REVIEW_DENIED, show_alert=True)
        return
    if not done:
        await query.answer(texts.REVIEW_AGAIN)
        return
    await session.commit()
    await query.answer(texts.reviewed_many(len(done)))
    for report in done:
        await refresh_buttons(session, bot, report)


async def refresh_buttons(session: AsyncSession, bot: Bot, report: Report) -> None:
    """Show the reviewers on every echo of the report."""
    assert report.id is not None
    keyboard = await review_keyboard(session, report)
    for chat_id, message_id in await store.echo_ids(session, report_id=report.id):
        batch = await echo_store.batch_at(session, chat_id=chat_id, message_id=message_id)
        markup = keyboard if batch is None else (await echoes.batch_view(session, batch))[1]
        try:
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except TelegramAPIError:
            log.warning("could not update the 已阅 button on %s/%s", chat_id, message_id)


async def leader_reply(
    message: Message, session: AsyncSession, bot: Bot, me: Person, report: Report
) -> None:
    """A leader's text reply to a report is a 批复: stored, sent to the author, reviewed."""
    author = await _authority(session, me, report)
    if author is None or me.id is None:
        return  # ordinary chatter under someone's report: not ours to record
    text = (message.text or "").strip()
    stored = await store.add_reply(
        session,
        report=report,
        leader_id=me.id,
        text=text,
        chat_id=message.chat.id,
        message_id=message.message_id,
    )
    if not stored:
        return  # Telegram delivered this reply twice
    reviewed_now = await store.add_review(session, report=report, leader_id=me.id)
    await session.commit()
    if author.tg_user_id is not None:
        try:
            await bot.send_message(
                author.tg_user_id,
                texts.reply_to_author(
                    leader=me.name, day=short_date(report.day), kind=report.kind, text=text
                ),
            )
        except TelegramAPIError:
            log.warning("could not deliver a 批复 to person %s", author.id)
    await message.reply(texts.reply_delivered(author.name))
    if reviewed_now:
        await refresh_buttons(session, bot, report)
