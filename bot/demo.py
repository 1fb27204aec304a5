"""`kaohe demo`: the real dispatcher driven by simulated Telegram updates, offline.

Everything a user would see is printed as a transcript (and written to
`<dir>/transcript.txt`). Each feature adds its scenes here, so that in the end the demo
simulates a whole quarter of a fictional 市场监督管理局.
"""

from __future__ import annotations

import heapq
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import Chat, ChatMemberLeft, ChatMemberMember, ChatMemberUpdated, Message, User
from sqlmodel import col, select

from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from bot.demo_quarter import scene_quarter_end
from bot.demo_reports import scene_fortnight
from bot.demo_tasks import scene_tasks_close, scene_tasks_open
from bot.demo_year import scene_year
from bot.offline import OfflineSession, UpdateFactory
from bot.web.demo import demo_url, remember_clock
from core.roster import UNIT_WIDE, parse_roster
from storage import db, people
from storage.roster_io import read_table
from storage.tables import STAMPS, ChatGroup, Department, Person

UNIT_NAME = "示范市市场监督管理局"
DEMO_TOKEN = "4242:OFFLINE-DEMO"
UNIT_GROUP_ID = -1000000000001
ZONE = ZoneInfo("Asia/Shanghai")
ASSESSMENT_START = date(2026, 6, 1)  # the simulated unit starts assessing with kaohe here
CONSOLE_AT = datetime(2026, 6, 30, 20, 30, tzinfo=ZONE)
ROSTER_AT = datetime(
    2026, 5, 29, 15, 0, tzinfo=ZONE
)  # the Friday before: roster, accounts  # `kaohe demo --serve`'s "now"
KINDS = {"photo": "[图片]", "document": "[文件]", "sticker": "[贴纸]", "voice": "[语音]"}


def sample_roster_path() -> Path:
    """The fictional roster shipped inside the package."""
    return Path(str(resources.files("bot") / "data" / "sample_roster.csv"))


@dataclass
class Transcript:
    """Collects what happened, as lines a person can read."""

    echo: bool
    lines: list[str] = field(default_factory=list)

    def say(self, line: str = "") -> None:
        """Add a line (and print it when echoing)."""
        self.lines.append(line)
        if self.echo:
            print(line)  # noqa: T201 - the transcript is the demo's output


