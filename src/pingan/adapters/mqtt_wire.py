"""A lean MQTT v5 subscriber on a plain socket: what tracking's consumer needs of the protocol, and only that.

Why not a general client: paho spends some 60 µs of CPU in Python on every message it receives (two or
three `recv` calls for each packet's header, a message object, its properties parsed, the callbacks, the
packet id bookkeeping of manual acknowledgements) and some 15 µs more on each `ack`, one `send` apiece.
At 10,000 messages a second that is most of a core. Here a `recv` takes whatever has arrived (up to a
megabyte, a few thousand messages when the stream is busy), every whole packet in it is parsed in one loop,
and the acknowledgements of a stored batch go out in one `send`.

What it does:
- CONNECT (v5) with a Receive Maximum (how many QoS 1 messages the broker may have unacknowledged with us),
  a Session Expiry Interval and clean start as asked; the CONNACK checked (a refusal raises `Refused`);
- SUBSCRIBE (shared subscriptions `$share/{group}/{filter}` are plain filters to it) and the SUBACK checked:
  a filter the broker refuses, or grants below the QoS asked, raises;
- PUBLISH at QoS 0 and 1 taken apart (topic, packet id, properties skipped, payload); QoS 2 is never
  granted since we subscribe at QoS 1 at most;
- PUBACK written by `ack`, many in one `send`, for the connection the messages came on (a packet id means
  nothing on another connection: after a reconnect the broker sends the unacknowledged messages again);
- PINGREQ when nothing was sent for half the keep-alive, and a connection silent for one and a half
  keep-alives after a ping counted as dead;
- a DISCONNECT from the broker, a closed socket or a malformed packet: `Closed`, and the caller reconnects.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass

CONNECT = 0x10
CONNACK = 0x20
PUBLISH = 0x30
PUBACK = 0x40
SUBSCRIBE = 0x82
SUBACK = 0x90
PINGREQ = 0xC0
PINGRESP = 0xD0
DISCONNECT = 0xE0

PROP_SESSION_EXPIRY = 0x11
PROP_RECEIVE_MAXIMUM = 0x21

QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)
"""Linux's TCP_QUICKACK (None elsewhere)."""
RECV_BYTES = 1 << 20
"""What one `recv` may take: a busy stream's thousands of small messages in one call."""
SOCKET_BUFFER = 4 << 20
"""The kernel's receive buffer asked for (the broker can push this much before we read)."""


class Refused(RuntimeError):
    """The broker refused the connection or a subscription."""


class Closed(ConnectionError):
    """The connection ended (the broker disconnected, the socket closed, a packet was malformed)."""


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(data: bytes | bytearray | memoryview, pos: int) -> tuple[int, int] | None:
    """(value, position after it), or None when `data` ends before the integer does."""
    value, shift = 0, 0
    for i in range(pos, min(pos + 4, len(data))):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i + 1
        shift += 7
    if len(data) - pos >= 4:
        raise Closed("a malformed variable byte integer")
    return None


