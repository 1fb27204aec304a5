"""/me and /rank through the dispatcher; `kaohe score` on the command line."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage, SendPhoto
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import figures
from bot.cli import main
from charts._png import png_size
from storage import db
from storage import people as people_store
from tests.conftest import OFFICE_GROUP, Chat, FakeClock, Office, Roster, local
from tests.factories import make_callback, make_group, make_message


async def week_of_work(chat: Chat, office: Office, session: AsyncSession) -> None:
    """Assessment starts Mon 11-16; 杨帆 files every day, 赵丽 twice; a like and an error."""
    await people_store.set_assessment_start(session, day=local(11, 16, 0).date(), actor="test")
    await session.commit()
    for day in range(16, 21):
        await chat.feed(make_message("工作", user=office.member, date=local(11, day, 10)))
    for day in (16, 17):
        await chat.feed(make_message("工作", user=office.other, date=local(11, day, 10)))
    group = make_group(OFFICE_GROUP, "办公室群")
    await chat.feed(
        make_message("点赞 @杨帆 好", user=office.head, chat=group, date=local(11, 18, 12))
    )
    await chat.feed(
        make_message("错情 @赵丽 漏", user=office.head, chat=group, date=local(11, 18, 12))
    )


async def test_me_shows_score_rank_grade_and_breakdown(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await week_of_work(chat, office, session)
    (reply,) = await chat.feed(make_message("/me", user=office.member, date=local(11, 20, 21)))
    trend = chat.fake.sent(SendPhoto)[-1]
    assert trend.chat_id == office.member.id and png_size(trend.photo.data) == (1080, 1350)
    assert reply.text.splitlines() == [
        "📈 2026年第4季度（截至 11月20日，暂定）",
        "得分：101.00分",
        "排名：一般工作人员第1名（共30人）",
        "等次：好（暂定）",
        "“好”等次名额12人，你排第1",
        "得分构成：",
        "· 日报填报 +100.00（100分×100%）",
        "· 点赞 +1.00（1次共1分）",
        "多主体评价、指标完成暂无数据，审阅批复仅适用于领导，均不计入，其余权重按比例放大",
    ]
    assert reply.reply_markup.inline_keyboard[0][0].text == "查看明细"


async def test_me_detail_button_sends_the_full_explanation_only_to_the_person(
    chat: Chat, office: Office, session: AsyncSession, clock: FakeClock
) -> None:
    await week_of_work(chat, office, session)
    (reply,) = await chat.feed(make_message("/me", user=office.member, date=local(11, 20, 21)))
    button = reply.reply_markup.inline_keyboard[0][0]
    message = chat.fake._message(reply.chat_id, text=reply.text, reply_markup=reply.reply_markup)
    clock.at = local(11, 20, 21, 1)

    before = len(chat.fake.requests)
    await chat.dp.feed_update(
        chat.bot, make_callback(button.callback_data, user=office.other, message=message)
    )
    denied = next(r for r in chat.fake.requests[before:] if isinstance(r, AnswerCallbackQuery))
    assert denied.text == "只能查看本人的考核明细。" and denied.show_alert
    assert not [r for r in chat.fake.requests[before:] if isinstance(r, SendMessage)]

    (detail,) = await chat.feed(
        make_callback(button.callback_data, user=office.member, message=message)
    )
    lines = detail.text.splitlines()
    assert lines[0] == "📈 2026年第4季度（截至 11月20日，暂定）"
    assert lines[1] == (
        "杨帆：101.00分，一般工作人员第1/30名，好（暂定）（组内第1名，在“好”等次名额（12人）内）"
    )
    assert "· 日报填报 100.00 → +100.00" in detail.text and "· 点赞 1.00 → +1.00" in detail.text
    assert "注：季度进行中：得分、排名和等次均为暂定" in lines


async def test_me_before_the_deadline_counts_until_yesterday(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await week_of_work(chat, office, session)
    (reply,) = await chat.feed(make_message("/me", user=office.other, date=local(11, 20, 15)))
    # 赵丽: 2 of 4 required days, one error; only 杨帆 reached the 好 minimum of 80
    assert reply.text.splitlines()[:8] == [
        "📈 2026年第4季度（截至 11月19日，暂定）",
        "得分：49.00分",
        "排名：一般工作人员第2名（共30人）",
        "等次：较差（暂定）",
        "差31分达到“好”等次最低分80分",
        "得分构成：",
        "· 日报填报 +50.00（50分×100%）",
        "· 错情 -1.00（1次）",
    ]


async def test_rank_for_a_head_a_group_and_the_unit(
    chat: Chat, office: Office, roster: Roster, session: AsyncSession
) -> None:
    await week_of_work(chat, office, session)
    (private,) = await chat.feed(make_message("/rank", user=office.head, date=local(11, 20, 21)))
    lines = private.text.splitlines()
    assert lines[0] == "🏆 办公室 2026年第4季度 排名（截至 11月20日，暂定）"
    # the head and the staff are ranked in different groups: each group on its own
    assert lines[1:3] == ["【中层干部】", lines[2]] and lines[2].startswith("1. 陈静 ")
    assert lines[3] == "【一般工作人员】" and lines[4].startswith("1. 杨帆 101.00")
    assert len(lines) == 8  # the five people of 办公室 under two headings
    group = make_group(OFFICE_GROUP, "办公室群")
    await chat.feed(make_message("/rank", user=office.other, chat=group, date=local(11, 20, 21)))
    picture = chat.fake.sent(SendPhoto)[-1]  # anyone in the group sees the group's board
    assert picture.chat_id == OFFICE_GROUP
    assert picture.caption.startswith("🏆 办公室 2026年第4季度 排名（截至 11月20日，暂定）")
    assert picture.caption.endswith("各类别第一：中层干部 陈静；一般工作人员 杨帆")
    assert png_size(picture.photo.data)[0] == 1080
    admin = await roster.bind("周敏")
    (unit,) = await chat.feed(make_message("/rank", user=admin, date=local(11, 20, 21)))
    assert unit.text.splitlines()[0].startswith("🏆 部门") and "🚩流动红旗" in unit.text
    (denied,) = await chat.feed(make_message("/rank", user=office.member, date=local(11, 20, 21)))
    assert "只有部门负责人" in denied.text


@pytest.fixture
def scored_db(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)
    return db_url


def test_score_cli_json_explain_and_errors(
    scored_db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from bot.cli import main as cli

    sample = Path(__file__).resolve().parent.parent / "bot" / "data" / "sample_roster.csv"
    assert cli(["import", str(sample), "--start", "2026-11-16"]) == 0
    capsys.readouterr()
    assert cli(["score", "--quarter", "2026Q4", "--as-of", "2026-11-20", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["period"], data["provisional"], data["start"], data["end"]) == (
        "2026Q4", True, "2026-11-16", "2026-11-20",
    )  # fmt: skip
    assert len(data["people"]) == 42
    first = data["people"][0]
    assert sum(line["points"] for line in first["breakdown"]) == pytest.approx(first["score"])
    assert {d["name"] for d in data["departments"]} >= {"办公室", "城西市场监管所"}

    assert cli(["score", "--quarter", "2026Q4", "--as-of", "2026-11-20", "--explain", "张伟"]) == 0
    out = capsys.readouterr().out
    assert out.count("张伟：") == 2  # two namesakes, each explained
    assert "【局领导】" in out and "【城西市场监管所】" in out

    assert cli(["score", "--quarter", "2026Q4", "--explain", "无此人"]) == 1
    assert cli(["score", "--quarter", "26Q9"]) == 2
    assert "参数有误" in capsys.readouterr().err


def test_score_cli_table_past_quarter_is_final(
    scored_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parent.parent / "bot" / "data" / "sample_roster.csv"
    assert main(["import", str(sample), "--start", "2026-07-01"]) == 0
    capsys.readouterr()
    assert main(["score", "--quarter", "2026Q3", "--as-of", "2026-11-20"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2026Q3 平时考核结果：2026-07-01—2026-09-30")  # not 暂定
    assert "【一般工作人员】" in out and "【部门】" in out


def test_first_import_sets_the_assessment_start(
    scored_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parent.parent / "bot" / "data" / "sample_roster.csv"
    assert main(["import", str(sample)]) == 0

    async def start() -> object:
        engine = db.make_engine(scored_db)
        async with db.make_sessionmaker(engine)() as s:
            value = await people_store.assessment_start(s)
        await engine.dispose()
        return value

    first = asyncio.run(start())
    assert first is not None
    assert main(["import", str(sample)]) == 0  # a re-import does not move it
    assert asyncio.run(start()) == first


async def test_me_on_the_first_day_before_the_deadline_says_when_counting_starts(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    """First day of use (issue 24): nothing is counted before 20:00, the like is in."""
    await people_store.set_assessment_start(session, day=date(2026, 12, 3), actor="test")
    await session.commit()
    await chat.feed(make_message("走访企业", user=office.member, date=local(12, 3, 10)))
    group = make_group(OFFICE_GROUP, "办公室群")
    await chat.feed(
        make_message("点赞 @杨帆 好", user=office.head, chat=group, date=local(12, 3, 11))
    )
    (reply,) = await chat.feed(make_message("/me", user=office.member, date=local(12, 3, 15)))
    assert reply.text == "今天的日报截止 20:00，得分从今晚开始计算；今日已获点赞 1 次。"
    (other,) = await chat.feed(make_message("/me", user=office.other, date=local(12, 3, 15)))
    assert other.text == "今天的日报截止 20:00，得分从今晚开始计算。"
    (evening,) = await chat.feed(make_message("/me", user=office.member, date=local(12, 3, 21)))
    assert evening.text.startswith("📈 2026年第4季度（截至 12月3日，暂定）")
    assert "· 点赞 +1.00（1次共1分）" in evening.text


async def test_me_before_the_assessment_starts(
    chat: Chat, office: Office, session: AsyncSession
) -> None:
    await people_store.set_assessment_start(session, day=date(2026, 12, 7), actor="test")
    await session.commit()
    (reply,) = await chat.feed(make_message("/me", user=office.member, date=local(12, 3, 15)))
    assert reply.text == "考核从12月7日开始，得分从那天的日报截止后开始计算。"


def test_score_header_on_the_first_day_never_ends_before_it_starts(
    scored_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parent.parent / "bot" / "data" / "sample_roster.csv"
    assert main(["import", str(sample), "--start", "2026-12-03"]) == 0
    capsys.readouterr()
    assert main(["score"], clock=lambda: local(12, 3, 15)) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header == (
        "2026Q4 平时考核结果（季度进行中，暂定）："
        "尚未开始计算（2026-12-03 的日报 20:00 截止后开始），方案 standard"
    )
    assert main(["score"], clock=lambda: local(12, 3, 21)) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "：2026-12-03—2026-12-03，" in header


async def test_a_report_sent_right_after_me_is_acknowledged_before_the_picture(
    chat: Chat, office: Office, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One person's updates run in arrival order (bot/ordering.py), but /me gives up its
    turn once it has asked the figures worker: their next report does not wait for it."""
    await week_of_work(chat, office, session)
    drawing = asyncio.Event()
    finish = asyncio.Event()
    computed = figures.me

    async def slow_me(question: figures.Ask, person_id: int, trend: bool = True) -> object:
        drawing.set()
        await finish.wait()  # a picture that takes its time
        return await computed(question, person_id, trend)

    monkeypatch.setattr(figures, "me", slow_me)
    me = asyncio.create_task(
        chat.dp.feed_update(
            chat.bot, make_message("/me", user=office.member, date=local(11, 20, 18))
        )
    )
    await asyncio.wait_for(drawing.wait(), 10)
    before = len(chat.fake.requests)
    report = make_message("补充：整理周例会纪要", user=office.member, date=local(11, 20, 18, 1))
    await asyncio.wait_for(chat.dp.feed_update(chat.bot, report), 10)  # not behind /me
    acks = [r for r in chat.fake.requests[before:] if isinstance(r, SendMessage)]
    assert any("已记录" in r.text for r in acks)
    assert not me.done()
    finish.set()
    await asyncio.wait_for(me, 30)
    assert chat.fake.sent(SendPhoto)[-1].chat_id == office.member.id  # /me still answered
