"""`pingan rehab` (社区戒毒/社区康复): import plans, sweep missed check-ins, the 在管率."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pingan.cli.main import app, console, report_rejected, services

rehab_app = typer.Typer(
    help="Community drug rehabilitation (社区戒毒/社区康复), for the 禁毒 duty.", no_args_is_help=True
)
app.add_typer(rehab_app, name="rehab")


@rehab_app.command("import")
def rehab_import(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV: id,kind,name,id_number,phone,address,starts_on,ends_on,checkin_days,test_days,officer",
        ),
    ],
) -> None:
    """Put people under plans; a plan already stored (its id) is left as it is; bad rows by line and field."""
    from pingan.command.rehab.service import read_plans_csv

    svc = services()
    rows = read_plans_csv(file)
    with svc.db.session() as session:
        report = svc.rehab.import_rows(session, rows)
    for line, field, message in report.rejected[:50]:
        report_rejected(line, field, message)
    console.print(f"plans: {report.created} created, {report.unchanged} already known, {len(report.rejected)} rejected")
    if report.rejected and not report.created and not report.unchanged:
        raise typer.Exit(2)


@rehab_app.command("sweep")
def rehab_sweep() -> None:
    """Mark the check-ins and tests past their day as missed and open their tasks (the worker does this too)."""
    svc = services()
    with svc.db.session() as session:
        missed = svc.rehab.sweep(session)
    console.print(f"missed checks: {missed}")


@rehab_app.command("figures")
def rehab_figures_cmd(
    days: Annotated[int, typer.Option(min=1, max=3660)] = 30,
) -> None:
    """People in force, under management, lost, the 在管率, and the checks of the last `days` days (JSON)."""
    from datetime import timedelta

    from pingan.command.rehab.queries import rehab_figures

    svc = services()
    end = svc.clock.now()
    with svc.db.session() as session:
        out = rehab_figures(session, end - timedelta(days=days), end)
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
