"""The demo ends its quarter: results, honours, 实绩公示, a talk and the Excel file."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from tests.conftest import DemoRun

pytestmark = pytest.mark.xdist_group("demo")  # one demo run per test session


def test_demo_closes_the_quarter(demo_run: DemoRun) -> None:
    tmp_path = demo_run.folder
    transcript = demo_run.transcript
    for expected in (
        "✅ 已记录 #",  # a bonus confirmed with the button
        "类别「迟到」不在负面清单中。可选：",
        "→ 全单位群：[图片 charts/0709-unit-grades.png] 📊 2026年第2季度 平时考核结果公布",
        "🌟 2026年第2季度 绩效之星",
        "🚩 流动红旗：",
        "🏅 2026年第2季度 实绩公示",
        "📋 你的2026年第2季度平时考核结果：",
        "✅ 已记录与 赵丽 的反馈谈话，并已告知本人。",
        "📝 陈静 记录了与你的2026年第2季度反馈谈话：",
        "反馈谈话提醒：发出",
        "只有考核办可以导出考核结果。",
        "📎 2026年第2季度 平时考核结果（已公布的结果）",
    ):
        assert expected in transcript, expected
    assert (tmp_path / "charts" / "0709-unit-grades.png").exists()
    book = load_workbook(tmp_path / "平时考核-2026Q2.xlsx")
    people = book["个人结果"]
    assert "已公布结果（2026-07-09 公布）" in people["A1"].value
    assert people.max_row == 2 + 42
