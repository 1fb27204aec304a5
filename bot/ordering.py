"""Updates of one person in one chat are handled one at a time, in the order they came.

Polling hands every update to its own task (`handle_as_tasks`), so two quick updates of
one person — an item typed right after the /declare prompt, the text and the button
press after it — would otherwise run side by side, and the second could read the
conversation's state before the first had moved it on (issue 24). aiogram's FSM
middleware takes this lock around the whole handling of an update, before the state is
read; `asyncio.Lock` wakes its waiters first come, first served, so the order of arrival
is kept. Different people (and one person's private chat and their group) never wait
for each other, so filings at a deadline still go together (bot/filing.py).

One process orders its own updates; several instances behind one webhook do not order
the updates they share between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey

# the running update's way to give up its turn early (let_next_in)
_TURN: ContextVar[Callable[[], None] | None] = ContextVar("kaohe_turn", default=None)


def let_next_in() -> None:
    """Let this person's next update start now, before this one has finished.

    For a handler that has read what it needs and from now on only waits for a figure
    worker and sends the answer (/me, /rank): it changes no state, so the person's next
    update cannot be misled by running alongside it, and a filing sent right after /me is
    not held up for the seconds a picture may take. What came before it still ran first.
    """
    release = _TURN.get()
    if release is not None:
        release()


class _Slot:
    """A key's lock and how many updates hold it or wait for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class ArrivalOrder(BaseEventIsolation):
    """Per (bot, chat, user) key: one update at a time, first come first served; a key's
    lock is dropped as soon as no update holds or waits for it."""

    def __init__(self) -> None:
        self.slots: dict[StorageKey, _Slot] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        slot = self.slots.get(key)
        if slot is None:
            slot = self.slots[key] = _Slot()
        slot.users += 1
        held = False

        def release() -> None:
            nonlocal held
            if held:
                held = False
                slot.lock.release()

        try:
            await slot.lock.acquire()
            held = True
            token = _TURN.set(release)
            try:
                yield
            finally:
                _TURN.reset(token)
        finally:
            release()
            slot.users -= 1
            if slot.users == 0 and self.slots.get(key) is slot:
                del self.slots[key]

    async def close(self) -> None:
        """Nothing to release: the locks live in this process only."""
