"""Scheduled jobs (DESIGN §5): APScheduler holds the triggers, the database is the truth.

Each run of a job for a day gathers its inputs from the database, asks the pure core
(`core.jobs`) what is due, and hands the messages to the sender, which sends each
(job, day, target) once. A run holds a lease on its (job, day) row so that of several
bot instances on one database one fans out at a time; the per-message claims make
sending once hold even without it (a manual run, an expired lease).

APScheduler keeps no state here (memory job store): on start and every few minutes a
sweep runs every job whose trigger time passed within the policy's `catch_up_hours`
and whose run is not done — the catch-up after a restart, and the take-over when
another instance died mid-run.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

import charts
from bot import pictures, texts
from bot.calendars import CalendarBook
from bot.scores import quarter_results
from bot.sender import STALE_AFTER, Delivery, Limits, Outgoing, Sender, instance_id
from core import jobs as core
from core.calendar import LeavePeriod, WorkCalendar
from core.jobs import Job
from core.people import Person
from core.policy import Policy
from core.quarter import Quarter
from core.reports import short_date, work_week
from storage import jobs as store
from storage.people import assessment_start, get_unit
from storage.reports import leaves
from storage.tables import JobRun, utcnow

log = logging.getLogger(__name__)

# A crashed instance's run is taken over within LEASE + SWEEP_EVERY (45 s): the lease is
# renewed every LEASE / 3 while the run is alive (issue 16).
LEASE = timedelta(seconds=30)
SWEEP_EVERY = timedelta(seconds=15)
BLOCKED_RETRY = timedelta(days=7)  # a blocked person is tried again after a week
STOP_TIMEOUT = 10.0


@dataclass
class RunResult:
    """What one run of a job did."""

    job: Job
    day: date
    # not_due | future | no_unit | busy | already | done | partial | error | dry_run
    status: str
    messages: list[Outgoing] = field(default_factory=list)
    delivery: Delivery | None = None
    notices: int = 0  # 通报 records created
    settled: set[tuple[str, date, str]] = field(default_factory=set)  # dry run: sent before
    error: str = ""


@dataclass
class Plan:
    """What a run of a job will send, and how many 通报 records it made."""

    messages: list[Outgoing] = field(default_factory=list)
    notices: int = 0


@dataclass(frozen=True, slots=True)
class World:
    """The unit as a job sees it at one moment."""

    unit_id: int
    staff: store.Staff
    reachable: frozenset[int]  # people the bot can write to
    since: date | None  # the first day anyone could have missed

    def chat(self, person_id: int) -> int | None:
        row = self.staff.rows.get(person_id)
        return row.tg_user_id if row is not None and person_id in self.reachable else None

    def name(self, person_id: int) -> str:
        row = self.staff.rows.get(person_id)
        return row.name if row is not None else str(person_id)

    def label(self, person_id: int) -> str:
        """Who a message goes to, for dry runs and logs: the name, with the department
        where another active person has the same name (「张伟（局领导）」)."""
        row = self.staff.rows.get(person_id)
        if row is None:
            return str(person_id)
        if row.name not in self.staff.namesakes:
            return row.name
        return f"{row.name}（{self.staff.departments.get(row.department_id, '')}）"

    def people(self) -> list[Person]:
        return self.staff.people


class Jobs:
    """Runs the scheduled jobs: plans from the database, sends through one Sender."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        policy: Policy,
        zone: ZoneInfo,
        bot: Bot | None = None,
        calendar: WorkCalendar | None = None,
        calendars: CalendarBook | None = None,
        clock: Callable[[], datetime] = utcnow,
        limits: Limits | None = None,
        owner: str | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.policy = policy
        self.zone = zone
        self.calendar = calendar or WorkCalendar(policy.calendar)
        # the notices imported into the database, re-read at each run (another instance
        # or the CLI may have imported one since)
        self.calendars = calendars or CalendarBook(sessionmaker, self.calendar.rules)
        self.clock = clock
        self.owner = (owner or instance_id())[:64]
        self.lease = lease
        self.sender = (
            Sender(bot, sessionmaker, limits=limits, clock=clock, owner=self.owner)
            if bot is not None
            else None
        )

    def now(self) -> datetime:
        """The current time in the unit's zone."""
        return self.clock().astimezone(self.zone)

    # ---- running -------------------------------------------------------------------------

    async def run(
        self,
        job: Job | str,
        day: date | None = None,
        *,
        dry_run: bool = False,
        again: bool = False,
        republish: str = "",
        take_over: bool = False,
    ) -> RunResult:
        """Run `job` for `day` (default today). `again` re-runs a finished run (by hand);
        messages already sent are never sent twice either way — unless `republish` names
        an audited re-publication, whose messages are keyed apart and so all go out.
        `take_over`: another instance holds the run but is known to be dead — take its
        lease and its claims now instead of waiting for them to go stale.

        A day after today (in the unit's zone) is refused: a job speaks for a day that
        has happened, and the future would be counted as missed (issue 24)."""
        job = Job(job)
        day = day or self.now().date()
        self.calendar = await self.calendars.current(force=True)
        if not core.is_due_day(job, self.policy, self.calendar, day):
            return RunResult(job, day, "not_due")
        if day > self.now().date() and not dry_run:
            return RunResult(job, day, "future")
        if dry_run:
            return await self._dry_run(job, day, republish)
        if self.sender is None:
            raise RuntimeError("a real run needs a bot")
        async with self.sessionmaker() as session:
            before = await session.get(JobRun, (job.value, day))
            # A run left `running` by another owner whose lease we get has a dead owner
            # (a live one renews it): its message claims are left behind too, at once.
            dead = before is not None and before.status == "running" and before.owner != self.owner
            taken = await store.acquire_run(
                session,
                job=job.value,
                day=day,
                owner=self.owner,
                now=self.clock(),
                lease_until=self.clock() + self.lease,
                again=again,
                take_over=take_over,
            )
            await session.commit()
            if not taken:
                row = await session.get(JobRun, (job.value, day))
                status = "already" if row is not None and row.status == "done" else "busy"
                return RunResult(job, day, status)
        result = RunResult(job, day, "error")
        keepalive = asyncio.create_task(self._keep_lease(job, day))
        try:
            async with self.sessionmaker() as session:
                plan = await self._plan(session, job, day, record=True)
                await session.commit()
            result.messages, result.notices = republished(plan.messages, republish), plan.notices
            if plan.messages or plan.notices:
                log.info("%s %s: %s messages due", job.value, day, len(plan.messages))
            result.delivery = await self.sender.send(result.messages, take_over=take_over or dead)
            result.status = "partial" if result.delivery.later else "done"
        except asyncio.CancelledError:
            result.status = "partial"
            raise
        except Exception as exc:
            log.exception("job %s for %s failed", job.value, day)
            result.error = repr(exc)
        finally:
            keepalive.cancel()
            await self._finish(result)
        return result

    async def _finish(self, result: RunResult) -> None:
        delivery = result.delivery or Delivery()
        try:
            async with self.sessionmaker() as session:
                await store.finish_run(
                    session,
                    job=result.job.value,
                    day=result.day,
                    owner=self.owner,
                    status=result.status,
                    now=self.clock(),
                    sent=len(delivery.sent),
                    skipped=len(delivery.skipped),
                    failed=len(delivery.failed),
                )
                await session.commit()
        except Exception:
            log.warning("could not record the end of %s %s", result.job, result.day, exc_info=True)

    async def _keep_lease(self, job: Job, day: date) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.sessionmaker() as session:
                    await store.renew_run(
                        session,
                        job=job.value,
                        day=day,
                        owner=self.owner,
                        lease_until=self.clock() + self.lease,
                    )
                    await session.commit()
            except Exception:
                log.warning("could not renew the lease of %s %s", job, day, exc_info=True)

    async def _dry_run(self, job: Job, day: date, republish: str = "") -> RunResult:
        async with self.sessionmaker() as session:
            plan = await self._plan(session, job, day, record=False)
            messages = republished(plan.messages, republish)
            settled = await store.settled(
                session,
                keys=[m.key for m in messages],
                stale_before=self.clock() - STALE_AFTER,
            )
        return RunResult(job, day, "dry_run", messages, notices=plan.notices, settled=set(settled))

    async def catch_up(self) -> list[RunResult]:
        """Run every job whose trigger passed within the grace period and is not done."""
        results = []
        self.calendar = await self.calendars.current(force=True)
        for job, day in core.missed_runs(self.policy, self.calendar, now=self.now()):
            result = await self.run(job, day)
            if result.status not in {"already", "not_due"}:
                log.info("catch-up: %s %s → %s", job.value, day, result.status)
            results.append(result)
        return results

    # ---- planning ------------------------------------------------------------------------

    async def _world(self, session: AsyncSession) -> World | None:
        unit = await get_unit(session)
        if unit is None or unit.id is None:
            return None
        staff = await store.staff(session, unit_id=unit.id)
        blocked = await store.unreachable(session, tried_after=self.clock() - BLOCKED_RETRY)
        reachable = frozenset(
            pid for pid, row in staff.rows.items() if row.tg_user_id and pid not in blocked
        )
        # Days before the unit started assessing with kaohe are never missed; without a
        # recorded start, filing started with the first report anyone filed.
        since = await assessment_start(session) or await store.first_filing_day(
            session, unit_id=unit.id
        )
        return World(unit.id, staff, reachable, since)

    async def _plan(self, session: AsyncSession, job: Job, day: date, *, record: bool) -> Plan:
        world = await self._world(session)
        if world is None:
            return Plan()
        planner: dict[Job, Callable[..., Awaitable[Plan]]] = {
            Job.REMIND: self._remind,
            Job.WEEKLY_REMIND: self._weekly_remind,
            Job.MISSING: self._missing,
            Job.ESCALATE: self._escalate,
            Job.MONTH_END: self._month_end,
            Job.DIGEST: self._digest,
            Job.LEADERBOARD: self._leaderboard,
        }
        if job in planner:
            return await planner[job](session, world, day, record=record)
        extra = _extra_planners()
        if job not in extra:
            raise ValueError(f"no planner for job {job.value}")
        return await extra[job](self, session, world, day, record=record)

    async def _facts(
        self, session: AsyncSession, world: World, start: date, end: date
    ) -> tuple[set[tuple[int, date]], dict[int, list[LeavePeriod]]]:
        filed = await store.filed_by(
            session, unit_id=world.unit_id, start=start, end=end, as_of=self.clock()
        )
        leave = await leaves(session, person_ids=list(world.staff.rows), start=start, end=end)
        return filed, leave

    def private(
        self,
        world: World,
        job: Job,
        day: date,
        person_id: int,
        text: str,
        target: str | None = None,
    ) -> Outgoing | None:
        chat = world.chat(person_id)
        if chat is None:
            return None
        return Outgoing(
            job.value,
            day,
            target or f"person:{person_id}",
            chat,
            text,
            person_id=person_id,
            label=world.label(person_id),
        )

    async def _remind(self, session: AsyncSession, world: World, day: date, **_: object) -> Plan:
        filed, leave = await self._facts(session, world, day, day)
        due = core.due_reminders(
            self.policy, self.calendar, world.people(), filed=filed, leave=leave, today=day
        )
        deadline = self.policy.schedule.deadline
        late = self.now() >= datetime.combine(day, deadline, tzinfo=self.zone)
        text = texts.remind_daily(short_date(day), f"{deadline:%H:%M}", late=late)
        return Plan(present(self.private(world, Job.REMIND, day, r.person_id, text) for r in due))

    async def _weekly_remind(
        self, session: AsyncSession, world: World, day: date, **_: object
    ) -> Plan:
        monday, sunday = self.calendar.week_of(day)
        weekly = await store.weekly_texts(
            session, unit_id=world.unit_id, start=monday, end=sunday, as_of=self.clock()
        )
        _filed, leave = await self._facts(session, world, day, day)
        due = core.weekly_reminders(
            self.policy,
            self.calendar,
            world.people(),
            weekly_filed=set(weekly),
            leave=leave,
            today=day,
        )
        text = texts.remind_weekly(f"{self.policy.schedule.deadline:%H:%M}")
        return Plan(
            present(self.private(world, Job.WEEKLY_REMIND, day, r.person_id, text) for r in due)
        )

    async def _missing(self, session: AsyncSession, world: World, day: date, **_: object) -> Plan:
        previous = self.calendar.previous_workday(day)
        filed, leave = await self._facts(session, world, previous, previous)
        lists = core.missing_lists(
            self.policy,
            self.calendar,
            world.people(),
            filed=filed,
            leave=leave,
            today=day,
            since=world.since,
        )
        messages = []
        for item in lists:
            others = [p for p in item.missing if p != item.head_id]
            bound = [world.name(p) for p in others if world.staff.rows[p].tg_user_id]
            unbound = [world.name(p) for p in others if not world.staff.rows[p].tg_user_id]
            own = f"{item.day.month}-{item.day.day}" if item.head_id in item.missing else None
            text = texts.missing_list(short_date(item.day), bound, unbound, own=own)
            messages.append(self.private(world, Job.MISSING, day, item.head_id, text))
        return Plan(present(messages))

    async def _escalate(
        self, session: AsyncSession, world: World, day: date, *, record: bool
    ) -> Plan:
        start = day - timedelta(days=core.STREAK_LOOKBACK_DAYS)
        filed, leave = await self._facts(session, world, start, day)
        bound = [p for p in world.people() if world.staff.rows[p.id].tg_user_id]
        found = core.escalations(
            self.policy,
            self.calendar,
            bound,
            filed=filed,
            leave=leave,
            today=day,
            since=world.since,
        )
        points = self.policy.adjustments.notice_points
        before = await store.notice_origins(
            session, person_ids=[e.person_id for e in found], origins=[e.origin for e in found]
        )
        fresh = [e for e in found if (e.person_id, e.origin) not in before]
        created = 0 if record else len(fresh)
        if record:
            for item in fresh:
                created += await store.add_notice(
                    session,
                    unit_id=world.unit_id,
                    person_id=item.person_id,
                    points=points,
                    reason=texts.notice_reason([short_date(d) for d in item.days]),
                    day=item.trigger_day,
                    origin=item.origin,
                )
        voided = {key for key, was_voided in before.items() if was_voided}
        department_chats, unit_chat = await store.groups(session, unit_id=world.unit_id)
        messages: list[Outgoing | None] = []
        for item in found:
            if (item.person_id, item.origin) in voided:
                continue
            days = [short_date(d) for d in item.days]
            name = world.name(item.person_id)
            chat = department_chats.get(item.department_id, unit_chat)
            if chat is not None:
                group = world.staff.departments.get(item.department_id, "") + "群"
                text = texts.notice_group(name, days, points)
                messages.append(
                    Outgoing(
                        Job.ESCALATE.value,
                        item.trigger_day,
                        f"person:{item.person_id}",
                        chat,
                        text,
                        label=group,
                    )
                )
            messages.append(
                self.private(
                    world,
                    Job.ESCALATE,
                    item.trigger_day,
                    item.person_id,
                    texts.notice_private(days, points),
                    target=f"dm:{item.person_id}",
                )
            )
        return Plan(present(messages), created)

    async def _month_end(
        self, session: AsyncSession, world: World, day: date, **_: object
    ) -> Plan:
        filed, leave = await self._facts(session, world, day.replace(day=1), day)
        due = core.month_end_due(
            self.policy,
            self.calendar,
            world.people(),
            filed=filed,
            leave=leave,
            today=day,
            since=world.since,
        )
        backfill = self.policy.schedule.backfill_days
        return Plan(
            present(
                self.private(
                    world,
                    Job.MONTH_END,
                    day,
                    m.person_id,
                    texts.month_end(day.month, [short_date(d) for d in m.days], backfill),
                )
                for m in due
            )
        )

    async def _leaderboard(
        self, session: AsyncSession, world: World, day: date, **_: object
    ) -> Plan:
        return await _leaderboard_plan(self, session, world, day)

    async def _digest(self, session: AsyncSession, world: World, day: date, **_: object) -> Plan:
        _groups, unit_chat = await store.groups(session, unit_id=world.unit_id)
        if unit_chat is None:
            log.warning("digest for %s: no unit group is bound", day)
            return Plan()
        monday, sunday = self.calendar.week_of(day)
        filed, leave = await self._facts(session, world, monday, day)
        weekly = await store.weekly_texts(
            session, unit_id=world.unit_id, start=monday, end=sunday, as_of=self.clock()
        )
        records = await store.likes_and_errors(
            session, unit_id=world.unit_id, start=monday, end=sunday
        )
        from bot.task_jobs import digest_overdue  # a feature module that imports this one

        overdue = await digest_overdue(self, session, world, day)
        messages = []
        for department_id, name in world.staff.departments.items():
            digest = core.department_digest(
                self.calendar,
                department_id=department_id,
                department=name,
                people=world.people(),
                today=day,
                filed=filed,
                leave=leave,
                weekly=weekly,
                records=records,
            )
            if not digest.rows:
                continue
            text = texts.digest(
                department=name,
                period=f"{short_date(work_week(self.calendar, day)[0])}—{short_date(digest.end)}",
                filed=digest.filed,
                required=digest.required,
                weekly=digest.weekly_count,
                members=len(digest.rows),
                missing=[
                    f"{r.name}（{r.required - r.filed}天）"
                    for r in digest.rows
                    if r.filed < r.required
                ],
                no_weekly=[r.name for r in digest.rows if not r.weekly],
                highlights=list(digest.highlights),
                likes=list(digest.likes),
                errors=list(digest.errors),
            )
            if overdue.get(department_id):
                text += "\n" + overdue[department_id]
            messages.append(
                Outgoing(
                    Job.DIGEST.value,
                    day,
                    f"dept:{department_id}",
                    unit_chat,
                    text,
                    label="全单位群",
                )
            )
        return Plan(messages)


