"""A generated demo county modelled on 象山县 (Xiangshan, Ningbo): a peninsula and three islands.

The geometry is drawn here by hand and cut procedurally (Voronoi cells around each town's seat,
clipped to the outline); it is deliberately rough. Real boundaries live in ``../shared/data`` for
tests only: their licence forbids shipping them, so nothing here is derived from their coordinates.
Town names and statistical codes are public facts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

from pingan.core.geo import GeoArea, polygonal_parts

__all__ = [
    "COUNTY_CODE",
    "COUNTY_NAME",
    "county_outline",
    "generate_communities",
    "generate_county",
    "random_points_in",
]

COUNTY_CODE = "330225"
COUNTY_NAME = "象山县"

# The peninsula, clockwise from the western tip (西周), in WGS84 lon/lat. Hand-drawn.
_MAINLAND: tuple[tuple[float, float], ...] = (
    (121.600, 29.470),
    (121.620, 29.500),
    (121.680, 29.530),
    (121.740, 29.580),
    (121.800, 29.630),
    (121.860, 29.660),
    (121.950, 29.655),
    (122.020, 29.620),
    (122.010, 29.570),
    (121.970, 29.510),
    (122.010, 29.450),
    (121.980, 29.400),
    (121.930, 29.360),
    (121.950, 29.320),
    (121.960, 29.270),
    (121.990, 29.240),
    (121.950, 29.200),
    (121.900, 29.180),
    (121.860, 29.165),
    (121.800, 29.160),
    (121.770, 29.190),
    (121.800, 29.240),
    (121.770, 29.270),
    (121.745, 29.330),
    (121.730, 29.410),
    (121.660, 29.430),
)

# Islands, each wholly in one town (南田岛 → 鹤浦, 高塘岛 → 高塘岛乡, an outlying islet → 石浦).
_ISLANDS: tuple[tuple[str, tuple[tuple[float, float], ...]], ...] = (
    (
        "鹤浦",
        (
            (121.880, 29.080),
            (121.890, 29.120),
            (121.930, 29.145),
            (121.990, 29.140),
            (122.020, 29.100),
            (121.990, 29.060),
            (121.920, 29.050),
        ),
    ),
    (
        "高塘岛",
        (
            (121.790, 29.110),
            (121.795, 29.135),
            (121.830, 29.145),
            (121.865, 29.125),
            (121.860, 29.095),
            (121.820, 29.085),
        ),
    ),
    (
        "石浦",
        (
            (122.010, 29.200),
            (122.015, 29.225),
            (122.040, 29.235),
            (122.060, 29.210),
            (122.040, 29.190),
        ),
    ),
)


@dataclass(frozen=True)
class _Town:
    short: str
    name: str
    kind: str
    code: str
    seat: tuple[float, float] | None  # None: the town is only its islands


_TOWNS: tuple[_Town, ...] = (
    _Town("丹东", "丹东街道", "街道", "330225001", (121.940, 29.455)),
    _Town("丹西", "丹西街道", "街道", "330225002", (121.870, 29.450)),
    _Town("爵溪", "爵溪街道", "街道", "330225003", (121.975, 29.490)),
    _Town("石浦", "石浦镇", "镇", "330225101", (121.930, 29.230)),
    _Town("西周", "西周镇", "镇", "330225102", (121.670, 29.480)),
    _Town("鹤浦", "鹤浦镇", "镇", "330225103", None),
    _Town("贤庠", "贤庠镇", "镇", "330225104", (121.880, 29.610)),
    _Town("墙头", "墙头镇", "镇", "330225105", (121.790, 29.490)),
    _Town("泗洲头", "泗洲头镇", "镇", "330225106", (121.760, 29.360)),
    _Town("定塘", "定塘镇", "镇", "330225107", (121.840, 29.250)),
    _Town("涂茨", "涂茨镇", "镇", "330225108", (121.960, 29.580)),
    _Town("大徐", "大徐镇", "镇", "330225109", (121.880, 29.530)),
    _Town("新桥", "新桥镇", "镇", "330225110", (121.845, 29.320)),
    _Town("东陈", "东陈乡", "乡", "330225200", (121.910, 29.370)),
    _Town("晓塘", "晓塘乡", "乡", "330225201", (121.835, 29.195)),
    _Town("黄避岙", "黄避岙乡", "乡", "330225202", (121.790, 29.580)),
    _Town("茅洋", "茅洋乡", "乡", "330225203", (121.815, 29.405)),
    _Town("高塘岛", "高塘岛乡", "乡", "330225204", None),
)

_SEAT_JITTER_DEG = 0.006

# First halves of community names; combined with 社区 or 村.
_PLACE_STEMS: tuple[str, ...] = (
    "东门", "西岙", "南庄", "北塘", "上湾", "下沙", "大岙", "小港", "前山", "后洋",
    "新塘", "中街", "石门", "龙泉", "沙塘", "海港", "渔港", "岭下", "溪口", "湖边",
    "桥头", "塘岸", "岙底", "山前", "旭日", "金星", "红岩", "青莲", "白沙", "竹林",
    "松岙", "梅溪", "杨柳", "花墙", "新湾", "里岙", "外塘", "高泥", "双峰", "平岩",
    "樟岙", "柴溪", "珠山", "河头", "车岙", "殿前", "南充", "马岙", "官塘", "林海",
    "墩岙", "蒲门", "乌沙", "灵岩", "钱仓", "昌国", "番西", "东溪", "舒家", "姜毛",
    "庙后", "洋北", "牌门", "夏叶", "方前", "儒雅", "大林", "下洋", "斜桥", "王家",
)  # fmt: skip


def _mainland() -> Polygon:
    return Polygon(_MAINLAND)


def county_outline() -> BaseGeometry:
    """The whole demo county (peninsula and islands) as one WGS84 MultiPolygon; the same for every seed."""
    return shapely.MultiPolygon([_mainland(), *(Polygon(ring) for _, ring in _ISLANDS)])


def _voronoi_tiles(seeds: list[tuple[float, float]], region: BaseGeometry) -> list[BaseGeometry]:
    """``region`` cut into one piece per seed (its Voronoi cell), in seed order; pieces tile the region."""
    if len(seeds) == 1:
        return [region]
    xmin, ymin, xmax, ymax = region.bounds
    frame = shapely.box(xmin - 1.0, ymin - 1.0, xmax + 1.0, ymax + 1.0)
    cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame))
    xs = np.array([s[0] for s in seeds])
    ys = np.array([s[1] for s in seeds])
    owner: dict[int, BaseGeometry] = {}
    for cell in cells:
        inside = np.flatnonzero(shapely.contains_xy(cell, xs, ys))
        if len(inside) != 1:
            raise ValueError("Voronoi seeds must be distinct")
        owner[int(inside[0])] = cell
    tiles: list[BaseGeometry] = []
    for i in range(len(seeds)):
        parts = polygonal_parts(shapely.intersection(owner[i], region))
        tiles.append(parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts))
    return tiles


def generate_county(seed: int = 7) -> list[GeoArea]:
    """The 18 station areas of the demo county, ordered by code; deterministic for a seed.

    Each area carries the properties of a real township feature (``name, adcode, level, kind,
    parent, parent_name``) plus ``station`` (its police station) and ``generated: True``.
    The seed moves each town seat a little, so the inland borders move too.
    """
    rng = random.Random(seed)
    mainland = _mainland()
    seated = [(t, t.seat) for t in _TOWNS if t.seat is not None]
    seats: list[tuple[float, float]] = []
    for _, seat in seated:
        lon = seat[0] + rng.uniform(-_SEAT_JITTER_DEG, _SEAT_JITTER_DEG)
        lat = seat[1] + rng.uniform(-_SEAT_JITTER_DEG, _SEAT_JITTER_DEG)
        seats.append((lon, lat) if mainland.contains(shapely.Point(lon, lat)) else seat)
    parts: dict[str, list[shapely.Polygon]] = {t.short: [] for t in _TOWNS}
    for (town, _), tile in zip(seated, _voronoi_tiles(seats, mainland), strict=True):
        parts[town.short].extend(polygonal_parts(tile))
    for short, ring in _ISLANDS:
        parts[short].append(Polygon(ring))
    areas: list[GeoArea] = []
    for town in sorted(_TOWNS, key=lambda t: t.code):
        polygons = parts[town.short]
        geometry = polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
        properties = {
            "name": town.name,
            "adcode": town.code,
            "level": "township",
            "kind": town.kind,
            "parent": COUNTY_CODE,
            "parent_name": COUNTY_NAME,
            "station": f"{town.short}派出所",
            "generated": True,
        }
        areas.append(GeoArea(name=town.name, code=town.code, geometry=geometry, properties=properties))
    return areas


def random_points_in(geom: BaseGeometry, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """``n`` points uniformly distributed (in lon/lat) in the interior of ``geom``, drawn from ``rng``."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if geom.is_empty or geom.area <= 0.0:
        raise ValueError("geometry has no area to draw points from")
    xmin, ymin, xmax, ymax = geom.bounds
    fill = geom.area / ((xmax - xmin) * (ymax - ymin))
    budget = int(100 * n / fill) + 1000
    points: list[tuple[float, float]] = []
    while len(points) < n:
        batch = min(budget, max(16, int(1.5 * (n - len(points)) / fill)))
        if batch <= 0:
            raise ValueError("geometry too thin to draw points from")
        budget -= batch
        xs = np.array([rng.uniform(xmin, xmax) for _ in range(batch)])
        ys = np.array([rng.uniform(ymin, ymax) for _ in range(batch)])
        keep = shapely.contains_xy(geom, xs, ys)
        points.extend(zip(xs[keep].tolist(), ys[keep].tolist(), strict=True))
    return points[:n]


