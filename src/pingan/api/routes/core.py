"""Core routes: health, log-in, the user's units and areas, notifications and the task worklist."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import aliased

from pingan import __version__
from pingan.api.deps import BearerToken, ClientAddress, CurrentUser, ScopeDep, ServicesDep, SessionDep, require
from pingan.api.schemas import Health, LookupRequest, LookupResult, TenancyPublic, Token, UserPublic
from pingan.bootstrap import Services
from pingan.core.errors import BadInput, Forbidden, NotFound, Unauthorized
from pingan.core.fields import DbId
from pingan.core.identity import (
    Actor,
    hash_password,
    issue_token,
    record_auth_event,
    refresh_token,
    revoke_tokens,
    set_active,
    set_duties,
    set_role,
    user_from_token,
    verify_password,
)
from pingan.core.models import (
    AccessLog,
    Area,
    AreaKind,
    AuthEvent,
    AuthEventKind,
    Duty,
    Notification,
    Role,
    Task,
    TaskEvent,
    Unit,
    User,
)
from pingan.core.scope import Scope, manages_account, scope_of, tenant_area
from pingan.core.streams import StreamName, dead_letters
from pingan.core.tasks.engine import TaskFilter

router = APIRouter()


@router.get("/health", response_model=Health, tags=["system"])
def health(services: ServicesDep) -> Health:
    """Open: whether the service and its database answer."""
    with services.db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__, database=services.db.engine.dialect.name)


def _user_public(session: Any, user: User) -> UserPublic:
    unit = session.get(Unit, user.unit_id) if user.unit_id else None
    return UserPublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role.value,
        unit_id=user.unit_id,
        unit_name=unit.name if unit else None,
        unit_kind=unit.kind.value if unit else None,
        duties=sorted(user.duties or []),
        tenancy=_tenancy(session, user),
    )


def _tenancy(session: Any, user: User) -> TenancyPublic | None:
    counties = session.scalar(select(func.count()).select_from(Area).where(Area.kind == AreaKind.COUNTY)) or 0
    if user.unit_id is None or counties < 2:
        return None
    top = tenant_area(session, user.unit_id)
    area = session.get(Area, top) if top is not None else None
    return TenancyPublic(code=area.code, name=area.name, kind=area.kind.value) if area is not None else None


def _ttls(services: Services, user: User) -> tuple[timedelta, timedelta]:
    """(a token's life, how long refreshes may extend the sign-in) for this user's kind of account."""
    settings = services.settings
    if user.role is Role.RESIDENT:
        return timedelta(minutes=settings.desk_resident_token_minutes), timedelta(
            days=settings.desk_resident_session_days
        )
    return timedelta(minutes=settings.token_ttl_minutes), timedelta(minutes=settings.session_max_minutes)


def _token(services: Services, session: Any, user: User) -> Token:
    now = services.clock.now()
    ttl, _session_max = _ttls(services, user)
    return Token(
        access_token=issue_token(user, services.settings.signing_key(), now, ttl),
        expires_at=now + ttl,
        user=_user_public(session, user),
    )


@router.post("/auth/token", response_model=Token, tags=["auth"])
def login(
    services: ServicesDep,
    session: SessionDep,
    address: ClientAddress,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """OAuth2 password flow: username and password in a form, a bearer token back. Repeated failures lock the
    account, or the client address, out for a while (429 with `Retry-After`)."""
    user = services.logins.sign_in(form.username, form.password, address)
    signed_in = session.get(User, user.id)
    assert signed_in is not None  # just read by the guard
    return _token(services, session, signed_in)


@router.post("/auth/refresh", response_model=Token, tags=["auth"])
def refresh(services: ServicesDep, session: SessionDep, token: BearerToken) -> Token:
    """A fresh token for a valid one (staff and residents), up to the sign-in's maximum length; then the
    password (or a new SMS code) is asked again."""
    if not token:
        raise Unauthorized("请先登录")
    secret, now = services.settings.signing_key(), services.clock.now()
    user = user_from_token(session, token, secret, now)
    ttl, session_max = _ttls(services, user)
    user, fresh, expires = refresh_token(session, token, secret, now, ttl, session_max)
    return Token(access_token=fresh, expires_at=expires, user=_user_public(session, user))


@router.post("/auth/logout", status_code=204, tags=["auth"])
def logout(services: ServicesDep, session: SessionDep, user: CurrentUser, address: ClientAddress) -> None:
    """End the sign-in: every token of the user stops working (on every device; there is no token table)."""
    revoke_tokens(user)
    if user.role is not Role.RESIDENT:
        record_auth_event(session, AuthEventKind.LOGOUT, services.clock.now(), user=user, address=address)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256)


@router.post("/auth/password", response_model=Token, tags=["auth"])
def change_password(
    services: ServicesDep, session: SessionDep, user: CurrentUser, address: ClientAddress, body: PasswordChange
) -> Token:
    """A new password, given the old one: every earlier token is revoked, and a new one comes back. Wrong old
    passwords count as failed sign-ins (and lock out like them). Residents have no password (they sign in
    with a texted code): refused."""
    if user.role is Role.RESIDENT:
        raise Forbidden("居民账号以短信验证码登录，没有密码")
    now = services.clock.now()
    services.logins.check(session, user.username, address, now)
    if not verify_password(body.old_password, user.password_hash):
        # Kept although the answer is a refusal: the failure counts towards the lockout.
        services.logins.failed(session, user.username, address, now)
        session.commit()
        raise BadInput("原密码错误", field="old_password", code="wrong_password")
    if body.new_password == body.old_password:
        raise BadInput("新密码不能与原密码相同", field="new_password")
    user.password_hash = hash_password(body.new_password)
    revoke_tokens(user)
    record_auth_event(session, AuthEventKind.PASSWORD_CHANGED, now, user=user, address=address)
    session.flush()
    return _token(services, session, user)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool | None = None
    role: Role | None = None
    duties: list[Duty] | None = Field(default=None, max_length=10)
    """The clearances the user holds from now on (the whole list; `narcotics`: 禁毒)."""


@router.patch("/users/{user_id}", response_model=UserPublic, tags=["auth"])
def update_user(
    services: ServicesDep,
    session: SessionDep,
    admin: CurrentUser,
    address: ClientAddress,
    user_id: DbId,
    body: UserUpdate,
) -> UserPublic:
    """Deactivate or reactivate an account, or change its role (admin only): its tokens are revoked."""
    require(admin, Role.ADMIN)
    user = session.get(User, user_id)
    if user is None or (user.role is not Role.RESIDENT and not manages_account(scope_of(session, admin), user.unit_id)):
        # Another county's account is not there for a county's admin (as its warnings are not).
        raise NotFound("用户不存在", field="user_id")
    if user.id == admin.id and (body.active is False or (body.role is not None and body.role is not Role.ADMIN)):
        raise BadInput("不能停用自己或取消自己的管理员角色", field="active" if body.active is False else "role")
    now = services.clock.now()
    if body.role is not None:
        set_role(session, user, body.role, now, actor_id=admin.id, address=address)
    if body.active is not None:
        set_active(session, user, body.active, now, actor_id=admin.id, address=address)
    if body.duties is not None:
        set_duties(session, user, [d.value for d in body.duties], now, actor_id=admin.id, address=address)
    session.flush()
    return _user_public(session, user)


@router.get("/me", response_model=UserPublic, tags=["auth"])
def me(session: SessionDep, user: CurrentUser) -> UserPublic:
    return _user_public(session, user)


@router.get("/areas", tags=["jurisdictions"])
def areas(
    session: SessionDep,
    scope: ScopeDep,
    kind: AreaKind | None = None,
    geometry: Annotated[bool, Query(description="Include GeoJSON geometry.")] = False,
) -> dict[str, Any]:
    """The areas the user's role covers (all of them for county-wide roles)."""
    from shapely import wkb
    from shapely.geometry import mapping

    query = select(Area).where(Area.active).order_by(Area.code)
    if kind is not None:
        query = query.where(Area.kind == kind)
    if not scope.county_wide:
        query = query.where(Area.id.in_(scope.area_ids))
    features = []
    for area in session.scalars(query):
        features.append(
            {
                "type": "Feature",
                "id": area.id,
                "properties": {"id": area.id, "code": area.code, "name": area.name, "kind": area.kind.value},
                "geometry": mapping(wkb.loads(area.geometry)) if geometry and area.geometry else None,
            }
        )
    return {"type": "FeatureCollection", "features": features}


@router.post("/areas/lookup", response_model=list[LookupResult], tags=["jurisdictions"])
def lookup(services: ServicesDep, session: SessionDep, _user: CurrentUser, body: LookupRequest) -> list[LookupResult]:
    """Batch point → station lookup (WGS84 or GCJ-02 input)."""
    ids = services.jurisdictions.stations_at(
        session, [p.lon for p in body.points], [p.lat for p in body.points], body.crs
    )
    names = dict(session.execute(select(Area.id, Area.name).where(Area.id.in_({i for i in ids if i}))).all())
    return [LookupResult(station_id=i, station=names.get(i) if i else None) for i in ids]


@router.get("/units", tags=["jurisdictions"])
def units(session: SessionDep, _user: CurrentUser) -> list[dict[str, Any]]:
    return [
        {"id": u.id, "code": u.code, "name": u.name, "kind": u.kind.value, "area_id": u.area_id}
        for u in session.scalars(select(Unit).order_by(Unit.id))
    ]


@router.get("/notifications", tags=["notifications"])
def notifications(
    session: SessionDep,
    user: CurrentUser,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Messages to the user or their unit, newest first."""
    targets = [Notification.user_id == user.id]
    if user.unit_id is not None:
        targets.append(Notification.unit_id == user.unit_id)
    query = select(Notification).where(or_(*targets)).order_by(Notification.id.desc()).limit(limit)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    return [
        {
            "id": n.id,
            "at": n.at.isoformat(),
            "title": n.title,
            "body": n.body,
            "task_id": n.task_id,
            "read": n.read_at is not None,
        }
        for n in session.scalars(query)
    ]


class MarkRead(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[DbId] = Field(default_factory=list, max_length=1000)
    all: bool = False


@router.post("/notifications/read", tags=["notifications"])
def mark_read(services: ServicesDep, session: SessionDep, user: CurrentUser, body: MarkRead) -> dict[str, int]:
    """Mark the user's (or their unit's) notifications read: the given ids, or all of them."""
    if not body.ids and not body.all:
        raise BadInput("给出 ids 或 all=true", field="ids")
    targets = [Notification.user_id == user.id]
    if user.unit_id is not None:
        targets.append(Notification.unit_id == user.unit_id)
    query = update(Notification).where(or_(*targets), Notification.read_at.is_(None))
    if not body.all:
        query = query.where(Notification.id.in_(body.ids))
    changed = session.execute(query.values(read_at=services.clock.now()))
    return {"marked": int(changed.rowcount)}  # type: ignore[attr-defined]


# -- tasks: one API over every capability's workflow ---------------------------------------------------


def _names(session: Any, tasks: list[Task]) -> tuple[dict[int, str], dict[int, str]]:
    unit_ids = {t.unit_id for t in tasks if t.unit_id}
    user_ids = {t.assignee_id for t in tasks if t.assignee_id}
    units = dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    users = (
        dict(session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all()) if user_ids else {}
    )
    return units, users


def _task_view(
    services: Services,
    actor: Actor,
    scope: Scope,
    task: Task,
    now: datetime,
    units: dict[int, str],
    users: dict[int, str],
) -> dict[str, Any]:
    return {
        "allowed_actions": sorted(services.tasks.permitted(actor, scope, task)),
        **services.tasks.brief(task, now),
        "level": task.level,
        "title": task.title,
        "ref_type": task.ref_type,
        "ref_id": task.ref_id,
        "unit_id": task.unit_id,
        "unit": units.get(task.unit_id) if task.unit_id else None,
        "area_id": task.area_id,
        "assignee": users.get(task.assignee_id) if task.assignee_id else None,
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
        "breaches": task.breaches,
        "closed_at": task.closed_at.isoformat() if task.closed_at else None,
    }


@router.get("/tasks", tags=["tasks"])
def list_tasks(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    kind: Annotated[str | None, Query(max_length=32, description="A registered task kind.")] = None,
    status: Annotated[list[str] | None, Query(max_length=20)] = None,
    open_only: Annotated[bool, Query(alias="open")] = True,
    level: Annotated[str | None, Query(pattern="^(critical|high|medium|low)$")] = None,
    unit_id: DbId | None = None,
    assignee_id: DbId | None = None,
    mine: bool = False,
    overdue: bool = False,
    unassigned: Annotated[bool, Query(description="Only tasks nobody is assigned to.")] = False,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Text in the title.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict[str, Any]:
    """The worklist: tasks of every kind in the user's scope, most urgent deadline first; `total` counts them
    all, `limit` and `offset` page them."""
    if kind is not None and kind not in services.tasks.workflows:
        raise BadInput(f"未知的任务类型 {kind}（可用：{'、'.join(sorted(services.tasks.workflows))}）", field="kind")
    now = services.clock.now()
    actor = Actor.of(user)
    wanted = TaskFilter(
        kind=kind,
        statuses=tuple(status or ()),
        open_only=open_only,
        level=level,
        unit_id=unit_id,
        assignee_id=assignee_id,
        unassigned=unassigned,
        overdue=overdue,
        title=q,
    )
    query = services.tasks.select(scope, wanted, now)
    if mine:
        query = query.where(Task.assignee_id == user.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    tasks = list(
        session.scalars(query.order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(limit).offset(offset))
    )
    units, users = _names(session, tasks)
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [_task_view(services, actor, scope, t, now, units, users) for t in tasks],
    }


@router.get("/tasks/kinds", tags=["tasks"])
def task_kinds(services: ServicesDep, _user: CurrentUser) -> list[dict[str, Any]]:
    """Every registered kind with its statuses, steps, actions (and their payload schemas) and ladder."""
    return [
        {
            "kind": w.kind,
            "name": w.name,
            "statuses": dict(w.statuses),
            "steps": dict(w.steps),
            "actions": {
                a.action: {
                    "name": a.name,
                    "roles": sorted(r.value for r in a.permission.roles),
                    "payload": a.payload.model_json_schema(),
                }
                for a in w.actions.values()
                if a.permission.roles
            },
            "ladder": {
                "interval_minutes": w.ladder.interval.total_seconds() / 60,
                "rungs": [r.name for r in w.ladder.rungs],
            },
        }
        for w in services.tasks.workflows.values()
    ]


@router.get("/tasks/{task_id}", tags=["tasks"])
def get_task(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    task_id: DbId,
) -> dict[str, Any]:
    """One task with its full history (who, when, what, why), for staff: the history holds staff notes and
    names, so a resident reads their own request through the desk (`GET /desk/requests/{id}`) instead."""
    if user.role is Role.RESIDENT:
        raise Forbidden("居民请在E警通中查看诉求进展")
    actor = Actor.of(user)
    task = services.tasks.visible(session, actor, scope, task_id)
    now = services.clock.now()
    units, users = _names(session, [task])
    history = session.scalars(select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)).all()
    actors = {
        uid: name
        for uid, name in session.execute(
            select(User.id, User.display_name).where(User.id.in_({h.actor_id for h in history if h.actor_id}))
        )
    }
    view = _task_view(services, actor, scope, task, now, units, users)
    return {
        **view,
        "actions": services.tasks.action_forms(task.kind, view["allowed_actions"]),
        "history": [
            {
                "at": h.at.isoformat(),
                "actor": actors.get(h.actor_id, "系统") if h.actor_id else "系统",
                "action": h.action,
                "action_name": services.tasks.action_name(task.kind, h.action),
                "from_status": h.from_status,
                "to_status": h.to_status,
                "to_status_name": services.tasks.status_name(task.kind, h.to_status),
                "reason": h.reason,
                "data": h.data,
            }
            for h in history
        ],
    }


class TaskActionIn(BaseModel):
    """An action and its payload: the fields each kind's action takes are listed by `GET /tasks/kinds`."""

    model_config = ConfigDict(extra="allow")
    action: str = Field(min_length=1, max_length=32)


@router.post("/tasks/{task_id}/actions", tags=["tasks"])
def act_on_task(
    services: ServicesDep,
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    task_id: DbId,
    body: Annotated[TaskActionIn, Body()],
) -> dict[str, Any]:
    """Apply any kind's action under that kind's rules (the same decision as the capability's own endpoints)."""
    actor = Actor.of(user)
    payload = dict(body.model_extra or {})
    with services.db.write_lock:
        task = session.get(Task, task_id)
        services.tasks.perform(session, actor, scope, task, body.action, payload)
        session.commit()
    assert task is not None  # perform refuses a missing task
    now = services.clock.now()
    units, users = _names(session, [task])
    return _task_view(services, actor, scope, task, now, units, users)


MAX_AUDIT_OFFSET = 1_000_000


def _like(text_: str) -> str:
    """`%text%` with LIKE's own wildcards taken literally (escape character: backslash)."""
    return "%" + text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@router.get("/audit/events", tags=["audit"])
def auth_events(
    session: SessionDep,
    user: CurrentUser,
    user_id: DbId | None = None,
    username: Annotated[
        str | None, Query(min_length=1, max_length=64, description="The login exactly as typed.")
    ] = None,
    who: Annotated[
        str | None, Query(alias="user", min_length=1, max_length=64, description="Text in the login or the name.")
    ] = None,
    kind: Annotated[list[AuthEventKind] | None, Query(max_length=20)] = None,
    start: Annotated[
        AwareDatetime | None, Query(description="Events at or after this instant (ISO 8601 with offset).")
    ] = None,
    end: Annotated[AwareDatetime | None, Query(description="Events before this instant.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_AUDIT_OFFSET)] = 0,
) -> dict[str, Any]:
    """Sign-ins, failures, lockouts, log-outs, password and role changes, deactivations; newest first (admin
    only), with the account's name and, for a change made by someone else, who made it. Filters: the account
    (`user_id`, `username` as typed, or `user`: text in the login or the name), `kind` (repeatable), `start`
    and `end`; `limit` and `offset` page it. The audit screen's "登录记录" tab."""
    require(user, Role.ADMIN)
    if start is not None and end is not None and end <= start:
        raise BadInput("结束时间须晚于开始时间", field="end")
    account, actor = aliased(User), aliased(User)
    query = (
        select(AuthEvent, account.display_name, actor.display_name)
        .outerjoin(account, account.id == AuthEvent.user_id)
        .outerjoin(actor, actor.id == AuthEvent.actor_id)
    )
    if user_id is not None:
        query = query.where(AuthEvent.user_id == user_id)
    if username is not None:
        query = query.where(AuthEvent.username == username)
    if who is not None:
        pattern = _like(who)
        query = query.where(
            or_(AuthEvent.username.like(pattern, escape="\\"), account.display_name.like(pattern, escape="\\"))
        )
    if kind:
        query = query.where(AuthEvent.kind.in_(kind))
    if start is not None:
        query = query.where(AuthEvent.at >= start)
    if end is not None:
        query = query.where(AuthEvent.at < end)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(AuthEvent.id.desc()).limit(limit).offset(offset)).all()
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "kind": e.kind.value,
                "user_id": e.user_id,
                "username": e.username,
                "user_name": account_name,
                "address": e.address,
                "actor_id": e.actor_id,
                "actor_name": actor_name,
                "detail": e.detail,
            }
            for e, account_name, actor_name in rows
        ],
    }


