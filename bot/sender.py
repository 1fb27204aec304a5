"""The one outbound sender of the scheduled jobs (DESIGN §5): Telegram's limits, retries,
blocked users, and the (job, day, target) idempotency record.

Limits. Telegram allows about 30 messages a second overall, 20 a minute in one group and
about one a second in one chat; aiogram does not retry a 429 by itself. Every message
waits for a slot of its chat, of its group's one-minute window and of the global pace,
in that order. Each chat is served by one worker at a time, in order, so messages to
different chats go out side by side while a busy group waits alone; the busiest chats
start first. Slots are evenly spaced a small margin under each limit, so network jitter
does not push a burst over a limit that Telegram counts on arrival, and never more than
the limit fall in any one second, even when the sender makes up for being held up.

Retries. A 429 holds its chat for `retry_after`, then the message goes again. In a
private chat our one-a-second cannot be what was exceeded, so we are near the overall
limit: everything else pauses too, for a few slots (`PAUSE_SLOTS`), not for the whole
`retry_after` Telegram set for that one chat. Network errors, 5xx answers and undecodable
answers back off exponentially. After `attempts` tries the message is given back
(`retry`): the job's next catch-up run takes it again. A 403 in a private chat means the
person blocked the bot: it is recorded (`unreachable`), their head is told once, and they
are skipped for a week unless they write to the bot again.

Idempotency — why claim first, mark after. Before sending, the sender claims the
message's (job, day, target) row with status `sending` (an INSERT that a unique key lets
only one instance win). After Telegram answers it marks the row `sent` (or `failed` for
good). A crash, a restart or a second instance can therefore only ever:
- skip a message it did not claim (someone else owns it), or
- find a `sending` row whose owner stopped updating it: after `stale_after` (30 s; a
  live sender refreshes its claims every 10 s) any run takes it over.
The only duplicate possible is a message Telegram accepted just before the process died,
in the moment between the answer and the commit of its mark. Reminders (core.jobs
`AT_MOST_ONCE`) close that too: their rows record `started_at` before the request goes
out, and a left-behind row that had started is not sent again — at worst one reminder
whose request was in flight at the crash is missed. Every other job's message is sent
again (at least once).
Marks are written by one writer task in small batches (group commit, `linger`), so that
moment stays under a tenth of a second even at 30 messages a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.batching import Batcher
from bot.pacing import self_paced
from core.jobs import AT_MOST_ONCE
from storage import jobs as store
from storage.groups import migrate_chat
from storage.tables import Person, utcnow

log = logging.getLogger(__name__)

MAX_TEXT = 4096
CAPTION = 1024  # Telegram's limit for a photo caption
STALE_AFTER = timedelta(seconds=30)  # a claim not refreshed for this long was left behind
CLAIM_BATCH = 25  # small: a claim briefly holds the event loop
IDLE_AFTER = 1.0  # seconds: a pace unused this long starts afresh (no catch-up burst)
WINDOW = 1.001  # seconds over which at most `rate` sends may fall (a hair over one)
MAX_PACES = 5000  # chats whose pacing is remembered before idle ones are forgotten
PAUSE_SLOTS = 10  # after a 429 in a private chat, all sends pause this many global slots
WORKERS = 64  # messages in progress at once (waiting for their turn, or in flight)


def instance_id() -> str:
    """A name for this process in claims and leases: host, pid and a random suffix."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's limits as the sender keeps them, and how it retries."""

    per_second: float = 30.0  # all chats together
    per_chat_per_second: float = 1.0
    group_per_minute: float = 20.0
    margin: float = 0.02  # stay this fraction under each limit
    attempts: int = 8  # tries per message before giving it back for a later run
    backoff: float = 1.0  # first wait after a network or server error, then doubled
    max_backoff: float = 60.0
    longest_wait: float = 600.0  # a longer retry_after gives the message back instead
    linger: float = 0.05  # seconds an outcome waits for others to share its commit

    def scaled(self, factor: float) -> Limits:
        """The same limits `factor` times higher (benchmarks against a fake API)."""
        return replace(
            self,
            per_second=self.per_second * factor,
            per_chat_per_second=self.per_chat_per_second * factor,
            group_per_minute=self.group_per_minute * factor,
        )

    @classmethod
    def unlimited(cls) -> Limits:
        """No waiting at all (the offline demo and tests)."""
        return cls(
            per_second=math.inf,
            per_chat_per_second=math.inf,
            group_per_minute=math.inf,
            backoff=0.0,
            linger=0.0,
        )


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message a job wants sent, with its idempotency key (job, day, target)."""

    job: str
    day: date
    target: str
    chat_id: int
    text: str
    person_id: int | None = None  # the person written to privately (a 403 marks them)
    label: str = ""  # who it is for, in words (dry runs and the demo)
    photo: bytes | None = None  # a PNG sent with `text` as its caption
    alt: str = ""  # what the picture shows, in words (dry runs and the demo)
    buttons: InlineKeyboardMarkup | None = None  # inline buttons under the text

    @property
    def key(self) -> store.Key:
        """(job, day, target)."""
        return (self.job, self.day, self.target)


@dataclass
class Delivery:
    """What became of a batch of messages."""

    sent: list[Outgoing] = field(default_factory=list)
    skipped: list[Outgoing] = field(default_factory=list)  # sent before, or owned elsewhere
    failed: list[Outgoing] = field(default_factory=list)  # for good (blocked, bad chat)
    later: list[Outgoing] = field(default_factory=list)  # given back for a later run
    blocked: list[Outgoing] = field(default_factory=list)  # 403 in a private chat
    retry_after: int = 0  # 429 answers received
    transient: int = 0  # network / server errors retried

    def merge(self, other: Delivery) -> None:
        """Add another batch's outcome to this one."""
        for name in ("sent", "skipped", "failed", "later", "blocked"):
            getattr(self, name).extend(getattr(other, name))
        self.retry_after += other.retry_after
        self.transient += other.transient


