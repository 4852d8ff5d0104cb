"""Hidden dangers' read models: who sees which finding, the list, a finding with its departments' progress,
the map, and the figures (found, rectified, overdue, against the year's targets, by kind and area, 同比)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select, true
from sqlalchemy.orm import Session

from pingan.command.dangers.models import (
    KIND_NAMES,
    Danger,
    DangerDepartment,
    DangerKind,
    DangerPhoto,
    DangerState,
    DepartmentRole,
    PhotoStage,
)
from pingan.command.dangers.rules import DangerRules
from pingan.command.yoy import counted
from pingan.core.models import Area, Task, Unit, User
from pingan.core.scope import Scope

OPEN_STATES = (DangerState.RECTIFYING, DangerState.SUBMITTED)
STATE_NAMES = {
    DangerState.RECTIFYING: "整改中",
    DangerState.SUBMITTED: "待验收",
    DangerState.RECTIFIED: "已整改",
    DangerState.CLOSED: "已关闭",
}
STAGE_NAMES = {PhotoStage.BEFORE: "整改前", PhotoStage.AFTER: "整改后", PhotoStage.ACCEPTANCE: "现场验收"}


def visible_clause(scope: Scope) -> ColumnElement[bool]:
    """The findings a user sees: the centres all; a department those it leads or works on; a station those in
    its jurisdiction."""
    if scope.county_wide:
        return true()
    parts: list[ColumnElement[bool]] = []
    if scope.unit_ids:
        mine = select(DangerDepartment.danger_id).where(DangerDepartment.unit_id.in_(scope.unit_ids))
        parts.append(Danger.id.in_(mine))
    if scope.area_ids:
        parts.append(Danger.area_id.in_(scope.area_ids))
    return or_(*parts) if parts else false()


def department_units(session: Session, danger_id: int) -> set[int]:
    return set(session.scalars(select(DangerDepartment.unit_id).where(DangerDepartment.danger_id == danger_id)))


def open_parts(session: Session, danger_id: int) -> list[str]:
    """The names of the co-departments whose part is still open (not reported, and not closed by the centre)."""
    rows = session.execute(
        select(Unit.name)
        .join(DangerDepartment, DangerDepartment.unit_id == Unit.id)
        .join(Task, Task.id == DangerDepartment.task_id)
        .where(
            DangerDepartment.danger_id == danger_id,
            DangerDepartment.role == DepartmentRole.CO,
            Task.closed_at.is_(None),
        )
        .order_by(DangerDepartment.id)
    )
    return [name for (name,) in rows]


def filtered(
    scope: Scope,
    *,
    now: datetime,
    kind: DangerKind | None = None,
    state: DangerState | None = None,
    area_id: int | None = None,
    unit_id: int | None = None,
    overdue: bool | None = None,
    q: str | None = None,
) -> Select[Danger]:
    stmt = select(Danger).where(visible_clause(scope))
    if kind is not None:
        stmt = stmt.where(Danger.kind == kind)
    if state is not None:
        stmt = stmt.where(Danger.state == state)
    if area_id is not None:
        under = select(Area.id).where(Area.parent_id == area_id)
        stmt = stmt.where(or_(Danger.area_id == area_id, Danger.area_id.in_(under)))
    if unit_id is not None:
        stmt = stmt.where(Danger.id.in_(select(DangerDepartment.danger_id).where(DangerDepartment.unit_id == unit_id)))
    if overdue is not None:
        late = overdue_clause(now)
        stmt = stmt.where(late if overdue else ~late)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Danger.title.like(like), Danger.place.like(like)))
    return stmt


def area_clause(area_id: int) -> ColumnElement[bool]:
    """In the area or one of its communities."""
    under = select(Area.id).where(Area.parent_id == area_id)
    return or_(Danger.area_id == area_id, Danger.area_id.in_(under))


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Open, and its task past the deadline of the step it is on (signing, rectifying, acceptance)."""
    late = select(Task.id).where(Task.closed_at.is_(None), Task.due_at < now)
    return and_(Danger.state.in_(OPEN_STATES), Danger.task_id.in_(late))


