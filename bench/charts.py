"""bench/charts: render time of a 30-person leaderboard, and memory over 1,000 renders.

Renders `charts.render_leaderboard` for a final (graded) 30-member department with real
Chinese names, after a warm-up (font registration, glyph outlines, imports), then:

  time     the median (and p90) of --runs timed renders
  memory   the process RSS after 100, 500 and 1,000 further renders (--renders), which
           should stay flat: figures are dropped after each render and every cache is bounded

It also times one render of each of the other charts. Goal (issue 7): median ≤ 100 ms.
Run: python bench/charts.py [--runs N] [--renders N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import charts  # noqa: E402
from charts import (  # noqa: E402
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
from core.grades import GRADE_ORDER  # noqa: E402

# fmt: off
NAMES = (
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏",
    "徐强", "孙婷", "胡军", "朱琳", "高峰", "林霞", "何勇", "郭燕", "马超", "罗玲",
    "梁斌", "宋佳", "唐堃", "冯喆", "于淼", "欧阳玥", "王赟", "刘䶮", "李𬌗", "陈𫖮",
)
DEPARTMENTS = (
    "党政综合办公室", "经济发展办公室", "社会事务办公室", "综合执法大队", "财政所",
    "自然资源所", "便民服务中心", "退役军人服务站",
)
# fmt: on


def leaderboard() -> Leaderboard:
    """30 members, graded 好 12 / 较好 14 / 一般 3 / 较差 1, the first a 绩效之星."""
    grades = [GRADE_ORDER[0]] * 12 + [GRADE_ORDER[1]] * 14 + [GRADE_ORDER[2]] * 3
    grades.append(GRADE_ORDER[3])
    rows = tuple(
        LeaderboardRow(name, round(97.8 - i * 0.91, 2), grade, i == 0)
        for i, (name, grade) in enumerate(zip(NAMES, grades, strict=True))
    )
    return Leaderboard("综合办公室", "2026年第4季度 · 第5周（11月2日—6日）", rows, False)


def others() -> dict[str, tuple[object, object]]:
    """One of each other chart, with its render function."""
    n = len(DEPARTMENTS)
    return {
        "ranking": (
            charts.render_ranking,
            DepartmentRanking(
                "xx镇",
                "2026年第4季度 · 第5周",
                tuple(
                    RankingRow(d, 95 - i * 1.7, 8 + i, 0.98 - i * 0.02, i == 0)
                    for i, d in enumerate(DEPARTMENTS)
                ),
            ),
        ),
        "filing": (
            charts.render_filing,
            FilingChart(
                "xx镇",
                "第5周（11月2日—6日）",
                tuple(
                    FilingRow(d, 0.99 - i * 0.03, 0.95 - (n - i) * 0.01)
                    for i, d in enumerate(DEPARTMENTS)
                ),
            ),
        ),
        "grades": (
            charts.render_grades,
            GradeDistribution(
                "xx镇",
                "2026年第3季度",
                tuple(GradeRow(d, (4, 6 + i % 3, 1, i % 2)) for i, d in enumerate(DEPARTMENTS)),
            ),
        ),
        "trend": (
            charts.render_trend,
            Trend(
                "欧阳玥",
                "2026年第4季度 · 截至第9周",
                tuple(
                    TrendPoint(f"第{w}周", 80 + w * 1.1 if w <= 9 else None, 1 - (w % 3) * 0.1)
                    for w in range(1, 14)
                ),
            ),
        ),
    }


def rss_mib() -> float:
    """Resident set size now (Linux /proc), else the peak (getrusage), in MiB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def main() -> int:
    parser = argparse.ArgumentParser(description="bench charts.render_leaderboard")
    parser.add_argument("--runs", type=int, default=50, help="timed renders")
    parser.add_argument("--renders", type=int, default=1000, help="renders for the RSS check")
    parser.add_argument("--out", type=Path, help="also write one PNG of each chart here")
    args = parser.parse_args()

    board = leaderboard()
    started = time.perf_counter()
    first = charts.render_leaderboard(board)
    cold = time.perf_counter() - started
    for _ in range(5):
        charts.render_leaderboard(board)

    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        png = charts.render_leaderboard(board)
        times.append(time.perf_counter() - started)
    assert png == first
    median = statistics.median(times) * 1000
    p90 = statistics.quantiles(times, n=10)[-1] * 1000
    width, height = charts.leaderboard_size(len(board.rows))
    print(f"leaderboard, 30 members, {width}×{height} px, {len(first):,} bytes PNG")
    print(f"  first render (cold: font, glyphs): {cold * 1000:.1f} ms")
    print(f"  median of {args.runs} after warm-up: {median:.1f} ms (p90 {p90:.1f} ms)")

    marks = {n for n in (100, 250, 500, 750, 1000, 2000) if n < args.renders} | {args.renders}
    print(f"  RSS after warm-up: {rss_mib():.1f} MiB")
    for i in range(1, args.renders + 1):
        charts.render_leaderboard(board)
        if i in marks:
            print(f"  RSS after {i:>4} more renders: {rss_mib():.1f} MiB")

    for name, (render, data) in others().items():
        render(data)  # type: ignore[operator]
        started = time.perf_counter()
        png = render(data)  # type: ignore[operator]
        took = (time.perf_counter() - started) * 1000
        print(f"{name}: {took:.1f} ms, {len(png):,} bytes")
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name}.png").write_bytes(png)
    if args.out:
        (args.out / "leaderboard.png").write_bytes(first)
    print(f"goal ≤ 100 ms median: {'met' if median <= 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
