"""实绩申报 /declare: the guided flow, interruption and resume, the 5-item cap, edit and
delete, and the window (2026Q3: 09-23 … 10-10)."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StateType, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import Update, User
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from core.quarter import Quarter
from storage.declarations import declared_items
from storage.tables import Declaration, DeclarationItem
from tests.conftest import TEST_TOKEN, Chat, FakeClock, Office, local
from tests.factories import make_callback, make_message
from tests.fake_api import FakeBotAPI
from tests.fakes import FakeSession

IN_WINDOW = local(9, 24, 10)


class Person:
    """One person talking to the bot: types, presses the buttons of the last message."""

    def __init__(self, chat: Chat, clock: FakeClock, user: User, at: datetime) -> None:
        self.chat, self.clock, self.user, self.at = chat, clock, user, at
        self.last: SendMessage | None = None

    async def say(self, text: str) -> list[SendMessage]:
        sent = await self.chat.feed(make_message(text, user=self.user, date=self.at))
        self.last = sent[-1] if sent else self.last
        return sent

    async def press(self, label: str) -> tuple[list[SendMessage], str]:
        """Press the button with `label` on the latest message that has it."""
        self.clock.at = self.at
        requests = self.chat.fake.requests
        for request in reversed(requests):
            markup = getattr(request, "reply_markup", None)
            if not isinstance(request, SendMessage) or markup is None:
                continue
            for row in markup.inline_keyboard:
                for button in row:
                    if button.text == label:
                        message = self.chat.fake._message(
                            request.chat_id, text=request.text, reply_markup=markup
                        )
                        before = len(requests)
                        sent = await self.chat.feed(
                            make_callback(button.callback_data, user=self.user, message=message)
                        )
                        answers = [
                            r for r in requests[before:] if isinstance(r, AnswerCallbackQuery)
                        ]
                        return sent, (answers[0].text or "") if answers else ""
        raise AssertionError(f"no button {label!r}")

    async def add(self, text: str, source: str = "年度指标", rating: str = "好") -> None:
        await self.say(text)
        await self.press(source)
        sent, _ = await self.press(rating)
        assert any("已保存" in m.text for m in sent), [m.text for m in sent]


async def stored(
    session: AsyncSession, quarter: str = "2026Q3"
) -> list[tuple[int, str, str, str]]:
    rows = await session.exec(
        select(DeclarationItem)
        .join(Declaration)
        .where(Declaration.quarter == quarter)
        .order_by(DeclarationItem.position)
    )
    return [(i.position, i.text, i.source, i.self_rating) for i in rows.all()]


async def test_full_declare_flow(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    me = Person(chat, clock, office.member, IN_WINDOW)
    sent = await me.say("/declare")
    assert "2026年第3季度实绩申报（最多5项，10月10日截止）" in sent[0].text
    assert "请发送第1项实绩" in sent[1].text
    # 「➕ 添加一项」 while the bot already waits for item 1: a hint, not the prompt again
    sent, toast = await me.press("➕ 添加一项")
    assert sent == [] and toast.startswith("请发送第1项实绩")

    sent = await me.say("牵头完成全局档案数字化")
    assert "「牵头完成全局档案数字化」" in sent[0].text
    sent, _ = await me.press("临时任务")
    assert sent[0].text == "请选择本项自评等次："
    sent, _ = await me.press("较好")
    assert sent[0].text == "✅ 已保存第1项（临时任务，自评较好）：牵头完成全局档案数字化"
    assert "1. [临时任务·自评较好] 牵头完成全局档案数字化" in sent[1].text
    assert "尚未提交" in sent[1].text
    assert await stored(session) == [(1, "牵头完成全局档案数字化", "temporary", "fairly_good")]

    await me.press("➕ 添加一项")
    await me.add("起草半年工作总结", "年度指标", "好")
    sent, _ = await me.press("✅ 提交")
    assert sent[0].text.startswith("📨 2026年第3季度实绩申报已提交，共2项。")
    declaration = (await session.exec(select(Declaration))).one()
    assert declaration.submitted_at is not None

    items = await declared_items(session, unit_id=declaration.unit_id, quarter=Quarter(2026, 3))
    assert [
        (i.position, i.text, i.source.label, i.self_rating.label)
        for i in items[declaration.person_id]
    ] == [
        (1, "牵头完成全局档案数字化", "临时任务", "较好"),
        (2, "起草半年工作总结", "年度指标", "好"),
    ]
    # a plain text after submitting is a 日报 again, not a declaration item
    sent = await me.say("今天整理档案")
    assert "日报" in sent[0].text
    assert len(await stored(session)) == 2


async def test_interrupted_flow_resumes_with_nothing_lost(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    me = Person(chat, clock, office.member, IN_WINDOW)
    await me.say("/declare")
    await me.add("完成信访答复12件")
    await me.press("➕ 添加一项")
    await me.say("组织消防演练")
    # another command in between: the bot answers it, the declaration waits
    sent = await me.say("/status")
    assert "请选择" not in sent[0].text and "已保存" not in sent[0].text
    sent = await me.say("/declare")
    assert "1. [年度指标·自评好] 完成信访答复12件" in sent[0].text
    assert "「组织消防演练」" in sent[1].text  # back at the source step of item 2
    await me.press("自选")
    await me.press("一般")
    assert await stored(session) == [
        (1, "完成信访答复12件", "annual", "good"),
        (2, "组织消防演练", "chosen", "average"),
    ]


async def test_at_most_five_items(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    me = Person(chat, clock, office.member, IN_WINDOW)
    await me.say("/declare")
    await me.add("第一项")
    for n in range(2, 6):
        await me.press("➕ 添加一项")
        await me.add(f"第{['', '', '二', '三', '四', '五'][n]}项")
    sent = await me.say("/declare")
    buttons = [b.text for row in sent[0].reply_markup.inline_keyboard for b in row]
    assert "➕ 添加一项" not in buttons and "✅ 提交" in buttons
    # an old 「添加」 button is refused too
    _, alert = await me.press("➕ 添加一项")
    assert alert == "最多申报5项。可以修改或删除已有的项。"
    assert len(await stored(session)) == 5


async def test_edit_and_delete(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    me = Person(chat, clock, office.member, IN_WINDOW)
    await me.say("/declare")
    await me.add("甲")
    await me.press("➕ 添加一项")
    await me.add("乙")
    await me.press("➕ 添加一项")
    await me.add("丙")

    await me.press("✏️ 改第2项")
    await me.say("乙（修改后）")
    await me.press("自选")
    await me.press("较差")
    await me.press("✏️ 改第3项")
    await me.press("不改内容")
    await me.press("临时任务")
    await me.press("较好")
    assert await stored(session) == [
        (1, "甲", "annual", "good"),
        (2, "乙（修改后）", "chosen", "poor"),
        (3, "丙", "temporary", "fairly_good"),
    ]
    sent, _ = await me.press("🗑 删第1项")
    assert sent[0].text == "🗑 已删除第1项。"
    assert "1. [自选·自评较差] 乙（修改后）" in sent[1].text
    assert await stored(session) == [
        (1, "乙（修改后）", "chosen", "poor"),
        (2, "丙", "temporary", "fairly_good"),
    ]


async def test_declaring_outside_the_window_is_refused(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    early = Person(chat, clock, office.member, local(9, 22, 10))
    sent = await early.say("/declare")
    assert sent[0].text == (
        "实绩申报现在没有开放。\n2026年第2季度的申报已于7月3日截止；"
        "2026年第3季度的申报9月23日开放，10月10日截止。"
    )
    sent = await early.say("做了很多工作")
    assert "日报" in sent[0].text  # filed as a report, not declared
    assert await stored(session) == []

    # started inside the window, finished after the close: refused, nothing stored
    me = Person(chat, clock, office.other, local(10, 10, 19))
    await me.say("/declare")
    await me.say("整理年度台账")
    await me.press("年度指标")
    me.at = local(10, 10, 20, 30)  # after the 20:00 deadline of the close day
    _, alert = await me.press("好")
    assert alert == "实绩申报已截止。"
    assert await stored(session) == []
    late = Person(chat, clock, office.other, local(10, 12, 9))
    sent = await late.say("/declare")
    assert "2026年第3季度的申报已于10月10日截止" in sent[0].text


async def test_a_forgotten_prompt_lets_texts_be_reports_again(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    me = Person(chat, clock, office.member, local(9, 24, 10))
    await me.say("/declare")  # asks for item 1
    me.at = local(9, 24, 11)  # an hour later the person writes the day's report
    sent = await me.say("上午接待来访群众")
    assert "日报" in sent[0].text
    assert await stored(session) == []
    sent = await me.say("/declare")
    assert "请发送第1项实绩" in sent[-1].text
    sent = await me.say("完成接访台账")
    assert "「完成接访台账」" in sent[0].text


async def test_declare_is_private(chat: Chat, office: Office) -> None:
    sent = await chat.feed(
        make_message("/declare", user=office.member, chat=office.group, date=IN_WINDOW)
    )
    assert all("实绩申报（" not in m.text for m in sent)


REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


async def _redis_up() -> bool:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        return bool(await client.ping())
    except Exception:
        return False
    finally:
        await client.aclose()


async def test_state_in_redis_survives_a_restart(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    fake: FakeSession,
    clock: FakeClock,
    office: Office,
    session: AsyncSession,
) -> None:
    if not await _redis_up():
        pytest.skip("needs a Redis server (TEST_REDIS_URL)")
    with_redis = settings.model_copy(update={"redis_url": REDIS_URL})
    first = make_dispatcher(with_redis, sessionmaker, clock=clock, catch_errors=False)
    key = StorageKey(bot_id=bot.id, chat_id=office.member.id, user_id=office.member.id)
    await first.storage.set_state(key, None)
    await first.storage.set_data(key, {})
    me = Person(Chat(first, bot, fake), clock, office.member, IN_WINDOW)
    try:
        await me.say("/declare")
        await me.add("完成普法宣传")
        await me.press("➕ 添加一项")
        await me.say("牵头应急演练")
        await me.press("临时任务")  # now at the self-rating step
    finally:
        await first.storage.close()

    second = make_dispatcher(with_redis, sessionmaker, clock=clock, catch_errors=False)
    me.chat = Chat(second, bot, fake)  # as after a restart
    try:
        sent = await me.say("/declare")
        assert "1. [年度指标·自评好] 完成普法宣传" in sent[0].text
        assert sent[1].text == "请选择本项自评等次："
        await me.press("好")
        assert await stored(session) == [
            (1, "完成普法宣传", "annual", "good"),
            (2, "牵头应急演练", "temporary", "good"),
        ]
    finally:
        await second.storage.set_state(key, None)
        await second.storage.set_data(key, {})
        await second.storage.close()


# ---- quick answers (issue 24): updates of one person are handled in the order they came


async def feed_together(chat: Chat, *updates: Update) -> list[object]:
    """Hand the updates to the dispatcher at once, as polling with `handle_as_tasks` does."""
    return await asyncio.gather(
        *(chat.dp.feed_update(chat.bot, u) for u in updates), return_exceptions=True
    )


class SlowStorage(MemoryStorage):
    """FSM storage whose writes take a round trip's time, as Redis's do."""

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await asyncio.sleep(0.05)
        await super().set_state(key, state)


async def test_text_and_presses_back_to_back_store_the_item(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    chat.dp.fsm.storage = SlowStorage()
    me = Person(chat, clock, office.member, IN_WINDOW)
    clock.at = IN_WINDOW
    prompt = (await me.say("/declare"))[-1]
    assert "请发送第1项实绩" in prompt.text
    under = chat.fake._message(office.member.id, text=prompt.text)
    before = len(chat.fake.requests)
    outcomes = await feed_together(
        chat,
        make_message("牵头完成全局档案数字化", user=office.member, date=IN_WINDOW),
        make_callback("dc:src:temporary", user=office.member, message=under),
        make_callback("dc:rate:fairly_good", user=office.member, message=under),
    )
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    answers = [r for r in chat.fake.requests[before:] if isinstance(r, AnswerCallbackQuery)]
    assert [a.text for a in answers] == [None, None]  # no 「这个按钮已过期」
    sent = [r.text for r in chat.fake.requests[before:] if isinstance(r, SendMessage)]
    assert "✅ 已保存第1项（临时任务，自评较好）：牵头完成全局档案数字化" in sent
    assert await stored(session) == [(1, "牵头完成全局档案数字化", "temporary", "fairly_good")]


async def test_an_item_typed_before_the_prompt_arrives_is_the_item(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    me = Person(chat, clock, office.member, IN_WINDOW)
    clock.at = IN_WINDOW
    outcomes = await feed_together(
        chat,
        make_message("/declare", user=office.member, date=IN_WINDOW),
        make_message("起草半年工作总结", user=office.member, date=IN_WINDOW),
    )
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    texts_sent = [r.text for r in chat.fake.requests if isinstance(r, SendMessage)]
    assert not [t for t in texts_sent if "日报" in t]  # not filed as a 日报
    assert "「起草半年工作总结」" in texts_sent[-1]
    await me.press("年度指标")
    await me.press("好")
    assert await stored(session) == [(1, "起草半年工作总结", "annual", "good")]


async def test_polling_handles_an_item_sent_with_declare_in_one_batch(
    settings: Settings, dp: Dispatcher, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    """The real runtime's path: one getUpdates batch, each update its own task."""
    clock.at = IN_WINDOW
    user = {"id": office.member.id, "is_bot": False, "first_name": office.member.first_name}
    chat = {"id": office.member.id, "type": "private", "first_name": office.member.first_name}
    at = int(IN_WINDOW.timestamp())
    async with FakeBotAPI(token=TEST_TOKEN) as api:
        for n, text in enumerate(["/declare", "起草半年工作总结"], start=1):
            message = {"message_id": n, "date": at, "chat": chat, "from": user, "text": text}
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": 8}]
            api.push_update({"update_id": 900_000 + n, "message": message})
        bot = make_bot(settings.model_copy(update={"telegram_api_base": api.base}))
        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
        try:
            asked = await api.wait_for(
                "sendMessage", lambda p: "「起草半年工作总结」" in str(p.get("text"))
            )
        finally:
            await dp.stop_polling()
            await polling
            await bot.session.close()
    assert asked is not None
    assert not [p for p in api.calls_of("sendMessage") if "日报" in str(p.get("text"))]
