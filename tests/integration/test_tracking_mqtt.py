"""The MQTT consumer against the real Mosquitto: detections and heartbeats stored, a replay stored once,
and a message the consumer could not store is delivered again to its persistent session (store, then ack)."""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from pingan.core.db import Database
from pingan.tracking.models import Detection, Station
from pingan.workers.mqtt import MqttConsumer, Topics
from tests.integration.tracking_world import TrackingWorld, at, build_tracking_world

WAIT_S = 20.0
"""How long a test waits for the broker and the consumer (a ceiling, not a measure: no test is timed)."""


@pytest.fixture(name="db")
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'mqtt.db'}")
    database.create_all()
    yield database
    database.dispose()


@pytest.fixture(name="tw")
def tracking_world(db: Database, tmp_path: Path) -> Iterator[TrackingWorld]:
    world = build_tracking_world(db, tmp_path)
    yield world
    world.client.close()
    world.w.services.desk.close()


def _publisher(url: str) -> mqtt.Client:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    host, port = url.removeprefix("mqtt://").split(":")
    client.connect(host, int(port))
    client.loop_start()
    return client


def _publish(client: mqtt.Client, topic: str, body: object) -> None:
    client.publish(topic, orjson.dumps(body), qos=1).wait_for_publish(timeout=WAIT_S)


def _until(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _detections(tw: TrackingWorld) -> int:
    with tw.w.services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Detection)) or 0)


class Running:
    def __init__(self, tw: TrackingWorld, url: str, client_id: str, **options: Any) -> None:
        self.consumer = MqttConsumer(tw.w.services, url, client_id=client_id, **options)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.consumer.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> MqttConsumer:
        self.thread.start()
        assert self.consumer.wait_connected(WAIT_S)
        time.sleep(0.3)  # the subscription's acknowledgement
        return self.consumer

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=WAIT_S)


def test_detections_and_heartbeats_over_mqtt_are_stored_and_a_replay_once(
    tw: TrackingWorld, mqtt_url: str, mqtt_topics: Topics
) -> None:
    publisher = _publisher(mqtt_url)
    try:
        with Running(tw, mqtt_url, f"pingan-test-{uuid.uuid4().hex[:8]}"):
            one = {"tag": "CARD-1", "at": at(0), "rssi": -71, "id": "m-1"}
            _publish(publisher, mqtt_topics.detection("S1"), one)
            _publish(publisher, mqtt_topics.detection("S1"), one)  # the station sent it twice
            _publish(publisher, mqtt_topics.detection("S2"), [{"tag": "CARD-1", "at": at(0.02), "rssi": -60}])
            _publish(publisher, mqtt_topics.detection("S3"), [{"tag": "CARD-2", "at": at(1)}, {"tag": "CARD-2"}])
            _publish(publisher, mqtt_topics.status("S4"), {"battery": 66})
            assert _until(lambda: _detections(tw) == 2)

            def beat() -> bool:
                with tw.w.services.db.session() as session:
                    station = session.scalar(select(Station).where(Station.code == "S4"))
                    return station is not None and station.last_status == {"battery": 66}

            assert _until(beat)
        with tw.w.services.db.session() as session:
            merged = session.scalar(select(Detection).where(Detection.rssi == -60))
            assert merged is not None
            assert sorted(merged.stations) == ["S1", "S2"]
    finally:
        publisher.loop_stop()
        publisher.disconnect()


def test_a_message_not_stored_is_not_acknowledged_and_comes_back_to_the_session(
    tw: TrackingWorld, mqtt_url: str, mqtt_topics: Topics
) -> None:
    client_id = f"pingan-test-{uuid.uuid4().hex[:8]}"
    publisher = _publisher(mqtt_url)
    try:
        failing = Running(tw, mqtt_url, client_id)
        attempts: list[int] = []

        def broken(batch: list[Any]) -> None:
            attempts.append(len(batch))
            raise RuntimeError("the database is away")

        failing.consumer._store = broken  # type: ignore[method-assign]
        with failing:
            _publish(publisher, mqtt_topics.detection("S1"), {"tag": "CARD-1", "at": at(5)})
            assert _until(lambda: bool(attempts))
        assert _detections(tw) == 0
        # Published while no consumer is connected: the persistent session keeps it too.
        _publish(publisher, mqtt_topics.detection("S1"), {"tag": "CARD-1", "at": at(6)})
        with Running(tw, mqtt_url, client_id):
            assert _until(lambda: _detections(tw) == 2)
    finally:
        publisher.loop_stop()
        publisher.disconnect()


