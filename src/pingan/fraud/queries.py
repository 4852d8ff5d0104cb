"""Read models of the fraud loop: warnings as the queue, the CLI and the API show them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, select, true
from sqlalchemy.orm import Session

from pingan.core.identifiers import mask_address, mask_id_number, mask_name, mask_phone
from pingan.core.models import Area, Person, Task, Unit
from pingan.core.scope import Scope
from pingan.fraud.classify import LABEL_NAMES, Label
from pingan.fraud.models import FraudEvent, FraudWarning, Level, Outcome, WarningStatus

# The figures, re-exported for the command centre (which reads the queries modules only).
from pingan.fraud.service import Period as Period
from pingan.fraud.service import fraud_figures as fraud_figures
from pingan.fraud.service import fraud_series as fraud_series
from pingan.fraud.workflow import LEVEL_NAMES, DissuasionStatus

Brief = Callable[[Task, datetime], dict[str, Any]]
"""How a task is shown (`pingan.core.tasks.TaskService.brief`)."""
_LABELS = frozenset(Label)
WARNING_STATUS_NAMES = {WarningStatus.OPEN: "待处置", WarningStatus.CLOSED: "已办结"}  # as the staff UI says


def person_view(person: Person | None, phone: str, *, reveal: bool) -> dict[str, Any]:
    """A person as shown: masked unless `reveal` (the caller records the read)."""
    if person is None:
        return {"id": None, "name": None, "phone": phone if reveal else mask_phone(phone), "masked": not reveal}
    age_year = person.birth_year
    return {
        "id": person.id,
        "name": person.name if reveal else mask_name(person.name),
        "phone": phone if reveal else mask_phone(phone),
        "id_number": (person.id_number if reveal else mask_id_number(person.id_number)) if person.id_number else None,
        "address": (person.address if reveal else mask_address(person.address)) if person.address else None,
        "birth_year": age_year,
        "tags": person.tags,
        "masked": not reveal,
    }


def warning_view(
    warning: FraudWarning,
    person: Person | None,
    station: str | None,
    unit: str | None,
    task: Task | None,
    now: datetime,
    *,
    brief: Brief,
    reveal: bool = False,
) -> dict[str, Any]:
    return {
        "id": warning.id,
        "level": warning.level.value,
        "level_name": LEVEL_NAMES[warning.level],
        "status": warning.status.value,
        "status_name": WARNING_STATUS_NAMES[warning.status],
        "fraud_type": warning.fraud_type,
        "predicted_type": warning.predicted_type,
        "predicted_type_name": LABEL_NAMES[Label(warning.predicted_type)]
        if warning.predicted_type in _LABELS
        else None,
        "predicted_confidence": warning.predicted_confidence,
        "person": person_view(person, warning.subject_phone, reveal=reveal),
        "station_id": warning.area_id,
        "station": station,
        "unit_id": warning.unit_id,
        "unit": unit,
        "reasons": warning.reasons,
        "features": warning.features,
        "event_count": warning.event_count,
        "first_event_at": warning.first_event_at.isoformat(),
        "last_event_at": warning.last_event_at.isoformat(),
        "created_at": warning.created_at.isoformat(),
        "outcome": warning.outcome.value if warning.outcome else None,
        "amount_protected_yuan": f"{warning.amount_protected_fen / 100:.2f}",
        "amount_lost_yuan": f"{warning.amount_lost_fen / 100:.2f}",
        "task": brief(task, now) if task is not None else None,
    }


def list_warnings(
    session: Session,
    now: datetime,
    *,
    brief: Brief,
    scope_clause: ColumnElement[bool] | None = None,
    status: str | None = None,
    level: str | None = None,
    area_id: int | None = None,
    since: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Warnings newest first, masked, with their station and task; filters are optional."""
    w = FraudWarning
    query = (
        select(w, Person, Area.name, Unit.name, Task)
        .outerjoin(Person, Person.id == w.person_id)
        .outerjoin(Area, Area.id == w.area_id)
        .outerjoin(Unit, Unit.id == w.unit_id)
        .outerjoin(Task, Task.id == w.task_id)
        .where(scope_clause if scope_clause is not None else true())
        .order_by(w.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(w.status == WarningStatus(status))
    if level:
        query = query.where(w.level == Level(level))
    if area_id is not None:
        query = query.where(w.area_id == area_id)
    if since is not None:
        query = query.where(w.created_at >= since)
    if before_id is not None:
        query = query.where(w.id < before_id)
    return [warning_view(row[0], row[1], row[2], row[3], row[4], now, brief=brief) for row in session.execute(query)]


def warning_counts(
    session: Session,
    *,
    overdue: ColumnElement[bool],
    scope_clause: ColumnElement[bool] | None = None,
    status: str | None = None,
    level: str | None = None,
    area_id: int | None = None,
    since: datetime | None = None,
) -> dict[str, Any]:
    """The queue's true counts for `list_warnings`' filters: `total` (all of them, not the rows loaded),
    `by_level` (every level, the level filter left out, so each chip says what choosing it would show),
    `unsigned` (the task not signed for yet) and `overdue` (the task past a deadline, `overdue` being the
    task engine's clause)."""
    w = FraudWarning
    conds: list[ColumnElement[bool]] = [scope_clause if scope_clause is not None else true()]
    if status:
        conds.append(w.status == WarningStatus(status))
    if area_id is not None:
        conds.append(w.area_id == area_id)
    if since is not None:
        conds.append(w.created_at >= since)
    by_level = {
        (lv.value if isinstance(lv, Level) else str(lv)): n
        for lv, n in session.execute(select(w.level, func.count()).where(*conds).group_by(w.level))
    }
    if level:
        conds.append(w.level == Level(level))
    total, unsigned, late = session.execute(
        select(
            func.count(w.id),
            func.coalesce(func.sum(case((Task.status == DissuasionStatus.ISSUED.value, 1), else_=0)), 0),
            func.coalesce(func.sum(case((overdue, 1), else_=0)), 0),
        )
        .select_from(w)
        .outerjoin(Task, Task.id == w.task_id)
        .where(*conds)
    ).one()
    return {
        "total": total,
        "by_level": {lv.value: by_level.get(lv.value, 0) for lv in Level},
        "unsigned": unsigned,
        "overdue": late,
    }


def warning_events(session: Session, warning_id: int) -> Sequence[FraudEvent]:
    return session.scalars(select(FraudEvent).where(FraudEvent.warning_id == warning_id).order_by(FraudEvent.at)).all()


@dataclass(frozen=True, slots=True)
class WarningPlace:
    """Where a warning's person lives (their registered home, WGS84), for the map."""

    warning_id: int
    person_id: int
    level: Level
    status: WarningStatus
    station_id: int | None
    station: str | None
    task_id: int | None
    lon: float
    lat: float


def warning_places(
    session: Session,
    *,
    scope_clause: ColumnElement[bool] | None = None,
    status: WarningStatus | None = WarningStatus.OPEN,
    level: Level | None = None,
    area_id: int | None = None,
    warning_id: int | None = None,
    limit: int = 2000,
) -> tuple[list[WarningPlace], int]:
    """Warnings whose person has a known home, newest first, and how many matching ones have none."""
    w = FraudWarning
    conds: list[ColumnElement[bool]] = [scope_clause if scope_clause is not None else true()]
    if status is not None:
        conds.append(w.status == status)
    if level is not None:
        conds.append(w.level == level)
    if area_id is not None:
        conds.append(w.area_id == area_id)
    if warning_id is not None:
        conds.append(w.id == warning_id)
    placed = and_(Person.lon.is_not(None), Person.lat.is_not(None))
    rows = session.execute(
        select(w.id, w.person_id, w.level, w.status, w.area_id, Area.name, w.task_id, Person.lon, Person.lat)
        .join(Person, Person.id == w.person_id)
        .outerjoin(Area, Area.id == w.area_id)
        .where(*conds, placed)
        .order_by(w.id.desc())
        .limit(limit)
    ).all()
    unplaced = session.scalar(
        select(func.count(w.id)).outerjoin(Person, Person.id == w.person_id).where(*conds, not_(placed))
    )
    places = [
        WarningPlace(
            row[0], int(row[1] or 0), row[2], row[3], row[4], row[5], row[6], float(row[7] or 0), float(row[8] or 0)
        )
        for row in rows
    ]
    return places, int(unplaced or 0)


@dataclass(frozen=True, slots=True)
class DissuasionTally:
    """One station's warnings opened in a period and how their dissuasion tasks ended."""

    warnings: int
    dissuaded: int
    closed: int
    closed_on_time: int
    """Closed without a missed step deadline (the task's `breaches`)."""


def dissuasion_tallies(session: Session, start: datetime, end: datetime) -> dict[int, DissuasionTally]:
    """Per station area: the warnings opened in `[start, end)`, those dissuaded, and their tasks closed (on
    time); the command centre's rankings read it. Warnings that no station received are left out."""
    w = FraudWarning
    rows = session.execute(
        select(
            w.area_id,
            func.count(w.id),
            func.coalesce(func.sum(case((w.outcome == Outcome.DISSUADED, 1), else_=0)), 0),
            func.coalesce(func.sum(case((Task.closed_at.is_not(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(Task.closed_at.is_not(None), Task.breaches == 0), 1), else_=0)), 0),
        )
        .outerjoin(Task, Task.id == w.task_id)
        .where(w.created_at >= start, w.created_at < end, w.area_id.is_not(None))
        .group_by(w.area_id)
    ).all()
    return {int(a): DissuasionTally(int(n), int(d), int(c), int(ok)) for a, n, d, c, ok in rows}


def fraud_type_counts(
    session: Session,
    start: datetime,
    end: datetime,
    area_ids: Sequence[int] | None = None,
    *,
    within: Scope | None = None,
) -> list[tuple[str, str, int]]:
    """Warnings opened in `[start, end)` per fraud type (the type the lead declared, else the one the classifier
    predicted), most first: `(type id, 类型, count)`; warnings judged not fraud are left out."""
    w = FraudWarning
    declared = and_(w.fraud_type.is_not(None), w.fraud_type != Label.OTHER.value)
    kind = case((declared, w.fraud_type), else_=func.coalesce(w.predicted_type, w.fraud_type))
    conds: list[ColumnElement[bool]] = [w.created_at >= start, w.created_at < end, kind.is_not(None)]
    if area_ids is not None:
        conds.append(w.area_id.in_(list(area_ids)))
    if within is not None:
        conds.append(within.clause(w.unit_id, w.area_id))
    rows = session.execute(select(kind, func.count(w.id)).where(*conds).group_by(kind)).all()
    out = [
        (str(k), LABEL_NAMES[Label(k)] if k in _LABELS else str(k), int(n)) for k, n in rows if k != Label.NORMAL.value
    ]
    return sorted(out, key=lambda row: (-row[2], row[0]))
