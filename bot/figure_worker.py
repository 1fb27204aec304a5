"""The figures worker (issue 21): /me and /rank computed and drawn off the event loop.

Runs in a worker process of `bot.figures` (or its one thread when KAOHE_FIGURE_WORKERS=0),
with its own event loop and its own engine per database URL, so nothing here runs on the
bot's event loop. Each worker keeps the standings it computed: per (unit, period start,
day, provisional, policy) the scores of everyone — and, for the latest few, the whole
result with its breakdowns — tagged with the change generation they were computed at
(storage/changes.py) and when their reading began. A standing serves a request when no
change that can reach its day came since (`version`), or when it was read after the
request arrived (then it holds every write the request could have seen). So the trend's
past weeks are reads, and a crowd asking at once shares one computation.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import os
import pickle
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

import charts
from bot import pictures, texts
from bot.export import Export, build_export
from bot.scores import counted_until, period_start, scored_quarter
from core.calendar import WorkCalendar
from core.people import Role
from core.policy import Policy
from core.quarter import Quarter
from core.ratings import live, ratings_closed
from core.reports import figures, short_date
from core.rounding import dec
from core.scoring import QuarterResult, explain, score_quarter
from core.standing import standing as good_line
from core.standing import summary
from storage import db
from storage import people as people_store
from storage import reports as report_store
from storage.changes import Snapshot
from storage.facts import Gathered, gather
from storage.people import get_unit

MAX_WEEKS = 14
FULL_KEPT = 4  # whole results (with breakdowns) kept; older standings keep only scores
KEPT = 256  # standings kept at all (a quarter has ~90 days; a few units, policies)
TOP = 30
SHARED_LIVE = 10.0  # seconds a standing of today or yesterday serves, on a shared database
SHARED_PAST = 600.0  # and one of an earlier day


@dataclass(frozen=True, slots=True)
class Ask:
    """Who asks, when, against which database, and the changes known at arrival."""

    url: str
    policy: Policy
    calendar: WorkCalendar
    now: datetime
    changes: Snapshot
    arrived: float  # time.monotonic() when the request reached the bot (system-wide)
    shared: bool = False  # PostgreSQL: other instances may write that this one never sees


@dataclass(frozen=True, slots=True)
class MeAnswer:
    """/me: the header and summary text (None: no score yet), the trend picture, and the
    full explanation the 「查看明细」 button sends."""

    header: str
    text: str | None
    png: bytes | None
    starts: date | None = None  # in the result, but no deadline passed since this day
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Out:
    """One message to send: a text, or a picture with `text` as its caption."""

    text: str
    png: bytes | None = None


@dataclass(slots=True)
class _Standing:
    version: int
    read_at: float
    scores: dict[int, float]
    period: str
    provisional: bool
    full: tuple[QuarterResult, Gathered] | None = field(default=None)


@dataclass(slots=True)
class _State:
    loop: asyncio.AbstractEventLoop | None = None
    engines: dict[str, async_sessionmaker[AsyncSession]] = field(default_factory=dict)
    standings: OrderedDict[tuple[Any, ...], _Standing] = field(default_factory=OrderedDict)
    policy_key: tuple[Ask | None, str] = (None, "")
    computed: int = 0  # standings computed (for tests and benchmarks)


STATE = _State()


def init() -> None:
    """Worker start-up: its own event loop; matplotlib's Agg backend is charts' default."""
    STATE.loop = asyncio.new_event_loop()
    asyncio.set_event_loop(STATE.loop)
    # engines of an earlier loop (a pool stopped and started again in one process) hold
    # connections bound to that loop: start afresh
    STATE.engines.clear()
    STATE.standings.clear()


NICE = 10  # a worker process yields the CPU to the bot's own (acknowledgements first)


def init_process() -> None:
    """Worker process start-up: a lower CPU priority, then `init`."""
    with contextlib.suppress(OSError):
        os.nice(NICE)
    init()
    gc.collect()  # as `kaohe run` does (bot.runtime.settle_memory): what start-up built
    gc.freeze()  # is never walked again by the collector


def me(ask: Ask, person_id: int, trend: bool = True) -> MeAnswer:
    """/me for one person (run in the worker); without the trend picture for the
    「查看明细」 button."""
    return _run(_me(ask, person_id, trend))


def rank(ask: Ask, request: RankAsk) -> list[Out]:
    """/rank (run in the worker)."""
    return _run(_rank(ask, request))


def export(ask: Ask, quarter: str) -> Export | None:
    """The quarter's workbook (run in the worker); None when no roster was imported."""
    return _run(_export(ask, Quarter.parse(quarter)))


async def _export(ask: Ask, quarter: Quarter) -> Export | None:
    async with _sessionmaker(ask.url)() as session:
        try:
            return await build_export(
                session, policy=ask.policy, calendar=ask.calendar, quarter=quarter, now=ask.now
            )
        except LookupError:
            return None


def computed() -> int:
    """How many standings this worker computed so far."""
    return STATE.computed


def _run(coro: Any) -> Any:
    if STATE.loop is None:
        init()
    assert STATE.loop is not None
    return STATE.loop.run_until_complete(coro)


