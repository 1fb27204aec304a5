"""Long polling that confirms an update to Telegram only once it is handled (issue 16).

Telegram keeps an update until a `getUpdates` call with a higher `offset` confirms it;
aiogram's own polling confirms every update it received on its next call, before the
handlers have stored anything, so a crash lost whatever was in flight. Here each update
is handled in its own task (concurrent updates still meet in one transaction: see
bot/batching.py and bot/filing.py), and the offset only moves past an update once its
handling finished — its effects committed and its answer sent, or a failure that trying
again would not mend (the user was told). As offsets confirm everything below them, one
slow update holds back the confirmation of those after it, not their handling; a crash
then makes Telegram deliver them all again, and the update claims (bot/middlewares.py)
skip the ones handled, or answer a stored report whose answer never went out.

An update that stored something and then failed (its answer could not be sent) is fed
again a few times, a little later, before it is given up as handled.

On stop (SIGTERM, Ctrl-C) polling ends at once, the updates in flight get `drain`
seconds to finish, and what is still running is cancelled and left unconfirmed, for the
next start to handle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.middlewares import Handling

log = logging.getLogger(__name__)

POLL_TIMEOUT = 10  # seconds a getUpdates call waits for news
HELD_BACK = 0.25  # seconds to wait before asking again while only old updates are in flight
DRAIN = 20.0  # seconds the updates in flight get on stop
RETRIES = (2.0, 8.0)  # delays before feeding a failed-after-storing update again
DEFERRALS = 2  # times an update whose answer another instance owes is fed again later
BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


class Poller:
    """Feeds `getUpdates` to the dispatcher; confirms what is handled; drains on stop."""

    def __init__(
        self,
        bot: Bot,
        dp: Dispatcher,
        *,
        timeout: int = POLL_TIMEOUT,
        drain: float = DRAIN,
        retries: tuple[float, ...] = RETRIES,
    ) -> None:
        self.bot = bot
        self.dp = dp
        self.timeout = timeout
        self.drain = drain
        self.retries = retries
        self.inflight: dict[int, asyncio.Task[None]] = {}
        self.finished: set[int] = set()  # handled, not confirmed yet
        self.left: set[int] = set()  # cancelled unhandled: never confirmed by this run
        self.waiting: set[int] = set()  # in flight, waiting to be fed again
        self.highest: int | None = None
        self.handled = 0

    @property
    def offset(self) -> int | None:
        """The lowest update not handled yet (everything below it is confirmed)."""
        if self.inflight or self.left:
            return min(self.inflight.keys() | self.left)
        return None if self.highest is None else self.highest + 1

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set, then drain."""
        allowed = self.dp.resolve_used_update_types()
        backoff = Backoff(config=BACKOFF)
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                fetch = asyncio.ensure_future(self._fetch(allowed))
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    with contextlib.suppress(BaseException):
                        await fetch
                    break
                try:
                    updates = fetch.result()
                except Exception as exc:
                    log.error("getUpdates failed (%s); again in %.1f s", type(exc).__name__,
                              backoff.next_delay)  # fmt: skip
                    await backoff.asleep()
                    continue
                backoff.reset()
                if not self._start(updates) and self.inflight:
                    # Only updates already in flight came back: wait for one of them (or
                    # a moment, for news behind them) instead of asking again at once.
                    waiting = {*self.inflight.values(), stopping}
                    await asyncio.wait(waiting, timeout=HELD_BACK, return_when="FIRST_COMPLETED")
        finally:
            stopping.cancel()
            await self._drain()

    async def _fetch(self, allowed: list[str]) -> list[Update]:
        call = GetUpdates(offset=self.offset, timeout=self.timeout, allowed_updates=allowed)
        timeout = int((self.bot.session.timeout or 60) + self.timeout)
        return await self.bot(call, request_timeout=timeout)

    def _start(self, updates: list[Update]) -> bool:
        """Start handling the updates not seen yet; whether there were any."""
        fresh = False
        for update in updates:
            uid = update.update_id
            self.highest = uid if self.highest is None else max(self.highest, uid)
            if uid in self.inflight or uid in self.finished:
                continue
            fresh = True
            task = asyncio.create_task(self._handle(update), name=f"update-{uid}")
            self.inflight[uid] = task
            task.add_done_callback(lambda _t, uid=uid: self._done(uid))
        return fresh

    def _done(self, uid: int) -> None:
        task = self.inflight.pop(uid, None)
        if task is None:
            return
        if task.cancelled():
            self.left.add(uid)
        else:
            self.finished.add(uid)
            self.handled += 1
        offset = self.offset
        if offset is not None:
            self.finished = {u for u in self.finished if u >= offset}

    async def _handle(self, update: Update) -> None:
        """Feed one update; again, a little later, if it stored something and then failed,
        or if another instance owes its answer (fed again once that one had its time)."""
        uid = update.update_id
        failures = iter(self.retries)
        deferrals = DEFERRALS
        while True:
            handling = Handling()
            try:
                await self.dp.feed_update(self.bot, update, handling=handling)
            except Exception:
                log.exception("update %s failed", uid)
            if not handling.retry:
                return
            if handling.later is not None and deferrals:
                deferrals -= 1
                delay = handling.later
            elif (retry := next(failures, None)) is not None:
                delay = retry
                log.warning("update %s failed after storing; again in %s s", uid, delay)
            else:
                return
            self.waiting.add(uid)  # a stop cancels it at once: it is delivered again
            try:
                await asyncio.sleep(delay)
            finally:
                self.waiting.discard(uid)

    async def _drain(self) -> None:
        """Let the updates in flight finish (bounded), confirm what is handled."""
        for uid in self.waiting & self.inflight.keys():  # only waiting to be fed again
            self.inflight[uid].cancel()
        pending = list(self.inflight.values())
        if pending:
            log.info("stopping: waiting for %d updates in flight", len(pending))
            _, late = await asyncio.wait(pending, timeout=self.drain)
            if late:
                log.warning(
                    "stopping: %d updates still running after %.0f s were cancelled; "
                    "Telegram will deliver them again",
                    len(late),
                    self.drain,
                )
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        if self.offset is not None:
            with contextlib.suppress(Exception):  # confirm what was handled; else it is
                async with asyncio.timeout(5):  # delivered again and skipped by its claim
                    await self.bot(GetUpdates(offset=self.offset, timeout=0, limit=1))
