"""Backup and restore of a whole Pingan database, with each engine's own tools.

SQLite goes through its online backup API: a consistent copy of the file while the server keeps writing
(readers and writers are only paused page by page). PostgreSQL goes through `pg_dump` in its custom format
(consistent by its own snapshot) and `pg_restore`. A backup is written to a temporary file beside the target
and renamed at the end, so a file that exists is complete.

A restore replaces the database at the URL: it refuses one that holds any row unless forced, and reports
what it put there (the schema's revision and every table's row count). Stop the server and the workers
before restoring: they would keep writing into the database being replaced.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, select, table, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError

from pingan.core.db import make_engine
from pingan.core.errors import BadInput, Conflict, Unavailable

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


@dataclass(frozen=True, slots=True)
class Contents:
    """What a database holds: the Alembic revision(s) and the row count of every table."""

    revision: tuple[str, ...]
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(n for name, n in self.counts.items() if name != "alembic_version")


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite":
        return None
    if url.database in (None, "", ":memory:"):
        raise BadInput("an in-memory SQLite database cannot be backed up or restored", field="database_url")
    return Path(str(url.database)).resolve()


def contents(url: str) -> Contents:
    """The revision and the row counts of the database at `url` (nothing of a SQLite file that is not there)."""
    parsed = make_url(url)
    path = _sqlite_file(parsed)
    if path is not None and not path.exists():
        return Contents((), {})
    engine = make_engine(url)
    try:
        return _contents(engine)
    finally:
        engine.dispose()


def _contents(engine: Engine) -> Contents:
    with engine.connect() as conn:
        names = sorted(inspect(conn).get_table_names())
        counts = {name: int(conn.scalar(select(text("count(*)")).select_from(table(name))) or 0) for name in names}
        revision: tuple[str, ...] = ()
        if "alembic_version" in names:
            revision = tuple(sorted(conn.scalars(text("SELECT version_num FROM alembic_version"))))
    return Contents(revision, counts)


@contextmanager
def _written_atomically(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`, renamed to it once the block succeeds (removed if it fails)."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    temporary.unlink(missing_ok=True)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def backup(url: str, target: Path) -> Contents:
    """Copy the database at `url` into the file `target`; returns what the copy holds."""
    parsed = make_url(url)
    path = _sqlite_file(parsed)
    if path is not None:
        if not path.exists():
            raise BadInput(f"the database file {path} does not exist", field="database_url")
        with (
            _written_atomically(target) as temporary,
            closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(temporary)) as copy,
        ):
            source.backup(copy)
            # One self-contained file: the copy inherits WAL mode, which would want -wal/-shm beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        return contents(f"sqlite:///{target.resolve()}")
    with _written_atomically(target) as temporary:
        _run_pg("pg_dump", "--format=custom", "--no-owner", f"--file={temporary}", url=parsed)
    return contents(url)


def restore(url: str, source: Path, *, force: bool = False) -> Contents:
    """Replace the database at `url` with the backup `source`; refuses a database holding rows unless `force`."""
    parsed = make_url(url)
    path = _sqlite_file(parsed)
    kind = "SQLite" if path is not None else "PostgreSQL"
    magic = SQLITE_MAGIC if path is not None else PG_CUSTOM_MAGIC
    with source.open("rb") as handle:
        head = handle.read(len(magic))
    if head != magic:
        raise BadInput(f"{source} is not a {kind} backup made by `pingan backup`", field="file")
    try:
        before = contents(url)
    except DBAPIError as exc:
        raise Unavailable(
            f"cannot read the database: {' '.join(str(exc.orig).split())}", field="database_url"
        ) from None
    if not before.empty and not force:
        rows = sum(n for name, n in before.counts.items() if name != "alembic_version")
        raise Conflict(
            f"the database is not empty ({len(before.counts)} tables, {rows} rows): pass --force to replace it",
            field="force",
        )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with (
            closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as backup_db,
            closing(sqlite3.connect(path)) as target,
        ):
            backup_db.backup(target)
            target.execute("PRAGMA journal_mode=WAL")  # as Pingan runs it
    elif before.empty:
        _run_pg(
            "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(source),
            url=parsed,
        )  # fmt: skip
    else:
        # Forced over rows: the schema is dropped and the dump replayed in ONE transaction, so a failure
        # leaves the database as it was. (pg_restore --clean cannot drop a partitioned table's partitions'
        # inherited constraints one by one: tracking's detections are partitioned.)
        with tempfile.TemporaryDirectory(prefix="pingan-restore-") as folder:
            script = Path(folder) / "restore.sql"
            _run_pg("pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(source), url=None)
            _run_pg(
                "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
                "-c", "DROP SCHEMA IF EXISTS public CASCADE", "-c", "CREATE SCHEMA public", "-f", str(script),
                url=parsed,
            )  # fmt: skip
    return contents(url)


def _run_pg(tool: str, *args: str, url: URL | None) -> None:
    """Run a PostgreSQL client tool against `url` (none: a tool that only reads and writes files): the
    password goes in the environment, not on the command line, where any user of the machine could read it."""
    program = shutil.which(tool)
    if program is None:
        raise Unavailable(f"{tool} not found: install the PostgreSQL client tools", field=tool)
    env = dict(os.environ)
    target: list[str] = []
    if url is not None:
        if url.password is not None:
            env["PGPASSWORD"] = str(url.password)
        # libpq's own URI form: no SQLAlchemy driver name, no password.
        dsn = url.set(drivername="postgresql")._replace(password=None).render_as_string(hide_password=False)
        target = [f"--dbname={dsn}"]
    done = subprocess.run(  # noqa: S603 - a fixed program and arguments, no shell
        [program, *target, *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        message = " ".join(done.stderr.split())[:500] or f"exit status {done.returncode}"
        raise Unavailable(f"{tool} failed: {message}", field=tool)
