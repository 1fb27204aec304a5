"""Bad input through the real dispatcher (issue 10): markup in names and reasons arrives
verbatim and no request sets a parse mode; forged button presses are refused briefly and
change nothing; strangers and unbound groups record nothing; any roster file imports
cleanly or not at all."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import pytest
from aiogram.client.default import Default
from aiogram.methods import AnswerCallbackQuery, SendMessage, TelegramMethod
from aiogram.types import Message
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import echoes
from bot.cli import main
from core.roster import RosterError, parse_roster
from core.text import normalise_name
from storage import db as storage_db
from storage.roster_io import read_table
from storage.tables import (
    AuditEntry,
    ChatGroup,
    Leave,
    Person,
    Record,
    Report,
    ReportItem,
    ReportReview,
)
from tests.conftest import OFFICE_GROUP, Chat, Office, Roster, local
from tests.factories import make_callback, make_group, make_message, make_user

FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
NAME = "<b>杨帆</b>*x*"
NEW_NAME = "[王](http://x)&lt;"
OTHER = "`赵丽`<i>"
TEXT = "<b>走访</b> *加粗* [a](http://x) &lt; `码` _斜_"
LIKE = "<i>写得好</i> **真**"
LEAVE = "<b>出差</b>*北京*"
TABLES = (AuditEntry, ChatGroup, Leave, Person, Record, Report, ReportItem, ReportReview)


async def counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Rows of every table a press or a message could change, and how many are bound."""
    async with sessionmaker() as s:
        found = {
            t.__name__: (await s.exec(select(func.count()).select_from(t))).one() for t in TABLES
        }
        bound = select(func.count()).where(Person.tg_user_id.is_not(None))  # type: ignore[union-attr]
        found["bound"] = (await s.exec(bound)).one()
        reviewed = select(func.count()).where(Report.reviewed_at.is_not(None))  # type: ignore[union-attr]
        found["reviewed"] = (await s.exec(reviewed)).one()
        voided = select(func.count()).where(Record.voided_at.is_not(None))  # type: ignore[union-attr]
        found["voided"] = (await s.exec(voided)).one()
        cancelled = select(func.count()).where(Leave.cancelled_at.is_not(None))  # type: ignore[union-attr]
        found["cancelled"] = (await s.exec(cancelled)).one()
    return found


def text_of(request: TelegramMethod[Any]) -> str:
    return str(getattr(request, "text", None) or getattr(request, "caption", None) or "")


def parse_modes(chat: Chat) -> list[tuple[str, Any]]:
    """Every recorded request that sets a parse mode (itself or by the bot's default)."""
    found = []
    for request in chat.fake.requests:
        for field in ("parse_mode", "caption_parse_mode"):
            mode = getattr(request, field, None)
            if isinstance(mode, Default):
                mode = chat.bot.default[mode.name]
            if mode is not None:
                found.append((type(request).__name__, mode))
    return found


async def rename(
    sessionmaker: async_sessionmaker[AsyncSession], person_id: int, name: str
) -> None:
    async with sessionmaker() as s:
        person = await s.get(Person, person_id)
        assert person is not None
        person.name = name
        s.add(person)
        await s.commit()


# ---- (a) markup arrives verbatim, and nothing sets a parse mode -----------------------


