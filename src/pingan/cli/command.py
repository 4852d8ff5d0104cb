"""`pingan` commands of the command centre: hidden dangers (a list of findings from CSV, the figures) and the
disputes' figures."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from pingan.cli.main import app, console, fail, report_rejected, services

dangers_app = typer.Typer(
    help="Hidden dangers (隐患整治): findings, departments, the year's targets.", no_args_is_help=True
)
disputes_app = typer.Typer(help="Dispute mediation (矛盾纠纷化解).", no_args_is_help=True)
app.add_typer(dangers_app, name="dangers")
app.add_typer(disputes_app, name="disputes")

DANGER_COLUMNS = "id,kind,title,place,lead (optional: lon,lat,crs,description,plan,co,due_date,budget_yuan)"


@dangers_app.command("import")
def dangers_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    from pingan.command.dangers.schemas import DangerRow
    from pingan.core.csvfile import CsvColumns, read_csv
    from pingan.core.errors import BadInput
    from pingan.core.scope import Scope

    svc = services()
    try:
        rows = list(read_csv(file, CsvColumns.of(DangerRow)))
    except BadInput as exc:
        fail(f"{file}: {exc.message}")
    with svc.db.session() as session:
        report = svc.dangers.import_rows(session, None, Scope(True, frozenset(), frozenset()), rows)
    for rejected in report.rejected[:50]:
        report_rejected(int(rejected["line"]), rejected["field"], str(rejected["message"]))
    console.print(f"dangers: {report.created} created, {report.unchanged} unchanged, {len(report.rejected)} rejected")
    if report.rejected and not (report.created or report.unchanged):
        raise typer.Exit(2)


dangers_import.__doc__ = (
    f"Import a list of findings from CSV: {DANGER_COLUMNS}. `lead` and `co` name governance units by code "
    "(co: `code:duty;code`); each finding gets its tasks; an id seen before is left unchanged; bad rows are "
    "reported by line and field."
)


def _period(days: int, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    svc = services()
    end_at = end or svc.clock.now() + timedelta(seconds=1)
    start_at = start or end_at - timedelta(days=days)
    if start_at >= end_at:
        fail("--start must be before --end")
    return start_at, end_at


@dangers_app.command("figures")
def dangers_figures(
    days: Annotated[int, typer.Option(min=1, max=3660)] = 30,
    start: Annotated[datetime | None, typer.Option(help="ISO 8601 with offset")] = None,
    end: Annotated[datetime | None, typer.Option(help="ISO 8601 with offset")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Found, rectified, open, overdue by kind, 同比, and the year's targets against what was rectified."""
    from sqlalchemy import true

    from pingan.command.dangers import queries

    svc = services()
    start_at, end_at = _period(days, start, end)
    with svc.db.session() as session:
        figures = queries.figures(session, svc.dangers.rules, start_at, end_at, svc.clock.now(), true())
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    for row in figures["kinds"]:
        target = row["year_target"]
        of_target = f", {row['year_rectified']}/{target} of {figures['year']}'s target" if target else ""
        console.print(
            f"{row['kind_name']}: found {row['found']}, rectified {row['rectified']}, open {row['open']}, "
            f"overdue {row['overdue']}{of_target}"
        )


@disputes_app.command("figures")
def disputes_figures(
    days: Annotated[int, typer.Option(min=1, max=3660)] = 30,
    start: Annotated[datetime | None, typer.Option(help="ISO 8601 with offset")] = None,
    end: Annotated[datetime | None, typer.Option(help="ISO 8601 with offset")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Received, resolved, failed by category and mediator, with 同比."""
    from sqlalchemy import true

    from pingan.command.disputes import queries

    svc = services()
    start_at, end_at = _period(days, start, end)
    with svc.db.session() as session:
        figures = queries.figures(session, start_at, end_at, svc.clock.now(), true())
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
        return
    total = figures["total"]
    console.print(
        f"disputes: received {total['received']}, resolved {total['resolved']}, failed {total['failed']}, open {total['open']}"
    )
