"""The detection store's two paths, on SQLite and on PostgreSQL built by the migrations: the steady one (a
tag's one detection of a batch after its last sighting) and the general one (overlaps within the batch and
with stored sightings, late detections, replays), with the last sighting (`tracking_tag_seen`) moving
forward only and jumps judged on both."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from pingan.core.db import Database
from pingan.migrate import alembic_config, upgrade
from pingan.tracking.models import Station, Tag, TagSeen
from tests.integration.tracking_world import TrackingWorld, build_tracking_world, migrated_world, track

T = datetime(2026, 11, 22, 8, tzinfo=UTC)


def _at(seconds: float) -> str:
    return (T + timedelta(seconds=seconds)).isoformat()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrackingWorld]:
    yield from migrated_world(request, tmp_path)


def _last(tw: TrackingWorld, code: str) -> tuple[datetime | None, str | None]:
    with tw.w.services.db.session() as session:
        tag = session.scalar(select(Tag).where(Tag.code == code))
        assert tag is not None
        station = session.get(Station, tag.last_station_id) if tag.last_station_id else None
        return tag.last_seen_at, station.code if station else None


def test_steady_and_general_paths_store_merge_refuse_and_move_the_last_sighting_forward(world: TrackingWorld) -> None:
    tw = world
    first = tw.detect(
        {"tag": "CARD-1", "at": _at(0), "station": "S1"}, {"tag": "CARD-2", "at": _at(0), "station": "S3"}
    )
    assert (first["accepted"], first["merged"], first["duplicates"]) == (2, 0, 0)
    assert _last(tw, "CARD-1") == (T, "S1")

    # Steady for CARD-2 (one detection, after its last): S3 → S1 in a minute is ~11 km between the circles,
    # an impossible 700 km/h for a vehicle card. CARD-1 has two in the batch, 3 s apart at two stations: one
    # sighting heard by both, best signal kept.
    second = tw.detect(
        {"tag": "CARD-1", "at": _at(300), "station": "S1", "rssi": -80},
        {"tag": "CARD-1", "at": _at(303), "station": "S2", "rssi": -60},
        {"tag": "CARD-2", "at": _at(60), "station": "S1"},
    )
    assert (second["accepted"], second["merged"], second["duplicates"]) == (2, 1, 0)
    assert track(tw, "CARD-2") == [(T, ["S3"], False), (T + timedelta(seconds=60), ["S1"], True)]
    assert _last(tw, "CARD-2") == (T + timedelta(seconds=60), "S1")
    assert _last(tw, "CARD-1") == (T + timedelta(seconds=303), "S2")

    # General path: a replay (duplicate), a third station within the overlap of a stored sighting (merged into
    # it), and a late one (stored in its place; the last sighting does not move back).
    third = tw.detect(
        {"tag": "CARD-1", "at": _at(300), "station": "S1"},
        {"tag": "CARD-1", "at": _at(301), "station": "S4"},
        {"tag": "CARD-1", "at": _at(120), "station": "S1"},
    )
    assert (third["accepted"], third["merged"], third["duplicates"]) == (1, 1, 1)
    assert track(tw, "CARD-1") == [
        (T, ["S1"], False),
        (T + timedelta(seconds=120), ["S1"], False),
        (T + timedelta(seconds=300), ["S1", "S2", "S4"], False),
    ]
    assert _last(tw, "CARD-1") == (T + timedelta(seconds=303), "S2")
    with tw.w.services.db.session() as session:
        assert session.scalar(select(TagSeen.at).join(Tag, Tag.id == TagSeen.tag_id).where(Tag.code == "CARD-1")) == (
            T + timedelta(seconds=303)
        )

    # The same batch again changes nothing.
    again = tw.detect(
        {"tag": "CARD-1", "at": _at(300), "station": "S1"},
        {"tag": "CARD-1", "at": _at(301), "station": "S4"},
        {"tag": "CARD-1", "at": _at(120), "station": "S1"},
    )
    assert (again["accepted"], again["merged"], again["duplicates"]) == (0, 0, 3)
    assert len(track(tw, "CARD-1")) == 3

    # A tag never heard has no last sighting, and the silence sweep and the tag's page read that as such.
    assert _last(tw, "BR-1") == (None, None)
    listed = tw.get("commander", "/tags", kind="vehicle_card")
    assert listed.status_code == 200, listed.text
    card = next(t for t in listed.json()["items"] if t["tag"] == "CARD-1")
    assert card["last_seen_at"].startswith("2026-11-22T08:05:03")
    assert card["last_station"] == "甲一村东基站"


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_last_sightings_survive_the_migration_both_ways(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else request.getfixturevalue("fresh_postgres_url")
    db = Database(url)
    upgrade(db)
    tw = build_tracking_world(db, tmp_path)
    try:
        tw.detect({"tag": "CARD-1", "at": _at(0), "station": "S1"}, {"tag": "CARD-1", "at": _at(90), "station": "S2"})
        cfg = alembic_config(db.url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0030_tenant_rank")
        assert "tracking_tag_seen" not in inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT t.last_seen_at, s.code FROM tracking_tags t JOIN tracking_stations s "
                    "ON s.id = t.last_station_id WHERE t.code = 'CARD-1'"
                )
            ).one()
        assert str(row[0]).startswith("2026-11-22 08:01:30")
        assert row[1] == "S2"
        upgrade(db)
        assert _last(tw, "CARD-1") == (T + timedelta(seconds=90), "S2")
        assert _last(tw, "CARD-2") == (None, None)
    finally:
        tw.client.close()
        tw.w.services.desk.close()
        db.dispose()
