"""The map's API: the county's own jurisdictions, where the people at risk live (masked unless revealed and
then recorded), where desk requests come from, and the optional base layer from the bureau's tile server.

Two stations side by side (A west of B, squares obvious by eye) from the fraud API's test world.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from pingan.api.app import create_app
from pingan.bootstrap import bootstrap
from pingan.core.db import Database
from pingan.core.models import AccessLog, Person
from pingan.core.settings import Settings
from pingan.desk.models import DeskRequest, DeskStatus
from pingan.desk.rules.kinds import Category, Route
from tests.integration.test_api_fraud import PHONE_A, PHONE_B, Api, assert_error, make_api

# Homes chosen so that rounding to 0.01° would be visible: 121.0537 → 121.05.
HOME_A = (121.0537, 29.0461)
HOME_B = (121.1549, 29.0552)


@pytest.fixture
def api(db: Database) -> Iterator[Api]:
    app = make_api(db)
    with app.client:
        with db.session() as s:
            for key, (lon, lat) in (("a", HOME_A), ("b", HOME_B)):
                person = s.get(Person, app.person[key])
                assert person is not None
                person.lon, person.lat = lon, lat
        yield app


@pytest.fixture
def warnings(api: Api) -> dict[str, int]:
    return {"a": api.report(PHONE_A, "rep-a")[0], "b": api.report(PHONE_B, "rep-b")[0]}


def _features(body: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    assert body["type"] == "FeatureCollection"
    return [f for f in body["features"] if kind is None or f["properties"].get("kind") == kind]


def _access_rows(api: Api) -> int:
    with api.db.session() as s:
        return s.scalar(select(func.count()).select_from(AccessLog)) or 0


def test_the_centre_gets_every_station_polygon_and_a_point_inside_each(api: Api) -> None:
    body = api.get("/map/areas", "commander").json()
    polygons = {f["properties"]["name"]: f for f in _features(body, "station")}
    points = {f["properties"]["name"]: f for f in _features(body, "station_point")}
    assert set(polygons) == set(points) == {"城东", "城西"}
    for name in polygons:
        area = shape(polygons[name]["geometry"])
        assert area.contains(Point(points[name]["geometry"]["coordinates"]))
        assert points[name]["properties"]["unit"] == f"{name}派出所"
    assert shape(polygons["城东"]["geometry"]).bounds == pytest.approx((121.0, 29.0, 121.1, 29.1))


def test_an_officer_gets_only_their_own_station(api: Api) -> None:
    body = api.get("/map/areas", "officer_a").json()
    assert {f["properties"]["name"] for f in body["features"]} == {"城东"}


def test_a_resident_gets_the_station_outlines_to_find_theirs(api: Api) -> None:
    body = api.get("/map/areas", "resident").json()
    assert {f["properties"]["name"] for f in _features(body, "station")} == {"城东", "城西"}


def test_the_map_needs_a_sign_in(api: Api) -> None:
    assert_error(api.client.get("/api/v1/map/areas"), 401)


def test_people_at_risk_are_shown_to_about_a_kilometre_not_at_their_home(api: Api, warnings: dict[str, int]) -> None:
    body = api.get("/map/warnings", "analyst").json()
    assert body["masked"] is True
    points = {tuple(f["geometry"]["coordinates"]): f["properties"] for f in body["features"]}
    assert set(points) == {(121.05, 29.05), (121.15, 29.06)}
    assert points[(121.05, 29.05)]["warning_ids"] == [warnings["a"]]
    assert all(p["exact"] is False for p in points.values())
    assert _access_rows(api) == 0


def test_warnings_in_the_same_cell_are_one_point_with_the_highest_level(api: Api, warnings: dict[str, int]) -> None:
    with api.db.session() as s:
        person = s.get(Person, api.person["b"])
        assert person is not None
        person.lon, person.lat = 121.0541, 29.0459  # a neighbour of A, in the same cell
    body = api.get("/map/warnings", "analyst").json()
    [cell] = body["features"]
    assert cell["properties"]["warnings"] == 2
    assert cell["properties"]["warning_ids"] == sorted(warnings.values())
    assert cell["properties"]["level"] in {"low", "medium", "high", "critical"}


def test_revealed_homes_are_exact_and_each_read_is_recorded(api: Api, warnings: dict[str, int]) -> None:
    body = api.get("/map/warnings", "analyst", reveal="true").json()
    assert body["masked"] is False
    assert {tuple(f["geometry"]["coordinates"]) for f in body["features"]} == {HOME_A, HOME_B}
    with api.db.session() as s:
        rows = list(s.scalars(select(AccessLog).order_by(AccessLog.subject_id)))
    assert [(r.subject_type, r.subject_id, r.fields) for r in rows] == [
        ("person", api.person["a"], "location"),
        ("person", api.person["b"], "location"),
    ]
    assert f"预警 {warnings['a']}" in rows[0].purpose


def test_an_officer_sees_only_their_station_s_people(api: Api, warnings: dict[str, int]) -> None:
    body = api.get("/map/warnings", "officer_a").json()
    assert [f["properties"]["warning_ids"] for f in body["features"]] == [[warnings["a"]]]
    one = api.get("/map/warnings", "officer_a", warning_id=warnings["b"]).json()
    assert one["features"] == []


@pytest.mark.parametrize("who", ["partner", "governance", "resident"])
def test_roles_that_cannot_read_warnings_get_no_map_of_them(api: Api, warnings: dict[str, int], who: str) -> None:
    assert_error(api.get("/map/warnings", who), 403)


def test_a_person_without_a_known_home_is_counted_not_placed(api: Api, warnings: dict[str, int]) -> None:
    with api.db.session() as s:
        person = s.get(Person, api.person["b"])
        assert person is not None
        person.lon = person.lat = None
    body = api.get("/map/warnings", "analyst").json()
    assert len(body["features"]) == 1
    assert body["unplaced"] == 1


def test_a_bad_filter_names_its_field(api: Api) -> None:
    assert_error(api.get("/map/warnings", "analyst", level="extreme"), 422, field="query.level")
    assert_error(api.get("/map/desk-requests", "analyst", state="maybe"), 422, field="query.state")


def _desk_request(api: Api, station: str, lon: float, lat: float) -> int:
    with api.db.session() as s:
        now = api.clock.now()
        row = DeskRequest(
            resident_id=api.user_id("resident"),
            phone="13600000009",
            category=Category.CONSULTATION,
            text="咨询",
            lon=lon,
            lat=lat,
            station_id=api.area[station],
            route=Route.STATION,
            unit_id=api.unit[station],
            status=DeskStatus.ISSUED,
            is_open=True,
            content_hash="x" * 32,
            created_at=now,
            updated_at=now,
            reply_due_at=now + timedelta(hours=4),
            week="2026-W48",
        )
        s.add(row)
        s.flush()
        return row.id


def test_desk_requests_are_placed_to_about_100_m_in_the_queue_s_scope(api: Api) -> None:
    a = _desk_request(api, "a", 121.053712, 29.046123)
    b = _desk_request(api, "b", 121.154912, 29.055234)
    body = api.get("/map/desk-requests", "commander").json()
    places = {f["properties"]["request_id"]: tuple(f["geometry"]["coordinates"]) for f in body["features"]}
    assert places == {a: (121.054, 29.046), b: (121.155, 29.055)}
    mine = api.get("/map/desk-requests", "officer_a").json()
    assert [f["properties"]["request_id"] for f in mine["features"]] == [a]
    assert mine["features"][0]["properties"]["station"] == "城东"
    exact = api.get("/map/desk-requests", "officer_a", reveal="true").json()
    assert exact["features"][0]["geometry"]["coordinates"] == [121.053712, 29.046123]
    assert _access_rows(api) == 1


def test_without_a_tile_server_there_is_no_base_layer(api: Api) -> None:
    assert api.get("/map/config", "officer_a").json() == {"tile_url": None, "tile_max_zoom": 18, "tile_crs": "wgs84"}
    page = api.client.get("/static/index.html")
    assert "img-src 'self' data:;" in page.text


def test_the_bureau_s_tile_server_is_the_base_layer_and_the_pages_allow_its_images(db: Database) -> None:
    settings = Settings(map_tile_url="https://pgis.gaj.local/tiles/{z}/{x}/{y}.png", map_tile_max_zoom=17)
    app = create_app(bootstrap(settings, db=db))
    with TestClient(app) as client:
        for page in ("/static/index.html", "/static/resident/index.html"):
            response = client.get(page)
            assert response.status_code == 200
            assert "img-src 'self' https://pgis.gaj.local data:" in response.text
            assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "url",
    [
        "https://pgis.local/tiles/{z}/{x}.png",  # no {y}
        "ftp://pgis.local/{z}/{x}/{y}.png",
        "pgis.local/{z}/{x}/{y}.png",
        "https://pgis.local/{z}/{x}/{y}.png' ; script-src *",
    ],
)
def test_a_tile_url_that_is_not_a_template_of_ours_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="tile URL"):
        Settings(map_tile_url=url)


def test_a_tile_path_on_this_server_needs_no_change_to_the_policy() -> None:
    settings = Settings(map_tile_url="/pgis/{z}/{x}/{y}.png")
    assert settings.map_tile_origin is None
