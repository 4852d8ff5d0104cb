"""`pingan ranking` commands: show a board's ranking for a period, publish it (打榜)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pingan.cli.main import app, console, fail, services
from pingan.command.ranking import tenants
from pingan.command.ranking.periods import month_of, parse_period
from pingan.command.ranking.service import Ranking
from pingan.core.errors import PinganError

ranking_app = typer.Typer(help="Rankings of stations and departments (打榜).", no_args_is_help=True)
app.add_typer(ranking_app, name="ranking")

PeriodOption = Annotated[
    str | None,
    typer.Option(help="2026-11 (default: this month), 2026-Q4, 2026-H2, 2026, 2026-W48, 2026-11-01..2026-11-15"),
]
BoardOption = Annotated[
    str,
    typer.Option(
        help="A board of [ranking.boards]: stations, departments; counties (several counties: the county bureaus)."
    ),
]
CountyOption = Annotated[
    str | None,
    typer.Option(
        help="Several counties: the county ranked (its area code); on the counties board, a city's or the "
        "province's code ranks its counties (default: every county)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")]


def _arrow(change: int | None) -> str:
    if change is None:
        return "new"
    return f"+{change}" if change > 0 else str(change) if change < 0 else "="


def _print(result: Ranking) -> None:
    state = f"published {result.published_at}" if result.published else "not published"
    whose = f"{result.county['name']} " if result.county else ""
    console.print(f"{whose}{result.board_label} {result.period['label']} ({result.period['key']}, {state})")
    weights = ", ".join(f"{c.name}={c.weight:g} ({c.share:.0%})" for c in result.indicators)
    console.print(f"normalisation {result.normalisation}, missing {result.missing}; weights: {weights}")
    typer.echo("\t".join(["position", "change", "unit", "district", "score", *(c.name for c in result.indicators)]))
    for row in result.rows:
        cells = ["-" if row.cells[c.name].value is None else f"{row.cells[c.name].value:g}" for c in result.indicators]
        typer.echo(
            "\t".join(
                [str(row.position), _arrow(row.change), row.name, row.district or "-", f"{row.score:.2f}", *cells]
            )
        )
    for d in result.districts:
        typer.echo(f"district\t{d.position}\t{_arrow(d.change)}\t{d.name}\t{d.score:.2f}\t{'、'.join(d.units)}")
    for note in result.notes:
        console.print(note)


@ranking_app.command("show")
def show(
    period: PeriodOption = None,
    board: BoardOption = "stations",
    county: CountyOption = None,
    as_json: JsonOption = False,
) -> None:
    """A board's ranking: positions (ties shared), change since the period before, the figures behind them."""
    svc = services()
    try:
        p = parse_period(period) if period else month_of(svc.clock.now())
        with svc.db.session() as session:
            tenant = tenants.resolve(session, None, county, board=board)
            result = svc.ranking.rank(session, p, board, tenant)
    except PinganError as exc:
        fail(f"--{exc.field}: {exc.message}" if exc.field else exc.message)
    if as_json:
        typer.echo(json.dumps(result.public(), ensure_ascii=False))
        return
    _print(result)


@ranking_app.command("publish")
def publish(
    period: Annotated[str, typer.Option(help="The period to publish, e.g. 2026-11.")],
    board: BoardOption = "stations",
    county: CountyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compute and store a period's ranking as published: it never moves afterwards (a second publish fails);
    with several counties, one county's (`--county`), never freezing another's."""
    svc = services()
    try:
        p = parse_period(period)
        with svc.db.session() as session:
            tenant = tenants.resolve(session, None, county, board=board)
            result = svc.ranking.publish(session, p, board, tenant=tenant)
    except PinganError as exc:
        fail(f"--{exc.field}: {exc.message}" if exc.field else exc.message)
    if as_json:
        typer.echo(json.dumps(result.public(), ensure_ascii=False))
        return
    _print(result)
