"""Quarterly 不定等次: too few required working days gives no grade (grades.min_required_days)."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli import main
from bot.config import Settings
from bot.jobs import Jobs
from bot.sender import Limits
from core.jobs import Job, fire_at
from core.quarter import Quarter
from core.quarter_end import window
from storage import people
from tests.conftest import SHANGHAI, TEST_TOKEN, Chat, FakeClock, Office, Roster, local
from tests.factories import make_message
from tests.fakes import FakeSession

Q3 = Quarter(2026, 3)


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    text = (Path("core/presets/standard.toml")).read_text(encoding="utf-8")
    text = text.replace("min_required_days = 0", "min_required_days = 2")
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def settings(db_url: str, policy_file: Path) -> Settings:
    return Settings(BOT_TOKEN=TEST_TOKEN, DATABASE_URL=db_url, REDIS_URL="",
                    KAOHE_POLICY=str(policy_file))  # type: ignore[call-arg]  # fmt: skip


@pytest.fixture
async def quarter3(chat: Chat, office: Office, roster: Roster, session: AsyncSession) -> None:
    """Assessed from 09-28 (3 working days); 赵丽 on leave 09-29–09-30: required 1 day."""
    await people.set_assessment_start(session, day=date(2026, 9, 28), actor="test")
    await session.commit()
    for day in (28, 29, 30):
        await chat.feed(make_message("走访企业", user=office.member, date=local(9, day, 10)))
    admin = await roster.bind("周敏")
    await chat.feed(make_message("/leave 赵丽 9-29 9-30 病假", user=admin, date=local(9, 28, 9)))
    chat.fake.clear()


async def test_score_json_says_undetermined_and_keeps_the_quota_for_the_others(
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    policy_file: Path,
    tmp_path: Path,
    quarter3: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("BOT_TOKEN", "TELEGRAM_API_BASE", "REDIS_URL", "KAOHE_TZ"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("KAOHE_POLICY", str(policy_file))
    code = await asyncio.to_thread(main, ["score", "--quarter", "2026Q3", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    zhao = next(p for p in data["people"] if p["name"] == "赵丽")
    assert (zhao["grade"], zhao["grade_label"], zhao["undetermined"]) == (
        "undetermined", "不定等次", True,
    )  # fmt: skip
    assert "应报1个工作日，少于2个" in zhao["grade_reason"]
    staff = [p for p in data["people"] if p["group"] == "一般工作人员"]
    graded = [p for p in staff if not p["undetermined"]]
    assert {p["group_size"] for p in graded} == {len(graded)} and len(graded) == 29
    assert zhao["rank"] > 29  # after the graded people of the group
    yang = next(p for p in data["people"] if p["name"] == "杨帆")
    assert yang["grade_label"] == "好"


async def test_quarter_close_tells_the_reason_instead_of_a_grade(
    sessionmaker: async_sessionmaker[AsyncSession],
    bot: Bot,
    clock: FakeClock,
    dp: Dispatcher,
    office: Office,
    fake: FakeSession,
    quarter3: None,
) -> None:
    policy, calendar = dp["policy"], dp["calendar"]
    assert policy.grades.min_required_days == 2
    day = window(policy, calendar, Q3).results
    jobs = Jobs(
        sessionmaker=sessionmaker, policy=policy, zone=SHANGHAI, bot=bot, calendar=calendar,
        clock=clock, limits=Limits.unlimited(), owner="test",
    )  # fmt: skip
    clock.at = fire_at(Job.QUARTER_CLOSE, policy, day, SHANGHAI)
    result = await jobs.run(Job.QUARTER_CLOSE, day)
    assert result.status == "done", result.error
    private = {int(m.chat_id): m.text for m in fake.sent(SendMessage) if int(m.chat_id) > 0}
    zhao = private[office.other.id]
    assert "等次：不定等次\n本季度应报1个工作日，少于2个\n" in zhao  # the reason, not a grade
    assert "反馈谈话" not in zhao and "较好" not in zhao
