"""核查清单 routes: lists pushed down by an upper platform (its key in `X-Platform-Key`) or the centre, their
progress and their rows. Each row's task is worked through the one task API."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, UploadFile
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pingan.api.deps import BearerToken, CurrentUser, ServicesDep, SessionDep, key_or_user
from pingan.bootstrap import Services
from pingan.command.verify.keys import is_platform, user_of_key
from pingan.command.verify.models import VerifyItem, VerifyList
from pingan.command.verify.queries import list_items, list_lists, list_progress
from pingan.command.verify.schemas import VerifyListIn
from pingan.command.verify.service import LOCAL_SOURCE, ListHeader, PushResult, read_rows_csv_bytes
from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.fields import DbId, FreeText
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, AccessLog, Role, Task, User
from pingan.core.scope import REVEAL_ROLES, Scope, scope_of

router = APIRouter(prefix="/verify", tags=["verify"])

PUSH_ROLES = COUNTY_WIDE_ROLES
STATION_ROLES = frozenset({Role.STATION_HEAD, Role.OFFICER})


def get_platform_caller(
    services: ServicesDep,
    session: SessionDep,
    token: BearerToken,
    key: Annotated[
        str | None,
        Header(
            alias="X-Platform-Key",
            max_length=100,
            description="An upper platform's key (`pingan verify key create NAME`).",
        ),
    ] = None,
) -> User:
    """The caller: the account of a platform's key (`X-Platform-Key`), or a signed-in user."""
    return key_or_user(services, session, token, key, user_of_key, "平台接口密钥无效或已吊销")


PlatformCaller = Annotated[User, Depends(get_platform_caller)]


def _reader(session: Session, user: User) -> tuple[Scope, ColumnElement[bool] | None, ColumnElement[bool] | None]:
    """Who reads which lists and rows: (scope, the lists' clause, the rows' clause); refuses everyone else.

    The centres read every list whole; a platform its own lists whole; station staff the lists that gave
    their station rows, over those rows only. In a deployment of several counties a county's centres read
    as station staff do, over their county: the lists that gave it rows, those rows only."""
    scope = scope_of(session, user)
    if user.role in COUNTY_WIDE_ROLES and scope.county_wide:
        return scope, None, None
    if user.role is Role.PARTNER and is_platform(session, user):
        return scope, VerifyList.pushed_by == user.id, None
    if user.role in STATION_ROLES or user.role in COUNTY_WIDE_ROLES:
        return scope, None, scope.clause(VerifyItem.unit_id, VerifyItem.area_id)
    raise Forbidden("当前角色无权查看核查清单")


def _pusher(session: Session, user: User) -> str:
    """The source a user's lists are pushed as: the platform's name, or the county's own centre."""
    if user.role in PUSH_ROLES:
        return LOCAL_SOURCE
    if user.role is Role.PARTNER and is_platform(session, user):
        return user.display_name[:64]
    raise Forbidden("当前角色不能推送核查清单")


def _answer(result: PushResult) -> dict[str, Any]:
    out = result.as_dict()
    if not result.accepted and not result.duplicates and result.rejected:
        first = result.rejected[0]
        raise BadInput(
            f"第 {first.line} 行：{first.message}（清单未保存）",
            field=f"rows[{first.line}].{first.field}" if first.field else f"rows[{first.line}]",
            code="no_valid_row",
        )
    return out


@router.post("/lists")
def push_list(services: ServicesDep, session: SessionDep, user: PlatformCaller, body: VerifyListIn) -> dict[str, Any]:
    """Push a list (`rows`: objects with `id`, `kind` person|place, `name`, `id_number`, `phone`, `address`,
    `lon`/`lat`/`crs`, `note`): each good row becomes a verification task for its station. A replay of the same
    list `id` adds only the rows it did not hold; each bad row is named by its index (`line`) and field. A
    platform's key pushes as that platform; a signed-in centre user as the county's own centre (or `source`)."""
    source = _pusher(session, user)
    if user.role in PUSH_ROLES and body.source:
        source = body.source
    header = ListHeader(body.id, body.title, source, body.reason, body.due_at, body.due_hours)
    rows = list(enumerate(body.rows, start=1))
    return _answer(services.verify.push_in(session, header, rows, user.id))


