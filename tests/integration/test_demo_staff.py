"""The demo's simulated officers act the way people do: through the task engine's access decision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from pingan.core.db import Database
from pingan.core.identity import Actor
from pingan.core.models import Task, TaskEvent, User
from pingan.core.scope import scope_of
from pingan.demo.officers import SimulatedStaff
from pingan.demo.simulated import SIM_MARK, create_simulated_staff, is_simulated
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


def _simulated(world: World) -> set[int]:
    with world.services.db.session() as session:
        create_simulated_staff(session, world.clock.now())
        return set(session.scalars(select(User.id).where(is_simulated())))


def test_simulated_staff_work_tasks_to_the_end_as_their_own_users(world: World) -> None:
    ids = [_task(world, "station-A", n) for n in range(1, 9)]
    simulated = _simulated(world)
    staff = SimulatedStaff(world.services, seed=3, speed=10.0)
    for _ in range(400):
        world.clock.advance(seconds=5)
        staff.step()
    with world.services.db.session() as session:
        tasks = session.scalars(select(Task).where(Task.id.in_(ids))).all()
        assert all(t.closed_at is not None for t in tasks), [(t.id, t.status) for t in tasks]
        actors = set(session.scalars(select(TaskEvent.actor_id).where(TaskEvent.task_id.in_(ids)))) - {None}
        assert actors
        assert actors <= simulated, "only the simulation's own accounts acted"
        people = set(world.users.values())
        assert not actors & people, "no login a person uses was borrowed"
        names = {session.get(User, a).display_name for a in actors}  # type: ignore[union-attr]
        assert all(SIM_MARK in n for n in names), names
        roles = {
            e.action: session.get(User, e.actor_id).role.value  # type: ignore[union-attr]
            for e in session.scalars(
                select(TaskEvent).where(TaskEvent.task_id.in_(ids), TaskEvent.actor_id.is_not(None))
            )
        }
        assert roles.get("evaluate") in (None, "analyst"), "only the centre evaluates, as the decision says"


def test_simulated_staff_leave_alone_a_task_a_person_signed(world: World) -> None:
    mine, other = _task(world, "station-A", 1), _task(world, "station-A", 2)
    _simulated(world)
    with world.services.db.session() as session:
        officer = session.get(User, world.users["officer_a1"])
        assert officer is not None
        task = session.get(Task, mine)
        assert task is not None
        world.services.tasks.perform(session, Actor.of(officer), scope_of(session, officer), task, "sign", {})
    staff = SimulatedStaff(world.services, seed=3, speed=10.0)
    for _ in range(200):
        world.clock.advance(seconds=5)
        staff.step()
    with world.services.db.session() as session:
        events = session.scalars(select(TaskEvent).where(TaskEvent.task_id == mine)).all()
        assert {e.actor_id for e in events} - {None} == {world.users["officer_a1"]}
        assert session.get(Task, mine).closed_at is None  # type: ignore[union-attr]
        assert session.get(Task, other).closed_at is not None  # type: ignore[union-attr]


def test_without_simulated_accounts_nobody_acts(world: World) -> None:
    task_id = _task(world, "station-A", 1)
    staff = SimulatedStaff(world.services, seed=3, speed=10.0)
    for _ in range(50):
        world.clock.advance(seconds=5)
        staff.step()
    with world.services.db.session() as session:
        assert session.get(Task, task_id).status == "issued"  # type: ignore[union-attr]
