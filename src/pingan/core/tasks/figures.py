"""Counting tasks per unit, over every kind: the core's figures of the one task table.

The command centre's rankings and big screen count here (they may not read a capability's tables), so that
"deadlines met" means one thing everywhere: a task closed without ever missing a step deadline
(`Task.breaches == 0`, which the sweeper records and never lowers).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from pingan.core.models import Task


@dataclass(frozen=True, slots=True)
class ClosedCount:
    closed: int
    on_time: int
    """Closed without a missed step deadline."""


@dataclass(frozen=True, slots=True)
class OpenCount:
    open: int
    overdue: int


def closed_by_unit(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    kinds: Collection[str] | None = None,
    outcomes: Collection[str] | None = None,
) -> dict[int, ClosedCount]:
    """Tasks closed in `[start, end)` per holding unit (tasks no unit holds left out); `kinds` and `outcomes`
    (the task's recorded outcome) narrow them."""
    t = Task
    conds: list[ColumnElement[bool]] = [t.closed_at >= start, t.closed_at < end, t.unit_id.is_not(None)]
    if kinds is not None:
        conds.append(t.kind.in_(sorted(kinds)))
    if outcomes is not None:
        conds.append(t.outcome.in_(sorted(outcomes)))
    rows = session.execute(
        select(
            t.unit_id,
            func.count(t.id),
            func.coalesce(func.sum(case((t.breaches == 0, 1), else_=0)), 0),
        )
        .where(and_(*conds))
        .group_by(t.unit_id)
    ).all()
    return {int(unit): ClosedCount(int(closed), int(on_time)) for unit, closed, on_time in rows}


def open_by(
    session: Session,
    column: InstrumentedAttribute[int | None] | InstrumentedAttribute[str],
    overdue: ColumnElement[bool],
    *,
    where: ColumnElement[bool] | None = None,
) -> dict[object, OpenCount]:
    """Open tasks and the overdue ones among them (`overdue`: `TaskService.overdue_clause(now)`), grouped by
    `column` (`Task.unit_id`, `Task.kind`, `Task.area_id`), within `where` (a scope clause)."""
    rows = session.execute(
        select(column, func.count(Task.id), func.coalesce(func.sum(case((overdue, 1), else_=0)), 0))
        .where(Task.closed_at.is_(None), where if where is not None else true())
        .group_by(column)
    ).all()
    return {key: OpenCount(int(n), int(late)) for key, n, late in rows}
