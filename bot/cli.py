"""The `kaohe` command: wiring only; the work lives in storage/, bot/ and core/."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import cli_annual, cli_calendar, cli_indicators, cli_score, export
from bot.cli_args import ChineseArgumentParser, date_type
from bot.config import Settings
from bot.logs import setup_logging
from core.binding import deep_link
from core.jobs import JOB_ORDER
from core.people import ROLE_LABELS, ROLE_ORDER, Role
from core.policy import PolicyError
from core.roster import RosterEntry, RosterError, RosterSheet, read_roster
from storage import db, people
from storage.roster_io import read_table
from storage.tables import utcnow

EXIT_USAGE = 2


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _parser(today: Callable[[], date] | None = None) -> argparse.ArgumentParser:
    """The whole command line, in Chinese; `today` (the unit's date) reads 6-12."""
    day = date_type(today)
    parser = ChineseArgumentParser(prog="kaohe", description="平时考核助手（Telegram 机器人）")
    sub = parser.add_subparsers(dest="command", required=True, title="命令", metavar="命令")

    run = sub.add_parser("run", help="启动机器人（长轮询；或 --webhook）")
    run.add_argument(
        "--webhook", action="store_true", help="以 webhook 方式接收更新（需设置 WEBHOOK_URL 等）"
    )
    backup = sub.add_parser("backup", help="备份数据库（SQLite 复制文件；PostgreSQL 用 pg_dump）")
    backup.add_argument(
        "-o", "--output", type=Path, metavar="文件", help="备份文件名（默认带时间戳）"
    )
    demo = sub.add_parser("demo", help="离线演示：模拟对话，写入 ./kaohe-demo/")
    demo.add_argument(
        "--dir", default="kaohe-demo", metavar="目录", help="演示写到哪里（默认 ./kaohe-demo）"
    )
    demo.add_argument("--quiet", action="store_true", help="只写记录文件，不在屏幕上打印")
    demo.add_argument(
        "--serve",
        action="store_true",
        help="演示后在 127.0.0.1 打开演示数据库的网页控制台（端口 WEB_PORT）",
    )
    link = sub.add_parser("console-link", help="打印网页控制台的一次性登录链接")
    link.add_argument("who", metavar="姓名或工号", help="为谁生成")

    database = sub.add_parser("db", help="数据库结构：升级、回退、查看版本")
    database.add_argument(
        "action", choices=["upgrade", "downgrade", "current"], metavar="操作",
        help="upgrade 升级 / downgrade 回退 / current 查看当前版本",
    )  # fmt: skip
    database.add_argument(
        "revision", nargs="?", metavar="版本", help="目标版本（默认最新 / 空库）"
    )

    imp = sub.add_parser("import", help="从 CSV 或 XLSX 导入或更新人员名单")
    imp.add_argument("file", type=Path, metavar="名单文件", help="CSV、XLSX 或 XLS")
    imp.add_argument("--unit", metavar="单位名", help="单位名称，如 某某市市场监督管理局")
    imp.add_argument("--dry-run", action="store_true", help="只检查文件，不做任何改动")
    imp.add_argument(
        "--start",
        type=day,
        metavar="日期",
        help="用本系统考核的第一天，如 2026-06-01（首次导入默认当天）",
    )

    inv = sub.add_parser("invites", help="列出邀请码和绑定链接")
    inv.add_argument("--json", action="store_true", help="输出 JSON，供程序读取")
    inv.add_argument("--all", action="store_true", help="也列出已绑定的人")

    cli_score.add_parser(sub, day)
    cli_calendar.add_parser(sub)

    cli_annual.add_parsers(sub, day)
    cli_indicators.add_parser(sub)
    export.add_parser(sub)

    unbind = sub.add_parser("unbind", help="解除某人的 Telegram 绑定（换发新邀请码）")
    unbind.add_argument("who", metavar="姓名或工号", help="解除谁的绑定")

    jobs = sub.add_parser("jobs", help="定时任务：列出，或立即运行一个")
    jobs_sub = jobs.add_subparsers(dest="action", required=True, title="操作", metavar="操作")
    jobs_sub.add_parser("list", help="每个任务的触发时间、下次和上次运行")
    run_job = jobs_sub.add_parser("run", help="立即运行一个任务（已发过的消息会跳过）")
    run_job.add_argument(
        "job", choices=[job.value for job in JOB_ORDER], metavar="任务",
        help="任务名（说明见 kaohe jobs list）：" + " / ".join(job.value for job in JOB_ORDER),
    )  # fmt: skip
    run_job.add_argument("--date", type=day, metavar="日期", help="为哪一天运行（默认今天）")
    run_job.add_argument("--dry-run", action="store_true", help="演练：只显示会发送什么")
    run_job.add_argument(
        "--republish",
        action="store_true",
        help="重新发送之前已发的消息（记入审计日志；需 --reason）",
    )
    run_job.add_argument(
        "--reason", metavar="理由", help="重新发送的理由（与 --republish 一起用）"
    )
    run_job.add_argument(
        "--take-over",
        action="store_true",
        help="接管确知已停止的另一处运行（不等它的租约到期）",
    )
    return parser


def value_error_text(exc: ValueError) -> str:
    """A ValueError that reached the command line, in one Chinese message."""
    if isinstance(exc, PolicyError):
        lines = [f"考核方案有误（{exc.source}），请改正后再试："]
        lines += [f"  {p.key} = {p.value!r}：应为 {p.expected}" for p in exc.problems]
        return "\n".join(lines)
    return f"参数有误：{exc}"


def config_errors(exc: ValidationError) -> str:
    """What is wrong with the settings, without the values given (a secret stays secret)."""
    parts = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error.get("loc", ())).upper() or "?"
        parts.append(f"{field}: {error.get('msg', '')}")
    return "; ".join(parts)


