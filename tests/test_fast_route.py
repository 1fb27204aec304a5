"""The fast route (bot/handlers/__init__.py): a plain private text from a member goes
straight to the 日报 handler, skipping every other router. It must never take a message
that another handler would have answered — a command, a 点赞 or 错情, an answer to a
question — so whatever it takes, the full routing would also have filed as a 日报."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import filters
from bot.handlers import reports
from tests.conftest import Chat, Office, local
from tests.factories import make_message

PREFIXES = [
    "",
    " ",
    "/",
    " /",
    "\n/status",
    "/start ",
    "/daily ",
    "/cancel",
    "/like ",
    "点赞",
    "点赞 @杨帆 ",
    " 错情 重 ",
    "错情-2",
    "#日报",
    "#周报",
    "取消",
    "@",
    "👍",
    "\n",
]
TEXTS = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(PREFIXES),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40),
).filter(lambda text: bool(text.strip()))


async def first_taker(event: Message, data: dict[str, Any], routers: list[Any]) -> object:
    """The handler the full routing (without the fast route) would give the message to."""
    for router in routers:
        if router.name == "reports-fast":
            continue
        for handler in router.message.handlers:
            passed, _ = await handler.check(event, **data)
            if passed:
                return handler.callback
    return None


FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(text=TEXTS)
async def test_what_the_fast_route_takes_the_full_routing_files_as_a_report(
    chat: Chat, office: Office, text: str
) -> None:
    routers = list(chat.dp.chain_tail)
    seen: list[tuple[bool, object]] = []

    async def watch(handler: Any, event: Message, data: dict[str, Any]) -> Any:
        fast = await filters.plain_report(event, data["me"], data["raw_state"])
        seen.append((fast, await first_taker(event, data, routers) if fast else None))
        return await handler(event, data)

    chat.dp.message.outer_middleware(watch)
    try:
        await chat.feed(make_message(text, user=office.member, date=local(11, 20, 10)))
    finally:
        chat.dp.message.outer_middleware._middlewares.remove(watch)  # type: ignore[attr-defined]
    assert len(seen) == 1
    fast, taker = seen[0]
    if fast:
        assert taker is reports.private_report


async def test_commands_likes_and_replies_take_the_full_route(chat: Chat, office: Office) -> None:
    at = local(11, 20, 10)
    member = office.member
    taken: list[bool] = []

    async def watch(handler: Any, event: Message, data: dict[str, Any]) -> Any:
        taken.append(await filters.plain_report(event, data["me"], data["raw_state"]))
        return await handler(event, data)

    chat.dp.message.outer_middleware(watch)
    sent = await chat.feed(make_message("走访企业", user=member, date=at))
    reply_to = chat.fake.last_message(member.id)
    for text in ("/status", "点赞 @赵丽 帮忙", "错情 @赵丽 迟到"):
        await chat.feed(make_message(text, user=member, date=at))
    await chat.feed(make_message("补充一句", user=member, date=at, reply_to=reply_to))
    assert taken == [True, False, False, False, False]
    assert sent[0].text.startswith("✅ 已记录")
