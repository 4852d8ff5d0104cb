"""The desk's edges: what residents and staff send (`XCreate` / `XUpdate`) and get back (`XPublic`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from pingan.core.fields import DbId, FreeText
from pingan.core.geo import CRS, in_china
from pingan.core.tasks.contract import Payload
from pingan.desk.rules.kinds import TOPICS_OF, Category, PushKind, Route, Specialty, Topic


class FieldProblem(ValueError):
    """A cross-field check that names the one field to fix (read back by `pingan.core.errors.field_of`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Act(Payload):
    """The body of an action on a request's task (also accepted by `POST /api/v1/tasks/{id}/actions`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Located(_In):
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    crs: CRS = CRS.GCJ02
    """Phones (WeChat, Amap) report GCJ-02, so that is the default; say wgs84 for GPS coordinates."""

    @model_validator(mode="after")
    def _point(self) -> Self:
        if (self.lon is None) != (self.lat is None):
            raise FieldProblem("lat" if self.lat is None else "lon", "经纬度须同时提供")
        if self.lon is not None and self.lat is not None and not in_china(self.lon, self.lat):
            raise FieldProblem("lon", "位置不在中国境内，请检查经纬度（是否写反）")
        return self


# -- sign-in -------------------------------------------------------------------------------------


class OtpCreate(_In):
    phone: FreeText = Field(min_length=5, max_length=32)


class OtpPublic(BaseModel):
    sent: Literal[True] = True
    phone: str
    expires_in: int
    retry_after: int
    dev_code: str | None = Field(
        default=None, description="The code itself; only on a demo server (never in production)."
    )


class OtpVerify(_In):
    phone: FreeText = Field(min_length=5, max_length=32)
    code: FreeText = Field(min_length=4, max_length=8, pattern=r"^\d+$")


class ResidentPublic(BaseModel):
    id: int
    phone: str
    address: str | None
    lon: float | None
    lat: float | None
    station_id: int | None
    station: str | None
    community_id: int | None
    community: str | None
    tags: list[str]


class ResidentToken(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime
    resident: ResidentPublic


class ResidentUpdate(_Located):
    address: FreeText | None = Field(default=None, max_length=255)
    tags: list[Literal["elderly", "student"]] | None = None


class OfficerCard(BaseModel):
    user_id: int | None
    name: str | None
    badge: str | None
    station: str | None
    station_phone: str | None
    contact_phone: str | None
    hours: str | None
    office: str | None
    intro: str | None
    area_id: int | None
    area: str | None
    matched_by: Literal["location", "address", "profile"]


# -- requests ------------------------------------------------------------------------------------


class DeskRequestCreate(_Located):
    category: Category
    topic: Topic | None = None
    text: FreeText = Field(default="", max_length=2000)
    address: FreeText | None = Field(default=None, max_length=255)
    client_ref: FreeText | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")
    """An idempotency key chosen by the app: posting the same key again returns the first request."""
    officer_id: DbId | None = None
    """The community officer whose card the resident wrote from ("给民警留言"): the request goes to that officer,
    wherever the resident stands. Not for an emergency, which always goes to the station of the place."""

    @model_validator(mode="after")
    def _topic(self) -> Self:
        if self.topic is not None and self.topic not in TOPICS_OF[self.category]:
            raise FieldProblem("topic", f"类别 {self.category.value} 不含主题 {self.topic.value}")
        return self

    @field_validator("address")
    @classmethod
    def _blank(cls, value: str | None) -> str | None:
        return value or None


class MessageCreate(_Act):
    body: FreeText = Field(min_length=1, max_length=2000)


class ReplyBody(_Act):
    """The reply action's payload: what the resident will read."""

    body: FreeText = Field(min_length=1, max_length=2000)


class ReplyCreate(ReplyBody):
    """The desk endpoint's body: a reply, or with `internal` a staff-only note (the `note` action)."""

    internal: bool = False
    """A staff-only note: the resident does not see it and it is not a reply."""


class RerouteCreate(_Act):
    unit_id: DbId
    assignee_id: DbId | None = None
    reason: FreeText = Field(min_length=1, max_length=500)


class DivertCreate(_Act):
    unit_id: DbId | None = None
    """The governance department; by default the one covering the request's place."""
    reason: FreeText = Field(min_length=1, max_length=500)


class MergeCreate(_Act):
    into_id: DbId
    reason: FreeText | None = Field(default=None, max_length=500)


class CloseCreate(_Act):
    resolution: Literal["resolved", "closed"] = "resolved"
    answer: FreeText | None = Field(default=None, min_length=1, max_length=2000)
    """The final answer to the resident (posted as a reply before closing)."""
    reason: FreeText | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _reason_to_close(self) -> Self:
        if self.resolution == "closed" and not self.reason:
            raise FieldProblem("reason", "关闭诉求须说明理由")
        return self


class OpenCaseCreate(_Act):
    """已被骗，转立案: the loss the officer asked the resident about, and the narrative (笔录; by default what
    the resident wrote, with their follow-ups). The case's identifiers are read from the narrative."""

    loss_yuan: Decimal = Field(gt=0, le=Decimal("1e10"), decimal_places=2)
    narrative: FreeText | None = Field(default=None, min_length=1, max_length=20_000)
    fraud_type: str | None = Field(default=None, pattern="^[a-z_]{1,32}$")
    """A taxonomy id (DESIGN §4); by default the classifier's reading of the narrative."""
    occurred_at: AwareDatetime | None = None
    """When the money went (by default unknown)."""


class AssignCreate(_Act):
    assignee_id: DbId


class RateCreate(_Act):
    rating: int = Field(ge=1, le=5)
    comment: FreeText | None = Field(default=None, max_length=500)


class MessagePublic(BaseModel):
    id: int
    at: datetime
    author: str
    author_name: str | None
    unit: str | None
    body: str
    internal: bool = False
    request_id: int


class MediaPublic(BaseModel):
    id: int
    kind: str
    mime: str
    size: int
    url: str
    filename: str | None


class Handler(BaseModel):
    route: str
    route_name: str
    unit_id: int | None
    unit: str | None
    officer: str | None


class RequestPublic(BaseModel):
    """A request as its resident sees it."""

    id: int
    category: str
    category_name: str
    topic: str | None
    topic_name: str | None
    text: str
    address: str | None
    lon: float | None
    lat: float | None
    station: str | None
    status: str
    status_name: str
    handler: Handler
    created_at: datetime
    reply_due_at: datetime | None
    first_reply_at: datetime | None
    closed_at: datetime | None
    resolution: str | None
    rating: int | None
    rating_comment: str | None
    can_rate: bool
    merged_into_id: int | None
    call_110: bool
    notice: str | None
    messages: list[MessagePublic]
    media: list[MediaPublic]
    replayed: bool = False


class RequestListItem(BaseModel):
    id: int
    category: str
    category_name: str
    topic: str | None
    excerpt: str
    status: str
    status_name: str
    route: str
    unit_id: int | None
    unit: str | None
    station_id: int | None
    station: str | None
    created_at: datetime
    reply_due_at: datetime | None
    overdue: bool
    first_reply_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    media_count: int
    duplicate_of_id: int | None
    phone: str | None = None


class TaskHistoryItem(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict[str, Any]


class CasePublic(BaseModel):
    """The case a request opened, as the desk shows it (the case itself is on the 案件 screen)."""

    id: int
    created: bool = False
    """True only in the answer of the action that opened it."""
    loss_yuan: str
    fraud_type: str
    fraud_type_name: str
    status: str
    opened_at: datetime


class RequestStaffView(RequestListItem):
    text: str
    address: str | None
    lon: float | None
    lat: float | None
    community_id: int | None
    community: str | None
    suggested_unit_id: int | None
    suggested_unit: str | None
    handler_id: int | None
    handler: str | None
    resident_id: int
    masked: bool
    task: dict[str, Any] | None
    duplicate_score: float | None
    merged_into_id: int | None
    resolution: str | None
    rating_comment: str | None
    messages: list[MessagePublic]
    media: list[MediaPublic]
    history: list[TaskHistoryItem]
    allowed_actions: list[str] = Field(default_factory=list)
    """What the viewer may do now (the task engine's decision), for the screen to offer."""
    case: CasePublic | None = None
    """The fraud case opened for this request (by an officer, on reading its text, or from its warning)."""


class RequestPage(BaseModel):
    items: list[RequestListItem]
    next_before_id: int | None
    total: int | None = None
    """Every request the filters match (the staff queue; its pages are `offset` or `before_id`)."""


# -- routing rules -------------------------------------------------------------------------------


class RoutingRuleCreate(_In):
    priority: int = Field(default=100, ge=0, le=10_000)
    name: FreeText = Field(default="", max_length=100)
    category: Category | None = None
    topic: Topic | None = None
    area_id: DbId | None = None
    target: Route
    specialty: Specialty | None = None
    unit_id: DbId | None = None
    triage: bool = True
    active: bool = True
    note: FreeText | None = Field(default=None, max_length=500)


class RoutingRuleUpdate(_In):
    priority: int | None = Field(default=None, ge=0, le=10_000)
    name: FreeText | None = Field(default=None, max_length=100)
    category: Category | None = None
    topic: Topic | None = None
    area_id: DbId | None = None
    target: Route | None = None
    specialty: Specialty | None = None
    unit_id: DbId | None = None
    triage: bool | None = None
    active: bool | None = None
    note: FreeText | None = Field(default=None, max_length=500)


class RoutingRulePublic(BaseModel):
    id: int | None
    source: Literal["admin", "county_file"]
    priority: int | None
    name: str
    category: str | None
    topic: str | None
    area_id: int | None
    target: str
    specialty: str | None
    unit_id: int | None
    triage: bool
    active: bool
    note: str | None
    description: str


class RoutePreview(_Located):
    category: Category
    topic: Topic | None = None
    address: FreeText | None = Field(default=None, max_length=255)


class RouteDecisionPublic(BaseModel):
    route: str
    unit_id: int | None
    unit: str | None
    assignee_id: int | None
    assignee: str | None
    suggested_unit_id: int | None
    rule_id: int | None
    explanation: str
    station_id: int | None
    community_id: int | None


# -- officers and robots -------------------------------------------------------------------------


class OfficerUpdate(_In):
    area_id: DbId
    hours: FreeText = Field(default="工作日 08:30-17:30", max_length=100)
    contact_phone: FreeText | None = Field(default=None, max_length=32)
    office: FreeText | None = Field(default=None, max_length=200)
    intro: FreeText | None = Field(default=None, max_length=500)
    active: bool = True


class OfficerPublic(BaseModel):
    user_id: int
    name: str
    unit_id: int | None
    area_id: int
    area: str | None
    hours: str
    contact_phone: str | None
    office: str | None
    intro: str | None
    active: bool


class RobotCreate(_In):
    name: FreeText = Field(default="", max_length=100)
    unit_id: DbId | None = None
    user_id: DbId | None = None
    webhook: FreeText = Field(min_length=10, max_length=500, pattern=r"^https?://")
    secret: FreeText | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _owner(self) -> Self:
        if (self.unit_id is None) == (self.user_id is None):
            raise FieldProblem("unit_id", "机器人须绑定一个单位或一名民警（二选一）")
        return self


class RobotPublic(BaseModel):
    id: int
    name: str
    unit_id: int | None
    user_id: int | None
    webhook: str
    """Shown without its access token."""
    signed: bool
    active: bool
    last_sends: list[dict[str, Any]]


# -- pushes --------------------------------------------------------------------------------------


class PushTemplateCreate(_In):
    code: FreeText = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")
    kind: PushKind
    title: FreeText = Field(min_length=1, max_length=100)
    body: FreeText = Field(min_length=1, max_length=2000)
    shared_below: bool | None = None
    """Share it, read-only, with the counties below (a city's or a province's users only); left out: shared
    when the writer's tenancy has counties below it, as templates above a county always were."""


class PushTemplateUpdate(_In):
    kind: PushKind | None = None
    title: FreeText | None = Field(default=None, min_length=1, max_length=100)
    body: FreeText | None = Field(default=None, min_length=1, max_length=2000)
    active: bool | None = None
    shared_below: bool | None = None


class PushTemplatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    kind: str
    title: str
    body: str
    unit_id: int | None = None
    """The owning unit, whose staff may edit it; null: a county template."""
    active: bool
    shared: bool = False
    """Read-only to this user: shared from above (a city's or a province's, or the deployment's to a county),
    or the county's to a station head."""
    shared_below: bool = False
    """Shared with the counties below its tenancy (see `PushTemplateCreate.shared_below`)."""
    tenancy_name: str | None = None
    """The county, city or province whose template it is (several counties only; null: the deployment's own)."""


class PushCreate(_In):
    template_id: DbId | None = None
    kind: PushKind | None = None
    title: FreeText | None = Field(default=None, min_length=1, max_length=100)
    body: FreeText | None = Field(default=None, min_length=1, max_length=2000)
    area_ids: list[DbId] = Field(default_factory=list, max_length=200)
    polygon: dict[str, Any] | None = None
    """A GeoJSON Polygon or MultiPolygon drawn on the map."""
    crs: CRS = CRS.WGS84
    tags: list[Literal["elderly", "student"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _content(self) -> Self:
        if self.template_id is None:
            if self.title is None:
                raise FieldProblem("title", "请选择模板或填写标题")
            if self.body is None:
                raise FieldProblem("body", "请选择模板或填写内容")
            if self.kind is None:
                raise FieldProblem("kind", "请选择推送类别")
        return self


class PushPublic(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    target: dict[str, Any]
    created_at: datetime
    targeted: int
    delivered: int
    held: int
    read: int | None = None


class InboxItem(BaseModel):
    id: int
    push_id: int
    kind: str
    title: str
    body: str
    at: datetime
    read_at: datetime | None