class DemoWorld:
    """The simulated Telegram around one Dispatcher: people, chats, and the transcript."""

    def __init__(self, dp: Dispatcher, bot: Bot, session: OfflineSession, out: Transcript):
        self.dp, self.bot, self.session, self.out = dp, bot, session, out
        self.factory = UpdateFactory()
        self.users: dict[str, User] = {}
        self.chat_names: dict[int, str] = {}
        self.quiet = False
        self.now: datetime | None = None  # the simulated clock, for button presses
        self.charts_dir: Path | None = None  # where the weekly pictures are written
        # What else happens meanwhile (other people's filings, the scheduled jobs): run in
        # time order before any shown action at a later time, so that everything the
        # transcript shows saw exactly what had happened by its moment (issue 22).
        self._pending: list[tuple[datetime, int, int, Callable[[], Awaitable[None]]]] = []
        self._order = 0
        self._catching_up = False

    def clock(self) -> datetime:
        """The simulated time (real time until a scene sets it)."""
        return self.now or datetime.now(UTC)

    def meanwhile(
        self, when: datetime, action: Callable[[], Awaitable[None]], *, last: bool = False
    ) -> None:
        """Run `action` at simulated time `when`, before whatever is shown after it; `last`
        (the scheduled jobs) runs after everything else of the same minute."""
        self._order += 1
        heapq.heappush(self._pending, (when, int(last), self._order, action))

    async def catch_up(self, until: datetime) -> None:
        """Run what happens meanwhile up to and including `until`, in time order."""
        if self._catching_up:
            return
        self._catching_up = True
        try:
            while self._pending and self._pending[0][0] <= until:
                when, _last, _order, action = heapq.heappop(self._pending)
                self.now = when
                await action()
        finally:
            self._catching_up = False

    def user_for(self, person: Person) -> User:
        """The Telegram account of a roster person (stable ids)."""
        key = f"{person.name}#{person.id}"
        if key not in self.users:
            self.users[key] = self.factory.user(
                100_000 + (person.id or 0), person.name, person.tg_username
            )
            self.chat_names[self.users[key].id] = person.name
        return self.users[key]

    async def send(
        self,
        user: User,
        text: str | None,
        chat: Chat | None = None,
        *,
        at: datetime | None = None,
        reply_to: Message | None = None,
        **fields: Any,
    ) -> Message:
        """`user` sends a message (privately unless a group chat is given) at time `at`
        (none: at the simulated moment it is now)."""
        if at is not None:
            await self.catch_up(at)
            self.now = at
        stamped = at
        where = self.chat_names.get(chat.id, chat.title or "") if chat else "私聊"
        if not self.quiet:
            stamp = f"[{stamped.astimezone(ZONE):%m-%d %H:%M}] " if stamped else ""
            kind = next((KINDS[k] for k in KINDS if k in fields), "[消息]")
            shown = text if text is not None else f"{kind} {fields.get('caption') or ''}".strip()
            answer = "（回复机器人）" if reply_to is not None else ""
            self.out.say(f"  {stamp}{user.first_name} ▸ {where}{answer}：{shown}")
        message = self.factory.message(text, user=user, chat=chat, date=at or self.now,
                                       reply_to=reply_to,
                                       **fields)  # fmt: skip
        await self._feed(self.factory.update(message=message))
        return message

    async def edit(self, message: Message, text: str, *, at: datetime) -> None:
        """The author edits a message they sent."""
        await self.catch_up(at)
        self.now = at
        if not self.quiet:
            who = message.from_user.first_name if message.from_user else "?"
            self.out.say(f"  [{at.astimezone(ZONE):%m-%d %H:%M}] {who} ✏️ 修改为：{text}")
        edited = message.model_copy(update={"text": text, "edit_date": int(at.timestamp())})
        await self._feed(self.factory.update(edited_message=edited))

    async def press(self, user: User, message: Message, *, at: datetime, row: int = 0,
                    col: int = 0) -> None:  # fmt: skip
        """`user` presses an inline button under a bot message."""
        await self.catch_up(at)
        self.now = at
        markup = message.reply_markup
        assert markup is not None
        button = markup.inline_keyboard[row][col]
        if not self.quiet:
            private = message.chat.type == "private"
            where = "私聊" if private else self.chat_names.get(message.chat.id, "群")
            stamp = f"[{at.astimezone(ZONE):%m-%d %H:%M}]"
            self.out.say(f"  {stamp} {user.first_name} ▸ {where}：按「{button.text}」")
        query = self.factory.callback(button.callback_data or "", user=user, message=message)
        await self._feed(self.factory.update(callback_query=query))

    async def bot_added(self, chat: Chat, by: User) -> None:
        """The bot is added to a group as an admin."""
        self.chat_names[chat.id] = chat.title or str(chat.id)
        self.out.say(f"  （{by.first_name} 把机器人拉进「{chat.title}」）")
        event = ChatMemberUpdated(
            chat=chat,
            from_user=by,
            date=self.factory.message("", user=by).date,
            old_chat_member=ChatMemberLeft(user=self.session.bot_user),
            new_chat_member=ChatMemberMember(user=self.session.bot_user),
        )
        await self._feed(self.factory.update(my_chat_member=event))

    async def _feed(self, update: Any) -> None:
        before = len(self.session.requests)
        await self.dp.feed_update(self.bot, update)
        if not self.quiet:
            for request in self.session.requests[before:]:
                self._show(request)

    def _show(self, request: TelegramMethod[Any]) -> None:
        if isinstance(request, AnswerCallbackQuery) and request.text:
            self.out.say(f"    🤖 （弹出提示）{request.text}")
            return
        if isinstance(request, EditMessageReplyMarkup) and request.reply_markup:
            labels = " ".join(b.text for row in request.reply_markup.inline_keyboard for b in row)
            self.out.say(f"    🤖 （按钮变为）{labels}")
            return
        if isinstance(request, EditMessageText):
            self.out.say(f"    🤖 （消息已更新）{request.text.splitlines()[-1]}")
            return
        if isinstance(request, SendMessage | SendPhoto | SendDocument):
            chat_id = int(request.chat_id)
            to = self.chat_names.get(chat_id, str(chat_id))
            body = getattr(request, "text", None) or getattr(request, "caption", None) or ""
            kind = {SendPhoto: "[图片] ", SendDocument: "[文件] "}.get(type(request), "")
            first, *rest = (kind + body).split("\n")
            self.out.say(f"    🤖 → {to}：{first}")
            for line in rest:
                self.out.say(f"         {line}")


