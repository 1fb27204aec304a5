"""Outer middlewares: one DB session per update, then who is speaking and where."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, TelegramObject, Update, User
from aiogram.types.update import UpdateTypeLookupError
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.batching import Batcher
from bot.calendars import CalendarBook
from core.calendar import WorkCalendar
from storage import runtime
from storage.groups import groups_for_chats
from storage.people import Identity, admin_chat_ids, get_setting, identities_by_tg, set_setting
from storage.runtime import ClaimKey
from storage.tables import ChatGroup, utcnow

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class KnownUpdateMiddleware(BaseMiddleware):
    """An update of a type this aiogram does not know (a newer Bot API) is skipped with
    one log line naming its fields — not printed raw by aiogram, with what people wrote."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update):
            try:
                event.event_type  # noqa: B018 - raises for an unknown type
            except UpdateTypeLookupError:
                fields = ", ".join(sorted(event.model_extra or {})) or "?"
                log.warning("update %s of an unknown type (%s) skipped", event.update_id, fields)
                return UNHANDLED
        return await handler(event, data)


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
    `leave_until` (the last day of their active leave, or None) for filing reports.

    Concurrent updates are looked up together (bot/batching.py): at a deadline one query
    serves all the updates that arrived while the previous one ran."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.lookup: Batcher[LookupKey, tuple[Identity, ChatGroup | None]] = Batcher(self._look)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        in_group = chat is not None and chat.type in {"group", "supergroup"}
        key = (user.id if user else None, chat.id if chat is not None and in_group else None)
        who, group = await self.lookup(key) if key != (None, None) else (NOBODY, None)
        data["me"] = who.person
        data["home_group"] = who.home_group
        data["leave_until"] = who.leave_until
        data["group"] = group
        return await handler(event, data)

    async def _look(self, keys: list[LookupKey]) -> list[tuple[Identity, ChatGroup | None]]:
        users = sorted({user for user, _ in keys if user is not None})
        chats = sorted({chat for _, chat in keys if chat is not None})
        async with self.sessionmaker() as session:
            people = await identities_by_tg(session, tg_user_ids=users)
            groups = await groups_for_chats(session, chat_ids=chats)
        return [
            (
                people.get(user, NOBODY) if user is not None else NOBODY,
                groups.get(chat) if chat is not None else None,
            )
            for user, chat in keys
        ]


LookupKey = tuple[int | None, int | None]  # (Telegram user id, group chat id)
NOBODY = Identity(None)


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
    in a year the official calendar does not know, the admins are told once. `calendar` is
    the current one: holiday notices imported on any instance reach it within a minute.
    """

    def __init__(
        self, zone: ZoneInfo, calendars: CalendarBook, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.zone = zone
        self.calendars = calendars
        self.clock = clock
        self.checked_years: set[int] = set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        when = event_time(event)
        if isinstance(when, int):
            when = datetime.fromtimestamp(when, UTC)
        now = (when or self.clock()).astimezone(self.zone)
        data["now"], data["today"] = now, now.date()
        data["calendar"] = calendar = await self.calendars.current()
        if now.year not in self.checked_years and not calendar.known(now.date()):
            self.checked_years.add(now.year)
            await warn_unknown_year(data["session"], data["bot"], calendar, now.date())
        return await handler(event, data)


async def warn_unknown_year(
    session: AsyncSession, bot: Bot, calendar: WorkCalendar, day: date
) -> None:
    """Log and tell the admins, once per year, that the statutory fallback is in use."""
    if calendar.known(day):
        return
    key = f"calendar_fallback_{day.year}"
    try:
        if await get_setting(session, key=key):
            return
        log.warning(
            "official holiday data for %s is missing: statutory holidays and weekends are "
            "used, 调休 workdays are unknown; import the notice: kaohe calendar import",
            day.year,
        )
        await set_setting(session, key=key, value=utcnow().isoformat())
        await session.commit()
        for tg_id in await admin_chat_ids(session):
            try:
                await bot.send_message(tg_id, texts.calendar_fallback(day.year))
            except TelegramAPIError:
                log.warning("could not tell admin %s about the calendar", tg_id)
    except AlreadyHandled:
        raise
    except Exception:  # never let this block a report
        log.exception("calendar warning failed")
        await session.rollback()


# seconds an instance that stored a report has to send its 「已记录」 before another one
# seeing the update again sends it instead (the first one is taken to have died)
ANSWER_GRACE = 20.0


class AlreadyHandled(Exception):
    """The update's claim was refused: an earlier delivery or another instance has it."""


