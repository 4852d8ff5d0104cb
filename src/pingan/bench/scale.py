"""`pingan bench scale`: leads through JetStream into PostgreSQL by 1, 2, 3 … worker processes.

For each worker count: a fresh PostgreSQL database and a fresh set of streams (a prefix of their own); the
workers are started and connected first, then the events are published as fast as the edge publishes them
(`FraudIntake.publish`, as the HTTP intake does). Measured: events stored per second from the first publish
to the last commit, and for the leads (a share of reports, each opening a warning and its task) the latency
from the event's publish to its task's commit, p50 and p99. The events carry the instant they were published
as their `at`, so that the latency is read from the database alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from pingan.bench.common import percentile
from pingan.bench.detections import DetectionsBenchConfig, _register
from pingan.bootstrap import Services, bootstrap
from pingan.core.db import make_engine
from pingan.core.settings import Settings
from pingan.core.streams import StreamPublisher


def _events(n: int, leads_every: int, offset: int) -> list[dict[str, Any]]:
    at = datetime.now(UTC).isoformat()
    out: list[dict[str, Any]] = []
    for i in range(offset, offset + n):
        if i % leads_every == 0:
            out.append(
                {
                    "id": f"r{i}",
                    "source": "citizen",
                    "kind": "report",
                    "at": at,
                    "subject_phone": f"139{i:08d}",
                    "text": "对方自称客服，让我下载软件退款",
                }
            )
        else:
            out.append(
                {
                    "id": f"c{i}",
                    "source": "telecom",
                    "kind": "call",
                    "at": at,
                    "subject_phone": f"138{i:08d}",
                    "counterpart": f"170{i:08d}",
                    "duration_s": 30,
                }
            )
    return out


DETECTION_TAGS = 2_000
DETECTION_STATIONS = 100


def _detections(n: int, offset: int, base: datetime) -> list[dict[str, Any]]:
    """Fresh sightings: each tag heard a minute after its previous detection, by a station in turn."""
    return [
        {
            "tag": f"T{i % DETECTION_TAGS:07d}",
            "at": (base + timedelta(minutes=i // DETECTION_TAGS, seconds=i % 7)).isoformat(),
            "station": f"B{i % DETECTION_STATIONS:05d}",
            "rssi": -60 - i % 30,
        }
        for i in range(offset, offset + n)
    ]


def _database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"pingan_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


def _stored(url: str, table: str = "fraud_events") -> tuple[int, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = f"SELECT (SELECT count(*) FROM {table}), (SELECT count(*) FROM tasks)"  # noqa: S608 - ours
            row = conn.execute(sa.text(query)).one()
    finally:
        engine.dispose()
    return int(row[0]), int(row[1])


def _latencies_ms(url: str) -> list[float]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT EXTRACT(EPOCH FROM (t.created_at - e.at)) * 1000 FROM fraud_events e"
                    " JOIN tasks t ON t.ref_type = 'fraud_warning' AND t.ref_id = e.warning_id"
                    " WHERE e.kind = 'report'"
                )
            ).all()
    finally:
        engine.dispose()
    return sorted(float(r[0]) for r in rows)


def _cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux /proc; a process gone counts nothing)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat(5))
    return total / tick


def _backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving the bench database (its workers' pooled connections)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        engine.dispose()
    return [int(r[0]) for r in rows]


def _nats_pids() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm", "rb") as f:
                    if f.read().strip() == b"nats-server":
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def run_scale(
    *,
    workers: Sequence[int],
    events: int,
    leads_every: int,
    postgres_url: str,
    nats_url: str,
    batch: int,
    say: Callable[[str], None],
    rate: float | None = None,
    stream: str = "leads",
) -> dict[str, Any]:
    """With `rate` (events/s), the events are published at that pace, so that the latency is that of a
    steady load; without it, as fast as the edge publishes, and the latency includes the queue.

    `stream="detections"`: detections of 2,000 registered tags by 100 stations instead, published as the
    HTTP intake does (`Tracking.publish`) and stored through tracking's intake (no latency: no task)."""
    if stream not in ("leads", "detections"):
        raise ValueError(f"stream is leads or detections, not {stream!r}")
    table = "fraud_events" if stream == "leads" else "tracking_detections"
    base = datetime.now(UTC) - timedelta(days=1)
    runs: list[dict[str, Any]] = []
    for count in workers:
        url, drop = _database(postgres_url)
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        env = {
            **os.environ,
            "PINGAN_DATABASE_URL": url,
            "PINGAN_NATS_URL": nats_url,
            "PINGAN_NATS_PREFIX": prefix,
            "PINGAN_LOG_LEVEL": "warning",
        }
        procs: list[subprocess.Popen[bytes]] = []
        services = None
        try:
            subprocess.run([sys.executable, "-m", "pingan.cli", "init"], env=env, check=True, capture_output=True)
            services = bootstrap(Settings(database_url=url, nats_url=nats_url, nats_prefix=prefix))
            assert services.streams is not None
            svc, streams = services, services.streams

            def publish(n: int, offset: int, svc: Services = svc, streams: StreamPublisher = streams) -> None:
                if stream == "leads":
                    svc.intake.publish(_events(n, leads_every, offset), streams, "bench")
                else:
                    svc.tracking.publish(_detections(n, offset, base), streams, "bench")

            if stream == "detections":
                _register(svc, DetectionsBenchConfig(tags=DETECTION_TAGS, stations=DETECTION_STATIONS, stolen=0))
            # One publish first creates the streams; the workers then bind to them at once.
            publish(1, 0)
            command = [sys.executable, "-m", "pingan.cli", "worker", "--no-sweeper", "--no-outbox"]
            command += ["--streams", stream, "--batch", str(batch)]
            procs = [
                subprocess.Popen(  # noqa: S603 - our own interpreter and module, no outside input
                    command,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                for _ in range(count)
            ]
            while _stored(url, table)[0] < 1:
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError("a worker exited before it stored anything")
                time.sleep(0.1)
            say(f"{count} worker(s) ready; publishing {events} events")
            # CPU seconds of the run, by process: the workers, their PostgreSQL backends, the NATS server (shared
            # with whatever else uses it on this machine) and this publisher (the edge's validation + publish).
            worker_pids = [p.pid for p in procs]
            backend_pids = _backends(url)
            nats_pids = _nats_pids() if sys.platform == "linux" else []
            cpu0 = (_cpu_seconds(worker_pids), _cpu_seconds(backend_pids), _cpu_seconds(nats_pids), time.process_time())
            load0 = os.getloadavg()[0]
            started = time.perf_counter()
            chunk = 5_000 if rate is None else max(1, min(5_000, int(rate / 10)))
            for offset in range(1, events + 1, chunk):
                n = min(chunk, events + 1 - offset)
                if rate is not None:
                    pause = started + (offset - 1) / rate - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                publish(n, offset)
            published = time.perf_counter() - started
            target = events + 1
            while True:
                stored, _tasks = _stored(url, table)
                if stored >= target:
                    break
                if any(p.poll() is not None for p in procs):
                    raise RuntimeError("a worker exited during the run")
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            cpu = (
                _cpu_seconds(worker_pids) - cpu0[0],
                _cpu_seconds(backend_pids) - cpu0[1],
                _cpu_seconds(nats_pids) - cpu0[2],
                time.process_time() - cpu0[3],
            )
            load1 = os.getloadavg()[0]
            latencies = _latencies_ms(url) if stream == "leads" else []
            run = {
                "workers": count,
                "events": events,
                "seconds": round(seconds, 3),
                "events_per_s": round(events / seconds, 1),
                "publish_per_s": round(events / published, 1),
                "leads": len(latencies),
                "event_to_task_p50_ms": round(percentile(latencies, 50) or 0, 1),
                "event_to_task_p99_ms": round(percentile(latencies, 99) or 0, 1),
                "cpu_s": {
                    "workers": round(cpu[0], 2),
                    "postgres": round(cpu[1], 2),
                    "nats": round(cpu[2], 2),
                    "publisher": round(cpu[3], 2),
                },
                # CPU milliseconds per event, of all four: the cost that does not depend on the machine's load.
                "cpu_ms_per_event": round(sum(cpu) * 1000 / events, 3),
                "load_1min": [round(load0, 2), round(load1, 2)],
            }
            say(str(run))
            runs.append(run)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
            if services is not None:
                services.close()
            drop()
    return {"benchmark": "scale", "stream": stream, "cpus": os.cpu_count(), "batch": batch, "rate": rate, "runs": runs}
