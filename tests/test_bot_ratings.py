"""多主体评价 answers: grade buttons, typed numbers, the window, anonymity, and ratings in
the facts and the score (2026Q3 ratings: 10-12 … 10-14, 20:00)."""

from __future__ import annotations

import re
from datetime import date, datetime

from aiogram import Bot, Dispatcher
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import Message, User
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.jobs import Jobs
from bot.scores import quarter_results
from bot.sender import Limits
from core.facts import RatingMean
from core.jobs import Job
from core.policy import Component, RaterKind
from core.quarter import Quarter
from storage.facts import gather
from storage.tables import Rating
from tests.conftest import SHANGHAI, Chat, FakeClock, Office, Roster, local
from tests.factories import make_callback, make_message
from tests.fakes import FakeSession

DURING = local(10, 13, 10)


def _sent(chat: Chat, before: int) -> list[Message]:
    """The messages the bot sent since `before`, as Telegram answered them."""
    pairs = zip(chat.fake.requests[before:], chat.fake.results[before:], strict=True)
    return [result for request, result in pairs if isinstance(request, SendMessage)]


async def click(chat: Chat, user: User, message: Message, data: str) -> int:
    """Press a button; where the bot's requests start."""
    before = len(chat.fake.requests)
    await chat.dp.feed_update(chat.bot, make_callback(data, user=user, message=message))
    return before


async def requests_for(
    chat: Chat, user: User, at: datetime, clock: FakeClock | None = None
) -> dict[str, Message]:
    """/ratings: ONE list message with a button per person; pressing each sends its
    request. The request messages as Telegram answered them, by their text."""
    if clock is not None:
        clock.at = at
    before = len(chat.fake.requests)
    await chat.feed(make_message("/ratings", user=user, date=at))
    sent = _sent(chat, before)
    listed = [m for m in sent if m.reply_markup is not None]
    if not listed:
        return {}
    assert len(sent) == 1, [m.text for m in sent]  # one message, however many to rate
    found: dict[str, Message] = {}
    for row in listed[0].reply_markup.inline_keyboard:
        for b in row:
            if b.callback_data.startswith("rt:o:") and not b.text.startswith("✅"):
                start = await click(chat, user, listed[0], b.callback_data)
                (request,) = _sent(chat, start)
                found[request.text] = request
    return found


def find(requests: dict[str, Message], *words: str) -> Message:
    return next(m for text, m in requests.items() if all(w in text for w in words))


async def press(
    chat: Chat, clock: FakeClock, user: User, message: Message, label: str, at: datetime
) -> tuple[str, list[EditMessageText]]:
    """Press a grade button; (the callback answer, the edits the bot made)."""
    clock.at = at
    button = next(
        b for row in message.reply_markup.inline_keyboard for b in row if b.text.startswith(label)
    )
    before = len(chat.fake.requests)
    await chat.dp.feed_update(
        chat.bot, make_callback(button.callback_data, user=user, message=message)
    )
    new = chat.fake.requests[before:]
    answer = next(r for r in new if isinstance(r, AnswerCallbackQuery))
    return answer.text or "", [r for r in new if isinstance(r, EditMessageText)]


async def me_in_full(chat: Chat, clock: FakeClock, user: User, at: datetime) -> str:
    """/me and its 「查看明细」: all the person is shown of their score."""
    sent = await chat.feed(make_message("/me", user=user, date=at))
    summary = sent[-1]
    message = chat.fake._message(
        summary.chat_id, text=summary.text, reply_markup=summary.reply_markup
    )
    clock.at = at
    data = summary.reply_markup.inline_keyboard[0][0].callback_data
    detail = await chat.feed(make_callback(data, user=user, message=message))
    return "\n".join(str(getattr(r, "text", "") or "") for r in [*sent, *detail])


async def scores(session: AsyncSession) -> list[tuple[str, float | None]]:
    rows = (await session.exec(select(Rating).where(Rating.score.is_not(None)))).all()  # type: ignore[union-attr]
    return sorted((r.kind, r.score) for r in rows)