@router.post("/lists/upload")
async def upload_list(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="CSV: id,kind,name,id_number,phone,address,lon,lat,crs,note")],
    title: Annotated[FreeText, Form(min_length=1, max_length=200)],
    list_id: Annotated[str | None, Form(alias="id", max_length=128)] = None,
    reason: Annotated[FreeText | None, Form(max_length=2000)] = None,
    due_hours: Annotated[int | None, Form(ge=1, le=100_000)] = None,
) -> dict[str, Any]:
    """A list as a CSV file (the columns of `pingan verify push`): the header is checked first, each bad row is
    named by its line and field, the good ones kept. Without `id`, the file's content is the list's identity,
    so uploading the same file twice creates nothing twice."""
    source = _pusher(session, user)
    raw = await file.read()
    rows = await run_in_threadpool(read_rows_csv_bytes, raw)
    ident = list_id or "file:" + hashlib.sha256(raw).hexdigest()[:32]
    header = ListHeader(ident, title, source, reason, None, due_hours)
    return _answer(services.verify.push_in(session, header, rows, user.id))


@router.get("/lists")
def get_lists(
    services: ServicesDep,
    session: SessionDep,
    user: PlatformCaller,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """The lists the caller may follow, newest first, each with its rows, done, open, overdue and done rate."""
    _scope, lists, rows = _reader(session, user)
    return list_lists(session, services.clock.now(), lists_clause=lists, rows_clause=rows, limit=limit, offset=offset)


def _visible_list(session: Session, user: User, list_id: int) -> tuple[VerifyList, ColumnElement[bool] | None]:
    _scope, lists, rows = _reader(session, user)
    query = select(VerifyList).where(VerifyList.id == list_id)
    if lists is not None:
        query = query.where(lists)
    if rows is not None:
        query = query.where(select(VerifyItem.id).where(VerifyItem.list_id == VerifyList.id, rows).exists())
    vlist = session.scalar(query)
    if vlist is None:
        raise NotFound("清单不存在或不可见", field="list_id")
    return vlist, rows


@router.get("/lists/{list_id}")
def get_list(services: ServicesDep, session: SessionDep, user: PlatformCaller, list_id: DbId) -> dict[str, Any]:
    """A list's progress: rows, done, open, overdue, per station, and the findings (反馈)."""
    vlist, rows = _visible_list(session, user, list_id)
    return list_progress(session, vlist, services.clock.now(), rows_clause=rows)


@router.get("/lists/{list_id}/items")
def get_items(
    services: ServicesDep,
    session: SessionDep,
    user: PlatformCaller,
    list_id: DbId,
    open_only: Annotated[bool, Query(alias="open")] = False,
    reveal: Annotated[bool, Query(description="Unmasked names, ID numbers, phones (each row recorded).")] = False,
    purpose: Annotated[str, Query(max_length=200)] = "核查清单",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """A list's rows in order, each with its station, finding, measures and task (the user's allowed actions);
    personal data masked unless `reveal=true` (roles that need it; every row shown is recorded)."""
    vlist, rows_clause = _visible_list(session, user, list_id)
    if reveal and user.role not in REVEAL_ROLES:
        raise Forbidden("当前角色不能查看完整个人信息", field="reveal")
    now = services.clock.now()
    rows, out = list_items(
        session,
        vlist,
        now,
        brief=services.tasks.brief,
        rows_clause=rows_clause,
        open_only=open_only,
        reveal=reveal,
        limit=limit,
        offset=offset,
    )
    if reveal:
        session.add_all(
            AccessLog(
                at=now,
                user_id=user.id,
                subject_type="verify_item",
                subject_id=r.id,
                fields="name,id_number,phone,address",
                purpose=f"{purpose}（清单 {vlist.id} 第 {r.line} 行）"[:200],
            )
            for r in rows
        )
    _with_actions(services, session, user, out["items"])
    return out


def _with_actions(services: Services, session: Session, user: User, items: list[dict[str, Any]]) -> None:
    actor, scope = Actor.of(user), scope_of(session, user)
    for item in items:
        if item["task"] is None:
            continue
        task = session.get(Task, item["task"]["id"])
        item["task"]["allowed_actions"] = sorted(services.tasks.permitted(actor, scope, task)) if task else []
