"""Demo scene: the quarter's end (issue 8) — from the fortnight to published results.

After the fortnight (bot/demo_reports.py) the rest of the quarter is fast-forwarded: the
daily reports of 06-15—06-30 are written straight into the database by a seeded random
plan (the only shortcut of the demo: going through the dispatcher a report at a time
would take a minute). Then, through the real bot code: 实绩申报 (/declare), the 考核办's
加分 and 负面清单 (/bonus, /veto), the quarter-end jobs on their days (declaration and
rating windows, rating requests answered with the buttons), `quarter_close` posting the
results, a feedback talk (/talk), the overdue-talk reminder, /talks, /policy and the
Excel export (/export), written to `<dir>/平时考核-2026Q2.xlsx`.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiogram.methods import SendDocument
from aiogram.types import Message, User
from sqlmodel import col, select

from bot import texts
from bot.demo_jobs import _Clock
from bot.demo_reports import WORK, at
from bot.jobs import Jobs, RunResult
from bot.sender import Limits
from core import jobs as core
from core.calendar import WorkCalendar
from core.people import Role, decode_roles
from core.quarter import Quarter
from core.quarter_end import window
from core.reports import short_date
from storage.tables import Person, Report, ReportItem

if TYPE_CHECKING:
    from bot.demo import DemoWorld

QUARTER = Quarter(2026, 2)
FAST_FROM = date(2026, 6, 15)
SHOWN_PRIVATE = 2  # private results shown in full; the rest are counted


async def scene_quarter_end(world: DemoWorld, sessionmaker: Any, directory: Path) -> None:
    """The rest of 2026Q2 and its closing, as described in the module docstring."""
    out = world.out
    policy, calendar = world.dp["policy"], world.dp["calendar"]
    dates = window(policy, calendar, QUARTER)
    roster = await _people(sessionmaker)
    await fast_forward(world, sessionmaker, roster, calendar)

    out.say(f"\n【季度末：{QUARTER.label}】")
    out.say(
        f"  申报 {short_date(dates.declare_open)}—{short_date(dates.declare_close)}，"
        f"评分 {short_date(dates.ratings_open)}—{short_date(dates.ratings_close)}，"
        f"{short_date(dates.results)} 公布结果，{short_date(dates.talks_due)} 前完成反馈谈话"
    )
    day = dates.declare_open
    while day <= dates.results:
        await run_quarter_jobs(world, sessionmaker, day)
        if day == dates.declare_open:
            await scene_declarations(world, roster, day)
            await scene_corrections(world, roster, day)
        if day == dates.ratings_open:
            await scene_ratings(world, day)
        day += timedelta(days=1)
    from bot.demo_year import scene_final, scene_publicity  # (it imports this module)

    await scene_publicity(world, sessionmaker)  # the results day: 申辩, 复核
    await scene_talks(world, roster, dates.results + timedelta(days=1))
    if dates.final < dates.talks_due:
        await scene_final(world, sessionmaker)
    await run_quarter_jobs(world, sessionmaker, dates.talks_due, only={core.Job.TALK_REMIND})
    if dates.final >= dates.talks_due:
        await scene_final(world, sessionmaker)
    await scene_export(world, roster, dates.talks_due + timedelta(days=1), directory)


# ---- people and chats -----------------------------------------------------------------------


async def _people(sessionmaker: Any) -> dict[str, Person]:
    async with sessionmaker() as session:
        rows = await session.exec(select(Person).order_by(col(Person.roster_order)))
        found: dict[str, Person] = {}
        for person in rows.all():
            found.setdefault(person.name, person)  # the first 张伟 is the story's
        return found


def _user(world: DemoWorld, roster: dict[str, Person], name: str) -> User:
    return world.user_for(roster[name])


async def press_prefix(world: DemoWorld, user: User, prefix: str, *, at_: datetime) -> bool:
    """Press the first button whose data starts with `prefix` under the bot's newest
    message with buttons to `user`; False if there is none."""
    message = _last_with_buttons(world, user.id, prefix)
    if message is None:
        return False
    markup = message.reply_markup
    assert markup is not None
    places = [
        (button.callback_data != prefix, r, c)
        for r, row in enumerate(markup.inline_keyboard)
        for c, button in enumerate(row)
        if (button.callback_data or "").startswith(prefix)
    ]
    _, r, c = min(places)  # an exact match first ("talk:1" is not "talk:12")
    await world.press(user, message, at=at_, row=r, col=c)
    return True


def _last_with_buttons(world: DemoWorld, chat_id: int, prefix: str) -> Message | None:
    session = world.session
    for request, result in zip(reversed(session.requests), reversed(session.results), strict=True):
        if (
            isinstance(result, Message)
            and getattr(request, "chat_id", None) == chat_id
            and result.reply_markup is not None
            and any(
                (b.callback_data or "").startswith(prefix)
                for row in result.reply_markup.inline_keyboard  # type: ignore[union-attr]
                for b in row
            )
        ):
            return result
    return None


# ---- the rest of the quarter -----------------------------------------------------------------


async def fast_forward(
    world: DemoWorld, sessionmaker: Any, roster: dict[str, Person], calendar: WorkCalendar
) -> None:
    """06-15—06-30: daily reports written straight into the database (seeded plan)."""
    days = calendar.workdays(FAST_FROM, QUARTER.end)
    rng = random.Random(20260615)
    filers = [p for p in roster.values() if Role.MEMBER in decode_roles(p.roles)]
    weak = {"赵丽", "张伟"}  # they keep missing days: their grades will show it
    counts = {"on_time": 0, "late": 0, "missed": 0}
    message_id = 9_000_000
    async with sessionmaker() as session:
        for day in days:
            for person in filers:
                roll = rng.random()
                if person.name in weak:
                    roll = roll * 0.5 + 0.5
                if roll > 0.95 or (person.name in weak and roll > 0.8):
                    counts["missed"] += 1
                    continue
                status = "on_time" if roll < 0.88 else "late"
                counts[status] += 1
                hour = rng.randint(9, 19) if status == "on_time" else 21
                when = at(day, hour, rng.randint(0, 59))
                reviewed = when + timedelta(hours=1) if rng.random() < 0.8 else None
                report = Report(
                    unit_id=person.unit_id, person_id=person.id or 0, kind="daily", day=day,
                    status=status, filed_at=when, updated_at=when, reviewed_at=reviewed,
                )  # fmt: skip
                session.add(report)
                await session.flush()
                message_id += 1
                session.add(
                    ReportItem(
                        report_id=report.id or 0, text=rng.choice(WORK),
                        source_chat_id=person.tg_user_id or 0, source_message_id=message_id,
                        created_at=when,
                    )
                )  # fmt: skip
        await session.commit()
    world.out.say(
        f"\n【快进】{short_date(days[0])}—{short_date(days[-1])} 共 {len(days)} 个工作日的日报"
        f"直接写入数据库（按时 {counts['on_time']}，迟报 {counts['late']}，"
        f"未报 {counts['missed']}），不逐条展示"
    )


async def run_quarter_jobs(
    world: DemoWorld, sessionmaker: Any, day: date, *, only: set[core.Job] | None = None
) -> None:
    """Run the quarter-end jobs due on `day`, each at its trigger time."""
    policy = world.dp["policy"]
    clock = _Clock()
    jobs = Jobs(
        sessionmaker=sessionmaker, policy=policy, zone=world.dp["zone"], bot=world.bot,
        calendar=world.dp["calendar"], clock=clock, limits=Limits.unlimited(), owner="demo",
    )  # fmt: skip
    wanted = only or core.QUARTER_END_JOBS
    due = [
        job
        for job in core.JOB_ORDER
        if job in wanted and core.is_due_day(job, policy, jobs.calendar, day)
    ]
    due.sort(key=lambda job: core.trigger_time(job, policy.schedule))
    for job in due:
        clock.at = core.fire_at(job, policy, day, jobs.zone).astimezone(UTC)
        world.now = clock.at
        _show(world, await jobs.run(job, day), clock.at.astimezone(jobs.zone))


def _show(world: DemoWorld, result: RunResult, when: datetime) -> None:
    """What a quarter-end job sent: group posts in full, a couple of private messages."""
    from bot import texts

    delivery = result.delivery
    if delivery is None or not delivery.sent:
        return
    label = texts.JOB_LABELS.get(result.job.value, result.job.value)
    world.out.say(f"  ⏰ [{when:%m-%d %H:%M}] {label}：发出 {len(delivery.sent)} 条")
    sent = {m.key for m in delivery.sent}
    messages = [m for m in result.messages if m.key in sent]
    groups = [m for m in messages if m.chat_id < 0]
    private = [m for m in messages if m.chat_id > 0][:SHOWN_PRIVATE]
    for message in groups + private:
        text = message.text
        if message.photo is not None and world.charts_dir is not None:
            world.charts_dir.mkdir(parents=True, exist_ok=True)
            name = f"{message.day:%m%d}-{message.target.replace(':', '-')}.png"
            (world.charts_dir / name).write_bytes(message.photo)
            text = f"[图片 charts/{name}] {text}"
        first, *rest = text.split("\n")
        world.out.say(f"    🤖 → {message.label or message.chat_id}：{first}")
        for line in rest:
            world.out.say(f"         {line}")
    hidden = len(delivery.sent) - len(groups) - len(private)
    if hidden > 0:
        world.out.say(f"    ……另 {hidden} 条私聊（略）")


# ---- scenes ----------------------------------------------------------------------------------


async def scene_declarations(world: DemoWorld, roster: dict[str, Person], day: date) -> None:
    """实绩申报 through /declare: the 办公室 storyline shown, about half the others quietly."""
    world.out.say("\n【实绩申报】")
    plan = {
        "杨帆": ["牵头完成食品安全专项整治，检查商户 120 家", "起草季度工作总结并获局务会通过"],
        "黄磊": ["办理群众投诉举报 36 件，按期办结率 100%"],
    }
    rng = random.Random(20260624)
    quiet = [
        name
        for name, p in roster.items()
        if name not in plan and Role.MEMBER in decode_roles(p.roles) and rng.random() < 0.6
    ]
    for name in quiet:
        plan[name] = [rng.choice(ACHIEVEMENTS)]
    for index, (name, items) in enumerate(plan.items()):
        world.quiet = index >= 2
        if index == 2:
            world.out.say(f"  ……另有 {len(quiet)} 人同样申报（略）")
        user = _user(world, roster, name)
        minute = index % 50
        await world.send(user, "/declare", at=at(day, 10, minute))
        for text in items:
            if not await press_prefix(world, user, "dc:add", at_=at(day, 10, minute)):
                world.quiet = False
                world.out.say("  （申报流程未就绪，跳过）")
                return
            await world.send(user, text, at=at(day, 10, minute))
            await press_prefix(world, user, "dc:src:", at_=at(day, 10, minute))
            await press_prefix(world, user, "dc:rate:", at_=at(day, 10, minute))
        await press_prefix(world, user, "dc:submit", at_=at(day, 10, minute))
    world.quiet = False


ACHIEVEMENTS = [
    "完成辖区特种设备隐患排查，整改率 100%",
    "办结投诉举报 20 余件，群众满意度调查全部满意",
    "牵头组织价格监督检查专项行动",
    "完成行政处罚案卷评查，案卷合格率 100%",
    "配合市局完成“双随机、一公开”抽查任务",
    "编写食品经营许可办事指南，办理时限压缩一半",
]


async def scene_corrections(world: DemoWorld, roster: dict[str, Person], day: date) -> None:
    """The 考核办 adds a bonus and a 负面清单 event, each confirmed with a button."""
    world.out.say("\n【考核办：加分与负面清单】")
    admin = next(
        p for p in roster.values() if "admin" in p.roles and "head" not in p.roles
    )  # 周敏
    user = world.user_for(admin)
    await world.send(user, "/policy", at=at(day, 11))
    await world.send(user, "/bonus 黄磊 3 获市级“优秀执法人员”表彰", at=at(day, 11, 5))
    await press_prefix(world, user, "corr:ok", at_=at(day, 11, 6))
    await world.send(user, "/veto 赵丽 迟到 多次迟到", at=at(day, 11, 10))
    await world.send(
        user, "/veto 赵丽 不服从组织安排造成不良后果 拒不参加防汛值班", at=at(day, 11, 11)
    )
    await press_prefix(world, user, "corr:ok", at_=at(day, 11, 12))


def _buttons(message: Message, prefix: str) -> list[tuple[int, int]]:
    """(row, col) of the buttons under `message` whose data starts with `prefix`."""
    markup = message.reply_markup
    if markup is None:
        return []
    return [
        (r, c)
        for r, row in enumerate(markup.inline_keyboard)
        for c, b in enumerate(row)
        if (b.callback_data or "").startswith(prefix)
    ]


async def scene_ratings(world: DemoWorld, day: date) -> None:
    """Each rater's one list message: a person's button opens the request, answered with
    a grade button (seeded plan), page by page; quietly."""
    rng = random.Random(20260706)
    session = world.session
    lists = [
        result
        for result in session.results
        if isinstance(result, Message) and _buttons(result, "rt:o:")
    ]
    users = {u.id: u for u in world.users.values()}
    world.quiet = True
    asked = answered = 0
    for listed in lists:
        user = users.get(listed.chat.id)
        page: Message | None = listed
        while page is not None:
            for row, column in _buttons(page, "rt:o:"):
                assert page.reply_markup is not None
                if page.reply_markup.inline_keyboard[row][column].text.startswith("✅"):
                    continue  # rated already
                asked += 1
                if user is None or rng.random() < 0.1:
                    continue  # a few raters leave some unanswered
                when = at(day, 10, rng.randint(0, 59))
                await world.press(user, page, at=when, row=row, col=column)
                request = session.results[-1]
                grade = 0 if rng.random() < 0.55 else 1 if rng.random() < 0.85 else 2
                await world.press(user, request, at=when, row=0, col=grade)
                answered += 1
            following = [
                (r, c)
                for r, c in _buttons(page, "rt:p:")
                if page.reply_markup is not None
                and page.reply_markup.inline_keyboard[r][c].text == texts.RATE_PAGE_NEXT
            ]
            if user is None or not following:
                page = None
                continue
            row, column = following[0]
            await world.press(user, page, at=at(day, 11), row=row, col=column)
            page = session.results[-1]
    world.quiet = False
    world.out.say(
        f"  （{len(lists)} 位评分人各收到 1 条待评名单，共 {asked} 项；"
        f"{answered} 项点姓名后按等次作答，不逐条展示）"
    )


async def scene_talks(world: DemoWorld, roster: dict[str, Person], day: date) -> None:
    """陈静 records a talk with 赵丽 (mandatory), pausing once to check /status."""
    world.out.say("\n【反馈谈话】")
    head = _user(world, roster, "陈静")
    await world.send(head, "/talk", at=at(day, 15))
    await press_prefix(world, head, f"talk:{roster['赵丽'].id}", at_=at(day, 15, 1))
    await world.send(head, "工作踏实，群众投诉处理耐心细致", at=at(day, 15, 5))
    await world.send(head, "日报经常漏报，纪律意识不强，防汛值班缺岗", at=at(day, 15, 8))
    await world.send(head, "/status", at=at(day, 15, 9))
    await world.send(
        head, "每天下班前填报日报；下季度值班零缺勤；每月向我汇报一次", at=at(day, 15, 12)
    )


async def scene_export(
    world: DemoWorld, roster: dict[str, Person], day: date, directory: Path
) -> None:
    """/talks and /export by the 考核办; a refused /export; the workbook saved."""
    world.out.say("\n【谈话进度与导出】")
    admin = next(p for p in roster.values() if "admin" in p.roles and "head" not in p.roles)
    user = world.user_for(admin)
    await world.send(user, "/talks", at=at(day, 16))
    await world.send(_user(world, roster, "杨帆"), f"/export {QUARTER}", at=at(day, 16, 1))
    await world.send(user, f"/export {QUARTER}", at=at(day, 16, 2))
    documents = world.session.sent(SendDocument)
    if documents:
        document = documents[-1].document
        path = directory / (getattr(document, "filename", None) or f"平时考核-{QUARTER}.xlsx")
        path.write_bytes(document.data)  # type: ignore[union-attr]
        world.out.say(f"  （导出文件：{path.name}）")
