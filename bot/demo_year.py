"""Demo scene: 公示, 申辩, 复核 and the year (issue 19).

During the 公示 of 2026Q2: 陈静 issues a 错情, the person objects (「申辩 …」 in reply to
the notice) and 陈静 voids it; a person graded 较好 asks for 复核 (/appeal) and the 考核办
changes the grade (/decide … 变更); `results_final` ends the 公示. Then Q3 and Q4 are
simulated straight into the database (the only shortcut: their published results are
made from Q2's with a seeded random drift), `annual_close` sends the 年度考核, a person
looks at /annual, and the 考核办's incentive pool of 500000.00 元 is split
(`<dir>/激励资金分配-2026.xlsx`).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from bot.annual import annual_view
from bot.annual_export import pool_workbook
from bot.demo_quarter import QUARTER, run_quarter_jobs
from bot.demo_reports import at
from bot.pool import pool_json
from core import jobs as core
from core.incentive import split_annual_pool
from core.quarter import Quarter
from core.quarter_end import window
from storage import results
from storage.people import department_names, get_unit
from storage.tables import Person

if TYPE_CHECKING:
    from bot.demo import DemoWorld

YEAR = 2026
POOL_FEN = 50_000_000  # 500000.00 元


async def _people(sessionmaker: Any) -> dict[str, Person]:
    async with sessionmaker() as session:
        rows = await session.exec(select(Person).order_by(col(Person.roster_order)))
        found: dict[str, Person] = {}
        for person in rows.all():
            found.setdefault(person.name, person)
        return found


async def scene_publicity(world: DemoWorld, sessionmaker: Any) -> None:
    """The 公示 of Q2 on its first day, with a 申辩 and a 复核 (module docstring); called
    by the quarter's scene on the results day, so that the transcript runs in time order."""
    policy, calendar = world.dp["policy"], world.dp["calendar"]
    dates = window(policy, calendar, QUARTER)
    roster = await _people(sessionmaker)
    head, admin = world.user_for(roster["陈静"]), world.user_for(roster["周敏"])
    day = dates.results
    world.out.say(f"\n【公示：{QUARTER.label}，至{dates.publicity_end:%m-%d}】")

    # 申辩: a 错情 in the 公示 days, objected to in reply to its notice, voided by its issuer.
    zhao = world.user_for(roster["赵丽"])
    await world.send(head, "错情 @赵丽 值班记录不全", at=at(day, 10))
    notice = world.session.last_message(zhao.id)
    await world.send(zhao, "申辩 值班记录已于当天补齐，附登记表", at=at(day, 11), reply_to=notice)
    await world.send(head, "/objection 1 撤销 核实已补齐", at=at(day, 14))

    # 复核: someone graded 较好 asks; the 考核办 lists, then changes the grade.
    async with sessionmaker() as session:
        unit = await get_unit(session)
        assert unit is not None and unit.id is not None
        snapshot = await results.published(session, unit_id=unit.id, quarter=QUARTER)
    assert snapshot is not None
    asker = next(
        (p for p in snapshot.people if p["grade"] == "fairly_good" and p["name"] in roster),
        snapshot.people[0],
    )
    user = world.user_for(roster[asker["name"]])
    await world.send(user, "/appeal 本季度牵头完成专项整治，申报实绩未计入", at=at(day, 15))
    await world.send(admin, "/appeals", at=at(day, 16))
    await world.send(admin, "/decide 1 变更 好 专项整治实绩属实，予以变更", at=at(day, 17))


async def scene_final(world: DemoWorld, sessionmaker: Any) -> None:
    """The 公示 ends: the results are final (its day, after the talks have begun)."""
    dates = window(world.dp["policy"], world.dp["calendar"], QUARTER)
    await run_quarter_jobs(world, sessionmaker, dates.final, only={core.Job.RESULTS_FINAL})


