"""The fraud loop's use cases beyond intake: working a dissuasion task, and the figures (DESIGN §6)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.models import Area, Task, Unit, UnitKind
from pingan.core.scope import Scope
from pingan.core.series import Bucket, bucket_index
from pingan.core.tasks import Command, TaskService
from pingan.core.tasks.engine import TaskFilter
from pingan.fraud.models import FraudWarning, Outcome, WarningStatus
from pingan.fraud.workflow import KIND, DissuasionAction, _yuan


class FraudService:
    def __init__(self, clock: Clock, tasks: TaskService) -> None:
        self.clock = clock
        self.tasks = tasks
        tasks.listen(KIND, self.sync_warning)

    def sync_warning(self, session: Session, task: Task, command: Command) -> None:
        """Keep a warning in step with its dissuasion task: outcome, money, closure."""
        warning = session.get(FraudWarning, task.ref_id) if task.ref_type == "fraud_warning" else None
        if warning is None:
            return
        now = self.clock.now()
        if command.action in (DissuasionAction.FEEDBACK, DissuasionAction.CLOSE) and task.outcome:
            warning.outcome = Outcome(task.outcome)
            if command.data.get("amount_yuan") not in (None, ""):
                amount = int(_yuan(command.data.get("amount_yuan"), "amount_yuan") * 100)
                if warning.outcome is Outcome.DISSUADED:
                    warning.amount_protected_fen = amount
                elif warning.outcome is Outcome.DEFRAUDED:
                    warning.amount_lost_fen = amount
            # Money protected or lost belongs to its outcome only, so the figures always agree.
            if warning.outcome is not Outcome.DISSUADED:
                warning.amount_protected_fen = 0
            if warning.outcome is not Outcome.DEFRAUDED:
                warning.amount_lost_fen = 0
        if task.closed_at is not None:
            warning.status = WarningStatus.CLOSED
            warning.closed_at = now
        warning.updated_at = now


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


def fraud_figures(
    session: Session,
    period: Period,
    area_ids: Collection[int] | None = None,
    *,
    overdue_open: int,
    within: Scope | None = None,
) -> dict[str, Any]:
    """Warnings, dissuasions and money protected in a period, county-wide and per station.

    A warning counts in the period it was opened; `area_ids` limits the figures to those stations, `within`
    to the warnings and tasks of a scope (a county of several: its areas and the units holding its work).
    `overdue_open` is the dissuasion tasks overdue now, counted by the worklist's own query
    (`TaskService.count` with `overdue_tasks`), so the figure and the 已超时 list it links to agree.
    """
    w = FraudWarning
    conds = [w.created_at >= period.start, w.created_at < period.end]
    if area_ids is not None:
        conds.append(w.area_id.in_(list(area_ids)))
    if within is not None:
        conds.append(within.clause(w.unit_id, w.area_id))
    dissuaded = case((w.outcome == Outcome.DISSUADED, 1), else_=0)
    defrauded = case((w.outcome == Outcome.DEFRAUDED, 1), else_=0)
    columns = (
        func.count(w.id).label("warnings"),
        func.coalesce(func.sum(dissuaded), 0).label("dissuaded"),
        func.coalesce(func.sum(defrauded), 0).label("defrauded"),
        func.coalesce(func.sum(w.amount_protected_fen), 0).label("protected_fen"),
        func.coalesce(func.sum(w.amount_lost_fen), 0).label("lost_fen"),
        func.coalesce(func.sum(case((w.status == WarningStatus.OPEN, 1), else_=0)), 0).label("open"),
    )
    by_level = dict(session.execute(select(w.level, func.count()).where(and_(*conds)).group_by(w.level)).all())
    total = session.execute(select(*columns).where(and_(*conds))).one()
    t = Task
    task_conds = [t.ref_type == "fraud_warning", t.created_at >= period.start, t.created_at < period.end]
    if area_ids is not None:
        task_conds.append(t.area_id.in_(list(area_ids)))
    if within is not None:
        task_conds.append(within.clause(t.unit_id, t.area_id))
    closed, on_time = session.execute(
        select(
            func.coalesce(func.sum(case((t.closed_at.is_not(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(t.closed_at.is_not(None), t.breaches == 0), 1), else_=0)), 0),
        ).where(and_(*task_conds))
    ).one()
    station_unit = (
        select(func.min(Unit.name))
        .where(Unit.area_id == w.area_id, Unit.kind == UnitKind.STATION)
        .correlate(w)
        .scalar_subquery()
    )
    per_station = [
        {
            "area_id": row.area_id,
            # The 派出所 (the unit of the area), not the town it covers; the town is `area`.
            "station": row.unit or row.name or "未落地",
            "area": row.name,
            "warnings": row.warnings,
            "dissuaded": row.dissuaded,
            "defrauded": row.defrauded,
            "protected_yuan": _yuan_of(row.protected_fen),
            "lost_yuan": _yuan_of(row.lost_fen),
            "open": row.open,
        }
        for row in session.execute(
            select(w.area_id, Area.name, station_unit.label("unit"), *columns)
            .outerjoin(Area, Area.id == w.area_id)
            .where(and_(*conds))
            .group_by(w.area_id, Area.name)
            .order_by(func.count(w.id).desc())
        )
    ]
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "warnings": total.warnings,
        "by_level": {str(k.value if hasattr(k, "value") else k): v for k, v in by_level.items()},
        "dissuaded": total.dissuaded,
        "defrauded": total.defrauded,
        "protected_yuan": _yuan_of(total.protected_fen),
        "lost_yuan": _yuan_of(total.lost_fen),
        "open": total.open,
        "tasks_closed": closed,
        "tasks_closed_on_time": on_time,
        "on_time_rate": round(on_time / closed, 4) if closed else None,
        "tasks_overdue_open": overdue_open,
        "per_station": per_station,
    }


def _yuan_of(fen: int | None) -> str:
    return str((Decimal(fen or 0) / 100).quantize(Decimal("0.01")))


def overdue_tasks(area_ids: Collection[int] | None = None) -> TaskFilter:
    """The worklist's 已超时 tab for dissuasion (open, past a deadline that counts, now)."""
    return TaskFilter(kind=KIND, overdue=True, area_ids=area_ids)


