"""`pingan report`: a 日研判、周通报、月点评 or 季总结 as a PDF or HTML file, and the reports the worker archived."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pingan.cli.main import app, console, fail, services
from pingan.command.reports.periods import Cadence
from pingan.core.errors import PinganError


@app.command("report")
def report(
    cadence: Annotated[Cadence, typer.Argument(help="daily 日研判, weekly 周通报, monthly 月点评, quarterly 季总结.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write: .pdf or .html.", dir_okay=False)],
    period: Annotated[
        str | None,
        typer.Option(help="2026-11-30, 2026-W47, 2026-11 or 2026-Q3 (by the cadence); default: the last complete one."),
    ] = None,
    county: Annotated[
        str | None,
        typer.Option(
            "--county",
            help="With several counties: the county's (or a city's, a province's) area code; default: all of them.",
        ),
    ] = None,
) -> None:
    """Write one report; the county name and the period are on every page of the PDF, its font embedded."""
    from pingan.command.reports.service import ReportFormat, render

    suffix = out.suffix.lower().lstrip(".")
    if suffix not in {f.value for f in ReportFormat}:
        fail(f"--out: the file must end in .pdf or .html, not {out.name!r}")
    svc = services()
    try:
        chosen = svc.reports.period(cadence, period)
        with svc.db.session() as session:
            built = svc.reports.build(session, cadence, chosen, svc.reports.coverage(session, county))
    except PinganError as exc:
        fail(f"--{exc.field}: {exc.message}" if exc.field else exc.message)
    body = render(built, ReportFormat(suffix))
    if out.parent and not out.parent.exists():
        fail(f"--out: the folder {out.parent} does not exist")
    out.write_bytes(body)
    console.print(
        f"{built.bureau} {built.heading}: {len(built.sections)} sections, {len(built.stations)} stations, "
        f"{len(body):,} bytes → {out}"
    )


@app.command("reports")
def reports_list(
    cadence: Annotated[Cadence | None, typer.Option(help="Only this cadence.")] = None,
    county: Annotated[str | None, typer.Option("--county", help="With several counties: only this county's.")] = None,
) -> None:
    """The reports the worker wrote into the instance folder (`<instance>/reports`, a folder per county code
    when there are several), newest period first."""
    from pingan.command.reports.coverage import county_areas

    svc = services()
    with svc.db.session() as session:
        codes = [c.code for c in county_areas(session)]
    counties = None if len(codes) < 2 else codes
    if county is not None and counties is not None:
        if county not in counties:
            fail(f"--county: no county with the code {county!r} (one of {', '.join(counties)})")
        counties = [county]
    found = svc.reports.archive(cadence, counties)
    if not found:
        console.print(f"no reports in {svc.reports.archive_dir}")
        return
    for item in found:
        where = f"{item.county}/" if item.county else ""
        typer.echo(f"{where}{item.name}\t{item.size}\t{item.written_at.isoformat()}")
