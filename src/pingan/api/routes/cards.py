"""断卡 routes: the operators' and banks' feed of card openings, the flagged ones, their figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from pingan.api.body import feed_batch, nothing_good
from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, require
from pingan.api.schemas import batch_body
from pingan.core.errors import Forbidden
from pingan.core.fields import DbId
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, AccessLog, Role, Task
from pingan.core.scope import REVEAL_ROLES
from pingan.money.cards.models import CardOpening
from pingan.money.cards.queries import card_figures, flagged_openings

router = APIRouter(prefix="/cards", tags=["cards"])

FEED_ROLES = (Role.ADMIN, Role.ANALYST, Role.PARTNER)
READ_ROLES = (*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER)

_OPENINGS_SCHEMA = batch_body("OpeningIn", "openings")


@router.post(
    "/openings",
    openapi_extra=_OPENINGS_SCHEMA,
    responses={
        200: {"description": "Accepted (some items may be rejected, each naming its field)"},
        422: {"description": "Nothing in the batch was valid"},
        413: {"description": "Batch too large"},
        415: {"description": "The body is not JSON"},
    },
)
async def post_openings(request: Request, services: ServicesDep, user: CurrentUser) -> JSONResponse:
    """Take a batch of card openings (a JSON array, or `{"openings": [...]}`) from an operator or a bank.

    Valid openings are stored even when others are rejected; each rejection names its index, id and field. A
    replay of an opening already stored (same `operator`/`bank` and `id`) counts as a duplicate and creates
    nothing. The answer lists the openings flagged and the verification tasks opened.
    """
    require(user, *FEED_ROLES)
    items = await feed_batch(request, "openings", services.settings.max_batch_events, "开卡记录")
    result = await run_in_threadpool(services.cards.ingest, items)
    out = result.as_dict()
    if not (result.accepted or result.duplicates):
        out["error"] = nothing_good(result.rejected[0], "openings")
        return JSONResponse(out, status_code=422)
    return JSONResponse(out)


@router.get("/flagged")
def get_flagged(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    open_only: Annotated[bool, Query(alias="open", description="Only those not verified yet.")] = False,
    before_id: Annotated[DbId | None, Query(description="Paging: ids below this one.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    reveal: Annotated[bool, Query(description="Show the holders unmasked (each read is recorded).")] = False,
    purpose: Annotated[str, Query(max_length=200)] = "断卡核查",
) -> list[dict[str, Any]]:
    """Flagged openings newest first, with their reasons, station and verification task; holders masked unless
    `reveal=true` (roles that need it; every opening shown is recorded in the access log). Station staff see
    their station's only."""
    require(user, *READ_ROLES)
    if reveal and user.role not in REVEAL_ROLES:
        raise Forbidden("当前角色不能查看完整个人信息", field="reveal")
    now = services.clock.now()
    rows = flagged_openings(
        session,
        now,
        brief=services.tasks.brief,
        scope_clause=scope.clause(CardOpening.unit_id, CardOpening.area_id),
        open_only=open_only,
        before_id=before_id,
        limit=limit,
        reveal=reveal,
    )
    if reveal:
        session.add_all(
            AccessLog(
                at=now,
                user_id=user.id,
                subject_type="card_opening",
                subject_id=row.id,
                fields="holder_name,holder_id_number,holder_phone,number",
                purpose=f"{purpose}（开卡记录 {row.id}）",
            )
            for row, _ in rows
        )
    actor = Actor.of(user)
    for row, view in rows:
        task = session.get(Task, row.task_id) if row.task_id is not None else None
        if view["task"] is not None and task is not None:
            view["task"]["allowed_actions"] = sorted(services.tasks.permitted(actor, scope, task))
    return [view for _, view in rows]


@router.get("/figures")
def get_figures(session: SessionDep, user: CurrentUser, scope: ScopeDep) -> dict[str, int]:
    """Openings received and flagged, and the verifications' outcomes (cards cancelled, cleared, suspects)."""
    require(user, *READ_ROLES)
    return card_figures(session, scope_clause=scope.clause(CardOpening.unit_id, CardOpening.area_id))
