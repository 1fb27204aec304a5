"""/console: a one-time sign-in link to the web console (issue 23), in private chat."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    WebAppInfo,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.config import Settings
from bot.web.auth import LINK_TTL, PREFIX, new_login_link
from storage.tables import Person, utcnow


def make_router() -> Router:
    """/console for bound people."""
    router = Router(name="console")
    router.message.register(cmd_console, Command("console"), filters.member)
    return router


async def cmd_console(
    message: Message, session: AsyncSession, me: Person, settings: Settings
) -> None:
    """Send a link valid 10 minutes, once, for this person only; over https also a button
    that opens the console as a Telegram Mini App."""
    if message.chat.type != "private":
        await message.reply(texts.CONSOLE_PRIVATE)
        return
    if not settings.web_url or me.id is None:
        await message.answer(texts.CONSOLE_OFF)
        return
    # sign-in links expire by the wall clock, whatever the event's own date says
    url = await new_login_link(
        session, base_url=settings.web_url, person_id=me.id, via="chat", now=utcnow()
    )
    await session.commit()
    markup = None
    if settings.web_url.startswith("https://"):  # Telegram opens Mini Apps over https only
        app = WebAppInfo(url=f"{settings.web_url}{PREFIX}/app")
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=texts.CONSOLE_BUTTON, web_app=app)]]
        )
    minutes = int(LINK_TTL.total_seconds() // 60)
    # no link preview: Telegram's preview fetch would spend the one-time link before the click
    await message.answer(
        texts.console_link(url, minutes),
        reply_markup=markup,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
