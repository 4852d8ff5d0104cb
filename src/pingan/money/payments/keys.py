"""Bank systems' API keys: issued once (only a SHA-256 hash is stored: the keys are random 192-bit tokens, so
there is nothing a slow hash would protect), checked on every call of the bank API, revoked by id.

Each key is bound to a bank and acts as a partner account of its own in that bank (no password, so it cannot
sign in), created with the key: the history of every order names the key that acted, and the bank's scope is
the account's unit, decided like any partner user's. `pingan payments bank-key create BANK NAME` is the front
door; these functions take a session and leave committing to the caller.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core.errors import BadInput, NotFound
from pingan.core.identity import create_user, set_active
from pingan.core.models import Role, Unit, UnitKind, User
from pingan.money.payments.models import BankApiKey

KEY_PREFIX = "bank_"
_PREFIX_SHOWN = len(KEY_PREFIX) + 6


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def create_bank_key(session: Session, bank_code: str, name: str, now: datetime) -> tuple[BankApiKey, str]:
    """A new key for the bank `bank_code` (a unit of kind bank): the stored row and the key, never shown again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("请填写密钥用途（不超过100字）", field="name")
    bank = session.scalar(select(Unit).where(Unit.code == bank_code))
    if bank is None or bank.kind is not UnitKind.BANK:
        raise NotFound(f"没有编码为 {bank_code} 的银行", field="bank")
    count = session.scalar(select(func.count()).select_from(BankApiKey).where(BankApiKey.bank_unit_id == bank.id))
    account = create_user(
        session,
        f"key:{bank.code}:{int(count or 0) + 1}"[:64],
        None,
        role=Role.PARTNER,
        display_name=f"{bank.name} 系统接口（{name}）"[:100],
        unit_id=bank.id,
        now=now,
    )
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    row = BankApiKey(
        bank_unit_id=bank.id,
        user_id=account.id,
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


def user_of_key(session: Session, key: str, now: datetime) -> User | None:
    """The active account of a presented key (its use recorded), or None: unknown, revoked or malformed."""
    key = key.strip()
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    digest = hash_key(key)
    row = session.scalar(select(BankApiKey).where(BankApiKey.key_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active or user.unit_id != row.bank_unit_id:
        return None
    row.last_used_at = now
    return user


def revoke_bank_key(session: Session, key_id: int, now: datetime) -> BankApiKey:
    """Revoke a key by id and deactivate its account (revoking twice keeps the first time). Raises NotFound."""
    row = session.get(BankApiKey, key_id)
    if row is None:
        raise NotFound("密钥不存在", field="key_id")
    if row.revoked_at is None:
        row.revoked_at = now
        user = session.get(User, row.user_id)
        if user is not None:
            set_active(session, user, False, now)
    session.flush()
    return row


def list_bank_keys(session: Session) -> list[tuple[BankApiKey, str]]:
    """Every key with its bank's code, by id."""
    rows = session.execute(
        select(BankApiKey, Unit.code).join(Unit, Unit.id == BankApiKey.bank_unit_id).order_by(BankApiKey.id)
    ).all()
    return [(k, c) for k, c in rows]
