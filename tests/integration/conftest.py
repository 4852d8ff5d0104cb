"""The `db` fixture: an empty database with every table, on SQLite and on PostgreSQL.

SQLite is a fresh file per test (WAL, as in production). PostgreSQL gets one schema per test run
(a worker of `pytest -n` has its own), created with every table once and emptied before each test,
which is much quicker than a database per test. The server is the suite's (`postgres_admin_url` in
`tests/conftest.py`): unreachable, the PostgreSQL half is skipped, or fails when CI=true.

A module that needs something else defines its own `db` fixture, which takes precedence.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from pingan.core.db import Base, Database, make_engine


@pytest.fixture(scope="session")
def postgres_schema_url(postgres_admin_url: str) -> Iterator[str]:
    """A URL whose connections work in a schema of their own, holding every table; dropped at the end."""
    schema = f"pingan_t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_admin_url else "?"
    url = f"{postgres_admin_url}{separator}options={quote(f'-csearch_path={schema}')}"
    database = Database(url)
    try:
        database.create_all()
        database.dispose()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _empty(database: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE TABLE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database with every table: a SQLite file, or the run's PostgreSQL schema emptied."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'pingan.db'}")
        database.create_all()
    else:
        database = Database(request.getfixturevalue("postgres_schema_url"))
        _empty(database)
    try:
        yield database
    finally:
        database.dispose()
