"""Rows written before free-text masking: the migration 0012_remask masks the ID numbers, phones and bank
cards held verbatim in task titles and notifications, leaves everything else as it was, and running the
pass again (`pingan maintenance remask`) changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from pingan.cli.main import app
from pingan.core.db import Database
from pingan.core.remask import remask_free_text
from pingan.migrate import upgrade

NOW = datetime(2026, 11, 20, 2, 0)  # naive UTC, as the old schema stored it
ID_NUMBER = "330225199001011234"
PHONE = "13905741234"
CARD = "6222020200112233446"  # passes the Luhn check
OLD_TITLE = f"【咨询】我的身份证{ID_NUMBER}丢了，电话{PHONE}"
OLD_BODY = f"群众追问：银行卡{CARD}被冻结了怎么办"
PLAIN = "【噪音】广场舞音响太吵，晚上10点以后还在放"


@pytest.fixture(name="db", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database at the revision before the pass, holding rows written verbatim."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    database = Database(url)
    upgrade(database, "0011_tracking")
    with database.engine.begin() as conn:
        meta = sa.MetaData()
        tasks, notes = (sa.Table(n, meta, autoload_with=conn) for n in ("tasks", "notifications"))
        common = {
            "created_at": NOW,
            "updated_at": NOW,
            "status": "issued",
            "facts": {},
            "escalation": 0,
            "breaches": 0,
            "version": 1,
        }
        conn.execute(
            tasks.insert(),
            [
                {
                    "id": 1,
                    "kind": "desk_request",
                    "title": OLD_TITLE,
                    "ref_type": "desk_request",
                    "ref_id": 1,
                    **common,
                },
                {"id": 2, "kind": "desk_request", "title": PLAIN, "ref_type": "desk_request", "ref_id": 2, **common},
            ],
        )
        conn.execute(
            notes.insert(),
            [
                {"id": 1, "at": NOW, "task_id": 1, "title": OLD_TITLE, "body": OLD_BODY},
                {"id": 2, "at": NOW, "task_id": 2, "title": PLAIN, "body": ""},
            ],
        )
    yield database
    database.dispose()


def _texts(db: Database) -> dict[str, list[str]]:
    with db.engine.connect() as conn:
        return {
            "tasks": list(conn.execute(sa.text("SELECT title FROM tasks ORDER BY id")).scalars()),
            "notes": [
                f"{t}|{b}" for t, b in conn.execute(sa.text("SELECT title, body FROM notifications ORDER BY id"))
            ],
        }


def test_the_migration_masks_old_rows_and_leaves_the_rest(db: Database) -> None:
    assert ID_NUMBER in _texts(db)["tasks"][0]  # the test's premise: the old row holds it verbatim
    upgrade(db)
    texts = _texts(db)
    flat = " ".join(texts["tasks"] + texts["notes"])
    for secret in (ID_NUMBER, PHONE, CARD):
        assert secret not in flat
    assert texts["tasks"][0].startswith("【咨询】我的身份证330225")  # masked as everywhere: the region kept
    assert "139****1234" in texts["tasks"][0]
    assert texts["tasks"][1] == PLAIN
    assert texts["notes"][1] == f"{PLAIN}|"


def test_the_pass_runs_again_without_changing_anything(db: Database, tmp_path: Path) -> None:
    upgrade(db)
    once = _texts(db)
    with db.engine.begin() as conn:
        again = remask_free_text(conn, batch=1)  # one row a batch: the paging itself is walked
    assert again.scanned == {"tasks": 2, "notifications": 2}
    assert again.masked == {"tasks": 0, "notifications": 0}
    assert _texts(db) == once


def test_the_command_masks_rows_written_after_the_migration_too(db: Database) -> None:
    """A row that reached the database verbatim by some other way (an import, a restore of an old backup)."""
    upgrade(db)
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE notifications SET body = :b WHERE id = 2"), {"b": f"回电{PHONE}"})
    result = CliRunner().invoke(app, ["--database-url", db.url, "maintenance", "remask"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["masked"] == {"tasks": 0, "notifications": 1}
    assert PHONE not in _texts(db)["notes"][1]
