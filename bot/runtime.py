"""`kaohe run`: long polling (default) or a webhook server, with a clean start and a
clean SIGTERM shutdown. Both start the job scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import make_bot, make_dispatcher, set_commands
from bot.config import Settings
from bot.echoes import EchoFlusher
from bot.jobs import Jobs, JobScheduler
from bot.polling import DRAIN, Poller
from bot.sender import instance_id
from bot.web import console_for, start_console
from bot.webhook import WebhookHandler
from storage import runtime as store
from storage.db import make_engine, make_sessionmaker
from storage.people import set_setting

log = logging.getLogger("kaohe")

PRIVACY_WARNING = (
    "The bot cannot read all group messages (privacy mode is on). Slash commands and "
    "replies to the bot still work. To let it see '#日报' messages and plain replies, "
    "send /setprivacy to @BotFather and choose Disable, or make the bot a group admin."
)
HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT = 5.0


@dataclass
class Runtime:
    """What `kaohe run` holds for its lifetime, in either mode."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    bot: Bot
    dp: Dispatcher
    scheduler: JobScheduler
    flusher: EchoFlusher | None = None  # batched echoes of busy groups (bot/echoes.py)
    scheduler_on: bool = True  # KAOHE_SCHEDULER

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        engine = make_engine(settings.database_url)
        sessionmaker = make_sessionmaker(engine)
        bot = make_bot(settings)
        clock = settings.make_clock()
        dp = make_dispatcher(settings, sessionmaker, clock=clock)
        jobs = Jobs(
            sessionmaker=sessionmaker,
            policy=dp["policy"],
            zone=settings.zone,
            bot=bot,
            calendars=dp["calendar_book"],
            clock=clock,
        )
        flusher = EchoFlusher(sessionmaker, bot, owner=instance_id())
        return cls(engine, sessionmaker, bot, dp, JobScheduler(jobs), flusher, settings.scheduler)

    async def hello(self, mode: str) -> int | None:
        """getMe, remember the username, set the menus; an exit code if that failed."""
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError:
            log.error("Telegram refused BOT_TOKEN (401 Unauthorized): check the token")
            return 2
        except TelegramNetworkError as exc:
            log.error("cannot reach the Bot API: %s", exc)
            return 1
        log.info("bot @%s (id %s) starting %s", me.username, me.id, mode)
        if not me.can_read_all_group_messages:
            log.warning(PRIVACY_WARNING)
        async with self.sessionmaker() as session:
            await set_setting(session, key="bot_username", value=me.username or "")
            await session.commit()
        await set_commands(self.bot)
        return None

    def start_background(self) -> None:
        """Start the job scheduler and the echo flusher (everything is built by now)."""
        settle_memory()
        if self.scheduler_on:
            self.scheduler.start()
        else:
            log.info("scheduler off (KAOHE_SCHEDULER): jobs run only by `kaohe jobs run`")
        if self.flusher is not None:
            self.flusher.start()

    async def stop_background(self) -> None:
        """Stop the echo flusher and the job scheduler (again is harmless)."""
        if self.flusher is not None:
            await self.flusher.stop()
        await self.scheduler.stop()

    async def close(self) -> None:
        await self.stop_background()
        await self.bot.session.close()
        await self.engine.dispose()


def settle_memory() -> None:
    """Keep what start-up built out of the garbage collector's way.

    A running bot holds hundreds of thousands of long-lived objects (aiogram's and
    SQLAlchemy's classes and caches, the policy, the pools). Python's cyclic collector
    walks all of them in every full collection, which at a deadline peak took a third of
    the time (bench/ingest). `gc.freeze()` moves them to a generation that is never
    walked; what is made later is collected as usual.
    """
    gc.collect()
    gc.freeze()


