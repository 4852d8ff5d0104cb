"""Routing on real borders: the 18 towns of 象山县 as station areas, requests posted from phones in GCJ-02.

Points are taken close to the towns' shared borders (60 m or more inside, within a few hundred metres of
the line), where the 300-600 m GCJ-02 offset would put a request in the neighbouring town if it were
read as WGS84. Ground truth is checked two ways: our own conversion of WGS84 points, and the published
GCJ-02 copy of the boundaries (what a resident sees on an Amap or WeChat map).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point
from sqlalchemy import select

from pingan.core.areas import import_areas
from pingan.core.db import Database
from pingan.core.geo import CRS, AreaIndex, GeoArea, read_geojson_areas, wgs84_to_gcj02
from pingan.core.models import Area, Role, Unit, UnitKind, User
from pingan.desk.schemas import OfficerUpdate
from tests.integration.test_desk_api import World, build_world, db_fixture  # noqa: F401

pytestmark = pytest.mark.shared_data

M_PER_DEG = 111_195.0


@pytest.fixture
def xiangshan(db: Database, tmp_path: Path, shared_data: Path) -> Iterator[tuple[World, list[GeoArea], dict[str, int]]]:
    """The desk world plus the real towns as stations, each with its community officer."""
    world = build_world(db, tmp_path)
    towns = read_geojson_areas(shared_data / "geo" / "xiangshan_towns.geojson")
    officers: dict[str, int] = {}
    with db.session() as session:
        import_areas(session, towns)
        areas = {a.code: a.id for a in session.scalars(select(Area))}
        units = {u.area_id: u.id for u in session.scalars(select(Unit).where(Unit.kind == UnitKind.STATION))}
        for town in towns:
            assert town.code is not None
            user = User(
                username=f"officer-{town.code}", display_name=f"{town.name}民警", role=Role.OFFICER,
                unit_id=units[areas[town.code]], phone=None, active=True, created_at=world.clock.now(),
            )  # fmt: skip
            session.add(user)
            session.flush()
            officers[town.code] = user.id
    world.services.jurisdictions.invalidate()
    admin = world.actor("admin")
    for town in towns:
        assert town.code is not None
        world.services.desk.admin.set_officer(admin, officers[town.code], OfficerUpdate(area_id=areas[town.code]))
    yield world, towns, {code: areas[code] for code in officers}
    world.client.close()
    world.services.desk.close()


def _near_border_points(towns: list[GeoArea], pairs: int, inside_m: float = 60.0) -> list[tuple[GeoArea, float, float]]:
    """For the longest shared borders: one WGS84 point on each side, `inside_m` or more from the border."""
    borders = []
    for a, b in itertools.combinations(towns, 2):
        line = shapely.intersection(a.geometry.boundary, b.geometry.boundary)
        if line.length > 0:
            borders.append((line.length, a, b, line))
    borders.sort(key=lambda x: -x[0])
    out: list[tuple[GeoArea, float, float]] = []
    for _length, a, b, line in borders[:pairs]:
        mid = line.interpolate(0.5, normalized=True)
        found: dict[str, tuple[float, float]] = {}
        for radius_m in (150.0, 250.0, 400.0):
            for k in range(36):
                angle = 2 * math.pi * k / 36
                dlat = radius_m * math.sin(angle) / M_PER_DEG
                dlon = radius_m * math.cos(angle) / (M_PER_DEG * math.cos(math.radians(mid.y)))
                p = Point(mid.x + dlon, mid.y + dlat)
                if line.distance(p) * M_PER_DEG < inside_m:
                    continue
                for town in (a, b):
                    if (
                        town.code not in found
                        and town.geometry.contains(p)
                        and p.distance(town.geometry.boundary) * M_PER_DEG >= inside_m
                    ):
                        found[town.code or ""] = (p.x, p.y)
            if len(found) == 2:
                break
        for town in (a, b):
            if town.code in found:
                out.append((town, *found[town.code or ""]))
    return out


def test_gcj02_posts_near_real_town_borders_reach_the_right_station(
    xiangshan: tuple[World, list[GeoArea], dict[str, int]],
) -> None:
    world, towns, areas = xiangshan
    points = _near_border_points(towns, pairs=12)
    assert len(points) >= 20
    index = AreaIndex([(i, t.geometry) for i, t in enumerate(towns)])
    misread = 0
    for n, (town, lon, lat) in enumerate(points):
        glon, glat = wgs84_to_gcj02(lon, lat)
        me = world.quick_resident(f"1350000{n:04d}")
        posted = world.posted(me, category="hazard", text=f"第{n}处：路边护栏损坏", point=(glon, glat), crs="gcj02")
        assert posted["station"] == town.name, (town.name, lon, lat)
        assert posted["handler"]["officer"] == f"{town.name}民警"
        row = world.request_row(posted["id"])
        assert row.station_id == areas[town.code or ""]
        assert row.lon is not None
        assert row.lat is not None
        assert abs(row.lon - lon) < 1e-6
        assert abs(row.lat - lat) < 1e-6
        if index.lookup(glon, glat, CRS.WGS84) != towns.index(town):
            misread += 1
    # Read as WGS84, the same coordinates would have gone to the wrong station for many of these points.
    assert misread >= len(points) // 4


def test_points_inside_the_published_gcj02_boundaries_route_to_their_town(
    xiangshan: tuple[World, list[GeoArea], dict[str, int]], shared_data: Path
) -> None:
    world, towns, _areas = xiangshan
    gcj_towns = read_geojson_areas(shared_data / "geo" / "xiangshan_towns.gcj02.geojson")
    by_code = {t.code: t for t in towns}
    gcj_points = _near_border_points(gcj_towns, pairs=6)
    assert len(gcj_points) >= 10
    for n, (gcj_town, glon, glat) in enumerate(gcj_points):
        me = world.quick_resident(f"1350001{n:04d}")
        card = world.client.get(
            "/api/v1/desk/me/officer", params={"lon": glon, "lat": glat, "crs": "gcj02"}, headers=me
        ).json()
        assert card["name"] == f"{by_code[gcj_town.code].name}民警", (gcj_town.name, glon, glat)