def _sessionmaker(url: str) -> async_sessionmaker[AsyncSession]:
    found = STATE.engines.get(url)
    if found is None:
        found = STATE.engines[url] = db.make_sessionmaker(db.make_engine(url))
    return found


def _policy_key(ask: Ask) -> str:
    """A digest of the policy and calendar (computed once per question)."""
    if STATE.policy_key[0] is not ask:  # the question is held, so it is this one
        blob = pickle.dumps((ask.policy, ask.calendar))
        STATE.policy_key = (ask, hashlib.blake2b(blob, digest_size=12).hexdigest())
    return STATE.policy_key[1]


async def standing(
    session: AsyncSession,
    ask: Ask,
    *,
    unit_id: int,
    quarter: Quarter,
    start: date,
    end: date,
    provisional: bool,
    full: bool,
) -> _Standing:
    """The standing at `end` of the period from `start`: kept, or computed now."""
    # anonymous rating kinds count only once the rating window has closed (issue 16)
    closed = ratings_closed(ask.policy, ask.calendar, quarter, ask.now)
    key = (ask.url, unit_id, start, end, provisional, closed, _policy_key(ask))
    version = ask.changes.version(end)
    kept = STATE.standings.get(key)
    fresh = kept is not None and (
        (kept.version >= version and not _expired(ask, kept, end)) or kept.read_at >= ask.arrived
    )
    if kept is not None and fresh and (kept.full is not None or not full):
        STATE.standings.move_to_end(key)
        return kept
    read_at = time.monotonic()
    await session.rollback()  # a fresh read: everything committed before `read_at`
    gathered = await gather(
        session, unit_id=unit_id, start=start, end=end, calendar=ask.calendar,
        period=str(quarter), tasks=ask.policy.tasks,
    )  # fmt: skip
    facts = replace(gathered.facts, ratings=live(gathered.facts.ratings, closed=closed))
    gathered = replace(gathered, facts=facts)
    result = score_quarter(ask.policy, gathered.people, gathered.facts, provisional=provisional)
    STATE.computed += 1
    scores = {p.person_id: float(p.score) for p in result.people}
    made = _Standing(version, read_at, scores, result.period, result.provisional)
    made.full = (result, gathered)
    STATE.standings[key] = made
    STATE.standings.move_to_end(key)
    _trim()
    return made


def _expired(ask: Ask, kept: _Standing, end: date) -> bool:
    """With a shared database, another instance's writes reach this one's standings only
    by age: `SHARED_LIVE` seconds for the last two days, `SHARED_PAST` before."""
    if not ask.shared:
        return False
    live = end >= ask.now.date() - timedelta(days=1)
    return ask.arrived - kept.read_at > (SHARED_LIVE if live else SHARED_PAST)


def _trim() -> None:
    fulls = [k for k, s in STATE.standings.items() if s.full is not None]
    for key in fulls[:-FULL_KEPT]:
        STATE.standings[key].full = None
    while len(STATE.standings) > KEPT:
        STATE.standings.popitem(last=False)


async def _quarter_result(
    session: AsyncSession, ask: Ask, unit_id: int
) -> tuple[QuarterResult, Gathered, Quarter]:
    """What `bot.scores.quarter_results` gives, from the kept standings."""
    quarter = scored_quarter(ask.policy, ask.calendar, ask.now.date())
    provisional = quarter.end >= ask.now.date()
    until = counted_until(ask.policy, ask.now)
    end = min(quarter.end, until) if provisional else quarter.end
    start = await period_start(session, quarter.start)
    found = await standing(
        session, ask, unit_id=unit_id, quarter=quarter, start=start, end=end,
        provisional=provisional, full=True,
    )  # fmt: skip
    assert found.full is not None
    result, gathered = found.full
    return result, gathered, quarter


async def _me(ask: Ask, person_id: int, with_trend: bool = True) -> MeAnswer:
    async with _sessionmaker(ask.url)() as session:
        unit = await get_unit(session)
        if unit is None or unit.id is None:
            return MeAnswer("", None, None)
        unit_id = unit.id  # `standing` rolls back, which expires `unit`
        result, gathered, quarter = await _quarter_result(session, ask, unit_id)
        mine = [p for p in result.people if p.person_id == person_id]
        if mine and gathered.end < gathered.start:  # the first day, before its deadline
            return MeAnswer("", None, None, starts=gathered.start)
        if not mine:
            return MeAnswer("", None, None)
        header = texts.me_header(
            quarter=quarter.label, until=short_date(gathered.end), provisional=result.provisional
        )
        where = good_line(result, person_id, dec(ask.policy.grades.good_min))
        text = "\n".join([header, *summary(mine[0], where)])
        detail = "\n".join([header, *explain(mine[0])])
        trend = None
        if with_trend:
            trend = await _trend(session, ask, unit_id, person_id, mine[0].name)
    png = None if trend is None else charts.render_trend(trend)
    return MeAnswer(header, text, png, detail=detail)


def week_label(monday: date) -> str:
    """'11/16' — a week on the trend's axis, by its Monday."""
    return f"{monday.month}/{monday.day}"


