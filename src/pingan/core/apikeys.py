"""API keys of outside systems (Open311 clients, bank systems, upper platforms): one way to issue, find and revoke.

A key is a kind prefix (`o311_`, `bank_`, `verify_`) and a random 192-bit token. It is shown once; only its
SHA-256 is stored: there is nothing a slow hash would protect for random tokens. A key is found by its hash
(a unique column) and compared again in constant time; its first characters (`prefix`) are kept so that an
operator can tell keys apart in lists. Each capability keeps its own table (a model mixing in `ApiKeyColumns`,
or `AccountKeyColumns` when the key acts as an account of its own) and a thin module of its own rules (who a
key belongs to, what its name may be). These helpers take a session and leave committing to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pingan.core.errors import NotFound
from pingan.core.identity import set_active
from pingan.core.models import User

MAX_KEY_LENGTH = 100
"""A presented key longer than this is malformed (the issued ones are about 40 characters)."""
SHOWN_CHARACTERS = 6
"""How many characters of the token the stored prefix keeps after the kind prefix."""


class ApiKeyColumns:
    """The columns every key table shares (mixed into a declarative model)."""

    prefix: Mapped[str] = mapped_column(String(16))
    """The key's first characters, to tell keys apart in lists and logs without revealing them."""
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AccountKeyColumns(ApiKeyColumns):
    """A key that acts as an account of its own (a partner with no password, so it cannot sign in): the
    history of what the key did names that account, and revoking the key deactivates it."""

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


K = TypeVar("K", bound=ApiKeyColumns)
A = TypeVar("A", bound=AccountKeyColumns)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def issue_key(session: Session, row: K, kind_prefix: str, now: datetime) -> str:
    """Give the new `row` a fresh key starting with `kind_prefix`, store it, and return the key (never shown
    again)."""
    key = kind_prefix + secrets.token_urlsafe(24)
    row.prefix = key[: len(kind_prefix) + SHOWN_CHARACTERS]
    row.key_hash = hash_key(key)
    row.created_at = now
    row.last_used_at = None
    row.revoked_at = None
    session.add(row)
    session.flush()
    return key


def find_key(session: Session, model: type[K], kind_prefix: str, key: str) -> K | None:
    """The row of a presented key that has not been revoked, or None (unknown, revoked or malformed)."""
    key = key.strip()
    if not key.startswith(kind_prefix) or len(key) > MAX_KEY_LENGTH:
        return None
    digest = hash_key(key)
    row = session.scalar(select(model).where(model.key_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        return None
    return row


def user_of_key(
    session: Session,
    model: type[A],
    kind_prefix: str,
    key: str,
    now: datetime,
    fits: Callable[[A, User], bool] | None = None,
) -> User | None:
    """The active account of a presented key, its use recorded, or None: unknown, revoked, malformed, the
    account deactivated, or (with `fits`) an account the key's own rules refuse."""
    row = find_key(session, model, kind_prefix, key)
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or (fits is not None and not fits(row, user)):
        return None
    row.last_used_at = now
    return user


def revoke_key(session: Session, model: type[K], key_id: int, now: datetime, missing: str) -> K:
    """Revoke a key by id (revoking twice keeps the first time), deactivating its account if it has one.
    Raises NotFound with the message `missing`."""
    row = session.get(model, key_id)
    if row is None:
        raise NotFound(missing, field="key_id")
    if row.revoked_at is None:
        row.revoked_at = now
        if isinstance(row, AccountKeyColumns):
            user = session.get(User, row.user_id)
            if user is not None:
                set_active(session, user, False, now)
    session.flush()
    return row
