"""Outer middlewares: one DB session per update, then who is speaking and where."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, TelegramObject, Update, User
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from core.calendar import WorkCalendar
from storage import runtime
from storage.groups import group_for_chat
from storage.people import Identity, admin_chat_ids, get_setting, identity_by_tg, set_setting
from storage.tables import utcnow

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """Opens one AsyncSession per update; handlers commit it once."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            return await handler(event, data)


class IdentityMiddleware(BaseMiddleware):
    """Resolves `me` (the bound person, or None) and `group` (the chat's binding, or None);
    with `me`, in the same query, `home_group` (their department's group, or None) and
    `leave_until` (the last day of their active leave, or None) for filing reports."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        session: AsyncSession = data["session"]
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        who = await identity_by_tg(session, tg_user_id=user.id) if user else Identity(None)
        data["me"] = who.person
        data["home_group"] = who.home_group
        data["leave_until"] = who.leave_until
        in_group = chat is not None and chat.type in {"group", "supergroup"}
        data["group"] = await group_for_chat(session, chat_id=chat.id) if in_group else None
        return await handler(event, data)


def event_time(event: TelegramObject) -> datetime | None:
    """When Telegram says the event happened (edits: when edited), in UTC."""
    update = event if isinstance(event, Update) else None
    if update is None:
        return None
    if update.edited_message is not None:
        edited = update.edited_message
        return edited.edit_date or edited.date  # type: ignore[return-value]
    for message in (update.message, update.channel_post):
        if message is not None:
            return message.date
    if update.callback_query is not None:
        return None  # callback queries carry no date; the shell's clock decides
    if update.my_chat_member is not None:
        return update.my_chat_member.date
    return None


class ClockMiddleware(BaseMiddleware):
    """Puts `now` (aware, in the unit's time zone) and `today` into the handler data.

    The event's own Telegram timestamp is used when it has one, so a report is dated by
    when it was sent, not by when a busy bot got round to it. The first time a date falls
    in a year the official calendar does not know, the admins are told once.
    """

    def __init__(
        self, zone: ZoneInfo, calendar: WorkCalendar, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.zone = zone
        self.calendar = calendar
        self.clock = clock
        self.checked_years: set[int] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        when = event_time(event)
        if isinstance(when, int):
            when = datetime.fromtimestamp(when, UTC)
        now = (when or self.clock()).astimezone(self.zone)
        data["now"], data["today"] = now, now.date()
        if now.year not in self.checked_years:
            self.checked_years.add(now.year)
            await warn_unknown_year(data["session"], data["bot"], self.calendar, now.date())
        return await handler(event, data)


async def warn_unknown_year(
    session: AsyncSession, bot: Bot, calendar: WorkCalendar, day: date
) -> None:
    """Log and tell the admins, once per year, that the Mon–Fri fallback is in use."""
    if calendar.known(day):
        return
    key = f"calendar_fallback_{day.year}"
    try:
        if await get_setting(session, key=key):
            return
        log.warning(
            "official holiday data for %s is missing: working days fall back to Mon–Fri; "
            "upgrade chinesecalendar or add [calendar] overrides to the policy",
            day.year,
        )
        await set_setting(session, key=key, value=utcnow().isoformat())
        await session.commit()
        for tg_id in await admin_chat_ids(session):
            try:
                await bot.send_message(tg_id, texts.calendar_fallback(day.year))
            except TelegramAPIError:
                log.warning("could not tell admin %s about the calendar", tg_id)
    except Exception:  # never let this block a report
        log.exception("calendar warning failed")
        await session.rollback()


class UpdateOnceMiddleware(BaseMiddleware):
    """Each Telegram update is handled once, by one instance (DESIGN §9).

    Telegram may deliver an update twice (a webhook answer lost, a restart while polling),
    and with several instances behind one webhook two may see it. The update id is claimed
    in the handler's own transaction, so the claim is committed together with what the
    update stored — no extra round trip on the busy path — and rolled back with it when
    the handler fails or the instance dies: a redelivery is then handled afresh (a handler
    failing after it committed gives its claim back). A second
    instance claiming the same update waits for the first one's transaction and then
    skips it. A handler that stores nothing (a question, a refusal) has its update
    remembered afterwards. Reports, likes and replies are also keyed by chat + message id.
    """

    def __init__(
        self, owner: str, *, keep: timedelta = timedelta(days=3), prune_every: int = 1000
    ) -> None:
        self.owner = owner[:64]
        self.keep = keep
        self.prune_every = prune_every

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        session: AsyncSession = data["session"]
        key = {"bot_id": data["bot"].id, "update_id": event.update_id, "owner": self.owner}
        now = utcnow()  # wall time, not the unit clock
        if not await runtime.claim_update(session, **key, now=now):
            await session.rollback()
            log.info("update %s skipped: already handled", event.update_id)
            return UNHANDLED
        commits: list[object] = []

        def committed(sync_session: object) -> None:
            commits.append(sync_session)

        sa_event.listen(session.sync_session, "after_commit", committed)
        try:
            result = await handler(event, data)
        except BaseException:
            sa_event.remove(session.sync_session, "after_commit", committed)
            if commits:  # failed after storing: let a redelivery finish the job
                try:
                    await session.rollback()
                    await runtime.release_update(session, **key)
                    await session.commit()
                except Exception:
                    log.warning("could not release update %s", event.update_id, exc_info=True)
            raise
        sa_event.remove(session.sync_session, "after_commit", committed)
        if not commits or event.update_id % self.prune_every == 0:
            try:
                await session.rollback()  # nothing the handler left uncommitted is kept
                if not commits:
                    await runtime.claim_update(session, **key, now=now)
                if event.update_id % self.prune_every == 0:
                    await runtime.prune_updates(session, before=now - self.keep)
                await session.commit()
            except Exception:  # answered already; at worst a redelivery is answered again
                log.warning("could not record update %s", event.update_id, exc_info=True)
        return result
