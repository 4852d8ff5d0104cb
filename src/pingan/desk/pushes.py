"""Pushes to residents (预警推送): by jurisdiction, by a polygon drawn on the map, by tag; from templates;
with a per-resident daily limit, and delivery and read records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry import mapping
from sqlalchemy import ColumnElement, and_, func, insert, or_, select, true, update
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, Conflict, Forbidden, NotFound
from pingan.core.geo import CRS, GeoError, read_geojson_areas
from pingan.core.identifiers import mask_phone
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, Area, AreaKind, Role, User
from pingan.core.scope import Scope, scope_of, tenant_area
from pingan.desk.models import (
    DeliveryStatus,
    DeskPush,
    DeskPushDelivery,
    DeskPushTemplate,
    DeskResident,
)
from pingan.desk.residents import require_resident
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.hours import local_day_start
from pingan.desk.rules.kinds import PushKind
from pingan.desk.schemas import (
    InboxItem,
    PushCreate,
    PushPublic,
    PushTemplateCreate,
    PushTemplatePublic,
    PushTemplateUpdate,
)

PUSH_ROLES = COUNTY_WIDE_ROLES | {Role.STATION_HEAD}
_CHUNK = 5000


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class PushService:
    def __init__(self, db: Database, clock: Clock, rules: DeskRules) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.zone = ZoneInfo(rules.timezone)

    # -- templates -------------------------------------------------------------------------------

    def create_template(self, actor: Actor, body: PushTemplateCreate) -> PushTemplatePublic:
        _require_pusher(actor)
        now = self.clock.now()
        with self.db.session() as session:
            tenancy = template_tenancy(session, actor)
            same = select(DeskPushTemplate.id).where(DeskPushTemplate.code == body.code)
            if tenancy.tenanted:  # a code is unique within its tenancy
                same = same.where(_tenant_is(tenancy.area_id))
            if session.scalar(same) is not None:
                raise Conflict("模板编码已存在", field="code", code="duplicate_code")
            row = DeskPushTemplate(
                code=body.code,
                kind=body.kind,
                title=body.title,
                body=body.body,
                unit_id=_owning_unit(actor),
                tenant_area_id=tenancy.area_id if tenancy.tenanted else tenancy.single_county,
                shared_below=_shared_below(session, actor, tenancy, body.shared_below),
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return _template_public(session, row)

    def update_template(self, actor: Actor, template_id: int, body: PushTemplateUpdate) -> PushTemplatePublic:
        _require_pusher(actor)
        with self.db.session() as session:
            row = session.get(DeskPushTemplate, template_id)
            tenancy = template_tenancy(session, actor)
            if row is None or not tenancy.may_use(actor, row):
                raise NotFound("模板不存在", field="template_id")
            if actor.role not in COUNTY_WIDE_ROLES and row.unit_id != actor.unit_id:
                raise Forbidden("县级模板由中心维护，本单位只能修改自己的模板", field="template_id")
            if not tenancy.may_edit(row):
                raise Forbidden("上级下发的模板只读，可复制后另建本县模板", field="template_id", code="shared_template")
            for key, value in body.model_dump(exclude_unset=True).items():
                if value is None:
                    raise BadInput("不能清空该字段", field=key)
                if key == "shared_below":
                    value = _shared_below(session, actor, tenancy, value)
                setattr(row, key, value)
            row.updated_at = self.clock.now()
            session.flush()
            return _template_public(session, row)

    def templates(self, session: Session, actor: Actor, *, include_inactive: bool = False) -> list[PushTemplatePublic]:
        _require_pusher(actor)
        tenancy = template_tenancy(session, actor)
        query = select(DeskPushTemplate).order_by(DeskPushTemplate.id).where(tenancy.clause(actor))
        if not include_inactive:
            query = query.where(DeskPushTemplate.active)
        rows = list(session.scalars(query))
        owners = {t.tenant_area_id for t in rows if t.tenant_area_id is not None}
        names = {i: n for i, n in session.execute(select(Area.id, Area.name).where(Area.id.in_(owners)))}
        out = []
        for t in rows:
            public = _template_public(session, t, names if tenancy.tenanted else {})
            # Read-only to this user: a city's or a province's to a county, the county's to a station head.
            public.shared = not tenancy.may_edit(t) or (
                actor.role not in COUNTY_WIDE_ROLES and t.unit_id != actor.unit_id
            )
            out.append(public)
        return out

    # -- sending ---------------------------------------------------------------------------------

    def send(self, actor: Actor, body: PushCreate) -> PushPublic:
        """Deliver to every resident in the target, holding back those over today's limit (recorded)."""
        _require_pusher(actor)
        polygon = _polygon(body.polygon, body.crs) if body.polygon is not None else None
        now = self.clock.now()
        with self.db.session() as session:
            kind, title, text, template_id = self._content(session, actor, body, now)
            area_ids = self._areas(session, actor, body.area_ids)
            if not area_ids and polygon is None and not body.tags and actor.role not in COUNTY_WIDE_ROLES:
                raise Forbidden("全县推送须由中心发布，请选择辖区", field="area_ids")
            if not area_ids and self._scope_areas(session, actor) is not None:
                # A scoped sender with no area of its own would otherwise reach every resident in the polygon
                # or with the tags, across the whole deployment.
                raise Forbidden("本单位没有可推送的辖区", field="area_ids")
            recipients = self._recipients(session, area_ids, polygon, body.tags)
            counts = self._sent_today(session, recipients, now)
            urgent = kind in self.rules.push_urgent_kinds
            limit = self.rules.push_daily_limit
            target: dict[str, Any] = {
                "area_ids": area_ids,
                "polygon": mapping(polygon) if polygon is not None else None,
                "tags": list(body.tags),
                "scope_area_ids": self._scope_areas(session, actor),
            }
            push = DeskPush(
                kind=kind,
                title=title,
                body=text,
                template_id=template_id,
                target=target,
                created_by=actor.id,
                created_at=now,
                targeted=len(recipients),
                delivered=0,
                held=0,
            )
            session.add(push)
            session.flush()
            rows = []
            for resident_id in recipients:
                over = counts.get(resident_id, 0) >= limit
                status = DeliveryStatus.HELD if over and not urgent else DeliveryStatus.DELIVERED
                rows.append(
                    {"push_id": push.id, "resident_id": resident_id, "at": now, "status": status, "read_at": None}
                )
            for start in range(0, len(rows), _CHUNK):
                session.execute(insert(DeskPushDelivery), rows[start : start + _CHUNK])
            push.delivered = sum(1 for r in rows if r["status"] is DeliveryStatus.DELIVERED)
            push.held = len(rows) - push.delivered
            session.flush()
            return _public(push, read=0)

    def _content(
        self, session: Session, actor: Actor, body: PushCreate, now: datetime
    ) -> tuple[PushKind, str, str, int | None]:
        kind, title, text, template_id = body.kind, body.title, body.body, None
        if body.template_id is not None:
            template = session.get(DeskPushTemplate, body.template_id)
            if template is None or not template.active or not template_tenancy(session, actor).may_use(actor, template):
                raise NotFound("推送模板不存在或已停用", field="template_id")
            kind = kind or template.kind
            title = title or template.title
            text = text or template.body
            template_id = template.id
        if kind is None or title is None or text is None:  # PushCreate guarantees these without a template
            raise BadInput("推送缺少类别、标题或内容", field="template_id")
        names = (
            [n for n in session.scalars(select(Area.name).where(Area.id.in_(body.area_ids)))] if body.area_ids else []
        )
        values = _Blank(area="、".join(names) or "本县", date=now.astimezone(self.zone).strftime("%m月%d日"))
        return kind, title.format_map(values), text.format_map(values), template_id

    def _scope_areas(self, session: Session, actor: Actor) -> list[int] | None:
        """The areas a sender may reach (None: every area). A station's are its own; a county-wide role's are
        its county's in a deployment of several counties (a city's or a province's: the counties below), and
        every area with one county."""
        scope = _scope(session, actor)
        return None if scope.county_wide else sorted(scope.area_ids)

    def _areas(self, session: Session, actor: Actor, area_ids: Sequence[int]) -> list[int]:
        wanted = sorted(set(area_ids))
        if wanted:
            found = set(session.scalars(select(Area.id).where(Area.id.in_(wanted))))
            missing = [a for a in wanted if a not in found]
            if missing:
                raise BadInput(f"辖区不存在：{missing[0]}", field="area_ids")
        allowed = self._scope_areas(session, actor)
        if allowed is not None:
            if not wanted:
                return allowed
            outside = [a for a in wanted if a not in allowed]
            if outside:
                raise Forbidden("只能向本所辖区推送", field="area_ids")
        return wanted

    def _recipients(self, session: Session, area_ids: list[int], polygon: Any, tags: Sequence[str]) -> list[int]:
        r = DeskResident
        conds: list[ColumnElement[bool]] = [User.active.is_(True)]
        if area_ids:
            conds.append(or_(r.station_id.in_(area_ids), r.community_id.in_(area_ids)))
        if polygon is not None:
            min_lon, min_lat, max_lon, max_lat = polygon.bounds
            conds += [r.lon.between(min_lon, max_lon), r.lat.between(min_lat, max_lat)]
        rows = session.execute(
            select(r.user_id, r.lon, r.lat, r.tags).join(User, User.id == r.user_id).where(and_(*conds))
        ).all()
        if tags:
            wanted = set(tags)
            rows = [row for row in rows if wanted & set(row.tags or [])]
        if polygon is not None and rows:
            inside = shapely.contains_xy(
                polygon,
                np.array([row.lon for row in rows], dtype=float),
                np.array([row.lat for row in rows], dtype=float),
            )
            rows = [row for row, ok in zip(rows, inside.tolist(), strict=True) if ok]
        return [int(row.user_id) for row in rows]

    def _sent_today(self, session: Session, recipients: list[int], now: datetime) -> dict[int, int]:
        if not recipients:
            return {}
        since = local_day_start(now, self.zone)
        d = DeskPushDelivery
        counts = dict(
            session.execute(
                select(d.resident_id, func.count())
                .where(d.at >= since, d.status == DeliveryStatus.DELIVERED)
                .group_by(d.resident_id)
            ).all()
        )
        wanted = set(recipients)
        return {k: v for k, v in counts.items() if k in wanted}

    # -- records ---------------------------------------------------------------------------------

    def pushes(self, session: Session, actor: Actor, *, limit: int = 50) -> list[PushPublic]:
        _require_pusher(actor)
        query = select(DeskPush).order_by(DeskPush.id.desc()).limit(limit)
        if actor.role not in COUNTY_WIDE_ROLES:
            query = query.where(DeskPush.created_by == actor.id)
        else:
            scope = _scope(session, actor)
            if not scope.county_wide:  # a county of several: the pushes its own staff sent
                query = query.where(
                    DeskPush.created_by.in_(select(User.id).where(User.unit_id.in_(sorted(scope.unit_ids))))
                )
        rows = list(session.scalars(query))
        reads = self._reads(session, [p.id for p in rows])
        return [_public(p, reads.get(p.id, 0)) for p in rows]

    def _may_see(self, session: Session, actor: Actor, row: DeskPush) -> bool:
        """A push is its sender's; the county-wide roles see their county's (every push with one county)."""
        if row.created_by == actor.id:
            return True
        if actor.role not in COUNTY_WIDE_ROLES:
            return False
        scope = _scope(session, actor)
        if scope.county_wide:
            return True
        sender = session.get(User, row.created_by) if row.created_by is not None else None
        return sender is not None and sender.unit_id is not None and sender.unit_id in scope.unit_ids

    def _reads(self, session: Session, push_ids: list[int]) -> dict[int, int]:
        if not push_ids:
            return {}
        d = DeskPushDelivery
        return dict(
            session.execute(
                select(d.push_id, func.count())
                .where(d.push_id.in_(push_ids), d.read_at.is_not(None))
                .group_by(d.push_id)
            ).all()
        )

    def push(
        self,
        session: Session,
        actor: Actor,
        push_id: int,
        *,
        status: DeliveryStatus | None,
        before_id: int | None,
        limit: int,
    ) -> dict[str, Any]:
        """One push with its counts and a page of delivery records (phones masked)."""
        _require_pusher(actor)
        row = session.get(DeskPush, push_id)
        if row is None or not self._may_see(session, actor, row):
            raise NotFound("推送不存在", field="push_id")
        d = DeskPushDelivery
        query = (
            select(d.id, d.resident_id, d.at, d.status, d.read_at, DeskResident.phone)
            .join(DeskResident, DeskResident.user_id == d.resident_id)
            .where(d.push_id == push_id)
            .order_by(d.id)
            .limit(limit)
        )
        if status is not None:
            query = query.where(d.status == status)
        if before_id is not None:
            query = query.where(d.id > before_id)
        deliveries = [
            {
                "id": x.id,
                "resident_id": x.resident_id,
                "phone": mask_phone(x.phone),
                "at": x.at.isoformat(),
                "status": x.status.value,
                "read_at": x.read_at.isoformat() if x.read_at else None,
            }
            for x in session.execute(query)
        ]
        return {
            **_public(row, self._reads(session, [row.id]).get(row.id, 0)).model_dump(mode="json"),
            "deliveries": deliveries,
            "next_after_id": deliveries[-1]["id"] if len(deliveries) == limit else None,
        }

    # -- the resident's inbox --------------------------------------------------------------------

    def inbox(
        self, session: Session, actor: Actor, *, unread: bool = False, before_id: int | None = None, limit: int = 50
    ) -> list[InboxItem]:
        require_resident(actor)
        d = DeskPushDelivery
        query = (
            select(d, DeskPush)
            .join(DeskPush, DeskPush.id == d.push_id)
            .where(d.resident_id == actor.id, d.status == DeliveryStatus.DELIVERED)
            .order_by(d.id.desc())
            .limit(limit)
        )
        if unread:
            query = query.where(d.read_at.is_(None))
        if before_id is not None:
            query = query.where(d.id < before_id)
        return [
            InboxItem(
                id=delivery.id,
                push_id=push.id,
                kind=push.kind.value,
                title=push.title,
                body=push.body,
                at=delivery.at,
                read_at=delivery.read_at,
            )
            for delivery, push in session.execute(query)
        ]

    def mark_read(self, actor: Actor, delivery_id: int) -> None:
        require_resident(actor)
        with self.db.session() as session:
            d = DeskPushDelivery
            row = session.get(d, delivery_id)
            if row is None or row.resident_id != actor.id or row.status is not DeliveryStatus.DELIVERED:
                raise NotFound("消息不存在", field="delivery_id")
            session.execute(update(d).where(d.id == delivery_id, d.read_at.is_(None)).values(read_at=self.clock.now()))


