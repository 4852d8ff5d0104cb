"""地网 in the browsers: the commander's map (coverage, the stolen bike where it was last heard, its track with
the impossible jump marked) and tables (its alert, the base stations and their coverage), and the owner's
我的车 on the residents' page (the tag, its theft report, its track on a map and as a list)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from pingan.core.identity import create_user
from pingan.core.models import Role, Unit, UnitKind
from pingan.tracking.models import Station
from pingan.workers.sweeper import sweep_once
from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_audit_screen import log_in
from tests.browser.test_resident_flows import shot, sign_in
from tests.desk_county import PASSWORD

OWNER = "13600000777"
_seeded: list[bool] = []


def seed(app: LiveApp) -> None:
    """Two base stations, the owner's bike, a theft and the bike seen after it (once per session)."""
    if _seeded:
        return
    points = [s.representative_point() for s in itertools.islice(app.county.community_shapes.values(), 2)]
    stations = [
        {"code": f"WEB-S{i}", "name": f"演示基站{i}", "lon": p.x, "lat": p.y, "village": f"演示村{i}", "radius_m": 100}
        for i, p in enumerate(points, start=1)
    ]
    app.call("admin", "POST", "/tracking/stations", stations)  # type: ignore[arg-type]
    tag = {"tag": "WEB-CARD-1", "kind": "vehicle_card", "owner_phone": OWNER, "owner_name": "秦某江",
           "plate": "浙B77777", "installed_at": "2026-10-01"}  # fmt: skip
    app.call("admin", "POST", "/tracking/tags", [tag])  # type: ignore[arg-type]
    now = datetime.now(UTC)
    # Seen at S1 before the theft; the theft reported; then seen at S2 (an alert), and back at S1 fifteen
    # seconds later: kilometres in seconds, an impossible jump.
    before = app.services.tracking.ingest(
        [{"tag": "WEB-CARD-1", "at": (now - timedelta(hours=2)).isoformat(), "station": "WEB-S1"}]
    )
    theft = app.call(
        "admin", "POST", "/tracking/thefts", {"tag": "WEB-CARD-1", "stolen_at": (now - timedelta(hours=1)).isoformat()}
    )
    # The theft is committed before its answer came back: the next detection raises the alert.
    seen = app.services.tracking.ingest(
        [
            {"tag": "WEB-CARD-1", "at": (now - timedelta(minutes=5)).isoformat(), "station": "WEB-S2"},
            {"tag": "WEB-CARD-1", "at": (now - timedelta(minutes=4, seconds=45)).isoformat(), "station": "WEB-S1"},
        ]
    )
    _seeded.append(True)  # once per session, even if the checks below fail
    assert theft["status"] == "watched", (before, theft)
    assert len(seen.alerts) == 1, seen
    kinds = [a["kind"] for a in app.call("qzzx", "GET", "/tracking/alerts?tag=WEB-CARD-1")]
    assert kinds == ["theft_sighting"], seen


