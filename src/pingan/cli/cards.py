"""`pingan cards` commands (断卡): the operators' and banks' feed of card openings from a file, the flagged ones."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pingan.cli.fraud import _jsonl_batches
from pingan.cli.main import app, console, report_rejected, services

cards_app = typer.Typer(help="Abnormal card openings (断卡): intake and the flagged openings.", no_args_is_help=True)
app.add_typer(cards_app, name="cards")


@cards_app.command("ingest")
def cards_ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One card opening per line (JSON).")],
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Openings per transaction.")] = 1000,
) -> None:
    """Take card openings from a JSONL file; replays are harmless, bad lines are reported by line and field."""
    svc = services()
    accepted = duplicates = rejected = flagged = tasks = 0
    for lines, items, bad in _jsonl_batches(file, batch):
        refused: list[tuple[int, str | None, str]] = [(line, None, why) for line, why in bad]
        if items:
            result = svc.cards.ingest(items)
            accepted += result.accepted
            duplicates += result.duplicates
            flagged += len(result.flagged)
            tasks += len(result.tasks_created)
            refused += [(lines[r.index], r.field, r.message) for r in result.rejected]
        for line, field, message in sorted(refused, key=lambda problem: problem[0]):
            rejected += 1
            if rejected <= 50:
                report_rejected(line, field, message)
    console.print(
        f"card openings: {accepted} accepted, {duplicates} duplicates, {rejected} rejected; "
        f"{flagged} flagged, {tasks} tasks opened"
    )
    if rejected and not accepted and not duplicates:
        raise typer.Exit(2)


@cards_app.command("flagged")
def cards_flagged(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    open_only: Annotated[bool, typer.Option("--open", help="Only those not verified yet.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200,
) -> None:
    """Flagged card openings, newest first, holders masked, with reasons, station and verification task."""
    from pingan.money.cards.queries import flagged_openings

    svc = services()
    with svc.db.session() as session:
        rows = [
            view
            for _, view in flagged_openings(
                session, svc.clock.now(), brief=svc.tasks.brief, open_only=open_only, limit=limit
            )
        ]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str) + "\n")
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for name in ("id", "持卡人", "身份证", "卡号", "派出所", "核查", "原因"):
        table.add_column(name, no_wrap=name != "原因")
    for r in rows:
        task = r["task"]
        cells = (
            str(r["id"]),
            r["holder"]["name"],
            r["holder"]["id_number"],
            r["number"],
            r["station"] or "未落地",
            task["status_name"] if task else "-",
            "；".join(reason["text"] for reason in r["reasons"]),
        )
        table.add_row(*(Text(cell) for cell in cells))
    from rich.console import Console

    Console().print(table)
