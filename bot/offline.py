"""Simulated Telegram: a Bot API session that answers offline, and builders for updates.

Used by `kaohe demo` and by the tests. The session follows aiogram's own `MockedBot`
pattern (aiogram/tests/mocked_bot.py): it records every outgoing method, but instead of
replaying queued responses it makes a valid result for each method, so the real
Dispatcher and handlers run unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    Message,
    PhotoSize,
    Update,
    User,
)

T = TypeVar("T")
BOT_ID = 4242
BOT_USERNAME = "kaohe_demo_bot"


class OfflineSession(BaseSession):
    """A Bot API session that never leaves the process."""

    def __init__(self, *, privacy_mode: bool = False) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.results: list[Any] = []  # what each request was answered, same order
        self.privacy_mode = privacy_mode
        self._message_ids = itertools.count(100_000)
        self.bot_user = User(
            id=BOT_ID,
            is_bot=True,
            first_name="考核助手",
            username=BOT_USERNAME,
            can_join_groups=True,
            can_read_all_group_messages=not privacy_mode,
            supports_inline_queries=False,
        )

    async def close(self) -> None:
        """Nothing to close."""

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """No files offline."""
        if False:  # pragma: no cover - makes this an async generator
            yield b""

    async def make_request(
        self, bot: Bot, method: TelegramMethod[T], timeout: int | None = None
    ) -> T:
        """Record the call and return a plausible result."""
        result = self._result(method)
        self.requests.append(method)
        self.results.append(result)
        return result  # type: ignore[no-any-return]

    def _message(self, chat_id: int | str, **fields: Any) -> Message:
        chat_id = int(chat_id)
        chat_type = "private" if chat_id > 0 else "supergroup"
        return Message(
            message_id=next(self._message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type=chat_type, title=None if chat_id > 0 else "group"),
            from_user=self.bot_user,
            **fields,
        )

    def _result(self, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return self.bot_user
        if isinstance(method, SendMessage):
            return self._message(
                method.chat_id, text=method.text, reply_markup=method.reply_markup
            )
        if isinstance(method, SendPhoto):
            photo = [PhotoSize(file_id="photo", file_unique_id="photo", width=1, height=1)]
            return self._message(method.chat_id, photo=photo, caption=method.caption)
        if isinstance(method, SendDocument):
            document = Document(file_id="doc", file_unique_id="doc")
            return self._message(method.chat_id, document=document, caption=method.caption)
        if isinstance(method, EditMessageText | EditMessageCaption | EditMessageReplyMarkup):
            if method.inline_message_id or method.chat_id is None:
                return True
            return self._message(
                method.chat_id,
                text=getattr(method, "text", None),
                reply_markup=method.reply_markup,
            ).model_copy(update={"message_id": method.message_id})
        if isinstance(method, AnswerCallbackQuery):
            return True
        returning = getattr(method, "__returning__", None)
        if returning is bool:
            return True
        if getattr(returning, "__origin__", None) is list:
            return []
        raise NotImplementedError(f"offline session cannot answer {type(method).__name__}")

    def sent(self, kind: type[T]) -> list[T]:
        """Outgoing calls of one method type, oldest first."""
        return [request for request in self.requests if isinstance(request, kind)]

    def last_message(self, chat_id: int) -> Message:
        """The newest message the bot sent to a chat, as Telegram answered it."""
        for request, result in zip(reversed(self.requests), reversed(self.results), strict=True):
            if isinstance(result, Message) and getattr(request, "chat_id", None) == chat_id:
                return result
        raise LookupError(f"the bot sent nothing to chat {chat_id}")

    def clear(self) -> None:
        """Forget recorded calls."""
        self.requests.clear()
        self.results.clear()


# ---- building incoming updates --------------------------------------------------------


class UpdateFactory:
    """Builds consistent incoming updates (ids increase; date is given or now)."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    @staticmethod
    def user(user_id: int, first_name: str, username: str | None = None) -> User:
        """A human Telegram user."""
        return User(id=user_id, is_bot=False, first_name=first_name, username=username)

    @staticmethod
    def private(user: User) -> Chat:
        """The private chat with `user`."""
        return Chat(id=user.id, type="private", first_name=user.first_name, username=user.username)

    @staticmethod
    def group(chat_id: int, title: str) -> Chat:
        """A supergroup (negative id)."""
        return Chat(id=chat_id, type="supergroup", title=title)

    def message(
        self,
        text: str | None,
        *,
        user: User,
        chat: Chat | None = None,
        reply_to: Message | None = None,
        date: datetime | None = None,
        **fields: Any,
    ) -> Message:
        """An incoming message."""
        return Message(
            message_id=next(self._message_ids),
            date=date or datetime.now(UTC),
            chat=chat or self.private(user),
            from_user=user,
            text=text,
            reply_to_message=reply_to,
            **fields,
        )

    def update(self, **event: Any) -> Update:
        """An Update wrapping one event, e.g. `update(message=...)`."""
        return Update(update_id=next(self._update_ids), **event)

    def callback(
        self, data: str, *, user: User, message: Message, callback_id: str | None = None
    ) -> CallbackQuery:
        """A press of an inline button under `message`."""
        return CallbackQuery(
            id=callback_id or f"cb{next(self._update_ids)}",
            from_user=user,
            chat_instance="ci",
            message=message,
            data=data,
        )
