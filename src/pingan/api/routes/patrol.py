"""Patrol's HTTP edge under /api/v1/command: the "135" reach of a point, patrol zones, patrol units and their
positions, the duty roster (勤务)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime
from sqlalchemy import select

from pingan.api.body import json_batch, json_body
from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, require
from pingan.api.schemas import batch_body
from pingan.bootstrap import Services
from pingan.command.patrol import queries
from pingan.command.patrol.schemas import ImportResult, PositionsResult, ShiftCreate
from pingan.core.errors import BadInput
from pingan.core.fields import DbId
from pingan.core.geo import CRS, in_china, to_wgs84
from pingan.core.models import COUNTY_WIDE_ROLES, Role, Unit

router = APIRouter(prefix="/command", tags=["command"])

STAFF = (*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER)
PLANNERS = (Role.ADMIN, Role.COMMANDER)
"""Who draws the zones and registers the patrol units: the admin and the 情指中心."""
ROSTER_WRITERS = (Role.ADMIN, Role.COMMANDER, Role.STATION_HEAD)
REPORTERS = (Role.ADMIN, Role.COMMANDER, Role.STATION_HEAD, Role.OFFICER)


def point_wgs84(lon: float, lat: float, crs: CRS) -> tuple[float, float]:
    """A point from a query, in WGS84; one outside China (swapped, zero) is a 422 naming `lon`."""
    if not in_china(lon, lat):
        raise BadInput("坐标不在中国境内（经纬度是否颠倒？）", field="lon", code="out_of_range")
    return to_wgs84(lon, lat, crs)


@router.get("/reach")
def reach(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
    crs: CRS = CRS.WGS84,
) -> JSONResponse:
    """The "135" reach of a point: the patrol units inside the 1-, 3- and 5-minute circles (travel time at
    each kind's road speed over the straight line times the road factor), nearest first, and those left out
    with the reason (no position, a stale one, off duty, on leave, busy on an alarm). Station staff see their
    own station's units; the centres every unit."""
    require(user, *STAFF)
    wlon, wlat = point_wgs84(lon, lat, crs)
    result, units = services.patrol.reach(session, scope, wlon, wlat, busy=services.alarms.busy(session))
    # Plain JSON already (numbers, strings): sent as it is, not walked again by the response encoder.
    return JSONResponse(queries.reach_view(result, units, services.patrol.rules, wlon, wlat, services.clock.now()))


@router.get("/patrol/zones")
def zones(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The patrol zones (巡防片区) as GeoJSON, each with its code, name and the station answering for it."""
    require(user, *STAFF)
    return queries.zones_geojson(session)


@router.post(
    "/patrol/zones",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "description": "GeoJSON FeatureCollection"}}},
        }
    },
)
async def import_zones(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    crs: CRS = CRS.WGS84,
    name_property: Annotated[str, Query(min_length=1, max_length=64)] = "name",
    code_property: Annotated[str, Query(min_length=1, max_length=64)] = "code",
) -> dict[str, Any]:
    """Import patrol zones from a GeoJSON FeatureCollection (Polygon/MultiPolygon features with a name and a
    code), upserted by code; a bad feature refuses the file, naming it."""
    require(user, *PLANNERS)
    document = await json_body(request, name_received=False)
    if not isinstance(document, dict):
        raise BadInput("请求体须为 GeoJSON FeatureCollection", field="body", code="bad_geojson")
    done = services.patrol.import_zones(
        session, document, crs=crs, name_property=name_property, code_property=code_property
    )
    return {"created": done.created, "updated": done.updated, "zones": done.zones}


@router.get("/patrol/units")
def units(services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep) -> dict[str, Any]:
    """Patrol units with their last position and time, whether it is stale, and whether the roster has them
    on duty now (with the reason when not)."""
    require(user, *STAFF)
    now = services.clock.now()
    rows = services.patrol.units(session, scope)
    verdicts = services.patrol.unit_verdicts(session, rows, now)
    busy = services.alarms.busy(session)
    names = dict(session.execute(select(Unit.id, Unit.name)).all())
    items = []
    for unit in rows:
        view = queries.unit_view(unit, now, services.patrol.rules, verdicts.get(unit.id), names)
        view["busy"] = busy.get(unit.id)
        items.append(view)
    return {"items": items, "stale_minutes": services.patrol.rules.stale_minutes}


@router.post("/patrol/units", response_model=ImportResult, openapi_extra=batch_body("PatrolUnitIn", "units"))
async def register_units(
    request: Request, services: ServicesDep, session: SessionDep, user: CurrentUser
) -> ImportResult:
    """Register patrol units (a JSON array or `{"units": [...]}`), upserted by call sign; bad items are named."""
    require(user, *PLANNERS)
    items = await json_batch(request, "units", services.settings.max_batch_events)
    return services.patrol.register_units(session, enumerate(items))


@router.post("/patrol/positions", response_model=PositionsResult, openapi_extra=batch_body("PositionIn", "positions"))
async def report_positions(
    request: Request, services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep
) -> PositionsResult:
    """Positions of patrol units (`unit`, `lon`, `lat`, `crs`, `at`): each keeps its newest; a replay or a late
    report changes nothing. Station staff report their own station's units."""
    require(user, *REPORTERS)
    items = await json_batch(request, "positions", services.settings.max_batch_events)
    return services.patrol.report_positions(session, scope, enumerate(items))


@router.get("/patrol/roster")
def get_roster(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    day: date | None = None,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    unit_id: DbId | None = None,
) -> dict[str, Any]:
    """The roster (勤务) of a local day (today by default), or of [start, end): who is on duty, who on leave.
    Station staff see their own station's."""
    require(user, *STAFF)
    zone = services.patrol.rules.timezone
    if start is not None or end is not None:
        if start is None or end is None:
            raise BadInput("start 与 end 须同时给出", field="end" if end is None else "start")
        if end <= start or (end - start).days > 62:
            raise BadInput("时段须为正且不超过 62 天", field="end")
        lo, hi = start, end
    else:
        try:
            lo, hi = queries.day_bounds(day or _today(services), zone)
        except OverflowError:
            raise BadInput("日期超出范围", field="day") from None
    units: set[int] | None = None if scope.county_wide else set(scope.unit_ids)
    if unit_id is not None:
        units = {unit_id} if units is None else units & {unit_id}
    shifts = services.patrol.rows_covering(session, lo, hi, units)
    return {"start": lo.isoformat(), "end": hi.isoformat(), "items": queries.roster_view(session, shifts)}


def _today(services: Services) -> date:
    return services.clock.now().astimezone(ZoneInfo(services.patrol.rules.timezone)).date()


@router.post("/patrol/roster", status_code=201)
def add_shift(
    body: ShiftCreate, services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep
) -> dict[str, Any]:
    """A roster row: a patrol unit or an officer on duty (`duty`) or on leave (`leave`) over [starts_at,
    ends_at). A station head writes their own station's roster."""
    require(user, *ROSTER_WRITERS)
    shift = services.patrol.add_shift(session, user, scope, body)
    return queries.roster_view(session, [shift])[0]


@router.delete("/patrol/roster/{shift_id}", status_code=204)
def delete_shift(
    shift_id: DbId, services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep
) -> Response:
    """Take a row off the roster."""
    require(user, *ROSTER_WRITERS)
    services.patrol.delete_shift(session, scope, shift_id)
    return Response(status_code=204)