class _Pace:
    """Evenly spaced sends, one waiter at a time, never more than `rate` in any second.

    Slots follow a schedule of one per `interval`, handed out as waiters reach the front
    (not reserved ahead). When the process was held up (a busy event loop, the CPU given
    to another process), the sends it owes are made up at up to twice the pace, but never
    beyond what a one-second window allows, so lateness is recovered without a burst
    that Telegram would count against us. After an idle spell the schedule starts afresh.
    """

    def __init__(self, rate: float, margin: float) -> None:
        self.interval = _interval(rate, margin)
        self.per_window = max(1, int(1 / self.interval)) if self.interval else 0
        self.free = 0.0  # the schedule: the next slot
        self.last = -math.inf  # the previous send
        self.recent: deque[float] = deque()  # the last `per_window` sends
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval and self.free <= time.monotonic():
            return  # unlimited, and not held after a 429
        async with self.lock:
            now = time.monotonic()
            if not self.interval:
                await asyncio.sleep(self.free - now)
                return
            if now - self.free > IDLE_AFTER:
                self.free = now
            slot = max(self.free, self.last + self.interval / 2)
            if len(self.recent) >= self.per_window:
                slot = max(slot, self.recent[0] + WINDOW)
            if slot > now:
                await asyncio.sleep(slot - now)
            self.last = time.monotonic()
            self.recent.append(self.last)
            if len(self.recent) > self.per_window:
                self.recent.popleft()
            self.free += self.interval

    def hold(self, until: float) -> None:
        self.free = max(self.free, until)


class _Window:
    """At most `limit` sends in any `span` seconds."""

    def __init__(self, limit: float, span: float) -> None:
        self.limit = max(1, int(limit)) if math.isfinite(limit) else 0
        self.span = span
        self.slots: deque[float] = deque()

    def reserve(self, now: float) -> float:
        if not self.limit:
            return now
        slot = now
        if len(self.slots) >= self.limit:
            slot = max(now, self.slots[-self.limit] + self.span)
        self.slots.append(slot)
        while len(self.slots) > self.limit:
            self.slots.popleft()
        return slot


def _interval(rate: float, margin: float) -> float:
    return 0.0 if math.isinf(rate) else (1.0 + margin) / rate


@dataclass
class _Result:
    status: str  # sent | failed | retry
    message_id: int | None = None
    error: str | None = None
    blocked: bool = False


