"""Feature routers, in the order the dispatcher tries them."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    annual,
    appeals,
    buttons,
    calendar,
    console,
    corrections,
    declare,
    errors,
    groups,
    indicators,
    leave,
    likes,
    objections,
    ratings,
    reports,
    review,
    scores,
    start,
    status,
    talks,
    tasks,
)


def get_routers(*, catch_errors: bool = True) -> list[Router]:
    """Fresh routers for one Dispatcher (tests build one per test)."""
    routers = [
        reports.make_fast_router(),  # first: a plain private text is a 日报 (the common case)
        groups.make_router(),
        start.make_router(),
        likes.make_router(),
        tasks.make_router(),  # before review: a /task reply to an echo is no 批复
        indicators.make_router(),
        review.make_router(),
        leave.make_router(),
        status.make_router(),
        scores.make_router(),
        declare.make_router(),
        ratings.make_router(),
        talks.make_router(),
        corrections.make_router(),
        calendar.make_router(),
        annual.make_router(),
        appeals.make_router(),
        objections.make_router(),
        console.make_router(),  # issue 23: the web console's sign-in link
        reports.make_router(),  # last: its private catch-all files any text as a 日报
        buttons.make_router(),  # callback queries only: answers presses nobody took
    ]
    if catch_errors:
        routers.append(errors.make_router())
    return routers
