"""`pingan cases ...`: fraud cases from a file, their clusters (串并案) and the values kept from linking."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pingan.cli.fraud import _jsonl_batches
from pingan.cli.main import app, console, progress, report_rejected, services

cases_app = typer.Typer(help="Fraud cases (案件) and their linking (串并案).", no_args_is_help=True)
app.add_typer(cases_app, name="cases")


@cases_app.command("import")
def cases_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One case per line (JSON).")],
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Cases per transaction.")] = 1000,
) -> None:
    """Import cases from JSONL: id, reported_at, victim {name, phone, id_number}, loss_yuan, fraud_type,
    narrative, identifiers [{kind, value}]. Replays create nothing; bad lines are reported by line and field."""
    svc = services()
    total = sum(1 for line in file.open("rb") if line.strip())
    created = duplicates = rejected = 0
    with progress() as bar:
        job = bar.add_task("cases", total=total)
        for lines, items, bad in _jsonl_batches(file, batch):
            refused: list[tuple[int, str | None, str]] = [(line, None, why) for line, why in bad]
            if items:
                # One writer at a time on SQLite (other processes wait in the kernel), as the fraud intake does.
                with svc.db.write_lock, svc.db.session() as session:
                    report = svc.cases.import_many(session, None, list(zip(lines, items, strict=True)))
                created += report.created
                duplicates += report.duplicates
                refused += [(r.line, r.field, r.message) for r in report.rejected]
            for line, field, message in sorted(refused, key=lambda problem: problem[0]):
                rejected += 1
                if rejected <= 50:
                    report_rejected(line, field, message)
            bar.advance(job, len(items) + len(bad))
    console.print(f"cases: {created} created, {duplicates} duplicates, {rejected} rejected")
    if rejected and not created and not duplicates:
        raise typer.Exit(2)


@cases_app.command("clusters")
def cases_clusters(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    min_size: Annotated[int, typer.Option(min=2, help="Clusters of at least this many members (cases, warnings).")] = 2,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200,
) -> None:
    """Clusters of linked cases and warnings, largest first: their cases' and warnings' source ids and the
    identifiers linking them."""
    from pingan.money.queries import clusters

    svc = services()
    with svc.db.session() as session:
        rows = clusters(session, svc.cases.link_rules, min_size=min_size, limit=limit, warnings=svc.cases.warning_links)
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    from rich.console import Console

    out = Console()  # stdout: the answer, not progress
    for c in rows:
        links = "；".join(
            f"{link['kind_name']} {link['value']}（{len(link['case_ids'])}起案件，{len(link['warning_ids'])}条预警）"
            for link in c["links"]
        )
        sources = ", ".join(case["source_id"] for case in c["cases"])
        warned = ", ".join(s for w in c["warnings"] for s in w["source_ids"])
        out.print(
            f"cluster {c['cluster_id']}: {c['size']} cases, {c['warning_count']} warnings, {c['loss_yuan']} 元, {links}",
            soft_wrap=True,
            markup=False,
        )
        out.print(f"  cases: {sources or '-'}", soft_wrap=True, markup=False)
        if warned:
            out.print(f"  warnings: {warned}", soft_wrap=True, markup=False)


@cases_app.command("blocked")
def cases_blocked(limit: Annotated[int, typer.Option(min=1, max=100_000)] = 500) -> None:
    """The values kept from linking (stoplist, or more cases than the cap), with their counts (JSON)."""
    from pingan.money.queries import blocked_values

    svc = services()
    with svc.db.session() as session:
        rows = blocked_values(session, svc.cases.link_rules, limit=limit)
    sys.stdout.write(json.dumps({"cap": svc.cases.link_rules.cap, "values": rows}, ensure_ascii=False) + "\n")


@cases_app.command("relink")
def cases_relink() -> None:
    """Compute every cluster again, after the county's stoplist or cap changed or after an upgrade (the
    warnings stored before warnings were cluster members are taken in), as JSON."""
    svc = services()
    with svc.db.session() as session:
        figures = svc.cases.relink_all(session)
    sys.stdout.write(json.dumps(figures) + "\n")
