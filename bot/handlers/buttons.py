"""Presses nobody else took: an old, forged or not-for-you button (issue 10).

Without an answer Telegram keeps the button spinning; this says, briefly, that it does
nothing, and changes nothing. Its router holds callback queries only, so it comes after
`reports` (whose catch-all is for private messages) and before nothing that matters."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from bot import texts


def make_router() -> Router:
    """Router with the last-resort callback answer."""
    router = Router(name="buttons")
    router.callback_query.register(unknown_button)
    return router


async def unknown_button(query: CallbackQuery) -> None:
    """Answer a press no handler took."""
    await query.answer(texts.STALE_BUTTON)
