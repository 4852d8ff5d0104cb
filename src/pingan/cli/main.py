"""The `pingan` command: the Typer app, its callback and the helpers every command shares.

The commands live beside it by capability (`core`, `fraud`, `desk`) and add themselves to `app` when
imported; the demo and the benchmarks are registered here.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pingan.bootstrap import Services, bootstrap
from pingan.core.db import Base, schema_problem
from pingan.core.errors import first_problem
from pingan.core.settings import MissingSecret, Settings

app = typer.Typer(
    help="Pingan (平安): closed-loop platform for county police and their partners.", no_args_is_help=True
)

console = Console(stderr=True)
# What one invocation builds (settings, services); the callback starts it afresh, so that a process running
# several commands (the tests) never reuses another's database.
_state: dict[str, Any] = {}


@app.callback()
def main(
    ctx: typer.Context,
    database_url: Annotated[
        str | None, typer.Option(envvar="PINGAN_DATABASE_URL", help="SQLAlchemy URL; SQLite by default.")
    ] = None,
) -> None:
    _state.clear()
    _state["database_url"] = database_url
    ctx.call_on_close(_close)


def _close() -> None:
    # Pooled SQLite connections left to the interpreter's exit leave the write-ahead log unmerged.
    svc: Services | None = _state.pop("services", None)
    if svc is not None:
        svc.close()


def database_url() -> str | None:
    """The URL given by --database-url or PINGAN_DATABASE_URL, if any."""
    url: str | None = _state.get("database_url")
    return url


def settings() -> Settings:
    """The process settings, with the URL given on the command line; a bad value is one line, not a traceback."""
    if "settings" not in _state:
        url = database_url()
        try:
            _state["settings"] = Settings(database_url=url) if url else Settings()
        except ValidationError as exc:
            field, _code, message = first_problem(exc)
            fail(f"settings: {field}: {message}" if field else f"settings: {message}")
    built: Settings = _state["settings"]
    return built


def require_schema() -> None:
    """Refuse, in one line, a database without Pingan's tables (and create no file while looking)."""
    problem = schema_problem(settings().database_url, Base.metadata.tables)
    if problem is not None:
        fail(problem)


def services(*, schema: bool = True) -> Services:
    """This invocation's services, built once. Only `pingan init` passes `schema=False`: every other command
    needs the tables, and is stopped by `require_schema` before it touches the database."""
    if "services" not in _state:
        if schema:
            require_schema()
        try:
            _state["services"] = bootstrap(settings())
        except MissingSecret as exc:
            fail(str(exc))
    svc: Services = _state["services"]
    return svc


def progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def report_rejected(line: int, field: str | None, message: str) -> None:
    """Report one refused line of an input file (the good lines are kept): `line N field: message`."""
    where = f"line {line} {field}" if field else f"line {line}"
    console.print(f"[yellow]{escape(where)}[/yellow]: {escape(message)}", soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: message` as one line on stderr and exit with `code`."""
    # The message may hold brackets (a value from a file) that are not markup, and is never wrapped.
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def _register_capabilities() -> None:
    # Each module adds its commands to `app` as it is imported and uses the helpers above, hence imported
    # here, once they exist; in this order `pingan --help` lists them.
    for name in (
        "core",
        "fraud",
        "desk",
        "money",
        "payments",
        "cards",
        "tracking",
        "ranking",
        "patrol",
        "verify",
        "rehab",
        "traffic",
        "command",
        "reports",
    ):
        importlib.import_module(f"pingan.cli.{name}")


_register_capabilities()


@app.command()
def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the web UI.")] = 8000,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    database: Annotated[Path, typer.Option(help="The demo's SQLite file (created afresh).")] = Path("var/demo.db"),
    residents: Annotated[int, typer.Option(min=100, max=1_000_000)] = 50_000,
    rate: Annotated[float, typer.Option(min=0.1, help="Feed events per second.")] = 50.0,
    sim_staff: Annotated[
        bool,
        typer.Option(
            "--sim-staff/--no-sim-staff",
            help="Simulated officers, centre and governance staff (accounts sim_…, marked 模拟) work the tasks.",
        ),
    ] = True,
    sim_residents: Annotated[
        bool,
        typer.Option(
            "--sim-residents/--no-sim-residents",
            help="Simulated residents (phones 1390575xxxx) post requests and rate the answers.",
        ),
    ] = True,
    officers: Annotated[
        bool, typer.Option("--officers/--no-officers", hidden=True, help="Same as --sim-staff/--no-sim-staff.")
    ] = True,
    seed: Annotated[int, typer.Option()] = 7,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: run until Ctrl-C).")
    ] = None,
) -> None:
    """A fresh generated county on SQLite, live feeds, simulated staff and residents, and the UI.

    The simulated people have their own accounts: the logins it prints are yours alone."""
    from pingan.demo.run import run_demo
    from pingan.demo.simulated import SimulatedSide

    run_demo(
        database=database,
        host=host,
        port=port,
        residents=residents,
        rate=rate,
        simulated=SimulatedSide(staff=sim_staff and officers, residents=sim_residents),
        seed=seed,
        duration=duration,
        console=console,
    )


def _register_bench() -> None:
    from pingan.bench.cli import bench_app

    app.add_typer(bench_app, name="bench")


_register_bench()

if __name__ == "__main__":  # pragma: no cover
    # Run as a script, this file is a second copy of the module; the commands joined the imported one.
    from pingan.cli import app as imported_app

    imported_app()
