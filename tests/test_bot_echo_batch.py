"""Echoes to a busy group are batched (issue 10): queued in the DB, flushed as one message
with a 「已阅」 button per report, reviewable one by one or all at once."""

from __future__ import annotations

import pytest
from aiogram.client.default import Default
from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import echoes
from storage.tables import EchoBatch, EchoQueue, Report, ReportItem, ReportReview
from tests.conftest import OFFICE_GROUP, Chat, Office, local
from tests.factories import make_callback, make_message


@pytest.fixture(autouse=True)
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """One direct echo per group and minute, so three filings make the group busy."""
    monkeypatch.setattr(echoes, "DIRECT_PER_MINUTE", 1)


def plain(chat: Chat, sent: SendMessage) -> bool:
    """No parse mode: neither on the request nor as the bot's default."""
    mode = sent.parse_mode
    return (chat.bot.default[mode.name] if isinstance(mode, Default) else mode) is None


def group_sends(chat: Chat) -> list[SendMessage]:
    return [m for m in chat.fake.sent(SendMessage) if m.chat_id == OFFICE_GROUP]


async def file_three(chat: Chat, office: Office) -> None:
    """杨帆, 赵丽 and 陈静 file privately within one minute."""
    for user, text in (
        (office.member, "走访企业 5 家"),
        (office.other, "<b>整理档案</b> *加粗*"),
        (office.head, "召开周例会"),
    ):
        sent = await chat.feed(make_message(text, user=user, date=local(11, 20, 17, 30)))
        assert len([m for m in sent if m.chat_id == user.id]) == 1  # the one short ack


async def flush(chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]) -> Message:
    flusher = echoes.EchoFlusher(sessionmaker, chat.bot, owner="test")
    before = len(chat.fake.requests)
    assert await flusher.flush() == 2
    batch = [r for r in chat.fake.requests[before:] if isinstance(r, SendMessage)]
    assert len(batch) == 1
    return chat.fake.last_message(OFFICE_GROUP)


async def press(chat: Chat, user, message: Message, data: str) -> AnswerCallbackQuery:  # type: ignore[no-untyped-def]
    before = len(chat.fake.requests)
    await chat.dp.feed_update(chat.bot, make_callback(data, user=user, message=message))
    return next(r for r in chat.fake.requests[before:] if isinstance(r, AnswerCallbackQuery))


