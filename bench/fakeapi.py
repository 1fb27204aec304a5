"""A fake Telegram Bot API for bench/crash: it keeps every update until it is confirmed and
delivers it again, as Telegram does.

Long polling: `getUpdates` returns the updates from `offset` on and forgets only those
below it. Webhook: after `setWebhook`, each pending update is POSTed to the URL with the
secret header (up to `max_connections` at once); only a 2xx answer removes it, anything
else — an error status, a refused or dropped connection — gets it POSTed again shortly.
A method in a 2xx answer (the webhook reply) is run as if called, once the answer is read.
`sendMessage` records (chat id, text) and answers a Message. Every other method answers
`true`. Self-contained: bench scripts must not import tests/.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

RETRY_DELAY = 0.5  # seconds before a failed webhook delivery is tried again


class FakeTelegram:
    """The fake server on 127.0.0.1 (`base` for TELEGRAM_API_BASE)."""

    def __init__(self, token: str, *, max_connections: int = 40) -> None:
        self.token = token
        self.max_connections = max_connections
        self.updates: list[dict[str, Any]] = []  # pending (unconfirmed) updates, in order
        self.sent: list[tuple[int, str]] = []  # accepted sendMessage calls
        self.calls: list[str] = []
        self.webhook: tuple[str, str] | None = None
        self.send_delay = 0.0  # seconds sendMessage takes (a slow Telegram)
        self._next_update = 1
        self._next_message = 1
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._posting: set[int] = set()
        self.base = ""

    async def start(self) -> None:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(BaseException):
                await self._pusher
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- what users do -------------------------------------------------------------------

    def push_text(self, user_id: int, text: str, first_name: str = "用户") -> None:
        """A private text message from a user."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        message = {
            "message_id": self._next_message,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": first_name},
            "from": user,
            "text": text,
        }
        self._next_message += 1
        self.updates.append({"update_id": self._next_update, "message": message})
        self._next_update += 1
        self._notify()

    def count(self, method: str) -> int:
        return sum(1 for m in self.calls if m.lower() == method.lower())

    async def wait_until(self, ready: Callable[[], bool], timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not ready():
                    await self._changed.wait()
        return ready()

    # ---- the methods -----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401}, status=401)
        method = request.match_info["method"].lower()
        self.calls.append(method)
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        self._notify()
        handler = getattr(self, f"_m_{method}", None)
        result = await handler(params) if handler is not None else True
        return web.json_response({"ok": True, "result": result})

    async def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user()

    async def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        await self.wait_until(lambda: bool(self.updates), timeout)
        return self.updates[:limit]

    async def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        chat_id = int(params["chat_id"])
        text = str(params.get("text", ""))
        self.sent.append((chat_id, text))
        message_id = self._next_message
        self._next_message += 1
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id < 0:
            chat["title"] = "群"
        else:
            chat["first_name"] = "用户"
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self._bot_user(),
            "text": text,
        }

    async def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = (str(params["url"]), str(params.get("secret_token") or ""))
        if self._pusher is None:
            self._pusher = asyncio.create_task(self._push())
        return True

    async def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook[0] if self.webhook else "", "pending_update_count": 0}

    # ---- webhook delivery ----------------------------------------------------------------

    async def _push(self) -> None:
        """POST pending updates until each gets a 2xx."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            while True:
                hook = self.webhook
                idle = [u for u in self.updates if u["update_id"] not in self._posting]
                room = self.max_connections - len(self._posting)
                if hook is None or not idle or room <= 0:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(0.2):
                            await self._changed.wait()
                    continue
                for update in idle[:room]:
                    self._posting.add(update["update_id"])
                    asyncio.create_task(self._post(http, hook, update))

    async def _post(
        self, http: aiohttp.ClientSession, hook: tuple[str, str], update: dict[str, Any]
    ) -> None:
        url, secret = hook
        ok = False
        try:
            headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
            async with http.post(url, json=update, headers=headers) as answer:
                ok = 200 <= answer.status < 300
                call = await self._method_in(answer) if ok else None  # read it all first
            if call is not None:  # as Telegram: a method in the answer is run, once
                method, params = call
                self.calls.append(method)
                handler = getattr(self, f"_m_{method}", None)
                if handler is not None:
                    await handler(params)
        except (aiohttp.ClientError, OSError, TimeoutError):
            ok = False
        if ok:
            self.updates = [u for u in self.updates if u is not update]
        else:
            await asyncio.sleep(RETRY_DELAY)
        self._posting.discard(update["update_id"])
        self._notify()

    @staticmethod
    async def _method_in(answer: aiohttp.ClientResponse) -> tuple[str, dict[str, Any]] | None:
        """The Bot API method a webhook answer carries (JSON or a form), if any."""
        params: dict[str, Any] = {}
        if answer.content_type == "application/json":
            params = dict(await answer.json())
        elif answer.content_type.startswith("multipart/"):
            reader = aiohttp.MultipartReader.from_response(answer)
            async for part in reader:
                if isinstance(part, aiohttp.BodyPartReader) and part.name:
                    params[part.name] = await part.text()
        else:
            await answer.read()
        method = str(params.pop("method", "")).lower()
        return (method, params) if method else None

    # ---- plumbing ------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": int(self.token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": "考核助手",
            "username": "kaohe_bench_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
