"""The bench's base-station gateway reads the broker's window from its CONNACK and frames lengths right."""

from __future__ import annotations

import struct

import pytest

from pingan.bench.base_station import BrokerRefused, _read_varint, _receive_maximum, _varint


@pytest.mark.parametrize("n", [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455])
def test_a_remaining_length_reads_back_as_written_at_each_border_of_its_bytes(n: int) -> None:
    raw = _varint(n)
    assert len(raw) == 1 + (n > 127) + (n > 16_383) + (n > 2_097_151)
    assert _read_varint(raw + b"rest", 0) == (n, len(raw))


def test_a_remaining_length_cut_short_waits_for_more_and_a_fifth_byte_is_refused() -> None:
    assert _read_varint(b"\x80\x80", 0) is None
    with pytest.raises(BrokerRefused):
        _read_varint(b"\x80\x80\x80\x80\x01", 0)


def test_the_receive_maximum_is_found_among_other_properties_and_defaults_to_the_protocols() -> None:
    others = (
        b"\x24\x01"  # maximum QoS
        + b"\x27" + struct.pack("!I", 268_435_455)  # maximum packet size
        + b"\x12" + struct.pack("!H", 4) + b"auto"  # assigned client id
        + b"\x26" + struct.pack("!H", 1) + b"k" + struct.pack("!H", 2) + b"vv"  # a user property
    )  # fmt: skip
    assert _receive_maximum(others + b"\x21" + struct.pack("!H", 20)) == 20
    assert _receive_maximum(others) == 65535
    assert _receive_maximum(b"") == 65535
    with pytest.raises(BrokerRefused):
        _receive_maximum(b"\x7f\x00")
