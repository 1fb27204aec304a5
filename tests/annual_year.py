"""A published 2026 straight into the database (set-up for the 年度考核 and pool tests).

Every active person is scored in each quarter; within each category the scores fall by
0.5 per roster place from 95, except that 杨帆 and 赵丽 lead the 一般工作人员 (98 and 97,
好 every quarter). 好 goes to the top 40% of each group, the rest 较好; 黄磊 has a veto in
Q3 (较差).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from core.quarter import Quarter
from storage import results
from storage.facts import scored_people
from storage.people import department_names, get_unit

LEADERS = {"杨帆": 98.0, "赵丽": 97.0}


async def publish_year(
    sessionmaker: async_sessionmaker[AsyncSession],
    year: int = 2026,
    quarters: int = 4,
    *,
    final: bool = True,
) -> None:
    """Publish Q1..Q`quarters` of `year` (and end their 公示 if `final`)."""
    async with sessionmaker() as session:
        unit = await get_unit(session)
        assert unit is not None and unit.id is not None
        people = await scored_people(session, unit_id=unit.id)
        names = await department_names(session, unit_id=unit.id)
        for number in range(1, quarters + 1):
            quarter = Quarter(year, number)
            rows: list[dict[str, Any]] = []
            for category in dict.fromkeys(p.category for p in people):
                group = [p for p in people if p.category == category]
                group.sort(key=lambda p: (p.name not in LEADERS, -LEADERS.get(p.name, 0)))
                good = int(0.4 * len(group))
                for rank, p in enumerate(group, 1):
                    score = LEADERS.get(p.name, 95.0 - 0.5 * rank)
                    veto = p.name == "黄磊" and number == 3
                    grade = "poor" if veto else ("good" if rank <= good else "fairly_good")
                    rows.append(
                        {
                            "person_id": p.id, "name": p.name, "department_id": p.department_id,
                            "department": names[p.department_id], "category": category,
                            "group": category, "score": score, "rank": rank,
                            "group_size": len(group), "grade": grade,
                            "grade_label": {"good": "好", "fairly_good": "较好",
                                            "poor": "较差"}[grade],
                            "grade_reason": "", "vetoes": ["违纪违法"] if veto else [],
                            "caps": [], "likes": 0, "errors": 0, "explain": [], "star": False,
                            "roster_position": people.index(p),
                        }
                    )  # fmt: skip
            departments = [
                {"department_id": d, "name": n, "score": 90.0 - i, "rank": i + 1,
                 "red_flag": i == 0, "members": 0}
                for i, (d, n) in enumerate(names.items())
            ]  # fmt: skip
            await results.publish(
                session, unit_id=unit.id, quarter=quarter, policy="standard",
                start=quarter.start, end=quarter.end, data={"departments": departments},
                people=rows, now=datetime(year, 12, 31, tzinfo=UTC),
            )  # fmt: skip
            if final:
                at = datetime(year, 12, 31, tzinfo=UTC)
                await results.make_final(session, unit_id=unit.id, quarter=quarter, now=at)
        await session.commit()
