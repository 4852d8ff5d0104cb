"""分析研判 and 宣防 (A8, A9) and the interception figures (A11): `/api/v1/analysis`, `/api/v1/campaigns`,
`/api/v1/interception/figures`. Figures take their period through `figure_period`, series their buckets through
`core.series`; everything is scoped as the user's jurisdiction is."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Query
from pydantic import AwareDatetime

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period
from pingan.core.errors import Forbidden
from pingan.core.fields import DbId
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, Role, User
from pingan.core.scope import Scope
from pingan.core.series import Step, buckets
from pingan.money.analysis import analysis
from pingan.money.campaigns import CampaignCreate
from pingan.money.figures import interception_figures
from pingan.money.rules import CaseRules

router = APIRouter(tags=["analysis"])

FIGURE_ROLES = frozenset({*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER})


def register(app: FastAPI) -> None:
    app.include_router(router, prefix="/api/v1")


def _areas(user: User, scope: Scope, area_id: int | None) -> list[int] | None:
    if user.role not in FIGURE_ROLES:
        raise Forbidden("当前角色不能查看分析研判")
    if area_id is not None:
        if not scope.county_wide and area_id not in scope.area_ids:
            raise Forbidden("不在本单位辖区", field="area_id")
        return [area_id]
    return None if scope.county_wide else sorted(scope.area_ids)


@router.get("/analysis")
def get_analysis(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    step: Step = Step.DAY,
    area_id: DbId | None = None,
    groups: Annotated[int, Query(ge=1, le=100, description="How many of the groups being hit.")] = 10,
) -> dict[str, Any]:
    """Fraud by type, area and age group in [start, end) (default the last 30 days), with 环比 (`mom`: the period
    of the same length just before) and 同比 (`yoy`: the same period a year before) as relative changes (None
    where there was nothing to compare with); money lost (cases) and protected (dissuasions); the hot types of the
    last 7 days against the 7 before; the groups being hit (area × age group × type); and the trend per local day
    or ISO week (at most 400 buckets), with the five most frequent types."""
    areas = _areas(user, scope, area_id)
    start_at, end_at = figure_period(services, start, end)
    cuts = buckets(start_at, end_at, step, ZoneInfo(services.settings.timezone))
    rules = services.rules.section(CaseRules)
    out = analysis(
        session,
        cuts,
        services.warning_figures,
        area_ids=areas,
        now=services.clock.now(),
        hot_min=rules.hot_min_cases,
        top_groups=groups,
    )
    return {"step": step.value, "area_id": area_id, **out}


@router.get("/interception/figures")
def get_interception(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    area_id: DbId | None = None,
) -> dict[str, Any]:
    """Interception figures (A11) in [start, end), in total and per station: numbers blocked (the county's
    indicator list: county-wide only), phone and bank cards cancelled (断卡), accounts stopped and frozen with
    their amounts, money returned, cases opened, linked and solved, suspects recorded and caught."""
    _areas(user, scope, area_id)
    start_at, end_at = figure_period(services, start, end)
    return interception_figures(session, scope, start_at, end_at, services.warning_figures, area_id=area_id)


@router.post("/campaigns", status_code=201)
def create_campaign(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, body: CampaignCreate
) -> dict[str, Any]:
    """A targeted warning campaign (精准宣防): a fraud type's warning to one group (`all`, `elderly` 60+, `young`
    18–35, `student` under 23) of some stations, pushed to their registered residents (E警通) and sent by SMS to
    the registered people of the group. The answer counts what was targeted and delivered."""
    session.close()  # the campaign writes in transactions of its own (the desk's push, then ours)
    return services.campaigns.create(Actor.of(user), scope, body)


@router.get("/campaigns")
def list_campaigns(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Campaigns newest first, with their delivery counts; a station head sees those reaching their station."""
    return services.campaigns.list(session, Actor.of(user), scope, limit=limit)


@router.get("/campaigns/{campaign_id}")
def get_campaign(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, campaign_id: DbId
) -> dict[str, Any]:
    """One campaign: its target, text, and the push's and text messages' counts (sent so far)."""
    return services.campaigns.get(session, Actor.of(user), scope, campaign_id)
