"""The demo's simulated officers act the way people do: through the task engine's access decision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from pingan.core.db import Database
from pingan.core.models import Task, TaskEvent, User
from pingan.demo.officers import SimulatedStaff
from pingan.fraud.workflow import KIND
from tests.integration.test_desk_api import World, build_world


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path) -> Iterator[World]:
    db = Database("sqlite://")
    db.create_all()
    w = build_world(db, tmp_path)
    yield w
    w.client.close()
    db.dispose()


def _task(world: World, unit: str, n: int) -> int:
    with world.services.db.session() as session:
        task = world.services.tasks.create(
            session,
            kind=KIND,
            title=f"预警{n}",
            ref_type="fraud_warning",
            ref_id=n,
            area_id=world.ids["area-A"],
            unit_id=world.ids[unit],
            level="medium",
        )
        session.flush()
        return task.id


def test_simulated_staff_work_tasks_to_the_end_as_their_own_users(world: World) -> None:
    ids = [_task(world, "station-A", n) for n in range(1, 9)]
    staff = SimulatedStaff(world.services, seed=3, speed=10.0)
    for _ in range(400):
        world.clock.advance(seconds=5)
        staff.step()
    with world.services.db.session() as session:
        tasks = session.scalars(select(Task).where(Task.id.in_(ids))).all()
        assert all(t.closed_at is not None for t in tasks), [(t.id, t.status) for t in tasks]
        station_a = {world.users["officer_a1"], world.users["officer_a2"], world.users["head_a"]}
        analyst = world.users["analyst"]
        actors = set(session.scalars(select(TaskEvent.actor_id).where(TaskEvent.task_id.in_(ids))))
        assert actors - {None} <= station_a | {analyst}
        assert actors & station_a, "the station's officers worked them"
        roles = {
            e.action: session.get(User, e.actor_id).role.value  # type: ignore[union-attr]
            for e in session.scalars(
                select(TaskEvent).where(TaskEvent.task_id.in_(ids), TaskEvent.actor_id.is_not(None))
            )
        }
        assert roles.get("evaluate") in (None, "analyst"), "only the centre evaluates, as the decision says"