def fraud_series(
    session: Session, cuts: Sequence[Bucket], area_ids: Collection[int] | None = None, *, within: Scope | None = None
) -> list[dict[str, Any]]:
    """`fraud_figures`' headline numbers per bucket (a warning counts in the bucket it was opened in), within
    the same areas and units."""
    if not cuts:
        return []
    w = FraudWarning
    conds = [w.created_at >= cuts[0].start, w.created_at < cuts[-1].end]
    if area_ids is not None:
        conds.append(w.area_id.in_(list(area_ids)))
    if within is not None:
        conds.append(within.clause(w.unit_id, w.area_id))
    index = bucket_index(w.created_at, cuts).label("bucket")
    rows = {
        row.bucket: row
        for row in session.execute(
            select(
                index,
                func.count(w.id).label("warnings"),
                func.coalesce(func.sum(case((w.outcome == Outcome.DISSUADED, 1), else_=0)), 0).label("dissuaded"),
                func.coalesce(func.sum(case((w.outcome == Outcome.DEFRAUDED, 1), else_=0)), 0).label("defrauded"),
                func.coalesce(func.sum(w.amount_protected_fen), 0).label("protected_fen"),
                func.coalesce(func.sum(w.amount_lost_fen), 0).label("lost_fen"),
            )
            .where(and_(*conds))
            .group_by(index)
        )
    }
    out = []
    for i, cut in enumerate(cuts):
        row = rows.get(i)
        out.append(
            {
                **cut.public(),
                "warnings": int(row.warnings) if row else 0,
                "dissuaded": int(row.dissuaded) if row else 0,
                "defrauded": int(row.defrauded) if row else 0,
                "protected_yuan": _yuan_of(row.protected_fen if row else 0),
                "lost_yuan": _yuan_of(row.lost_fen if row else 0),
            }
        )
    return out
