"""Jurisdiction geometry: coordinate systems, GeoJSON areas and "which area contains this point".

Pure: no database, no network. Coordinates are lon/lat degrees, stored WGS84 (DESIGN §7); inputs
may say GCJ-02, the offset datum of Chinese maps and phones (WeChat ``getLocation``, Amap, Tencent),
which sits 300-600 m from WGS84 in Zhejiang: enough to route a point near a town border to the
wrong station, so every entry point takes a :class:`CRS` and converts before looking up.

Errors: malformed areas raise :class:`GeoError` (a ``ValueError``) naming the feature and property.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np
import orjson
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "CRS",
    "AreaIndex",
    "GeoArea",
    "GeoError",
    "distance_m",
    "gcj02_to_wgs84",
    "in_china",
    "polygonal_parts",
    "read_geojson_areas",
    "to_wgs84",
    "to_wgs84_many",
    "wgs84_to_gcj02",
]

FloatArray = NDArray[np.float64]
_Num = TypeVar("_Num", float, FloatArray)

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), for haversine distances."""
M_PER_DEG_LAT = EARTH_RADIUS_M * math.pi / 180.0

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 obfuscation.
_GCJ_A = 6_378_245.0
_GCJ_EE = 0.00669342162296594323
_GCJ_INVERSE_TOL_DEG = 1e-9
_GCJ_INVERSE_MAX_ITER = 30


class CRS(StrEnum):
    """Coordinate reference system of an input coordinate."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"


class GeoError(ValueError):
    """Bad GeoJSON or geometry. ``feature_index`` (0-based) and ``property`` say where, when known."""

    def __init__(self, message: str, *, feature_index: int | None = None, property: str | None = None) -> None:
        super().__init__(message)
        self.feature_index = feature_index
        self.property = property


# --- coordinate systems --------------------------------------------------------------------------


def _as_float_array(values: ArrayLike, what: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
    return arr


def _in_china_box(lon: _Num, lat: _Num) -> Any:
    # Works elementwise on arrays and on plain floats alike.
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def in_china(lon: float, lat: float) -> bool:
    """Whether a lon/lat falls in the rough bounding box of China (mainland and islands).

    This is the box used by the common open-source GCJ-02 implementations (72.004-137.8347 E,
    0.8293-55.8271 N), so it decides the offset the same way most software does. It is only a
    rectangle: it also takes in Mongolia, the Korean peninsula, western Japan, much of mainland
    South-East Asia and northern India, and it covers Taiwan, Hong Kong and Macau, where map
    providers may not apply the offset. Use it to reject coordinates that are plainly not in China
    (``0, 0``, swapped lon/lat, another hemisphere), not as a border test.
    """
    return bool(_in_china_box(float(lon), float(lat)))


def _gcj_offset(lon: _Num, lat: _Num, m: ModuleType) -> tuple[_Num, _Num]:
    """The GCJ-02 shift (dlon, dlat) in degrees at WGS84 points, regardless of the China box.

    ``m`` is ``math`` for floats or ``numpy`` for arrays, so the formula is written once.
    """
    pi = math.pi
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = m.sqrt(abs(x))
    common = (20.0 * m.sin(6.0 * x * pi) + 20.0 * m.sin(2.0 * x * pi)) * 2.0 / 3.0
    t_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    t_lat += (20.0 * m.sin(y * pi) + 40.0 * m.sin(y / 3.0 * pi)) * 2.0 / 3.0
    t_lat += (160.0 * m.sin(y / 12.0 * pi) + 320.0 * m.sin(y * pi / 30.0)) * 2.0 / 3.0
    t_lon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    t_lon += (20.0 * m.sin(x * pi) + 40.0 * m.sin(x / 3.0 * pi)) * 2.0 / 3.0
    t_lon += (150.0 * m.sin(x / 12.0 * pi) + 300.0 * m.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * pi
    magic = 1.0 - _GCJ_EE * m.sin(rad_lat) ** 2
    sqrt_magic = m.sqrt(magic)
    dlat = (t_lat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * pi)
    dlon = (t_lon * 180.0) / (_GCJ_A / sqrt_magic * m.cos(rad_lat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 to GCJ-02; points outside :func:`in_china` are returned unchanged."""
    lon, lat = float(lon), float(lat)
    if not _in_china_box(lon, lat):
        return lon, lat
    dlon, dlat = _gcj_offset(lon, lat, math)
    return lon + dlon, lat + dlat