async def run_demo(directory: Path, *, echo: bool = True) -> int:
    """Build a fresh demo database, replay the scenes, write the transcript."""
    directory.mkdir(parents=True, exist_ok=True)
    directory = directory.resolve()  # figures workers may run in another directory
    database = directory / "kaohe.db"
    for stale in (database, directory / "kaohe.db-wal", directory / "kaohe.db-shm"):
        stale.unlink(missing_ok=True)
    shutil.rmtree(directory / "charts", ignore_errors=True)
    settings = Settings(BOT_TOKEN=DEMO_TOKEN, DATABASE_URL=f"sqlite:///{database}")  # type: ignore[call-arg]
    settings.web_url = settings.web_url or demo_url(settings.web_port)  # issue 23: /console
    out = Transcript(echo=echo)

    engine = db.make_engine(settings.database_url)
    await db.upgrade(engine)
    sessionmaker = db.make_sessionmaker(engine)
    offline = OfflineSession()
    bot = make_bot(settings, session=offline)
    world = DemoWorld(None, bot, offline, out)  # type: ignore[arg-type]
    world.dp = make_dispatcher(settings, sessionmaker, clock=world.clock, catch_errors=False)
    world.charts_dir = directory / "charts"
    world.now = ROSTER_AT  # the simulated clock runs from the roster's import
    STAMPS.clock = world.clock  # audit times are simulated times too
    try:
        out.say(f"kaohe 离线演示 —— {UNIT_NAME}（虚构）")
        out.say("=" * 40)
        entries = parse_roster(read_table(sample_roster_path()))
        async with sessionmaker() as session:
            unit = await people.ensure_unit(session, name=UNIT_NAME)
            report = await people.apply_roster(session, unit=unit, entries=entries)
            await people.set_assessment_start(session, day=ASSESSMENT_START, actor="demo")
            await session.commit()
        out.say(f"\n【名单导入】新增 {report.added} 人，{report.departments_added} 个部门")
        await scene_binding(world, sessionmaker)
        await scene_groups(world, sessionmaker)
        await scene_tasks_open(world, sessionmaker)  # issue 9: indicators, tasks
        await scene_fortnight(world, sessionmaker)
        await scene_tasks_close(world, sessionmaker)
        await scene_quarter_end(world, sessionmaker, directory)  # issue 8: results, talks
        await scene_year(world, sessionmaker, directory)  # issue 19: 公示, 复核, the year

        await scene_console(world, sessionmaker)  # issue 23: the web console
        await summary(world, sessionmaker)
    finally:
        STAMPS.clock = None
        await engine.dispose()
    (directory / "transcript.txt").write_text("\n".join(out.lines) + "\n", encoding="utf-8")
    if echo:
        print(f"\n演示数据库：{database}\n完整记录：{directory / 'transcript.txt'}")  # noqa: T201
    return 0


