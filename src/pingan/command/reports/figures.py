"""What a report says, read from Pingan's own data for one period: county totals and one row per 派出所.

Every station is a row, even one with nothing in the period (a table that drops a quiet station reads as if
it did not exist). The other capabilities' figures come through their `queries` modules; the tasks of every
kind (deadlines met, late, overdue) through the core's task table and the task service's own definition of
overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from pingan.command.reports.periods import ReportPeriod
from pingan.command.reports.rules import ReportRules
from pingan.core.clock import as_utc
from pingan.core.models import Area, Task, Unit, UnitKind, User
from pingan.core.scope import COUNTY, Scope
from pingan.core.series import Bucket, Step, buckets
from pingan.core.tasks import TaskService
from pingan.desk import queries as desk_queries
from pingan.fraud import queries as fraud_queries
from pingan.money.payments import queries as payment_queries
from pingan.tracking import queries as tracking_queries


@dataclass(frozen=True, slots=True)
class Station:
    """A 派出所 and the areas it covers (its jurisdiction and the communities under it)."""

    unit_id: int
    name: str
    area_id: int | None
    area_ids: frozenset[int]


@dataclass(slots=True)
class StationFigures:
    warnings: int = 0
    dissuaded: int = 0
    defrauded: int = 0
    protected_fen: int = 0
    lost_fen: int = 0
    desk_requests: int = 0
    desk_replied: int = 0
    desk_on_time: int = 0
    desk_timeliness: float | None = None
    desk_satisfaction: float | None = None
    alarms: int = 0
    tasks_created: int = 0
    tasks_closed: int = 0
    closed_on_time: int = 0
    late: int = 0
    """Tasks opened in the period that missed a deadline (the sweeper recorded a breach)."""
    overdue_open: int = 0
    """Tasks open and past their deadline when the report was made."""

    @property
    def dissuasion_rate(self) -> float | None:
        return self.dissuaded / self.warnings if self.warnings else None

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.tasks_closed if self.tasks_closed else None


@dataclass(frozen=True, slots=True)
class NamedTask:
    """An overdue task named in a report (通报点名): its title is masked where it was written."""

    id: int
    kind: str
    title: str
    station: str
    assignee: str | None
    due_at: datetime
    overdue_hours: float
    escalation: str | None


@dataclass(frozen=True, slots=True)
class Point:
    start: datetime
    warnings: int
    dissuaded: int
    protected_fen: int
    desk_requests: int


@dataclass(slots=True)
class Figures:
    period: ReportPeriod
    as_of: datetime
    """When the figures were read: the period's end, or now for a period in progress."""
    stations: list[tuple[Station, StationFigures]]
    county: StationFigures
    by_level: dict[str, int] = field(default_factory=dict)
    hot_types: list[tuple[str, str, int]] = field(default_factory=list)
    payments: dict[str, object] = field(default_factory=dict)
    tracking: dict[str, object] = field(default_factory=dict)
    desk: dict[str, object] = field(default_factory=dict)
    overdue_named: list[NamedTask] = field(default_factory=list)
    overdue_total: int = 0
    series: list[Point] = field(default_factory=list)
    counties: list[CountyFigures] = field(default_factory=list)
    """A city's or a province's report: each county below it, counted within the county."""

    def of(self, unit_id: int) -> StationFigures:
        for station, figures in self.stations:
            if station.unit_id == unit_id:
                return figures
        return StationFigures()

    def county_of(self, code: str) -> Figures | None:
        return next((c.figures for c in self.counties if c.code == code), None)


@dataclass(frozen=True, slots=True)
class CountyFigures:
    code: str
    name: str
    figures: Figures


def stations(session: Session, within: Scope = COUNTY) -> list[Station]:
    """Every 派出所 of the county (of `within`: a county of several, its own), in the order of its code (the
    order the county lists them in)."""
    units = session.execute(
        select(Unit.id, Unit.name, Unit.area_id)
        .where(Unit.kind == UnitKind.STATION, within.clause(Unit.id, Unit.area_id))
        .order_by(Unit.code, Unit.id)
    ).all()
    children: dict[int, set[int]] = {}
    for child, parent in session.execute(select(Area.id, Area.parent_id).where(Area.parent_id.is_not(None))):
        children.setdefault(int(parent or 0), set()).add(int(child))
    out = []
    for unit_id, name, area_id in units:
        covered = {int(area_id)} | children.get(int(area_id), set()) if area_id is not None else set()
        out.append(Station(int(unit_id), str(name), area_id, frozenset(covered)))
    return out


