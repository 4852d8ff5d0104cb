"""Reading the lists: each one's progress (done, overdue, by station, findings) and its rows, masked.

Whoever pushed a list sees all of it; the centres see every list; a station's staff see the lists that gave
them rows, counted over their rows only (`scope_clause` on the rows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import Session

from pingan.command.verify.models import Finding, SubjectKind, VerifyItem, VerifyList
from pingan.command.verify.workflow import FINDING_NAMES
from pingan.core.identifiers import mask_address, mask_id_number, mask_name, mask_phone
from pingan.core.models import Task, Unit, User

Brief = Callable[[Task, datetime], dict[str, Any]]


def _counts(now: datetime) -> tuple[Any, ...]:
    done = func.sum(case((VerifyItem.done_at.is_not(None), 1), else_=0))
    overdue = func.sum(case((and_(VerifyItem.done_at.is_(None), VerifyList.due_at < now), 1), else_=0))
    late = func.sum(case((VerifyItem.done_at > VerifyList.due_at, 1), else_=0))
    return func.count(VerifyItem.id), done, overdue, late


def list_lists(
    session: Session,
    now: datetime,
    *,
    lists_clause: ColumnElement[bool] | None = None,
    rows_clause: ColumnElement[bool] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """The lists newest first, each with its progress over the rows `rows_clause` lets through."""
    rows_clause = rows_clause if rows_clause is not None else true()
    query = (
        select(VerifyList, *_counts(now))
        .join(VerifyItem, and_(VerifyItem.list_id == VerifyList.id, rows_clause))
        .where(lists_clause if lists_clause is not None else true())
        .group_by(VerifyList.id)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    names = dict(session.execute(select(User.id, User.display_name)).all())
    items = []
    for vlist, count, done, overdue, late in session.execute(
        query.order_by(VerifyList.pushed_at.desc(), VerifyList.id.desc()).limit(limit).offset(offset)
    ):
        items.append(_summary(vlist, int(count), int(done or 0), int(overdue or 0), int(late or 0), now, names))
    return {"total": int(total or 0), "limit": limit, "offset": offset, "items": items}


def _summary(
    vlist: VerifyList, count: int, done: int, overdue: int, late: int, now: datetime, names: dict[int, str]
) -> dict[str, Any]:
    return {
        "id": vlist.id,
        "source": vlist.source,
        "source_id": vlist.source_id,
        "title": vlist.title,
        "reason": vlist.reason,
        "pushed_by": names.get(vlist.pushed_by),
        "pushed_at": vlist.pushed_at.isoformat(),
        "due_at": vlist.due_at.isoformat(),
        "past_due": vlist.due_at < now,
        "rows": count,
        "rejected": vlist.rejected,
        "done": done,
        "open": count - done,
        "overdue": overdue,
        "done_late": late,
        "done_rate": round(done / count, 4) if count else None,
    }


def list_progress(
    session: Session, vlist: VerifyList, now: datetime, *, rows_clause: ColumnElement[bool] | None = None
) -> dict[str, Any]:
    """A list's progress: its totals, per station (the unplaced rows as one line) and the findings."""
    rows_clause = rows_clause if rows_clause is not None else true()
    base = select(*_counts(now)).select_from(VerifyItem).join(VerifyList, VerifyList.id == VerifyItem.list_id)
    base = base.where(VerifyItem.list_id == vlist.id, rows_clause)
    count, done, overdue, late = session.execute(base).one()
    names = dict(session.execute(select(User.id, User.display_name)).all())
    out = _summary(vlist, int(count), int(done or 0), int(overdue or 0), int(late or 0), now, names)
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    by_station = []
    by_unit = session.execute(
        select(VerifyItem.unit_id, *_counts(now))
        .select_from(VerifyItem)
        .join(VerifyList, VerifyList.id == VerifyItem.list_id)
        .where(VerifyItem.list_id == vlist.id, rows_clause)
        .group_by(VerifyItem.unit_id)
    )
    for unit_id, c, d, o, lt in by_unit:
        by_station.append(
            {
                "unit_id": unit_id,
                "unit": units.get(unit_id, "未落地（待情指中心分派）") if unit_id else "未落地（待情指中心分派）",
                "rows": int(c),
                "done": int(d or 0),
                "open": int(c) - int(d or 0),
                "overdue": int(o or 0),
                "done_late": int(lt or 0),
            }
        )
    by_station.sort(key=lambda r: (-r["open"], r["unit"]))
    findings = dict.fromkeys((f.value for f in Finding), 0)
    for finding, n in session.execute(
        select(VerifyItem.finding, func.count())
        .where(VerifyItem.list_id == vlist.id, rows_clause, VerifyItem.finding.is_not(None))
        .group_by(VerifyItem.finding)
    ):
        if finding is not None:
            findings[finding.value] = int(n)
    out["by_station"] = by_station
    out["findings"] = [{"finding": k, "name": FINDING_NAMES[k], "count": v} for k, v in findings.items()]
    return out


def list_items(
    session: Session,
    vlist: VerifyList,
    now: datetime,
    *,
    brief: Brief,
    rows_clause: ColumnElement[bool] | None = None,
    open_only: bool = False,
    reveal: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> tuple[list[VerifyItem], dict[str, Any]]:
    """A list's rows in their order, masked unless `reveal`, each with its task (status, deadline, overdue)."""
    query = select(VerifyItem).where(VerifyItem.list_id == vlist.id)
    if rows_clause is not None:
        query = query.where(rows_clause)
    if open_only:
        query = query.where(VerifyItem.done_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(session.scalars(query.order_by(VerifyItem.line, VerifyItem.id).limit(limit).offset(offset)))
    units = dict(session.execute(select(Unit.id, Unit.name)).all())
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_([r.task_id for r in rows if r.task_id])))}
    items = []
    for r in rows:
        task = tasks.get(r.task_id) if r.task_id is not None else None
        items.append(
            {
                "id": r.id,
                "line": r.line,
                "kind": r.kind.value,
                "name": (r.name if reveal else mask_name(r.name)) if r.name else None,
                "id_number": (r.id_number if reveal else mask_id_number(r.id_number)) if r.id_number else None,
                "phone": (r.phone if reveal else mask_phone(r.phone)) if r.phone else None,
                "address": (r.address if reveal or r.kind is SubjectKind.PLACE else mask_address(r.address))
                if r.address
                else None,
                "note": r.note,
                "resolved_by": r.resolved_by.value,
                "unit_id": r.unit_id,
                "unit": units.get(r.unit_id) if r.unit_id else None,
                "finding": r.finding.value if r.finding else None,
                "finding_name": FINDING_NAMES[r.finding] if r.finding else None,
                "measures": r.measures,
                "done_at": r.done_at.isoformat() if r.done_at else None,
                "task": brief(task, now) if task is not None else None,
            }
        )
    return rows, {"total": int(total or 0), "limit": limit, "offset": offset, "items": items}