async def test_busy_group_gets_one_batch_and_nothing_is_lost(
    chat: Chat, office: Office, session: AsyncSession, sessionmaker: async_sessionmaker
) -> None:
    await file_three(chat, office)
    assert len(group_sends(chat)) == 1  # only the first went straight to the group
    assert (await session.exec(select(func.count()).select_from(EchoQueue))).one() == 2
    message = await flush(chat, sessionmaker)
    sent = group_sends(chat)[-1]
    assert "日报汇总（2条）" in sent.text
    assert "1. 📝 赵丽" in sent.text and "2. 📝 陈静" in sent.text
    assert "<b>整理档案</b> *加粗*" in sent.text and plain(chat, sent)
    buttons = [b for row in sent.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    reports = {r.person_id: r.id for r in (await session.exec(select(Report))).all()}
    assert [b.callback_data for b in buttons][-1] == "rva:"
    assert len(buttons) == 3 and all(b.callback_data.startswith("rv") for b in buttons)
    items = (await session.exec(select(ReportItem))).all()
    assert all(i.echo_message_id is not None for i in items)  # every item has its echo
    assert sum(i.echo_message_id == message.message_id for i in items) == 2
    assert (await session.exec(select(func.count()).select_from(EchoQueue))).one() == 0
    assert len(reports) == 3
    # a second flush has nothing to send
    assert await echoes.EchoFlusher(sessionmaker, chat.bot, owner="x").flush() == 0


async def test_per_report_button_reviews_one_and_refreshes_the_batch(
    chat: Chat, office: Office, session: AsyncSession, sessionmaker: async_sessionmaker
) -> None:
    await file_three(chat, office)
    message = await flush(chat, sessionmaker)
    first = message.reply_markup.inline_keyboard[0][0]  # type: ignore[union-attr]
    answer = await press(chat, office.head, message, first.callback_data or "")
    assert answer.text == "已标记为已阅 ✅"
    edit = chat.fake.sent(EditMessageReplyMarkup)[-1]
    labels = [b.text for row in edit.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert labels == ["✅ 1.赵丽", "👀 2.陈静", "👀 全部已阅"]
    assert (await session.exec(select(func.count()).select_from(ReportReview))).one() == 1


async def test_review_all_skips_own_report_and_counts_right(
    chat: Chat, office: Office, session: AsyncSession, sessionmaker: async_sessionmaker
) -> None:
    await file_three(chat, office)
    message = await flush(chat, sessionmaker)
    denied = await press(chat, office.member, message, "rva:")
    assert denied.show_alert and (await session.exec(select(ReportReview))).all() == []
    answer = await press(chat, office.head, message, "rva:")
    assert answer.text == "已标记 1 份为已阅 ✅"  # 赵丽's; 陈静 cannot review herself
    again = await press(chat, office.head, message, "rva:")
    assert again.text == "你已经审阅过了。"
    answer = await press(chat, office.supervisor, message, "rva:")
    assert answer.text == "已标记 2 份为已阅 ✅"
    assert (await session.exec(select(func.count()).select_from(ReportReview))).one() == 3


async def test_forged_review_all_on_a_plain_message_changes_nothing(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await chat.feed(make_message("走访企业", user=office.member, date=local(11, 20, 10)))
    echo = chat.fake.last_message(OFFICE_GROUP)
    answer = await press(chat, office.head, echo, "rva:")
    assert answer.show_alert and (await session.exec(select(ReportReview))).all() == []


async def test_a_crashed_flush_is_taken_over_and_a_restart_loses_nothing(
    chat: Chat, office: Office, session: AsyncSession, sessionmaker: async_sessionmaker
) -> None:
    await file_three(chat, office)
    from storage import echoes as store
    from storage.tables import utcnow

    async with sessionmaker() as s:  # an instance claims the queue, then dies
        long_ago = utcnow() - echoes.STALE_AFTER * 2
        claimed = await store.claim(
            s, chat_id=OFFICE_GROUP, owner="dead", at=long_ago, stale=long_ago, limit=30
        )
        await s.commit()
    assert len(claimed) == 2
    message = await flush(chat, sessionmaker)  # a fresh instance takes the stale claim over
    assert (await session.exec(select(func.count()).select_from(EchoBatch))).one() == 1
    assert "日报汇总（2条）" in (message.text or "")


async def test_group_filing_when_busy_gets_a_reaction_and_joins_the_batch(
    chat: Chat, office: Office, session: AsyncSession, sessionmaker: async_sessionmaker
) -> None:
    for user in (office.member, office.other):
        await chat.feed(
            make_message("#日报 巡查", user=user, chat=office.group, date=local(11, 20, 17))
        )
    assert len(group_sends(chat)) == 1  # the first is acknowledged by a reply, as before
    assert (await session.exec(select(func.count()).select_from(EchoQueue))).one() == 1
    await echoes.EchoFlusher(sessionmaker, chat.bot, owner="t").flush()
    assert "1. 📝 赵丽" in (group_sends(chat)[-1].text or "")


async def test_editing_a_batched_item_edits_the_batch(
    chat: Chat, office: Office, session: AsyncSession, sessionmaker: async_sessionmaker
) -> None:
    from aiogram.methods import EditMessageText

    from tests.factories import make_update

    await file_three(chat, office)
    await flush(chat, sessionmaker)
    item = (await session.exec(select(ReportItem).where(ReportItem.text == "召开周例会"))).one()
    from tests.factories import _factory

    msg = _factory.message(
        "召开周例会并布置任务", user=office.head, date=local(11, 20, 17, 40)
    ).model_copy(
        update={
            "message_id": item.source_message_id,
            "edit_date": int(local(11, 20, 17, 41).timestamp()),
        }
    )
    await chat.dp.feed_update(chat.bot, make_update(edited_message=msg))
    edit = chat.fake.sent(EditMessageText)[-1]
    assert "召开周例会并布置任务" in edit.text and "日报汇总（2条）" in edit.text
    labels = [b.text for row in edit.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert len(labels) == 3