@dataclass(slots=True)
class Claim:
    """An update's claim, until a transaction takes it: the handler's session with its
    first statement, or the filer's batch together with the report (bot/filing.py)."""

    key: ClaimKey
    taken: bool = False  # a transaction has it (or had it)
    stored: bool = False  # committed by the filer, with what the update stored
    refused: bool = False  # the update was handled before: nothing stored
    gone: bool = False  # the handler was cancelled while the filer wrote it
    due: bool = False  # a report is stored with it and its answer not sent yet
    replay: bool = False  # committed before, answer due: handled again only to answer


@dataclass(slots=True)
class Handling:
    """How handling an update ended, for whoever confirms it to Telegram (bot/polling.py,
    the webhook): `retry` when it stored something and then failed (its claim given
    back, or its answer still due), so that a later delivery may finish it."""

    retry: bool = False
    later: float | None = None  # not handled yet: feed it again after this many seconds
    # Webhook mode: the report's 「已记录」 goes back as the webhook's own response (a
    # method Telegram runs when, and only when, it receives the response), so the answer
    # and the update's confirmation are one event — a crash can leave neither done or both,
    # never the answer sent and the update delivered again (bot/webhook.py).
    respond: bool = False  # the caller can send `answer` as its response
    answer: Any = None  # that method (aiogram's SendMessage), not sent yet
    answered: Any = None  # a callable recording it sent, once the response is written


