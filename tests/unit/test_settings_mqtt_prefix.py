"""`PINGAN_MQTT_TOPIC_PREFIX`: one or more topic levels, no wildcard, refused loudly otherwise."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pingan.core.settings import Settings
from pingan.workers.mqtt import Topics


def test_the_prefix_defaults_to_pingan_and_names_every_topic() -> None:
    topics = Topics(Settings(mqtt_topic_prefix="pingan").mqtt_topic_prefix)
    assert topics.detection("BS-1") == "pingan/detections/BS-1"
    assert topics.status("BS-1") == "pingan/stations/BS-1/status"
    assert topics.subscriptions() == [("pingan/detections/+", 1), ("pingan/stations/+/status", 1)]


def test_a_prefix_of_several_levels_is_kept() -> None:
    assert (
        Topics(Settings(mqtt_topic_prefix=" county/xs ").mqtt_topic_prefix).detection("B") == "county/xs/detections/B"
    )


@pytest.mark.parametrize("bad", ["", "a/", "/a", "a//b", "a/+", "a/#", "$SYS", "a\0b"])
def test_a_prefix_with_an_empty_level_or_a_wildcard_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="mqtt_topic_prefix"):
        Settings(mqtt_topic_prefix=bad)