async def scene_year(world: DemoWorld, sessionmaker: Any, directory: Path) -> None:
    """Q3–Q4 and the year (module docstring)."""
    policy, calendar = world.dp["policy"], world.dp["calendar"]
    roster = await _people(sessionmaker)
    async with sessionmaker() as session:
        unit = await get_unit(session)
        assert unit is not None and unit.id is not None
    world.out.say("\n【第三、四季度（模拟，直接写入数据库）】")
    await _simulate_quarters(sessionmaker, unit.id)
    world.out.say("  2026年第3季度、第4季度结果已公布并公示期满。")

    q4 = window(policy, calendar, Quarter(YEAR, 4))
    world.out.say(f"\n【年度考核：{YEAR}年】")
    await run_quarter_jobs(world, sessionmaker, q4.final, only={core.Job.ANNUAL_CLOSE})
    await world.send(world.user_for(roster["杨帆"]), "/annual", at=at(q4.final, 10))
    await _pool(world, sessionmaker, unit.id, directory, at(q4.final, 11))


async def _simulate_quarters(sessionmaker: Any, unit_id: int) -> None:
    """Q3 and Q4 from Q2's published results, with a seeded random drift."""
    rng = random.Random(19)
    async with sessionmaker() as session:
        base = await results.published(session, unit_id=unit_id, quarter=QUARTER)
        assert base is not None
        for number in (3, 4):
            quarter = Quarter(YEAR, number)
            rows = []
            for p in base.people:
                row = dict(p)
                score = max(0.0, min(100.0, float(p["score"]) + rng.uniform(-4, 4)))
                row["score"] = round(score, 2)
                rows.append(row)
            for group in {r["group"] for r in rows}:
                members = sorted((r for r in rows if r["group"] == group),
                                 key=lambda r: -r["score"])  # fmt: skip
                good = int(0.4 * len(members))
                for rank, r in enumerate(members, 1):
                    grade = "good" if rank <= good else (
                        "fairly_good" if r["score"] >= 70 else "average")  # fmt: skip
                    r.update(rank=rank, group_size=len(members), grade=grade, vetoes=[],
                             grade_label={"good": "好", "fairly_good": "较好",
                                          "average": "一般"}[grade],
                             explain=[f"{r['name']}：{r['score']:.2f}分（模拟）"],
                             revision=None, undetermined=False)  # fmt: skip
            published_at = datetime.combine(quarter.end, datetime.min.time(), tzinfo=UTC)
            await results.publish(
                session, unit_id=unit_id, quarter=quarter, policy=base.quarter.policy,
                start=quarter.start, end=quarter.end, data=dict(base.quarter.data),
                people=rows, now=published_at,
            )  # fmt: skip
            await results.make_final(session, unit_id=unit_id, quarter=quarter, now=published_at)
        await session.commit()


async def _pool(
    world: DemoWorld, sessionmaker: Any, unit_id: int, directory: Path, now: datetime
) -> None:
    """The 考核办 splits the year's incentive pool (as `kaohe pool` does)."""
    policy, calendar = world.dp["policy"], world.dp["calendar"]
    async with sessionmaker() as session:
        local = now.astimezone(world.dp["zone"])
        view = await annual_view(session, policy=policy, calendar=calendar, year=YEAR, now=local)
        names = await department_names(session, unit_id=unit_id)
    split = split_annual_pool(policy, view.result, POOL_FEN)
    data = pool_json(
        split, policy=policy, period=str(YEAR), names=names,
        people={p.person_id: p.name for p in view.result.people},
        grade_labels={p.person_id: p.grade.label for p in view.result.people},
    )  # fmt: skip
    path = directory / f"激励资金分配-{YEAR}.xlsx"
    title = f"{YEAR}年度 激励资金分配表（资金总额 {data['pool']} 元）"
    path.write_bytes(pool_workbook(data, title=title))
    out = world.out
    out.say(f"\n【激励资金分配：{YEAR}年度，资金总额 {data['pool']} 元】")
    for d in data["departments"][:3]:
        out.say(f"  {d['name']}（{d['headcount']}人）{d['amount']} 元")
    top = sorted(data["people"], key=lambda p: -p["amount_fen"])[:3]
    for p in top:
        out.say(f"  {p['name']} {p['grade_label']} {p['amount']} 元：{p['explain']}")
    out.say(f"  合计 {data['distributed']} 元（与资金总额相符）")
    out.say(f"  {data['rounding']}")
    out.say(f"  （分配表：{path.name}）")
