"""Patrol's read models: zones as GeoJSON, units with their last position and roster state, the roster of a
day, and the reach as the API answers it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shapely import wkb
from shapely.geometry import mapping
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.command.patrol.models import UNIT_TYPE_NAMES, DutyShift, PatrolUnit, PatrolZone, ShiftKind
from pingan.command.patrol.reach import EXCLUSION_NAMES, Exclusion, Reach, radius_m
from pingan.command.patrol.rules import PatrolRules
from pingan.command.patrol.service import UnitBrief
from pingan.core.models import Unit, User


def zones_geojson(session: Session) -> dict[str, Any]:
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    features = []
    for zone in session.scalars(select(PatrolZone).order_by(PatrolZone.code)):
        geometry = wkb.loads(zone.geometry)
        inner = geometry.representative_point()
        features.append(
            {
                "type": "Feature",
                "id": zone.id,
                "geometry": mapping(geometry),
                "properties": {
                    "id": zone.id,
                    "code": zone.code,
                    "name": zone.name,
                    "unit_id": zone.unit_id,
                    "unit_name": units.get(zone.unit_id) if zone.unit_id else None,
                    "label": [round(inner.x, 6), round(inner.y, 6)],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def unit_view(
    unit: PatrolUnit, now: datetime, rules: PatrolRules, verdict: tuple[Exclusion, str] | None, names: Mapping[int, str]
) -> dict[str, Any]:
    stale = unit.position_at is None or now - unit.position_at > timedelta(minutes=rules.stale_minutes)
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind.value,
        "kind_name": UNIT_TYPE_NAMES[unit.kind],
        "unit_id": unit.unit_id,
        "unit_name": names.get(unit.unit_id),
        "zone_id": unit.zone_id,
        "leader_id": unit.leader_id,
        "active": unit.active,
        "lon": unit.lon,
        "lat": unit.lat,
        "position_at": unit.position_at.isoformat() if unit.position_at else None,
        "stale": stale,
        "on_duty": verdict is None,
        "unavailable": verdict[0].value if verdict else None,
        "unavailable_reason": verdict[1] if verdict else None,
    }


def reach_view(
    result: Reach, units: Mapping[int, UnitBrief], rules: PatrolRules, lon: float, lat: float, now: datetime
) -> dict[str, Any]:
    def brief(unit_id: int) -> dict[str, Any]:
        u = units[unit_id]
        return {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind.value, "kind_name": UNIT_TYPE_NAMES[u.kind]}

    circles = []
    for minutes in rules.circles_minutes:
        circles.append(
            {
                "minutes": minutes,
                "radius_m": {k.value: round(radius_m(minutes, k, rules), 1) for k in rules.speeds_kmh},
                "units": [r.unit_id for r in result.within(minutes)],
            }
        )
    return {
        "point": {"lon": lon, "lat": lat, "crs": "wgs84"},
        "at": now.isoformat(),
        "road_factor": rules.road_factor,
        "stale_minutes": rules.stale_minutes,
        "circles": circles,
        "units": [
            {
                **brief(r.unit_id),
                "lon": units[r.unit_id].lon,
                "lat": units[r.unit_id].lat,
                "distance_m": round(r.distance_m, 1),
                "road_m": round(r.road_m, 1),
                "travel_s": round(r.travel_s, 1),
                "circle": r.circle,
                "position_age_s": round(r.position_age_s),
            }
            for r in result.reached
        ],
        "excluded": [
            {**brief(x.unit_id), "reason": x.reason.value, "reason_name": EXCLUSION_NAMES[x.reason], "detail": x.detail}
            for x in result.left
        ],
    }


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def shift_view(shift: DutyShift, units: Mapping[int, PatrolUnit], users: Mapping[int, User]) -> dict[str, Any]:
    unit = units.get(shift.patrol_unit_id) if shift.patrol_unit_id else None
    user = users.get(shift.user_id) if shift.user_id else None
    return {
        "id": shift.id,
        "kind": shift.kind.value,
        "kind_name": "在岗" if shift.kind is ShiftKind.DUTY else "请假",
        "unit_id": shift.unit_id,
        "patrol_unit_id": shift.patrol_unit_id,
        "patrol_unit_code": unit.code if unit else None,
        "user_id": shift.user_id,
        "user_name": user.display_name if user else None,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "note": shift.note,
    }


def roster_view(session: Session, shifts: Sequence[DutyShift]) -> list[dict[str, Any]]:
    unit_ids = {s.patrol_unit_id for s in shifts if s.patrol_unit_id}
    user_ids = {s.user_id for s in shifts if s.user_id}
    units = {u.id: u for u in session.scalars(select(PatrolUnit).where(PatrolUnit.id.in_(unit_ids or {-1})))}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids or {-1})))}
    return [shift_view(s, units, users) for s in shifts]
