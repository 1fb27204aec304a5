"""Quarter-end job planners for 实绩申报 and 多主体评价 (DESIGN §5–6), registered in
`bot.jobs.FEATURE_PLANNER_MODULES`.

Each planner finds the window its day belongs to (`core.quarter_end.windows_around`:
a day can close the previous quarter's window or open its own), reads who has done
what, and returns private messages; the sender sends each (job, day, target) once.

    declare_open    everyone active and bound: the window is open, until when, how
    declare_remind  those who have not submitted (started or not)
    declare_close   those with no item at all: it is closed (stored items stand, even
                    if never submitted: the person confirmed each of them)
    ratings_open    creates the rating rows, then each rater gets one message listing
                    whom to rate, with a button per person (bot.handlers.ratings opens
                    the request with its grade buttons)
    ratings_remind  raters with unanswered ratings: how many, and the same list
    ratings_close   every rater: closed (and how many they left unanswered)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.handlers.ratings import list_keyboard, whom
from bot.jobs import Jobs, Plan, World, present
from bot.sender import Outgoing
from core import ratings as core_ratings
from core.declarations import MAX_ITEMS
from core.jobs import Job
from core.quarter_end import QuarterEndWindow, windows_around
from core.reports import short_date
from storage import declarations, ratings
from storage.facts import scored_people
from storage.tables import Rating


def _window(jobs: Jobs, day: date, pick: str) -> QuarterEndWindow | None:
    """The window of the two around `day` whose date `pick` is `day`, or that is open."""
    for window in windows_around(jobs.policy, jobs.calendar, day):
        if pick == "declaring" and window.declare_open < day <= window.declare_close:
            return window
        if pick == "rating" and window.rating(day):
            return window
        if getattr(window, pick, None) == day:
            return window
    return None


def _bound(world: World) -> list[int]:
    return [p.id for p in world.people() if world.chat(p.id) is not None]


async def declare_open(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Everyone active and bound: the declaration window is open."""
    window = _window(jobs, day, "declare_open")
    if window is None:
        return Plan()
    text = texts.declare_open_notice(
        quarter=window.quarter.label, close=short_date(window.declare_close), limit=MAX_ITEMS
    )
    return Plan(
        present([jobs.private(world, Job.DECLARE_OPEN, day, pid, text) for pid in _bound(world)])
    )