def test_the_commander_sees_the_stolen_bikes_alert_and_the_base_stations(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    seed(live_app)
    page = desktop
    log_in(page, "qzzx")
    open_screen(page, "tracking")
    # The map first: coverage circles, both base stations, the stolen bike where it was last heard, and its
    # track drawn with the jump marked.
    canvas = page.locator(".tracking-map")
    expect(page.locator(".tracking-coverage")).to_contain_text("覆盖村寨 2")
    expect(canvas.locator("path.map-theft")).to_have_count(1)
    expect(canvas.locator("path.map-bs")).to_have_count(2)
    expect(canvas.locator("path.map-shape")).to_have_count(2)
    expect(page.locator(".tracking-track-note")).to_contain_text("WEB-CARD-1：近7天 3 次侦测，其中 1 处异常跳变")
    expect(canvas.locator("path.map-track-point")).to_have_count(3)
    expect(canvas.locator("path.map-track-jump")).to_have_count(1)
    expect(canvas.locator("path.map-track-jump-leg")).to_have_count(1)
    page.screenshot(path=str(screenshots / "staff-tracking-map.png"))
    # A tag typed in: an unknown one says so and draws nothing.
    page.locator(".tracking-track-form input[name='tag']").fill("NO-SUCH-TAG")
    page.get_by_role("button", name="查看轨迹").click()
    expect(page.locator(".tracking-track-note")).to_contain_text("轨迹加载失败")
    page.get_by_role("button", name="告警").click()
    rows = page.locator(".tracking-table tbody tr")
    expect(rows.first).to_contain_text("被盗车辆出现")
    expect(rows.first).to_contain_text("WEB-CARD-1")
    expect(rows.first).to_contain_text("演示基站2")
    page.screenshot(path=str(screenshots / "staff-tracking-alerts.png"))
    page.get_by_role("button", name="基站", exact=True).click()
    expect(page.locator(".tracking-coverage")).to_contain_text("覆盖村寨 2")
    expect(page.locator(".tracking-table tbody tr")).to_have_count(2)
    # Found by a word of its name or village; the silent ones on their own (their number on the button).
    page.get_by_label("搜索基站").fill("演示村2")
    expect(page.locator(".tracking-table tbody tr")).to_have_count(1)
    expect(page.locator(".tracking-table tbody tr")).to_contain_text("WEB-S2")
    expect(page.locator(".tracking-stations-count")).to_have_text("显示 1 / 2 个")
    page.get_by_label("搜索基站").fill("")
    silent_button = page.get_by_role("group", name="基站状态").get_by_role("button", name=re.compile("^失联"))
    silent = int(silent_button.inner_text().split()[-1])
    silent_button.click()
    if silent:
        expect(page.locator(".tracking-table tbody tr")).to_have_count(silent)
        expect(page.locator(".tracking-table tbody tr").first).to_contain_text("失联")
    else:
        expect(page.locator(".tracking-stations")).to_contain_text("没有符合条件的基站")
    page.get_by_role("group", name="基站状态").get_by_role("button", name=re.compile("^全部")).click()
    expect(page.locator(".tracking-table tbody tr")).to_have_count(2)
    page.screenshot(path=str(screenshots / "staff-tracking-stations.png"))
    page.get_by_role("button", name="被盗布控").click()
    expect(page.locator(".tracking-table tbody tr", has_text="WEB-CARD-1")).to_contain_text("已发现")


def test_the_owner_sees_their_bike_reported_stolen_and_its_track(
    phone: Any, live_app: LiveApp, screenshots: Path
) -> None:
    seed(live_app)
    page = phone
    sign_in(page, live_app, OWNER)
    page.locator(".tab[data-screen='tags']").click()
    card = page.locator(".tag-card[data-tag='WEB-CARD-1']")
    expect(card).to_contain_text("浙B77777")
    expect(card).to_contain_text("已报被盗")
    card.get_by_role("button", name="查看轨迹").click()
    expect(card.locator(".track-list li")).to_have_count(3)
    expect(card.locator(".track-list li").first).to_contain_text("演示基站1")
    expect(card.locator(".track-list li").first).to_contain_text("异常跳变")
    expect(card.locator(".track-jumps")).to_contain_text("1 处异常跳变")
    expect(card.locator(".track-map path.map-track-point")).to_have_count(3)
    expect(card.locator(".track-map path.map-track-jump")).to_have_count(1)
    card.locator(".track-map").scroll_into_view_if_needed()
    shot(page, screenshots, "tracking-my-bike")


def test_the_owner_reads_a_parked_bikes_sightings_at_one_station_as_one_stay(
    phone: Any, live_app: LiveApp, screenshots: Path
) -> None:
    """Heard three times at home and then once at the next village: two lines, the stay from its first to its
    last time with how often it was heard, newest first."""
    seed(live_app)
    live_app.call("admin", "POST", "/tracking/tags", [{"tag": "WEB-CARD-5", "kind": "vehicle_card",
                  "owner_phone": OWNER, "owner_name": "秦某江", "plate": "浙B55555", "installed_at": "2026-10-01"}])  # type: ignore[arg-type]  # fmt: skip
    now = datetime.now(UTC)
    live_app.services.tracking.ingest(
        [
            *({"tag": "WEB-CARD-5", "at": (now - timedelta(hours=3, minutes=m)).isoformat(), "station": "WEB-S1"}
              for m in (0, 5, 10)),
            {"tag": "WEB-CARD-5", "at": (now - timedelta(minutes=30)).isoformat(), "station": "WEB-S2"},
        ]
    )  # fmt: skip
    page = phone
    sign_in(page, live_app, OWNER)
    page.locator(".tab[data-screen='tags']").click()
    card = page.locator(".tag-card[data-tag='WEB-CARD-5']")
    card.get_by_role("button", name="查看轨迹").click()
    lines = card.locator(".track-list li")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("演示基站2")
    expect(lines.nth(0)).not_to_contain_text("至")
    expect(lines.nth(1)).to_contain_text("演示基站1")
    expect(lines.nth(1)).to_contain_text(
        re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? 至 (\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}")
    )
    expect(lines.nth(1)).to_contain_text("3 次")
    expect(card.locator(".track-map path.map-track-point")).to_have_count(4)
    card.locator(".track-list").scroll_into_view_if_needed()
    shot(page, screenshots, "tracking-my-bike-stay")


SHANGHAI = ZoneInfo("Asia/Shanghai")
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")


@pytest.fixture
def american(browser: Any, live_app: LiveApp) -> Iterator[Any]:
    """A desktop browser in en-US and New York time, whose native date fields would say mm/dd/yyyy."""
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="en-US", timezone_id="America/New_York", base_url=live_app.url
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"the page threw: {errors}"


def test_an_american_browser_shows_and_takes_dates_as_yyyy_mm_dd_in_shanghai_time(
    american: Any, live_app: LiveApp, screenshots: Path
) -> None:
    seed(live_app)
    page = american
    log_in(page, "qzzx")
    open_screen(page, "tracking")
    page.get_by_role("button", name="告警").click()
    first = page.locator(".tracking-table tbody tr", has_text="WEB-CARD-1").locator("td").first
    expect(first).to_have_text(STAMP)
    alert = live_app.call("qzzx", "GET", "/tracking/alerts?tag=WEB-CARD-1")[0]
    shown = datetime.fromisoformat(alert["at"]).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    expect(first).to_have_text(shown)  # Shanghai's wall clock, not New York's
    # The figures' own period: text fields in YYYY-MM-DD, tidied when typed loosely, refused when not a date.
    page.get_by_role("button", name="统计").click()
    page.get_by_role("button", name="自定义").click()
    start = page.get_by_label("开始日期")
    expect(start).to_have_attribute("type", "text")
    expect(start).to_have_attribute("placeholder", "YYYY-MM-DD")
    expect(start).to_have_value(re.compile(r"^\d{4}-\d{2}-01$"))
    start.fill("2026/1/5")
    start.blur()
    expect(start).to_have_value("2026-01-05")
    page.get_by_label("结束日期").fill("2026-02-30")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".tracking-figures-range")).to_contain_text("YYYY-MM-DD")
    page.get_by_label("结束日期").fill(datetime.now(SHANGHAI).strftime("%Y-%m-%d"))
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".tracking-figures-range")).to_contain_text("2026-01-05 00:00 至")
    expect(page.locator(".tracking-figures .card", has_text="被盗报案")).to_contain_text(re.compile(r"[1-9]"))
    page.screenshot(path=str(screenshots / "staff-tracking-figures-en-us.png"))
    # Registering a theft: the time field holds Shanghai's now as YYYY-MM-DD HH:mm.
    page.get_by_role("button", name="被盗布控").click()
    stolen = page.get_by_label("被盗时间")
    expect(stolen).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    now = datetime.now(SHANGHAI)
    assert abs(datetime.strptime(stolen.input_value(), "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI) - now) < timedelta(
        minutes=5
    )


def test_an_american_phone_reports_a_bike_stolen_in_shanghai_time(
    browser: Any, live_app: LiveApp, screenshots: Path
) -> None:
    owner = "13600000778"
    live_app.call("admin", "POST", "/tracking/tags", [{"tag": "WEB-CARD-3", "kind": "vehicle_card", "owner_phone": owner,
                  "owner_name": "柳某", "plate": "浙B33333", "installed_at": "2026-10-01"}])  # type: ignore[arg-type]  # fmt: skip
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en-US",
        timezone_id="America/New_York", base_url=live_app.url,
    )  # fmt: skip
    context.set_default_timeout(15000)
    page = context.new_page()
    try:
        sign_in(page, live_app, owner)
        page.locator(".tab[data-screen='tags']").click()
        tabs = page.locator(".tabs .tab")
        expect(tabs).to_have_count(5)
        rows = {round(tabs.nth(i).bounding_box()["y"]) for i in range(5)}
        assert len(rows) == 1, f"the tab bar wraps: {rows}"
        card = page.locator(".tag-card[data-tag='WEB-CARD-3']")
        card.get_by_role("button", name="报告被盗").click()
        when = card.locator("input[name='stolen_at']")
        expect(when).to_have_attribute("placeholder", "YYYY-MM-DD HH:mm")
        when.fill("2026-11-30 7:05")
        when.blur()
        expect(when).to_have_value("2026-11-30 07:05")
        shot(page, screenshots, "tracking-theft-form-en-us")
        card.get_by_role("button", name="确认报告被盗").click()
        expect(card).to_contain_text("已报被盗")
    finally:
        context.close()
    theft = next(t for t in live_app.call("admin", "GET", "/tracking/thefts") if t["tag"] == "WEB-CARD-3")
    assert datetime.fromisoformat(theft["stolen_at"]) == datetime(2026, 11, 30, 7, 5, tzinfo=SHANGHAI)


