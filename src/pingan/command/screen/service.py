"""What the big screen shows that no figures endpoint does: work open and overdue per station (the map's
colours), the live queue of every task kind, and the ranking's top and bottom.

It reads the one task table through the core (every kind, the workflows' own definition of overdue) and
the rankings, within the viewer's scope (`TaskService.visible_clause`: a county sees its own work, a city or
the province the sum of its counties'; a kind the viewer may not see is left out); personal data never
appears: task titles are masked when written, and the queue shows only the title, the kind, the station and
the clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.command.ranking.periods import month_of
from pingan.command.ranking.service import RankingService
from pingan.command.ranking.tenants import WHOLE, Tenant
from pingan.core.models import Task, Unit, UnitKind
from pingan.core.scope import COUNTY, Scope
from pingan.core.tasks import TaskService
from pingan.core.tasks.figures import open_by

QUEUE_LENGTH = 12
ENDS = 3
"""How many units the ranking's top and bottom each show."""


def station_load(session: Session, tasks: TaskService, now: datetime, scope: Scope = COUNTY) -> list[dict[str, Any]]:
    """Per station of the scope: its area, the open tasks its unit holds (those the scope sees) and the
    overdue ones among them, most overdue first."""
    counts = open_by(session, Task.unit_id, tasks.overdue_clause(now), where=tasks.visible_clause(scope))
    query = select(Unit).where(Unit.kind == UnitKind.STATION).order_by(Unit.code)
    if not scope.county_wide:
        query = query.where(Unit.area_id.in_(sorted(scope.area_ids)))
    stations = session.scalars(query).all()
    out: list[dict[str, Any]] = []
    for unit in stations:
        c = counts.get(unit.id)
        out.append(
            {
                "unit_id": unit.id,
                "unit": unit.name,
                "area_id": unit.area_id,
                "open": c.open if c else 0,
                "overdue": c.overdue if c else 0,
            }
        )
    out.sort(key=lambda r: (-int(r["overdue"]), -int(r["open"]), str(r["unit"])))
    return out


def queues(session: Session, tasks: TaskService, now: datetime, scope: Scope = COUNTY) -> dict[str, Any]:
    """Open and overdue per task kind (every kind the scope may see, even with nothing open) and the newest
    open tasks, within the scope."""
    visible = tasks.visible_clause(scope)
    counts = open_by(session, Task.kind, tasks.overdue_clause(now), where=visible)
    kinds = [
        {
            "kind": kind,
            "kind_name": workflow.name,
            "open": counts[kind].open if kind in counts else 0,
            "overdue": counts[kind].overdue if kind in counts else 0,
        }
        for kind, workflow in tasks.workflows.items()
        if scope.has(workflow.duty)
    ]
    rows = session.execute(
        select(Task, Unit.name)
        .outerjoin(Unit, Unit.id == Task.unit_id)
        .where(Task.closed_at.is_(None), Task.kind.in_(sorted(tasks.workflows)), visible)
        .order_by(Task.created_at.desc(), Task.id.desc())
        .limit(QUEUE_LENGTH)
    ).all()
    latest = []
    for task, unit in rows:
        brief = tasks.brief(task, now)
        latest.append(
            {
                "id": task.id,
                "kind": task.kind,
                "kind_name": brief["kind_name"],
                "title": task.title,
                "level": task.level,
                "status_name": brief["status_name"],
                "unit": unit,
                "created_at": task.created_at.isoformat(),
                "due_at": brief["due_at"],
                "overdue": brief["overdue"],
            }
        )
    return {"kinds": kinds, "latest": latest}


def ranking_ends(
    session: Session, ranking: RankingService, now: datetime, board: str = "stations", tenant: Tenant = WHOLE
) -> dict[str, Any]:
    """The board's first and last `ENDS` units of this month (the tenant's), with their change."""
    result = ranking.rank(session, month_of(now), board, tenant)
    rows = [
        {"unit_id": r.unit_id, "name": r.name, "position": r.position, "score": r.score, "change": r.change}
        for r in result.rows
    ]
    return {
        "board": result.board,
        "board_label": result.board_label,
        "period": result.period,
        "published": result.published,
        "top": rows[:ENDS],
        "bottom": rows[max(ENDS, len(rows) - ENDS) :][::-1],
        "districts": [{"name": d.name, "position": d.position, "score": d.score} for d in result.districts],
        "county": result.county,
    }


def screen(
    session: Session,
    tasks: TaskService,
    ranking: RankingService,
    now: datetime,
    scope: Scope = COUNTY,
    tenant: Tenant = WHOLE,
    *,
    board: str = "stations",
) -> dict[str, Any]:
    """The live part of the big screen of a viewer of `scope`, whose ranking ends are `tenant`'s `board`
    (a county's stations; a city's or the province's counties)."""
    return {
        "at": now.isoformat(),
        "county": tenant.public(),
        "stations": station_load(session, tasks, now, scope),
        "queues": queues(session, tasks, now, scope),
        "ranking": ranking_ends(session, ranking, now, board, tenant),
    }