def _scope(session: Session, actor: Actor) -> Scope:
    user = session.get(User, actor.id)
    if user is None:
        raise Forbidden("用户不存在")
    return scope_of(session, user)


def _require_pusher(actor: Actor) -> None:
    if actor.role not in PUSH_ROLES:
        raise Forbidden("当前角色不能发布推送")


def _shared_below(session: Session, actor: Actor, tenancy: TemplateTenancy, asked: bool | None) -> bool:
    """Whether a template the user writes is shared with the counties below: only a city's or a province's
    centres (or the deployment's operator) have any; `asked` None means yes for them, no for everyone else."""
    may = False
    if tenancy.tenanted and actor.role in COUNTY_WIDE_ROLES:
        if tenancy.operator:
            may = True
        elif tenancy.area_id is not None:
            kind = session.scalar(select(Area.kind).where(Area.id == tenancy.area_id))
            may = kind in (AreaKind.CITY, AreaKind.PROVINCE)
    if asked and not may:
        raise BadInput("只有市、省级的模板可以下发给下级县（市、区）", field="shared_below")
    return may if asked is None else asked


def _template_public(
    session: Session, row: DeskPushTemplate, names: dict[int, str] | None = None
) -> PushTemplatePublic:
    public = PushTemplatePublic.model_validate(row)
    if row.tenant_area_id is not None and names is not None:
        public.tenancy_name = names.get(row.tenant_area_id)
    elif row.tenant_area_id is not None:
        public.tenancy_name = session.scalar(select(Area.name).where(Area.id == row.tenant_area_id))
    return public


