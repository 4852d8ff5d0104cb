"""Read models of the desk: a request as its resident sees it, as staff see it (masked), and the queues."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from pingan.core.identifiers import mask_address, mask_free_text, mask_phone
from pingan.core.models import AccessLog, Area, Task, TaskEvent, Unit, User
from pingan.core.scope import Scope

# The figures and their rules, re-exported for the command centre (which reads the queries modules only).
from pingan.desk.evaluation import Period as Period
from pingan.desk.evaluation import desk_figures as desk_figures
from pingan.desk.evaluation import desk_series as desk_series
from pingan.desk.evaluation import group_evaluation as group_evaluation
from pingan.desk.models import AuthorKind, DeskMedia, DeskMessage, DeskRequest, Resolution
from pingan.desk.rules.county import DeskRules as DeskRules
from pingan.desk.rules.kinds import CATEGORY_NAMES, ROUTE_NAMES, TOPIC_NAMES, Category, Route, Topic
from pingan.desk.schemas import (
    Handler,
    MediaPublic,
    MessagePublic,
    RequestListItem,
    RequestPage,
    RequestPublic,
    RequestStaffView,
    TaskHistoryItem,
)
from pingan.desk.workflow import STATUS_NAMES, WAITING

if TYPE_CHECKING:
    from pingan.desk.service import PostedView

MediaUrl = Callable[[int], str]
"""The link to an upload for the current viewer (see `pingan.desk.media.MediaLinks`)."""


def _names(session: Session, model: type[Unit] | type[Area] | type[User], ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    name = model.display_name if model is User else model.name  # type: ignore[union-attr]
    return dict(session.execute(select(model.id, name).where(model.id.in_(wanted))).all())


def _overdue(request: Any, now: datetime) -> bool:
    """The desk workflow's overdue (its reply deadline passed while waiting for a reply), read from the request's
    copy of its task so that a queue needs no join."""
    return (
        request.is_open
        and request.reply_due_at is not None
        and request.reply_due_at < now
        and request.status in WAITING
    )


def _media(session: Session, request_ids: list[int], media_url: MediaUrl) -> list[MediaPublic]:
    rows = session.scalars(select(DeskMedia).where(DeskMedia.request_id.in_(request_ids)).order_by(DeskMedia.id))
    return [
        MediaPublic(id=m.id, kind=m.kind.value, mime=m.mime, size=m.size, url=media_url(m.id), filename=m.filename)
        for m in rows
    ]


def _messages(session: Session, request: DeskRequest, *, staff: bool, masked: bool = False) -> list[MessagePublic]:
    """The conversation; with `masked`, personal data typed into the bodies is masked (staff who did not reveal)."""
    query = select(DeskMessage).where(DeskMessage.request_id == request.id)
    if not staff:
        query = query.where(DeskMessage.internal.is_(False))
    rows = list(session.scalars(query.order_by(DeskMessage.id)))
    if not staff and request.merged_into_id is not None:
        # The resident of a merged duplicate follows the answers on the request it was merged into.
        rows += list(
            session.scalars(
                select(DeskMessage)
                .where(
                    DeskMessage.request_id == request.merged_into_id,
                    DeskMessage.internal.is_(False),
                    DeskMessage.author_kind == AuthorKind.STAFF,
                )
                .order_by(DeskMessage.id)
            )
        )
        rows.sort(key=lambda m: (m.at, m.id))
    authors = _names(session, User, (m.author_id for m in rows if m.author_kind is AuthorKind.STAFF))
    units = _names(session, Unit, (m.unit_id for m in rows))
    out = []
    for m in rows:
        if m.author_kind is AuthorKind.STAFF:
            author_name = authors.get(m.author_id or 0)
        elif m.author_kind is AuthorKind.RESIDENT:
            author_name = "我" if not staff else "群众"
        else:
            author_name = "系统"
        out.append(
            MessagePublic(
                id=m.id,
                at=m.at,
                author=m.author_kind.value,
                author_name=author_name,
                unit=units.get(m.unit_id or 0),
                body=mask_free_text(m.body) if masked else m.body,
                internal=m.internal,
                request_id=m.request_id,
            )
        )
    return out


def can_rate(request: DeskRequest, now: datetime, rating_days: int) -> bool:
    return (
        request.rating is None
        and request.first_reply_at is not None
        and request.resolution not in (Resolution.MERGED, Resolution.CLOSED)
        and now <= request.first_reply_at + timedelta(days=rating_days)
    )


def resident_view(
    session: Session,
    request: DeskRequest,
    now: datetime,
    *,
    rating_days: int,
    media_url: MediaUrl,
    replayed: bool = False,
) -> RequestPublic:
    units = _names(session, Unit, [request.unit_id])
    areas = _names(session, Area, [request.station_id])
    officer = _names(session, User, [request.handler_id])
    return _resident_public(
        request,
        unit=units.get(request.unit_id or 0),
        station=areas.get(request.station_id or 0),
        officer=officer.get(request.handler_id or 0),
        messages=_messages(session, request, staff=False),
        media=_media(session, [request.id], media_url),
        now=now,
        rating_days=rating_days,
        replayed=replayed,
    )


def posted_view(view: PostedView, now: datetime, *, station: str | None, media_url: MediaUrl) -> RequestPublic:
    """The resident's view of a request just posted, from what the post knows (no read-back)."""
    request = DeskRequest(**view.values)
    message_id, at, body = view.welcome
    return _resident_public(
        request,
        unit=view.unit,
        station=station,
        officer=view.officer,
        messages=[
            MessagePublic(
                id=message_id, at=at, author="system", author_name="系统", unit=None, body=body, request_id=request.id
            )
        ],
        media=[
            MediaPublic(id=mid, kind=kind, mime=mime, size=size, url=media_url(mid), filename=name)
            for mid, kind, mime, size, name in view.media
        ],
        now=now,
        rating_days=1,
        replayed=False,
    )