def text(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("!H", len(raw)) + raw


@dataclass(slots=True)
class Message:
    topic: str
    payload: bytes
    mid: int
    qos: int
    connection: int
    """Which connection it came on (`Subscriber.connection`): its acknowledgement is sent on that one only."""


class Subscriber:
    """One connection to the broker. `connect` then `read` in a loop on one thread; `ack` from any thread."""

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        *,
        keepalive: int = 30,
        receive_maximum: int = 65535,
        session_expiry: int = 0,
        clean_start: bool = True,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.client_id = host, port, client_id
        self.keepalive = keepalive
        self.receive_maximum = receive_maximum
        self.session_expiry = session_expiry
        self.clean_start = clean_start
        self.timeout = timeout
        self.connection = 0
        """Counts connections: a message's acknowledgement goes out only on the connection it came on."""
        self.session_present = False
        self._sock: socket.socket | None = None
        self._buf = b""
        self._write = threading.Lock()
        self._last_sent = 0.0
        self._last_heard = 0.0
        self._pinged = False
        self._topics: dict[bytes, str] = {}

    # -- connecting -------------------------------------------------------------------------------------

    def connect(self, subscriptions: list[tuple[str, int]]) -> None:
        """Connect, subscribe, and return once the broker granted every subscription (Refused if not)."""
        self.close()
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
        with self._write:  # an `ack` of the last connection's messages never reaches this one
            self.connection += 1
            self._sock, self._buf = sock, b""
        try:
            props = bytes([PROP_RECEIVE_MAXIMUM]) + struct.pack("!H", self.receive_maximum)
            if self.session_expiry:
                props += bytes([PROP_SESSION_EXPIRY]) + struct.pack("!I", self.session_expiry)
            flags = 0x02 if self.clean_start else 0x00
            variable = text("MQTT") + bytes([5, flags]) + struct.pack("!H", self.keepalive) + varint(len(props)) + props
            self._send(self._packet(CONNECT, variable + text(self.client_id)))
            kind, body = self._next_packet()
            if kind & 0xF0 != CONNACK or len(body) < 2:
                raise Refused(f"no CONNACK from the broker (packet {kind:#x})")
            if body[1] >= 0x80:
                raise Refused(f"the broker refused the connection (reason {body[1]:#x})")
            self.session_present = bool(body[0] & 0x01)
            parts = [text(topic_filter) + bytes([qos]) for topic_filter, qos in subscriptions]
            self._send(self._packet(SUBSCRIBE, struct.pack("!H", 1) + b"\x00" + b"".join(parts)))
            deadline = time.monotonic() + self.timeout
            while True:  # the broker may send queued messages before the SUBACK: they wait in the buffer
                kind, body = self._peek_suback()
                if kind:
                    break
                if time.monotonic() > deadline:
                    raise Closed("no SUBACK from the broker")
            (mid,) = struct.unpack_from("!H", body)
            got = read_varint(body, 2)
            if mid != 1 or got is None:
                raise Closed("a malformed SUBACK")
            codes = body[got[1] + got[0] :]
            for (topic_filter, qos), code in zip(subscriptions, codes, strict=False):
                if code >= 0x80 or code < qos:
                    raise Refused(f"the broker refused the subscription {topic_filter!r} (reason {code:#x})")
            if len(codes) != len(subscriptions):
                raise Closed("a SUBACK for another number of subscriptions")
        except BaseException:
            self.close()
            raise
        sock.settimeout(1.0)  # `read` wakes at least every second, for the keep-alive

    def _peek_suback(self) -> tuple[int, bytes]:
        """The SUBACK if it is among the whole packets buffered so far (other packets are left in place for
        `read`); (0, b"") after reading more from the socket if it is not there yet."""
        data, pos = self._buf, 0
        while pos + 2 <= len(data):
            got = read_varint(data, pos + 1)
            if got is None:
                break
            length, start = got
            if len(data) < start + length:
                break
            if data[pos] & 0xF0 == SUBACK:
                body = data[start : start + length]
                self._buf = data[:pos] + data[start + length :]
                return SUBACK, body
            pos = start + length
        self._fill()
        return 0, b""

    # -- the wire ---------------------------------------------------------------------------------------

    @staticmethod
    def _packet(kind: int, body: bytes) -> bytes:
        return bytes([kind]) + varint(len(body)) + body

    def _send(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise Closed("not connected")
        with self._write:
            try:
                sock.sendall(data)
            except OSError as exc:
                raise Closed(f"sending failed: {exc}") from exc
            self._last_sent = time.monotonic()

    def _fill(self) -> bool:
        """Read what has arrived (waiting up to the socket's timeout); False if nothing came in that time."""
        sock = self._sock
        if sock is None:
            raise Closed("not connected")
        try:
            chunk = sock.recv(RECV_BYTES)
        except TimeoutError:
            return False
        except OSError as exc:
            raise Closed(f"receiving failed: {exc}") from exc
        if not chunk:
            raise Closed("the broker closed the connection")
        if QUICKACK is not None:
            # Our TCP acknowledgement at once, not after the kernel's delayed-ACK timer (40 ms): a broker
            # holding small packets back until its last one is acknowledged (Nagle's algorithm, Mosquitto's
            # default) then sends the next ones without that wait. The kernel clears it again, so each time.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
        self._buf = self._buf + chunk if self._buf else chunk
        self._last_heard = time.monotonic()
        self._pinged = False
        return True

    def _next_packet(self) -> tuple[int, bytes]:
        while True:
            data = self._buf
            if len(data) >= 2:
                got = read_varint(data, 1)
                if got is not None and len(data) >= got[1] + got[0]:
                    length, start = got
                    self._buf = data[start + length :]
                    return data[0], data[start : start + length]
            if not self._fill():
                raise Closed("the broker did not answer")

    # -- receiving --------------------------------------------------------------------------------------

    def read(self) -> list[Message]:
        """The messages of every whole packet that has arrived, waiting up to a second for some; keeps the
        connection alive. Raises Closed when the connection is gone."""
        now = time.monotonic()
        if now - self._last_sent >= self.keepalive / 2:
            self._send(bytes([PINGREQ, 0]))
            self._pinged = True
        elif self._pinged and now - self._last_heard > self.keepalive * 1.5:
            raise Closed("the broker fell silent")
        if not self._fill() and len(self._buf) < 2:
            return []
        data, pos, end = self._buf, 0, len(self._buf)
        out: list[Message] = []
        append = out.append
        topics = self._topics
        connection = self.connection
        unpack = struct.unpack_from
        while pos + 2 <= end:
            kind = data[pos]
            # The remaining length: one byte for packets under 128 bytes, the usual detection.
            first = data[pos + 1]
            if first < 0x80:
                length, start = first, pos + 2
            else:
                got = read_varint(data, pos + 1)
                if got is None:
                    break
                length, start = got
            stop = start + length
            if stop > end:
                break
            if kind & 0xF0 == PUBLISH:
                qos = (kind >> 1) & 0x03
                (size,) = unpack("!H", data, start)
                raw = data[start + 2 : start + 2 + size]
                topic = topics.get(raw)
                if topic is None:
                    try:
                        topic = raw.decode()
                    except UnicodeDecodeError as exc:
                        raise Closed("a topic that is not UTF-8") from exc
                    if len(topics) < 100_000:
                        topics[raw] = topic
                at = start + 2 + size
                mid = 0
                if qos:
                    (mid,) = unpack("!H", data, at)
                    at += 2
                props = data[at]
                if props < 0x80:
                    at += 1 + props
                else:
                    got = read_varint(data, at)
                    if got is None:
                        raise Closed("a malformed PUBLISH")
                    at = got[1] + got[0]
                if at > stop or qos > 1:
                    raise Closed("a malformed PUBLISH")
                append(Message(topic, data[at:stop], mid, qos, connection))
            elif kind & 0xF0 == DISCONNECT:
                reason = data[start] if length else 0
                raise Closed(f"the broker disconnected (reason {reason:#x})")
            elif kind & 0xF0 not in (PINGRESP, SUBACK, PUBACK):
                raise Closed(f"an unexpected packet {kind:#x} from the broker")
            pos = stop
        self._buf = data[pos:] if pos < end else b""
        return out

    # -- acknowledging ----------------------------------------------------------------------------------

    def ack(self, messages: list[Message]) -> int:
        """PUBACK these messages' QoS 1 deliveries, in one write; those of an earlier connection are skipped
        (the broker sends them again). Returns how many were acknowledged."""
        current = self.connection
        mids = [m.mid for m in messages if m.qos and m.connection == current]
        if not mids:
            return 0
        data = b"".join([struct.pack("!BBH", PUBACK, 2, mid) for mid in mids])
        with self._write:
            sock = self._sock
            if sock is None or self.connection != current:
                return 0
            try:
                sock.sendall(data)
            except OSError as exc:
                raise Closed(f"sending failed: {exc}") from exc
            self._last_sent = time.monotonic()
        return len(mids)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            with self._write:
                sock.sendall(bytes([DISCONNECT, 0]))
        except OSError:
            pass
        finally:
            sock.close()