# The forward map is a small, smooth shift, so the fixed-point iteration w <- w - (f(w) - g)
# gains a factor of ~50 per step: 5-6 steps reach 1e-9 degrees (0.1 mm), well inside the 1e-7 asked.


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 to WGS84, iterated until the round trip is within 1e-9 degrees (not the one-step guess).

    Points outside :func:`in_china` are returned unchanged.
    """
    lon, lat = float(lon), float(lat)
    if not _in_china_box(lon, lat):
        return lon, lat
    w_lon, w_lat = lon, lat
    for _ in range(_GCJ_INVERSE_MAX_ITER):
        dlon, dlat = _gcj_offset(w_lon, w_lat, math)
        err_lon = w_lon + dlon - lon
        err_lat = w_lat + dlat - lat
        w_lon -= err_lon
        w_lat -= err_lat
        if max(abs(err_lon), abs(err_lat)) < _GCJ_INVERSE_TOL_DEG:
            break
    return w_lon, w_lat


def _gcj02_to_wgs84_many(lons: FloatArray, lats: FloatArray) -> tuple[FloatArray, FloatArray]:
    inside = _in_china_box(lons, lats)
    w_lon = lons.copy()
    w_lat = lats.copy()
    for _ in range(_GCJ_INVERSE_MAX_ITER):
        dlon, dlat = _gcj_offset(w_lon, w_lat, np)
        err_lon = w_lon + dlon - lons
        err_lat = w_lat + dlat - lats
        w_lon -= err_lon
        w_lat -= err_lat
        worst = np.max(np.abs(np.concatenate((err_lon[inside], err_lat[inside]))), initial=0.0)
        if not worst >= _GCJ_INVERSE_TOL_DEG:  # also stops on NaN input
            break
    return np.where(inside, w_lon, lons), np.where(inside, w_lat, lats)


def to_wgs84(lon: float, lat: float, crs: CRS) -> tuple[float, float]:
    """A coordinate given in ``crs``, in WGS84."""
    if crs is CRS.WGS84:
        return float(lon), float(lat)
    return gcj02_to_wgs84(lon, lat)


def to_wgs84_many(lons: ArrayLike, lats: ArrayLike, crs: CRS) -> tuple[FloatArray, FloatArray]:
    """Vectorised :func:`to_wgs84`: two 1-d arrays of equal length, returned as new float64 arrays."""
    lon_arr = _as_float_array(lons, "lons")
    lat_arr = _as_float_array(lats, "lats")
    if lon_arr.shape != lat_arr.shape:
        raise ValueError(f"lons and lats differ in length: {lon_arr.size} != {lat_arr.size}")
    if crs is CRS.WGS84:
        return lon_arr.copy(), lat_arr.copy()
    return _gcj02_to_wgs84_many(lon_arr, lat_arr)


def _haversine_m(lon1: FloatArray, lat1: FloatArray, lon2: FloatArray, lat2: FloatArray) -> FloatArray:
    phi1 = np.radians(lat1)
    phi2 = np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(lon2 - lon1)
    h = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    result: FloatArray = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return result


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle (haversine) distance in metres on a sphere of the mean Earth radius (error < 0.5%)."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2.0) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2.0) ** 2
    )
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, max(0.0, h))))


# --- GeoJSON areas -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeoArea:
    """A named area with polygonal WGS84 geometry, as read from one GeoJSON feature."""

    name: str
    code: str | None
    geometry: BaseGeometry
    properties: dict[str, Any] = field(default_factory=dict, compare=False)


def polygonal_parts(geom: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons in any geometry: collections are flattened, lines and points dropped.

    Overlay results (intersection, ``make_valid``) can carry slivers of lower dimension; this keeps
    the area.
    """
    parts = shapely.get_parts(geom)
    out: list[Polygon] = []
    for part in parts:
        if isinstance(part, Polygon):
            if not part.is_empty:
                out.append(part)
        elif isinstance(part, MultiPolygon) or part.geom_type == "GeometryCollection":
            out.extend(polygonal_parts(part))
    return out


def _as_polygonal(parts: Sequence[Polygon]) -> BaseGeometry:
    return parts[0] if len(parts) == 1 else MultiPolygon(list(parts))


