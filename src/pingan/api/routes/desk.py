"""The desk's HTTP edge under /api/v1/desk: residents, staff, admin, figures and pushes.

Every handler is thin: parse, check the role, call the desk service (which owns its transaction),
shape the answer. Errors are `PinganError`s, turned into ``{"error": {code, message, field}}``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import AwareDatetime, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pingan.api.deps import ClientAddress, CurrentUser, ServicesDep, SessionDep, figure_period, get_services
from pingan.bootstrap import Services
from pingan.core.errors import BadInput, Forbidden, NotFound, Unauthorized, first_problem
from pingan.core.fields import DbId
from pingan.core.geo import CRS
from pingan.core.identity import Actor, user_from_token
from pingan.core.models import Role, User
from pingan.core.scope import REVEAL_ROLES
from pingan.core.series import Step, buckets
from pingan.desk.evaluation import Period, desk_figures, desk_series, hot_topics
from pingan.desk.media import Upload
from pingan.desk.models import DeliveryStatus, DeskRequest
from pingan.desk.ports import CaseRef
from pingan.desk.queries import (
    QueueFilter,
    duplicate_candidates,
    page_of,
    posted_view,
    queue_clause,
    resident_list,
    resident_view,
    staff_list,
    staff_view,
)
from pingan.desk.residents import require_resident
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.hours import local_week_start
from pingan.desk.rules.kinds import Category, Route, Topic
from pingan.desk.schemas import (
    AssignCreate,
    CasePublic,
    CloseCreate,
    DeskRequestCreate,
    DivertCreate,
    InboxItem,
    MergeCreate,
    MessageCreate,
    OfficerCard,
    OfficerPublic,
    OfficerUpdate,
    OpenCaseCreate,
    OtpCreate,
    OtpPublic,
    OtpVerify,
    PushCreate,
    PushPublic,
    PushTemplateCreate,
    PushTemplatePublic,
    PushTemplateUpdate,
    RateCreate,
    ReplyCreate,
    RequestListItem,
    RequestPage,
    RequestPublic,
    RequestStaffView,
    RerouteCreate,
    ResidentPublic,
    ResidentToken,
    ResidentUpdate,
    RobotCreate,
    RobotPublic,
    RouteDecisionPublic,
    RoutePreview,
    RoutingRuleCreate,
    RoutingRulePublic,
    RoutingRuleUpdate,
)
from pingan.desk.service import Posted, actor_scope, staff_scope, task_of
from pingan.desk.workflow import STAFF_ROLES

resident = APIRouter(prefix="/desk", tags=["desk: residents"])
staff = APIRouter(prefix="/desk/staff", tags=["desk: staff"])
admin = APIRouter(prefix="/desk/admin", tags=["desk: admin"])
figures = APIRouter(prefix="/desk/stats", tags=["desk: figures"])
pushes = APIRouter(prefix="/desk", tags=["desk: pushes"])

_FORM_FIELDS = ("category", "topic", "text", "lon", "lat", "crs", "address", "client_ref", "officer_id")


def register(app: FastAPI) -> None:
    """Mount the desk's routers under /api/v1."""
    for router in (resident, staff, admin, figures, pushes):
        app.include_router(router, prefix="/api/v1")


def _media_url(services: Services, viewer_id: int) -> Callable[[int], str]:
    now = services.clock.now()
    links = services.desk.links
    return lambda media_id: links.url(media_id, viewer_id, now)


# -- residents: sign-in ------------------------------------------------------------------------------


@resident.post("/auth/otp", response_model=OtpPublic, status_code=202)
def send_code(services: ServicesDep, client: ClientAddress, body: OtpCreate) -> OtpPublic:
    """Text a one-time sign-in code to a mainland mobile number (rate-limited per phone and per client)."""
    sent = services.desk.otp.send(body.phone, client)
    return OtpPublic(phone=sent.phone, expires_in=sent.expires_in, retry_after=sent.retry_after, dev_code=sent.dev_code)


@resident.post("/auth/verify", response_model=ResidentToken)
def verify_code(services: ServicesDep, body: OtpVerify) -> ResidentToken:
    """Trade a valid code for a bearer token; the resident is registered on first sign-in."""
    phone = services.desk.otp.verify(body.phone, body.code)
    return services.desk.residents.sign_in(phone)


