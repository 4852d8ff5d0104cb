"""Bank systems' API keys: issued once (only a SHA-256 hash is stored), checked on every call of the bank API,
revoked by id. Hashing, lookup and revocation are the shared ones of `pingan.core.apikeys`.

Each key is bound to a bank and acts as a partner account of its own in that bank (no password, so it cannot
sign in), created with the key: the history of every order names the key that acted, and the bank's scope is
the account's unit, decided like any partner user's. `pingan payments bank-key create BANK NAME` is the front
door; these functions take a session and leave committing to the caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.core import apikeys
from pingan.core.errors import BadInput, NotFound
from pingan.core.identity import create_user
from pingan.core.models import Role, Unit, UnitKind, User
from pingan.money.payments.models import BankApiKey

KEY_PREFIX = "bank_"


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
    row = BankApiKey(bank_unit_id=bank.id, user_id=account.id, name=name)
    key = apikeys.issue_key(session, row, KEY_PREFIX, now)
    return row, key


def user_of_key(session: Session, key: str, now: datetime) -> User | None:
    """The active account of a presented key (its use recorded), or None: unknown, revoked, malformed, or an
    account no longer in the key's bank."""
    return apikeys.user_of_key(
        session, BankApiKey, KEY_PREFIX, key, now, fits=lambda row, user: user.unit_id == row.bank_unit_id
    )


def revoke_bank_key(session: Session, key_id: int, now: datetime) -> BankApiKey:
    """Revoke a key by id and deactivate its account (revoking twice keeps the first time). Raises NotFound."""
    return apikeys.revoke_key(session, BankApiKey, key_id, now, "密钥不存在")


def list_bank_keys(session: Session) -> list[tuple[BankApiKey, str]]:
    """Every key with its bank's code, by id."""
    rows = session.execute(
        select(BankApiKey, Unit.code).join(Unit, Unit.id == BankApiKey.bank_unit_id).order_by(BankApiKey.id)
    ).all()
    return [(k, c) for k, c in rows]
