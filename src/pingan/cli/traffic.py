"""`pingan traffic` (交通执法): import the traffic police system's records, their figures with 同比."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pingan.cli.main import app, console, report_rejected, services

traffic_app = typer.Typer(help="Traffic enforcement figures (交通执法).", no_args_is_help=True)
app.add_typer(traffic_app, name="traffic")


@traffic_app.command("import")
def traffic_import(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV: id,type,at,place,lon,lat,crs,outcome")
    ],
) -> None:
    """Import records; a record already stored (its id) is a duplicate; bad rows by line and field."""
    from pingan.command.traffic.service import read_records_csv

    svc = services()
    rows = read_records_csv(file)
    with svc.db.session() as session:
        report = svc.traffic.import_rows(session, rows)
    for line, field, message in report.rejected[:50]:
        report_rejected(line, field, message)
    console.print(
        f"traffic records: {report.accepted} accepted, {report.duplicates} duplicates, "
        f"{len(report.rejected)} rejected ({report.unplaced} placed in no station)"
    )
    if report.rejected and not report.accepted and not report.duplicates:
        raise typer.Exit(2)


@traffic_app.command("figures")
def traffic_figures_cmd(days: Annotated[int, typer.Option(min=1, max=3660)] = 30) -> None:
    """The last `days` days by type, area, outcome and month, each with the year before and 同比 (JSON)."""
    from datetime import timedelta

    from pingan.command.traffic.queries import traffic_figures

    svc = services()
    end = svc.clock.now()
    with svc.db.session() as session:
        out = traffic_figures(session, end - timedelta(days=days), end)
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