async def test_markup_in_names_and_reasons_arrives_verbatim_in_a_whole_session(
    chat: Chat, office: Office, roster: Roster, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await rename(sessionmaker, (await roster.person("杨帆")).id or 0, NAME)
    await rename(sessionmaker, (await roster.person("赵丽")).id or 0, OTHER)
    newcomer = await roster.person("孙浩")
    assert newcomer.tg_user_id is None and newcomer.id is not None
    await rename(sessionmaker, newcomer.id, NEW_NAME)
    group = make_group(OFFICE_GROUP, "办公室群")
    at = local(11, 20, 10)
    stranger = make_user(880_001, "新人")

    bound = await chat.feed(make_message(f"/start {newcomer.invite_code}", user=stranger, date=at))
    assert any(NEW_NAME in m.text for m in bound)
    filed = await chat.feed(make_message(TEXT, user=office.member, date=at))
    echo = next(m for m in filed if m.chat_id == OFFICE_GROUP)
    assert NAME in echo.text and TEXT in echo.text
    echo_message = chat.fake.last_message(OFFICE_GROUP)
    liked = await chat.feed(
        make_message(f"点赞 {LIKE}", user=office.head, chat=group, reply_to=echo_message, date=at)
    )
    confirm = next(m for m in liked if m.chat_id == OFFICE_GROUP)
    assert NAME in confirm.text and LIKE in confirm.text
    assert all(LIKE in m.text for m in liked)  # the notice to 杨帆 too
    refused = await chat.feed(
        make_message(f"/leave 11-26 11-24 {LEAVE}", user=office.member, date=at)
    )
    assert refused and "结束日期" in refused[0].text
    leave = await chat.feed(make_message(f"/leave 11-24 {LEAVE}", user=office.member, date=at))
    assert LEAVE in leave[0].text  # one's own leave is confirmed without one's name
    await chat.feed(make_message("/foo <b>x</b>", user=office.member, date=at))
    await chat.feed(make_message("/undo", user=office.head, chat=group, date=at))
    status = await chat.feed(make_message("/status", user=office.head, chat=group, date=at))
    status += await chat.feed(make_message("/status", user=office.member, date=at))
    assert any(NAME in m.text for m in status)
    me = await chat.feed(make_message("/me", user=office.member, date=at))
    assert me
    await chat.feed(make_message("/me", user=stranger, date=at))

    assert chat.bot.default["parse_mode"] is None
    assert parse_modes(chat) == []
    texts = [text_of(r) for r in chat.fake.requests if text_of(r)]
    assert len(texts) >= 10
    for text in texts:  # wherever the names appear, they appear whole and unescaped
        assert text.count("杨帆") == text.count(NAME), text
        assert text.count("[王]") == text.count(NEW_NAME), text
        assert text.count("赵丽") == text.count(OTHER), text
        assert "&amp;" not in text and "&lt;b&gt;" not in text, text


@FUZZ
@given(body=st.text(alphabet="<>/*_[]()&;`~|!=\"'abc走访企业", min_size=1, max_size=80))
async def test_any_markup_in_a_report_is_echoed_verbatim(
    chat: Chat, office: Office, monkeypatch: pytest.MonkeyPatch, body: str
) -> None:
    monkeypatch.setattr(echoes, "DIRECT_PER_MINUTE", 10**6)  # every echo goes out at once
    text = f"事项{body}"
    sent = await chat.feed(make_message(text, user=office.member, date=local(11, 20, 10)))
    echo = next(m for m in sent if m.chat_id == OFFICE_GROUP)
    assert text in echo.text
    assert parse_modes(chat) == []


# ---- (b) forged button presses --------------------------------------------------------

PREFIXES = ("rv", "rva", "lv", "tk", "talk", "pick", "wk", "dc", "rt", "corr")


def forged_data() -> st.SearchStrategy[str]:
    ids = st.one_of(
        st.integers(-(2**70), 2**70).map(str),
        st.sampled_from(["", "0", "-1", "abc", "1:2", " 1", "１", "9" * 40, "1e3", "nan"]),
    )
    return st.one_of(
        st.text(max_size=80),
        st.builds(lambda p, i: f"{p}:{i}", st.sampled_from(PREFIXES), ids),
        st.builds(
            lambda p, i: f"{p}:{i}",
            st.sampled_from(("dc:edit", "dc:del", "tk:1", "rt:1", "pick:1", "talk:1")),
            ids,
        ),
        st.sampled_from(["dc:submit", "dc:keep", "dc:add", "dc:cancel", "wk:own", "wk:draft"]),
        st.builds(lambda p: f"{p}:{'1' * 300}", st.sampled_from(PREFIXES)),
    )


async def press(chat: Chat, data: str, user: Any, message: Message) -> list[TelegramMethod[Any]]:
    before = len(chat.fake.requests)
    await chat.dp.feed_update(chat.bot, make_callback(data, user=user, message=message))
    return chat.fake.requests[before:]


@pytest.fixture
async def echo(chat: Chat, office: Office) -> Message:
    """杨帆 files and takes leave; the echo of her report."""
    return await someone_elses_things(chat, office)


async def someone_elses_things(chat: Chat, office: Office) -> Message:
    """杨帆 files and takes leave; the echo is where the presses happen."""
    await chat.feed(make_message("走访企业", user=office.member, date=local(11, 20, 10)))
    await chat.feed(make_message("/leave 11-24 出差", user=office.member, date=local(11, 20, 10)))
    return chat.fake.last_message(OFFICE_GROUP)


@FUZZ
@given(data=forged_data(), who=st.sampled_from(["other", "stranger", "member"]))
async def test_forged_callback_data_is_refused_and_changes_nothing(
    chat: Chat,
    office: Office,
    echo: Message,
    sessionmaker: async_sessionmaker[AsyncSession],
    data: str,
    who: str,
) -> None:
    user = make_user(990_001, "路人") if who == "stranger" else getattr(office, who)
    if who == "member" and data.startswith(("rv:", "rva:")):
        return  # her own report: refusing to review it is covered elsewhere
    before = await counts(sessionmaker)
    done = await press(chat, data, user, echo)
    answers = [r for r in done if isinstance(r, AnswerCallbackQuery)]
    assert len(answers) == 1, (data, [type(r).__name__ for r in done])
    assert len(answers[0].text or "") <= 200
    assert not [r for r in done if isinstance(r, SendMessage) and r.chat_id == OFFICE_GROUP]
    assert await counts(sessionmaker) == before, data


async def test_pressing_another_persons_buttons_changes_nothing(
    chat: Chat, office: Office, session: AsyncSession, sessionmaker: async_sessionmaker
) -> None:
    echo = await someone_elses_things(chat, office)
    leave = (await session.exec(select(Leave))).one()
    report = (await session.exec(select(Report))).one()
    before = await counts(sessionmaker)
    for data, user in (
        (f"lv:{leave.id}", office.other),  # her leave, someone else cancels
        (f"rv:{report.id}", office.member),  # her own report, she reviews it
        (f"rv:{report.id}", office.other),  # a colleague, not her reviewer
        ("rva:", office.other),
        (f"rv:{(report.id or 0) + 1000}", office.head),  # no such report
        (f"lv:{(leave.id or 0) + 1000}", office.member),  # no such leave
    ):
        answers = [
            r for r in await press(chat, data, user, echo) if isinstance(r, AnswerCallbackQuery)
        ]
        assert len(answers) == 1 and answers[0].text, data
    assert await counts(sessionmaker) == before


# ---- (c) strangers and unbound groups -------------------------------------------------

STRANGER_TEXTS = (
    "/start",
    "/start WRONGCODE",
    "/start <b>x</b>",
    "/leave 11-24 出差",
    "/status",
    "/me",
    "/daily 走访",
    "/weekly 本周",
    "/undo",
    "/declare",
    "/task 做事",
    "点赞 好",
    "#日报 走访企业",
    "走访企业 5 家",
)


@pytest.mark.parametrize("text", STRANGER_TEXTS)
async def test_strangers_in_private_record_nothing(
    chat: Chat, office: Office, sessionmaker: async_sessionmaker[AsyncSession], text: str
) -> None:
    before = await counts(sessionmaker)
    sent = await chat.feed(
        make_message(text, user=make_user(990_002, "路人"), date=local(11, 20, 10))
    )
    assert len(sent) <= 1 and all(len(m.text) < 400 for m in sent)
    assert await counts(sessionmaker) == before


@FUZZ
@given(
    text=st.one_of(st.sampled_from(STRANGER_TEXTS), st.text(min_size=1, max_size=60)),
    who=st.sampled_from(["stranger", "member", "head"]),
)
async def test_anything_in_an_unbound_group_records_nothing(
    chat: Chat,
    office: Office,
    sessionmaker: async_sessionmaker[AsyncSession],
    text: str,
    who: str,
) -> None:
    user = make_user(990_003, "路人") if who == "stranger" else getattr(office, who)
    before = await counts(sessionmaker)
    group = make_group(-100_999, "没绑定的群")
    await chat.feed(make_message(text, user=user, chat=group, date=local(11, 20, 10)))
    assert await counts(sessionmaker) == before


@FUZZ
@given(text=st.text(min_size=1, max_size=60))
async def test_anything_a_stranger_writes_privately_records_nothing(
    chat: Chat, office: Office, sessionmaker: async_sessionmaker[AsyncSession], text: str
) -> None:
    before = await counts(sessionmaker)
    await chat.feed(make_message(text, user=make_user(990_004, "路人"), date=local(11, 20, 10)))
    assert await counts(sessionmaker) == before
    assert parse_modes(chat) == []


# ---- (d) roster files -----------------------------------------------------------------

HEADER = ["姓名", "部门", "类别", "角色", "分管部门", "telegram", "工号"]
ODD = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs",), include_characters="\x00\u200b\u202e\u3000\ufeff\r\n\"',;"
    ),
    max_size=12,
)
CELL = st.one_of(
    ODD,
    st.sampled_from(
        ["张三", "办公室", "member", "head;member", "supervisor", "admin", "@zhang_san"]
    ),
    st.integers(0, 99).map(str),
    st.builds(lambda c, n: c * n, st.sampled_from("长x😀"), st.sampled_from([65, 101, 200, 5000])),
)