class UpdateOnceMiddleware(BaseMiddleware):
    """Each Telegram update is handled once, by one instance (DESIGN §9).

    Telegram may deliver an update twice (a webhook answer lost, a restart while polling),
    and with several instances behind one webhook two may see it. The update id is claimed
    in the handler's own transaction — its first statement claims it (a session hook) — so
    the claim is committed together with what the update stored, with no extra round
    trip, and rolled back with it when the handler fails or the instance dies: a
    redelivery is then handled afresh (a handler failing after it committed gives its
    claim back). A filing that goes through the batched filer has its claim taken there,
    with its report (`data["claim"]`). A second instance claiming the same update waits
    for the first one's transaction and then skips it. A handler that stores nothing (a
    question, a refusal) has its update remembered afterwards, and an update remembered
    before is skipped at once (concurrent updates are checked together, one query).
    Reports, likes and replies are also keyed by chat + message id.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        owner: str,
        *,
        keep: timedelta = timedelta(days=3),
        prune_every: int = 1000,
        answer_grace: float = ANSWER_GRACE,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.owner = owner[:64]
        self.answer_grace = answer_grace
        self.keep = keep
        self.prune_every = prune_every
        self.seen: Batcher[tuple[int, int], bool | None] = Batcher(self._seen)
        self.answers: Batcher[ClaimKey, None] = Batcher(self._answered)

    async def _seen(self, keys: list[tuple[int, int]]) -> list[bool | None]:
        """Per update: None if never claimed, else whether its answer is still due."""
        bots = {bot_id for bot_id, _ in keys}
        states: dict[tuple[int, int], bool] = {}
        async with self.sessionmaker() as session:
            for bot_id in bots:
                found = await runtime.claim_states(
                    session, bot_id=bot_id, update_ids=[u for b, u in keys if b == bot_id]
                )
                states.update({(bot_id, u): due for u, due in found.items()})
        return [states.get(key) for key in keys]

    async def _answered(self, keys: list[ClaimKey]) -> list[None | BaseException]:
        async with self.sessionmaker() as session:
            await runtime.answered(session, keys)
            await session.commit()
        return [None] * len(keys)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        session: AsyncSession = data["session"]
        now = utcnow()  # wall time, not the unit clock
        state = await self.seen((data["bot"].id, event.update_id))
        if state is False:
            log.info("update %s skipped: already handled", event.update_id)
            return UNHANDLED
        claim = Claim(ClaimKey(data["bot"].id, event.update_id, self.owner))
        handling = data.get("handling")
        if state:  # stored before, never answered: handle again to answer (filing is
            wait = await self._take_answer(claim.key, now)  # keyed by message: kept once)
            if wait is not None:  # another instance is answering it (or has just died)
                log.info("update %s: its answer is due from another instance", event.update_id)
                if isinstance(handling, Handling):  # looked at again once it had its time
                    handling.retry, handling.later = True, wait + 0.5
                return UNHANDLED
            claim.taken = claim.due = claim.replay = True
            log.info("update %s: stored before, answering it now", event.update_id)
        data["claim"] = claim
        data["answers"] = self.answers
        commits: list[object] = []

        def began(_session: object, _transaction: object, connection: Connection) -> None:
            if claim.taken:
                return
            claim.taken = True
            if not runtime.claim_on(connection, claim.key, now=now):
                claim.refused = True
                raise AlreadyHandled(event.update_id)

        def committed(sync_session: object) -> None:
            commits.append(sync_session)

        sync = session.sync_session
        sa_event.listen(sync, "after_begin", began)
        sa_event.listen(sync, "after_commit", committed)
        try:
            result = await handler(event, data)
        except AlreadyHandled:
            with suppress(Exception):
                await session.rollback()
            log.info("update %s skipped: already handled", event.update_id)
            return UNHANDLED
        except BaseException:
            if (commits or claim.stored) and not claim.replay:
                await self._release(session, claim)  # failed after storing: let a
            if isinstance(handling, Handling):  # redelivery finish it
                handling.retry = bool(commits or claim.stored or claim.due)
            raise
        finally:
            sa_event.remove(sync, "after_begin", began)
            sa_event.remove(sync, "after_commit", committed)
        await self._afterwards(session, claim, now, stored=bool(commits or claim.stored))
        return result

    async def _take_answer(self, key: ClaimKey, now: datetime) -> float | None:
        """None when this instance answers a stored update now, else the seconds until it
        may (see runtime.take_answer)."""
        async with self.sessionmaker() as session:
            wait = await runtime.take_answer(session, key, now=now, grace=self.answer_grace)
            await session.commit()
        return wait

    async def _afterwards(
        self, session: AsyncSession, claim: Claim, now: datetime, *, stored: bool
    ) -> None:
        """After a handler returned: its answer recorded, or its update remembered."""
        if claim.due:  # the report's answer went out
            try:
                await self.answers(claim.key)
            except Exception:  # at worst a redelivery answers it again
                log.warning("could not record the answer to %s", claim.key.update_id)
        remember = not (stored or claim.refused or claim.replay)
        prune = claim.key.update_id % self.prune_every == 0
        if remember or prune:
            try:
                await session.rollback()  # nothing the handler left uncommitted is kept
                if remember:
                    await runtime.claim_updates(session, [claim.key], now=now)
                if prune:
                    await runtime.prune_updates(session, before=now - self.keep)
                await session.commit()
            except Exception:  # answered already; at worst a redelivery is answered again
                log.warning("could not record update %s", claim.key.update_id, exc_info=True)

    async def _release(self, session: AsyncSession, claim: Claim) -> None:
        try:
            await session.rollback()
            await runtime.release_updates(session, [claim.key])
            await session.commit()
        except Exception:
            log.warning("could not release update %s", claim.key.update_id, exc_info=True)
