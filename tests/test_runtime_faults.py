"""Faults (DESIGN §9): the database going away while someone files, and the Bot API
unreachable or failing during a job. Nothing is lost, nothing is stored or sent twice, and
nobody is told "saved" for something that was not."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from bot.jobs import Jobs
from bot.sender import Limits
from core.jobs import Job
from storage import db
from storage import jobs as store
from storage.tables import ReportItem, UpdateClaim
from tests.conftest import PG_URL, SHANGHAI, TEST_TOKEN, Chat, FakeClock, Office, local
from tests.factories import make_message
from tests.fake_api import FakeBotAPI
from tests.fakes import BOT_ID, FakeSession


class Outage:
    """Makes the database fail statements matching `which` while `down` is set."""

    def __init__(self) -> None:
        self.down = False
        self.which: Callable[[str], bool] = lambda statement: True

    def before_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self.down and self.which(statement):
            raise OperationalError(
                statement, None, ConnectionError("server closed the connection")
            )


@pytest.fixture
async def outage(db_url: str) -> AsyncIterator[tuple[Outage, async_sessionmaker[AsyncSession]]]:
    """A sessionmaker on the test database whose connection can be made to fail."""
    engine = db.make_engine(db_url)
    failing = Outage()
    event.listen(engine.sync_engine, "before_cursor_execute", failing.before_execute)
    yield failing, db.make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def live_chat(
    settings: Settings,
    outage: tuple[Outage, async_sessionmaker[AsyncSession]],
    bot: Bot,
    fake: FakeSession,
    clock: FakeClock,
) -> Chat:
    """A Dispatcher as `kaohe run` builds it (with the error handler) on the flaky database."""
    dp: Dispatcher = make_dispatcher(settings, outage[1], clock=clock)
    return Chat(dp, bot, fake)


async def items(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(ReportItem))).one()


@pytest.mark.parametrize(
    "fails",
    [
        pytest.param(lambda statement: True, id="database-unreachable"),
        pytest.param(
            lambda statement: "INSERT INTO reportitem" in statement, id="drops-mid-filing"
        ),
    ],
)
async def test_a_report_filed_while_the_database_is_down_is_never_called_saved(
    fails: Callable[[str], bool],
    office: Office,
    outage: tuple[Outage, async_sessionmaker[AsyncSession]],
    live_chat: Chat,
    session: AsyncSession,
) -> None:
    failing, _ = outage
    failing.which, failing.down = fails, True
    update = make_message("起草年度总结", user=office.member, date=local(11, 20, 10))
    answers = [m.text for m in await live_chat.feed(update)]
    assert answers == [texts.DB_UNAVAILABLE]
    assert not any("已记录" in text for text in answers)
    assert await items(session) == 0

    failing.down = False  # the database is back; Telegram (or the user) sends it again
    answers = [m.text for m in await live_chat.feed(update)]
    assert any("已记录" in text for text in answers)
    assert await live_chat.feed(update) == []  # a further redelivery: handled once
    assert await items(session) == 1


# ---- the Bot API during a job --------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def job_runner(
    base: str, sessionmaker: async_sessionmaker[AsyncSession], dp: Dispatcher, clock: FakeClock
) -> tuple[Jobs, Bot]:
    """An instance's job runner whose Bot talks HTTP to `base`, retrying fast, twice."""
    settings = Settings(BOT_TOKEN=TEST_TOKEN, TELEGRAM_API_BASE=base)  # type: ignore[call-arg]
    bot = make_bot(settings)
    limits = replace(Limits.unlimited(), backoff=0.01, attempts=2)
    jobs = Jobs(
        sessionmaker=sessionmaker,
        policy=dp["policy"],
        zone=SHANGHAI,
        bot=bot,
        calendar=dp["calendar"],
        clock=clock,
        limits=limits,
        owner="instance-1",
    )
    return jobs, bot


async def test_a_job_during_an_api_outage_and_a_5xx_storm_completes_later_once(
    office: Office,
    dp: Dispatcher,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FakeClock,
) -> None:
    clock.at = local(11, 20, 17, 1)

    down, down_bot = job_runner(f"http://127.0.0.1:{closed_port()}", sessionmaker, dp, clock)
    try:
        first = await down.run(Job.REMIND)  # nothing listens: every send fails
    finally:
        await down_bot.session.close()
    assert first.status == "partial" and first.delivery is not None
    due = sorted(m.chat_id for m in first.messages)
    assert {office.head.id, office.member.id, office.other.id} <= set(due)
    assert first.delivery.sent == [] and len(first.delivery.later) == len(due)
    assert {r.status for r in await store.sent_messages(session, job="remind")} == {"retry"}

    async with FakeBotAPI(token=TEST_TOKEN) as api:
        jobs, bot = job_runner(api.base, sessionmaker, dp, clock)
        try:
            api.failures = [503] * 1000  # then a storm of 5xx: still nothing goes out
            clock.at = local(11, 20, 17, 11)
            stormy = await jobs.catch_up()  # the scheduler's sweep after a restart
            remind = next(r for r in stormy if r.job is Job.REMIND)
            assert remind.status == "partial" and api.delivered == []

            api.failures.clear()  # the API recovered: the next sweep finishes the job
            clock.at = local(11, 20, 17, 21)
            recovered = next(r for r in await jobs.catch_up() if r.job is Job.REMIND)
            assert recovered.status == "done"
            again = next(r for r in await jobs.catch_up() if r.job is Job.REMIND)
            assert again.status == "already"
        finally:
            await bot.session.close()
        reminded = [int(p["chat_id"]) for p in api.delivered if "⏰" in str(p["text"])]
    assert sorted(reminded) == due  # everyone, once
    assert {r.status for r in await store.sent_messages(session, job="remind")} == {"sent"}


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
async def test_after_a_database_restart_filing_goes_on_without_an_error(
    office: Office, live_chat: Chat, db_url: str
) -> None:
    """PostgreSQL restarted (every connection cut): the pool reconnects, nobody notices."""
    first = await live_chat.feed(
        make_message("上午开会", user=office.member, date=local(11, 20, 9))
    )
    assert any("已记录" in m.text for m in first)
    admin = db.make_engine(db_url)
    try:
        async with admin.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        second = await live_chat.feed(
            make_message("下午走访", user=office.member, date=local(11, 20, 15))
        )
        assert any("已记录" in m.text and "共 2 条" in m.text for m in second)
        async with db.make_sessionmaker(admin)() as s:
            assert await items(s) == 2
    finally:
        await admin.dispose()


async def test_a_question_redelivered_is_answered_once(
    office: Office, live_chat: Chat, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """An update that stores nothing (here /status) is remembered too."""
    update = make_message("/status", user=office.member, date=local(11, 20, 10))
    assert len(await live_chat.feed(update)) == 1
    assert await live_chat.feed(update) == []
    async with sessionmaker() as s:
        assert await s.get(UpdateClaim, (BOT_ID, update.update_id)) is not None