def test_a_station_registers_a_theft_from_the_screen_and_a_bad_tag_is_named(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    seed(live_app)
    live_app.call("admin", "POST", "/tracking/tags", [{"tag": "WEB-CARD-2", "kind": "vehicle_card", "owner_phone": OWNER,
                  "owner_name": "秦某江", "plate": "浙B22222", "installed_at": "2026-10-01"}])  # type: ignore[arg-type]  # fmt: skip
    page = desktop
    log_in(page, "qzzx")
    open_screen(page, "tracking")
    page.get_by_role("button", name="被盗布控").click()
    form = page.locator(".tracking-theft-form")
    form.get_by_label("平安卡编号").fill("NO-SUCH-CARD")
    form.get_by_role("button", name="登记并布控").click()
    expect(form.locator(".error")).to_contain_text("标签不存在")
    form.get_by_label("被盗时间").fill("昨天")
    form.get_by_label("平安卡编号").fill("WEB-CARD-2")
    form.get_by_role("button", name="登记并布控").click()
    expect(form.locator(".error")).to_contain_text("YYYY-MM-DD HH:mm")
    form.get_by_label("被盗时间").fill(datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M"))
    form.get_by_label("被盗地点").fill("村口小卖部")
    form.get_by_role("button", name="登记并布控").click()
    row = page.locator(".tracking-table tbody tr", has_text="WEB-CARD-2")
    expect(row).to_contain_text("布控中")
    page.screenshot(path=str(screenshots / "staff-tracking-theft-registered.png"))


def _partner(live_app: LiveApp, username: str, code: str, kind: UnitKind) -> None:
    with live_app.services.db.session() as session:
        if session.scalar(select(Unit.id).where(Unit.code == code)) is None:
            unit = Unit(code=code, name="地网运营公司" if kind is UnitKind.TELECOM else "某银行支行", kind=kind)
            session.add(unit)
            session.flush()
            create_user(session, username, PASSWORD, role=Role.PARTNER, display_name=username, unit_id=unit.id,
                        now=live_app.services.clock.now())  # fmt: skip


def test_the_operating_company_sees_the_base_stations_and_imports_a_csv_and_a_bank_does_not(
    browser: Any, desktop: Any, live_app: LiveApp, screenshots: Path, tmp_path: Path
) -> None:
    seed(live_app)
    _partner(live_app, "web_diwang", "diwang-operator", UnitKind.TELECOM)
    # A base station silent past its threshold: the sweep gives the operating company a maintenance task.
    live_app.call("admin", "POST", "/tracking/stations", [{"code": "WEB-S8", "name": "哑基站", "lon": 121.9,
                  "lat": 29.4, "village": "哑村", "radius_m": 100, "silence_minutes": 5}])  # type: ignore[arg-type]  # fmt: skip
    with live_app.services.db.session() as session:
        station = session.scalar(select(Station).where(Station.code == "WEB-S8"))
        assert station is not None
        station.last_heard_at = live_app.services.clock.now() - timedelta(minutes=30)
    sweep_once(live_app.services)
    _partner(live_app, "web_bank", "web-bank", UnitKind.BANK)
    bank = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_app.url)
    try:
        bank_page = bank.new_page()
        log_in(bank_page, "web_bank")
        expect(bank_page.locator(".topbar .nav-link")).not_to_have_count(0)
        expect(bank_page.locator(".topbar .nav-link[data-screen='tracking']")).to_have_count(0)
        expect(bank_page.locator(".topbar .nav-link[data-screen='bank']")).to_have_count(1)
    finally:
        bank.close()
    page = desktop
    log_in(page, "web_diwang")
    open_screen(page, "tracking")
    expect(page.locator(".topbar .nav-link[data-screen='bank']")).to_have_count(0)
    tabs = page.locator(".tracking-screen .seg button")
    expect(tabs).to_have_text(["地图", "基站", "登记导入"])
    expect(page.locator(".tracking-map path.map-bs")).to_have_count(3)  # WEB-S1, WEB-S2 and the silent WEB-S8 (grey)
    page.get_by_role("button", name="基站").click()
    expect(page.locator(".tracking-table tbody tr", has_text="WEB-S1")).to_have_count(1)
    task = page.locator(".tracking-maintenance tbody tr", has_text="WEB-S8")
    expect(task).to_contain_text("待维修")
    page.screenshot(path=str(screenshots / "partner-tracking-maintenance.png"))
    task.get_by_role("button", name="登记修复").click()
    page.get_by_role("button", name="确认修复").click()
    expect(page.locator(".dlg-error")).to_contain_text("维修情况")
    page.locator("textarea[name='note']").fill("更换电源适配器，基站恢复上报")
    page.get_by_role("button", name="确认修复").click()
    expect(page.locator(".tracking-maintenance tbody tr", has_text="WEB-S8")).to_have_count(0)
    page.get_by_role("button", name="登记导入").click()
    csv = tmp_path / "stations.csv"
    point = next(iter(live_app.county.community_shapes.values())).representative_point()
    csv.write_text(
        f"code,name,lon,lat,village,radius_m\nWEB-S9,新装基站,{point.x},{point.y},新装村,300\nWEB-S10,坏基站,x,29,坏村,300\n",
        encoding="utf-8",
    )
    box = page.locator(".tracking-upload[data-path='/tracking/stations']")
    box.locator("input[type='file']").set_input_files(str(csv))
    box.get_by_role("button", name="上传导入").click()
    expect(box.locator(".import-result")).to_contain_text("新增 1 条")
    expect(box.locator(".import-rejected li")).to_have_count(1)
    expect(box.locator(".import-rejected li")).to_contain_text("第 3 行（lon）")
    page.screenshot(path=str(screenshots / "partner-tracking-upload.png"))


def test_a_guardian_sees_the_wearers_alerts_on_the_residents_page(
    phone: Any, live_app: LiveApp, screenshots: Path
) -> None:
    seed(live_app)
    guardian = "13600000779"
    live_app.call("admin", "POST", "/tracking/tags", [{"tag": "WEB-AR-1", "kind": "anti_removal_bracelet", "owner_phone": guardian,
                  "owner_name": "周家属", "wearer_name": "周某", "installed_at": "2026-10-01", "safe_stations": "WEB-S1"}])  # type: ignore[arg-type]  # fmt: skip
    seen = live_app.services.tracking.ingest(
        [{"tag": "WEB-AR-1", "at": datetime.now(UTC).isoformat(), "station": "WEB-S2", "event": "removed"}]
    )
    assert seen.alerts, seen
    page = phone
    sign_in(page, live_app, guardian)
    page.locator(".tab[data-screen='tags']").click()
    card = page.locator(".tag-card[data-tag='WEB-AR-1']")
    expect(card).to_contain_text("佩戴人：周某")
    alerts = card.locator(".tag-alerts li")
    expect(alerts.first).to_contain_text("手环被拆除")
    expect(alerts.first).to_contain_text("演示基站2")
    expect(alerts.first).to_contain_text("处理中")
    expect(alerts.first.locator(".row-when")).to_have_text(STAMP)
    shot(page, screenshots, "tracking-guardian-alerts")


def test_a_station_records_a_recovery_and_handles_an_alert_from_the_tables(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    seed(live_app)
    live_app.call("admin", "POST", "/tracking/tags", [{"tag": "WEB-CARD-4", "kind": "vehicle_card", "owner_phone": OWNER,
                  "owner_name": "秦某江", "plate": "浙B44444", "installed_at": "2026-10-01"},
                  {"tag": "WEB-AR-2", "kind": "anti_removal_bracelet", "owner_phone": OWNER, "owner_name": "秦某江",
                   "wearer_name": "秦某", "installed_at": "2026-10-01"}])  # type: ignore[arg-type]  # fmt: skip
    live_app.call(
        "admin", "POST", "/tracking/thefts", {"tag": "WEB-CARD-4", "stolen_at": datetime.now(UTC).isoformat()}
    )
    live_app.services.tracking.ingest(
        [{"tag": "WEB-AR-2", "at": datetime.now(UTC).isoformat(), "station": "WEB-S1", "event": "removed"}]
    )
    page = desktop
    log_in(page, "qzzx")
    open_screen(page, "tracking")
    page.get_by_role("button", name="被盗布控").click()
    row = page.locator(".tracking-table tbody tr", has_text="WEB-CARD-4")
    # Compensation is refused until a term of the agreement holds: the dialog says so and stays open.
    row.get_by_role("button", name="赔付").click()
    page.locator("input[name='certificate_no']").fill("证-1")
    page.locator("input[name='invoices']").fill("购车发票")
    page.get_by_role("button", name="确认").click()
    expect(page.locator(".dlg-error")).not_to_be_empty()
    page.keyboard.press("Escape")
    row.get_by_role("button", name="登记找回").click()
    page.get_by_role("button", name="确认").click()
    expect(page.locator(".dlg-error")).to_contain_text("找回地点")
    page.get_by_role("textbox", name="找回地点").fill("村口车棚")
    page.locator("input[name='suspects']").fill("2")
    page.locator("input[name='gang']").fill("象公刑案118号")
    page.get_by_role("button", name="确认").click()
    row = page.locator(".tracking-table tbody tr", has_text="WEB-CARD-4")
    expect(row).to_contain_text("已找回")
    expect(row).to_contain_text("村口车棚")
    expect(row).to_contain_text("2（象公刑案118号）")
    # When it was found, in its own column (today, in Shanghai time).
    found = page.locator(".tracking-table thead th").all_inner_texts().index("找回时间")
    today = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d ")
    expect(row.locator("td").nth(found)).to_contain_text(today)
    expect(row.get_by_role("button", name="登记找回")).to_have_count(0)
    page.screenshot(path=str(screenshots / "staff-tracking-theft-recovered.png"))
    page.get_by_role("button", name="告警").click()
    alert = page.locator(".tracking-table tbody tr", has_text="WEB-AR-2")
    expect(alert).to_contain_text("手环被拆除")
    alert.get_by_role("button", name="处置").click()
    page.locator("textarea[name='outcome']").fill("已联系监护人，重新佩戴")
    page.get_by_role("button", name="确认").click()
    expect(page.locator(".tracking-table tbody tr", has_text="WEB-AR-2")).to_contain_text("已结束")
    page.screenshot(path=str(screenshots / "staff-tracking-alert-handled.png"))


def test_the_task_page_shows_a_theft_and_an_alert_as_themselves_and_records_the_recovery(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    """#/tasks of another kind than the dissuasion: the list says the kind and its facts, the detail names the
    kind (not 劝阻任务), its facts in Chinese and the kind's own actions, each asking for its own fields."""
    seed(live_app)
    live_app.call("admin", "POST", "/tracking/tags", [{"tag": "WEB-CARD-5", "kind": "vehicle_card", "owner_phone": OWNER,
                  "owner_name": "秦某江", "plate": "浙B55555", "installed_at": "2026-10-01"}])  # type: ignore[arg-type]  # fmt: skip
    theft = live_app.call(
        "admin",
        "POST",
        "/tracking/thefts",
        {"tag": "WEB-CARD-5", "stolen_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(), "place": "菜市场门口"},
    )
    page = desktop
    log_in(page, "qzzx")
    open_screen(page, "tasks")
    kinds = page.get_by_label("任务类型")
    expect(kinds.locator("option[value='tracking_theft']")).to_have_text("车辆被盗布控")
    kinds.select_option("tracking_theft")
    card = page.locator(f".task-card[data-id='{theft['task_id']}']")
    expect(card).to_contain_text("车辆被盗布控")
    expect(card).to_contain_text("平安卡 WEB-CARD-5")
    expect(card).not_to_contain_text("电话")
    # A theft has no level: no level badge at all (not a grey "—" one); the alert, which has one, shows it.
    expect(card.locator(".level")).to_have_count(0)
    expect(card).not_to_have_class(re.compile(r"\brow-"))
    card.click()
    pane = page.locator(".detail-pane")
    expect(pane.locator(".case-task h3")).to_have_text(f"车辆被盗布控 #{theft['task_id']}")
    expect(pane).not_to_contain_text("劝阻")
    facts = pane.locator(".task-facts")
    expect(facts).to_contain_text("浙B55555")
    expect(facts).to_contain_text("菜市场门口")
    expect(facts.locator(".fact-stolen_at")).to_have_text(STAMP)
    expect(pane.locator(".action-bar button")).to_have_text(["找回", "赔付", "备注", "关闭"])
    page.screenshot(path=str(screenshots / "staff-task-theft.png"))
    pane.get_by_role("button", name="找回").click()
    dialog = page.locator("dialog.dlg")
    expect(dialog.locator(".field-label")).to_contain_text(
        ["找回地点", "抓获嫌疑人（名）", "打掉团伙（案件编号或名称）", "备注"]
    )
    dialog.get_by_role("button", name="确认找回").click()
    expect(dialog.locator(".dlg-error")).to_contain_text("请填写找回地点")
    dialog.get_by_label("找回地点").fill("东门岛某小区楼下")
    dialog.get_by_label("抓获嫌疑人（名）").fill("1")
    page.screenshot(path=str(screenshots / "staff-task-theft-recover.png"))
    dialog.get_by_role("button", name="确认找回").click()
    expect(pane.locator(".case-task")).to_contain_text("已找回")
    expect(pane.locator(".task-facts")).to_contain_text("东门岛某小区楼下")
    expect(pane.locator(".task-facts")).to_contain_text("1名")
    # The alert the seeded stolen bike raised, from its own kind's list.
    alert = live_app.call("qzzx", "GET", "/tracking/alerts?tag=WEB-CARD-1")[0]
    page.goto(f"/static/index.html#/tasks/{alert['task_id']}?kind=tracking_alert")
    expect(pane.locator(".case-task h3")).to_have_text(f"地网告警 #{alert['task_id']}")
    expect(pane.locator(".task-facts")).to_contain_text("被盗车辆出现")
    expect(pane.locator(".task-facts")).to_contain_text("演示基站2")
    expect(pane.locator(".action-bar button").first).to_have_text("签收")
    alert_card = page.locator(f".task-card[data-id='{alert['task_id']}']")
    expect(alert_card.locator(".level.level-high")).to_have_text("高")  # a theft sighting is of level 高
    expect(alert_card).to_have_class(re.compile(r"\brow-high\b"))
    page.screenshot(path=str(screenshots / "staff-task-alert.png"))
