"""The jurisdictions cache is read once, an empty county's too, and read again only when the areas change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from pingan.core.areas import Jurisdictions
from pingan.core.db import Database


def _count_reads_of_areas(db: Database) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM areas" in statement and "areas.geometry" in statement:  # the load's main read
            seen.append(statement)

    return seen


def test_a_county_without_areas_is_not_read_again_on_every_lead(db: Database) -> None:
    jurisdictions = Jurisdictions(db)
    reads = _count_reads_of_areas(db)
    with db.session() as session:
        for _ in range(50):
            assert jurisdictions.unit_for_station(session, None) is None
            assert jurisdictions.station_at(session, 121.87, 29.47) is None
    assert len(reads) == 1, "the areas are read once, not per lookup"

    with db.session() as session:
        jurisdictions.refresh(session)  # an import of areas asks for this
    assert len(reads) == 2
