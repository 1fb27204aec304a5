"""Two real `kaohe run` processes on one PostgreSQL database and one (fake) Bot API behave
as one bot (DESIGN §9): the fake hands every update to both pollers — as a redelivery or
two webhook replicas would — and both run the scheduler. Each report and like is stored
once, each answer and each scheduled message is sent once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.tables import JobRun, Record, Report, ReportItem, SentMessage
from tests.conftest import PG_URL, SHANGHAI, Office
from tests.fake_api import MAX_UPDATES, FakeBotAPI, Params, _as_int
from tests.test_e2e_run import (  # noqa: F401 - fixtures
    BotProcess,
    api,
    env,
    kaohe_run,
    sent_to,
    workdir,
)

SLOW_START = 60.0  # two processes importing at once on a busy 2-core machine

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL); SQLite is single-instance"
)


def hand_every_update_to_every_poller(fake: FakeBotAPI) -> None:
    """getUpdates forgets nothing: each poller, by its own offset, gets every update."""

    async def get_updates(params: Params) -> list[dict[str, Any]]:
        offset = _as_int(params.get("offset"), 0) or 0
        timeout = max(_as_int(params.get("timeout"), 0) or 0, 0)

        def pending() -> list[dict[str, Any]]:
            return [u for u in fake.updates if u["update_id"] >= offset][:MAX_UPDATES]

        await fake._wait_until(lambda: bool(pending()), timeout)
        return pending()

    fake.handle("getUpdates", get_updates)


def accept_photos(fake: FakeBotAPI) -> list[Params]:
    """sendPhoto answers a Message (the leaderboard posts charts); returns the list of them."""
    photos: list[Params] = []

    async def send_photo(params: Params) -> dict[str, Any]:
        photos.append(params)
        chat_id = int(params["chat_id"])
        return {
            "message_id": 900_000 + len(photos),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private"},
            "photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
            "caption": str(params.get("caption", "")),
        }

    fake.handle("sendPhoto", send_photo)
    return photos


def working_noon() -> datetime:
    """Noon (Shanghai) of the day after the real today: the process clock of this test."""
    tomorrow = datetime.now(UTC).astimezone(SHANGHAI).date() + timedelta(days=1)
    return datetime.combine(tomorrow, dt_time(12), tzinfo=SHANGHAI)


def policy_working_on(folder: Path, day: date) -> Path:
    """The standard policy, but `day` is a working day and every job fired early that day."""
    path = folder / "policy.toml"
    path.write_text(
        f'[calendar]\nextra_workdays = ["{day.isoformat()}"]\n\n'
        '[schedule]\nremind_at = "00:01"\nmissing_at = "00:01"\ndigest_at = "00:02"\n'
        'leaderboard_at = "00:03"\ncatch_up_hours = 23\n',
        encoding="utf-8",
    )
    return path


@contextlib.asynccontextmanager
async def two(environ: dict[str, str], cwd: Path) -> AsyncIterator[tuple[BotProcess, BotProcess]]:
    """Two `kaohe run` processes with the same settings."""
    async with kaohe_run(environ, cwd) as first, kaohe_run(environ, cwd) as second:
        yield first, second


async def count(sessionmaker: async_sessionmaker[AsyncSession], table: type[Any]) -> int:
    async with sessionmaker() as s:
        return (await s.exec(select(func.count()).select_from(table))).one()


async def jobs_settled(sessionmaker: async_sessionmaker[AsyncSession]) -> bool:
    async with sessionmaker() as s:
        runs = list((await s.exec(select(JobRun))).all())
        pending = (
            await s.exec(select(func.count()).where(col(SentMessage.status) == "sending"))
        ).one()
    return bool(runs) and all(r.status != "running" for r in runs) and pending == 0


async def test_two_processes_on_one_database_act_as_one_bot(
    api: FakeBotAPI,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    workdir: Path,  # noqa: F811
    office: Office,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    hand_every_update_to_every_poller(api)
    sent_photos = accept_photos(api)
    # The scheduler runs on a clock of the test's: noon of a working day after every filing
    # of this test, whatever the real hour (the reports are filed on the real day, earlier).
    noon = working_noon()
    environ = env | {
        "KAOHE_POLICY": str(policy_working_on(workdir, noon.date())),
        "KAOHE_SCHEDULER": "on",
        "KAOHE_CLOCK": noon.isoformat(),
    }
    member, head = office.member, office.head
    async with two(environ, workdir) as (a, b):
        await a.wait_log("scheduler started", SLOW_START)
        await b.wait_log("scheduler started", SLOW_START)
        api.push_message("今天走访了三家企业", user_id=member.id, first_name="帆")
        api.push_message("点赞 @杨帆 走访扎实", user_id=head.id, first_name="静")
        await api.wait_for("sendMessage", sent_to(member.id, "已记录"))
        await api.wait_for("sendMessage", sent_to(office.group.id, "杨帆"))
        await api.wait_for("sendMessage", sent_to(head.id, "杨帆", "+1"))
        async with asyncio.timeout(60):
            while not await jobs_settled(sessionmaker):
                await asyncio.sleep(0.3)
        await asyncio.sleep(1.5)  # let the slower process see both updates too
        for process in (a, b):
            process.proc.send_signal(signal.SIGTERM)
        assert await a.wait_exit(20) == 0, a.log
        assert await b.wait_exit(20) == 0, b.log

    assert "skipped: already handled" in a.log + b.log  # both saw the updates
    assert "Traceback" not in a.log + b.log
    assert await count(sessionmaker, Report) == 1
    assert await count(sessionmaker, ReportItem) == 1
    async with sessionmaker() as s:
        likes = list((await s.exec(select(Record).where(Record.kind == "like"))).all())
        rows = list((await s.exec(select(SentMessage))).all())
    assert [(r.reason, r.points) for r in likes] == [("走访扎实", 1)]

    delivered = [(str(p["chat_id"]), str(p.get("text"))) for p in api.delivered]
    photos = [(str(p["chat_id"]), str(p.get("caption"))) for p in sent_photos]
    twice = [m for m, n in Counter(delivered + photos).items() if n > 1]
    assert twice == [], twice
    assert len([t for c, t in delivered if c == str(member.id) and "已记录" in t]) == 1
    assert rows and {r.status for r in rows} == {"sent"}
    # every scheduled message went out exactly once: one delivery per idempotency row
    answers = [d for d in delivered if "走访" in d[1] or "已记录" in d[1]]
    assert len(answers) == 4  # ack, echo, the like's confirmation and its notice to 杨帆
    assert len(delivered) + len(photos) - len(answers) == len(rows)
    assert "remind" in {r.job for r in rows}