@st.composite
def roster_bytes(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    header = draw(
        st.one_of(st.just(HEADER), st.lists(st.sampled_from([*HEADER, "名字", ""]), max_size=8))
    )
    rows = draw(st.lists(st.lists(CELL, max_size=8), max_size=6))
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
    return text.encode(encoding, errors="replace")


def people_rows(url: str) -> list[tuple[Any, ...]]:
    async def read() -> list[tuple[Any, ...]]:
        engine = storage_db.make_engine(url)
        try:
            async with storage_db.make_sessionmaker(engine)() as s:
                rows = await s.exec(select(Person.name, Person.department_id, Person.active))
                return sorted(tuple(r) for r in rows.all())
        finally:
            await engine.dispose()

    return asyncio.run(read())


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    return db_url


def import_cleanly_or_not_at_all(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes
) -> None:
    """`kaohe import` of `raw`: all its people, or an error listing problems and nothing."""
    path = tmp_path / "名单.csv"
    path.write_bytes(raw)
    try:
        entries = parse_roster(read_table(path))
    except RosterError as exc:
        entries = None
        assert exc.problems and all(str(p) for p in exc.problems)
    before = people_rows(url)
    code = main(["import", str(path), "--unit", "某局"])  # never raises
    out = capsys.readouterr()
    event("refused" if entries is None else "imported")
    if entries is None:
        assert code == 1 and "未导入任何数据" in out.err
        assert people_rows(url) == before  # nothing at all
    else:
        assert code == 0, out.err
        active = [name for name, _, on in people_rows(url) if on]
        assert sorted(active) == sorted(e.name for e in entries)


@FUZZ
@given(raw=roster_bytes())
def test_any_roster_file_imports_cleanly_or_not_at_all(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes
) -> None:
    import_cleanly_or_not_at_all(cli_env, tmp_path, capsys, raw)


GOOD = [["陈静", "办公室", "中层干部", "head;member", "", "chen_jing", "3"]]


@pytest.mark.parametrize(
    "odd",
    [
        ["张三", "长" * 150, "", "", "", "", ""],  # a department longer than the column
        ["张三", "办公室", "类" * 40, "", "", "", ""],  # a category longer than the column
        ["张三", "办公室", "", "", "", "", "1" * 40],  # an employee id longer than the column
        ["张\x00三", "办公室", "", "", "", "", ""],  # NUL, which PostgreSQL text refuses
        ["张三", "办\x00公室", "", "", "", "", ""],
        ["\u202e张三\u200b", "办公室\ufeff", "", "", "", "", ""],  # invisible and RTL marks
        ["张三", "办公室", "x" * 200_000, "", "", "", ""],  # beyond csv's field size limit
    ],
)
def test_odd_roster_cells_import_cleanly_or_not_at_all(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], odd: list[str]
) -> None:
    path = tmp_path / "名单.csv"
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *GOOD, odd])
    path.write_bytes(out.getvalue().encode("utf-8"))
    code = main(["import", str(path)])  # never raises
    err = capsys.readouterr().err
    names = [name for name, _, _ in people_rows(cli_env)]
    if code == 0:
        # names are stored normalised: invisible and RTL marks removed (issue 16 item 6)
        assert sorted(names) == sorted(["陈静", normalise_name(odd[0])]), err
    else:
        assert code == 1 and "未导入任何数据" in err and "第 3 行" in err, err
        assert names == []


