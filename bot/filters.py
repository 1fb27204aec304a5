"""Async filters. aiogram runs synchronous filters (including magic `F.…` ones) in a
thread pool, which costs 2–3× on every update; these are plain coroutines instead."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message, TelegramObject

from core.people import Role, decode_roles
from core.records import parse_action, reads_as_report
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


async def plain_report(message: Message, me: Person | None, raw_state: str | None) -> bool:
    """A private text from a member that no handler but the 日报 catch-all takes: no
    command, no reply (answers to the bot's prompts are replies), no 点赞/错情, and no
    conversation waiting for the person's next text. The dispatcher tries it first, so
    the common message at a deadline skips every other router's filters (see
    `bot.handlers.get_routers`; tests/test_fast_route.py holds the promise)."""
    text = message.text
    return (
        text is not None
        and message.chat.type == "private"
        and me is not None
        and me.active
        and raw_state is None
        and message.reply_to_message is None
        and not text.lstrip().startswith("/")
        and (parse_action(text) is None or reads_as_report(text, leads=leads(me)))
    )


def leads(me: Person) -> bool:
    """Whether the person leads anyone (head, supervisor or chief)."""
    return bool(decode_roles(me.roles) & LEADING)


LEADING = frozenset({Role.HEAD, Role.SUPERVISOR, Role.CHIEF})


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