def _owning_unit(actor: Actor) -> int | None:
    """The unit a new template belongs to: none (the county's) when a county-wide role writes it."""
    return None if actor.role in COUNTY_WIDE_ROLES else actor.unit_id


@dataclass(frozen=True, slots=True)
class TemplateTenancy:
    """Whose push templates a user sees and edits.

    One county (today's installations): everyone who pushes uses the county's templates, a unit's own are its
    staff's and the centres'. Several counties: a county's templates are its own county's users' (written by
    its county-wide roles; a unit's own its staff's and its county's centres'); a city's or a province's are
    shared downward, read-only, with every county below it, as are the deployment's own (no tenancy, its
    operator's); a county never sees another county's. The operator (an account of no unit) sees and edits all.
    """

    tenanted: bool
    area_id: int | None
    """The user's tenancy (a county's, a city's, a province's area); None: the operator, or a unit outside all."""
    above: frozenset[int]
    """The tenancies above the user's: theirs are shared downward."""
    operator: bool
    single_county: int | None = None
    """One county's installation: its county area, which new templates belong to (found there by a second)."""

    def may_use(self, actor: Actor, template: DeskPushTemplate) -> bool:
        if not self.tenanted:
            return actor.role in COUNTY_WIDE_ROLES or template.unit_id is None or template.unit_id == actor.unit_id
        if self.operator:
            return True
        owner = template.tenant_area_id
        if owner == self.area_id and owner is not None:
            return actor.role in COUNTY_WIDE_ROLES or template.unit_id is None or template.unit_id == actor.unit_id
        if template.unit_id is not None:
            return template.unit_id == actor.unit_id
        return (owner is None or owner in self.above) and template.shared_below

    def may_edit(self, template: DeskPushTemplate) -> bool:
        """Whether the user may change it (once they may use it): not a template shared from above."""
        if not self.tenanted or self.operator or template.unit_id is not None:
            return True
        return template.tenant_area_id is not None and template.tenant_area_id == self.area_id

    def clause(self, actor: Actor) -> ColumnElement[bool]:
        """`may_use` as a WHERE clause."""
        t = DeskPushTemplate
        unit_ok = or_(t.unit_id.is_(None), t.unit_id == actor.unit_id)
        if not self.tenanted:
            return true() if actor.role in COUNTY_WIDE_ROLES else unit_ok
        if self.operator:
            return true()
        parts: list[ColumnElement[bool]] = [t.unit_id == actor.unit_id] if actor.unit_id is not None else []
        if self.area_id is not None:
            parts.append(and_(t.tenant_area_id == self.area_id, true() if actor.role in COUNTY_WIDE_ROLES else unit_ok))
        inherited = or_(t.tenant_area_id.is_(None), t.tenant_area_id.in_(self.above))
        parts.append(and_(t.unit_id.is_(None), t.shared_below.is_(True), inherited))
        return or_(*parts)


