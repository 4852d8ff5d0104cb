"""The consumer's MQTT v5 subscriber against a scripted broker on a local socket: packets taken apart in bulk
and across reads, acknowledgements in one write for the connection they came on, refusals and ends named."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from pingan.adapters.mqtt_wire import (
    CONNACK,
    PINGREQ,
    PUBACK,
    SUBACK,
    SUBSCRIBE,
    Closed,
    Message,
    Refused,
    Subscriber,
    read_varint,
    text,
    varint,
)

Script = Callable[[socket.socket], None]


def packet(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + varint(len(body)) + body


def publish(topic: str, payload: bytes, mid: int | None = 1, props: bytes = b"", dup: bool = False) -> bytes:
    qos = 0 if mid is None else 1
    kind = 0x30 | (qos << 1) | (0x08 if dup else 0)
    body = text(topic) + (b"" if mid is None else struct.pack("!H", mid)) + varint(len(props)) + props + payload
    return packet(kind, body)


def read_packet(conn: socket.socket, buf: bytearray) -> tuple[int, bytes]:
    while True:
        if len(buf) >= 2:
            got = read_varint(buf, 1)
            if got is not None and len(buf) >= got[1] + got[0]:
                kind, body = buf[0], bytes(buf[got[1] : got[1] + got[0]])
                del buf[: got[1] + got[0]]
                return kind, body
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk


class Broker:
    """Accepts connections and runs `script` on each after the handshake (CONNACK, SUBACK with `codes`)."""

    def __init__(
        self, script: Script, *, after: Script | None = None, connack_reason: int = 0, codes: bytes | None = None
    ) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.script = script
        self.after = after
        self.connack_reason = connack_reason
        self.codes = codes
        self.connects: list[bytes] = []
        self.subscribes: list[bytes] = []
        self.received: list[tuple[int, bytes]] = []
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            buf = bytearray()
            try:
                kind, body = read_packet(conn, buf)
                assert kind == 0x10
                self.connects.append(body)
                conn.sendall(packet(CONNACK, bytes([0, self.connack_reason, 0])))
                if self.connack_reason:
                    continue
                kind, body = read_packet(conn, buf)
                assert kind == SUBSCRIBE
                self.subscribes.append(body)
                pos, count = 3, 0  # the packet id, no properties, then (filter, options) pairs
                while pos < len(body):
                    pos += 2 + struct.unpack_from("!H", body, pos)[0] + 1
                    count += 1
                codes = self.codes if self.codes is not None else b"\x01" * count
                self.script(conn)
                conn.sendall(packet(SUBACK, struct.pack("!H", 1) + b"\x00" + codes))
                if self.after is not None:
                    self.after(conn)
                conn.settimeout(3)
                while True:
                    self.received.append(read_packet(conn, buf))
            except (OSError, ConnectionError):
                pass
            finally:
                self.done.set()
                conn.close()

    def close(self) -> None:
        self.server.close()


@pytest.fixture(name="make")
def make_broker() -> Iterator[Callable[..., Broker]]:
    made: list[Broker] = []

    def make(script: Script, **options: object) -> Broker:
        broker = Broker(script, **options)  # type: ignore[arg-type]
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.close()


def subscriber(broker: Broker, **options: object) -> Subscriber:
    return Subscriber("127.0.0.1", broker.port, "c-1", timeout=3, **options)  # type: ignore[arg-type]


def read_all(sub: Subscriber, count: int) -> list[Message]:
    got: list[Message] = []
    deadline = time.monotonic() + 5
    while len(got) < count and time.monotonic() < deadline:
        got += sub.read()
    return got


FILTERS = [("p/detections/+", 1), ("p/stations/+/status", 1)]


def test_the_connect_asks_for_the_window_and_the_session_and_the_subscriptions_are_checked(
    make: Callable[..., Broker],
) -> None:
    broker = make(lambda conn: None)
    sub = subscriber(broker, receive_maximum=65535, session_expiry=3600, clean_start=False)
    sub.connect(FILTERS)
    connect = broker.connects[0]
    assert connect[:7] == text("MQTT") + bytes([5])
    assert connect[7] == 0x00  # clean start off: the persistent session
    assert b"\x21\xff\xff" in connect  # the receive maximum
    assert b"\x11" + struct.pack("!I", 3600) in connect  # the session expiry
    assert b"p/detections/+" in broker.subscribes[0]
    assert b"p/stations/+/status" in broker.subscribes[0]
    assert sub.connection == 1
    sub.close()


def test_many_publishes_in_one_read_and_one_cut_across_two_are_taken_apart(make: Callable[..., Broker]) -> None:
    big = b"x" * 300  # a remaining length of two bytes
    first = publish("p/detections/S1", b'{"tag":"A"}', 7) + publish(
        "p/detections/S2", big, 8, props=b"\x02\x00\x00\x00\x3c"
    )
    first += publish("p/stations/S1/status", b"{}", None)  # QoS 0: nothing to acknowledge
    last = publish("p/detections/S3", b'{"tag":"B"}', 9, dup=True)

    def script(conn: socket.socket) -> None:
        conn.sendall(first + last[:5])  # sent before the SUBACK: kept for `read`
        time.sleep(0.2)
        conn.sendall(last[5:])

    broker = make(script)
    sub = subscriber(broker)
    sub.connect(FILTERS)
    got = read_all(sub, 4)
    assert [(m.topic, m.payload, m.mid, m.qos) for m in got] == [
        ("p/detections/S1", b'{"tag":"A"}', 7, 1),
        ("p/detections/S2", big, 8, 1),
        ("p/stations/S1/status", b"{}", 0, 0),
        ("p/detections/S3", b'{"tag":"B"}', 9, 1),
    ]
    sub.close()


def test_acknowledgements_go_out_together_and_never_on_another_connection(make: Callable[..., Broker]) -> None:
    broker = make(
        lambda conn: conn.sendall(publish("p/detections/S1", b"{}", 11) + publish("p/detections/S1", b"{}", 12))
    )
    sub = subscriber(broker)
    sub.connect(FILTERS)
    got = read_all(sub, 2)
    assert sub.ack(got) == 2
    deadline = time.monotonic() + 3
    while len(broker.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert broker.received[:2] == [(PUBACK, struct.pack("!H", 11)), (PUBACK, struct.pack("!H", 12))]
    # A message of the connection before: its packet id means nothing on this one.
    stale = Message("p/detections/S1", b"{}", 13, 1, sub.connection - 1)
    qos0 = Message("p/detections/S1", b"{}", 0, 0, sub.connection)
    assert sub.ack([stale, qos0]) == 0
    sub.connect(FILTERS)  # a reconnect: what the first connection delivered is not acknowledged here
    assert sub.ack(got) == 0
    sub.close()


def test_a_refused_connection_or_subscription_raises_refused(make: Callable[..., Broker]) -> None:
    refused = make(lambda conn: None, connack_reason=0x87)
    with pytest.raises(Refused, match="0x87"):
        subscriber(refused).connect(FILTERS)
    partly = make(lambda conn: None, codes=b"\x01\x87")
    with pytest.raises(Refused, match="stations"):
        subscriber(partly).connect(FILTERS)
    downgraded = make(lambda conn: None, codes=b"\x01\x00")  # granted QoS 0 where QoS 1 was asked
    with pytest.raises(Refused):
        subscriber(downgraded).connect(FILTERS)


def test_a_disconnect_a_closed_socket_or_a_malformed_packet_ends_the_connection(make: Callable[..., Broker]) -> None:
    for tail, reason in [
        (packet(0xE0, b"\x8b"), "0x8b"),  # the server is shutting down
        (b"", "closed"),
        (packet(0x34, text("p/detections/S1") + b"\x00\x01\x00"), "malformed"),  # QoS 2 is never granted
    ]:
        broker = make(
            lambda conn: None,
            after=lambda conn, tail=tail: conn.sendall(tail) if tail else conn.shutdown(socket.SHUT_WR),
        )
        sub = subscriber(broker)
        sub.connect(FILTERS)
        with pytest.raises(Closed, match=reason):
            read_all(sub, 1)
        sub.close()


def test_an_idle_connection_is_kept_alive_with_pings(make: Callable[..., Broker]) -> None:
    broker = make(lambda conn: None)
    sub = subscriber(broker, keepalive=1)
    sub.connect(FILTERS)
    deadline = time.monotonic() + 4
    while not any(kind == PINGREQ for kind, _ in broker.received) and time.monotonic() < deadline:
        sub.read()
    assert any(kind == PINGREQ for kind, _ in broker.received)
    sub.close()
