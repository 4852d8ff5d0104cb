"""Database plumbing: the declarative base, column types, engines and sessions.

Nothing connects at import time; `Database` is built by `bootstrap()` (or a test) from a URL.
SQLite runs in WAL mode as the embedded default; PostgreSQL is the production database.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not on Windows: threads are still serialised, processes rely on SQLite's busy handler
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Engine, MetaData, Table, create_engine, event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL wants BIGINT for large tables.
BigId = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every backend."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


JsonType = JSON().with_variant(postgresql.JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
        datetime: UTCDateTime,
        dict[str, Any]: JsonType,
        list[str]: JsonType,
        list[dict[str, Any]]: JsonType,
    }


SQLITE_POOL = 20


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            # Connections are kept, not opened per request: each holds its own page cache (warm after the
            # first queries), and the server's thread pool can run dozens of requests at once. A connection
            # opened beyond the pool and dropped after one use would start cold every time.
            kwargs.update(pool_size=SQLITE_POOL, max_overflow=SQLITE_POOL)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class WriteLock:
    """SQLite's writers one at a time: threads through a lock, processes through an advisory file lock, so that
    a writer waits in the kernel and wakes the moment the other is done, instead of polling SQLite's busy
    handler in growing sleeps (up to 100 ms each) while its own callers queue behind it.

    Shared by everything that writes in bulk or under load (the fraud intake, the desk's group commits) in
    every process of one database. Reentrant: a writer that calls another writer keeps the lock.
    Elsewhere (PostgreSQL, an in-memory SQLite) it only counts.
    """

    def __init__(self, database: str | None) -> None:
        self._thread = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        if database and database != ":memory:" and fcntl is not None:
            self._fd = os.open(_lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        self._thread.acquire()
        if self._depth == 0 and self._fd is not None and fcntl is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._thread.release()
                raise
        self._depth += 1

    def __exit__(self, *_exc: object) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None and fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread.release()

    def close(self) -> None:
        with self._thread:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _lock_path(database: str) -> str:
    """In the temporary folder, named after the database's full path: every process agrees on it, and
    nothing appears beside the database."""
    key = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:24]
    return os.path.join(tempfile.gettempdir(), f"pingan-write-{key}.lock")


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock: WriteLock | None = None
        self._write_lock_guard = threading.Lock()

    @property
    def write_lock(self) -> WriteLock:
        """The database's writer lock (see `WriteLock`): one per database in this process."""
        with self._write_lock_guard:
            if self._write_lock is None:
                self._write_lock = WriteLock(self.engine.url.database if self.is_sqlite else None)
            return self._write_lock

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed if the block ends normally, rolled back otherwise."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def create_all(self) -> None:
        """Create the tables on `Base.metadata` directly (tests); production databases use `pingan init` (Alembic).

        Only the tables of the modules imported so far are there: the core imports no capability, so the
        caller makes sure every capability's models are imported (`pingan.models`, which `bootstrap` imports).
        """
        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
        with self._write_lock_guard:
            if self._write_lock is not None:
                self._write_lock.close()
                self._write_lock = None


def schema_problem(url: str, tables: Collection[str]) -> str | None:
    """Why the database at `url` cannot be used yet, in one line, or None when it has all of `tables`.

    It only looks: a SQLite file that does not exist is not created (connecting would create it), and one
    that exists is opened read-only, so that a mistyped URL leaves nothing behind. `pingan init` builds the
    schema; every other command needs it first.
    """
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    present: set[str]
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = os.path.abspath(str(parsed.database))
        if not os.path.exists(path):
            return f"the database file {path} does not exist: `pingan init` creates it"
        try:
            with closing(sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True)) as conn:
                present = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            return f"cannot read the database file {path}: {exc}"
    else:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                present = set(inspect(conn).get_table_names())
        except DBAPIError as exc:
            reason = " ".join(str(exc.orig).split())
            return f"cannot connect to the database {shown}: {reason}"
        finally:
            engine.dispose()
    missing = sorted(set(tables) - present)
    if missing and len(missing) == len(set(tables)):
        return f"the database {shown} has no schema: run `pingan init` first"
    if missing:
        return f"the database {shown} lacks the tables {', '.join(missing)}: run `pingan init` to upgrade it"
    return None


