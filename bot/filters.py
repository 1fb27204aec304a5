"""Async filters. aiogram runs synchronous filters (including magic `F.…` ones) in a
thread pool, which costs 2–3× on every update; these are plain coroutines instead."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message, TelegramObject

from core.people import Role, decode_roles
from storage.tables import ChatGroup, Person

GROUP_CHATS = frozenset({"group", "supergroup"})


async def private(message: Message) -> bool:
    """A private chat with the bot."""
    return message.chat.type == "private"


async def in_group(message: Message) -> bool:
    """A group or supergroup."""
    return message.chat.type in GROUP_CHATS


async def bound_group(message: Message, group: ChatGroup | None) -> bool:
    """A group that an admin has bound."""
    return group is not None


async def unbound_group(message: Message, group: ChatGroup | None) -> bool:
    """A group nobody has bound yet."""
    return message.chat.type in GROUP_CHATS and group is None


async def member(event: TelegramObject, me: Person | None) -> bool:
    """The sender is a bound, active roster person."""
    return me is not None and me.active


async def stranger(event: TelegramObject, me: Person | None) -> bool:
    """The sender is not bound, or no longer active."""
    return me is None or not me.active


def is_admin(person: Person) -> bool:
    """The person belongs to the 考核办 (role admin)."""
    return Role.ADMIN in decode_roles(person.roles)


async def has_text(message: Message) -> bool:
    """A text message."""
    return message.text is not None


async def migrated(message: Message) -> bool:
    """The service message of a group becoming a supergroup."""
    return message.migrate_to_chat_id is not None


def starts_with(*prefixes: str):  # type: ignore[no-untyped-def]
    """Text (or caption) starting with one of the prefixes."""

    async def check(message: Message) -> bool:
        text = (message.text or message.caption or "").lstrip()
        return text.startswith(prefixes)

    return check


def callback_prefix(prefix: str):  # type: ignore[no-untyped-def]
    """Callback data starting with `prefix:`."""

    async def check(query: CallbackQuery) -> bool:
        return (query.data or "").startswith(prefix + ":")

    return check
