"""The desk part of the demo: its set-up, and simulated residents and staff closing every kind of loop."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pingan.bootstrap import Services, bootstrap
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.identity import Actor
from pingan.core.models import Role, Task, TaskEvent, Unit, UnitKind, User
from pingan.core.settings import Settings
from pingan.demo.desk_sim import RESIDENT_PHONE_PREFIX, DeskSimulation, make_photo, setup_desk_demo
from pingan.demo.simulated import SIM_RESIDENT_PHONE_PREFIX, create_simulated_staff, is_simulated
from pingan.desk.media import sniff
from pingan.desk.models import DeskMedia, DeskOfficer, DeskPushDelivery, DeskRequest, DeskResident
from pingan.desk.otp import FakeSmsGateway
from pingan.desk.rules.kinds import Category, Route, Specialty, Topic
from pingan.desk.schemas import DeskRequestCreate
from tests.desk_county import SmallCounty, build_small_county

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@dataclass
class World:
    services: Services
    clock: FakeClock
    county: SmallCounty


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db = Database(f"sqlite:///{tmp_path / 'sim.db'}")
    db.create_all()
    clock = FakeClock(T0)
    settings = Settings(media_dir=tmp_path / "media", desk_dingtalk_enabled=False)
    services = bootstrap(settings, clock=clock, db=db, sms=FakeSmsGateway())
    county = build_small_county(services, residents=12)
    with services.db.session() as session:
        create_simulated_staff(session, clock.now())
    yield World(services, clock, county)
    services.close()


def test_setup_gives_each_town_a_governance_centre_officers_cards_and_residents(world: World) -> None:
    demo = world.county.demo
    with world.services.db.session() as s:
        governance = list(s.scalars(select(Unit).where(Unit.kind == UnitKind.GOVERNANCE)))
        names = {u.name for u in governance}
        assert {"丹东综治中心", "丹西综治中心", "县社会治理中心"} <= names
        posts = [n for n in names if n.endswith("平安前哨工作站")]
        assert posts
        assert all(n.startswith(("丹东", "丹西")) for n in posts), "a picker shows which town the station is in"
        assert all(
            s.scalar(select(func.count()).select_from(User).where(User.unit_id == u.id, User.role == Role.GOVERNANCE))
            for u in governance
        )
        assert s.scalar(select(func.count()).select_from(DeskOfficer)) == 4  # two per station
        residents = list(s.scalars(select(DeskResident)))
    mine = [r for r in residents if r.phone.startswith(RESIDENT_PHONE_PREFIX)]
    simulated = [r for r in residents if r.phone.startswith(SIM_RESIDENT_PHONE_PREFIX)]
    assert len(mine) == len(demo.residents) == 12
    assert len(simulated) == len(demo.simulated_residents) == 40
    assert all(r.community_id for r in residents)
    assert {"zhian", "jiaojing", "dandong_zz", "danxi_zz", "zhili"} <= {login.username for login in demo.logins}


def test_setting_up_twice_adds_nothing(world: World) -> None:
    with world.services.db.session() as s:
        before = s.scalar(select(func.count()).select_from(Unit)), s.scalar(select(func.count()).select_from(User))
        import random

        setup_desk_demo(world.services, s, random.Random(1), residents=12)
        after = s.scalar(select(func.count()).select_from(Unit)), s.scalar(select(func.count()).select_from(User))
    assert before == after


def test_a_made_photo_is_a_png_the_desk_accepts() -> None:
    import random

    photo = make_photo(random.Random(3))
    assert sniff(photo[:64]) == "image/png"
    assert photo != make_photo(random.Random(4))


def test_the_simulation_closes_the_loop_for_every_category(world: World) -> None:
    sim = DeskSimulation(world.services, seed=3, posts_per_minute=0.1)
    for category in Category:
        for _ in range(2):
            assert sim.post_one(category)
    for _ in range(90):  # three hours, a step every two minutes
        world.clock.advance(minutes=2)
        sim.step()
    with world.services.db.session() as s:
        rows = list(s.scalars(select(DeskRequest)))
        kinds = {unit_id: kind for unit_id, kind in s.execute(select(Unit.id, Unit.kind))}
        delivered = s.scalar(select(func.count()).select_from(DeskPushDelivery)) or 0
        photos = s.scalar(select(func.count()).select_from(DeskMedia)) or 0
    assert Counter(r.category for r in rows).keys() == set(Category)
    diverted = [r for r in rows if r.route is Route.GOVERNANCE]
    assert diverted
    assert all(kinds[r.unit_id] is UnitKind.GOVERNANCE for r in diverted if r.unit_id is not None)
    assert any(not r.is_open and r.first_reply_at is not None for r in diverted)  # answered and closed by governance
    assert [r for r in rows if r.rating is not None]
    assert sum(not r.is_open for r in rows) > len(rows) / 2
    assert all(
        r.first_reply_at is not None for r in rows if r.resolution is not None and r.resolution.value == "resolved"
    )
    assert delivered > 0
    assert photos > 0


def _people(world: World) -> tuple[set[int], set[int]]:
    """(the users' resident accounts, the simulated residents' accounts)."""
    with world.services.db.session() as s:
        rows = s.execute(select(DeskResident.user_id, DeskResident.phone)).all()
    return (
        {uid for uid, phone in rows if phone.startswith(RESIDENT_PHONE_PREFIX)},
        {uid for uid, phone in rows if phone.startswith(SIM_RESIDENT_PHONE_PREFIX)},
    )


def test_the_simulation_posts_and_acts_only_as_its_own_people(world: World) -> None:
    mine, simulated = _people(world)
    sim = DeskSimulation(world.services, seed=3, posts_per_minute=2.0)
    for _ in range(60):
        world.clock.advance(minutes=2)
        sim.step()
    with world.services.db.session() as s:
        rows = list(s.scalars(select(DeskRequest)))
        sim_staff = set(s.scalars(select(User.id).where(is_simulated())))
        staff_actors = (
            set(
                s.scalars(
                    select(TaskEvent.actor_id)
                    .join(Task, Task.id == TaskEvent.task_id)
                    .where(TaskEvent.actor_id.is_not(None))
                )
            )
            - simulated
        )
    assert rows
    assert {r.resident_id for r in rows} <= simulated, "no request was posted under a user's phone"
    assert not {r.resident_id for r in rows} & mine
    assert staff_actors <= sim_staff, "every staff move was made by a simulated account"


def test_a_request_a_person_handles_is_left_to_them(world: World) -> None:
    sim = DeskSimulation(world.services, seed=3, posts_per_minute=0.0)
    with world.services.db.session() as s:
        resident = s.scalars(
            select(DeskResident)
            .where(DeskResident.phone.startswith(SIM_RESIDENT_PHONE_PREFIX))
            .order_by(DeskResident.user_id)
        ).first()
        assert resident is not None
        body = DeskRequestCreate(
            category=Category.CONSULTATION,
            topic=Topic.HOUSEHOLD,
            text="户口迁移要带什么材料？",
            address=resident.address,
        )
    world.services.desk.requests.post(Actor(resident.user_id, Role.RESIDENT, None), body)
    with world.services.db.session() as s:
        request = s.scalars(select(DeskRequest)).one()
        assert request.handler_id is not None, "a consultation goes to the community officer's card"
        officer = s.get(User, request.handler_id)
        assert officer is not None
        assert not officer.username.startswith("sim_")
        request_id, officer_id = request.id, officer.id
    world.services.desk.requests.sign(Actor(officer_id, Role.OFFICER, officer.unit_id), request_id)
    for _ in range(30):
        world.clock.advance(minutes=2)
        sim.step()
    with world.services.db.session() as s:
        after = s.get(DeskRequest, request_id)
        assert after is not None
        actors = set(
            s.scalars(
                select(TaskEvent.actor_id)
                .join(Task, Task.id == TaskEvent.task_id)
                .where(Task.kind == "desk_request", Task.ref_id == request_id, TaskEvent.actor_id.is_not(None))
            )
        )
    assert after.is_open
    assert after.first_reply_at is None
    assert actors <= {officer_id, after.resident_id}


def test_switched_off_sides_do_nothing(world: World) -> None:
    sim = DeskSimulation(world.services, seed=3, posts_per_minute=5.0, residents=False)
    for _ in range(10):
        world.clock.advance(minutes=2)
        sim.step()
    with world.services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(DeskRequest)) == 0
    residents_only = DeskSimulation(world.services, seed=3, posts_per_minute=5.0, staff=False)
    for _ in range(10):
        world.clock.advance(minutes=2)
        residents_only.step()
    with world.services.db.session() as s:
        assert s.scalar(select(func.count()).select_from(DeskRequest))
        assert (
            s.scalar(select(func.count()).select_from(DeskRequest).where(DeskRequest.first_reply_at.is_not(None))) == 0
        )


@pytest.mark.parametrize("seed", [7, 11, 23])
def test_in_fifteen_minutes_every_routing_target_gets_work(world: World, seed: int) -> None:
    """The demo's request mix and the county's routes: within fifteen minutes of the simulation at its own
    pace, every specialty the routes name (治安 among them), every town's 综治中心 and every 平安前哨 station
    has a request of its own to work (the 情指中心 passes the specialties' on)."""
    sim = DeskSimulation(world.services, seed=seed)
    for _ in range(180):  # fifteen minutes, a step every five seconds
        world.clock.advance(seconds=5)
        sim.step()
    with world.services.db.session() as s:
        reached = {unit_id for (unit_id,) in s.execute(select(DeskRequest.unit_id)) if unit_id is not None}
        units = {u.code: u for u in s.scalars(select(Unit))}
        governance = [u for u in units.values() if u.kind is UnitKind.GOVERNANCE and u.area_id is not None]
    specialties = {s.unit_code for s in Specialty}
    missing = sorted(units[code].name for code in specialties if code in units and units[code].id not in reached)
    missing += sorted(u.name for u in governance if u.id not in reached)
    assert len(governance) >= 3  # 丹东综治中心, 丹西综治中心 and a 平安前哨工作站 at least
    assert missing == [], f"no work reached {missing}"
