"""`kaohe … --help` and argument errors are Chinese: argparse's own words too; only flag
names, subcommand and choice names, and a few proper names stay in Latin letters."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bot.cli import _parser, main

# proper names, formats and settings a Chinese manual writes as they are
NAMES = {
    "kaohe", "Telegram", "SQLite", "PostgreSQL", "pg_dump", "CSV", "XLSX", "XLS", "JSON",
    "Excel", "webhook", "WEBHOOK_URL", "WEB_PORT", "txt", "docx", "xlsx",
}  # fmt: skip
ENGLISH = ["usage:", "options:", "positional arguments", "help message and exit"]


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found += commands(child, (*prefix, name))
    return found


def literal_words(parser: argparse.ArgumentParser) -> set[str]:
    """Flag names, subcommand names and choices: typed as they are."""
    words = set()
    for action in parser._actions:
        for option in action.option_strings:
            words.update(re.findall(r"[A-Za-z_]+", option))
        for choice in action.choices or ():
            words.update(re.findall(r"[A-Za-z_]+", str(choice)))
            if isinstance(action, argparse._SubParsersAction):
                words |= literal_words(action.choices[choice])
    return words


ALL = commands(_parser())


def test_every_subcommand_is_listed() -> None:
    assert len(ALL) >= 20 and ("jobs", "run") in ALL and ("calendar", "show") in ALL


@pytest.mark.parametrize("command", ALL, ids=lambda c: " ".join(c) or "kaohe")
def test_help_is_chinese(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--help"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("用法：kaohe") and "显示本帮助并退出" in text
    allowed = NAMES | literal_words(_parser())
    left = {w for w in re.findall(r"[A-Za-z][A-Za-z_]+", text) if w not in allowed}
    assert left == set(), text
    assert not any(word in text.lower() for word in ENGLISH)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["score", "--quarter", "2026-Q5"], "--quarter：看不懂季度「2026-Q5」，请写成 2026Q2 或"),
        (["score", "--as-of", "2026/13/12"], "--as-of：看不懂日期「2026/13/12」"),
        (["score", "--quarter"], "--quarter：后面需要一个值"),
        (["jobs", "run", "nosuch"], "任务：nosuch 不是可选值（可选：missing、"),
        (["import"], "缺少参数：名单文件"),
        (["calendar", "show", "abc"], "年份：abc 不是整数"),
        (["score", "--bogus"], "不认识的参数：--bogus"),
        ([], "缺少参数：命令"),
    ],
)  # fmt: skip
def test_errors_are_chinese(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "参数有误：" in err and said in err, err
    assert not re.search(r"usage|error|argument|invalid|expected|isoformat", err), err


def test_import_dry_run_names_namesakes_with_their_department(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    roster = tmp_path / "名单.csv"
    roster.write_text(
        "姓名,部门,角色\n王芳,办公室,head\n王芳,法规科,head\n李明,财务科,head\n", encoding="utf-8"
    )
    assert main(["import", str(roster), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "部门负责人（3）：王芳（办公室）、王芳（法规科）、李明" in out