class _Locator:
    """Which station a row belongs to: the 派出所 holding it, else the one whose areas hold its area."""

    def __init__(self, listed: Sequence[Station]) -> None:
        self.by_unit = {s.unit_id: s.unit_id for s in listed}
        self.by_area = {a: s.unit_id for s in listed for a in s.area_ids}

    def __call__(self, unit_id: int | None, area_id: int | None) -> int | None:
        if unit_id is not None and unit_id in self.by_unit:
            return unit_id
        return self.by_area.get(area_id) if area_id is not None else None


def gather(
    session: Session,
    period: ReportPeriod,
    now: datetime,
    tasks: TaskService,
    rules: ReportRules,
    desk_rules: desk_queries.DeskRules,
    *,
    series: bool = True,
    details: bool = True,
    within: Scope = COUNTY,
) -> Figures:
    """The figures of `period` as known at `now` (a period in progress is read up to now).

    `details` off leaves out what only the report's own period shows (hot types, named tasks, payments,
    tracking): the figures of a period compared against (环比, 同比) need only the station rows. `within`
    is what the report covers (a county of several: its areas and units), handed down to every query.
    """
    listed = stations(session, within)
    areas = None if within.county_wide else sorted(within.area_ids)
    locate = _Locator(listed)
    as_of = min(now, period.end)
    start, end = period.start, period.end
    rows = {s.unit_id: StationFigures() for s in listed}
    county = StationFigures()

    # The report counts overdue tasks itself (below), by station: the county figure's own count is not read.
    fraud = fraud_queries.fraud_figures(session, fraud_queries.Period(start, end), overdue_open=0, within=within)
    for row in fraud["per_station"]:
        target = rows.get(locate(None, row["area_id"]) or -1)
        for figures in (target, county) if target is not None else (county,):
            figures.warnings += int(row["warnings"])
            figures.dissuaded += int(row["dissuaded"])
            figures.defrauded += int(row["defrauded"])
            figures.protected_fen += _fen(row["protected_yuan"])
            figures.lost_fen += _fen(row["lost_yuan"])

    desk = desk_queries.desk_figures(
        session,
        desk_queries.Period(start, end),
        as_of,
        desk_rules,
        scope=None if within.county_wide else desk_queries.queue_clause(within),
        within=within,
    )
    for row in desk["per_unit"]:
        target = rows.get(locate(row["unit_id"], None) or -1)
        if target is not None:
            target.desk_requests += int(row["requests"])
            target.desk_replied += int(row["replied"])
            target.desk_on_time += int(row["replied_on_time"])
            target.desk_timeliness = row["reply_timeliness"]
            target.desk_satisfaction = row["satisfaction"]
    county.desk_requests = int(desk["requests"])
    county.desk_replied = int(desk["replied"])
    county.desk_on_time = int(desk["replied_on_time"])
    county.desk_timeliness = desk["reply_timeliness"]
    county.desk_satisfaction = desk["satisfaction"]

    _task_figures(session, start, end, as_of, tasks, rules, locate, rows, county, within)
    out = Figures(period, as_of, [(s, rows[s.unit_id]) for s in listed], county)
    if not details:
        return out
    out.by_level = dict(fraud["by_level"])
    out.hot_types = fraud_queries.fraud_type_counts(session, start, end, within=within)[: rules.hot_types]
    out.payments = payment_queries.figures(session, within, start, end)["total"]
    out.tracking = tracking_queries.figures(session, start, end, areas)
    out.desk = {k: v for k, v in desk.items() if k not in ("per_unit", "per_officer")}
    out.overdue_named, out.overdue_total = _overdue_named(
        session, now, tasks, listed, locate, rules.named_tasks, within
    )
    if series:
        out.series = _series(session, period, as_of, desk_rules, within)
    return out


def _fen(yuan: object) -> int:
    return int((Decimal(str(yuan or 0)) * 100).to_integral_value())


