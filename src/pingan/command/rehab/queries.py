"""Reading the plans (masked unless revealed) and the figures: people under management and the 在管率.

在管率 (the share of people under management): of the plans in force at the period's end, those not reported
lost (失联). The counts of checks are over the checks due within the period.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from pingan.command.rehab.models import CheckKind, PlanKind, RehabCheck, RehabPlan, TestResult
from pingan.command.rehab.service import CHECK_NAMES, KIND_NAMES
from pingan.core.identifiers import mask_address, mask_id_number, mask_name, mask_phone
from pingan.core.models import Unit, User

LOCAL = ZoneInfo("Asia/Shanghai")


def _in_force(day: date, at: datetime) -> ColumnElement[bool]:
    return and_(
        RehabPlan.starts_on <= day,
        RehabPlan.ends_on >= day,
        or_(RehabPlan.ended_at.is_(None), RehabPlan.ended_at > at),
    )


def plan_view(plan: RehabPlan, *, reveal: bool, units: dict[int, str], officers: dict[int, str]) -> dict[str, Any]:
    return {
        "id": plan.id,
        "source_id": plan.source_id,
        "kind": plan.kind.value,
        "kind_name": KIND_NAMES[plan.kind],
        "name": plan.name if reveal else mask_name(plan.name),
        "id_number": plan.id_number if reveal else mask_id_number(plan.id_number),
        "phone": (plan.phone if reveal else mask_phone(plan.phone)) if plan.phone else None,
        "address": (plan.address if reveal else mask_address(plan.address)) if plan.address else None,
        "starts_on": plan.starts_on.isoformat(),
        "ends_on": plan.ends_on.isoformat(),
        "checkin_days": plan.checkin_days,
        "test_days": plan.test_days,
        "unit_id": plan.unit_id,
        "unit": units.get(plan.unit_id) if plan.unit_id else None,
        "officer": officers.get(plan.officer_id) if plan.officer_id else None,
        "lost": plan.lost_since is not None,
        "lost_since": plan.lost_since.isoformat() if plan.lost_since else None,
        "ended_at": plan.ended_at.isoformat() if plan.ended_at else None,
        "end_reason": plan.end_reason,
    }


def _names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    officers = dict(session.execute(select(User.id, User.display_name)).all())
    return units, officers


def list_plans(
    session: Session,
    today: date,
    *,
    scope_clause: ColumnElement[bool],
    q: str | None = None,
    active: bool | None = None,
    lost: bool | None = None,
    reveal: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[RehabPlan], dict[str, Any]]:
    """Plans in scope, the lost first then by name; each with its missed checks and next check due."""
    query = select(RehabPlan).where(scope_clause)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(RehabPlan.name.like(like), RehabPlan.id_number == q.strip().upper()))
    if active is not None:
        cond = and_(RehabPlan.ended_at.is_(None), RehabPlan.ends_on >= today)
        query = query.where(cond if active else ~cond)
    if lost is not None:
        query = query.where(RehabPlan.lost_since.is_not(None) if lost else RehabPlan.lost_since.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    plans = list(
        session.scalars(
            query.order_by(RehabPlan.lost_since.is_(None), RehabPlan.name, RehabPlan.id).limit(limit).offset(offset)
        )
    )
    ids = [p.id for p in plans]
    missed = dict(
        session.execute(
            select(RehabCheck.plan_id, func.count())
            .where(RehabCheck.plan_id.in_(ids), RehabCheck.missed_at.is_not(None))
            .group_by(RehabCheck.plan_id)
        ).all()
    )
    upcoming = dict(
        session.execute(
            select(RehabCheck.plan_id, func.min(RehabCheck.due_on))
            .where(RehabCheck.plan_id.in_(ids), RehabCheck.done_at.is_(None), RehabCheck.due_on >= today)
            .group_by(RehabCheck.plan_id)
        ).all()
    )
    units, officers = _names(session)
    items = []
    for p in plans:
        view = plan_view(p, reveal=reveal, units=units, officers=officers)
        view["missed"] = int(missed.get(p.id, 0))
        nxt = upcoming.get(p.id)
        view["next_due"] = nxt.isoformat() if nxt else None
        items.append(view)
    return plans, {"total": int(total or 0), "limit": limit, "offset": offset, "items": items}


def plan_detail(session: Session, plan: RehabPlan, today: date, *, reveal: bool) -> dict[str, Any]:
    """A plan with its checks up to a week ahead, newest first."""
    units, officers = _names(session)
    view = plan_view(plan, reveal=reveal, units=units, officers=officers)
    checks = session.scalars(
        select(RehabCheck)
        .where(RehabCheck.plan_id == plan.id, RehabCheck.due_on <= today + timedelta(days=7))
        .order_by(RehabCheck.due_on.desc(), RehabCheck.kind)
    )
    view["checks"] = [
        {
            "id": c.id,
            "kind": c.kind.value,
            "kind_name": CHECK_NAMES[c.kind],
            "due_on": c.due_on.isoformat(),
            "done_at": c.done_at.isoformat() if c.done_at else None,
            "result": c.result.value if c.result else None,
            "missed": c.missed_at is not None,
            "task_id": c.task_id,
            "note": c.note,
            "recorded_by": officers.get(c.recorded_by) if c.recorded_by else None,
        }
        for c in checks
    ]
    return view


def rehab_figures(
    session: Session, start: datetime, end: datetime, *, scope_clause: ColumnElement[bool] | None = None
) -> dict[str, Any]:
    """People in force at `end` (by kind and station), under management and lost, the 在管率, and the checks
    due within [start, end): recorded (on time or late), missed, tests and positive tests."""
    scope_clause = scope_clause if scope_clause is not None else true()
    last_day = (end - timedelta(microseconds=1)).astimezone(LOCAL).date()
    first_day = start.astimezone(LOCAL).date()
    in_force = and_(_in_force(last_day, end), scope_clause)
    lost = case((RehabPlan.lost_since.is_not(None), 1), else_=0)
    rows = session.execute(
        select(RehabPlan.unit_id, RehabPlan.kind, func.count(), func.sum(lost))
        .where(in_force)
        .group_by(RehabPlan.unit_id, RehabPlan.kind)
    )
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    by_unit: dict[int | None, dict[str, Any]] = {}
    by_kind = {k.value: 0 for k in PlanKind}
    total = lost_total = 0
    for unit_id, kind, n, n_lost in rows:
        entry = by_unit.setdefault(
            unit_id,
            {
                "unit_id": unit_id,
                "unit": units.get(unit_id, "未落地") if unit_id else "未落地",
                "in_force": 0,
                "lost": 0,
            },
        )
        entry["in_force"] += int(n)
        entry["lost"] += int(n_lost or 0)
        by_kind[kind.value] += int(n)
        total += int(n)
        lost_total += int(n_lost or 0)
    for entry in by_unit.values():
        entry["under_management"] = entry["in_force"] - entry["lost"]
        entry["rate"] = round(entry["under_management"] / entry["in_force"], 4) if entry["in_force"] else None
    due = and_(
        RehabCheck.due_on >= first_day,
        RehabCheck.due_on <= last_day,
        RehabCheck.plan_id.in_(select(RehabPlan.id).where(scope_clause)),
    )
    done, missed, tests, positive = session.execute(
        select(
            func.sum(case((RehabCheck.done_at.is_not(None), 1), else_=0)),
            func.sum(case((RehabCheck.missed_at.is_not(None), 1), else_=0)),
            func.sum(case((and_(RehabCheck.kind == CheckKind.TEST, RehabCheck.done_at.is_not(None)), 1), else_=0)),
            func.sum(case((RehabCheck.result == TestResult.POSITIVE, 1), else_=0)),
        ).where(due)
    ).one()
    due_count = session.scalar(select(func.count()).select_from(RehabCheck).where(due))
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "in_force": total,
        "by_kind": [{"kind": k, "name": KIND_NAMES[PlanKind(k)], "count": v} for k, v in by_kind.items()],
        "lost": lost_total,
        "under_management": total - lost_total,
        "rate": round((total - lost_total) / total, 4) if total else None,
        "checks_due": int(due_count or 0),
        "checks_done": int(done or 0),
        "checks_missed": int(missed or 0),
        "tests_done": int(tests or 0),
        "tests_positive": int(positive or 0),
        "by_unit": sorted(by_unit.values(), key=lambda e: e["unit"]),
    }
