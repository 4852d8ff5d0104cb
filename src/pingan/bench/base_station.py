"""A base station's gateway as the detections bench drives it: an MQTT v5 client on a plain socket.

Base stations are small devices speaking MQTT from firmware, not Python processes running paho: a paho
publisher spends some 100 µs of CPU a message in Python (its loop thread, a wake-up per publish, a few
`recv` calls per acknowledgement), so on a two-core machine four of them were what limited the measured
`mqtt_per_s`, not the consumer. This client does what a gateway does on the wire, and only that:

- CONNECT (v5, clean start), and the broker's CONNACK read: its Receive Maximum bounds how many QoS 1
  messages this client has unacknowledged at once (65535 when the broker names none), as the protocol says;
- PUBLISH at QoS 1, each with its own packet id, written as many at a time as that window allows;
- every PUBACK read and checked (its packet id one in flight, its reason code not a failure):
  `send` returns only when every message it published was acknowledged by the broker, and raises otherwise.
"""

from __future__ import annotations

import selectors
import socket
import struct

from pingan.workers.mqtt import parse_url

_PUBACK = 0x40
_CONNACK = 0x20
_DISCONNECT = 0xE0
_RECEIVE_MAXIMUM = 0x21

# MQTT v5 property identifiers by the size of their value, to walk a CONNACK's properties.
_BYTE = {0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A}
_INT2 = {0x13, 0x21, 0x22, 0x23}
_INT4 = {0x02, 0x11, 0x18, 0x27}
_TEXT = {0x03, 0x08, 0x09, 0x12, 0x15, 0x16, 0x1A, 0x1C, 0x1F}
_PAIR = {0x26}
_VARINT = {0x0B}


class BrokerRefused(RuntimeError):
    """The broker refused the connection or a message, or broke the protocol."""


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varint(data: bytes | bytearray, pos: int) -> tuple[int, int] | None:
    value, shift = 0, 0
    for i in range(pos, min(pos + 4, len(data))):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i + 1
        shift += 7
    if len(data) - pos >= 4:
        raise BrokerRefused("a malformed remaining length from the broker")
    return None


