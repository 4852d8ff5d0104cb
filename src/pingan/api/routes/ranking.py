"""The command centre's rankings (打榜) and big screen (大屏): `/api/v1/command/rankings…`, `/api/v1/command/screen`.

Rankings are read by the centres and by station heads (a published ranking is sent to every station: a head
sees the whole table, their own row marked); publishing is the commanders' (and the admin's). The big
screen is the centres'. In a deployment of several counties each county ranks (and publishes) its own, and a
city's or the province's users rank the counties below them (`board=counties`) or open one county's board
(`county=CODE`): `pingan.command.ranking.tenants.resolve` decides, from the user's own area.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, require
from pingan.command.ranking import tenants
from pingan.command.ranking.periods import month_of, parse_period
from pingan.command.ranking.service import board_of, published_list
from pingan.command.screen.service import screen
from pingan.core.errors import Forbidden
from pingan.core.models import Role, User
from pingan.core.scope import tenant_area

router = APIRouter(prefix="/command", tags=["command"])

READ_ROLES = (Role.ADMIN, Role.ANALYST, Role.COMMANDER, Role.STATION_HEAD)
PUBLISH_ROLES = (Role.ADMIN, Role.COMMANDER)
SCREEN_ROLES = (Role.ADMIN, Role.ANALYST, Role.COMMANDER)

PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=32,
        description="`2026-11` (a month, the default: this month), `2026-Q4`, `2026-H2`, `2026`, `2026-W48`, "
        "or `2026-11-01..2026-11-15`",
    ),
]
BoardQuery = Annotated[
    str | None,
    Query(
        max_length=64,
        description="A board of [ranking.boards]: `stations`, `departments`; `counties` (several counties: a "
        "city's or the province's board of its county bureaus). Default: `stations`, `counties` above a county",
    ),
]
CountyQuery = Annotated[
    str | None,
    Query(
        max_length=32,
        description="Several counties: the county whose board is ranked (its area code); a county's users "
        "rank their own without it, a city's or the province's name one of theirs",
    ),
]


def own_area(session: Session, user: User) -> int | None:
    """The county, city or province the user's unit belongs to (None: the deployment's operator, or one
    county); a unit outside every county of a deployment of several sees no ranking."""
    if user.unit_id is None:
        return None
    top = tenant_area(session, user.unit_id)
    if top is None and tenants.is_multi_county(session):
        raise Forbidden("本单位不属于任何县（市、区）", field="county")
    return top


class RankingPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(max_length=32, description="The period to publish, as in `GET /command/rankings`")
    board: str = Field(default="stations", max_length=64)
    county: str | None = Field(default=None, max_length=32, description="As in `GET /command/rankings`")


@router.get("/rankings")
def get_ranking(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    period: PeriodQuery = None,
    board: BoardQuery = None,
    county: CountyQuery = None,
) -> dict[str, Any]:
    """A board's ranking for a period: indicators with weights and shares, each unit's position, score,
    change since the period before and the figures behind every indicator, and the districts (片区); in a
    deployment of several counties, one county's (`county` says whose)."""
    require(user, *READ_ROLES)
    top = own_area(session, user)
    name = board or ("stations" if county else tenants.default_board(session, top))
    board_of(services.ranking.rules, name)
    p = parse_period(period) if period else month_of(services.clock.now())
    tenant = tenants.resolve(session, top, county, board=name)
    result = services.ranking.rank(session, p, name, tenant)
    return {**result.public(), "own_unit_id": user.unit_id if user.role is Role.STATION_HEAD else None}


@router.get("/rankings/boards")
def get_boards(services: ServicesDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The boards (units, normalisation, weighted indicators, districts), every registered indicator, and in a
    deployment of several counties the counties the user may open (`counties`) and the board they open first."""
    require(user, *READ_ROLES)
    top = own_area(session, user)
    first = tenants.default_board(session, top)
    return {
        "boards": services.ranking.boards(counties=first == tenants.COUNTIES_BOARD),
        "indicators": services.ranking.registry(),
        "default_board": first,
        "counties": tenants.counties_of(session, top),
    }


@router.get("/rankings/published")
def get_published(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    board: Annotated[str | None, Query(max_length=64)] = None,
    county: CountyQuery = None,
) -> dict[str, Any]:
    """Published rankings (通报), newest period first: the user's own county's and those below them (a
    city's or the province's counties board and their counties'); `county` (with `board`) only that one's."""
    require(user, *READ_ROLES)
    top = own_area(session, user)
    if board is not None:
        board_of(services.ranking.rules, board)
    keys = tenants.visible_keys(session, top)
    if county is not None:
        keys = frozenset({tenants.resolve(session, top, county, board=board or "stations").key})
    return {"items": published_list(session, board, keys)}


@router.post("/rankings/publish", status_code=201)
def post_publish(services: ServicesDep, session: SessionDep, user: CurrentUser, body: RankingPublish) -> dict[str, Any]:
    """Publish a period's ranking: computed now and stored; it never moves afterwards (a second publish of the
    same board and period is a 409 `already_published`)."""
    require(user, *PUBLISH_ROLES)
    board_of(services.ranking.rules, body.board)
    p = parse_period(body.period)
    tenant = tenants.resolve(session, own_area(session, user), body.county, board=body.board)
    result = services.ranking.publish(session, p, body.board, user_id=user.id, tenant=tenant)
    return result.public()


@router.get("/screen")
def get_screen(services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep) -> dict[str, Any]:
    """The big screen's live part, within the user's scope: open and overdue work per station, the queue of
    every task kind, this month's ranking's top and bottom (a county's stations; above a county, its
    counties), and whose screen it is (`county`)."""
    require(user, *SCREEN_ROLES)
    top = own_area(session, user)
    board = tenants.default_board(session, top)
    tenant = tenants.resolve(session, top, None, board=board)
    return screen(session, services.tasks, services.ranking, services.clock.now(), scope, tenant, board=board)


def register(app: FastAPI) -> None:
    app.include_router(router, prefix="/api/v1")