@resident.get("/me", response_model=ResidentPublic)
def my_profile(services: ServicesDep, session: SessionDep, user: CurrentUser) -> ResidentPublic:
    actor = Actor.of(user)
    require_resident(actor)
    residents = services.desk.residents
    return residents.view(session, residents.profile(session, actor))


@resident.put("/me", response_model=ResidentPublic)
def update_profile(services: ServicesDep, user: CurrentUser, body: ResidentUpdate) -> ResidentPublic:
    """Where I live (a point or an address) and who I am (elderly, student), for my officer and for alerts."""
    actor = Actor.of(user)
    require_resident(actor)
    return services.desk.residents.update(actor, body)


@resident.get("/me/officer", response_model=OfficerCard)
def my_officer(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    crs: CRS = CRS.GCJ02,
    address: Annotated[str | None, Query(max_length=255)] = None,
) -> OfficerCard:
    """My community officer's card, from where I am (GCJ-02 from a phone by default), an address, or my profile."""
    actor = Actor.of(user)
    require_resident(actor)
    if (lon is None) != (lat is None):
        raise BadInput("经纬度须同时提供", field="lat" if lat is None else "lon")
    point = (lon, lat, crs) if lon is not None and lat is not None else None
    return services.desk.residents.officer_card(session, actor, point=point, address=address)


# -- residents: requests -----------------------------------------------------------------------------

_POST_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/DeskRequestCreate"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        **{name: {"type": "string"} for name in _FORM_FIELDS},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                    "required": ["category"],
                }
            },
        },
    }
}


async def _read_post(request: Request, services: Services) -> tuple[dict[str, Any], list[Upload]]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        raw = await request.body()
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadInput(f"请求体不是有效的 JSON：{exc}", field="body", code="invalid_json") from None
        if not isinstance(data, dict):
            raise BadInput("请求体须为 JSON 对象", field="body", code="invalid_json")
        return data, []
    if kind != "multipart/form-data":
        raise BadInput("请以 JSON 或 multipart/form-data 提交", field="body", code="unsupported_content_type")
    limit = services.desk.media.read_limit
    try:
        form = await request.form(max_files=services.settings.desk_max_files + 1, max_fields=50)
    except Exception as exc:  # malformed multipart: starlette raises its own errors
        raise BadInput(f"表单格式错误：{getattr(exc, 'detail', exc)}", field="body", code="invalid_form") from None
    try:
        fields: dict[str, Any] = {}
        uploads: list[Upload] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key != "files":
                    raise BadInput("文件字段须命名为 files", field=key, code="unknown_field")
                uploads.append(Upload(value.filename, value.content_type, await value.read(limit)))
            elif key == "payload":
                try:
                    payload = orjson.loads(value)
                except orjson.JSONDecodeError:
                    raise BadInput("payload 不是有效的 JSON", field="payload", code="invalid_json") from None
                if not isinstance(payload, dict):
                    raise BadInput("payload 须为 JSON 对象", field="payload", code="invalid_json")
                fields.update(payload)
            elif key in _FORM_FIELDS:
                if value != "":
                    fields[key] = value
            else:
                raise BadInput(f"未知字段 {key}", field=key, code="unknown_field")
        return fields, uploads
    finally:
        await form.close()


@resident.post(
    "/requests",
    response_model=RequestPublic,
    status_code=201,
    openapi_extra=_POST_DOC,
    responses={
        200: {"description": "A replay of an earlier post with the same client_ref (or Idempotency-Key)"},
        409: {"description": "The same request was posted twice"},
        413: {"description": "A file or the body is too large"},
        429: {"description": "Too many posts from this phone or address"},
    },
)
async def post_request(
    request: Request,
    services: ServicesDep,
    user: CurrentUser,
    idempotency_key: Annotated[str | None, Header(max_length=64)] = None,
) -> Response:
    """Post a request: JSON, or multipart with the same fields (or a `payload` JSON field) and `files`
    (photos and voice notes). Location in GCJ-02 by default (`crs`). An emergency is answered at once
    with the instruction to call 110, and the station is alerted all the same."""
    actor = Actor.of(user)
    require_resident(actor)
    data, uploads = await _read_post(request, services)
    if idempotency_key and "client_ref" not in data:
        data["client_ref"] = idempotency_key
    try:
        body = DeskRequestCreate.model_validate(data)
    except ValidationError as exc:
        field, code, message = first_problem(exc)
        raise BadInput(message, field=field, code=code) from None
    posted = await run_in_threadpool(services.desk.requests.post, actor, body, uploads)
    public = await run_in_threadpool(_posted_public, services, actor, posted)
    return JSONResponse(public.model_dump(mode="json"), status_code=201 if posted.created else 200)


