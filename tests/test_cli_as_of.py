"""`kaohe score --as-of D` shows what `/me` showed on D, after later ratings arrive
(2026Q3 ratings are open 10-12 … 10-14 20:00)."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from aiogram.types import User

from bot.cli import main as cli
from tests.conftest import Chat, FakeClock, Office, local
from tests.factories import make_message
from tests.test_bot_ratings import find, press, requests_for


async def me_score(chat: Chat, user: User, at: object) -> str:
    sent = await chat.feed(make_message("/me", user=user, date=at))
    text = "\n".join(str(getattr(m, "text", "") or "") for m in sent)
    found = re.search(r"(\d+\.\d\d)\s*分", text)
    assert found, text
    return found[1]


def cli_score(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert cli(["score", "--quarter", "2026Q3", "--json", *args]) == 0
    people = json.loads(capsys.readouterr().out)["people"]
    return f"{next(p['score'] for p in people if p['name'] == '杨帆'):.2f}"


async def test_as_of_reproduces_me_after_later_ratings(
    chat: Chat,
    office: Office,
    clock: FakeClock,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    head = await requests_for(chat, office.head, local(10, 13, 10), clock)
    await press(
        chat, clock, office.head, find(head, "部门评分", "杨帆"), "较好", local(10, 13, 10)
    )
    shown_13 = await me_score(chat, office.member, local(10, 13, 21))

    own = await requests_for(chat, office.member, local(10, 14, 10), clock)
    await press(chat, clock, office.member, find(own, "自评"), "较差", local(10, 14, 10))
    shown_14 = await me_score(chat, office.member, local(10, 14, 21))
    assert shown_14 != shown_13  # the later self-rating moved the score

    # the CLI runs its own event loop: off this one
    assert await asyncio.to_thread(cli_score, capsys, "--as-of", "2026-10-13") == shown_13
    assert await asyncio.to_thread(cli_score, capsys, "--as-of", "2026/10/14") == shown_14
