"""The `pingan` command: set-up, imports, intake, listings, the server, the worker, the demo and benchmarks."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import select

from pingan.bootstrap import Services, bootstrap
from pingan.core.geo import CRS
from pingan.core.models import AreaKind, Role, Unit
from pingan.core.settings import Settings

app = typer.Typer(
    help="Pingan (平安): closed-loop platform for county police and their partners.", no_args_is_help=True
)
areas_app = typer.Typer(help="Jurisdictions (辖区).", no_args_is_help=True)
people_app = typer.Typer(help="The resident registry.", no_args_is_help=True)
indicators_app = typer.Typer(help="Fraud indicator lists (涉诈号码、账户、网址、APP).", no_args_is_help=True)
users_app = typer.Typer(help="Users and units.", no_args_is_help=True)
app.add_typer(areas_app, name="areas")
app.add_typer(people_app, name="people")
app.add_typer(indicators_app, name="indicators")
app.add_typer(users_app, name="users")

console = Console(stderr=True)
_state: dict[str, Any] = {}


@app.callback()
def main(
    database_url: Annotated[
        str | None, typer.Option(envvar="PINGAN_DATABASE_URL", help="SQLAlchemy URL; SQLite by default.")
    ] = None,
) -> None:
    _state["database_url"] = database_url


def services() -> Services:
    if "services" not in _state:
        url = _state.get("database_url")
        settings = Settings(database_url=url) if url else Settings()
        _state["services"] = bootstrap(settings)
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


def fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


@app.command()
def init() -> None:
    """Create or upgrade the database schema (Alembic) and the county's centre units."""
    from pingan.core.setup import ensure_centre_units
    from pingan.migrate import upgrade

    svc = services()
    upgrade(svc.db)
    with svc.db.session() as session:
        ensure_centre_units(session)
    console.print(f"database ready: {svc.db.engine.url.render_as_string(hide_password=True)}")


@areas_app.command("import")
def areas_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A GeoJSON FeatureCollection.")],
    name_property: Annotated[str, typer.Option(help="The property that names each area.")] = "name",
    code_property: Annotated[str | None, typer.Option(help="The property holding its code.")] = "adcode",
    crs: Annotated[CRS, typer.Option(help="Coordinates of the file.")] = CRS.WGS84,
    kind: Annotated[AreaKind, typer.Option(help="station (派出所辖区) or community.")] = AreaKind.STATION,
) -> None:
    """Import jurisdictions; each station area gets its 派出所 unit."""
    from pingan.core.areas import import_geojson
    from pingan.core.geo import GeoError

    svc = services()
    try:
        with svc.db.session() as session:
            report = import_geojson(
                session, file, name_property=name_property, code_property=code_property, crs=crs, kind=kind
            )
    except GeoError as exc:
        fail(str(exc))
        return
    svc.jurisdictions.invalidate()
    console.print(f"areas: {report.created} created, {report.updated} updated, {report.units_created} units created")


@areas_app.command("lookup")
def areas_lookup(lon: float, lat: float, crs: Annotated[CRS, typer.Option(help="wgs84 or gcj02")] = CRS.WGS84) -> None:
    """Which station is this point in."""
    from pingan.core.models import Area

    svc = services()
    with svc.db.session() as session:
        area_id = svc.jurisdictions.station_at(session, lon, lat, crs)
        area = session.get(Area, area_id) if area_id else None
        typer.echo(json.dumps({"area_id": area_id, "name": area.name if area else None}, ensure_ascii=False))


@people_app.command("import")
def people_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import residents from CSV: name,id_number,phones,address,lon,lat,crs,birth_year,tags."""
    from pingan.core.people import import_people, read_people_csv

    svc = services()
    total = max(0, sum(1 for _ in file.open(encoding="utf-8-sig")) - 1)
    with progress() as bar, svc.db.session() as session:
        job = bar.add_task("people", total=total)
        report = import_people(
            session,
            read_people_csv(file),
            svc.jurisdictions,
            svc.clock.now(),
            progress=lambda n: bar.advance(job, n),
        )
    for line, fld, msg in report.rejected[:50]:
        console.print(f"[yellow]line {line}[/yellow] {fld or ''}: {msg}")
    console.print(f"people: {report.created} created, {report.updated} updated, {len(report.rejected)} rejected")


@indicators_app.command("import")
def indicators_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import indicators from CSV: kind,value[,fraud_type,source,note,expires_at]."""
    from pingan.fraud.indicators import import_indicators, read_indicators_csv

    svc = services()
    with svc.db.session() as session:
        report = import_indicators(session, read_indicators_csv(file), svc.clock.now())
    for line, fld, msg in report.rejected[:50]:
        console.print(f"[yellow]line {line}[/yellow] {fld or ''}: {msg}")
    console.print(f"indicators: {report.created} created, {report.updated} updated, {len(report.rejected)} rejected")


