"""A worker killed with SIGKILL in the middle of a delivery loses nothing, and after a restart the row is
delivered exactly once: a suspected-fraud desk request becomes exactly one fraud event and one warning.

The worker is a real process over a real database file (SQLite) or server (PostgreSQL), migrated by Alembic.
The first one is made to stop inside the delivery's transaction, after the fraud loop has written its event
and warning and before the commit, and is killed there; the second is `pingan worker` itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pingan.core.db import Database
from pingan.core.outbox import OutboxMessage, OutboxState
from pingan.desk.models import DeskMessage, DeskRequest
from pingan.desk.service import FRAUD_REPORT
from pingan.fraud.models import FraudEvent, FraudWarning
from pingan.migrate import upgrade
from tests.integration.test_desk_api import build_world

LEASE_SECONDS = 2
# The first worker: the real loop and handler, held inside the delivery's transaction once the fraud loop
# has written (the marker file says so), as if the machine stopped there.
HANGING_WORKER = """
import sys, time
from pathlib import Path
from pingan.bootstrap import bootstrap
from pingan.desk.service import DeskService
from pingan.workers.outbox import run_outbox

forward = DeskService.forward_fraud

def forward_then_hang(self, session, request_ids):
    done = forward(self, session, request_ids)
    Path(sys.argv[1]).write_text(str(done))
    time.sleep(600)
    return done

DeskService.forward_fraud = forward_then_hang
run_outbox(bootstrap())
"""


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PINGAN_DATABASE_URL": url,
        "PINGAN_MEDIA_DIR": str(tmp_path / "media"),
        "PINGAN_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "PINGAN_OUTBOX_POLL_SECONDS": "0.05",
        "PINGAN_DESK_DINGTALK_ENABLED": "false",
    }


def _wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if proc.poll() is not None:
            _out, err = proc.communicate()
            pytest.fail(f"the worker exited ({proc.returncode}) before {what}: {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _row(db: Database, request_id: int) -> OutboxMessage:
    with db.sessions() as session:
        row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"{FRAUD_REPORT}:{request_id}"))
        assert row is not None
        return row


def _count(db: Database, model: type[FraudEvent] | type[FraudWarning]) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crash.db'}"
    fresh: str = request.getfixturevalue("fresh_postgres_url")
    return fresh


def test_a_worker_killed_mid_delivery_leaves_the_row_and_the_restart_delivers_it_exactly_once(
    url: str, tmp_path: Path
) -> None:
    db = Database(url)
    upgrade(db)
    world = build_world(db, tmp_path)
    posted = world.posted(world.resident("13800009001"), category="fraud", text="有人自称公安让我把钱转到安全账户")
    request_id = int(posted["id"])
    world.client.close()
    world.services.desk.close()
    assert _row(db, request_id).state is OutboxState.PENDING
    env = _env(url, tmp_path)

    marker = tmp_path / "in-delivery"
    hanging = subprocess.Popen(
        [sys.executable, "-c", HANGING_WORKER, str(marker)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _wait_for(marker.exists, "the first worker was inside the delivery", hanging)
    assert marker.read_text() == "1"  # it had forwarded the request, in its open transaction
    hanging.send_signal(signal.SIGKILL)
    hanging.wait(30)

    row = _row(db, request_id)
    assert (row.state, row.attempts, row.delivered_at) == (OutboxState.PENDING, 1, None)
    assert row.claimed_by is not None
    assert (_count(db, FraudEvent), _count(db, FraudWarning)) == (0, 0)  # rolled back with the process
    with db.sessions() as session:
        request = session.get(DeskRequest, request_id)
        assert request is not None
        assert request.fraud_forwarded_at is None

    restarted = subprocess.Popen(
        [sys.executable, "-m", "pingan.cli", "worker", "--no-sweeper"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for(lambda: _row(db, request_id).state is OutboxState.DELIVERED, "the restarted worker delivered", restarted)
    restarted.send_signal(signal.SIGTERM)
    _out, err = restarted.communicate(timeout=30)
    assert restarted.returncode == 0, err.decode()[-2000:]

    row = _row(db, request_id)
    assert (row.state, row.attempts) == (OutboxState.DELIVERED, 2)
    assert row.last_error is not None
    assert "stopped during attempt 1" in row.last_error
    with db.sessions() as session:
        events = session.scalars(select(FraudEvent).where(FraudEvent.source == "desk")).all()
        warnings = session.scalars(select(FraudWarning)).all()
        request = session.get(DeskRequest, request_id)
        notes = session.scalars(
            select(DeskMessage.body).where(DeskMessage.request_id == request_id, DeskMessage.internal)
        ).all()
    assert [(e.source_id, e.kind) for e in events] == [(f"desk-{request_id}", "report")]
    [warning] = warnings
    assert events[0].warning_id == warning.id
    assert request is not None
    assert request.fraud_forwarded_at is not None
    assert request.fraud_warning_id == warning.id
    [note] = notes
    assert note.startswith(f"已转反诈中心（预警#{warning.id}）")
    db.dispose()
