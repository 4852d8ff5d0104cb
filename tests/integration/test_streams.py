"""Several machines: leads published to JetStream and stored by workers in a queue group, on the real NATS
server and PostgreSQL of this machine.

The worker commits, then acks: a worker killed with SIGKILL in the middle loses nothing and stores nothing
twice; a replay of the whole stream stores nothing new; bad messages are set aside with their error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.db import Database, make_engine
from pingan.core.identity import create_user
from pingan.core.models import Role
from pingan.core.settings import Settings
from pingan.core.streams import DeadLetter, Message, StreamName, dead_letters
from pingan.workers.streams import durable_name
from tests.integration.stream_workers import drained, kill_one_midway, pingan, run_in_thread, stop, workers

pytestmark = pytest.mark.postgres

PLAIN = 4_000
REPORTS = 400
COUNTY = "330225"
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _event(i: int, *, report: bool) -> dict[str, Any]:
    if report:
        return {
            "id": f"r{i}",
            "source": "citizen",
            "kind": "report",
            "at": "2026-11-23T10:00:00+08:00",
            "subject_phone": f"1390574{i:04d}",
            "text": "对方自称客服，让我下载软件退款",
        }
    return {
        "id": f"c{i}",
        "source": "telecom",
        "kind": "call",
        "at": "2026-11-23T10:00:00+08:00",
        "subject_phone": f"139{i:08d}",
        "counterpart": f"170{i:08d}",
        "duration_s": 30,
    }


def _events() -> list[dict[str, Any]]:
    events = [_event(i, report=False) for i in range(PLAIN)] + [_event(i, report=True) for i in range(REPORTS)]
    # Reports spread through the stream, so that every worker opens warnings.
    events.sort(key=lambda e: hash(e["id"]) % 97)
    return events


def _env(url: str, nats_url: str, prefix: str) -> dict[str, str]:
    return {
        **os.environ,
        "PINGAN_DATABASE_URL": url,
        "PINGAN_NATS_URL": nats_url,
        "PINGAN_NATS_PREFIX": prefix,
        # A killed worker's messages come back quickly.
        "PINGAN_NATS_ACK_WAIT_SECONDS": "3",
        "PINGAN_LOG_LEVEL": "warning",
    }


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            one = conn.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM fraud_events),"
                    " (SELECT count(DISTINCT source || ':' || source_id) FROM fraud_events),"
                    " (SELECT count(*) FROM fraud_warnings),"
                    " (SELECT count(*) FROM tasks WHERE ref_type = 'fraud_warning'),"
                    " (SELECT count(*) FROM fraud_warnings w WHERE NOT EXISTS"
                    "   (SELECT 1 FROM tasks t WHERE t.ref_type = 'fraud_warning' AND t.ref_id = w.id)),"
                    " (SELECT count(*) FROM stream_dead_letters)"
                )
            ).one()
    finally:
        engine.dispose()
    keys = ("events", "distinct", "warnings", "tasks", "warnings_without_task", "dead")
    return dict(zip(keys, (int(v) for v in one), strict=True))


@pytest.fixture
def world(fresh_postgres_url: str, nats_url: str, nats_prefix: str) -> Iterator[tuple[Services, dict[str, str]]]:
    env = _env(fresh_postgres_url, nats_url, nats_prefix)
    init = pingan(env, "init")
    assert init.wait(120) == 0, init.stderr.read() if init.stderr else b""
    services = bootstrap(
        Settings(database_url=fresh_postgres_url, nats_url=nats_url, nats_prefix=nats_prefix, nats_ack_wait_seconds=3)
    )
    try:
        yield services, env
    finally:
        services.close()


def _drained(services: Services, durable: str, expected: int) -> dict[str, int]:
    url = services.settings.database_url
    return drained(services, StreamName.LEADS, durable, lambda: _counts(url), lambda c: c["events"] >= expected)


def test_three_workers_one_killed_store_every_event_once_and_every_warning_gets_its_task(
    world: tuple[Services, dict[str, str]],
) -> None:
    services, env = world
    assert services.streams is not None
    events = _events()
    result = services.intake.publish(events, services.streams, COUNTY)
    assert (result.accepted, result.duplicates, result.rejected) == (len(events), 0, [])

    url = services.settings.database_url
    with workers(env, StreamName.LEADS, 3) as running:
        kill_one_midway(running, lambda: _counts(url)["events"], len(events))
        counts = _drained(services, durable_name(StreamName.LEADS), len(events))
        assert counts == {
            "events": len(events),
            "distinct": len(events),
            "warnings": REPORTS,
            "tasks": REPORTS,
            "warnings_without_task": 0,
            "dead": 0,
        }
        stop(running[1:])

    # The edge: the same batch again within the duplicate window is recognised by the stream itself.
    again = services.intake.publish(events[:500], services.streams, COUNTY)
    assert (again.accepted, again.duplicates) == (0, 500)

    # A replay of the whole stream (a new consumer reads it from the start) stores nothing new.
    with workers(env, StreamName.LEADS, 1, "--consumer", "pingan-replay") as replay:
        assert _drained(services, "pingan-replay", len(events)) == counts
        stop(replay)


def test_invalid_messages_are_set_aside_with_their_error_and_the_rest_of_the_batch_is_stored(
    world: tuple[Services, dict[str, str]],
) -> None:
    services = world[0]
    assert services.streams is not None
    good = [_event(i, report=False) for i in range(20)]
    bad_field = {**_event(99, report=False), "subject_phone": "not a phone"}
    messages = [Message(f"telecom:{e['id']}", orjson.dumps(e)) for e in good]
    messages[5:5] = [
        Message("junk-1", b"{not json"),
        Message("junk-2", b"[1, 2]"),
        Message("telecom:c99", orjson.dumps(bad_field)),
    ]
    services.streams.publish(StreamName.LEADS, COUNTY, messages)
    url = services.settings.database_url

    metrics = run_in_thread(
        services,
        StreamName.LEADS,
        lambda: _counts(url)["dead"] == 3 and _counts(url)["events"] == 20,
        max_deliver=2,
    )
    with Database(url).session() as session:
        page = dead_letters(session, limit=10)
    assert page["total"] == 3
    by_id = {item["msg_id"]: item for item in page["items"]}
    assert "not JSON" in by_id["junk-1"]["error"]
    assert "one JSON object" in by_id["junk-2"]["error"]
    assert by_id["telecom:c99"]["error"].startswith("subject_phone")
    assert by_id["telecom:c99"]["subject"] == f"{services.settings.nats_prefix}.leads.{COUNTY}"
    assert metrics.messages.labels("leads", "dead")._value.get() == 3
    assert metrics.messages.labels("leads", "ack")._value.get() == 20


def test_a_message_that_keeps_failing_is_retried_then_set_aside_without_holding_up_the_others(
    world: tuple[Services, dict[str, str]],
) -> None:
    services = world[0]
    assert services.streams is not None
    events = [_event(i, report=False) for i in range(10)]
    services.streams.publish(StreamName.LEADS, COUNTY, [Message(f"telecom:{e['id']}", orjson.dumps(e)) for e in events])
    url = services.settings.database_url
    tries: dict[str, int] = {}

    def flaky(session: Session, items: Sequence[Any]) -> list[str | None]:
        for item in items:
            if item["id"] == "c3":
                tries["c3"] = tries.get("c3", 0) + 1
                raise RuntimeError("the database said no to c3")
        result = services.intake.ingest_in(session, list(items))
        return [None] * len(items) if not result.rejected else ["refused"] * len(items)

    run_in_thread(services, StreamName.LEADS, lambda: _counts(url)["dead"] == 1, store=flaky, max_deliver=2)
    counts = _counts(url)
    assert counts["events"] == 9, "the nine good events are stored despite their neighbour"
    assert tries["c3"] >= 2, "the failing message was delivered again before it was set aside"
    with Database(url).session() as session:
        letter = session.scalars(sa.select(DeadLetter)).one()
    assert letter.msg_id == "telecom:c3"
    assert letter.deliveries == 2
    assert "the database said no to c3" in letter.error


def _analyst_client(services: Services) -> tuple[TestClient, dict[str, str]]:
    with services.db.session() as session:
        user = create_user(session, "analyst1", None, role=Role.ANALYST, display_name="陈研判", unit_id=None, now=T0)
        user.password_hash = PasswordHasher().hash("pw-analyst-1")
    client = TestClient(create_app(services), raise_server_exceptions=False)
    token = client.post("/api/v1/auth/token", data={"username": "analyst1", "password": "pw-analyst-1"})
    assert token.status_code == 200, token.text
    return client, {"Authorization": f"Bearer {token.json()['access_token']}"}


def test_the_http_intake_publishes_what_is_valid_and_names_what_is_not_then_a_worker_stores_it(
    world: tuple[Services, dict[str, str]],
) -> None:
    services = world[0]
    client, auth = _analyst_client(services)
    batch = [_event(1, report=True), {**_event(2, report=False), "at": "yesterday"}, _event(3, report=False)]
    response = client.post("/api/v1/fraud/events", json=batch, headers=auth)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["queued"], body["accepted"], body["duplicates"]) == (True, 2, 0)
    assert [(r["index"], r["error"]["field"]) for r in body["rejected"]] == [(1, "at")]
    assert _counts(services.settings.database_url)["events"] == 0, "the API stores nothing itself"

    again = client.post("/api/v1/fraud/events", json=batch, headers=auth)
    assert (again.status_code, again.json()["accepted"], again.json()["duplicates"]) == (202, 0, 2)

    url = services.settings.database_url
    run_in_thread(services, StreamName.LEADS, lambda: _counts(url)["events"] == 2, max_deliver=2)
    assert _counts(url) | {"dead": 0} == {
        "events": 2,
        "distinct": 2,
        "warnings": 1,
        "tasks": 1,
        "warnings_without_task": 0,
        "dead": 0,
    }


def test_the_http_intake_answers_503_naming_the_stream_when_nats_does_not_answer(
    fresh_postgres_url: str, nats_prefix: str
) -> None:
    services = bootstrap(
        Settings(database_url=fresh_postgres_url, nats_url="nats://127.0.0.1:1", nats_prefix=nats_prefix)
    )
    try:
        services.db.create_all()
        client, auth = _analyst_client(services)
        response = client.post("/api/v1/fraud/events", json=[_event(1, report=True)], headers=auth)
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "stream_unavailable"
        assert "nats://127.0.0.1:1" in response.json()["error"]["message"]
    finally:
        services.close()


def test_the_scale_bench_stores_every_event_through_the_stream_and_reports_each_worker_count(
    postgres_admin_url: str, nats_url: str
) -> None:
    from pingan.bench.scale import run_scale

    figures = run_scale(
        workers=[1],
        events=400,
        leads_every=10,
        postgres_url=postgres_admin_url,
        nats_url=nats_url,
        batch=100,
        say=lambda _: None,
    )
    assert [run["workers"] for run in figures["runs"]] == [1]
    for run in figures["runs"]:
        assert run["events"] == 400
        assert run["leads"] == 41, "every report opened a warning with its task (one more from the warm-up)"
        assert 0 < run["event_to_task_p50_ms"] <= run["event_to_task_p99_ms"]
        assert run["events_per_s"] > 0
