"""The registry: service points, tags with their owners, vehicles and animals, base stations.

Imports are idempotent upserts by code: a replayed file changes nothing, a changed row is updated, and a
bad row is reported with its place and field while the good rows are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.errors import first_problem
from pingan.core.geo import to_wgs84
from pingan.core.models import Person, PersonPhone
from pingan.tracking.models import Animal, ServicePoint, Station, Tag, TagKind, Vehicle
from pingan.tracking.schemas import ImportResult, Rejected, StationRow, TagRow

M = TypeVar("M", bound=BaseModel)


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    def result(self) -> ImportResult:
        return ImportResult(
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            rejected=sorted(self.rejected, key=lambda r: r.index),
        )


def parse_rows(model: type[M], items: Iterable[tuple[int, Any]], report: Report) -> list[tuple[int, M]]:
    """Validate each (place, raw item); a bad one is reported with its field, the good ones returned."""
    good: list[tuple[int, M]] = []
    for index, raw in items:
        if not isinstance(raw, Mapping):
            report.rejected.append(Rejected(index=index, field=None, message="每一项须为对象"))
            continue
        # A blank cell (or a null) is a value not given: the field's default applies.
        given = {k: v for k, v in raw.items() if v is not None and not (isinstance(v, str) and not v.strip())}
        try:
            good.append((index, model.model_validate(given)))
        except ValidationError as exc:
            fld, code, message = first_problem(exc)
            report.rejected.append(Rejected(index=index, field=fld, message=_in_chinese(code, exc) or message))
    return good


_PROBLEMS = {
    "missing": "必填",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "bool_parsing": "须为 true 或 false",
    "date_parsing": "须为日期，如 2026-05-01",
    "date_from_datetime_parsing": "须为日期，如 2026-05-01",
    "datetime_parsing": "须为 ISO 8601 时间，如 2026-05-01T14:30:00+08:00",
    "datetime_from_date_parsing": "须为 ISO 8601 时间，如 2026-05-01T14:30:00+08:00",
    "timezone_aware": "须带时区，如 +08:00",
    "string_type": "须为文本",
    "extra_forbidden": "不认识的列",
    "finite_number": "须为有限的数字",
}


def _in_chinese(code: str, exc: ValidationError) -> str | None:
    """The registry's rows are read by people (the screen's import, the CLI): pydantic's usual problems in
    Chinese, with the bound when there is one; None for the rest (a validator's own message is kept)."""
    ctx = exc.errors(include_url=False)[0].get("ctx") or {}
    bounds = {
        "greater_than_equal": ("须不小于 {}", "ge"),
        "greater_than": ("须大于 {}", "gt"),
        "less_than_equal": ("须不大于 {}", "le"),
        "less_than": ("须小于 {}", "lt"),
        "string_too_long": ("最多 {} 个字符", "max_length"),
        "string_too_short": ("至少 {} 个字符", "min_length"),
        "enum": ("须为以下之一：{}", "expected"),
        "literal_error": ("须为以下之一：{}", "expected"),
        "string_pattern_mismatch": ("格式不符：{}", "pattern"),
    }
    if code in bounds:
        text, key = bounds[code]
        return text.format(ctx.get(key, ""))
    return _PROBLEMS.get(code)


def _set(row: Any, values: Mapping[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def import_stations(
    session: Session,
    items: Iterable[tuple[int, Any]],
    jurisdictions: Jurisdictions,
) -> ImportResult:
    report = Report()
    rows = parse_rows(StationRow, items, report)
    existing = {s.code: s for s in session.scalars(select(Station).where(Station.code.in_([r.code for _, r in rows])))}
    for _index, row in rows:
        lon, lat = to_wgs84(row.lon, row.lat, row.crs)
        values = {
            "name": row.name,
            "lon": round(lon, 7),
            "lat": round(lat, 7),
            "village": row.village,
            "radius_m": row.radius_m,
            "silence_minutes": row.silence_minutes,
            "area_id": jurisdictions.station_at(session, lon, lat),
        }
        station = existing.get(row.code)
        if station is None:
            station = Station(code=row.code, active=True, last_status={}, **values)
            session.add(station)
            existing[row.code] = station
            report.created += 1
        elif _set(station, values):
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    return report.result()


def owner_areas(session: Session, phones: Sequence[str]) -> dict[str, tuple[int | None, int | None]]:
    """The owner's station and community from the core's people registry, by normalised phone."""
    if not phones:
        return {}
    rows = session.execute(
        select(PersonPhone.phone, Person.station_id, Person.community_id)
        .join(Person, Person.id == PersonPhone.person_id)
        .where(PersonPhone.phone.in_(sorted(set(phones))))
    ).all()
    return {phone: (station, community) for phone, station, community in rows}


def _service_point(session: Session, name: str | None, cache: dict[str, int]) -> int | None:
    if name is None:
        return None
    if name not in cache:
        point = session.scalar(select(ServicePoint).where(ServicePoint.name == name))
        if point is None:
            point = ServicePoint(name=name)
            session.add(point)
            session.flush()
        cache[name] = point.id
    return cache[name]


def import_tags(
    session: Session,
    items: Iterable[tuple[int, Any]],
    now: datetime,
    *,
    zone: ZoneInfo,
    card_fee_yuan: int,
) -> ImportResult:
    report = Report()
    rows = parse_rows(TagRow, items, report)
    codes = [r.tag for _, r in rows]
    existing = {t.code: t for t in session.scalars(select(Tag).where(Tag.code.in_(codes)))}
    vehicles = {
        v.tag_id: v
        for v in session.scalars(select(Vehicle).where(Vehicle.tag_id.in_([t.id for t in existing.values()])))
    }
    animals = {
        a.tag_id: a for a in session.scalars(select(Animal).where(Animal.tag_id.in_([t.id for t in existing.values()])))
    }
    areas = owner_areas(session, [r.owner_phone for _, r in rows])
    points: dict[str, int] = {}
    for index, row in rows:
        if row.kind is TagKind.VEHICLE_CARD and not (row.plate or row.frame_no):
            report.rejected.append(Rejected(index=index, field="plate", message="平安卡须登记车牌或车架号"))
            continue
        station_area, community = areas.get(row.owner_phone, (None, None))
        values: dict[str, Any] = {
            "kind": row.kind,
            "owner_phone": row.owner_phone,
            "owner_name": row.owner_name,
            "wearer_name": row.wearer_name,
            "installed_at": row.installed(zone),
            "service_point_id": _service_point(session, row.service_point, points),
            "installer": row.installer,
            "insured": row.kind is TagKind.VEHICLE_CARD,
            "fee_yuan": card_fee_yuan if row.kind is TagKind.VEHICLE_CARD else 0,
        }
        if station_area is not None:
            values.update(area_id=station_area, community_id=community)
        if row.safe_stations is not None:
            values["safe_stations"] = row.safe_station_codes()
        if row.silence_hours is not None:
            values["silence_hours"] = row.silence_hours
        tag = existing.get(row.tag)
        changed = False
        created = tag is None
        if tag is None:
            tag = Tag(code=row.tag, created_at=now, **{"safe_stations": [], **values})
            session.add(tag)
            session.flush()
            existing[row.tag] = tag
            report.created += 1
        else:
            changed = _set(tag, values)
        if row.plate or row.frame_no or row.model or row.colour:
            vehicle = vehicles.get(tag.id)
            vals = {"plate": row.plate, "frame_no": row.frame_no, "model": row.model, "colour": row.colour}
            if vehicle is None:
                vehicles[tag.id] = vehicle = Vehicle(tag_id=tag.id, **vals)
                session.add(vehicle)
                changed = True
            else:
                changed = _set(vehicle, vals) or changed
        if row.kind is TagKind.LIVESTOCK:
            animal = animals.get(tag.id)
            vals = {"species": row.species or "牲畜", "description": None}
            if animal is None:
                animals[tag.id] = Animal(tag_id=tag.id, **vals)
                session.add(animals[tag.id])
                changed = True
            else:
                changed = _set(animal, vals) or changed
        if created:
            continue
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    return report.result()
