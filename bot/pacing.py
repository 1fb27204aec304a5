"""Pacing of everything the bot sends (DESIGN §9, issue 10): a Bot API session middleware.

Handlers answer through aiogram directly — an acknowledgement per filed report, a direct
echo, a reply in a group — so at a deadline peak they alone could pass Telegram's limits
(about 30 messages a second overall, about one a second in one chat, 20 a minute in one
group; the same `Limits` the jobs' sender keeps, bot/sender.py). `Pacer` is installed on
the bot's session (`bot.session.middleware(Pacer(...))`, see `bot.app.make_bot`) and
holds every outgoing message (send*, copy, forward) until:

1. its chat's turn: messages to one chat go one at a time, in order, at most one per
   `1 / per_chat_per_second` seconds, and a group gets at most `group_per_minute` in any
   60 seconds (a small `margin` is added to every interval);
2. a slot of the global pace: slots are handed out evenly spaced, first come first
   served, a `margin` under `per_second`, so no second ever holds more than the limit.

A 429 (`TelegramRetryAfter`) holds the chat for `retry_after` seconds (in a private chat,
where one a second cannot have been exceeded, the global pace also pauses a few slots)
and the message is tried again, `attempts` times at most and never after waiting longer
than `longest_wait`: then the error goes to the caller as before. Edits are not paced (a
button press must answer at once) but their 429s are retried the same way.

The jobs' sender paces, retries and records its messages itself: inside `self_paced()`
(which `Sender.send` enters) a message only takes its slot of the shared global pace, so
job fan-outs and handler answers together stay under the overall limit.

Time is the event loop's (`loop.time()`, `asyncio.sleep`), so a simulated-clock loop
(bench/peak.py) paces in simulated seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import (
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    SendChatAction,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response

    from bot.sender import Limits

log = logging.getLogger(__name__)

WINDOW = 1.001  # a hair over the second Telegram counts in (as bot/sender.py)
PAUSE_SLOTS = 10  # after a 429 in a private chat, the global pace pauses this many slots
MAX_CHATS = 5000  # chats whose pacing is remembered before idle ones are forgotten
EDITS = (EditMessageText, EditMessageCaption, EditMessageReplyMarkup, EditMessageMedia)

_SELF_PACED: ContextVar[bool] = ContextVar("kaohe_self_paced", default=False)


@contextlib.contextmanager
def self_paced() -> Iterator[None]:
    """Messages sent inside (and in tasks started inside) keep only the global pace: the
    caller paces each chat and handles 429 itself (the jobs' sender)."""
    token = _SELF_PACED.set(True)
    try:
        yield
    finally:
        _SELF_PACED.reset(token)


def is_message(method: TelegramMethod[Any]) -> bool:
    """Whether a call posts a message that counts against Telegram's limits."""
    name = type(method).__name__
    return name.startswith(("Send", "Copy", "Forward")) and not isinstance(method, SendChatAction)


def _chat_id(method: TelegramMethod[Any]) -> int | None:
    chat_id = getattr(method, "chat_id", None)
    if isinstance(chat_id, int):
        return chat_id
    if (
        isinstance(chat_id, str)
        and chat_id.lstrip("-").isascii()
        and chat_id.lstrip("-").isdigit()
    ):
        return int(chat_id)
    return None  # an @channel name or an inline message: only the global pace


@dataclass
class _Chat:
    """One chat's turn: a lock kept while its message is in flight, and its history."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float = -math.inf  # when its previous message left
    held: float = -math.inf  # no message before this (a 429's retry_after)
    minute: deque[float] = field(default_factory=deque)  # a group's sends in the last minute


@dataclass
class PacerStats:
    """What the pacer did (for the bench and the logs)."""

    paced: int = 0  # messages that passed through
    waited: float = 0.0  # seconds messages spent waiting, summed
    retried: int = 0  # 429 answers retried
    gave_up: int = 0  # 429 answers passed on to the caller


class Pacer(BaseRequestMiddleware):
    """Holds outgoing messages under Telegram's limits and retries 429 (module doc)."""

    def __init__(
        self, limits: Limits | None = None, *, attempts: int = 3, longest_wait: float = 60.0
    ) -> None:
        from bot.sender import Limits  # here: the sender imports this module

        self.limits = limits or Limits()
        self.attempts = attempts
        self.longest_wait = longest_wait
        self.stats = PacerStats()
        rate = self.limits.per_second * (1 - self.limits.margin)
        self.interval = 0.0 if math.isinf(rate) else 1 / rate
        chat_rate = self.limits.per_chat_per_second * (1 - self.limits.margin)
        self.chat_interval = 0.0 if math.isinf(chat_rate) else 1 / chat_rate
        group = self.limits.group_per_minute
        self.group_size = 0 if math.isinf(group) else max(1, int(group))
        self.group_span = 60.0 * (1 + self.limits.margin)
        self.free = -math.inf  # the next global slot
        self.per_window = 0 if math.isinf(rate) else max(1, int(rate))
        self.window = WINDOW  # seconds holding at most `per_window` sends
        self.recent: deque[float] = deque()  # the last `per_window` sends
        self.chats: dict[int, _Chat] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not is_message(method):
            if isinstance(method, EDITS):
                return await self._retrying(make_request, bot, method, None)
            return await make_request(bot, method)
        if _SELF_PACED.get():
            await self._global_slot(spaced=False)
            return await make_request(bot, method)
        return await self._retrying(make_request, bot, method, _chat_id(method))

    async def _retrying(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        chat_id: int | None,
    ) -> Response[TelegramType]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempt = 1
        while True:
            try:
                if chat_id is None:
                    if is_message(method):
                        await self._global_slot()
                    return await make_request(bot, method)
                return await self._in_turn(make_request, bot, method, chat_id)
            except TelegramRetryAfter as exc:
                waited = loop.time() - started + exc.retry_after
                if attempt >= self.attempts or waited > self.longest_wait:
                    self.stats.gave_up += 1
                    raise
                self.stats.retried += 1
                log.warning(
                    "429 for %s to %s: retrying after %s s",
                    type(method).__name__, chat_id, exc.retry_after,
                )  # fmt: skip
                until = loop.time() + exc.retry_after
                if chat_id is not None:
                    chat = self._chat(chat_id)
                    chat.held = max(chat.held, until)
                    if chat_id > 0:  # not this chat's fault: we are near the overall limit
                        self.free = max(self.free, loop.time()) + PAUSE_SLOTS * self.interval
                else:
                    await asyncio.sleep(exc.retry_after)
                attempt += 1

    async def _in_turn(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        chat_id: int,
    ) -> Response[TelegramType]:
        """Wait for the chat's turn and a global slot, then send (the chat stays held
        until Telegram answered, so its next message cannot overtake this one)."""
        loop = asyncio.get_running_loop()
        chat = self._chat(chat_id)
        asked = loop.time()
        async with chat.lock:
            slot = max(chat.held, chat.last + self.chat_interval)
            if chat_id < 0 and self.group_size:
                while chat.minute and chat.minute[0] <= loop.time() - self.group_span:
                    chat.minute.popleft()
                if len(chat.minute) >= self.group_size:
                    slot = max(slot, chat.minute[0] + self.group_span)
            if (delay := slot - loop.time()) > 0:
                await asyncio.sleep(delay)
            await self._global_slot()
            chat.last = loop.time()
            if chat_id < 0 and self.group_size:
                chat.minute.append(chat.last)
            self.stats.paced += 1
            self.stats.waited += chat.last - asked
            return await make_request(bot, method)

    async def _global_slot(self, *, spaced: bool = True) -> None:
        """Take the next evenly spaced slot of the overall pace and wait for it.

        Waiters woken late (a busy event loop) could still go out together: the last
        `per_window` sends are kept, and no more than that many leave in any window.
        Unspaced (the sender, which spaces its own sends) a message takes the next slot
        without waiting for it, so later ones queue behind it, and keeps the window."""
        if not self.interval and self.free == -math.inf:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self.free)
        self.free = slot + self.interval
        if spaced and slot > now:
            await asyncio.sleep(slot - now)
        if not self.per_window:
            return
        while len(self.recent) >= self.per_window:
            wait = self.recent[0] + self.window - loop.time()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        self.recent.append(loop.time())
        while len(self.recent) > self.per_window:
            self.recent.popleft()

    def _chat(self, chat_id: int) -> _Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            if len(self.chats) >= MAX_CHATS:
                self._forget_idle()
            chat = self.chats[chat_id] = _Chat()
        return chat

    def _forget_idle(self) -> None:
        """Drop chats with nothing in flight and nothing sent for a minute."""
        now = asyncio.get_running_loop().time()
        for chat_id, chat in list(self.chats.items()):
            if not chat.lock.locked() and max(chat.last, chat.held) < now - self.group_span:
                del self.chats[chat_id]