class Sender:
    """Sends jobs' messages within Telegram's limits, once per (job, day, target)."""

    def __init__(
        self,
        bot: Bot,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        limits: Limits | None = None,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self.bot = bot
        self.sessionmaker = sessionmaker
        self.limits = limits or Limits()
        self.clock = clock
        self.owner = (owner or instance_id())[:64]
        self.stale_after = stale_after
        self.at_most_once = frozenset(job.value for job in AT_MOST_ONCE)
        self._starts: Batcher[int, None] = Batcher(self._start)
        self._global = _Pace(self.limits.per_second, self.limits.margin)
        self._chats: dict[int, _Pace] = {}
        self._groups: dict[int, _Window] = {}

    # ---- the public call ---------------------------------------------------------------

    async def send(self, messages: Sequence[Outgoing], *, take_over: bool = False) -> Delivery:
        """Claim, send and record each message; messages sent before are skipped.

        Claims go in small batches just ahead of the sending. `take_over`: every other
        sender's `sending` claim counts as left behind (its owner is known to be dead).
        """
        delivery = Delivery()
        unique = list({m.key: m for m in messages}.values())
        if not unique:
            return delivery
        # Busy chats first (a group's messages take longest), each chat's own order kept.
        per_chat = Counter(m.chat_id for m in unique)
        unique.sort(key=lambda m: -per_chat[m.chat_id])
        async with self.sessionmaker() as session:
            blocked_before = await store.blocked_ids(session)
        ledger = _Ledger(self.sessionmaker, self.owner, blocked_before, self.limits.linger)
        keepalive = asyncio.create_task(self._keep_claims())
        started: set[int] = set()  # claims whose request may have reached Telegram
        owned: list[int] = []
        # A short queue: claims are made just ahead of sending, a few at a time, so that
        # they never hold the event loop long enough to make the sends late.
        queue: asyncio.Queue[tuple[Outgoing, int] | None] = asyncio.Queue(4 * CLAIM_BATCH)
        lanes: dict[int, deque[tuple[Outgoing, int]]] = {}
        work = [
            asyncio.create_task(self._worker(queue, lanes, started, delivery, ledger))
            for _ in range(min(WORKERS, len(unique)))
        ]
        try:
            for offset in range(0, len(unique), CLAIM_BATCH):
                chunk = unique[offset : offset + CLAIM_BATCH]
                claims = {c.key: c.id for c in await self._claim(chunk, take_over)}
                owned += claims.values()
                for message in chunk:
                    if message.key in claims:
                        await queue.put((message, claims[message.key]))
                    else:
                        delivery.skipped.append(message)
            for _ in work:
                await queue.put(None)
            await asyncio.gather(*work)
            await ledger.close()
        except BaseException:
            for task in work:
                task.cancel()
            unsent = [row_id for row_id in owned if row_id not in started]
            with contextlib.suppress(Exception):
                await asyncio.shield(ledger.close())
                async with self.sessionmaker() as session:
                    await store.release(session, ids=unsent, owner=self.owner)
                    await session.commit()
            raise
        finally:
            keepalive.cancel()
        if delivery.blocked:
            delivery.merge(await self._tell_leaders(delivery.blocked))
        return delivery

    # ---- steps ------------------------------------------------------------------------

    async def _claim(self, messages: Sequence[Outgoing], take_over: bool) -> list[store.Claim]:
        now = self.clock()
        stale_before = now + timedelta(seconds=1) if take_over else now - self.stale_after
        async with self.sessionmaker() as session:
            claims = await store.claim(
                session,
                messages=[(m.key, m.chat_id, m.person_id) for m in messages],
                owner=self.owner,
                now=now,
                stale_before=stale_before,
                at_most_once=self.at_most_once,
            )
            await session.commit()
        return claims

    async def _start(self, ids: list[int]) -> list[None | BaseException]:
        """Record that these messages' requests go out now (at-most-once jobs)."""
        async with self.sessionmaker() as session:
            await store.start(session, ids=ids, now=self.clock())
            await session.commit()
        return [None] * len(ids)

    async def _keep_claims(self) -> None:
        """Refresh this sender's claims so no one takes them over while it works."""
        while True:
            await asyncio.sleep(self.stale_after.total_seconds() / 3)
            try:
                async with self.sessionmaker() as session:
                    await store.touch(session, owner=self.owner, now=self.clock())
                    await session.commit()
            except Exception:
                log.warning("could not refresh message claims", exc_info=True)

    async def _turn(self, chat_id: int) -> None:
        """Wait for a slot of the chat, of its group window, and of the global pace."""
        limits = self.limits
        pace = self._chats.get(chat_id)
        if pace is None and len(self._chats) >= MAX_PACES:
            self._forget_idle_chats()
        if pace is None:
            pace = self._chats[chat_id] = _Pace(limits.per_chat_per_second, limits.margin)
        await pace.wait()
        if chat_id < 0:
            window = self._groups.get(chat_id)
            if window is None:
                span = 60.0 * (1.0 + limits.margin)
                window = self._groups[chat_id] = _Window(limits.group_per_minute, span)
            await _until(window.reserve(time.monotonic()))
        await self._global.wait()

    def _forget_idle_chats(self) -> None:
        """Drop the pacing state of chats idle for a while (memory stays small)."""
        cutoff = time.monotonic() - 90.0  # past any group window too
        for chat_id, pace in list(self._chats.items()):
            if pace.free < cutoff and not pace.lock.locked():
                del self._chats[chat_id]
                self._groups.pop(chat_id, None)

    async def _worker(
        self,
        queue: asyncio.Queue[tuple[Outgoing, int] | None],
        lanes: dict[int, deque[tuple[Outgoing, int]]],
        started: set[int],
        delivery: Delivery,
        ledger: _Ledger,
    ) -> None:
        """Take claimed messages and deliver them, until told to stop.

        One worker at a time serves a chat (its lane), in order; a message for a chat being
        served joins that lane, so a slow chat holds one worker, not many.
        """
        while (item := await queue.get()) is not None:
            chat_id = item[0].chat_id
            if chat_id in lanes:
                lanes[chat_id].append(item)
                continue
            lanes[chat_id] = lane = deque([item])
            while lane:
                message, row_id = lane.popleft()
                await self._deliver(message, row_id, started, delivery, ledger)
            del lanes[chat_id]

    async def _deliver(
        self,
        message: Outgoing,
        row_id: int,
        started: set[int],
        delivery: Delivery,
        ledger: _Ledger,
    ) -> None:
        """Send one claimed message and hand its outcome to the ledger at once."""
        result = await self._attempts(message, row_id, started, delivery)
        ledger.add(row_id, message, result, self.clock())
        self._tally(delivery, message, result)

    async def _attempts(
        self, message: Outgoing, row_id: int, started: set[int], delivery: Delivery
    ) -> _Result:
        """Send one claimed message, retrying what can be retried."""
        limits = self.limits
        chat_id = message.chat_id
        text = (
            message.text if len(message.text) <= MAX_TEXT else message.text[: MAX_TEXT - 1] + "…"
        )
        error = ""
        for attempt in range(1, limits.attempts + 1):
            await self._turn(chat_id)
            if (refused := await self._started(message, row_id, started)) is not None:
                return refused
            try:
                with self_paced():  # the bot's pacer: only its global slot (bot/pacing.py)
                    if message.photo is not None:
                        picture = BufferedInputFile(message.photo, f"{message.job}.png")
                        sent = await self.bot.send_photo(chat_id, picture, caption=text[:CAPTION])
                    else:
                        sent = await self.bot.send_message(
                            chat_id, text, reply_markup=message.buttons
                        )
            except TelegramRetryAfter as exc:
                delivery.retry_after += 1
                if exc.retry_after > limits.longest_wait:
                    return _Result("retry", error=str(exc))
                now = time.monotonic()
                self._chats[chat_id].hold(now + exc.retry_after)
                if chat_id > 0:
                    pause = min(exc.retry_after, PAUSE_SLOTS * self._global.interval)
                    self._global.hold(now + pause)
                error = str(exc)
                continue
            except TelegramMigrateToChat as exc:
                chat_id = await self._follow_migration(chat_id, exc.migrate_to_chat_id)
                error = str(exc)
                continue
            except TelegramForbiddenError as exc:
                private = message.person_id is not None and chat_id > 0
                log.warning("chat %s refused a message (%s): %s", chat_id, message.job, exc)
                return _Result("failed", error=str(exc), blocked=private)
            except TelegramUnauthorizedError as exc:
                return _Result("retry", error=str(exc))
            except TelegramEntityTooLarge as exc:
                return _Result("failed", error=str(exc))
            except (TelegramNetworkError, TelegramServerError, ClientDecodeError) as exc:
                delivery.transient += 1
                error = str(exc)
                wait = min(limits.max_backoff, limits.backoff * 2 ** (attempt - 1))
                log.info("sending to %s failed (%s), retry in %.1f s", chat_id, exc, wait)
                if attempt < limits.attempts:
                    await asyncio.sleep(wait)
                continue
            except TelegramAPIError as exc:  # 400 chat not found, message too long, …
                log.warning("chat %s: message not sendable (%s): %s", chat_id, message.job, exc)
                return _Result("failed", error=str(exc))
            except Exception as exc:
                log.exception("unexpected error sending %s to %s", message.key, chat_id)
                return _Result("retry", error=repr(exc))
            return _Result("sent", message_id=sent.message_id)
        log.warning("giving %s back after %s tries: %s", message.key, limits.attempts, error)
        return _Result("retry", error=error)

    async def _started(self, message: Outgoing, row_id: int, started: set[int]) -> _Result | None:
        """Note that the message goes out now; for an at-most-once job, record it first
        (a crash from then on leaves it unsent rather than sent twice)."""
        if row_id not in started and message.job in self.at_most_once:
            try:
                await self._starts(row_id)
            except Exception as exc:
                return _Result("retry", error=repr(exc))
        started.add(row_id)
        return None

    async def _follow_migration(self, old: int, new: int) -> int:
        """A group became a supergroup: follow its binding to the new id."""
        async with self.sessionmaker() as session:
            if await migrate_chat(session, old_chat_id=old, new_chat_id=new):
                await session.commit()
        return new

    @staticmethod
    def _tally(delivery: Delivery, message: Outgoing, result: _Result) -> None:
        if result.status == "sent":
            delivery.sent.append(message)
        elif result.status == "failed":
            delivery.failed.append(message)
            if result.blocked:
                delivery.blocked.append(message)
        else:
            delivery.later.append(message)

    async def _tell_leaders(self, blocked: Sequence[Outgoing]) -> Delivery:
        """Record who blocked the bot; the first time, tell their head (or the 考核办)."""
        notices: list[Outgoing] = []
        now = self.clock()
        async with self.sessionmaker() as session:
            for message in blocked:
                assert message.person_id is not None
                first = await store.mark_unreachable(
                    session, person_id=message.person_id, now=now, error="blocked"
                )
                if not first:
                    continue
                person = await session.get(Person, message.person_id)
                name = person.name if person else "?"
                for leader in await store.leaders_to_tell(session, person_id=message.person_id):
                    assert leader.tg_user_id is not None
                    notices.append(
                        Outgoing(
                            job="blocked",
                            day=message.day,
                            target=f"{message.person_id}>{leader.id}",
                            chat_id=leader.tg_user_id,
                            text=texts.unreachable(name),
                            person_id=leader.id,
                        )
                    )
            await session.commit()
        return await self.send(notices)


async def _until(slot: float) -> None:
    delay = slot - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


class _Ledger:
    """Writes outcomes in small batches (group commit) as they come in."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        owner: str,
        blocked_before: set[int],
        linger: float,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.linger = linger
        self.owner = owner
        self.blocked_before = blocked_before
        self.pending: list[tuple[store.Outcome, int | None]] = []
        self.wake = asyncio.Event()
        self.closing = False
        self.task = asyncio.create_task(self._write_loop())

    def add(self, row_id: int, message: Outgoing, result: _Result, at: datetime) -> None:
        outcome = store.Outcome(row_id, result.status, at, result.message_id, result.error)
        reached = message.person_id if result.status == "sent" else None
        self.pending.append((outcome, reached))
        self.wake.set()

    async def close(self) -> None:
        self.closing = True
        self.wake.set()
        await self.task

    async def _write_loop(self) -> None:
        while True:
            await self.wake.wait()
            if self.linger and not self.closing:
                await asyncio.sleep(self.linger)  # let a few more outcomes join this commit
            self.wake.clear()
            if self.pending:
                batch, self.pending = self.pending, []
                await self._write(batch)
            if self.closing and not self.pending:
                return

    async def _write(self, batch: list[tuple[store.Outcome, int | None]]) -> None:
        reached = {p for _, p in batch if p is not None and p in self.blocked_before}
        for attempt in range(5):
            try:
                async with self.sessionmaker() as session:
                    await store.finish(session, outcomes=[o for o, _ in batch], owner=self.owner)
                    await store.clear_unreachable(session, person_ids=reached)
                    await session.commit()
                return
            except Exception:
                log.warning("could not record sent messages (try %s)", attempt + 1, exc_info=True)
                await asyncio.sleep(0.5 * 2**attempt)
        log.error("gave up recording %s sent messages: they may be sent again", len(batch))
