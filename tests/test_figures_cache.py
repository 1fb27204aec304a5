"""Kept standings (issue 21): every kind of write that changes a figure shows in the next
/me; writes that change none, and asking again, compute nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from aiogram.types import User
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import figure_worker, figures
from storage import people as people_store
from storage.changes import CHANGES, QUIET_TABLES
from storage.tables import Person, Record
from tests.conftest import FakeClock, Office, Roster, local
from tests.factories import make_callback, make_message

ROOT = Path(__file__).resolve().parent.parent

EVENING = local(11, 20, 21)  # Friday, after the deadline: 11-20 counts


@pytest.fixture(autouse=True)
def one_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The figures worker in a thread of this process, so its counters can be read."""
    figures.shutdown()
    monkeypatch.setenv("KAOHE_FIGURE_WORKERS", "0")
    monkeypatch.setattr(figure_worker, "SHARED_LIVE", 1e9)  # PostgreSQL: no expiry by age
    monkeypatch.setattr(figure_worker, "SHARED_PAST", 1e9)  # (tested on its own below)
    yield
    figures.shutdown()


async def me(chat, user: User, at=EVENING) -> str:  # type: ignore[no-untyped-def]
    sent = await chat.feed(make_message("/me", user=user, date=at))
    return "\n".join(str(getattr(m, "text", "") or "") for m in sent)


