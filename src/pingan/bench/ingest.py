"""`pingan bench ingest`: intake throughput and latency on a generated county.

The benchmark drives `FraudIntake.ingest`, the code path of `pingan ingest` and of the HTTP intake,
with nothing skipped: every event is validated, normalised, deduplicated, matched and stored; hits
are resolved to a resident, graded, merged into warnings and dispatched as dissuasion tasks with
their history and notifications.

Two phases:

- throughput: pre-generated events offered in batches as fast as intake takes them;
- latency: events offered at a steady rate through the `MicroBatcher`; latency is measured on the
  hit events, from the moment each was due to arrive (not when the producer got round to offering
  it, so a stalled producer cannot hide a stall) to the return of the batch that committed its
  warning and dissuasion task.

`cpu_seconds` and `load_avg_1m` say whether the machine was shared: on a busy machine wall time
grows while CPU time does not.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.bench.common import percentile, stderr
from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.db import Base, Database
from pingan.core.models import Notification, Task, TaskEvent
from pingan.core.people import import_people
from pingan.core.settings import Settings
from pingan.core.setup import ensure_centre_units
from pingan.demo.county import generate_county
from pingan.demo.population import EventFeed, generate_indicators, generate_people
from pingan.fraud.batcher import Flushed, MicroBatcher
from pingan.fraud.indicators import import_indicators
from pingan.fraud.intake import IntakeResult
from pingan.fraud.models import FraudEvent, FraudWarning

Progress = Callable[[str], None]


@dataclass(frozen=True)
class IngestBenchConfig:
    events: int = 200_000
    hit_ratio: float = 0.01
    rate: float = 5_000.0
    latency_seconds: float = 20.0
    residents: int = 50_000
    indicators: int = 20_000
    batch: int = 5_000
    micro_batch: int = 1_000
    micro_delay_ms: float = 20.0
    database_url: str | None = None
    reset: bool = False
    seed: int = 7


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def _count(session: Session, column: Any, *where: Any) -> int:
    return session.scalar(select(func.count(column)).where(*where)) or 0


def _prepare(
    cfg: IngestBenchConfig, url: str, say: Progress
) -> tuple[Services, list[dict[str, Any]], list[dict[str, Any]]]:
    db = Database(url)
    if cfg.reset:
        Base.metadata.drop_all(db.engine)  # every table: importing bootstrap put them all on the metadata
    db.create_all()
    svc = bootstrap(Settings(database_url=url), db=db)
    now = svc.clock.now()
    with db.session() as session:
        if _count(session, FraudEvent.id) or _count(session, FraudWarning.id):
            db.dispose()
            raise SystemExit("the benchmark needs an empty database (pass --reset to drop every table first)")
        ensure_centre_units(session)
        stations = generate_county(cfg.seed)
        import_areas(session, stations)
    say(f"county: {len(stations)} stations")
    rng = random.Random(cfg.seed)
    people = generate_people(cfg.residents, stations, rng, year=now.year)
    say(f"residents: {len(people)} generated, importing ...")
    with db.session() as session:
        report = import_people(session, enumerate(people, start=2), svc.jurisdictions, now)
    if report.rejected:
        raise RuntimeError(f"generated residents rejected: {report.rejected[:3]}")
    indicators = generate_indicators(cfg.indicators, rng)
    with db.session() as session:
        ind_report = import_indicators(session, enumerate(indicators, start=2), now)
    if ind_report.rejected:
        raise RuntimeError(f"generated indicators rejected: {ind_report.rejected[:3]}")
    say(f"indicators: {len(indicators)} imported")
    return svc, people, indicators


def _throughput(svc: Services, feed: EventFeed, cfg: IngestBenchConfig, say: Progress) -> tuple[float, float, int, int]:
    say(f"throughput: generating {cfg.events} events ...")
    events = feed.take(cfg.events)
    _settle()
    say("throughput: ingesting ...")
    opened = batches = 0
    cpu_started = time.process_time()
    started = time.perf_counter()
    last = started
    for i in range(0, len(events), cfg.batch):
        result = svc.intake.ingest(events[i : i + cfg.batch])
        if result.rejected:
            raise RuntimeError(f"generated events rejected: {[r.as_dict() for r in result.rejected[:3]]}")
        opened += len(result.warnings_opened)
        batches += 1
        now = time.perf_counter()
        if now - last >= 2.0:
            done = i + cfg.batch
            say(f"  {done} events, {done / (now - started):,.0f}/s")
            last = now
    seconds = time.perf_counter() - started
    return seconds, time.process_time() - cpu_started, opened, batches


@dataclass
class _Latency:
    hits: set[str]
    samples: list[float]
    flushes: int = 0
    items: int = 0
    errors: int = 0
    accepted: int = 0
    opened: int = 0

    def on_flush(self, flushed: Flushed[dict[str, Any], IntakeResult]) -> None:
        self.flushes += 1
        self.items += len(flushed.items)
        if flushed.error is not None or flushed.result is None:
            self.errors += 1
            stderr(f"flush failed: {flushed.error!r}")
            return
        self.accepted += flushed.result.accepted
        self.opened += len(flushed.result.warnings_opened)
        hits = self.hits
        done = flushed.finished
        self.samples.extend(
            done - arrived for item, arrived in zip(flushed.items, flushed.arrived, strict=True) if item["id"] in hits
        )


def _latency(svc: Services, feed: EventFeed, cfg: IngestBenchConfig, say: Progress) -> tuple[_Latency, float, int]:
    n = int(cfg.rate * cfg.latency_seconds)
    say(f"latency: generating {n} events ...")
    events = feed.take(n)
    _settle()
    stats = _Latency(hits=feed.hits, samples=[])
    say(f"latency: offering {n} events at {cfg.rate:,.0f}/s for {cfg.latency_seconds:g} s ...")
    rate = cfg.rate
    batcher: MicroBatcher[dict[str, Any], IntakeResult] = MicroBatcher(
        svc.intake.ingest,
        max_items=cfg.micro_batch,
        max_delay=cfg.micro_delay_ms / 1000,
        on_flush=stats.on_flush,
    )
    backlog = 0
    with batcher:
        t0 = time.perf_counter()
        i = 0
        while i < n:
            now = time.perf_counter()
            due = min(n, int((now - t0) * rate) + 1)
            if due > i:
                batcher.submit_many(events[i:due], [t0 + k / rate for k in range(i, due)])
                i = due
                backlog = max(backlog, batcher.pending())
            else:
                time.sleep(max(0.0, min(0.001, t0 + i / rate - now)))
        offered = time.perf_counter() - t0
    return stats, offered, backlog


def _settle() -> None:
    """Keep the pre-generated input out of the garbage collector's way.

    A server holds a batch at a time; the benchmark holds hundreds of thousands of event dicts and
    residents, which every full collection would otherwise walk (a third of the validation time).
    Frozen objects are still freed normally; they are only not scanned.
    """
    gc.collect()
    gc.freeze()


def _database_name(db: Database) -> str:
    with db.engine.connect() as conn:
        if db.is_sqlite:
            version = conn.exec_driver_sql("select sqlite_version()").scalar()
            return f"sqlite {version}"
        version = conn.exec_driver_sql("show server_version").scalar()
        return f"{db.engine.dialect.name} {version}"


def run_ingest_bench(cfg: IngestBenchConfig, say: Progress = stderr) -> dict[str, Any]:
    """Build the county, run both phases and return the figures (one JSON object)."""
    tmp: tempfile.TemporaryDirectory[str] | None = None
    url = cfg.database_url
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="pingan-bench-")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    try:
        setup_started = time.perf_counter()
        svc, people, indicators = _prepare(cfg, url, say)
        setup_seconds = time.perf_counter() - setup_started
        feed = EventFeed(
            people,
            indicators,
            seed=cfg.seed,
            hit_ratio=cfg.hit_ratio,
            start=svc.clock.now() - timedelta(hours=1),
        )
        load = os.getloadavg()[0]
        seconds, cpu_seconds, opened, batches = _throughput(svc, feed, cfg, say)
        say(f"throughput: {cfg.events / seconds:,.0f} events/s, {opened} warnings opened")
        stats, offered, backlog = _latency(svc, feed, cfg, say)
        samples = sorted(stats.samples)
        with svc.db.session() as session:
            stored = _count(session, FraudEvent.id)
            linked = _count(session, FraudEvent.id, FraudEvent.warning_id.is_not(None))
            warnings = _count(session, FraudWarning.id)
            tasks = _count(session, Task.id)
            history = _count(session, TaskEvent.id)
            notes = _count(session, Notification.id)
        expected_events = cfg.events + stats.items
        ok = stored == expected_events and linked == len(feed.leads) and tasks == warnings and not stats.errors
        if not ok:
            say(
                f"CHECK FAILED: stored {stored}/{expected_events} events, {linked}/{len(feed.leads)} leads linked, "
                f"{tasks} tasks for {warnings} warnings, {stats.errors} failed flushes"
            )
        figures = {
            "bench": "ingest",
            "events": cfg.events,
            "seconds": round(seconds, 3),
            "events_per_s": round(cfg.events / seconds, 1),
            "cpu_seconds": round(cpu_seconds, 3),
            "load_avg_1m": round(load, 2),
            "hit_ratio": cfg.hit_ratio,
            "hits": len(feed.hits),
            "batch": cfg.batch,
            "batches": batches,
            "warnings": opened,
            "p50_ms": _ms(percentile(samples, 50)),
            "p99_ms": _ms(percentile(samples, 99)),
            "max_ms": _ms(samples[-1] if samples else None),
            "rate": cfg.rate,
            "offered_per_s": round(stats.items / offered, 1) if offered else None,
            "latency_events": stats.items,
            "latency_samples": len(samples),
            "micro_batches": stats.flushes,
            "micro_batch_mean": round(stats.items / stats.flushes, 1) if stats.flushes else None,
            "max_backlog": backlog,
            "latency_warnings": stats.opened,
            "stored_events": stored,
            "warnings_total": warnings,
            "tasks_total": tasks,
            "history_rows": history,
            "notifications": notes,
            "ok": ok,
            "residents": cfg.residents,
            "indicators": len(indicators),
            "setup_seconds": round(setup_seconds, 1),
            "database": _database_name(svc.db),
            "python": platform.python_version(),
            "sqlalchemy": sqlalchemy.__version__,
            "cores": os.cpu_count(),
            "machine": platform.machine(),
            "seed": cfg.seed,
        }
        svc.close()
        return figures
    finally:
        if tmp is not None:
            tmp.cleanup()
