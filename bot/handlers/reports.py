"""日报 / 周报 by chat: private text, /daily, #日报 in a group, media with captions, edits,
weekly drafts, and the echo into the department group (DESIGN §3)."""

from __future__ import annotations

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReactionTypeEmoji,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import echoes, filters, texts
from bot.batching import Batcher
from bot.filing import Filer, Outcome, Request, store_filings
from bot.middlewares import Claim, Handling
from core import reports as core
from core.calendar import LeavePeriod, WorkCalendar
from core.policy import Policy
from storage import echoes as echo_store
from storage import reports as store
from storage import runtime
from storage.runtime import ClaimKey
from storage.tables import ChatGroup, Person, Report, ReportItem

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024


class WeeklyForm(StatesGroup):
    """Waiting for a weekly report the person writes themselves."""

    text = State()


def make_fast_router() -> Router:
    """The common case first: a plain private text from a member is a 日报
    (`filters.plain_report`: no other handler would take it), so it skips the others."""
    router = Router(name="reports-fast")
    router.message.register(private_report, filters.plain_report)
    return router


def make_router() -> Router:
    """Report filing; the private catch-all comes last, so register this router last."""
    router = Router(name="reports")
    router.message.register(cmd_daily, Command("daily"), filters.member)
    router.message.register(cmd_weekly, Command("weekly"), filters.member)
    router.callback_query.register(weekly_button, filters.callback_prefix("wk"), filters.member)
    router.message.register(  # StateFilter: a bare State is a sync filter (thread pool)
        weekly_text, StateFilter(WeeklyForm.text), filters.private, filters.member
    )
    router.message.register(
        group_report, filters.in_group, filters.bound_group, filters.member,
        filters.starts_with("#日报", "#周报"),
    )  # fmt: skip
    router.message.register(group_stranger, filters.in_group, filters.bound_group,
                            filters.stranger, filters.starts_with("#日报", "#周报"))  # fmt: skip
    router.edited_message.register(on_edit, filters.member)
    router.message.register(unknown_command, filters.private, filters.starts_with("/"))
    router.message.register(private_report, filters.private, filters.member)
    return router


@dataclass(frozen=True, slots=True)
class Env:
    """What every filing needs, gathered once per update."""

    session: AsyncSession
    bot: Bot
    me: Person
    policy: Policy
    calendar: WorkCalendar
    now: datetime
    home_group: ChatGroup | None | object  # `me`'s department group; MISSING: not read yet
    leave_until: date | None | object  # last day of `me`'s active leave; MISSING: not read
    claim: Claim | object  # the update's claim (bot/middlewares.py); MISSING: none
    filer: Filer | object  # files with concurrent filings (bot/filing.py); MISSING: none
    answers: Batcher[ClaimKey, None] | object  # records answers sent; MISSING: none
    handling: Handling | object  # how the update is confirmed (webhook: may answer in it)


MISSING = object()


def _env(data: dict[str, object]) -> Env:
    fields = {k: data.get(k, MISSING) for k in Env.__slots__}
    return Env(**fields)  # type: ignore[arg-type]


async def home_group(env: Env) -> ChatGroup | None:
    """The group of the person's department (IdentityMiddleware read it with `me`)."""
    if isinstance(env.home_group, ChatGroup) or env.home_group is None:
        return env.home_group
    return await store.group_of_department(env.session, department_id=env.me.department_id)


async def leave_on(env: Env, day: date) -> list[LeavePeriod]:
    """The person's leave covering `day` (no query when none of it reaches `day`)."""
    assert env.me.id is not None
    if env.leave_until is None or (isinstance(env.leave_until, date) and env.leave_until < day):
        return []
    leave = await store.leaves(env.session, person_ids=[env.me.id], start=day, end=day)
    return leave.get(env.me.id, [])


def _media(message: Message) -> tuple[str | None, str | None]:
    if message.photo:
        return message.photo[-1].file_id, "photo"
    if message.document:
        return message.document.file_id, "document"
    return None, None


async def private_report(message: Message, **data: object) -> None:
    """Any private message from a bound person is today's 日报."""
    if message.text is None and message.caption is None:
        has_file = message.photo or message.document
        await message.answer(texts.REPORT_HINT_CAPTION if has_file else texts.REPORT_HINT_MEDIA)
        return
    env = _env(data)
    await _file(message, env, kind=core.ReportKind.DAILY, day=env.now.date(),
                raw=message.text or message.caption or "")  # fmt: skip


