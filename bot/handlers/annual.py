"""年度考核 in chat: `/annual [年份]` for a person (their quarters and the year), and the
考核办's `/mark` and `/unmark` of the facts the common rules act on (试用期,
立案审查调查未结案, 病事假超过半年), audited; `/status` shows a person's marks."""

from __future__ import annotations

from datetime import datetime

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from bot.annual import annual_rows, annual_view, explain_row
from bot.annual_export import pool_workbook
from bot.pool import BadAmount, PoolRefusal, compute_pool, parse_amount
from core.annual import Standing
from core.calendar import WorkCalendar
from core.policy import Policy
from core.quarter import Quarter
from storage import annual as store
from storage import people
from storage.tables import Person

MAX_NOTE = 200
MARK_DENIED = "只有考核办可以标记年度考核事项。"
MARK_PRIVATE = "请私聊机器人标记。"


def make_router() -> Router:
    """/annual, /mark and /unmark, in private."""
    router = Router(name="annual")
    router.message.register(cmd_annual, Command("annual"), filters.private, filters.member)
    router.message.register(cmd_mark, Command("mark", "unmark"), filters.member)
    router.message.register(cmd_pool, Command("pool"), filters.member)
    return router


async def cmd_pool(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    command: CommandObject,
) -> None:
    """/pool 年份 金额 [季度]: the 考核办 gets the 分配表 (as `kaohe pool -o`)."""
    if not filters.is_admin(me):
        await message.reply(texts.POOL_DENIED)
        return
    if message.chat.type != "private":
        await message.reply(texts.POOL_PRIVATE)
        return
    words = (command.args or "").split()
    if len(words) not in (2, 3) or not (words[0].isdigit() and len(words[0]) == 4):
        await message.answer(texts.POOL_USAGE)
        return
    try:
        pool_fen = parse_amount(words[1])
        quarter = Quarter.parse(words[2]) if len(words) == 3 else None
    except BadAmount:
        await message.answer(texts.POOL_BAD_AMOUNT)
        return
    except ValueError:
        await message.answer(texts.POOL_USAGE)
        return
    outcome = await compute_pool(
        session, policy=policy, calendar=calendar, year=int(words[0]), quarter=quarter,
        pool_fen=pool_fen, now=now,
    )  # fmt: skip
    if isinstance(outcome, PoolRefusal):
        await message.answer(outcome.text)
        return
    data, label = outcome
    title = f"{label} 激励资金分配表（资金总额 {data['pool']} 元）"
    filename = f"激励资金分配-{data['period']}.xlsx"
    document = BufferedInputFile(pool_workbook(data, title=title), filename)
    caption = texts.pool_caption(label=label, pool=data["pool"], total=data["distributed"],
                                 people=len(data["people"]))  # fmt: skip
    await message.answer_document(document, caption=caption)


async def cmd_annual(
    message: Message,
    session: AsyncSession,
    me: Person,
    policy: Policy,
    calendar: WorkCalendar,
    now: datetime,
    command: CommandObject,
) -> None:
    """A person's year: the quarters counted so far and the annual grade."""
    arg = (command.args or "").strip().removesuffix("年")
    if arg and not (arg.isdigit() and len(arg) == 4):
        await message.answer("用法：/annual [年份]，如 /annual 2026")
        return
    year = int(arg) if arg else now.year
    view = await annual_view(session, policy=policy, calendar=calendar, year=year, now=now)
    if not arg and not view.included:  # early in a year: the year just ended
        year -= 1
        view = await annual_view(session, policy=policy, calendar=calendar, year=year, now=now)
    if not view.included:
        await message.answer(texts.ANNUAL_NO_QUARTER.format(year=year))
        return
    row = next((r for r in annual_rows(view) if r["person_id"] == me.id), None)
    if row is None:
        await message.answer(texts.ANNUAL_NOT_FOUND.format(name=me.name, year=year))
        return
    missing = "、".join(Quarter.parse(q).label for q in view.missing)
    head = texts.annual_header(year=year, complete=view.complete, missing=missing)
    await message.answer(head + "\n" + "\n".join(explain_row(row)))


def _parse(args: str, default_year: int) -> tuple[str, Standing | None, int, str] | None:
    """'姓名 [事项 [年份] [备注]]' → (who, standing, year, note); None if malformed."""
    words = args.split()
    if not words:
        return None
    who = words[0]
    if len(words) == 1:
        return who, None, default_year, ""
    kind = texts.STANDING_WORDS.get(words[1])
    if kind is None:
        return None
    rest = words[2:]
    year = default_year
    if rest and rest[0].removesuffix("年").isdigit() and len(rest[0].removesuffix("年")) == 4:
        year = int(rest[0].removesuffix("年"))
        rest = rest[1:]
    return who, Standing(kind), year, " ".join(rest)[:MAX_NOTE]


async def cmd_mark(
    message: Message, session: AsyncSession, me: Person, now: datetime, command: CommandObject
) -> None:
    """/mark 姓名 事项 [年份] [备注]; /unmark 姓名 事项 [年份]; /mark 姓名 lists them."""
    if not filters.is_admin(me):
        await message.reply(MARK_DENIED)
        return
    if message.chat.type != "private":
        await message.reply(MARK_PRIVATE)
        return
    parsed = _parse(command.args or "", now.year)
    if parsed is None:
        await message.answer(texts.STANDING_USAGE)
        return
    ref, kind, year, note = parsed
    found = await people.resolve_person(session, unit_id=me.unit_id, ref=ref)
    if len(found) != 1:
        await message.answer(
            texts.who_ambiguous(ref, len(found)) if found else texts.action_who(ref)
        )
        return
    person = found[0]
    assert person.id is not None
    if kind is None:
        await message.answer("\n".join([person.name, *await standing_lines(session, person)]))
        return
    args = {"unit_id": me.unit_id, "person_id": person.id, "kind": kind, "year": year}
    actor = {"actor_id": me.id, "actor": me.name, "now": now}
    if command.command == "unmark":
        changed = await store.clear(session, **args, **actor)
        done = texts.standing_cleared
    else:
        changed = await store.mark(session, **args, note=note, **actor)
        done = texts.standing_marked
    if not changed:
        await message.answer(
            texts.standing_unchanged(
                name=person.name, label=kind.label, year=year, marked=command.command == "mark"
            )
        )
        return
    await session.commit()
    await message.answer(done(name=person.name, label=kind.label, year=year))


async def standing_lines(
    session: AsyncSession, person: Person, *, always: bool = True
) -> list[str]:
    """A person's marked facts, as /status and /mark show them."""
    assert person.id is not None
    rows = await store.standings_of(session, person_id=person.id)
    if not rows and not always:
        return []
    return texts.standing_lines(
        [(r.year, Standing(r.kind).label, r.note, r.cleared_at is not None) for r in rows]
    )
