"""Point lookup against the real 18 towns of 象山县, in WGS84 and GCJ-02 (shared data, tests only)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from pingan.core.geo import CRS, AreaIndex, GeoArea, distance_m, read_geojson_areas, wgs84_to_gcj02

pytestmark = pytest.mark.shared_data

BBOX = (121.56, 28.85, 122.28, 29.66)  # the county, islands included


@pytest.fixture(scope="module")
def towns(shared_data: Path) -> list[GeoArea]:
    return read_geojson_areas(shared_data / "geo" / "xiangshan_towns.geojson")


@pytest.fixture(scope="module")
def index(towns: list[GeoArea]) -> AreaIndex:
    return AreaIndex([(i, t.geometry) for i, t in enumerate(towns)])


def _shared_borders(towns: list[GeoArea]) -> list[tuple[int, int, shapely.Geometry]]:
    """(i, j, border) for each pair of towns sharing a border line, longest border first."""
    pairs = []
    for i, j in itertools.combinations(range(len(towns)), 2):
        border = shapely.line_merge(shapely.intersection(towns[i].geometry.boundary, towns[j].geometry.boundary))
        if border.length > 0:
            pairs.append((i, j, border))
    return sorted(pairs, key=lambda p: -p[2].length)


def test_reads_the_eighteen_towns(towns: list[GeoArea], index: AreaIndex) -> None:
    assert len(towns) == len(index) == 18
    assert {t.code for t in towns} >= {"330225001", "330225101", "330225204"}
    assert all(t.geometry.is_valid for t in towns)
    assert sum(t.geometry.geom_type == "MultiPolygon" for t in towns) >= 8


def test_each_towns_representative_point_maps_to_it(towns: list[GeoArea], index: AreaIndex) -> None:
    for i, town in enumerate(towns):
        p = town.geometry.representative_point()
        assert index.lookup(p.x, p.y) == i, town.name


def test_points_on_islands_map_to_their_town(towns: list[GeoArea], index: AreaIndex) -> None:
    checked = 0
    for i, town in enumerate(towns):
        islands = sorted(shapely.get_parts(town.geometry), key=lambda g: g.area)[:-1]
        for island in islands[:3]:  # the smallest ones: rocks a few hundred metres across
            p = island.representative_point()
            assert index.lookup(p.x, p.y) == i, town.name
            assert index.lookup_many([p.x], [p.y]) == [i]
            checked += 1
    assert checked >= 20


def test_point_on_a_shared_border_gets_the_same_one_of_the_two(towns: list[GeoArea], index: AreaIndex) -> None:
    reversed_index = AreaIndex([(i, t.geometry) for i, t in reversed(list(enumerate(towns)))])
    borders = _shared_borders(towns)
    assert len(borders) >= 20
    for i, j, border in borders:
        # A vertex of both towns lies exactly on the border (no floating-point doubt about it).
        vertices = set(map(tuple, shapely.get_coordinates(towns[i].geometry).tolist()))
        shared = [c for c in shapely.get_coordinates(border).tolist() if tuple(c) in vertices]
        lon, lat = shared[len(shared) // 2]
        assert towns[j].geometry.intersects(Point(lon, lat))
        answers = {index.lookup(lon, lat) for _ in range(3)}
        answers |= {reversed_index.lookup(lon, lat)}
        answers |= set(index.lookup_many([lon, lon], [lat, lat]))
        assert answers == {min(i, j)}, (towns[i].name, towns[j].name)


def test_gcj02_file_gives_the_same_towns(shared_data: Path, towns: list[GeoArea]) -> None:
    gcj = read_geojson_areas(shared_data / "geo" / "xiangshan_towns.gcj02.geojson", crs=CRS.GCJ02)
    assert [t.name for t in gcj] == [t.name for t in towns]
    gcj_index = AreaIndex([(i, t.geometry) for i, t in enumerate(gcj)])
    for i, town in enumerate(towns):
        p = town.geometry.representative_point()
        assert gcj_index.lookup(p.x, p.y) == i, town.name
        # Converted back, the outlines agree with the WGS84 file to well under a metre.
        assert shapely.hausdorff_distance(gcj[i].geometry, town.geometry) < 1e-5


def _point_inside_near_border(towns: list[GeoArea]) -> tuple[int, int, float, float]:
    """A WGS84 point ~150 m inside town A whose GCJ-02 coordinates, read as WGS84, fall in town B."""
    for a, b, border in _shared_borders(towns)[:10]:
        for fraction in np.linspace(0.05, 0.95, 19):
            q = border.interpolate(fraction, normalized=True)
            for angle in np.linspace(0, 2 * math.pi, 16, endpoint=False):
                for inside, outside in ((a, b), (b, a)):
                    lon = q.x + 150 * math.cos(angle) / (111_195 * math.cos(math.radians(q.y)))
                    lat = q.y + 150 * math.sin(angle) / 111_195
                    home = towns[inside].geometry
                    depth = shapely.distance(home.boundary, Point(lon, lat)) * 111_195
                    if not (home.contains(Point(lon, lat)) and depth > 100):
                        continue
                    glon, glat = wgs84_to_gcj02(lon, lat)
                    if towns[outside].geometry.contains(Point(glon, glat)):
                        return inside, outside, lon, lat
    raise AssertionError("no border point found where the GCJ-02 offset crosses towns")


def test_gcj02_point_near_a_border_routes_to_the_right_town(towns: list[GeoArea], index: AreaIndex) -> None:
    home, other, lon, lat = _point_inside_near_border(towns)
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert 300 < distance_m(lon, lat, glon, glat) < 600
    assert index.lookup(lon, lat) == home
    assert index.lookup(glon, glat) == other  # the bug this guards against: GCJ-02 taken as WGS84
    assert index.lookup(glon, glat, CRS.GCJ02) == home
    assert index.lookup_many([glon], [glat], CRS.GCJ02) == [home]


def test_lookup_many_equals_lookup_point_by_point(index: AreaIndex) -> None:
    rng = np.random.default_rng(20)
    lons = rng.uniform(BBOX[0], BBOX[2], 10_000)
    lats = rng.uniform(BBOX[1], BBOX[3], 10_000)
    many = index.lookup_many(lons, lats)
    single = [index.lookup(float(x), float(y)) for x, y in zip(lons, lats, strict=True)]
    assert many == single
    found = sum(k is not None for k in many)
    assert 0.2 * len(many) < found < 0.8 * len(many)  # land and sea both exercised
    assert len(set(many)) == 19  # every town, and None
    gcj_many = index.lookup_many(lons[:2000], lats[:2000], CRS.GCJ02)
    gcj_single = [index.lookup(float(x), float(y), CRS.GCJ02) for x, y in zip(lons[:2000], lats[:2000], strict=True)]
    assert gcj_many == gcj_single


def test_point_just_off_an_island_snaps_to_it(towns: list[GeoArea], index: AreaIndex) -> None:
    # Find an island vertex, then step 300 m straight out to sea from the island's centre.
    for i, town in enumerate(towns):
        for island in sorted(shapely.get_parts(town.geometry), key=lambda g: g.area)[:-1]:
            c = island.centroid
            x, y = island.exterior.coords[0]
            dx, dy = x - c.x, y - c.y
            scale = 300 / distance_m(x, y, x + dx, y + dy)
            lon, lat = x + dx * scale, y + dy * scale
            others = [t.geometry for k, t in enumerate(towns) if k != i]
            if any(g.contains(Point(lon, lat)) for g in [*others, town.geometry]):
                continue
            if min(shapely.distance(Point(lon, lat), g) for g in others) * 111_195 * 0.85 < 1200:
                continue  # another town could be as near: not obvious by eye
            assert index.lookup(lon, lat) == i, town.name
            return
    raise AssertionError("no isolated island found")


def test_point_far_out_at_sea_is_in_no_town(index: AreaIndex) -> None:
    assert index.lookup(122.6, 29.3) is None
    assert index.lookup_many([122.6, 121.3], [29.3, 28.5]) == [None, None]
