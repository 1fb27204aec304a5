"""Binding a Telegram account to a roster person: /start, invite codes, /whoami, /help."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import filters, texts
from core.binding import normalize_invite_code
from core.people import roles_label
from storage import people
from storage.tables import Department, Person


def make_router() -> Router:
    """Private-chat router: binding, identity, help, and the fallback for strangers."""
    router = Router(name="start")
    router.message.filter(filters.private)
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_whoami, Command("whoami"))
    router.message.register(unbound_text, filters.has_text, filters.stranger)
    router.message.register(stranger, filters.stranger)
    return router


async def _department_name(session: AsyncSession, person: Person) -> str:
    department = await session.get(Department, person.department_id)
    return department.name if department else "?"


async def cmd_start(
    message: Message, command: CommandObject, session: AsyncSession, me: Person | None
) -> None:
    """Bind by deep-link code, by matching username, or ask for the code."""
    user = message.from_user
    assert user is not None
    if me is not None:
        if not me.active:
            await message.answer(texts.INACTIVE)
            return
        if (
            command.args
            and (code := normalize_invite_code(command.args))
            and code != me.invite_code
        ):
            await message.answer(texts.ACCOUNT_TAKEN.format(name=me.name))
            return
        await message.answer(texts.already_bound(me.name, await _department_name(session, me)))
        return
    if command.args:
        await _bind_with_code(message, session, command.args)
        return
    if user.username and (
        person := await people.unbound_by_username(session, username=user.username)
    ):
        people.bind(session, person=person, tg_user_id=user.id, how="username")
        await session.commit()
        await message.answer(texts.bound(person.name, await _department_name(session, person)))
        return
    await message.answer(texts.ASK_CODE)


async def unbound_text(message: Message, session: AsyncSession, me: Person | None) -> None:
    """A stranger's text: an invite code binds, anything else gets the how-to line."""
    if me is not None:  # bound but inactive
        await message.answer(texts.INACTIVE)
        return
    if normalize_invite_code(message.text or "") is None:
        await message.answer(texts.NOT_BOUND)
        return
    await _bind_with_code(message, session, message.text or "")


async def _bind_with_code(message: Message, session: AsyncSession, raw: str) -> None:
    user = message.from_user
    assert user is not None
    code = normalize_invite_code(raw)
    person = await people.person_by_code(session, code=code) if code else None
    if person is None:
        await message.answer(texts.CODE_UNKNOWN)
    elif not person.active:
        await message.answer(texts.CODE_INACTIVE)
    elif person.tg_user_id is not None:
        await message.answer(texts.CODE_USED)
    else:
        people.bind(session, person=person, tg_user_id=user.id, how="invite_code")
        await session.commit()
        await message.answer(texts.bound(person.name, await _department_name(session, person)))


async def stranger(message: Message, me: Person | None) -> None:
    """Anything else from someone not bound (or no longer active)."""
    await message.answer(texts.INACTIVE if me is not None else texts.NOT_BOUND)


async def cmd_help(message: Message, me: Person | None) -> None:
    """Short help; strangers learn how to bind."""
    await message.answer(texts.HELP if me is not None and me.active else texts.NOT_BOUND)


async def cmd_whoami(message: Message, session: AsyncSession, me: Person | None) -> None:
    """Name, department, category, roles and supervised departments."""
    if me is None or not me.active:
        await message.answer(texts.INACTIVE if me else texts.NOT_BOUND)
        return
    assert me.id is not None
    names = await people.department_names(session, unit_id=me.unit_id)
    overseen = await people.supervised_ids(session, person_id=me.id)
    core_me = await people.to_core(session, me)
    await message.answer(
        texts.whoami(
            name=me.name,
            department=names.get(me.department_id, "?"),
            category=me.category,
            roles=roles_label(core_me.roles),
            employee_id=me.employee_id,
            supervises=[name for dept_id, name in names.items() if dept_id in overseen],
        )
    )
