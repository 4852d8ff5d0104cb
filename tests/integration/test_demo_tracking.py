"""The demo's 民生地网 stories act only on the simulation's own people: the stolen bike is a simulated
resident's (1390575xxxx), reported and recovered by ``sim_`` accounts; the README resident's bike is only
heard by base stations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from pingan.core.db import Database
from pingan.core.models import User
from pingan.demo.simulated import SIM_RESIDENT_PHONE_PREFIX, SIM_USERNAME_PREFIX, create_simulated_staff
from pingan.demo.tracking_sim import DEMO_OWNER, OWN_BIKE, STOLEN_BIKE, TrackingFeed, setup_tracking_demo
from pingan.tracking.models import Alert, AlertKind, Tag, Theft, TheftStatus
from tests.integration.test_desk_api import T0, build_world


def test_the_demo_steals_a_simulated_residents_bike_and_leaves_the_readme_residents_alone(
    db: Database, tmp_path: Path
) -> None:
    w = build_world(db, tmp_path)
    with db.session() as session:
        create_simulated_staff(session, T0)
    people = [{"name": f"居民{i}", "phones": [f"1380000{9100 + i}"]} for i in range(3)]
    demo = setup_tracking_demo(w.services, people, seed=7, password="demo-password-1")
    assert demo.bracelets
    feed = TrackingFeed(w.services, demo, seed=7)
    codes = [s["code"] for s in demo.stations]
    step = 0
    for elapsed in (20, 40, 50, 60, 75, 120):
        w.clock.advance(minutes=2)  # the sightings of each story are further apart than the overlap window
        step = feed._story(step, elapsed, codes)
    assert step == 6
    with db.session() as session:
        tags = {t.code: t for t in session.scalars(select(Tag))}
        assert tags[STOLEN_BIKE].owner_phone.startswith(SIM_RESIDENT_PHONE_PREFIX)
        assert tags[STOLEN_BIKE].area_id is not None  # the simulated owner is in the people registry
        assert tags[OWN_BIKE].owner_phone == DEMO_OWNER
        [theft] = session.scalars(select(Theft)).all()
        assert theft.tag_id == tags[STOLEN_BIKE].id
        assert theft.status is TheftStatus.RECOVERED
        actors = {session.get(User, theft.reported_by), session.get(User, theft.recovered_by)}
        assert all(u is not None and u.username.startswith(SIM_USERNAME_PREFIX) for u in actors)
        kinds = {a.kind for a in session.scalars(select(Alert))}
        assert kinds == {AlertKind.THEFT_SIGHTING, AlertKind.GEOFENCE_EXIT}
        assert not session.scalars(select(Alert).where(Alert.tag_id == tags[OWN_BIKE].id)).all()