def _jsonl_batches(file: Path, size: int) -> Iterator[tuple[list[int], list[Any]]]:
    lines: list[int] = []
    batch: list[Any] = []
    with file.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                item = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                item = {"__invalid_json__": str(exc)}
            lines.append(number)
            batch.append(item)
            if len(batch) >= size:
                yield lines, batch
                lines, batch = [], []
    if batch:
        yield lines, batch


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One event per line (JSON).")],
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Events per transaction.")] = 5000,
) -> None:
    """Take fraud leads from a JSONL file; replays are harmless, bad lines are reported by line and field."""
    svc = services()
    total = sum(1 for line in file.open("rb") if line.strip())
    accepted = duplicates = rejected = opened = 0
    with progress() as bar:
        job = bar.add_task("events", total=total)
        for lines, items in _jsonl_batches(file, batch):
            result = svc.intake.ingest(items)
            accepted += result.accepted
            duplicates += result.duplicates
            opened += len(result.warnings_opened)
            for r in result.rejected:
                rejected += 1
                if rejected <= 50:
                    console.print(f"[yellow]line {lines[r.index]}[/yellow] {r.field or ''}: {r.message}")
            bar.advance(job, len(items))
    console.print(
        f"events: {accepted} accepted, {duplicates} duplicates, {rejected} rejected; {opened} warnings opened"
    )
    if rejected and not accepted and not duplicates:
        raise typer.Exit(2)


class Output(StrEnum):
    TABLE = "table"
    JSON = "json"


@app.command()
def warnings(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    status: Annotated[str | None, typer.Option(help="open or closed")] = None,
    level: Annotated[str | None, typer.Option(help="critical, high, medium or low")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200,
) -> None:
    """List warnings with person (masked), station, level, status and reasons."""
    from pingan.fraud.queries import list_warnings

    svc = services()
    with svc.db.session() as session:
        rows = list_warnings(session, svc.clock.now(), status=status, level=level, limit=limit)
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str) + "\n")
        return
    from rich.table import Table

    table = Table("id", "级别", "人员", "电话", "派出所", "状态", "任务", "原因")
    for w in rows:
        table.add_row(
            str(w["id"]),
            w["level_name"],
            w["person"]["name"] or "-",
            w["person"]["phone"],
            w["station"] or "未落地",
            w["status"],
            w["task"]["status"] if w["task"] else "-",
            "；".join(r["text"] for r in w["reasons"]),
        )
    Console().print(table)


@app.command()
def figures(
    days: Annotated[int, typer.Option(min=1, help="The period: the last N days.")] = 365,
) -> None:
    """Warnings, dissuasions and money protected, county-wide and per station (JSON)."""
    from pingan.fraud.service import Period, fraud_figures

    svc = services()
    now = svc.clock.now()
    with svc.db.session() as session:
        data = fraud_figures(session, Period(now - timedelta(days=days), now + timedelta(seconds=1)), now=now)
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


@app.command()
def sweep() -> None:
    """Escalate every task whose deadline has passed, once."""
    svc = services()
    with svc.db.session() as session:
        n = svc.tasks.sweep(session)
    console.print(f"escalated {n} tasks")