async def cmd_daily(message: Message, command: CommandObject, **data: object) -> None:
    """`/daily 内容` or `/daily 11-20 内容` (backfill), in private or a bound group."""
    env = _env(data)
    if message.chat.type in filters.GROUP_CHATS and data.get("group") is None:
        return
    try:
        parsed = core.parse_daily(
            command.args or "",
            today=env.now.date(),
            backfill_days=env.policy.schedule.backfill_days,
        )
    except core.InvisibleText as exc:
        await message.reply(_input_error(exc))
        return
    except core.EmptyText:
        await message.reply(texts.DAILY_USAGE)
        return
    except core.InputError as exc:
        await message.reply(_input_error(exc))
        return
    await _file(message, env, kind=core.ReportKind.DAILY, day=parsed.day, raw=parsed.text)


async def group_report(message: Message, **data: object) -> None:
    """`#日报 内容` / `#周报 内容` in a bound group."""
    raw = (message.text or message.caption or "").lstrip()
    weekly = raw.startswith("#周报")
    body = raw.removeprefix("#周报" if weekly else "#日报")
    env = _env(data)
    if weekly and not body.strip():
        await message.reply(texts.WEEKLY_GROUP_HINT)
        return
    kind = core.ReportKind.WEEKLY if weekly else core.ReportKind.DAILY
    await _file(message, env, kind=kind, day=env.now.date(), raw=body)


async def group_stranger(message: Message) -> None:
    """`#日报` from someone not bound: say how to bind, record nothing."""
    await message.reply(texts.NOT_BOUND_GROUP)


async def unknown_command(message: Message) -> None:
    """A slash command nobody handles is not a report."""
    await message.answer(texts.UNKNOWN_COMMAND)


def _input_error(exc: core.InputError) -> str:
    if isinstance(exc, core.BackfillTooOld):
        return texts.backfill_too_old(exc.limit)
    if isinstance(exc, core.BadDate):
        return texts.bad_date(exc.text)
    if isinstance(exc, core.FutureDate):
        return texts.REPORT_FUTURE
    if isinstance(exc, core.TooLong):
        return texts.REPORT_TOO_LONG
    if isinstance(exc, core.InvisibleText):
        return texts.REPORT_INVISIBLE
    if isinstance(exc, core.NulCharacter):
        return texts.TEXT_UNSAVABLE
    return texts.REPORT_EMPTY


async def _file(
    message: Message, env: Env, *, kind: core.ReportKind, day: date, raw: str,
    source: tuple[int, int] | None = None,
) -> None:  # fmt: skip
    """Validate, store and commit, then acknowledge, then echo."""
    try:
        text = core.check_text(raw)
    except core.InputError as exc:
        await message.reply(_input_error(exc))
        return
    assert env.me.id is not None
    file_id, file_kind = _media(message)
    local_now = env.now
    if kind is core.ReportKind.WEEKLY:
        day, status = core.classify_weekly(env.policy, env.calendar, filed_at=local_now)
    else:
        leave = await leave_on(env, day)
        status = core.classify_daily(
            env.policy, env.calendar, day=day, filed_at=local_now, leave=leave
        )
    chat_id, message_id = source or (message.chat.id, message.message_id)
    in_group = message.chat.type in filters.GROUP_CHATS
    group = await home_group(env)
    own_group = in_group and group is not None and group.chat_id == message.chat.id
    echo_to = None
    if group is not None and (own_group or env.policy.schedule.echo_to_group):
        echo_to = group.chat_id  # a busy group's echo waits, queued with the report
    filing = store.Filing(
        person=env.me, kind=kind, day=day, status=status, text=text,
        source_chat_id=chat_id, source_message_id=message_id, filed_at=local_now,
        file_id=file_id, file_kind=file_kind,
    )  # fmt: skip
    claim = env.claim if isinstance(env.claim, Claim) and not env.claim.taken else None
    if claim is not None and isinstance(env.filer, Filer):  # together with concurrent ones
        outcome = await env.filer(Request(filing, echo_to, claim))
        if outcome is None:
            return  # an earlier delivery of this update stored it and answered
    else:  # this update's transaction has begun (it holds the claim): file in it
        outcome = await _file_here(env, Request(filing, echo_to))
    result, queued = outcome.filed, outcome.queued
    report, item = result.report, result.item

    status_label = core.STATUS_LABELS[core.FilingStatus(report.status)]
    ack = texts.filed(
        day=core.short_date(report.day),
        kind=report.kind,
        status=status_label,
        count=result.count,
        weekly=kind is core.ReportKind.WEEKLY,
    )
    if item.echo_message_id is not None:  # a duplicate delivery that was fully handled
        if not in_group:
            await _acknowledge(message, env, ack)
        return
    keyboard = await review_keyboard(env.session, report)
    if in_group:
        if own_group and queued:
            with suppress(TelegramAPIError):  # a reaction is not a message: no group budget
                await message.react([ReactionTypeEmoji(emoji="✍")])
            return
        named = texts.filed(
            day=core.short_date(report.day),
            kind=report.kind,
            status=status_label,
            count=result.count,
            weekly=kind is core.ReportKind.WEEKLY,
            name=env.me.name,
        )  # the group sees whose report it is
        sent = await message.reply(named, reply_markup=keyboard)
        await _answered(env)
        if own_group:
            store.set_echo(
                env.session, item=item, chat_id=sent.chat.id, message_id=sent.message_id
            )
            await env.session.commit()
            return
        if not queued:
            await echo_item(env, report, item, keyboard, group)
        return
    await _acknowledge(message, env, ack)
    if not queued and await echo_item(env, report, item, keyboard, group) is False:
        await message.answer(texts.REPORT_ECHO_FAILED)


