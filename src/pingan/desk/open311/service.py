"""The Open311 use cases over the desk: check a key, post a request as its resident, read requests.

A post goes through `DeskService.post` exactly as one from the E警通 page: the phone is the
resident's identity (registered on first use, as a sign-in would), and the desk validates, routes,
limits and notifies. What only Open311 knows (the key, the client's ids, a media link, the contact's
name) is kept beside the request in `open311_requests` and in a staff-only note.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, Forbidden, PinganError, RateLimited, Unavailable
from pingan.core.geo import CRS
from pingan.core.identity import Actor
from pingan.core.models import Role
from pingan.desk.models import AuthorKind, DeskMessage, DeskRequest
from pingan.desk.open311.catalog import service
from pingan.desk.open311.format import MAX_REQUESTS, RequestFacts, Window, parse_w3, request_entry, window
from pingan.desk.open311.keys import find_api_key
from pingan.desk.open311.models import Open311ApiKey, Open311Request
from pingan.desk.open311.post import Open311Error, PostInput, not_found
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.kinds import TOPIC_NAMES, Route
from pingan.desk.schemas import DeskRequestCreate
from pingan.desk.wiring import Desk

log = logging.getLogger(__name__)

DESK_TEXT_LIMIT = 2000
"""The desk keeps at most this much text on a request; the rest of a longer description follows as a message."""

_COLUMNS = (
    DeskRequest.id,
    DeskRequest.category,
    DeskRequest.topic,
    DeskRequest.text,
    DeskRequest.address,
    DeskRequest.lon,
    DeskRequest.lat,
    DeskRequest.station_id,
    DeskRequest.community_id,
    DeskRequest.route,
    DeskRequest.unit_id,
    DeskRequest.status,
    DeskRequest.is_open,
    DeskRequest.resolution,
    DeskRequest.merged_into_id,
    DeskRequest.first_reply_at,
    DeskRequest.created_at,
    DeskRequest.updated_at,
    DeskRequest.closed_at,
    DeskRequest.reply_due_at,
    Open311Request.media_url,
)


def _refusal(exc: PinganError) -> Open311Error:
    """A desk refusal in the spec's shape: 403 for a disabled account, 429/503 kept, else 400."""
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(max(1, exc.retry_after))} if exc.retry_after else None
        return Open311Error(429, [(429, exc.message)], headers=headers)
    if isinstance(exc, Unavailable):
        return Open311Error(503, [(503, exc.message)])
    if isinstance(exc, Forbidden):
        return Open311Error(403, [(403, exc.message)])
    return Open311Error(400, [(400, exc.message)])


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """A parameter that may be declared several times and comma-delimited, blanks dropped."""
    out: list[str] = []
    for raw in params.get(name, ()):
        out.extend(part.strip() for part in raw.split(",") if part.strip())
    return out


