"""`pingan payments` commands: the banks, the interception figures and the working-day calendar."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from sqlalchemy import select

from pingan.cli.main import app, console, fail, services
from pingan.core.errors import PinganError
from pingan.core.models import Unit, UnitKind
from pingan.core.scope import Scope

payments_app = typer.Typer(help="Stop-payment, freeze and return with the banks.", no_args_is_help=True)
app.add_typer(payments_app, name="payments")


def _when(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--{name}: not an ISO 8601 date or time: {value!r}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@payments_app.command("figures")
def figures_command(
    days: Annotated[int, typer.Option(min=1, max=3660, help="The last N days (unless --start).")] = 30,
    start: Annotated[str | None, typer.Option(help="ISO 8601; UTC unless it has an offset.")] = None,
    end: Annotated[str | None, typer.Option(help="ISO 8601; default now.")] = None,
    area_id: Annotated[int | None, typer.Option(min=1, help="One area only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Accounts stopped and frozen with their amounts, money returned: per area and in total (county-wide)."""
    from pingan.money.payments.queries import figures

    svc = services()
    end_at = _when(end, "end") if end else svc.clock.now()
    start_at = _when(start, "start") if start else end_at - timedelta(days=days)
    if start_at >= end_at:
        fail("--start must be before --end")
    with svc.db.session() as session:
        result = figures(session, Scope(True, frozenset(), frozenset()), start_at, end_at, area_id=area_id)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    console.print(f"{result['start']} → {result['end']}")
    header = "area\trequests\tstops\taccounts_stopped\tstopped_yuan\tfreezes\taccounts_frozen\tfrozen_yuan\treturns\treturned_yuan"
    typer.echo(header)
    for row in [*result["areas"], {"area": "total", **result["total"]}]:
        typer.echo(
            "\t".join(
                str(row[k])
                for k in (
                    "area",
                    "requests",
                    "stops",
                    "accounts_stopped",
                    "amount_stopped_yuan",
                    "freezes",
                    "accounts_frozen",
                    "amount_frozen_yuan",
                    "returns",
                    "amount_returned_yuan",
                )
            )
        )


@payments_app.command("calendar")
def calendar_command(year: Annotated[int, typer.Argument(min=1900, max=2200)]) -> None:
    """A year's holidays and make-up working days, and whether they come from the package or the county."""
    svc = services()
    try:
        days = svc.payments.calendar.year(year)
    except PinganError as exc:
        fail(exc.message)
    typer.echo(f"{year}\tsource: {days.source}")
    typer.echo("holidays:\t" + " ".join(sorted(d.isoformat() for d in days.holidays)))
    typer.echo("workdays:\t" + " ".join(sorted(d.isoformat() for d in days.workdays)))


@payments_app.command("bank-create")
def bank_create(
    code: Annotated[str, typer.Argument(help="The unit's code, e.g. bank-abc-xiangshan.")],
    name: Annotated[str, typer.Argument(help="e.g. 农业银行象山支行.")],
) -> None:
    """Add a bank as a partner unit (or rename it); its liaisons are users of role partner in it."""
    svc = services()
    with svc.db.session() as session:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is not None and unit.kind is not UnitKind.BANK:
            fail(f"unit {code!r} exists and is not a bank")
        if unit is None:
            unit = Unit(code=code, name=name, kind=UnitKind.BANK)
            session.add(unit)
        unit.name = name
        session.flush()
        unit_id = unit.id
    console.print(f"bank {code} ({name}) ready, unit id {unit_id}")


keys_app = typer.Typer(help="API keys of the banks' systems (the bank API's X-Bank-Key).", no_args_is_help=True)
payments_app.add_typer(keys_app, name="bank-key")


@keys_app.command("create")
def bank_key_create(
    bank: Annotated[str, typer.Argument(help="The bank's unit code.")],
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 核心系统.")],
) -> None:
    """Create a key for a bank's system; it is printed once and stored only as a hash."""
    from pingan.money.payments.keys import create_bank_key

    svc = services()
    try:
        with svc.db.session() as session:
            row, key = create_bank_key(session, bank, name, svc.clock.now())
            key_id = row.id
    except PinganError as exc:
        fail(exc.message)
    console.print(f"key {key_id} for {bank} ({name}), shown once, keep it safe:")
    typer.echo(key)


@keys_app.command("list")
def bank_key_list() -> None:
    """The keys, by id, bank, name and prefix."""
    from pingan.money.payments.keys import list_bank_keys

    svc = services()
    with svc.db.session() as session:
        for row, code in list_bank_keys(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            used = f"used {row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used"
            typer.echo(f"{row.id}\t{code}\t{row.name}\t{row.prefix}…\t{state}\t{used}")


@keys_app.command("revoke")
def bank_key_revoke(key_id: int) -> None:
    """Revoke a key: calls with it get 401 from then on."""
    from pingan.money.payments.keys import revoke_bank_key

    svc = services()
    try:
        with svc.db.session() as session:
            revoke_bank_key(session, key_id, svc.clock.now())
    except PinganError as exc:
        fail(exc.message)
    console.print(f"key {key_id} revoked")