def page(session: Session, stmt: Select[Danger], limit: int, offset: int) -> tuple[int, list[Danger]]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.scalars(stmt.order_by(Danger.due_at, Danger.id).limit(limit).offset(offset)))
    return total, rows


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    column = model.display_name if model is User else model.name
    return dict(session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def summaries(session: Session, dangers: Sequence[Danger], now: datetime) -> list[dict[str, Any]]:
    """Rows of the list: the finding, its lead, its area, its task's step and deadline, its parts' count."""
    units = _names(session, Unit, {d.lead_unit_id for d in dangers})
    areas = _names(session, Area, {d.area_id for d in dangers if d.area_id is not None})
    tasks = {
        t.id: t for t in session.scalars(select(Task).where(Task.id.in_([d.task_id for d in dangers if d.task_id])))
    }
    counts: dict[int, tuple[int, int]] = {}
    if dangers:
        rows = session.execute(
            select(
                DangerDepartment.danger_id,
                func.count(),
                func.sum(case((DangerDepartment.reported_at.is_not(None), 1), else_=0)),
            )
            .where(DangerDepartment.danger_id.in_([d.id for d in dangers]), DangerDepartment.role == DepartmentRole.CO)
            .group_by(DangerDepartment.danger_id)
        )
        counts = {danger_id: (int(n), int(done or 0)) for danger_id, n, done in rows}
    out = []
    for d in dangers:
        task = tasks.get(d.task_id) if d.task_id else None
        parts, reported = counts.get(d.id, (0, 0))
        out.append(
            {
                "id": d.id,
                "kind": d.kind.value,
                "kind_name": KIND_NAMES[d.kind],
                "title": d.title,
                "place": d.place,
                "lon": d.lon,
                "lat": d.lat,
                "area_id": d.area_id,
                "area": areas.get(d.area_id) if d.area_id else None,
                "lead_unit_id": d.lead_unit_id,
                "lead": units.get(d.lead_unit_id),
                "state": d.state.value,
                # not yet signed for by its lead: say so rather than "being rectified"
                "state_name": "待签收" if task is not None and task.status == "issued" else STATE_NAMES[d.state],
                "found_at": d.found_at.isoformat(),
                "due_at": d.due_at.isoformat(),
                "rectified_at": d.rectified_at.isoformat() if d.rectified_at else None,
                "task_id": d.task_id,
                "step": task.due_step if task else None,
                "step_due_at": task.due_at.isoformat() if task and task.due_at else None,
                "overdue": bool(task and task.closed_at is None and task.due_at is not None and task.due_at < now),
                "escalation": task.escalation if task else 0,
                "parts": parts,
                "parts_reported": reported,
            }
        )
    return out


def progress(session: Session, danger: Danger, now: datetime) -> list[dict[str, Any]]:
    """Per department: its role, duty, task (status, deadline, overdue), report, photos it uploaded."""
    deps = list(
        session.scalars(
            select(DangerDepartment).where(DangerDepartment.danger_id == danger.id).order_by(DangerDepartment.id)
        )
    )
    units = _names(session, Unit, {d.unit_id for d in deps})
    task_ids = [d.task_id for d in deps if d.task_id] + ([danger.task_id] if danger.task_id else [])
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(task_ids)))}
    photos = dict(
        session.execute(
            select(DangerPhoto.unit_id, func.count())
            .where(DangerPhoto.danger_id == danger.id)
            .group_by(DangerPhoto.unit_id)
        ).all()
    )
    out = []
    for dep in deps:
        task = tasks.get(dep.task_id if dep.role is DepartmentRole.CO and dep.task_id else danger.task_id or 0)
        out.append(
            {
                "unit_id": dep.unit_id,
                "unit": units.get(dep.unit_id),
                "role": dep.role.value,
                "role_name": "牵头" if dep.role is DepartmentRole.LEAD else "协办",
                "duty": dep.duty,
                "task_id": task.id if task else None,
                "status": task.status if task else None,
                "due_step": task.due_step if task else None,
                "due_at": task.due_at.isoformat() if task and task.due_at else None,
                "overdue": bool(task and task.closed_at is None and task.due_at is not None and task.due_at < now),
                "escalation": task.escalation if task else 0,
                "reported_at": dep.reported_at.isoformat() if dep.reported_at else None,
                "report": dep.report,
                "photos": int(photos.get(dep.unit_id, 0)),
            }
        )
    return out


def photos(session: Session, danger_id: int) -> list[dict[str, Any]]:
    rows = list(session.scalars(select(DangerPhoto).where(DangerPhoto.danger_id == danger_id).order_by(DangerPhoto.id)))
    units = _names(session, Unit, {p.unit_id for p in rows if p.unit_id is not None})
    return [
        {
            "id": p.id,
            "stage": p.stage.value,
            "stage_name": STAGE_NAMES[p.stage],
            "unit": units.get(p.unit_id) if p.unit_id else None,
            "at": p.at.isoformat(),
            "mime": p.mime,
            "size": p.size,
            "url": f"/api/v1/command/dangers/{danger_id}/photos/{p.id}",
        }
        for p in rows
    ]


def detail(session: Session, danger: Danger, now: datetime) -> dict[str, Any]:
    (row,) = summaries(session, [danger], now)
    creator = session.get(User, danger.created_by) if danger.created_by else None
    return {
        **row,
        "description": danger.description,
        "plan": danger.plan,
        "budget_yuan": danger.budget_yuan,
        "submitted_at": danger.submitted_at.isoformat() if danger.submitted_at else None,
        "created_by": creator.display_name if creator else None,
        "departments": progress(session, danger, now),
        "photos": photos(session, danger.id),
    }


