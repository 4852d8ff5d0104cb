"""打榜 and 大屏 in a deployment of two counties, in the browser: the province's commander first sees the
county bureaus ranked against each other, picks 象山 to open its stations' board, and their big screen is
the province's (the sum of both counties' work, every station of both on the map); 象山's commander sees
象山 only. Screenshots: artifacts/screenshots/tenant-*.png.

A server of its own (the other browser tests' small county stays one county)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from playwright.sync_api import expect

from pingan.api.app import create_app
from pingan.bootstrap import bootstrap
from pingan.core.db import Database
from pingan.core.settings import Settings
from tests.browser.conftest import _free_port
from tests.browser.test_fraud_loop import log_in
from tests.desk_county import PASSWORD
from tests.integration.test_tenant_ranking import build_two_counties

WALL = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def province_url(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[str]:
    root = tmp_path_factory.mktemp("province")
    settings = Settings(
        database_url=f"sqlite:///{root / 'pingan.db'}",
        media_dir=root / "media",
        instance_dir=root / "instance",
        desk_dingtalk_enabled=False,
    )
    db = Database(settings.database_url)
    db.create_all()
    services = bootstrap(settings, db=db)
    build_two_counties(db, PASSWORD, now=datetime.now(UTC))
    services.jurisdictions.invalidate()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="province-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the province's app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=30)
    services.close()


def _page(browser: Any, url: str, viewport: dict[str, int]) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=url)
    context.set_default_timeout(20000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def _month() -> str:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return f"{now.year}-{now.month:02d}"


def test_the_province_ranks_its_county_bureaus_and_opens_one_countys_stations(
    browser: Any, province_url: str, screenshots: Path
) -> None:
    context, page, errors = _page(browser, province_url, {"width": 1440, "height": 900})
    try:
        log_in(page, "zj_commander", "ranking")
        page.goto(f"/static/index.html#/ranking?period={_month()}")
        rows = page.locator(".rank-table tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("宁海县公安局")
        expect(rows.nth(1)).to_contain_text("象山县公安局")
        expect(page.locator("[data-role='weights']")).to_contain_text("浙江省 · 县（市、区）公安局")
        picker = page.locator("select[name='county']")
        expect(picker).to_have_value("")
        rows.nth(1).click()
        expect(page.locator("[data-role='detail']")).to_contain_text("劝阻成功 3 / 预警 3")
        page.screenshot(path=str(screenshots / "tenant-ranking-province.png"))
        page.locator("[data-role='open-county']").click()
        expect(page).to_have_url(re.compile(r"county=330225"))
        expect(picker).to_have_value("330225")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("象山0")
        expect(page.locator(".rank-table")).not_to_contain_text("宁海")
        expect(page.locator("[data-role='weights']")).to_contain_text("象山县 · 派出所")
        page.screenshot(path=str(screenshots / "tenant-ranking-province-county.png"))
        picker.select_option("")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("宁海县公安局")
    finally:
        context.close()
    assert errors == [], f"the page threw: {errors}"


def test_a_countys_commander_ranks_its_own_stations_without_a_picker(browser: Any, province_url: str) -> None:
    context, page, errors = _page(browser, province_url, {"width": 1440, "height": 900})
    try:
        log_in(page, "xs_commander", "ranking")
        page.goto(f"/static/index.html#/ranking?period={_month()}")
        rows = page.locator(".rank-table tbody tr")
        expect(rows).to_have_count(2)
        expect(page.locator(".rank-table")).not_to_contain_text("宁海")
        expect(page.locator("select[name='county']")).to_have_count(0)
    finally:
        context.close()
    assert errors == [], f"the page threw: {errors}"


def test_the_provinces_big_screen_is_the_sum_of_its_counties(
    browser: Any, province_url: str, screenshots: Path
) -> None:
    for who, title, stations, open_, late in (
        ("zj_commander", "浙江省 · 情指联勤大屏", 5, 4, 3),
        ("xs_commander", "象山县公安局 · 情指联勤大屏", 2, 1, 1),
    ):
        context, page, errors = _page(browser, province_url, WALL)
        try:
            log_in(page, who, "screen")
            expect(page.locator("[data-role='title']")).to_have_text(title)
            expect(page.locator("[data-role='map-totals']")).to_have_text(f"派出所在办 {open_} · 超时 {late}")
            # each station: its outline and its point
            expect(page.locator(".bs-map path.leaflet-interactive")).to_have_count(2 * stations)
            expect(page.locator(".bs-tile[data-tile='warnings'] .bs-tile-value")).to_have_text(
                "13" if who == "zj_commander" else "3"
            )
            expect(page.locator("[data-role='ranking'] .bs-rank-row").first).to_be_visible()
            if who == "zj_commander":
                expect(page.locator("[data-role='ranking']")).to_contain_text("宁海县公安局")
            else:
                expect(page.locator("[data-role='ranking']")).not_to_contain_text("宁海")
            page.wait_for_timeout(500)
            page.screenshot(path=str(screenshots / f"tenant-bigscreen-{who}.png"))
        finally:
            context.close()
        assert errors == [], f"the page threw: {errors}"