async def declare_remind(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Those who have not submitted their declaration yet."""
    window = _window(jobs, day, "declaring")
    if window is None:
        return Plan()
    quarter = window.quarter
    submitted = await declarations.submitted_people(
        session, unit_id=world.unit_id, quarter=quarter
    )
    started = await declarations.declaring_people(session, unit_id=world.unit_id, quarter=quarter)
    close = short_date(window.declare_close)
    return Plan(
        present(
            [
                jobs.private(
                    world,
                    Job.DECLARE_REMIND,
                    day,
                    pid,
                    texts.declare_remind_notice(
                        quarter=quarter.label, close=close, started=pid in started
                    ),
                )
                for pid in _bound(world)
                if pid not in submitted
            ]
        )
    )


async def declare_close(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Those who declared nothing: the window has closed."""
    window = _window(jobs, day, "declare_close")
    if window is None:
        return Plan()
    declared = await declarations.declaring_people(
        session, unit_id=world.unit_id, quarter=window.quarter
    )
    text = texts.declare_close_notice(quarter=window.quarter.label)
    return Plan(
        present(
            [
                jobs.private(world, Job.DECLARE_CLOSE, day, pid, text)
                for pid in _bound(world)
                if pid not in declared
            ]
        )
    )


def _rating_list(
    jobs: Jobs, world: World, day: date, job: Job, rater_id: int, head: str, rows: list[Rating]
) -> Outgoing | None:
    """One rater's message: `head`, whom they rate, a button per unanswered one."""
    names = {r.ratee_id: world.name(r.ratee_id) for r in rows}
    pending = [r for r in rows if r.score is None]
    buttons = list_keyboard(rows, names)
    text = texts.ratings_list(head, whom(pending, names), buttons=buttons is not None)
    base = jobs.private(world, job, day, rater_id, text)
    return replace(base, buttons=buttons) if base is not None and buttons else base


async def ratings_open(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Create the quarter's rating rows; each rater gets a summary and their requests."""
    window = _window(jobs, day, "ratings_open")
    if window is None:
        return Plan()
    quarter = window.quarter
    # scored_people knows whom each supervisor oversees (World's people do not)
    people = await scored_people(session, unit_id=world.unit_id)
    wanted = core_ratings.assignments(jobs.policy, people)
    if record:
        await ratings.ensure_requests(
            session, unit_id=world.unit_id, quarter=quarter, assignments=wanted, now=jobs.clock()
        )
        await session.flush()
        rows = await ratings.requests_of(session, unit_id=world.unit_id, quarter=quarter)
    else:  # a dry run: the rows there are, plus those it would create (no id yet)
        rows = await ratings.requests_of(session, unit_id=world.unit_id, quarter=quarter)
        known = {(r.rater_id, r.ratee_id, r.kind) for r in rows}
        rows += [
            Rating(
                unit_id=world.unit_id,
                quarter=str(quarter),
                rater_id=a.rater_id,
                ratee_id=a.ratee_id,
                kind=a.kind.value,
            )
            for a in wanted
            if (a.rater_id, a.ratee_id, a.kind.value) not in known
        ]
    by_rater: dict[int, list[Rating]] = {}
    for row in rows:
        by_rater.setdefault(row.rater_id, []).append(row)
    close = short_date(window.ratings_close)
    messages: list[Outgoing | None] = []
    for rater_id, requests in by_rater.items():
        if world.chat(rater_id) is None:
            continue
        head = texts.ratings_open_notice(quarter=quarter.label, count=len(requests), close=close)
        messages.append(_rating_list(jobs, world, day, Job.RATINGS_OPEN, rater_id, head, requests))
    return Plan(present(messages))


async def ratings_remind(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Raters with unanswered ratings: how many are left, and their list again."""
    window = _window(jobs, day, "rating")
    if window is None:
        return Plan()
    rows = await ratings.requests_of(session, unit_id=world.unit_id, quarter=window.quarter)
    by_rater: dict[int, list[Rating]] = {}
    for row in rows:
        by_rater.setdefault(row.rater_id, []).append(row)
    close = short_date(window.ratings_close)
    messages = []
    for rater_id, mine in sorted(by_rater.items()):
        left = sum(r.score is None for r in mine)
        if not left:
            continue
        head = texts.ratings_remind_notice(quarter=window.quarter.label, count=left, close=close)
        messages.append(_rating_list(jobs, world, day, Job.RATINGS_REMIND, rater_id, head, mine))
    return Plan(present(messages))


async def ratings_close(
    jobs: Jobs, session: AsyncSession, world: World, day: date, *, record: bool
) -> Plan:
    """Every rater of the quarter: ratings are closed (answers after this are refused)."""
    window = _window(jobs, day, "ratings_close")
    if window is None:
        return Plan()
    rows = await ratings.requests_of(session, unit_id=world.unit_id, quarter=window.quarter)
    missing: dict[int, int] = {}
    for row in rows:
        missing[row.rater_id] = missing.get(row.rater_id, 0) + (row.score is None)
    return Plan(
        present(
            [
                jobs.private(
                    world,
                    Job.RATINGS_CLOSE,
                    day,
                    rater_id,
                    texts.ratings_close_notice(quarter=window.quarter.label, missing=count),
                )
                for rater_id, count in missing.items()
            ]
        )
    )


PLANNERS = {
    Job.DECLARE_OPEN: declare_open,
    Job.DECLARE_REMIND: declare_remind,
    Job.DECLARE_CLOSE: declare_close,
    Job.RATINGS_OPEN: ratings_open,
    Job.RATINGS_REMIND: ratings_remind,
    Job.RATINGS_CLOSE: ratings_close,
}
