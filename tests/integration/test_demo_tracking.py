"""The demo's 民生地网 stories act only on the simulation's own people: the stolen bike is a simulated
resident's (1390575xxxx), reported and recovered by ``sim_`` accounts; the README resident's bike is only
heard by base stations."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from pingan.core.clock import as_utc
from pingan.core.db import Database
from pingan.core.models import Task, User
from pingan.demo.desk_sim import RESIDENT_PHONE_PREFIX
from pingan.demo.simulated import SIM_RESIDENT_PHONE_PREFIX, SIM_USERNAME_PREFIX, create_simulated_staff
from pingan.demo.tracking_history import DAYS, THEFTS, UNFOUND, tracking_history
from pingan.demo.tracking_sim import (
    DEMO_OWNER,
    FAILING_SILENCE_MINUTES,
    OWN_BIKE,
    REPORT_AT_S,
    STOLEN_BIKE,
    TrackingFeed,
    setup_tracking_demo,
)
from pingan.tracking import queries as tracking_queries
from pingan.tracking.models import Alert, AlertKind, Detection, Tag, Theft, TheftStatus
from pingan.tracking.models import Station as StationModel
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
    step = 0
    for elapsed, _what, _station in feed.plan:
        w.clock.advance(minutes=2)  # the sightings of each story are further apart than the overlap window
        step = feed._story(step, elapsed)
    assert step == len(feed.plan) == 6
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


def test_the_demos_stolen_bike_and_wanderer_move_at_a_plausible_pace_and_are_never_an_impossible_jump(
    db: Database, tmp_path: Path
) -> None:
    """Played at the plan's own times (the clock set to each event's second), the bike's ride and the wearer's
    walk stay within their kinds' speed limits: nothing on their tracks is flagged."""
    w = build_world(db, tmp_path)
    with db.session() as session:
        create_simulated_staff(session, T0)
    people = [{"name": f"居民{i}", "phones": [f"1380000{9100 + i}"]} for i in range(3)]
    demo = setup_tracking_demo(w.services, people, seed=7, password="demo-password-1")
    feed = TrackingFeed(w.services, demo, seed=7)
    assert feed.wanderer is not None
    wanderer = feed.wanderer
    start = w.clock.now()
    feed.prelude()  # the bike at home before its theft
    # The wearer last heard at home just before setting off, as the live feed may have heard them.
    w.clock.set(start + timedelta(seconds=REPORT_AT_S - 1))
    w.services.tracking.ingest([{"tag": wanderer, "at": w.clock.now().isoformat(), "station": demo.home[wanderer]}])
    step = 0
    for elapsed, _what, _station in feed.plan:
        w.clock.set(start + timedelta(seconds=elapsed))
        step = feed._story(step, elapsed)
    assert sorted(what for _at, what, _s in feed.plan) == ["recover", "report", "ride", "ride", "wander", "wander"]
    assert feed.plan[0][1] == "report"
    with db.session() as session:
        for code in (STOLEN_BIKE, wanderer, OWN_BIKE):
            tag = session.scalar(select(Tag).where(Tag.code == code))
            assert tag is not None
            rows = session.scalars(select(Detection).where(Detection.tag_id == tag.id).order_by(Detection.at)).all()
            assert len(rows) == 3, code
            assert len({r.station_id for r in rows}) >= 2, code  # it did move
            assert not any(r.jump for r in rows), code
        kinds = {a.kind for a in session.scalars(select(Alert))}
        assert kinds == {AlertKind.THEFT_SIGHTING, AlertKind.GEOFENCE_EXIT}
        # The bike was first seen on the ride, after its report, at the first neighbouring station.
        [theft] = session.scalars(select(Theft)).all()
        assert theft.first_sighted_at is not None
        assert theft.first_sighted_at > theft.reported_at
        [sighting] = session.scalars(select(Alert).where(Alert.kind == AlertKind.THEFT_SIGHTING)).all()
        first_ride = next(station for _at, what, station in feed.plan if what == "ride")
        assert sighting.station_id is not None
        station = session.get(StationModel, sighting.station_id)
        assert station is not None
        assert station.code == first_ride
    # No bracelet is silent at the start: they are handed out as the demo begins.
    with db.session() as session:
        w.services.tracking.sweep(session)
        assert not session.scalars(select(Alert).where(Alert.kind == AlertKind.SILENCE)).all()


def test_the_demos_console_tells_when_each_story_happens(db: Database, tmp_path: Path) -> None:
    w = build_world(db, tmp_path)
    people = [{"name": f"居民{i}", "phones": [f"1380000{9100 + i}"]} for i in range(3)]
    feed = TrackingFeed(w.services, setup_tracking_demo(w.services, people, seed=7, password="demo-password-1"), seed=7)
    said = feed.story()
    assert f"{REPORT_AT_S:.0f} 秒后报被盗" in said
    assert "无异常跳变" in said
    walked = max(at for at, what, _station in feed.plan if what == "wander")
    assert f"约 {walked:.0f} 秒后告警" in said


class _Publisher:
    def __init__(self) -> None:
        self.topics: list[str] = []

    def publish(self, topic: str, payload: bytes, qos: int = 0) -> None:
        self.topics.append(topic)


