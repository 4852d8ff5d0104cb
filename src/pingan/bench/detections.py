"""`pingan bench detections`: tracking's intake measured, one JSON line.

- `batch_per_s`: detections stored per second from batches (`Tracking.ingest`, as `POST
  /api/v1/tracking/detections` and `pingan detections ingest` call it), each a fresh sighting;
- `mqtt_per_s`: messages per second end to end through Mosquitto (QoS 1, one detection each), from the first
  publish until the consumer has stored (and acknowledged) the last;
- `alert_p50_ms`, `alert_p99_ms`: from a stolen tag's detection being published (its `at`, taken just before
  publishing) to its alert being stored, at a steady offered rate beside the stream.

It runs on a throwaway SQLite file unless given a database; the MQTT figures are null when no broker answers.
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select

from pingan.bootstrap import Services, bootstrap
from pingan.core.db import Base, Database
from pingan.core.identity import Actor, create_user
from pingan.core.models import Role
from pingan.core.settings import Settings
from pingan.tracking.models import Alert, Detection
from pingan.tracking.schemas import TheftCreate

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DetectionsBenchConfig:
    detections: int = 200_000
    batch: int = 5_000
    tags: int = 20_000
    stations: int = 400
    mqtt_messages: int = 20_000
    stolen: int = 200
    alert_rate: float = 50.0
    background_rate: float = 2_000.0
    database_url: str | None = None
    mqtt_url: str | None = None


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def _prepare(url: str) -> Services:
    db = Database(url)
    Base.metadata.drop_all(db.engine)
    db.create_all()
    return bootstrap(Settings(database_url=url), db=db)


def _register(svc: Services, cfg: DetectionsBenchConfig) -> None:
    stations = [
        {"code": f"B{i:05d}", "name": f"基站{i}", "lon": 121.0 + (i % 40) * 0.01, "lat": 29.0 + (i // 40) * 0.01,
         "village": f"村{i}", "radius_m": 500}
        for i in range(cfg.stations)
    ]  # fmt: skip
    svc.tracking.import_stations(enumerate(stations))
    tags = [
        {"tag": f"T{i:07d}", "kind": "vehicle_card", "owner_phone": f"139{i:08d}", "owner_name": "车主",
         "plate": f"浙B{i:05d}", "installed_at": "2026-01-01"}
        for i in range(cfg.tags + cfg.stolen)
    ]  # fmt: skip
    for start in range(0, len(tags), 5_000):
        svc.tracking.import_tags(enumerate(tags[start : start + 5_000]))


def _batch_throughput(svc: Services, cfg: DetectionsBenchConfig, say: Progress) -> tuple[float, int]:
    base = datetime(2026, 6, 1, tzinfo=UTC)
    made = 0
    items: list[list[dict[str, Any]]] = []
    while made < cfg.detections:
        n = min(cfg.batch, cfg.detections - made)
        items.append(
            [
                {
                    "tag": f"T{(made + i) % cfg.tags:07d}",
                    # each tag's sightings a minute apart: never within the overlap window of another
                    "at": (base + timedelta(minutes=(made + i) // cfg.tags, seconds=(made + i) % 7)).isoformat(),
                    "station": f"B{(made + i) % cfg.stations:05d}",
                    "rssi": -60 - (made + i) % 30,
                }
                for i in range(n)
            ]
        )
        made += n
    say(f"batches: {cfg.detections} detections in batches of {cfg.batch}")
    # The prepared input is a heap of millions of objects the collector would walk again and again while
    # the intake allocates: it is frozen (kept out of collections), as a server's startup heap would be.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    stored = 0
    for batch in items:
        stored += svc.tracking.ingest(batch).accepted
    elapsed = time.perf_counter() - started
    return stored / elapsed if elapsed > 0 else 0.0, stored


def _mqtt(svc: Services, cfg: DetectionsBenchConfig, url: str, say: Progress) -> dict[str, Any]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from pingan.workers.mqtt import MqttConsumer, parse_url

    consumer = MqttConsumer(svc, url, client_id=f"pingan-bench-{uuid.uuid4().hex[:8]}")
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    if not consumer.wait_connected(10):
        stop.set()
        return {"mqtt_per_s": None, "alert_p50_ms": None, "alert_p99_ms": None, "mqtt_error": "no connection"}
    time.sleep(0.5)
    host, port = parse_url(url)
    publisher = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    publisher.max_inflight_messages_set(1000)
    publisher.max_queued_messages_set(0)
    publisher.connect(host, port)
    publisher.loop_start()
    # Thefts of the stolen tags, reported before the stream.
    with svc.db.session() as session:
        user = create_user(
            session, "bench-admin", None, role=Role.ADMIN, display_name="bench", unit_id=None, now=svc.clock.now()
        )
        actor = Actor.of(user)
        for i in range(cfg.stolen):
            body = TheftCreate(tag=f"T{cfg.tags + i:07d}", stolen_at=datetime(2026, 1, 2, tzinfo=UTC))
            svc.tracking.report_theft(session, actor, body)

    def stored() -> int:
        with svc.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Detection)) or 0)

    def wait_for(target: int) -> int:
        deadline = time.monotonic() + 300
        count = stored()
        while count < target and time.monotonic() < deadline:
            time.sleep(0.05)
            count = stored()
        return count

    # Throughput: every message published as fast as the client goes, until the consumer stored the last.
    base = datetime(2026, 7, 1, tzinfo=UTC)
    before = stored()
    say(f"mqtt: {cfg.mqtt_messages} messages through {url}")
    started = time.perf_counter()
    for i in range(cfg.mqtt_messages):
        payload = orjson.dumps(
            {"tag": f"T{i % cfg.tags:07d}", "at": (base + timedelta(minutes=i // cfg.tags, seconds=i % 11)).isoformat()}
        )
        publisher.publish(f"pingan/detections/B{i % cfg.stations:05d}", payload, qos=1)
    done = wait_for(before + cfg.mqtt_messages)
    elapsed = time.perf_counter() - started
    through = done - before
    # Latency: the stolen tags' detections at a steady rate, beside a background stream at `background_rate`.
    say(f"alerts: {cfg.stolen} stolen tags at {cfg.alert_rate}/s beside {cfg.background_rate}/s of other traffic")
    before = stored()
    late = datetime(2026, 8, 1, tzinfo=UTC)
    per_tick = max(1, int(cfg.background_rate / cfg.alert_rate))
    sent = 0
    for i in range(cfg.stolen):
        tick = time.perf_counter()
        for j in range(per_tick):
            k = sent + j
            payload = orjson.dumps({"tag": f"T{k % cfg.tags:07d}", "at": (late + timedelta(seconds=k)).isoformat()})
            publisher.publish(f"pingan/detections/B{k % cfg.stations:05d}", payload, qos=1)
        sent += per_tick
        at = datetime.now(UTC)
        payload = orjson.dumps({"tag": f"T{cfg.tags + i:07d}", "at": at.isoformat()})
        publisher.publish(f"pingan/detections/B{i % cfg.stations:05d}", payload, qos=1)
        time.sleep(max(0.0, 1.0 / cfg.alert_rate - (time.perf_counter() - tick)))
    wait_for(before + sent + cfg.stolen)
    stop.set()
    thread.join(timeout=10)
    publisher.loop_stop()
    publisher.disconnect()
    with svc.db.session() as session:
        latencies = [
            (a.detected_at - a.at).total_seconds() * 1000
            for a in session.scalars(select(Alert).where(Alert.kind == "theft_sighting"))
        ]
    return {
        "mqtt_per_s": round(through / elapsed, 1) if elapsed > 0 else None,
        "mqtt_stored": through,
        "alerts": len(latencies),
        "alert_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "alert_p99_ms": _pct(latencies, 0.99),
    }


def run_detections_bench(cfg: DetectionsBenchConfig, say: Progress) -> dict[str, Any]:
    from pingan.workers.mqtt import broker_answers

    tmp: tempfile.TemporaryDirectory[str] | None = None
    url = cfg.database_url
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="pingan-bench-")
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    svc = _prepare(url)
    try:
        say(f"registering {cfg.stations} stations and {cfg.tags + cfg.stolen} tags")
        _register(svc, cfg)
        batch_per_s, stored = _batch_throughput(svc, cfg, say)
        figures: dict[str, Any] = {
            "bench": "detections",
            "database": url.split(":", 1)[0],
            "detections": cfg.detections,
            "batch_stored": stored,
            "batch_per_s": round(batch_per_s, 1),
        }
        mqtt_url = cfg.mqtt_url or svc.settings.mqtt_url
        if broker_answers(mqtt_url):
            figures.update(_mqtt(svc, cfg, mqtt_url, say))
        else:
            figures.update({"mqtt_per_s": None, "alert_p50_ms": None, "alert_p99_ms": None,
                            "mqtt_error": f"no broker at {mqtt_url}"})  # fmt: skip
        figures["ok"] = stored == cfg.detections and (
            figures.get("mqtt_per_s") is None or figures.get("alerts") == cfg.stolen
        )
        return figures
    finally:
        svc.close()
        if tmp is not None:
            tmp.cleanup()
