"""Charts (DESIGN §8): PNGs of the promised size, deterministic, Chinese without fallback."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from PIL import Image

import charts
from charts import (
    DepartmentRanking,
    FilingChart,
    FilingRow,
    GradeDistribution,
    GradeRow,
    Leaderboard,
    LeaderboardRow,
    RankingRow,
    Trend,
    TrendPoint,
)
from charts._png import png_size
from charts.fonts import FAMILY, FONT_FILE, charmap, font, outline
from core.facts import Filing, QuarterFacts, Tally, VetoEvent
from core.grades import Grade
from core.people import Person, Role
from core.policy import Policy
from core.reports import Figures
from core.scoring import QuarterResult, score_quarter

ROOT = Path(__file__).resolve().parents[1]

# Real names, with characters outside GB2312 that the font claims: 堃 喆 淼 玥 赟 (GBK),
# 䶮 (extension A) and 𬌗 𫖮 (extension B/E, 通用规范汉字表 name characters).
# fmt: off
NAMES = (
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏",
    "徐强", "孙婷", "胡军", "朱琳", "高峰", "林霞", "何勇", "郭燕", "马超", "罗玲",
    "梁斌", "宋佳", "唐堃", "冯喆", "于淼", "欧阳玥", "王赟", "刘䶮", "李𬌗", "陈𫖮",
)
# fmt: on
RARE = "堃喆淼玥赟䶮𬌗𫖮"
DEPARTMENTS = ("党政综合办公室", "经济发展办公室", "社会事务办公室", "综合执法大队", "财政所")
MISSING_GLYPH = "missing from font"


def leaderboard(rows: int = 30, *, provisional: bool = False) -> Leaderboard:
    grades = (Grade.GOOD, Grade.FAIRLY_GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR)
    return Leaderboard(
        "综合办公室",
        "2026年第4季度 · 第5周（11月2日—6日）",
        tuple(
            LeaderboardRow(NAMES[i % len(NAMES)], 98.5 - i * 0.83, grades[i * 5 // rows], i == 0)
            for i in range(rows)
        ),
        provisional=provisional,
    )


def ranking(rows: int = 5) -> DepartmentRanking:
    return DepartmentRanking(
        "沂水县xx镇",
        "2026年第4季度 · 第5周",
        tuple(
            RankingRow(DEPARTMENTS[i % 5], 95 - i * 2.5, 8 + i, 0.97 - i * 0.03, i == 0)
            for i in range(rows)
        ),
    )


def filing(rows: int = 5) -> FilingChart:
    return FilingChart(
        "沂水县xx镇",
        "第5周（11月2日—6日）",
        tuple(
            FilingRow(DEPARTMENTS[i % 5], 0.98 - i * 0.05, None if i == 3 else 0.9 - i * 0.02)
            for i in range(rows)
        ),
    )


def grades(rows: int = 5) -> GradeDistribution:
    return GradeDistribution(
        "沂水县xx镇",
        "2026年第3季度",
        tuple(GradeRow(DEPARTMENTS[i % 5], (3, 5 + i, 1, i % 2)) for i in range(rows)),
    )


def trend(weeks: int = 13, *, name: str = "欧阳玥") -> Trend:
    return Trend(
        name,
        "2026年第4季度 · 截至第9周",
        tuple(
            TrendPoint(f"第{i + 1}周", 80 + i * 1.2 if i < 9 else None, 1.0 - (i % 4) * 0.1)
            for i in range(weeks)
        ),
    )


def decode(png: bytes) -> Image.Image:
    """Fully decode (every chunk's CRC and the pixel data), not just the header."""
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.fixture
def no_glyph_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Fail the test if any chart text fell back to a missing glyph."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    missing = [str(w.message) for w in caught if MISSING_GLYPH in str(w.message)]
    assert not missing


# --- size -----------------------------------------------------------------------------


def test_a_30_person_leaderboard_is_a_phone_sized_portrait_png() -> None:
    png = charts.render_leaderboard(leaderboard(30))
    assert png_size(png) == (1080, 2480) == charts.leaderboard_size(30)
    assert decode(png).size == (1080, 2480)


@pytest.mark.parametrize(
    ("render", "data", "size"),
    [
        (charts.render_leaderboard, leaderboard(1), charts.leaderboard_size(1)),
        (charts.render_leaderboard, leaderboard(0), charts.leaderboard_size(0)),
        (
            charts.render_leaderboard,
            leaderboard(45, provisional=True),
            charts.leaderboard_size(45),
        ),
        (charts.render_ranking, ranking(5), charts.ranking_size(5)),
        (charts.render_ranking, ranking(0), charts.ranking_size(0)),
        (charts.render_filing, filing(5), charts.filing_size(5)),
        (charts.render_filing, filing(0), charts.filing_size(0)),
        (charts.render_grades, grades(5), charts.grades_size(5)),
        (charts.render_grades, grades(0), charts.grades_size(0)),
        (charts.render_trend, trend(13), charts.trend_size(13)),
        (charts.render_trend, trend(0), charts.trend_size(0)),
    ],
)
def test_each_chart_decodes_as_a_png_of_its_size(
    render: Callable[[object], bytes], data: object, size: tuple[int, int]
) -> None:
    image = decode(render(data))
    assert image.format == "PNG"
    assert image.size == size
    assert size[0] == 1080


def test_a_long_leaderboard_grows_but_stays_within_telegram_photo_limits() -> None:
    sizes = [charts.leaderboard_size(n) for n in (30, 31, 60, 150, 400)]
    heights = [h for _, h in sizes]
    assert heights == sorted(heights)
    for width, height in sizes:
        assert width + height <= 10_000 and height / width <= 20
    png = charts.render_leaderboard(leaderboard(400))  # members past 150 are left out, said so
    assert png_size(png) == charts.leaderboard_size(400)


def test_rows_are_readable_on_a_phone() -> None:
    # 1080 px shown edge to edge on a phone: names ≥ 36 px up to 30 rows, never under 22 px
    from charts.boards import leaderboard_rows

    assert leaderboard_rows(30).height == 72
    assert leaderboard_rows(150).height * 0.5 >= 22


# --- determinism ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("render", "data"),
    [
        (charts.render_leaderboard, leaderboard(30)),
        (charts.render_ranking, ranking()),
        (charts.render_filing, filing()),
        (charts.render_grades, grades()),
        (charts.render_trend, trend()),
    ],
)
def test_same_data_gives_the_same_bytes(render: Callable[[object], bytes], data: object) -> None:
    first = render(data)
    assert render(replace(data)) == first  # type: ignore[type-var]
    assert render(data) == first


