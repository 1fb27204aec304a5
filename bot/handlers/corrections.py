"""考核办 tools: `/bonus` (加分 / 扣分), `/veto` (负面清单), `/export` (Excel), and `/policy`
(the active scheme in short, for everyone).

A bonus or veto is shown back with 确认 / 取消 buttons and stored only on 确认; it is
audited, told to the person, and can be reversed with `/void` like any record. It is
dated today, or on a date typed after the name (`/bonus 杨帆 6-30 2 原因`): between a
quarter's end and its results the 考核办 still corrects that quarter. A quarter whose
results are published is closed to corrections (its snapshot would not show them).
"""

from __future__ import annotations

import logging
import math
from datetime import date, datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import figures, filters, texts
from core.calendar import WorkCalendar
from core.policy import Policy, RaterKind
from core.quarter import Quarter
from core.records import RecordKind, signed
from core.reports import looks_like_day, parse_day, short_date
from storage import corrections as store
from storage import people
from storage import results as published
from storage.tables import Person

log = logging.getLogger(__name__)
PENDING = "pending_correction"
MAX_POINTS = 100.0
MAX_REASON = 255


def make_router() -> Router:
    """The admin commands (private) and their confirmation buttons; /policy anywhere."""
    router = Router(name="corrections")
    router.message.register(cmd_bonus, Command("bonus"), filters.member)
    router.message.register(cmd_veto, Command("veto"), filters.member)
    router.message.register(cmd_export, Command("export"), filters.member)
    router.message.register(cmd_policy, Command("policy"), filters.member)
    router.callback_query.register(on_confirm, filters.callback_prefix("corr"), filters.member)
    return router


async def _admin_in_private(message: Message, me: Person, denied: str, private: str) -> bool:
    if not filters.is_admin(me):
        await message.reply(denied)
        return False
    if message.chat.type != "private":
        await message.reply(private)
        return False
    return True


async def _one_person(message: Message, session: AsyncSession, me: Person, ref: str):  # type: ignore[no-untyped-def]
    """The one active person `ref` names, or None after saying why not."""
    found = await people.resolve_person(session, unit_id=me.unit_id, ref=ref)
    if not found and ref.startswith("@"):
        found = await people.resolve_person(session, unit_id=me.unit_id, ref=ref[1:])
    if len(found) != 1:
        await message.answer(
            texts.who_ambiguous(ref, len(found)) if found else texts.action_who(ref)
        )
        return None
    return found[0]


async def _day(
    message: Message, session: AsyncSession, me: Person, rest: str, today: date
) -> tuple[date | None, str]:
    """An optional date first in `rest` (default today): today's or the previous quarter,
    not later than today, and not in a quarter whose results are published (a published
    quarter stays as published). (None, rest) after saying why not."""
    words = rest.split(maxsplit=1)
    if not words or not looks_like_day(words[0]) or _points(words[0]) is not None:
        return today, rest  # 1.5 is points, not 1月5日
    try:
        day = parse_day(words[0], today=today)
    except ValueError:
        day = None
    current = Quarter.of(today)
    if day is None or day > today or Quarter.of(day) not in (current, current.previous()):
        await message.answer(texts.correction_day_bad(words[0]))
        return None, rest
    if await published.published_quarter(session, unit_id=me.unit_id, quarter=Quarter.of(day)):
        await message.answer(texts.correction_published(Quarter.of(day).label))
        return None, rest
    return day, words[1] if len(words) > 1 else ""


def _points(text: str) -> float | None:
    """'2', '+1.5', '-1', '−1' → a non-zero number within ±MAX_POINTS; else None."""
    try:
        value = float(text.replace("−", "-").replace("＋", "+"))
    except ValueError:
        return None
    if not math.isfinite(value) or value == 0 or abs(value) > MAX_POINTS:
        return None
    return round(value, 2)