def geojson(session: Session, dangers: Sequence[Danger], now: datetime) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {
                k: row[k]
                for k in ("id", "kind", "kind_name", "title", "place", "state", "state_name", "lead", "overdue")
            },
        }
        for row in summaries(session, [d for d in dangers if d.lon is not None and d.lat is not None], now)
    ]
    return {"type": "FeatureCollection", "features": features}


# -- figures ---------------------------------------------------------------------------------------------


def _count_by_kind(
    session: Session, column: Any, start: datetime, end: datetime, areas: ColumnElement[bool]
) -> dict[str, int]:
    rows = session.execute(
        select(Danger.kind, func.count()).where(column >= start, column < end, areas).group_by(Danger.kind)
    )
    return {kind.value: int(n) for kind, n in rows}


def figures(
    session: Session,
    rules: DangerRules,
    start: datetime,
    end: datetime,
    now: datetime,
    where: ColumnElement[bool],
) -> dict[str, Any]:
    """Found and rectified in [start, end) by kind, with the same period a year earlier (同比); open and
    overdue now; the year's targets (the year of `end`, Shanghai time) against what was rectified in it so far;
    per station area. `where`: the findings counted (the user's scope, an area)."""
    in_areas = where
    found = counted(lambda s, e: _count_by_kind(session, Danger.found_at, s, e, in_areas), start, end)
    rectified = counted(lambda s, e: _count_by_kind(session, Danger.rectified_at, s, e, in_areas), start, end)
    on_time = dict(
        session.execute(
            select(Danger.kind, func.count())
            .where(
                Danger.rectified_at >= start, Danger.rectified_at < end, Danger.rectified_at <= Danger.due_at, in_areas
            )
            .group_by(Danger.kind)
        ).all()
    )
    open_now = dict(
        session.execute(
            select(Danger.kind, func.count()).where(Danger.state.in_(OPEN_STATES), in_areas).group_by(Danger.kind)
        ).all()
    )
    overdue_now = dict(
        session.execute(
            select(Danger.kind, func.count()).where(overdue_clause(now), in_areas).group_by(Danger.kind)
        ).all()
    )
    zone = ZoneInfo(rules.timezone)
    last = (end - timedelta(microseconds=1)).astimezone(zone)
    year = last.year
    year_start = datetime(year, 1, 1, tzinfo=zone)
    year_rectified = _count_by_kind(session, Danger.rectified_at, year_start, end, in_areas)
    kinds: list[dict[str, Any]] = []
    for kind in DangerKind:
        k = kind.value
        target = rules.target(year, kind)
        done = year_rectified.get(k, 0)
        kinds.append(
            {
                "kind": k,
                "kind_name": KIND_NAMES[kind],
                **found.fields("found", k),
                **rectified.fields("rectified", k),
                "rectified_on_time": int(on_time.get(kind, 0)),
                "open": int(open_now.get(kind, 0)),
                "overdue": int(overdue_now.get(kind, 0)),
                "year_target": target,
                "year_rectified": done,
                "year_target_rate": None if not target else round(done / target, 4),
            }
        )
    keys = ("rectified_on_time", "open", "overdue", "year_rectified")
    total: dict[str, Any] = {key: sum(int(row[key]) for row in kinds) for key in keys}
    targets = [int(row["year_target"]) for row in kinds if row["year_target"] is not None]
    target_sum = sum(targets) if targets else None
    totals: dict[str, Any] = {
        **found.total("found"),
        **rectified.total("rectified"),
        **total,
        "year_target": target_sum,
        "year_target_rate": None if not target_sum else round(total["year_rectified"] / target_sum, 4),
    }
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "year": year,
        "total": totals,
        "kinds": kinds,
        "areas": _by_area(session, start, end, now, in_areas),
    }


def _by_area(
    session: Session, start: datetime, end: datetime, now: datetime, in_areas: ColumnElement[bool]
) -> list[dict[str, Any]]:
    def per(column: Any, extra: ColumnElement[bool]) -> dict[int | None, int]:
        rows = session.execute(select(Danger.area_id, func.count()).where(extra, in_areas).group_by(Danger.area_id))
        return {a: int(n) for a, n in rows}

    found = per(Danger.found_at, and_(Danger.found_at >= start, Danger.found_at < end))
    rectified = per(Danger.rectified_at, and_(Danger.rectified_at >= start, Danger.rectified_at < end))
    overdue = per(Danger.task_id, overdue_clause(now))
    ids = set(found) | set(rectified) | set(overdue)
    names = _names(session, Area, {a for a in ids if a is not None})
    rows = [
        {
            "area_id": a,
            "area": names.get(a, "未落地") if a is not None else "未落地",
            "found": found.get(a, 0),
            "rectified": rectified.get(a, 0),
            "overdue": overdue.get(a, 0),
        }
        for a in ids
    ]
    return sorted(rows, key=lambda r: (-r["found"], r["area"]))
