"""`pingan outbox status` lists what waits and what died (and why); `pingan outbox retry` revives the dead."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pingan.cli import main as cli
from pingan.core.clock import SystemClock
from pingan.core.db import Database
from pingan.core.outbox import Message, Outbox, OutboxPolicy


def _refuse(message: Message) -> None:
    raise ConnectionError("robot unreachable")


def test_status_counts_rows_and_shows_the_dead_with_their_error_and_retry_revives_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'cli.db'}")
    db.create_all()
    outbox = Outbox(db, SystemClock(), OutboxPolicy(max_attempts=1, backoff=timedelta(seconds=1)))
    outbox.register_external("desk.dingtalk", _refuse)
    with db.session() as session:
        dead = outbox.put(session, "desk.dingtalk", {"notification_id": 7})
        outbox.put(session, "desk.fraud_report", {"request_id": 3}, key="desk.fraud_report:3")
    assert outbox.run_until_idle() == 1
    db.dispose()
    monkeypatch.setattr(cli, "_state", {})
    runner = CliRunner()
    url = ["--database-url", db.url]

    status = runner.invoke(cli.app, [*url, "outbox", "status"])
    assert status.exit_code == 0, status.output
    document = json.loads(status.stdout)
    assert document["counts"] == [
        {"kind": "desk.dingtalk", "state": "dead", "count": 1},
        {"kind": "desk.fraud_report", "state": "pending", "count": 1},
    ]
    [row] = document["dead"]
    assert (row["id"], row["kind"], row["payload"], row["attempts"]) == (
        dead,
        "desk.dingtalk",
        {"notification_id": 7},
        1,
    )
    assert row["last_error"] == "ConnectionError: robot unreachable"

    retried = runner.invoke(cli.app, [*url, "outbox", "retry", str(dead)])
    assert retried.exit_code == 0, retried.output
    again = json.loads(runner.invoke(cli.app, [*url, "outbox", "status"]).stdout)
    assert {"kind": "desk.dingtalk", "state": "pending", "count": 1} in again["counts"]
    assert again["dead"] == []
    cli.services().close()
