"""A crash in the middle of `pingan ingest` loses nothing that was acknowledged, and a rerun completes it."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import orjson

from tests.integration.stream_workers import pingan

BATCH = 500
TOTAL = 20_000


def _count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM fraud_events").fetchone()[0])


def test_killed_ingest_keeps_whole_batches_and_a_rerun_stores_the_rest_once(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    env = {**os.environ, "PINGAN_DATABASE_URL": f"sqlite:///{db}"}
    init = pingan(env, "init")
    assert init.wait(60) == 0, init.stderr.read() if init.stderr else b""
    leads = tmp_path / "leads.jsonl"
    with leads.open("wb") as fh:
        for i in range(TOTAL):
            event = {
                "id": f"t{i}",
                "source": "telecom",
                "kind": "call",
                "at": "2026-11-23T10:00:00+08:00",
                "subject_phone": f"139{i:08d}",
                "counterpart": f"170{i:08d}",
                "duration_s": 30,
            }
            fh.write(orjson.dumps(event) + b"\n")

    proc = pingan(env, "ingest", str(leads), "--batch", str(BATCH))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not db.exists() or _count(db) < 5 * BATCH):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)

    stored = _count(db)
    assert 0 < stored < TOTAL, "the kill must land in the middle of the file"
    assert stored % BATCH == 0, "a batch is stored whole or not at all"

    rerun = pingan(env, "ingest", str(leads), "--batch", str(BATCH))
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    assert _count(db) == TOTAL
    summary = err.decode()
    assert f"{TOTAL - stored} accepted" in summary
    assert f"{stored} duplicates" in summary
