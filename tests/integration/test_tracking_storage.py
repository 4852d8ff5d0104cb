"""Detections on a PostgreSQL database built by the migrations: monthly partitions, made for each batch's
months and ahead by the sweep, dropped whole past the retention; SQLite keeps one plain table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from pingan.core.db import Database
from pingan.migrate import upgrade
from pingan.tracking.storage import ensure_partitions, is_partitioned, oldest_kept
from tests.integration.tracking_world import build_tracking_world


def _partitions(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'tracking_detections' ORDER BY 1"
            )
        )
        return [r[0] for r in rows]


@pytest.mark.postgres
def test_detections_go_to_month_partitions_made_as_needed_and_dropped_past_the_retention(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    db = Database(fresh_postgres_url)
    upgrade(db)
    tw = build_tracking_world(db, tmp_path)
    try:
        with db.session() as session:
            assert is_partitioned(session)
        now = tw.w.clock.now()  # 2026-11-23 02:00 UTC; retention_days = 400
        cutoff = oldest_kept(now, 400)
        assert cutoff == datetime(2025, 10, 19, 2, tzinfo=UTC)
        late = datetime(2025, 11, 10, 8, tzinfo=UTC)  # a late batch from long ago gets its own month
        result = tw.detect(
            {"tag": "CARD-1", "at": datetime(2025, 3, 10, 8, tzinfo=UTC).isoformat(), "station": "S1"},
            {"tag": "CARD-1", "at": late.isoformat(), "station": "S1"},
            {"tag": "CARD-1", "at": cutoff.isoformat(), "station": "S1"},  # the border: kept
            {"tag": "CARD-1", "at": (cutoff - timedelta(seconds=1)).isoformat(), "station": "S1"},
            {"tag": "CARD-2", "at": (now - timedelta(hours=1)).isoformat(), "station": "S1"},
        )
        assert result["accepted"] == 3
        assert [(r["index"], r["field"]) for r in result["rejected"]] == [(0, "at"), (3, "at")]
        assert "保留期限" in result["rejected"][0]["message"]
        names = _partitions(db)
        assert {"tracking_detections_202510", "tracking_detections_202511"} <= set(names)
        assert "tracking_detections_202503" not in names

        later = datetime(2027, 1, 22, tzinfo=UTC)  # retention from 2025-12-18: October and November 2025 go
        with db.session() as session:
            dropped = ensure_partitions(session, later, retention_days=400)
        assert sorted(dropped) == ["tracking_detections_202510", "tracking_detections_202511"]
        names = _partitions(db)
        assert {
            "tracking_detections_202611",
            "tracking_detections_202612",
            "tracking_detections_202701",
            "tracking_detections_202702",
            "tracking_detections_202703",
        } <= set(names)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM tracking_detections")).scalar_one() == 1
        # The dropped day reads as an empty track, not an error.
        day = tw.get(
            "admin", "/tags/CARD-1/track", **{"from": late.isoformat(), "to": (late + timedelta(days=1)).isoformat()}
        )
        assert day.status_code == 200, day.text
        assert day.json()["features"] == []
        # Nothing is dropped or refused when the retention is 0 (kept forever).
        with db.session() as session:
            assert ensure_partitions(session, later + timedelta(days=3650), retention_days=0) == []
        assert oldest_kept(later, 0) is None
        again = tw.detect({"tag": "CARD-1", "at": (now + timedelta(days=40)).isoformat(), "station": "S1"})
        assert again["accepted"] == 1
    finally:
        tw.client.close()
        tw.w.services.desk.close()
        db.dispose()


def test_sqlite_refuses_a_detection_past_the_retention_and_keeps_the_rest(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'r.db'}")
    upgrade(db)
    tw = build_tracking_world(db, tmp_path)
    try:
        now = tw.w.clock.now()
        result = tw.detect(
            {"tag": "CARD-1", "at": (now - timedelta(days=401)).isoformat(), "station": "S1"},
            {"tag": "CARD-1", "at": (now - timedelta(days=399)).isoformat(), "station": "S1"},
        )
        assert result["accepted"] == 1
        assert [(r["index"], r["field"]) for r in result["rejected"]] == [(0, "at")]
    finally:
        tw.client.close()
        tw.w.services.desk.close()
        db.dispose()


def test_sqlite_keeps_one_plain_table(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(db)
    with db.session() as session:
        assert not is_partitioned(session)
        assert ensure_partitions(session, datetime(2026, 1, 1, tzinfo=UTC), retention_days=1) == []
    db.dispose()
