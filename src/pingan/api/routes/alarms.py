"""The alarm intake's HTTP edge under /api/v1/command/alarms (统一接警): receive an alarm (idempotent on its
source id), the live list, one alarm with the units proposed by the "135" reach, the response-time figures.
Dispatch, arrival and the outcome are actions of the alarm's task (`POST /api/v1/tasks/{id}/actions`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy import func, select

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period, require
from pingan.command.alarms import queries
from pingan.command.alarms.models import Alarm, AlarmLevel
from pingan.command.alarms.schemas import AlarmCreate
from pingan.command.patrol import queries as patrol_queries
from pingan.core.errors import Forbidden, NotFound
from pingan.core.fields import DbId
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, AccessLog, Role, Task
from pingan.core.scope import REVEAL_ROLES

router = APIRouter(prefix="/command/alarms", tags=["command"])

STAFF = (*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER)
INTAKE = (Role.ADMIN, Role.COMMANDER, Role.STATION_HEAD, Role.OFFICER)
"""Who receives alarms: the 情指中心 (110) and the stations (walk-ins), and the admin's integration account."""


@router.post("", status_code=201, responses={200: {"description": "A replay: the alarm already stored"}})
def receive(body: AlarmCreate, services: ServicesDep, session: SessionDep, user: CurrentUser) -> JSONResponse:
    """Receive an alarm: graded by the county's `[alarms]` rules, placed in its station and patrol zone, its
    `alarm` task opened for the station (the 情指中心 when the place is unknown). The same `source` and
    `source_id` again creates nothing and answers 200 with the stored alarm."""
    require(user, *INTAKE)
    alarm, created = services.alarms.receive(session, user.id, body)
    view = queries.alarm_view(alarm, names=queries.names(session, [alarm]))
    return JSONResponse({**view, "duplicate": not created}, status_code=201 if created else 200)


@router.get("")
def list_alarms(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    open: bool | None = None,
    level: AlarmLevel | None = None,
    since: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Alarms in the user's jurisdiction, newest first, callers masked; each with its task's state."""
    require(user, *STAFF)
    stmt = select(Alarm).where(queries.scope_clause(scope))
    if open is not None:
        stmt = stmt.where(Alarm.finished_at.is_(None) if open else Alarm.finished_at.is_not(None))
    if level is not None:
        stmt = stmt.where(Alarm.level == level)
    if since is not None:
        stmt = stmt.where(Alarm.received_at >= since)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Alarm.received_at.desc(), Alarm.id.desc()).limit(limit).offset(offset)).all()
    names = queries.names(session, rows)
    tasks = {
        t.id: t
        for t in session.scalars(select(Task).where(Task.id.in_({a.task_id for a in rows if a.task_id} or {-1})))
    }
    now = services.clock.now()
    actor = Actor.of(user)
    items = []
    for alarm in rows:
        view = queries.alarm_view(alarm, names=names)
        task = tasks.get(alarm.task_id) if alarm.task_id else None
        if task is not None:
            view["task"] = services.tasks.brief(task, now)
            view["allowed_actions"] = sorted(services.tasks.permitted(actor, scope, task))
        items.append(view)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/figures")
def figures(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
) -> dict[str, Any]:
    """Response times per patrol zone for alarms received in [start, end) (30 days by default): received →
    dispatched, dispatched → arrived, received → arrived (n, median, mean, p90 in seconds), and how many were
    reached within each "135" circle."""
    require(user, *STAFF)
    lo, hi = figure_period(services, start, end)
    return queries.response_figures(session, scope, lo, hi, services.patrol.rules.circles_minutes)


@router.get("/{alarm_id}")
def get_alarm(
    alarm_id: DbId,
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    reveal: Annotated[bool, Query(description="The caller unmasked (the read is recorded).")] = False,
) -> dict[str, Any]:
    """One alarm with its task, the actions the user may take, and the patrol units proposed by the "135"
    reach of its place (nearest on-duty units first; those left out with the reason)."""
    require(user, *STAFF)
    alarm = session.get(Alarm, alarm_id)
    if alarm is None or not scope.covers(unit_id=alarm.unit_id, area_id=alarm.area_id):
        raise NotFound("警情不存在或不在本单位辖区", field="alarm_id")
    if reveal and user.role not in REVEAL_ROLES:
        raise Forbidden("当前角色不能查看完整个人信息", field="reveal")
    if reveal:
        session.add(
            AccessLog(
                at=services.clock.now(),
                user_id=user.id,
                subject_type="alarm",
                subject_id=alarm.id,
                fields="caller_name,caller_phone,text",
                purpose="接警处警",
            )
        )
    view = queries.alarm_view(alarm, reveal=reveal, names=queries.names(session, [alarm]))
    task = session.get(Task, alarm.task_id) if alarm.task_id else None
    now = services.clock.now()
    if task is not None:
        view["task"] = services.tasks.brief(task, now)
        view["allowed_actions"] = sorted(services.tasks.permitted(Actor.of(user), scope, task))
    proposed = services.alarms.proposals(session, scope, alarm)
    if proposed is None:
        view["reach"] = None
    else:
        result, units = proposed
        assert alarm.lon is not None
        assert alarm.lat is not None
        reach = patrol_queries.reach_view(result, units, services.patrol.rules, alarm.lon, alarm.lat, now)
        reach["proposed"] = [u["id"] for u in reach["units"][: services.patrol.rules.propose_count]]
        view["reach"] = reach
    return view
