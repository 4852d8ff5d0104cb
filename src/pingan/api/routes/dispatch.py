"""Dispatch (派单): each unit's officers with their open and overdue work, for the station head who assigns
within the station and the centres who assign across units. Assigning itself is the task contract's `assign`
action (`POST /tasks/{id}/actions`), decided by the one access decision: there is no second path."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import case, func, select

from pingan.api.deps import CurrentUser, ServicesDep, SessionDep
from pingan.core.errors import Forbidden
from pingan.core.fields import DbId
from pingan.core.models import COUNTY_WIDE_ROLES, Role, Task, Unit, UnitKind, User

router = APIRouter(prefix="/dispatch", tags=["dispatch"])

DISPATCH_ROLES = frozenset({*COUNTY_WIDE_ROLES, Role.STATION_HEAD})
OFFICER_ROLES = (Role.STATION_HEAD, Role.OFFICER)


class OfficerLoad(BaseModel):
    user_id: int
    username: str
    name: str
    role: str
    open: int
    overdue: int


class UnitLoad(BaseModel):
    unit_id: int
    unit: str
    kind: str
    open: int
    overdue: int
    unassigned: int
    """Open tasks the unit holds that nobody is assigned to."""
    unassigned_overdue: int
    officers: list[OfficerLoad]


class DispatchLoad(BaseModel):
    units: list[UnitLoad]
    total_open: int
    total_overdue: int
    total_unassigned: int


@router.get("/load", response_model=DispatchLoad)
def load(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    unit_id: Annotated[DbId | None, Query(description="One unit (the centres); a station head sees their own.")] = None,
) -> DispatchLoad:
    """Open and overdue tasks per unit and per officer, most loaded first (station heads: their station only)."""
    if user.role not in DISPATCH_ROLES:
        raise Forbidden("只有所长或中心可以派单")
    if user.role is Role.STATION_HEAD:
        if unit_id is not None and unit_id != user.unit_id:
            raise Forbidden("所长只能给本所民警派单", field="unit_id")
        unit_id = user.unit_id
    units_q = select(Unit).order_by(Unit.code)
    if unit_id is not None:
        units_q = units_q.where(Unit.id == unit_id)
    else:
        units_q = units_q.where(Unit.kind.in_([UnitKind.STATION, UnitKind.COMMUNITY_TEAM]))
    units = list(session.scalars(units_q))
    ids = [u.id for u in units]
    now = services.clock.now()
    overdue = func.sum(case((services.tasks.overdue_clause(now), 1), else_=0))
    counts: dict[tuple[int, int | None], tuple[int, int]] = {}
    if ids:
        rows = session.execute(
            select(Task.unit_id, Task.assignee_id, func.count(), overdue)
            .where(Task.closed_at.is_(None), Task.unit_id.in_(ids))
            .group_by(Task.unit_id, Task.assignee_id)
        ).all()
        counts = {(int(u), a): (int(n), int(o or 0)) for u, a, n, o in rows}
    staff = (
        list(
            session.scalars(
                select(User)
                .where(User.unit_id.in_(ids), User.active.is_(True), User.role.in_(OFFICER_ROLES))
                .order_by(User.username)
            )
        )
        if ids
        else []
    )
    out = []
    for unit in units:
        officers = [
            OfficerLoad(
                user_id=s.id,
                username=s.username,
                name=s.display_name,
                role=s.role.value,
                open=counts.get((unit.id, s.id), (0, 0))[0],
                overdue=counts.get((unit.id, s.id), (0, 0))[1],
            )
            for s in staff
            if s.unit_id == unit.id
        ]
        officers.sort(key=lambda o: (-o.overdue, -o.open, o.username))
        held = [v for (u, _a), v in counts.items() if u == unit.id]
        free = counts.get((unit.id, None), (0, 0))
        out.append(
            UnitLoad(
                unit_id=unit.id,
                unit=unit.name,
                kind=unit.kind.value,
                open=sum(n for n, _o in held),
                overdue=sum(o for _n, o in held),
                unassigned=free[0],
                unassigned_overdue=free[1],
                officers=officers,
            )
        )
    out.sort(key=lambda u: (-u.overdue, -u.open, u.unit))
    return DispatchLoad(
        units=out,
        total_open=sum(u.open for u in out),
        total_overdue=sum(u.overdue for u in out),
        total_unassigned=sum(u.unassigned for u in out),
    )