def _resident_public(
    request: DeskRequest,
    *,
    unit: str | None,
    station: str | None,
    officer: str | None,
    messages: list[MessagePublic],
    media: list[MediaPublic],
    now: datetime,
    rating_days: int,
    replayed: bool,
) -> RequestPublic:
    notice = None
    if request.category is Category.EMERGENCY:
        notice = "如遇紧急情况请立即拨打110！"
    elif request.route is Route.GOVERNANCE and request.is_open:
        notice = f"该诉求由{unit or '治理部门'}处理"
    return RequestPublic(
        id=request.id,
        category=request.category.value,
        category_name=CATEGORY_NAMES[request.category],
        topic=request.topic.value if request.topic else None,
        topic_name=TOPIC_NAMES[request.topic] if request.topic else None,
        text=request.text,
        address=request.address,
        lon=request.lon,
        lat=request.lat,
        station=station,
        status=request.status.value,
        status_name=STATUS_NAMES.get(request.status.value, request.status.value),
        handler=Handler(
            route=request.route.value,
            route_name=ROUTE_NAMES[request.route],
            unit_id=request.unit_id,
            unit=unit,
            officer=officer,
        ),
        created_at=request.created_at,
        reply_due_at=request.reply_due_at,
        first_reply_at=request.first_reply_at,
        closed_at=request.closed_at,
        resolution=request.resolution.value if request.resolution else None,
        rating=request.rating,
        rating_comment=request.rating_comment,
        can_rate=can_rate(request, now, rating_days),
        merged_into_id=request.merged_into_id,
        call_110=request.category is Category.EMERGENCY,
        notice=notice,
        messages=messages,
        media=media,
        replayed=replayed,
    )


LIST_COLUMNS = (
    DeskRequest.id,
    DeskRequest.category,
    DeskRequest.topic,
    DeskRequest.text,
    DeskRequest.status,
    DeskRequest.route,
    DeskRequest.unit_id,
    DeskRequest.station_id,
    DeskRequest.created_at,
    DeskRequest.reply_due_at,
    DeskRequest.is_open,
    DeskRequest.first_reply_at,
    DeskRequest.closed_at,
    DeskRequest.rating,
    DeskRequest.media_count,
    DeskRequest.duplicate_of_id,
    DeskRequest.phone,
)


@dataclass(frozen=True)
class Names:
    """Unit and area names, from the caches (or read for the ids at hand)."""

    units: Mapping[int, str]
    areas: Mapping[int, str]


_EXCERPT = 60
"""Characters of the text a list item shows."""


def _item(request: Any, now: datetime, names: Names, *, staff: bool, reveal: bool = False) -> RequestListItem:
    text: str = request.text
    if staff and not reveal:
        # Staff see what residents typed with its ID numbers, phones and cards masked unless they reveal; masked
        # before it is cut, so that a number at the cut is not left half shown. The head is enough for that (a
        # number with its separators is shorter than 100 characters), and a queue page stays cheap.
        text = mask_free_text(text[: _EXCERPT + 100])
    return RequestListItem(
        id=request.id,
        category=request.category.value,
        category_name=CATEGORY_NAMES[request.category],
        topic=request.topic.value if request.topic else None,
        excerpt=(text[:_EXCERPT] + "…") if len(request.text) > _EXCERPT else text,
        status=request.status.value,
        status_name=STATUS_NAMES.get(request.status.value, request.status.value),
        route=request.route.value,
        unit_id=request.unit_id,
        unit=names.units.get(request.unit_id or 0),
        station_id=request.station_id,
        station=names.areas.get(request.station_id or 0),
        created_at=request.created_at,
        reply_due_at=request.reply_due_at,
        overdue=_overdue(request, now),
        first_reply_at=request.first_reply_at,
        closed_at=request.closed_at,
        rating=request.rating,
        media_count=request.media_count,
        duplicate_of_id=request.duplicate_of_id,
        phone=mask_phone(request.phone) if staff else None,
    )


