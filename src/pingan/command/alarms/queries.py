"""The alarm intake's read models: an alarm as the screens show it (the caller masked unless revealed), the
live list, and the response-time figures per patrol zone (received → dispatched → arrived)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from pingan.command.alarms.models import (
    CATEGORY_NAMES,
    LEVEL_NAMES,
    OUTCOME_NAMES,
    SOURCE_NAMES,
    Alarm,
)
from pingan.command.patrol.models import PatrolUnit, PatrolZone
from pingan.core.identifiers import mask_free_text, mask_name, mask_phone
from pingan.core.models import Unit
from pingan.core.scope import Scope


def scope_clause(scope: Scope) -> ColumnElement[bool]:
    return scope.clause(Alarm.unit_id, Alarm.area_id)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _seconds(a: datetime | None, b: datetime | None) -> float | None:
    return (b - a).total_seconds() if a is not None and b is not None else None


def alarm_view(
    alarm: Alarm,
    *,
    reveal: bool = False,
    names: Mapping[str, Mapping[int, str]] | None = None,
) -> dict[str, Any]:
    names = names or {}
    return {
        "id": alarm.id,
        "source": alarm.source.value,
        "source_name": SOURCE_NAMES[alarm.source],
        "source_id": alarm.source_id,
        "received_at": alarm.received_at.isoformat(),
        "category": alarm.category.value,
        "category_name": CATEGORY_NAMES[alarm.category],
        "level": alarm.level.value,
        "level_name": LEVEL_NAMES[alarm.level],
        "reasons": list(alarm.reasons or []),
        "text": alarm.text if reveal else mask_free_text(alarm.text),
        "caller_name": (alarm.caller_name if reveal else mask_name(alarm.caller_name)) if alarm.caller_name else None,
        "caller_phone": (alarm.caller_phone if reveal else mask_phone(alarm.caller_phone))
        if alarm.caller_phone
        else None,
        "address": alarm.address,
        "lon": alarm.lon,
        "lat": alarm.lat,
        "area_id": alarm.area_id,
        "zone_id": alarm.zone_id,
        "zone_name": names.get("zones", {}).get(alarm.zone_id) if alarm.zone_id else None,
        "unit_id": alarm.unit_id,
        "unit_name": names.get("units", {}).get(alarm.unit_id) if alarm.unit_id else None,
        "task_id": alarm.task_id,
        "patrol_unit_id": alarm.patrol_unit_id,
        "patrol_unit_code": names.get("patrol", {}).get(alarm.patrol_unit_id) if alarm.patrol_unit_id else None,
        "dispatched_at": _iso(alarm.dispatched_at),
        "arrived_at": _iso(alarm.arrived_at),
        "finished_at": _iso(alarm.finished_at),
        "outcome": alarm.outcome.value if alarm.outcome else None,
        "outcome_name": OUTCOME_NAMES[alarm.outcome] if alarm.outcome else None,
        "result": alarm.result,
        "dispatch_s": _seconds(alarm.received_at, alarm.dispatched_at),
        "arrive_s": _seconds(alarm.dispatched_at, alarm.arrived_at),
        "response_s": _seconds(alarm.received_at, alarm.arrived_at),
    }


def names(session: Session, alarms: Sequence[Alarm]) -> dict[str, dict[int, str]]:
    zone_ids = {a.zone_id for a in alarms if a.zone_id}
    unit_ids = {a.unit_id for a in alarms if a.unit_id}
    patrol_ids = {a.patrol_unit_id for a in alarms if a.patrol_unit_id}
    return {
        "zones": dict(
            session.execute(select(PatrolZone.id, PatrolZone.name).where(PatrolZone.id.in_(zone_ids or {-1}))).all()
        ),
        "units": dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids or {-1}))).all()),
        "patrol": dict(
            session.execute(select(PatrolUnit.id, PatrolUnit.code).where(PatrolUnit.id.in_(patrol_ids or {-1}))).all()
        ),
    }


def _stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median_s": None, "mean_s": None, "p90_s": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "n": len(values),
        "median_s": round(statistics.median(ordered), 1),
        "mean_s": round(statistics.fmean(ordered), 1),
        "p90_s": round(p90, 1),
    }


def response_figures(
    session: Session, scope: Scope, start: datetime, end: datetime, circles: Sequence[int]
) -> dict[str, Any]:
    """Per patrol zone (and for alarms outside every zone, and in all): alarms received in [start, end), how
    many were dispatched and reached, the times of each leg, and how many were reached within each "135"
    circle of their receipt."""
    rows = session.scalars(
        select(Alarm).where(Alarm.received_at >= start, Alarm.received_at < end, scope_clause(scope))
    ).all()
    zones = dict(session.execute(select(PatrolZone.id, PatrolZone.name)).all())
    codes = dict(session.execute(select(PatrolZone.id, PatrolZone.code)).all())

    def figure(alarms: Sequence[Alarm]) -> dict[str, Any]:
        dispatch = [s for a in alarms if (s := _seconds(a.received_at, a.dispatched_at)) is not None]
        arrive = [s for a in alarms if (s := _seconds(a.dispatched_at, a.arrived_at)) is not None]
        response = [s for a in alarms if (s := _seconds(a.received_at, a.arrived_at)) is not None]
        return {
            "alarms": len(alarms),
            "dispatched": sum(a.dispatched_at is not None for a in alarms),
            "arrived": sum(a.arrived_at is not None for a in alarms),
            "finished": sum(a.finished_at is not None for a in alarms),
            "received_to_dispatched": _stats(dispatch),
            "dispatched_to_arrived": _stats(arrive),
            "received_to_arrived": _stats(response),
            "arrived_within": {str(m): sum(s <= m * 60 for s in response) for m in circles},
        }

    by_zone: dict[int | None, list[Alarm]] = {}
    for alarm in rows:
        by_zone.setdefault(alarm.zone_id, []).append(alarm)
    per_zone = [
        {
            "zone_id": zid,
            "zone_code": codes.get(zid) if zid else None,
            "zone_name": zones.get(zid, "片区外") if zid else "片区外",
            **figure(items),
        }
        for zid, items in sorted(by_zone.items(), key=lambda kv: (kv[0] is None, codes.get(kv[0] or 0, "")))
    ]
    return {"start": start.isoformat(), "end": end.isoformat(), "total": figure(rows), "zones": per_zone}
