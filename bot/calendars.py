"""The unit's working calendar as the running bot sees it: the policy's rules plus the
notices imported into the database, refreshed when another instance imports one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from core.calendar import WorkCalendar
from core.holiday_notice import ParsedNotice
from core.policy import CalendarRules
from storage.calendar import load_notices, notices_version

log = logging.getLogger(__name__)

CHECK_EVERY = 30.0  # seconds between looks at the notices' version (one tiny query)


class CalendarBook:
    """Holds the current WorkCalendar; `current()` reloads it when the notices changed."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession] | None,
        rules: CalendarRules | None = None,
        *,
        check_every: float = CHECK_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.base = WorkCalendar(rules or CalendarRules())
        self.calendar = self.base
        self.check_every = check_every
        self.monotonic = monotonic
        self.version: str | None = None
        self.checked_at: float | None = None

    def invalidate(self) -> None:
        """Look at the database on the next `current()` (after an import here)."""
        self.checked_at = None

    async def current(self, *, force: bool = False) -> WorkCalendar:
        """The calendar with the notices in force (looked up at most every `check_every` s)."""
        now = self.monotonic()
        fresh = self.checked_at is not None and now - self.checked_at < self.check_every
        if self.sessionmaker is None or (fresh and not force):
            return self.calendar
        try:
            async with self.sessionmaker() as session:
                version = await notices_version(session)
                if version != self.version or self.checked_at is None:
                    self.calendar = self.base.with_notices(await load_notices(session))
                    self.version = version
        except Exception:  # never let this block a report: keep the calendar we have
            log.warning("could not refresh the holiday notices", exc_info=True)
            return self.calendar
        self.checked_at = now
        return self.calendar


async def calendar_from_db(session: AsyncSession, rules: CalendarRules) -> WorkCalendar:
    """The policy's calendar with the imported notices (CLI commands, exports)."""
    return WorkCalendar(rules).with_notices(await load_notices(session))


def understood(parsed: ParsedNotice) -> str:
    """The notice day by day, as the parser read it (shown before confirming)."""
    return texts.notice_understood(
        parsed.year, [(item.name, item.days_off, item.workdays) for item in parsed.items]
    )
