"""`pingan verify` (核查清单): push a list of people or places to verify, follow its progress, platforms' keys."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from pingan.cli.main import app, console, fail, report_rejected, services

verify_app = typer.Typer(help="Verification lists pushed down to the stations (核查清单).", no_args_is_help=True)
key_app = typer.Typer(help="Upper platforms' API keys (X-Platform-Key).", no_args_is_help=True)
verify_app.add_typer(key_app, name="key")
app.add_typer(verify_app, name="verify")


@verify_app.command("push")
def verify_push(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="CSV: id,kind,name,id_number,phone,address,lon,lat,crs,note"),
    ],
    title: Annotated[str, typer.Option(help="The list's title (shown on every task).")],
    list_id: Annotated[str | None, typer.Option("--id", help="The list's own id (default: the file's digest).")] = None,
    source: Annotated[str, typer.Option(help="Who the list comes from.")] = "本级",
    reason: Annotated[str | None, typer.Option(help="The analysis behind it (研判).")] = None,
    hours: Annotated[int | None, typer.Option(min=1, help="Hours the stations have (default: the county's).")] = None,
    as_user: Annotated[str, typer.Option("--as", help="The pushing user's login (a centre's).")] = "admin",
) -> None:
    """Push a list: each good row becomes a verification task for its station; pushing it again adds nothing
    twice; bad rows are reported by line and field."""
    from pingan.command.verify.service import ListHeader, read_rows_csv
    from pingan.core.models import COUNTY_WIDE_ROLES, User

    svc = services()
    rows = read_rows_csv(file)
    ident = list_id or "file:" + hashlib.sha256(file.read_bytes()).hexdigest()[:32]
    with svc.db.session() as session:
        user = session.scalar(select(User).where(User.username == as_user))
        if user is None or user.role not in COUNTY_WIDE_ROLES:
            fail(f"{as_user!r} is not a centre's user (admin, analyst or commander)")
        pusher = user.id
    result = svc.verify.push(ListHeader(ident, title, source, reason, None, hours), rows, pusher)
    for problem in result.rejected[:50]:
        report_rejected(problem.line, problem.field, problem.message)
    console.print(
        f"list {result.list_id or '-'}: {result.accepted} rows accepted, {result.duplicates} duplicates, "
        f"{len(result.rejected)} rejected; {len(result.tasks_created)} tasks opened ({result.unplaced} unplaced)"
    )
    if not result.accepted and not result.duplicates:
        raise typer.Exit(2)


@verify_app.command("lists")
def verify_lists(as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False) -> None:
    """The pushed lists, newest first, with their progress."""
    from pingan.command.verify.queries import list_lists

    svc = services()
    with svc.db.session() as session:
        page = list_lists(session, svc.clock.now(), limit=500)
    if as_json:
        sys.stdout.write(json.dumps(page["items"], ensure_ascii=False) + "\n")
        return
    for r in page["items"]:
        console.print(
            f"{r['id']:>5}  {r['title']}  [{r['source']}]  {r['done']}/{r['rows']} done, {r['overdue']} overdue, "
            f"due {r['due_at']}"
        )


@key_app.command("create")
def key_create(name: Annotated[str, typer.Argument(help="The platform's name (市级精准劝阻宣防平台…).")]) -> None:
    """A new key for a platform: printed once, only its hash is kept."""
    from pingan.command.verify.keys import create_platform_key

    svc = services()
    with svc.db.session() as session:
        row, key = create_platform_key(session, name, datetime.now(UTC))
        console.print(f"key {row.id} for {row.name}: {key}")
        console.print("keep it now: it is not shown again (header X-Platform-Key)")


@key_app.command("revoke")
def key_revoke(key_id: int) -> None:
    """Revoke a platform's key (its account is deactivated)."""
    from pingan.command.verify.keys import revoke_platform_key

    svc = services()
    with svc.db.session() as session:
        row = revoke_platform_key(session, key_id, datetime.now(UTC))
        console.print(f"key {row.id} ({row.name}) revoked")
