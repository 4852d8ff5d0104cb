"""`pingan` commands of the fraud loop: indicator lists, intake from a file, the warning queue and figures."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console

from pingan.cli.main import app, console, fail, progress, report_rejected, services
from pingan.fraud.models import Level, WarningStatus

indicators_app = typer.Typer(help="Fraud indicator lists (涉诈号码、账户、网址、APP).", no_args_is_help=True)
app.add_typer(indicators_app, name="indicators")


@indicators_app.command("import")
def indicators_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Import indicators from CSV: kind,value[,fraud_type,source,note,expires_at]."""
    from pingan.core.errors import BadInput
    from pingan.fraud.indicators import import_indicators, read_indicators_csv

    svc = services()
    try:
        rows = read_indicators_csv(file)
    except BadInput as exc:
        fail(f"{file}: {exc.message}")
    with svc.db.session() as session:
        report = import_indicators(session, rows, svc.clock.now())
    for line, fld, msg in report.rejected[:50]:
        report_rejected(line, fld, msg)
    console.print(f"indicators: {report.created} created, {report.updated} updated, {len(report.rejected)} rejected")


def _jsonl_batches(file: Path, size: int) -> Iterator[tuple[list[int], list[dict[str, Any]], list[tuple[int, str]]]]:
    """Batches of up to `size` JSON objects from a JSONL file with the line of each, and the lines read
    since the previous batch that are no JSON object, with why (the intake would see only a wrong shape)."""
    lines: list[int] = []
    batch: list[dict[str, Any]] = []
    bad: list[tuple[int, str]] = []
    with file.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                item = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                bad.append((number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
                continue
            if not isinstance(item, dict):
                bad.append((number, f"not an object ({_json_kind(item)}): one event object per line"))
                continue
            lines.append(number)
            batch.append(item)
            if len(batch) >= size:
                yield lines, batch, bad
                lines, batch, bad = [], [], []
    if batch or bad:
        yield lines, batch, bad


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "an array"
    return "a string" if isinstance(value, str) else "a number"


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One event per line (JSON).")],
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="Events per transaction.")] = 5000,
) -> None:
    """Take fraud leads from a JSONL file; replays are harmless, bad lines are reported by line and field."""
    svc = services()
    total = sum(1 for line in file.open("rb") if line.strip())
    accepted = duplicates = rejected = opened = 0
    county = svc.county_code() if svc.streams is not None else ""
    with progress() as bar:
        job = bar.add_task("events", total=total)
        for lines, items, bad in _jsonl_batches(file, batch):
            refused: list[tuple[int, str | None, str]] = [(line, None, why) for line, why in bad]
            if items:
                # Several machines (PINGAN_NATS_URL): published to the leads stream for the workers to store.
                result = (
                    svc.intake.ingest(items) if svc.streams is None else svc.intake.publish(items, svc.streams, county)
                )
                accepted += result.accepted
                duplicates += result.duplicates
                opened += len(result.warnings_opened)
                refused += [(lines[r.index], r.field, r.message) for r in result.rejected]
            for line, field, message in sorted(refused, key=lambda problem: problem[0]):
                rejected += 1
                if rejected <= 50:
                    report_rejected(line, field, message)
            bar.advance(job, len(items) + len(bad))
    if svc.streams is not None:
        console.print(
            f"events: {accepted} published to the leads stream, {duplicates} duplicates, {rejected} rejected;"
            " `pingan worker --nats` stores them"
        )
    else:
        console.print(
            f"events: {accepted} accepted, {duplicates} duplicates, {rejected} rejected; {opened} warnings opened"
        )
    if rejected and not accepted and not duplicates:
        raise typer.Exit(2)


