"""Maps and charts in the browser: the warning queue's map shows the county's stations and where the people at
risk live (masked), the desk queue's map where requests come from, a task's detail its place; a resident
drags the pin into the neighbouring town and the request goes to the station under the pin; the 数据 screen
shows the desk's figures and the charts with the same numbers the API gives.

Residents registered here use phones 1357777xxxx (nowhere else). Screenshots: artifacts/screenshots/map-*.png and resident-map-*.png.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from shapely import wkb
from shapely.geometry import Point
from sqlalchemy import select

from pingan.core.geo import distance_m, wgs84_to_gcj02
from pingan.core.models import Area
from pingan.desk.models import DeskRequest
from pingan.desk.rules.kinds import Category
from tests.browser.charts import assert_chart_text_is_chinese, watch_first_chart_draw
from tests.browser.conftest import LiveApp
from tests.browser.test_fraud_loop import log_in, register, report
from tests.browser.test_resident_flows import opened_request_id, sign_in
from tests.browser.test_resident_flows import shot as resident_shot
from tests.browser.test_staff_desk import post
from tests.desk_county import TOWNS

DANDONG, DANXI = TOWNS
COMMANDER = "qzzx"


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"map-{name}.png"), full_page=True)


def tall_shot(page: Any, screenshots: Path, name: str) -> None:
    """The whole screen, however long: the staff UI scrolls inside its main pane, so the page is made as tall."""
    size = page.viewport_size
    height = page.evaluate("Math.max(...Array.from(document.querySelectorAll('.screen, main'), (e) => e.scrollHeight))")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height) + 60)})
    page.wait_for_timeout(300)  # charts redraw at the new size
    page.screenshot(path=str(screenshots / f"map-{name}.png"))
    page.set_viewport_size(size)


def station_shape(app: LiveApp, town: str) -> Any:
    with app.services.db.session() as session:
        blob = session.scalar(select(Area.geometry).where(Area.id == app.county.stations[town]))
    assert blob is not None
    return wkb.loads(blob)


def centre_of(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def inside(point: tuple[float, float], box: dict[str, float] | None, *, margin: float) -> bool:
    assert box is not None
    x, y = point
    return (
        box["x"] + margin < x < box["x"] + box["width"] - margin
        and box["y"] + margin < y < box["y"] + box["height"] - margin
    )


def test_the_queue_map_shows_the_stations_and_where_the_people_at_risk_live(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    register(live_app, DANDONG, "陈阿婆", "13577770001", 1948)
    register(live_app, DANXI, "周阿公", "13577770002", 1950)
    leads = report(live_app, ("map-queue-1", "13577770001"), ("map-queue-2", "13577770002"))
    page = desktop
    log_in(page, COMMANDER, "queue")
    page.get_by_role("button", name="地图").click()
    panel = page.locator(".map-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("path.map-station")).to_have_count(len(live_app.county.stations))
    for name in ("丹东派出所", "丹西派出所"):
        expect(panel.locator(".map-label", has_text=name)).to_be_visible()
    api = live_app.call(COMMANDER, "GET", "/map/warnings")
    assert api["masked"] is True
    expect(panel).to_have_attribute("data-points", str(len(api["features"])))
    expect(panel.locator("path.map-warning")).to_have_count(len(api["features"]))
    ours = {lead.warning_id for lead in leads}
    shown = {i for f in api["features"] for i in f["properties"]["warning_ids"]}
    assert ours <= shown
    for f in api["features"]:  # never a home: every point is on the 0.01° grid
        lon, lat = f["geometry"]["coordinates"]
        assert (round(lon, 2), round(lat, 2)) == (lon, lat)
    expect(panel.locator(".map-caption")).to_contain_text("住址已模糊到约1公里")
    shot(page, screenshots, "01-queue")

    # The detail of one warning has its own small map: the station outlined, the person's cell marked.
    page.locator(f".tbl-queue tr[data-id='{leads[1].warning_id}']").click()
    detail = page.locator(".case-map .map-detail")
    expect(detail).to_have_attribute("data-ready", "true")
    expect(detail.locator("path.map-here")).to_have_count(1)
    expect(detail).to_contain_text("已模糊到约1公里")
    shot(page, screenshots, "02-warning-detail")


def test_the_desk_queue_map_shows_where_requests_come_from(desktop: Any, live_app: LiveApp, screenshots: Path) -> None:
    request_id = post(live_app, "13577770011", Category.CONSULTATION, "孩子上学需要开什么证明？")
    page = desktop
    log_in(page, COMMANDER, "desk")
    page.get_by_role("button", name="地图").click()
    panel = page.locator(".map-panel")
    api = live_app.call(COMMANDER, "GET", "/map/desk-requests")
    assert request_id in {f["properties"]["request_id"] for f in api["features"]}
    expect(panel).to_have_attribute("data-points", str(len(api["features"])))
    expect(panel.locator("path.map-request")).to_have_count(len(api["features"]))
    shot(page, screenshots, "03-desk-queue")
    page.locator(f".desk-card[data-id='{request_id}']").click()
    detail = page.locator(".desk-map .map-detail")
    expect(detail).to_have_attribute("data-ready", "true")
    expect(detail.locator("path.map-here")).to_have_count(1)
    shot(page, screenshots, "04-desk-detail")


def drop_pin_on_station(page: Any, app: LiveApp, phone_number: str, text: str, town: str) -> None:
    """A resident writes a request, locates the phone (in 丹东, the conftest's point), opens the map and drags
    the pin onto the station point of `town` (inside its jurisdiction)."""
    sign_in(page, app, phone_number)
    page.goto("/static/resident/index.html#/new")
    page.locator(".cat-tile[data-category='consultation']").click()
    page.get_by_label("诉求内容").fill(text)
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator(".locate-status")).to_contain_text("已定位")
    page.get_by_role("button", name="在地图上选点").click()
    picker = page.locator(".picker-map")
    expect(picker).to_have_attribute("data-ready", "true")
    pin = picker.locator(".map-pin")
    expect(pin).to_be_visible()
    # Zoom out until the station point is on the map, then drop the pin's point on it.
    picker.evaluate("el => el.scrollIntoView({block: 'center'})")  # clear of the tab bar at the bottom
    target = picker.locator(f"path.station-{app.county.stations[town]}")
    for _ in range(8):
        page.wait_for_timeout(300)  # the zoom animation settles before positions are read
        if inside(centre_of(target), picker.bounding_box(), margin=20):
            break
        picker.locator(".leaflet-control-zoom-out").click()
    tx, ty = centre_of(target)
    assert inside((tx, ty), picker.bounding_box(), margin=20)
    box = pin.bounding_box()
    assert box is not None
    grab_x, grab_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    tip_below = box["y"] + 38 - grab_y  # the pin's point is 38 px below its top (iconAnchor)
    page.mouse.move(grab_x, grab_y)
    page.mouse.down()
    page.mouse.move(tx, ty - tip_below, steps=12)
    page.mouse.up()
    expect(page.locator(".picker-station")).to_contain_text("丹西派出所" if town == DANXI else "丹东派出所")
    expect(page.locator(".locate-status")).to_contain_text("已在地图上选点")


def send(page: Any) -> int:
    page.get_by_role("button", name="提交", exact=True).click()
    return opened_request_id(page)


def station_point(app: LiveApp, town: str) -> tuple[float, float]:
    """Where the map draws the station (GET /map/areas' point: a point surely inside the jurisdiction)."""
    where = station_shape(app, town).representative_point()
    return round(where.x, 6), round(where.y, 6)


def test_a_resident_drags_the_pin_into_the_next_town_and_the_request_goes_to_its_station(
    phone: Any, live_app: LiveApp, screenshots: Path
) -> None:
    page = phone
    drop_pin_on_station(page, live_app, "13577770021", "我在丹西这边捡到一个钱包，想交给派出所。", DANXI)
    expect(page.locator(".picker-map")).to_have_attribute("data-crs", "wgs84")
    resident_shot(page, screenshots, "map-pin")
    request_id = send(page)
    expect(page.locator(".handler-who")).to_contain_text("丹西派出所")
    row = live_app_request(live_app, request_id)
    assert row.station_id == live_app.county.stations[DANXI]
    assert row.lon is not None
    assert row.lat is not None
    assert station_shape(live_app, DANXI).contains(Point(row.lon, row.lat))
    assert not station_shape(live_app, DANDONG).contains(Point(row.lon, row.lat))
    # Dropped on the station's point: stored there, give or take a few pixels of the map.
    assert distance_m(row.lon, row.lat, *station_point(live_app, DANXI)) < 150
    resident_shot(page, screenshots, "map-pin-sent")


def test_the_page_shifts_to_gcj02_exactly_as_the_server_does(phone: Any, live_app: LiveApp) -> None:
    page = phone
    page.goto("/static/resident/index.html")
    points = [(121.9348, 29.4436), (116.391, 39.907), (87.6, 43.8), (2.35, 48.85)]  # the last is not in China
    shifted = page.evaluate(
        "async (pts) => { const m = await import('/static/js/ui/map.js');"
        " return pts.map((p) => m.wgs84ToGcj02(p[0], p[1])); }",
        points,
    )
    for (lon, lat), (glon, glat) in zip(points, shifted, strict=True):
        assert (glon, glat) == pytest.approx(wgs84_to_gcj02(lon, lat), abs=1e-9)
    assert shifted[-1] == [2.35, 48.85]


def test_over_a_gcj02_base_map_the_pin_is_sent_as_gcj02_and_stored_in_wgs84(
    phone: Any, live_app: LiveApp, screenshots: Path
) -> None:
    settings = live_app.services.settings
    settings.map_tile_crs = "gcj02"  # as a bureau whose tile server draws GCJ-02 would configure it
    try:
        page = phone
        drop_pin_on_station(page, live_app, "13577770022", "丹西这边路灯坏了一排，晚上很黑。", DANXI)
        expect(page.locator(".picker-map")).to_have_attribute("data-crs", "gcj02")
        resident_shot(page, screenshots, "map-pin-gcj02")
        request_id = send(page)
    finally:
        settings.map_tile_crs = "wgs84"
    row = live_app_request(live_app, request_id)
    assert row.station_id == live_app.county.stations[DANXI]
    assert row.lon is not None
    assert row.lat is not None
    lon, lat = station_point(live_app, DANXI)
    offset = distance_m(lon, lat, *wgs84_to_gcj02(lon, lat))
    assert offset > 300  # the shift the map drew the county with, here
    # The pin sat on the (shifted) station point; stored back in WGS84 it is at the station point itself.
    assert distance_m(row.lon, row.lat, lon, lat) < 150


def live_app_request(app: LiveApp, request_id: int) -> DeskRequest:
    with app.services.db.session() as session:
        row = session.get(DeskRequest, request_id)
        assert row is not None
        return row


def _month_start(now: datetime) -> str:
    local = now.astimezone(UTC) + timedelta(hours=8)
    return f"{local.year:04d}-{local.month:02d}-01T00:00:00+08:00"


def test_the_figures_screen_shows_the_desk_figures_and_charts_with_the_api_s_numbers(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    post(live_app, "13577770031", Category.CONSULTATION, "居住证怎么办理？")
    page = desktop
    watch_first_chart_draw(page)
    log_in(page, COMMANDER, "figures")
    desk = page.locator(".figures-desk")
    expect(desk.locator(".cards-desk .card")).to_have_count(6)
    start = _month_start(live_app.services.clock.now())
    figures = live_app.call(COMMANDER, "GET", f"/desk/stats?start={quote(start)}")
    cards = {
        c.locator(".card-label").inner_text(): c.locator(".card-value").inner_text()
        for c in desk.locator(".card").all()
    }
    assert cards["群众诉求"] == f"{figures['requests']:,}"
    assert cards["注册群众"] == f"{figures['registered_residents']:,}"
    assert cards["推送提醒"] == f"{figures['pushes']:,}"
    timeliness = figures["reply_timeliness"]
    assert cards["答复及时率"] == ("—" if timeliness is None else f"{timeliness * 100:.1f}%")
    assert figures["requests"] > 0

    expect(desk).to_have_attribute("data-trend-step", "day")
    trend = quote(str(desk.get_attribute("data-trend-start")))
    assert desk.get_attribute("data-trend-start") <= start  # at least two weeks back, whatever the period
    series = live_app.call(COMMANDER, "GET", f"/desk/stats/series?start={trend}&step=day")
    assert len(series["buckets"]) >= 14
    cells = desk.locator(".chart-box[data-chart='desk'] td[data-series='requests']")
    expect(cells).to_have_count(len(series["buckets"]))
    assert [int(c) for c in cells.all_text_contents()] == [b["requests"] for b in series["buckets"]]
    fraud = live_app.call(COMMANDER, "GET", f"/fraud/figures/series?start={trend}&step=day")
    warned = desk.locator(".chart-box[data-chart='fraud'] td[data-series='warnings']")
    assert [int(c) for c in warned.all_text_contents()] == [b["warnings"] for b in fraud["buckets"]]
    for chart in ("fraud", "money", "desk"):  # drawn: an SVG with the series' bars and lines
        expect(desk.locator(f".chart-box[data-chart='{chart}'] svg path").first).to_be_attached()
        # its legend in Chinese glyphs, the same fonts as the panels' headings
        assert assert_chart_text_is_chinese(
            page, f".figures-desk [data-chart='{chart}']", ".figures-desk .panel-chart h3"
        )
    expect(desk.locator(".panel-units")).to_contain_text("量化评价")
    expect(desk.locator(".panel-topics")).to_contain_text("热点问题")
    expect(page.locator(".figures-section-title", has_text=re.compile("趋势"))).to_be_visible()
    tall_shot(page, screenshots, "07-figures")
