"""Stream workers as the tests start them: `pingan` command lines as processes (several workers, one killed in
the middle of a stream, the others stopped with SIGTERM), one worker in a thread of the test, and the wait
until a consumer has drained its stream."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from pingan.adapters.jetstream import JetStream, StreamSettings
from pingan.bootstrap import Services
from pingan.core.streams import StreamName
from pingan.workers.streams import StreamWorker, WorkerMetrics, stores

Process = subprocess.Popen[bytes]


def pingan(env: Mapping[str, str], *args: str) -> Process:
    """`python -m pingan.cli <args>` with `env`, its output kept."""
    return subprocess.Popen(
        [sys.executable, "-m", "pingan.cli", *args], env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def worker(env: Mapping[str, str], stream: StreamName, *extra: str) -> Process:
    """A `pingan worker` over one stream only (no sweeper, no outbox), in batches of 200."""
    return pingan(env, "worker", "--no-sweeper", "--no-outbox", "--streams", stream.value, "--batch", "200", *extra)


@contextmanager
def workers(env: Mapping[str, str], stream: StreamName, count: int, *extra: str) -> Iterator[list[Process]]:
    """`count` worker processes; whichever still runs at the end is killed."""
    started = [worker(env, stream, *extra) for _ in range(count)]
    try:
        yield started
    finally:
        for w in started:
            if w.poll() is None:
                w.kill()
                w.wait(10)


def kill_one_midway(running: Sequence[Process], stored: Callable[[], int], total: int) -> None:
    """SIGKILL the first worker once a quarter of `total` is stored, and check the rest was still to come."""
    deadline = time.monotonic() + 120
    while stored() < total // 4:
        assert time.monotonic() < deadline, f"the workers stored too little: {stored()} of {total}"
        assert all(w.poll() is None for w in running), "a worker died on its own"
        time.sleep(0.05)
    running[0].send_signal(signal.SIGKILL)
    running[0].wait(30)
    assert stored() < total, "the kill must land in the middle of the stream"


def stop(running: Sequence[Process]) -> None:
    """SIGTERM: each worker finishes the batch in hand and exits cleanly."""
    for w in running:
        w.send_signal(signal.SIGTERM)
    for w in running:
        assert w.wait(30) == 0, w.stderr.read() if w.stderr else b""


def jetstream(services: Services, **settings: Any) -> JetStream:
    """A client of the services' NATS (with `settings` such as `ack_wait_seconds` or `max_deliver`)."""
    return JetStream(
        StreamSettings(url=services.settings.nats_url or "", prefix=services.settings.nats_prefix, **settings)
    )


def drained(
    services: Services,
    stream: StreamName,
    durable: str,
    counts: Callable[[], dict[str, int]],
    done: Callable[[dict[str, int]], bool],
    timeout: float = 180,
) -> dict[str, int]:
    """The `counts` once the consumer `durable` has nothing pending or unacknowledged and `done(counts)` holds."""
    js = jetstream(services)
    try:
        deadline = time.monotonic() + timeout
        now, lag = counts(), None
        while time.monotonic() < deadline:
            lag = js.lag(stream, durable)
            now = counts()
            if lag is not None and lag["pending"] == 0 and lag["ack_pending"] == 0 and done(now):
                return now
            time.sleep(0.5)
    finally:
        js.close()
    raise AssertionError(f"the workers did not drain the stream in {timeout:.0f} s: {now}, lag {lag}")


def run_in_thread(
    services: Services,
    stream: StreamName,
    until: Callable[[], bool],
    *,
    store: Any = None,
    max_deliver: int | None = None,
    timeout: float = 60,
) -> WorkerMetrics:
    """One worker over `stream` in a thread of the test (its own store, or `store`) until `until()` holds."""
    settings: dict[str, Any] = {"ack_wait_seconds": 3}
    if max_deliver is not None:
        settings["max_deliver"] = max_deliver
    js = jetstream(services, **settings)
    stop_event = threading.Event()
    metrics = WorkerMetrics()
    chosen = store if store is not None else stores(services)[stream]
    running = StreamWorker(services, js, stream, chosen, stop=stop_event, batch=50, metrics=metrics)
    thread = threading.Thread(target=lambda: js.run(running.run()), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not until():
            assert time.monotonic() < deadline, "the worker did not get there in time"
            assert thread.is_alive(), "the worker stopped on its own"
            time.sleep(0.2)
    finally:
        stop_event.set()
        thread.join(30)
        js.close()
    return metrics