async def _leaderboard_plan(jobs: Jobs, session: AsyncSession, world: World, day: date) -> Plan:
    """Weekly pictures: each department group its leaderboard; the unit group the department
    ranking and the filing-rate chart (this week against last)."""
    by_department, unit_chat = await store.groups(session, unit_id=world.unit_id)
    if not by_department and unit_chat is None:
        return Plan()
    now = core.fire_at(Job.LEADERBOARD, jobs.policy, day, jobs.zone)
    quarter = Quarter.of(day)
    result, gathered = await quarter_results(
        session, policy=jobs.policy, calendar=jobs.calendar, quarter=quarter, now=now
    )
    week = f"{short_date(work_week(jobs.calendar, day)[0])}—{short_date(day)}"  # working days
    cumulative = charts.cumulative_label(short_date(gathered.end))  # scores are to date
    until = short_date(gathered.end) + ("，暂定" if result.provisional else "")
    messages: list[Outgoing] = []
    for department_id, chat_id in by_department.items():
        shown = pictures.board(
            result, gathered, department_id, week=cumulative, policy=jobs.policy
        )
        if not shown.rows:  # nobody scored, or only 班子成员 and the policy keeps them off
            continue
        name = gathered.departments.get(department_id, "")
        png = await pictures.leaderboard_png(shown)
        caption = texts.rank_caption(
            title=name, quarter=quarter.label, until=until,
            top=pictures.top_three(shown), by_group=len(shown.groups) > 1,
        )  # fmt: skip
        messages.append(
            Outgoing(
                Job.LEADERBOARD.value,
                day,
                f"dept:{department_id}",
                chat_id,
                caption,
                label=f"{name}群",
                photo=png,
                alt=charts.describe_board(shown),
            )  # fmt: skip
        )
    if unit_chat is not None:
        png, alt = await pictures.ranking_png(result, gathered, unit="", week=cumulative)
        caption = texts.rank_caption(
            title="部门",  # as /rank's header: 「🏆 部门 2026年第2季度 排名」
            quarter=quarter.label,
            until=until,
            top=pictures.top_departments(result, gathered),
        )
        messages.append(
            Outgoing(
                Job.LEADERBOARD.value,
                day,
                "unit:ranking",
                unit_chat,
                caption,
                label="全单位群",
                photo=png,
                alt=alt,
            )  # fmt: skip
        )
        png, alt = await pictures.filing_png(session, jobs.calendar, gathered, day=day)
        messages.append(
            Outgoing(
                Job.LEADERBOARD.value,
                day,
                "unit:filing",
                unit_chat,
                texts.filing_caption(week),
                label="全单位群",
                photo=png,
                alt=alt,
            )  # fmt: skip
        )
    return Plan(messages)