def _text(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("!H", len(raw)) + raw


def _receive_maximum(props: bytes) -> int:
    pos = 0
    while pos < len(props):
        ident = props[pos]
        pos += 1
        if ident == _RECEIVE_MAXIMUM:
            return int(struct.unpack_from("!H", props, pos)[0])
        if ident in _BYTE:
            pos += 1
        elif ident in _INT2:
            pos += 2
        elif ident in _INT4:
            pos += 4
        elif ident in _TEXT:
            pos += 2 + struct.unpack_from("!H", props, pos)[0]
        elif ident in _PAIR:
            for _ in range(2):
                pos += 2 + struct.unpack_from("!H", props, pos)[0]
        elif ident in _VARINT:
            got = _read_varint(props, pos)
            if got is None:
                raise BrokerRefused("a malformed CONNACK property")
            pos = got[1]
        else:
            raise BrokerRefused(f"an unknown CONNACK property {ident:#x}")
    return 65535


class BaseStation:
    """One gateway's connection to the broker; `send` publishes at QoS 1 and waits for every acknowledgement."""

    def __init__(self, url: str, client_id: str, *, timeout: float = 30.0) -> None:
        host, port = parse_url(url)
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = bytearray()
        self._heads: dict[str, bytes] = {}
        self._inflight: set[int] = set()
        self._next_id = 0
        self.acknowledged = 0
        keepalive = 60
        variable = _text("MQTT") + bytes([5, 0x02]) + struct.pack("!H", keepalive) + b"\x00"  # clean start
        body = variable + _text(client_id)
        self.sock.sendall(bytes([0x10]) + _varint(len(body)) + body)
        kind, packet = self._packet()
        if kind >> 4 != _CONNACK >> 4 or len(packet) < 2:
            raise BrokerRefused("no CONNACK from the broker")
        if packet[1] >= 0x80:
            raise BrokerRefused(f"the broker refused the connection (reason {packet[1]:#x})")
        props = b""
        if len(packet) > 2:
            got = _read_varint(packet, 2)
            if got is None:
                raise BrokerRefused("a malformed CONNACK")
            length, start = got
            props = bytes(packet[start : start + length])
        self.window = _receive_maximum(props)

    def _packet(self) -> tuple[int, bytes]:
        """The next whole packet from the broker (blocking)."""
        while True:
            if len(self._buf) >= 2:
                got = _read_varint(self._buf, 1)
                if got is not None:
                    length, start = got
                    if len(self._buf) >= start + length:
                        kind = self._buf[0]
                        packet = bytes(self._buf[start : start + length])
                        del self._buf[: start + length]
                        return kind, packet
            chunk = self.sock.recv(65536)
            if not chunk:
                raise BrokerRefused("the broker closed the connection")
            self._buf += chunk

    def _ack(self, kind: int, packet: bytes) -> None:
        if kind >> 4 == _DISCONNECT >> 4:
            reason = packet[0] if packet else 0
            raise BrokerRefused(f"the broker disconnected (reason {reason:#x})")
        if kind >> 4 != _PUBACK >> 4 or len(packet) < 2:
            raise BrokerRefused(f"an unexpected packet {kind:#x} from the broker")
        (mid,) = struct.unpack_from("!H", packet)
        if mid not in self._inflight:
            raise BrokerRefused(f"a PUBACK for packet {mid}, which is not in flight")
        if len(packet) > 2 and packet[2] >= 0x80:
            raise BrokerRefused(f"the broker refused message {mid} (reason {packet[2]:#x})")
        self._inflight.discard(mid)
        self.acknowledged += 1

    def _take_acks(self) -> None:
        """Every acknowledgement that has arrived (the socket is readable: one `recv` does not block)."""
        chunk = self.sock.recv(65536)
        if not chunk:
            raise BrokerRefused("the broker closed the connection")
        self._buf += chunk
        while len(self._buf) >= 2:
            got = _read_varint(self._buf, 1)
            if got is None or len(self._buf) < got[1] + got[0]:
                break
            self._ack(*self._packet())

    def _packet_id(self) -> int:
        while True:
            self._next_id = self._next_id % 65535 + 1
            if self._next_id not in self._inflight:
                return self._next_id

    def _offer(self, messages: list[tuple[str, bytes]], pos: int) -> int:
        """Write messages from `pos` on, as many as the broker's window has room for, in one `send`; returns
        the position of the first one not written."""
        room = min(self.window - len(self._inflight), len(messages) - pos)
        if room <= 0:
            return pos
        parts: list[bytes] = []
        heads = self._heads
        for topic, payload in messages[pos : pos + room]:
            head = heads.get(topic)
            if head is None:
                head = heads[topic] = _text(topic)
            mid = self._packet_id()
            self._inflight.add(mid)
            # The topic, the packet id and an empty property list, then the payload.
            parts.append(b"\x32" + _varint(len(head) + 3 + len(payload)) + head + struct.pack("!HB", mid, 0) + payload)
        self.sock.sendall(b"".join(parts))
        return pos + room

    def send(self, messages: list[tuple[str, bytes]]) -> None:
        """Publish these (topic, payload) messages at QoS 1, as many at a time as the broker's window allows,
        and return once every one is acknowledged (BrokerRefused if one is refused, or none comes for
        `timeout` seconds)."""
        send_through([self], messages)

    def close(self) -> None:
        try:
            self.sock.sendall(bytes([_DISCONNECT, 0]))
        finally:
            self.sock.close()


def send_through(gateways: list[BaseStation], messages: list[tuple[str, bytes]]) -> None:
    """Publish `messages` through these gateways, one process driving them all (each gets every n-th
    message): each keeps its broker's window full, and this returns once every message is acknowledged.

    The broker grants each connection a small window (Mosquitto's `max_inflight_messages`, 20 by default):
    one connection alone spends most of its time waiting for acknowledgements, a wake-up for every few
    messages. Several connections a process keep many more messages in flight, as a real network of
    thousands of gateways does, while each connection still keeps to its own window."""
    shares = [messages[i :: len(gateways)] for i in range(len(gateways))]
    positions = [gateway._offer(share, 0) for gateway, share in zip(gateways, shares, strict=True)]
    with selectors.DefaultSelector() as selector:
        for i, gateway in enumerate(gateways):
            selector.register(gateway.sock, selectors.EVENT_READ, i)
        while any(gateway._inflight for gateway in gateways):
            ready = selector.select(timeout=max(gateway.timeout for gateway in gateways))
            if not ready:
                raise BrokerRefused("no acknowledgement from the broker in time")
            for key, _events in ready:
                i = key.data
                gateway = gateways[i]
                gateway._take_acks()
                positions[i] = gateway._offer(shares[i], positions[i])