def _posted_public(services: Services, actor: Actor, posted: Posted) -> RequestPublic:
    """The answer to a post: built from what the post knows, or read back for a replay."""
    with services.db.session() as session:
        now = services.clock.now()
        if posted.view is not None:
            station_id = posted.view.values.get("station_id")
            station = services.desk.places.area_names(session).get(station_id) if station_id else None
            return posted_view(posted.view, now, station=station, media_url=_media_url(services, actor.id))
        row = session.get(DeskRequest, posted.request_id)
        if row is None:
            raise NotFound("诉求不存在", field="request_id")
        return resident_view(
            session,
            row,
            now,
            rating_days=services.rules.section(DeskRules).rating_days,
            media_url=_media_url(services, actor.id),
            replayed=not posted.created,
        )


@resident.get("/requests", response_model=RequestPage)
def my_requests(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    before_id: Annotated[DbId | None, Query(description="Paging: ids below this one.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RequestPage:
    """My own requests, newest first."""
    actor = Actor.of(user)
    require_resident(actor)
    return resident_list(
        session,
        actor.id,
        services.clock.now(),
        before_id=before_id,
        limit=limit,
        names=services.desk.requests.names(session),
    )


def _own(session: Any, actor: Actor, request_id: int) -> DeskRequest:
    require_resident(actor)
    row = session.get(DeskRequest, request_id)
    if row is None or row.resident_id != actor.id:
        raise NotFound("诉求不存在", field="request_id")
    return row  # type: ignore[no-any-return]


@resident.get("/requests/{request_id}", response_model=RequestPublic)
def my_request(services: ServicesDep, session: SessionDep, user: CurrentUser, request_id: DbId) -> RequestPublic:
    """One of my requests with its progress: who handles it, the replies, my files."""
    actor = Actor.of(user)
    return resident_view(
        session,
        _own(session, actor, request_id),
        services.clock.now(),
        rating_days=services.rules.section(DeskRules).rating_days,
        media_url=_media_url(services, actor.id),
    )


def _resident_after(services: Services, actor: Actor, request_id: int) -> RequestPublic:
    with services.db.session() as session:
        return resident_view(
            session,
            _own(session, actor, request_id),
            services.clock.now(),
            rating_days=services.rules.section(DeskRules).rating_days,
            media_url=_media_url(services, actor.id),
        )


@resident.post("/requests/{request_id}/messages", response_model=RequestPublic)
def follow_up(services: ServicesDep, user: CurrentUser, request_id: DbId, body: MessageCreate) -> RequestPublic:
    """Add to my request; after a reply this asks again (the reply clock restarts)."""
    actor = Actor.of(user)
    services.desk.requests.follow_up(actor, request_id, body.body)
    return _resident_after(services, actor, request_id)


@resident.post("/requests/{request_id}/rate", response_model=RequestPublic)
def rate(services: ServicesDep, user: CurrentUser, request_id: DbId, body: RateCreate) -> RequestPublic:
    """Rate the answer (1-5); rating an answered request closes it as resolved."""
    actor = Actor.of(user)
    services.desk.requests.rate(actor, request_id, body.rating, body.comment)
    return _resident_after(services, actor, request_id)


@resident.get(
    "/media/{media_id}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}, "audio/mpeg": {}}}},
)
def media(
    request: Request,
    media_id: DbId,
    v: Annotated[DbId | None, Query(description="Signed link: the viewer.")] = None,
    exp: Annotated[int | None, Query(description="Signed link: expiry (Unix seconds).")] = None,
    sig: Annotated[str | None, Query(max_length=64)] = None,
) -> FileResponse:
    """An upload, for its resident and the staff who may see the request: with a bearer token, or through
    the signed link the request views carry (for `<img>` and `<audio>`)."""
    services = get_services(request)
    now = services.clock.now()
    with services.db.session() as session:
        if v is not None and exp is not None and sig is not None:
            if not services.desk.links.valid(media_id, v, exp, sig, now):
                raise Forbidden("链接无效或已过期", field="sig")
            viewer = session.get(User, v)
            if viewer is None or not viewer.active:
                raise Forbidden("链接无效", field="sig")
        else:
            header = request.headers.get("authorization", "")
            if not header.lower().startswith("bearer "):
                raise Unauthorized("请先登录")
            viewer = user_from_token(session, header[7:].strip(), services.settings.signing_key(), now)
        path, mime, _name = services.desk.requests.media_file(session, Actor.of(viewer), media_id)
    return FileResponse(
        path,
        media_type=mime,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            "Content-Disposition": "inline",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


# -- staff ---------------------------------------------------------------------------------------------


@staff.get("/requests", response_model=RequestPage)
def queue(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    state: Literal["open", "closed", "all"] = "open",
    category: Category | None = None,
    topic: Topic | None = None,
    station_id: DbId | None = None,
    unit_id: DbId | None = None,
    route: Route | None = None,
    overdue: bool = False,
    unreplied: bool = False,
    duplicates: Annotated[bool, Query(description="Only open requests flagged as duplicates.")] = False,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    before_id: Annotated[DbId | None, Query(description="Paging (newest order): ids below this one.")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Paging (either order): rows to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    order: Literal["newest", "due"] = "newest",
) -> RequestPage:
    """The requests in my scope: a station its own and its area's, a specialty or governance department
    only what was sent to it, the centres everything. Phones masked. `total` counts every request the
    filters match (before `before_id`), so a page knows how many there are."""
    scope = staff_scope(session, Actor.of(user))
    f = QueueFilter(
        state=state,
        category=category,
        topic=topic,
        station_id=station_id,
        unit_id=unit_id,
        route=route,
        overdue=overdue,
        unreplied=unreplied,
        duplicates=duplicates,
        since=since,
        until=until,
        before_id=before_id,
        offset=offset,
        limit=limit,
        order=order,
    )
    return staff_list(session, scope, f, services.clock.now(), names=services.desk.requests.names(session))


def _request_in_view(services: Services, session: Session, actor: Actor, request_id: int) -> DeskRequest:
    """The one check of the staff endpoints that read a request: a role that handles requests (403 for the
    others), then the task engine's decision on its task (404: a request handed to another unit is no
    longer the station's, though it lies in its area)."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("当前角色不能处理群众诉求")
    row = session.get(DeskRequest, request_id)
    if row is None or not services.desk.requests.visible(session, actor, row):
        raise NotFound("诉求不存在或不在本单位范围内", field="request_id")
    return row


def _staff_view(
    services: Services, actor: Actor, request_id: int, *, reveal: bool = False, purpose: str = "处理群众诉求"
) -> RequestStaffView:
    with services.db.session() as session:
        row = _request_in_view(services, session, actor, request_id)
        if reveal and not (
            actor.role in REVEAL_ROLES or (actor.role is Role.GOVERNANCE and actor.unit_id == row.unit_id)
        ):
            raise Forbidden("当前角色不能查看完整个人信息", field="reveal")
        view = staff_view(
            session,
            row,
            services.clock.now(),
            reveal=reveal,
            viewer_id=actor.id,
            purpose=purpose,
            media_url=_media_url(services, actor.id),
            brief=services.tasks.brief,
        )
        task = task_of(session, request_id)
        if task is not None:
            allowed = services.tasks.permitted(actor, actor_scope(session, actor), task)
            view.allowed_actions = sorted(allowed)
        ref = services.desk.requests.case_of(session, row)
        if ref is not None:
            view.case = _case_public(ref)
        return view


def _case_public(ref: CaseRef) -> CasePublic:
    return CasePublic(
        id=ref.case_id,
        created=ref.created,
        loss_yuan=f"{ref.loss_fen / 100:.2f}",
        fraud_type=ref.fraud_type,
        fraud_type_name=ref.fraud_type_name,
        status=ref.status,
        opened_at=ref.opened_at,
    )


@staff.get("/requests/{request_id}", response_model=RequestStaffView)
def staff_request(
    services: ServicesDep,
    user: CurrentUser,
    request_id: DbId,
    reveal: Annotated[
        bool, Query(description="Show the phone, address and free text unmasked (the read is recorded).")
    ] = False,
    purpose: Annotated[str, Query(max_length=200)] = "联系群众处理诉求",
) -> RequestStaffView:
    """One request with its conversation, files and full history."""
    return _staff_view(services, Actor.of(user), request_id, reveal=reveal, purpose=purpose)


@staff.get("/requests/{request_id}/duplicates", response_model=list[RequestListItem])
def duplicates_of(
    services: ServicesDep, session: SessionDep, user: CurrentUser, request_id: DbId
) -> list[RequestListItem]:
    """Open requests this one was flagged as duplicating, or flagged as duplicating it: merge candidates."""
    actor = Actor.of(user)
    row = _request_in_view(services, session, actor, request_id)
    scope = staff_scope(session, actor)
    return page_of(session, duplicate_candidates(session, row, scope), services.clock.now(), 50, staff=True).items


@staff.post("/requests/{request_id}/sign", response_model=RequestStaffView)
def sign(services: ServicesDep, user: CurrentUser, request_id: DbId) -> RequestStaffView:
    actor = Actor.of(user)
    services.desk.requests.sign(actor, request_id)
    return _staff_view(services, actor, request_id)


@staff.post("/requests/{request_id}/assign", response_model=RequestStaffView)
def assign(services: ServicesDep, user: CurrentUser, request_id: DbId, body: AssignCreate) -> RequestStaffView:
    actor = Actor.of(user)
    services.desk.requests.assign(actor, request_id, body.assignee_id)
    return _staff_view(services, actor, request_id)


@staff.post("/requests/{request_id}/reply", response_model=RequestStaffView)
def reply(services: ServicesDep, user: CurrentUser, request_id: DbId, body: ReplyCreate) -> RequestStaffView:
    """Answer the resident (or add a staff-only note with `internal`)."""
    actor = Actor.of(user)
    services.desk.requests.reply(actor, request_id, body.body, internal=body.internal)
    return _staff_view(services, actor, request_id)


@staff.post("/requests/{request_id}/reroute", response_model=RequestStaffView)
def reroute(services: ServicesDep, user: CurrentUser, request_id: DbId, body: RerouteCreate) -> RequestStaffView:
    """Hand the request to another unit (the command centre's triage, or "not ours"); a reason is required."""
    actor = Actor.of(user)
    services.desk.requests.reroute(actor, request_id, body.unit_id, body.reason, assignee_id=body.assignee_id)
    return _visible_after(services, actor, request_id)


@staff.post("/requests/{request_id}/divert", response_model=RequestStaffView)
def divert(services: ServicesDep, user: CurrentUser, request_id: DbId, body: DivertCreate) -> RequestStaffView:
    """Divert a non-police matter to a governance department (by default the one covering its place)."""
    actor = Actor.of(user)
    services.desk.requests.divert(actor, request_id, body.reason, body.unit_id)
    return _visible_after(services, actor, request_id)


def _visible_after(services: Services, actor: Actor, request_id: int) -> RequestStaffView:
    # After a hand-over the request may have left the actor's scope: say so instead of a 404.
    try:
        return _staff_view(services, actor, request_id)
    except NotFound:
        raise Forbidden("已转出，本单位不再可见", field="request_id", code="handed_over") from None


@staff.post("/requests/{request_id}/merge", response_model=RequestStaffView)
def merge(services: ServicesDep, user: CurrentUser, request_id: DbId, body: MergeCreate) -> RequestStaffView:
    """Merge this duplicate into an open request; its resident then follows that one's answers."""
    actor = Actor.of(user)
    services.desk.requests.merge(actor, request_id, body.into_id, body.reason)
    return _staff_view(services, actor, request_id)


@staff.post("/requests/{request_id}/case", response_model=RequestStaffView)
def open_case(
    services: ServicesDep, user: CurrentUser, request_id: DbId, body: OpenCaseCreate, response: Response
) -> RequestStaffView:
    """已被骗，转立案: the resident was already defrauded; open the fraud case from the request in one step: the
    victim (the resident), the narrative (by default what they wrote), the loss asked, the identifiers read from
    the narrative. 201 with the request's view and its `case`; sent again (or when a case was opened for the
    request already, from its text or its warning) 200 with that case, nothing opened twice."""
    actor = Actor.of(user)
    ref = services.desk.requests.open_case(actor, request_id, body.model_dump(mode="json", exclude_none=True))
    response.status_code = 201 if ref.created else 200
    view = _staff_view(services, actor, request_id)
    view.case = _case_public(ref)
    return view


@staff.post("/requests/{request_id}/close", response_model=RequestStaffView)
def close(services: ServicesDep, user: CurrentUser, request_id: DbId, body: CloseCreate) -> RequestStaffView:
    """Close: `resolved` with (or after) the final answer, or `closed` with a reason."""
    actor = Actor.of(user)
    services.desk.requests.close(actor, request_id, resolution=body.resolution, answer=body.answer, reason=body.reason)
    return _staff_view(services, actor, request_id)


# -- admin ---------------------------------------------------------------------------------------------


@admin.get("/routing-rules", response_model=list[RoutingRulePublic])
def routing_rules(services: ServicesDep, session: SessionDep, user: CurrentUser) -> list[RoutingRulePublic]:
    """The rules in the order they are tried: an admin's (by priority, most specific first), then the county file's."""
    return services.desk.admin.rules(session, Actor.of(user))


@admin.post("/routing-rules", response_model=RoutingRulePublic, status_code=201)
def create_rule(services: ServicesDep, user: CurrentUser, body: RoutingRuleCreate) -> RoutingRulePublic:
    return services.desk.admin.create_rule(Actor.of(user), body)


@admin.patch("/routing-rules/{rule_id}", response_model=RoutingRulePublic)
def update_rule(services: ServicesDep, user: CurrentUser, rule_id: DbId, body: RoutingRuleUpdate) -> RoutingRulePublic:
    return services.desk.admin.update_rule(Actor.of(user), rule_id, body)


@admin.delete("/routing-rules/{rule_id}", status_code=204)
def delete_rule(services: ServicesDep, user: CurrentUser, rule_id: DbId) -> Response:
    services.desk.admin.delete_rule(Actor.of(user), rule_id)
    return Response(status_code=204)


@admin.post("/routing-rules/preview", response_model=RouteDecisionPublic)
def preview_route(
    services: ServicesDep, session: SessionDep, user: CurrentUser, body: RoutePreview
) -> RouteDecisionPublic:
    """Where a request of this kind at this place would go now (nothing is stored)."""
    return services.desk.admin.preview(session, Actor.of(user), body)


@admin.get("/officers", response_model=list[OfficerPublic])
def officers(
    services: ServicesDep, session: SessionDep, user: CurrentUser, area_id: DbId | None = None
) -> list[OfficerPublic]:
    return services.desk.admin.officers(session, Actor.of(user), area_id=area_id)


@admin.put("/officers/{user_id}", response_model=OfficerPublic)
def set_officer(services: ServicesDep, user: CurrentUser, user_id: DbId, body: OfficerUpdate) -> OfficerPublic:
    """Make an officer the community officer of an area, with the card residents see."""
    return services.desk.admin.set_officer(Actor.of(user), user_id, body)


@admin.get("/dingtalk-robots", response_model=list[RobotPublic])
def robots(services: ServicesDep, session: SessionDep, user: CurrentUser) -> list[RobotPublic]:
    """Robots bound to units and officers, with their last posts (failures included)."""
    return services.desk.admin.robots(session, Actor.of(user))


@admin.post("/dingtalk-robots", response_model=RobotPublic, status_code=201)
def add_robot(services: ServicesDep, user: CurrentUser, body: RobotCreate) -> RobotPublic:
    return services.desk.admin.add_robot(Actor.of(user), body)


@admin.delete("/dingtalk-robots/{robot_id}", status_code=204)
def remove_robot(services: ServicesDep, user: CurrentUser, robot_id: DbId) -> Response:
    services.desk.admin.remove_robot(Actor.of(user), robot_id)
    return Response(status_code=204)


# -- figures -------------------------------------------------------------------------------------------


def _period(services: Services, start: datetime | None, end: datetime | None, days: int) -> Period:
    return Period(*figure_period(services, start, end, days))


@figures.get("")
def stats(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> dict[str, Any]:
    """Registered residents, requests, pushes; per unit and per officer: volume, 答复及时率, satisfaction,
    resolution and a comparable score (0-100), ranked. Limited to the user's scope."""
    actor = Actor.of(user)
    scope = staff_scope(session, actor)
    return desk_figures(
        session,
        _period(services, start, end, days),
        services.clock.now(),
        services.rules.section(DeskRules),
        scope=None if scope.county_wide else queue_clause(scope),
        within=scope,
    )


@figures.get("/series")
def stats_series(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    step: Step = Step.DAY,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> dict[str, Any]:
    """Requests, 答复及时率, satisfaction, new residents and pushes per local day or ISO week, in the user's
    scope (as `GET /desk/stats`); the first and last bucket may be partial. At most 400 buckets."""
    actor = Actor.of(user)
    scope = staff_scope(session, actor)
    period = _period(services, start, end, days)
    cuts = buckets(period.start, period.end, step, services.desk.requests.zone)
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "step": step.value,
        "buckets": desk_series(
            session,
            cuts,
            services.clock.now(),
            scope=None if scope.county_wide else queue_clause(scope),
            within=scope,
        ),
    }


@figures.get("/hot-topics")
def topics(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    weeks: Annotated[int, Query(ge=1, le=53)] = 8,
    station_id: Annotated[list[DbId] | None, Query()] = None,
    top: Annotated[int, Query(ge=1, le=20)] = 5,
) -> dict[str, Any]:
    """Top topics per local week, county-wide and per station, with the change from the week before."""
    actor = Actor.of(user)
    scope = staff_scope(session, actor)
    if start is None:
        anchor = end or services.clock.now()
        start = local_week_start(anchor, services.desk.requests.zone) - timedelta(weeks=weeks - 1)
    return hot_topics(
        session,
        _period(services, start, end, weeks * 7),
        services.desk.requests.zone,
        scope=None if scope.county_wide else queue_clause(scope),
        station_ids=station_id,
        top=top,
    )


# -- pushes --------------------------------------------------------------------------------------------


@pushes.get("/push-templates", response_model=list[PushTemplatePublic])
def templates(
    services: ServicesDep, session: SessionDep, user: CurrentUser, include_inactive: bool = False
) -> list[PushTemplatePublic]:
    return services.desk.pushes.templates(session, Actor.of(user), include_inactive=include_inactive)


@pushes.post("/push-templates", response_model=PushTemplatePublic, status_code=201)
def create_template(services: ServicesDep, user: CurrentUser, body: PushTemplateCreate) -> PushTemplatePublic:
    """A reusable alert; `{area}` and `{date}` are filled in when sent."""
    return services.desk.pushes.create_template(Actor.of(user), body)


@pushes.patch("/push-templates/{template_id}", response_model=PushTemplatePublic)
def update_template(
    services: ServicesDep, user: CurrentUser, template_id: DbId, body: PushTemplateUpdate
) -> PushTemplatePublic:
    return services.desk.pushes.update_template(Actor.of(user), template_id, body)


@pushes.get("/pushes/inbox", response_model=list[InboxItem])
def inbox(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    unread: bool = False,
    before_id: DbId | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[InboxItem]:
    """My alerts, newest first."""
    return services.desk.pushes.inbox(session, Actor.of(user), unread=unread, before_id=before_id, limit=limit)


@pushes.post("/pushes/inbox/{delivery_id}/read", status_code=204)
def read_alert(services: ServicesDep, user: CurrentUser, delivery_id: DbId) -> Response:
    services.desk.pushes.mark_read(Actor.of(user), delivery_id)
    return Response(status_code=204)


@pushes.post("/pushes", response_model=PushPublic, status_code=201)
def send_push(services: ServicesDep, user: CurrentUser, body: PushCreate) -> PushPublic:
    """Send an alert to residents by jurisdiction (`area_ids`), a drawn `polygon` and/or `tags`; those
    already at today's limit are recorded as held (urgent kinds get through)."""
    return services.desk.pushes.send(Actor.of(user), body)


@pushes.get("/pushes", response_model=list[PushPublic])
def list_pushes(
    services: ServicesDep, session: SessionDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[PushPublic]:
    return services.desk.pushes.pushes(session, Actor.of(user), limit=limit)


@pushes.get("/pushes/{push_id}")
def push_records(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    push_id: DbId,
    status: DeliveryStatus | None = None,
    after_id: DbId | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """One push: counts (targeted, delivered, held, read) and its delivery records."""
    return services.desk.pushes.push(session, Actor.of(user), push_id, status=status, before_id=after_id, limit=limit)
