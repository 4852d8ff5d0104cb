"""`pingan payments` on a real SQLite file: the banks, the figures as one JSON object, and the calendar (a year
nobody covers is one line naming it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from pingan.bootstrap import bootstrap
from pingan.core.identity import Actor, create_user
from pingan.core.models import Role, Unit, UnitKind
from pingan.core.settings import Settings
from pingan.money.payments.schemas import StopCreate
from tests.integration.test_cli import Cli, cli, ok, one_line_error, template

__all__ = ["cli", "template"]  # the fixtures of the CLI tests, used here


def test_a_bank_is_created_and_a_stop_counts_in_the_figures(cli: Cli) -> None:
    ok(cli("payments", "bank-create", "bank-abc", "农业银行象山支行"))
    ok(cli("payments", "bank-create", "bank-abc", "中国农业银行象山县支行"))  # renamed, not doubled
    services = bootstrap(Settings(database_url=cli.url))
    try:
        with services.db.session() as session:
            banks = session.scalars(select(Unit).where(Unit.kind == UnitKind.BANK)).all()
            assert [b.name for b in banks] == ["中国农业银行象山县支行"]
            analyst = create_user(
                session,
                "fzzx",
                "pw-123456",
                role=Role.ANALYST,
                display_name="fzzx",
                unit_id=None,
                now=datetime.now(UTC),
            )
            actor, bank_id = Actor.of(analyst), banks[0].id
        body = StopCreate(
            bank_unit_id=bank_id, account="6228480012345678901", amount_yuan=Decimal(500), basis="止付依据"
        )
        created = services.payments.request_stop(actor, body)
        services.payments.act(actor, created.order_id, "answer", {"result": "stopped", "amount_stopped_yuan": "450.5"})
    finally:
        services.close()
    result = ok(cli("payments", "figures", "--json"))
    figures = json.loads(result.stdout)
    assert figures["total"]["stops"] == 1
    assert figures["total"]["accounts_stopped"] == 1
    assert figures["total"]["amount_stopped_yuan"] == "450.50"
    assert figures["areas"][0]["area"] == "未定辖区"
    table = ok(cli("payments", "figures", "--days", "7")).stdout
    assert "total\t1\t1\t1\t450.50" in table


def test_a_bank_code_used_by_another_kind_of_unit_is_refused(cli: Cli) -> None:
    ok(cli("init"))  # the centres' units
    assert "is not a bank" in one_line_error(cli("payments", "bank-create", "bureau", "某银行"))


def test_the_calendar_names_its_source_and_a_year_nobody_covers_is_one_line(cli: Cli) -> None:
    shown = ok(cli("payments", "calendar", "2025")).stdout
    assert "source: chinese-calendar" in shown
    assert "2025-10-11" in shown
    assert "2099" in one_line_error(cli("payments", "calendar", "2099"))


def test_figures_refuse_an_empty_period(cli: Cli) -> None:
    message = one_line_error(cli("payments", "figures", "--start", "2025-10-02", "--end", "2025-10-01"))
    assert "--start" in message


def test_a_bank_key_is_shown_once_listed_by_its_prefix_and_revoked(cli: Cli) -> None:
    ok(cli("payments", "bank-create", "bank-abc", "农业银行象山支行"))
    created = ok(cli("payments", "bank-key", "create", "bank-abc", "核心系统"))
    key = created.stdout.strip()
    assert key.startswith("bank_")
    assert cli.count("payment_bank_keys") == 1
    listed = ok(cli("payments", "bank-key", "list")).stdout
    assert f"bank-abc\t核心系统\t{key[:11]}…\tactive\tnever used" in listed
    assert key not in listed
    ok(cli("payments", "bank-key", "revoke", "1"))
    assert "revoked" in ok(cli("payments", "bank-key", "list")).stdout
    assert "没有编码为 bank-none 的银行" in one_line_error(cli("payments", "bank-key", "create", "bank-none", "x"))
    assert "密钥不存在" in one_line_error(cli("payments", "bank-key", "revoke", "99"))