def page_of(
    session: Session, rows: Sequence[Any], now: datetime, limit: int, *, staff: bool, names: Names | None = None
) -> RequestPage:
    if names is None:
        names = Names(
            _names(session, Unit, (r.unit_id for r in rows)), _names(session, Area, (r.station_id for r in rows))
        )
    items = [_item(r, now, names, staff=staff) for r in rows]
    return RequestPage(items=items, next_before_id=rows[-1].id if len(rows) == limit else None)


def resident_list(
    session: Session,
    resident_id: int,
    now: datetime,
    *,
    before_id: int | None,
    limit: int,
    names: Names | None = None,
) -> RequestPage:
    query = select(*LIST_COLUMNS).where(DeskRequest.resident_id == resident_id)
    if before_id is not None:
        query = query.where(DeskRequest.id < before_id)
    rows = session.connection().execute(query.order_by(DeskRequest.id.desc()).limit(limit)).all()
    return page_of(session, rows, now, limit, staff=False, names=names)


@dataclass(frozen=True)
class QueueFilter:
    state: Literal["open", "closed", "all"] = "open"
    category: Category | None = None
    topic: Topic | None = None
    station_id: int | None = None
    unit_id: int | None = None
    route: Route | None = None
    overdue: bool = False
    unreplied: bool = False
    duplicates: bool = False
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    offset: int = 0
    limit: int = 50
    order: Literal["newest", "due"] = "newest"


def queue_clause(scope: Scope) -> ColumnElement[bool]:
    """The desk's visibility (its workflow's `seen_by_area` is off): the requests the user's unit holds, and
    those of its jurisdiction that no unit holds yet."""
    return scope.clause(DeskRequest.unit_id, DeskRequest.station_id, seen_by_area=False)


def staff_list(
    session: Session, scope: Scope, f: QueueFilter, now: datetime, *, names: Names | None = None
) -> RequestPage:
    """The queue in the user's scope, newest first (keyset paging on `before_id`) or by reply deadline."""
    r = DeskRequest
    conds: list[ColumnElement[bool]] = [queue_clause(scope)]
    if f.state == "open":
        conds.append(r.is_open.is_(True))
    elif f.state == "closed":
        conds.append(r.is_open.is_(False))
    if f.category is not None:
        conds.append(r.category == f.category)
    if f.topic is not None:
        conds.append(r.topic == f.topic)
    if f.station_id is not None:
        conds.append(r.station_id == f.station_id)
    if f.unit_id is not None:
        conds.append(r.unit_id == f.unit_id)
    if f.route is not None:
        conds.append(r.route == f.route)
    if f.overdue:
        conds += [r.is_open.is_(True), r.status.in_(WAITING), r.reply_due_at < now]  # as `_overdue`
    if f.unreplied:
        conds.append(r.first_reply_at.is_(None))
    if f.duplicates:
        conds += [r.duplicate_of_id.is_not(None), r.is_open.is_(True)]
    if f.since is not None:
        conds.append(r.created_at >= f.since)
    if f.until is not None:
        conds.append(r.created_at < f.until)
    total = session.connection().execute(select(func.count()).select_from(r).where(and_(*conds))).scalar_one()
    query = select(*LIST_COLUMNS).where(and_(*conds))
    if f.order == "due":
        # `before_id` pages the newest-first order only; this one pages by `offset`.
        query = query.order_by(r.reply_due_at.is_(None), r.reply_due_at, r.id)
    else:
        if f.before_id is not None:
            query = query.where(r.id < f.before_id)
        query = query.order_by(r.id.desc())
    rows = session.connection().execute(query.limit(f.limit).offset(f.offset)).all()
    page = page_of(session, rows, now, f.limit, staff=True, names=names)
    next_before = page.next_before_id if f.order == "newest" else None
    return RequestPage(items=page.items, next_before_id=next_before, total=total)


