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
from pingan.core.models import Role, Unit, UnitKind, User
from pingan.core.settings import Settings
from pingan.demo.desk_sim import RESIDENT_PHONE_PREFIX, DeskSimulation, make_photo, setup_desk_demo
from pingan.desk.media import sniff
from pingan.desk.models import DeskMedia, DeskOfficer, DeskPushDelivery, DeskRequest, DeskResident
from pingan.desk.otp import FakeSmsGateway
from pingan.desk.rules.kinds import Category, Route
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
    yield World(services, clock, county)
    services.close()


def test_setup_gives_each_town_a_governance_centre_officers_cards_and_residents(world: World) -> None:
    demo = world.county.demo
    with world.services.db.session() as s:
        governance = list(s.scalars(select(Unit).where(Unit.kind == UnitKind.GOVERNANCE)))
        names = {u.name for u in governance}
        assert {"丹东综治中心", "丹西综治中心", "县社会治理中心"} <= names
        assert any(n.endswith("平安前哨工作站") for n in names)
        assert all(
            s.scalar(select(func.count()).select_from(User).where(User.unit_id == u.id, User.role == Role.GOVERNANCE))
            for u in governance
        )
        assert s.scalar(select(func.count()).select_from(DeskOfficer)) == 4  # two per station
        residents = list(s.scalars(select(DeskResident)))
    assert len(residents) == len(demo.residents) == 12
    assert all(r.phone.startswith(RESIDENT_PHONE_PREFIX) and r.community_id for r in residents)
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
