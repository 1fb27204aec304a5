"""The fake Bot API session for tests (see bot/offline.py; aiogram's MockedBot pattern)."""

from bot.offline import BOT_ID, BOT_USERNAME, OfflineSession

FakeSession = OfflineSession

__all__ = ["BOT_ID", "BOT_USERNAME", "FakeSession"]
