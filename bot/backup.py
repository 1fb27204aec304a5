"""`kaohe backup`: a consistent copy of the database while the bot keeps running.

SQLite: the online backup API (`sqlite3.Connection.backup`) into a temporary file that is
renamed into place once complete, so a backup file is never half-written. PostgreSQL:
`pg_dump --format=custom` (restore with `pg_restore`); the password goes to pg_dump in
its environment, never on the command line."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import is_sqlite


class BackupError(RuntimeError):
    """The backup could not be made; the message says why, in Chinese, for the admin."""


def default_name(url: str, now: datetime | None = None) -> Path:
    """kaohe-backup-20261121-084500.db (SQLite) or .dump (PostgreSQL), in the current dir."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return Path(f"kaohe-backup-{stamp}.{'db' if is_sqlite(url) else 'dump'}")


async def backup(url: str, output: Path | None = None) -> Path:
    """Back the database at `url` up to `output` (default: a timestamped file)."""
    target = output or default_name(url)
    if target.exists():
        raise BackupError(f"{target} 已存在，请换一个文件名。")
    if is_sqlite(url):
        await asyncio.to_thread(_sqlite_backup, url, target)
    else:
        await _pg_dump(url, target)
    return target


def _sqlite_backup(url: str, target: Path) -> None:
    source_path = make_url(url).database
    if not source_path or source_path == ":memory:" or not Path(source_path).exists():
        raise BackupError(f"找不到数据库文件：{source_path}")
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)  # pages copied consistently while others keep writing
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        finally:
            copy.close()
    finally:
        source.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"备份文件校验失败：{verdict}")
    partial.replace(target)


async def _pg_dump(url: str, target: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "没有找到 pg_dump。请安装 PostgreSQL 客户端，或直接运行：\n"
            '  pg_dump --format=custom --file kaohe.dump "$DATABASE_URL"'
        )
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    partial = target.with_name(target.name + ".partial")
    proc = await asyncio.create_subprocess_exec(
        pg_dump,
        "--format=custom",
        "--no-owner",
        f"--file={partial}",
        f"--dbname={plain.render_as_string(hide_password=False)}",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        message = err.decode("utf-8", errors="replace").strip()
        if parsed.password:
            message = message.replace(str(parsed.password), "***")
        raise BackupError(f"pg_dump 失败（退出码 {proc.returncode}）：{message}")
    partial.replace(target)
