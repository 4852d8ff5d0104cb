"""`pingan` commands of tracking (民生地网): tags and stations from CSV, detections from JSONL, the MQTT
consumer, and the tracking figures."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from pingan.cli.fraud import _jsonl_batches
from pingan.cli.main import app, console, fail, progress, report_rejected, services

tags_app = typer.Typer(help="Tags (平安卡, 手环, 牲畜卡) and their owners.", no_args_is_help=True)
stations_app = typer.Typer(help="Village base stations (侦测基站).", no_args_is_help=True)
detections_app = typer.Typer(help="Detections of tags by base stations.", no_args_is_help=True)
tracking_app = typer.Typer(help="Tracking (民生地网): the MQTT consumer and the figures.", no_args_is_help=True)
app.add_typer(tags_app, name="tags")
app.add_typer(stations_app, name="stations")
app.add_typer(detections_app, name="detections")
app.add_typer(tracking_app, name="tracking")

TAG_COLUMNS = "tag,kind,owner_phone,owner_name,plate,frame_no,installed_at,service_point"


def _csv(file: Path, model: type) -> list[tuple[int, dict[str, str | None]]]:
    from pingan.core.csvfile import CsvColumns, read_csv
    from pingan.core.errors import BadInput

    try:
        return list(read_csv(file, CsvColumns.of(model)))
    except BadInput as exc:
        fail(f"{file}: {exc.message}")


def _report(what: str, created: int, updated: int, unchanged: int, rejected: list[tuple[int, str | None, str]]) -> None:
    for line, field, message in rejected[:50]:
        report_rejected(line, field, message)
    console.print(f"{what}: {created} created, {updated} updated, {unchanged} unchanged, {len(rejected)} rejected")
    if rejected and not (created or updated or unchanged):
        raise typer.Exit(2)


@tags_app.command("import")
def tags_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    from pingan.tracking.schemas import TagRow

    svc = services()
    rows = _csv(file, TagRow)
    result = svc.tracking.import_tags(rows)
    _report(
        "tags",
        result.created,
        result.updated,
        result.unchanged,
        [(r.index, r.field, r.message) for r in result.rejected],
    )


tags_import.__doc__ = (
    f"Import tags from CSV: {TAG_COLUMNS} (optional: model, colour, installer, wearer_name, species, "
    "safe_stations, silence_hours). A replay changes nothing; bad rows are reported by line and field."
)


@stations_app.command("import")
def stations_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import base stations from CSV: code,name,lon,lat,village,radius_m (optional crs, silence_minutes)."""
    from pingan.tracking.schemas import StationRow

    svc = services()
    rows = _csv(file, StationRow)
    result = svc.tracking.import_stations(rows)
    _report(
        "stations",
        result.created,
        result.updated,
        result.unchanged,
        [(r.index, r.field, r.message) for r in result.rejected],
    )


@detections_app.command("ingest")
def detections_ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One detection per line (JSON).")],
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Detections per transaction.")] = 5000,
) -> None:
    """Take detections from a JSONL file ({"tag", "at", "station", "rssi", "id"?, "event"?, "battery"?});
    replays are duplicates, bad lines are reported by line and field."""
    svc = services()
    total = sum(1 for line in file.open("rb") if line.strip())
    accepted = merged = duplicates = rejected = alerts = 0
    county = svc.county_code() if svc.streams is not None else ""
    with progress() as bar:
        job = bar.add_task("detections", total=total)
        for lines, items, bad in _jsonl_batches(file, batch):
            refused: list[tuple[int, str | None, str]] = [(line, None, why) for line, why in bad]
            if items:
                # Several machines (PINGAN_NATS_URL): published to the detections stream for the workers.
                result = (
                    svc.tracking.ingest(items)
                    if svc.streams is None
                    else svc.tracking.publish(items, svc.streams, county)
                )
                accepted += result.accepted
                merged += result.merged
                duplicates += result.duplicates
                alerts += len(result.alerts)
                refused += [(lines[r.index], r.field, r.message) for r in result.rejected]
            for line, field, message in sorted(refused, key=lambda p: p[0]):
                rejected += 1
                if rejected <= 50:
                    report_rejected(line, field, message)
            bar.advance(job, len(items) + len(bad))
    if svc.streams is not None:
        console.print(
            f"detections: {accepted} published to the detections stream, {duplicates} duplicates, {rejected}"
            " rejected; `pingan worker --nats` stores them"
        )
    else:
        console.print(
            f"detections: {accepted} stored, {merged} merged (overlap), {duplicates} duplicates, {rejected}"
            f" rejected; {alerts} alerts raised"
        )
    if rejected and not (accepted or merged or duplicates):
        raise typer.Exit(2)


@tracking_app.command("consume")
def consume(
    url: Annotated[str | None, typer.Option(envvar="PINGAN_MQTT_URL", help="mqtt://host:port")] = None,
) -> None:
    """Run the MQTT consumer ({prefix}/detections/+ and {prefix}/stations/+/status) until SIGTERM."""
    from pingan.workers.mqtt import MqttConsumer, broker_answers

    svc = services()
    target = url or svc.settings.mqtt_url
    if not broker_answers(target):
        fail(f"no MQTT broker answers at {target}")
    consumer = MqttConsumer(svc, target)
    console.print(f"MQTT consumer on {target}: {consumer.topics.detections}+ and {consumer.topics.stations}+/status")
    consumer.run_forever()


@tracking_app.command("sweep")
def sweep() -> None:
    """Silent base stations and bracelets, the compensation clock, partitions ahead: once."""
    svc = services()
    with svc.db.session() as session:
        changed = svc.tracking.sweep(session)
    console.print(f"tracking: {changed} changes")


@tracking_app.command("figures")
def figures(days: Annotated[int, typer.Option(min=1, max=3660)] = 30) -> None:
    """Cards installed, thefts, recovered, recovery rate, payouts and suspects over the last days (JSON)."""
    from pingan.tracking.queries import figures as tracking_figures

    svc = services()
    end = svc.clock.now()
    with svc.db.session() as session:
        typer.echo(json.dumps(tracking_figures(session, end - timedelta(days=days), end, None), ensure_ascii=False))