def test_the_failing_station_beats_once_then_falls_silent_and_gets_a_maintenance_task(
    db: Database, tmp_path: Path
) -> None:
    w = build_world(db, tmp_path)
    people = [{"name": f"居民{i}", "phones": [f"1380000{9100 + i}"]} for i in range(3)]
    demo = setup_tracking_demo(w.services, people, seed=7, password="demo-password-1")
    demo.failing = demo.failing or demo.stations[-1]["code"]  # a county this small keeps every station up
    feed = TrackingFeed(w.services, demo, seed=7)
    assert demo.failing not in {station for _at, _what, station in feed.plan}  # no story passes it
    feed.publisher = _Publisher()
    feed._beat(first=True)
    feed._beat(first=False)
    beats = [t for t in feed.publisher.topics if t.endswith(f"/{demo.failing}/status")]
    assert len(beats) == 1
    assert len(feed.publisher.topics) == 2 * len(demo.stations) - 1
    # Heard once, then silent past its own threshold: the sweep gives the operating company its task.
    feed.publisher = None
    with w.services.db.write_lock, w.services.db.session() as session:
        w.services.tracking.heartbeat(session, demo.failing, {"battery": 90})
        station = session.scalar(select(StationModel).where(StationModel.code == demo.failing))
        assert station is not None
        station.silence_minutes = FAILING_SILENCE_MINUTES
    w.clock.advance(minutes=FAILING_SILENCE_MINUTES + 1)
    with w.services.db.write_lock, w.services.db.session() as session:
        w.services.tracking.sweep(session)
        titles = session.scalars(select(Task.title).where(Task.kind == "station_maintenance")).all()
    assert [t for t in titles if demo.failing in t]


def test_the_demos_past_year_of_stolen_bikes_reads_as_the_reports_figures_and_leaves_the_live_stories_alone(
    db: Database, tmp_path: Path
) -> None:
    """A year of thefts before the demo, through the real service on a past clock: nearly all found by their
    tracks and closed, one paid by the agreement after its sixty days; C7 over the year says the same; the
    README residents' and the live stories' bikes are untouched, and the live theft still plays out."""
    w = build_world(db, tmp_path)
    with db.session() as session:
        create_simulated_staff(session, T0)
    people = [{"name": f"居民{i}", "phones": [f"1380000{9100 + i}"]} for i in range(40)]
    people.append({"name": "演示居民乙", "phones": [f"{RESIDENT_PHONE_PREFIX}0099"]})
    demo = setup_tracking_demo(w.services, people, seed=7, password="demo-password-1")
    past = tracking_history(w.services, demo, seed=7)
    assert past is not None
    assert (past.thefts, past.recovered, past.paid, past.payout_yuan) == (THEFTS, THEFTS - UNFOUND, UNFOUND, 2000)
    assert "找回率 94.1%" in past.line()
    now = w.clock.now()
    with db.session() as session:
        figures = tracking_queries.figures(session, now - timedelta(days=DAYS + 1), now, None)
        assert figures["thefts"] == THEFTS
        assert figures["recovered"] == THEFTS - UNFOUND
        assert (figures["compensated"], figures["payouts_yuan"]) == (UNFOUND, 2000)
        assert figures["suspects_caught"] == past.suspects > 0
        assert figures["gangs_broken"] == past.gangs >= 1
        # Installed over the months before (not all on one day), every stolen one before its theft.
        assert len({t.installed_at.date() for t in session.scalars(select(Tag))}) > 10
        thefts = session.scalars(select(Theft)).all()
        for theft in thefts:
            tag = session.get(Tag, theft.tag_id)
            assert tag is not None
            assert tag.code not in (STOLEN_BIKE, OWN_BIKE)
            assert not tag.owner_phone.startswith(RESIDENT_PHONE_PREFIX)
            assert as_utc(tag.installed_at) < as_utc(theft.stolen_at) < as_utc(theft.reported_at) < now
            reporter = session.get(User, theft.reported_by)
            assert reporter is not None
            assert reporter.username.startswith(SIM_USERNAME_PREFIX)
        [paid] = [t for t in thefts if t.status is TheftStatus.COMPENSATED]
        paid_tag = session.get(Tag, paid.tag_id)
        assert paid_tag is not None
        assert paid_tag.code in demo.retired
        assert paid.paid_at is not None
        assert as_utc(paid.paid_at) - as_utc(paid.reported_at) >= timedelta(days=60)
        assert not session.scalars(select(Detection).where(Detection.tag_id == paid.tag_id)).all()
        # Every task of the past is closed (no station is left a year-old theft or sighting), and no track of
        # the thieves' rides is an impossible jump.
        assert session.scalars(select(Task).where(Task.closed_at.is_(None))).all() == []
        assert session.scalars(select(Alert).where(Alert.open.is_(True))).all() == []
        assert not session.scalars(select(Detection).where(Detection.jump.is_(True))).all()
    # The live feed never hears the retired card, and the live theft plays out after the past.
    feed = TrackingFeed(w.services, demo, seed=7)
    step = 0
    for elapsed, _what, _station in feed.plan:
        w.clock.advance(minutes=2)
        step = feed._story(step, elapsed)
    with db.session() as session:
        live = session.scalar(select(Theft).join(Tag, Tag.id == Theft.tag_id).where(Tag.code == STOLEN_BIKE))
        assert live is not None
        assert live.status is TheftStatus.RECOVERED
