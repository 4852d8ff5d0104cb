"""打榜 and 大屏 in a deployment of two counties, in the browser: the province's commander first sees the
county bureaus ranked against each other, picks 象山 to open its stations' board, and their big screen is
the province's (the sum of both counties' work, every station of both on the map); 象山's commander sees
象山 only. 报告 and push templates: 宁波市's commander picks which county the reports are of (or the city as a
whole), kept in the URL, and shares a template with the counties below; 象山's commander has no picker, only
象山's archive, and sees the city's shared template read-only. Screenshots: artifacts/screenshots/tenant-*.png.

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
from argon2 import PasswordHasher
from playwright.sync_api import expect

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.command.reports.periods import Cadence, last_complete
from pingan.core.db import Database
from pingan.core.identity import create_user
from pingan.core.models import Role, Unit, UnitKind
from pingan.core.settings import Settings
from tests.browser.conftest import _free_port
from tests.browser.test_fraud_loop import dialog_button, log_in, log_out
from tests.desk_county import PASSWORD
from tests.integration.test_tenant_ranking import build_two_counties

WALL = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory, chromium_path: Path) -> Iterator[tuple[str, Services]]:
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
    _, areas = build_two_counties(db, PASSWORD, now=datetime.now(UTC))
    with db.session() as s:  # 宁波市's own centre, between the province and the counties
        centre = Unit(
            code="3302-command-centre", name="市情指中心", kind=UnitKind.COMMAND_CENTRE, area_id=areas["3302"]
        )
        s.add(centre)
        s.flush()
        city = create_user(
            s,
            "nb_commander",
            None,
            role=Role.COMMANDER,
            display_name="宁波指挥",
            unit_id=centre.id,
            now=datetime.now(UTC),
        )
        city.password_hash = PasswordHasher().hash(PASSWORD)
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
    yield f"http://127.0.0.1:{port}", services
    server.should_exit = True
    thread.join(timeout=30)
    services.close()


@pytest.fixture(scope="module")
def province_url(province: tuple[str, Services]) -> str:
    return province[0]


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


def _archive_yesterdays_daily_reports(services: Services) -> str:
    """Each county's 日研判 of yesterday in the archive, as the worker writes them each morning: its name."""
    reports = services.reports
    yesterday = last_complete(Cadence.DAILY, services.clock.now())
    with services.db.session() as session:
        for county in ("330225", "330226"):
            reports.write(reports.build(session, Cadence.DAILY, yesterday, reports.coverage(session, county)))
    return f"daily-{yesterday.key}.html"


def test_the_citys_commander_picks_the_county_of_the_reports_and_a_link_reopens_it(
    browser: Any, province: tuple[str, Services], screenshots: Path
) -> None:
    url, services = province
    name = _archive_yesterdays_daily_reports(services)
    context, page, errors = _page(browser, url, {"width": 1440, "height": 900})
    try:
        log_in(page, "nb_commander", "reports")
        picker = page.locator("select[name='county']")
        expect(picker.locator("option")).to_have_text(["全市（宁波市，汇总）", "象山县", "宁海县"])
        expect(picker).to_have_value("")
        archive = page.locator(f".reports-archive tbody tr[data-name='{name}']")
        expect(archive).to_have_count(2)
        expect(page.locator("[data-role='scope-note']")).to_be_visible()
        page.locator("[data-make='html']").wait_for()
        with page.expect_download(timeout=60_000) as whole:
            page.locator("[data-make='html']").click()
        text = Path(whole.value.path()).read_text(encoding="utf-8")
        for name_in_it in ("宁波市", "象山县", "宁海县"):
            assert name_in_it in text
        page.screenshot(path=str(screenshots / "tenant-reports-city.png"), full_page=True)

        picker.select_option("330225")
        expect(page).to_have_url(re.compile(r"#/reports\?county=330225$"))
        expect(archive).to_have_count(1)
        expect(archive).to_have_attribute("data-county", "330225")
        expect(page.locator(".reports-archive")).not_to_contain_text("宁海")
        expect(page.locator("[data-role='scope-note']")).to_be_hidden()
        with page.expect_download(timeout=60_000) as one:
            page.locator("[data-make='html']").click()
        text = Path(one.value.path()).read_text(encoding="utf-8")
        assert "象山县公安局" in text
        assert "宁海" not in text
        with page.expect_download() as archived:
            archive.locator("button").click()
        assert "象山县" in Path(archived.value.path()).read_text(encoding="utf-8")

        page.reload()  # the link reopens the same county
        expect(picker).to_have_value("330225")
        expect(archive).to_have_count(1)
        page.screenshot(path=str(screenshots / "tenant-reports-city-county.png"), full_page=True)

        page.goto("/static/index.html#/reports?county=330226")
        expect(picker).to_have_value("330226")
        expect(archive).to_have_attribute("data-county", "330226")
        picker.select_option("")
        expect(archive).to_have_count(2)
    finally:
        context.close()
    assert errors == [], f"the page threw: {errors}"


