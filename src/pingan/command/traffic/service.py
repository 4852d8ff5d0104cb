"""Import of the traffic police system's enforcement records, and their figures with 同比.

Idempotent on the record's own id: a replay counts as a duplicate and changes nothing. Bad rows are named by
line and field, the good kept. A record is placed in the station area holding its point, else the one its
place's name names.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.command.places import AddressPlaces, NoAddresses
from pingan.command.traffic.models import TrafficRecord
from pingan.command.traffic.schemas import TrafficRecordIn
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.csvfile import CsvColumns, read_csv
from pingan.core.errors import field_of
from pingan.core.geo import CRS, to_wgs84

TRAFFIC_COLUMNS = CsvColumns.of(TrafficRecordIn)


@dataclass
class TrafficImport:
    accepted: int = 0
    duplicates: int = 0
    unplaced: int = 0
    rejected: list[tuple[int, str | None, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "unplaced": self.unplaced,
            "rejected": [{"line": line, "field": fld, "message": msg} for line, fld, msg in self.rejected],
        }


def read_records_csv(path: Path) -> list[tuple[int, Any]]:
    return list(read_csv(path, TRAFFIC_COLUMNS))


def read_records_csv_bytes(raw: bytes) -> list[tuple[int, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "traffic.csv"
        path.write_bytes(raw)
        return read_records_csv(path)


class TrafficService:
    def __init__(self, clock: Clock, jurisdictions: Jurisdictions, addresses: AddressPlaces | None = None) -> None:
        self.clock = clock
        self.jurisdictions = jurisdictions
        self.addresses = addresses or NoAddresses()

    def import_rows(self, session: Session, rows: Iterable[tuple[int, Any]], *, chunk: int = 2000) -> TrafficImport:
        """Store the good rows (see the module docstring), `chunk` at a time."""
        report = TrafficImport()
        batch: list[TrafficRecordIn] = []
        seen: set[str] = set()
        for line, raw in rows:
            try:
                record = TrafficRecordIn.model_validate(raw)
            except ValidationError as exc:
                problem = exc.errors(include_url=False)[0]
                report.rejected.append((line, field_of(problem), str(problem["msg"]).removeprefix("Value error, ")))
                continue
            if record.id in seen:
                report.duplicates += 1
                continue
            seen.add(record.id)
            batch.append(record)
            if len(batch) >= chunk:
                self._store(session, batch, report)
                batch = []
        if batch:
            self._store(session, batch, report)
        return report

    def _store(self, session: Session, batch: list[TrafficRecordIn], report: TrafficImport) -> None:
        known = set(
            session.scalars(select(TrafficRecord.source_id).where(TrafficRecord.source_id.in_([r.id for r in batch])))
        )
        now = self.clock.now()
        rows: list[TrafficRecord] = []
        for r in batch:
            if r.id in known:
                report.duplicates += 1
                continue
            lon, lat = r.lon, r.lat
            if lon is not None and lat is not None and r.crs is not CRS.WGS84:
                lon, lat = to_wgs84(lon, lat, r.crs)
            area_id = self.jurisdictions.station_at(session, lon, lat) if lon is not None and lat is not None else None
            if area_id is None and r.place:
                area_id = self.addresses.station_of(session, r.place)
            report.unplaced += area_id is None
            rows.append(
                TrafficRecord(
                    source_id=r.id,
                    type=r.type,
                    at=r.at,
                    place=r.place,
                    lon=lon,
                    lat=lat,
                    area_id=area_id,
                    outcome=r.outcome,
                    imported_at=now,
                )
            )
        session.add_all(rows)
        session.flush()
        report.accepted += len(rows)
