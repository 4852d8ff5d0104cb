"""The MQTT consumer of tracking: base stations publish their detections and heartbeats to the broker.

    {prefix}/detections/{station_code}       QoS 1: one detection object, or an array of them
    {prefix}/stations/{station_code}/status  QoS 1: a heartbeat object (battery, firmware… kept as given)

`prefix` is `PINGAN_MQTT_TOPIC_PREFIX` (default `pingan`): installations sharing a broker keep apart.

A message is acknowledged only once what it carries is committed (MQTT v5, manual acknowledgement, a
persistent session under a fixed client id): a consumer killed before its commit leaves its messages with
the broker, which delivers them again, and the intake's idempotence makes that harmless. Messages are taken
in batches: the network thread (`pingan.adapters.mqtt_wire`, one `recv` for every message that has arrived)
only appends them to a buffer, under one lock a read, and the storing thread stores what gathered for
`linger` seconds (or `max_batch` messages, whichever comes first) in one transaction, then sends the
batch's acknowledgements in one write; SQLite and the database driver release the GIL while they execute,
so the network thread keeps reading meanwhile. A message that is not JSON, or items the intake refuses,
are logged (by topic, item and field) and acknowledged: a bad message must not block the ones behind it.

With `PINGAN_MQTT_SHARE_GROUP` set, the subscriptions are MQTT 5 shared ones (`$share/{group}/…`): the
consumers of a group (`pingan serve` or `pingan tracking consume`, on several cores or machines, each with
its own `PINGAN_MQTT_CLIENT_ID`) split the stream, each message going to one of them.

With `PINGAN_NATS_URL` set, the detections are validated here and published to the detections stream
instead (`Tracking.publish`); a message is acknowledged to the broker only once JetStream has stored what it
carries, so that the broker keeps it until the stream has it. Heartbeats are still written here.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from pingan.adapters.mqtt_wire import Message, Refused, Subscriber
from pingan.workers.signals import stop_on_signals

if TYPE_CHECKING:
    from pingan.bootstrap import Services

log = logging.getLogger(__name__)

STATUS_SUFFIX = "/status"
RECEIVE_MAXIMUM = 65535
"""Unacknowledged messages the broker may send us at once (MQTT v5's receive maximum, at its ceiling).
What does not fit goes into the broker's queue for our session, which Mosquitto bounds by
`max_queued_messages` (1000 by default) and beyond which it drops QoS 1 messages: so a burst waits here,
unacknowledged (a crash loses none of it: the broker sends them again), rather than there."""
KEEPALIVE_S = 30
SESSION_EXPIRY_S = 7 * 24 * 3600
"""How long the broker keeps our session (and the messages for it) while we are away."""


def parse_url(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise ValueError(f"an MQTT URL is mqtt://host:port, not {url!r}")
    return parts.hostname, parts.port or 1883


@dataclass(frozen=True, slots=True)
class Topics:
    """Tracking's topics under one prefix."""

    prefix: str = "pingan"

    @property
    def detections(self) -> str:
        return f"{self.prefix}/detections/"

    @property
    def stations(self) -> str:
        return f"{self.prefix}/stations/"

    def detection(self, station: str) -> str:
        return f"{self.detections}{station}"

    def status(self, station: str) -> str:
        return f"{self.stations}{station}{STATUS_SUFFIX}"

    def subscriptions(self, share_group: str | None = None) -> list[tuple[str, int]]:
        """The filters, at QoS 1; in a shared subscription (`$share/{group}/…`) when a group is given: the
        broker then hands each message to one consumer of the group."""
        filters = [f"{self.detections}+", f"{self.stations}+{STATUS_SUFFIX}"]
        if share_group:
            filters = [f"$share/{share_group}/{f}" for f in filters]
        return [(f, 1) for f in filters]


def broker_answers(url: str, timeout: float = 0.5) -> bool:
    """Whether something listens at the broker's address (a quick TCP check, before a client is made)."""
    try:
        host, port = parse_url(url)
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


class MqttConsumer:
    def __init__(
        self,
        services: Services,
        url: str,
        *,
        client_id: str | None = None,
        topic_prefix: str | None = None,
        max_batch: int | None = None,
        linger_ms: float | None = None,
        share_group: str | None = None,
    ) -> None:
        settings = services.settings
        self.services = services
        self.url = url
        self.host, self.port = parse_url(url)
        self.topics = Topics(topic_prefix or settings.mqtt_topic_prefix)
        self.share_group = share_group or settings.mqtt_share_group
        """MQTT 5's shared subscription: the consumers of one group split the stream between them."""
        self.max_batch = max_batch or settings.mqtt_max_batch
        self.linger = (settings.mqtt_linger_ms if linger_ms is None else linger_ms) / 1000
        self.stored = 0
        self.batches = 0
        """Transactions that stored messages (a busy stream stores many messages in each)."""
        self._pending: list[Message] = []
        self._county: str | None = None
        """The county of the detections stream's subject (`PINGAN_NATS_URL`), read once."""
        self._cond = threading.Condition()
        self._connected = threading.Event()
        self._closing = threading.Event()
        self._network: threading.Thread | None = None
        self.wire = Subscriber(
            self.host,
            self.port,
            client_id or settings.mqtt_client_id,
            keepalive=KEEPALIVE_S,
            receive_maximum=RECEIVE_MAXIMUM,
            session_expiry=SESSION_EXPIRY_S,
            clean_start=False,
        )

    # -- the network thread ------------------------------------------------------------------------------

    def _receive(self) -> None:
        """Connect (again, with a growing delay, whenever the connection is lost) and read: each `read` hands
        over every message that arrived in one `recv`, appended to the pending ones under one lock."""
        delay = 1.0
        while not self._closing.is_set():
            try:
                self.wire.connect(self.topics.subscriptions(self.share_group))
            except (Refused, OSError) as exc:  # Closed is an OSError too
                log.warning("MQTT broker %s:%s: %s; trying again in %.0f s", self.host, self.port, exc, delay)
                self._closing.wait(delay)
                delay = min(delay * 2, 30.0)
                continue
            delay = 1.0
            connection = self.wire.connection
            with self._cond:
                # What an earlier connection delivered and was not taken yet comes again on this one.
                self._pending = [m for m in self._pending if m.connection == connection]
            self._connected.set()
            log.info(
                "MQTT consumer connected to %s:%s (%s/…%s)",
                self.host,
                self.port,
                self.topics.prefix,
                f", shared as {self.share_group}" if self.share_group else "",
            )
            try:
                while not self._closing.is_set():
                    got = self.wire.read()
                    if got:
                        with self._cond:
                            was = len(self._pending)
                            self._pending.extend(got)
                            if not was or len(self._pending) >= self.max_batch:
                                self._cond.notify()
            except OSError as exc:
                self._connected.clear()
                if not self._closing.is_set():
                    log.warning("MQTT consumer disconnected (%s); reconnecting", exc)
        self._connected.clear()
        self.wire.close()

    # -- the storing thread ------------------------------------------------------------------------------

    def start(self) -> None:
        self._closing.clear()
        self._network = threading.Thread(target=self._receive, name="mqtt-receive", daemon=True)
        self._network.start()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def stop(self) -> None:
        self._closing.set()
        if self._network is not None:
            self._network.join(timeout=5)  # `read` wakes at least every second
            self._network = None

    def run(self, stop: threading.Event) -> None:
        """Store and acknowledge batches until `stop` is set."""
        self.start()
        try:
            while not stop.is_set():
                self.step(wait=0.2)
        finally:
            self.stop()

    def run_forever(self) -> None:
        stop = threading.Event()
        stop_on_signals(stop)
        self.run(stop)

    def step(self, wait: float = 0.2) -> int:
        """Take what has arrived (waiting up to `wait` seconds for something, then up to the linger for more
        to gather), store it, acknowledge it. Returns the number of messages handled; a failed store leaves
        them for the next step, unacknowledged."""
        with self._cond:
            if not self._pending:
                self._cond.wait(wait)
            if self._pending and len(self._pending) < self.max_batch and self.linger > 0:
                deadline = time.monotonic() + self.linger
                while len(self._pending) < self.max_batch and (left := deadline - time.monotonic()) > 0:
                    self._cond.wait(left)
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        if not batch:
            return 0
        try:
            self._store(batch)
        except Exception:  # the database is away: keep the messages unacknowledged and try again
            log.exception("storing %d MQTT messages failed; retrying", len(batch))
            with self._cond:
                self._pending[:0] = batch
            time.sleep(1.0)
            return 0
        try:
            self.wire.ack(batch)
        except OSError as exc:  # stored, but the connection is gone: the broker sends them again (harmless)
            log.warning("acknowledging %d MQTT messages failed (%s); the broker will send them again", len(batch), exc)
        self.stored += len(batch)
        self.batches += 1
        return len(batch)

    def _store(self, batch: list[Message]) -> None:
        items: list[Any] = []
        beats: list[tuple[str, dict[str, Any]]] = []
        detections, stations = self.topics.detections, self.topics.stations
        for message in batch:
            try:
                body = orjson.loads(message.payload)
            except orjson.JSONDecodeError:
                log.warning("MQTT %s: not JSON, dropped", message.topic)
                continue
            if message.topic.startswith(detections):
                station = message.topic[len(detections) :]
                for item in body if isinstance(body, list) else [body]:
                    # The topic names the station: an item naming another one is not believed.
                    if isinstance(item, dict) and item.get("station", station) != station:
                        log.warning("MQTT %s: an item names station %r, dropped", message.topic, item["station"])
                        continue
                    if isinstance(item, dict):
                        item["station"] = station  # a dict of this message's own parse: changed in place
                    items.append(item)
            elif message.topic.startswith(stations) and message.topic.endswith(STATUS_SUFFIX):
                station = message.topic[len(stations) : -len(STATUS_SUFFIX)]
                beats.append((station, body if isinstance(body, dict) else {"value": body}))
        tracking = self.services.tracking
        streams = self.services.streams
        if streams is not None and items:
            # Several machines: the detections go to the stream, and this returns (and the messages are
            # acknowledged to the broker) only once JetStream has stored every one of them. A NATS away
            # raises: the messages stay unacknowledged and are tried again.
            if self._county is None:
                self._county = self.services.county_code()
            result = tracking.publish(items, streams, self._county)
            for refused in result.rejected[:20]:
                log.warning("MQTT item %d %s: %s", refused.index, refused.field, refused.message)
            items = []
            if not beats:
                return
        # One transaction for the whole batch, whichever stations it came from.
        with self.services.db.write_lock, self.services.db.session() as session:
            if items:
                result = tracking.intake.ingest_in(session, items)
                for refused in result.rejected[:20]:
                    log.warning("MQTT item %d %s: %s", refused.index, refused.field, refused.message)
            for station, status in beats:
                if not tracking.heartbeat(session, station, status):
                    log.warning("MQTT heartbeat of an unregistered station %s", station)


def start_in_background(services: Services, url: str | None = None) -> tuple[MqttConsumer, threading.Event] | None:
    """Start the consumer on a thread when a broker answers (for `pingan serve` and the demo); None if not."""
    target = url or services.settings.mqtt_url
    if not broker_answers(target):
        return None
    consumer = MqttConsumer(services, target)
    stop = threading.Event()
    threading.Thread(target=consumer.run, args=(stop,), name="mqtt-consumer", daemon=True).start()
    return consumer, stop