def unreachable_database(settings: Settings, exc: BaseException) -> int:
    """One line for a database that does not answer at start (no traceback)."""
    where = make_url(settings.database_url)
    place = f"{where.host or 'localhost'}:{where.port or ''}".rstrip(":")
    name = place if where.get_backend_name() != "sqlite" else (where.database or "")
    _err(
        f"连不上数据库 {name}（{type(exc).__name__}）。请检查 DATABASE_URL 以及数据库是否在运行。"
    )
    return 1


def unit_today(clock: Callable[[], datetime]) -> date:
    """Today in the unit's time zone (Asia/Shanghai while the settings cannot be read)."""
    try:
        zone = Settings().zone
    except ValidationError:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo("Asia/Shanghai")
    return clock().astimezone(zone).date()


def main(argv: list[str] | None = None, *, clock: Callable[[], datetime] | None = None) -> int:
    """Entry point of the `kaohe` console script; `clock` (UTC now) is for tests."""
    try:
        args = _parser(today=lambda: unit_today(clock or utcnow)).parse_args(argv)
    except SystemExit as exc:  # --help (0), or a bad argument already said in Chinese (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        settings = Settings()
    except ValidationError as exc:
        _err(f"配置有误：{config_errors(exc)}")
        return EXIT_USAGE
    secrets = [settings.bot_token.get_secret_value()] if settings.bot_token else []
    quiet = args.command in {
        "demo",
        "import",
        "invites",
        "unbind",
        "db",
        "jobs",
        "score",
        "backup",
        "export",
        "import-indicators",
        "calendar",
        "annual",
        "pool",
        "console-link",
    }
    if settings.bot_token or settings.webhook_key:
        secrets.append(settings.webhook_secret_token())  # the webhook's, set or derived
    setup_logging(
        level=logging.WARNING if quiet else logging.INFO,
        secrets=secrets,
        json_format=settings.log_format == "json",
    )
    handlers: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
        "run": _cmd_run,
        "demo": _cmd_demo,
        "db": _cmd_db,
        "import": _cmd_import,
        "invites": _cmd_invites,
        "unbind": _cmd_unbind,
        "score": lambda a, s: _cmd_score(a, s, clock=clock or utcnow),
        "jobs": lambda a, s: _cmd_jobs(a, s, clock=clock or utcnow),
        "backup": _cmd_backup,
        "export": _cmd_export,
        "import-indicators": _cmd_import_indicators,
        "calendar": _cmd_calendar,
        "annual": _cmd_annual,
        "pool": _cmd_pool,
        "console-link": _cmd_console_link,
    }
    return handlers[args.command](args, settings)


class DatabaseUnreachable(Exception):
    """The database did not answer when a command started."""


