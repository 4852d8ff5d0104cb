"""Fixtures shared by the whole suite: the shared data folder and the databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Every capability's tables on Base.metadata before any test creates or empties a database: the core's
# `Database.create_all()` imports no capability itself.
from pingan import models  # noqa: F401

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# There is no placeholder signing key any more: the suite's `Settings()` (and the CLI and servers it starts)
# sign with this one. A test of a start without a key removes it (`monkeypatch.delenv`).
TEST_SECRET = "pingan-tests-signing-key-0123456789abcdef"
os.environ.setdefault("PINGAN_SECRET_KEY", TEST_SECRET)
# Tracking's MQTT topics under a prefix of this run's own: tests, a demo and another engineer's run on the
# one broker never read each other's detections. Servers and commands the suite starts inherit it. An xdist
# worker takes a prefix of its own even though it inherits the controller's environment: two workers'
# consumers on one prefix would store each other's messages.
if "PYTEST_XDIST_WORKER" in os.environ or "PINGAN_MQTT_TOPIC_PREFIX" not in os.environ:
    os.environ["PINGAN_MQTT_TOPIC_PREFIX"] = f"pingan-test-{uuid.uuid4().hex[:10]}"


def _missing(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, where everything must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real public data beside the project (`PINGAN_SHARED_DATA`)."""
    root = Path(__file__).resolve().parents[1]
    path = Path(os.environ.get("PINGAN_SHARED_DATA", root.parent / "shared" / "data"))
    if not (path / "geo").is_dir():
        _missing(f"shared data not found at {path}; set PINGAN_SHARED_DATA")
    return path


PG_ADMIN_URL = os.environ.get("PINGAN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The PostgreSQL server the suite may use; skipped (or failed under CI) when it does not answer."""
    import sqlalchemy as sa

    from pingan.core.db import make_engine

    engine = make_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        _missing(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}")
    finally:
        engine.dispose()
    return PG_ADMIN_URL


@pytest.fixture
def fresh_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A throwaway database on the PostgreSQL server, dropped after the test."""
    import uuid

    import sqlalchemy as sa

    from pingan.core.db import make_engine

    name = f"pingan_t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(postgres_admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


MQTT_URL = os.environ.get("PINGAN_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


@pytest.fixture(scope="session")
def mqtt_url() -> str:
    """The Mosquitto broker the suite may use; skipped (or failed under CI) when it does not answer."""
    from pingan.workers.mqtt import broker_answers

    if not broker_answers(MQTT_URL):
        _missing(f"MQTT broker not reachable at {MQTT_URL}")
    return MQTT_URL


@pytest.fixture(scope="session")
def mqtt_topics() -> Any:
    """This run's tracking topics (`PINGAN_MQTT_TOPIC_PREFIX`, set above)."""
    from pingan.core.settings import Settings
    from pingan.workers.mqtt import Topics

    return Topics(Settings().mqtt_topic_prefix)


NATS_URL = os.environ.get("PINGAN_TEST_NATS_URL", "nats://127.0.0.1:4222")


@pytest.fixture(scope="session")
def nats_url() -> str:
    """The NATS server (with JetStream) the suite may use; skipped (or failed under CI) when it does not answer."""
    from pingan.adapters.jetstream import JetStream, StreamSettings, StreamUnavailable

    try:
        JetStream(StreamSettings(url=NATS_URL, connect_timeout_seconds=2)).close()
    except StreamUnavailable as exc:
        _missing(f"NATS not reachable at {NATS_URL}: {exc}")
    return NATS_URL


@pytest.fixture
def nats_prefix() -> str:
    """A prefix of its own for a test's subjects and streams, so that runs sharing the server never meet."""
    import uuid

    return f"t{uuid.uuid4().hex[:10]}"
