"""Patrol's use cases: zones imported from GeoJSON, patrol units registered, positions reported, the roster
kept, and the "135" reach answered from the last positions and the roster (each one transaction's work on a
session the caller holds)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from shapely import wkb
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pingan.command.patrol import reach as reach_rules
from pingan.command.patrol import roster
from pingan.command.patrol.models import DutyShift, PatrolUnit, PatrolZone, UnitType
from pingan.command.patrol.reach import Exclusion, Fix, Reach
from pingan.command.patrol.rules import PatrolRules
from pingan.command.patrol.schemas import (
    ImportResult,
    PatrolUnitIn,
    PositionIn,
    PositionsResult,
    Rejected,
    ShiftCreate,
)
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, NotFound, first_problem
from pingan.core.geo import CRS, AreaIndex, GeoError, read_geojson_areas, to_wgs84
from pingan.core.models import Role, Unit, User
from pingan.core.scope import Scope

FUTURE_SLACK = timedelta(minutes=2)
"""A device clock may run a little ahead; a position further in the future is refused."""


@dataclass(frozen=True)
class ZoneImport:
    created: int
    updated: int
    zones: list[str]


def _parse(model: type[BaseModel], index: int, raw: Any, rejected: list[Rejected], key: str) -> Any:
    if not isinstance(raw, Mapping):
        rejected.append(Rejected(index=index, field=None, message="每一项须为对象"))
        return None
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        fld, _code, message = first_problem(exc)
        ident = raw.get(key)
        rejected.append(Rejected(index=index, id=str(ident) if ident is not None else None, field=fld, message=message))
        return None


class Patrol:
    """The patrol capability's services over one database."""

    def __init__(self, db: Database, clock: Clock, rules: PatrolRules, jurisdictions: Jurisdictions) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.jurisdictions = jurisdictions
        self._lock = threading.Lock()
        self._zones: tuple[tuple[int, Any], AreaIndex | None] = ((0, None), None)
        self._roster: _RosterCache | None = None

    # -- zones ---------------------------------------------------------------------------------------------

    def import_zones(
        self,
        session: Session,
        document: Mapping[str, Any],
        *,
        crs: CRS = CRS.WGS84,
        name_property: str = "name",
        code_property: str = "code",
    ) -> ZoneImport:
        """Patrol zones from a GeoJSON FeatureCollection, upserted by code; each zone's station is the one its
        inner point lies in. A bad feature refuses the whole file, naming it (zones are drawn together)."""
        try:
            areas = read_geojson_areas(document, name_property=name_property, code_property=code_property, crs=crs)
        except GeoError as exc:
            raise BadInput(str(exc), field=exc.property or "features", code="bad_geojson") from None
        if not areas:
            raise BadInput("文件中没有片区", field="features", code="bad_geojson")
        for i, area in enumerate(areas):
            if not area.code or len(area.code) > 32 or "\x00" in area.code:
                raise BadInput(f"feature {i}: 片区编号须为 1–32 个字符", field=code_property, code="bad_geojson")
            if len(area.name) > 100 or "\x00" in area.name:
                raise BadInput(f"feature {i}: 片区名称最长 100 个字符", field=name_property, code="bad_geojson")
        codes = [a.code or "" for a in areas]
        if len(set(codes)) != len(codes):
            raise BadInput("片区编号重复", field=code_property, code="bad_geojson")
        now = self.clock.now()
        existing = {z.code: z for z in session.scalars(select(PatrolZone).where(PatrolZone.code.in_(codes)))}
        created = updated = 0
        for area in areas:
            inner = area.geometry.representative_point()
            station_area = self.jurisdictions.station_at(session, inner.x, inner.y)
            unit_id = self.jurisdictions.unit_for_station(session, station_area) if station_area else None
            values = {
                "name": area.name,
                "geometry": wkb.dumps(area.geometry),
                "area_id": station_area,
                "unit_id": unit_id,
                "updated_at": now,
            }
            zone = existing.get(area.code or "")
            if zone is None:
                session.add(PatrolZone(code=area.code, created_at=now, **values))
                created += 1
            else:
                for key, value in values.items():
                    setattr(zone, key, value)
                updated += 1
        session.flush()
        return ZoneImport(created, updated, codes)

    def zone_index(self, session: Session) -> AreaIndex | None:
        count, latest = session.execute(select(func.count(PatrolZone.id), func.max(PatrolZone.updated_at))).one()
        stamp: tuple[int, Any] = (int(count or 0), latest)
        with self._lock:
            if self._zones[0] == stamp:
                return self._zones[1]
        rows = session.execute(select(PatrolZone.id, PatrolZone.geometry)).all()
        index = AreaIndex([(r.id, wkb.loads(r.geometry)) for r in rows], snap_m=200.0) if rows else None
        with self._lock:
            self._zones = (stamp, index)
        return index

    def zone_at(self, session: Session, lon: float, lat: float) -> int | None:
        """The patrol zone a WGS84 point lies in (within 200 m of one, for a point on a shore)."""
        index = self.zone_index(session)
        return None if index is None else index.lookup(lon, lat)

    # -- units ---------------------------------------------------------------------------------------------

    def register_units(self, session: Session, items: Iterable[tuple[int, Any]]) -> ImportResult:
        """Register patrol units (upsert by call sign); a bad item is named, the good ones kept."""
        result = ImportResult()
        rows: list[tuple[int, PatrolUnitIn]] = []
        for index, raw in items:
            row = _parse(PatrolUnitIn, index, raw, result.rejected, "code")
            if row is not None:
                rows.append((index, row))
        units = dict(session.execute(select(Unit.code, Unit.id).where(Unit.code.in_({r.unit for _, r in rows}))).all())
        zones = dict(
            session.execute(
                select(PatrolZone.code, PatrolZone.id).where(PatrolZone.code.in_({r.zone for _, r in rows if r.zone}))
            ).all()
        )
        leaders = {
            u.username: u
            for u in session.scalars(select(User).where(User.username.in_({r.leader for _, r in rows if r.leader})))
        }
        existing = {
            p.code: p for p in session.scalars(select(PatrolUnit).where(PatrolUnit.code.in_([r.code for _, r in rows])))
        }
        now = self.clock.now()
        for index, row in rows:
            unit_id = units.get(row.unit)
            if unit_id is None:
                result.rejected.append(Rejected(index=index, id=row.code, field="unit", message="单位不存在"))
                continue
            if row.zone and row.zone not in zones:
                result.rejected.append(Rejected(index=index, id=row.code, field="zone", message="片区不存在"))
                continue
            leader = leaders.get(row.leader) if row.leader else None
            if row.leader and (leader is None or leader.unit_id != unit_id or leader.role not in STAFF_ON_PATROL):
                result.rejected.append(
                    Rejected(index=index, id=row.code, field="leader", message="带班民警不存在或不属于该单位")
                )
                continue
            values = {
                "name": row.name,
                "kind": row.kind,
                "unit_id": unit_id,
                "zone_id": zones.get(row.zone) if row.zone else None,
                "leader_id": leader.id if leader else None,
                "active": row.active,
            }
            unit = existing.get(row.code)
            if unit is None:
                unit = PatrolUnit(code=row.code, created_at=now, **values)
                session.add(unit)
                existing[row.code] = unit
                result.created += 1
            elif any(getattr(unit, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(unit, key, value)
                result.updated += 1
            else:
                result.unchanged += 1
        session.flush()
        result.rejected.sort(key=lambda r: r.index)
        return result

    def report_positions(self, session: Session, scope: Scope, items: Iterable[tuple[int, Any]]) -> PositionsResult:
        """Positions of patrol units: each unit keeps its newest (a replay or a late report changes nothing).
        Station staff report only their own station's units."""
        result = PositionsResult()
        rows: list[tuple[int, PositionIn]] = []
        for index, raw in items:
            row = _parse(PositionIn, index, raw, result.rejected, "unit")
            if row is not None:
                rows.append((index, row))
        units = {
            u.code: u for u in session.scalars(select(PatrolUnit).where(PatrolUnit.code.in_({r.unit for _, r in rows})))
        }
        latest = self.clock.now() + FUTURE_SLACK
        for index, row in rows:
            unit = units.get(row.unit)
            if unit is None or not (scope.county_wide or unit.unit_id in scope.unit_ids):
                result.rejected.append(
                    Rejected(index=index, id=row.unit, field="unit", message="巡组不存在或不属于本单位")
                )
                continue
            if row.at > latest:
                result.rejected.append(Rejected(index=index, id=row.unit, field="at", message="定位时间晚于当前时间"))
                continue
            if unit.position_at is not None and row.at <= unit.position_at:
                result.older += 1
                continue
            lon, lat = to_wgs84(row.lon, row.lat, row.crs)
            unit.lon, unit.lat, unit.position_at = round(lon, 7), round(lat, 7), row.at
            result.stored += 1
        session.flush()
        result.rejected.sort(key=lambda r: r.index)
        return result

    def units(self, session: Session, scope: Scope) -> list[PatrolUnit]:
        stmt = select(PatrolUnit).order_by(PatrolUnit.code)
        if not scope.county_wide:
            stmt = stmt.where(PatrolUnit.unit_id.in_(scope.unit_ids or {-1}))
        return list(session.scalars(stmt))

    # -- the roster ----------------------------------------------------------------------------------------

    def rows_covering(
        self, session: Session, start: datetime, end: datetime, unit_ids: Iterable[int] | None = None
    ) -> list[DutyShift]:
        stmt = select(DutyShift).where(DutyShift.starts_at < end, DutyShift.ends_at > start)
        if unit_ids is not None:
            stmt = stmt.where(DutyShift.unit_id.in_(set(unit_ids) or {-1}))
        return list(session.scalars(stmt.order_by(DutyShift.starts_at, DutyShift.id)))

    def add_shift(self, session: Session, actor: User, scope: Scope, body: ShiftCreate) -> DutyShift:
        """A roster row; a station head writes only their own station's roster."""
        roster.check_shift(body.starts_at, body.ends_at, body.patrol_unit_id, body.user_id)
        if body.patrol_unit_id is not None:
            patrol_unit = session.get(PatrolUnit, body.patrol_unit_id)
            if patrol_unit is None or not (scope.county_wide or patrol_unit.unit_id in scope.unit_ids):
                raise BadInput("巡组不存在或不属于本单位", field="patrol_unit_id", code="no_such_unit")
            unit_id = patrol_unit.unit_id
        else:
            user = session.get(User, body.user_id)
            if user is None or not user.active or user.role not in STAFF_ON_PATROL or user.unit_id is None:
                raise BadInput("民警不存在或不能排班", field="user_id", code="no_such_user")
            if not (scope.county_wide or user.unit_id in scope.unit_ids):
                raise BadInput("该民警不属于本单位", field="user_id", code="other_unit")
            unit_id = user.unit_id
        shift = DutyShift(
            kind=body.kind,
            unit_id=unit_id,
            patrol_unit_id=body.patrol_unit_id,
            user_id=body.user_id,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            note=body.note,
            created_by=actor.id,
            created_at=self.clock.now(),
        )
        session.add(shift)
        session.flush()
        return shift

    def delete_shift(self, session: Session, scope: Scope, shift_id: int) -> None:
        shift = session.get(DutyShift, shift_id)
        if shift is None or not (scope.county_wide or shift.unit_id in scope.unit_ids):
            raise NotFound("勤务不存在或不属于本单位", field="shift_id")
        session.execute(delete(DutyShift).where(DutyShift.id == shift_id))

    def _rows(self, session: Session, now: datetime) -> list[roster.Row]:
        """The roster rows covering `now`, read as plain rows."""
        shifts = session.execute(
            select(
                DutyShift.kind, DutyShift.patrol_unit_id, DutyShift.user_id, DutyShift.starts_at, DutyShift.ends_at
            ).where(DutyShift.starts_at <= now, DutyShift.ends_at > now)
        ).all()
        return [roster.Row(*s) for s in shifts]

    def unit_verdicts(
        self, session: Session, units: Sequence[PatrolUnit], now: datetime
    ) -> dict[int, tuple[Exclusion, str]]:
        crews = [roster.Crew(u.id, u.leader_id, u.active) for u in units]
        return roster.unit_verdicts(crews, self._rows(session, now), now)

    def officer_verdict(self, session: Session, user_id: int, now: datetime) -> tuple[Exclusion, str] | None:
        led = session.scalars(select(PatrolUnit.id).where(PatrolUnit.leader_id == user_id))
        return roster.officer_verdict(user_id, self._rows(session, now), now, led)

    # -- the reach -----------------------------------------------------------------------------------------

    def reach(
        self,
        session: Session,
        scope: Scope,
        lon: float,
        lat: float,
        *,
        busy: Mapping[int, str] | None = None,
        at: datetime | None = None,
    ) -> tuple[Reach, dict[int, UnitBrief]]:
        """The "135" reach of a WGS84 point over the patrol units the scope covers, with the units by id.

        One query a reach (it is asked for on every click and every alarm): the units and their positions, as
        plain rows, with the roster's stamp; the roster rows themselves are read again only when that stamp
        moves (a shift added or deleted) or the cached window of time has passed (`_roster_rows`)."""
        now = at or self.clock.now()
        stmt = select(
            PatrolUnit.id, PatrolUnit.code, PatrolUnit.name, PatrolUnit.kind, PatrolUnit.lon, PatrolUnit.lat,
            PatrolUnit.position_at, PatrolUnit.leader_id, PatrolUnit.active,
            select(func.count(DutyShift.id)).scalar_subquery().label("shifts"),
            select(func.max(DutyShift.id)).scalar_subquery().label("last_shift"),
            select(func.max(DutyShift.created_at)).scalar_subquery().label("last_written"),
        )  # fmt: skip
        if not scope.county_wide:
            stmt = stmt.where(PatrolUnit.unit_id.in_(scope.unit_ids or {-1}))
        rows = session.execute(stmt).all()
        if not rows:
            return reach_rules.compute(lon, lat, [], now, self.rules, {}), {}
        units = {r.id: UnitBrief(r.id, r.code, r.name, r.kind, r.lon, r.lat) for r in rows}
        crews = [roster.Crew(r.id, r.leader_id, r.active) for r in rows]
        first = rows[0]
        stamp = (int(first.shifts or 0), int(first.last_shift or 0), str(first.last_written))
        shifts = self._roster_rows(session, now, stamp)
        verdicts = roster.unit_verdicts(crews, shifts, now)
        for unit_id, detail in (busy or {}).items():
            verdicts.setdefault(unit_id, (Exclusion.BUSY, detail))
        fixes = [Fix(r.id, r.kind, r.lon, r.lat, r.position_at) for r in rows]
        return reach_rules.compute(lon, lat, fixes, now, self.rules, verdicts), units

    def _roster_rows(self, session: Session, now: datetime, stamp: tuple[int, int, str]) -> list[roster.Row]:
        """The roster rows covering `now`, from the cache while the roster's stamp (its count, highest id and
        latest write: shifts are only ever added or deleted, and SQLite may give a deleted highest id to the next
        shift) is the one read with them and `now` lies in the cached window;
        otherwise read again, the rows of the next `ROSTER_WINDOW` (so a shift starting soon is there)."""
        with self._lock:
            cached = self._roster
        if cached is None or cached.stamp != stamp or not (cached.start <= now < cached.end):
            end = now + ROSTER_WINDOW
            read = session.execute(
                select(
                    DutyShift.kind, DutyShift.patrol_unit_id, DutyShift.user_id, DutyShift.starts_at, DutyShift.ends_at
                ).where(DutyShift.starts_at < end, DutyShift.ends_at > now)
            ).all()
            cached = _RosterCache(stamp, now, end, [roster.Row(*r) for r in read])
            with self._lock:
                self._roster = cached
        return [r for r in cached.rows if r.covers(now)]

    def available(self, session: Session, patrol_unit: PatrolUnit, now: datetime) -> tuple[Exclusion, str] | None:
        """Why the roster does not let a patrol unit be sent now; None: it may. (A stale position keeps a
        unit out of the proposals, not out of the dispatcher's hands: the radio may know where it is.)"""
        return self.unit_verdicts(session, [patrol_unit], now).get(patrol_unit.id)


ROSTER_WINDOW = timedelta(minutes=10)
"""How far ahead the reach's cached roster reaches: its rows are read again at the latest this often."""


@dataclass(frozen=True, slots=True)
class _RosterCache:
    stamp: tuple[int, int, str]
    start: datetime
    end: datetime
    rows: list[roster.Row]


@dataclass(frozen=True, slots=True)
class UnitBrief:
    """A patrol unit as a reach names it."""

    id: int
    code: str
    name: str
    kind: UnitType
    lon: float | None
    lat: float | None


STAFF_ON_PATROL = frozenset({Role.STATION_HEAD, Role.OFFICER, Role.COMMANDER})
"""Who may lead a patrol unit or stand on the roster."""
