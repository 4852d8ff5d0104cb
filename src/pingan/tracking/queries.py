"""Tracking's read models: tracks and stations as GeoJSON, coverage, station health, alerts, figures."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session

from pingan.core.identifiers import mask_name, mask_phone
from pingan.core.models import Area, AreaKind, Role, User
from pingan.core.scope import Scope
from pingan.tracking.models import Alert, AlertKind, Detection, Station, Tag, TagKind, Theft, TheftStatus, Vehicle
from pingan.tracking.rules import TrackingRules


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def tag_clause(scope: Scope) -> ColumnElement[bool]:
    """Tags a staff member sees: the owner lives in their jurisdiction (county-wide roles: every tag)."""
    if scope.county_wide:
        return true()
    return Tag.area_id.in_(scope.area_ids) if scope.area_ids else false()


def alert_clause(scope: Scope) -> ColumnElement[bool]:
    return scope.clause(Alert.unit_id, Alert.area_id)


def may_see_tag(session: Session, user: User, scope: Scope, tag: Tag) -> bool:
    """The owner (by the phone they signed in with), staff of the owner's jurisdiction, or staff holding an
    alert about the tag (the station of the base station that heard a stolen bike)."""
    if user.role is Role.RESIDENT:
        return user.phone == tag.owner_phone
    if scope.county_wide or (tag.area_id is not None and tag.area_id in scope.area_ids):
        return True
    return session.scalar(select(Alert.id).where(Alert.tag_id == tag.id, alert_clause(scope)).limit(1)) is not None


def tag_view(session: Session, tag: Tag, *, reveal: bool) -> dict[str, Any]:
    vehicle = session.get(Vehicle, tag.id)
    station = session.get(Station, tag.last_station_id) if tag.last_station_id else None
    return {
        "tag": tag.code,
        "kind": tag.kind.value,
        "status": tag.status.value,
        "owner_name": tag.owner_name if reveal else mask_name(tag.owner_name),
        "owner_phone": tag.owner_phone if reveal else mask_phone(tag.owner_phone),
        "wearer_name": (tag.wearer_name if reveal else mask_name(tag.wearer_name)) if tag.wearer_name else None,
        "area_id": tag.area_id,
        "installed_at": _iso(tag.installed_at),
        "insured": tag.insured,
        "plate": vehicle.plate if vehicle else None,
        "frame_no": vehicle.frame_no if vehicle else None,
        "model": vehicle.model if vehicle else None,
        "colour": vehicle.colour if vehicle else None,
        "safe_stations": list(tag.safe_stations or []),
        "last_seen_at": _iso(tag.last_seen_at),
        "last_station": station.name if station else None,
    }


def track(
    session: Session, tag: Tag, start: datetime | None, end: datetime | None, limit: int = 5000
) -> dict[str, Any]:
    """A tag's sightings in event time order, as a GeoJSON FeatureCollection: one LineString of the whole
    track and one Point per sighting (its time, station, signal, every station that heard it, and whether
    the move to it was impossible). At most `limit` sightings, the latest of the period (`truncated` says
    when there were more)."""
    stmt = (
        select(
            Detection.at,
            Detection.rssi,
            Detection.stations,
            Detection.jump,
            Station.code,
            Station.name,
            Station.lon,
            Station.lat,
        )
        .join(Station, Station.id == Detection.station_id)
        .where(Detection.tag_id == tag.id)
    )
    if start is not None:
        stmt = stmt.where(Detection.at >= start)
    if end is not None:
        stmt = stmt.where(Detection.at < end)
    # The latest `limit` sightings when the period holds more (a parked bike is heard every few seconds): where
    # the tag is now matters more than where it was at the start of the week.
    rows = session.execute(stmt.order_by(Detection.at.desc()).limit(limit + 1)).all()
    truncated = len(rows) > limit
    rows = rows[:limit][::-1]
    points = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {
                "at": r.at.isoformat(),
                "station": r.code,
                "station_name": r.name,
                "rssi": r.rssi,
                "stations": list(r.stations or []),
                "jump": bool(r.jump),
            },
        }
        for r in rows
    ]
    line = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[r.lon, r.lat] for r in rows]},
        "properties": {
            "tag": tag.code,
            "kind": tag.kind.value,
            "sightings": len(rows),
            "jumps": sum(1 for r in rows if r.jump),
            # True when the period held more sightings than `limit`: these are its latest.
            "truncated": truncated,
        },
    }
    return {"type": "FeatureCollection", "features": [line, *points] if rows else []}


def circle(lon: float, lat: float, radius_m: float, sides: int = 32) -> list[list[float]]:
    """A ring approximating a station's circle (WGS84), for maps."""
    dlat = radius_m / 111_320.0
    dlon = dlat / max(0.01, math.cos(math.radians(lat)))
    ring = [
        [
            round(lon + dlon * math.cos(2 * math.pi * i / sides), 7),
            round(lat + dlat * math.sin(2 * math.pi * i / sides), 7),
        ]
        for i in range(sides)
    ]
    return [*ring, ring[0]]


