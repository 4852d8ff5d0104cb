"""`pingan backup` / `pingan restore`: a round trip gives back every row, on SQLite and on PostgreSQL; a
database that holds rows is only replaced with --force."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from pingan.cli import app
from pingan.core.backup import contents
from pingan.core.db import Database
from pingan.migrate import head_revisions, upgrade
from tests.integration.test_desk_api import build_world


def _cli(url: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["--database-url", url, *args], env={"COLUMNS": "200"})


def _every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in a stable order, as plain tuples."""
    engine = Database(url).engine
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            return {
                name: sorted((tuple(map(repr, row)) for row in conn.execute(sa.select(t))), key=str)
                for name, t in metadata.tables.items()
            }
    finally:
        engine.dispose()


def _filled(url: str, tmp_path: Path) -> None:
    """A database at the head revision with users, units, areas, a desk request, its task and a recorded read."""
    db = Database(url)
    upgrade(db)
    world = build_world(db, tmp_path)
    posted = world.posted(world.resident("13800009201"), category="fraud", text="有人让我下载APP刷单返利")
    read = world.client.get(
        f"/api/v1/desk/staff/requests/{posted['id']}", params={"reveal": "true"}, headers=world.staff("admin")
    )
    assert read.status_code == 200, read.text
    world.client.close()
    world.services.close()
    db.dispose()


def _urls(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, str]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'restored.db'}"
    source = request.getfixturevalue("fresh_postgres_url")
    admin = sa.create_engine(
        request.getfixturevalue("postgres_admin_url").replace("postgresql://", "postgresql+psycopg://"),
        isolation_level="AUTOCOMMIT",
    )
    target = source + "_restored"
    name = target.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(drop)
    return source, target


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_backup_restored_into_an_empty_database_gives_back_every_row(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source, target = _urls(backend, tmp_path, request)
    _filled(source, tmp_path)
    file = tmp_path / "pingan.backup"

    made = _cli(source, "backup", str(file))
    assert made.exit_code == 0, made.output
    restored = _cli(target, "restore", str(file))
    assert restored.exit_code == 0, restored.output

    rows = _every_row(source)
    assert rows["access_log"]
    assert rows["tasks"]
    assert rows["desk_requests"]
    assert _every_row(target) == rows
    revision = ",".join(sorted(head_revisions()))
    assert f"revision {revision}" in restored.output
    held = contents(target)
    assert f"tasks {held.counts['tasks']}" in restored.output
    assert f"access_log {held.counts['access_log']}" in restored.output


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_restore_refuses_a_database_holding_rows_unless_forced(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source, target = _urls(backend, tmp_path, request)
    _filled(source, tmp_path)
    file = tmp_path / "pingan.backup"
    assert _cli(source, "backup", str(file)).exit_code == 0
    # The target holds other rows: a user created after the backup was taken.
    upgrade(Database(target))
    assert _cli(target, "users", "create", "late", "--role", "admin", "--password", "a-long-enough-pw").exit_code == 0
    before = _every_row(target)

    refused = _cli(target, "restore", str(file))
    assert refused.exit_code == 1
    assert "not empty" in refused.output
    assert "--force" in refused.output
    assert _every_row(target) == before

    forced = _cli(target, "restore", str(file), "--force")
    assert forced.exit_code == 0, forced.output
    assert _every_row(target) == _every_row(source)


def test_restore_refuses_a_file_that_is_no_backup(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("not a database", encoding="utf-8")
    refused = _cli(f"sqlite:///{tmp_path / 'p.db'}", "restore", str(file))
    assert refused.exit_code == 1
    assert "is not a SQLite backup" in refused.output
    assert not (tmp_path / "p.db").exists()


def test_a_sqlite_backup_runs_beside_an_open_writer_and_copies_only_what_is_committed(tmp_path: Path) -> None:
    """As with a server writing: the online backup neither waits for the writer nor copies its unfinished work."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    _filled(url, tmp_path)
    committed = _every_row(url)
    db = Database(url)
    file = tmp_path / "copy.backup"
    with db.engine.connect() as writer:
        writer.execute(sa.text("BEGIN IMMEDIATE"))
        writer.execute(sa.text("UPDATE units SET name = name || '（改）'"))
        made = _cli(url, "backup", str(file))
        writer.execute(sa.text("ROLLBACK"))
    db.dispose()
    assert made.exit_code == 0, made.output
    assert _every_row(f"sqlite:///{file}") == committed
