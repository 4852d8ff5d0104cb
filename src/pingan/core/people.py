"""The resident registry: import from CSV, and phone → person lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.csvfile import CsvColumns, read_csv
from pingan.core.db import dialect_insert
from pingan.core.errors import first_problem
from pingan.core.geo import CRS, in_china, to_wgs84
from pingan.core.identifiers import InvalidIdentifier, is_valid_cn_id_number, normalize_phone
from pingan.core.models import AreaKind, Duty, Person, PersonPhone

KNOWN_TAGS = frozenset({"elderly", "student", "youth", "disabled", "rehab", "foreign", "key_person"})
RESTRICTED_TAGS: dict[str, Duty] = {"rehab": Duty.NARCOTICS}
"""Tags that say what only a duty may know (being in drug rehabilitation): shown to its holders only."""


def visible_tags(tags: Iterable[str], duties: frozenset[str]) -> list[str]:
    """A person's tags as a user holding `duties` may see them."""
    return [t for t in tags if t not in RESTRICTED_TAGS or RESTRICTED_TAGS[t].value in duties]


class PersonIn(BaseModel):
    """One row of `pingan people import`: phones and tags are `;`-separated."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    id_number: str | None = None
    phones: list[str] = Field(default_factory=list)
    address: str | None = Field(default=None, max_length=255)
    lon: float | None = None
    lat: float | None = None
    crs: CRS = CRS.WGS84
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    tags: list[str] = Field(default_factory=list)

    @field_validator("id_number", mode="before")
    @classmethod
    def _id_number(cls, value: object) -> object:
        if value in (None, ""):
            return None
        text = str(value).strip().upper()
        if not is_valid_cn_id_number(text):
            raise ValueError("not a valid resident ID number")
        return text

    @field_validator("phones", "tags", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [p.strip() for p in value.replace("，", ";").replace(",", ";").split(";") if p.strip()]
        return value

    @field_validator("phones")
    @classmethod
    def _phones(cls, value: list[str]) -> list[str]:
        try:
            return list(dict.fromkeys(normalize_phone(p) for p in value))
        except InvalidIdentifier as exc:
            raise ValueError(str(exc)) from None

    @field_validator("lon", "lat", "birth_year", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value == "" else value


@dataclass
class PeopleReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str | None, str]] = field(default_factory=list)
    """(line, field, message) of each bad row; the good rows are kept."""


PEOPLE_COLUMNS = CsvColumns.of(PersonIn)


def read_people_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """The rows of a residents' CSV file by line; its header is checked first (`BadInput` naming the columns)."""
    return read_csv(path, PEOPLE_COLUMNS)


def import_people(
    session: Session,
    rows: Iterable[tuple[int, dict[str, Any]]],
    jurisdictions: Jurisdictions,
    now: datetime,
    *,
    chunk: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> PeopleReport:
    """Upsert residents (by ID number where there is one) and their phones; locate them in a station."""
    report = PeopleReport()
    batch: list[PersonIn] = []

    def flush() -> None:
        _store(session, batch, jurisdictions, now, report)
        if progress:
            progress(len(batch))
        batch.clear()

    for line, raw in rows:
        try:
            person = PersonIn.model_validate(raw)
            if person.lon is not None and person.lat is not None and not in_china(person.lon, person.lat):
                report.rejected.append((line, "lon", "coordinates outside China"))
                continue
        except ValidationError as exc:
            fld, _code, msg = first_problem(exc)
            report.rejected.append((line, fld, msg))
            continue
        batch.append(person)
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    return report


def _store(
    session: Session,
    batch: Sequence[PersonIn],
    jurisdictions: Jurisdictions,
    now: datetime,
    report: PeopleReport,
) -> None:
    located = [p for p in batch if p.lon is not None and p.lat is not None]
    stations: dict[int, int | None] = {}
    communities: dict[int, int | None] = {}
    for crs in CRS:
        group = [p for p in located if p.crs is crs]
        if not group:
            continue
        lons = [float(p.lon or 0) for p in group]
        lats = [float(p.lat or 0) for p in group]
        for p, sid in zip(group, jurisdictions.stations_at(session, lons, lats, crs), strict=True):
            stations[id(p)] = sid
        index = jurisdictions.index(session, AreaKind.COMMUNITY)
        if index is not None:
            for p, cid in zip(group, index.lookup_many(lons, lats, crs), strict=True):
                communities[id(p)] = cid
    # Within one batch the last row of an ID number wins, as it would across batches.
    latest: dict[str, PersonIn] = {p.id_number: p for p in batch if p.id_number}
    rows = [p for p in batch if not p.id_number or latest[p.id_number] is p]
    existing = dict(
        session.execute(select(Person.id_number, Person.id).where(Person.id_number.in_(list(latest)))).all()
    )
    inserts: list[tuple[PersonIn, dict[str, Any]]] = []
    updates: list[dict[str, Any]] = []
    phone_rows: list[dict[str, Any]] = []
    for p in rows:
        lon, lat = p.lon, p.lat
        if lon is not None and lat is not None and p.crs is CRS.GCJ02:
            lon, lat = to_wgs84(lon, lat, p.crs)
        values = {
            "name": p.name,
            "address": p.address,
            "lon": lon,
            "lat": lat,
            "birth_year": p.birth_year or (int(p.id_number[6:10]) if p.id_number else None),
            "tags": [t for t in p.tags if t],
            "station_id": stations.get(id(p)),
            "community_id": communities.get(id(p)),
        }
        person_id = existing.get(p.id_number) if p.id_number else None
        if person_id is None:
            inserts.append((p, {**values, "id_number": p.id_number, "created_at": now}))
        else:
            updates.append({"id": person_id, **values})
            phone_rows.extend({"phone": phone, "person_id": person_id} for phone in p.phones)
    if inserts:
        new_ids = session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True), [values for _, values in inserts]
        ).all()
        for (p, _values), person_id in zip(inserts, new_ids, strict=True):
            phone_rows.extend({"phone": phone, "person_id": person_id} for phone in p.phones)
    if updates:
        session.execute(update(Person), updates)
    report.created += len(inserts)
    report.updated += len(updates)
    if phone_rows:
        # A number belongs to whoever registered it last (numbers are reassigned by operators).
        latest_phone = {row["phone"]: row for row in phone_rows}
        stmt = dialect_insert(session, PersonPhone.__table__)  # type: ignore[arg-type]
        session.execute(
            stmt.on_conflict_do_update(index_elements=["phone"], set_={"person_id": stmt.excluded.person_id}),
            list(latest_phone.values()),
        )


@dataclass(frozen=True, slots=True)
class PersonFacts:
    id: int
    station_id: int | None
    birth_year: int | None
    tags: list[str]


def people_by_phone(session: Session, phones: Iterable[str]) -> dict[str, PersonFacts]:
    """The registered person behind each normalised phone number (one query for a whole batch)."""
    wanted = list(set(phones))
    if not wanted:
        return {}
    rows = session.execute(
        select(PersonPhone.phone, Person.id, Person.station_id, Person.birth_year, Person.tags)
        .join(Person, Person.id == PersonPhone.person_id)
        .where(PersonPhone.phone.in_(wanted))
    ).all()
    return {r.phone: PersonFacts(r.id, r.station_id, r.birth_year, list(r.tags or [])) for r in rows}
