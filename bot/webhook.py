"""Telegram's webhook POSTs (issue 16): the secret checked, the update handled before the
answer, bad requests refused briefly, and a drain on stop.

Telegram delivers an update again until it gets a 2xx, so the answer waits for the
handling: an update whose handling stored something and then failed (its 「已记录」 not
sent) gets a 500, and its redelivery sends the answer (bot/middlewares.py). A private
report's 「已记录」 is the response itself — a method Telegram runs once it has the response
— so that a crash cannot leave it sent while the update is delivered again. A header
that is not the secret — whatever its bytes — is a 401; a body that is not an update is
a 400, logged in one line without the body. While stopping, new requests get a 503 and
the ones in flight are waited for (bounded).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from bot.middlewares import Handling

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookHandler(SimpleRequestHandler):
    """aiogram's handler, hardened; counts the requests in flight for the drain."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, handle_in_background=False, **kwargs)
        self.inflight = 0
        self.closing = False
        self._idle = asyncio.Event()
        self._idle.set()

    def register(self, app: web.Application, /, path: str, **kwargs: Any) -> None:
        """Only the route: the bot session is closed by `kaohe run` after the drain."""
        app.router.add_route("POST", path, self.handle, **kwargs)

    def verify_secret(self, telegram_secret_token: str, bot: Any) -> bool:
        if not self.secret_token:
            return True
        given = telegram_secret_token.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(given, self.secret_token.encode("utf-8"))

    async def handle(self, request: web.Request) -> web.Response:
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            return web.Response(body="Unauthorized", status=401)
        if self.closing:  # Telegram tries again shortly, here or at another instance
            return web.Response(body="Stopping", status=503)
        try:
            body = await request.json(loads=self.bot.session.json_loads)
            update = Update.model_validate(body, context={"bot": self.bot})
        except (ValueError, ValidationError, UnicodeDecodeError) as exc:
            log.warning("webhook: a request that is not an update (%s)", type(exc).__name__)
            return web.Response(body="Bad Request", status=400)
        self.inflight += 1
        self._idle.clear()
        handling = Handling(respond=True)
        try:
            result = await self.dispatcher.feed_update(
                self.bot, update, handling=handling, **self.data
            )
        finally:
            self.inflight -= 1
            if not self.inflight:
                self._idle.set()
        if handling.retry:  # stored, not answered: let Telegram deliver it again
            return web.Response(body="Retry", status=500)
        if isinstance(handling.answer, TelegramMethod):  # the 「已记录」, run by Telegram
            response = web.Response(
                body=self._build_response_writer(bot=self.bot, result=handling.answer)
            )
            await response.prepare(request)
            await response.write_eof()  # from here a crash leaves it answered and confirmed
            try:
                await handling.answered()
            except Exception:  # Telegram has it and will not deliver the update again
                log.warning("could not record the answer to update %s", update.update_id)
            return response
        method = result if isinstance(result, TelegramMethod) else None
        return web.Response(body=self._build_response_writer(bot=self.bot, result=method))

    async def drain(self, timeout: float) -> int:
        """Refuse new updates; wait up to `timeout` s for those in flight; how many are left."""
        self.closing = True
        if self.inflight:
            log.info("stopping: waiting for %d updates in flight", self.inflight)
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            log.warning(
                "stopping: %d updates still running after %.0f s; Telegram will deliver "
                "them again",
                self.inflight,
                timeout,
            )
        return self.inflight
