"""`kaohe demo` runs offline through the real dispatcher and writes a transcript."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main


def test_demo_binds_everyone_and_groups(no_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    transcript = (no_env / "kaohe-demo" / "transcript.txt").read_text(encoding="utf-8")
    assert out.startswith(transcript.splitlines()[0])
    assert "已绑定账号：42/42 人；已绑定群：10 个" in transcript
    assert "只有考核办可以绑定群" in transcript  # a refusal is shown too
    assert "邀请码不对" in transcript
    assert (no_env / "kaohe-demo" / "kaohe.db").is_file()


def test_demo_starts_fresh_each_time(no_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--quiet"]) == 0
    assert main(["demo", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    transcript = (no_env / "kaohe-demo" / "transcript.txt").read_text(encoding="utf-8")
    assert "已绑定账号：42/42 人" in transcript
