"""Demo scene: a simulated fortnight of daily and weekly reports (issue: reports by chat).

The 办公室 storyline is shown line by line; everyone else files (or forgets to) by a
seeded random plan, summarised one line a day. Everything goes through the real
dispatcher with Telegram timestamps of the simulated days.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiogram.types import Chat, Message, PhotoSize, Sticker, User
from sqlmodel import col, select

from bot.demo_jobs import day_jobs
from core.calendar import WorkCalendar
from core.people import Role, decode_roles
from core.reports import WEEKDAYS, short_date
from storage.tables import ChatGroup, Department, Person

if TYPE_CHECKING:
    from bot.demo import DemoWorld

ZONE = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2026, 6, 1)  # a Monday; the fortnight ends on Friday 06-12
OFFICE = "办公室"
WORK = [
    "走访辖区企业，核查营业执照公示情况",
    "整理食品经营许可档案",
    "起草季度工作总结",
    "参加局务会，传达会议精神",
    "处理群众投诉举报 2 件",
    "开展特种设备安全检查",
    "录入行政处罚案卷",
    "组织价格监督检查",
    "审核广告备案材料",
    "配合市局开展专项整治",
]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock moment, as the UTC time Telegram would stamp."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).astimezone(UTC)


class Cast:
    """The people and chats of the fortnight."""

    def __init__(self, world: DemoWorld, people: list[Person], groups: dict[int, Chat]):
        self.world = world
        self.everyone = list(people)
        self.people = {p.name: p for p in people}  # story names are unique
        self.groups = groups
        self.departments = {p.id: p.department_id for p in people}

    def user(self, name: str) -> User:
        return self.world.user_for(self.people[name])

    def group_of(self, name: str) -> Chat:
        return self.groups[self.people[name].department_id]


async def _cast(world: DemoWorld, sessionmaker: Any) -> Cast:
    async with sessionmaker() as session:
        people = list(
            (
                await session.exec(
                    select(Person)
                    .where(col(Person.active).is_(True))
                    .order_by(col(Person.roster_order))
                )
            ).all()
        )
        rows = (
            await session.exec(
                select(ChatGroup, Department.name).join(
                    Department, col(Department.id) == ChatGroup.department_id
                )
            )
        ).all()
    groups = {g.department_id: world.factory.group(g.chat_id, f"{name}群") for g, name in rows}
    return Cast(world, people, groups)


async def scene_fortnight(world: DemoWorld, sessionmaker: Any) -> None:
    """Two working weeks of reports, reviews, a 批复, leave, /status and /stats."""
    out = world.out
    cast = await _cast(world, sessionmaker)
    calendar = WorkCalendar()
    days = calendar.workdays(FIRST_DAY, FIRST_DAY + timedelta(days=11))
    story = {"陈静", "杨帆", "赵丽", "黄磊", "周婷", "李红梅"}
    # 局领导's 张伟 (there are two 张伟) is away without leave and files nothing: the
    # escalation job notices him after two working days.
    absentee = next(p for p in cast.everyone if p.name == "张伟")
    extras = [
        p for p in cast.everyone
        if p.name not in story and p.id != absentee.id and Role.MEMBER in decode_roles(p.roles)
    ]  # fmt: skip
    rng = random.Random(20260601)
    out.say(f"\n【两周日报】{short_date(days[0])}—{short_date(days[-1])}，截止时间 20:00")
    out.say("  （办公室逐条展示；其他部门按随机计划填报，每天一行小结）")
    pending_backfill: list[Person] = []
    for index, day in enumerate(days):
        out.say(f"\n— {short_date(day)} 周{WEEKDAYS[day.weekday()]} —")
        # The day's plan is drawn first (the same draws, in the same order, as ever); then
        # everything runs in time order: the storyline, the others' filings, the jobs.
        counts = {"按时": 0, "迟报": 0, "未报": 0, "补报": 0}
        for person in pending_backfill:
            text = f"/daily {days[index - 1].month}-{days[index - 1].day} 补：{rng.choice(WORK)}"
            _meanwhile_send(cast, person, text, at(day, 8, rng.randint(30, 59)))
            counts["补报"] += 1
        pending_backfill = []
        for person in extras:
            roll = rng.random()
            if roll < 0.84:
                when = at(day, rng.randint(9, 19), rng.randint(0, 59))
                counts["按时"] += 1
            elif roll < 0.91:
                # late, within half an hour of the deadline: before the 20:30 digest, so
                # that the digest, /stats and the 21:00 charts count the same filings
                rng.randint(20, 22)  # (the plan's draws stay as they were)
                when = at(day, 20, rng.randint(0, 59) // 2)
                counts["迟报"] += 1
            else:
                counts["未报"] += 1
                if roll > 0.96 and index + 1 < len(days):
                    pending_backfill.append(person)
                continue
            _meanwhile_send(
                cast, person, rng.choice(WORK), when, review=_reviewer(cast, person, rng)
            )
        day_jobs(world, sessionmaker, day)
        await STORY.get(index, _nothing)(cast, day)
        await world.catch_up(at(day, 23, 59))
        summary = "，".join(f"{k} {v}" for k, v in counts.items() if v)
        out.say(f"  其他部门 {len(extras)} 人：{summary}")


def _meanwhile_send(
    cast: Cast, person: Person, text: str, when: datetime, *, review: Person | None = None
) -> None:
    """`person` files `text` at `when`, unseen; `review`: their head reviews it 70 min later."""
    world = cast.world

    async def send() -> None:
        quiet, world.quiet = world.quiet, True
        try:
            await world.send(world.user_for(person), text, at=when)
            if review is not None:
                echo = world.session.last_message(cast.groups[person.department_id].id)
                later = when + timedelta(minutes=70)

                async def press() -> None:
                    quiet, world.quiet = world.quiet, True
                    try:
                        await world.press(world.user_for(review), echo, at=later)
                    finally:
                        world.quiet = quiet

                world.meanwhile(later, press)
        finally:
            world.quiet = quiet

    world.meanwhile(when, send)


def _reviewer(cast: Cast, person: Person, rng: random.Random) -> Person | None:
    """Heads review about two thirds of their people's reports, an hour or so later."""
    group = cast.groups.get(person.department_id)
    if group is None or rng.random() > 0.66:
        return None
    return next(
        (
            p for p in cast.people.values()
            if p.department_id == person.department_id and Role.HEAD in decode_roles(p.roles)
            and p.id != person.id
        ),
        None,
    )  # fmt: skip


