"""`pingan worker --nats URL`: consume JetStream streams into the database, in a queue group.

Each worker binds to the stream's durable pull consumer (`pingan-<stream>`, shared by every worker: that is
the queue group) and repeats: fetch a batch, store it in one transaction, **commit, then ack**. A worker killed
between the two leaves its messages unacked; the server hands them to another worker once `ack_wait` has
passed, and the database key (the source id) makes the second store a no-op. Nothing is acked that is not
committed, so nothing published is lost; nothing is stored twice.

Failures:
- an item the intake refuses (invalid JSON, a field the schema rejects) will never become valid: it is set
  aside as a dead letter at once (`stream_dead_letters`, and the `pingan.dead.<stream>` subject), in the same
  transaction as the rest of its batch, and acked;
- a batch that raises (the database went away, a bug) is rolled back and retried message by message, so that
  one poison message cannot hold up its neighbours; a message still failing after `max_deliver` deliveries is
  set aside with its error.

SIGTERM finishes the batch in hand (stored and acked), then drains the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import nats.errors
import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from sqlalchemy.orm import Session

from pingan.adapters.jetstream import JetStream
from pingan.core.streams import StreamName, record_dead_letter

if TYPE_CHECKING:
    from nats.aio.msg import Msg

    from pingan.bootstrap import Services

log = logging.getLogger(__name__)

StoreBatch = Callable[[Session, Sequence[Any]], list[str | None]]
"""Store a batch of decoded items in the session (not committing); the error of each refused item, or None."""


def durable_name(stream: StreamName) -> str:
    return f"pingan-{stream.value}"


def stores(services: Services) -> dict[StreamName, StoreBatch]:
    """What each stream's messages become in the database: the same code path as the direct intake."""

    def leads(session: Session, items: Sequence[Any]) -> list[str | None]:
        result = services.intake.ingest_in(session, list(items))
        errors: list[str | None] = [None] * len(items)
        for r in result.rejected:
            errors[r.index] = f"{r.field or 'event'}: {r.message}"
        return errors

    def detections(session: Session, items: Sequence[Any]) -> list[str | None]:
        # Each message names its station (the MQTT consumer puts the topic's in), as an HTTP batch does.
        result = services.tracking.intake.ingest_in(session, list(items))
        errors: list[str | None] = [None] * len(items)
        for r in result.rejected:
            errors[r.index] = f"{r.field or 'detection'}: {r.message}"
        return errors

    return {StreamName.LEADS: leads, StreamName.DETECTIONS: detections}


class Verdict(StrEnum):
    ACK = "ack"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(slots=True)
class Received:
    data: bytes
    subject: str
    msg_id: str | None
    deliveries: int
    verdict: Verdict = Verdict.RETRY
    error: str | None = None


