"""地网 in the browsers: the commander's tables (a stolen bike's alert, the base stations and their coverage)
and the owner's 我的车 on the residents' page (the tag, its theft report and its track)."""

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
        {"code": f"WEB-S{i}", "name": f"演示基站{i}", "lon": p.x, "lat": p.y, "village": f"演示村{i}", "radius_m": 500}
        for i, p in enumerate(points, start=1)
    ]
    app.call("admin", "POST", "/tracking/stations", stations)  # type: ignore[arg-type]
    tag = {"tag": "WEB-CARD-1", "kind": "vehicle_card", "owner_phone": OWNER, "owner_name": "秦某江",
           "plate": "浙B77777", "installed_at": "2026-10-01"}  # fmt: skip
    app.call("admin", "POST", "/tracking/tags", [tag])  # type: ignore[arg-type]
    now = datetime.now(UTC)
    # Seen at S1 before the theft and at S2 after it; the theft, reported late, is a sighting at once
    # (judged on event time), raised in the report's own transaction.
    seen = app.services.tracking.ingest(
        [
            {"tag": "WEB-CARD-1", "at": (now - timedelta(hours=2)).isoformat(), "station": "WEB-S1"},
            {"tag": "WEB-CARD-1", "at": (now - timedelta(minutes=5)).isoformat(), "station": "WEB-S2"},
        ]
    )
    theft = app.call(
        "admin", "POST", "/tracking/thefts", {"tag": "WEB-CARD-1", "stolen_at": (now - timedelta(hours=1)).isoformat()}
    )
    _seeded.append(True)  # once per session, even if the check below fails
    assert theft["status"] == "sighted", (seen, theft)
    kinds = [a["kind"] for a in app.call("qzzx", "GET", "/tracking/alerts?tag=WEB-CARD-1")]
    assert kinds == ["theft_sighting"], (seen, theft)


def test_the_commander_sees_the_stolen_bikes_alert_and_the_base_stations(
    desktop: Any, live_app: LiveApp, screenshots: Path
) -> None:
    seed(live_app)
    page = desktop
    log_in(page, "qzzx")
    open_screen(page, "tracking")
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
    expect(card.locator(".track-list li")).to_have_count(2)
    expect(card.locator(".track-list li").first).to_contain_text("演示基站2")
    shot(page, screenshots, "tracking-my-bike")