async def test_rate_by_button_and_rerate(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    requests = await requests_for(chat, office.head, DURING, clock)
    assert len(requests) == 5  # self + the four other members of 办公室
    request = find(requests, "部门评分", "杨帆")
    assert "点下面的等次，或回复本条消息一个 0—100 的分数" in request.text
    answer, edits = await press(chat, clock, office.head, request, "较好", DURING)
    assert answer == ""
    assert edits[0].text.startswith("✅ 部门评分：杨帆 85分。")
    assert await scores(session) == [("head", 85.0)]

    await press(chat, clock, office.head, request, "好", DURING)  # changes her mind
    session.expire_all()
    assert await scores(session) == [("head", 95.0)]
    # what is left to rate no longer lists 杨帆
    left = await requests_for(chat, office.head, DURING, clock)
    assert len(left) == 4 and not any("杨帆" in text for text in left)


async def test_rate_by_typed_number(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    requests = await requests_for(chat, office.member, DURING, clock)
    mine = find(requests, "自评")
    assert mine.text.startswith("⭐ 2026年第3季度自评：请为自己本季度表现打分。")
    sent = await chat.feed(make_message("88", user=office.member, reply_to=mine, date=DURING))
    assert sent[0].text.startswith("✅ 自评：88分。")
    for bad in ("101", "很好", "-3"):
        sent = await chat.feed(make_message(bad, user=office.member, reply_to=mine, date=DURING))
        assert sent[0].text == "请回复 0—100 之间的分数，例如 88。"
    sent = await chat.feed(make_message("92.5", user=office.member, reply_to=mine, date=DURING))
    assert "92.5分" in sent[0].text
    assert await scores(session) == [("self", 92.5)]
    # a plain text that is not a reply to a request is still a 日报
    sent = await chat.feed(make_message("90", user=office.member, date=DURING))
    assert "日报" in sent[0].text


async def test_reply_to_a_scheduled_request(
    chat: Chat,
    office: Office,
    clock: FakeClock,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    dp: Dispatcher,
    fake: FakeSession,
) -> None:
    jobs = Jobs(
        sessionmaker=sessionmaker, policy=dp["policy"], zone=SHANGHAI, bot=bot,
        calendar=dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="one",
    )  # fmt: skip
    clock.at = local(10, 12, 9)
    fake.clear()
    await jobs.run(Job.RATINGS_OPEN, date(2026, 10, 12))
    pairs = zip(fake.requests, fake.results, strict=True)
    (listed,) = [
        result
        for sent, result in pairs
        if isinstance(sent, SendMessage) and int(sent.chat_id) == office.supervisor.id
    ]  # one message, listing whom to rate
    assert "· 分管领导评分：" in listed.text and "陈静" in listed.text, listed.text
    button = next(
        b for row in listed.reply_markup.inline_keyboard for b in row if b.text == "陈静"
    )
    clock.at = DURING
    start = await click(chat, office.supervisor, listed, button.callback_data)
    (request,) = _sent(chat, start)
    assert request.text.startswith("⭐ 2026年第3季度分管领导评分：请为 陈静 评分。")
    sent = await chat.feed(
        make_message("90", user=office.supervisor, reply_to=request, date=DURING)
    )
    assert sent[0].text.startswith("✅ 分管领导评分：陈静 90分。")
    assert await scores(session) == [("supervisor", 90.0)]


async def test_rating_outside_the_window_is_refused(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    requests = await requests_for(chat, office.head, DURING, clock)
    request = find(requests, "部门评分", "赵丽")
    late = local(10, 14, 20, 5)  # after the close day's 20:00 deadline
    answer, edits = await press(chat, clock, office.head, request, "一般", late)
    assert answer == "评分已截止（或尚未开始），这次评分没有记录。"
    assert edits == []
    sent = await chat.feed(make_message("70", user=office.head, reply_to=request, date=late))
    assert sent[0].text == "评分已截止（或尚未开始），这次评分没有记录。"
    assert await scores(session) == []
    sent = await chat.feed(make_message("/ratings", user=office.head, date=local(10, 15, 9)))
    assert sent[0].text == "你目前没有待评分的项目。"


async def test_someone_elses_request_is_refused(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    requests = await requests_for(chat, office.head, DURING, clock)
    request = find(requests, "部门评分", "杨帆")
    answer, _ = await press(chat, clock, office.member, request, "好", DURING)
    assert answer == "这项评分不是发给你的。"
    assert await scores(session) == []


async def test_peer_ratings_are_anonymous_and_flow_into_the_score(
    chat: Chat,
    office: Office,
    roster: Roster,
    clock: FakeClock,
    session: AsyncSession,
    dp: Dispatcher,
    fake: FakeSession,
) -> None:
    huang = await roster.bind("黄磊")
    yang = await roster.person("杨帆")
    for rater, label in ((office.other, "较差"), (huang, "较好")):
        requests = await requests_for(chat, rater, DURING, clock)
        request = find(requests, "同级互评", "杨帆")
        assert "匿名" in request.text
        fake.clear()
        await press(chat, clock, rater, request, label, DURING)
        # nothing goes to 杨帆 when a peer rates her
        assert all(int(getattr(r, "chat_id", 0) or 0) != office.member.id for r in fake.requests)
    head = await requests_for(chat, office.head, DURING, clock)
    await press(chat, clock, office.head, find(head, "部门评分", "杨帆"), "好", DURING)

    # what 杨帆 can ask for never says who gave what
    fake.clear()
    await me_in_full(chat, clock, office.member, local(10, 13, 21))
    for command in ("/records", "/status", "/whoami"):
        await chat.feed(make_message(command, user=office.member, date=local(10, 13, 21)))
    seen = "\n".join(
        str(getattr(r, "text", "") or getattr(r, "caption", "") or "") for r in fake.requests
    )
    assert "赵丽" not in seen and "黄磊" not in seen
    assert "互评60" not in seen and "60（" not in seen  # 赵丽's 较差, on its own
    own = await requests_for(chat, office.member, local(10, 13, 21), clock)
    assert all(
        "打了" in t or "请为 杨帆" not in t or "自评" in t for t in own
    )  # only hers to give
    assert not any("60分" in t or "85分" in t for t in own)
    # while ratings are open, /me shows no anonymous kind at all — no mean, no count — or
    # the next answer would give its score away by differencing (issue 16)
    assert not re.search(r"同级互评\d", seen) and "2人）" not in seen
    # once the window has closed (10-14 20:00), /me shows the means per rater kind
    shown = await me_in_full(chat, clock, office.member, local(10, 14, 20, 1))
    assert "多主体评价" in shown and "同级互评72.5（" in shown and "2人）" in shown

    unit = yang.unit_id
    gathered = await gather(
        session, unit_id=unit, start=date(2026, 7, 1), end=date(2026, 9, 30),
        calendar=dp["calendar"], period="2026Q3",
    )  # fmt: skip
    mine = sorted((m.kind.value, m.mean, m.count) for m in gathered.facts.ratings)
    assert mine == [("head", 95.0, 1), ("peers", 72.5, 2)]
    assert RatingMean(yang.id, RaterKind.PEERS, 72.5, 2) in gathered.facts.ratings

    result, _ = await quarter_results(
        session, policy=dp["policy"], calendar=dp["calendar"], quarter=Quarter(2026, 3),
        now=local(10, 15, 9),
    )  # fmt: skip
    person = next(p for p in result.people if p.person_id == yang.id)
    line = next(c for c in person.components if c.component is Component.RATINGS)
    # head 0.3 and peers 0.1 renormalised: (0.3 × 95 + 0.1 × 72.5) / 0.4
    assert str(line.value) == "89.38"  # rounded half away from zero


async def test_a_single_peer_answer_is_neither_scored_nor_shown(
    chat: Chat,
    office: Office,
    roster: Roster,
    clock: FakeClock,
    session: AsyncSession,
    dp: Dispatcher,
) -> None:
    requests = await requests_for(chat, office.other, DURING, clock)
    await press(chat, clock, office.other, find(requests, "同级互评", "杨帆"), "较差", DURING)
    shown = await me_in_full(chat, clock, office.member, local(10, 13, 21))
    # 赵丽's 较差 (60) alone would be plain to see as the peers' mean
    assert "同级互评" not in shown and "多主体评价（无数据）" in shown
    unit = (await roster.person("杨帆")).unit_id
    gathered = await gather(
        session, unit_id=unit, start=date(2026, 7, 1), end=date(2026, 9, 30),
        calendar=dp["calendar"], period="2026Q3",
    )  # fmt: skip
    assert [m for m in gathered.facts.ratings if m.kind is RaterKind.PEERS] == []


async def test_a_long_list_is_paged_in_the_same_message(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from bot.handlers import ratings as handler

    monkeypatch.setattr(handler, "PAGE", 2)  # 陈静 has 5 to rate: 3 pages
    clock.at = DURING
    (listed,) = await chat.feed(make_message("/ratings", user=office.head, date=DURING))
    listed = chat.fake.results[-1]
    assert listed.text.splitlines()[0] == "⭐ 2026年第3季度评分：还有5项待评，10月14日截止："
    assert "· 自评：本人" in listed.text and "· 部门评分：" in listed.text
    first = [b.text for row in listed.reply_markup.inline_keyboard for b in row]
    assert first[0] == "本人自评" and first[-2:] == ["1/3", "下一页 ▶"]
    turn = listed.reply_markup.inline_keyboard[-1][-1].callback_data
    start = await click(chat, office.head, listed, turn)
    (edit,) = [r for r in chat.fake.requests[start:] if isinstance(r, EditMessageText)]
    second = [b.text for row in edit.reply_markup.inline_keyboard for b in row]
    assert second[-3:] == ["◀ 上一页", "2/3", "下一页 ▶"]
    assert not set(first[:2]) & set(second[:2])  # other people on page 2
    # nothing else was sent: the list stays one message
    assert not [r for r in chat.fake.requests[start:] if isinstance(r, SendMessage)]
    # rating someone on page 1 marks them ✅ and does not shift page 2
    start = await click(
        chat, office.head, listed, listed.reply_markup.inline_keyboard[0][0].callback_data
    )
    (request,) = _sent(chat, start)
    await press(chat, clock, office.head, request, "好", DURING)
    start = await click(chat, office.head, listed, turn)
    (edit,) = [r for r in chat.fake.requests[start:] if isinstance(r, EditMessageText)]
    assert [b.text for row in edit.reply_markup.inline_keyboard for b in row] == second
    assert "还有4项待评" in edit.text and "· 自评" not in edit.text
    back = edit.reply_markup.inline_keyboard[-1][0].callback_data  # ◀ 上一页
    start = await click(chat, office.head, listed, back)
    (edit,) = [r for r in chat.fake.requests[start:] if isinstance(r, EditMessageText)]
    assert edit.reply_markup.inline_keyboard[0][0].text == "✅ 本人自评"


async def test_someone_elses_list_button_opens_nothing(
    chat: Chat, office: Office, clock: FakeClock
) -> None:
    clock.at = DURING
    await chat.feed(make_message("/ratings", user=office.head, date=DURING))
    listed = chat.fake.results[-1]
    data = listed.reply_markup.inline_keyboard[0][1].callback_data  # one of 陈静's ratees
    start = await click(chat, office.member, listed, data)
    new = chat.fake.requests[start:]
    answer = next(r for r in new if isinstance(r, AnswerCallbackQuery))
    assert answer.text == "这项评分不是发给你的。" and answer.show_alert
    assert not [r for r in new if isinstance(r, SendMessage)]
