"""实绩申报: declarations and their items. Functions never commit; callers do.

Each item is stored as soon as the person confirms it, so an interrupted conversation
loses nothing; `submitted_at` marks the declaration as handed in (it can still change
until the window closes, and a change keeps it submitted).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.declarations import MAX_ITEMS, DeclarationError, DeclaredItem, TaskSource
from core.grades import Grade
from core.quarter import Quarter
from storage.db import dialect_insert
from storage.tables import Declaration, DeclarationItem


async def declared_items(
    session: AsyncSession,
    *,
    unit_id: int,
    quarter: Quarter,
    person_ids: Sequence[int] | None = None,
    submitted_only: bool = False,
) -> dict[int, list[DeclaredItem]]:
    """Declared achievements of `quarter`: person id → items in their order (1-based
    `position`, text, task source, self-rating). People without items are absent.
    `person_ids` limits the answer to those people; `submitted_only` to declarations
    the person submitted (an unsubmitted draft is still the person's own business)."""
    query = (
        select(
            Declaration.person_id,
            DeclarationItem.position,
            DeclarationItem.text,
            DeclarationItem.source,
            DeclarationItem.self_rating,
        )
        .join(Declaration, col(Declaration.id) == DeclarationItem.declaration_id)
        .where(Declaration.unit_id == unit_id, Declaration.quarter == str(quarter))
        .order_by(col(Declaration.person_id), col(DeclarationItem.position))
    )
    if person_ids is not None:
        query = query.where(col(Declaration.person_id).in_(list(person_ids)))
    if submitted_only:
        query = query.where(col(Declaration.submitted_at).is_not(None))
    found: dict[int, list[DeclaredItem]] = {}
    for person_id, position, text, source, rating in (await session.exec(query)).all():
        item = DeclaredItem(position, text, TaskSource(source), Grade(rating))
        found.setdefault(person_id, []).append(item)
    return found


async def declaration(
    session: AsyncSession, *, person_id: int, quarter: Quarter
) -> Declaration | None:
    """The person's declaration of `quarter`, if they started one."""
    query = select(Declaration).where(
        Declaration.person_id == person_id, Declaration.quarter == str(quarter)
    )
    return (await session.exec(query)).first()


async def ensure_declaration(
    session: AsyncSession, *, unit_id: int, person_id: int, quarter: Quarter, now: datetime
) -> Declaration:
    """The person's declaration of `quarter`, created if needed (safe against a twin
    update racing to create it)."""
    insert = (
        dialect_insert(session, Declaration)
        .values(
            unit_id=unit_id,
            person_id=person_id,
            quarter=str(quarter),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["person_id", "quarter"])
    )
    await session.exec(insert)  # type: ignore[call-overload]
    found = await declaration(session, person_id=person_id, quarter=quarter)
    assert found is not None
    return found


async def items(session: AsyncSession, *, declaration_id: int) -> list[DeclarationItem]:
    """The items of a declaration, in order."""
    query = (
        select(DeclarationItem)
        .where(DeclarationItem.declaration_id == declaration_id)
        .order_by(col(DeclarationItem.position), col(DeclarationItem.id))
    )
    return list((await session.exec(query)).all())


async def add_item(
    session: AsyncSession,
    *,
    declaration: Declaration,
    text: str,
    source: TaskSource,
    self_rating: Grade,
    now: datetime,
) -> DeclarationItem:
    """Append an item; DeclarationError when the declaration already has MAX_ITEMS."""
    assert declaration.id is not None
    count = (
        await session.exec(
            select(func.count()).where(DeclarationItem.declaration_id == declaration.id)
        )
    ).one()
    if count >= MAX_ITEMS:
        raise DeclarationError(f"at most {MAX_ITEMS} items")
    last = (
        await session.exec(
            select(func.max(DeclarationItem.position)).where(
                DeclarationItem.declaration_id == declaration.id
            )
        )
    ).one()
    item = DeclarationItem(
        declaration_id=declaration.id,
        position=(last or 0) + 1,
        text=text,
        source=source.value,
        self_rating=self_rating.value,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    declaration.updated_at = now
    session.add(declaration)
    await session.flush()
    return item


async def item_at(
    session: AsyncSession, *, declaration_id: int, position: int
) -> DeclarationItem | None:
    """The item at `position` (1-based) of a declaration."""
    query = select(DeclarationItem).where(
        DeclarationItem.declaration_id == declaration_id, DeclarationItem.position == position
    )
    return (await session.exec(query)).first()


async def update_item(
    session: AsyncSession,
    *,
    declaration: Declaration,
    item: DeclarationItem,
    now: datetime,
    text: str | None = None,
    source: TaskSource | None = None,
    self_rating: Grade | None = None,
) -> DeclarationItem:
    """Change an item's text, source or self-rating."""
    if text is not None:
        item.text = text
    if source is not None:
        item.source = source.value
    if self_rating is not None:
        item.self_rating = self_rating.value
    item.updated_at = declaration.updated_at = now
    session.add(item)
    session.add(declaration)
    await session.flush()
    return item


async def delete_item(
    session: AsyncSession, *, declaration: Declaration, item: DeclarationItem, now: datetime
) -> None:
    """Remove an item and close the gap in the numbering."""
    assert declaration.id is not None
    await session.delete(item)
    await session.flush()
    for position, rest in enumerate(await items(session, declaration_id=declaration.id), 1):
        if rest.position != position:
            rest.position = position
            session.add(rest)
    declaration.updated_at = now
    session.add(declaration)
    await session.flush()


async def submit(session: AsyncSession, *, declaration: Declaration, now: datetime) -> None:
    """Mark the declaration as handed in (again: the time of the latest submit)."""
    declaration.submitted_at = declaration.updated_at = now
    session.add(declaration)
    await session.flush()


async def submitted_people(session: AsyncSession, *, unit_id: int, quarter: Quarter) -> set[int]:
    """People who submitted their declaration of `quarter`."""
    query = select(Declaration.person_id).where(
        Declaration.unit_id == unit_id,
        Declaration.quarter == str(quarter),
        col(Declaration.submitted_at).is_not(None),
    )
    return set((await session.exec(query)).all())


async def declaring_people(session: AsyncSession, *, unit_id: int, quarter: Quarter) -> set[int]:
    """People with at least one item in `quarter` (submitted or not)."""
    query = (
        select(Declaration.person_id)
        .join(DeclarationItem, col(DeclarationItem.declaration_id) == Declaration.id)
        .where(Declaration.unit_id == unit_id, Declaration.quarter == str(quarter))
        .distinct()
    )
    return set((await session.exec(query)).all())
