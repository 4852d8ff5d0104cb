"""社区戒毒/社区康复 routes: the plans, their checks and the 在管率, for the 禁毒 duty only.

Every operation asks `Scope.require(Duty.NARCOTICS)` first (the core's one access place): a user without the
duty, whatever their role, gets 403 here, and nothing of it in the task list, search or exports. Every plan
shown, masked or not, is a read recorded in the access log (being under a plan is itself personal data).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period, require
from pingan.command.rehab.models import RehabPlan
from pingan.command.rehab.queries import list_plans, plan_detail, rehab_figures
from pingan.command.rehab.schemas import CheckIn, PlanIn
from pingan.command.rehab.service import read_plans_csv_bytes
from pingan.core.errors import BadInput, NotFound
from pingan.core.fields import DbId, FreeText
from pingan.core.models import COUNTY_WIDE_ROLES, AccessLog, Duty, Role, User
from pingan.core.scope import Scope

router = APIRouter(prefix="/rehab", tags=["rehab"])

ROLES = (*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER)
MANAGE_ROLES = (Role.ADMIN, Role.COMMANDER, Role.ANALYST, Role.STATION_HEAD)


def _allowed(user: User, scope: Scope, *roles: Role) -> None:
    scope.require(Duty.NARCOTICS)
    require(user, *(roles or ROLES))


def plan_scope(scope: Scope) -> ColumnElement[bool]:
    return scope.clause(RehabPlan.unit_id, RehabPlan.area_id)


def record_reads(
    session: Session, user: User, plans: Iterable[RehabPlan], at: datetime, purpose: str, fields: str
) -> None:
    session.add_all(
        AccessLog(
            at=at,
            user_id=user.id,
            subject_type="rehab_plan",
            subject_id=p.id,
            fields=fields,
            purpose=f"{purpose}（社区戒毒人员 {p.id}）"[:200],
        )
        for p in plans
    )


def _fields(reveal: bool) -> str:
    return "name,id_number,phone,address,plan" if reveal else "plan"


def _plan(session: Session, scope: Scope, plan_id: int) -> RehabPlan:
    plan = session.get(RehabPlan, plan_id)
    if plan is None or not scope.covers(unit_id=plan.unit_id, area_id=plan.area_id):
        raise NotFound("人员不存在或不在本单位辖区", field="plan_id")
    return plan


@router.get("/plans")
def get_plans(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    q: Annotated[str | None, Query(max_length=100, description="Text in the name, or an ID number.")] = None,
    active: Annotated[bool | None, Query(description="In force (not ended) or not.")] = None,
    lost: Annotated[bool | None, Query(description="Reported lost (失联) or not.")] = None,
    reveal: bool = False,
    purpose: Annotated[str, Query(max_length=200)] = "社区戒毒管控",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """The people under a plan in the user's jurisdiction (lost first), masked unless `reveal=true`, each with
    their missed checks and next check due; every one shown is recorded in the access log."""
    _allowed(user, scope)
    plans, out = list_plans(
        session,
        services.rehab.today(),
        scope_clause=plan_scope(scope),
        q=q,
        active=active,
        lost=lost,
        reveal=reveal,
        limit=limit,
        offset=offset,
    )
    record_reads(session, user, plans, services.clock.now(), purpose, _fields(reveal))
    return out


@router.post("/plans", status_code=201)
def create_plan(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, body: PlanIn
) -> dict[str, Any]:
    """Put a person under a plan (its `id` is the decision's number: the same one again changes nothing, 200
    would be misleading, so the stored plan is answered with `created: false`); the schedule is written."""
    _allowed(user, scope, *MANAGE_ROLES)
    plan, created = services.rehab.create(session, body)
    if not scope.covers(unit_id=plan.unit_id, area_id=plan.area_id):
        raise BadInput("该人员不在本单位辖区", field="id_number", code="outside_scope")
    view = plan_detail(session, plan, services.rehab.today(), reveal=False)
    record_reads(session, user, [plan], services.clock.now(), "登记社区戒毒人员", "plan")
    return {**view, "created": created}


@router.post("/plans/import")
async def import_plans(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    file: Annotated[UploadFile, File(description="CSV: the columns of `pingan rehab import`")],
) -> dict[str, Any]:
    """A CSV file of plans: the header checked first, bad rows named by line and field, the good kept; a plan
    already stored (its `id`) is left as it is."""
    _allowed(user, scope, Role.ADMIN, Role.COMMANDER, Role.ANALYST)
    rows = await run_in_threadpool(read_plans_csv_bytes, await file.read())
    return services.rehab.import_rows(session, rows).as_dict()


@router.get("/plans/{plan_id}")
def get_plan(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    plan_id: DbId,
    reveal: bool = False,
    purpose: Annotated[str, Query(max_length=200)] = "社区戒毒管控",
) -> dict[str, Any]:
    """A plan with its checks (up to a week ahead); the read is recorded."""
    _allowed(user, scope)
    plan = _plan(session, scope, plan_id)
    record_reads(session, user, [plan], services.clock.now(), purpose, _fields(reveal))
    return plan_detail(session, plan, services.rehab.today(), reveal=reveal)


@router.post("/plans/{plan_id}/checks", status_code=201)
def record_check(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, plan_id: DbId, body: CheckIn
) -> dict[str, Any]:
    """Record a check-in (报到) or a test (检测, with its result) on a day (today by default); it answers the
    latest such check due and not recorded, and clears a plan reported lost."""
    _allowed(user, scope)
    plan = _plan(session, scope, plan_id)
    check = services.rehab.record(session, plan, body, user.id)
    record_reads(session, user, [plan], services.clock.now(), "登记报到/检测", "plan")
    return {
        "id": check.id,
        "kind": check.kind.value,
        "due_on": check.due_on.isoformat(),
        "done_at": check.done_at.isoformat() if check.done_at else None,
    }


@router.post("/plans/{plan_id}/end")
def end_plan(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    plan_id: DbId,
    reason: Annotated[FreeText, Query(min_length=1, max_length=2000)],
) -> dict[str, Any]:
    """End a plan (解除社区戒毒/康复), with the reason; its later checks are no longer due."""
    _allowed(user, scope, *MANAGE_ROLES)
    plan = _plan(session, scope, plan_id)
    services.rehab.end(session, plan, reason)
    record_reads(session, user, [plan], services.clock.now(), "解除管控", "plan")
    return plan_detail(session, plan, services.rehab.today(), reveal=False)


@router.get("/figures")
def get_figures(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    """People in force at the period's end (by kind, per station), under management, lost, the 在管率, and the
    checks due in the period: recorded, missed, tests, positive."""
    _allowed(user, scope)
    start_at, end_at = figure_period(services, start, end)
    return rehab_figures(session, start_at, end_at, scope_clause=plan_scope(scope))
