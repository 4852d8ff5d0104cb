"""The demo's command centre: departments with logins of their own, findings and disputes set up this year and
last, and simulated staff who move them on through the task engine, never as a person's login."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pingan.command.dangers.models import Danger, DangerState
from pingan.command.disputes.models import Dispute, DisputeState
from pingan.core.db import Database
from pingan.core.models import Task, TaskEvent, User
from pingan.demo.dangers_sim import CommandSimulation, create_departments, demo_rules_file, setup_command_demo
from pingan.demo.simulated import create_simulated_staff, is_simulated
from tests.integration.test_desk_api import API, POINT_A1, T0, World, build_world


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path) -> Iterator[World]:
    db = Database("sqlite://")
    db.create_all()
    w = build_world(db, tmp_path, rules_file=demo_rules_file(tmp_path, 2026))
    with w.services.db.session() as session:
        create_departments(session, T0, "pingan2026")
        create_simulated_staff(session, T0)
    yield w
    w.client.close()
    db.dispose()


def _simulated(world: World) -> set[int]:
    with world.services.db.session() as session:
        return set(session.scalars(select(User.id).where(is_simulated())))


def test_the_demo_starts_with_findings_and_disputes_done_this_year_and_last(world: World) -> None:
    demo = setup_command_demo(world.services, seed=7, findings=6, disputes=6)
    assert (demo.dangers, demo.disputes) == (6, 6)
    with world.services.db.session() as session:
        states = [d.state for d in session.scalars(select(Danger))]
        assert states.count(DangerState.RECTIFIED) == 3
        resolved = [d for d in session.scalars(select(Dispute)) if d.state is DisputeState.RESOLVED]
        assert resolved
        year_ago = [
            d for d in session.scalars(select(Danger)) if d.rectified_at and d.rectified_at < T0 - timedelta(days=365)
        ]
        assert year_ago, "some were rectified last year, for 同比"
    figures = world.client.get(
        f"{API}/command/dangers/figures",
        params={"start": "2026-01-01T00:00:00+08:00"},
        headers=world.staff("commander"),
    ).json()
    assert figures["total"]["year_target"] == 312 + 40 + 1616
    logins = world.client.post(f"{API}/auth/token", data={"username": "zhujian", "password": "pingan2026"})
    assert logins.status_code == 200


def test_simulated_departments_and_stations_work_a_finding_to_acceptance_as_their_own_users(world: World) -> None:
    departments = world.client.get(f"{API}/units", headers=world.staff("admin")).json()
    code = {u["code"]: u["id"] for u in departments}
    body = {
        "kind": "fire_lane",
        "title": "消防通道被占用",
        "place": "甲街道",
        "lon": POINT_A1[0],
        "lat": POINT_A1[1],
        "lead_unit_id": code["dept-zhujian"],
        "co_departments": [{"unit_id": code["dept-xiaofang"]}],
    }
    danger = world.client.post(f"{API}/command/dangers", json=body, headers=world.staff("commander")).json()
    dispute = world.client.post(
        f"{API}/command/disputes",
        json={"category": "neighbour", "title": "漏水", "parties": [{"name": "甲"}, {"name": "乙"}]},
        headers=world.staff("officer_a1"),
    ).json()
    sim = CommandSimulation(world.services, seed=3, speed=10.0)
    for _ in range(300):
        world.clock.advance(seconds=5)
        sim.step()
    with world.services.db.session() as session:
        row = session.get(Danger, danger["id"])
        assert row is not None
        assert row.state is DangerState.RECTIFIED
        task = session.get(Task, danger["task_id"])
        assert task is not None
        assert task.outcome == "rectified"
        events = session.scalars(
            select(TaskEvent).where(TaskEvent.task_id.in_([danger["task_id"], dispute["task_id"]]))
        ).all()
        actors = {e.actor_id for e in events if e.action != "issue"} - {None}
        assert actors <= _simulated(world), "only the simulation's own accounts acted"
        mediated = session.get(Dispute, dispute["id"])
        assert mediated is not None
        assert mediated.state is not DisputeState.RECEIVED, "the simulated officer has mediated it"


def test_simulated_staff_leave_alone_a_finding_a_person_signed(world: World) -> None:
    departments = {u["code"]: u["id"] for u in world.client.get(f"{API}/units", headers=world.staff("admin")).json()}
    body = {
        "kind": "traffic",
        "title": "路口",
        "place": "甲",
        "lon": POINT_A1[0],
        "lat": POINT_A1[1],
        "lead_unit_id": departments["dept-jiaotong"],
    }
    danger = world.client.post(f"{API}/command/dangers", json=body, headers=world.staff("commander")).json()
    with world.services.db.session() as session:
        person = session.scalar(select(User.id).where(User.username == "jiaotong"))
    signed = world.client.post(f"{API}/auth/token", data={"username": "jiaotong", "password": "pingan2026"}).json()
    headers = {"Authorization": f"Bearer {signed['access_token']}"}
    assert (
        world.client.post(
            f"{API}/tasks/{danger['task_id']}/actions", json={"action": "sign"}, headers=headers
        ).status_code
        == 200
    )
    sim = CommandSimulation(world.services, seed=3, speed=10.0)
    for _ in range(100):
        world.clock.advance(seconds=5)
        sim.step()
    with world.services.db.session() as session:
        task = session.get(Task, danger["task_id"])
        assert task is not None
        assert (task.status, task.assignee_id) == ("rectifying", person)