async def _trend(
    session: AsyncSession, ask: Ask, unit_id: int, person_id: int, name: str
) -> charts.Trend | None:
    """Score at each week's end (quarter to date) and the week's filing rate."""
    quarter = Quarter.of(ask.now.date())
    start = await period_start(session, quarter.start)
    until = counted_until(ask.policy, ask.now)
    if until < start:
        return None
    monday = ask.calendar.week_of(start)[0]
    weeks: list[date] = []
    while monday <= until and len(weeks) < MAX_WEEKS:
        weeks.append(monday)
        monday += timedelta(days=7)
    filed, reviewed = await report_store.filed_days(
        session, person_ids=[person_id], start=start, end=until
    )
    leave = await report_store.leaves(session, person_ids=[person_id], start=start, end=until)
    points = []
    latest: _Standing | None = None
    for first in weeks:
        end = min(first + timedelta(days=6), until)
        found = await standing(
            session, ask, unit_id=unit_id, quarter=quarter, start=start, end=end,
            provisional=True, full=False,
        )  # fmt: skip
        latest = found
        rate = figures(
            ask.calendar, people=[person_id], start=max(first, start), end=end, leave=leave,
            filed=filed, reviewed=reviewed,
        )  # fmt: skip
        score = found.scores.get(person_id)
        points.append(
            charts.TrendPoint(week_label(first), score, None if rate is None else rate.filing_rate)
        )
    period = charts.period_label(latest.period) if latest else ""
    provisional = latest.provisional if latest else True
    return charts.Trend(name, period, tuple(points), provisional)


@dataclass(frozen=True, slots=True)
class RankAsk:
    """/rank: who asks (id, roles, department), and where: a bound group's department
    (None: the unit group), or in private (`in_group` False)."""

    person_id: int
    roles: frozenset[Role]
    department_id: int
    in_group: bool
    group_department_id: int | None


async def _rank(ask: Ask, request: RankAsk) -> list[Out]:
    async with _sessionmaker(ask.url)() as session:
        unit = await get_unit(session)
        if unit is None or unit.id is None:
            raise LookupError("no roster imported yet")
        unit_id = unit.id
        result, gathered, quarter = await _quarter_result(session, ask, unit_id)
        wanted: set[int] = set()
        if not request.in_group:
            wanted = set(await people_store.supervised_ids(session, person_id=request.person_id))
    until = short_date(gathered.end) + ("，暂定" if result.provisional else "")
    names = gathered.departments
    if request.in_group:
        return [
            _rank_picture(
                result, gathered, request.group_department_id, quarter, until, ask.policy
            )
        ]
    if request.roles & {Role.CHIEF, Role.ADMIN}:
        lines = [texts.rank_header(title="部门", quarter=quarter.label, until=until)]
        for d in result.departments:
            if not d.ranked:  # a 班子成员 department is not ranked among the others (policy)
                continue
            flag = " 🚩流动红旗" if d.red_flag else ""
            lines.append(f"{d.rank}. {names.get(d.department_id, '?')} {d.score}{flag}")
        return [Out("\n".join(lines))]
    if Role.HEAD in request.roles:
        wanted.add(request.department_id)
    outs = []
    order = {g.group: n for n, g in enumerate(result.groups)}
    for department_id in [d for d in names if d in wanted]:
        members = sorted(
            (p for p in result.people if p.department_id == department_id),
            key=lambda p: (order.get(p.group, len(order)), -p.score, p.rank),
        )
        title = names.get(department_id or 0, "?")
        lines = [texts.rank_header(title=title, quarter=quarter.label, until=until)]
        groups = list(dict.fromkeys(p.group for p in members))
        for group in groups:  # each ranking group on its own, as it is ranked (issue 22)
            if len(groups) > 1:
                lines.append(f"【{group}】")
            in_group = [p for p in members if p.group == group]
            for position, person in enumerate(in_group[:TOP], start=1):
                lines.append(f"{position}. {person.name} {person.score} {person.grade_label}")
        outs.append(Out("\n".join(lines)))
    return outs


def _rank_picture(
    result: QuarterResult,
    gathered: Gathered,
    department_id: int | None,
    quarter: Quarter,
    until: str,
    policy: Policy,
) -> Out:
    """/rank in a group: the department's leaderboard, or the unit's department ranking,
    drawn as the weekly `leaderboard` job draws them."""
    week = charts.cumulative_label(short_date(gathered.end))
    if department_id is None:
        ranking = charts.ranking_from_result(result, gathered.departments, unit="", week=week)
        png = charts.render_ranking(ranking)
        title = "部门"
        top = pictures.top_departments(result, gathered)
        by_group = False
    else:
        board = pictures.board(result, gathered, department_id, week=week, policy=policy)
        if not board.rows and any(p.department_id == department_id for p in result.people):
            return Out(texts.rank_board_withheld())
        png = charts.render_leaderboard(board)
        title = gathered.departments.get(department_id, "")
        top, by_group = pictures.top_three(board), len(board.groups) > 1
    caption = texts.rank_caption(
        title=title, quarter=quarter.label, until=until, top=top, by_group=by_group
    )
    return Out(caption, png)
