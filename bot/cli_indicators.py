"""`kaohe import-indicators FILE`: the indicator sheet (指标表), all or nothing (issue 9)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.indicator_sheet import parse_indicator_sheet
from core.roster import RosterError
from storage.indicators import apply_indicators
from storage.people import get_unit
from storage.roster_io import read_table


def add_parser(sub: Any) -> None:
    """Register `kaohe import-indicators` on the CLI's subparsers."""
    imp = sub.add_parser("import-indicators", help="从 CSV 或 XLSX 导入或修订指标（一人一表）")
    imp.add_argument("file", type=Path, metavar="指标文件", help="CSV 或 XLSX")
    imp.add_argument("--year", type=int, metavar="年份", help="指标所属年份（默认今年）")
    imp.add_argument("--dry-run", action="store_true", help="只检查文件，不做任何改动")
    imp.add_argument("--by", default="cli", metavar="姓名", help="本次修订由谁作出（随版本保存）")


def _err(text: str) -> None:
    print(text, file=sys.stderr)  # noqa: T201


async def import_indicators(
    session: AsyncSession, *, path: Path, year: int, actor: str, dry_run: bool = False
) -> tuple[int, str]:
    """Read, validate and apply a sheet; (exit code, what to print). Commits on success."""
    try:
        rows = parse_indicator_sheet(read_table(path), year=year)
        unit = await get_unit(session)
        if unit is None or unit.id is None:
            return 1, "还没有名单。请先运行：kaohe import 名单.xlsx"
        report = await apply_indicators(session, unit_id=unit.id, rows=rows, actor=actor)
    except RosterError as exc:
        await session.rollback()
        lines = [f"指标表有 {len(exc.problems)} 处问题，未导入任何数据："]
        lines += [f"  {p}" for p in exc.problems]
        return 1, "\n".join(lines)
    if dry_run:
        await session.rollback()
        return 0, f"检查通过：{len(rows)} 项指标。未写入。"
    await session.commit()
    return 0, (
        f"指标导入完成：新增 {report.added} 项，修订 {report.revised} 项"
        f"（保留原版本），未变 {report.unchanged} 项。"
    )


async def run_import(args: argparse.Namespace, settings: Any, session: AsyncSession) -> int:
    """`kaohe import-indicators` on a session."""
    year = args.year or datetime.now(UTC).astimezone(settings.zone).year
    code, text = await import_indicators(
        session, path=args.file, year=year, actor=args.by, dry_run=args.dry_run
    )
    if code:
        _err(text)
    else:
        print(text)  # noqa: T201
    return code
