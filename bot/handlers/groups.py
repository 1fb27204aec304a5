"""Binding Telegram groups to departments (/bindgroup) and following group migrations."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import JOIN_TRANSITION, ChatMemberUpdatedFilter, Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from core.people import Role, decode_roles
from core.roster import UNIT_WIDE
from storage import groups, people
from storage.tables import ChatGroup, Person


def make_router() -> Router:
    """/bindgroup in any chat; in groups the bot otherwise ignores unbound chats."""
    router = Router(name="groups")
    router.message.register(cmd_bindgroup, Command("bindgroup"))
    router.message.register(chat_migrated, filters.migrated)
    router.message.register(ignore_unbound_group, filters.unbound_group)
    router.my_chat_member.register(
        added_to_group, ChatMemberUpdatedFilter(member_status_changed=JOIN_TRANSITION)
    )
    return router


async def added_to_group(event: ChatMemberUpdated, group: ChatGroup | None) -> None:
    """Say once, when added, how the group gets bound."""
    if event.chat.type in filters.GROUP_CHATS and group is None:
        await event.answer(texts.ADDED_TO_GROUP)


async def ignore_unbound_group(message: Message) -> None:
    """Swallow everything said in a group nobody has bound yet."""


async def cmd_bindgroup(
    message: Message, command: CommandObject, session: AsyncSession, me: Person | None
) -> None:
    """Admin binds this group to a department or to the whole unit."""
    if message.chat.type not in filters.GROUP_CHATS:
        await message.answer(texts.BINDGROUP_PRIVATE)
        return
    if me is None or not me.active or Role.ADMIN not in decode_roles(me.roles):
        await message.reply(texts.BINDGROUP_DENIED)
        return
    target = (command.args or "").strip()
    if not target:
        await message.reply(texts.BINDGROUP_USAGE)
        return
    department_id: int | None = None
    if target != UNIT_WIDE:
        department = await people.department_by_name(session, unit_id=me.unit_id, name=target)
        if department is None:
            names = await people.department_names(session, unit_id=me.unit_id)
            await message.reply(texts.bindgroup_unknown(target, names.values()))
            return
        department_id, target = department.id, department.name
    await groups.bind_group(
        session,
        chat_id=message.chat.id,
        title=message.chat.title or "",
        department_id=department_id,
        department_name=target,
        by=me,
    )
    await session.commit()
    await message.reply(texts.group_bound(target))


async def chat_migrated(message: Message, session: AsyncSession) -> None:
    """A group became a supergroup: keep its binding under the new chat id."""
    assert message.migrate_to_chat_id is not None
    if await groups.migrate_chat(
        session, old_chat_id=message.chat.id, new_chat_id=message.migrate_to_chat_id
    ):
        await session.commit()
