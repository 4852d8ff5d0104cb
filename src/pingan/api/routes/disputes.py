"""Dispute mediation's HTTP edge under /api/v1/command/disputes (矛盾纠纷): disputes, mediators, figures. The
task actions (调解, 达成协议, 回访, 调解未成) go through `POST /tasks/{id}/actions`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period, require
from pingan.command.disputes import queries
from pingan.command.disputes.models import Dispute, DisputeCategory, DisputeState
from pingan.command.disputes.schemas import DisputeCreate, MediatorCreate
from pingan.core.errors import Forbidden, NotFound
from pingan.core.fields import DbId
from pingan.core.identity import Actor
from pingan.core.models import AccessLog, Role, User
from pingan.core.scope import REVEAL_ROLES, Scope

router = APIRouter(prefix="/command/disputes", tags=["command"])

STAFF = (Role.ADMIN, Role.ANALYST, Role.COMMANDER, Role.STATION_HEAD, Role.OFFICER, Role.GOVERNANCE)
MEDIATOR_ADMINS = (Role.ADMIN, Role.COMMANDER, Role.STATION_HEAD)


def _dispute(session: Session, user: User, scope: Scope, dispute_id: int) -> Dispute:
    require(user, *STAFF)
    found = session.scalar(select(Dispute).where(Dispute.id == dispute_id, queries.visible_clause(scope)))
    if found is None:
        raise NotFound("纠纷不存在或不在本单位范围", field="dispute_id")
    return found


def _reveal(services: ServicesDep, session: Session, user: User, disputes: list[Dispute], reveal: bool) -> None:
    if not reveal:
        return
    if user.role not in REVEAL_ROLES:
        raise Forbidden("当前角色不能查看完整个人信息", field="reveal")
    now = services.clock.now()
    for d in disputes:
        session.add(
            AccessLog(
                at=now,
                user_id=user.id,
                subject_type="dispute",
                subject_id=d.id,
                fields="parties",
                purpose="矛盾纠纷调解",
            )
        )


@router.post("", status_code=201)
def create(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, body: DisputeCreate
) -> dict[str, Any]:
    """Register a dispute: its mediator's unit handles it (else the station of the place); a `dispute` task
    with the first session's deadline. A `source_id` sent again returns the first."""
    require(user, *STAFF)
    dispute = services.disputes.create(session, Actor.of(user), scope, body)
    return queries.detail(session, dispute, services.clock.now(), reveal=False)


@router.get("")
def list_disputes(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    category: DisputeCategory | None = None,
    state: DisputeState | None = None,
    area_id: DbId | None = None,
    mediator_id: DbId | None = None,
    overdue: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    reveal: Annotated[bool, Query(description="Unmasked parties (the read is recorded).")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Disputes the user sees, newest first, parties masked, with the true total."""
    require(user, *STAFF)
    now = services.clock.now()
    stmt = queries.filtered(
        scope, now=now, category=category, state=state, area_id=area_id, mediator_id=mediator_id, overdue=overdue, q=q
    )
    total, rows = queries.page(session, stmt, limit, offset)
    _reveal(services, session, user, rows, reveal)
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": queries.summaries(session, rows, now, reveal=reveal),
    }


@router.get("/figures")
def figures(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    area_id: DbId | None = None,
) -> dict[str, Any]:
    """Received, resolved, failed by category, mediator and area, with 同比; default: the last 30 days."""
    require(user, *STAFF)
    start, end = figure_period(services, start, end)
    if area_id is not None and not scope.county_wide and area_id not in scope.area_ids:
        raise Forbidden("该辖区不在本单位范围", field="area_id")
    where = queries.visible_clause(scope)
    if area_id is not None:
        where = and_(where, queries.area_clause(area_id))
    return queries.figures(session, start, end, services.clock.now(), where)


@router.get("/mediators")
def mediators(session: SessionDep, user: CurrentUser, scope: ScopeDep) -> list[dict[str, Any]]:
    """Mediation rooms and mediators of the user's units and area (every one for the centres)."""
    require(user, *STAFF)
    return queries.mediators(session, scope)


@router.post("/mediators", status_code=201)
def add_mediator(services: ServicesDep, session: SessionDep, user: CurrentUser, body: MediatorCreate) -> dict[str, Any]:
    """A mediation room (刘大姐工作室) or mediator of a station or street: the admin and the centre, or a
    station head for their own station."""
    require(user, *MEDIATOR_ADMINS)
    mediator = services.disputes.add_mediator(session, Actor.of(user), body)
    scope = Scope(True, frozenset(), frozenset())
    return next(m for m in queries.mediators(session, scope) if m["id"] == mediator.id)


@router.get("/{dispute_id}")
def detail(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    dispute_id: DbId,
    reveal: Annotated[bool, Query(description="Unmasked parties and texts (the read is recorded).")] = False,
) -> dict[str, Any]:
    """A dispute with its parties, sessions, agreement and outcome."""
    dispute = _dispute(session, user, scope, dispute_id)
    _reveal(services, session, user, [dispute], reveal)
    return queries.detail(session, dispute, services.clock.now(), reveal=reveal)
