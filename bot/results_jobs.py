"""Quarter-end jobs of published results (DESIGN §6): `quarter_close` and `talk_remind`.

`quarter_close` runs on the results day of a quarter's window (core.quarter_end): it
scores the quarter (final: the quarter is over), stores the snapshot once (a re-run, a
second instance or a catch-up reuses it, so everyone is told the same figures), and
posts: the grade distribution chart, 绩效之星 and 流动红旗, and the 实绩公示 (declared
achievements of those graded 好) to the unit group; each person their own result with the
breakdown, privately. The sender sends each (job, day, target) once.

`talk_remind` reminds the answerable leaders (core.talks) of mandatory talks not yet
recorded, every working day from the talks' due date until the next declaration opens.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlmodel.ext.asyncio.session import AsyncSession

import charts
from bot import texts
from bot.handlers.scores import result_detail_button
from bot.jobs import Plan, World
from bot.results import QuarterView, compute, grade_of, needs_talk, published_view
from bot.sender import Outgoing
from core import jobs as core
from core.grades import GRADE_ORDER, Grade
from core.jobs import Job
from core.quarter import Quarter
from core.quarter_end import QuarterEndWindow, windows_around
from core.reports import short_date
from core.talks import outstanding_talks
from storage import jobs as job_store
from storage import results as store
from storage.declarations import declared_items
from storage.facts import scored_people
from storage.people import get_unit

if TYPE_CHECKING:
    from bot.jobs import Jobs

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 3800  # under Telegram's 4096, with room for the header


def _results_window(jobs: Jobs, day: date) -> QuarterEndWindow | None:
    """The quarter-end window whose results day is `day`, if any."""
    before, current = windows_around(jobs.policy, jobs.calendar, day)
    return next((w for w in (before, current) if w.results == day), None)


async def plan_quarter_close(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Publish the quarter whose results are due on `day` (see the module docstring)."""
    window = _results_window(jobs, day)
    if window is None:
        return Plan()
    quarter = window.quarter
    snapshot = await store.published(session, unit_id=world.unit_id, quarter=quarter)
    if snapshot is not None:
        view = published_view(snapshot)
    else:
        now = core.fire_at(Job.QUARTER_CLOSE, jobs.policy, day, jobs.zone)
        view = await compute(
            session, policy=jobs.policy, calendar=jobs.calendar, quarter=quarter, now=now
        )
        if view.provisional:  # cannot happen after the quarter ended; never publish 暂定
            return Plan()
        if record:
            _row, created = await store.publish(
                session, unit_id=world.unit_id, quarter=quarter, policy=view.policy,
                start=view.start, end=view.end, data=view.snapshot_data(), people=view.people,
                now=jobs.clock(),
            )  # fmt: skip
            if not created:  # another instance published first: tell what it stored
                stored = await store.published(session, unit_id=world.unit_id, quarter=quarter)
                view = published_view(stored) if stored is not None else view
    messages: list[Outgoing] = []
    _departments, unit_chat = await job_store.groups(session, unit_id=world.unit_id)
    if unit_chat is None:
        log.warning("quarter_close %s: no unit group is bound", quarter)
    else:
        messages += await _unit_posts(session, view, day, unit_chat, jobs.policy.privacy.min_group)
    until = short_date(window.publicity_end) if jobs.policy.quarter_end.publicity_days else None
    if unit_chat is not None and until is not None:
        messages.append(
            Outgoing(Job.QUARTER_CLOSE.value, day, "unit:publicity", unit_chat,
                     texts.publicity_unit(quarter=quarter.label, until=until), label="全单位群")
        )  # fmt: skip
    for person in view.people:
        text = texts.result_private(
            quarter=quarter.label,
            lines=_summary(person),
            needs_talk=needs_talk(person),
        )
        if until is not None:
            text += "\n" + texts.publicity_private(until=until)
        message = jobs.private(world, Job.QUARTER_CLOSE, day, person["person_id"], text)
        if message is not None:
            messages.append(_with_detail(message, quarter, person))
    messages += await _open_objections(jobs, session, world, day, quarter)
    return Plan(messages)


async def _open_objections(
    jobs: Jobs, session: AsyncSession, world: World, day: date, quarter: Quarter
) -> list[Outgoing]:
    """At 公示, the 考核办 is told of the quarter's 申辩 still open (issue 19)."""
    from core.people import Role
    from storage.objections import open_in_period

    rows = await open_in_period(
        session, unit_id=world.unit_id, start=quarter.start, end=quarter.end
    )
    if not rows:
        return []
    lines = [
        f"#{o.id} {world.name(r.person_id)}：{r.reason}（记录 #{r.id}）——申辩：{o.reason}"
        for o, r in rows
    ]
    text = texts.objections_open(quarter.label, lines)
    admins = [p.id for p in world.people() if p.has(Role.ADMIN)]
    out = [
        jobs.private(world, Job.QUARTER_CLOSE, day, pid, text, target=f"objections:{pid}")
        for pid in admins
    ]
    return [m for m in out if m is not None]