async def _roster(sessionmaker: Any) -> list[Person]:
    async with sessionmaker() as session:
        rows = await session.exec(select(Person).order_by(col(Person.roster_order)))
        return list(rows.all())


async def scene_binding(world: DemoWorld, sessionmaker: Any) -> None:
    """Everyone binds: by username, by typing the code, or by the deep link."""
    out = world.out
    roster = await _roster(sessionmaker)
    out.say("\n【绑定账号】有 Telegram 用户名的人发 /start 自动绑定；其余用邀请码")
    shown = 6
    for index, person in enumerate(roster):
        if index == shown:
            out.say(f"  ……其余 {len(roster) - shown} 人同样操作（略）")
            world.quiet = True
        user = world.user_for(person)
        if person.tg_username:
            await world.send(user, "/start")
        elif index % 2:
            await world.send(user, f"/start {person.invite_code}")  # tapped the deep link
        else:
            await world.send(user, "/start")
            await world.send(user, person.invite_code.lower())
    world.quiet = False

    out.say("\n【陌生人与误用】")
    stranger = world.factory.user(999_001, "路人甲", "passer_by")
    world.chat_names[stranger.id] = stranger.first_name
    await world.send(stranger, "/start")
    await world.send(stranger, "ABCD2345")
    await world.send(stranger, "/whoami")
    await world.send(stranger, f"/start {roster[0].invite_code}")
    out.say("\n【我的信息】")
    await world.send(world.user_for(roster[1]), "/whoami")


async def scene_groups(world: DemoWorld, sessionmaker: Any) -> None:
    """Groups are bound by the 考核办; others are refused."""
    out = world.out
    roster = await _roster(sessionmaker)
    async with sessionmaker() as session:
        departments = list(
            (await session.exec(select(Department).order_by(col(Department.sort_order)))).all()
        )
    admin = next(p for p in roster if "admin" in p.roles and "head" not in p.roles)
    member = next(p for p in roster if p.roles == "member")
    admin_user, member_user = world.user_for(admin), world.user_for(member)

    out.say("\n【绑定群】")
    unit_group = world.factory.group(UNIT_GROUP_ID, f"{UNIT_NAME}工作群")
    await world.bot_added(unit_group, admin_user)
    await world.send(member_user, f"/bindgroup {UNIT_WIDE}", unit_group)
    await world.send(admin_user, "/bindgroup 办公司", unit_group)
    await world.send(admin_user, f"/bindgroup {UNIT_WIDE}", unit_group)
    for number, department in enumerate(departments, start=2):
        chat = world.factory.group(-1000000000000 - number, f"{department.name}群")
        world.chat_names[chat.id] = chat.title or ""
        await world.send(admin_user, f"/bindgroup {department.name}", chat)


async def scene_console(world: DemoWorld, sessionmaker: Any) -> None:
    """The 考核办 asks for a sign-in link to the web console. Its clock (`--serve`) stands
    at the quarter's last day after the deadline: the whole of 2026Q2 is filed by then."""
    roster = await _roster(sessionmaker)
    admin = next(p for p in roster if "admin" in p.roles and "head" not in p.roles)
    world.out.say("\n【网页控制台】（kaohe demo --serve 打开演示数据库的控制台）")
    await world.send(world.user_for(admin), "/console", at=world.now)
    async with sessionmaker() as session:
        await remember_clock(session, CONSOLE_AT)
        await session.commit()


async def summary(world: DemoWorld, sessionmaker: Any) -> None:
    """Counts at the end of the demo."""
    roster = await _roster(sessionmaker)
    async with sessionmaker() as session:
        groups = list((await session.exec(select(ChatGroup))).all())
    bound = sum(1 for p in roster if p.tg_user_id is not None)
    world.out.say("\n【小结】")
    world.out.say(f"  已绑定账号：{bound}/{len(roster)} 人；已绑定群：{len(groups)} 个")
