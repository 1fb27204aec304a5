"""Builders for incoming Telegram objects: messages, replies, callback queries, groups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.offline import UpdateFactory

_factory = UpdateFactory()

# "Now" for every test that does not set its own: a message without a date was sent then,
# and a button press without a clock happened then. A fixed instant — a working day in a
# year the official calendar knows — so that no test depends on the day it runs.
TEST_NOW = datetime(2026, 6, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def make_user(user_id: int, first_name: str = "用户", username: str | None = None) -> User:
    """A human Telegram user."""
    return _factory.user(user_id, first_name, username)


def make_group(chat_id: int = -100_777, title: str = "测试群") -> Chat:
    """A supergroup."""
    return _factory.group(chat_id, title)


def make_message(
    text: str | None,
    *,
    user: User,
    chat: Chat | None = None,
    reply_to: Message | None = None,
    **fields: Any,
) -> Update:
    """An Update carrying a message (private chat with `user` unless `chat` is given),
    sent at `date` (default TEST_NOW)."""
    fields["date"] = fields.get("date") or TEST_NOW
    message = _factory.message(text, user=user, chat=chat, reply_to=reply_to, **fields)
    return _factory.update(message=message)


def make_callback(data: str, *, user: User, message: Message) -> Update:
    """An Update carrying a press of an inline button under `message`."""
    query: CallbackQuery = _factory.callback(data, user=user, message=message)
    return _factory.update(callback_query=query)


def make_update(**event: Any) -> Update:
    """An Update carrying any event, e.g. `make_update(my_chat_member=...)`."""
    return _factory.update(**event)
