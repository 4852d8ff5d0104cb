"""FastAPI dependencies: services, a unit of work, the current user and their scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from pingan.bootstrap import Services
from pingan.core.errors import BadInput, Forbidden, Unauthorized
from pingan.core.identity import user_from_token
from pingan.core.models import Role, User
from pingan.core.scope import Scope, scope_of

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.db.session() as session:
        yield session


# "function": the unit of work commits when the endpoint has returned, before the answer is sent. A
# request-scoped dependency exits only after the response went out, so a client could act on a 201 whose
# write it (or another process) could not see yet, and a failed commit would follow a success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


BearerToken = Annotated[str | None, Depends(oauth2)]


def get_current_user(services: ServicesDep, session: SessionDep, token: BearerToken) -> User:
    if not token:
        raise Unauthorized("请先登录")
    return user_from_token(session, token, services.settings.signing_key(), services.clock.now())


CurrentUser = Annotated[User, Depends(get_current_user)]

KeyAccount = Callable[[Session, str, datetime], User | None]
"""An outside system's keys: the active account of a presented key (its use recorded), or None."""


def key_or_user(
    services: Services, session: Session, token: str | None, key: str | None, account_of: KeyAccount, refused: str
) -> User:
    """The caller of an API outside systems call with a key (a header of their own) and staff with a sign-in:
    the key's account, its last use committed (401 `refused` for an unknown or revoked key), else the
    signed-in user."""
    if key is not None:
        user = account_of(session, key, services.clock.now())
        if user is None:
            raise Unauthorized(refused)
        session.commit()  # its last use
        return user
    return get_current_user(services, session, token)


def client_address(request: Request) -> str | None:
    """The client's address: the connection's own, or the one forwarded by a proxy listed in
    `PINGAN_TRUSTED_PROXIES` (the app's proxy-headers middleware has already put it in `request.client`).
    The one source of the address for every limit by client (staff sign-in, residents' SMS codes)."""
    return request.client.host if request.client else None


ClientAddress = Annotated[str | None, Depends(client_address)]


def get_scope(session: SessionDep, user: CurrentUser) -> Scope:
    return scope_of(session, user)


ScopeDep = Annotated[Scope, Depends(get_scope)]


def require(user: User, *roles: Role) -> None:
    if user.role not in roles:
        raise Forbidden("当前角色无权进行此操作")


def figure_period(
    services: Services, start: datetime | None, end: datetime | None, days: int = 30
) -> tuple[datetime, datetime]:
    """The [start, end) of a figures request: `end` defaults to just after now, `start` to `days` before it.
    A start that is not before the end, or an end so early that the default start would fall before year 1,
    is a 422, never a 500."""
    end_at = end or services.clock.now() + timedelta(seconds=1)
    try:
        start_at = start or end_at - timedelta(days=days)
    except OverflowError:  # an end in the first days of year 1
        raise BadInput("时间超出可统计的范围", field="end") from None
    if start_at >= end_at:
        raise BadInput("开始时间须早于结束时间", field="start")
    return start_at, end_at
