"""Upper platforms' API keys (市级平台、省厅平台): issued once (only a SHA-256 hash is stored: the keys are random
192-bit tokens, so there is nothing a slow hash would protect), checked on every call, revoked by id.

The pattern of the banks' keys (`pingan.money.payments.keys`): each key acts as an account of its own (a
partner of no unit, no password, so it cannot sign in), created with the key, so that every list names the
platform that pushed it and a platform sees the progress of its own lists only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.command.verify.models import VerifyPlatformKey
from pingan.core.errors import BadInput, NotFound
from pingan.core.identity import create_user, set_active
from pingan.core.models import Role, User

KEY_PREFIX = "verify_"
_PREFIX_SHOWN = len(KEY_PREFIX) + 6


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def create_platform_key(session: Session, name: str, now: datetime) -> tuple[VerifyPlatformKey, str]:
    """A new key for the platform `name`: the stored row and the key, never shown again."""
    name = name.strip()
    if not name or len(name) > 60:
        raise BadInput("请填写平台名称（不超过60字）", field="name")
    count = session.scalar(select(func.count()).select_from(VerifyPlatformKey))
    account = create_user(
        session,
        f"key:verify:{int(count or 0) + 1}",
        None,
        role=Role.PARTNER,
        display_name=name[:100],
        unit_id=None,
        now=now,
    )
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    row = VerifyPlatformKey(
        name=name,
        user_id=account.id,
        prefix=key[:_PREFIX_SHOWN],
        key_hash=hash_key(key),
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return row, key


def is_platform(session: Session, user: User) -> bool:
    """Whether `user` is the account of a platform's key that has not been revoked."""
    return (
        session.scalar(
            select(VerifyPlatformKey.id).where(
                VerifyPlatformKey.user_id == user.id, VerifyPlatformKey.revoked_at.is_(None)
            )
        )
        is not None
    )


def user_of_key(session: Session, key: str, now: datetime) -> User | None:
    """The active account of a presented key (its use recorded), or None: unknown, revoked or malformed."""
    key = key.strip()
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    digest = hash_key(key)
    row = session.scalar(select(VerifyPlatformKey).where(VerifyPlatformKey.key_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = now
    return user


def revoke_platform_key(session: Session, key_id: int, now: datetime) -> VerifyPlatformKey:
    row = session.get(VerifyPlatformKey, key_id)
    if row is None:
        raise NotFound("没有该密钥", field="key_id")
    if row.revoked_at is None:
        row.revoked_at = now
        user = session.get(User, row.user_id)
        if user is not None:
            set_active(session, user, False, now)
    return row
