"""The web console over HTTP (aiohttp's test client), on the test database (SQLite, or
PostgreSQL in CI): sign-in links from /console, sessions, CSRF, authority, void, Mini App
initData. The browser tests (tests/test_web_browser.py) drive the demo in chromium."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import pytest
from aiogram import Bot, Dispatcher
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import figures, texts
from bot.config import Settings
from bot.web import Console, make_console_app
from bot.web.auth import BadInitData, new_login_link, sign_init_data, webapp_user
from core.appeals import AppealKind, AppealStatus
from core.quarter import Quarter
from core.records import RecordKind
from storage import appeals as appeal_store
from storage import objections as objection_store
from storage import results as results_store
from storage import web as web_store
from storage.tables import Appeal, AuditEntry, Objection, Person, Record, WebExport
from tests.conftest import TEST_TOKEN, Chat, Office, Roster, local
from tests.factories import make_group, make_message

NOW = local(6, 12, 21)  # a Friday evening, after the deadline
BASE = "https://kaohe.example.org"


@pytest.fixture
def web_settings(db_url: str) -> Settings:
    return Settings(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=db_url, REDIS_URL="", WEB_URL=BASE)  # type: ignore[call-arg]


def make_console(
    sessionmaker: async_sessionmaker[AsyncSession], dp: Dispatcher, bot: Bot, base: str
) -> Console:
    return Console(
        sessionmaker=sessionmaker, policy=dp["policy"], calendar=dp["calendar"],
        zone=dp["zone"], bot_token=TEST_TOKEN, base_url=base, bot=bot, clock=lambda: NOW,
    )  # fmt: skip


@pytest.fixture
async def client(
    sessionmaker: async_sessionmaker[AsyncSession], dp: Dispatcher, bot: Bot
) -> AsyncIterator[TestClient]:
    """The console behind plain http (the test server's), so its cookie comes back."""
    console = make_console(sessionmaker, dp, bot, "http://kaohe.test")
    async with TestClient(TestServer(make_console_app(console))) as c:
        yield c


async def link_for(sessionmaker: async_sessionmaker[AsyncSession], name: str, **kw) -> str:  # type: ignore[no-untyped-def]
    async with sessionmaker() as s:
        person = (await s.exec(select(Person).where(Person.name == name))).first()
        assert person is not None and person.id is not None
        url = await new_login_link(
            s, base_url=BASE, person_id=person.id, via="test",
            now=kw.get("now", datetime.now(UTC)),
        )  # fmt: skip
        await s.commit()
    return url.removeprefix(BASE)


async def sign_in(client: TestClient, sessionmaker, name: str) -> None:  # type: ignore[no-untyped-def]
    client.session.cookie_jar.clear()
    response = await client.get(await link_for(sessionmaker, name), allow_redirects=False)
    assert response.status == 303


async def csrf(client: TestClient, path: str) -> str:
    page = await (await client.get(path)).text()
    found = re.search(r'name="csrf"\s+value="([^"]+)"', page)
    assert found, page
    return found[1]


async def test_console_command_sends_a_link_that_works_once(
    office: Office, roster: Roster, chat: Chat, client: TestClient, web_settings: Settings
) -> None:
    chat.dp["settings"] = web_settings
    sent = await chat.feed(make_message("/console", user=office.head))
    url = re.search(r"https://\S+", sent[0].text)
    assert url and "10 分钟" in sent[0].text
    assert sent[0].link_preview_options.is_disabled  # type: ignore[union-attr]  # no prefetch
    assert sent[0].reply_markup.inline_keyboard[0][0].web_app.url == f"{BASE}/console/app"  # type: ignore[union-attr]
    path = url[0].removeprefix(BASE)
    first = await client.get(path, allow_redirects=False)
    assert first.status == 303 and first.headers["Location"] == "/console/"
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # plain http here; see the next test
    page = await client.get("/console/")
    assert "陈静（部门负责人" in await page.text()
    client.session.cookie_jar.clear()
    again = await client.get(path, allow_redirects=False)
    assert again.status == 403 and texts.WEB_LINK_BAD in await again.text()


async def test_the_cookie_is_secure_behind_https(
    roster: Roster, sessionmaker: async_sessionmaker[AsyncSession], dp: Dispatcher, bot: Bot
) -> None:
    console = make_console(sessionmaker, dp, bot, BASE)
    async with TestClient(TestServer(make_console_app(console))) as c:
        response = await c.get(await link_for(sessionmaker, "周敏"), allow_redirects=False)
        assert response.status == 303 and "Secure" in response.headers["Set-Cookie"]


async def test_console_needs_private_chat_and_web_url(
    office: Office, chat: Chat, web_settings: Settings
) -> None:
    sent = await chat.feed(make_message("/console", user=office.head))
    assert sent[0].text == texts.CONSOLE_OFF  # WEB_URL unset: no link
    chat.dp["settings"] = web_settings
    sent = await chat.feed(make_message("/console", user=office.head, chat=make_group(-100_500)))
    assert sent[0].text == texts.CONSOLE_PRIVATE


async def test_an_old_link_is_refused(
    roster: Roster, client: TestClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    old = await link_for(sessionmaker, "周敏", now=datetime.now(UTC) - timedelta(minutes=11))
    assert (await client.get(old, allow_redirects=False)).status == 403
    assert (await client.get("/console/")).status == 401


async def test_signing_out_ends_the_session(
    roster: Roster, client: TestClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in(client, sessionmaker, "周敏")
    token = await csrf(client, "/console/")
    jar = list(client.session.cookie_jar)
    refused = await client.post("/console/logout", data={"csrf": "wrong"})
    assert refused.status == 403
    elsewhere = {"Origin": "https://evil.example"}  # posted from another site
    refused = await client.post("/console/logout", data={"csrf": token}, headers=elsewhere)
    assert refused.status == 403
    out = await client.post("/console/logout", data={"csrf": token})
    assert texts.WEB_SIGNED_OUT in await out.text()
    for cookie in jar:  # the old cookie, replayed, no longer works
        client.session.cookie_jar.update_cookies({cookie.key: cookie.value})
    assert (await client.get("/console/")).status == 401


async def _like(session: AsyncSession, roster: Roster) -> Record:
    head, member = await roster.person("陈静"), await roster.person("杨帆")
    record = Record(
        unit_id=member.unit_id, person_id=member.id or 0, kind=RecordKind.LIKE.value,
        points=1.0, reason="材料写得好", day=NOW.date(), issuer_id=head.id,
    )  # fmt: skip
    session.add(record)
    await session.commit()
    return record


async def test_an_admin_voids_with_the_csrf_token_and_a_reason(
    office: Office,
    roster: Roster,
    client: TestClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    chat: Chat,
) -> None:
    record = await _like(session, roster)
    path = f"/console/records/{record.id}/void"
    await sign_in(client, sessionmaker, "杨帆")  # a member: no void
    token = await csrf(client, "/console/records")
    assert (await client.post(path, data={"csrf": token, "reason": "x"})).status == 403
    await sign_in(client, sessionmaker, "周敏")
    assert (await client.post(path, data={"reason": "重复"})).status == 403  # no token
    token = await csrf(client, "/console/records")
    empty = await client.post(path, data={"csrf": token, "reason": " "})
    assert texts.WEB_VOID_REASON in await empty.text()
    async with sessionmaker() as s:
        assert (await s.get(Record, record.id)).voided_at is None  # type: ignore[union-attr]
    chat.fake.clear()
    done = await client.post(path, data={"csrf": token, "reason": "重复点赞"})
    assert texts.web_voided(record.id or 0) in await done.text()
    async with sessionmaker() as s:
        stored = await s.get(Record, record.id)
        assert stored is not None and stored.void_reason == "重复点赞"
        entry = (await s.exec(select(AuditEntry).where(AuditEntry.action == "record_void"))).one()
        assert entry.actor == "周敏" and entry.detail["reason"] == "重复点赞"
    notice = chat.fake.last_message(office.member.id)
    assert "周敏" in notice.text and "材料写得好" in notice.text
    again = await client.post(path, data={"csrf": token, "reason": "再来"})
    assert texts.UNDO_ALREADY in await again.text()


async def test_authority_is_the_chats(
    roster: Roster, client: TestClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    own, colleague = await roster.person("杨帆"), await roster.person("赵丽")
    async with sessionmaker() as s:
        query = select(Person).where(Person.department_id != own.department_id)
        elsewhere = (await s.exec(query.order_by(col(Person.roster_order)))).first()
    assert elsewhere is not None
    await sign_in(client, sessionmaker, "陈静")  # head of 办公室
    assert (await client.get(f"/console/people/{colleague.id}")).status == 200
    refused = await client.get(f"/console/people/{elsewhere.id}")
    unknown = await client.get("/console/people/987654")
    assert refused.status == unknown.status == 403
    assert await refused.text() == await unknown.text()  # an id reveals nothing
    for page in ("/console/audit", "/console/results", "/console/export"):
        assert (await client.get(page)).status == 403, page
    people = await (await client.get("/console/people")).text()
    assert "赵丽" in people and elsewhere.name not in people
    await sign_in(client, sessionmaker, "杨帆")
    overview = await client.get("/console/", allow_redirects=False)
    assert overview.headers["Location"] == f"/console/people/{own.id}"
    assert (await client.get(f"/console/people/{colleague.id}")).status == 403
    await sign_in(client, sessionmaker, "周敏")
    for page in ("/console/audit", "/console/results", "/console/export"):
        assert (await client.get(page)).status == 200, page


async def exports(sessionmaker: async_sessionmaker[AsyncSession]) -> list[WebExport]:
    async with sessionmaker() as s:
        return list((await s.exec(select(WebExport).order_by(col(WebExport.id)))).all())


async def test_an_admin_gets_the_workbook_built_in_the_background_for_them_alone(
    roster: Roster, sessionmaker: async_sessionmaker[AsyncSession], dp: Dispatcher, bot: Bot
) -> None:
    console = make_console(sessionmaker, dp, bot, "http://kaohe.test")
    async with TestClient(TestServer(make_console_app(console))) as client:
        await sign_in(client, sessionmaker, "周敏")
        token = await csrf(client, "/console/export")
        forged = await client.post("/console/export", data={"csrf": "x", "q": "2026Q2"})
        assert forged.status == 403
        bad = await client.post("/console/export", data={"csrf": token, "q": "明年"})
        assert texts.WEB_QUARTER_BAD in await bad.text()
        assert await exports(sessionmaker) == []
        for _ in range(2):  # a second click while it is being built starts nothing more
            asked = await client.post(
                "/console/export", data={"csrf": token, "q": "2026Q2"}, allow_redirects=False
            )
            assert asked.status == 303 and asked.headers["Location"] == "/console/export?q=2026Q2"
        waiting = await (await client.get("/console/export")).text()
        assert texts.WEB_EXPORT_BUILDING in waiting and 'http-equiv="refresh"' in waiting
        await asyncio.gather(*console.building)
        (row,) = await exports(sessionmaker)
        assert row.status == "done" and row.quarter == "2026Q2"
        ready = await (await client.get("/console/export")).text()
        assert 'http-equiv="refresh"' not in ready
        link = re.search(r'href="(/console/export/file/[^"]+)"', ready)
        assert link, ready
        got = await client.get(link[1])
        assert got.status == 200 and (await got.read())[:2] == b"PK"
        assert "2026" in unquote(got.headers["Content-Disposition"])
        assert (await client.get("/console/export/file/not-a-token")).status == 403
        await sign_in(client, sessionmaker, "陈静")  # not an admin: not even with the link
        assert (await client.get(link[1])).status == 403


async def test_a_workbook_that_fails_or_is_lost_says_so(
    roster: Roster,
    sessionmaker: async_sessionmaker[AsyncSession],
    dp: Dispatcher,
    bot: Bot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(figures, "export", broken)
    console = make_console(sessionmaker, dp, bot, "http://kaohe.test")
    admin = await roster.person("周敏")
    async with sessionmaker() as s:  # asked before a restart, never finished
        web_store.start_export(
            s,
            person_id=admin.id or 0,
            quarter="2026Q1",
            now=datetime.now(UTC) - timedelta(minutes=11),
        )
        await s.commit()
    async with TestClient(TestServer(make_console_app(console))) as client:
        await sign_in(client, sessionmaker, "周敏")
        token = await csrf(client, "/console/export")
        await client.post("/console/export", data={"csrf": token, "q": "2026Q2"})
        await asyncio.gather(*console.building)
        page = await (await client.get("/console/export")).text()
    assert texts.WEB_EXPORT_FAILED in page and texts.WEB_EXPORT_LOST in page
    assert 'http-equiv="refresh"' not in page and "/console/export/file/" not in page
    assert [r.status for r in await exports(sessionmaker)] == ["building", "failed"]


def _init_data(user_id: int, *, token: str = TEST_TOKEN, at: float | None = None) -> str:
    fields = {
        "auth_date": str(int(at if at is not None else NOW.timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": f'{{"id":{user_id},"first_name":"陈静","language_code":"zh"}}',
    }
    return sign_init_data(fields, bot_token=token)


def test_init_data_is_checked_as_telegram_specifies() -> None:
    now = NOW
    assert webapp_user(_init_data(77), bot_token=TEST_TOKEN, now=now).id == 77
    for bad in (
        _init_data(77, token="1:OTHER"),  # signed with another bot's token
        _init_data(77, at=now.timestamp() - 2 * 3600),  # too old
        _init_data(77).replace("%22id%22%3A77", "%22id%22%3A78"),  # tampered after signing
        "user=%7B%22id%22%3A77%7D&auth_date=1",  # no hash
        "",
    ):
        with pytest.raises(BadInitData):
            webapp_user(bad, bot_token=TEST_TOKEN, now=now)


async def test_mini_app_signs_in_a_bound_person_only(office: Office, client: TestClient) -> None:
    real_now = datetime.now(UTC).timestamp()  # sessions start by the wall clock
    good = _init_data(office.head.id, at=real_now)
    forged = _init_data(office.head.id, token="1:OTHER", at=real_now)
    stranger = _init_data(123_456_789, at=real_now)
    for data in (forged, stranger):
        refused = await client.post("/console/webapp", data={"init_data": data})
        assert refused.status == 403 and texts.WEB_WEBAPP_BAD in await refused.text()
    ok = await client.post("/console/webapp", data={"init_data": good}, allow_redirects=False)
    assert ok.status == 303
    assert "陈静（部门负责人" in await (await client.get("/console/")).text()


async def test_kaohe_run_serves_the_console_in_both_modes(
    roster: Roster, web_settings: Settings, unused_tcp_port: int
) -> None:
    import aiohttp

    from bot.runtime import Runtime, make_web_app
    from bot.web import start_console

    settings = web_settings.model_copy(update={"web_port": unused_tcp_port})
    rt = Runtime.build(settings)
    try:
        webhook = make_web_app(rt, settings)  # webhook mode: the same server
        async with TestClient(TestServer(webhook)) as c:
            assert (await c.get("/console/")).status == 401
            assert (await c.get("/console/login?t=nope")).status == 403
            assert (await c.get("/healthz")).status == 200
        runner = await start_console(rt, settings)  # long polling: WEB_HOST:WEB_PORT
        assert runner is not None
        try:
            async with aiohttp.ClientSession() as http:
                url = f"http://127.0.0.1:{unused_tcp_port}/console/"
                async with http.get(url) as response:
                    assert response.status == 401
                    assert texts.WEB_SIGN_IN in await response.text()
        finally:
            await runner.cleanup()
        off = settings.model_copy(update={"web_url": None})
        assert await start_console(rt, off) is None  # no WEB_URL, no console
    finally:
        await rt.bot.session.close()
        await rt.engine.dispose()


# ---- 申辩 and 复核 --------------------------------------------------------------------------


def panel(page: str) -> str:
    """The 总览's 「申辩与复核」 card (or a person page's), as text without tags."""
    start = page.index("<h2>申辩与复核")
    return re.sub(r"<[^>]+>", "", page[start : page.index("</div>", start)])


async def _open_requests(
    sessionmaker: async_sessionmaker[AsyncSession], roster: Roster
) -> tuple[Objection, Appeal]:
    """杨帆 objects to a 错情 陈静 gave; 赵丽 asks for 复核 of 2026Q2, due 6月10日 (overdue)."""
    head, member, other = [await roster.person(n) for n in ("陈静", "杨帆", "赵丽")]
    async with sessionmaker() as s:
        error = Record(
            unit_id=member.unit_id, person_id=member.id or 0, kind=RecordKind.ERROR.value,
            points=-1.0, reason="数据有误", day=date(2026, 6, 8), issuer_id=head.id,
        )  # fmt: skip
        s.add(error)
        await s.flush()
        objection = await objection_store.file_objection(
            s, record=error, reason="统计口径无误", now=local(6, 9, 10)
        )
        appeal = await appeal_store.file_appeal(
            s, unit_id=other.unit_id, person_id=other.id or 0, kind=AppealKind.QUARTER,
            period="2026Q2", reason="专项任务未计入", attachments=[],
            decide_by=date(2026, 6, 10), old_score=85.0, old_grade="fairly_good",
            now=local(6, 1, 9),
        )  # fmt: skip
        await s.commit()
    return objection, appeal


async def test_open_objections_and_appeals_are_shown_to_whom_the_chat_tells(
    roster: Roster, client: TestClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    objection, appeal = await _open_requests(sessionmaker, roster)
    member, other = await roster.person("杨帆"), await roster.person("赵丽")
    await sign_in(client, sessionmaker, "周敏")  # the 考核办: both
    shown = panel(await (await client.get("/console/")).text())
    assert "申辩与复核（2）" in shown
    assert f"杨帆 办公室 申辩 错情 #{objection.record_id}" in " ".join(shown.split())
    assert "6月9日提出" in shown
    assert "赵丽" in shown and "复核 2026年第2季度等次" in shown
    assert "6月10日前决定" in shown and "已逾期" in shown
    page = await (await client.get("/console/")).text()
    assert f'href="/console/people/{other.id}">赵丽</a>' in page  # linked to the person
    await sign_in(client, sessionmaker, "陈静")  # gave the 错情: its 申辩, not the 复核
    shown = panel(await (await client.get("/console/")).text())
    assert "杨帆" in shown and "赵丽" not in shown
    await sign_in(client, sessionmaker, "李红梅")  # oversees 办公室, but decides neither
    shown = panel(await (await client.get("/console/")).text())
    assert "杨帆" not in shown and "赵丽" not in shown
    assert texts.WEB_REQUESTS_NONE in shown
    await sign_in(client, sessionmaker, "杨帆")  # a member: their own, on their page
    own = await (await client.get(f"/console/people/{member.id}")).text()
    assert "申辩 错情" in panel(own) and "赵丽" not in panel(own)
    assert (await client.get(f"/console/people/{other.id}")).status == 403
    await sign_in(client, sessionmaker, "赵丽")
    own = await (await client.get(f"/console/people/{other.id}")).text()
    assert "复核 2026年第2季度等次" in panel(own) and "申辩 错情" not in panel(own)
    await sign_in(client, sessionmaker, "黄磊")  # an unrelated colleague: nothing
    mine = await client.get("/console/")
    assert "申辩与复核" not in await mine.text()


async def test_a_decided_objection_or_appeal_leaves_the_panel(
    roster: Roster, client: TestClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in(client, sessionmaker, "周敏")
    empty = panel(await (await client.get("/console/")).text())
    assert "申辩与复核（0）" in empty and texts.WEB_REQUESTS_NONE in empty
    objection, appeal = await _open_requests(sessionmaker, roster)
    admin = await roster.person("周敏")
    async with sessionmaker() as s:
        decided = await s.get(Appeal, appeal.id)
        assert decided is not None
        await appeal_store.decide(
            s, appeal=decided, status=AppealStatus.UPHELD, decision="维持", new_score=None,
            new_grade=None, petition_until=None, actor_id=admin.id, actor="周敏", now=NOW,
        )  # fmt: skip
        await s.commit()
    shown = panel(await (await client.get("/console/")).text())
    assert "申辩与复核（1）" in shown and "杨帆" in shown and "赵丽" not in shown
    async with sessionmaker() as s:
        upheld = await s.get(Objection, objection.id)
        assert upheld is not None
        await objection_store.decide(
            s, objection=upheld, voided=False, decision="维持", actor_id=admin.id, now=NOW
        )
        await s.commit()
    shown = panel(await (await client.get("/console/")).text())
    assert "申辩与复核（0）" in shown and texts.WEB_REQUESTS_NONE in shown


async def test_results_say_whether_the_published_quarter_is_in_publicity_or_final(
    roster: Roster, client: TestClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await sign_in(client, sessionmaker, "周敏")
    page = await (await client.get("/console/results?q=2026Q1")).text()
    assert "公示中" not in page and "已确定" not in page  # not published
    unit_id = (await roster.person("周敏")).unit_id
    async with sessionmaker() as s:
        await results_store.publish(
            s, unit_id=unit_id, quarter=Quarter(2026, 1), policy="standard",
            start=date(2026, 1, 1), end=date(2026, 3, 31), data={}, people=[],
            now=local(4, 14, 9),
        )  # fmt: skip
        await s.commit()
    page = await (await client.get("/console/results?q=2026Q1")).text()
    assert "公示中，至4月16日" in page
    async with sessionmaker() as s:
        await results_store.make_final(
            s, unit_id=unit_id, quarter=Quarter(2026, 1), now=local(4, 21, 9)
        )
        await s.commit()
    page = await (await client.get("/console/results?q=2026Q1")).text()
    assert "已确定" in page and "公示中" not in page
