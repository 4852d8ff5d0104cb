"""The intake keeps its tags between batches on SQLite (`TagCache`): whatever another writer changes in the
meantime (a theft reported, a tag registered, a later sighting stored by another intake) and whatever this
one rolled back is seen by its next batch, exactly as if it read every batch's tags. On PostgreSQL the intake
reads them every batch, and the same behaviour holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from pingan.bootstrap import Services, bootstrap
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.identity import Actor
from pingan.core.models import User
from pingan.core.settings import Settings
from pingan.migrate import alembic_config, upgrade
from pingan.tracking.models import TAG_TRIGGERS
from pingan.tracking.schemas import TheftCreate
from tests.integration.test_desk_api import SECRET, T0
from tests.integration.tracking_world import OWNER, TrackingWorld, build_tracking_world, migrated_world, track

T = datetime(2026, 11, 22, 8, tzinfo=UTC)


def _at(seconds: float) -> str:
    return (T + timedelta(seconds=seconds)).isoformat()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrackingWorld]:
    yield from migrated_world(request, tmp_path)


@pytest.fixture
def other(world: TrackingWorld, tmp_path: Path) -> Iterator[Services]:
    """Another process's services on the same database: its own connections, its own intake."""
    db = Database(world.w.services.db.url)
    services = bootstrap(
        Settings(database_url=db.url, secret_key=SECRET, media_dir=tmp_path / "other-media"),
        clock=FakeClock(T0),
        db=db,
    )
    try:
        yield services
    finally:
        services.desk.close()
        db.dispose()


def _report_theft(services: Services, tw: TrackingWorld, code: str, stolen_at: datetime) -> None:
    with services.db.session() as session:
        user = session.get(User, tw.w.users["admin"])
        assert user is not None
        services.tracking.report_theft(session, Actor.of(user), TheftCreate(tag=code, stolen_at=stolen_at))


def test_a_theft_reported_by_another_process_between_two_batches_alerts_on_the_next(
    world: TrackingWorld, other: Services
) -> None:
    first = world.detect({"tag": "CARD-1", "at": _at(0), "station": "S1"})
    assert (first["accepted"], first["alerts"]) == (1, [])
    # Stolen after that sighting: nothing stored to alert on until the next one.
    _report_theft(other, world, "CARD-1", T + timedelta(seconds=60))
    second = world.detect({"tag": "CARD-1", "at": _at(120), "station": "S1"})
    assert second["accepted"] == 1
    assert len(second["alerts"]) == 1
    listed = world.get("commander", "/alerts", tag="CARD-1")
    assert listed.status_code == 200, listed.text
    assert [a["kind"] for a in listed.json()] == ["theft_sighting"]


def test_a_tag_registered_by_another_process_is_known_to_the_next_batch(world: TrackingWorld, other: Services) -> None:
    unknown = world.detect({"tag": "CARD-9", "at": _at(0), "station": "S1"})
    assert unknown["accepted"] == 0
    assert [(r["index"], r["field"]) for r in unknown["rejected"]] == [(0, "tag")]
    row = {"tag": "CARD-9", "kind": "vehicle_card", "owner_phone": OWNER, "owner_name": "秦某江",
           "plate": "浙B99999", "installed_at": "2026-10-01"}  # fmt: skip
    assert other.tracking.import_tags(enumerate([row])).created == 1
    known = world.detect({"tag": "CARD-9", "at": _at(5), "station": "S1"})
    assert (known["accepted"], known["rejected"]) == (1, [])


def test_a_later_sighting_stored_by_another_intake_is_joined_not_stored_twice(
    world: TrackingWorld, other: Services
) -> None:
    assert world.detect({"tag": "CARD-2", "at": _at(0), "station": "S1"})["accepted"] == 1
    # The other process hears CARD-2 a minute later at S2; this one hears it 2 s after that at S1: the two
    # stations' overlap, one sighting (this intake must not judge it on the last sighting it stored itself).
    assert other.tracking.ingest([{"tag": "CARD-2", "at": _at(60), "station": "S2"}]).accepted == 1
    joined = world.detect({"tag": "CARD-2", "at": _at(62), "station": "S1"})
    assert (joined["accepted"], joined["merged"]) == (0, 1)
    assert [stations for _at_, stations, _jump in track(world, "CARD-2")] == [["S1"], ["S1", "S2"]]


def test_a_batch_rolled_back_leaves_nothing_behind_for_the_next(world: TrackingWorld) -> None:
    assert world.detect({"tag": "CARD-2", "at": _at(0), "station": "S1"})["accepted"] == 1
    intake = world.w.services.tracking.intake

    def failing() -> None:
        with world.w.services.db.session() as session:
            # Stored at S3 ten minutes later, then the transaction fails.
            assert intake.ingest_in(session, [{"tag": "CARD-2", "at": _at(600), "station": "S3"}]).accepted == 1
            raise RuntimeError("the caller's transaction fails after the intake's work")

    with pytest.raises(RuntimeError):
        failing()
    # Judged on what is stored (S1 at 0), not on the rolled-back S3: five minutes after it, at S1 (~11 km
    # from S3, an impossible 140 km/h), is no jump; and at the rolled-back instant a sighting of its own.
    after = world.detect({"tag": "CARD-2", "at": _at(900), "station": "S1"})
    assert (after["accepted"], after["duplicates"]) == (1, 0)
    again = world.detect({"tag": "CARD-2", "at": _at(600), "station": "S1"})
    assert (again["accepted"], again["duplicates"]) == (1, 0)
    assert track(world, "CARD-2") == [
        (T, ["S1"], False),
        (T + timedelta(seconds=600), ["S1"], False),
        (T + timedelta(seconds=900), ["S1"], False),
    ]


def test_sqlite_migrations_make_the_triggers_and_an_intake_without_them_reads_every_batch(
    tmp_path: Path, other_tmp: Path
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'triggers.db'}")
    upgrade(db)
    tw = build_tracking_world(db, tmp_path)
    try:

        def triggers() -> set[str]:
            with db.engine.connect() as conn:
                rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
                return {name for (name,) in rows}

        assert TAG_TRIGGERS.keys() <= triggers()
        cfg = alembic_config(db.url)
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0033_shared_templates")
        assert not TAG_TRIGGERS.keys() & triggers()
        upgrade(db)
        assert TAG_TRIGGERS.keys() <= triggers()

        # A schema whose triggers were lost (say, a table rebuilt by hand): nothing would tell the cache of a
        # change, so an intake finding it so reads every batch's tags, and a theft is still seen.
        with db.engine.begin() as conn:
            for name in TAG_TRIGGERS:
                conn.execute(text(f"DROP TRIGGER {name}"))
        fresh = bootstrap(
            Settings(database_url=db.url, secret_key=SECRET, media_dir=other_tmp), clock=FakeClock(T0), db=db
        )
        try:
            assert fresh.tracking.ingest([{"tag": "CARD-1", "at": _at(0), "station": "S1"}]).accepted == 1
            _report_theft(tw.w.services, tw, "CARD-1", T + timedelta(seconds=30))
            seen = fresh.tracking.ingest([{"tag": "CARD-1", "at": _at(60), "station": "S1"}])
            assert (seen.accepted, len(seen.alerts)) == (1, 1)
        finally:
            fresh.desk.close()
    finally:
        tw.client.close()
        tw.w.services.desk.close()
        db.dispose()


@pytest.fixture
def other_tmp(tmp_path: Path) -> Path:
    path = tmp_path / "fresh-media"
    path.mkdir()
    return path