def _where(index: int, name: str | None) -> str:
    return f"feature {index}" if name is None else f"feature {index} ({name!r})"


def _ring(raw: Any, crs: CRS, where: str) -> FloatArray:
    try:
        coords = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise GeoError(f"{where}: geometry has a ring that is not a list of [lon, lat] positions") from None
    if coords.ndim != 2 or coords.shape[1] < 2:
        raise GeoError(f"{where}: geometry has a ring that is not a list of [lon, lat] positions")
    coords = coords[:, :2]  # drop Z/M
    if not np.all(np.isfinite(coords)):
        raise GeoError(f"{where}: geometry has non-finite coordinates")
    lons, lats = coords[:, 0], coords[:, 1]
    if np.any(np.abs(lons) > 180.0) or np.any(np.abs(lats) > 90.0):
        raise GeoError(f"{where}: coordinates out of lon/lat range (swapped, or projected?)")
    if len(coords) and not np.array_equal(coords[0], coords[-1]):
        coords = np.vstack((coords, coords[:1]))  # some producers forget to close rings
    if len(coords) < 4:
        raise GeoError(f"{where}: geometry has a ring with fewer than 3 distinct positions")
    if crs is not CRS.WGS84:
        wlon, wlat = to_wgs84_many(coords[:, 0], coords[:, 1], crs)
        coords = np.column_stack((wlon, wlat))
    return coords


def _geometry(raw: Any, crs: CRS, where: str) -> BaseGeometry:
    if not isinstance(raw, Mapping):
        raise GeoError(f"{where}: 'geometry' is missing or not an object")
    kind = raw.get("type")
    coordinates = raw.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        raise GeoError(f"{where}: geometry type {kind!r} is not Polygon or MultiPolygon")
    if not isinstance(coordinates, list | tuple) or not coordinates:
        raise GeoError(f"{where}: {kind} has no coordinates")
    polygon_list: Sequence[Any] = [coordinates] if kind == "Polygon" else coordinates
    polygons: list[Polygon] = []
    for rings in polygon_list:
        if not isinstance(rings, list | tuple) or not rings:
            raise GeoError(f"{where}: {kind} has a polygon without rings")
        shell, *holes = (_ring(r, crs, where) for r in rings)
        polygons.append(Polygon(shell, holes))
    geom = _as_polygonal(polygons)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        repaired = polygonal_parts(shapely.make_valid(geom))
        if not repaired:
            raise GeoError(f"{where}: invalid geometry ({reason}) has no area once repaired")
        geom = _as_polygonal(repaired)
    if geom.area <= 0.0:
        raise GeoError(f"{where}: geometry has no area")
    return geom


def _load(path_or_obj: Path | str | os.PathLike[str] | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(path_or_obj, Mapping):
        return path_or_obj
    path = Path(path_or_obj)
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise GeoError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise GeoError(f"{path}: expected a GeoJSON FeatureCollection object")
    return data


def read_geojson_areas(
    path_or_obj: Path | str | os.PathLike[str] | Mapping[str, Any],
    *,
    name_property: str = "name",
    code_property: str | None = "adcode",
    crs: CRS = CRS.WGS84,
) -> list[GeoArea]:
    """Areas from a GeoJSON FeatureCollection of Polygon/MultiPolygon features, in file order.

    ``path_or_obj`` is a file path or an already-parsed object. Coordinates given in ``crs`` are
    converted to WGS84; Z values are dropped; unclosed rings are closed. Invalid geometry
    (self-intersections, overlapping parts) is repaired with ``shapely.make_valid``, keeping only its
    polygonal parts. Each feature needs a non-empty ``name_property`` and, unless ``code_property`` is
    None, a non-null ``code_property`` (numbers are turned into strings). Anything else raises
    :class:`GeoError` naming the feature (0-based index in ``features``) and the property.
    """
    data = _load(path_or_obj)
    if data.get("type") != "FeatureCollection":
        raise GeoError(f"expected a GeoJSON FeatureCollection, got type {data.get('type')!r}")
    features = data.get("features")
    if not isinstance(features, list | tuple):
        raise GeoError("FeatureCollection has no 'features' list", property="features")
    areas: list[GeoArea] = []
    for index, feature in enumerate(features):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise GeoError(f"{_where(index, None)}: not a GeoJSON Feature", feature_index=index)
        props = feature.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, Mapping):
            raise GeoError(f"{_where(index, None)}: 'properties' is not an object", feature_index=index)
        name = props.get(name_property)
        if not isinstance(name, str) or not name.strip():
            raise GeoError(
                f"{_where(index, None)}: property {name_property!r} is missing or empty",
                feature_index=index,
                property=name_property,
            )
        where = _where(index, name)
        code: str | None = None
        if code_property is not None:
            raw_code = props.get(code_property)
            if isinstance(raw_code, bool) or not isinstance(raw_code, str | int) or str(raw_code) == "":
                raise GeoError(
                    f"{where}: property {code_property!r} is missing or not a string/integer",
                    feature_index=index,
                    property=code_property,
                )
            code = str(raw_code)
        try:
            geometry = _geometry(feature.get("geometry"), crs, where)
        except GeoError as exc:
            raise GeoError(str(exc), feature_index=index, property="geometry") from None
        areas.append(GeoArea(name=name, code=code, geometry=geometry, properties=dict(props)))
    return areas