def station_health(session: Session, now: datetime, rules: TrackingRules) -> list[dict[str, Any]]:
    hour_ago = now - timedelta(hours=1)
    per_hour = dict(
        session.execute(
            select(Detection.station_id, func.count()).where(Detection.at >= hour_ago).group_by(Detection.station_id)
        ).all()
    )
    out: list[dict[str, Any]] = []
    for s in session.scalars(select(Station).order_by(Station.code)):
        threshold = timedelta(minutes=s.silence_minutes or rules.station_silence_minutes)
        silent = s.last_heard_at is None or s.last_heard_at < now - threshold
        out.append(
            {
                "code": s.code,
                "name": s.name,
                "village": s.village,
                "lon": s.lon,
                "lat": s.lat,
                "radius_m": s.radius_m,
                "area_id": s.area_id,
                "active": s.active,
                "last_heard_at": _iso(s.last_heard_at),
                "silent": silent and s.active,
                "silence_minutes": int(threshold.total_seconds() // 60),
                "detections_last_hour": int(per_hour.get(s.id, 0)),
                "status": s.last_status or {},
            }
        )
    return out


def stations_geojson(health: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [h["lon"], h["lat"]]}, "properties": h}
            for h in health
        ],
    }


def coverage(session: Session, rules: TrackingRules) -> dict[str, Any]:
    """Villages with an active base station, of the county's villages (the rules' count, or the community
    areas of the map), and the stations' circles as GeoJSON."""
    stations = session.scalars(select(Station).where(Station.active.is_(True)).order_by(Station.code)).all()
    covered = sorted({s.village for s in stations if s.village})
    villages = session.scalars(
        select(Area.name).where(Area.kind == AreaKind.COMMUNITY, Area.active).order_by(Area.name)
    ).all()
    total = max(rules.villages_total or len(villages), len(covered))
    return {
        "villages_total": total,
        "villages_covered": len(covered),
        "coverage_rate": round(len(covered) / total, 4) if total else None,
        # The map's villages no active station names (a county whose count is a setting may have more).
        "villages_uncovered": sorted(set(villages) - set(covered)),
        "stations": len(stations),
        "geojson": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [circle(s.lon, s.lat, s.radius_m)]},
                    "properties": {"code": s.code, "name": s.name, "village": s.village, "radius_m": s.radius_m},
                }
                for s in stations
            ],
        },
    }


def alert_view(alert: Alert, tag_code: str, station: Station | None) -> dict[str, Any]:
    return {
        "id": alert.id,
        "tag": tag_code,
        "kind": alert.kind.value,
        "station": station.code if station else None,
        "station_name": station.name if station else None,
        "unit_id": alert.unit_id,
        "area_id": alert.area_id,
        "at": alert.at.isoformat(),
        "detected_at": alert.detected_at.isoformat(),
        "lon": alert.lon,
        "lat": alert.lat,
        "heading": alert.heading,
        "last_at": _iso(alert.last_at),
        "open": alert.open,
        "task_id": alert.task_id,
        "theft_id": alert.theft_id,
    }