async def _ready_engine(settings: Settings):  # type: ignore[no-untyped-def]
    """An engine whose schema is current (SQLite upgrades itself; PostgreSQL must be told)."""
    engine = db.make_engine(settings.database_url)
    try:
        await db.prepare(engine, auto_upgrade=db.is_sqlite(settings.database_url))
    except (OSError, SQLAlchemyError) as exc:
        await engine.dispose()
        if isinstance(exc, SQLAlchemyError) and not db.database_down(exc):
            raise
        raise DatabaseUnreachable from exc
    return engine


def _with_db(settings: Settings, work: Callable[..., Awaitable[int]]) -> int:
    """Run `work(session)` on a database whose schema is current."""

    async def on_session(engine) -> int:  # type: ignore[no-untyped-def]
        async with db.make_sessionmaker(engine)() as session:
            return await work(session)

    return _run_db(settings, on_session)


def _schema_outdated(exc: db.SchemaOutdated) -> int:
    _err(f"数据库结构不是最新（{exc.current} → {exc.head}）。请先运行：kaohe db upgrade")
    return EXIT_USAGE


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    if settings.bot_token is None:
        _err(
            "没有设置 BOT_TOKEN。请向 @BotFather 申请机器人令牌，"
            "写入环境变量或 .env 文件（见 .env.example），再运行 kaohe run。\n"
            "不需要令牌的离线演示：kaohe demo"
        )
        return EXIT_USAGE
    from aiogram.utils.token import TokenValidationError

    from bot.runtime import run_polling, run_webhook

    if args.webhook and not settings.webhook_url:
        _err(
            "webhook 模式需要设置 WEBHOOK_URL（Telegram 访问的公网 https 地址），见 .env.example。"
        )
        return EXIT_USAGE

    async def go() -> int:
        engine = await _ready_engine(settings)
        await engine.dispose()
        return await (run_webhook if args.webhook else run_polling)(settings)

    try:
        return asyncio.run(go())
    except TokenValidationError:
        _err("BOT_TOKEN 格式不对（应形如 123456789:AA…）。")
        return EXIT_USAGE
    except db.SchemaOutdated as exc:
        return _schema_outdated(exc)
    except DatabaseUnreachable as exc:
        return unreachable_database(settings, exc.__cause__ or exc)


def _cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import run_demo

    code = asyncio.run(run_demo(Path(args.dir), echo=not args.quiet))
    if code or not args.serve:
        return code
    from bot.web.demo import serve_demo

    return asyncio.run(serve_demo(Path(args.dir), port=settings.web_port))


