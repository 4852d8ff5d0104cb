"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from pingan import models  # noqa: F401 - registers every table
from pingan.core.db import Base, Database
from pingan.core.outbox import OutboxMessage, OutboxState
from pingan.desk.models import DeskRequest
from pingan.migrate import alembic_config, upgrade
from tests.integration.test_desk_api import build_world


def _not_a_partition(obj: object, name: str | None, kind: str, reflected: bool, compare_to: object) -> bool:
    # PostgreSQL keeps the tracking detections in month partitions (tracking_detections_YYYYMM): tables of
    # the database that the models rightly do not describe.
    return not (
        kind == "table" and reflected and compare_to is None and re.fullmatch(r"tracking_detections_\d{6}", name or "")
    )


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False, "include_object": _not_a_partition})
        return list(compare_metadata(ctx, Base.metadata))


def test_upgrade_builds_the_models_schema_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(db)
    assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())
    assert _diff(db) == []
    upgrade(db)  # a second run is a no-op
    db.dispose()


@pytest.mark.postgres
def test_upgrade_builds_the_models_schema_on_postgresql(fresh_postgres_url: str) -> None:
    db = Database(fresh_postgres_url)
    upgrade(db)
    assert _diff(db) == []
    db.dispose()


def _downgrade(db: Database, revision: str) -> None:
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_outbox_upgrade_announces_fraud_requests_the_old_version_had_not_forwarded(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}" if backend == "sqlite" else request.getfixturevalue("fresh_postgres_url")
    db = Database(url)
    upgrade(db)
    world = build_world(db, tmp_path)
    posted = world.posted(world.resident("13800009101"), category="fraud", text="有人让我下载APP刷单返利")
    world.client.close()
    # Back to the version before the outbox: its request is there, unforwarded, its announcement gone.
    _downgrade(db, "0001")
    assert "outbox" not in inspect(db.engine).get_table_names()
    upgrade(db)
    with db.session() as session:
        [row] = session.scalars(select(OutboxMessage)).all()
    assert (row.kind, row.payload, row.state) == (
        "desk.fraud_report",
        {"request_id": posted["id"]},
        OutboxState.PENDING,
    )
    world.clock.set(row.available_at)  # the migration stamps the real time; the world's clock is fake
    assert world.services.outbox.run_until_idle() == 1
    with db.session() as session:
        forwarded = session.get(DeskRequest, posted["id"])
        assert forwarded is not None
        assert forwarded.fraud_warning_id is not None
    world.services.desk.close()
    db.dispose()