def list_alerts(
    session: Session,
    clause: ColumnElement[bool],
    *,
    kind: AlertKind | None,
    since: datetime | None,
    limit: int,
    tag: str | None = None,
) -> list[dict[str, Any]]:
    stmt = (
        select(Alert, Tag.code, Station)
        .join(Tag, Tag.id == Alert.tag_id)
        .outerjoin(Station, Station.id == Alert.station_id)
        .where(clause)
    )
    if kind is not None:
        stmt = stmt.where(Alert.kind == kind)
    if since is not None:
        stmt = stmt.where(Alert.at >= since)
    if tag is not None:
        stmt = stmt.where(Tag.code == tag)
    return [alert_view(a, code, st) for a, code, st in session.execute(stmt.order_by(Alert.at.desc()).limit(limit))]


def theft_view(theft: Theft, tag_code: str) -> dict[str, Any]:
    return {
        "id": theft.id,
        "tag": tag_code,
        "status": theft.status.value,
        "stolen_at": theft.stolen_at.isoformat(),
        "reported_at": theft.reported_at.isoformat(),
        "place": theft.place,
        "area_id": theft.area_id,
        "task_id": theft.task_id,
        "first_sighted_at": _iso(theft.first_sighted_at),
        "recovered_at": _iso(theft.recovered_at),
        "recovered_place": theft.recovered_place,
        "suspects": theft.suspects,
        "gang": theft.gang,
        "card_destroyed": theft.card_destroyed,
        "compensation_reason": theft.compensation_reason,
        "certificate_no": theft.certificate_no,
        "payout_yuan": theft.payout_yuan,
        "paid_at": _iso(theft.paid_at),
    }


def figures(session: Session, start: datetime, end: datetime, area_ids: list[int] | None) -> dict[str, Any]:
    """C7 for a period and an area (its station areas; None: the county): cards installed, thefts,
    recovered, recovery rate, payouts, suspects caught, gangs broken (the distinct gangs the period's recoveries
    named)."""

    def within(column: Any) -> ColumnElement[bool]:
        return column.in_(area_ids) if area_ids is not None else true()

    cards = session.scalar(
        select(func.count())
        .select_from(Tag)
        .where(Tag.kind == TagKind.VEHICLE_CARD, Tag.installed_at >= start, Tag.installed_at < end, within(Tag.area_id))
    )
    by_kind = dict(
        session.execute(
            select(Tag.kind, func.count())
            .where(Tag.installed_at >= start, Tag.installed_at < end, within(Tag.area_id))
            .group_by(Tag.kind)
        ).all()
    )
    reported = (Theft.reported_at >= start, Theft.reported_at < end, within(Theft.area_id))
    thefts = int(session.scalar(select(func.count()).select_from(Theft).where(*reported)) or 0)
    recovered = int(
        session.scalar(select(func.count()).select_from(Theft).where(*reported, Theft.status == TheftStatus.RECOVERED))
        or 0
    )
    paid = session.execute(
        select(func.count(), func.coalesce(func.sum(Theft.payout_yuan), 0)).where(
            Theft.paid_at >= start, Theft.paid_at < end, within(Theft.area_id)
        )
    ).one()
    suspects = session.scalar(
        select(func.coalesce(func.sum(Theft.suspects), 0)).where(
            Theft.recovered_at >= start, Theft.recovered_at < end, within(Theft.area_id)
        )
    )
    gangs = session.scalar(
        select(func.count(func.distinct(Theft.gang))).where(
            Theft.gang.is_not(None), Theft.recovered_at >= start, Theft.recovered_at < end, within(Theft.area_id)
        )
    )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "cards_installed": int(cards or 0),
        "tags_installed": {k.value: int(v) for k, v in by_kind.items()},
        "thefts": thefts,
        "recovered": recovered,
        "recovery_rate": round(recovered / thefts, 4) if thefts else None,
        "compensated": int(paid[0] or 0),
        "payouts_yuan": int(paid[1] or 0),
        "suspects_caught": int(suspects or 0),
        "gangs_broken": int(gangs or 0),
    }


def areas_under(session: Session, area_id: int) -> list[int]:
    """The area and its children (a station and its communities)."""
    return [area_id, *session.scalars(select(Area.id).where(Area.parent_id == area_id))]


def owner_clause(phone: str | None) -> ColumnElement[bool]:
    return Tag.owner_phone == phone if phone else false()


__all__ = ["alert_clause", "or_"]
