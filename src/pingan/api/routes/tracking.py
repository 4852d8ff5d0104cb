"""Tracking's HTTP edge under /api/v1/tracking (民生地网): the registry, detections, stations, tracks,
thefts, alerts, safe areas and figures; and the owner's own tags for the residents' page."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime
from sqlalchemy import false, select, true
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pingan.api.body import limit_batch
from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period, require
from pingan.api.schemas import batch_body
from pingan.core.csvfile import CsvColumns, read_csv
from pingan.core.errors import BadInput, Forbidden, NotFound, UnsupportedMediaType
from pingan.core.fields import DbId
from pingan.core.identity import Actor
from pingan.core.models import AccessLog, Role, User
from pingan.core.scope import REVEAL_ROLES, Scope
from pingan.tracking import queries
from pingan.tracking.models import Alert, AlertKind, Tag, Theft
from pingan.tracking.schemas import (
    CompensationCreate,
    ImportResult,
    IngestResult,
    RecoveryCreate,
    SafeAreaUpdate,
    StationRow,
    TagRow,
    TheftCreate,
)

router = APIRouter(prefix="/tracking", tags=["tracking"])

# The batch endpoints read their bodies themselves (to keep the good items of a bad batch); the document
# still says what they take.


def _with_csv(schema: dict[str, Any]) -> dict[str, Any]:
    """A registry batch's body: JSON, or the CSV file of the CLI's import as a multipart upload."""
    upload = {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}
    schema["requestBody"]["content"]["multipart/form-data"] = {"schema": upload}
    return schema


_TAGS_SCHEMA = _with_csv(batch_body("TagRow", "tags"))
_STATIONS_SCHEMA = _with_csv(batch_body("StationRow", "stations"))
_DETECTIONS_SCHEMA = batch_body("DetectionIn", "detections")
_STATUS_SCHEMA = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StationStatusIn"}}},
    }
}

STAFF = (Role.ADMIN, Role.ANALYST, Role.COMMANDER, Role.STATION_HEAD, Role.OFFICER)
REGISTRARS = (Role.ADMIN, Role.COMMANDER, Role.PARTNER)
"""Who registers tags and stations: the admin, the centre, the operating company's liaison."""
FEEDS = (Role.ADMIN, Role.PARTNER)
"""Who may post detections and heartbeats over HTTP (the operating company's gateway account)."""


async def _items(request: Request, key: str) -> list[Any]:
    """A JSON batch: an array, or an object holding one under `key`. Items are checked one by one later."""
    if "json" not in request.headers.get("content-type", "application/json"):
        raise UnsupportedMediaType("请求体须为 JSON（Content-Type: application/json）", field="body")
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"请求体不是有效的 JSON：{exc.msg}", field="body") from None
    if isinstance(body, dict) and isinstance(body.get(key), list):
        body = body[key]
    if not isinstance(body, list):
        raise BadInput(f"请求体须为数组，或含 {key} 数组的对象", field="body")
    return body


async def _rows(request: Request, key: str, model: type[Any]) -> list[tuple[int, Any]]:
    """The registry's rows: a JSON batch (numbered from 0), or a CSV file uploaded as the form field `file`
    with the columns of `pingan tags|stations import` (numbered by its lines, as the CLI reports them)."""
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        return list(enumerate(await _items(request, key)))
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise BadInput("请上传 CSV 文件（表单字段 file）", field="file")
    raw = await upload.read()
    return await run_in_threadpool(_read_csv_bytes, raw, model)


