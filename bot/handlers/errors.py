"""Last resort: log an unexpected error and tell the user briefly, instead of silence."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

log = logging.getLogger(__name__)
SORRY = "抱歉，处理时出了问题，已记录。请稍后再试。"


def make_router() -> Router:
    """Router with the catch-all error handler."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router


async def on_error(event: ErrorEvent) -> None:
    """Log with traceback; answer the chat if there is one."""
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    message = event.update.message or event.update.edited_message
    if message is not None:
        try:
            await message.answer(SORRY)
        except Exception:  # the error may be Telegram itself; nothing more to do
            log.warning("could not send the error notice", exc_info=True)
    elif event.update.callback_query is not None:
        try:
            await event.update.callback_query.answer(SORRY, show_alert=True)
        except Exception:
            log.warning("could not answer the callback", exc_info=True)