def _cmd_console_link(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.web_url:
        _err("没有设置 WEB_URL（网页控制台的访问地址，如 https://kaohe.example.org），见 README。")
        return EXIT_USAGE

    async def work(session) -> int:  # type: ignore[no-untyped-def]
        from bot.web.auth import new_login_link

        unit = await people.get_unit(session)
        found = (
            await people.resolve_person(session, unit_id=unit.id, ref=args.who)
            if unit is not None and unit.id is not None
            else []
        )
        if len(found) != 1:
            _err(f"名单里有 {len(found)} 人名为「{args.who}」，请改用工号。" if found
                 else f"名单里没有「{args.who}」。")  # fmt: skip
            return EXIT_USAGE
        url = await new_login_link(
            session, base_url=settings.web_url or "", person_id=found[0].id or 0, via="cli",
            now=utcnow(),
        )  # fmt: skip
        await session.commit()
        _out(f"{found[0].name} 的网页控制台登录链接（10 分钟内有效，只能使用一次）：")
        _out(url)
        return 0

    return _with_db(settings, work)


def _cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    async def go() -> int:
        engine = db.make_engine(settings.database_url)
        try:
            if args.action == "upgrade":
                await db.upgrade(engine, args.revision or "head")
            elif args.action == "downgrade":
                if not args.revision:
                    _err("请指定目标版本，例如：kaohe db downgrade base")
                    return EXIT_USAGE
                await db.downgrade(engine, args.revision)
            current = await db.current_revision(engine) or "空"
            _out(f"数据库版本：{current}（最新：{db.head_revision()}）")
            return 0
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    try:
        sheet = read_roster(read_table(args.file))
    except RosterError as exc:
        _err(f"名单有 {len(exc.problems)} 处问题，未导入任何数据：")
        for problem in exc.problems:
            _err(f"  {problem}")
        return 1
    entries = list(sheet.entries)
    start: date | None = args.start
    for line in roster_sheet_notes(sheet):
        _out(line)

    async def work(session) -> int:  # type: ignore[no-untyped-def]
        unit = await people.ensure_unit(session, name=args.unit)
        report = await people.apply_roster(session, unit=unit, entries=entries)
        if args.dry_run:
            await session.rollback()  # the same code path as a real import, then undone
            for line in roster_dry_run(entries, report):
                _out(line)
            return 0
        if start is not None or await people.assessment_start(session) is None:
            first = start or datetime.now(UTC).astimezone(settings.zone).date()
            await people.set_assessment_start(session, day=first, actor="cli")
        await session.commit()
        _out(
            f"导入完成（{unit.name}）：新增 {report.added} 人，更新 {report.updated} 人，"
            f"未变 {report.unchanged} 人，停用 {report.deactivated} 人，"
            f"恢复 {report.reactivated} 人，新部门 {report.departments_added} 个。"
        )
        _out("下一步：kaohe invites 查看邀请码")
        return 0

    return _with_db(settings, work)


def roster_sheet_notes(sheet: RosterSheet) -> list[str]:
    """What the reader left aside: titles above the header, ignored columns, footers."""
    lines = []
    if sheet.header_row > 1:
        lines.append(f"列名在第 {sheet.header_row} 行（上面的标题行已跳过）。")
    if sheet.ignored_columns:
        lines.append(f"已忽略的列：{'、'.join(sheet.ignored_columns)}")
    if sheet.skipped_rows:
        rows = "、".join(str(n) for n in sheet.skipped_rows)
        lines.append(f"已跳过表尾（制表人、合计、备注等）：第 {rows} 行")
    return lines


def roster_dry_run(entries: list[RosterEntry], report: people.ImportReport) -> list[str]:
    """`kaohe import --dry-run`: departments, people per role, and every change."""
    departments = Counter(e.department for e in entries)
    lines = [f"检查通过：{len(entries)} 人，{len(departments)} 个部门。演练，未写入。", "部门："]
    lines += [f"  {name}：{count} 人" for name, count in departments.items()]
    lines.append("角色：")
    shared = {name for name, n in Counter(e.name for e in entries).items() if n > 1}
    for role in ROLE_ORDER:
        names = [
            f"{e.name}（{e.department}）" if e.name in shared else e.name
            for e in entries
            if role in e.roles
        ]
        if names and role is not Role.MEMBER:
            lines.append(f"  {ROLE_LABELS[role]}（{len(names)}）：{'、'.join(names)}")
        elif names:
            lines.append(f"  {ROLE_LABELS[role]}：{len(names)} 人")
    lines.append(
        f"导入将会：新增 {report.added} 人，更新 {report.updated} 人，未变 {report.unchanged} 人，"
        f"停用 {report.deactivated} 人，恢复 {report.reactivated} 人，"
        f"新部门 {report.departments_added} 个。"
    )
    for title, items in (
        ("新部门", report.new_departments),
        ("新增", report.new_people),
        ("变更", report.changes),
        ("停用", report.leaving),
        ("恢复", report.returning),
    ):
        if items:
            lines.append(f"{title}（{len(items)}）：")
            lines += [f"  {item}" for item in items]
    return lines


def _cmd_invites(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session) -> int:  # type: ignore[no-untyped-def]
        unit = await people.get_unit(session)
        if unit is None or unit.id is None:
            _err("还没有名单。请先运行：kaohe import 名单.xlsx")
            return 1
        bot_username = settings.bot_username or await people.get_setting(
            session, key="bot_username"
        )
        rows = await people.invite_rows(session, unit_id=unit.id)
        if not args.all:
            rows = [row for row in rows if not row.bound]
        if args.json:
            payload = [
                {
                    "name": r.name,
                    "department": r.department,
                    "employee_id": r.employee_id,
                    "telegram": r.username,
                    "code": r.code,
                    "link": deep_link(bot_username, r.code),
                    "bound": r.bound,
                }
                for r in rows
            ]
            _out(json.dumps(payload, ensure_ascii=False, indent=2))
            return 0
        for r in rows:
            link = deep_link(bot_username, r.code) or ""
            state = "已绑定" if r.bound else "未绑定"
            _out(f"{r.department}\t{r.name}\t{r.employee_id or ''}\t{r.code}\t{state}\t{link}")
        if not bot_username:
            _err("提示：机器人用户名未知，暂无链接。先运行一次 kaohe run，或设置 BOT_USERNAME。")
        _out(f"共 {len(rows)} 人")
        return 0

    return _with_db(settings, work)


def _cmd_unbind(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session) -> int:  # type: ignore[no-untyped-def]
        unit = await people.get_unit(session)
        found = await people.find_people(session, unit_id=unit.id, query=args.who) if unit else []
        if len(found) != 1:
            _err(
                f"没有找到「{args.who}」。"
                if not found
                else f"「{args.who}」有 {len(found)} 人同名，请用工号。"
            )
            return 1
        code = await people.unbind(session, person=found[0], actor="cli")
        await session.commit()
        _out(f"已解除 {found[0].name} 的绑定。新邀请码：{code}")
        return 0

    return _with_db(settings, work)


def _cmd_jobs(
    args: argparse.Namespace, settings: Settings, *, clock: Callable[[], datetime]
) -> int:
    from bot import texts
    from bot.jobs_cli import jobs_list, jobs_run

    if args.action == "list":
        return _run_db(settings, lambda engine: jobs_list(engine, settings, _out))
    day: date | None = args.date
    reason = (args.reason or "").strip()
    if args.republish and not reason:
        _err(texts.JOB_REASON_NEEDED)
        return EXIT_USAGE
    if args.reason is not None and not args.republish:
        _err(texts.JOB_REASON_ALONE)
        return EXIT_USAGE
    if not args.dry_run and settings.bot_token is None:
        _err(
            "没有设置 BOT_TOKEN，不能真的发送。请在环境变量或 .env 里设置 BOT_TOKEN；"
            "只想看看会发什么，请加 --dry-run。"
        )
        return EXIT_USAGE
    return _run_db(
        settings,
        lambda engine: jobs_run(
            engine,
            settings,
            _out,
            job=args.job,
            day=day,
            dry_run=args.dry_run,
            republish=reason if args.republish else None,
            clock=clock,
            take_over=args.take_over,
        ),
    )


def _run_db(settings: Settings, work: Callable[..., Awaitable[int]]) -> int:
    """Run `work(engine)` on a database whose schema is current."""

    async def go() -> int:
        engine = await _ready_engine(settings)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except db.SchemaOutdated as exc:
        return _schema_outdated(exc)
    except DatabaseUnreachable as exc:
        return unreachable_database(settings, exc.__cause__ or exc)


def _cmd_score(
    args: argparse.Namespace, settings: Settings, *, clock: Callable[[], datetime]
) -> int:
    async def work(session) -> int:  # type: ignore[no-untyped-def]
        return await cli_score.run_score(args, settings, session, clock=clock)

    try:
        return _with_db(settings, work)
    except ValueError as exc:  # a bad policy file, or a bad argument
        _err(value_error_text(exc))
        return EXIT_USAGE


def _cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.backup import BackupError, backup

    try:
        path = asyncio.run(backup(settings.database_url, args.output))
    except BackupError as exc:
        _err(str(exc))
        return 1
    _out(f"备份完成：{path}")
    return 0


def _cmd_import_indicators(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session) -> int:  # type: ignore[no-untyped-def]
        return await cli_indicators.run_import(args, settings, session)

    return _with_db(settings, work)


def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session) -> int:  # type: ignore[no-untyped-def]
        return await export.run_export(args, settings, session)

    try:
        return _with_db(settings, work)
    except ValueError as exc:  # a bad policy file, or a bad argument
        _err(value_error_text(exc))
        return EXIT_USAGE


def _cmd_calendar(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session) -> int:  # type: ignore[no-untyped-def]
        if args.action == "import":
            return await cli_calendar.run_import(args, settings, session, _out, _err)
        return await cli_calendar.run_show(args, settings, session, _out, _err)

    return _with_db(settings, work)


def _cmd_annual(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session) -> int:  # type: ignore[no-untyped-def]
        return await cli_annual.run_annual(args, settings, session)

    try:
        return _with_db(settings, work)
    except ValueError as exc:  # a bad policy file, or a bad argument
        _err(value_error_text(exc))
        return EXIT_USAGE


def _cmd_pool(args: argparse.Namespace, settings: Settings) -> int:
    async def work(session) -> int:  # type: ignore[no-untyped-def]
        return await cli_annual.run_pool(args, settings, session)

    try:
        return _with_db(settings, work)
    except ValueError as exc:  # a bad policy file, or a bad argument
        _err(value_error_text(exc))
        return EXIT_USAGE
