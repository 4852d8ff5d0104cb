"""`pingan bench detections`: tracking's intake measured, one JSON line.

- `batch_per_s`: detections stored per second from batches (`Tracking.ingest`, as `POST
  /api/v1/tracking/detections` and `pingan detections ingest` call it), each a fresh sighting;
- `mqtt_per_s`: messages per second end to end through Mosquitto (QoS 1, one detection each, from
  `publishers` processes), from the first publish until the consumer has stored (and acknowledged) the last;
- `batch_per_cpu_s`, `mqtt_per_cpu_s`: the same per second of the measuring process's own CPU time (the
  consumer's network and storing threads; not the publishers', the broker's or the database server's),
  which says what the code costs on a machine shared with other work;
- `alert_p50_ms`, `alert_p99_ms`: from a stolen tag's detection being published (its `at`, taken just before
  publishing) to its alert being stored, at a steady offered rate beside the stream.

It runs on a throwaway SQLite file unless given a database; the MQTT figures are null when no broker answers.
"""

from __future__ import annotations

import gc
import multiprocessing
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

from pingan.bench.base_station import BaseStation, send_through
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
    publishers: int = 4
    gateways: int = 4
    """Connections (gateways) each publisher process drives, each within the broker's window."""
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


def _batch_throughput(svc: Services, cfg: DetectionsBenchConfig, say: Progress) -> tuple[float, int, float]:
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
    started, cpu = time.perf_counter(), time.process_time()
    stored = 0
    for batch in items:
        stored += svc.tracking.ingest(batch).accepted
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return stored / elapsed if elapsed > 0 else 0.0, stored, stored / cpu if cpu > 0 else 0.0


def _station(url: str) -> BaseStation:
    return BaseStation(url, f"pingan-bench-gw-{uuid.uuid4().hex[:12]}")