# A planner of a feature module: (jobs, session, world, day, *, record) → Plan. `record`
# is False on a dry run: plan what would be sent, change nothing.
ExtraPlanner = Callable[..., Awaitable[Plan]]


def _extra_planners() -> dict[Job, ExtraPlanner]:
    """Planners that live with their feature (quarter end, tasks): each module has a
    `PLANNERS` dict. Imported here, late, because they import this module."""
    planners: dict[Job, ExtraPlanner] = {}
    for name in FEATURE_PLANNER_MODULES:
        module = importlib.import_module(name)
        planners.update(module.PLANNERS)
    return planners


FEATURE_PLANNER_MODULES: tuple[str, ...] = (
    "bot.results_jobs",
    "bot.quarter_jobs",
    "bot.task_jobs",
    "bot.calendar_jobs",
    "bot.annual_jobs",
)


def republished(messages: list[Outgoing], tag: str) -> list[Outgoing]:
    """The messages keyed for re-publication `tag` (none: as they are), so the sender,
    which sends each (job, day, target) once, sends them again — once per tag."""
    if not tag:
        return messages
    return [replace(m, target=f"{m.target}|{tag}") for m in messages]


def present(messages: Iterable[Outgoing | None]) -> list[Outgoing]:
    """The messages that could be addressed (`Jobs.private` gives None for people the bot
    cannot write to)."""
    return [m for m in messages if m is not None]