async def cmd_bonus(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    now: datetime,
    state: FSMContext,
) -> None:
    """`/bonus 姓名 [日期] 分值 原因`: ask to confirm a bonus (or, negative, a deduction)."""
    if not await _admin_in_private(message, me, texts.CORRECTION_DENIED, texts.CORRECTION_PRIVATE):
        return
    words = (command.args or "").split(maxsplit=1)
    ref, rest = (words + [""])[:2]
    day, rest = await _day(message, session, me, rest, now.date())
    if day is None:
        return
    words = [ref, *rest.split(maxsplit=1)]
    if len(words) < 3:
        await message.answer(texts.BONUS_USAGE)
        return
    ref, points_text, reason = words
    points = _points(points_text)
    if points is None:
        await message.answer(texts.bonus_points_bad(points_text, f"{MAX_POINTS:g}"))
        return
    person = await _one_person(message, session, me, ref)
    if person is None:
        return
    quarter = Quarter.of(day)
    if points > 0:
        cap = policy.adjustments.bonus_cap_per_quarter
        used = await store.bonus_used(
            session, person_id=person.id or 0, start=quarter.start, end=quarter.end
        )
        if used + points > cap + 1e-9:
            await message.answer(
                texts.bonus_over_cap(
                    name=person.name, cap=f"{cap:g}", used=f"{used:g}",
                    left=f"{max(cap - used, 0):g}",
                )
            )  # fmt: skip
            return
    names = await people.department_names(session, unit_id=me.unit_id)
    text = texts.bonus_confirm(
        name=person.name,
        department=names.get(person.department_id, ""),
        points=signed(points),
        reason=reason[:MAX_REASON],
        day=short_date(day),
    )
    await _ask(message, state, text, kind=RecordKind.BONUS, person=person, points=points,
               veto_kind=None, reason=reason[:MAX_REASON], day=day)  # fmt: skip


async def cmd_veto(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    now: datetime,
    state: FSMContext,
) -> None:
    """`/veto 姓名 [日期] 类别 原因`: ask to confirm a 负面清单 event of a policy kind."""
    if not await _admin_in_private(message, me, texts.CORRECTION_DENIED, texts.CORRECTION_PRIVATE):
        return
    kinds = list(policy.veto.kinds) + [
        k for k, _ in policy.veto.caps if k not in policy.veto.kinds
    ]
    words = (command.args or "").split(maxsplit=1)
    if len(words) < 2:
        await message.answer(texts.VETO_USAGE + "\n" + texts.veto_kind_unknown("", kinds))
        return
    ref, rest = words
    day, rest = await _day(message, session, me, rest, now.date())
    if day is None:
        return
    kind = next((k for k in sorted(kinds, key=len, reverse=True) if rest.startswith(k)), None)
    if kind is None:
        await message.answer(texts.veto_kind_unknown(rest.split()[0], kinds))
        return
    reason = rest[len(kind) :].strip()
    if not reason:
        await message.answer(texts.VETO_USAGE)
        return
    person = await _one_person(message, session, me, ref)
    if person is None:
        return
    names = await people.department_names(session, unit_id=me.unit_id)
    effect = texts.veto_effect(_cap_label(policy, kind))
    text = texts.veto_confirm(
        name=person.name,
        department=names.get(person.department_id, ""),
        kind=kind,
        reason=reason[:MAX_REASON],
        effect=effect,
        day=short_date(day),
    )
    await _ask(message, state, text, kind=RecordKind.VETO, person=person, points=0.0,
               veto_kind=kind, reason=reason[:MAX_REASON], day=day)  # fmt: skip


def _cap_label(policy: Policy, kind: str) -> str | None:
    """The grade a capping kind allows at most; None for a true 一票否决 kind."""
    if kind in policy.veto.kinds:
        return None
    grade = policy.veto.cap_for(kind)
    return grade.label if grade else None


async def _ask(
    message: Message,
    state: FSMContext,
    text: str,
    *,
    kind: RecordKind,
    person: Person,
    points: float,
    veto_kind: str | None,
    reason: str,
    day: date,
) -> None:
    """Show the correction with 确认 / 取消; it waits in the FSM data."""
    buttons = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=texts.BUTTON_CONFIRM, callback_data="corr:ok"),
                InlineKeyboardButton(text=texts.BUTTON_CANCEL, callback_data="corr:no"),
            ]
        ]
    )
    asked = await message.answer(text, reply_markup=buttons)
    await state.update_data(
        {
            PENDING: {
                "kind": kind.value,
                "person_id": person.id,
                "points": points,
                "veto_kind": veto_kind,
                "reason": reason,
                "day": day.isoformat(),
                "chat_id": message.chat.id,
                "message_id": message.message_id,
                "confirm_id": asked.message_id,
            }
        }
    )


