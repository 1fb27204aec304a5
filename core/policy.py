"""Assessment policy: a TOML file, validated into frozen dataclasses (DESIGN §7).

`parse_policy(text)` is pure. Reading preset or user files is the shell's job
(`bot/policies.py`). A bad file raises PolicyError listing every problem with the key,
the value found and what was expected.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One thing wrong in a policy file."""

    key: str
    value: object
    expected: str

    def __str__(self) -> str:
        return f"{self.key} = {self.value!r}: expected {self.expected}"


class PolicyError(ValueError):
    """The policy file was rejected; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[PolicyProblem], source: str = "policy") -> None:
        self.problems = problems
        self.source = source
        super().__init__(f"{source}: " + "; ".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class CalendarRules:
    """Admin overrides of the official calendar."""

    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()


@dataclass(frozen=True, slots=True)
class Schedule:
    """Deadlines and trigger times, in the unit's local time."""

    deadline: time = time(20, 0)
    remind_at: time = time(17, 0)
    missing_at: time = time(9, 0)
    digest_at: time = time(20, 30)
    leaderboard_at: time = time(21, 0)
    month_end_days: int = 2
    catch_up_hours: int = 12
    backfill_days: int = 3
    consecutive_misses: int = 2
    echo_to_group: bool = True


@dataclass(frozen=True, slots=True)
class Limits:
    """Anti-abuse limits on likes and errors."""

    actions_per_leader_per_day: int = 30
    one_like_per_target_per_day: bool = True


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole assessment scheme."""

    name: str = "standard"
    title: str = "通用方案"
    calendar: CalendarRules = field(default_factory=CalendarRules)
    schedule: Schedule = field(default_factory=Schedule)
    limits: Limits = field(default_factory=Limits)


class _Reader:
    """Reads typed values out of a TOML table, collecting problems instead of failing fast."""

    def __init__(self, data: Mapping[str, Any], prefix: str, problems: list[PolicyProblem]):
        self.data, self.prefix, self.problems = data, prefix, problems
        self.used: set[str] = set()

    def get(self, key: str, default: T, convert: Callable[[Any], T], expected: str) -> T:
        self.used.add(key)
        if key not in self.data:
            return default
        raw = self.data[key]
        try:
            return convert(raw)
        except (TypeError, ValueError):
            self.problems.append(PolicyProblem(f"{self.prefix}{key}", raw, expected))
            return default

    def unknown(self) -> None:
        for key in self.data:
            if key not in self.used:
                self.problems.append(
                    PolicyProblem(f"{self.prefix}{key}", self.data[key], "no such key")
                )


def as_bool(raw: Any) -> bool:
    """A TOML boolean."""
    if not isinstance(raw, bool):
        raise TypeError
    return raw


def as_int(low: int, high: int) -> Callable[[Any], int]:
    """A TOML integer within [low, high]."""

    def convert(raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
            raise ValueError
        return raw

    return convert


def as_number(low: float, high: float) -> Callable[[Any], float]:
    """A TOML number within [low, high]."""

    def convert(raw: Any) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not low <= raw <= high:
            raise ValueError
        return float(raw)

    return convert


def as_time(raw: Any) -> time:
    """'HH:MM' (or a TOML local time)."""
    if isinstance(raw, time):
        return raw
    if not isinstance(raw, str):
        raise TypeError
    hours, minutes = raw.split(":")
    return time(int(hours), int(minutes))


def as_dates(raw: Any) -> frozenset[date]:
    """A list of TOML dates or 'YYYY-MM-DD' strings."""
    if not isinstance(raw, list):
        raise TypeError
    days: set[date] = set()
    for item in raw:
        if isinstance(item, date):
            days.add(item)
        elif isinstance(item, str):
            days.add(date.fromisoformat(item))
        else:
            raise TypeError
    return frozenset(days)


def as_text(raw: Any) -> str:
    """A non-empty string."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError
    return raw.strip()


def _table(data: Mapping[str, Any], key: str, problems: list[PolicyProblem]) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        problems.append(PolicyProblem(key, value, "a table"))
        return {}
    return value


def parse_policy(text: str, *, source: str = "policy") -> Policy:
    """Validate a policy TOML document; raise PolicyError naming every bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError([PolicyProblem("(file)", str(exc), "valid TOML")], source) from exc
    problems: list[PolicyProblem] = []
    top = _Reader(data, "", problems)
    name = top.get("name", "custom", as_text, "a non-empty string")
    title = top.get("title", name, as_text, "a non-empty string")

    sections: dict[str, Any] = {}
    for section, build in SECTIONS.items():
        top.used.add(section)
        reader = _Reader(_table(data, section, problems), f"{section}.", problems)
        sections[section] = build(reader)
        reader.unknown()
    top.unknown()
    if problems:
        raise PolicyError(problems, source)
    return Policy(name=name, title=title, **sections)


def _calendar(r: _Reader) -> CalendarRules:
    dates = "a list of dates (YYYY-MM-DD)"
    holidays = r.get("extra_holidays", frozenset(), as_dates, dates)
    workdays = r.get("extra_workdays", frozenset(), as_dates, dates)
    for day in sorted(holidays & workdays):
        r.problems.append(
            PolicyProblem("calendar.extra_workdays", day.isoformat(), "not also a holiday")
        )
    return CalendarRules(holidays, workdays)


def _schedule(r: _Reader) -> Schedule:
    d = Schedule()
    hhmm = "a time HH:MM"
    return Schedule(
        deadline=r.get("deadline", d.deadline, as_time, hhmm),
        remind_at=r.get("remind_at", d.remind_at, as_time, hhmm),
        missing_at=r.get("missing_at", d.missing_at, as_time, hhmm),
        digest_at=r.get("digest_at", d.digest_at, as_time, hhmm),
        leaderboard_at=r.get("leaderboard_at", d.leaderboard_at, as_time, hhmm),
        month_end_days=r.get("month_end_days", d.month_end_days, as_int(0, 10), "0–10"),
        catch_up_hours=r.get("catch_up_hours", d.catch_up_hours, as_int(0, 72), "0–72"),
        backfill_days=r.get("backfill_days", d.backfill_days, as_int(0, 31), "0–31"),
        consecutive_misses=r.get(
            "consecutive_misses", d.consecutive_misses, as_int(1, 30), "1–30"
        ),
        echo_to_group=r.get("echo_to_group", d.echo_to_group, as_bool, "true or false"),
    )


def _limits(r: _Reader) -> Limits:
    d = Limits()
    return Limits(
        actions_per_leader_per_day=r.get(
            "actions_per_leader_per_day", d.actions_per_leader_per_day, as_int(1, 1000), "1–1000"
        ),
        one_like_per_target_per_day=r.get(
            "one_like_per_target_per_day", d.one_like_per_target_per_day, as_bool, "true or false"
        ),
    )


SECTIONS: dict[str, Callable[[_Reader], Any]] = {
    "calendar": _calendar,
    "schedule": _schedule,
    "limits": _limits,
}