async def run_polling(settings: Settings) -> int:
    """Start long polling; return the process exit code."""
    rt = Runtime.build(settings)
    console: web.AppRunner | None = None
    try:
        if (code := await rt.hello("long polling")) is not None:
            return code
        await rt.bot.delete_webhook(drop_pending_updates=False)
        rt.start_background()  # jobs (catching up what was missed) and the echo flusher
        console = await start_console(rt, settings)  # the web console, when WEB_URL is set
        poller = Poller(rt.bot, rt.dp)
        stop = asyncio.Event()
        with on_signals(stop.set):
            log.info("polling")
            await poller.run(stop)  # returns once stopped and drained
        await rt.stop_background()
        log.info("stopped cleanly" if not poller.left else "stopped")
        return 0
    finally:
        if console is not None:
            await console.cleanup()
        await rt.close()


def health_handler(sessionmaker: async_sessionmaker[AsyncSession]):  # type: ignore[no-untyped-def]
    """GET /healthz: 200 when the database answers, 503 otherwise (for a load balancer)."""

    async def health(request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT), sessionmaker() as session:
                await store.ping(session)
        except Exception as exc:
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            return web.json_response({"status": "down", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    return health


def make_web_app(rt: Runtime, settings: Settings) -> web.Application:
    """The aiohttp app: Telegram's POSTs on the webhook path (secret checked), and /healthz."""
    app = web.Application()
    # Answer Telegram only once the update is handled (not in the background): if this
    # instance dies meanwhile, Telegram delivers the update again, to this or another one.
    handler = WebhookHandler(
        dispatcher=rt.dp, bot=rt.bot, secret_token=settings.webhook_secret_token()
    )
    handler.register(app, path=settings.webhook_listen_path)
    app["webhook"] = handler
    app.router.add_get(HEALTH_PATH, health_handler(rt.sessionmaker))
    if (console := console_for(rt, settings)) is not None:  # the web console, same server
        from bot.web.console import add_console

        add_console(app, console)
    setup_application(app, rt.dp, bot=rt.bot)
    return app


async def run_webhook(settings: Settings) -> int:
    """Serve Telegram's webhook until SIGTERM / Ctrl-C; return the process exit code.

    Every replica calls setWebhook with the same URL and secret on start, and none removes
    it on stop: the others keep serving behind the load balancer.
    """
    if not settings.webhook_url:
        log.error("webhook mode needs WEBHOOK_URL (the public https URL Telegram calls)")
        return 2
    rt = Runtime.build(settings)
    runner: web.AppRunner | None = None
    try:
        if (code := await rt.hello("webhook")) is not None:
            return code
        app = make_web_app(rt, settings)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        try:
            await site.start()
        except OSError as exc:
            log.error(
                "cannot listen on %s:%s: %s", settings.webhook_host, settings.webhook_port, exc
            )
            return 1
        try:
            await rt.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret_token(),
                allowed_updates=rt.dp.resolve_used_update_types(),
                drop_pending_updates=False,
            )
        except TelegramAPIError as exc:
            log.error("setWebhook failed: %s", exc)
            return 1
        rt.start_background()
        log.info(
            "webhook listening on %s:%s%s for %s",
            settings.webhook_host,
            settings.webhook_port,
            settings.webhook_listen_path,
            settings.webhook_url,
        )
        await _until_signalled()
        log.info("stopping")
        await site.stop()  # no new connections
        left = await app["webhook"].drain(DRAIN)  # the updates in flight finish
        await rt.stop_background()  # before the server closes the bot session
        log.info("stopped cleanly" if not left else "stopped")
        return 0
    finally:
        if runner is not None:
            await runner.cleanup()
        await rt.close()


@contextlib.contextmanager
def on_signals(callback: Callable[[], None]) -> Iterator[None]:
    """Call `callback` on SIGTERM or SIGINT while inside."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises instead
            loop.add_signal_handler(sig, callback)
    try:
        yield
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(sig)


async def _until_signalled() -> None:
    """Wait for SIGTERM or SIGINT."""
    stop = asyncio.Event()
    with on_signals(stop.set):
        await stop.wait()