@app.command()
def worker(
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between sweeps when idle.")] = 5.0,
    sweeper: Annotated[bool, typer.Option("--sweeper/--no-sweeper", help="Escalate missed deadlines.")] = True,
    outbox: Annotated[
        bool, typer.Option("--outbox/--no-outbox", help="Deliver the outbox (DingTalk, the desk's fraud reports).")
    ] = True,
) -> None:
    """Run the SLA sweeper and the outbox worker until stopped (SIGTERM / Ctrl-C); any number may run at once."""
    from pingan.workers.run import run_workers

    if not (sweeper or outbox):
        fail("nothing to run: keep --sweeper or --outbox")
    run_workers(services(), sweeper=sweeper, outbox=outbox, sweep_interval=interval)


outbox_app = typer.Typer(help="The outbox: durable work waiting for `pingan worker`.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@outbox_app.command("status")
def outbox_status_command(
    dead: Annotated[int, typer.Option(min=0, max=10_000, help="How many dead rows to list.")] = 20,
) -> None:
    """Rows by kind and state, and the dead ones with the error that finished them (JSON)."""
    from pingan.core.outbox import dead_messages, outbox_status

    with services().db.session() as session:
        counts = outbox_status(session)
        rows = dead_messages(session, limit=dead) if dead else []
    document = {
        "counts": [{"kind": c.kind, "state": c.state.value, "count": c.count} for c in counts],
        "dead": [
            {
                "id": r.id,
                "kind": r.kind,
                "key": r.key,
                "payload": r.payload,
                "attempts": r.attempts,
                "created_at": r.created_at.isoformat(),
                "last_error": r.last_error,
            }
            for r in rows
        ],
    }
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")


@outbox_app.command("retry")
def outbox_retry(ids: Annotated[list[int], typer.Argument(help="Ids of dead rows.")]) -> None:
    """Give dead rows a fresh set of attempts, due now (once their cause is mended)."""
    svc = services()
    with svc.db.session() as session:
        n = svc.outbox.requeue(session, ids)
    console.print(f"{n} of {len(ids)} rows requeued")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (one per core uses the machine; 1 by default).")
    ] = 1,
) -> None:
    """Serve the API and the web UI."""
    import os

    import uvicorn

    from pingan.api.app import create_app

    if workers == 1:
        uvicorn.run(create_app(services()), host=host, port=port, log_level="info")
        return
    # Each worker process builds its own services from the environment (the database URL passed on to it).
    if _state.get("database_url"):
        os.environ["PINGAN_DATABASE_URL"] = str(_state["database_url"])
    uvicorn.run(
        "pingan.api.app:app_from_environment", factory=True, workers=workers, host=host, port=port, log_level="info"
    )


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[Role, typer.Option()],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    unit: Annotated[str | None, typer.Option(help="Unit code (e.g. station-330225001).")] = None,
) -> None:
    """Create a user (or reset their password)."""
    from pingan.core.identity import create_user

    svc = services()
    with svc.db.session() as session:
        unit_id = None
        if unit is not None:
            unit_id = session.scalar(select(Unit.id).where(Unit.code == unit))
            if unit_id is None:
                fail(f"no unit with code {unit!r}")
        create_user(
            session,
            username,
            password,
            role=role,
            display_name=name or username,
            unit_id=unit_id,
            now=datetime.now(UTC),
        )
    console.print(f"user {username} ({role.value}) ready")


@app.command()
def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the web UI.")] = 8000,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    database: Annotated[Path, typer.Option(help="The demo's SQLite file (created afresh).")] = Path("var/demo.db"),
    residents: Annotated[int, typer.Option(min=100, max=1_000_000)] = 50_000,
    rate: Annotated[float, typer.Option(min=0.1, help="Feed events per second.")] = 50.0,
    officers: Annotated[
        bool, typer.Option("--officers/--no-officers", help="Simulated officers work the tasks.")
    ] = True,
    seed: Annotated[int, typer.Option()] = 7,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: run until Ctrl-C).")
    ] = None,
) -> None:
    """A fresh generated county on SQLite, live feeds, simulated officers and the UI."""
    from pingan.demo.run import run_demo

    run_demo(
        database=database,
        host=host,
        port=port,
        residents=residents,
        rate=rate,
        officers=officers,
        seed=seed,
        duration=duration,
        console=console,
    )


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


def _register_bench() -> None:
    from pingan.bench.cli import bench_app

    app.add_typer(bench_app, name="bench")


_register_bench()

if __name__ == "__main__":  # pragma: no cover
    start = time.monotonic()
    app()