def test_a_consumer_reads_only_its_own_prefix_and_stores_a_burst_in_few_transactions(
    tw: TrackingWorld, mqtt_url: str, mqtt_topics: Topics
) -> None:
    other = Topics(f"{mqtt_topics.prefix}-other")
    publisher = _publisher(mqtt_url)
    try:
        with Running(tw, mqtt_url, f"pingan-test-{uuid.uuid4().hex[:8]}", linger_ms=300) as consumer:
            # Another installation's station on the same broker: not ours to store.
            _publish(publisher, other.detection("S1"), {"tag": "CARD-1", "at": at(-50)})
            sent = [
                publisher.publish(mqtt_topics.detection("S1"), orjson.dumps({"tag": "CARD-1", "at": at(i)}), qos=1)
                for i in range(40)
            ]
            for info in sent:
                info.wait_for_publish(timeout=WAIT_S)
            assert _until(lambda: _detections(tw) == 40)
            # Counted once the batch's acknowledgements are sent, a moment after its commit.
            assert _until(lambda: consumer.stored == 40)
            assert consumer.batches < 10  # gathered for the linger, not one transaction a message
        with tw.w.services.db.session() as session:
            assert session.scalar(select(func.min(Detection.at))) is not None
            stored = {d.at for d in session.scalars(select(Detection))}
        assert len(stored) == 40
    finally:
        publisher.loop_stop()
        publisher.disconnect()


def test_consumers_of_one_shared_subscription_split_the_stream_and_store_each_message_once(
    tw: TrackingWorld, mqtt_url: str, mqtt_topics: Topics
) -> None:
    group = f"pingan-test-{uuid.uuid4().hex[:8]}"
    publisher = _publisher(mqtt_url)
    try:
        # Each member of the group has its own persistent session (its own client id).
        with (
            Running(tw, mqtt_url, f"{group}-a", share_group=group, linger_ms=0) as first,
            Running(tw, mqtt_url, f"{group}-b", share_group=group, linger_ms=0) as second,
        ):
            sent = [
                publisher.publish(mqtt_topics.detection("S1"), orjson.dumps({"tag": "CARD-1", "at": at(i)}), qos=1)
                for i in range(60)
            ]
            for info in sent:
                info.wait_for_publish(timeout=WAIT_S)
            _publish(publisher, mqtt_topics.status("S4"), {"battery": 40})
            assert _until(lambda: first.stored + second.stored == 61)
            assert first.stored > 0
            assert second.stored > 0  # the broker handed the stream to both, not all of it to each
            time.sleep(0.3)
            assert first.stored + second.stored == 61  # not each message to each member
            assert _detections(tw) == 60
    finally:
        publisher.loop_stop()
        publisher.disconnect()


def test_a_bad_message_in_a_batch_is_named_and_acknowledged_and_the_rest_stored(
    tw: TrackingWorld, mqtt_url: str, mqtt_topics: Topics, caplog: pytest.LogCaptureFixture
) -> None:
    client_id = f"pingan-test-{uuid.uuid4().hex[:8]}"
    topic = mqtt_topics.detection("S1")
    publisher = _publisher(mqtt_url)
    try:
        with (
            caplog.at_level(logging.WARNING, logger="pingan.workers.mqtt"),
            Running(tw, mqtt_url, client_id, linger_ms=500) as consumer,
        ):
            messages: list[bytes] = [
                orjson.dumps({"tag": "CARD-1", "at": at(0)}),
                b"{not json",
                orjson.dumps({"tag": "CARD-1", "at": "yesterday"}),
                orjson.dumps({"tag": "CARD-1", "at": at(1), "station": "S2"}),  # not the topic's station
                orjson.dumps([{"tag": "CARD-1", "at": at(2)}, {"tag": "CARD-1", "at": at(3)}]),
            ]
            sent = [publisher.publish(topic, body, qos=1) for body in messages]
            for info in sent:
                info.wait_for_publish(timeout=WAIT_S)
            assert _until(lambda: consumer.stored == len(messages))
            assert consumer.batches == 1  # all five in one transaction, the bad ones beside the good
        assert _detections(tw) == 3
        logged = caplog.text
        assert f"MQTT {topic}: not JSON" in logged
        assert " at: " in logged  # the refused item's field
        assert "names station 'S2'" in logged
        # Every one was acknowledged, the bad ones too: the session holds nothing to send again.
        with Running(tw, mqtt_url, client_id, linger_ms=0) as again:
            time.sleep(1.0)
            assert again.stored == 0
    finally:
        publisher.loop_stop()
        publisher.disconnect()


def test_a_lost_connection_is_made_again_and_the_stream_goes_on(
    tw: TrackingWorld, mqtt_url: str, mqtt_topics: Topics
) -> None:
    publisher = _publisher(mqtt_url)
    try:
        with Running(tw, mqtt_url, f"pingan-test-{uuid.uuid4().hex[:8]}", linger_ms=0) as consumer:
            _publish(publisher, mqtt_topics.detection("S1"), {"tag": "CARD-1", "at": at(0)})
            assert _until(lambda: consumer.stored == 1)
            first = consumer.wire.connection
            sock = consumer.wire._sock
            assert sock is not None
            sock.shutdown(socket.SHUT_RDWR)  # the network drops it
            assert _until(lambda: consumer.wire.connection > first and consumer.wait_connected(0))
            time.sleep(0.3)  # the subscription's acknowledgement
            _publish(publisher, mqtt_topics.detection("S1"), {"tag": "CARD-1", "at": at(1)})
            assert _until(lambda: consumer.stored == 2)
        assert _detections(tw) == 2
    finally:
        publisher.loop_stop()
        publisher.disconnect()
