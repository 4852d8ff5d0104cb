"""`pingan` commands of the core: the schema, jurisdictions, residents, users, the server and the SLA sweeper."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import select

from pingan.cli.main import (
    app,
    console,
    database_url,
    fail,
    progress,
    report_rejected,
    require_schema,
    services,
    settings,
)
from pingan.core.backup import Contents
from pingan.core.geo import CRS
from pingan.core.models import AreaKind, Role, Unit

if TYPE_CHECKING:
    from pingan.bootstrap import Services

areas_app = typer.Typer(help="Jurisdictions (辖区).", no_args_is_help=True)
people_app = typer.Typer(help="The resident registry.", no_args_is_help=True)
users_app = typer.Typer(help="Users and units.", no_args_is_help=True)
app.add_typer(areas_app, name="areas")
app.add_typer(people_app, name="people")
app.add_typer(users_app, name="users")


@app.command()
def init() -> None:
    """Create or upgrade the database schema (Alembic) and the county's centre units."""
    from pingan.cli.main import settings
    from pingan.core.settings import ensure_secret_key
    from pingan.core.setup import ensure_centre_units
    from pingan.migrate import upgrade

    written = ensure_secret_key(settings())
    if written is not None:
        console.print(f"signing key generated: {written} (keep it; every server process of this instance reads it)")
    svc = services(schema=False)
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
    kind: Annotated[
        AreaKind, typer.Option(help="station (派出所辖区), community, or county / city / province (several counties).")
    ] = AreaKind.STATION,
    parent: Annotated[
        str | None, typer.Option(help="The code of the area holding these (a station's county, a county's city).")
    ] = None,
) -> None:
    """Import jurisdictions; each station area gets its 派出所 unit, each county its bureau and centres."""
    from pingan.core.areas import import_geojson
    from pingan.core.geo import GeoError

    svc = services()
    try:
        with svc.db.session() as session:
            report = import_geojson(
                session,
                file,
                name_property=name_property,
                code_property=code_property,
                crs=crs,
                kind=kind,
                parent_code=parent,
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
    from pingan.core.errors import BadInput
    from pingan.core.people import import_people, read_people_csv

    svc = services()
    try:
        rows = read_people_csv(file)
    except BadInput as exc:
        fail(f"{file}: {exc.message}")
    total = max(0, sum(1 for _ in file.open(encoding="utf-8-sig")) - 1)
    with progress() as bar, svc.db.session() as session:
        job = bar.add_task("people", total=total)
        report = import_people(
            session,
            rows,
            svc.jurisdictions,
            svc.clock.now(),
            progress=lambda n: bar.advance(job, n),
        )
    for line, fld, msg in report.rejected[:50]:
        report_rejected(line, fld, msg)
    console.print(f"people: {report.created} created, {report.updated} updated, {len(report.rejected)} rejected")


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


@users_app.command("duties")
def users_duties(
    username: str,
    duty: Annotated[
        list[str] | None,
        typer.Argument(help="The clearances the user holds from now on (narcotics: 禁毒); none clears them."),
    ] = None,
) -> None:
    """Set the clearances (duties) a user holds on top of their role."""
    from pingan.core.identity import set_duties
    from pingan.core.models import Duty, User

    known = {d.value for d in Duty}
    unknown = [d for d in duty or [] if d not in known]
    if unknown:
        fail(f"unknown duty {unknown[0]!r}; the duties are {', '.join(sorted(known))}")
    svc = services()
    with svc.db.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            fail(f"no user {username!r}")
        set_duties(session, user, list(duty or []), datetime.now(UTC))
        console.print(f"user {username}: duties {', '.join(user.duties) or 'none'}")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (one per core uses the machine; 1 by default).")
    ] = 1,
    mqtt: Annotated[
        bool, typer.Option("--mqtt/--no-mqtt", help="Consume the base stations' MQTT feed when a broker answers.")
    ] = True,
) -> None:
    """Serve the API and the web UI (and the MQTT consumer of tracking, when a broker answers)."""
    import os
    import shutil
    import tempfile

    import uvicorn

    from pingan.api.app import create_app
    from pingan.core.logs import logging_config

    config = settings()
    log_config = logging_config(json_lines=config.json_logs, level=config.log_level)
    if mqtt:
        _start_mqtt(config.mqtt_url)
    # Forwarded addresses are believed only from PINGAN_TRUSTED_PROXIES (the app's own middleware), not from
    # uvicorn's default of 127.0.0.1, hence proxy_headers=False.
    if workers == 1:
        uvicorn.run(
            create_app(services()),
            host=host,
            port=port,
            log_config=log_config,
            log_level=config.log_level,
            proxy_headers=False,
        )
        return
    services()  # here, or each worker process would fail on its own (no schema, no key)
    # Each worker process builds its own services from the environment (the database URL passed on to it).
    url = database_url()
    if url:
        os.environ["PINGAN_DATABASE_URL"] = url
    # Request counts are per process: prometheus-client's multiprocess mode has each worker write its own
    # into this folder and any worker answer /metrics with the sum. A fresh folder, so that counts of an
    # earlier run are not added in; set before the workers start, as the library reads it on import.
    made = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pingan-metrics-")
    try:
        uvicorn.run(
            "pingan.api.app:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_config=log_config,
            log_level=config.log_level,
            proxy_headers=False,
        )
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


