"""Geometry with answers obvious by eye: tiny squares, known offsets, broken GeoJSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box, mapping

from pingan.core.geo import (
    CRS,
    AreaIndex,
    GeoError,
    distance_m,
    gcj02_to_wgs84,
    in_china,
    read_geojson_areas,
    to_wgs84,
    to_wgs84_many,
    wgs84_to_gcj02,
)

# Two 1-degree squares on the equator sharing the edge lon = 11; B has the smaller key.
#
#   lat 1 +-------+-------+
#         |   A   |   B   |
#         |  (2)  |  (1)  |
#   lat 0 +-------+-------+
#        lon 10  lon 11  lon 12
A = box(10.0, 0.0, 11.0, 1.0)
B = box(11.0, 0.0, 12.0, 1.0)
KM_PER_DEG = 111.195  # at the equator, on the mean-radius sphere


@pytest.fixture
def index() -> AreaIndex:
    return AreaIndex([(2, A), (1, B)])


# --- lookup -----------------------------------------------------------------------------------------


def test_point_inside_a_square_returns_its_key(index: AreaIndex) -> None:
    assert index.lookup(10.5, 0.5) == 2
    assert index.lookup(11.5, 0.5) == 1


def test_point_on_outer_boundary_counts_as_inside(index: AreaIndex) -> None:
    assert index.lookup(10.0, 0.5) == 2
    assert index.lookup(10.0, 0.0) == 2


def test_point_on_shared_edge_returns_smallest_key_whatever_the_order() -> None:
    forward = AreaIndex([(2, A), (1, B)])
    backward = AreaIndex([(1, B), (2, A)])
    for lon, lat in [(11.0, 0.5), (11.0, 0.0), (11.0, 1.0)]:
        answers = {forward.lookup(lon, lat) for _ in range(3)} | {backward.lookup(lon, lat)}
        answers |= set(forward.lookup_many([lon], [lat])) | set(backward.lookup_many([lon], [lat]))
        assert answers == {1}


def test_point_just_off_shore_snaps_to_the_nearest_area(index: AreaIndex) -> None:
    # 0.005 deg = 556 m east of B, 556 m west of A.
    assert index.lookup(12.005, 0.5) == 1
    assert index.lookup(9.995, 0.5) == 2


def test_point_beyond_snap_distance_is_in_no_area(index: AreaIndex) -> None:
    assert index.lookup(12.02, 0.5) is None  # 2.2 km
    assert index.lookup(50.0, 50.0) is None


def test_snap_distance_is_configurable() -> None:
    assert AreaIndex([(1, B)], snap_m=0.0).lookup(12.005, 0.5) is None
    assert AreaIndex([(1, B)], snap_m=3000.0).lookup(12.02, 0.5) == 1


def test_equidistant_off_shore_point_snaps_to_smallest_key(index: AreaIndex) -> None:
    assert index.lookup(11.0, -0.005) == 1


def test_snap_distance_is_measured_in_metres_not_degrees() -> None:
    # At 60 N a degree of longitude is half a degree of latitude.
    square = box(10.0, 60.0, 10.1, 60.1)
    idx = AreaIndex([(7, square)], snap_m=1000.0)
    assert 800 < distance_m(10.115, 60.05, 10.1, 60.05) < 900
    assert idx.lookup(10.115, 60.05) == 7
    assert idx.lookup(10.05, 60.115) is None  # the same 0.015 deg north is 1.67 km


def test_hole_belongs_to_the_area_inside_it() -> None:
    donut = Polygon(
        [(0, 0), (3, 0), (3, 3), (0, 3)],
        [[(1, 1), (2, 1), (2, 2), (1, 2)]],
    )
    idx = AreaIndex([(1, donut), (5, box(1, 1, 2, 2))])
    assert idx.lookup(1.5, 1.5) == 5
    assert idx.lookup(0.5, 0.5) == 1
    assert idx.lookup(1.0, 1.5) == 1  # on the hole's edge: both, smallest key
    assert AreaIndex([(1, donut)]).lookup(1.5, 1.5) is None  # 55 km from the hole's edge


def test_multipolygon_and_repeated_keys_are_one_area() -> None:
    islands = shapely.MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)])
    idx = AreaIndex([(3, islands), (4, box(20, 20, 21, 21)), (4, box(30, 30, 31, 31))])
    assert len(idx) == 3
    assert idx.lookup_many([0.5, 5.5, 20.5, 30.5, 10.0], [0.5, 5.5, 20.5, 30.5, 10.0]) == [3, 3, 4, 4, None]


def test_lookup_many_matches_lookup_and_accepts_arrays(index: AreaIndex) -> None:
    rng = np.random.default_rng(0)
    lons = rng.uniform(9.98, 12.02, 2000)
    lats = rng.uniform(-0.02, 1.02, 2000)
    expected = [index.lookup(float(x), float(y)) for x, y in zip(lons, lats, strict=True)]
    assert index.lookup_many(lons, lats) == expected
    assert index.lookup_many(lons.tolist(), lats.tolist()) == expected
    assert {k for k in expected} == {1, 2, None}


def test_lookup_many_edge_cases(index: AreaIndex) -> None:
    assert index.lookup_many([], []) == []
    assert index.lookup_many([math.nan, 10.5], [0.5, math.inf]) == [None, None]
    assert index.lookup(math.nan, 0.5) is None
    with pytest.raises(ValueError, match="differ in length"):
        index.lookup_many([1.0, 2.0], [1.0])


def test_empty_index_finds_nothing() -> None:
    idx = AreaIndex([])
    assert len(idx) == 0
    assert idx.lookup(10.5, 0.5) is None
    assert idx.lookup_many([10.5], [0.5]) == [None]


def test_index_rejects_non_polygons_and_bad_snap() -> None:
    with pytest.raises(GeoError, match="area 9"):
        AreaIndex([(9, shapely.Point(0, 0))])
    with pytest.raises(ValueError, match="snap_m"):
        AreaIndex([(1, A)], snap_m=-1.0)


def test_gcj02_point_is_converted_before_lookup() -> None:
    # A 200 m square in Xiangshan; its GCJ-02 coordinates are ~490 m away, outside it.
    lon, lat = 121.9, 29.4
    square = box(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)
    idx = AreaIndex([(1, square)], snap_m=0.0)
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert idx.lookup(glon, glat) is None
    assert idx.lookup(glon, glat, CRS.GCJ02) == 1
    assert idx.lookup_many([glon], [glat], CRS.GCJ02) == [1]


# --- coordinate systems ------------------------------------------------------------------------------


def test_wgs84_to_gcj02_matches_the_reference_implementation() -> None:
    # The example in wandergis/coordtransform's README.
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-12)


def test_gcj02_offset_in_xiangshan_is_a_few_hundred_metres() -> None:
    glon, glat = wgs84_to_gcj02(121.9, 29.4)
    assert 300 < distance_m(121.9, 29.4, glon, glat) < 600


def test_gcj02_round_trip_is_accurate_across_china() -> None:
    grid_lons, grid_lats = np.meshgrid(np.linspace(73.5, 135.0, 60), np.linspace(18.0, 53.5, 40))
    lons, lats = grid_lons.ravel(), grid_lats.ravel()
    gcj = np.array([wgs84_to_gcj02(float(x), float(y)) for x, y in zip(lons, lats, strict=True)])
    assert np.all(np.hypot(gcj[:, 0] - lons, gcj[:, 1] - lats) > 1e-4)  # an offset everywhere
    back = np.array([gcj02_to_wgs84(float(x), float(y)) for x, y in gcj])
    assert np.max(np.abs(back - np.column_stack((lons, lats)))) < 1e-8
    # The vectorised inverse agrees with the scalar one.
    many_lons, many_lats = to_wgs84_many(gcj[:, 0], gcj[:, 1], CRS.GCJ02)
    assert np.max(np.abs(np.column_stack((many_lons, many_lats)) - back)) < 1e-9


def test_inverse_is_better_than_the_one_step_approximation() -> None:
    glon, glat = 121.9, 29.4
    one_step = (2 * glon - wgs84_to_gcj02(glon, glat)[0], 2 * glat - wgs84_to_gcj02(glon, glat)[1])
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert wgs84_to_gcj02(wlon, wlat) == pytest.approx((glon, glat), abs=1e-9)
    assert wgs84_to_gcj02(*one_step) != pytest.approx((glon, glat), abs=1e-7)


def test_outside_china_there_is_no_offset() -> None:
    paris = (2.3522, 48.8566)
    assert wgs84_to_gcj02(*paris) == paris
    assert gcj02_to_wgs84(*paris) == paris
    assert to_wgs84(*paris, CRS.GCJ02) == paris
    lons, lats = to_wgs84_many([paris[0]], [paris[1]], CRS.GCJ02)
    assert (lons[0], lats[0]) == paris


def test_to_wgs84_leaves_wgs84_alone() -> None:
    assert to_wgs84(121.9, 29.4, CRS.WGS84) == (121.9, 29.4)
    assert to_wgs84(121.9, 29.4, CRS.GCJ02) == gcj02_to_wgs84(121.9, 29.4)
    assert CRS("gcj02") is CRS.GCJ02


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (121.9, 29.4, True),  # Xiangshan
        (126.6, 45.8, True),  # Harbin
        (109.5, 18.2, True),  # Sanya
        (72.004, 30.0, True),
        (72.003, 30.0, False),
        (137.8347, 30.0, True),
        (137.835, 30.0, False),
        (100.0, 0.8293, True),
        (100.0, 0.8292, False),
        (100.0, 55.8271, True),
        (100.0, 55.8272, False),
        (0.0, 0.0, False),
        (29.4, 121.9, False),  # lon/lat swapped
        (-121.9, 29.4, False),
    ],
)
def test_in_china_is_a_rough_box(lon: float, lat: float, expected: bool) -> None:
    assert in_china(lon, lat) is expected


def test_distance_m() -> None:
    assert distance_m(10.0, 0.0, 10.0, 1.0) == pytest.approx(KM_PER_DEG * 1000, rel=1e-4)
    assert distance_m(121.9, 29.4, 121.9, 29.4) == 0.0
    assert distance_m(116.39, 39.91, 121.47, 31.23) == pytest.approx(1_067_000, rel=0.01)  # Beijing-Shanghai


# --- GeoJSON -----------------------------------------------------------------------------------------


def _feature(name: Any = "A", geometry: Any = None, **props: Any) -> dict[str, Any]:
    properties = {"adcode": "330225001", **props}
    if name is not None:
        properties["name"] = name
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": geometry if geometry is not None else mapping(box(0, 0, 1, 1)),
    }


def _collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def test_reads_polygons_and_multipolygons() -> None:
    multi = mapping(shapely.MultiPolygon([box(2, 0, 3, 1), box(4, 0, 5, 1)]))
    areas = read_geojson_areas(_collection(_feature("A"), _feature("B", multi, adcode=330225002, level="x")))
    assert [(a.name, a.code) for a in areas] == [("A", "330225001"), ("B", "330225002")]
    assert areas[0].geometry.equals(box(0, 0, 1, 1))
    assert areas[1].geometry.geom_type == "MultiPolygon"
    assert areas[1].properties["level"] == "x"


def test_reads_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "a.geojson"
    path.write_text(json.dumps(_collection(_feature())), encoding="utf-8")
    assert [a.name for a in read_geojson_areas(path)] == ["A"]
    assert [a.name for a in read_geojson_areas(str(path))] == ["A"]


def test_gcj02_input_is_converted_to_wgs84() -> None:
    ring = [(121.90, 29.40), (121.91, 29.40), (121.91, 29.41), (121.90, 29.41), (121.90, 29.40)]
    geojson = {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}
    (area,) = read_geojson_areas(_collection(_feature("A", geojson)), crs=CRS.GCJ02)
    expected = [gcj02_to_wgs84(*p) for p in ring]
    assert np.allclose(np.asarray(area.geometry.exterior.coords), expected, atol=1e-12, rtol=0)


def test_z_values_are_dropped_and_rings_closed() -> None:
    geojson = {"type": "Polygon", "coordinates": [[[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 1, 5]]]}
    (area,) = read_geojson_areas(_collection(_feature("A", geojson)))
    assert not area.geometry.has_z
    assert area.geometry.equals(box(0, 0, 1, 1))


def test_invalid_geometry_is_repaired_to_its_polygonal_parts() -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    (area,) = read_geojson_areas(_collection(_feature("A", bowtie)))
    assert area.geometry.is_valid
    assert area.geometry.geom_type == "MultiPolygon"
    assert area.geometry.area == pytest.approx(2.0)


def test_code_property_can_be_switched_off() -> None:
    feature = _feature("A")
    del feature["properties"]["adcode"]
    (area,) = read_geojson_areas(_collection(feature), code_property=None)
    assert area.code is None


def _error(obj: Any, **kwargs: Any) -> GeoError:
    with pytest.raises(GeoError) as info:
        read_geojson_areas(obj, **kwargs)
    return info.value


def test_error_names_feature_missing_its_name() -> None:
    err = _error(_collection(_feature("A"), _feature(None)))
    assert "feature 1" in str(err)
    assert "'name'" in str(err)
    assert (err.feature_index, err.property) == (1, "name")


def test_error_names_a_custom_name_property() -> None:
    err = _error(_collection(_feature("A")), name_property="town")
    assert "feature 0" in str(err)
    assert "'town'" in str(err)


def test_error_names_feature_missing_its_code() -> None:
    feature = _feature("石浦镇")
    feature["properties"]["adcode"] = None
    err = _error(_collection(_feature("A"), _feature("B"), feature))
    assert "feature 2 ('石浦镇')" in str(err)
    assert "'adcode'" in str(err)
    assert (err.feature_index, err.property) == (2, "adcode")


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Point", "coordinates": [1, 2]}, "'Point' is not Polygon or MultiPolygon"),
        ({"type": "Polygon", "coordinates": []}, "no coordinates"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}, "fewer than 3"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, "x"], [1, 1], [0, 0]]]}, "not a list of"),
        ({"type": "Polygon", "coordinates": [[[29, 121], [30, 121], [30, 122], [29, 121]]]}, "out of lon/lat"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]}, "no area"),
        ({"type": "MultiPolygon", "coordinates": [[]]}, "without rings"),
        ("nonsense", "'geometry' is missing"),
    ],
)
def test_bad_geometry_error_names_the_feature(geometry: Any, message: str) -> None:
    feature = _feature("B", geometry)
    if geometry == "nonsense":
        feature["geometry"] = None
    err = _error(_collection(_feature("A"), feature))
    assert "feature 1 ('B')" in str(err)
    assert message in str(err)
    assert (err.feature_index, err.property) == (1, "geometry")


def test_error_when_not_a_feature_collection(tmp_path: Path) -> None:
    assert "FeatureCollection" in str(_error({"type": "Feature"}))
    assert "'features'" in str(_error({"type": "FeatureCollection"}))
    assert "feature 0" in str(_error(_collection({"type": "Nope"})))
    path = tmp_path / "broken.geojson"
    path.write_text("{not json")
    assert "not JSON" in str(_error(path))
    assert isinstance(_error(path), ValueError)
