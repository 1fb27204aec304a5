"""An in-process Bot API session (bot/offline.py) that enforces Telegram's message limits
the way tests/fake_api.py does over HTTP: sliding windows counted on arrival, a 429
(`TelegramRetryAfter`) when a message would exceed one. Time is the event loop's, so
under bench/peak's simulated-clock loop the limits hold in simulated seconds.

Used by tests/test_bot_pacing.py and bench/peak.py."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod

from bot.offline import OfflineSession
from bot.pacing import is_message
from tests.fake_api import RateLimits, _Windows

T = TypeVar("T")


class LimitedSession(OfflineSession):
    """Records like `OfflineSession`; refuses messages beyond `limits` with a 429."""

    def __init__(self, limits: RateLimits | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limits = limits or RateLimits()
        self.windows = _Windows()
        self.accepted: list[tuple[float, int, TelegramMethod[Any]]] = []  # (time, chat, call)
        self.refused: list[tuple[float, int]] = []  # (time, chat) of each 429 answered
        self.force_429: list[int] = []  # retry_after of the next messages, refused regardless

    async def make_request(
        self, bot: Bot, method: TelegramMethod[T], timeout: int | None = None
    ) -> T:
        """A message is counted against the limits first; beyond one it gets a 429."""
        if is_message(method):
            now = asyncio.get_running_loop().time()
            chat_id = int(getattr(method, "chat_id", 0) or 0)
            wait = float(self.force_429.pop(0)) if self.force_429 else self._wait(chat_id, now)
            if wait > 0:
                self.refused.append((now, chat_id))
                retry_after = max(1, math.ceil(wait))
                raise TelegramRetryAfter(
                    method=method,
                    message=f"Too Many Requests: retry after {retry_after}",
                    retry_after=retry_after,
                )
            self._count(chat_id, now)
            self.accepted.append((now, chat_id, method))
        return await super().make_request(bot, method, timeout)

    def _checks(self, chat_id: int) -> list[tuple[deque[float], float, float]]:
        windows = self.windows
        checks = [
            (windows.all, self.limits.per_second, 1.0),
            (windows.chats.setdefault(chat_id, deque()), self.limits.per_chat_per_second, 1.0),
        ]
        if chat_id < 0:
            group = windows.groups.setdefault(chat_id, deque())
            checks.append((group, self.limits.group_per_minute, 60.0))
        return checks

    def _wait(self, chat_id: int, now: float) -> float:
        return max(
            self.windows.wait(t, limit, span, now) for t, limit, span in self._checks(chat_id)
        )

    def _count(self, chat_id: int, now: float) -> None:
        for times, _, _ in self._checks(chat_id):
            times.append(now)


def peak(times: list[float], span: float) -> int:
    """The most of `times` (sorted) falling in any window of `span` seconds."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - span:
            start += 1
        best = max(best, end - start + 1)
    return best
