"""The web console (issue 23): 总览, 人员, 日报, 点赞/错情, 季度结果, 审计日志, 导出 in a
browser or as a Telegram Mini App, on the bot's data and rules (bot/web/console.py)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.runtime import Runtime
    from bot.web.console import Console

log = logging.getLogger("kaohe")

__all__ = ["Console", "add_console", "console_for", "make_console_app", "start_console"]


def __getattr__(name: str) -> object:
    """The console's pages are imported when first used: a bot without WEB_URL never
    loads them (nor Jinja2)."""
    if name in {"Console", "add_console", "make_console_app"}:
        from bot.web import console

        return getattr(console, name)
    raise AttributeError(name)


def console_for(rt: Runtime, settings: Settings) -> Console | None:
    """The console of a running bot, or None when WEB_URL is not set."""
    if not settings.web_url or settings.bot_token is None:
        return None
    from bot.web.console import Console

    return Console(
        sessionmaker=rt.sessionmaker,
        policy=rt.dp["policy"],
        calendar=rt.dp["calendar"],
        zone=settings.zone,
        bot_token=settings.bot_token.get_secret_value(),
        base_url=settings.web_url,
        bot=rt.bot,
    )


async def start_console(rt: Runtime, settings: Settings) -> web.AppRunner | None:
    """Serve the console on WEB_HOST:WEB_PORT (long polling mode); None when it is off.

    In webhook mode the console shares the webhook's server instead (`add_console`)."""
    console = console_for(rt, settings)
    if console is None:
        return None
    from bot.web.console import make_console_app

    runner = web.AppRunner(make_console_app(console), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    except OSError as exc:
        await runner.cleanup()
        log.error("web console: cannot listen on %s:%s: %s", settings.web_host,
                  settings.web_port, exc)  # fmt: skip
        return None
    log.info("web console on %s:%s for %s", settings.web_host, settings.web_port,
             settings.web_url)  # fmt: skip
    return runner