@dataclass
class WorkerMetrics:
    """Per worker (its own registry, served on `--metrics-port`): messages by result, batches, lag."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.messages = Counter(
            "pingan_stream_messages", "Stream messages handled, by result", ["stream", "result"], registry=r
        )
        self.redeliveries = Counter(
            "pingan_stream_redeliveries", "Messages received more than once", ["stream"], registry=r
        )
        self.batch_seconds = Histogram(
            "pingan_stream_batch_seconds", "Time to store and commit one batch", ["stream"], registry=r
        )
        self.lag = Gauge("pingan_stream_lag", "Messages not yet delivered to the consumer", ["stream"], registry=r)
        self.ack_pending = Gauge(
            "pingan_stream_ack_pending", "Messages delivered but not yet acknowledged", ["stream"], registry=r
        )


class StreamWorker:
    """Consumes one stream into the database until `stop` is set."""

    def __init__(
        self,
        services: Services,
        js: JetStream,
        stream: StreamName,
        store: StoreBatch,
        *,
        stop: threading.Event,
        batch: int = 500,
        metrics: WorkerMetrics | None = None,
        durable: str | None = None,
    ) -> None:
        self.services = services
        self.js = js
        self.stream = stream
        self.store = store
        self.stop = stop
        self.batch = batch
        self.metrics = metrics or WorkerMetrics()
        self.durable = durable or durable_name(stream)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.max_deliver = js.settings.max_deliver

    # -- the fetch loop, on the connection's event loop -------------------------------------------------

    async def run(self) -> None:
        sub = await self.js.js.pull_subscribe(
            self.js.settings.every_subject(self.stream),
            durable=self.durable,
            stream=self.js.settings.stream_id(self.stream),
            config=self.js.consumer_config(self.durable),
        )
        log.info(
            "stream worker %s consuming %s as %s", self.worker, self.js.settings.stream_id(self.stream), self.durable
        )
        last_lag = 0.0
        while not self.stop.is_set():
            if time.monotonic() - last_lag > 5:
                last_lag = time.monotonic()
                await self._update_lag()
            try:
                msgs = await sub.fetch(self.batch, timeout=1)
            except nats.errors.TimeoutError:
                continue
            except Exception:  # the connection is reconnecting: nats-py does it, the loop waits
                log.exception("stream worker: fetch failed; retrying in 1 s")
                await asyncio.sleep(1)
                continue
            received = [self._received(m) for m in msgs]
            await asyncio.to_thread(self.handle, received)
            await self._settle(msgs, received)
        await self._update_lag()

    def _received(self, msg: Msg) -> Received:
        deliveries = 1
        with contextlib.suppress(Exception):  # a message without JetStream metadata is a first delivery
            deliveries = int(msg.metadata.num_delivered)
        if deliveries > 1:
            self.metrics.redeliveries.labels(self.stream.value).inc()
        headers = msg.headers or {}
        return Received(msg.data, msg.subject, headers.get("Nats-Msg-Id"), deliveries)

    async def _settle(self, msgs: Sequence[Msg], received: Sequence[Received]) -> None:
        for msg, r in zip(msgs, received, strict=True):
            self.metrics.messages.labels(self.stream.value, r.verdict.value).inc()
            if r.verdict is Verdict.RETRY:
                # Back off with the deliveries (1 s, 2 s, 4 s … capped at a minute) so that a database that
                # went away is not hammered.
                await msg.nak(delay=min(60.0, 2.0 ** (r.deliveries - 1)))
                continue
            if r.verdict is Verdict.DEAD:
                try:
                    await self.js.js.publish(
                        self.js.settings.dead_subject(self.stream),
                        r.data,
                        headers={"Pingan-Error": (r.error or "")[:1000], "Pingan-Subject": r.subject},
                    )
                except Exception:  # the database has it; the subject is for tools that watch it
                    log.warning("stream worker: could not publish the dead letter of %s", r.msg_id)
            await msg.ack()

    async def _update_lag(self) -> None:
        try:
            ci = await self.js.js.consumer_info(self.js.settings.stream_id(self.stream), self.durable)
        except Exception:
            return
        self.metrics.lag.labels(self.stream.value).set(ci.num_pending or 0)
        self.metrics.ack_pending.labels(self.stream.value).set(ci.num_ack_pending or 0)

    # -- storing, on a thread ---------------------------------------------------------------------------

    def handle(self, received: Sequence[Received]) -> None:
        """Decide every message's verdict; what is acked is committed before this returns."""
        started = time.perf_counter()
        items: list[Any] = []
        held: list[Received] = []
        for r in received:
            try:
                item = orjson.loads(r.data)
            except orjson.JSONDecodeError as exc:
                r.verdict, r.error = Verdict.DEAD, f"not JSON: {exc}"
                continue
            if not isinstance(item, dict):
                r.verdict, r.error = Verdict.DEAD, "a message must be one JSON object"
                continue
            items.append(item)
            held.append(r)
        invalid = [r for r in received if r.verdict is Verdict.DEAD]
        try:
            self._store(held, items, invalid)
        except Exception as exc:
            log.warning("stream worker: a batch of %d failed (%s); storing one by one", len(held), exc)
            for r in held:
                r.verdict, r.error = Verdict.RETRY, None
            for r, item in zip(held, items, strict=True):
                try:
                    self._store([r], [item], [])
                except Exception as one:
                    r.verdict, r.error = Verdict.RETRY, f"{type(one).__name__}: {one}"
                    if r.deliveries >= self.max_deliver:
                        self._give_up(r)
            for r in invalid:
                self._give_up(r)
        self.metrics.batch_seconds.labels(self.stream.value).observe(time.perf_counter() - started)

    def _store(self, held: list[Received], items: list[Any], invalid: list[Received]) -> None:
        """Store the items and set aside the refused and the invalid, in one transaction; the verdicts are
        set only once it has committed."""
        now = self.services.clock.now()
        with self.services.db.session() as session:
            errors = self.store(session, items) if items else []
            refused = {i: e for i, e in enumerate(errors) if e is not None}
            for i, error in refused.items():
                self._record(session, held[i], now, error)
            for r in invalid:
                self._record(session, r, now, r.error)
        # Committed: only now may the messages be acked.
        for i, r in enumerate(held):
            r.verdict, r.error = (Verdict.DEAD, refused[i]) if i in refused else (Verdict.ACK, None)

    def _record(self, session: Session, r: Received, now: Any, error: str | None) -> None:
        record_dead_letter(
            session,
            stream=self.stream.value,
            subject=r.subject,
            msg_id=r.msg_id,
            deliveries=r.deliveries,
            error=error or "",
            payload=r.data,
            worker=self.worker,
            at=now,
        )

    def _give_up(self, r: Received) -> None:
        """Set a message aside after its last delivery; if even that cannot be stored it stays unacked."""
        try:
            with self.services.db.session() as session:
                self._record(session, r, self.services.clock.now(), r.error)
        except Exception:
            log.exception("stream worker: could not record the dead letter of %s; it will come back", r.msg_id)
            r.verdict = Verdict.RETRY
            return
        r.verdict = Verdict.DEAD


def run_stream_workers(
    services: Services,
    *,
    url: str | None,
    streams: Sequence[StreamName],
    stop: threading.Event,
    batch: int = 500,
    metrics_port: int | None = None,
    consumer: str | None = None,
) -> None:
    """Consume `streams` (each on one consumer task of one connection) until `stop` is set. `consumer`
    names the durable consumer (`<consumer>` for one stream, `<consumer>-<stream>` for several)."""
    from pingan.bootstrap import stream_settings

    js = JetStream(stream_settings(services.settings, url))
    try:
        js.ensure_streams()
        metrics = WorkerMetrics()
        if metrics_port:
            start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.registry)
        store = stores(services)
        workers = [
            StreamWorker(
                services,
                js,
                s,
                store[s],
                stop=stop,
                batch=batch,
                metrics=metrics,
                durable=None if consumer is None else consumer if len(streams) == 1 else f"{consumer}-{s.value}",
            )
            for s in streams
        ]

        async def all_of() -> None:
            await asyncio.gather(*(w.run() for w in workers))

        js.run(all_of())
    finally:
        js.close()
