"""Feature routers, in the order the dispatcher tries them."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import errors, groups, leave, likes, reports, review, scores, start, status


def get_routers(*, catch_errors: bool = True) -> list[Router]:
    """Fresh routers for one Dispatcher (tests build one per test)."""
    routers = [
        groups.make_router(),
        start.make_router(),
        likes.make_router(),
        review.make_router(),
        leave.make_router(),
        status.make_router(),
        scores.make_router(),
        reports.make_router(),  # last: its private catch-all files any text as a 日报
    ]
    if catch_errors:
        routers.append(errors.make_router())
    return routers