# --- point lookup --------------------------------------------------------------------------------

_NO_KEY = np.iinfo(np.int64).max
_CHUNK_VERTICES = 32
"""Boundary chunk length for snapping: short chunks keep nearest-distance work per point small."""


def _boundary_chunks(polygon: Polygon) -> list[FloatArray]:
    """The polygon's rings cut into runs of ``_CHUNK_VERTICES`` edges or fewer, sharing end vertices."""
    chunks: list[FloatArray] = []
    for ring in (polygon.exterior, *polygon.interiors):
        coords = np.asarray(ring.coords, dtype=np.float64)[:, :2]
        for start in range(0, len(coords) - 1, _CHUNK_VERTICES):
            chunks.append(coords[start : start + _CHUNK_VERTICES + 1])
    return chunks


class AreaIndex:
    """Which area contains this point.

    Built from ``(key, geometry)`` pairs (WGS84 Polygon/MultiPolygon, e.g. a station id and its
    jurisdiction); keys need not be unique. A lookup returns:

    - the key of the area containing the point, boundary included;
    - on a border shared by several areas, the smallest of their keys, so the answer never depends
      on insertion order or chance;
    - for a point in no area (just off a simplified coastline, a pier, a boat by an island), the key
      of the nearest area if it is within ``snap_m`` metres (ties again to the smallest key);
    - otherwise None. Non-finite coordinates give None.

    Containment is tested exactly against the given polygons, each part indexed in an STRtree and
    prepared (GEOS builds an edge index on first use, so a test is logarithmic in its vertex count).
    Snapping measures to polygon boundaries cut into short chunks (like mapit's subdivided polygons,
    so a nearest-distance costs a few dozen edges, not thousands), each scaled by the cosine of its
    latitude so that nearest means nearest in metres; the final distance is haversine.
    """

    def __init__(self, areas: Sequence[tuple[int, BaseGeometry]], *, snap_m: float = 1000.0) -> None:
        if not snap_m >= 0.0 or not math.isfinite(snap_m):
            raise ValueError(f"snap_m must be a finite distance >= 0, got {snap_m!r}")
        self.snap_m = float(snap_m)
        self._count = len(areas)
        parts: list[Polygon] = []
        part_keys: list[int] = []
        chunks: list[FloatArray] = []
        chunk_keys: list[int] = []
        for key, geom in areas:
            polygons = polygonal_parts(geom) if geom is not None else []
            if not polygons:
                raise GeoError(f"area {key}: geometry must be a non-empty Polygon or MultiPolygon")
            for polygon in polygons:
                parts.append(polygon)
                part_keys.append(int(key))
                for chunk in _boundary_chunks(polygon):
                    chunks.append(chunk)
                    chunk_keys.append(int(key))
        self._parts = np.array(parts, dtype=object)
        self._part_keys = np.array(part_keys, dtype=np.int64)
        shapely.prepare(self._parts)
        self._tree = shapely.STRtree(self._parts)

        self._chunk_keys = np.array(chunk_keys, dtype=np.int64)
        self._chunks = np.array([shapely.linestrings(c) for c in chunks], dtype=object)
        # Per-chunk lon scale: in (lon * scale, lat) space, planar distance approximates metres / 111 km.
        self._chunk_scale = np.array(
            [max(math.cos(math.radians(float(c[:, 1].mean()))), 1e-6) for c in chunks], dtype=np.float64
        )
        self._scaled_chunks = np.array(
            [shapely.linestrings(c * np.array([s, 1.0])) for c, s in zip(chunks, self._chunk_scale, strict=True)],
            dtype=object,
        )
        self._chunk_tree = shapely.STRtree(self._chunks)

    def __len__(self) -> int:
        """Number of (key, geometry) areas the index was built from."""
        return self._count

    def lookup(self, lon: float, lat: float, crs: CRS = CRS.WGS84) -> int | None:
        """The key of the area at (lon, lat) given in ``crs``; see the class docstring for the rules."""
        lon, lat = to_wgs84(lon, lat, crs)
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return None
        point = Point(lon, lat)
        hits = [int(self._part_keys[i]) for i in self._tree.query(point) if self._parts[i].intersects(point)]
        if hits:
            return min(hits)
        snapped = self._snap(np.array([lon]), np.array([lat]))
        return None if snapped[0] == _NO_KEY else int(snapped[0])

    def lookup_many(
        self, lons: Sequence[float] | ArrayLike, lats: Sequence[float] | ArrayLike, crs: CRS = CRS.WGS84
    ) -> list[int | None]:
        """:meth:`lookup` for many points at once (vectorised; same answers, point by point)."""
        lon_arr, lat_arr = to_wgs84_many(lons, lats, crs)
        n = lon_arr.size
        result = np.full(n, _NO_KEY, dtype=np.int64)
        if n == 0:
            return []
        finite = np.isfinite(lon_arr) & np.isfinite(lat_arr)
        points = shapely.points(np.where(finite, lon_arr, 0.0), np.where(finite, lat_arr, 0.0))
        points[~finite] = None
        # Bounding-box query, then a vectorised test against the prepared parts. STRtree.query with
        # predicate="intersects" would prepare the *points*, not the polygons, and is ~14x slower here.
        point_idx, part_idx = self._tree.query(points)
        if point_idx.size:
            hit = shapely.intersects(self._parts[part_idx], points[point_idx])
            np.minimum.at(result, point_idx[hit], self._part_keys[part_idx[hit]])
        missing = np.flatnonzero((result == _NO_KEY) & finite)
        if missing.size:
            result[missing] = self._snap(lon_arr[missing], lat_arr[missing])
        out: list[int | None] = list(result.tolist())
        for i in np.flatnonzero(result == _NO_KEY).tolist():
            out[i] = None
        return out

    def _snap(self, lons: FloatArray, lats: FloatArray) -> NDArray[np.int64]:
        """Key of the nearest area within ``snap_m`` of each point (all assumed outside every area)."""
        result = np.full(lons.size, _NO_KEY, dtype=np.int64)
        if self.snap_m <= 0.0 or self._chunks.size == 0:
            return result
        # Candidate chunks: those whose bounding box meets a lon/lat box of radius snap_m (+1%).
        dlat = self.snap_m * 1.01 / M_PER_DEG_LAT
        dlon = np.minimum(dlat / np.maximum(np.cos(np.radians(lats)), 1e-6), 180.0)
        boxes = shapely.box(lons - dlon, lats - dlat, lons + dlon, lats + dlat)
        point_idx, chunk_idx = self._chunk_tree.query(boxes)
        if point_idx.size == 0:
            return result
        scale = self._chunk_scale[chunk_idx]
        scaled_points = shapely.points(lons[point_idx] * scale, lats[point_idx])
        lines = shapely.shortest_line(self._scaled_chunks[chunk_idx], scaled_points)
        nearest = shapely.get_coordinates(lines).reshape(-1, 2, 2)[:, 0, :]
        dist = _haversine_m(lons[point_idx], lats[point_idx], nearest[:, 0] / scale, nearest[:, 1])
        keys = self._chunk_keys[chunk_idx]
        # Per point: smallest distance, then smallest key.
        order = np.lexsort((keys, dist, point_idx))
        first = np.unique(point_idx[order], return_index=True)[1]
        best = order[first]
        close = dist[best] <= self.snap_m
        result[point_idx[best][close]] = keys[best][close]
        return result
