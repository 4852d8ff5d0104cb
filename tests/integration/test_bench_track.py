"""`pingan bench track` end to end at a small size, on PostgreSQL (the product's partitioned table, loaded a
month at a time and given back its keys) and on SQLite: the data is what was asked, the schema is the
product's, the track query's plan uses the (tag_id, at) index and scans one partition, and --reuse reads
what --keep left. Speed is not judged here."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from pingan.bench.track import TrackBenchConfig, plan_months, run_track_bench
from pingan.core.db import make_engine


def test_the_months_are_the_whole_ones_before_this_one_and_share_every_detection() -> None:
    months = plan_months(TrackBenchConfig(detections=1_000_003, tags=7, months=3), date(2026, 1, 15))
    assert [m.start for m in months] == [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)]
    assert sum(m.count for m in months) == 1_000_003
    assert [m.first for m in months] == [0, 333_334, 666_668]
    assert months[-1].end == date(2026, 1, 1)


@pytest.mark.postgres
def test_on_postgres_the_load_keeps_the_products_schema_and_the_track_prunes(postgres_admin_url: str) -> None:
    name = f"pingan_bench_track_t_{uuid.uuid4().hex[:8]}"
    config = TrackBenchConfig(
        detections=40_001, tags=301, months=2, stations=20, queries=40, database_url=postgres_admin_url, database=name
    )
    admin = make_engine(postgres_admin_url)
    try:
        figures = run_track_bench(replace(config, keep=True), say=lambda _: None)
        assert figures["ok"] is True
        assert figures["reused"] is False
        assert figures["load_s"] > 0
        assert figures["schema_ok"] is True
        assert figures["plan_uses_index"] is True
        assert figures["partitions_scanned"] == 1
        assert figures["queries"] == 40
        assert figures["track_p50_ms"] <= figures["track_p99_ms"]
        # 20,000 a month over 301 tags: 67 slots, about 2.2 a day
        assert 1.5 < figures["rows_per_day_mean"] < 3.0
        assert figures["table_bytes"] > 0
        assert figures["index_bytes"] > 0
        bench = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
        try:
            with bench.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM tracking_detections")).scalar_one() == 40_001
                assert (
                    conn.execute(sa.text("SELECT count(DISTINCT (tag_id, at)) FROM tracking_detections")).scalar_one()
                    == 40_001
                )
                assert conn.execute(sa.text("SELECT max(id) FROM tracking_detections")).scalar_one() == 40_001
                # A new detection takes the next id: the sequence was moved past the loaded ones.
                assert (
                    conn.execute(
                        sa.text("SELECT nextval(pg_get_serial_sequence('tracking_detections', 'id'))")
                    ).scalar_one()
                    == 40_002
                )
        finally:
            bench.dispose()
        again = run_track_bench(replace(config, reuse=True), say=lambda _: None)
        assert again["reused"] is True
        assert again["load_s"] is None
        assert again["plan_uses_index"] is True
        with admin.connect() as conn:
            assert conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_on_sqlite_a_tags_day_reads_through_its_unique_key(tmp_path: Path) -> None:
    path = tmp_path / "track.db"
    figures = run_track_bench(
        TrackBenchConfig(
            detections=20_011, tags=97, months=1, stations=10, queries=30, database_url=f"sqlite:///{path}"
        ),
        say=lambda _: None,
    )
    assert figures["backend"] == "sqlite"
    assert figures["ok"] is True
    assert figures["plan_uses_index"] is True
    assert figures["rows_per_day_mean"] > 5
    assert figures["days_without_rows"] == 0
    assert not path.exists()  # dropped without --keep
