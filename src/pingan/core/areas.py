"""Jurisdictions in the database: import from GeoJSON, and "which station is this point in"."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shapely import wkb
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.db import Database
from pingan.core.geo import CRS, AreaIndex, GeoArea, GeoError, read_geojson_areas
from pingan.core.models import Area, AreaKind, Unit, UnitKind
from pingan.core.setup import ensure_county_units


@dataclass(frozen=True, slots=True)
class ImportReport:
    created: int
    updated: int
    units_created: int


def station_unit_name(area: GeoArea) -> str:
    """The 派出所's name: the area's `station` property when the file has one, else "<area>派出所"."""
    named = area.properties.get("station")
    if isinstance(named, str) and named.strip():
        return named.strip()
    return area.name if area.name.endswith("派出所") else f"{area.name}派出所"


def import_areas(
    session: Session,
    areas: Sequence[GeoArea],
    *,
    kind: AreaKind = AreaKind.STATION,
    parent_code: str | None = None,
    with_units: bool = True,
) -> ImportReport:
    """Upsert areas by code (the name when there is no code); a station area gets its station unit.

    Re-importing the same file changes nothing; a changed boundary replaces the old one and bumps its
    generation.
    """
    parent_id = None
    if parent_code is not None:
        parent_id = session.scalar(select(Area.id).where(Area.code == parent_code))
        if parent_id is None:
            raise GeoError(f"no area with the code {parent_code!r} to hold these areas: import it first")
    created = updated = units = 0
    for area in areas:
        code = area.code or area.name
        blob = wkb.dumps(area.geometry)
        row = session.scalar(select(Area).where(Area.code == code))
        if row is None:
            row = Area(code=code, name=area.name, kind=kind, parent_id=parent_id, geometry=blob, generation=1)
            session.add(row)
            created += 1
        elif row.geometry != blob or row.name != area.name or row.kind != kind:
            row.name, row.kind, row.geometry = area.name, kind, blob
            row.generation += 1
            updated += 1
        session.flush()
        if with_units and kind is AreaKind.COUNTY:
            ensure_county_units(session, row)
        if with_units and kind is AreaKind.STATION:
            unit = session.scalar(select(Unit).where(Unit.kind == UnitKind.STATION, Unit.area_id == row.id))
            if unit is None:
                session.add(
                    Unit(
                        code=f"station-{code}",
                        name=station_unit_name(area),
                        kind=UnitKind.STATION,
                        area_id=row.id,
                    )
                )
                units += 1
    session.flush()
    return ImportReport(created, updated, units)


def import_geojson(
    session: Session,
    path: Path,
    *,
    name_property: str = "name",
    code_property: str | None = "adcode",
    crs: CRS = CRS.WGS84,
    kind: AreaKind = AreaKind.STATION,
    parent_code: str | None = None,
) -> ImportReport:
    return import_areas(
        session,
        read_geojson_areas(path, name_property=name_property, code_property=code_property, crs=crs),
        kind=kind,
        parent_code=parent_code,
    )


class Jurisdictions:
    """Cached point → station lookups and station → unit routing, rebuilt when areas change."""

    def __init__(self, db: Database, *, snap_m: float = 1000.0) -> None:
        self.db = db
        self.snap_m = snap_m
        self._lock = threading.Lock()
        self._index: dict[AreaKind, AreaIndex] = {}
        self._stamp: tuple[int, int] | None = None
        self._units: dict[int, int] = {}
        self._centre: int | None = None
        self._county_of: dict[int, int] = {}
        self._county_codes: dict[str, int] = {}
        self._centres: dict[int, int] = {}

    def invalidate(self) -> None:
        with self._lock:
            self._index.clear()
            self._units.clear()
            self._stamp = None
            self._centre = None
            self._county_of, self._county_codes, self._centres = {}, {}, {}

    def _load(self, session: Session) -> None:
        rows = session.execute(select(Area.id, Area.kind, Area.geometry, Area.generation).where(Area.active)).all()
        stamp = (len(rows), sum(r.generation for r in rows))
        if stamp == self._stamp:
            return
        by_kind: dict[AreaKind, list[tuple[int, object]]] = {}
        for row in rows:
            if row.geometry is not None:
                by_kind.setdefault(row.kind, []).append((row.id, wkb.loads(row.geometry)))
        self._index = {k: AreaIndex(v, snap_m=self.snap_m) for k, v in by_kind.items()}
        self._units = {
            area_id: unit_id
            for unit_id, area_id in session.execute(
                select(Unit.id, Unit.area_id).where(Unit.kind == UnitKind.STATION, Unit.area_id.is_not(None))
            )
            if area_id is not None
        }
        self._centre = session.scalar(
            select(Unit.id).where(Unit.kind == UnitKind.ANTI_FRAUD_CENTRE).order_by(Unit.id).limit(1)
        )
        # Several counties in one deployment: what cannot be placed at a station goes to its county's centre.
        tree = session.execute(select(Area.id, Area.parent_id, Area.kind, Area.code).where(Area.active)).all()
        parents = {r.id: r.parent_id for r in tree}
        counties = {r.id for r in tree if r.kind is AreaKind.COUNTY}
        self._county_codes = {r.code: r.id for r in tree if r.kind is AreaKind.COUNTY}
        self._county_of = {}
        for area_id in parents:
            at: int | None = area_id
            for _ in range(10):  # province → city → county → station → community, with room to spare
                if at is None or at in counties:
                    break
                at = parents.get(at)
            if at is not None and at in counties:
                self._county_of[area_id] = at
        self._centres = {
            area_id: unit_id
            for unit_id, area_id in session.execute(
                select(Unit.id, Unit.area_id)
                .where(Unit.kind == UnitKind.ANTI_FRAUD_CENTRE, Unit.area_id.is_not(None))
                .order_by(Unit.id)
            )
            if area_id is not None
        }
        self._stamp = stamp

    def index(self, session: Session, kind: AreaKind = AreaKind.STATION) -> AreaIndex | None:
        with self._lock:
            # Loaded once (an empty county too: it is not read again on every lookup), then on `refresh`.
            if self._stamp is None:
                self._load(session)
            return self._index.get(kind)

    def refresh(self, session: Session) -> None:
        with self._lock:
            self._load(session)

    def station_at(self, session: Session, lon: float, lat: float, crs: CRS = CRS.WGS84) -> int | None:
        index = self.index(session)
        return None if index is None else index.lookup(lon, lat, crs)

    def stations_at(
        self, session: Session, lons: Sequence[float], lats: Sequence[float], crs: CRS = CRS.WGS84
    ) -> list[int | None]:
        index = self.index(session)
        return [None] * len(lons) if index is None else index.lookup_many(lons, lats, crs)

    def community_at(self, session: Session, lon: float, lat: float, crs: CRS = CRS.WGS84) -> int | None:
        index = self.index(session, AreaKind.COMMUNITY)
        return None if index is None else index.lookup(lon, lat, crs)

    def unit_for_station(self, session: Session, area_id: int | None) -> int | None:
        """The station unit answering for an area; the anti-fraud centre when there is none."""
        with self._lock:
            if self._stamp is None:
                self._load(session)
            if area_id is not None and area_id in self._units:
                return self._units[area_id]
        if area_id is not None:
            unit = session.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == area_id))
            if unit is not None:
                with self._lock:
                    self._units[area_id] = unit
                return unit
        with self._lock:
            county = self._county_of.get(area_id) if area_id is not None else None
            return self._centres.get(county, self._centre) if county is not None else self._centre

    def county_code_of(self, session: Session, area_id: int | None) -> str | None:
        """The code of the county an area lies in, when the deployment writes its counties down."""
        if area_id is None:
            return None
        with self._lock:
            if self._stamp is None:
                self._load(session)
            county = self._county_of.get(area_id)
            if county is None:
                return None
            return next((code for code, cid in self._county_codes.items() if cid == county), None)

    def centre_of_county(self, session: Session, code: str) -> int | None:
        """The anti-fraud centre of the county with this area code (a lead the province addressed to it);
        None when no such county is written down."""
        with self._lock:
            if self._stamp is None:
                self._load(session)
            county = self._county_codes.get(code)
            return self._centres.get(county) if county is not None else None
