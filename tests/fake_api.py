"""An in-process fake Telegram Bot API over real HTTP (aiohttp.web), for end-to-end tests.

Point the bot at it with `TELEGRAM_API_BASE=api.base`: aiogram then calls
`{base}/bot{token}/{method}`. Each method is answered by a handler from `FakeBotAPI.handlers`
(lower-cased method name -> async handler taking the call's params); unknown methods answer
`true`. A handler raises `APIError` to answer `{"ok": false, ...}` with an HTTP status.

For the sender's tests and `bench/fanout.py`, sendMessage can also enforce Telegram's
rate limits (`RateLimits`: per second overall, per second per chat, per minute per group,
counted on arrival over sliding windows, a 429 with `retry_after` when exceeded), answer
403 for chats whose user blocked the bot (`blocked`), and fail on purpose (`failures`: the
next calls answer these HTTP statuses; 0 drops the connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

Params = dict[str, Any]
Handler = Callable[[Params], Awaitable[Any]]
Predicate = Callable[[Params], bool]

BOT_USERNAME = "kaohe_test_bot"
BOT_FIRST_NAME = "考核助手"
MAX_UPDATES = 100


class APIError(Exception):
    """An error answer of the Bot API (`ok: false`), raised by a method handler."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{error_code}: {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _decode(value: Any) -> Any:
    """A form value, JSON-decoded when it is a JSON object or array."""
    if isinstance(value, web.FileField):
        return value.file.read()
    if not isinstance(value, str) or value.lstrip()[:1] not in {"{", "["}:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, dict | list) else value


def _as_int(value: Any, default: int | None = None) -> int | None:
    """An integer parameter (form values arrive as strings), or `default`."""
    if isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Telegram's message limits as the fake enforces them on sendMessage."""

    per_second: float = 30.0
    per_chat_per_second: float = 1.0
    group_per_minute: float = 20.0

    def scaled(self, factor: float) -> RateLimits:
        """The limits `factor` times higher (a bench that runs in seconds)."""
        return RateLimits(
            self.per_second * factor,
            self.per_chat_per_second * factor,
            self.group_per_minute * factor,
        )


class _Windows:
    """Arrival times of accepted messages, for sliding-window limits."""

    def __init__(self) -> None:
        self.all: deque[float] = deque()
        self.chats: dict[int, deque[float]] = {}
        self.groups: dict[int, deque[float]] = {}  # the same arrivals, kept for a minute

    def wait(self, times: deque[float], limit: float, span: float, now: float) -> float:
        """0 if one more message fits in the window ending now, else the seconds to wait."""
        while times and times[0] <= now - span:
            times.popleft()
        if len(times) < limit:
            return 0.0
        return times[-int(limit)] + span - now


