"""复核 (《公务员法》 Art. 95–96, DESIGN §6): `/appeal` by the person — a quarterly grade
during its 公示, an annual grade within `appeals.annual_days` of receiving it — with a
reason (required, at most `appeals.reason_chars` characters) and optionally a photo or a
document (kept by file id). The 考核办 gets the request and the person's breakdown;
`/appeals` lists the open ones; `/decide N 维持|变更 …` decides in writing. A 变更 never
makes the result worse, becomes the current version (the published one is kept), and
warns when it breaks the group's quota; after a 维持 the person is told they may 申诉
within `appeals.petition_days` days, which `/petition N` records. All audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.annual import annual_rows, annual_view
from core import appeals as core
from core.appeals import AppealKind, AppealStatus
from core.calendar import WorkCalendar
from core.grades import AnnualGrade, Grade
from core.grading import floor_share
from core.policy import Policy
from core.quarter import Quarter
from core.quarter_end import window
from core.reports import short_date
from storage import appeals as store
from storage import people
from storage import results as published
from storage.tables import Appeal, Person

log = logging.getLogger(__name__)
ANNUAL_WORDS = ("年度", "年度考核")


def make_router() -> Router:
    """/appeal (private), /appeals, /decide and /petition (admins, private)."""
    router = Router(name="appeals")
    router.message.register(cmd_appeal, Command("appeal"), filters.member)
    router.message.register(cmd_appeals, Command("appeals"), filters.member)
    router.message.register(cmd_decide, Command("decide"), filters.member)
    router.message.register(cmd_petition, Command("petition"), filters.member)
    return router


@dataclass(frozen=True, slots=True)
class Target:
    """What a request contests: kind, period, its label, the current result and deadlines."""

    kind: AppealKind
    period: str
    label: str
    result: dict[str, Any]
    until: date


def _attachments(message: Message) -> list[dict[str, str]]:
    if message.photo:
        return [{"kind": "photo", "file_id": message.photo[-1].file_id}]
    if message.document:
        return [{"kind": "document", "file_id": message.document.file_id}]
    return []


async def _quarter_target(
    session: AsyncSession, me: Person, policy: Policy, calendar: WorkCalendar, today: date
) -> Target | str:
    snapshot = await published.latest_published(session, unit_id=me.unit_id)
    if snapshot is None:
        return texts.APPEAL_NOTHING
    quarter = Quarter.parse(snapshot.quarter.quarter)
    dates = window(policy, calendar, quarter)
    if snapshot.final or today > dates.publicity_end:
        return texts.appeal_too_late(short_date(dates.publicity_end))
    mine = snapshot.person(me.id or 0)
    if mine is None:
        return texts.APPEAL_NOT_SCORED
    return Target(AppealKind.QUARTER, str(quarter), quarter.label, mine, dates.publicity_end)


async def _annual_target(
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    year: int,
) -> Target | str:
    q4 = Quarter(year, 4)
    snapshot = await published.published(session, unit_id=me.unit_id, quarter=q4)
    if snapshot is None or not snapshot.final:
        return texts.appeal_not_final(year)
    received = window(policy, calendar, q4).final  # annual_close told everyone that day
    until = core.annual_appeal_until(policy, received)
    if now.date() > until:
        return texts.appeal_too_late(short_date(until))
    view = await annual_view(session, policy=policy, calendar=calendar, year=year, now=now)
    mine = next((r for r in annual_rows(view) if r["person_id"] == me.id), None)
    if mine is None:
        return texts.APPEAL_NOT_SCORED
    if mine["rank"] is None:
        return texts.APPEAL_UNGRADED
    return Target(AppealKind.ANNUAL, str(year), f"{year}年度", mine, until)


async def cmd_appeal(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    command: CommandObject,
    bot: Bot,
) -> None:
    """/appeal [年度|YYYY] 理由 (a photo or document may carry it as its caption)."""
    if message.chat.type != "private":
        await message.reply(texts.APPEAL_PRIVATE)
        return
    words = (command.args or "").strip()
    first, _, rest = words.partition(" ")
    year: int | None = None
    if first in ANNUAL_WORDS:
        year, words = now.year - 1, rest.strip()
    elif first.removesuffix("年").removesuffix("年度").isdigit() and len(first) >= 4:
        year, words = int(first[:4]), rest.strip()
    if not words:
        await message.answer(texts.APPEAL_NO_REASON if command.args else texts.APPEAL_USAGE)
        return
    limit = policy.appeals.reason_chars
    if len(words) > limit:
        await message.answer(texts.appeal_too_long(limit))
        return
    if year is None:
        target = await _quarter_target(session, me, policy, calendar, now.date())
    else:
        target = await _annual_target(session, me, policy, calendar, now, year)
    if isinstance(target, str):
        await message.answer(target)
        return
    assert me.id is not None
    duplicate = await store.open_appeal(
        session, person_id=me.id, kind=target.kind, period=target.period
    )
    if duplicate is not None and duplicate.id is not None:
        await message.answer(texts.appeal_duplicate(duplicate.id, short_date(duplicate.decide_by)))
        return
    due = core.decision_due(policy, calendar, target.kind, now.date())
    files = _attachments(message)
    appeal = await store.file_appeal(
        session, unit_id=me.unit_id, person_id=me.id, kind=target.kind, period=target.period,
        reason=words, attachments=files, decide_by=due, old_score=target.result["score"],
        old_grade=target.result["grade"], now=now,
    )  # fmt: skip
    await session.commit()
    assert appeal.id is not None
    await message.answer(
        texts.appeal_filed(
            appeal_id=appeal.id, period=target.label, due=short_date(due), attachments=len(files)
        )
    )
    lines = _lines(target)
    note = texts.appeal_to_office(
        appeal_id=appeal.id, name=me.name, department=target.result.get("department", ""),
        period=target.label, reason=words, due=short_date(due), lines=lines,
        attachments=len(files),
    )  # fmt: skip
    for chat_id in await people.admin_chat_ids(session):
        try:
            await bot.send_message(chat_id, note)
            for item in files:
                send = bot.send_photo if item["kind"] == "photo" else bot.send_document
                await send(chat_id, item["file_id"], caption=f"复核 #{appeal.id} 附件")
        except TelegramAPIError as exc:
            log.warning("appeal %s: could not tell admin %s: %s", appeal.id, chat_id, exc)


def _lines(target: Target) -> list[str]:
    if target.kind is AppealKind.QUARTER:
        return list(target.result.get("explain", []))
    from bot.annual import explain_row

    return explain_row(target.result)


async def _admin(message: Message, me: Person) -> bool:
    if not filters.is_admin(me):
        await message.reply(texts.APPEAL_DENIED)
        return False
    if message.chat.type != "private":
        await message.reply(texts.APPEAL_PRIVATE)
        return False
    return True


async def cmd_appeals(message: Message, session: AsyncSession, me: Person, now: datetime) -> None:
    """Open requests with their deadlines."""
    if not await _admin(message, me):
        return
    rows = await store.open_appeals(session, unit_id=me.unit_id)
    if not rows:
        await message.answer(texts.APPEALS_NONE)
        return
    shown = []
    for row in rows:
        person = await session.get(Person, row.person_id)
        shown.append(
            (row.id or 0, person.name if person else "?", _period_label(row),
             short_date(row.decide_by), now.date() > row.decide_by)
        )  # fmt: skip
    await message.answer(texts.appeals_list(shown))


def _period_label(row: Appeal) -> str:
    return period_label(row.kind, row.period)


def period_label(kind: str, period: str) -> str:
    """2026年第2季度 / 2026年度: what a 复核 contests."""
    if kind == AppealKind.QUARTER.value:
        return Quarter.parse(period).label
    return f"{period}年度"


def _grade_label(kind: str, value: str) -> str:
    try:
        return (Grade(value) if kind == AppealKind.QUARTER.value else AnnualGrade(value)).label
    except ValueError:
        return value


def _level(kind: str, value: str) -> int:
    if kind == AppealKind.QUARTER.value:
        return Grade(value).level
    return AnnualGrade(value).level


def _parse_change(kind: str, words: list[str]) -> tuple[str, Decimal | None, str] | None:
    """'新等次 [新分数] 理由' → (grade value, score, reason)."""
    table = core.QUARTER_WORDS if kind == AppealKind.QUARTER.value else core.ANNUAL_WORDS
    if len(words) < 2 or words[0] not in table:
        return None
    grade = table[words[0]].value
    score: Decimal | None = None
    rest = words[1:]
    try:
        score = Decimal(rest[0])
        rest = rest[1:]
    except InvalidOperation:
        pass
    if score is not None and not (0 <= score <= 100 and score == score.quantize(Decimal("0.01"))):
        return None
    reason = " ".join(rest).strip()
    return (grade, score, reason) if reason else None


async def cmd_decide(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    command: CommandObject,
    bot: Bot,
) -> None:
    """/decide N 维持 理由 | /decide N 变更 新等次 [新分数] 理由."""
    if not await _admin(message, me):
        return
    words = (command.args or "").split()
    if len(words) < 3 or words[1] not in ("维持", "变更") or not words[0].lstrip("#").isdigit():
        await message.answer(texts.DECIDE_USAGE)
        return
    appeal = await store.get_appeal(session, unit_id=me.unit_id, appeal_id=int(words[0][-9:]))
    if appeal is None:
        await message.answer(texts.appeal_unknown(words[0]))
        return
    if appeal.status != AppealStatus.OPEN.value:
        await message.answer(texts.appeal_already_decided(appeal.id or 0))
        return
    old_label = _grade_label(appeal.kind, appeal.old_grade)
    old = f"{appeal.old_score:.2f}分，{old_label}" if appeal.old_score is not None else old_label
    warning = None
    if words[1] == "维持":
        reason, status = " ".join(words[2:]), AppealStatus.UPHELD
        new_grade, new_score, new = None, None, old
        petition = core.petition_until(policy, now.date())
    else:
        change = _parse_change(appeal.kind, words[2:])
        if change is None:
            await message.answer(texts.DECIDE_USAGE)
            return
        new_grade, score, reason = change
        old_score = Decimal(str(appeal.old_score or 0)).quantize(Decimal("0.01"))
        old_level = _level(appeal.kind, appeal.old_grade) if appeal.old_grade in {
            *(g.value for g in Grade), *(g.value for g in AnnualGrade)} else 3  # fmt: skip
        if not core.not_worse(old_score, old_level, score, _level(appeal.kind, new_grade)):
            await message.answer(texts.DECIDE_WORSE)
            return
        status, petition = AppealStatus.CHANGED, None
        new_score = float(score) if score is not None else appeal.old_score
        new = f"{new_score:.2f}分，{_grade_label(appeal.kind, new_grade)}"
        warning = await _quota_warning(session, me, policy, calendar, now, appeal, new_grade)
    await store.decide(
        session, appeal=appeal, status=status, decision=reason, new_score=new_score,
        new_grade=new_grade, petition_until=petition, actor_id=me.id, actor=me.name, now=now,
    )  # fmt: skip
    await session.commit()
    person = await session.get(Person, appeal.person_id)
    letter = texts.decision_letter(
        appeal_id=appeal.id or 0, name=person.name if person else "?",
        period=_period_label(appeal), changed=status is AppealStatus.CHANGED, old=old, new=new,
        reason=reason, day=f"{now:%Y年%m月%d日}",
        petition_until=short_date(petition) if petition else None,
    )  # fmt: skip
    if person is not None and person.tg_user_id is not None:
        try:
            await bot.send_message(person.tg_user_id, letter)
        except TelegramAPIError as exc:
            log.warning("appeal %s: could not tell the person: %s", appeal.id, exc)
    await message.answer(
        texts.decided_to_office(
            appeal_id=appeal.id or 0, changed=status is AppealStatus.CHANGED, warning=warning
        )
    )


async def _quota_warning(
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    appeal: Appeal,
    new_grade: str,
) -> str | None:
    """Whether the change would put the group's top grade over its quota."""
    if appeal.kind == AppealKind.QUARTER.value:
        if new_grade != Grade.GOOD.value or appeal.old_grade == Grade.GOOD.value:
            return None
        snapshot = await published.published(
            session, unit_id=me.unit_id, quarter=Quarter.parse(appeal.period)
        )
        if snapshot is None:
            return None
        mine = snapshot.person(appeal.person_id)
        if mine is None:
            return None
        group = [p for p in snapshot.people if p["group"] == mine["group"]]
        graded = [p for p in group if not p.get("undetermined")]
        count = 1 + sum(1 for p in graded if p["grade"] == Grade.GOOD.value)
        quota = floor_share(policy.grades.good_ratio_for(mine["group"]), len(graded))
        label = Grade.GOOD.label
    else:
        if new_grade != AnnualGrade.EXCELLENT.value:
            return None
        view = await annual_view(
            session, policy=policy, calendar=calendar, year=int(appeal.period), now=now
        )
        mine = next((r for r in annual_rows(view) if r["person_id"] == appeal.person_id), None)
        group = next((g for g in view.result.groups if mine and g.group == mine["group"]), None)
        if mine is None or group is None:
            return None
        count = 1 + dict(group.counts)[AnnualGrade.EXCELLENT]
        quota, label = group.excellent_quota, AnnualGrade.EXCELLENT.label
    if count <= quota:
        return None
    return texts.quota_warning(group=mine["group"], label=label, count=count, quota=quota)


async def cmd_petition(
    message: Message, session: AsyncSession, me: Person, now: datetime, command: CommandObject
) -> None:
    """/petition N [备注]: the person took the case to the next level (申诉)."""
    if not await _admin(message, me):
        return
    words = (command.args or "").split(maxsplit=1)
    if not words or not words[0].lstrip("#").isdigit():
        await message.answer(texts.PETITION_USAGE)
        return
    appeal = await store.get_appeal(session, unit_id=me.unit_id, appeal_id=int(words[0][-9:]))
    if appeal is None:
        await message.answer(texts.appeal_unknown(words[0]))
        return
    if appeal.status != AppealStatus.UPHELD.value:
        await message.answer(texts.PETITION_NOT_UPHELD)
        return
    note = words[1][:200] if len(words) > 1 else ""
    await store.mark_petition(session, appeal=appeal, note=note, actor_id=me.id, now=now)
    await session.commit()
    await message.answer(texts.petition_recorded(appeal.id or 0))