async def started(chat, office: Office, session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    await people_store.set_assessment_start(session, day=date(2026, 11, 16), actor="test")
    await session.commit()
    for day in range(16, 20):
        await chat.feed(make_message("工作", user=office.member, date=local(11, day, 10)))
    await chat.feed(make_message("工作", user=office.other, date=local(11, 16, 10)))


async def press(chat, user: User, label: str, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    clock.at = EVENING
    message = chat.fake.last_message(user.id)
    button = next(
        b for row in message.reply_markup.inline_keyboard for b in row if b.text == label
    )
    await chat.feed(make_callback(button.callback_data, user=user, message=message))


async def test_each_kind_of_write_shows_in_the_next_me(
    chat, office: Office, roster: Roster, session: AsyncSession, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    await started(chat, office, session)
    admin = await roster.bind("周敏")
    before = await me(chat, office.member)
    assert "日报填报 +80.00（80分" in before  # 4 of 5 days

    # a report: today's, filed after the deadline, counts at once
    await chat.feed(make_message("补充工作", user=office.member, date=local(11, 20, 20, 30)))
    after_report = await me(chat, office.member)
    assert "日报填报 +80.00" not in after_report and after_report != before

    # a record: a like and an error in the group
    await chat.feed(
        make_message("点赞 @杨帆 好", user=office.head, chat=office.group, date=EVENING)
    )
    liked = await me(chat, office.member)
    assert "· 点赞 +1.00（1次" in liked
    await chat.feed(
        make_message("错情 @杨帆 漏", user=office.head, chat=office.group, date=EVENING)
    )
    erred = await me(chat, office.member)
    assert "错情" in erred and erred != liked

    # a correction (a bonus, confirmed), then its void
    await chat.feed(make_message("/bonus 杨帆 2 获市级表彰", user=admin, date=EVENING))
    no_bonus_yet = await me(chat, office.member)
    assert no_bonus_yet == erred  # asked, not confirmed: nothing changed
    await press(chat, admin, "✅ 确认", clock)
    bonused = await me(chat, office.member)
    assert "获市级表彰" in bonused
    record = (await session.exec(select(Record).where(Record.reason == "获市级表彰"))).one()
    await chat.feed(make_message(f"/void {record.id} 录入错误", user=admin, date=EVENING))
    assert await me(chat, office.member) == erred

    # leave: 赵丽 filed 1 of 5 days; leave on 11-20 makes it 1 of 4
    other_before = await me(chat, office.other)
    assert "日报填报 +20.00（20分" in other_before
    await chat.feed(make_message("/leave 11-20 调休", user=office.other, date=local(11, 20, 8)))
    assert "日报填报 +25.00（25分" in await me(chat, office.other)


async def test_asking_again_reads_the_kept_standings(
    chat, office: Office, session: AsyncSession
) -> None:  # type: ignore[no-untyped-def]
    await started(chat, office, session)
    start = figure_worker.computed()
    first = await me(chat, office.member, at=local(11, 27, 21))  # week 2: two trend points
    computed = figure_worker.computed()
    assert computed - start == 2  # week 1's end, and now
    assert await me(chat, office.member, at=local(11, 27, 21)) == first
    assert await me(chat, office.other, at=local(11, 27, 21)) != first
    assert figure_worker.computed() == computed  # all read

    # today's filing before the deadline changes no standing; nor does a reply to a bot
    await chat.feed(make_message("工作", user=office.other, date=local(11, 27, 15)))
    assert await me(chat, office.member, at=local(11, 27, 15)) != first  # until 11-26
    computed = figure_worker.computed()
    await chat.feed(make_message("工作2", user=office.member, date=local(11, 27, 16)))
    await me(chat, office.member, at=local(11, 27, 16))
    assert figure_worker.computed() == computed

    # a backfill of 11-24 changes now, not week 1's point (its end is 11-22)
    before = await me(chat, office.other, at=local(11, 27, 16))
    computed = figure_worker.computed()
    await chat.feed(
        make_message("/daily 11-24 补：整理台账", user=office.other, date=local(11, 27, 16))
    )
    after = await me(chat, office.other, at=local(11, 27, 16))
    assert after != before and figure_worker.computed() == computed + 1


async def test_a_rating_and_a_task_show_in_the_next_me(
    chat, office: Office, clock: FakeClock
) -> None:  # type: ignore[no-untyped-def]
    from tests.test_bot_ratings import DURING, find, requests_for
    from tests.test_bot_ratings import press as rate

    after = local(10, 13, 21)  # the closing quarter (Q3) is what /me shows
    before = await me(chat, office.member, at=after)
    requests = await requests_for(chat, office.head, DURING, clock)
    await rate(chat, clock, office.head, find(requests, "部门评分", "杨帆"), "好", DURING)
    rated = await me(chat, office.member, at=after)
    assert rated != before and "多主体评价" in rated and "95" in rated

    # a task: due 12-01, accepted 良 → the indicators component
    at = local(12, 8, 21)
    untasked = await me(chat, office.member, at=at)
    await chat.feed(
        make_message("/task 杨帆 报送信息 截止 12-01", user=office.head, chat=office.group,
                     date=local(11, 23, 12))
    )  # fmt: skip
    await chat.feed(make_message("/done 1", user=office.member, date=local(11, 30, 15)))
    tasked = await me(chat, office.member, at=at)
    await chat.feed(make_message("/accept 1 良", user=office.head, date=local(12, 1, 16)))
    accepted = await me(chat, office.member, at=at)
    assert "· 指标完成 +34.00（85分×40%）" in accepted and accepted not in (tasked, untasked)


async def test_a_roster_change_shows_in_the_next_me(
    chat, office: Office, session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:  # type: ignore[no-untyped-def]
    await started(chat, office, session)
    before = await me(chat, office.member)
    async with sessionmaker() as s:  # what the roster import does to a person's row
        person = (await s.exec(select(Person).where(Person.name == "杨帆"))).one()
        person.category = "中层干部"
        s.add(person)
        await s.commit()
    after = await me(chat, office.member)
    assert after != before and "中层干部" in after
    assert CHANGES.snapshot().every == CHANGES.generation  # a roster write: every day


def test_the_quiet_tables_are_tables() -> None:
    from sqlmodel import SQLModel

    assert QUIET_TABLES - {"alembic_version"} <= set(SQLModel.metadata.tables)
    assert not {"report", "record", "leave", "rating", "task", "person"} & QUIET_TABLES


def test_on_a_shared_database_standings_expire_by_age(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.figure_worker import Ask, _expired, _Standing
    from bot.policies import load_policy
    from core.calendar import WorkCalendar

    SHARED_LIVE, SHARED_PAST = 10.0, 600.0  # noqa: N806
    monkeypatch.setattr(figure_worker, "SHARED_LIVE", SHARED_LIVE)
    monkeypatch.setattr(figure_worker, "SHARED_PAST", SHARED_PAST)

    now = local(11, 27, 21)
    kept = _Standing(version=5, read_at=100.0, scores={}, period="2026Q4", provisional=True)

    def ask(arrived: float, shared: bool = True) -> Ask:
        snapshot = CHANGES.snapshot()
        return Ask("x", load_policy("standard"), WorkCalendar(), now, snapshot, arrived, shared)

    today, last_week = now.date(), date(2026, 11, 22)
    assert not _expired(ask(100 + SHARED_LIVE - 1), kept, today)
    assert _expired(ask(100 + SHARED_LIVE + 1), kept, today)
    assert not _expired(ask(100 + SHARED_LIVE + 1), kept, last_week)
    assert _expired(ask(100 + SHARED_PAST + 1), kept, last_week)
    assert not _expired(ask(1e9, shared=False), kept, today)  # SQLite: one process writes


def test_a_charts_folder_in_the_working_directory_does_not_break_the_workers(
    tmp_path: Path,
) -> None:
    """`python -m bot` puts the working directory first on sys.path; the demo then makes a
    charts/ folder there. The figure workers, spawned later, must still draw with the
    charts package (else /me fails with an AttributeError in the worker)."""
    probe = (
        "import os, sys\n"
        "sys.path.insert(0, os.getcwd())\n"
        "from bot import figures\n"
        "os.mkdir('charts')\n"
        "pool = figures.executor()\n"
        "print(pool.submit(eval, \"__import__('charts').__file__\").result())\n"
        "figures.shutdown()\n"
    )
    env = {**os.environ, "KAOHE_FIGURE_WORKERS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(ROOT / "charts" / "__init__.py")
