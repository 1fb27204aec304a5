"""Holiday notices end to end (issue 17): /calendar, /calendar import with its buttons,
`kaohe calendar import|show`, every instance picking a notice up, the jobs obeying it,
and the weekly warning from 1 December while next year has no notice."""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage
from aiogram.types import Message
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import make_dispatcher
from bot.cli import main
from bot.config import Settings
from bot.jobs import Jobs
from bot.sender import Limits
from core.jobs import Job
from storage.tables import AuditEntry, CalendarNotice
from tests.conftest import SHANGHAI, TEST_TOKEN, Chat, FakeClock, Office, Roster, local
from tests.factories import make_callback, make_message
from tests.fake_api import FakeBotAPI
from tests.fakes import FakeSession

NOTICES = Path(__file__).parent / "data" / "notices"

# A made-up 2027 notice in the official style (the real one is not out yet).
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（农历除夕、周五）至12日（农历正月初七、周五）放假调休，共8天。2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假1天，不调休。
六、中秋节：9月15日（周三）放假1天，不调休。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。

国务院办公厅
2026年11月20日
"""


def texts_to(fake: FakeSession, chat_id: int) -> list[str]:
    return [m.text for m in fake.sent(SendMessage) if int(m.chat_id) == chat_id]


async def press(chat: Chat, user, which: int = 0) -> list[SendMessage]:  # type: ignore[no-untyped-def]
    """Press 确认 (0) or 取消 (1) under the bot's last message to `user`."""
    message: Message = chat.fake.last_message(user.id)
    data = message.reply_markup.inline_keyboard[0][which].callback_data
    return await chat.feed(make_callback(data, user=user, message=message))


async def stored(session: AsyncSession) -> list[int]:
    return [row.year for row in (await session.exec(select(CalendarNotice))).all()]


# ---- /calendar --------------------------------------------------------------------------


async def test_calendar_shows_this_and_next_month_with_the_statutory_fallback(
    chat: Chat, office: Office
) -> None:
    (reply,) = await chat.feed(make_message("/calendar", user=office.member, date=local(12, 3, 9)))
    lines = reply.text.splitlines()
    assert lines[:3] == ["【2026年12月】", "放假：无（只有周末）", "依据：内置的官方节假日数据"]
    assert "【2027年1月】" in lines
    assert "放假：1月1日（周五）至1月3日（周日）" in lines
    assert "依据：法定节假日推算（调休上班日未知）" in lines
    assert "2027 年的调休上班日还不知道" in reply.text


async def test_calendar_in_october_lists_the_holiday_and_the_workdays(
    chat: Chat, office: Office
) -> None:
    (reply,) = await chat.feed(make_message("/calendar", user=office.member, date=local(10, 8, 9)))
    assert "放假：10月1日（周四）至10月7日（周三）" in reply.text
    assert "调休上班：10月10日（周六）" in reply.text
    assert "不知道" not in reply.text


# ---- /calendar import -------------------------------------------------------------------


