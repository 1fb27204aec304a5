"""Imported holiday notices (DESIGN §2). Functions never commit; callers do."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.calendar import HolidayNotice
from storage.audit import audit
from storage.people import get_setting, set_setting
from storage.tables import CalendarNotice, utcnow

# Bumped by every import: each instance compares it with the one its calendar was built
# from, so a notice imported anywhere takes effect everywhere without a restart.
VERSION_KEY = "calendar_notices_version"


def _days(values: list[str]) -> frozenset[date]:
    return frozenset(date.fromisoformat(value) for value in values)


async def load_notices(session: AsyncSession) -> list[HolidayNotice]:
    """Every imported notice, by year."""
    rows = await session.exec(select(CalendarNotice).order_by(col(CalendarNotice.year)))
    return [HolidayNotice(r.year, _days(r.days_off), _days(r.workdays)) for r in rows]


async def notice_row(session: AsyncSession, *, year: int) -> CalendarNotice | None:
    """The stored notice of `year` (who imported it and when), if any."""
    return await session.get(CalendarNotice, year)


async def notices_version(session: AsyncSession) -> str | None:
    """Changes whenever a notice is imported."""
    return await get_setting(session, key=VERSION_KEY)


async def save_notice(
    session: AsyncSession,
    *,
    notice: HolidayNotice,
    text: str,
    actor: str,
    actor_person_id: int | None = None,
    unit_id: int | None = None,
) -> CalendarNotice:
    """Store (or replace) the year's notice and audit it (no commit)."""
    now = utcnow()
    row = await session.get(CalendarNotice, notice.year)
    replaced = row is not None
    if row is None:
        row = CalendarNotice(
            year=notice.year, days_off=[], workdays=[], text="", imported_by="", imported_at=now
        )
    row.days_off = sorted(day.isoformat() for day in notice.days_off)
    row.workdays = sorted(day.isoformat() for day in notice.workdays)
    row.text = text
    row.imported_by = actor[:100]
    row.imported_at = now
    session.add(row)
    audit(
        session,
        action="calendar_import",
        unit_id=unit_id,
        actor_person_id=actor_person_id,
        actor=actor,
        subject=str(notice.year),
        detail={"days_off": row.days_off, "workdays": row.workdays, "replaced": replaced},
    )
    await set_setting(session, key=VERSION_KEY, value=f"{notice.year}@{now.isoformat()}")
    return row
