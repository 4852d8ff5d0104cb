"""Several machines: detections published to JetStream by every intake (HTTP, a file, MQTT) and stored by
`pingan worker --streams detections` through tracking's own intake, on the real NATS server, PostgreSQL and
Mosquitto of this machine.

Workers in a queue group, one killed with SIGKILL, store every detection once; a replay of the whole stream
stores nothing new; a stolen card's detections still raise its alert with a task; the MQTT consumer
acknowledges a message to the broker only once the stream has stored it.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion

from pingan.adapters.jetstream import JetStream, StreamSettings, StreamUnavailable
from pingan.bootstrap import Services
from pingan.core.db import Database, make_engine
from pingan.core.streams import Message, StreamName, dead_letters
from pingan.tracking.schemas import DetectionIn
from pingan.tracking.service import detection_msg_id
from pingan.workers.mqtt import MqttConsumer, Topics
from pingan.workers.streams import durable_name
from tests.integration.stream_workers import drained, jetstream, kill_one_midway, pingan, run_in_thread, stop, workers
from tests.integration.tracking_world import OWNER, TrackingWorld, at, build_tracking_world

pytestmark = pytest.mark.postgres

BULK_TAGS = 200
PER_TAG = 20
WAIT_S = 20.0
WINDOW_S = 1800


@pytest.fixture(name="tw")
def tracking_world(fresh_postgres_url: str, nats_url: str, nats_prefix: str, tmp_path: Path) -> Iterator[TrackingWorld]:
    db = Database(fresh_postgres_url)
    db.create_all()
    world = build_tracking_world(
        db,
        tmp_path,
        nats_url=nats_url,
        nats_prefix=nats_prefix,
        nats_ack_wait_seconds=3,
        # The file is sent again after the workers have drained it: within the window, on a loaded machine too.
        nats_duplicate_window_seconds=WINDOW_S,
        county="330225",
    )
    try:
        yield world
    finally:
        world.client.close()
        world.w.services.close()


def _services(tw: TrackingWorld) -> Services:
    services: Services = tw.w.services
    assert services.streams is not None
    return services


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM tracking_detections),"
                    " (SELECT count(DISTINCT (tag_id, at)) FROM tracking_detections),"
                    " (SELECT count(*) FROM tracking_alerts),"
                    " (SELECT count(*) FROM tasks WHERE ref_type = 'tracking_alert'),"
                    " (SELECT count(*) FROM stream_dead_letters)"
                )
            ).one()
    finally:
        engine.dispose()
    return dict(zip(("detections", "distinct", "alerts", "alert_tasks", "dead"), (int(v) for v in row), strict=True))


def _stream_messages(services: Services) -> int:
    js = jetstream(services)
    try:
        state = js.stream_state(StreamName.DETECTIONS)
    finally:
        js.close()
    return 0 if state is None else state["messages"]


def test_the_message_id_is_the_stations_id_or_a_stable_hash_of_tag_station_and_instant() -> None:
    with_id = DetectionIn.model_validate({"tag": "T", "at": "2026-11-23T10:00:00+08:00", "station": "S1", "id": "9"})
    assert detection_msg_id(with_id) == "S1:9"
    one = DetectionIn.model_validate({"tag": "T", "at": "2026-11-23T10:00:00+08:00", "station": "S1"})
    same_instant = DetectionIn.model_validate({"tag": "T", "at": "2026-11-23T02:00:00Z", "station": "S1"})
    other_station = DetectionIn.model_validate({"tag": "T", "at": "2026-11-23T02:00:00Z", "station": "S2"})
    later = DetectionIn.model_validate({"tag": "T", "at": "2026-11-23T02:00:00.001Z", "station": "S1"})
    assert detection_msg_id(one) == detection_msg_id(same_instant)
    assert len({detection_msg_id(d) for d in (one, other_station, later)}) == 3


def test_an_http_batch_is_published_not_stored_its_bad_items_named_and_a_worker_stores_it(tw: TrackingWorld) -> None:
    services = _services(tw)
    url = services.settings.database_url
    batch = [
        {"tag": "CARD-1", "at": at(0), "station": "S1", "rssi": -70, "id": "h-1"},
        {"tag": "CARD-1", "at": at(0.02), "station": "S2", "rssi": -60},  # the same sighting, heard twice
        {"tag": "CARD-2", "at": "yesterday", "station": "S3"},
        {"tag": "CARD-2", "at": at(1)},  # no station
        {"tag": "NOBODY", "at": at(2), "station": "S3"},  # not registered: the worker's to refuse
        {"tag": "CARD-2", "at": at(3), "station": "S3"},
    ]
    response = tw.post("feed", "/detections", batch)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["queued"], body["accepted"], body["duplicates"]) == (True, 4, 0)
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(2, "at"), (3, "station")]
    assert _counts(url)["detections"] == 0, "the API stores nothing itself"
    assert _stream_messages(services) == 4

    again = tw.post("feed", "/detections", batch)
    assert (again.status_code, again.json()["accepted"], again.json()["duplicates"]) == (202, 0, 4)
    assert _stream_messages(services) == 4, "the stream recognised the replay (ids and hashes alike)"

    run_in_thread(
        services, StreamName.DETECTIONS, lambda: _counts(url)["detections"] == 2 and _counts(url)["dead"] == 1
    )
    with Database(url).session() as session:
        [letter] = dead_letters(session)["items"]
    assert letter["error"] == "tag: 未登记的标签"
    assert letter["subject"] == f"{services.settings.nats_prefix}.detections.330225"
    with Database(url).session() as session:
        merged = session.execute(sa.text("SELECT stations FROM tracking_detections WHERE rssi = -60")).scalar_one()
    assert sorted(orjson.loads(merged) if isinstance(merged, str) else merged) == ["S1", "S2"]


def _bulk_tags(tw: TrackingWorld) -> None:
    rows = [
        {
            "tag": f"BULK-{i}",
            "kind": "vehicle_card",
            "owner_phone": OWNER,
            "owner_name": "秦某江",
            "installed_at": "2026-10-01",
            "plate": f"浙B{i:05d}",
        }
        for i in range(BULK_TAGS)
    ]
    response = tw.post("admin", "/tags", rows)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == BULK_TAGS, response.json()["rejected"][:2]


def _file(tmp_path: Path) -> tuple[Path, int]:
    lines = []
    stations = ("S1", "S3", "S4")
    for minute in range(PER_TAG):
        for i in range(BULK_TAGS):
            lines.append({"tag": f"BULK-{i}", "at": at(minute * 10), "station": stations[(i + minute) % 3]})
        # The stolen card is heard every ten minutes, far from home.
        lines.append({"tag": "CARD-1", "at": at(minute * 10 + 1), "station": "S3", "id": f"c1-{minute}"})
    lines.append({"tag": "BULK-0", "at": "not a time", "station": "S1"})
    path = tmp_path / "detections.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path, len(lines) - 1


def _env(services: Services) -> dict[str, str]:
    return {
        **os.environ,
        "PINGAN_DATABASE_URL": services.settings.database_url,
        "PINGAN_NATS_URL": services.settings.nats_url or "",
        "PINGAN_NATS_PREFIX": services.settings.nats_prefix,
        "PINGAN_NATS_ACK_WAIT_SECONDS": "3",
        "PINGAN_NATS_DUPLICATE_WINDOW_SECONDS": str(WINDOW_S),
        "PINGAN_COUNTY": "330225",
        "PINGAN_LOG_LEVEL": "warning",
    }


def _drained(services: Services, durable: str, expected: int) -> dict[str, int]:
    url = services.settings.database_url
    return drained(
        services, StreamName.DETECTIONS, durable, lambda: _counts(url), lambda c: c["detections"] >= expected
    )


def test_a_detection_older_than_the_retention_is_refused_at_the_edge_and_never_published(tw: TrackingWorld) -> None:
    services = _services(tw)
    assert services.tracking.rules.retention_days > 0
    batch = [
        {"tag": "CARD-1", "at": "2020-01-01T08:00:00+08:00", "station": "S1", "id": "old-1"},
        {"tag": "CARD-1", "at": at(5), "station": "S1", "id": "new-1"},
    ]
    response = tw.post("feed", "/detections", batch)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 1
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(0, "at")]
    assert "保留期限" in body["rejected"][0]["message"]
    assert _stream_messages(services) == 1


def test_a_file_through_three_workers_one_killed_stores_every_detection_once_and_the_theft_alert_fires(
    tw: TrackingWorld, tmp_path: Path
) -> None:
    services = _services(tw)
    url = services.settings.database_url
    _bulk_tags(tw)
    theft = tw.post("officer_a1", "/thefts", {"tag": "CARD-1", "stolen_at": at(-30)})
    assert theft.status_code == 201, theft.text
    path, total = _file(tmp_path)
    env = _env(services)

    ingest = pingan(env, "detections", "ingest", str(path), "--batch", "1000")
    out, err = ingest.communicate(timeout=180)
    assert ingest.returncode == 0, err
    said = " ".join((out + err).decode().split())
    assert f"{total} published to the detections stream, 0 duplicates, 1 rejected" in said, said
    assert _counts(url)["detections"] == 0

    with workers(env, StreamName.DETECTIONS, 3) as running:
        kill_one_midway(running, lambda: _counts(url)["detections"], total)
        counts = _drained(services, durable_name(StreamName.DETECTIONS), total)
        assert counts["detections"] == counts["distinct"] == total
        assert counts["dead"] == 0
        assert counts["alerts"] == 1, "the stolen card raised one alert for its episode"
        assert counts["alert_tasks"] == 1
        stop(running[1:])

    # The same file again: the stream recognises every line (ids and hashes), nothing is published twice.
    again = pingan(env, "detections", "ingest", str(path), "--batch", "1000")
    out, err = again.communicate(timeout=180)
    said = " ".join((out + err).decode().split())
    assert f"0 published to the detections stream, {total} duplicates, 1 rejected" in said, said

    # A replay of the whole stream (a new consumer reads it from the start) stores nothing new.
    with workers(env, StreamName.DETECTIONS, 1, "--consumer", "pingan-replay") as replay:
        assert _drained(services, "pingan-replay", total) == counts
        stop(replay)


# -- MQTT ------------------------------------------------------------------------------------------------------


def _publisher(url: str) -> mqtt.Client:
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    host, port = url.removeprefix("mqtt://").split(":")
    client.connect(host, int(port))
    client.loop_start()
    return client


def _until(check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


class _Running:
    def __init__(self, services: Services, url: str, client_id: str) -> None:
        self.consumer = MqttConsumer(services, url, client_id=client_id)
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


class _Away:
    """A NATS that does not answer."""

    def __init__(self) -> None:
        self.tries = 0

    def publish(self, stream: StreamName, subject_tail: str, messages: Any) -> Any:
        self.tries += 1
        raise StreamUnavailable("NATS at nats://nowhere did not answer")


def test_mqtt_detections_go_to_the_stream_and_are_acknowledged_only_once_it_stored_them(
    tw: TrackingWorld, mqtt_url: str, mqtt_topics: Topics, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _services(tw)
    url = services.settings.database_url
    client_id = f"pingan-test-{uuid.uuid4().hex[:8]}"
    publisher = _publisher(mqtt_url)

    def send(topic: str, body: object) -> None:
        publisher.publish(topic, orjson.dumps(body), qos=1).wait_for_publish(timeout=WAIT_S)

    try:
        real = services.streams
        away = _Away()
        monkeypatch.setattr(services, "streams", away)
        with _Running(services, mqtt_url, client_id):
            send(mqtt_topics.detection("S1"), {"tag": "CARD-1", "at": at(5), "id": "m-5"})
            assert _until(lambda: away.tries > 0)
        assert _stream_messages(services) == 0
        monkeypatch.setattr(services, "streams", real)

        # The broker kept the unacknowledged message for the session; with the stream back it is published.
        with _Running(services, mqtt_url, client_id) as consumer:
            send(mqtt_topics.detection("S1"), [{"tag": "CARD-1", "at": at(6)}, {"tag": "CARD-1", "at": at(6)}])
            send(mqtt_topics.detection("S2"), {"tag": "CARD-2", "at": at(7), "station": "S3"})  # names another
            send(mqtt_topics.status("S4"), {"battery": 66})
            assert _until(lambda: _stream_messages(services) == 2 and consumer.stored >= 4)

            def beat() -> bool:
                with services.db.session() as session:
                    status = session.execute(
                        sa.text("SELECT last_status FROM tracking_stations WHERE code = 'S4'")
                    ).scalar_one()
                return status is not None and "66" in str(status)

            assert _until(beat), "heartbeats are still written by the consumer"
        assert _counts(url)["detections"] == 0, "the consumer stores no detection itself"
    finally:
        publisher.loop_stop()
        publisher.disconnect()

    run_in_thread(services, StreamName.DETECTIONS, lambda: _counts(url)["detections"] == 2)
    assert services.streams is not None
    # Published again by hand with the ids the consumer gave them: the stream knows them already.
    items = [
        {"tag": "CARD-1", "at": at(5), "id": "m-5", "station": "S1"},
        {"tag": "CARD-1", "at": at(6), "station": "S1"},
    ]
    messages = [Message(detection_msg_id(DetectionIn.model_validate(i)), orjson.dumps(i)) for i in items]
    done = services.streams.publish(StreamName.DETECTIONS, "330225", messages)
    assert (done.published, done.duplicates) == (0, 2)


def test_the_streams_are_the_leads_and_the_detections_and_the_outbox_stays_a_table(
    nats_url: str, nats_prefix: str
) -> None:
    js = JetStream(StreamSettings(url=nats_url, prefix=nats_prefix))
    try:
        names = js.ensure_streams()
        assert js.stream_state(StreamName.DETECTIONS) == {"messages": 0, "bytes": 0}
    finally:
        js.close()
    prefix = nats_prefix.upper()
    assert names == [f"{prefix}_LEADS", f"{prefix}_DETECTIONS"]
    assert [s.value for s in StreamName] == ["leads", "detections"]