def _task_figures(
    session: Session,
    start: datetime,
    end: datetime,
    as_of: datetime,
    tasks: TaskService,
    rules: ReportRules,
    locate: _Locator,
    rows: dict[int, StationFigures],
    county: StationFigures,
    within: Scope,
) -> None:
    t = Task
    inside = within.clause(t.unit_id, t.area_id)
    opened = and_(t.created_at >= start, t.created_at < end)
    closed = and_(t.closed_at >= start, t.closed_at < end)
    alarm = t.kind.in_(list(rules.alarm_kinds)) if rules.alarm_kinds else None
    counts = session.execute(
        select(
            t.unit_id,
            t.area_id,
            func.sum(case((opened, 1), else_=0)),
            func.sum(case((closed, 1), else_=0)),
            func.sum(case((and_(closed, t.breaches == 0), 1), else_=0)),
            func.sum(case((and_(opened, t.breaches > 0), 1), else_=0)),
            func.sum(case((and_(opened, alarm), 1), else_=0)) if alarm is not None else func.sum(0),
        )
        .where((t.created_at < end) & ((t.closed_at.is_(None)) | (t.closed_at >= start)), inside)
        .group_by(t.unit_id, t.area_id)
    ).all()
    for unit_id, area_id, created, done, on_time, late, alarms in counts:
        target = rows.get(locate(unit_id, area_id) or -1)
        for figures in (target, county) if target is not None else (county,):
            figures.tasks_created += int(created or 0)
            figures.tasks_closed += int(done or 0)
            figures.closed_on_time += int(on_time or 0)
            figures.late += int(late or 0)
            figures.alarms += int(alarms or 0)
    overdue = session.execute(
        select(t.unit_id, t.area_id, func.count(t.id))
        .where(tasks.overdue_clause(as_of), inside)
        .group_by(t.unit_id, t.area_id)
    ).all()
    for unit_id, area_id, n in overdue:
        target = rows.get(locate(unit_id, area_id) or -1)
        for figures in (target, county) if target is not None else (county,):
            figures.overdue_open += int(n)


def _overdue_named(
    session: Session,
    now: datetime,
    tasks: TaskService,
    listed: Sequence[Station],
    locate: _Locator,
    limit: int,
    within: Scope,
) -> tuple[list[NamedTask], int]:
    """The tasks open and overdue now, longest overdue first (at most `limit`), and how many there are."""
    clause = and_(tasks.overdue_clause(now), within.clause(Task.unit_id, Task.area_id))
    total = int(session.scalar(select(func.count(Task.id)).where(clause)) or 0)
    if limit == 0 or total == 0:
        return [], total
    names = {s.unit_id: s.name for s in listed}
    units = {int(i): str(n) for i, n in session.execute(select(Unit.id, Unit.name))}
    rows = session.execute(
        select(Task, User.display_name)
        .outerjoin(User, User.id == Task.assignee_id)
        .where(clause)
        .order_by(Task.due_at, Task.id)
        .limit(limit)
    ).all()
    out = []
    for task, assignee in rows:
        station = locate(task.unit_id, task.area_id)
        workflow = tasks.workflows.get(task.kind)
        rung = workflow.ladder.rung(task.escalation) if workflow is not None else None
        due = as_utc(task.due_at or now)
        out.append(
            NamedTask(
                id=task.id,
                kind=workflow.name if workflow is not None else task.kind,
                title=task.title,
                station=names[station] if station is not None else units.get(task.unit_id or 0, "未落地"),
                assignee=assignee,
                due_at=due,
                overdue_hours=max((now - due).total_seconds() / 3600, 0.0),
                escalation=rung.name if rung else None,
            )
        )
    return out, total


def _series(
    session: Session, period: ReportPeriod, as_of: datetime, desk_rules: desk_queries.DeskRules, within: Scope
) -> list[Point]:
    """The period cut into local days (weeks for a quarter) up to `as_of`, for the trend charts."""
    if as_of <= period.start:
        return []
    step = Step.WEEK if len(period.days) > 40 else Step.DAY
    cuts: list[Bucket] = buckets(period.start, min(period.end, as_of), step, period.zone)
    fraud = fraud_queries.fraud_series(session, cuts, within=within)
    desk = desk_queries.desk_series(
        session, cuts, as_of, scope=None if within.county_wide else desk_queries.queue_clause(within), within=within
    )
    return [
        Point(cut.start, int(f["warnings"]), int(f["dissuaded"]), _fen(f["protected_yuan"]), int(d["requests"]))
        for cut, f, d in zip(cuts, fraud, desk, strict=True)
    ]