def test_different_data_gives_different_bytes() -> None:
    board = leaderboard(30)
    other = replace(board, rows=(replace(board.rows[0], score=99.99), *board.rows[1:]))
    assert charts.render_leaderboard(board) != charts.render_leaderboard(other)


def test_png_carries_no_metadata() -> None:
    png = charts.render_leaderboard(leaderboard(3))
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"tIME"):
        assert chunk not in png


RENDER_IN_CHILD = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from test_charts import leaderboard, trend
import charts
print(hashlib.sha256(charts.render_leaderboard(leaderboard(30))).hexdigest())
print(hashlib.sha256(charts.render_trend(trend())).hexdigest())
"""


def test_same_bytes_in_a_fresh_process() -> None:
    code = RENDER_IN_CHILD.format(tests=str(ROOT / "tests"))
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    here = [
        hashlib.sha256(charts.render_leaderboard(leaderboard(30))).hexdigest(),
        hashlib.sha256(charts.render_trend(trend())).hexdigest(),
    ]
    assert out == here


def test_renders_from_several_threads_agree() -> None:
    board = leaderboard(30)
    expected = charts.render_leaderboard(board)
    results: list[bytes] = []

    def work() -> None:
        results.append(charts.render_leaderboard(board))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


# --- Chinese text -----------------------------------------------------------------------


def chart_text() -> str:
    """Every label the test charts draw."""
    parts = [*NAMES, *DEPARTMENTS, "综合办公室 绩效排行榜 绩效之星 流动红旗 ★ 本周 上周 暂定"]
    parts += ["好较好一般较差 得分（左轴）填报率（右轴）周次 ▲▼ 持平 —…·％（）：；、%−"]
    return "".join(parts)


def test_the_font_has_every_character_the_charts_draw() -> None:
    cmap = TTFont(FONT_FILE, lazy=True).getBestCmap()  # read by fontTools, not FreeType
    text = chart_text()
    assert not [c for c in text if not c.isspace() and ord(c) not in cmap]
    assert {ord(c) for c in RARE} <= charmap()


def test_the_font_covers_gbk_hanzi_and_the_general_standard_name_characters() -> None:
    cmap = TTFont(FONT_FILE, lazy=True).getBestCmap()
    gb2312 = set()
    for lead in range(0xB0, 0xF8):
        for trail in range(0xA1, 0xFF):
            try:
                gb2312.add(ord(bytes((lead, trail)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    assert len(gb2312) == 6763
    assert gb2312 <= cmap.keys()
    assert set(range(0x4E00, 0x9FA6)) <= cmap.keys()  # GBK's 20,902 URO hanzi
    assert FONT_FILE.stat().st_size < 5_500_000


def test_matplotlib_resolves_the_family_to_the_shipped_file() -> None:
    charts.register_font()
    found = font_manager.fontManager.findfont(
        FontProperties(family=FAMILY), fallback_to_default=False
    )
    assert Path(found).resolve() == FONT_FILE
    assert "Noto" not in FAMILY  # renamed, so it never collides with an installed Noto


def test_chinese_labels_render_without_glyph_fallback(
    no_glyph_warnings: list[warnings.WarningMessage],
) -> None:
    charts.render_leaderboard(leaderboard(30))
    charts.render_leaderboard(leaderboard(30, provisional=True))
    charts.render_ranking(ranking())
    charts.render_filing(filing())
    charts.render_grades(grades())
    labelled = replace(trend(8, name="刘䶮"), points=tuple(TrendPoint(c, 90.0, 1.0) for c in RARE))
    charts.render_trend(labelled)


def matplotlib_text(s: str) -> bytes:
    """A bare Figure with one Text in the registered family, as an Axes-based chart would."""
    figure = Figure(figsize=(4, 1), dpi=72)
    FigureCanvasAgg(figure)
    figure.text(0.1, 0.5, s, fontproperties=font(24))
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def test_matplotlib_text_in_the_registered_family_has_the_rare_names(
    no_glyph_warnings: list[warnings.WarningMessage],
) -> None:
    matplotlib_text("".join(NAMES) + "绩效之星 流动红旗")


@pytest.mark.parametrize(
    "render",
    [
        lambda s: charts.render_leaderboard(
            replace(leaderboard(3), rows=(LeaderboardRow(s, 90.0),))
        ),
        lambda s: charts.render_trend(trend(3, name=s)),
        matplotlib_text,
    ],
    ids=["leaderboard", "trend", "matplotlib-text"],
)
def test_a_character_outside_the_font_is_caught(render: Callable[[str], bytes]) -> None:
    # the checks above would notice: 𠀀 (U+20000) is in neither GBK nor the 通用规范汉字表
    with pytest.warns(UserWarning, match=MISSING_GLYPH):
        render("张𠀀")


def test_text_is_drawn_from_real_glyphs_not_the_missing_box() -> None:
    notdef = outline("\U00020000")
    for char in RARE + "张伟":
        glyph = outline(char)
        assert len(glyph.codes) and glyph.codes.tolist() != notdef.codes.tolist()


def test_the_font_ships_with_its_licence() -> None:
    licence = (FONT_FILE.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert 'charts = ["fontdata/*"]' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


# --- from core results ------------------------------------------------------------------


def quarter(*, provisional: bool = True, veto: int | None = None) -> QuarterResult:
    people = [
        Person(i, name, 1 + i % 3, "一般工作人员", frozenset({Role.MEMBER}))
        for i, name in enumerate(NAMES[:12], 1)
    ]
    facts = QuarterFacts(
        period="2026Q4",
        filing=tuple(Filing(p.id, 40, 40 - p.id, p.id % 3) for p in people),
        likes=(Tally(2, 3, 3),),
        vetoes=() if veto is None else (VetoEvent(veto, "违纪"),),
    )
    return score_quarter(Policy(), people, facts, provisional=provisional)


def test_leaderboard_from_result_orders_members_and_marks_the_star() -> None:
    result = quarter()
    board = charts.leaderboard_from_result(result, 2, department="综合办公室", week="第5周")
    members = [p for p in result.people if p.department_id == 2]
    assert [r.name for r in board.rows] == [
        p.name for p in sorted(members, key=lambda p: -p.score)
    ]
    assert [r.star for r in board.rows] == [True] + [False] * (len(members) - 1)
    assert board.provisional
    assert board.period == "2026年第4季度 · 第5周"
    assert board.rows[0].score == float(max(p.score for p in members))


def test_a_vetoed_member_is_never_the_star() -> None:
    best = charts.leaderboard_from_result(quarter(), 2, department="办公室").rows[0].name
    vetoed = next(p.person_id for p in quarter().people if p.name == best)
    board = charts.leaderboard_from_result(quarter(veto=vetoed), 2, department="办公室", stars=2)
    stars = [r.name for r in board.rows if r.star]
    assert len(stars) == 2 and best not in stars


def test_ranking_and_grades_from_result() -> None:
    result = quarter(provisional=False)
    names = {1: "财政所", 2: "综合办公室"}  # department 3 has no name
    ranked = charts.ranking_from_result(result, names, unit="xx镇")
    assert [r.red_flag for r in ranked.rows] == [True, False, False]
    assert "部门3" in [r.name for r in ranked.rows]
    assert not ranked.provisional
    spread = charts.grades_from_result(result, names)
    assert [r.name for r in spread.rows] == [r.name for r in ranked.rows]
    assert sum(r.total for r in spread.rows) == len(result.people)
    assert charts.render_ranking(ranked) and charts.render_grades(spread)


def test_filing_from_figures_puts_the_best_week_first() -> None:
    def figures(filed: int, required: int = 20) -> Figures:
        return Figures(required, filed, filed, filed, 0)

    chart = charts.filing_from_figures(
        {1: figures(15), 2: figures(20), 3: figures(0, 0)},
        {1: figures(18), 2: figures(19)},
        {1: "财政所", 2: "综合办公室", 3: "便民服务中心"},
        week="第5周",
    )
    assert [(r.name, r.this_week, r.last_week) for r in chart.rows] == [
        ("综合办公室", 1.0, 0.95),
        ("财政所", 0.75, 0.9),
        ("便民服务中心", None, None),
    ]


def test_trend_from_results_follows_the_weeks() -> None:
    results = [quarter(), quarter(), None]
    weekly = [Figures(5, 5, 5, 5, 0), Figures(5, 4, 4, 4, 0), None]
    line = charts.trend_from_results(2, ["第1周", "第2周", "第3周"], results, weekly)
    assert line.name == NAMES[1]
    assert [p.filing_rate for p in line.points] == [1.0, 0.8, None]
    assert line.points[2].score is None and line.points[0].score is not None
    assert line.period == "2026年第4季度"
    assert png_size(charts.render_trend(line)) == charts.trend_size(3)


# --- fair and private boards (issue 22) -------------------------------------------------


def mixed_quarter(*, tie: bool = False) -> QuarterResult:
    """One department of a head (中层干部), four staff and a leader (班子成员)."""
    people = [
        Person(1, "陈静", 1, "中层干部", frozenset({Role.HEAD, Role.MEMBER})),
        *(Person(i, NAMES[i], 1, "一般工作人员", frozenset({Role.MEMBER})) for i in range(2, 6)),
        Person(6, "王建国", 1, "班子成员", frozenset({Role.CHIEF, Role.MEMBER})),
        Person(7, "李红梅", 2, "班子成员", frozenset({Role.SUPERVISOR, Role.MEMBER})),
        Person(8, "张伟", 2, "班子成员", frozenset({Role.SUPERVISOR, Role.MEMBER})),
    ]
    filed = {1: 38, 2: 40, 3: 40 if tie else 39, 4: 36, 5: 30, 6: 40, 7: 40, 8: 40}
    facts = QuarterFacts(
        period="2026Q2",
        filing=tuple(Filing(p.id, 40, filed[p.id], 0) for p in people),
        likes=(Tally(3, 1, 0),) if tie else (),  # a like worth no points: only the tiebreak
        roster_order=tuple(range(1, 9)),
    )
    return score_quarter(Policy(), people, facts, provisional=True)


def test_a_board_of_several_ranking_groups_ranks_each_group_on_its_own() -> None:
    result = mixed_quarter()
    board = charts.leaderboard_from_result(result, 1, department="办公室")
    assert board.groups == ("中层干部", "一般工作人员", "班子成员")
    staff = [r.name for r in board.rows if r.group == "一般工作人员"]
    assert staff == [NAMES[2], NAMES[3], NAMES[4], NAMES[5]]
    assert [r.name for r in board.rows if r.star] == ["陈静", NAMES[2], "王建国"]  # one a group
    assert charts.leaderboard_size(6, 3)[1] == charts.leaderboard_size(6)[1] + 3 * 60
    assert png_size(charts.render_leaderboard(board)) == charts.leaderboard_size(6, 3)


def test_leaders_can_be_left_off_a_posted_board() -> None:
    result = mixed_quarter()
    board = charts.leaderboard_from_result(
        result, 1, department="办公室", hidden_groups={"班子成员"}
    )
    assert "王建国" not in [r.name for r in board.rows]
    leaders = charts.leaderboard_from_result(
        result, 2, department="局领导", hidden_groups={"班子成员"}
    )
    assert leaders.rows == ()


def test_a_leadership_department_is_not_ranked_among_the_departments() -> None:
    result = mixed_quarter()
    leaders = next(d for d in result.departments if d.department_id == 2)
    assert not leaders.ranked and not leaders.red_flag  # the best score, but no flag
    ranked = charts.ranking_from_result(result, {1: "办公室", 2: "局领导"})
    assert [r.name for r in ranked.rows] == ["办公室"] and ranked.rows[0].red_flag
    policy = replace(Policy(), privacy=replace(Policy().privacy, rank_leadership_department=True))
    people = [
        Person(1, "陈静", 1, "中层干部", frozenset({Role.MEMBER})),
        Person(7, "李红梅", 2, "班子成员", frozenset({Role.MEMBER})),
    ]
    facts = QuarterFacts(period="2026Q2", filing=(Filing(1, 40, 30, 0), Filing(7, 40, 40, 0)))
    switched = score_quarter(policy, people, facts)
    assert [d.department_id for d in switched.departments if d.red_flag] == [2]


def test_equal_scores_are_explained_by_the_core_tie_rule_in_the_footer() -> None:
    from charts.boards import _has_ties, _leaderboard_note, _Line

    result = mixed_quarter(tie=True)
    board = charts.leaderboard_from_result(result, 1, department="办公室")
    staff = [r for r in board.rows if r.group == "一般工作人员"]
    assert staff[0].score == staff[1].score and staff[0].name == NAMES[3]  # the liked one first
    line = _Line("", "", 1.0, "100.00", "", "", "")
    assert _has_ties([("", [line, line])]) and not _has_ties([("a", [line]), ("b", [line])])
    note = _leaderboard_note(board, 0, ties=True)
    assert "同分依次比较错情少、点赞多" in note and "等次" not in note  # no grades are shown
    assert "按类别分组排名" in note


def test_a_grade_chart_never_shows_a_department_smaller_than_the_minimum() -> None:
    rows = [
        charts.GradeRow("办公室", (2, 3, 1, 0)),
        charts.GradeRow("局领导", (1, 2, 0, 1)),
        charts.GradeRow("人事科", (1, 3, 0, 0)),
    ]
    shown, note = charts.publishable(rows, 5)
    assert [(r.name, r.counts) for r in shown] == [
        ("办公室", (2, 3, 1, 0)),
        ("其余部门（2个）", (2, 5, 0, 1)),
    ]
    assert note == "不足5人的部门合并显示"
    alone, note = charts.publishable(rows[:2], 5)
    assert [r.name for r in alone] == ["办公室"] and note == "不足5人的部门不单独显示"
    spread = charts.grades_from_result(mixed_quarter(), {1: "办公室", 2: "局领导"}, min_group=5)
    assert [r.name for r in spread.rows] == ["办公室"]


def test_filing_changes_are_not_coloured_green_up_red_down() -> None:
    from charts import filing as chart

    assert chart.UP == chart.DOWN  # red means up in China, down in the West: neither is used
    assert chart._change(80, 70)[0] == "▲10" and chart._change(70, 80)[0] == "▼10"


def test_a_board_says_its_scores_are_quarter_to_date() -> None:
    assert charts.cumulative_label("6月12日") == "季度累计（截至6月12日）"
    board = charts.leaderboard_from_result(
        quarter(), 2, department="办公室", week=charts.cumulative_label("11月20日")
    )
    assert board.period == "2026年第4季度 · 季度累计（截至11月20日）"
