"""Echoes at peak (DESIGN §9, issue 10): a busy group gets its echoes in batches.

Telegram allows about 20 messages a minute in one group. Below `DIRECT_PER_MINUTE`
direct echoes in a clock minute (counted in the database, so every instance shares the
budget) an echo goes out at once, exactly as before. Beyond it, and while anything is
queued for the group (so the order holds), the item is queued in `echo_queue` in the
same transaction that stored it — a restart loses nothing — and `EchoFlusher` posts the
queue as one message every `FLUSH_EVERY` seconds: one numbered line per item and one
「已阅」 button per item (callback `rv:<report id>`, the same as a single echo's, so the
same authority checks apply), plus 「全部已阅」 (`rva:`; the batch is the message it is
under). The items' echo ids then point at the batch message, so review refreshes and
edits find it; a reply to a batch of several reports is no 批复 (it cannot say which).

The budget: at most 2 × `DIRECT_PER_MINUTE` direct echoes fall in any sliding minute
(two clock minutes), plus at most `BATCHES_PER_FLUSH` batches per flush — under 20.

At the deadline peak (issue 21) that still made one message per report in most groups:
once `PEAK_LOAD` echoes were asked for across the unit within two clock minutes (or are
waiting), every echo queues, and a group's first batch waits `FLUSH_EVERY` too — so a
busy group gets a batch every two minutes and nothing in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from core import reports as core
from storage import echoes as store
from storage.reports import reviewer_names
from storage.tables import EchoBatch, utcnow

log = logging.getLogger(__name__)

DIRECT_PER_MINUTE = 6  # direct echoes per group and clock minute before batching starts
PEAK_LOAD = 30  # echoes asked for in two minutes or waiting, unit-wide: the peak (issue 21)
FLUSH_EVERY = 120.0  # seconds between batches to one group
BATCH_ITEMS = 30  # items per batch message (buttons stay few enough for a phone)
BATCHES_PER_FLUSH = 2  # batch messages per group per flush at most
ENTRY_CHARS = 300  # an item's text in a batch is cut here
MESSAGE_CHARS = 4096
STALE_AFTER = timedelta(minutes=10)  # a claim older than this is taken over


def _line(entry: store.Entry, n: int, limit: int) -> str:
    body = entry.text if len(entry.text) <= limit else entry.text[: limit - 1] + "…"
    echo = texts.echo(
        name=entry.name,
        day=core.short_date(entry.day),
        kind=entry.kind,
        status=core.STATUS_LABELS[core.FilingStatus(entry.status)],
        seq=entry.seq,
        text=body,
    )
    return texts.echo_batch_entry(n=n, echo=echo)


def batch_text(entries: list[store.Entry]) -> tuple[str, int]:
    """The batch message for as many leading entries as fit; (text, how many)."""
    lines = [texts.echo_batch_header(len(entries))]
    size = len(lines[0])
    for n, entry in enumerate(entries, 1):
        line = _line(entry, n, ENTRY_CHARS)
        if size + 2 + len(line) > MESSAGE_CHARS and n > 1:
            lines[0] = texts.echo_batch_header(n - 1)
            return "\n\n".join(lines), n - 1
        lines.append(line[: MESSAGE_CHARS - size - 2])
        size += 2 + len(lines[-1])
    return "\n\n".join(lines), len(entries)


async def batch_keyboard(
    session: AsyncSession, entries: list[store.Entry]
) -> InlineKeyboardMarkup:
    """One button per item (two to a row), then 「全部已阅」 (the batch is found by the
    message the button is under)."""
    buttons = []
    for n, entry in enumerate(entries, 1):
        names = await reviewer_names(session, report_id=entry.report_id) if entry.reviewed else []
        buttons.append(
            InlineKeyboardButton(
                text=texts.echo_batch_button(n=n, name=entry.name, reviewers=names),
                callback_data=f"rv:{entry.report_id}",
            )
        )
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(text=texts.REVIEW_ALL_BUTTON, callback_data="rva:")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def batch_view(
    session: AsyncSession, batch: EchoBatch
) -> tuple[str, InlineKeyboardMarkup, list[store.Entry]]:
    """A sent batch as it should look now (after edits and reviews)."""
    found = await store.entries(session, item_ids=list(batch.item_ids))
    text, _ = batch_text(found)
    return text, await batch_keyboard(session, found), found


class EchoFlusher:
    """Posts each busy group's queued echoes as batches, every `every` seconds.

    Safe with several instances: items are claimed in the database first (a crashed
    claimer's items are taken over after `STALE_AFTER`), and a batch is recorded right
    after Telegram accepted it."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        bot: Bot,
        *,
        owner: str,
        every: float = FLUSH_EVERY,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.bot = bot
        self.owner = owner
        self.every = every
        self.task: asyncio.Task[None] | None = None
        self.last: dict[int, float] = {}  # chat id → loop time of its last batch here

    def start(self) -> None:
        """Run in the background until `stop()`."""
        self.task = asyncio.create_task(self.run(), name="echo-flusher")

    async def stop(self) -> None:
        """Stop the background loop."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None

    async def run(self) -> None:
        """Flush what is due every few seconds; never dies of one bad round."""
        tick = min(5.0, self.every / 4)
        while True:
            try:
                await self.flush(due_only=True)
            except Exception:
                log.exception("echo flush failed")
            await asyncio.sleep(tick)

    async def flush(self, *, due_only: bool = False) -> int:
        """Send the batches due now; how many items went out."""
        now = utcnow()
        loop_now = asyncio.get_running_loop().time()
        async with self.sessionmaker() as session:
            chats = await store.waiting_chats(session, stale=now - STALE_AFTER)
            peak = bool(chats) and await store.unit_load(session, at=now) >= PEAK_LOAD
            await store.prune_budget(session, before=store.minute_ago(now))
            await session.commit()
        sent = 0
        for chat_id in chats:
            if peak and due_only:
                self.last.setdefault(chat_id, loop_now)  # the first batch waits too
            if due_only and loop_now - self.last.get(chat_id, -1e9) < self.every:
                continue
            self.last[chat_id] = loop_now
            for _ in range(BATCHES_PER_FLUSH):
                done = await self.flush_chat(chat_id)
                sent += done
                if done < BATCH_ITEMS:
                    break
        return sent

    async def flush_chat(self, chat_id: int) -> int:
        """Claim, send and record one batch for a group; how many items it carried."""
        now = utcnow()
        async with self.sessionmaker() as session:
            ids = await store.claim(
                session, chat_id=chat_id, owner=self.owner, at=now,
                stale=now - STALE_AFTER, limit=BATCH_ITEMS,
            )  # fmt: skip
            await session.commit()
            if not ids:
                return 0
            found = await store.entries(session, item_ids=ids)
            text, fits = batch_text(found)
            batch, rest = found[:fits], [e.item_id for e in found[fits:]]
            await store.release(session, item_ids=rest)
            await session.commit()
            keyboard = await batch_keyboard(session, batch)
            try:
                message = await self.bot.send_message(chat_id, text, reply_markup=keyboard)
            except TelegramRetryAfter as exc:
                log.warning("batch to %s: retry after %s s", chat_id, exc.retry_after)
                await store.release(session, item_ids=[e.item_id for e in batch])
                await session.commit()
                return 0
            except TelegramAPIError:
                log.warning("could not send a batch of echoes to %s", chat_id, exc_info=True)
                await store.release(session, item_ids=[e.item_id for e in batch])
                await session.commit()
                return 0
            await store.record_batch(
                session, chat_id=chat_id, message_id=message.message_id,
                item_ids=[e.item_id for e in batch], at=now,
            )  # fmt: skip
            await session.commit()
            return len(batch)