def template_tenancy(session: Session, actor: Actor) -> TemplateTenancy:
    """The user's tenancy for push templates (see `TemplateTenancy`)."""
    counties = list(session.scalars(select(Area.id).where(Area.kind == AreaKind.COUNTY).limit(2)))
    if len(counties) < 2:
        return TemplateTenancy(False, None, frozenset(), False, counties[0] if counties else None)
    if actor.unit_id is None:
        return TemplateTenancy(True, None, frozenset(), actor.role in COUNTY_WIDE_ROLES)
    area_id = tenant_area(session, actor.unit_id)
    above: set[int] = set()
    parent = session.scalar(select(Area.parent_id).where(Area.id == area_id)) if area_id is not None else None
    while parent is not None and parent not in above:
        above.add(parent)
        parent = session.scalar(select(Area.parent_id).where(Area.id == parent))
    return TemplateTenancy(True, area_id, frozenset(above), False)


def _tenant_is(area_id: int | None) -> ColumnElement[bool]:
    column = DeskPushTemplate.tenant_area_id
    return column.is_(None) if area_id is None else column == area_id


def _polygon(raw: dict[str, Any], crs: CRS) -> Any:
    feature = {"type": "Feature", "properties": {"name": "push"}, "geometry": raw}
    try:
        areas = read_geojson_areas({"type": "FeatureCollection", "features": [feature]}, code_property=None, crs=crs)
    except GeoError as exc:
        raise BadInput(f"多边形无效：{exc}", field="polygon", code="invalid_polygon") from None
    geom = areas[0].geometry
    shapely.prepare(geom)
    return geom


def _public(push: DeskPush, read: int) -> PushPublic:
    return PushPublic(
        id=push.id,
        kind=push.kind.value,
        title=push.title,
        body=push.body,
        target=push.target,
        created_at=push.created_at,
        targeted=push.targeted,
        delivered=push.delivered,
        held=push.held,
        read=read,
    )