async def _acknowledge(message: Message, env: Env, ack: str) -> None:
    """Tell the person in private, and record that they were told. Behind a webhook the
    answer is the webhook's response (Handling.respond), recorded once that is written."""
    handling, claim, answers = env.handling, env.claim, env.answers
    if (
        isinstance(handling, Handling)
        and handling.respond
        and handling.answer is None
        and isinstance(claim, Claim)
        and isinstance(answers, Batcher)
        and claim.due
    ):
        claim.due = False  # not recorded before Telegram has it: see bot/webhook.py
        handling.answer = message.answer(ack)
        handling.answered = partial(answers, claim.key)
        return
    await message.answer(ack)
    await _answered(env)


async def _answered(env: Env) -> None:
    """「已记录」 went out: say so at once (before the echo), so that a crash from now on
    does not make a redelivery answer it again."""
    if isinstance(env.claim, Claim) and isinstance(env.answers, Batcher) and env.claim.due:
        env.claim.due = False
        try:
            await env.answers(env.claim.key)
        except Exception:  # at worst a redelivery answers it again
            log.warning("could not record the answer to %s", env.claim.key.update_id)


async def _file_here(env: Env, request: Request) -> Outcome:
    """File in the update's own transaction (it holds the claim), and commit."""
    outcome = (await store_filings(env.session, [request]))[0]
    if isinstance(env.claim, Claim) and not env.claim.due:  # answered once, eventually
        await runtime.expect_answer(env.session, env.claim.key)
        env.claim.due = True
    await env.session.commit()  # stored (and its echo queued) before we say so
    assert outcome is not None
    return outcome


async def review_keyboard(session: AsyncSession, report: Report) -> InlineKeyboardMarkup:
    """The 「已阅」 button, showing who reviewed once someone has."""
    assert report.id is not None
    reviewed = report.reviewed_at is not None
    names = await store.reviewer_names(session, report_id=report.id) if reviewed else []
    label = texts.reviewed_button(names) if names else texts.REVIEW_BUTTON
    button = InlineKeyboardButton(text=label, callback_data=f"rv:{report.id}")
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def echo_text(env: Env, report: Report, item: ReportItem, name: str) -> str:
    """The echo's text (shortened to fit a caption when it carries a file)."""
    text = texts.echo(
        name=name,
        day=core.short_date(report.day),
        kind=report.kind,
        status=core.STATUS_LABELS[core.FilingStatus(report.status)],
        seq=item.seq,
        text=item.text,
    )
    limit = CAPTION_LIMIT if item.file_id else core.MAX_TEXT
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def echo_item(
    env: Env,
    report: Report,
    item: ReportItem,
    keyboard: InlineKeyboardMarkup,
    group: ChatGroup | None,
) -> bool | None:
    """Post the item to the author's department group; None when there is nothing to do."""
    if not env.policy.schedule.echo_to_group or group is None:
        return None
    text = echo_text(env, report, item, env.me.name)
    try:
        if item.file_kind == "photo" and item.file_id:
            sent = await env.bot.send_photo(
                group.chat_id, item.file_id, caption=text, reply_markup=keyboard
            )
        elif item.file_kind == "document" and item.file_id:
            sent = await env.bot.send_document(
                group.chat_id, item.file_id, caption=text, reply_markup=keyboard
            )
        else:
            sent = await env.bot.send_message(group.chat_id, text, reply_markup=keyboard)
    except TelegramAPIError:
        log.warning(
            "echo of report item %s to chat %s failed", item.id, group.chat_id, exc_info=True
        )
        return False
    store.set_echo(env.session, item=item, chat_id=sent.chat.id, message_id=sent.message_id)
    await env.session.commit()
    return True