def _start_mqtt(url: str) -> None:
    """The MQTT consumer on a thread of this process (the server's parent under --workers N), and say so."""
    from pingan.workers.mqtt import Topics, start_in_background

    svc = services()
    if start_in_background(svc, url) is not None:
        topics = Topics(svc.settings.mqtt_topic_prefix)
        console.print(f"MQTT consumer on {url}: {topics.detections}+ and {topics.stations}+/status")
    else:
        console.print(f"MQTT: no broker answers at {url}; base stations' detections only over HTTP or files")


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
    nats: Annotated[
        str | None,
        typer.Option(help="Consume the JetStream streams at this NATS URL (default: PINGAN_NATS_URL when set)."),
    ] = None,
    streams: Annotated[
        str, typer.Option(help="The streams to consume, comma-separated: leads, detections.")
    ] = "leads,detections",
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Stream messages stored per transaction.")] = 500,
    consumer: Annotated[
        str | None,
        typer.Option(
            help="The durable consumer (queue group) to join; a new name reads each stream from its start"
            " (a replay: what is stored already is skipped). Default pingan-<stream>.",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Serve this worker's metrics (Prometheus) on 127.0.0.1.")
    ] = None,
) -> None:
    """Run the SLA sweeper and the outbox worker until stopped (SIGTERM / Ctrl-C); any number may run at once.

    With --nats (or PINGAN_NATS_URL), also consume the leads and detections streams into the database, in a
    queue group with every other worker: each batch is committed, then acknowledged."""
    import logging.config

    from pingan.core.logs import logging_config
    from pingan.core.streams import StreamName
    from pingan.workers.run import run_workers

    url = nats or settings().nats_url
    chosen: list[StreamName] = []
    if url:
        for name in (s.strip() for s in streams.split(",") if s.strip()):
            try:
                stream = StreamName(name)
            except ValueError:
                fail(f"unknown stream {name!r}: choose from leads, detections", code=2)
            chosen.append(stream)
    if not (sweeper or outbox or chosen):
        fail("nothing to run: keep --sweeper or --outbox, or give --nats")
    logging.config.dictConfig(logging_config(json_lines=settings().json_logs, level=settings().log_level))
    run_workers(
        services(),
        sweeper=sweeper,
        outbox=outbox,
        sweep_interval=interval,
        streams=chosen,
        nats_url=url,
        batch=batch,
        metrics_port=metrics_port,
        consumer=consumer,
    )


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


maintenance_app = typer.Typer(help="Upkeep of stored data.", no_args_is_help=True)
app.add_typer(maintenance_app, name="maintenance")


@maintenance_app.command("remask")
def maintenance_remask() -> None:
    """Mask ID numbers, phones and bank cards held verbatim in task titles and notifications written before
    free-text masking (the migration 0012_remask runs the same pass; running it again changes nothing).
    Prints the rows scanned and masked per table (JSON)."""
    from pingan.core.remask import remask_free_text

    svc = services()
    with svc.db.engine.begin() as conn:
        result = remask_free_text(conn)
    sys.stdout.write(json.dumps({"scanned": result.scanned, "masked": result.masked}) + "\n")


# The tables a restore reports by name (every table is restored): who, where, and the work.
MAIN_TABLES = ("users", "units", "areas", "people", "tasks", "task_events", "access_log", "outbox")


def _say_contents(verb: str, file: Path, held: Contents) -> None:
    shown = [f"{name} {held.counts[name]}" for name in MAIN_TABLES if name in held.counts]
    rows = sum(n for name, n in held.counts.items() if name != "alembic_version")
    revision = ",".join(held.revision) or "none"
    console.print(
        f"{verb} {file}: revision {revision}, {len(held.counts)} tables, {rows} rows ({', '.join(shown)})",
        soft_wrap=True,
    )