def staff_view(
    session: Session,
    request: DeskRequest,
    now: datetime,
    *,
    reveal: bool,
    viewer_id: int,
    purpose: str,
    media_url: MediaUrl,
    brief: Callable[[Task, datetime], dict[str, Any]],
) -> RequestStaffView:
    """A request as staff see it; personal data masked unless `reveal` (the read is then recorded): the phone,
    address and place, and what is typed into the text, the messages, the rating comment and the history's
    reasons."""
    units = _names(session, Unit, [request.unit_id, request.suggested_unit_id])
    areas = _names(session, Area, [request.station_id, request.community_id])
    users = _names(session, User, [request.handler_id])
    if reveal:
        session.add(
            AccessLog(
                at=now,
                user_id=viewer_id,
                subject_type="desk_request",
                subject_id=request.id,
                fields="phone,address,location,text",
                purpose=purpose[:200],
            )
        )
    task = session.scalar(select(Task).where(Task.ref_type == "desk_request", Task.ref_id == request.id))
    history = (
        list(session.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)))
        if task is not None
        else []
    )
    actors = _names(session, User, (h.actor_id for h in history))
    base = _item(request, now, Names(units, areas), staff=True, reveal=reveal)
    exact_place = reveal

    def shown(free_text: str | None) -> str | None:
        return free_text if reveal or free_text is None else mask_free_text(free_text)

    return RequestStaffView(
        **{**base.model_dump(), "phone": request.phone if reveal else mask_phone(request.phone)},
        text=shown(request.text),
        address=(request.address if reveal else mask_address(request.address)) if request.address else None,
        lon=request.lon if exact_place else (round(request.lon, 3) if request.lon is not None else None),
        lat=request.lat if exact_place else (round(request.lat, 3) if request.lat is not None else None),
        community_id=request.community_id,
        community=areas.get(request.community_id or 0),
        suggested_unit_id=request.suggested_unit_id,
        suggested_unit=units.get(request.suggested_unit_id or 0),
        handler_id=request.handler_id,
        handler=users.get(request.handler_id or 0),
        resident_id=request.resident_id,
        masked=not reveal,
        task=brief(task, now) if task is not None else None,
        duplicate_score=request.duplicate_score,
        merged_into_id=request.merged_into_id,
        resolution=request.resolution.value if request.resolution else None,
        rating_comment=shown(request.rating_comment),
        messages=_messages(session, request, staff=True, masked=not reveal),
        media=_media(session, [request.id], media_url),
        history=[
            TaskHistoryItem(
                at=h.at,
                actor=actors.get(h.actor_id, "群众") if h.actor_id else "系统",
                action=h.action,
                from_status=h.from_status,
                to_status=h.to_status,
                reason=shown(h.reason),
                data=h.data,
            )
            for h in history
        ],
    )


def duplicate_candidates(session: Session, request: DeskRequest, scope: Scope) -> list[DeskRequest]:
    """The open request this one was flagged as duplicating, and open ones flagged as duplicating it."""
    conds = [DeskRequest.duplicate_of_id == request.id]
    if request.duplicate_of_id is not None:
        conds.append(DeskRequest.id == request.duplicate_of_id)
    return list(
        session.scalars(
            select(DeskRequest)
            .where(or_(*conds), DeskRequest.is_open.is_(True), DeskRequest.id != request.id, queue_clause(scope))
            .order_by(DeskRequest.id)
            .limit(50)
        )
    )


@dataclass(frozen=True, slots=True)
class RequestPlace:
    """Where a request was sent from (WGS84), for the map."""

    request_id: int
    category: Category
    status: str
    is_open: bool
    station_id: int | None
    unit_id: int | None
    lon: float
    lat: float


def request_places(
    session: Session,
    scope: Scope,
    *,
    state: Literal["open", "closed", "all"] = "open",
    category: Category | None = None,
    request_id: int | None = None,
    limit: int = 2000,
) -> list[RequestPlace]:
    """Requests in the queue's scope that carry a location, newest first."""
    r = DeskRequest
    conds: list[ColumnElement[bool]] = [queue_clause(scope), r.lon.is_not(None), r.lat.is_not(None)]
    if state == "open":
        conds.append(r.is_open.is_(True))
    elif state == "closed":
        conds.append(r.is_open.is_(False))
    if category is not None:
        conds.append(r.category == category)
    if request_id is not None:
        conds.append(r.id == request_id)
    rows = session.execute(
        select(r.id, r.category, r.status, r.is_open, r.station_id, r.unit_id, r.lon, r.lat)
        .where(and_(*conds))
        .order_by(r.id.desc())
        .limit(limit)
    ).all()
    return [
        RequestPlace(
            row[0], row[1], str(row[2].value), bool(row[3]), row[4], row[5], float(row[6] or 0), float(row[7] or 0)
        )
        for row in rows
    ]
