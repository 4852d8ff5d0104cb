"""`pingan` commands of the citizen desk: the API keys of Open311 partner clients."""

from __future__ import annotations

from typing import Annotated

import typer

from pingan.cli.main import app, console, services

open311_app = typer.Typer(help="Open311 GeoReport v2 API keys (for partner clients).", no_args_is_help=True)
app.add_typer(open311_app, name="open311-key")


@open311_app.command("create")
def open311_key_create(name: Annotated[str, typer.Argument(help="Who the key is for.")]) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    from pingan.desk.open311.keys import create_api_key

    svc = services()
    with svc.db.session() as session:
        row, key = create_api_key(session, name, svc.clock.now())
        key_id = row.id
    console.print(f"key {key_id} for {name} (shown once, keep it safe):")
    typer.echo(key)


@open311_app.command("list")
def open311_key_list() -> None:
    """The keys, by id, name and prefix."""
    from pingan.desk.open311.keys import list_api_keys

    svc = services()
    with svc.db.session() as session:
        for row in list_api_keys(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            typer.echo(f"{row.id}\t{row.name}\t{row.prefix}…\t{state}")


@open311_app.command("revoke")
def open311_key_revoke(key_id: int) -> None:
    """Revoke a key: clients using it get 403 from then on."""
    from pingan.desk.open311.keys import revoke_api_key

    svc = services()
    with svc.db.session() as session:
        revoke_api_key(session, key_id, svc.clock.now())
    console.print(f"key {key_id} revoked")
