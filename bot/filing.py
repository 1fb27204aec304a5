"""Filing reports at peak (DESIGN §9, issue 10): filings written together.

Every filing stores its report and item, decides whether its echo goes out now or waits
for the group's batch (bot/echoes.py), and claims its Telegram update (bot/middlewares.py)
— in one transaction, committed before the person is told it is stored. `store_filings`
does that for any number of filings with a handful of statements. `Filer` feeds it the
filings that arrive while the previous batch is being written (group commit,
bot/batching.py): at a deadline one transaction serves them all, with no load a filing
is written at once. If a batch fails, its filings are written one by one, so one bad
filing fails alone and the others are stored.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import echoes
from bot.batching import Batcher
from bot.middlewares import Claim
from storage import echoes as echo_store
from storage import reports as store
from storage import runtime
from storage.db import database_down
from storage.runtime import ClaimKey
from storage.tables import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Request:
    """A message to file, where its echo goes (None: no echo), and the update's claim to
    take with it (None: the caller's transaction has it)."""

    filing: store.Filing
    echo_chat_id: int | None
    claim: Claim | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What was stored, and whether the echo waits for the group's next batch."""

    filed: store.Filed
    queued: bool


async def store_filings(session: AsyncSession, requests: list[Request]) -> list[Outcome | None]:
    """File the requests in the session's transaction (the caller commits), in order; None
    for a request whose update was handled before (its claim refused: nothing stored)."""
    claims = list(dict.fromkeys(r.claim.key for r in requests if r.claim is not None))
    taken = await runtime.claim_updates(session, claims, now=utcnow(), answer_due=True)
    live: list[int] = []
    for n, r in enumerate(requests):
        if r.claim is not None:
            key = (r.claim.key.bot_id, r.claim.key.update_id)
            if key not in taken:
                continue  # handled before, or by another instance
            taken.discard(key)  # the same update twice in this batch: the first files it
        live.append(n)
    filed = await store.file_items(session, [requests[n].filing for n in live])
    wanted: dict[int, echo_store.EchoWanted] = {}
    for n, f in zip(live, filed, strict=True):
        chat_id = requests[n].echo_chat_id
        if chat_id is not None and f.item.id is not None and f.item.echo_message_id is None:
            wanted[n] = echo_store.EchoWanted(f.item.id, chat_id, requests[n].filing.filed_at)
    limit, peak = echoes.DIRECT_PER_MINUTE, echoes.PEAK_LOAD  # read now: tests lower them
    queued = await echo_store.queue_echoes(session, list(wanted.values()), limit=limit, peak=peak)
    waits = dict(zip(wanted, queued, strict=True))
    outcomes: list[Outcome | None] = [None] * len(requests)
    for n, f in zip(live, filed, strict=True):
        outcomes[n] = Outcome(f, waits.get(n, False))
    return outcomes


class CommitFailed(Exception):
    """The commit of a batch raised and the database could not be asked whether it went
    through: none of its filings may be written again as if it had not."""


class Filer:
    """`await filer(request)`: the request stored and committed, with the others that came
    meanwhile; None when its update was handled before. Marks the request's claim."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker
        self.batcher: Batcher[Request, Outcome | None] = Batcher(self._write)

    async def __call__(self, request: Request) -> Outcome | None:
        claim = request.claim
        if claim is not None:
            claim.taken = True  # the handler's session must not claim it too
        try:
            return await self.batcher(request)
        except asyncio.CancelledError:  # shutting down: the batch may still store it
            if claim is not None and not claim.stored:
                claim.gone = True  # then its claim is given back (see `_transaction`)
            raise

    async def _write(self, requests: list[Request]) -> list[Outcome | None | BaseException]:
        try:
            return list(await self._transaction(requests))
        except CommitFailed as exc:
            raise exc.__cause__ or exc from None
        except Exception as exc:
            if len(requests) == 1 or database_down(exc):
                raise  # unreachable or locked: every filing fails alike, at once
            log.warning("a batch of %d filings failed; filing one by one", len(requests))
        results: list[Outcome | None | BaseException] = []
        for request in requests:
            try:
                results.extend(await self._transaction([request]))
            except CommitFailed as exc:
                results.append(exc.__cause__ or exc)
            except Exception as exc:
                results.append(exc)
        return results

    async def _transaction(self, requests: list[Request]) -> list[Outcome | None]:
        async with self.sessionmaker() as session:
            outcomes = await store_filings(session, requests)
            try:
                await session.commit()
            except Exception:
                if not await self._committed(requests, outcomes):
                    raise  # nothing of it is stored
                log.warning("a commit of %d filings failed, yet they are stored", len(requests))
        gone = []
        for request, outcome in zip(requests, outcomes, strict=True):
            if request.claim is not None:
                request.claim.stored = request.claim.due = outcome is not None
                request.claim.refused = outcome is None
                if outcome is not None and request.claim.gone:
                    gone.append(request.claim.key)
        if gone:  # stored, but nobody will answer: let Telegram's redelivery do it
            await self._give_back(gone)
        return outcomes

    async def _committed(self, requests: list[Request], outcomes: list[Outcome | None]) -> bool:
        """After a commit raised: whether it went through anyway (a connection lost while
        the server committed). The batch's claims tell; CommitFailed if that cannot be
        read either."""
        keys = [
            r.claim.key
            for r, o in zip(requests, outcomes, strict=True)
            if r.claim is not None and o is not None
        ]
        if not keys:
            return False
        try:
            async with self.sessionmaker() as session:
                found = await runtime.claimed(
                    session, bot_id=keys[0].bot_id, update_ids=[k.update_id for k in keys]
                )
        except Exception as exc:
            raise CommitFailed from exc
        return bool(found)

    async def _give_back(self, keys: list[ClaimKey]) -> None:
        try:
            async with self.sessionmaker() as session:
                await runtime.release_updates(session, keys)
                await session.commit()
        except Exception:
            log.warning("could not give back %d claims", len(keys), exc_info=True)