def dialect_insert(bind: Connection | Session, table: Table) -> Any:
    """An INSERT with the dialect's ON CONFLICT support (SQLite and PostgreSQL spell it alike)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# --- the raw insert path of the intake --------------------------------------------------------------
#
# SQLAlchemy's executemany spends most of its time per row and per value (building parameter dicts,
# running type processors). Intake inserts tens of thousands of rows a second whose values it already
# holds in the driver's own types, so it goes to the driver directly with INSERT ... ON CONFLICT DO
# NOTHING (SQLite >= 3.24 and PostgreSQL spell it alike):
#
# - SQLite: multi-row VALUES statements in a few fixed sizes, so that the driver's statement cache keeps
#   them prepared; one statement per 512 rows also releases the GIL for the whole of its work.
# - PostgreSQL: one statement per batch, each column sent as one typed array and spread by unnest().

_CHUNKS = (512, 64, 8, 1)


def _sqlite_utc(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format, which the ORM reads back and SQL compares as text. Formatted
    # from the fields: a third of isoformat's cost on an aware datetime (the intake formats every detection).
    if value.tzinfo is not UTC:
        offset = value.utcoffset()
        if offset is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value - offset
    return _SQLITE_FORMAT % (
        value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond
    )  # fmt: skip


_SQLITE_FORMAT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value.replace(tzinfo=None)
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime given to a UTC column")
    return (value - offset).replace(tzinfo=None)


def utc_to_driver(bind: Connection | Session | Engine) -> Callable[[datetime], Any]:
    """How an aware datetime is handed to the driver for a `UTCDateTime` column, bypassing SQLAlchemy.

    SQLite: the text SQLAlchemy itself stores ('YYYY-MM-DD HH:MM:SS.ffffff', UTC), so ORM reads and
    text comparisons in SQL keep working; elsewhere a naive UTC datetime (the column has no zone).
    """
    return _sqlite_utc if _dialect(bind).name == "sqlite" else _naive_utc


def _dialect(bind: Connection | Session | Engine) -> Dialect:
    if isinstance(bind, Session):
        return bind.get_bind().dialect
    return bind.dialect


def _max_params(dialect: Dialect) -> int:
    if dialect.name == "sqlite":
        return 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
    return 65535


@lru_cache(maxsize=256)
def _values_sql(dialect: Dialect, table: Table, columns: tuple[str, ...], rows: int, returning: tuple[str, ...]) -> str:
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    one = "(" + ", ".join([mark] * len(columns)) + ")"
    # Names come from the table's metadata, values go as parameters: nothing from input reaches the text.
    target = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(quote(c) for c in columns)})"
    sql = f"INSERT INTO {target} VALUES {', '.join([one] * rows)} ON CONFLICT DO NOTHING"  # noqa: S608
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in returning)
    return sql


@lru_cache(maxsize=64)
def _unnest_sql(dialect: Dialect, table: Table, columns: tuple[str, ...], returning: tuple[str, ...]) -> str:
    quote = dialect.identifier_preparer.quote
    arrays = ", ".join(f"%s::{table.c[c].type.compile(dialect=dialect)}[]" for c in columns)
    target = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(quote(c) for c in columns)})"
    sql = f"INSERT INTO {target} SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING"  # noqa: S608
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in returning)
    return sql


def insert_values_ignoring_duplicates(
    bind: Connection | Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: Sequence[str] = (),
) -> tuple[int, list[tuple[Any, ...]]]:
    """Insert tuples of driver-ready values (see `utc_to_driver`), skipping unique-constraint conflicts.

    Idempotent intake's insert: no SQLAlchemy type processing happens, so each value
    must already be what the column stores (plain str and int for enums and ids, `utc_to_driver` for
    datetimes). Returns (rows stored, the `returning` columns of each stored row).
    """
    if not rows:
        return 0, []
    conn = bind.connection() if isinstance(bind, Session) else bind
    dialect = conn.dialect
    cols = tuple(columns)
    back = tuple(returning)
    if dialect.name == "postgresql":
        arrays = tuple(list(column) for column in zip(*rows, strict=True))
        result = conn.exec_driver_sql(_unnest_sql(dialect, table, cols, back), arrays)
        if back:
            fetched = [tuple(r) for r in result.fetchall()]
            return len(fetched), fetched
        return max(0, result.rowcount), []
    chunks = [c for c in _CHUNKS if c * len(cols) <= _max_params(dialect)] or [1]
    stored = 0
    out: list[tuple[Any, ...]] = []
    start, total = 0, len(rows)
    for size in chunks:
        while total - start >= size:
            part = rows[start : start + size]
            start += size
            params = tuple(chain.from_iterable(part)) if size > 1 else tuple(part[0])
            result = conn.exec_driver_sql(_values_sql(dialect, table, cols, size, back), params)
            if back:
                fetched = [tuple(r) for r in result.fetchall()]
                out.extend(fetched)
                stored += len(fetched)
            else:
                stored += max(0, result.rowcount)
    return stored, out


def utc_from_driver(bind: Connection | Session | Engine) -> Callable[[Any], datetime | None]:
    """The reverse of `utc_to_driver`: a `UTCDateTime` value as the driver returns it, as an aware UTC
    datetime (None stays None)."""
    if _dialect(bind).name == "sqlite":
        # With the offset in the text, fromisoformat gives the UTC singleton itself, five times faster than
        # replace(tzinfo=UTC).
        return lambda v: None if v is None else datetime.fromisoformat(v + "+00:00")
    return lambda v: None if v is None else v.replace(tzinfo=UTC)


def rows_where_in(
    bind: Connection | Session, table: Table, columns: Sequence[str], key: str, values: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """`SELECT columns FROM table WHERE key IN values`, with the values as one parameter (a JSON array read
    by json_each on SQLite, an array on PostgreSQL): a lookup of thousands of keys in one statement that is
    compiled once, rows as the driver returns them (see `utc_from_driver`)."""
    if not values:
        return []
    conn = bind.connection() if isinstance(bind, Session) else bind
    dialect = conn.dialect
    sql = _where_in_sql(dialect, table, tuple(columns), key)
    if dialect.name == "postgresql":
        param: Any = list(values)
    else:
        import orjson

        param = orjson.dumps(list(values)).decode()
    # At the DBAPI cursor: its rows are tuples already (SQLAlchemy's Row objects, built and then taken apart
    # again, cost a third of a lookup of thousands of keys). The statement runs in the connection's transaction.
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, (param,))
        return [tuple(r) for r in cursor.fetchall()]
    finally:
        cursor.close()


@lru_cache(maxsize=64)
def _where_in_sql(dialect: Dialect, table: Table, columns: tuple[str, ...], key: str) -> str:
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    names = ", ".join(quote(c) for c in columns)
    # Names come from the table's metadata, the values go as one parameter.
    if dialect.name == "postgresql":
        kind = table.c[key].type.compile(dialect=dialect)
        return f"SELECT {names} FROM {target} WHERE {quote(key)} = ANY(%s::{kind}[])"  # noqa: S608
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    return f"SELECT {names} FROM {target} WHERE {quote(key)} IN (SELECT value FROM json_each({mark}))"  # noqa: S608


def containing(column: ColumnElement[str] | InstrumentedAttribute[str], text: str) -> ColumnElement[bool]:
    """`column` holds `text` as typed: the `%` and `_` of a user's search are letters, not LIKE wildcards.

    Every text filter goes through here, so no search can forget to escape (SQLAlchemy's `autoescape`
    escapes the pattern and says which escape character it used, on every dialect).
    """
    return column.contains(text, autoescape=True)


def serialize(session: Session, name: str) -> None:
    """Hold the lock `name` until the session's transaction ends, across processes and machines.

    On PostgreSQL a transaction-scoped advisory lock: several workers storing leads at once must not each
    open a warning for the same person where one would merge into the other. SQLite has a single writer
    (`Database.write_lock`), so there is nothing more to do.
    """
    if _dialect(session).name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
