"""NATS JetStream, the durable streams of a deployment on several machines (DESIGN §3).

The client (nats-py) is asyncio; the API, the CLI and the MQTT consumer are threads. `JetStream` owns one
event loop on a thread of its own and offers plain blocking calls on it, so that a caller never needs a loop.

Streams (file storage, the retention and replicas of `StreamSettings`), one per `StreamName`:

    PINGAN_LEADS       pingan.leads.{county}        fraud leads, the HTTP intake's JSON, one event a message
    PINGAN_DETECTIONS  pingan.detections.{county}   base-station detections, one a message

(The outbox is not a stream: it stays in the database, see `pingan.core.streams.StreamName`.)

Every message carries its source id as `Nats-Msg-Id`: within the stream's duplicate window a replay is
dropped by the server (and counted as a duplicate); beyond it the database key catches it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Coroutine, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from pingan.core.errors import Unavailable
from pingan.core.streams import Message, Published, StreamName

T = TypeVar("T")


def _token(value: str) -> str:
    """A subject token may hold no dot, space or wildcard: those become `_`."""
    return "".join("_" if c in ". *>\t\r\n" else c for c in value) or "_"


@dataclass(frozen=True)
class StreamSettings:
    url: str
    prefix: str = "pingan"
    """Of every subject and stream name: deployments (or test runs) sharing one NATS server differ here."""
    replicas: int = 1
    max_age_days: float = 7.0
    """How long a stream keeps messages (limits retention); what the workers stored is in the database."""
    duplicate_window_seconds: float = 120.0
    ack_wait_seconds: float = 30.0
    """A message a worker took and neither acked nor nakked comes back after this (a killed worker's)."""
    max_deliver: int = 5
    """Deliveries of a failing message before it is set aside as a dead letter."""
    connect_timeout_seconds: float = 5.0

    def stream_id(self, stream: StreamName) -> str:
        """The JetStream name of a stream: `PINGAN_LEADS` for `leads`."""
        return f"{_token(self.prefix).upper()}_{stream.value.upper()}"

    def subject(self, stream: StreamName, tail: str) -> str:
        """`pingan.leads.330225`."""
        return f"{_token(self.prefix)}.{stream.value}.{_token(tail)}"

    def every_subject(self, stream: StreamName) -> str:
        """`pingan.leads.*`: the stream's subjects, every county of it."""
        return f"{_token(self.prefix)}.{stream.value}.*"

    def dead_subject(self, stream: StreamName) -> str:
        return f"{_token(self.prefix)}.dead.{stream.value}"

    @property
    def dead_stream(self) -> str:
        return f"{_token(self.prefix).upper()}_DEAD"


class StreamUnavailable(Unavailable):
    """The NATS server did not answer, or JetStream is not enabled on it: a 503 to an HTTP client, which
    may send the batch again (a replay is harmless)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="stream_unavailable")


class JetStream:
    """A blocking facade over one NATS connection, its loop on a daemon thread."""

    def __init__(self, settings: StreamSettings) -> None:
        self.settings = settings
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="jetstream", daemon=True)
        self._thread.start()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        try:
            self._call(self._connect(), timeout=settings.connect_timeout_seconds + 5)
        except TimeoutError as exc:
            self.close()
            raise StreamUnavailable(f"NATS at {settings.url} did not answer in time") from exc
        except Exception:
            self.close()
            raise

    # -- the loop ---------------------------------------------------------------------------------------

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 60.0) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    async def _connect(self) -> None:
        try:
            self._nc = await nats.connect(
                self.settings.url,
                connect_timeout=self.settings.connect_timeout_seconds,
                max_reconnect_attempts=-1,
                allow_reconnect=True,
                name="pingan",
            )
        except Exception as exc:  # nats-py raises a handful of kinds (no servers, timeouts, OS errors)
            raise StreamUnavailable(f"NATS at {self.settings.url} did not answer: {exc}") from exc
        self._js = self._nc.jetstream()

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise StreamUnavailable("not connected")
        return self._js

    def close(self) -> None:
        if self._loop.is_running():
            with contextlib.suppress(Exception):  # closing on the way out; nothing to tell
                self._call(self._shutdown(), timeout=15)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._loop.is_running():
            self._loop.close()

    async def _shutdown(self) -> None:
        """Close the connection (every publish has had its ack already: nothing is waiting to be flushed),
        then end the client's own tasks, so that none is left to run on a closed loop."""
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._nc.close(), timeout=5)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    # -- streams ----------------------------------------------------------------------------------------

    def config(self, stream: StreamName) -> StreamConfig:
        s = self.settings
        return StreamConfig(
            name=s.stream_id(stream),
            subjects=[s.every_subject(stream)],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=s.replicas,
            max_age=s.max_age_days * 86400,
            duplicate_window=s.duplicate_window_seconds,
        )

    def ensure_streams(self, streams: Sequence[StreamName] = tuple(StreamName)) -> list[str]:
        """Create the streams that are missing and bring the others to the settings; returns their names."""
        return self._call(self._ensure(list(streams)))

    async def _ensure(self, streams: list[StreamName]) -> list[str]:
        names = []
        for stream in streams:
            config = self.config(stream)
            try:
                await self.js.stream_info(self.settings.stream_id(stream))
            except NotFoundError:
                await self.js.add_stream(config)
            else:
                await self.js.update_stream(config)
            names.append(self.settings.stream_id(stream))
        # Dead letters: one stream for all, kept longer (they wait for a person).
        dead = StreamConfig(
            name=self.settings.dead_stream,
            subjects=[f"{_token(self.settings.prefix)}.dead.*"],
            storage=StorageType.FILE,
            num_replicas=self.settings.replicas,
            max_age=max(self.settings.max_age_days, 30) * 86400,
        )
        try:
            await self.js.stream_info(dead.name or "")
        except NotFoundError:
            await self.js.add_stream(dead)
        return names

    # -- publishing -------------------------------------------------------------------------------------

    def publish(self, stream: StreamName, subject_tail: str, messages: Sequence[Message]) -> Published:
        """Publish and wait for the stream to store each message; replays within the window are counted."""
        if not messages:
            return Published()
        return self._call(self._publish(self.settings.subject(stream, subject_tail), messages), timeout=120)

    async def _publish(self, subj: str, messages: Sequence[Message]) -> Published:
        done = Published()
        window = 2000  # acks in flight at once: enough to fill the pipe, few enough to bound memory
        for start in range(0, len(messages), window):
            futures: list[Awaitable[Any]] = [
                await self.js.publish_async(subj, m.data, headers={"Nats-Msg-Id": m.msg_id})
                for m in messages[start : start + window]
            ]
            for ack in await asyncio.gather(*futures):
                if ack.duplicate:
                    done.duplicates += 1
                else:
                    done.published += 1
        return done

    def publish_dead(self, stream: StreamName, data: bytes, headers: dict[str, str]) -> None:
        self._call(self.js.publish(self.settings.dead_subject(stream), data, headers=headers))

    # -- consuming --------------------------------------------------------------------------------------

    def consumer_config(self, durable: str) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.settings.ack_wait_seconds,
            # The worker counts deliveries itself and sets a message aside after `max_deliver`; the server
            # must not drop it silently first.
            max_deliver=-1,
            max_ack_pending=20_000,
        )

    def lag(self, stream: StreamName, durable: str) -> dict[str, int] | None:
        """Messages not yet delivered to the consumer, delivered but not acked, and redelivered; None when
        the consumer does not exist (no worker has run yet)."""

        async def info() -> dict[str, int] | None:
            try:
                ci = await self.js.consumer_info(self.settings.stream_id(stream), durable)
            except NotFoundError:
                return None
            return {
                "pending": int(ci.num_pending or 0),
                "ack_pending": int(ci.num_ack_pending or 0),
                "redelivered": int(ci.num_redelivered or 0),
            }

        return self._call(info())

    def stream_state(self, stream: StreamName) -> dict[str, int] | None:
        async def info() -> dict[str, int] | None:
            try:
                si = await self.js.stream_info(self.settings.stream_id(stream))
            except NotFoundError:
                return None
            return {"messages": int(si.state.messages), "bytes": int(si.state.bytes)}

        return self._call(info())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on this connection's loop (the stream workers' fetch loop)."""
        return self._call(coro, timeout)


class LazyJetStream:
    """The intakes' `StreamPublisher`: connects on the first publish (nothing connects at start-up), makes
    sure the streams exist, and reconnects on the next publish after the connection was lost for good."""

    def __init__(self, settings: StreamSettings) -> None:
        self.settings = settings
        self._js: JetStream | None = None
        self._lock = threading.Lock()

    def _client(self) -> JetStream:
        with self._lock:
            if self._js is None:
                js = JetStream(self.settings)
                try:
                    js.ensure_streams()
                except Exception:
                    js.close()
                    raise
                self._js = js
            return self._js

    def publish(self, stream: StreamName, subject_tail: str, messages: Sequence[Message]) -> Published:
        js = self._client()
        try:
            return js.publish(stream, subject_tail, messages)
        except Exception as exc:
            raise StreamUnavailable(f"publishing to {self.settings.stream_id(stream)} failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            if self._js is not None:
                self._js.close()
                self._js = None
