"""Open311 API keys: issued once (only a hash is stored), checked on every post, revoked by id.

The keys are random 192-bit tokens, so a plain SHA-256 is the right hash: there is nothing to guess
that a slow hash would protect. These helpers take a session and leave committing to the caller;
`pingan open311-key create NAME` (wired by the CLI) is the intended front door.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.errors import BadInput, NotFound
from pingan.desk.open311.models import Open311ApiKey

KEY_PREFIX = "o311_"
_PREFIX_SHOWN = len(KEY_PREFIX) + 6


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def create_api_key(session: Session, name: str, now: datetime) -> tuple[Open311ApiKey, str]:
    """A new key for the client `name`: returns the stored row and the key, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("请填写密钥持有方名称（不超过100字）", field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    row = Open311ApiKey(
        name=name,
        prefix=key[:_PREFIX_SHOWN],
        key_hash=hash_key(key),
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return row, key


def find_api_key(session: Session, key: str) -> Open311ApiKey | None:
    """The active key row for a presented key, or None (unknown, revoked or malformed)."""
    key = key.strip()
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    digest = hash_key(key)
    row = session.scalar(select(Open311ApiKey).where(Open311ApiKey.key_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return row


def revoke_api_key(session: Session, key_id: int, now: datetime) -> Open311ApiKey:
    """Revoke a key by id (revoking twice keeps the first time). Raises NotFound."""
    row = session.get(Open311ApiKey, key_id)
    if row is None:
        raise NotFound("密钥不存在", field="key_id")
    if row.revoked_at is None:
        row.revoked_at = now
    session.flush()
    return row


def list_api_keys(session: Session) -> list[Open311ApiKey]:
    return list(session.scalars(select(Open311ApiKey).order_by(Open311ApiKey.id)))
