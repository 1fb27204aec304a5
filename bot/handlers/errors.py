"""Last resort: log an unexpected error and tell the user briefly, instead of silence."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot import texts
from storage.db import database_down, unsavable_text

log = logging.getLogger(__name__)


def make_router() -> Router:
    """Router with the catch-all error handler."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router


async def on_error(event: ErrorEvent) -> None:
    """Log with traceback; answer the chat if there is one."""
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    sorry = texts.SOMETHING_FAILED
    if database_down(event.exception):
        sorry = texts.DB_UNAVAILABLE
    elif unsavable_text(event.exception):
        sorry = texts.TEXT_UNSAVABLE
    message = event.update.message or event.update.edited_message
    if message is not None:
        try:
            await message.answer(sorry)
        except Exception:  # the error may be Telegram itself; nothing more to do
            log.warning("could not send the error notice", exc_info=True)
    elif event.update.callback_query is not None:
        try:
            await event.update.callback_query.answer(sorry, show_alert=True)
        except Exception:
            log.warning("could not answer the callback", exc_info=True)
