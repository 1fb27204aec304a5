"""`kaohe demo --serve`: the web console of the demo database, on 127.0.0.1, at the
demo's simulated "now" (so its figures are the transcript's), until Ctrl-C."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from aiohttp import web
from sqlmodel import col, select

from bot.config import Settings
from bot.policies import load_policy
from bot.web.auth import new_login_link
from bot.web.console import Console, make_console_app
from core.calendar import WorkCalendar
from core.people import Role, decode_roles
from storage import db
from storage.people import get_setting, set_setting
from storage.tables import Person, utcnow

HOST = "127.0.0.1"
CLOCK_KEY = "demo_clock"  # the demo's last simulated moment, stored in its database


SHOWN = (  # whose links are printed: one of each kind of viewer
    ("考核办", lambda roles: Role.ADMIN in roles and Role.HEAD not in roles),
    ("部门负责人", lambda roles: Role.HEAD in roles and Role.ADMIN not in roles),
    ("工作人员", lambda roles: roles == {Role.MEMBER}),
)


def demo_url(port: int) -> str:
    """Where the demo's console is served."""
    return f"http://{HOST}:{port}"


async def remember_clock(session, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """Store the demo's "now" for `--serve` (no commit)."""
    await set_setting(session, key=CLOCK_KEY, value=now.isoformat())


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def serve_demo(directory: Path, *, port: int) -> int:
    """Serve the console of `<directory>/kaohe.db`; print sign-in links; wait for Ctrl-C."""
    from bot.demo import DEMO_TOKEN, ZONE
    from bot.runtime import _until_signalled

    settings = Settings()
    engine = db.make_engine(f"sqlite:///{directory / 'kaohe.db'}")
    sessionmaker = db.make_sessionmaker(engine)
    policy = load_policy(settings.policy)
    base = demo_url(port)
    runner: web.AppRunner | None = None
    try:
        async with sessionmaker() as session:
            stamp = await get_setting(session, key=CLOCK_KEY)
            now = datetime.fromisoformat(stamp) if stamp else utcnow()
            roster = list(
                (await session.exec(select(Person).order_by(col(Person.roster_order)))).all()
            )
            links = []
            for label, wanted in SHOWN:
                person = next((p for p in roster if wanted(decode_roles(p.roles))), None)
                if person is not None and person.id is not None:
                    url = await new_login_link(
                        session, base_url=base, person_id=person.id, via="cli", now=utcnow()
                    )
                    links.append(f"  {label} {person.name}：{url}")
            await session.commit()
        console = Console(
            sessionmaker=sessionmaker, policy=policy, calendar=WorkCalendar(policy.calendar),
            zone=ZONE, bot_token=DEMO_TOKEN, base_url=base, clock=lambda: now,
        )  # fmt: skip
        runner = web.AppRunner(make_console_app(console), access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, HOST, port).start()
        except OSError as exc:
            sys.stderr.write(f"无法在 {HOST}:{port} 上监听：{exc}（可设置 WEB_PORT 换一个端口）\n")
            return 1
        _out(f"\n网页控制台（演示数据库，时间定格在 {now.astimezone(ZONE):%Y-%m-%d %H:%M}）：")
        _out("\n".join(links))
        _out("链接 10 分钟内有效、只能用一次；过期后重新运行，或：")
        database = f"sqlite:///{directory / 'kaohe.db'}"
        _out(f"  DATABASE_URL={database} WEB_URL={base} kaohe console-link 姓名")
        _out("按 Ctrl-C 结束。")
        await _until_signalled()
        return 0
    finally:
        if runner is not None:
            await runner.cleanup()
        await engine.dispose()