def _community_names(n: int, n_shequ: int, rng: random.Random, taken: set[str] | None = None) -> list[tuple[str, str]]:
    used = taken if taken is not None else set()
    free = [s for s in _PLACE_STEMS if s not in used]
    stems = rng.sample(free, min(n, len(free)))
    k = 2
    while len(stems) < n:  # more communities than free stems: number the repeats, still unique
        for stem in _PLACE_STEMS:
            if len(stems) < n and f"{stem}{k}" not in used and f"{stem}{k}" not in stems:
                stems.append(f"{stem}{k}")
        k += 1
    used.update(stems)
    return [(stem, "社区" if i < n_shequ else "村") for i, stem in enumerate(stems)]


def generate_communities(
    station: GeoArea, n: int, rng: random.Random, *, taken: set[str] | None = None
) -> list[GeoArea]:
    """``station`` cut into ``n`` community areas (社区 then 村) that tile it; deterministic for ``rng``.

    ``taken`` holds the name stems other towns already use (and receives this town's): a county's
    village names do not repeat across its towns.

    Codes follow the statistical pattern: the station's code, then 001.. for 社区 and 201.. for 村.
    """
    if n < 1:
        raise ValueError(f"a station needs at least one community, got {n}")
    code = station.code or "000000000"
    n_shequ = max(1, n // 4)
    seeds = random_points_in(station.geometry, n, rng)
    tiles = _voronoi_tiles(seeds, station.geometry)
    communities: list[GeoArea] = []
    for i, ((stem, kind), tile) in enumerate(zip(_community_names(n, n_shequ, rng, taken), tiles, strict=True)):
        number = i + 1 if kind == "社区" else 200 + i - n_shequ + 1
        name = f"{stem}{kind}"
        adcode = f"{code}{number:03d}"
        properties = {
            "name": name,
            "adcode": adcode,
            "level": "village",
            "kind": kind,
            "parent": station.code,
            "parent_name": station.name,
            "generated": True,
        }
        communities.append(GeoArea(name=name, code=adcode, geometry=tile, properties=properties))
    return communities
