"""Cases routes (案件, 串并案): open, list, read, edit cases; their clusters and the values kept from linking."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep
from pingan.core.errors import NotFound
from pingan.core.fields import DbId
from pingan.core.identity import Actor
from pingan.core.models import AccessLog
from pingan.money.models import Case, CaseSource, CaseStatus
from pingan.money.queries import blocked_values, case_detail, clusters, list_cases
from pingan.money.schemas import CaseCreate, CaseUpdate, FraudType
from pingan.money.service import NOT_VISIBLE, permit

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("")
def get_cases(
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    status: CaseStatus | None = None,
    fraud_type: FraudType | None = None,
    area_id: DbId | None = None,
    cluster_id: DbId | None = None,
    since: AwareDatetime | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Text in the narrative or the source id.")] = None,
    before_id: Annotated[DbId | None, Query(description="Paging: ids below this one.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Cases newest first, victims and narratives masked. Station staff see their station's cases only."""
    permit(Actor.of(user), scope, "read")
    return list_cases(
        session,
        scope_clause=scope.clause(Case.unit_id, Case.area_id),
        status=status,
        fraud_type=fraud_type,
        area_id=area_id,
        cluster_id=cluster_id,
        since=since,
        q=q,
        before_id=before_id,
        limit=limit,
    )


@router.post("", status_code=201)
def create_case(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    body: CaseCreate,
    response: Response,
    source: Annotated[
        Literal["manual", "desk", "open311"],
        Query(description="Where the report came from: by hand, or a desk / Open311 request (its id as `id`)."),
    ] = "manual",
) -> dict[str, Any]:
    """Open a case. Its identifiers are read from the narrative and added to those given; `id`, when given, is
    the source's own (a desk request's id for `source=desk`): sending it again returns the case it opened
    (200 then, not 201)."""
    case, created = services.cases.open(session, Actor.of(user), scope, body, CaseSource(source))
    if not created:
        response.status_code = 200
    return case_detail(session, case, services.cases.link_rules, reveal=False)


@router.get("/clusters")
def get_clusters(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    min_size: Annotated[int, Query(ge=2, le=10_000, description="Members: cases and warnings.")] = 2,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Clusters of linked cases and warnings, largest first, with the identifiers linking them. A station sees
    the clusters that hold one of its cases or warnings; the members of other jurisdictions are counted
    (`hidden_cases`, `hidden_warnings`), never shown."""
    permit(Actor.of(user), scope, "read")
    return clusters(
        session,
        services.cases.link_rules,
        scope=scope,
        min_size=min_size,
        limit=limit,
        warnings=services.cases.warning_links,
    )


@router.get("/blocked")
def get_blocked(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    """The values kept from linking: the county's stoplist and those held by more cases than the cap, each
    with its count (county-wide roles)."""
    permit(Actor.of(user), scope, "bulk")
    rules = services.cases.link_rules
    return {"cap": rules.cap, "values": blocked_values(session, rules, limit=limit)}


@router.post("/relink")
def relink(services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep) -> dict[str, int]:
    """Compute every cluster again (after the county's stoplist or cap changed)."""
    permit(Actor.of(user), scope, "bulk")
    return services.cases.relink_all(session)


def _visible(session: SessionDep, user: CurrentUser, scope: ScopeDep, case_id: int, action: str) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(NOT_VISIBLE, field="case_id")
    permit(Actor.of(user), scope, action, case)
    return case


@router.get("/{case_id}")
def get_case(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    case_id: DbId,
    reveal: Annotated[bool, Query(description="Show the victim unmasked (the read is recorded).")] = False,
    purpose: Annotated[str, Query(max_length=200)] = "案件侦办",
) -> dict[str, Any]:
    """One case with its identifiers; `reveal=true` unmasks the victim and the narrative for the roles that
    need it, and records the read."""
    case = _visible(session, user, scope, case_id, "read")
    if reveal:
        permit(Actor.of(user), scope, "reveal", case)
        session.add(
            AccessLog(
                at=services.clock.now(),
                user_id=user.id,
                subject_type="person" if case.victim_person_id else "case",
                subject_id=case.victim_person_id or case.id,
                fields="name,phone,id_number,narrative",
                purpose=f"{purpose}（案件 {case.id}）",
            )
        )
    return case_detail(session, case, services.cases.link_rules, reveal=reveal)


@router.patch("/{case_id}")
def update_case(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, case_id: DbId, body: CaseUpdate
) -> dict[str, Any]:
    """Edit a case: its facts, its status, or its identifiers (the whole list, as the screen shows it)."""
    case = services.cases.update(session, Actor.of(user), scope, case_id, body)
    return case_detail(session, case, services.cases.link_rules, reveal=False)
