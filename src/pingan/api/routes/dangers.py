"""Hidden dangers' HTTP edge under /api/v1/command/dangers (隐患整治): findings, their departments' progress,
photos, the map and the figures. The task actions (签收, 提请验收, 验收…) go through `POST /tasks/{id}/actions`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import AwareDatetime
from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, figure_period, require
from pingan.command.dangers import queries
from pingan.command.dangers.models import Danger, DangerKind, DangerPhoto, DangerState, PhotoStage
from pingan.command.dangers.schemas import DangerCreate
from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.fields import DbId
from pingan.core.identity import Actor
from pingan.core.models import Role, User
from pingan.core.scope import Scope

router = APIRouter(prefix="/command/dangers", tags=["command"])

STAFF = (Role.ADMIN, Role.ANALYST, Role.COMMANDER, Role.STATION_HEAD, Role.OFFICER, Role.GOVERNANCE)
"""The centres, the stations (their area's findings) and the departments (the findings they work on)."""
MAX_PHOTOS = 9


def _danger(session: Session, user: User, scope: Scope, danger_id: int) -> Danger:
    require(user, *STAFF)
    danger = session.scalar(select(Danger).where(Danger.id == danger_id, queries.visible_clause(scope)))
    if danger is None:
        raise NotFound("隐患不存在或不在本单位范围", field="danger_id")
    return danger


@router.post("", status_code=201)
def create(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, body: DangerCreate
) -> dict[str, Any]:
    """Record a finding (the centres anywhere; a station in its own area): the lead department gets the
    `hidden_danger` task, each co-department a `hidden_danger_part`. A `source_id` sent again returns the first."""
    require(user, *STAFF)
    danger = services.dangers.create(session, Actor.of(user), scope, body)
    return queries.detail(session, danger, services.clock.now())


@router.get("")
def list_dangers(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    kind: DangerKind | None = None,
    state: DangerState | None = None,
    area_id: DbId | None = None,
    unit_id: Annotated[DbId | None, Query(description="Findings this department leads or works on.")] = None,
    overdue: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Findings the user sees, earliest deadline first, with the true total."""
    require(user, *STAFF)
    now = services.clock.now()
    stmt = queries.filtered(
        scope, now=now, kind=kind, state=state, area_id=area_id, unit_id=unit_id, overdue=overdue, q=q
    )
    total, rows = queries.page(session, stmt, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "items": queries.summaries(session, rows, now)}


@router.get("/map")
def danger_map(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    kind: DangerKind | None = None,
    state: DangerState | None = None,
    area_id: DbId | None = None,
    overdue: bool | None = None,
) -> dict[str, Any]:
    """GeoJSON points of the findings the user sees (at most 5,000, earliest deadline first)."""
    require(user, *STAFF)
    now = services.clock.now()
    stmt = queries.filtered(scope, now=now, kind=kind, state=state, area_id=area_id, overdue=overdue)
    _total, rows = queries.page(session, stmt, 5000, 0)
    return queries.geojson(session, rows, now)


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
    """Found, rectified (on time), open and overdue by kind and area, the same period a year earlier (同比),
    and the year's targets against what was rectified in that year so far; default period: the last 30 days."""
    require(user, *STAFF)
    start, end = figure_period(services, start, end)
    if area_id is not None and not scope.county_wide and area_id not in scope.area_ids:
        raise Forbidden("该辖区不在本单位范围", field="area_id")
    where = queries.visible_clause(scope)
    if area_id is not None:
        where = and_(where, queries.area_clause(area_id))
    return queries.figures(session, services.dangers.rules, start, end, services.clock.now(), where)


@router.get("/{danger_id}")
def detail(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, danger_id: DbId
) -> dict[str, Any]:
    """A finding with its plan, its departments' progress and its photos."""
    danger = _danger(session, user, scope, danger_id)
    return queries.detail(session, danger, services.clock.now())


@router.get("/{danger_id}/progress")
def progress(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, danger_id: DbId
) -> list[dict[str, Any]]:
    """Per department (the lead first): its duty, its task's step and deadline, overdue, its report."""
    danger = _danger(session, user, scope, danger_id)
    return queries.progress(session, danger, services.clock.now())


@router.post("/{danger_id}/photos", status_code=201)
async def add_photos(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    danger_id: DbId,
) -> list[dict[str, Any]]:
    """Photos as multipart `files` (JPEG/PNG/WebP, sniffed by their bytes) with a `stage`: `before` (anyone who
    sees the finding), `after` (its departments), `acceptance` (the police)."""
    danger = _danger(session, user, scope, danger_id)
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        raise BadInput("请以 multipart/form-data 上传照片", field="body", code="unsupported_content_type")
    try:
        form = await request.form(max_files=MAX_PHOTOS + 1, max_fields=10)
    except Exception as exc:  # malformed multipart: starlette raises its own errors
        raise BadInput(f"表单格式错误：{getattr(exc, 'detail', exc)}", field="body", code="invalid_form") from None
    limit = services.dangers.photos.read_limit
    stage_raw = form.get("stage")
    try:
        stage = PhotoStage(stage_raw if isinstance(stage_raw, str) else "")
    except ValueError:
        raise BadInput("stage 须为 before、after 或 acceptance", field="stage") from None
    files: list[tuple[str | None, str | None, bytes]] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != "files":
                raise BadInput("文件字段须命名为 files", field=key, code="unknown_field")
            files.append((value.filename, value.content_type, await value.read(limit)))
        elif key != "stage":
            raise BadInput(f"未知字段 {key}", field=key, code="unknown_field")
    rows = services.dangers.add_photos(session, Actor.of(user), scope, danger, stage, files)
    ids = {r.id for r in rows}
    return [p for p in queries.photos(session, danger.id) if p["id"] in ids]


@router.get(
    "/{danger_id}/photos/{photo_id}",
    response_class=FileResponse,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def photo(
    services: ServicesDep, session: SessionDep, user: CurrentUser, scope: ScopeDep, danger_id: DbId, photo_id: DbId
) -> FileResponse:
    """One photo of a finding the user sees."""
    danger = _danger(session, user, scope, danger_id)
    row = session.get(DangerPhoto, photo_id)
    if row is None or row.danger_id != danger.id:
        raise NotFound("照片不存在", field="photo_id")
    path = services.dangers.photos.path_of(row.path)
    if not path.is_file():
        raise NotFound("照片文件缺失", field="photo_id")
    return FileResponse(
        path,
        media_type=row.mime,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=3600",
            "Content-Disposition": "inline",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
