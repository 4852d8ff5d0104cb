"""Identity: who is acting (`Actor`), passwords (Argon2), bearer tokens (JWT, HS256), users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.errors import Unauthorized
from pingan.core.models import Role, User

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
    """Create a user, or update the one with this username (password reset)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = User(username=username, created_at=now, role=role, display_name=display_name, active=True)
        session.add(user)
    user.role, user.display_name, user.unit_id = role, display_name, unit_id
    user.password_hash = hash_password(password) if password else None
    if phone is not None:
        user.phone = phone
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if not verify_password(password, user.password_hash if user else None) or user is None or not user.active:
        raise Unauthorized("用户名或密码错误")
    return user


def issue_token(user: User, secret: str, now: datetime, ttl: timedelta) -> str:
    payload = {
        "sub": str(user.id),
        "role": user.role.value,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm="HS256")


def user_from_token(session: Session, token: str, secret: str, now: datetime) -> User:
    try:
        payload = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False})
    except jwt.PyJWTError:
        raise Unauthorized("登录凭证无效") from None
    if int(payload.get("exp", 0)) <= int(now.timestamp()):
        raise Unauthorized("登录已过期，请重新登录")
    try:
        user = session.get(User, int(payload["sub"]))
    except (KeyError, ValueError):
        raise Unauthorized("登录凭证无效") from None
    if user is None or not user.active:
        raise Unauthorized("用户不存在或已停用")
    return user
