"""The benchmark commands work end to end at a tiny size: they store what they say and report every field.

Speed is not judged here (that is what the commands are for); what is judged is that a run does the work it
claims, with nothing failing, so that the figures in a report come from a working benchmark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pingan.bench.desk import LIST_KINDS, DeskBenchConfig, run_desk_bench
from pingan.bench.ingest import IngestBenchConfig, run_ingest_bench


def test_ingest_bench_stores_every_event_and_a_task_for_every_warning() -> None:
    cfg = IngestBenchConfig(
        events=3_000, hit_ratio=0.05, rate=500, latency_seconds=1.0, residents=400, indicators=200, batch=500
    )
    figures = run_ingest_bench(cfg, say=lambda _: None)
    assert figures["ok"] is True
    assert figures["events"] == 3_000
    assert figures["stored_events"] == 3_000 + figures["latency_events"]
    assert figures["latency_events"] > 0
    assert figures["warnings"] > 0
    assert figures["tasks_total"] == figures["warnings_total"]
    assert figures["events_per_s"] > 0
    assert figures["p99_ms"] is not None
    assert figures["p50_ms"] <= figures["p99_ms"] <= figures["max_ms"]


def test_desk_bench_posts_and_lists_through_http_with_every_outcome_ok(tmp_path: Path) -> None:
    cfg = DeskBenchConfig(
        stored=1_000, rate=20, seconds=1.5, list_rate=8, residents=300, workers=2, list_workers=2, processes=2,
        warmup=0.5, database=tmp_path / "seed.db",
    )  # fmt: skip
    figures = run_desk_bench(cfg, say=lambda _: None)
    assert figures["stored_requests"] == 1_000
    assert figures["layer"].startswith("HTTP")
    posts, lists = figures["posts"], figures["lists"]
    assert posts["outcomes"] == {"ok": 30}
    assert posts["warmup_posts"] == 10
    assert posts["stored"] == 30 + 10  # the run's posts and the warm-up's
    assert lists["outcomes"] == {"ok": 12}
    assert set(lists["p99_ms_by_filter"]) == set(LIST_KINDS)  # every kind of list ran
    # The seeded file is kept and reused: a second run seeds nothing.
    again = run_desk_bench(DeskBenchConfig(**{**cfg.__dict__, "http": False}), say=lambda _: None)
    assert again["seed_seconds"] is None
    assert again["posts"]["outcomes"] == {"ok": 30}


def test_bench_command_prints_one_json_line(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pingan.cli", "bench", "ingest", "--events", "500", "--residents", "200",
         "--indicators", "50", "--latency-seconds", "0.5", "--rate", "200"],
        capture_output=True, text=True, timeout=300, env={**os.environ}, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["bench"] == "ingest"


def test_detections_bench_stores_every_detection_and_times_every_stolen_tags_alert(mqtt_url: str) -> None:
    from pingan.bench.detections import DetectionsBenchConfig, run_detections_bench

    cfg = DetectionsBenchConfig(
        detections=2_000, batch=500, tags=300, stations=20, mqtt_messages=300, stolen=5, alert_rate=20,
        background_rate=100, mqtt_url=mqtt_url,
    )  # fmt: skip
    figures = run_detections_bench(cfg, say=lambda _: None)
    assert figures["ok"] is True
    assert figures["batch_stored"] == 2_000
    assert figures["mqtt_stored"] == 300
    assert figures["mqtt_acknowledged_by_broker"] == 300
    assert figures["mqtt_rows"] == 300  # every message of the stream is a row in the table
    assert figures["alerts"] == 5
    assert figures["batch_per_s"] > 0
    assert figures["mqtt_per_s"] > 0
    assert figures["alert_p50_ms"] <= figures["alert_p99_ms"]
