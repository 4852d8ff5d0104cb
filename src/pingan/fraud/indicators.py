"""Indicator lists (涉诈号码、账户、网址、APP): stored normalised, matched in memory in real time."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from pingan.core.csvfile import CsvColumns, read_csv
from pingan.core.errors import BadInput, first_problem
from pingan.core.identifiers import IdentifierKind, InvalidIdentifier, normalize
from pingan.core.models import Counter
from pingan.fraud.models import Indicator
from pingan.fraud.schemas import IndicatorIn


def bump(session: Session, name: str) -> None:
    changed = session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        session.add(Counter(name=name, value=1))
        session.flush()


def counter(session: Session, name: str) -> int:
    return session.scalar(select(Counter.value).where(Counter.name == name)) or 0


@dataclass(frozen=True, slots=True)
class Hit:
    indicator_id: int
    kind: IdentifierKind
    fraud_type: str


@dataclass
class IndicatorReport:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, str | None, str]] = field(default_factory=list)


def upsert_indicator(session: Session, item: IndicatorIn, now: datetime) -> tuple[Indicator, bool]:
    """Store one indicator (normalised); an existing one is refreshed and re-activated. Returns (row, created)."""
    try:
        value = normalize(item.kind, item.value)
    except InvalidIdentifier as exc:
        raise BadInput(str(exc), field="value") from None
    row = session.scalar(select(Indicator).where(Indicator.kind == item.kind.value, Indicator.value == value))
    created = row is None
    if row is None:
        row = Indicator(kind=item.kind.value, value=value, created_at=now)
        session.add(row)
    row.fraud_type = item.fraud_type
    row.source = item.source
    row.note = item.note
    row.expires_at = item.expires_at
    row.active = True
    session.flush()
    bump(session, "indicators")
    return row, created


def deactivate_indicator(session: Session, indicator: Indicator) -> None:
    indicator.active = False
    bump(session, "indicators")


INDICATOR_COLUMNS = CsvColumns.of(IndicatorIn)


def read_indicators_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of `kind,value,fraud_type,source,note,expires_at` (only kind and value are required) by line.

    The header is checked first (`BadInput` naming the columns); empty cells take the column's default.
    """
    rows = read_csv(path, INDICATOR_COLUMNS)
    return ((line, {k: v for k, v in row.items() if v not in (None, "")}) for line, row in rows)


def import_indicators(session: Session, rows: Iterable[tuple[int, dict[str, Any]]], now: datetime) -> IndicatorReport:
    """Import indicators in bulk; bad rows are reported by line and field, good ones kept."""
    report = IndicatorReport()
    existing = {(k, v): i for i, k, v in session.execute(select(Indicator.id, Indicator.kind, Indicator.value))}
    new_rows: dict[tuple[str, str], dict[str, Any]] = {}
    updates: list[dict[str, Any]] = []
    for line, raw in rows:
        try:
            item = IndicatorIn.model_validate(raw)
            value = normalize(item.kind, item.value)
        except ValidationError as exc:
            fld, _code, msg = first_problem(exc)
            report.rejected.append((line, fld, msg))
            continue
        except InvalidIdentifier as exc:
            report.rejected.append((line, "value", str(exc)))
            continue
        values = {
            "kind": item.kind.value,
            "value": value,
            "fraud_type": item.fraud_type,
            "source": item.source,
            "note": item.note,
            "expires_at": item.expires_at,
            "active": True,
        }
        key = (item.kind.value, value)
        if key in existing:
            updates.append({"id": existing[key], **values})
        else:
            if key not in new_rows:
                report.created += 1
            new_rows[key] = {**values, "created_at": now}
    if new_rows:
        session.execute(insert(Indicator), list(new_rows.values()))
    if updates:
        session.execute(update(Indicator), updates)
        report.updated = len(updates)
    bump(session, "indicators")
    return report


_PLAIN_KIND = {k: k.value for k in IdentifierKind}


class IndicatorMatcher:
    """The active indicator list in memory, reloaded when the `indicators` counter moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._map: dict[tuple[str, str], tuple[int, str, datetime | None]] = {}
        self._version = -1

    def refresh(self, session: Session) -> None:
        version = counter(session, "indicators")
        if version == self._version:
            return
        rows = session.execute(
            select(Indicator.id, Indicator.kind, Indicator.value, Indicator.fraud_type, Indicator.expires_at).where(
                Indicator.active
            )
        ).all()
        mapping = {(r.kind, r.value): (r.id, r.fraud_type, r.expires_at) for r in rows}
        with self._lock:
            self._map, self._version = mapping, version

    def __len__(self) -> int:
        return len(self._map)

    def match(self, keys: Iterable[tuple[IdentifierKind, str]], at: datetime) -> Hit | None:
        """The first active, unexpired indicator under any of the keys at the event's time."""
        table = self._map
        plain = _PLAIN_KIND
        for kind, value in keys:
            # Keyed by the plain string: a StrEnum member in the key would compare through Python code.
            found = table.get((plain[kind], value))
            if found is not None and (found[2] is None or found[2] > at):
                return Hit(found[0], kind, found[1])
        return None


def indicator_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Indicator).where(Indicator.active)) or 0
