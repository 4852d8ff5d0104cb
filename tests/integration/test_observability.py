"""Operations at the HTTP edge: liveness, readiness against the Alembic head, Prometheus metrics (requests by
route template, latency, the outbox and the task queues) and the request id in answers and log lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from pingan.api.app import create_app
from pingan.bootstrap import bootstrap
from pingan.core.db import Database
from pingan.core.logs import RequestIdFilter
from pingan.core.settings import Settings
from pingan.migrate import head_revisions, upgrade
from tests.integration.test_desk_api import World, build_world


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    built = build_world(db, tmp_path)
    yield built
    built.client.close()


def _samples(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def _label(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


def test_liveness_answers_without_the_database(tmp_path: Path) -> None:
    # A database the process cannot open: the process itself still answers.
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'p.db'}", media_dir=tmp_path)
    with TestClient(create_app(bootstrap(settings))) as client:
        assert client.get("/api/v1/health/live").json() == {"status": "ok"}
        ready = client.get("/api/v1/health/ready")
    assert ready.status_code == 503
    assert ready.json()["error"]["code"] == "database_unavailable"


def test_readiness_wants_the_schema_at_the_alembic_head(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(db, "0002")  # a database of an older version, not yet upgraded
    services = bootstrap(Settings(database_url=db.url, media_dir=tmp_path), db=db)
    with TestClient(create_app(services)) as client:
        outdated = client.get("/api/v1/health/ready")
        assert outdated.status_code == 503
        body = outdated.json()["error"]
        assert (body["code"], body["field"], body["revision"]) == ("schema_outdated", "schema", ["0002"])
        assert body["head"] == sorted(head_revisions())
        upgrade(db)
        ready = client.get("/api/v1/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["revision"] == sorted(head_revisions())
        assert client.get("/api/v1/health").status_code == 200  # the old probe stays
    services.close()


def test_requests_are_counted_by_route_template_and_status(world: World) -> None:
    client = world.client
    admin = world.staff("admin")
    for task_id in (999_001, 999_002, 999_003):  # three ids, one series
        assert client.get(f"/api/v1/tasks/{task_id}", headers=admin).status_code == 404
    assert client.get("/api/v1/me", headers=admin).status_code == 200
    assert client.get("/no/such/page").status_code == 404
    samples = _samples(client)
    requests = "pingan_http_requests_total"
    assert samples[(requests, _label(method="GET", route="/api/v1/tasks/{task_id}", status="404"))] == 3
    assert samples[(requests, _label(method="GET", route="/api/v1/me", status="200"))] == 1
    assert samples[(requests, _label(method="GET", route="unmatched", status="404"))] == 1
    assert not any("999001" in str(labels) for _name, labels in samples)
    latency = "pingan_http_request_duration_seconds_count"
    assert samples[(latency, _label(method="GET", route="/api/v1/tasks/{task_id}"))] == 3
    le = "pingan_http_request_duration_seconds_bucket"
    assert samples[(le, _label(method="GET", route="/api/v1/me", le="+Inf"))] == 1


def test_metrics_report_open_and_overdue_tasks_and_the_outbox_by_state(world: World) -> None:
    before = _samples(world.client)
    assert before[("pingan_database_up", _label())] == 1
    assert before[("pingan_tasks_open", _label(kind="desk_request"))] == 0
    assert before[("pingan_tasks_overdue", _label(kind="dissuasion"))] == 0
    resident = world.resident("13800009301")
    world.posted(resident, category="fraud", text="有人让我下载APP刷单返利")
    world.posted(resident, category="consultation", text="户口迁移需要哪些材料")
    now = _samples(world.client)
    assert now[("pingan_tasks_open", _label(kind="desk_request"))] == 2
    assert now[("pingan_tasks_overdue", _label(kind="desk_request"))] == 0
    # A fraud report from the desk waits in the outbox for the worker.
    pending = sum(
        v for (name, labels), v in now.items() if name == "pingan_outbox_messages" and ("state", "pending") in labels
    )
    assert pending >= 1
    world.clock.advance(timedelta(days=30))
    late = _samples(world.client)
    assert late[("pingan_tasks_overdue", _label(kind="desk_request"))] == 2


def test_a_given_request_id_is_echoed_and_a_bad_one_replaced(world: World) -> None:
    client = world.client
    given = client.get("/api/v1/health/live", headers={"X-Request-ID": "lb-7f3a.0001:x_y"})
    assert given.headers["x-request-id"] == "lb-7f3a.0001:x_y"
    made = client.get("/api/v1/health/live")
    assert len(made.headers["x-request-id"]) == 32
    for bad in ("a" * 65, "two words", 'quo"te', "back\\slash", "引号"):
        replaced = client.get("/api/v1/health/live", headers={"X-Request-ID": bad.encode()})
        assert replaced.headers["x-request-id"] != bad
        assert len(replaced.headers["x-request-id"]) == 32
    refused = client.get("/api/v1/tasks/0", headers={**world.staff("admin"), "X-Request-ID": "req-422"})
    assert refused.status_code == 422
    assert refused.headers["x-request-id"] == "req-422"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_log_lines_written_while_serving_a_request_carry_its_id(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'p.db'}", media_dir=tmp_path)
    lines = _Lines()
    logger = logging.getLogger("pingan.api.observability")
    logger.addHandler(lines)
    try:
        with TestClient(create_app(bootstrap(settings))) as client:
            client.get("/api/v1/health/ready", headers={"X-Request-ID": "trace-42"})  # logs the database's silence
            client.get("/api/v1/health/ready")
    finally:
        logger.removeHandler(lines)
    ids = [getattr(r, "request_id", None) for r in lines.records]
    assert ids[0] == "trace-42"
    assert len(ids) == 2
    assert ids[1] not in ("trace-42", "-")
