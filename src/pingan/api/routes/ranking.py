"""The command centre's rankings (打榜) and big screen (大屏): `/api/v1/command/rankings…`, `/api/v1/command/screen`.

Rankings are read by the centres and by station heads (a published ranking is sent to every station: a head
sees the whole table, their own row marked); publishing is the commanders' (and the admin's). The big
screen is the centres'.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

from pingan.api.deps import CurrentUser, ServicesDep, SessionDep, require
from pingan.command.ranking.periods import month_of, parse_period
from pingan.command.ranking.service import board_of, published_list
from pingan.command.screen.service import screen
from pingan.core.models import Role

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
BoardQuery = Annotated[str, Query(max_length=64, description="A board of [ranking.boards]: `stations`, `departments`")]


class RankingPublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(max_length=32, description="The period to publish, as in `GET /command/rankings`")
    board: str = Field(default="stations", max_length=64)


@router.get("/rankings")
def get_ranking(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    period: PeriodQuery = None,
    board: BoardQuery = "stations",
) -> dict[str, Any]:
    """A board's ranking for a period: indicators with weights and shares, each unit's position, score,
    change since the period before and the figures behind every indicator, and the districts (片区)."""
    require(user, *READ_ROLES)
    p = parse_period(period) if period else month_of(services.clock.now())
    result = services.ranking.rank(session, p, board)
    return {**result.public(), "own_unit_id": user.unit_id if user.role is Role.STATION_HEAD else None}


@router.get("/rankings/boards")
def get_boards(services: ServicesDep, user: CurrentUser) -> dict[str, Any]:
    """The county's boards (units, normalisation, weighted indicators, districts) and every registered indicator."""
    require(user, *READ_ROLES)
    return {"boards": services.ranking.boards(), "indicators": services.ranking.registry()}


@router.get("/rankings/published")
def get_published(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    board: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Published rankings (通报), newest period first."""
    require(user, *READ_ROLES)
    if board is not None:
        board_of(services.ranking.rules, board)
    return {"items": published_list(session, board)}


@router.post("/rankings/publish", status_code=201)
def post_publish(services: ServicesDep, session: SessionDep, user: CurrentUser, body: RankingPublish) -> dict[str, Any]:
    """Publish a period's ranking: computed now and stored; it never moves afterwards (a second publish of the
    same board and period is a 409 `already_published`)."""
    require(user, *PUBLISH_ROLES)
    result = services.ranking.publish(session, parse_period(body.period), body.board, user_id=user.id)
    return result.public()


@router.get("/screen")
def get_screen(services: ServicesDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The big screen's live part: open and overdue work per station, the queue of every task kind, the
    ranking's top and bottom this month."""
    require(user, *SCREEN_ROLES)
    return screen(session, services.tasks, services.ranking, services.clock.now())


def register(app: FastAPI) -> None:
    app.include_router(router, prefix="/api/v1")
