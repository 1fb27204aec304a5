"""Demo scene: indicators and tasks (一人一表, 动态指标 / 督办; issue 9).

Before the fortnight: the 考核办 imports the indicator sheet (`bot/data/demo_indicators.csv`)
for the sample unit; 办公室's head 陈静 and its supervisor 李红梅 assign tasks in the group,
and 杨帆 acknowledges by replying to the task message. One task (黄磊's) is due mid-way and
never done: the fortnight's jobs warn about it (动态预警) and the weekly digest lists it.
After the fortnight: progress, done, acceptance with ratings (one sent back first), and
the indicator component as it stands in the quarter's results.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import select

from bot.cli_indicators import import_indicators
from bot.demo_reports import at
from bot.scores import quarter_results
from core.quarter import Quarter
from core.scoring import explain
from storage.tables import ChatGroup, Department, Person

if TYPE_CHECKING:
    from bot.demo import DemoWorld
    from bot.demo_reports import Cast

OPEN_DAY = date(2026, 6, 1)
CLOSE_DAY = date(2026, 6, 12)
OFFICE = "办公室"


def indicators_path() -> Path:
    """The demo's indicator sheet."""
    return Path(str(resources.files("bot") / "data" / "demo_indicators.csv"))


async def _people(sessionmaker: Any) -> tuple[dict[str, Person], Any]:
    async with sessionmaker() as session:
        found = {p.name: p for p in (await session.exec(select(Person))).all()}
        office = (
            await session.exec(
                select(ChatGroup)
                .join(Department, Department.id == ChatGroup.department_id)  # type: ignore[arg-type]
                .where(Department.name == OFFICE)
            )
        ).first()
    return found, office


async def scene_tasks_open(world: DemoWorld, sessionmaker: Any) -> None:
    """Indicators imported; tasks assigned in the 办公室 group."""
    out = world.out
    out.say("\n【指标与任务】考核办导入一人一表（kaohe import-indicators 指标.csv）")
    async with sessionmaker() as session:
        _, text = await import_indicators(
            session, path=indicators_path(), year=OPEN_DAY.year, actor="考核办（演示）"
        )
    out.say(f"  {text}")
    people, office = await _people(sessionmaker)
    group = world.factory.group(office.chat_id, f"{OFFICE}群")
    head, supervisor = world.user_for(people["陈静"]), world.user_for(people["李红梅"])
    yang = world.user_for(people["杨帆"])
    await world.send(head, "/task 杨帆 起草上半年工作总结 指标 K102 截止 06-12", group,
                     at=at(OPEN_DAY, 8, 40))  # fmt: skip
    notice = world.session.last_message(yang.id)
    await world.send(yang, "收到，今天列提纲", at=at(OPEN_DAY, 8, 45), reply_to=notice)
    await world.send(supervisor, "/task 赵丽 整理迎检档案 截止 06-12", group,
                     at=at(OPEN_DAY, 9, 0))  # fmt: skip
    await world.send(head, "/task 黄磊 报送五月政务信息 截止 06-04", group, at=at(OPEN_DAY, 9, 5))
    await world.send(world.user_for(people["赵丽"]), "/task 黄磊 帮我复印材料 截止 06-02",
                     group, at=at(OPEN_DAY, 9, 10))  # fmt: skip


async def close_tasks(cast: Cast, day: date, *, until: int) -> None:
    """On the tasks' due day, within the fortnight's timeline: progress (before `until`
    16 h), then done, sent back once, and accepted with ratings."""
    world = cast.world
    head, supervisor = cast.user("陈静"), cast.user("李红梅")
    yang, zhao = cast.user("杨帆"), cast.user("赵丽")
    if until <= 16:
        world.out.say("  （任务办结与验收）")
        await world.send(yang, "/progress 1 初稿已完成，正在征求各科室意见", at=at(day, 16, 0))
        return
    await world.send(yang, "/done 1 总结已定稿报送", at=at(day, 17, 30))
    await world.press(head, world.session.last_message(head.id), at=at(day, 18, 0),
                      row=0, col=1)  # 良  # fmt: skip
    await world.send(zhao, "/done 2", at=at(day, 18, 10))
    await world.send(supervisor, "/return 2 缺少目录清单", at=at(day, 18, 20))
    await world.send(zhao, "/done 2 已补目录清单", at=at(day, 19, 0))
    await world.send(supervisor, "/accept 2 优", at=at(day, 19, 10))
    await world.send(head, "/stats", at=at(day, 19, 20))


async def scene_tasks_close(world: DemoWorld, sessionmaker: Any) -> None:
    """The indicator component as it stands in the quarter's results after the fortnight
    (the tasks were closed on their due day, in the fortnight's timeline: `close_tasks`)."""
    out = world.out
    out.say("\n【指标完成（季度结果中的一项）】")
    now = at(CLOSE_DAY, 21, 0)
    async with sessionmaker() as session:
        result, _ = await quarter_results(
            session, policy=world.dp["policy"], calendar=world.dp["calendar"],
            quarter=Quarter.of(CLOSE_DAY), now=now.astimezone(world.dp["zone"]),
        )  # fmt: skip
    for name in ("杨帆", "赵丽", "黄磊"):
        person = next(p for p in result.people if p.name == name)
        lines = explain(person)
        start = next((i for i, line in enumerate(lines) if line.startswith("· 指标完成")), None)
        if start is None:
            continue
        out.say(f"  {name}：{person.score}分")
        out.say(f"    {lines[start]}")
        for line in lines[start + 1 :]:
            if not line.startswith("    – "):
                break
            out.say(f"    {line}")
