"""Per test: a fresh database (SQLite under tmp_path, or TEST_DATABASE_URL's PostgreSQL),
a fresh Dispatcher from the router factories, and a bot whose session records calls."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from aiogram.types import Chat as TgChat
from aiogram.types import Update, User
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from bot.demo import sample_roster_path
from core.roster import parse_roster
from storage import db, people
from storage.roster_io import read_table
from storage.tables import AuditEntry, ChatGroup, Person
from tests.factories import TEST_NOW, make_group, make_message, make_user
from tests.fakes import BOT_ID, FakeSession

pytest_plugins = ["tests.demo_server"]  # the served demo, one per session

TEST_TOKEN = f"{BOT_ID}:TEST-TOKEN"
# pytest-xdist runs the suite in several processes: each gets a PostgreSQL database and a
# Redis database of its own (gw0 uses the given ones, gw1 the next, …).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
WORKER_INDEX = int(WORKER[2:]) if WORKER.startswith("gw") else 0


def _per_worker_pg(url: str | None) -> str | None:
    if url is None or WORKER_INDEX == 0:
        return url
    return f"{url}_w{WORKER_INDEX}"


def _per_worker_redis(url: str | None) -> str | None:
    if url is None or WORKER_INDEX == 0:
        return url
    base, _, number = url.rpartition("/")
    return f"{base}/{(int(number or 0) + WORKER_INDEX) % 16}" if number.isdigit() else url


BASE_PG_URL = os.environ.get("TEST_DATABASE_URL")
PG_URL = _per_worker_pg(BASE_PG_URL)
if PG_URL:
    os.environ["TEST_DATABASE_URL"] = PG_URL
if redis_url := _per_worker_redis(os.environ.get("TEST_REDIS_URL")):
    os.environ["TEST_REDIS_URL"] = redis_url


# Fixtures through which a test reaches the test database, and the variables by which a
# test reaches PostgreSQL or Redis itself.
DATABASE_FIXTURES = frozenset({"db_url", "empty_db_url", "_pg_database"})
DATABASE_VARIABLES = ("TEST_DATABASE_URL", "TEST_REDIS_URL")


def _reaches_the_database(item: pytest.Item, sources: dict[Path, str]) -> bool:
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    path = item.path
    if path not in sources:
        sources[path] = path.read_text(encoding="utf-8")
    return any(name in sources[path] for name in DATABASE_VARIABLES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """KAOHE_TEST_DATABASE_ONLY=1: only the tests that reach the database or Redis.

    For a second pass on PostgreSQL after the whole suite passed on SQLite (.ci/run): the
    other tests (core, charts, parsers, the SQLite-only demo) would only run again as they
    did, whatever TEST_DATABASE_URL says.
    """
    if os.environ.get("KAOHE_TEST_DATABASE_ONLY", "").strip().lower() not in {"1", "true", "yes"}:
        return
    sources: dict[Path, str] = {}
    keep = [item for item in items if _reaches_the_database(item, sources)]
    if len(keep) < len(items):
        chosen = {id(item) for item in keep}
        config.hook.pytest_deselected(items=[i for i in items if id(i) not in chosen])
        items[:] = keep


async def _reset(url: str) -> None:
    engine = db.make_engine(url)
    try:
        async with engine.begin() as conn:
            if db.is_sqlite(url):
                return
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _upgrade(url: str) -> None:
    engine = db.make_engine(url)
    try:
        await db.upgrade(engine)
    finally:
        await engine.dispose()


async def _ensure_pg_database(url: str) -> None:
    """Create this worker's PostgreSQL database if it does not exist yet."""
    import asyncpg

    server, _, name = url.rpartition("/")
    conn = await asyncpg.connect(server.replace("postgresql://", "postgres://", 1) + "/postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _empty_tables(url: str) -> None:
    """Every table of the migrated schema emptied, ids restarted: as if freshly migrated."""
    engine = db.make_engine(url)
    try:
        async with engine.begin() as conn:
            names = (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
            ).scalars()
            listed = ", ".join(f'"{name}"' for name in names)
            if listed:
                await conn.execute(text(f"TRUNCATE {listed} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


class _PgState:
    """Whether this worker's PostgreSQL database holds the migrated schema right now."""

    migrated = False


@pytest.fixture(scope="session")
def _pg_database() -> str | None:
    if PG_URL and WORKER_INDEX:
        asyncio.run(_ensure_pg_database(PG_URL))
    return PG_URL


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head, copied for each test (migrating takes 0.3 s)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    asyncio.run(_upgrade(f"sqlite:///{path}"))
    return path


@pytest.fixture
def empty_db_url(tmp_path: Path, _pg_database: str | None) -> str:
    """A database with no tables at all."""
    url = _pg_database or f"sqlite:///{tmp_path / 'test.db'}"
    asyncio.run(_reset(url))
    _PgState.migrated = False
    return url


@pytest.fixture
def db_url(tmp_path: Path, _pg_database: str | None, _migrated_sqlite: Path) -> str:
    """A database migrated to head (PostgreSQL: migrated once, then emptied per test)."""
    if _pg_database is None:
        path = tmp_path / "test.db"
        shutil.copyfile(_migrated_sqlite, path)
        return f"sqlite:///{path}"
    if _PgState.migrated:
        asyncio.run(_empty_tables(_pg_database))
    else:
        asyncio.run(_reset(_pg_database))
        asyncio.run(_upgrade(_pg_database))
        _PgState.migrated = True
    return _pg_database


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings pointing at the test database."""
    return Settings(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=db_url, REDIS_URL="")  # type: ignore[call-arg]


@pytest.fixture
async def sessionmaker(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test database."""
    engine = db.make_engine(db_url)
    yield db.make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session for a test's own reads and set-up."""
    async with sessionmaker() as s:
        yield s


@pytest.fixture
def fake() -> FakeSession:
    """The recording Bot API session."""
    return FakeSession()


@pytest.fixture
async def bot(settings: Settings, fake: FakeSession) -> AsyncIterator[Bot]:
    """A Bot whose every call is recorded by `fake`."""
    bot = make_bot(settings, session=fake)
    yield bot
    await bot.session.close()


class FakeClock:
    """The shell's clock for events without a Telegram date (button presses, jobs)."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or TEST_NOW


@pytest.fixture
def clock() -> FakeClock:
    """Set `clock.at` to fix "now" for callback queries."""
    return FakeClock()


@pytest.fixture
def dp(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: FakeClock
) -> Dispatcher:
    """A fresh Dispatcher; errors propagate so a failing handler fails the test."""
    return make_dispatcher(settings, sessionmaker, clock=clock, catch_errors=False)


@dataclass
class Chat:
    """Feeds updates and reads what the bot answered."""

    dp: Dispatcher
    bot: Bot
    fake: FakeSession

    async def feed(self, update: Update) -> list[SendMessage]:
        """Process one update; return the messages the bot sent for it."""
        before = len(self.fake.requests)
        await self.dp.feed_update(self.bot, update)
        return [r for r in self.fake.requests[before:] if isinstance(r, SendMessage)]


@pytest.fixture
def chat(dp: Dispatcher, bot: Bot, fake: FakeSession) -> Chat:
    """The conversation helper."""
    return Chat(dp, bot, fake)


@dataclass
class Roster:
    """The sample roster (42 people of a fictional 市场监督管理局), imported."""

    sessionmaker: async_sessionmaker[AsyncSession]

    async def person(self, name: str, *, nth: int = 0) -> Person:
        """A stored person by name (fresh from the database)."""
        async with self.sessionmaker() as s:
            rows = await s.exec(select(Person).where(Person.name == name).order_by(Person.id))
            return list(rows.all())[nth]

    async def user(self, name: str, *, nth: int = 0) -> User:
        """A Telegram account for the person, with the roster's username."""
        person = await self.person(name, nth=nth)
        return make_user(500_000 + (person.id or 0), person.name, person.tg_username)

    async def bind(self, name: str, *, nth: int = 0) -> User:
        """Bind the person directly in the database (set-up, not under test)."""
        user = await self.user(name, nth=nth)
        async with self.sessionmaker() as s:
            person = await s.get(Person, (await self.person(name, nth=nth)).id)
            assert person is not None
            people.bind(s, person=person, tg_user_id=user.id, how="test")
            await s.commit()
        return user


@pytest.fixture
async def roster(sessionmaker: async_sessionmaker[AsyncSession]) -> Roster:
    """The sample roster, imported into the test database."""
    entries = parse_roster(read_table(sample_roster_path()))
    async with sessionmaker() as s:
        unit = await people.ensure_unit(s, name="测试市市场监督管理局")
        await people.apply_roster(s, unit=unit, entries=entries)
        await s.commit()
    return Roster(sessionmaker)


async def db_counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Row counts that must not move when the bot refuses something."""
    async with sessionmaker() as s:
        return {
            "audit": (await s.exec(select(func.count()).select_from(AuditEntry))).one(),
            "bound": (
                await s.exec(select(func.count()).where(Person.tg_user_id.is_not(None)))  # type: ignore[union-attr]
            ).one(),
            "people": (await s.exec(select(func.count()).select_from(Person))).one(),
            "groups": (await s.exec(select(func.count()).select_from(ChatGroup))).one(),
        }


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Run in an empty directory with none of kaohe's variables set."""
    for name in KAOHE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@dataclass(frozen=True)
class DemoRun:
    """One `kaohe demo` over a folder holding a stale database: what it printed and wrote."""

    folder: Path
    printed: str

    @property
    def transcript(self) -> str:
        return (self.folder / "transcript.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The full demo, run once per test session (it takes half a minute): `kaohe demo`
    from an empty working directory with none of kaohe's variables set."""
    import contextlib
    import io

    from bot.cli import main

    cwd = tmp_path_factory.mktemp("demo")
    stale = cwd / "kaohe-demo"
    stale.mkdir()
    (stale / "kaohe.db").write_bytes(b"not a database from an older run")
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(printed):
        for name in KAOHE_ENV:
            mp.delenv(name, raising=False)
        mp.chdir(cwd)
        assert main(["demo"]) == 0
    return DemoRun(stale, printed.getvalue())


KAOHE_ENV = (
    "BOT_TOKEN",
    "DATABASE_URL",
    "TELEGRAM_API_BASE",
    "REDIS_URL",
    "KAOHE_POLICY",
    "KAOHE_TZ",
    "KAOHE_SCHEDULER",
    "KAOHE_CLOCK",
)


SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE_GROUP = -100_500


def local(
    month: int, day: int, hour: int, minute: int = 0, second: int = 0, year: int = 2026
) -> datetime:
    """A Shanghai wall-clock time, as the UTC timestamp Telegram sends."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass
class Office:
    """办公室 with its group bound: 陈静 head, 杨帆 and 赵丽 members, 李红梅 supervisor."""

    head: User
    member: User
    other: User
    supervisor: User
    group: TgChat


@pytest.fixture
async def office(chat: Chat, roster: Roster) -> Office:
    admin = await roster.bind("周敏")
    group = make_group(OFFICE_GROUP, "办公室群")
    await chat.feed(make_message("/bindgroup 办公室", user=admin, chat=group))
    chat.fake.clear()
    return Office(
        head=await roster.bind("陈静"),
        member=await roster.bind("杨帆"),
        other=await roster.bind("赵丽"),
        supervisor=await roster.bind("李红梅"),
        group=group,
    )