async def _nothing(cast: Cast, day: date) -> None:
    """A day without a storyline."""


async def _routine(cast: Cast, day: date, names: list[str], *, review: bool = True) -> None:
    """Ordinary on-time filings (and the head's reviews), summarised in one line."""
    w = cast.world
    w.quiet = True
    for offset, name in enumerate(names):
        when = at(day, 9 + offset, 15)
        await w.send(cast.user(name), WORK[(day.day + offset) % len(WORK)], at=when)
        if review and name != "陈静" and cast.people[name].department_id in cast.groups:
            echo = w.session.last_message(cast.group_of(name).id)
            await w.press(cast.user("陈静"), echo, at=when + timedelta(hours=2))
    w.quiet = False
    shown = "、".join(names)
    w.out.say(f"  （{shown} 按时填报日常工作{'，陈静 逐条审阅' if review else ''}，略）")


def _last_bot_message(cast: Cast, chat_id: int) -> Message:
    return cast.world.session.last_message(chat_id)


async def _day1(cast: Cast, day: date) -> None:
    w = cast.world
    await _routine(cast, day, ["黄磊", "周婷", "陈静", "李红梅"], review=False)
    await w.send(
        cast.user("杨帆"), "走访辖区企业 5 家，发现 1 家未公示年报，已督促整改", at=at(day, 9, 30)
    )
    await w.send(cast.user("赵丽"), "#日报 整理机关公文档案 120 份", cast.group_of("赵丽"),
                 at=at(day, 17, 10))  # fmt: skip
    echo = _echo_of(cast, "杨帆")
    await w.press(cast.user("黄磊"), echo, at=at(day, 19, 50))  # not a leader
    await w.press(cast.user("陈静"), echo, at=at(day, 19, 55))
    await w.send(cast.user("陈静"), "点赞 发现问题及时督促整改", cast.group_of("杨帆"),
                 at=at(day, 19, 56), reply_to=echo)  # fmt: skip


def _echo_of(cast: Cast, name: str) -> Message:
    """The newest echo in the person's department group that names them."""
    session = cast.world.session
    group_id = cast.group_of(name).id
    for request, result in zip(reversed(session.requests), reversed(session.results), strict=True):
        text = getattr(request, "text", None) or getattr(request, "caption", None) or ""
        if getattr(request, "chat_id", None) == group_id and name in text:
            return result  # type: ignore[no-any-return]
    raise LookupError(name)


async def _day2(cast: Cast, day: date) -> None:
    w = cast.world
    await _routine(cast, day, ["赵丽", "黄磊", "陈静", "李红梅"])
    await w.send(cast.user("杨帆"), "上午：参加全市市场监管工作会议", at=at(day, 15, 0))
    second = await w.send(cast.user("杨帆"), "下午：接待企业咨询 3 次", at=at(day, 16, 0))
    await w.edit(second, "下午：接待企业咨询 4 次，解答登记注册问题", at=at(day, 16, 20))
    await w.send(cast.user("周婷"), "完成会议纪要", at=at(day, 21, 15))  # after the deadline
    late = _echo_of_text(cast, "周婷", "完成会议纪要")
    await w.send(cast.user("李红梅"), "错情 会议纪要报送不及时", cast.group_of("周婷"),
                 at=at(day, 21, 30), reply_to=late)  # fmt: skip


async def _day3(cast: Cast, day: date) -> None:
    await _routine(cast, day, ["杨帆", "黄磊", "周婷", "陈静", "李红梅"])
    cast.world.out.say("  （赵丽 今天忘了报）")
    await cast.world.send(cast.user("黄磊"), "点赞 @杨帆 帮我改材料", at=at(day, 18, 0))