@router.get("/audit/access", tags=["audit"])
def access_log(
    session: SessionDep,
    user: CurrentUser,
    user_id: DbId | None = None,
    reader: Annotated[
        str | None, Query(alias="user", min_length=1, max_length=64, description="Text in the reader's login or name.")
    ] = None,
    subject_type: Annotated[
        str | None, Query(pattern="^[a-z_]{1,32}$", description="person, phone, desk_request…")
    ] = None,
    subject_id: DbId | None = None,
    start: Annotated[
        AwareDatetime | None, Query(description="Reads at or after this instant (ISO 8601 with offset).")
    ] = None,
    end: Annotated[AwareDatetime | None, Query(description="Reads before this instant.")] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100, description="Text in the purpose.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_AUDIT_OFFSET)] = 0,
) -> dict[str, Any]:
    """Reads of unmasked personal data, newest first, with the reader's name and unit (admin only).

    The audit screen's "查看记录" tab; the log-in records are another table, and another tab."""
    require(user, Role.ADMIN)
    if start is not None and end is not None and end <= start:
        raise BadInput("结束时间须晚于开始时间", field="end")
    query = (
        select(AccessLog, User, Unit).join(User, User.id == AccessLog.user_id).outerjoin(Unit, Unit.id == User.unit_id)
    )
    if user_id is not None:
        query = query.where(AccessLog.user_id == user_id)
    if reader is not None:
        pattern = _like(reader)
        query = query.where(or_(User.username.like(pattern, escape="\\"), User.display_name.like(pattern, escape="\\")))
    if subject_type is not None:
        query = query.where(AccessLog.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AccessLog.subject_id == subject_id)
    if start is not None:
        query = query.where(AccessLog.at >= start)
    if end is not None:
        query = query.where(AccessLog.at < end)
    if q is not None:
        query = query.where(AccessLog.purpose.like(_like(q), escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(AccessLog.id.desc()).limit(limit).offset(offset)).all()
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [
            {
                "id": a.id,
                "at": a.at.isoformat(),
                "user_id": a.user_id,
                "username": reader_.username,
                "user_name": reader_.display_name,
                "unit_id": reader_.unit_id,
                "unit_name": unit.name if unit else None,
                "subject_type": a.subject_type,
                "subject_id": a.subject_id,
                "fields": a.fields,
                "purpose": a.purpose,
            }
            for a, reader_, unit in rows
        ],
    }


@router.get("/admin/dead-letters", tags=["system"])
def stream_dead_letters(
    session: SessionDep,
    user: CurrentUser,
    stream: Annotated[StreamName | None, Query(description="Only this stream's.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_AUDIT_OFFSET)] = 0,
) -> dict[str, Any]:
    """The stream messages the workers set aside (several machines, `PINGAN_NATS_URL`): invalid once and for
    all, or failing after every retry; newest first, with subject, message id, deliveries, error and payload
    (personal data masked), and the true total. Admin only."""
    require(user, Role.ADMIN)
    return dead_letters(session, limit=limit, offset=offset, stream=stream.value if stream else None)
