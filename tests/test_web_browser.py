"""The web console in a real browser (Debian's chromium + chromedriver, driven by selenium),
against `kaohe demo --serve`: the demo database, its console on 127.0.0.1.

One demo and one browser serve every test of this module. Skipped only when chromium or
chromedriver is not installed (`apt-get install -y chromium chromium-driver`).
Screenshots of every page at 390 px and 1280 px go to $KAOHE_SCREENSHOTS (default: the
test's temporary directory).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.app import make_bot, make_dispatcher
from bot.config import Settings
from bot.demo import CONSOLE_AT, DEMO_TOKEN
from bot.web.auth import sign_init_data
from storage import db
from storage.tables import AuditEntry, Person, Record, ReportItem
from tests.demo_server import Demo
from tests.factories import make_message, make_user
from tests.fakes import FakeSession

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or DRIVER is None, reason="chromium / chromium-driver not installed"
    ),
    # the demo is SQLite whatever the suite runs on: once, in the SQLite pass, is enough
    # (tests/test_web_console.py runs the console on PostgreSQL)
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="runs on SQLite"),
    pytest.mark.xdist_group("browser"),  # one worker: one demo and one browser in all
]
WIDTHS = (390, 1280)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless chromium for the session."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,900",
    ):  # fmt: skip
        options.add_argument(flag)
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"kaohe-chromium-{os.getpid()}"
    shutil.rmtree(profile, ignore_errors=True)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER or ""), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _sign_in(browser, url: str) -> None:  # type: ignore[no-untyped-def]
    browser.delete_all_cookies()
    browser.get(url)


def _submit(browser, element) -> None:  # type: ignore[no-untyped-def]
    """Send a form (submit it, or click its button) and wait until the answer replaced the
    page: reading before that would read the old page (or fail on it going stale)."""
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    page = browser.find_element("tag name", "html")
    if element.tag_name == "button":
        element.click()
    else:
        element.submit()
    WebDriverWait(browser, 30).until(ec.staleness_of(page))


def _text(browser) -> str:  # type: ignore[no-untyped-def]
    return browser.find_element("tag name", "body").text


def test_a_link_signs_in_once_and_leaves_the_address_bar(demo: Demo, browser) -> None:  # type: ignore[no-untyped-def]
    link = demo.links["考核办"]
    _sign_in(browser, link)
    assert browser.current_url == f"{demo.base}/console/"  # the token is gone
    assert "总览" in browser.title
    assert "周敏" in _text(browser)
    _sign_in(browser, link)  # the same link again, in a fresh browser state
    assert "登录链接无效" in _text(browser)
    browser.get(f"{demo.base}/console/")
    assert "请先登录" in _text(browser)


def test_an_expired_link_is_refused(demo: Demo, browser) -> None:  # type: ignore[no-untyped-def]
    _sign_in(browser, demo.link("周敏", age=timedelta(minutes=11)))
    assert "登录链接无效" in _text(browser)
    _sign_in(browser, demo.link("周敏", age=timedelta(minutes=9)))
    assert "总览" in browser.title


def test_kaohe_console_link_prints_a_working_link(demo: Demo, browser) -> None:  # type: ignore[no-untyped-def]
    out = demo.kaohe("console-link", "陈静")
    url = out.strip().splitlines()[-1]
    _sign_in(browser, url)
    assert "陈静（部门负责人" in _text(browser)


def _stats_text(demo: Demo, name: str) -> str:
    """What /stats answers the person at the console's "now" (the real dispatcher)."""
    settings = Settings(BOT_TOKEN=DEMO_TOKEN, DATABASE_URL=demo.url, REDIS_URL="")  # type: ignore[call-arg]
    person = demo.person(name)

    async def ask() -> str:
        engine = db.make_engine(demo.url)
        fake = FakeSession()
        bot = make_bot(settings, session=fake)
        try:
            dp = make_dispatcher(settings, db.make_sessionmaker(engine), catch_errors=False)
            update = make_message("/stats", user=make_user(100_000 + (person.id or 0), name))
            message = update.message.model_copy(update={"date": CONSOLE_AT})  # type: ignore[union-attr]
            fresh = {"message": message, "update_id": 2_000_000_000}  # not one the demo used
            await dp.feed_update(bot, update.model_copy(update=fresh))
            return "\n".join(getattr(r, "text", "") for r in fake.requests)
        finally:
            await bot.session.close()
            await engine.dispose()

    return asyncio.run(ask())


def test_overview_shows_the_figures_of_stats(demo: Demo, browser) -> None:  # type: ignore[no-untyped-def]
    stats = _stats_text(demo, "周敏")
    expected = re.findall(
        r"(\S+)（(\d+)人）\n\s+本周 填报 (\S+) 审阅 (\S+)｜本月 填报 (\S+) 审阅 (\S+)", stats
    )
    assert len(expected) > 5, stats
    _sign_in(browser, demo.link("周敏"))
    rows = browser.find_elements("css selector", "#stats tr")[1:]
    shown = [[td.text for td in row.find_elements("tag name", "td")] for row in rows]
    assert [(r[0], r[1], r[3], r[4], r[5], r[6]) for r in shown] == list(expected)


