"""Dispute mediation's read models: who sees which dispute, the list, the detail (parties masked unless
revealed), the figures (received, resolved, failed, by category, mediator and area, 同比)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from pingan.command.disputes.models import (
    CATEGORY_NAMES,
    MEDIATOR_KIND_NAMES,
    Dispute,
    DisputeCategory,
    DisputeSession,
    DisputeState,
    Mediator,
)
from pingan.command.yoy import counted
from pingan.core.identifiers import mask_free_text, mask_name, mask_phone
from pingan.core.models import Area, Task, Unit, User
from pingan.core.scope import Scope

OPEN_STATES = (DisputeState.RECEIVED, DisputeState.MEDIATING, DisputeState.AGREED)
STATE_NAMES = {
    DisputeState.RECEIVED: "待调解",
    DisputeState.MEDIATING: "调解中",
    DisputeState.AGREED: "已达成协议",
    DisputeState.RESOLVED: "已化解",
    DisputeState.FAILED: "调解未成",
    DisputeState.CLOSED: "已关闭",
}
ROLE_NAMES = {"applicant": "申请人", "respondent": "被申请人", "other": "其他当事人"}


def visible_clause(scope: Scope) -> ColumnElement[bool]:
    """The disputes a user sees: the centres all; a unit those it handles; a station those in its area."""
    if scope.county_wide:
        return true()
    parts: list[ColumnElement[bool]] = []
    if scope.unit_ids:
        parts.append(Dispute.unit_id.in_(scope.unit_ids))
    if scope.area_ids:
        parts.append(Dispute.area_id.in_(scope.area_ids))
    return or_(*parts) if parts else false()


def mediator_clause(scope: Scope) -> ColumnElement[bool]:
    if scope.county_wide:
        return true()
    units = set(scope.unit_ids)
    parts: list[ColumnElement[bool]] = [Mediator.unit_id.in_(units)] if units else []
    if scope.area_ids:
        parts.append(Mediator.unit_id.in_(select(Unit.id).where(Unit.area_id.in_(scope.area_ids))))
    return or_(*parts) if parts else false()


def area_clause(area_id: int) -> ColumnElement[bool]:
    under = select(Area.id).where(Area.parent_id == area_id)
    return or_(Dispute.area_id == area_id, Dispute.area_id.in_(under))


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    late = select(Task.id).where(Task.closed_at.is_(None), Task.due_at < now)
    return and_(Dispute.state.in_(OPEN_STATES), Dispute.task_id.in_(late))


def filtered(
    scope: Scope,
    *,
    now: datetime,
    category: DisputeCategory | None = None,
    state: DisputeState | None = None,
    area_id: int | None = None,
    mediator_id: int | None = None,
    overdue: bool | None = None,
    q: str | None = None,
) -> Select[Dispute]:
    stmt = select(Dispute).where(visible_clause(scope))
    if category is not None:
        stmt = stmt.where(Dispute.category == category)
    if state is not None:
        stmt = stmt.where(Dispute.state == state)
    if area_id is not None:
        under = select(Area.id).where(Area.parent_id == area_id)
        stmt = stmt.where(or_(Dispute.area_id == area_id, Dispute.area_id.in_(under)))
    if mediator_id is not None:
        stmt = stmt.where(Dispute.mediator_id == mediator_id)
    if overdue is not None:
        late = overdue_clause(now)
        stmt = stmt.where(late if overdue else ~late)
    if q:
        stmt = stmt.where(or_(Dispute.title.like(f"%{q}%"), Dispute.place.like(f"%{q}%")))
    return stmt


def page(session: Session, stmt: Select[Dispute], limit: int, offset: int) -> tuple[int, list[Dispute]]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(
        session.scalars(stmt.order_by(Dispute.received_at.desc(), Dispute.id.desc()).limit(limit).offset(offset))
    )
    return total, rows


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    column = model.display_name if model is User else model.name
    return dict(session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def parties_view(parties: Sequence[dict[str, Any]], *, reveal: bool) -> list[dict[str, Any]]:
    out = []
    for p in parties:
        name, phone = str(p.get("name", "")), p.get("phone")
        out.append(
            {
                "name": name if reveal else mask_name(name),
                "phone": (phone if reveal else mask_phone(str(phone))) if phone else None,
                "role": p.get("role"),
                "role_name": ROLE_NAMES.get(str(p.get("role")), ""),
            }
        )
    return out


def summaries(
    session: Session, rows: Sequence[Dispute], now: datetime, *, reveal: bool = False
) -> list[dict[str, Any]]:
    units = _names(session, Unit, {d.unit_id for d in rows})
    areas = _names(session, Area, {d.area_id for d in rows if d.area_id is not None})
    mediators = _names(session, Mediator, {d.mediator_id for d in rows if d.mediator_id is not None})
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_([d.task_id for d in rows if d.task_id])))}
    out = []
    for d in rows:
        task = tasks.get(d.task_id) if d.task_id else None
        out.append(
            {
                "id": d.id,
                "category": d.category.value,
                "category_name": CATEGORY_NAMES[d.category],
                "title": d.title,
                "place": d.place,
                "lon": d.lon,
                "lat": d.lat,
                "area_id": d.area_id,
                "area": areas.get(d.area_id) if d.area_id else None,
                "unit_id": d.unit_id,
                "unit": units.get(d.unit_id),
                "mediator_id": d.mediator_id,
                "mediator": mediators.get(d.mediator_id) if d.mediator_id else None,
                "parties": parties_view(d.parties or [], reveal=reveal),
                "state": d.state.value,
                "state_name": STATE_NAMES[d.state],
                "outcome": d.outcome,
                "received_at": d.received_at.isoformat(),
                "agreed_at": d.agreed_at.isoformat() if d.agreed_at else None,
                "resolved_at": d.resolved_at.isoformat() if d.resolved_at else None,
                "task_id": d.task_id,
                "step": task.due_step if task else None,
                "step_due_at": task.due_at.isoformat() if task and task.due_at else None,
                "overdue": bool(task and task.closed_at is None and task.due_at is not None and task.due_at < now),
                "sessions": int((task.facts or {}).get("sessions", 0)) if task else 0,
            }
        )
    return out


def detail(session: Session, dispute: Dispute, now: datetime, *, reveal: bool) -> dict[str, Any]:
    (row,) = summaries(session, [dispute], now, reveal=reveal)
    sessions = list(
        session.scalars(
            select(DisputeSession).where(DisputeSession.dispute_id == dispute.id).order_by(DisputeSession.id)
        )
    )
    users = _names(session, User, {s.recorded_by for s in sessions if s.recorded_by is not None})

    def text(value: str | None) -> str | None:
        return value if reveal or value is None else mask_free_text(value)

    return {
        **row,
        "description": text(dispute.description),
        "agreement": text(dispute.agreement),
        "compensation_yuan": dispute.compensation_yuan,
        "referral": dispute.referral,
        "sessions_list": [
            {
                "id": s.id,
                "at": s.at.isoformat(),
                "place": s.place,
                "mediators": s.mediators,
                "summary": text(s.summary),
                "recorded_by": users.get(s.recorded_by) if s.recorded_by else None,
            }
            for s in sessions
        ],
    }


def mediators(session: Session, scope: Scope) -> list[dict[str, Any]]:
    rows = list(session.scalars(select(Mediator).where(mediator_clause(scope)).order_by(Mediator.unit_id, Mediator.id)))
    units = _names(session, Unit, {m.unit_id for m in rows})
    counts = dict(
        session.execute(
            select(Dispute.mediator_id, func.count())
            .where(Dispute.mediator_id.in_([m.id for m in rows]), Dispute.state == DisputeState.RESOLVED)
            .group_by(Dispute.mediator_id)
        ).all()
    )
    return [
        {
            "id": m.id,
            "name": m.name,
            "kind": m.kind.value,
            "kind_name": MEDIATOR_KIND_NAMES[m.kind],
            "unit_id": m.unit_id,
            "unit": units.get(m.unit_id),
            "note": m.note,
            "active": m.active,
            "resolved": int(counts.get(m.id, 0)),
        }
        for m in rows
    ]


def _count(session: Session, column: Any, start: datetime, end: datetime, where: ColumnElement[bool]) -> dict[str, int]:
    rows = session.execute(
        select(Dispute.category, func.count()).where(column >= start, column < end, where).group_by(Dispute.category)
    )
    return {c.value: int(n) for c, n in rows}


def figures(
    session: Session, start: datetime, end: datetime, now: datetime, where: ColumnElement[bool]
) -> dict[str, Any]:
    """Received, resolved and failed in [start, end) by category, with the same period a year earlier (同比);
    open and overdue now; per mediator and per area. `where`: the disputes counted (the user's scope, an area)."""
    failed_where = and_(where, Dispute.state == DisputeState.FAILED)
    received = counted(lambda s, e: _count(session, Dispute.received_at, s, e, where), start, end)
    resolved = counted(lambda s, e: _count(session, Dispute.resolved_at, s, e, where), start, end)
    failed = _count(session, Dispute.closed_at, start, end, failed_where)
    open_now = dict(
        session.execute(
            select(Dispute.category, func.count())
            .where(Dispute.state.in_(OPEN_STATES), where)
            .group_by(Dispute.category)
        ).all()
    )
    late = dict(
        session.execute(
            select(Dispute.category, func.count()).where(overdue_clause(now), where).group_by(Dispute.category)
        ).all()
    )
    categories: list[dict[str, Any]] = []
    for c in DisputeCategory:
        k = c.value
        done, lost = resolved.now.get(k, 0), failed.get(k, 0)
        categories.append(
            {
                "category": k,
                "category_name": CATEGORY_NAMES[c],
                **received.fields("received", k),
                **resolved.fields("resolved", k),
                "failed": lost,
                "open": int(open_now.get(c, 0)),
                "overdue": int(late.get(c, 0)),
                "resolution_rate": None if done + lost == 0 else round(done / (done + lost), 4),
            }
        )
    total: dict[str, Any] = {
        **received.total("received"),
        **resolved.total("resolved"),
        **{k: sum(int(row[k]) for row in categories) for k in ("failed", "open", "overdue")},
    }
    finished = total["resolved"] + total["failed"]
    total["resolution_rate"] = None if finished == 0 else round(total["resolved"] / finished, 4)
    by_mediator = session.execute(
        select(Dispute.mediator_id, func.count())
        .where(Dispute.resolved_at >= start, Dispute.resolved_at < end, where)
        .group_by(Dispute.mediator_id)
    ).all()
    names = _names(session, Mediator, {m for m, _ in by_mediator if m is not None})
    by_area = session.execute(
        select(Dispute.area_id, func.count())
        .where(Dispute.resolved_at >= start, Dispute.resolved_at < end, where)
        .group_by(Dispute.area_id)
    ).all()
    area_names = _names(session, Area, {a for a, _ in by_area if a is not None})
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "total": total,
        "categories": categories,
        "mediators": sorted(
            (
                {"mediator_id": m, "mediator": names.get(m, "未指定") if m else "未指定", "resolved": int(n)}
                for m, n in by_mediator
            ),
            key=lambda r: -int(r["resolved"]),
        ),
        "areas": sorted(
            (
                {"area_id": a, "area": area_names.get(a, "未落地") if a else "未落地", "resolved": int(n)}
                for a, n in by_area
            ),
            key=lambda r: -int(r["resolved"]),
        ),
    }
