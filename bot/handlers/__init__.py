"""Feature routers, in the order the dispatcher tries them."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import errors, groups, start


def get_routers(*, catch_errors: bool = True) -> list[Router]:
    """Fresh routers for one Dispatcher (tests build one per test)."""
    routers = [groups.make_router(), start.make_router()]
    if catch_errors:
        routers.append(errors.make_router())
    return routers
