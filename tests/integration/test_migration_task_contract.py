"""A database made before the task contract (revision 0001) upgrades in place and loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from pingan import models  # noqa: F401 - registers every table
from pingan.bootstrap import load_rules
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.identity import Actor
from pingan.core.models import Role, Task
from pingan.core.notify import Notifier
from pingan.core.scope import Scope
from pingan.core.tasks import TaskService
from pingan.desk.rules.county import DeskRules
from pingan.desk.workflow import DeskWorkflow
from pingan.fraud.rules import DissuasionRules
from pingan.fraud.workflow import DissuasionWorkflow
from pingan.migrate import alembic_config, upgrade

NOW = datetime(2026, 11, 20, 2, 0)  # naive UTC, as the old schema stored it


def _old_rows(db: Database) -> None:
    """What today's main wrote: a dissuasion task with its counters as columns, and a desk request's task."""
    with db.engine.begin() as conn:
        meta = sa.MetaData()
        t = {
            name: sa.Table(name, meta, autoload_with=conn)
            for name in ("areas", "units", "users", "tasks", "desk_requests")
        }
        conn.execute(
            t["areas"].insert(),
            {"id": 1, "code": "A", "name": "甲镇", "kind": "station", "generation": 1, "active": True},
        )
        conn.execute(
            t["units"].insert(), {"id": 1, "code": "station-A", "name": "甲镇派出所", "kind": "station", "area_id": 1}
        )
        conn.execute(
            t["users"].insert(),
            {
                "id": 7,
                "username": "resident:13800000001",
                "display_name": "群众",
                "role": "resident",
                "active": True,
                "created_at": NOW,
            },
        )
        common = {
            "area_id": 1,
            "unit_id": 1,
            "created_at": NOW,
            "updated_at": NOW,
            "escalation": 0,
            "breaches": 0,
            "version": 1,
        }
        conn.execute(
            t["tasks"].insert(),
            [
                {**common, "id": 1, "kind": "dissuasion", "status": "visiting", "level": "high", "title": "预警",
                 "ref_type": "fraud_warning", "ref_id": 5, "due_step": "meet", "calls": 3, "unanswered": 2, "visits": 1},
                {**common, "id": 2, "kind": "desk_request", "status": "issued", "level": None, "title": "诉求", "ref_type": "desk_request",
                 "ref_id": 9, "due_step": "reply", "calls": 0, "unanswered": 0, "visits": 0},
            ],
        )  # fmt: skip
        conn.execute(
            t["desk_requests"].insert(),
            {"id": 9, "resident_id": 7, "phone": "13800000001", "category": "consultation", "text": "咨询",
             "route": "officer", "status": "issued", "is_open": True, "content_hash": "x", "created_at": NOW,
             "updated_at": NOW, "week": "2026-W47", "media_count": 0, "station_id": 1, "unit_id": 1},
        )  # fmt: skip


def _check(db: Database) -> None:
    rules = load_rules()
    clock = FakeClock(NOW.replace(tzinfo=UTC))
    tasks = TaskService(
        clock,
        [DissuasionWorkflow(rules.section(DissuasionRules)), DeskWorkflow(rules.section(DeskRules))],
        Notifier(clock),
    )
    with db.session() as session:
        dissuasion, desk = session.get(Task, 1), session.get(Task, 2)
        assert dissuasion is not None
        assert desk is not None
        assert dissuasion.facts == {"calls": 3, "unanswered": 2, "visits": 1}
        brief = tasks.brief(dissuasion, clock.now())
        assert (brief["calls"], brief["unanswered"], brief["visits"], brief["status_name"]) == (3, 2, 1, "上门寻找中")
        assert desk.facts == {"resident_id": 7}
        # The resident who posted it is its owner now: the one decision lets them see it.
        owner = Actor(7, Role.RESIDENT, None)
        assert tasks.sees(owner, Scope(False, frozenset(), frozenset()), desk)
        assert not tasks.sees(Actor(8, Role.RESIDENT, None), Scope(False, frozenset(), frozenset()), desk)
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("tasks")}
        assert "facts" in columns
        assert not columns & {"calls", "unanswered", "visits"}


def _downgrade(db: Database, revision: str) -> None:
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _round_trip(db: Database) -> None:
    upgrade(db, "0001")
    _old_rows(db)
    upgrade(db)
    _check(db)
    # And back: the counters return to their columns, then forward again, still nothing lost.
    _downgrade(db, "0002")
    with db.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT calls, unanswered, visits FROM tasks WHERE id = 1")).one()
    assert tuple(row) == (3, 2, 1)
    upgrade(db)
    _check(db)


def test_a_sqlite_database_from_before_the_contract_upgrades_in_place(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    _round_trip(db)
    db.dispose()


@pytest.mark.postgres
def test_a_postgresql_database_from_before_the_contract_upgrades_in_place(fresh_postgres_url: str) -> None:
    db = Database(fresh_postgres_url)
    _round_trip(db)
    db.dispose()
