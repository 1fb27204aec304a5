"""/status for a person (this week's filings) and /stats for leaders and admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.scores import counted_until, period_start
from core import reports as core
from core.calendar import WorkCalendar
from core.people import Role, decode_roles
from core.policy import Policy
from storage import people
from storage import reports as store
from storage.tables import Person, Report


def make_router() -> Router:
    """/status and /stats, in private."""
    router = Router(name="status")
    router.message.register(cmd_status, Command("status"), filters.private, filters.member)
    router.message.register(cmd_stats, Command("stats"), filters.private, filters.member)
    router.message.register(stats_in_group, Command("stats", "status"), filters.in_group,
                            filters.bound_group)  # fmt: skip
    return router


async def stats_in_group(message: Message) -> None:
    """Figures are shown privately."""
    await message.reply(texts.STATS_PRIVATE)


async def cmd_status(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """This week, day by day: filed (and how), missing, leave; and the weekly report."""
    assert me.id is not None
    today = now.date()
    monday, sunday = calendar.week_of(today)
    statuses, _ = await store.filed_days(session, person_ids=[me.id], start=monday, end=sunday)
    leave = [
        lv for lv in await store.leave_list(session, person_id=me.id, since=monday)
        if lv.start <= sunday
    ]  # fmt: skip
    seen = await store.feedback(session, person_id=me.id, start=monday, end=sunday)
    first, last = core.work_week(calendar, today)
    period = f"{core.short_date(first)}—{core.short_date(last)}"
    lines = [texts.status_header(me.name, period)]
    missing = 0
    day = monday
    while day <= sunday:
        status = statuses.get((me.id, day))
        workday = calendar.is_workday(day)
        on_leave = next((lv for lv in leave if lv.start <= day <= lv.end), None)
        label = f"周{core.WEEKDAYS[day.weekday()]} {core.short_date(day)}"
        if status is not None:
            lines.append(
                f"{label} {texts.STATUS_ICONS[status.value]} {core.STATUS_LABELS[status]}"
            )
            found = seen.get((core.ReportKind.DAILY.value, day))
            if found is not None:
                lines += texts.status_feedback(found.readers, found.replies)
        elif on_leave is not None and workday:
            kind, _ = core.leave_kind(on_leave.reason)
            lines.append(f"{label} {texts.status_leave(kind)}")
        elif not workday:
            pass  # rest days without a report are not worth a line
        elif day > today:
            lines.append(f"{label} ·")
        elif day == today and now.time() < policy.schedule.deadline:
            lines.append(f"{label} ⏳ 今天（截止 {policy.schedule.deadline:%H:%M}）")
        else:
            lines.append(f"{label} ❌ 未报")
            missing += 1
        day += timedelta(days=1)
    weekly = await _weekly(session, me.id, calendar, today)
    due = calendar.last_workday_of_week(today)
    if weekly is not None:
        lines.append(f"周报：✅ 已交（{core.STATUS_LABELS[core.FilingStatus(weekly.status)]}）")
        found = seen.get((core.ReportKind.WEEKLY.value, weekly.day))
        if found is not None:
            lines += texts.status_feedback(found.readers, found.replies)
    elif due is not None:
        lines.append(f"周报：未交（截止 {core.short_date(due)} {policy.schedule.deadline:%H:%M}）")
    lines.append(f"本周缺报 {missing} 天。" if missing else "本周没有缺报 👍")
    lines += await _upcoming(session, me.id, today)
    from bot.handlers.annual import standing_lines  # issue 19: 年度考核 marks, if any

    lines += await standing_lines(session, me, always=False)
    await message.answer("\n".join(lines))


async def _upcoming(session: AsyncSession, person_id: int, today: date) -> list[str]:
    """The person's leave from today on, with its kind."""
    upcoming = await store.leave_list(session, person_id=person_id, since=today)
    if not upcoming:
        return []
    periods = "、".join(
        texts.leave_range(core.short_date(lv.start), core.short_date(lv.end))
        + " "
        + core.leave_kind(lv.reason)[0]
        for lv in upcoming
    )
    return [f"已登记：{periods}"]