@app.command()
def backup(file: Annotated[Path, typer.Argument(dir_okay=False, help="Where to write the backup.")]) -> None:
    """Copy the whole database into FILE: SQLite through its online backup API (safe while the server
    runs), PostgreSQL through pg_dump (custom format)."""
    from pingan.core.backup import backup as run_backup
    from pingan.core.errors import PinganError

    require_schema()
    try:
        held = run_backup(settings().database_url, file)
    except PinganError as exc:
        fail(exc.message)
    _say_contents("backed up to", file, held)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A file made by `pingan backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that already holds rows.")] = False,
) -> None:
    """Replace the database with the backup in FILE (stop the server and workers first); refuses a database
    that holds rows unless --force, and says what it restored."""
    from pingan.core.backup import restore as run_restore
    from pingan.core.errors import PinganError

    try:
        held = run_restore(settings().database_url, file, force=force)
    except PinganError as exc:
        fail(exc.message)
    _say_contents("restored from", file, held)


# What `pingan stats` counts: a kind, its table, and the condition that makes a row count (None: every row).
STORED_KINDS: tuple[tuple[str, str, str | None], ...] = (
    ("events", "fraud_events", None),
    ("warnings", "fraud_warnings", None),
    ("tasks", "tasks", None),
    ("tasks_open", "tasks", "closed_at IS NULL"),
    ("cases", "cases", None),
    ("desk_requests", "desk_requests", None),
    ("detections", "tracking_detections", None),
    ("tags", "tracking_tags", None),
    ("outbox_pending", "outbox", "state = 'pending'"),
    ("outbox_dead", "outbox", "state = 'dead'"),
    ("stream_dead_letters", "stream_dead_letters", None),
)


@app.command()
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Stored counts per kind (events, warnings, tasks, cases, detections, outbox rows pending …) and, when
    PINGAN_NATS_URL is set, each stream's stored messages and its consumer's lag."""
    from sqlalchemy import inspect, text

    svc = services()
    counts: dict[str, int | None] = {}
    with svc.db.session() as session:
        present = set(inspect(session.connection()).get_table_names())
        for kind, table, where in STORED_KINDS:
            if table not in present:  # a capability whose migration this database has not run
                counts[kind] = None
                continue
            sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")  # noqa: S608 - constants
            counts[kind] = int(session.execute(text(sql)).scalar_one())
    doc: dict[str, object] = {"database": svc.db.engine.dialect.name, "stored": counts}
    if svc.settings.nats_url:
        doc["streams"] = _stream_stats(svc)
    if as_json:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return
    for kind, n in counts.items():
        console.print(f"{kind:>20}  {'—' if n is None else n}")
    for name, state in dict(doc.get("streams") or {}).items():  # type: ignore[call-overload]
        console.print(f"{name:>20}  {state}")


def _stream_stats(svc: Services) -> dict[str, object]:
    from pingan.adapters.jetstream import JetStream, StreamUnavailable
    from pingan.bootstrap import stream_settings
    from pingan.core.streams import StreamName
    from pingan.workers.streams import durable_name

    try:
        js = JetStream(stream_settings(svc.settings))
    except StreamUnavailable as exc:
        return {"error": str(exc)}
    try:
        out: dict[str, object] = {}
        for stream in (StreamName.LEADS, StreamName.DETECTIONS):
            out[js.settings.stream_id(stream)] = {
                "stored": js.stream_state(stream),
                "consumer": durable_name(stream),
                "lag": js.lag(stream, durable_name(stream)),
            }
        return out
    finally:
        js.close()


streams_app = typer.Typer(help="The JetStream streams of a deployment on several machines.", no_args_is_help=True)
app.add_typer(streams_app, name="streams")


@streams_app.command("init")
def streams_init(
    nats: Annotated[str | None, typer.Option(help="NATS URL (default PINGAN_NATS_URL).")] = None,
) -> None:
    """Create the streams (or bring them to the replicas, retention and duplicate window of the settings)."""
    from pingan.adapters.jetstream import JetStream, StreamUnavailable
    from pingan.bootstrap import stream_settings

    try:
        js = JetStream(stream_settings(settings(), nats))
    except StreamUnavailable as exc:
        fail(str(exc))
    try:
        names = js.ensure_streams()
    finally:
        js.close()
    console.print("streams ready: " + ", ".join(names))


@streams_app.command("dead")
def streams_dead(
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    stream: Annotated[str | None, typer.Option(help="Only this stream's (leads, detections).")] = None,
) -> None:
    """The messages the workers set aside, newest first, with their error (JSON; personal data masked)."""
    from pingan.core.streams import dead_letters

    svc = services()
    with svc.db.session() as session:
        page = dead_letters(session, limit=limit, stream=stream, masked=True)
    sys.stdout.write(json.dumps(page, ensure_ascii=False) + "\n")
