"""/me (one's own score so far, with the breakdown) and /rank (text rankings)."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import figures, filters, texts
from bot.figure_worker import RankAsk
from core.calendar import WorkCalendar
from core.people import Role, decode_roles
from core.policy import Policy
from storage.tables import ChatGroup, Person


def make_router() -> Router:
    """/me in private; /rank in private (leaders) and in bound groups."""
    router = Router(name="scores")
    router.message.register(cmd_me, Command("me"), filters.private, filters.member)
    router.message.register(cmd_rank, Command("rank"), filters.member)
    return router


async def cmd_me(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """Own quarter-to-date score, rank, provisional grade and breakdown (computed and
    drawn in a figures worker, bot/figures.py)."""
    assert me.id is not None
    answer = await figures.me(figures.ask(session, policy, calendar, now), me.id)
    if answer.text is None:
        await message.answer(texts.NO_SCORE_YET)
        return
    if answer.png is not None:
        await message.answer_photo(BufferedInputFile(answer.png, "me.png"), caption=answer.header)
    await message.answer(answer.text)


async def cmd_rank(
    message: Message,
    session: AsyncSession,
    me: Person,
    group: ChatGroup | None,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
) -> None:
    """A group's department ranking; in private, the departments a leader leads."""
    roles = decode_roles(me.roles)
    in_group = message.chat.type in filters.GROUP_CHATS
    if in_group and group is None:
        return
    if not in_group and not roles & {Role.HEAD, Role.SUPERVISOR, Role.CHIEF, Role.ADMIN}:
        await message.answer(texts.RANK_DENIED)
        return
    assert me.id is not None
    request = RankAsk(
        person_id=me.id, roles=frozenset(roles), department_id=me.department_id,
        in_group=in_group, group_department_id=group.department_id if group else None,
    )  # fmt: skip
    for out in await figures.rank(figures.ask(session, policy, calendar, now), request):
        if out.png is not None:
            await message.answer_photo(BufferedInputFile(out.png, "rank.png"), caption=out.text)
        else:
            await message.answer(out.text)
