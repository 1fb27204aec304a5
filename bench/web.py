"""bench/web: server time of each web console page on the demo database (issue 23).

Builds the demo (or reuses --dir's kaohe.db), serves the console in-process at the demo's
"now" (`kaohe demo --serve`'s), signs in as the 考核办 (who sees every page, the largest
ones), requests each page --runs times after a warm-up and prints the median and the
maximum of the time the server spent (the console's own middleware measures it: the
database, the core and the rendering). Then the export: asking for the quarter's workbook
(a form post; the build runs in the background), the build itself (not a page: printed
for information), and the finished file's download. Goal: each page ≤ 300 ms.
Run: python bench/web.py [--dir kaohe-demo] [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.demo import DEMO_TOKEN, ZONE, run_demo  # noqa: E402
from bot.policies import load_policy  # noqa: E402
from bot.web import Console, make_console_app  # noqa: E402
from bot.web.auth import new_login_link  # noqa: E402
from bot.web.demo import CLOCK_KEY  # noqa: E402
from core.calendar import WorkCalendar  # noqa: E402
from storage import db  # noqa: E402
from storage.people import get_setting  # noqa: E402
from storage.tables import Person, utcnow  # noqa: E402

PAGES = (
    ("总览", "/console/"),
    ("人员", "/console/people"),
    ("人员搜索", "/console/people?q=科"),
    ("个人", "/console/people/{member}"),
    ("日报搜索", "/console/reports?q=检查"),
    ("日报全部", "/console/reports"),
    ("点赞/错情", "/console/records"),
    ("季度结果", "/console/results?q=2026Q2"),
    ("审计日志", "/console/audit"),
    ("导出页", "/console/export"),
)


async def bench(directory: Path, runs: int) -> None:
    if not (directory / "kaohe.db").exists():
        await run_demo(directory, echo=False)
    engine = db.make_engine(f"sqlite:///{directory / 'kaohe.db'}")
    sessionmaker = db.make_sessionmaker(engine)
    policy = load_policy(Settings().policy)
    async with sessionmaker() as session:
        stamp = await get_setting(session, key=CLOCK_KEY)
        now = datetime.fromisoformat(stamp) if stamp else utcnow()
        admin = (await session.exec(select(Person).where(Person.name == "周敏"))).one()
        member = (await session.exec(select(Person).where(Person.name == "杨帆"))).one()
        link = await new_login_link(
            session, base_url="", person_id=admin.id or 0, via="bench", now=utcnow()
        )
        await session.commit()
    console = Console(
        sessionmaker=sessionmaker, policy=policy, calendar=WorkCalendar(policy.calendar),
        zone=ZONE, bot_token=DEMO_TOKEN, base_url="http://127.0.0.1", clock=lambda: now,
    )  # fmt: skip
    async with TestClient(TestServer(make_console_app(console))) as client:
        assert (await client.get(link, allow_redirects=False)).status == 303
        print(f"{'page':<10} {'median ms':>10} {'max ms':>8}")  # noqa: T201
        for label, path in PAGES:
            url = path.format(member=member.id)
            await client.get(url)  # warm-up
            console.timings.clear()
            for _ in range(runs):
                response = await client.get(url)
                assert response.status == 200, (url, response.status)
                await response.read()
            _line(label, console)
        await _export(client, console, runs)
    await engine.dispose()


def _line(label: str, console: Console) -> None:
    times = [t * 1000 for values in console.timings.values() for t in values]
    print(f"{label:<10} {statistics.median(times):>10.1f} {max(times):>8.1f}")  # noqa: T201
    console.timings.clear()


async def _export(client: TestClient, console: Console, runs: int) -> None:
    """导出: the form post, the background build, then the download of the built file."""
    page = await (await client.get("/console/export")).text()
    csrf = re.search(r'name="csrf"\s+value="([^"]+)"', page)
    assert csrf, page
    console.timings.clear()
    started = time.perf_counter()
    asked = await client.post(
        "/console/export", data={"csrf": csrf[1], "q": "2026Q2"}, allow_redirects=False
    )
    assert asked.status == 303, asked.status
    _line("导出提交", console)
    await asyncio.gather(*console.building)
    built = (time.perf_counter() - started) * 1000
    page = await (await client.get("/console/export")).text()
    link = re.search(r'href="(/console/export/file/[^"]+)"', page)
    assert link, page
    console.timings.clear()
    for _ in range(runs):
        response = await client.get(link[1])
        assert response.status == 200, response.status
        await response.read()
    _line("导出下载", console)
    print(f"(the workbook itself was built in the background in {built:.0f} ms)")  # noqa: T201


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("kaohe-demo"))
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(bench(args.dir, args.runs))


if __name__ == "__main__":
    main()
