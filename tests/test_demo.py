"""`kaohe demo` runs offline through the real dispatcher and writes a transcript."""

from __future__ import annotations

import pytest

from tests.conftest import DemoRun
from tests.demo_server import Demo

DEMO = pytest.mark.xdist_group("demo")  # one demo run per test session


@DEMO
def test_demo_binds_everyone_files_reports_and_ends_with_stats(demo_run: DemoRun) -> None:
    transcript = demo_run.transcript
    assert demo_run.printed.startswith(transcript)  # printed as it went, then the files
    for expected in (
        "已绑定账号：42/42 人；已绑定群：10 个",
        "只有考核办可以绑定群",  # a refusal is shown too
        "邀请码有误",
        "✅ 已记录 6月1日 日报（按时），共 1 条。",  # a filing acknowledged
        "日报（迟报）",  # a late one
        "日报（补报）",  # a backfill
        "已更新 6月2日 日报第2条",  # an edit
        "✅ 已阅：陈静",  # a review
        "只有本部门负责人、分管领导或主要领导可以审阅。",  # a refused review
        "💬 李红梅 批复了你 6月2日 的日报",  # a 批复
        "✅ 已登记 6月8日—6月9日 出差（省局培训），这 2 个工作日无需填报日报。",  # leave
        "✅ 已记录 周报（截止 6月5日，按时）",  # weekly from the draft
        "📊 填报率与审阅率（统计到 6月12日）",  # the closing /stats
        "网页控制台登录链接（10 分钟内有效",  # /console (issue 23)
        "http://127.0.0.1:8081/console/login?t=",
    ):
        assert expected in transcript, expected
    assert "办公室（5人）\n           本周 填报 100%" in transcript  # leave excused 黄磊's days
    # /me on a phone: a short headline and breakdown; the full detail behind a button
    assert (
        "🤖 → 杨帆：📈 2026年第2季度（截至 6月12日，暂定）\n"
        "         得分：92.00分\n"
        "         排名：一般工作人员第11名（共30人）\n"
        "         等次：好（暂定）\n"
        "         “好”等次名额12人，你排第11\n"
        "         得分构成：\n"
        "         · 日报填报 +60.00（100分×60%）\n"
    ) in transcript
    assert "杨帆 ▸ 私聊：按「查看明细」" in transcript
    assert "杨帆：92.00分，一般工作人员第11/30名，好（暂定）（组内第11名" in transcript


@DEMO
def test_demo_replaces_a_stale_database(demo_run: DemoRun) -> None:
    # demo_run started over a file that is not a database: the demo built a fresh one
    assert (demo_run.folder / "kaohe.db").read_bytes().startswith(b"SQLite format 3")
    assert "已绑定账号：42/42 人" in demo_run.transcript


@pytest.mark.xdist_group("browser")  # shares the served demo with the browser tests
def test_demo_starts_fresh_and_quiet(demo: Demo) -> None:
    """`kaohe demo --quiet` (there with --serve) over a stale file: nothing printed before
    the console's banner, a fresh database, and the whole transcript written."""
    before, banner, _ = demo.printed.partition("网页控制台（演示数据库")
    assert banner, demo.printed
    assert before.strip() == ""
    assert (demo.directory / "kaohe.db").read_bytes().startswith(b"SQLite format 3")
    transcript = (demo.directory / "transcript.txt").read_text(encoding="utf-8")
    assert "已绑定账号：42/42 人" in transcript