def publish_share(
    url: str, prefix: str, first: int, count: int, tags: int, stations: int, base: str, gateways: int = 1
) -> int:
    """One publisher process: messages `first`…`first + count - 1` of the stream, as fast as QoS 1 goes
    through `gateways` connections (base stations' gateways, see `base_station`), every one acknowledged by
    the broker before it returns. Module-level so that a spawned process can run it."""
    from pingan.workers.mqtt import Topics

    topics = Topics(prefix)
    start = datetime.fromisoformat(base)
    messages = [
        (
            topics.detection(f"B{i % stations:05d}"),
            orjson.dumps(
                {"tag": f"T{i % tags:07d}", "at": (start + timedelta(minutes=i // tags, seconds=i % 11)).isoformat()}
            ),
        )
        for i in range(first, first + count)
    ]
    connections = [_station(url) for _ in range(max(1, min(gateways, count)))]
    try:
        send_through(connections, messages)
    finally:
        for connection in connections:
            connection.close()
    return sum(connection.acknowledged for connection in connections)


def publish_steady(url: str, prefix: str, rate: float, seconds: float, tags: int, stations: int, base: str) -> int:
    """The other traffic beside the stolen tags' detections: `rate` messages a second for `seconds`."""
    from pingan.workers.mqtt import Topics

    topics = Topics(prefix)
    start = datetime.fromisoformat(base)
    gateway = _station(url)
    sent = 0
    began = time.perf_counter()
    try:
        while (elapsed := time.perf_counter() - began) < seconds:
            due = int(elapsed * rate)
            gateway.send(
                [
                    (topics.detection(f"B{k % stations:05d}"),
                     orjson.dumps({"tag": f"T{k % tags:07d}", "at": (start + timedelta(seconds=k)).isoformat()}))
                    for k in range(sent, due)
                ]
            )  # fmt: skip
            sent = max(sent, due)
            time.sleep(0.005)
    finally:
        gateway.close()
    return sent


def _mqtt(svc: Services, cfg: DetectionsBenchConfig, url: str, say: Progress) -> dict[str, Any]:
    from concurrent.futures import ProcessPoolExecutor

    from pingan.workers.mqtt import MqttConsumer, Topics

    # A prefix of this run's own: a demo or another run on the same broker is neither read nor disturbed.
    topics = Topics(f"{svc.settings.mqtt_topic_prefix}-bench-{uuid.uuid4().hex[:8]}")
    consumer = MqttConsumer(svc, url, client_id=f"pingan-bench-{uuid.uuid4().hex[:8]}", topic_prefix=topics.prefix)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    if not consumer.wait_connected(10):
        stop.set()
        return {"mqtt_per_s": None, "alert_p50_ms": None, "alert_p99_ms": None, "mqtt_error": "no connection"}
    time.sleep(0.5)
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
        # Messages the consumer has committed (and acknowledged): counted by it, not by polling the table,
        # which would cost the measured process a query every few milliseconds.
        return consumer.stored

    def wait_for(target: int) -> int:
        deadline = time.monotonic() + 300
        while consumer.stored < target and time.monotonic() < deadline:
            time.sleep(0.01)
        return consumer.stored

    # Publisher processes: the consumer's process (one GIL) is what is measured, not the publishers'.
    spawn = multiprocessing.get_context("spawn")
    publishers = max(1, min(cfg.publishers, cfg.mqtt_messages))
    with ProcessPoolExecutor(max_workers=publishers + 1, mp_context=spawn) as pool:
        pool.submit(int, 0).result()  # the workers are up before the clock starts
        # Throughput: every message published as fast as QoS 1 goes, until the consumer stored the last.
        before = stored()
        say(f"mqtt: {cfg.mqtt_messages} messages through {url} from {publishers} publishers")
        share = -(-cfg.mqtt_messages // publishers)
        started, cpu = time.perf_counter(), time.process_time()
        jobs = [
            pool.submit(publish_share, url, topics.prefix, first, min(share, cfg.mqtt_messages - first),
                        cfg.tags, cfg.stations, "2026-07-01T00:00:00+00:00", cfg.gateways)
            for first in range(0, cfg.mqtt_messages, share)
        ]  # fmt: skip
        acknowledged = sum(job.result() for job in jobs)
        done = wait_for(before + cfg.mqtt_messages)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        through = done - before
        # Latency: the stolen tags' detections at a steady rate, beside other traffic from another process.
        say(f"alerts: {cfg.stolen} stolen tags at {cfg.alert_rate}/s beside {cfg.background_rate}/s of other traffic")
        before = stored()
        seconds = cfg.stolen / cfg.alert_rate
        background = (
            pool.submit(publish_steady, url, topics.prefix, cfg.background_rate, seconds, cfg.tags, cfg.stations,
                        "2026-08-01T00:00:00+00:00")
            if cfg.background_rate > 0
            else None
        )  # fmt: skip
        publisher = _station(url)
        try:
            for i in range(cfg.stolen):
                tick = time.perf_counter()
                at = datetime.now(UTC)
                payload = orjson.dumps({"tag": f"T{cfg.tags + i:07d}", "at": at.isoformat()})
                publisher.send([(topics.detection(f"B{i % cfg.stations:05d}"), payload)])
                time.sleep(max(0.0, 1.0 / cfg.alert_rate - (time.perf_counter() - tick)))
            sent = background.result() if background is not None else 0
        finally:
            publisher.close()
    wait_for(before + sent + cfg.stolen)
    stop.set()
    thread.join(timeout=10)
    with svc.db.session() as session:
        # Every message of the throughput stream is a sighting of its own (a tag, a minute): all stored?
        rows = session.scalar(
            select(func.count())
            .select_from(Detection)
            .where(Detection.at >= datetime(2026, 7, 1, tzinfo=UTC), Detection.at < datetime(2026, 8, 1, tzinfo=UTC))
        )
        latencies = [
            (a.detected_at - a.at).total_seconds() * 1000
            for a in session.scalars(select(Alert).where(Alert.kind == "theft_sighting"))
        ]
    return {
        "mqtt_per_s": round(through / elapsed, 1) if elapsed > 0 else None,
        "mqtt_stored": through,
        "mqtt_acknowledged_by_broker": acknowledged,
        "mqtt_rows": rows,
        "mqtt_per_cpu_s": round(through / cpu, 1) if cpu > 0 else None,
        "mqtt_publishers": publishers,
        "mqtt_gateways": publishers * cfg.gateways,
        "mqtt_batches": consumer.batches,
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
        batch_per_s, stored, batch_per_cpu_s = _batch_throughput(svc, cfg, say)
        figures: dict[str, Any] = {
            "bench": "detections",
            "database": url.split(":", 1)[0],
            "detections": cfg.detections,
            "batch_stored": stored,
            "batch_per_s": round(batch_per_s, 1),
            # Per second of this process's CPU: what the code does, whatever else the machine is running.
            "batch_per_cpu_s": round(batch_per_cpu_s, 1),
        }
        mqtt_url = cfg.mqtt_url or svc.settings.mqtt_url
        if broker_answers(mqtt_url):
            figures.update(_mqtt(svc, cfg, mqtt_url, say))
        else:
            figures.update({"mqtt_per_s": None, "alert_p50_ms": None, "alert_p99_ms": None,
                            "mqtt_error": f"no broker at {mqtt_url}"})  # fmt: skip
        figures["ok"] = stored == cfg.detections and (
            figures.get("mqtt_per_s") is None
            or (figures.get("alerts") == cfg.stolen and figures.get("mqtt_rows") == cfg.mqtt_messages)
        )
        return figures
    finally:
        svc.close()
        if tmp is not None:
            tmp.cleanup()
