"""The generated demo county tiles its outline, is deterministic, and routes its own points home."""

from __future__ import annotations

import itertools
import random

import pytest
import shapely

from pingan.core.geo import AreaIndex, GeoArea
from pingan.demo.county import county_outline, generate_communities, generate_county, random_points_in

TOUCHING_AREA = 1e-12  # deg², about 0.01 m²: what two tiles sharing an edge may overlap by rounding


@pytest.fixture(scope="module")
def county() -> list[GeoArea]:
    return generate_county()


def _assert_tiles(areas: list[GeoArea], region: shapely.Geometry) -> None:
    for a, b in itertools.combinations(areas, 2):
        assert shapely.intersection(a.geometry, b.geometry).area < TOUCHING_AREA, (a.name, b.name)
    union = shapely.union_all([a.geometry for a in areas])
    assert shapely.symmetric_difference(union, region).area < 1e-9
    assert all(a.geometry.is_valid and a.geometry.area > 0 for a in areas)


def test_county_has_the_eighteen_towns_of_xiangshan(county: list[GeoArea]) -> None:
    assert len(county) == 18
    names = {a.name for a in county}
    assert {"丹东街道", "石浦镇", "鹤浦镇", "高塘岛乡", "泗洲头镇", "黄避岙乡"} <= names
    codes = [a.code or "" for a in county]
    assert codes == sorted(codes)
    assert len(set(codes)) == 18
    assert all(c.startswith("330225") and len(c) == 9 for c in codes)
    assert all(a.properties["station"].endswith("派出所") for a in county)


def test_county_lies_around_xiangshan(county: list[GeoArea]) -> None:
    xmin, ymin, xmax, ymax = shapely.union_all([a.geometry for a in county]).bounds
    assert 121.5 < xmin < xmax < 122.2
    assert 29.0 < ymin < ymax < 29.7


def test_stations_tile_the_outline_without_overlaps(county: list[GeoArea]) -> None:
    _assert_tiles(county, county_outline())


def test_island_towns_are_islands(county: list[GeoArea]) -> None:
    by_name = {a.name: a for a in county}
    mainland = max(shapely.get_parts(county_outline()), key=lambda p: p.area)
    for name in ("鹤浦镇", "高塘岛乡"):
        assert not by_name[name].geometry.intersects(mainland)
    assert by_name["石浦镇"].geometry.geom_type == "MultiPolygon"


def test_county_is_deterministic_for_a_seed(county: list[GeoArea]) -> None:
    again = generate_county(7)
    assert [a.name for a in again] == [a.name for a in county]
    assert all(a.geometry.equals_exact(b.geometry, 0.0) for a, b in zip(again, county, strict=True))
    other = generate_county(8)
    assert not all(a.geometry.equals_exact(b.geometry, 0.0) for a, b in zip(other, county, strict=True))
    _assert_tiles(other, county_outline())


def test_every_station_representative_point_maps_back(county: list[GeoArea]) -> None:
    index = AreaIndex([(i, a.geometry) for i, a in enumerate(county)])
    for i, area in enumerate(county):
        point = area.geometry.representative_point()
        assert index.lookup(point.x, point.y) == i, area.name


def test_random_points_fall_inside_and_repeat_for_a_seed(county: list[GeoArea]) -> None:
    shipu = next(a for a in county if a.name == "石浦镇")
    points = random_points_in(shipu.geometry, 200, random.Random(1))
    assert len(points) == 200
    assert all(shipu.geometry.contains(shapely.Point(p)) for p in points)
    assert points == random_points_in(shipu.geometry, 200, random.Random(1))
    assert random_points_in(shipu.geometry, 0, random.Random(1)) == []
    with pytest.raises(ValueError, match="no area"):
        random_points_in(shapely.LineString([(0, 0), (1, 1)]), 3, random.Random(1))


@pytest.mark.parametrize("name", ["丹东街道", "石浦镇", "高塘岛乡"])
def test_communities_tile_their_station(county: list[GeoArea], name: str) -> None:
    station = next(a for a in county if a.name == name)
    communities = generate_communities(station, 12, random.Random(3))
    assert len(communities) == 12
    _assert_tiles(communities, station.geometry)
    codes = [c.code for c in communities]
    assert len(set(codes)) == 12
    assert all(c is not None and c.startswith(station.code or "") and len(c) == 12 for c in codes)
    assert {c.properties["kind"] for c in communities} == {"社区", "村"}
    assert len({c.name for c in communities}) == 12
    assert all(c.properties["parent"] == station.code for c in communities)


def test_communities_are_deterministic_for_an_rng(county: list[GeoArea]) -> None:
    station = county[0]
    first = generate_communities(station, 8, random.Random(5))
    second = generate_communities(station, 8, random.Random(5))
    assert [c.name for c in first] == [c.name for c in second]
    assert all(a.geometry.equals_exact(b.geometry, 0.0) for a, b in zip(first, second, strict=True))


def test_one_community_is_the_whole_station(county: list[GeoArea]) -> None:
    (only,) = generate_communities(county[0], 1, random.Random(0))
    assert only.geometry.equals(county[0].geometry)
    assert only.properties["kind"] == "社区"
    with pytest.raises(ValueError, match="at least one"):
        generate_communities(county[0], 0, random.Random(0))


def test_many_communities_get_unique_names(county: list[GeoArea]) -> None:
    communities = generate_communities(county[0], 60, random.Random(2))
    assert len({c.name for c in communities}) == 60
    assert len({c.code for c in communities}) == 60


def test_community_names_do_not_repeat_across_the_towns_of_a_county(county: list[GeoArea]) -> None:
    rng = random.Random(7)
    taken: set[str] = set()
    names = [c.name for town in county for c in generate_communities(town, 6, rng, taken=taken)]
    assert len(names) == 6 * len(county)
    assert len({n.removesuffix("社区").removesuffix("村") for n in names}) == len(names)
