"""The map's data: the county's own jurisdictions as GeoJSON, and where the queues' people and requests are.

Everything is WGS84 lon/lat, as stored. Locations of people are personal data: the warning map shows a
person's home only to the nearest `HOME_DECIMALS` decimal degrees (about a kilometre, many homes to a
point) and a request's place to `PLACE_DECIMALS` (about 100 m, as the desk's staff view does), unless a
role that may see personal data asks with `reveal=true`, which records one access-log row per person or
request shown.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from shapely import wkb
from shapely.geometry import mapping
from sqlalchemy import select

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep
from pingan.core.errors import Forbidden
from pingan.core.fields import DbId
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, AccessLog, Area, AreaKind, Role, Unit, UnitKind
from pingan.core.scope import REVEAL_ROLES
from pingan.desk.queries import request_places
from pingan.desk.rules.kinds import CATEGORY_NAMES, Category
from pingan.desk.service import staff_scope
from pingan.fraud.models import FraudWarning, Level, WarningStatus
from pingan.fraud.queries import warning_places
from pingan.fraud.workflow import LEVEL_NAMES

router = APIRouter(prefix="/map", tags=["map"])

HOME_DECIMALS = 2
PLACE_DECIMALS = 3
SIMPLIFY_DEGREES = 0.0001
"""Boundaries are simplified to about 10 m for drawing: a lookup still uses the stored polygon."""
LEVEL_RANK = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2, Level.CRITICAL: 3}
WARNING_ROLES = frozenset({*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER})


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _may_reveal(role: Role, reveal: bool) -> None:
    if reveal and role not in REVEAL_ROLES:
        raise Forbidden("当前角色不能查看精确位置", field="reveal")


@router.get("/config")
def config(services: ServicesDep, _user: CurrentUser) -> dict[str, Any]:
    """The base layer: the bureau's own tile server when `PINGAN_MAP_TILE_URL` is set, else none; `tile_crs`
    is what its tiles are drawn in (`wgs84` or `gcj02`), which the map draws everything in."""
    settings = services.settings
    return {
        "tile_url": settings.map_tile_url or None,
        "tile_max_zoom": settings.map_tile_max_zoom,
        "tile_crs": settings.map_tile_crs,
    }


@router.get("/areas")
def areas(session: SessionDep, user: CurrentUser, scope: ScopeDep) -> dict[str, Any]:
    """Station jurisdictions (polygons) and one point per station, as GeoJSON.

    Staff get the stations their role covers (all of them for county-wide roles); a resident gets every
    station's outline and name (public: how they find their station), nothing else.
    """
    query = select(Area).where(Area.active, Area.kind == AreaKind.STATION).order_by(Area.code)
    if user.role is not Role.RESIDENT and not scope.county_wide:
        query = query.where(Area.id.in_(scope.area_ids))
    rows = list(session.scalars(query))
    units = {
        u.area_id: u
        for u in session.scalars(
            select(Unit).where(Unit.kind == UnitKind.STATION, Unit.area_id.in_([a.id for a in rows]))
        )
    }
    polygons: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    for area in rows:
        if area.geometry is None:
            continue
        shape = wkb.loads(area.geometry)
        unit = units.get(area.id)
        props = {
            "id": area.id,
            "code": area.code,
            "name": area.name,
            "unit_id": unit.id if unit else None,
            "unit": unit.name if unit else None,
        }
        polygons.append(
            {
                "type": "Feature",
                "id": area.id,
                "properties": {**props, "kind": "station"},
                "geometry": mapping(shape.simplify(SIMPLIFY_DEGREES, preserve_topology=True)),
            }
        )
        # A point guaranteed to lie inside the jurisdiction (a centroid may fall in the sea or a neighbour).
        where = shape.representative_point()
        points.append(
            {
                "type": "Feature",
                "id": f"station-{area.id}",
                "properties": {**props, "kind": "station_point"},
                "geometry": _point(round(where.x, 6), round(where.y, 6)),
            }
        )
    return {"type": "FeatureCollection", "features": polygons + points}


@router.get("/warnings")
def warnings(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    status: WarningStatus | None = WarningStatus.OPEN,
    level: Level | None = None,
    area_id: DbId | None = None,
    warning_id: DbId | None = None,
    reveal: Annotated[bool, Query(description="Exact homes (the read is recorded per person).")] = False,
    purpose: Annotated[str, Query(max_length=200)] = "地图查看预警对象位置",
    limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
) -> dict[str, Any]:
    """Where the people at risk live, in the user's scope: one point per ~1 km cell with the warnings in it
    and the highest level (exact homes with `reveal=true` for roles that may see them)."""
    if user.role not in WARNING_ROLES:
        raise Forbidden("当前角色不能查看预警")
    _may_reveal(user.role, reveal)
    places, unplaced = warning_places(
        session,
        scope_clause=scope.clause(FraudWarning.unit_id, FraudWarning.area_id),
        status=status,
        level=level,
        area_id=area_id,
        warning_id=warning_id,
        limit=limit,
    )
    features: list[dict[str, Any]] = []
    if reveal:
        now = services.clock.now()
        for p in places:
            session.add(
                AccessLog(
                    at=now,
                    user_id=user.id,
                    subject_type="person",
                    subject_id=p.person_id,
                    fields="location",
                    purpose=f"{purpose}（预警 {p.warning_id}）"[:200],
                )
            )
            features.append(
                {
                    "type": "Feature",
                    "id": p.warning_id,
                    "properties": {
                        "warnings": 1,
                        "warning_ids": [p.warning_id],
                        "level": p.level.value,
                        "level_name": LEVEL_NAMES[p.level],
                        "station_id": p.station_id,
                        "station": p.station,
                        "exact": True,
                    },
                    "geometry": _point(p.lon, p.lat),
                }
            )
    else:
        cells: dict[tuple[float, float], list[Any]] = defaultdict(list)
        for p in places:
            cells[(round(p.lon, HOME_DECIMALS), round(p.lat, HOME_DECIMALS))].append(p)
        for (lon, lat), group in cells.items():
            top = max(group, key=lambda p: LEVEL_RANK[p.level]).level
            stations = sorted({p.station for p in group if p.station})
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "warnings": len(group),
                        "warning_ids": sorted(p.warning_id for p in group),
                        "level": top.value,
                        "level_name": LEVEL_NAMES[top],
                        "station": "、".join(stations) or None,
                        "exact": False,
                    },
                    "geometry": _point(lon, lat),
                }
            )
    return {"type": "FeatureCollection", "features": features, "unplaced": unplaced, "masked": not reveal}


@router.get("/desk-requests")
def desk_requests(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    state: Literal["open", "closed", "all"] = "open",
    category: Category | None = None,
    request_id: DbId | None = None,
    reveal: Annotated[bool, Query(description="Exact places (the read is recorded per request).")] = False,
    purpose: Annotated[str, Query(max_length=200)] = "地图查看诉求位置",
    limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
) -> dict[str, Any]:
    """Where the desk's requests come from, in the queue's scope (places to ~100 m unless revealed)."""
    actor = Actor.of(user)
    scope = staff_scope(session, actor)
    _may_reveal(user.role, reveal)
    places = request_places(session, scope, state=state, category=category, request_id=request_id, limit=limit)
    now = services.clock.now()
    names = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_({p.station_id for p in places}))).all())
    features = []
    for p in places:
        if reveal:
            session.add(
                AccessLog(
                    at=now,
                    user_id=user.id,
                    subject_type="desk_request",
                    subject_id=p.request_id,
                    fields="location",
                    purpose=purpose[:200],
                )
            )
        lon, lat = (p.lon, p.lat) if reveal else (round(p.lon, PLACE_DECIMALS), round(p.lat, PLACE_DECIMALS))
        features.append(
            {
                "type": "Feature",
                "id": p.request_id,
                "properties": {
                    "request_id": p.request_id,
                    "category": p.category.value,
                    "category_name": CATEGORY_NAMES[p.category],
                    "status": p.status,
                    "open": p.is_open,
                    "station_id": p.station_id,
                    "station": names.get(p.station_id) if p.station_id else None,
                    "exact": reveal,
                },
                "geometry": _point(lon, lat),
            }
        )
    return {"type": "FeatureCollection", "features": features, "masked": not reveal}