class Open311Service:
    """Given the desk and the core services it posts through, not the whole composition: an edge of the desk."""

    def __init__(self, db: Database, clock: Clock, desk: Desk, rules: DeskRules) -> None:
        self.db = db
        self.clock = clock
        self.desk = desk
        self.zone = ZoneInfo(rules.timezone)

    # -- keys --------------------------------------------------------------------------------------

    def check_key(self, key: str | None) -> int:
        """The id of the active key presented; 403 in the spec's words otherwise."""
        if not key:
            raise Open311Error(403, [(403, "缺少 api_key，无法提交诉求")])
        with self.db.session() as session:
            row = find_api_key(session, key)
            if row is None:
                raise Open311Error(403, [(403, "api_key 无效或已停用，无法提交诉求")])
            return row.id

    # -- posting -----------------------------------------------------------------------------------

    def post(self, key_id: int, form: PostInput) -> list[dict[str, Any]]:
        """Create the request through the desk; returns the spec's response document."""
        desk = self.desk
        if form.lon is not None and form.lat is not None:
            # Refuse a point outside the county before anything (even the resident) is stored.
            with self.db.session() as session:
                try:
                    desk.places.point(session, form.lon, form.lat, CRS.WGS84)
                except BadInput as exc:
                    raise Open311Error(400, [(400, f"{exc.message}（lat={form.lat}, long={form.lon}）")]) from None
        text = form.description
        if not text:
            topic = f"·{TOPIC_NAMES[form.topic]}" if form.topic is not None else ""
            text = f"（未填写描述）{form.service.name}{topic}"
        rest = text[DESK_TEXT_LIMIT:]
        try:
            body = DeskRequestCreate(
                category=form.service.category,
                topic=form.topic,
                text=text[:DESK_TEXT_LIMIT],
                lon=form.lon,
                lat=form.lat,
                crs=CRS.WGS84,
                address=form.address,
            )
        except ValidationError as exc:
            raise Open311Error(400, [(400, str(e.get("msg"))) for e in exc.errors(include_url=False)]) from None
        try:
            resident = desk.residents.sign_in(form.phone).resident
            actor = Actor(resident.id, Role.RESIDENT, None)
            posted = desk.requests.post(actor, body)
            if rest:
                desk.requests.follow_up(actor, posted.request_id, rest)
        except PinganError as exc:
            raise _refusal(exc) from None
        self._record(key_id, posted.request_id, form)
        notice = posted.view.welcome[2] if posted.view is not None else None
        return [{"service_request_id": posted.request_id, "service_notice": notice, "account_id": form.account_id}]

    def _record(self, key_id: int, request_id: int, form: PostInput) -> None:
        """Keep what only Open311 knows beside the request. The request itself is already committed,
        so a failure here is logged rather than turned into an error the client would retry."""
        now = self.clock.now()
        try:
            with self.desk.requests.write() as session:
                key = session.get(Open311ApiKey, key_id)
                session.add(
                    Open311Request(
                        request_id=request_id,
                        api_key_id=key_id,
                        token=secrets.token_hex(8),
                        account_id=form.account_id,
                        device_id=form.device_id,
                        media_url=form.media_url,
                        created_at=now,
                    )
                )
                # The desk has no staff-only note for the system yet, so the row is written here.
                session.add(
                    DeskMessage(
                        request_id=request_id,
                        at=now,
                        author_kind=AuthorKind.SYSTEM,
                        author_id=None,
                        unit_id=None,
                        body=_channel_note(key.name if key else f"#{key_id}", form),
                        internal=True,
                    )
                )
                if key is not None:
                    key.last_used_at = now
        except Exception:
            log.exception("open311: request %s was created but its Open311 record was not stored", request_id)

    # -- reading -----------------------------------------------------------------------------------

    def _facts(self, session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
        names = self.desk.requests.names(session)
        out = []
        for row in rows:
            svc = service(row.category.value)
            if svc is None:  # a category the catalogue does not publish
                continue
            place = "".join(names.areas.get(a, "") for a in (row.station_id, row.community_id) if a is not None)
            facts = RequestFacts(
                id=row.id,
                category=row.category,
                topic=row.topic,
                text=row.text or "",
                address=row.address,
                lon=row.lon,
                lat=row.lat,
                place=place or None,
                status=row.status.value,
                is_open=bool(row.is_open),
                resolution=row.resolution.value if row.resolution is not None else None,
                merged_into_id=row.merged_into_id,
                replied=row.first_reply_at is not None,
                agency=names.units.get(row.unit_id) if row.unit_id is not None else None,
                diverted=row.route is Route.GOVERNANCE,
                created_at=row.created_at,
                updated_at=row.updated_at,
                closed_at=row.closed_at,
                reply_due_at=row.reply_due_at,
                media_url=row.media_url,
            )
            out.append(request_entry(facts, svc, self.zone))
        return out

    def _select(self) -> Any:
        return select(*_COLUMNS).outerjoin(Open311Request, Open311Request.request_id == DeskRequest.id)

    def requests(self, params: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
        """GET Service Requests: by ids (which override everything else), or by service code, dates
        and status within the spec's 90 days, newest first, at most 1000."""
        ids_raw = _values(params, "service_request_id")
        if ids_raw:
            try:
                ids = sorted({int(i) for i in ids_raw})
            except ValueError:
                raise Open311Error(400, [(400, "service_request_id 须为数字（多个以逗号分隔）")]) from None
            query = self._select().where(DeskRequest.id.in_(ids[:MAX_REQUESTS])).order_by(DeskRequest.id.desc())
            with self.db.session() as session:
                return self._facts(session, session.execute(query).all())
        problems: list[tuple[int, str]] = []
        codes = _values(params, "service_code")
        categories = [svc.category for svc in (service(c) for c in codes) if svc is not None]
        statuses = set(_values(params, "status"))
        if statuses - {"open", "closed"}:
            problems.append((400, "status 只能是 open 或 closed（多个以逗号分隔）"))
        bounds: dict[str, datetime | None] = {}
        for name in ("start_date", "end_date"):
            raw = next((v for v in params.get(name, ()) if v.strip()), None)
            try:
                bounds[name] = parse_w3(raw, self.zone) if raw is not None else None
            except ValueError:
                problems.append((400, f"{name} 须为 W3C 日期时间格式，如 2026-01-01T00:00:00+08:00"))
        span: Window | None = None
        if not problems:
            try:
                span = window(bounds.get("start_date"), bounds.get("end_date"), self.clock.now())
            except ValueError as exc:
                problems.append((400, str(exc)))
        if problems or span is None:
            raise Open311Error(400, problems)
        if codes and not categories:
            return []
        query = self._select().where(DeskRequest.created_at >= span.start, DeskRequest.created_at <= span.end)
        if categories:
            query = query.where(DeskRequest.category.in_(categories))
        if statuses == {"open"}:
            query = query.where(DeskRequest.is_open.is_(True))
        elif statuses == {"closed"}:
            query = query.where(DeskRequest.is_open.is_(False))
        query = query.order_by(DeskRequest.created_at.desc(), DeskRequest.id.desc()).limit(MAX_REQUESTS)
        with self.db.session() as session:
            return self._facts(session, session.execute(query).all())

    def request(self, raw_id: str) -> list[dict[str, Any]]:
        """GET Service Request: a list of one, or 404."""
        try:
            request_id = int(raw_id)
        except ValueError:
            raise not_found(f"service_request_id {raw_id[:32]} 不存在") from None
        with self.db.session() as session:
            found = self._facts(session, session.execute(self._select().where(DeskRequest.id == request_id)).all())
        if not found:
            raise not_found(f"service_request_id {request_id} 不存在")
        return found

    def token(self, token: str) -> list[dict[str, Any]]:
        """GET service_request_id from a token."""
        with self.db.session() as session:
            request_id = session.scalar(select(Open311Request.request_id).where(Open311Request.token == token[:32]))
        if request_id is None:
            raise not_found(f"token {token[:32]} 不存在")
        return [{"service_request_id": request_id, "token": token}]


def _channel_note(client: str, form: PostInput) -> str:
    parts = [f"经 Open311 接口提交（客户端：{client}）"]
    name = "".join(p for p in (form.last_name, form.first_name) if p)
    for label, value in (
        ("联系人", name or None),
        ("邮箱", form.email),
        ("客户端账号", form.account_id),
        ("设备", form.device_id),
        ("附件链接", form.media_url),
    ):
        if value:
            parts.append(f"{label}：{value}")
    return "；".join(parts)
