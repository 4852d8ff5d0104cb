"""`pingan bench search`: the staff search box over a county-sized database.

Builds the generated county (residents, indicator lists) as `pingan bench ingest` does, ingests a stream of
events so that warnings and tasks exist, then asks `GET /api/v1/search` in-process (the real app, over ASGI)
for phones in other formats, full-width digits, ID numbers, names and record numbers, as a county-wide analyst
and as a station officer, and reports latency per kind of query.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from pingan.bench.common import percentile, stderr
from pingan.bench.ingest import IngestBenchConfig, Progress, _prepare
from pingan.core.identity import create_user, issue_token
from pingan.core.models import Role, Unit, UnitKind
from pingan.demo.population import EventFeed
from pingan.fraud.models import FraudWarning


@dataclass(frozen=True)
class SearchBenchConfig:
    residents: int = 50_000
    indicators: int = 20_000
    events: int = 50_000
    queries: int = 200
    """Per kind of query and per user."""
    database_url: str | None = None
    reset: bool = False
    seed: int = 7


def _forms(phone: str, rng: random.Random) -> str:
    """The same mobile as people type it."""
    full = "".join(chr(ord(c) + 0xFEE0) for c in phone)
    return rng.choice(
        [f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}", f"{phone[:3]} {phone[3:7]} {phone[7:]}", full, "0086" + phone]
    )


def run_search_bench(cfg: SearchBenchConfig, say: Progress = stderr) -> dict[str, Any]:
    tmp: tempfile.TemporaryDirectory[str] | None = None
    url = cfg.database_url
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="pingan-bench-")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    try:
        base = IngestBenchConfig(
            residents=cfg.residents, indicators=cfg.indicators, database_url=url, reset=cfg.reset, seed=cfg.seed
        )
        svc, people, indicators = _prepare(base, url, say)
        feed = EventFeed(people, indicators, seed=cfg.seed, hit_ratio=0.05, start=svc.clock.now())
        say(f"events: ingesting {cfg.events} ...")
        events = feed.take(cfg.events)
        for i in range(0, len(events), 5_000):
            svc.intake.ingest(events[i : i + 5_000])
        now = svc.clock.now()
        with svc.db.session() as session:
            station = session.scalars(select(Unit).where(Unit.kind == UnitKind.STATION).order_by(Unit.id)).first()
            assert station is not None
            analyst = create_user(
                session, "bench_fz", None, role=Role.ANALYST, display_name="研判", unit_id=None, now=now
            )
            officer = create_user(
                session, "bench_mj", None, role=Role.OFFICER, display_name="民警", unit_id=station.id, now=now
            )
            warnings = list(session.execute(select(FraudWarning.id, FraudWarning.subject_phone)).all())
            tokens = {
                "analyst": issue_token(analyst, svc.settings.signing_key(), now, _hour()),
                "officer": issue_token(officer, svc.settings.signing_key(), now, _hour()),
            }
        rng = random.Random(cfg.seed)
        say(f"searching: {len(warnings)} warnings, {cfg.residents} residents ...")
        from pingan.api.app import create_app

        client = TestClient(create_app(svc))
        kinds: dict[str, list[str]] = {
            "phone_formats": [_forms(rng.choice(warnings).subject_phone, rng) for _ in range(cfg.queries)],
            "id_number": [str(rng.choice(people)["id_number"]) for _ in range(cfg.queries)],
            "name": [str(rng.choice(people)["name"]) for _ in range(cfg.queries)],
            "number": [f"#{rng.choice(warnings).id}" for _ in range(cfg.queries)],
        }
        figures: dict[str, Any] = {}
        load = os.getloadavg()[0]
        for who, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"}
            for kind, queries in kinds.items():
                samples = []
                found = 0
                for q in queries:
                    started = time.perf_counter()
                    response = client.get("/api/v1/search", params={"q": q}, headers=headers)
                    samples.append(time.perf_counter() - started)
                    if response.status_code != 200:
                        raise RuntimeError(f"search {q!r} answered {response.status_code}: {response.text[:200]}")
                    found += bool(response.json()["items"])
                samples.sort()
                figures[f"{who}_{kind}"] = {
                    "p50_ms": _ms(percentile(samples, 50)),
                    "p99_ms": _ms(percentile(samples, 99)),
                    "found_share": round(found / len(queries), 3),
                }
        return {
            "bench": "search",
            "database": svc.db.engine.dialect.name,
            "residents": cfg.residents,
            "events": cfg.events,
            "warnings": len(warnings),
            "queries_per_kind": cfg.queries,
            "load_before": round(load, 2),
            **figures,
        }
    finally:
        if tmp is not None:
            tmp.cleanup()


def _hour() -> Any:
    from datetime import timedelta

    return timedelta(hours=1)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)