async def _unit_posts(
    session: AsyncSession, view: QuarterView, day: date, chat_id: int, min_group: int
) -> list[Outgoing]:
    """The chart, the honours and the 实绩公示 for the unit group."""
    quarter = view.quarter
    unit = await get_unit(session)
    counts = view.grade_counts()
    rows, note = charts.publishable(
        [
            charts.GradeRow.of(
                view.department_name(d["department_id"]), counts[d["department_id"]]
            )
            for d in view.departments
            if d["department_id"] in counts
        ],
        min_group,
    )  # a small department's grades would identify its people (issue 22)
    chart = charts.GradeDistribution(unit.name if unit else "", quarter.label, rows, False, note)
    png = await asyncio.to_thread(charts.render_grades, chart)
    totals = [(g.label, sum(c[g] for c in counts.values())) for g in GRADE_ORDER]

    def post(target: str, text: str, photo: bytes | None = None) -> Outgoing:
        return Outgoing(
            Job.QUARTER_CLOSE.value, day, target, chat_id, text, label="全单位群", photo=photo
        )

    posts = [post("unit:grades", texts.results_grades_caption(quarter=quarter.label,
                                                              counts=totals), png)]  # fmt: skip
    stars = [
        (p["group"], p["name"], p["department"], _score(p["score"]))
        for p in view.people
        if p["star"]
    ]
    flags = [(d["name"], _score(d["score"])) for d in view.red_flags]
    posts.append(
        post("unit:honours", texts.results_honours(quarter=quarter.label, stars=stars,
                                                   flags=flags))
    )  # fmt: skip
    for part, text in enumerate(await _showcase(session, view), start=1):
        posts.append(post(f"unit:showcase:{part}", text))
    return posts


async def _showcase(session: AsyncSession, view: QuarterView) -> list[str]:
    """实绩公示: the submitted declarations of people graded 好, split to fit messages."""
    good = [p for p in view.people if p["grade"] == Grade.GOOD.value]
    quarter = view.quarter.label
    if not good:
        return [f"{texts.showcase_header(quarter, 1, 1)}\n{texts.SHOWCASE_NOBODY}"]
    items = await declared_items(
        session,
        unit_id=view.unit_id,
        quarter=view.quarter,
        person_ids=[p["person_id"] for p in good],
        submitted_only=True,
    )
    blocks = [
        texts.showcase_person(
            p["name"], p["department"], [(i.text, i.source.label) for i in items[p["person_id"]]]
        )
        for p in good
        if p["person_id"] in items
    ]
    silent = [p["name"] for p in good if p["person_id"] not in items]
    if silent:
        blocks.append(texts.showcase_silent(silent))
    parts: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        if parts[-1] and size + len(block) > MESSAGE_LIMIT:
            parts.append([])
            size = 0
        parts[-1].append(block[:MESSAGE_LIMIT])
        size += len(block) + 1
    return [
        f"{texts.showcase_header(quarter, n, len(parts))}\n" + "\n".join(part)
        for n, part in enumerate(parts, start=1)
    ]


def _score(value: Any) -> str:
    return f"{float(value):.2f}"


async def plan_talk_remind(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Remind leaders of the mandatory talks of the last published quarter not yet held."""
    window, _current = windows_around(jobs.policy, jobs.calendar, day)  # talks: last quarter
    quarter: Quarter = window.quarter
    snapshot = await store.published(session, unit_id=world.unit_id, quarter=quarter)
    if snapshot is None:
        return Plan()
    grades = {p["person_id"]: g for p in snapshot.people if (g := grade_of(p)) is not None}
    done = {t.person_id for t in await store.talks(session, unit_id=world.unit_id,
                                                   quarter=quarter)}  # fmt: skip
    people = await scored_people(session, unit_id=world.unit_id)
    messages = []
    for due in outstanding_talks(people, grades, done):
        text = texts.talk_remind(
            quarter=quarter.label,
            due=short_date(window.talks_due),
            names=[world.name(pid) for pid in due.person_ids],
            overdue=day > window.talks_due,
        )
        message = jobs.private(world, Job.TALK_REMIND, day, due.leader_id, text)
        if message is not None:
            messages.append(message)
    return Plan(messages)


async def plan_results_final(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """The end of 公示: the quarter's results are final; each person their final result."""
    before, current = windows_around(jobs.policy, jobs.calendar, day)
    window = next((w for w in (before, current) if w.final == day), None)
    if window is None:
        return Plan()
    snapshot = await store.published(session, unit_id=world.unit_id, quarter=window.quarter)
    if snapshot is None:
        return Plan()  # never published (quarter_close did not run): nothing to make final
    if record:
        await store.make_final(
            session, unit_id=world.unit_id, quarter=window.quarter, now=jobs.clock()
        )
    label = window.quarter.label
    messages = [
        jobs.private(world, Job.RESULTS_FINAL, day, p["person_id"],
                     texts.result_final_private(quarter=label, lines=_summary(p),
                                                revised=p.get("revision")))
        for p in snapshot.people
    ]  # fmt: skip
    return Plan([
        _with_detail(m, window.quarter, p)
        for m, p in zip(messages, snapshot.people, strict=True) if m is not None
    ])  # fmt: skip


def _summary(person: dict[str, Any]) -> list[str]:
    """The private result's lines: the short summary (core.standing); the full explanation
    when the result was changed by 复核 or was published before summaries were kept."""
    if person.get("revision") or not person.get("summary"):
        return list(person["explain"])
    return list(person["summary"])


def _with_detail(message: Outgoing, quarter: Quarter, person: dict[str, Any]) -> Outgoing:
    """A private result with the 「查看明细」 button, when it shows a summary."""
    if _summary(person) == list(person["explain"]):
        return message
    return replace(message, buttons=result_detail_button(quarter, person["person_id"]))


PLANNERS = {
    Job.RESULTS_FINAL: plan_results_final,
    Job.QUARTER_CLOSE: plan_quarter_close,
    Job.TALK_REMIND: plan_talk_remind,
}