async def test_admin_imports_by_pasting_and_confirming(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.user("周敏")
    (asked,) = await chat.feed(
        make_message(f"/calendar import\n{NOTICE_2027}", user=admin, date=local(12, 3, 9))
    )
    assert "2027 年放假安排（读到 7 项）" in asked.text
    assert "• 春节：2月5日（周五）至2月12日（周五）放假，共8天；2月20日（周六）上班" in asked.text
    assert await stored(session) == []  # nothing before the press
    (done,) = await press(chat, admin)
    assert "已导入 2027 年放假安排" in done.text
    row = (await session.exec(select(CalendarNotice))).one()
    assert row.imported_by == "周敏" and "2027-02-20" in row.workdays
    entry = (
        await session.exec(select(AuditEntry).where(AuditEntry.action == "calendar_import"))
    ).one()
    assert entry.actor == "周敏" and entry.subject == "2027"
    # in force at once on this instance: January now lists no unknown 调休
    (reply,) = await chat.feed(
        make_message("/calendar", user=office.member, date=local(12, 3, 10))
    )
    assert "依据：已导入的国务院通知" in reply.text and "不知道" not in reply.text


async def test_another_instance_picks_the_notice_up_without_a_restart(
    chat: Chat,
    office: Office,
    roster: Roster,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
) -> None:
    other = make_dispatcher(settings, sessionmaker, clock=clock, catch_errors=False)
    ticks = [0.0]
    other["calendar_book"].monotonic = lambda: ticks[0]
    other_chat = Chat(other, bot, chat.fake)

    async def february() -> str:
        when = local(2, 1, 9, year=2027)
        sent = await other_chat.feed(make_message("/calendar", user=office.member, date=when))
        return next(m.text for m in sent if int(m.chat_id) == office.member.id)

    assert "调休上班：2月20日（周六）" not in await february()
    admin = await roster.user("周敏")
    await chat.feed(make_message(f"/calendar import {NOTICE_2027}", user=admin))
    await press(chat, admin)
    ticks[0] = 29.0
    assert "调休上班：2月20日（周六）" not in await february()  # looked 29 s ago
    ticks[0] = 31.0  # the other instance looks at the notices' version every 30 s
    after = await february()
    assert "调休上班：2月20日（周六）" in after


async def test_cancel_and_refusals_store_nothing(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    admin = await roster.user("周敏")
    (asked,) = await chat.feed(make_message(f"/calendar import\n{NOTICE_2027}", user=admin))
    (cancelled,) = await press(chat, admin, which=1)
    assert "已取消" in cancelled.text
    bad = NOTICE_2027.replace("五、端午节：6月9日（周三）", "五、端午节：6月9日（周四）")
    (refused,) = await chat.feed(make_message(f"/calendar import\n{bad}", user=admin))
    assert "没有导入" in refused.text and "6月9日（周四）" in refused.text
    (denied,) = await chat.feed(
        make_message(f"/calendar import\n{NOTICE_2027}", user=office.member)
    )
    assert denied.text == "只有考核办可以导入放假通知。"
    (usage,) = await chat.feed(make_message("/calendar import", user=admin))
    assert "粘贴" in usage.text
    assert await stored(session) == []


# ---- the jobs follow the calendar ------------------------------------------------------


@pytest.fixture
def jobs(
    sessionmaker: async_sessionmaker[AsyncSession], bot: Bot, clock: FakeClock, chat: Chat
) -> Jobs:
    return Jobs(
        sessionmaker=sessionmaker,
        policy=chat.dp["policy"],
        zone=SHANGHAI,
        bot=bot,
        clock=clock,
        limits=Limits.unlimited(),
        owner="instance-1",
    )


async def test_no_reminder_on_new_years_day_and_one_on_an_imported_workday(
    jobs: Jobs, chat: Chat, office: Office, roster: Roster, clock: FakeClock
) -> None:
    clock.at = local(1, 1, 17, year=2027)
    assert (await jobs.run(Job.REMIND, date(2027, 1, 1))).status == "not_due"
    clock.at = local(2, 20, 17, year=2027)
    assert (await jobs.run(Job.REMIND, date(2027, 2, 20))).status == "not_due"  # a Saturday
    admin = await roster.user("周敏")
    (asked,) = await chat.feed(make_message(f"/calendar import\n{NOTICE_2027}", user=admin))
    await press(chat, admin)
    chat.fake.clear()
    result = await jobs.run(Job.REMIND, date(2027, 2, 20))  # the Jobs re-read the notices
    assert result.status == "done"
    assert texts_to(chat.fake, office.member.id)


async def test_admins_are_told_weekly_from_december_until_the_notice_is_in(
    jobs: Jobs, chat: Chat, office: Office, roster: Roster, clock: FakeClock
) -> None:
    admin = await roster.bind("周敏")
    clock.at = local(11, 30, 9)
    assert (await jobs.run(Job.CALENDAR_CHECK, date(2026, 11, 30))).status == "not_due"
    clock.at = local(12, 1, 9)
    assert (await jobs.run(Job.CALENDAR_CHECK, date(2026, 12, 1))).status == "done"  # Tue
    (warning,) = texts_to(chat.fake, admin.id)
    assert "还没有导入 2027 年的放假安排" in warning and "kaohe calendar import" in warning
    assert not texts_to(chat.fake, office.member.id)
    assert (await jobs.run(Job.CALENDAR_CHECK, date(2026, 12, 2))).status == "not_due"
    clock.at = local(12, 7, 9)
    assert (await jobs.run(Job.CALENDAR_CHECK, date(2026, 12, 7))).status == "done"  # Mon
    assert len(texts_to(chat.fake, admin.id)) == 2
    (asked,) = await chat.feed(make_message(f"/calendar import\n{NOTICE_2027}", user=admin))
    await press(chat, admin)
    clock.at = local(12, 14, 9)
    assert (await jobs.run(Job.CALENDAR_CHECK, date(2026, 12, 14))).status == "not_due"


# ---- kaohe calendar ----------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> Path:
    for name in ("BOT_TOKEN", "TELEGRAM_API_BASE", "REDIS_URL", "KAOHE_POLICY", "KAOHE_TZ"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# `kaohe` runs as if on this day: the 2027 days asked about have passed (a job never runs
# for a day still to come, issue 24)
SPRING_2027 = datetime(2027, 3, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


async def kaohe(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv), clock=lambda: SPRING_2027)


async def test_show_2027_json_has_new_years_day_and_the_spring_festival_weekdays(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await kaohe("calendar", "show", "2027", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(shown) == {"year", "source", "days_off", "extra_workdays"}
    assert shown["year"] == 2027 and shown["source"] == "statutory"
    assert {"2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10"} <= set(
        shown["days_off"]
    )
    assert shown["days_off"] == sorted(shown["days_off"]) and shown["extra_workdays"] == []


@pytest.mark.parametrize("year", [2014, 2025, 2026])
async def test_importing_each_real_notice_reproduces_the_package(
    cli_env: Path, capsys: pytest.CaptureFixture[str], year: int
) -> None:
    assert await kaohe("calendar", "show", str(year), "--json") == 0
    package = json.loads(capsys.readouterr().out)
    assert package["source"] == "package"
    assert await kaohe("calendar", "import", str(NOTICES / f"{year}.txt"), "--yes") == 0
    assert f"已导入 {year} 年放假安排" in capsys.readouterr().out
    assert await kaohe("calendar", "show", str(year), "--json") == 0
    imported = json.loads(capsys.readouterr().out)
    assert imported == {**package, "source": "notice"}


async def test_dry_run_and_a_bad_file_store_nothing(
    cli_env: Path, capsys: pytest.CaptureFixture[str], session: AsyncSession
) -> None:
    notice = cli_env / "通知.txt"
    notice.write_text(NOTICE_2027, encoding="gb18030")  # saved by a Chinese Windows editor
    assert await kaohe("calendar", "import", str(notice), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "• 元旦：1月1日（周五）至1月3日（周日）放假，共3天" in out and "没有写入" in out
    broken = cli_env / "坏.txt"
    broken.write_text(NOTICE_2027.replace("共7天", "共6天"), encoding="utf-8")
    assert await kaohe("calendar", "import", str(broken), "--yes") == 1
    err = capsys.readouterr().err
    assert "天数和日期对不上" in err and "七、国庆节" in err
    assert await stored(session) == []


async def test_import_then_remind_on_an_imported_holiday_sends_nothing(
    cli_env: Path,
    capsys: pytest.CaptureFixture[str],
    chat: Chat,
    office: Office,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notice = cli_env / "通知.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    assert await kaohe("calendar", "import", str(notice), "--yes") == 0
    async with FakeBotAPI(token=TEST_TOKEN) as api:
        monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE", api.base)
        # a day the job has nothing to do: exit 2, nothing sent
        assert await kaohe("jobs", "run", "remind", "--date", "2027-01-01") == 2
        assert await kaohe("jobs", "run", "remind", "--date", "2027-02-12") == 2  # 初七, Fri
        assert api.delivered == []
    out = capsys.readouterr().out
    assert "2027-01-01 不是 remind（日报提醒） 的运行日" in out


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(token=TEST_TOKEN) as server:
        yield server


async def test_remind_on_new_years_day_2027_sends_nothing(
    cli_env: Path,
    chat: Chat,
    office: Office,
    api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BOT_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE", api.base)
    assert await kaohe("jobs", "run", "remind", "--date", "2027-01-01") == 2
    assert "不是 remind（日报提醒） 的运行日" in capsys.readouterr().out
    assert api.delivered == []


def _docx(path: Path, paragraphs: list[str]) -> Path:
    """A minimal Word file, as saved from the notice's web page."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}"><w:body>{body}'
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", xml + "</w:body></w:document>")
    return path


async def test_a_docx_notice_and_the_text_view_with_sources(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _docx(cli_env / "通知.docx", NOTICE_2027.splitlines())
    assert await kaohe("calendar", "import", str(path), "--yes") == 0
    capsys.readouterr()
    assert await kaohe("calendar", "show", "2027") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2027 年工作日历：已导入的国务院通知"
    assert out[1].startswith("通知由 cli 于 ")
    assert "  2027-02-12 周五  已导入的国务院通知" in out
    assert "  2027-02-20 周六  已导入的国务院通知" in out
