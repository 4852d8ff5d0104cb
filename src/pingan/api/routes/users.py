"""Staff accounts for the admin: the list (paged, with its true total) and new accounts. Changing a role or
deactivating is `PATCH /users/{id}` in the core routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from pingan.api.deps import CurrentUser, ScopeDep, ServicesDep, SessionDep, require
from pingan.core.errors import BadInput, Conflict, Forbidden
from pingan.core.fields import DbId, FreeText
from pingan.core.identity import create_user, record_auth_event
from pingan.core.models import AuthEventKind, Role, Unit, User
from pingan.core.scope import manages_account

router = APIRouter(tags=["auth"])
MAX_OFFSET = 1_000_000


class StaffUser(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_name: str | None
    active: bool
    created_at: str
    duties: list[str] = []
    """Clearances on top of the role (`narcotics`: 禁毒), set by `PATCH /users/{id}` `{duties}`."""


class UserPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[StaffUser]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: FreeText = Field(min_length=1, max_length=100)
    role: Role
    unit_id: DbId | None = None
    password: str = Field(min_length=8, max_length=256)


def _like(text_: str) -> str:
    return "%" + text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@router.get("/users", response_model=UserPage)
def list_users(
    session: SessionDep,
    user: CurrentUser,
    scope: ScopeDep,
    q: Annotated[str | None, Query(min_length=1, max_length=64, description="Text in the login or name.")] = None,
    role: Role | None = None,
    unit_id: DbId | None = None,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> UserPage:
    """Staff accounts (residents are not listed), by login (admin only); a county's admin in a deployment of
    several counties lists its own county's accounts, a city's the counties below it."""
    require(user, Role.ADMIN)
    query = select(User, Unit.name).outerjoin(Unit, Unit.id == User.unit_id).where(User.role != Role.RESIDENT)
    if not scope.county_wide:
        query = query.where(User.unit_id.in_(sorted(scope.unit_ids)))
    if q is not None:
        pattern = _like(q)
        query = query.where(or_(User.username.like(pattern, escape="\\"), User.display_name.like(pattern, escape="\\")))
    if role is not None:
        query = query.where(User.role == role)
    if unit_id is not None:
        query = query.where(User.unit_id == unit_id)
    if active is not None:
        query = query.where(User.active.is_(active))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(User.username).limit(limit).offset(offset)).all()
    return UserPage(
        total=total,
        limit=limit,
        offset=offset,
        items=[
            StaffUser(
                id=u.id,
                username=u.username,
                display_name=u.display_name,
                role=u.role.value,
                unit_id=u.unit_id,
                unit_name=unit_name,
                active=u.active,
                duties=sorted(u.duties or []),
                created_at=u.created_at.isoformat(),
            )
            for u, unit_name in rows
        ],
    )


@router.post("/users", response_model=StaffUser, status_code=201)
def add_user(
    services: ServicesDep, session: SessionDep, admin: CurrentUser, scope: ScopeDep, body: UserCreate
) -> StaffUser:
    """A new staff account (admin only); an existing login is a conflict, not a password reset. A county's
    admin opens accounts of its own county's units only."""
    require(admin, Role.ADMIN)
    if not manages_account(scope, body.unit_id):
        raise Forbidden("只能为本辖区的单位开设账号", field="unit_id", code="outside_jurisdiction")
    if body.role is Role.RESIDENT:
        raise BadInput("群众账号由群众自己通过短信验证码登录创建", field="role")
    if session.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise Conflict("该登录名已存在", field="username")
    unit = session.get(Unit, body.unit_id) if body.unit_id is not None else None
    if body.unit_id is not None and unit is None:
        raise BadInput("单位不存在", field="unit_id")
    now = services.clock.now()
    created = create_user(
        session,
        body.username,
        body.password,
        role=body.role,
        display_name=body.display_name,
        unit_id=body.unit_id,
        now=now,
    )
    session.flush()
    record_auth_event(
        session, AuthEventKind.CREATED, now, user=created, actor_id=admin.id, detail={"role": body.role.value}
    )
    return StaffUser(
        id=created.id,
        username=created.username,
        display_name=created.display_name,
        role=created.role.value,
        unit_id=created.unit_id,
        unit_name=unit.name if unit else None,
        active=created.active,
        created_at=created.created_at.isoformat(),
    )
