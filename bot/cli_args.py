"""The `kaohe` command's argument parser in Chinese: argparse's own words (用法, 选项,
errors) translated, and the argument types of quarters and dates (core parsers)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from core.dates import BadDay, parse_date
from core.quarter import BadQuarter, Quarter


class ChineseHelpFormatter(argparse.HelpFormatter):
    """「用法：」 instead of 'usage: '."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


# argparse's error messages (Python 3.11–3.13) → Chinese
_ERRORS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^the following arguments are required: (.+)$"), lambda m: f"缺少参数：{m[1]}"),
    (re.compile(r"^unrecognized arguments: (.+)$"), lambda m: f"不认识的参数：{m[1]}"),
    (
        re.compile(r"^invalid choice: (.+?) \(choose from (.+)\)$"),
        lambda m: (
            f"{_plain(m[1])} 不是可选值（可选：{'、'.join(_plain(c) for c in m[2].split(', '))}）"
        ),
    ),
    (re.compile(r"^expected one argument$"), lambda m: "后面需要一个值"),
    (re.compile(r"^expected at least one argument$"), lambda m: "后面至少需要一个值"),
    (re.compile(r"^invalid int value: (.+)$"), lambda m: f"{_plain(m[1])} 不是整数"),
    (re.compile(r"^invalid (\w+) value: (.+)$"), lambda m: f"{_plain(m[2])} 格式不对"),
    (re.compile(r"^ignored explicit argument (.+)$"), lambda m: f"不需要值：{_plain(m[1])}"),
    (
        re.compile(r"^not allowed with argument (.+)$"),
        lambda m: f"不能与 {m[1]} 同时使用",
    ),
    (
        re.compile(r"^ambiguous option: (\S+) could match (.+)$"),
        lambda m: f"{m[1]} 有歧义，可能是：{m[2]}",
    ),
]
_HEADING = re.compile(r"(?m)^(位置参数|选项|命令|操作):$")
_REPEATED = re.compile(r"(?m)^(命令|操作)：\n {2}\1\n")
_ARGUMENT = re.compile(r"^argument (.+?): (.+)$", re.DOTALL)


def _plain(text: str) -> str:
    return text.strip().strip("'\"")


def chinese_error(message: str) -> str:
    """argparse's English error message in Chinese (unknown ones unchanged)."""
    if match := _ARGUMENT.match(message):
        where = match[1].replace("/", " / ")
        return f"{where}：{chinese_error(match[2])}"
    for pattern, say in _ERRORS:
        if found := pattern.match(message):
            return say(found)
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors are Chinese; subcommands inherit it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出"
            )

    def format_help(self) -> str:
        """Chinese colons after the section titles, and no repeated 「命令」 line."""
        text = super().format_help()
        text = _HEADING.sub(r"\1：", text)
        return _REPEATED.sub(r"\1：\n", text)

    def error(self, message: str) -> NoReturn:
        """Usage, then 「kaohe score：参数有误：…」, exit code 2."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：参数有误：{chinese_error(message)}\n")


def quarter_type(text: str) -> Quarter:
    """`--quarter`: 2026Q2, 2026-Q2, 2026年第二季度 …"""
    try:
        return Quarter.parse(text)
    except BadQuarter as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def date_type(today: Callable[[], date] | None = None) -> Callable[[str], date]:
    """`--as-of` / `--date` / `--start`: 2026-06-12, 2026/6/12, 6-12 (this year of the
    unit's clock; `today` gives that day, by default the UTC+8 date)."""

    def parse(text: str) -> date:
        day = today() if today is not None else datetime.now(UTC).date()
        try:
            return parse_date(text, today=day)
        except BadDay as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    parse.__name__ = "date"
    return parse
