"""Upper platforms' API keys (市级平台、省厅平台): issued once (only a SHA-256 hash is stored), checked on every
call, revoked by id. Hashing, lookup and revocation are the shared ones of `pingan.core.apikeys`.

Like the banks' keys (`pingan.money.payments.keys`), each key acts as an account of its own (a partner of no
unit, no password, so it cannot sign in), created with the key, so that every list names the platform that
pushed it and a platform sees the progress of its own lists only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.command.verify.models import VerifyPlatformKey
from pingan.core import apikeys
from pingan.core.errors import BadInput
from pingan.core.identity import create_user
from pingan.core.models import Role, User

KEY_PREFIX = "verify_"


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
    row = VerifyPlatformKey(name=name, user_id=account.id)
    key = apikeys.issue_key(session, row, KEY_PREFIX, now)
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
    return apikeys.user_of_key(session, VerifyPlatformKey, KEY_PREFIX, key, now)


def revoke_platform_key(session: Session, key_id: int, now: datetime) -> VerifyPlatformKey:
    """Revoke a key by id and deactivate its account (revoking twice keeps the first time). Raises NotFound."""
    return apikeys.revoke_key(session, VerifyPlatformKey, key_id, now, "没有该密钥")