async def on_confirm(
    query: CallbackQuery,
    session: AsyncSession,
    bot: Bot,
    me: Person,
    policy: Policy,
    now: datetime,
    state: FSMContext,
) -> None:
    """确认 stores the correction (audited) and tells the person; 取消 drops it."""
    message = query.message
    pending = (await state.get_data()).get(PENDING)
    if (
        not isinstance(message, Message)
        or not pending
        or pending.get("confirm_id") != message.message_id
        or not filters.is_admin(me)
    ):
        await query.answer(texts.CORRECTION_GONE, show_alert=True)
        return
    await state.update_data({PENDING: None})
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    if query.data != "corr:ok":
        await message.answer(texts.CORRECTION_CANCELLED)
        return
    person = await session.get(Person, pending["person_id"])
    if person is None:
        await message.answer(texts.CORRECTION_GONE)
        return
    kind = RecordKind(pending["kind"])
    record, _created = await store.add_correction(
        session,
        kind=kind,
        person=person,
        points=float(pending["points"]),
        veto_kind=pending["veto_kind"],
        reason=pending["reason"],
        day=date.fromisoformat(pending["day"]),
        by=me,
        source_chat_id=pending["chat_id"],
        source_message_id=pending["message_id"],
        now=now,
    )
    await session.commit()  # stored before we say so
    points = signed(record.points)
    if kind is RecordKind.BONUS:
        line = texts.bonus_line(person.name, points, record.reason)
        notice = texts.bonus_notice(by=me.name, points=points, reason=record.reason)
    else:
        effect = texts.veto_effect(_cap_label(policy, record.severity or ""))
        line = texts.veto_line(person.name, record.severity or "", record.reason)
        notice = texts.veto_notice(
            kind=record.severity or "", reason=record.reason, effect=effect,
            record_id=record.id or 0, days=policy.appeals.objection_days,
        )  # fmt: skip
    await message.answer(texts.correction_done(record_id=record.id or 0, text=line))
    if person.tg_user_id is not None and person.tg_user_id != message.chat.id:
        try:
            await bot.send_message(person.tg_user_id, notice)
        except TelegramAPIError:
            log.warning("could not tell person %s about record %s", person.id, record.id)


async def cmd_export(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """`/export [2026Q4]`: the quarter's workbook as a document (admins, private)."""
    if not await _admin_in_private(message, me, texts.EXPORT_DENIED, texts.EXPORT_PRIVATE):
        return
    arg = (command.args or "").strip()
    try:
        quarter = Quarter.parse(arg) if arg else Quarter.of(now.date())
    except ValueError:
        await message.answer(texts.EXPORT_USAGE)
        return
    try:
        export = await figures.export(figures.ask(session, policy, calendar, now), quarter)
    except LookupError:
        await message.answer(texts.EXPORT_NO_UNIT)
        return
    await message.answer_document(
        BufferedInputFile(export.data, filename=export.filename),
        caption=texts.export_caption(quarter.label, export.published),
    )


async def cmd_policy(message: Message, policy: Policy) -> None:
    """The active policy in short: components, raters, grade rules, caps, 负面清单."""
    await message.answer(policy_text(policy))


def policy_text(policy: Policy) -> str:
    """/policy's text."""
    from core.policy import Component

    weights = policy.components
    components = [
        (c.label, f"{weights.weight(c):.0%}") for c in Component if weights.weight(c) > 0
    ]
    raters = [
        (k.label, f"{policy.raters.weight(k):.0%}")
        for k in RaterKind
        if policy.raters.weight(k) > 0
    ]
    g = policy.grades
    by_category = g.ranking.value == "category"
    if g.mode.value == "forced" and g.forced_shares is not None:
        shares = g.forced_shares
        grades = texts.policy_grades_forced(
            by_category=by_category,
            good=shares.good,
            fairly_good=shares.fairly_good,
            average=shares.average,
            poor=shares.poor,
        )
    else:
        grades = texts.policy_grades_quota(
            by_category=by_category,
            good_ratio=g.good_ratio,
            good_min=g.good_min,
            fair_below=g.fair_below,
            poor_below=g.poor_below,
        )
    if g.shortlist_ratio < 1:
        grades.append(texts.policy_shortlist(g.shortlist_ratio))
    a = policy.adjustments
    adjustments = texts.policy_adjustments(
        like=a.like_points,
        like_cap=a.like_cap_per_quarter,
        error=a.error_points,
        serious_error=a.serious_error_points,
        notice=a.notice_points,
        bonus_cap=a.bonus_cap_per_quarter,
        missed_day=a.missed_day_points,
    )
    vetoes = texts.policy_vetoes(
        policy.veto.kinds, [(k, grade.label) for k, grade in policy.veto.caps]
    )
    return texts.policy_summary(
        title=policy.title,
        components=components,
        raters=raters if policy.components.ratings > 0 else [],
        grades=grades,
        adjustments=adjustments,
        vetoes=vetoes,
    )
