"""地网 in the browsers: the commander's map (coverage, the stolen bike where it was last heard, its track with
the impossible jump marked) and tables (its alert, the base stations and their coverage), and the owner's
我的车 on the residents' page (the tag, its theft report, its track on a map and as a list)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import LiveApp, open_screen
from tests.browser.test_audit_screen import log_in
from tests.browser.test_resident_flows import shot, sign_in

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
    page.get_by_role("button", name="基站").click()
    expect(page.locator(".tracking-coverage")).to_contain_text("覆盖村寨 2")
    expect(page.locator(".tracking-table tbody tr")).to_have_count(2)
    page.screenshot(path=str(screenshots / "staff-tracking-stations.png"))
    page.get_by_role("button", name="被盗布控").click()
    expect(page.locator(".tracking-table tbody tr").first).to_contain_text("已发现")


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
