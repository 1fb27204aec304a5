"""Outer middlewares: one DB session per update, then who is speaking and where."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Chat, TelegramObject, User
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.groups import group_for_chat
from storage.people import person_by_tg

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DbSessionMiddleware(BaseMiddleware):
    """Opens one AsyncSession per update; handlers commit it once."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            return await handler(event, data)


class IdentityMiddleware(BaseMiddleware):
    """Resolves `me` (the bound person, or None) and `group` (the chat's binding, or None)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        session: AsyncSession = data["session"]
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        data["me"] = await person_by_tg(session, tg_user_id=user.id) if user else None
        in_group = chat is not None and chat.type in {"group", "supergroup"}
        data["group"] = await group_for_chat(session, chat_id=chat.id) if in_group else None
        return await handler(event, data)