async def on_edit(message: Message, **data: object) -> None:
    """An edited message updates its item; the old text is kept; the echo follows."""
    env = _env(data)
    item = await store.item_by_source(
        env.session, chat_id=message.chat.id, message_id=message.message_id
    )
    raw = message.text or message.caption or ""
    if item is None:
        return
    report = await env.session.get(Report, item.report_id)
    if report is None or report.person_id != env.me.id:
        return
    for prefix in ("#日报", "#周报"):
        raw = raw.lstrip().removeprefix(prefix)
    if raw.lstrip().startswith("/daily"):
        raw = raw.lstrip().removeprefix("/daily")
        first, _, rest = raw.strip().partition(" ")
        raw = rest if core.looks_like_day(first) else raw
    try:
        text = core.check_text(raw)
    except core.InputError as exc:
        await message.reply(_input_error(exc))
        return
    if not store.edit_item(env.session, item=item, text=text, at=env.now):
        return
    await env.session.commit()
    if message.chat.type == "private":
        await message.answer(
            texts.edited(day=core.short_date(report.day), kind=report.kind, seq=item.seq)
        )
    if item.echo_chat_id is not None and item.echo_message_id is not None:
        if item.echo_chat_id == item.source_chat_id:
            return  # filed in the group itself: the group already shows the edit
        new_text = echo_text(env, report, item, env.me.name)
        keyboard = await review_keyboard(env.session, report)
        batch = await echo_store.batch_at(
            env.session, chat_id=item.echo_chat_id, message_id=item.echo_message_id
        )
        if batch is not None:
            new_text, keyboard, _ = await echoes.batch_view(env.session, batch)
        try:
            if item.file_id and batch is None:
                await env.bot.edit_message_caption(
                    chat_id=item.echo_chat_id, message_id=item.echo_message_id,
                    caption=new_text, reply_markup=keyboard,
                )  # fmt: skip
            else:
                await env.bot.edit_message_text(
                    chat_id=item.echo_chat_id, message_id=item.echo_message_id,
                    text=new_text, reply_markup=keyboard,
                )  # fmt: skip
        except TelegramAPIError:
            log.warning("could not update the echo of item %s", item.id, exc_info=True)


# ---- weekly --------------------------------------------------------------------------


async def cmd_weekly(
    message: Message, command: CommandObject, state: FSMContext, **data: object
) -> None:
    """`/weekly 内容` files it; `/weekly` alone offers a draft from the week's items."""
    env = _env(data)
    if message.chat.type in filters.GROUP_CHATS:
        if data.get("group") is None:
            return
        if not (command.args or "").strip():
            await message.reply(texts.WEEKLY_GROUP_HINT)
            return
    if (command.args or "").strip():
        await _file(
            message, env, kind=core.ReportKind.WEEKLY, day=env.now.date(), raw=command.args or ""
        )
        return
    draft = await _draft(env)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=texts.WEEKLY_SUBMIT, callback_data="wk:draft"),
                InlineKeyboardButton(text=texts.WEEKLY_OWN, callback_data="wk:own"),
            ]
        ]
    )
    await state.clear()
    await message.answer(texts.weekly_draft_offer(draft), reply_markup=keyboard)


async def _draft(env: Env) -> str:
    assert env.me.id is not None
    monday, sunday = env.calendar.week_of(env.now.date())
    items = await store.week_items(env.session, person_id=env.me.id, start=monday, end=sunday)
    start, end = core.work_week(env.calendar, env.now.date())
    return core.weekly_draft(items, start=start, end=end)


async def weekly_button(query: CallbackQuery, state: FSMContext, **data: object) -> None:
    """「提交草稿」 files the draft; 「自己写」 waits for the person's own text."""
    env = _env(data)
    message = query.message
    if not isinstance(message, Message) or message.chat.type != "private":
        await query.answer(texts.STALE_BUTTON)  # the buttons only come in a private chat
        return
    if query.data == "wk:own":
        await state.set_state(WeeklyForm.text)
        await query.answer()
        await message.answer(texts.WEEKLY_ASK)
        return
    if query.data != "wk:draft":
        await query.answer()
        return
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    await _file(
        message, env, kind=core.ReportKind.WEEKLY, day=env.now.date(), raw=await _draft(env),
        source=(message.chat.id, message.message_id),
    )  # fmt: skip


async def weekly_text(message: Message, state: FSMContext, **data: object) -> None:
    """The person's own weekly report, after 「自己写」."""
    if message.text is not None and message.text.startswith("/"):
        await state.clear()
        await message.answer(texts.UNKNOWN_COMMAND)
        return
    env = _env(data)
    raw = message.text or message.caption or ""
    await state.clear()
    await _file(message, env, kind=core.ReportKind.WEEKLY, day=env.now.date(), raw=raw)
