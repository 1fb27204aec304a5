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


async def requests_for(chat: Chat, user: User, at: datetime) -> dict[str, Message]:
    """/ratings: the request messages as Telegram answered them, by their text."""
    before = len(chat.fake.requests)
    await chat.feed(make_message("/ratings", user=user, date=at))
    pairs = zip(chat.fake.requests[before:], chat.fake.results[before:], strict=True)
    return {
        result.text: result
        for request, result in pairs
        if isinstance(request, SendMessage) and request.reply_markup is not None
    }


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
    requests = await requests_for(chat, office.head, DURING)
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
    left = await requests_for(chat, office.head, DURING)
    assert len(left) == 4 and not any("杨帆" in text for text in left)


async def test_rate_by_typed_number(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    requests = await requests_for(chat, office.member, DURING)
    mine = find(requests, "自评", "杨帆")
    sent = await chat.feed(make_message("88", user=office.member, reply_to=mine, date=DURING))
    assert sent[0].text.startswith("✅ 自评：杨帆 88分。")
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
    request = next(
        result
        for sent, result in pairs
        if isinstance(sent, SendMessage)
        and int(sent.chat_id) == office.supervisor.id
        and "分管领导评分：请为 陈静" in sent.text
    )
    sent = await chat.feed(
        make_message("90", user=office.supervisor, reply_to=request, date=DURING)
    )
    assert sent[0].text.startswith("✅ 分管领导评分：陈静 90分。")
    assert await scores(session) == [("supervisor", 90.0)]


async def test_rating_outside_the_window_is_refused(
    chat: Chat, office: Office, clock: FakeClock, session: AsyncSession
) -> None:
    requests = await requests_for(chat, office.head, DURING)
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
    requests = await requests_for(chat, office.head, DURING)
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
        requests = await requests_for(chat, rater, DURING)
        request = find(requests, "同级互评", "杨帆")
        assert "匿名" in request.text
        fake.clear()
        await press(chat, clock, rater, request, label, DURING)
        # nothing goes to 杨帆 when a peer rates her
        assert all(int(getattr(r, "chat_id", 0) or 0) != office.member.id for r in fake.requests)
    head = await requests_for(chat, office.head, DURING)
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
    own = await requests_for(chat, office.member, local(10, 13, 21))
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
    requests = await requests_for(chat, office.other, DURING)
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
