"""The offline demo runs the scheduled jobs on each simulated day (bot/demo_jobs.py)."""

from __future__ import annotations

import pytest

from tests.conftest import DemoRun

pytestmark = pytest.mark.xdist_group("demo")  # one demo run per test session


def test_demo_transcript_shows_reminders_lists_a_notice_and_digests(demo_run: DemoRun) -> None:
    transcript = demo_run.transcript
    for expected in (
        "⏰ [06-01 17:00] 日报提醒：发出",
        "⏰ 6月1日的日报还没填，20:00 截止。",
        "⏰ [06-02 09:00] 缺报名单：发出",
        "📋 6月1日未报日报",
        "连续缺报通报：发出 2 条，记通报 1 人",
        "→ 局领导群：📢 通报：张伟 连续2个工作日未报日报（6月1日、6月2日），扣 2 分。",
        "⏰ [06-05 17:00] 周报提醒：发出",
        "⏰ [06-05 20:30] 部门周报摘要：发出 9 条",
        "→ 全单位群：📰 办公室 本周（6月1日—6月5日）",
    ):
        assert expected in transcript, expected
    assert transcript.count("📢 通报：张伟") == 1  # the streak goes on; noticed once