# ---- the scheduler ---------------------------------------------------------------------------


def trigger_label(job: Job, policy: Policy) -> str:
    """When a job fires, in words (for `kaohe jobs list`)."""
    at = f"{core.trigger_time(job, policy.schedule):%H:%M}"
    if job in {Job.WEEKLY_REMIND, Job.DIGEST, Job.LEADERBOARD}:
        return texts.job_trigger_week(at)
    if job is Job.MONTH_END:
        return texts.job_trigger_month(policy.schedule.month_end_days, at)
    if job in core.QUARTER_END_JOBS:
        return texts.job_trigger_quarter(at)
    return texts.job_trigger_daily(at)


class JobScheduler:
    """APScheduler (memory store, unit time zone) firing the jobs, plus the catch-up sweep."""

    def __init__(self, jobs: Jobs, *, sweep_every: timedelta = SWEEP_EVERY) -> None:
        self.jobs = jobs
        grace = int(timedelta(hours=jobs.policy.schedule.catch_up_hours).total_seconds())
        self.scheduler = AsyncIOScheduler(
            timezone=jobs.zone,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        )
        self.sweep_every = sweep_every
        self.shut = False
        self.tasks: set[asyncio.Task[object]] = set()

    def start(self) -> None:
        """Add the triggers and start; the first sweep (the catch-up) runs at once."""
        for job in core.JOB_ORDER:
            at = core.trigger_time(job, self.jobs.policy.schedule)
            trigger = CronTrigger(
                hour=at.hour, minute=at.minute, second=at.second, timezone=self.jobs.zone
            )
            self.scheduler.add_job(
                self._fire, trigger, args=[job], id=job.value, name=texts.JOB_LABELS[job.value]
            )
        self.scheduler.add_job(
            self._sweep,
            IntervalTrigger(seconds=self.sweep_every.total_seconds(), timezone=self.jobs.zone),
            id="catch_up",
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.start()
        log.info("scheduler started: %s", ", ".join(j.value for j in core.JOB_ORDER))

    def next_runs(self) -> dict[str, datetime | None]:
        """APScheduler's next fire time of each trigger."""
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    async def _fire(self, job: Job) -> None:
        await self._track(self.jobs.run(job))

    async def _sweep(self) -> None:
        await self._track(self.jobs.catch_up())

    async def _track(self, work: Awaitable[object]) -> None:
        """Run `work` as a task of ours, so that stop() can let it finish."""
        task: asyncio.Task[object] = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            pass  # APScheduler shutting down; stop() waits for the task itself
        except Exception:
            log.exception("scheduled work failed")

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop firing; give running jobs `timeout` seconds, then cancel them."""
        if self.scheduler.running:
            with contextlib.suppress(SchedulerNotRunningError):  # stopped meanwhile
                if not self.shut:  # APScheduler shuts down later, from the loop: once
                    self.shut = True
                    self.scheduler.shutdown(wait=False)
        pending: Sequence[asyncio.Task[object]] = list(self.tasks)
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        log.info("scheduler stopped")
