"""`kaohe run`: long polling with a clean start and a clean SIGTERM shutdown."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

from bot.app import make_bot, make_dispatcher, set_commands
from bot.config import Settings
from bot.jobs import Jobs, JobScheduler
from storage.db import make_engine, make_sessionmaker
from storage.people import set_setting

log = logging.getLogger("kaohe")

PRIVACY_WARNING = (
    "The bot cannot read all group messages (privacy mode is on). Slash commands and "
    "replies to the bot still work. To let it see '#日报' messages and plain replies, "
    "send /setprivacy to @BotFather and choose Disable, or make the bot a group admin."
)


async def run_polling(settings: Settings) -> int:
    """Start long polling; return the process exit code."""
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)
    bot = make_bot(settings)
    dp = make_dispatcher(settings, sessionmaker)
    jobs = Jobs(
        sessionmaker=sessionmaker,
        policy=dp["policy"],
        zone=settings.zone,
        bot=bot,
        calendar=dp["calendar"],
    )
    scheduler = JobScheduler(jobs)
    try:
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError:
            log.error("Telegram refused BOT_TOKEN (401 Unauthorized): check the token")
            return 2
        except TelegramNetworkError as exc:
            log.error("cannot reach the Bot API: %s", exc)
            return 1
        log.info("bot @%s (id %s) starting long polling", me.username, me.id)
        if not me.can_read_all_group_messages:
            log.warning(PRIVACY_WARNING)
        async with sessionmaker() as session:
            await set_setting(session, key="bot_username", value=me.username or "")
            await session.commit()
        await set_commands(bot)
        await bot.delete_webhook(drop_pending_updates=False)
        scheduler.start()  # reminders and digests; catches up what was missed while down
        await dp.start_polling(bot, handle_signals=True, close_bot_session=False)
        log.info("stopped cleanly")
        return 0
    finally:
        await scheduler.stop()
        await bot.session.close()
        await engine.dispose()
