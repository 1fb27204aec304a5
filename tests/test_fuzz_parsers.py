"""Bad input (issue 10): every core parser, fed hostile text, answers or raises only its
documented error — never anything else."""

from __future__ import annotations

import contextlib
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import binding, people, records, reports, roster
from core.policy import PointsOutOfBounds, PolicyError, parse_policy
from core.ratings import BadScore, parse_score
from core.tasks import TaskInputError, parse_task

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = date(2026, 11, 20)

ODD = [
    "\u202e",  # right-to-left override
    "\u200b",  # zero-width space
    "\u200d",
    "\ufeff",
    "👨‍👩‍👧",
    "🇨🇳",
    "１１－２０",  # full-width
    "＃日报",
    "<b>x</b>",
    "*x*",
    "_x_",
    "[a](http://x)",
    "`code`",
    "\n\n",
    "\t",
    "\x00",
    "-",
    "11-20",
    "2026-02-30",
    "9999-99-99",
    "+5",
    "-0.5",
    "1e309",
    "nan",
    "昨天",
    "到",
    "至",
    "病假",
]
# text without surrogates (not valid UTF-8, Telegram never sends them), mixed with the odd bits
TEXT = st.lists(
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), st.sampled_from(ODD)
    ),
    max_size=12,
).map("".join)
LONG = st.builds(
    lambda s, n: s * n, st.sampled_from(["字", "a ", "👍", "\u200b"]), st.integers(1, 6000)
)
ANY = st.one_of(TEXT, LONG)


@FUZZ
@given(ANY)
def test_parse_day(text: str) -> None:
    with contextlib.suppress(reports.InputError):
        reports.parse_day(text, today=TODAY)


@FUZZ
@given(ANY, st.integers(0, 30))
def test_parse_daily(text: str, backfill: int) -> None:
    try:
        parsed = reports.parse_daily(text, today=TODAY, backfill_days=backfill)
    except reports.InputError:
        return
    assert parsed.day <= TODAY and len(parsed.text) <= reports.MAX_TEXT


@FUZZ
@given(ANY)
def test_check_text(text: str) -> None:
    try:
        kept = reports.check_text(text)
    except reports.InputError:
        return
    assert kept.strip() and len(kept) <= reports.MAX_TEXT


@FUZZ
@given(st.lists(ANY, max_size=6))
def test_parse_leave(words: list[str]) -> None:
    try:
        request = reports.parse_leave(words, today=TODAY)
    except reports.InputError:
        return
    assert request.start <= request.end


@FUZZ
@given(ANY)
def test_parse_action(text: str) -> None:
    records.parse_action(text)  # None when it is no action


@FUZZ
@given(ANY)
def test_binding(text: str) -> None:
    code = binding.normalize_invite_code(text)
    assert code is None or (code and code.isascii())
    binding.deep_link(text or None, text)


@FUZZ
@given(ANY)
def test_roles(text: str) -> None:
    people.parse_role(text)
    people.decode_roles(text)


@FUZZ
@given(ANY)
def test_score(text: str) -> None:
    with contextlib.suppress(BadScore):
        parse_score(text)


@FUZZ
@given(ANY, st.booleans())
def test_task(text: str, replying: bool) -> None:
    with contextlib.suppress(TaskInputError):
        parse_task(text, today=TODAY, replying=replying)


@FUZZ
@given(ANY)
def test_policy(text: str) -> None:
    with contextlib.suppress(PolicyError, PointsOutOfBounds):
        parse_policy(text)


CELL = st.one_of(st.none(), st.integers(-(10**12), 10**12), st.floats(allow_nan=True), ANY)
HEADER = ["姓名", "部门", "类别", "角色", "工号", "Telegram"]


@FUZZ
@given(st.lists(st.lists(CELL, max_size=8), max_size=8), st.booleans())
def test_roster(rows: list[list[object]], with_header: bool) -> None:
    table: list[list[object]] = [list(HEADER), *rows] if with_header else rows
    try:
        entries = roster.parse_roster(table)
    except roster.RosterError:
        return
    assert all(e.name.strip() for e in entries)