def _read_csv_bytes(raw: bytes, model: type[Any]) -> list[tuple[int, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(raw)
        try:
            return list(read_csv(path, CsvColumns.of(model)))
        except BadInput as exc:
            raise BadInput(f"CSV 文件有误：{exc.message}", field="file") from None


# -- the registry ------------------------------------------------------------------------------------------


@router.post("/tags", response_model=ImportResult, openapi_extra=_TAGS_SCHEMA)
async def import_tags(request: Request, services: ServicesDep, user: CurrentUser) -> ImportResult:
    """Register tags: the CSV columns as JSON objects, or the CSV file itself (multipart, field `file`); a
    replay changes nothing, bad items are named (by index, or by the file's line)."""
    require(user, *REGISTRARS)
    rows = await _rows(request, "tags", TagRow)
    limit_batch(rows, services.settings.max_batch_events, "body")
    return services.tracking.import_tags(rows)


@router.post("/stations", response_model=ImportResult, openapi_extra=_STATIONS_SCHEMA)
async def import_stations(request: Request, services: ServicesDep, user: CurrentUser) -> ImportResult:
    """Register base stations: code, name, lon, lat, village, radius_m (optional crs, silence_minutes), as
    JSON objects or the CSV file itself (multipart, field `file`)."""
    require(user, *REGISTRARS)
    rows = await _rows(request, "stations", StationRow)
    limit_batch(rows, services.settings.max_batch_events, "body")
    return services.tracking.import_stations(rows)


@router.get("/tags")
def list_tags(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    reveal: Annotated[bool, Query(description="Unmasked owners (the read is recorded).")] = False,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Tags whose owner lives in the user's jurisdiction, owners masked unless revealed."""
    require(user, *STAFF)
    if reveal and user.role not in REVEAL_ROLES:
        raise Forbidden("当前角色不能查看完整个人信息", field="reveal")
    stmt = select(Tag).where(queries.tag_clause(scope))
    if kind:
        stmt = stmt.where(Tag.kind == kind)
    rows = session.scalars(stmt.order_by(Tag.code).limit(limit).offset(offset)).all()
    if reveal and rows:
        for tag in rows:
            session.add(
                AccessLog(
                    at=services.clock.now(),
                    user_id=user.id,
                    subject_type="tracking_tag",
                    subject_id=tag.id,
                    fields="owner_name,owner_phone,wearer_name",
                    purpose="地网标签登记查询",
                )
            )
    return {"items": [queries.tag_view(session, t, reveal=reveal) for t in rows], "limit": limit, "offset": offset}


def _tag(session: Session, user: User, scope: Scope, code: str) -> Tag:
    """A tag for its owner or staff who may see it: another role is refused (403) before the tag is looked up."""
    if user.role is not Role.RESIDENT:
        require(user, *STAFF)
    tag = session.scalar(select(Tag).where(Tag.code == code))
    if tag is None or not queries.may_see_tag(session, user, scope, tag):
        raise NotFound("标签不存在或不在本单位辖区", field="tag")
    return tag


def _scope_of(session: Session, user: User) -> Scope:
    from pingan.core.scope import scope_of

    return scope_of(session, user)


@router.get("/tags/{tag}/track")
def track(
    session: SessionDep,
    user: CurrentUser,
    tag: str,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """A tag's sightings in time order as GeoJSON (a LineString and a Point per sighting, impossible jumps
    flagged). Its owner (the resident signed in with its phone) and staff of the owner's jurisdiction."""
    found = _tag(session, user, _scope_of(session, user), tag)
    if start is not None and end is not None and end <= start:
        raise BadInput("to 须晚于 from", field="to")
    return queries.track(session, found, start, end)


@router.put("/tags/{tag}/safe-area")
def set_safe_area(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, tag: str, body: SafeAreaUpdate
) -> dict[str, Any]:
    """A bracelet wearer's safe area: a set of base stations and/or a polygon; its own silence threshold."""
    require(user, *STAFF)
    found = _tag(session, user, scope, tag)
    services.tracking.set_safe_area(session, found, body)
    return queries.tag_view(session, found, reveal=False)


@router.get("/me/tags")
def my_tags(services: ServicesDep, session: SessionDep, user: CurrentUser) -> list[dict[str, Any]]:
    """The resident's own tags (by the phone they signed in with), each with its alerts of the last 30 days
    (`alerts`: kind, at, last_at, station_name, heading, open; a guardian sees the wearer's)."""
    if user.role is not Role.RESIDENT:
        raise Forbidden("仅限群众本人", field="role")
    rows = session.scalars(select(Tag).where(queries.owner_clause(user.phone)).order_by(Tag.code)).all()
    since = services.clock.now() - timedelta(days=30)
    out = []
    for tag in rows:
        view = queries.tag_view(session, tag, reveal=True)
        # A guardian's view of the wearer's episodes (left the safe area, silent, removed …), newest first:
        # what, when and where, not the police's tasks.
        recent = queries.list_alerts(session, Alert.tag_id == tag.id, kind=None, since=since, limit=10)
        view["alerts"] = [{k: a[k] for k in _OWNER_ALERT_FIELDS} for a in recent]
        out.append(view)
    return out


_OWNER_ALERT_FIELDS = ("kind", "at", "last_at", "station_name", "heading", "open")


# -- detections and stations --------------------------------------------------------------------------------


@router.post("/detections", response_model=IngestResult, openapi_extra=_DETECTIONS_SCHEMA)
async def post_detections(request: Request, services: ServicesDep, user: CurrentUser) -> IngestResult | JSONResponse:
    """A batch of detections (array or `{"detections": [...]}`), each with its `station`; replays are
    duplicates, two stations' overlap is merged, bad items are named by index and field."""
    require(user, *FEEDS)
    items = await _items(request, "detections")
    limit_batch(items, services.settings.max_batch_events, "body")
    if services.streams is not None:
        # Several machines: validated here, stored by the stream workers (202: the alerts come after them).
        county = await run_in_threadpool(services.county_code)
        result = await run_in_threadpool(services.tracking.publish, items, services.streams, county)
        return JSONResponse(result.model_dump(mode="json"), status_code=202)
    return services.tracking.ingest(items)


@router.post("/stations/{code}/status", status_code=204, openapi_extra=_STATUS_SCHEMA)
async def heartbeat(request: Request, services: ServicesDep, user: CurrentUser, code: str) -> None:
    """A base station's heartbeat over HTTP (its MQTT twin is pingan/stations/{code}/status)."""
    require(user, *FEEDS)
    try:
        body = orjson.loads(await request.body() or b"{}")
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"请求体不是有效的 JSON：{exc.msg}", field="body") from None
    if not isinstance(body, dict):
        raise BadInput("心跳须为 JSON 对象", field="body")
    with services.db.session() as session:
        if not services.tracking.heartbeat(session, code, body):
            raise NotFound("未登记的基站", field="code")


@router.get("/stations")
def stations(services: ServicesDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Base stations as GeoJSON points with their health: last heard, detections in the last hour, silent."""
    require(user, *STAFF, Role.PARTNER)
    return queries.stations_geojson(queries.station_health(session, services.clock.now(), services.tracking.rules))


@router.get("/coverage")
def coverage(services: ServicesDep, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Villages covered by a base station, of the county's villages; the stations' circles as GeoJSON."""
    require(user, *STAFF, Role.PARTNER)
    return queries.coverage(session, services.tracking.rules)


# -- thefts and alerts ---------------------------------------------------------------------------------------


def _theft(session: Session, scope: Scope, user: User, theft_id: int) -> Theft:
    """A theft for staff of its jurisdiction: another role is refused (403) before the theft is looked up."""
    require(user, *STAFF)
    theft = session.get(Theft, theft_id)
    if theft is None or not (scope.county_wide or theft.area_id in scope.area_ids):
        raise NotFound("被盗登记不存在或不在本单位辖区", field="theft_id")
    return theft


def _theft_view(session: Session, theft: Theft) -> dict[str, Any]:
    tag = session.get(Tag, theft.tag_id)
    return queries.theft_view(theft, tag.code if tag else "")


@router.post("/thefts", status_code=201)
def report_theft(services: ServicesDep, session: SessionDep, user: CurrentUser, body: TheftCreate) -> dict[str, Any]:
    """Report a tagged vehicle stolen: the owner (on /m), or staff of the owner's jurisdiction (the desk, a
    station). From now on its next detection raises an alert to the detecting and the owner's stations."""
    tag = session.scalar(select(Tag).where(Tag.code == body.tag))
    scope = _scope_of(session, user)
    if user.role is Role.RESIDENT:
        if tag is None or tag.owner_phone != user.phone:
            raise NotFound("标签不存在或不属于本人", field="tag")
    else:
        require(user, *STAFF)
        if tag is None or not queries.may_see_tag(session, user, scope, tag):
            raise NotFound("标签不存在或不在本单位辖区", field="tag")
    theft = services.tracking.report_theft(session, Actor.of(user), body)
    return _theft_view(session, theft)


@router.get("/thefts")
def list_thefts(session: SessionDep, user: CurrentUser, scope: ScopeDep) -> list[dict[str, Any]]:
    newest_report_first = (Theft.reported_at.desc(), Theft.id.desc())
    if user.role is Role.RESIDENT:
        mine = select(Tag.id).where(queries.owner_clause(user.phone))
        rows = session.scalars(select(Theft).where(Theft.tag_id.in_(mine)).order_by(*newest_report_first)).all()
    else:
        require(user, *STAFF)
        clause = true() if scope.county_wide else (Theft.area_id.in_(scope.area_ids) if scope.area_ids else false())
        rows = session.scalars(select(Theft).where(clause).order_by(*newest_report_first).limit(500)).all()
    return [_theft_view(session, t) for t in rows]


@router.post("/thefts/{theft_id}/recovery")
def recover(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, theft_id: DbId, body: RecoveryCreate
) -> dict[str, Any]:
    """Record the recovery: where, by whom (the user), suspects caught; the theft's task closes."""
    theft = _theft(session, scope, user, theft_id)
    services.tracking.recover(session, Actor.of(user), scope, theft, body)
    return _theft_view(session, theft)


@router.post("/thefts/{theft_id}/compensation")
def compensate(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    theft_id: DbId,
    body: CompensationCreate,
) -> dict[str, Any]:
    """Record the insurer's payout under the agreement (the station's certificate, the owner's invoices);
    refused with `not_eligible` until one of its terms holds."""
    theft = _theft(session, scope, user, theft_id)
    services.tracking.compensate(session, Actor.of(user), scope, theft, body)
    return _theft_view(session, theft)


@router.get("/thefts/{theft_id}")
def theft(session: SessionDep, user: CurrentUser, scope: ScopeDep, theft_id: DbId) -> dict[str, Any]:
    return _theft_view(session, _theft(session, scope, user, theft_id))


@router.get("/alerts")
def alerts(
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    kind: AlertKind | None = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    since: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Alerts held by the user's unit or lying in their jurisdiction, newest first (event time `at`, and
    `detected_at` when Pingan raised it)."""
    require(user, *STAFF)
    return queries.list_alerts(session, queries.alert_clause(scope), kind=kind, tag=tag, since=since, limit=limit)


@router.get("/figures")
def figures(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    start: AwareDatetime | None = None,
    end: AwareDatetime | None = None,
    area_id: DbId | None = None,
) -> dict[str, Any]:
    """Cards installed, thefts, recovered, recovery rate, payouts and suspects caught, for a period (default:
    the last 30 days) and an area (default: the user's jurisdiction; the county for county-wide roles)."""
    require(user, *STAFF)
    start, end = figure_period(services, start, end)
    if area_id is not None:
        if not scope.county_wide and area_id not in scope.area_ids:
            raise Forbidden("该辖区不在本单位范围", field="area_id")
        areas: list[int] | None = queries.areas_under(session, area_id)
    else:
        areas = None if scope.county_wide else sorted(scope.area_ids)
    return queries.figures(session, start, end, areas)
