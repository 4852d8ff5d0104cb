"""Open311 API keys: issued once (only a hash is stored), checked on every post, revoked by id.

Hashing, lookup and revocation are the shared ones of `pingan.core.apikeys`; here are the Open311 rules (the
key's kind prefix, the holder's name). `pingan open311-key create NAME` (wired by the CLI) is the intended
front door; these helpers take a session and leave committing to the caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core import apikeys
from pingan.core.errors import BadInput
from pingan.desk.open311.models import Open311ApiKey

KEY_PREFIX = "o311_"


def create_api_key(session: Session, name: str, now: datetime) -> tuple[Open311ApiKey, str]:
    """A new key for the client `name`: returns the stored row and the key, which is never shown again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("请填写密钥持有方名称（不超过100字）", field="name")
    row = Open311ApiKey(name=name)
    key = apikeys.issue_key(session, row, KEY_PREFIX, now)
    return row, key


def find_api_key(session: Session, key: str) -> Open311ApiKey | None:
    """The active key row for a presented key, or None (unknown, revoked or malformed)."""
    return apikeys.find_key(session, Open311ApiKey, KEY_PREFIX, key)


def revoke_api_key(session: Session, key_id: int, now: datetime) -> Open311ApiKey:
    """Revoke a key by id (revoking twice keeps the first time). Raises NotFound."""
    return apikeys.revoke_key(session, Open311ApiKey, key_id, now, "密钥不存在")


def list_api_keys(session: Session) -> list[Open311ApiKey]:
    return list(session.scalars(select(Open311ApiKey).order_by(Open311ApiKey.id)))
