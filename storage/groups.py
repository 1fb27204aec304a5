"""Telegram groups bound to a department or to the whole unit."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import audit
from storage.tables import ChatGroup, Person


async def group_for_chat(session: AsyncSession, *, chat_id: int) -> ChatGroup | None:
    """The binding of a Telegram chat, if it is bound."""
    return (await session.exec(select(ChatGroup).where(ChatGroup.chat_id == chat_id))).first()


async def groups_for_chats(session: AsyncSession, *, chat_ids: list[int]) -> dict[int, ChatGroup]:
    """The bindings of Telegram chats, by chat id (unbound chats are left out)."""
    if not chat_ids:
        return {}
    rows = await session.exec(select(ChatGroup).where(col(ChatGroup.chat_id).in_(chat_ids)))
    return {group.chat_id: group for group in rows.all()}


async def bind_group(
    session: AsyncSession,
    *,
    chat_id: int,
    title: str,
    department_id: int | None,
    department_name: str,
    by: Person,
) -> ChatGroup:
    """Bind (or re-bind) a chat to a department, or to the unit when department_id is None."""
    group = await group_for_chat(session, chat_id=chat_id)
    previous = group.department_id if group else None
    if group is None:
        group = ChatGroup(unit_id=by.unit_id, chat_id=chat_id)
    group.department_id = department_id
    group.title = title[:255]
    group.bound_by = by.id
    session.add(group)
    audit(
        session,
        action="group_bind",
        unit_id=by.unit_id,
        actor_person_id=by.id,
        actor=by.name,
        subject=department_name,
        detail={"chat_id": chat_id, "title": title, "previous_department_id": previous},
    )
    return group


async def migrate_chat(session: AsyncSession, *, old_chat_id: int, new_chat_id: int) -> bool:
    """Follow a group's upgrade to a supergroup (Telegram gives it a new id)."""
    group = await group_for_chat(session, chat_id=old_chat_id)
    if group is None or await group_for_chat(session, chat_id=new_chat_id):
        return False
    group.chat_id = new_chat_id
    session.add(group)
    audit(
        session,
        action="group_migrate",
        unit_id=group.unit_id,
        subject=group.title,
        detail={"from": old_chat_id, "to": new_chat_id},
    )
    return True