async def _weekly(
    session: AsyncSession, person_id: int, calendar: WorkCalendar, today: date
) -> Report | None:
    monday, sunday = calendar.week_of(today)
    return await store.weekly_report(session, person_id=person_id, start=monday, end=sunday)


async def stats_scope(session: AsyncSession, me: Person) -> list[int]:
    """The departments whose figures `me` may see (/stats and the web console): all for
    admins and chiefs, else the one they head and the ones they supervise."""
    roles = decode_roles(me.roles)
    if roles & {Role.ADMIN, Role.CHIEF}:
        return list(await people.department_names(session, unit_id=me.unit_id))
    wanted = []
    if Role.HEAD in roles:
        wanted.append(me.department_id)
    if Role.SUPERVISOR in roles:
        assert me.id is not None
        wanted.extend(await people.supervised_ids(session, person_id=me.id))
    return wanted


@dataclass(frozen=True, slots=True)
class DepartmentFigures:
    """One line of /stats: a department (or 合计), its filers, this week and this month
    (and today, for the console)."""

    label: str
    department_id: int | None  # None for 合计
    people: int
    week: core.Figures
    month: core.Figures
    today: core.Figures


@dataclass(frozen=True, slots=True)
class Stats:
    """/stats's figures: counted until `end`, from `monday` and from the `first` of the
    month."""

    end: date
    monday: date
    first: date
    lines: list[DepartmentFigures]


async def stats_figures(
    session: AsyncSession,
    *,
    unit_id: int,
    wanted: list[int],
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> Stats:
    """Filing and review figures of the `wanted` departments (合计 first when several)."""
    names = await people.department_names(session, unit_id=unit_id)
    end = counted_until(policy, now)
    monday = calendar.week_of(now.date())[0]
    first = await period_start(session, now.date().replace(day=1))
    monday = await period_start(session, monday)
    members = await people.members_of(session, unit_id=unit_id, department_ids=wanted)
    ids = [p.id for p in members if p.id is not None]
    start = min(monday, first)
    filed, reviewed = await store.filed_days(session, person_ids=ids, start=start, end=now.date())
    leave = await store.leaves(session, person_ids=ids, start=start, end=now.date())
    by_department: dict[int, list[int]] = {}
    for person in members:
        by_department.setdefault(person.department_id, []).append(person.id or 0)
    today = await period_start(session, now.date())

    def line(label: str, department_id: int | None, ids: list[int]) -> DepartmentFigures:
        def over(begin: date, until: date) -> core.Figures:
            return core.figures(calendar, people=ids, start=begin, end=until, leave=leave,
                                filed=filed, reviewed=reviewed)  # fmt: skip

        return DepartmentFigures(
            label, department_id, len(ids), over(monday, end), over(first, end),
            over(today, now.date()),
        )  # fmt: skip

    lines = []
    if len(by_department) > 1:
        lines.append(line("合计", None, ids))
    for dept_id in (d for d in names if d in by_department):
        lines.append(line(names[dept_id], dept_id, by_department[dept_id]))
    return Stats(end, monday, first, lines)


async def cmd_stats(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """Filing and review rates of the departments the person leads (admins: all)."""
    wanted = await stats_scope(session, me)
    if not wanted:
        await message.answer(texts.STATS_DENIED)
        return
    stats = await stats_figures(
        session, unit_id=me.unit_id, wanted=wanted, policy=policy, calendar=calendar, now=now
    )
    lines = [f"📊 填报率与审阅率（统计到 {core.short_date(stats.end)}）"]
    for row in stats.lines:
        week, month = row.week, row.month
        lines.append(
            f"{row.label}（{row.people}人）\n"
            f"  本周 填报 {core.percent(week.filing_rate)} 审阅 {core.percent(week.review_rate)}"
            f"｜本月 填报 {core.percent(month.filing_rate)} 审阅 {core.percent(month.review_rate)}"
        )
    from bot.handlers.tasks import stats_lines  # issue 9: task figures per department

    names = await people.department_names(session, unit_id=me.unit_id)
    lines += await stats_lines(
        session, unit_id=me.unit_id, departments=wanted, names=names, today=now.date()
    )
    await message.answer("\n".join(lines))
