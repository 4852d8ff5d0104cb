"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from pingan import models  # noqa: F401 - registers every table
from pingan.core.db import Base, Database
from pingan.migrate import upgrade


def _diff(db: Database) -> list[object]:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
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