@st.composite
def mostly_valid_roster(draw: st.DrawFn) -> bytes:
    """Well-formed rows whose names, departments and categories are odd Unicode."""
    rows = [HEADER]
    for n in range(draw(st.integers(1, 6))):
        name = draw(st.one_of(ODD.filter(str.strip), st.sampled_from(["张三", "李四"])))
        department = draw(st.one_of(st.sampled_from(["办公室", "人事科"]), ODD))
        category = draw(st.one_of(st.just(""), ODD))
        rows.append([name, department, category, "member", "", "", str(n + 1)])
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    return out.getvalue().encode(encoding, errors="replace")


@FUZZ
@given(raw=mostly_valid_roster())
def test_odd_unicode_rosters_import_cleanly_or_not_at_all(
    cli_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: bytes
) -> None:
    import_cleanly_or_not_at_all(cli_env, tmp_path, capsys, raw)


@pytest.mark.parametrize("number", ["9" * 30, "2147483648", "²", "１２", "-3", "0"])
@pytest.mark.parametrize("command", ["/void #{} 录错了", "/task {} 补充说明", "/done {}"])
async def test_ids_that_cannot_exist_in_commands_are_answered_not_crashed(
    chat: Chat,
    office: Office,
    sessionmaker: async_sessionmaker[AsyncSession],
    command: str,
    number: str,
) -> None:
    """Before: a number too big for INTEGER, or a digit `int()` refuses, raised an error."""
    admin = await Roster(sessionmaker).bind("周敏")
    before = await counts(sessionmaker)
    for user in (admin, office.head):
        sent = await chat.feed(
            make_message(command.format(number), user=user, date=local(11, 20, 10))
        )
        assert len(sent) == 1 and 0 < len(sent[0].text) < 300
    assert await counts(sessionmaker) == before