def test_a_report_is_found_by_a_word_in_it(demo: Demo, browser) -> None:  # type: ignore[no-untyped-def]
    async def one(session):  # type: ignore[no-untyped-def]
        query = select(ReportItem).order_by(col(ReportItem.id)).offset(40)
        return (await session.exec(query)).first()

    item = demo.run(one)
    word = item.text.strip()[2:6]
    _sign_in(browser, demo.link("周敏"))
    browser.get(f"{demo.base}/console/reports")
    box = browser.find_element("name", "q")
    box.send_keys(word)
    _submit(browser, box)
    found = browser.find_element("id", "found").text
    assert item.text.strip() in found
    assert "没有找到日报" not in found
    browser.get(f"{demo.base}/console/reports?q=这句话不在任何日报里")
    assert "没有找到日报" in _text(browser)


def test_a_member_sees_their_own_page_only(demo: Demo, browser) -> None:  # type: ignore[no-untyped-def]
    member = demo.person("杨帆")
    other = demo.person("陈静")
    _sign_in(browser, demo.link("杨帆"))
    assert browser.current_url.endswith(f"/console/people/{member.id}")  # 总览 is for leaders
    assert "杨帆" in browser.find_element("tag name", "h1").text
    assert browser.find_element("id", "breakdown").text.strip()
    browser.get(f"{demo.base}/console/people/{other.id}")
    forbidden = _text(browser)
    assert "无权查看" in forbidden
    browser.get(f"{demo.base}/console/people/999999")  # an unknown id reads the same
    assert _text(browser) == forbidden
    browser.get(f"{demo.base}/console/audit")
    assert "无权查看" in _text(browser)


def _likes(demo: Demo, name: str) -> int:
    out = demo.kaohe("score", "--quarter", "2026Q2", "--as-of", "2026-06-30", "--explain", name)
    assert out.count("分，") == 1, out  # one person of that name
    found = re.search(r"^· 点赞 .*\[(\d+)次", out, re.MULTILINE)
    return int(found[1]) if found else 0


def test_an_admin_voids_a_record_through_the_page(demo: Demo, browser) -> None:  # type: ignore[no-untyped-def]
    async def a_like(session):  # type: ignore[no-untyped-def]
        query = (
            select(Record, Person.name)
            .join(Person, col(Person.id) == Record.person_id)
            .where(Record.kind == "like", col(Record.voided_at).is_(None))
            .order_by(col(Record.id))
        )
        rows = (await session.exec(query)).all()
        names = [p.name for p in (await session.exec(select(Person))).all()]
        return next((r, n) for r, n in rows if names.count(n) == 1)

    record, name = demo.run(a_like)
    before = _likes(demo, name)
    _sign_in(browser, demo.link("周敏"))
    browser.get(f"{demo.base}/console/records?kind=like&person={name}")
    row = next(
        r for r in browser.find_elements("css selector", "#records tr")
        if f"#{record.id}" in r.text
    )  # fmt: skip
    row.find_element("name", "reason").send_keys("重复点赞，作废")
    _submit(browser, row.find_element("css selector", "button.danger"))
    assert f"记录 #{record.id} 已作废" in _text(browser)
    browser.get(f"{demo.base}/console/audit?action=record_void")
    audit = browser.find_element("id", "audit").text
    assert "作废记录" in audit and "周敏" in audit and "重复点赞，作废" in audit

    async def entry(session):  # type: ignore[no-untyped-def]
        query = select(AuditEntry).where(
            AuditEntry.action == "record_void", AuditEntry.subject == str(record.id)
        )
        return (await session.exec(query)).first()

    assert demo.run(entry) is not None
    assert _likes(demo, name) == before - 1


def test_mini_app_init_data_is_checked(demo: Demo, browser) -> None:  # type: ignore[no-untyped-def]
    person = demo.person("陈静")
    fields = {
        "auth_date": str(int(time.time())),
        "query_id": "AAH",
        "user": f'{{"id":{100_000 + (person.id or 0)},"first_name":"陈静"}}',
    }
    good = sign_init_data(fields, bot_token=DEMO_TOKEN)
    forged = sign_init_data(fields, bot_token="4242:SOMEONE-ELSES-TOKEN")
    from urllib.parse import quote

    browser.delete_all_cookies()
    browser.get(f"{demo.base}/console/app#tgWebAppData={quote(forged)}&tgWebAppVersion=7.0")
    assert "无法登录" in _text(browser)
    browser.get(f"{demo.base}/console/")
    assert "请先登录" in _text(browser)
    browser.get(f"{demo.base}/console/app#tgWebAppData={quote(good)}&tgWebAppVersion=7.0")
    assert "陈静（部门负责人" in _text(browser)


PAGES = (
    ("overview", "/console/"),
    ("people", "/console/people"),
    ("person", "/console/people/{member}"),
    ("reports", "/console/reports?q=检查"),
    ("records", "/console/records"),
    ("results", "/console/results?q=2026Q2"),
    ("audit", "/console/audit"),
    ("export", "/console/export"),
)


def test_every_page_fits_a_phone_and_a_desktop(demo: Demo, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get("KAOHE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    member = demo.person("杨帆")
    _sign_in(browser, demo.link("周敏"))
    for width in WIDTHS:
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        for name, path in PAGES:
            browser.get(demo.base + path.format(member=member.id))
            assert "无权查看" not in _text(browser), name
            inner, scroll = browser.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth]"
            )
            assert scroll <= inner, f"{name} at {width}px scrolls sideways ({scroll} > {inner})"
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": min(height, 4000), "deviceScaleFactor": 1,
                 "mobile": width < 600},
            )  # fmt: skip
            browser.save_screenshot(str(shots / f"{name}-{width}.png"))
            browser.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
            )
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert len(list(shots.glob("*-*.png"))) >= len(PAGES) * len(WIDTHS)