class FakeBotAPI:
    """A fake Bot API server on 127.0.0.1 with long polling that records every call."""

    def __init__(
        self,
        token: str = "42:TEST-TOKEN",
        *,
        privacy_mode: bool = True,
        limits: RateLimits | None = None,
    ) -> None:
        self.token = token
        self.privacy_mode = privacy_mode
        self.limits = limits
        self.blocked: set[int] = set()  # private chats whose user blocked the bot: 403
        self.failures: list[int] = []  # statuses for the next sendMessage calls (0: drop)
        self.delivered: list[Params] = []  # sendMessage calls that were accepted
        self.rejected: dict[int, int] = {}  # HTTP status → sendMessage calls refused with it
        self._windows = _Windows()
        self.calls: list[tuple[str, Params]] = []
        self.updates: list[dict[str, Any]] = []
        self.handlers: dict[str, Handler] = {}
        self.handle("getMe", self._get_me)
        self.handle("getUpdates", self._get_updates)
        self.handle("sendMessage", self._send_message)
        self._chats: dict[int, dict[str, Any]] = {}
        self._next_update_id = 1
        self._next_message_id = 1
        self._changed = asyncio.Event()
        self._closed = False
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Start serving."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving."""
        await self.close()

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/_fake/stats", self._stats)
        app.router.add_get("/bot{token}/{method}", self._dispatch)
        app.router.add_post("/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    async def close(self) -> None:
        """Release pending long polls and stop the server."""
        self._closed = True
        self._notify()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def base(self) -> str:
        """The server's base URL, for `TELEGRAM_API_BASE`."""
        if self._port is None:
            raise RuntimeError("FakeBotAPI is not started")
        return f"http://127.0.0.1:{self._port}"

    # --- what the bot did ------------------------------------------------------------------

    def handle(self, method: str, handler: Handler) -> None:
        """Answer `method` (case-insensitive) with `handler`."""
        self.handlers[method.lower()] = handler

    def calls_of(self, method: str) -> list[Params]:
        """The params of every recorded call of `method` (case-insensitive), in order."""
        wanted = method.lower()
        return [params for name, params in self.calls if name.lower() == wanted]

    async def wait_for(
        self, method: str, predicate: Predicate | None = None, timeout: float = 20
    ) -> Params:
        """The first call of `method` matching `predicate`, waiting up to `timeout` seconds."""

        def match() -> Params | None:
            return next(
                (p for p in self.calls_of(method) if predicate is None or predicate(p)), None
            )

        await self._wait_until(lambda: match() is not None, timeout)
        if (found := match()) is not None:
            return found
        names = [name for name, _ in self.calls]
        raise AssertionError(f"no matching {method} call within {timeout} s; calls: {names}")

    # --- what users do ---------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (numbered if it has no `update_id`) and wake long pollers."""
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        for event in update.values():
            if isinstance(event, dict) and isinstance(chat := event.get("chat"), dict):
                self._chats[chat["id"]] = chat
        self.updates.append(update)
        self._notify()
        return update

    def push_message(
        self,
        text: str,
        *,
        user_id: int,
        first_name: str = "用户",
        username: str | None = None,
        chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Queue a text message from a user (in a private chat unless `chat` is given)."""
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if chat is None:
            chat = {key: value for key, value in user.items() if key != "is_bot"}
            chat["type"] = "private"
        message: dict[str, Any] = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split(maxsplit=1)[0].encode("utf-16-le")) // 2
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.push_update({"message": message})

    # --- the Bot API methods ---------------------------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's own User object, as getMe returns it."""
        return {
            "id": int(self.token.split(":", 1)[0]),  # the id aiogram reads off the token
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    async def _get_me(self, params: Params) -> dict[str, Any]:
        """getMe: the bot user."""
        return self.bot_user

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        """getUpdates: confirm below `offset`, then long-poll up to `timeout` seconds."""
        offset = _as_int(params.get("offset"), 0) or 0
        timeout = max(_as_int(params.get("timeout"), 0) or 0, 0)
        limit = min(max(_as_int(params.get("limit"), MAX_UPDATES) or MAX_UPDATES, 1), MAX_UPDATES)
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        await self._wait_until(lambda: bool(self.updates), timeout)
        return self.updates[:limit]

    async def _send_message(self, params: Params) -> dict[str, Any]:
        """sendMessage: the sent Message."""
        chat_id = _as_int(params.get("chat_id"))
        if chat_id is None:
            raise APIError(400, "Bad Request: chat not found")
        text = params.get("text")
        if not text:
            raise APIError(400, "Bad Request: message text is empty")
        try:
            if self.failures:
                status = self.failures.pop(0)
                raise APIError(status, "Internal Server Error" if status >= 500 else "Error")
            if chat_id in self.blocked:
                raise APIError(403, "Forbidden: bot was blocked by the user")
            self._check_limits(chat_id)
        except APIError as exc:
            self.rejected[exc.error_code] = self.rejected.get(exc.error_code, 0) + 1
            raise
        self.delivered.append(params)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(),
            "date": int(time.time()),
            "chat": self._chats.get(chat_id) or self._chat(chat_id),
            "from": self.bot_user,
            "text": str(text),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    async def _true(self, params: Params) -> bool:
        """Any other method: success."""
        return True

    def _check_limits(self, chat_id: int) -> None:
        """Accept one more message to `chat_id` now, or raise 429 with retry_after."""
        if self.limits is None:
            return
        now = time.monotonic()
        windows = self._windows
        chat = windows.chats.setdefault(chat_id, deque())
        group = windows.groups.setdefault(chat_id, deque()) if chat_id < 0 else deque()
        checks = [
            (windows.all, self.limits.per_second, 1.0),
            (chat, self.limits.per_chat_per_second, 1.0),
        ]
        if chat_id < 0:
            checks.append((group, self.limits.group_per_minute, 60.0))
        wait = max(windows.wait(times, limit, span, now) for times, limit, span in checks)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise APIError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        windows.all.append(now)
        chat.append(now)
        if chat_id < 0:
            group.append(now)

    # --- plumbing --------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        """Record the call, check the token, and answer with the method's handler."""
        method = request.match_info["method"]
        params = await self._read_params(request)
        self.calls.append((method, params))
        self._notify()
        if method.lower() == "sendmessage" and self.failures and self.failures[0] == 0:
            self.failures.pop(0)
            self.rejected[0] = self.rejected.get(0, 0) + 1
            if request.transport is not None:
                request.transport.abort()  # the client sees a dropped connection
            return web.Response(status=500)
        try:
            if request.match_info["token"] != self.token:
                raise APIError(401, "Unauthorized")
            result = await self.handlers.get(method.lower(), self._true)(params)
        except APIError as exc:
            return web.json_response(exc.payload(), status=exc.error_code)
        return web.json_response({"ok": True, "result": result})

    async def _stats(self, request: web.Request) -> web.Response:
        """What sendMessage accepted and refused (for a bench in another process)."""
        unique = {(str(p.get("chat_id")), str(p.get("text"))) for p in self.delivered}
        return web.json_response(
            {
                "delivered": len(self.delivered),
                "unique": len(unique),
                "rejected": {str(code): n for code, n in self.rejected.items()},
            }
        )

    @staticmethod
    async def _read_params(request: web.Request) -> Params:
        """Query, form (multipart or urlencoded) and JSON-body parameters, merged."""
        params: Params = {key: _decode(value) for key, value in request.query.items()}
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else None
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            params.update({key: _decode(value) for key, value in form.items()})
        return params

    def _chat(self, chat_id: int) -> dict[str, Any]:
        """A minimal Chat for an id never seen in an update."""
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "用户"}
        return {"id": chat_id, "type": "supergroup", "title": "测试群"}

    def _new_message_id(self) -> int:
        """The next message id."""
        self._next_message_id += 1
        return self._next_message_id - 1

    def _notify(self) -> None:
        """Wake everyone waiting for a change."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(self, ready: Callable[[], bool], timeout: float) -> None:
        """Return once `ready()` holds, the server closes, or `timeout` seconds pass."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not ready() and not self._closed:
                    await self._changed.wait()


async def serve(token: str, scale: float) -> None:
    """Serve with Telegram's limits × `scale`; print the base URL; stop when stdin closes."""
    async with FakeBotAPI(token=token, limits=RateLimits().scaled(scale)) as api:
        print(api.base, flush=True)  # noqa: T201 - the parent process reads it
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], float(sys.argv[2])))