def test_a_countys_commander_has_no_county_picker_and_only_their_countys_reports(
    browser: Any, province: tuple[str, Services], screenshots: Path
) -> None:
    url, services = province
    name = _archive_yesterdays_daily_reports(services)
    context, page, errors = _page(browser, url, {"width": 1440, "height": 900})
    try:
        log_in(page, "xs_commander", "reports")
        archive = page.locator(f".reports-archive tbody tr[data-name='{name}']")
        expect(archive).to_have_count(1)
        expect(archive).to_have_attribute("data-county", "330225")
        expect(page.locator("select[name='county']")).to_have_count(0)
        expect(page.locator("[data-role='scope-note']")).to_be_hidden()
        page.screenshot(path=str(screenshots / "tenant-reports-county.png"), full_page=True)
        page.goto("/static/index.html#/reports?county=330226")  # another county's link: refused, naming the field
        expect(page.locator(".toast", has_text="只能查看本辖区县（市、区）的报告")).to_be_visible()
    finally:
        context.close()
    assert errors == [], f"the page threw: {errors}"


def test_the_city_shares_a_push_template_with_its_counties_which_see_it_read_only(
    browser: Any, province_url: str, screenshots: Path
) -> None:
    context, page, errors = _page(browser, province_url, {"width": 1440, "height": 900})
    templates = page.locator(".templates-table tbody tr")
    try:
        log_in(page, "nb_commander", "admin")
        page.goto("/static/index.html#/admin?tab=pushes")
        for code, title, shared in (("typhoon", "台风预警", True), ("city-drill", "市局演练通知", False)):
            page.get_by_role("button", name="新建模板").click()
            dialog = page.locator("dialog[open]")
            box = dialog.locator("input[name='shared_below']")
            expect(box).to_be_checked()
            expect(dialog).to_contain_text("下发给宁波市下辖各县（市、区）")
            dialog.locator("input[name='code']").fill(code)
            dialog.locator("input[name='title']").fill(title)
            dialog.locator("textarea[name='body']").fill("{area}群众请注意：" + title)
            if shared:
                page.screenshot(path=str(screenshots / "tenant-templates-city-dialog.png"))
            else:
                box.uncheck()
            dialog_button(page, "保存")
        typhoon = templates.filter(has_text="台风预警")
        drill = templates.filter(has_text="市局演练通知")
        expect(typhoon.locator("[data-role='shared-below']")).to_have_text("已下发")
        expect(drill.locator("[data-role='shared-below']")).to_have_text("不下发")
        expect(typhoon).to_contain_text("本级")
        page.screenshot(path=str(screenshots / "tenant-templates-city.png"), full_page=True)
        log_out(page)

        log_in(page, "xs_commander", "admin")
        page.goto("/static/index.html#/admin?tab=pushes")
        expect(typhoon.locator("[data-role='inherited']")).to_have_text("宁波市下发 · 只读")
        expect(typhoon.locator("[data-role='edit-template']")).to_have_count(0)
        expect(drill).to_have_count(0)
        expect(page.locator(".templates-table th", has_text="下发下级")).to_have_count(0)
        page.get_by_role("button", name="新建模板").click()
        expect(page.locator("dialog[open] input[name='shared_below']")).to_have_count(0)
        page.locator("dialog[open]").get_by_role("button", name="取消").click()
        page.screenshot(path=str(screenshots / "tenant-templates-county.png"), full_page=True)
        log_out(page)

        log_in(page, "nb_commander", "admin")  # the city shares the drill too: 象山 now has it, read-only
        page.goto("/static/index.html#/admin?tab=pushes")
        drill.locator("[data-role='edit-template']").click()
        dialog = page.locator("dialog[open]")
        expect(dialog.locator("input[name='code']")).to_be_disabled()
        expect(dialog.locator("input[name='shared_below']")).not_to_be_checked()
        dialog.locator("input[name='shared_below']").check()
        dialog_button(page, "保存")
        expect(drill.locator("[data-role='shared-below']")).to_have_text("已下发")
        log_out(page)
        log_in(page, "xs_commander", "admin")
        page.goto("/static/index.html#/admin?tab=pushes")
        expect(drill.locator("[data-role='inherited']")).to_have_text("宁波市下发 · 只读")
    finally:
        context.close()
    assert errors == [], f"the page threw: {errors}"
