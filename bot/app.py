"""Building the Bot and the Dispatcher (shared by `kaohe run`, the demo and the tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import texts
from bot.calendars import CalendarBook
from bot.config import Settings
from bot.filing import Filer
from bot.handlers import get_routers
from bot.middlewares import (
    ClockMiddleware,
    DbSessionMiddleware,
    IdentityMiddleware,
    KnownUpdateMiddleware,
    UpdateOnceMiddleware,
)
from bot.ordering import ArrivalOrder
from bot.pacing import Pacer
from bot.policies import load_policy
from bot.sender import Limits, instance_id
from core.policy import Policy
from storage.tables import utcnow


def make_fsm_storage(settings: Settings) -> BaseStorage:
    """Redis when `REDIS_URL` is set (state survives restarts), else memory."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(settings.redis_url)
    return MemoryStorage()


def make_dispatcher(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    policy: Policy | None = None,
    clock: Callable[[], datetime] = utcnow,
    catch_errors: bool = True,
    owner: str | None = None,
) -> Dispatcher:
    """A Dispatcher with the middlewares and fresh feature routers.

    Handlers receive `settings`, `policy`, `calendar_book`, `zone` and `filer` (app
    lifetime), `calendar` (the book's current one, holiday notices included),
    and per update `session`, `claim`, `me`, `group`, `now` and `today` from the
    middlewares. Updates of one person in one chat are handled one at a time, in the
    order they came (bot/ordering.py).
    """
    policy = policy or load_policy(settings.policy)
    calendars = CalendarBook(sessionmaker, policy.calendar)
    calendar = calendars.calendar  # handlers get the current one from ClockMiddleware
    dp = Dispatcher(
        storage=make_fsm_storage(settings),
        events_isolation=ArrivalOrder(),  # one person's updates in arrival order (issue 24)
        settings=settings,
        policy=policy,
        calendar=calendar,
        calendar_book=calendars,
        zone=settings.zone,
        sessionmaker=sessionmaker,
        filer=Filer(sessionmaker),
    )
    dp.update.outer_middleware(KnownUpdateMiddleware())
    dp.update.outer_middleware(DbSessionMiddleware(sessionmaker))
    dp.update.outer_middleware(
        UpdateOnceMiddleware(
            sessionmaker, owner or instance_id(), answer_grace=settings.answer_grace
        )
    )
    dp.update.outer_middleware(IdentityMiddleware(sessionmaker))
    dp.update.outer_middleware(ClockMiddleware(settings.zone, calendars, clock))
    dp.include_routers(*get_routers(catch_errors=catch_errors))
    return dp


def make_bot(
    settings: Settings, *, session: BaseSession | None = None, limits: Limits | None = None
) -> Bot:
    """A Bot on the real API, on `TELEGRAM_API_BASE`, or on a given (offline) session.

    Its sends are paced under Telegram's limits (`limits`, default `Limits()`; see
    bot/pacing.py) on a network session, and on a given session only when `limits` is."""
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    if session is None:
        session = AiohttpSession()
        if settings.telegram_api_base:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/"))
        limits = limits or Limits()
    if limits is not None:
        session.middleware(Pacer(limits))
    return Bot(token=settings.bot_token.get_secret_value(), session=session)


async def set_commands(bot: Bot) -> None:
    """The command menu, with Chinese descriptions, for private chats and for groups."""
    for scope, commands in (
        (BotCommandScopeAllPrivateChats(), texts.PRIVATE_COMMANDS),
        (BotCommandScopeAllGroupChats(), texts.GROUP_COMMANDS),
    ):
        await bot.set_my_commands(
            [BotCommand(command=name, description=text) for name, text in commands], scope=scope
        )
