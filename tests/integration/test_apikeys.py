"""The API keys of outside systems, one way for all three (`pingan.core.apikeys`): Open311 clients, bank
systems and upper platforms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingan.command.verify.keys import create_platform_key, is_platform, revoke_platform_key
from pingan.command.verify.keys import user_of_key as platform_user
from pingan.command.verify.models import VerifyPlatformKey
from pingan.core.apikeys import hash_key
from pingan.core.db import Database
from pingan.core.errors import BadInput, NotFound
from pingan.core.models import Unit, UnitKind, User
from pingan.desk.open311.keys import create_api_key, find_api_key, list_api_keys, revoke_api_key
from pingan.money.payments.keys import create_bank_key, list_bank_keys, revoke_bank_key
from pingan.money.payments.keys import user_of_key as bank_user

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _banks(db: Database) -> dict[str, int]:
    with db.session() as session:
        units = [Unit(code=code, name=f"{code} 银行", kind=UnitKind.BANK) for code in ("bank-x", "bank-y")]
        session.add_all(units)
        session.flush()
        return {u.code: u.id for u in units}


def test_a_key_is_shown_once_stored_as_its_hash_and_told_apart_by_its_prefix(db: Database) -> None:
    with db.session() as session:
        row, key = create_api_key(session, "  市民热线  ", T0)
        assert key.startswith("o311_")
        assert len(key) > 30
        assert row.name == "市民热线"
        assert row.key_hash == hash_key(key) != key
        assert row.prefix == key[:11]
        assert (row.created_at, row.last_used_at, row.revoked_at) == (T0, None, None)
        other_row, other = create_api_key(session, "另一方", T0)
        assert other != key
        assert other_row.key_hash != row.key_hash
        assert [k.id for k in list_api_keys(session)] == [row.id, other_row.id]


@pytest.mark.parametrize("name", ["", "   ", "名" * 101])
def test_a_key_needs_a_holders_name(db: Database, name: str) -> None:
    with db.session() as session, pytest.raises(BadInput) as refused:
        create_api_key(session, name, T0)
    assert refused.value.field == "name"


def test_a_presented_key_is_found_only_whole_of_its_kind_and_unrevoked(db: Database) -> None:
    with db.session() as session:
        row, key = create_api_key(session, "市民热线", T0)
        _platform, platform_key = create_platform_key(session, "市级平台", T0)
        assert find_api_key(session, f"  {key}\n") is row  # spaces around a pasted key do not matter
        assert find_api_key(session, key[:-1]) is None
        assert find_api_key(session, key + "x") is None
        assert find_api_key(session, platform_key) is None  # another kind's key
        assert find_api_key(session, "o311_" + "a" * 200) is None
        assert find_api_key(session, "") is None
        # Open311 keeps no last use (as before).
        assert row.last_used_at is None
        revoke_api_key(session, row.id, T0 + timedelta(hours=1))
        revoke_api_key(session, row.id, T0 + timedelta(hours=2))
        assert row.revoked_at == T0 + timedelta(hours=1)  # revoking twice keeps the first time
        assert find_api_key(session, key) is None


def test_revoking_an_unknown_key_names_the_key_id(db: Database) -> None:
    with db.session() as session:
        for revoke, message in (
            (revoke_api_key, "密钥不存在"),
            (revoke_bank_key, "密钥不存在"),
            (revoke_platform_key, "没有该密钥"),
        ):
            with pytest.raises(NotFound) as missing:
                revoke(session, 999, T0)
            assert (missing.value.field, missing.value.message) == ("key_id", message)


def test_a_platforms_key_acts_as_its_own_account_until_revoked(db: Database) -> None:
    with db.session() as session:
        row, key = create_platform_key(session, "市级平台", T0)
        account = session.get(User, row.user_id)
        assert account is not None
        assert account.display_name == "市级平台"
        assert account.unit_id is None
        assert platform_user(session, key, T0 + timedelta(minutes=5)) is account
        assert row.last_used_at == T0 + timedelta(minutes=5)
        assert is_platform(session, account)
        revoke_platform_key(session, row.id, T0 + timedelta(hours=1))
        assert not account.active
        assert not is_platform(session, account)
        assert platform_user(session, key, T0 + timedelta(hours=2)) is None
        assert row.last_used_at == T0 + timedelta(minutes=5)
        assert session.get(VerifyPlatformKey, row.id) is row


def test_a_banks_key_is_refused_once_its_account_is_no_longer_the_banks(db: Database) -> None:
    ids = _banks(db)
    with db.session() as session:
        row, key = create_bank_key(session, "bank-x", "核心系统", T0)
        account = session.get(User, row.user_id)
        assert account is not None
        assert account.unit_id == ids["bank-x"]
        assert bank_user(session, key, T0) is account
        assert [(k.id, code) for k, code in list_bank_keys(session)] == [(row.id, "bank-x")]
        account.unit_id = ids["bank-y"]
        assert bank_user(session, key, T0 + timedelta(minutes=1)) is None
        assert row.last_used_at == T0  # a refused use is not recorded
        account.unit_id = ids["bank-x"]
        account.active = False
        assert bank_user(session, key, T0 + timedelta(minutes=2)) is None


def test_a_bank_key_is_only_for_a_bank(db: Database) -> None:
    with db.session() as session:
        session.add(Unit(code="ps-1", name="城关派出所", kind=UnitKind.STATION))
        session.flush()
        for code in ("ps-1", "nowhere"):
            with pytest.raises(NotFound) as missing:
                create_bank_key(session, code, "核心系统", T0)
            assert missing.value.field == "bank"
