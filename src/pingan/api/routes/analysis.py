"""分析研判 and 宣防 (A8, A9) and the interception figures (A11): `/api/v1/analysis`, `/api/v1/campaigns`,
`/api/v1/interception/figures`, and the campaign SMS opt-outs (退订) under `/api/v1/sms`. Figures take their period through `figure_period`, series their buckets through
`core.series`; everything is scoped as the user's jurisdiction is."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period
from pingan.core.errors import Forbidden
from pingan.core.fields import DbId, FreeText
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, Role, User
from pingan.core.scope import Scope
from pingan.core.series import Step, buckets
from pingan.money.analysis import analysis
from pingan.money.campaigns import CampaignCreate, opt_out_permit, phone_of
from pingan.money.figures import interception_figures
from pingan.money.models import OptOutChannel
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


# -- campaign SMS opt-outs (退订) -----------------------------------------------------------------------------


class InboundBatch(BaseModel):
    """What the SMS gateway pushes: the messages residents texted back (上行短信)."""

    model_config = ConfigDict(extra="forbid")
    messages: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class OptOutSet(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    opted_out: bool
    """True: no campaign SMS any more; false: receive them again."""


class OptOutRecord(OptOutSet):
    """An officer recording a resident's wish, told by phone or in person."""

    phone: Annotated[str, Field(min_length=3, max_length=32)]
    note: Annotated[FreeText | None, Field(max_length=200)] = None


@router.post("/sms/inbound", tags=["sms"])
def sms_inbound(services: ServicesDep, session: SessionDep, user: CurrentUser, body: InboundBatch) -> dict[str, Any]:
    """The SMS gateway's inbound messages (`{id, phone, text, at}` each): a reply of 退订 / TD / T / R (and the
    like) opts its phone out of campaign SMS and is confirmed by a service text; a message delivered again (same
    `id`) changes nothing; other replies are counted as `ignored`. A bad item is reported by its index and field,
    the good ones kept. For the gateway's partner account (a unit of kind telecom)."""
    opt_out_permit(session, Actor.of(user), "inbound")
    report = services.campaigns.opt_outs.inbound(session, body.messages)
    return {
        "opted_out": report.opted_out,
        "already": report.already,
        "ignored": report.ignored,
        "rejected": report.rejected,
    }


@router.get("/sms/opt-outs", tags=["sms"])
def sms_opt_outs(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    q: Annotated[str | None, Query(max_length=32, description="A phone number, or its last digits.")] = None,
    reveal: Annotated[bool, Query(description="Phones unmasked (each read is recorded).")] = False,
    purpose: Annotated[str, Query(max_length=200)] = "核查短信退订",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """The phones opted out of campaign SMS, newest first, masked unless revealed (admins)."""
    return services.campaigns.opt_outs.listing(
        session, Actor.of(user), q=q, reveal=reveal, purpose=purpose, limit=limit, offset=offset
    )


@router.get("/sms/opt-outs/history", tags=["sms"])
def sms_opt_out_history(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Every opt-out and opt-in with who made it and how, newest first, masked (admins)."""
    return services.campaigns.opt_outs.history(session, Actor.of(user), limit=limit)


@router.post("/sms/opt-outs", tags=["sms"])
def record_opt_out(services: ServicesDep, session: SessionDep, user: CurrentUser, body: OptOutRecord) -> dict[str, Any]:
    """Staff record a resident's wish (asked by phone or in person): no campaign SMS to this phone any more
    (`opted_out: true`), or receive them again. Answers the phone's state (masked) and whether it changed."""
    actor = Actor.of(user)
    opt_out_permit(session, actor, "record")
    phone = phone_of(body.phone)
    changed = services.campaigns.opt_outs.change(
        session, phone, out=body.opted_out, channel=OptOutChannel.OFFICER, actor_id=actor.id, note=body.note
    )
    return {"changed": changed, **services.campaigns.opt_outs.state(session, phone)}


def _resident_phone(user: User) -> str:
    if user.role is not Role.RESIDENT or not user.phone:
        raise Forbidden("仅限群众使用（请用手机号验证码登录）")
    return user.phone


@router.get("/sms/me", tags=["sms"])
def my_sms(services: ServicesDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The signed-in resident's own setting: whether campaign SMS (反诈宣传短信) reach their phone."""
    return services.campaigns.opt_outs.state(session, _resident_phone(user))


@router.put("/sms/me", tags=["sms"])
def set_my_sms(services: ServicesDep, session: SessionDep, user: CurrentUser, body: OptOutSet) -> dict[str, Any]:
    """The resident opts out of campaign SMS (or back in). Messages about their own requests and cases still go."""
    phone = _resident_phone(user)
    changed = services.campaigns.opt_outs.change(
        session, phone, out=body.opted_out, channel=OptOutChannel.RESIDENT, actor_id=user.id
    )
    return {"changed": changed, **services.campaigns.opt_outs.state(session, phone)}
