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
        "📋 你的2026年第2季度平时考核结果：\n         得分：",
        "“好”等次名额1人，你排第1",  # a 班子成员 inside the quota
        "分进入“好”等次（名额1人）",  # and one outside it (差x.xx分…)
        "✅ 已记录与 赵丽 的反馈谈话，并已告知本人。",
        "📝 陈静 记录了与你的2026年第2季度反馈谈话：",
        "反馈谈话提醒：发出",
        "只有考核办可以导出考核结果。",
        "📎 2026年第2季度 平时考核结果（已公布的结果）",
        # issue 19: 公示, one 申辩 (撤销), one 复核 (变更), the year and the pool
        "📢 2026年第2季度平时考核结果公示至",
        "✅ 申辩 #1 已撤销原记录，已告知本人。",
        "📄 复核决定书（编号1）",
        "✅ 2026年第2季度平时考核结果公示期满，结果已确定：",
        "📘 2026年度考核结果：优秀 ",
        "→ 杨帆：📘 2026年度考核",
        "合计 500000.00 元（与资金总额相符）",
        # issue 22: one list per rater, not a message per person to rate
        "42 位评分人各收到 1 条待评名单",
        "· 自评：本人",
    ):
        assert expected in transcript, expected
    assert (tmp_path / "charts" / "0709-unit-grades.png").exists()
    book = load_workbook(tmp_path / "平时考核-2026Q2.xlsx")
    people = book["个人结果"]
    assert "已公布结果（2026-07-09 公布）" in people["A1"].value
    assert people.max_row == 2 + 42
    pool = load_workbook(tmp_path / "激励资金分配-2026.xlsx")["个人分配"]
    amounts = [r[8] for r in pool.iter_rows(min_row=3, values_only=True) if isinstance(r[0], int)]
    assert round(sum(amounts), 2) == 500000.00