@app.command()
def warnings(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
    status: Annotated[WarningStatus | None, typer.Option(help="Only warnings with this status.")] = None,
    level: Annotated[Level | None, typer.Option(help="Only warnings of this level.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 200,
) -> None:
    """List warnings with person (masked), station, level, status and reasons."""
    from pingan.fraud.queries import list_warnings

    svc = services()
    with svc.db.session() as session:
        rows = list_warnings(
            session,
            svc.clock.now(),
            brief=svc.tasks.brief,
            status=status.value if status else None,
            level=level.value if level else None,
            limit=limit,
        )
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, default=str) + "\n")
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    # One line per warning within 80 columns: the short columns keep their width (a long station name is
    # cut), and the reasons, the one column rich may narrow, take what is left, cut with an ellipsis
    # (--json has them whole). Cells are Text: a name or a reason is never read as markup.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("级别", no_wrap=True)
    table.add_column("人员", no_wrap=True, max_width=6, overflow="ellipsis")
    table.add_column("电话", no_wrap=True)
    table.add_column("派出所", no_wrap=True, max_width=8, overflow="ellipsis")
    table.add_column("状态", no_wrap=True)
    table.add_column("任务", no_wrap=True)
    table.add_column("原因", min_width=12)
    for w in rows:
        task = w["task"]
        cells = (
            str(w["id"]),
            w["level_name"],
            w["person"]["name"] or "-",
            w["person"]["phone"],
            w["station"] or "未落地",
            w["status_name"],
            task["status_name"] if task else "-",
        )
        reasons = "；".join(r["text"] for r in w["reasons"])
        table.add_row(*(Text(cell) for cell in cells), Text(reasons, no_wrap=True, overflow="ellipsis"))
    Console().print(table)


@app.command()
def figures(
    days: Annotated[int, typer.Option(min=1, help="The period: the last N days.")] = 365,
) -> None:
    """Warnings, dissuasions and money protected, county-wide and per station (JSON)."""
    from pingan.core.scope import COUNTY
    from pingan.fraud.service import Period, fraud_figures, overdue_tasks

    svc = services()
    now = svc.clock.now()
    with svc.db.session() as session:
        overdue = svc.tasks.count(session, COUNTY, overdue_tasks(), now)
        period = Period(now - timedelta(days=days), now + timedelta(seconds=1))
        data = fraud_figures(session, period, overdue_open=overdue)
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


# -- fraud-type classification -------------------------------------------------------------------------

fraud_app = typer.Typer(help="Fraud-type classification (分析研判): train and evaluate the county's model.")
app.add_typer(fraud_app, name="fraud")

ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model", dir_okay=False, help="The model file (default: fraud_classifier.npz in the instance folder)."
    ),
]


def _model_path(model: Path | None) -> Path:
    from pingan.cli.main import settings
    from pingan.fraud.classify.service import MODEL_FILE_NAME

    return model if model is not None else settings().instance_dir / MODEL_FILE_NAME


def _labelled(file: Path) -> Any:
    from pingan.core.errors import BadInput
    from pingan.fraud.classify.training import read_labelled

    try:
        data = read_labelled(file)
    except BadInput as exc:
        fail(f"{file}: {exc.message}")
    for line, fld, msg in data.rejected[:50]:
        report_rejected(line, fld, msg)
    return data


@fraud_app.command("train")
def fraud_train(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with columns text,label.")],
    model: ModelOption = None,
) -> None:
    """Train the county's fraud-type model on its own labelled texts and write it to the instance folder."""
    from pingan.core.clock import SystemClock
    from pingan.core.errors import BadInput
    from pingan.fraud.classify.training import train

    data = _labelled(file)
    path = _model_path(model)
    console.print(f"training on {len(data.texts)} texts ({len(set(data.labels))} labels)…")
    try:
        trained = train(data, now=SystemClock().now())
    except BadInput as exc:
        fail(f"{file}: {exc.message}")
    trained.save(path)
    counts = ", ".join(f"{k} {v}" for k, v in trained.meta["counts"].items())
    console.print(f"model written to {path}: {len(data.texts)} texts, {len(data.rejected)} rows left out; {counts}")


@fraud_app.command("eval")
def fraud_eval(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with columns text,label.")],
    model: ModelOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line on stdout.")] = False,
) -> None:
    """Classify a labelled file and score it: macro F1, accuracy, per label, texts/s. Without a model file
    (none trained yet), the lexicon alone is scored."""
    from pingan.fraud.classify.model import ModelFileError
    from pingan.fraud.classify.service import FraudClassifier
    from pingan.fraud.classify.training import evaluate

    path = _model_path(model)
    if model is not None and not path.exists():
        fail(f"{path}: no such model file")
    data = _labelled(file)
    try:
        result = evaluate(FraudClassifier(path), data)
    except ModelFileError as exc:
        fail(str(exc))
    out = result.as_dict()
    if as_json:
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return
    console.print(
        f"{result.texts} texts by {result.source}: macro F1 {out['macro_f1']}, accuracy {out['accuracy']}, "
        f"{out['texts_per_s']} texts/s"
    )
    for label, row in out["per_label"].items():
        console.print(
            f"  {label:<26} P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}  n {row['support']}"
        )
