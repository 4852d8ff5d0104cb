"""Detections on PostgreSQL: a table partitioned by month on `at` (the migration creates it so).

A month's partition is created before the first detection of that month is stored (the intake asks for the
months of each batch, the sweep for the months ahead), and whole months older than the retention are dropped.
On SQLite, or on a PostgreSQL table that is not partitioned (a schema built by `create_all`), nothing happens.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

TABLE = "tracking_detections"
MONTHS_AHEAD = 2
_lock = threading.Lock()
_made: dict[tuple[str, str], set[date]] = {}
_partitioned: dict[tuple[str, str], bool] = {}
_NAME = re.compile(rf"^{TABLE}_(\d{{4}})(\d{{2}})$")


def month_of(at: datetime) -> date:
    at = at.astimezone(UTC)
    return date(at.year, at.month, 1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_{month:%Y%m}"


def _key(session: Session) -> tuple[str, str] | None:
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return None
    schema = session.execute(text("SELECT current_schema()")).scalar_one()
    return (str(bind.engine.url), str(schema))


def is_partitioned(session: Session) -> bool:
    key = _key(session)
    if key is None:
        return False
    with _lock:
        if key in _partitioned:
            return _partitioned[key]
    found = session.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = :t AND c.relnamespace = current_schema()::regnamespace"
        ),
        {"t": TABLE},
    ).first()
    with _lock:
        _partitioned[key] = found is not None
    return found is not None


def create_months(session: Session, months: Iterable[date]) -> None:
    """Make sure each month has its partition (idempotent; cached per database and schema)."""
    if not is_partitioned(session):
        return
    key = _key(session)
    assert key is not None
    with _lock:
        todo = sorted(set(months) - _made.setdefault(key, set()))
    for month in todo:
        start, end = month, next_month(month)
        # Names and bounds are built from dates, never from input.
        session.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF {TABLE} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
        )
        with _lock:
            _made[key].add(month)


def oldest_kept(now: datetime, retention_days: int) -> datetime | None:
    """The earliest instant a detection is kept from (None: kept forever). The intake refuses anything
    older, so that what it accepts is never in a month the sweep has dropped or is about to drop."""
    return None if retention_days <= 0 else now.astimezone(UTC) - timedelta(days=retention_days)


def ensure_partitions(session: Session, now: datetime, *, retention_days: int) -> list[str]:
    """This month and the next ones; drop the months wholly past the retention (every detection in them
    older than `oldest_kept`). Returns the dropped tables."""
    if not is_partitioned(session):
        return []
    month = month_of(now)
    months = [month]
    for _ in range(MONTHS_AHEAD):
        months.append(next_month(months[-1]))
    create_months(session, months)
    cutoff = oldest_kept(now, retention_days)
    if cutoff is None:
        return []
    oldest = cutoff.date()
    dropped: list[str] = []
    for (name,) in session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t "
            "AND p.relnamespace = current_schema()::regnamespace"
        ),
        {"t": TABLE},
    ):
        match = _NAME.match(name)
        if match is None:
            continue
        start = date(int(match.group(1)), int(match.group(2)), 1)
        if next_month(start) <= oldest:
            session.execute(text(f"DROP TABLE IF EXISTS {name}"))
            dropped.append(name)
            key = _key(session)
            if key is not None:
                with _lock:
                    _made.get(key, set()).discard(start)
    return dropped
