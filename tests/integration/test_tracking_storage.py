"""Detections on a PostgreSQL database built by the migrations: monthly partitions, made for each batch's
months and ahead by the sweep, dropped whole past the retention; SQLite keeps one plain table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from pingan.core.db import Database
from pingan.migrate import upgrade
from pingan.tracking.storage import ensure_partitions, is_partitioned
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
        old = datetime(2025, 3, 10, 8, tzinfo=UTC)  # a late batch from long ago gets its own month
        result = tw.detect({"tag": "CARD-1", "at": old.isoformat(), "station": "S1"})
        assert result["accepted"] == 1
        assert "tracking_detections_202503" in _partitions(db)
        with db.session() as session:
            now = datetime(2026, 11, 23, tzinfo=UTC)
            dropped = ensure_partitions(session, now, retention_days=400)
        assert dropped == ["tracking_detections_202503"]
        names = _partitions(db)
        assert {"tracking_detections_202611", "tracking_detections_202612", "tracking_detections_202701"} <= set(names)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM tracking_detections")).scalar_one() == 0
        again = tw.detect({"tag": "CARD-1", "at": (now + timedelta(days=40)).isoformat(), "station": "S1"})
        assert again["accepted"] == 1
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
