"""Identity: who is acting (`Actor`), passwords (Argon2), bearer tokens (JWT, HS256), users, and the record of
sign-ins and account changes (`AuthEvent`).

A token carries its user's `token_generation`; bumping it (`revoke_tokens`) makes every earlier token of the
user fail, which is how log-out, a new password, deactivation and a new role revoke without a token table.
A token also carries `auth`, the time of the sign-in it descends from, which bounds how long refreshes last.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.errors import Unauthorized
from pingan.core.models import AuthEvent, AuthEventKind, Role, User

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing of both answers alike.
_DUMMY_HASH = _hasher.hash("pingan-no-such-user")


@dataclass(frozen=True)
class Actor:
    """Who is acting, detached from any session."""

    id: int
    role: Role
    unit_id: int | None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.role, user.unit_id)

    @property
    def is_resident(self) -> bool:
        return self.role is Role.RESIDENT


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


def create_user(
    session: Session,
    username: str,
    password: str | None,
    *,
    role: Role,
    display_name: str,
    unit_id: int | None,
    now: datetime,
    phone: str | None = None,
) -> User:
    """Create a user, or update the one with this username (password reset): a new role and a new password
    of an existing account are recorded as a role change and a password change."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, created_at=now, role=role, display_name=display_name, active=True)
        session.add(user)
    else:
        if user.role is not role:
            detail = {"from": user.role.value, "to": role.value}
            record_auth_event(session, AuthEventKind.ROLE_CHANGED, now, user=user, detail=detail)
        if password:
            record_auth_event(session, AuthEventKind.PASSWORD_CHANGED, now, user=user, detail={"reset": True})
    if user.id is not None:
        revoke_tokens(user)  # a password reset ends the sessions signed in with the old one
    user.role, user.display_name, user.unit_id = role, display_name, unit_id
    user.password_hash = hash_password(password) if password else None
    if phone is not None:
        user.phone = phone
    session.flush()
    return user


def revoke_tokens(user: User) -> None:
    """Every token issued to `user` so far stops working (the next ones carry the new generation)."""
    user.token_generation = (user.token_generation or 0) + 1


def record_auth_event(
    session: Session,
    kind: AuthEventKind,
    now: datetime,
    *,
    user: User | None = None,
    username: str | None = None,
    address: str | None = None,
    actor_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one sign-in or account event, in the caller's transaction."""
    name = username if username is not None else (user.username if user is not None else None)
    session.add(
        AuthEvent(
            at=now,
            kind=kind,
            user_id=user.id if user is not None else None,
            username=name[:64] if name is not None else None,
            address=address[:64] if address else None,
            actor_id=actor_id,
            detail=detail or {},
        )
    )


def set_active(
    session: Session,
    user: User,
    active: bool,
    now: datetime,
    *,
    actor_id: int | None = None,
    address: str | None = None,
) -> None:
    """Deactivate (revoking every token) or reactivate an account, recorded with who did it and from where."""
    if user.active == active:
        return
    user.active = active
    revoke_tokens(user)  # a reactivated account does not bring its old tokens back
    kind = AuthEventKind.REACTIVATED if active else AuthEventKind.DEACTIVATED
    record_auth_event(session, kind, now, user=user, actor_id=actor_id, address=address)


def set_role(
    session: Session,
    user: User,
    role: Role,
    now: datetime,
    *,
    actor_id: int | None = None,
    address: str | None = None,
) -> None:
    """Give `user` another role; tokens naming the old one are revoked."""
    if user.role is role:
        return
    record_auth_event(
        session,
        AuthEventKind.ROLE_CHANGED,
        now,
        user=user,
        actor_id=actor_id,
        address=address,
        detail={"from": user.role.value, "to": role.value},
    )
    user.role = role
    revoke_tokens(user)


def set_duties(
    session: Session,
    user: User,
    duties: list[str],
    now: datetime,
    *,
    actor_id: int | None = None,
    address: str | None = None,
) -> None:
    """Give `user` exactly these clearances (`Duty` values), recorded with who changed them. Scopes are read
    per request, so the change holds from the user's next request on."""
    wanted = sorted(set(duties))
    if wanted == sorted(user.duties or []):
        return
    record_auth_event(
        session,
        AuthEventKind.DUTIES_CHANGED,
        now,
        user=user,
        actor_id=actor_id,
        address=address,
        detail={"from": sorted(user.duties or []), "to": wanted},
    )
    user.duties = wanted


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if not verify_password(password, user.password_hash if user else None) or user is None or not user.active:
        raise Unauthorized("用户名或密码错误")
    return user


def issue_token(user: User, secret: str, now: datetime, ttl: timedelta, *, signed_in_at: datetime | None = None) -> str:
    """A bearer token for `user`, valid for `ttl`; `signed_in_at` is the sign-in a refresh descends from."""
    payload = {
        "sub": str(user.id),
        "role": user.role.value,
        "gen": user.token_generation or 0,
        "auth": int((signed_in_at or now).timestamp()),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": secrets.token_urlsafe(12),  # two tokens issued in the same second still differ
    }
    return jwt.encode(payload, secret, algorithm="HS256")


def _claims(token: str, secret: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False})
    except jwt.PyJWTError:
        raise Unauthorized("登录凭证无效") from None
    return claims


def user_from_token(session: Session, token: str, secret: str, now: datetime) -> User:
    payload = _claims(token, secret)
    if int(payload.get("exp", 0)) <= int(now.timestamp()):
        raise Unauthorized("登录已过期，请重新登录")
    try:
        user = session.get(User, int(payload["sub"]))
        generation = int(payload.get("gen", 0))
    except (KeyError, ValueError, TypeError):
        raise Unauthorized("登录凭证无效") from None
    if user is None or not user.active:
        raise Unauthorized("用户不存在或已停用")
    if generation != (user.token_generation or 0):
        raise Unauthorized("登录已失效，请重新登录")
    return user


def refresh_token(
    session: Session, token: str, secret: str, now: datetime, ttl: timedelta, session_max: timedelta
) -> tuple[User, str, datetime]:
    """A fresh token for a still-valid one: (user, token, expires at). Refused once the sign-in it descends
    from is older than `session_max`, so that a stolen token cannot be kept alive for ever."""
    user = user_from_token(session, token, secret, now)
    signed_in_at = datetime.fromtimestamp(int(_claims(token, secret).get("auth", 0)), UTC)
    ends = signed_in_at + session_max
    if ends <= now:
        raise Unauthorized("登录时间过长，请重新登录")
    expires = min(now + ttl, ends)
    return user, issue_token(user, secret, now, expires - now, signed_in_at=signed_in_at), expires