async def _day4(cast: Cast, day: date) -> None:
    w = cast.world
    yesterday = day - timedelta(days=1)
    await w.send(cast.user("赵丽"), f"/daily {yesterday.month}-{yesterday.day} 补：整理文书档案",
                 at=at(day, 8, 40))  # fmt: skip
    await _routine(cast, day, ["赵丽", "周婷", "陈静", "李红梅"])
    photo = [PhotoSize(file_id="demo-photo", file_unique_id="p1", width=1280, height=960)]
    await w.send(
        cast.user("杨帆"), None, at=at(day, 15, 30), photo=photo, caption="端午节前安全检查现场"
    )
    sticker = Sticker(file_id="st", file_unique_id="st", type="regular", width=1, height=1,
                      is_animated=False, is_video=False)  # fmt: skip
    await w.send(cast.user("黄磊"), None, at=at(day, 16, 0), sticker=sticker)
    await w.send(cast.user("黄磊"), "/daily 修订固定资产管理办法", at=at(day, 16, 5))
    group = cast.group_of("赵丽")
    await w.send(cast.user("陈静"), "错情 重 @赵丽 档案装订顺序有误", group, at=at(day, 17, 0))
    await w.send(cast.user("陈静"), "/undo", group, at=at(day, 17, 2))
    await w.send(cast.user("陈静"), "错情 @赵丽 档案装订顺序有误，已当面指出", group,
                 at=at(day, 17, 3))  # fmt: skip


async def _day5(cast: Cast, day: date) -> None:
    w = cast.world
    await _routine(cast, day, ["杨帆", "赵丽", "黄磊", "周婷", "陈静", "李红梅"])
    await w.send(cast.user("杨帆"), "/weekly", at=at(day, 17, 0))
    offer = _last_bot_message(cast, cast.user("杨帆").id)
    await w.press(cast.user("杨帆"), offer, at=at(day, 17, 1))
    late = _echo_of_text(cast, "周婷", "完成会议纪要")
    pifu = "会议纪要要在会后两天内报出，下次注意时效"
    await w.send(
        cast.user("李红梅"), pifu, cast.group_of("周婷"), at=at(day, 17, 30), reply_to=late
    )
    monday = day + timedelta(days=3)
    tuesday = monday + timedelta(days=1)
    await w.send(cast.user("黄磊"),
                 f"/leave {monday.month}-{monday.day} {tuesday.month}-{tuesday.day} 出差 省局培训",
                 at=at(day, 17, 40))  # fmt: skip
    chief = cast.user("王建国")
    await w.send(chief, "点赞 @张伟 牵头完成节前食品安全专项检查", at=at(day, 18, 0))
    await w.press(chief, _last_bot_message(cast, chief.id), at=at(day, 18, 1), row=1)


def _echo_of_text(cast: Cast, name: str, fragment: str) -> Message:
    session = cast.world.session
    group_id = cast.group_of(name).id
    for request, result in zip(session.requests, session.results, strict=True):
        text = getattr(request, "text", None) or ""
        if getattr(request, "chat_id", None) == group_id and name in text and fragment in text:
            return result  # type: ignore[no-any-return]
    raise LookupError(fragment)


async def _week2(cast: Cast, day: date) -> None:
    names = ["杨帆", "赵丽", "周婷", "陈静", "李红梅"]
    if day.weekday() >= 2:
        names.append("黄磊")  # back from the trip
    await _routine(cast, day, names)
    if day.weekday() == 2:
        await cast.world.send(cast.user("杨帆"), "/status", at=at(day, 19, 0))


async def _day10(cast: Cast, day: date) -> None:
    from bot.demo_tasks import close_tasks  # (it imports this module)

    w = cast.world
    await _week2(cast, day)
    await close_tasks(cast, day, until=16)  # progress on the tasks due today
    await w.send(cast.user("杨帆"), "/weekly 本周完成企业走访 12 家，整改 3 家", at=at(day, 17, 0))
    await close_tasks(cast, day, until=24)  # done, sent back, accepted
    await w.send(cast.user("杨帆"), "/records", at=at(day, 20, 20))
    await w.send(cast.user("陈静"), "/stats", at=at(day, 20, 30))
    await w.send(cast.user("李红梅"), "/stats", at=at(day, 20, 35))
    await w.send(cast.user("周敏"), "/stats", at=at(day, 20, 40))
    # right after the weekly pictures, at the same moment: the same figures
    await w.send(cast.user("杨帆"), "/me", at=at(day, 21, 0))
    me = cast.user("杨帆")
    await w.press(me, _last_bot_message(cast, me.id), at=at(day, 21, 0))  # 查看明细
    await w.send(cast.user("陈静"), "/rank", at=at(day, 21, 0))
    await w.send(cast.user("周敏"), "/rank", at=at(day, 21, 0))


STORY = {0: _day1, 1: _day2, 2: _day3, 3: _day4, 4: _day5, 5: _week2, 6: _week2, 7: _week2,
         8: _week2, 9: _day10}  # fmt: skip
