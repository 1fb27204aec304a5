"""`kaohe demo --quiet --serve` in a subprocess, once per test session: the browser tests
(tests/test_web_browser.py) and the quiet demo's test (tests/test_demo.py) share it — their
tests are in the xdist group "browser", so one worker runs them all. A pytest plugin of
conftest's, so that the session fixture is defined once."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.web.auth import new_login_link
from storage import db
from storage.tables import Person, utcnow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    """The running `kaohe demo --serve`: its directory, address and printed links."""

    def __init__(self, directory: Path, port: int, links: dict[str, str], printed: str) -> None:
        self.directory, self.port, self.links = directory, port, links
        self.printed = printed  # its standard output up to 「按 Ctrl-C 结束」
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"sqlite:///{directory / 'kaohe.db'}"

    def run(self, coro_fn):  # type: ignore[no-untyped-def]
        """Run `coro_fn(session)` on the demo database."""

        async def go():  # type: ignore[no-untyped-def]
            engine = db.make_engine(self.url)
            try:
                async with db.make_sessionmaker(engine)() as session:
                    return await coro_fn(session)
            finally:
                await engine.dispose()

        return asyncio.run(go())

    def person(self, name: str) -> Person:
        async def find(session):  # type: ignore[no-untyped-def]
            query = select(Person).where(Person.name == name).order_by(col(Person.id))
            rows = await session.exec(query)
            return rows.first()

        return self.run(find)

    def link(self, name: str, *, age: timedelta = timedelta()) -> str:
        """A fresh one-time link for a person, issued `age` ago."""

        async def issue(session):  # type: ignore[no-untyped-def]
            person = (await session.exec(select(Person).where(Person.name == name))).first()
            url = await new_login_link(
                session, base_url=self.base, person_id=person.id, via="test", now=utcnow() - age
            )
            await session.commit()
            return url

        return self.run(issue)

    def kaohe(self, *args: str) -> str:
        env = {**os.environ, "DATABASE_URL": self.url, "WEB_URL": self.base, "BOT_TOKEN": ""}
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True,
            cwd=self.directory.parent, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`kaohe demo --quiet --serve` in a subprocess, over a folder holding a stale database,
    kept for the session (its tests share one worker: xdist_group "browser")."""
    directory = tmp_path_factory.mktemp("demo")
    (directory / "kaohe.db").write_bytes(b"not a database from an older run")
    errors = (tmp_path_factory.mktemp("log") / "stderr.txt").open("w")  # logs, not the output
    # not from inside the demo's folder: its charts/ would shadow the charts package in
    # the figure worker's processes (they import from the working directory)
    cwd = tmp_path_factory.mktemp("cwd")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_", "DATABASE_"))}
    env.update(WEB_PORT=str(port), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--dir", str(directory), "--quiet", "--serve"],
        env=env, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=cwd,
    )  # fmt: skip
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "按 Ctrl-C 结束" in line:
            break
    output = "".join(lines)
    assert "按 Ctrl-C 结束" in output, output
    links = dict(re.findall(r"^\s+(\S+) \S+：(http://\S+)$", output, re.MULTILINE))
    try:
        yield Demo(directory, port, links, output)
    finally:
        errors.close()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
