"""The demo's 民生地网: base stations in about 94 % of the villages (the report's county: 382 villages, 94 %;
the most remote ones have none yet), cards on residents' bikes, bracelets on a few elderly residents, and a
simulated base-station feed through Mosquitto (or straight into the intake when no broker answers). A bike is
stolen and ridden off past the neighbouring villages' stations at a plausible speed, and found again; a
bracelet wearer walks out of their safe area to the next village's station."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.geo import distance_m
from pingan.core.identity import Actor, create_user
from pingan.core.models import Area, AreaKind, Person, PersonPhone, Role, Unit, UnitKind, User
from pingan.demo.simulated import SIM_MARK, SIM_RESIDENT_PHONE_PREFIX, is_simulated
from pingan.tracking.models import Station, Tag, Theft
from pingan.tracking.schemas import RecoveryCreate, SafeAreaUpdate, TheftCreate
from pingan.workers.mqtt import Topics

if TYPE_CHECKING:
    from pingan.bootstrap import Services

log = logging.getLogger(__name__)

DEMO_OWNER = "13905740001"
"""The demo resident of the README owns a bike (我的车 on /m, its track): nothing happens to it but base
stations hearing it. The simulation acts only on its own people."""
STOLEN_OWNER = f"{SIM_RESIDENT_PHONE_PREFIX}0001"
"""A simulated resident (the simulation's phone range): their bike is the one stolen and found."""
STOLEN_BIKE = "DEMO-CARD-SIM1"
OWN_BIKE = "DEMO-CARD-0001"
OPERATOR_UNIT = "diwang-operator"
COVERAGE = 0.94
"""The share of villages with a base station, as in the report (普安县: 94 %)."""
RADIUS_M = 800
RIDE_KMH = 45.0
"""The thief's speed on a motorcycle or e-bike between two stations' circles, well under the card's limit."""
WALK_KMH = 4.0
"""The bracelet wearer's walking pace."""
REPORT_AT_S = 20.0
"""Seconds into the demo the theft is reported; the stories follow at their travellers' pace."""
GAP_S = 15.0
"""The least time between two sightings of a story: more than the overlap window (two stations hearing one
sighting), so each is a sighting of its own."""
RECOVER_AFTER_S = 60.0
INSTALL_DAYS = 425
"""Cards were installed over the last 14 months or so."""
FAILING_SILENCE_MINUTES = 3
"""One base station breaks down after its first heartbeat; past this threshold of its own the sweep gives the
operating company a maintenance task (基站维护), as a failed station does."""


def uncovered_villages(points: dict[str, tuple[float, float]], share: float = COVERAGE) -> set[str]:
    """The villages without a base station: the most remote ones (furthest from their nearest neighbour),
    so many that `share` of them are covered (rounded to the nearest village)."""
    if len(points) < 2:
        return set()
    remoteness = {v: min(distance_m(*p, *q) for w, q in points.items() if w != v) for v, p in points.items()}
    n = round(len(points) * (1 - share))
    return set(sorted(remoteness, key=lambda v: (-remoteness[v], v))[:n])


def travel_s(a: tuple[float, float], b: tuple[float, float], kmh: float, radii_m: float) -> float:
    """Seconds to go from station `a` to station `b` at `kmh`, from the edge of one circle to the edge of the
    other (what the impossible-jump rule judges), never less than `GAP_S`."""
    return max(GAP_S, max(0.0, distance_m(*a, *b) - radii_m) / (kmh / 3.6))


def route(points: dict[str, tuple[float, float]], start: str, legs: int) -> list[str]:
    """From `start`, `legs` stations on, each the nearest one not yet passed (a ride through the villages)."""
    out: list[str] = []
    here = start
    for _ in range(legs):
        rest = [c for c in points if c != start and c not in out]
        if not rest:
            break
        here = min(rest, key=lambda c: (distance_m(*points[here], *points[c]), c))
        out.append(here)
    return out


@dataclass
class TrackingDemo:
    stations: list[dict[str, Any]] = field(default_factory=list)
    home: dict[str, str] = field(default_factory=dict)
    """Tag → the code of the station near its owner."""
    bracelets: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    """The villages without a base station."""
    failing: str | None = None
    """The base station that falls silent (its code): no story passes it."""
    retired: set[str] = field(default_factory=set)
    """Cards paid for by the insurer in the demo's past (`tracking_history`): no longer heard."""

    def point(self, code: str) -> tuple[float, float]:
        s = next(s for s in self.stations if s["code"] == code)
        return (float(s["lon"]), float(s["lat"]))

    @property
    def points(self) -> dict[str, tuple[float, float]]:
        return {s["code"]: (float(s["lon"]), float(s["lat"])) for s in self.stations}


def setup_tracking_demo(services: Services, people: list[dict[str, Any]], *, seed: int, password: str) -> TrackingDemo:
    rng = random.Random(seed)
    demo = TrackingDemo()
    now = services.clock.now()
    with services.db.session() as session:
        communities = session.execute(
            select(Area.id, Area.code, Area.name, Area.geometry).where(Area.kind == AreaKind.COMMUNITY)
        ).all()
        if session.scalar(select(Unit.id).where(Unit.code == OPERATOR_UNIT)) is None:
            session.add(Unit(code=OPERATOR_UNIT, name="地网运营公司", kind=UnitKind.TELECOM))
            session.flush()
        operator = session.scalar(select(Unit.id).where(Unit.code == OPERATOR_UNIT))
        if session.scalar(select(User.id).where(User.username == "diwang")) is None:
            create_user(
                session, "diwang", password, role=Role.PARTNER, display_name="地网运营 值班", unit_id=operator, now=now
            )
    from shapely import wkb

    villages: dict[str, tuple[Any, str, str, tuple[float, float]]] = {}
    for area_id, code, name, geometry in communities:
        if geometry is None:
            continue
        point = wkb.loads(geometry).representative_point()
        villages[name] = (area_id, code, name, (round(point.x, 6), round(point.y, 6)))
    remote = uncovered_villages({v: p[3] for v, p in villages.items()})
    demo.uncovered = sorted(remote)
    for area_id, code, name, (lon, lat) in villages.values():
        if name in remote:
            continue
        demo.stations.append(
            {"code": f"BS-{code}", "name": f"{name}基站", "lon": lon, "lat": lat,
             "village": name, "radius_m": RADIUS_M, "area": area_id}
        )  # fmt: skip
    services.tracking.import_stations(enumerate([{k: v for k, v in s.items() if k != "area"} for s in demo.stations]))
    by_area = {s["area"]: s["code"] for s in demo.stations}
    points = demo.points
    # A village without a station of its own: its people are heard by the nearest one.
    for area_id, _code, name, place in villages.values():
        if name in remote and points:
            by_area[area_id] = min(points, key=lambda c: distance_m(*place, *points[c]))
    _registered(services, STOLEN_OWNER, f"{SIM_MARK}车主", [c for c in communities if c[3] is not None], now)
    owners = [p for p in people if p.get("phones")][:300]

    def installed() -> str:
        """A card's day of installation: any day of the last 14 months (the county has been fitting them since)."""
        return (now - timedelta(days=rng.randint(1, INSTALL_DAYS))).date().isoformat()

    tags: list[dict[str, Any]] = [
        {"tag": OWN_BIKE, "kind": "vehicle_card", "owner_phone": DEMO_OWNER, "owner_name": "演示居民",
         "plate": "浙B00001", "model": "雅迪电动车", "colour": "白", "installed_at": installed(),
         "service_point": "丹东车行"},
        {"tag": STOLEN_BIKE, "kind": "vehicle_card", "owner_phone": STOLEN_OWNER, "owner_name": f"{SIM_MARK}车主",
         "plate": "浙B0S001", "model": "爱玛电动车", "colour": "红", "installed_at": installed(),
         "service_point": "丹东车行"},
    ]  # fmt: skip
    for i, person in enumerate(owners):
        kind = "bracelet" if i % 60 == 0 else "vehicle_card"
        tags.append(
            {"tag": f"DEMO-{'BR' if kind == 'bracelet' else 'CARD'}-{i + 2:04d}", "kind": kind,
             "owner_phone": person["phones"][0], "owner_name": person["name"],
             "wearer_name": person["name"] if kind == "bracelet" else None,
             "plate": f"浙B{10000 + i}" if kind == "vehicle_card" else None,
             # A bracelet is handed out as the demo starts: one installed months ago and never heard would be
             # silent (长时间无信号) the moment the sweeper first looks.
             "installed_at": now.isoformat() if kind == "bracelet" else installed(),
             "service_point": rng.choice(["丹东车行", "交警大队服务点", "摩托车检测站"])}
        )  # fmt: skip
    services.tracking.import_tags(enumerate(tags))
    codes = [s["code"] for s in demo.stations]
    with services.db.session() as session:
        for tag in session.scalars(select(Tag)):
            station = by_area.get(tag.community_id) if tag.community_id else None
            demo.home[tag.code] = station or rng.choice(codes)
            if tag.kind.value == "bracelet":
                demo.bracelets.append(tag.code)
                services.tracking.set_safe_area(session, tag, SafeAreaUpdate(stations=[demo.home[tag.code]]))
        # The station to fail: the one fewest tags live by, away from the stories' people.
        busy = {demo.home.get(STOLEN_BIKE), *(demo.home[b] for b in demo.bracelets)}
        homes = Counter(demo.home.values())
        spare = [c for c in codes if c not in busy]
        if spare and len(codes) > 3:
            demo.failing = min(spare, key=lambda c: (homes[c], c))
            failing = session.scalar(select(Station).where(Station.code == demo.failing))
            if failing is not None:
                failing.silence_minutes = FAILING_SILENCE_MINUTES
    return demo


def _registered(services: Services, phone: str, name: str, communities: list[Any], now: Any) -> None:
    """The simulated owner in the people registry (so their card's station is known), once."""
    if not communities:
        return
    area_id, _code, _name, _geometry = communities[0]
    with services.db.session() as session:
        if session.get(PersonPhone, phone) is not None:
            return
        station_id = session.scalar(select(Area.parent_id).where(Area.id == area_id))
        person = Person(name=name, station_id=station_id, community_id=area_id, created_at=now, tags=[])
        session.add(person)
        session.flush()
        session.add(PersonPhone(phone=phone, person_id=person.id))


class TrackingFeed:
    """Base stations hearing tags near their owners' homes, heartbeats, and the two stories."""

    def __init__(self, services: Services, demo: TrackingDemo, *, seed: int, rate: float = 20.0) -> None:
        self.services = services
        self.demo = demo
        self.rng = random.Random(seed)
        self.rate = rate
        self.publisher: Any = None
        self.topics = Topics(services.settings.mqtt_topic_prefix)
        self.plan = self._plan()

    def _plan(self) -> list[tuple[float, str, str | None]]:
        """The stories as (seconds into the demo, what happens, the station): the theft reported; the bike
        ridden to the next village's station and the one after, at `RIDE_KMH`; a wearer (the one living
        nearest another station), who sets off when the theft is reported, heard twice at the next village's
        station, having walked there at `WALK_KMH`; the bike found a minute after its last sighting. From the
        report on, neither is heard at home any more (see `run`)."""
        demo = self.demo
        points = {c: p for c, p in demo.points.items() if c != demo.failing}
        radii = 2.0 * RADIUS_M
        plan: list[tuple[float, str, str | None]] = [(REPORT_AT_S, "report", None)]
        at = REPORT_AT_S
        here = demo.home.get(STOLEN_BIKE)
        if here in points:
            for code in route(points, here, 2):
                at += travel_s(points[here], points[code], RIDE_KMH, radii)
                plan.append((at, "ride", code))
                here = code
        wearers = [b for b in demo.bracelets if demo.home.get(b) in points]
        if wearers and len(points) > 1:

            def nearest(tag: str) -> str:
                return route(points, demo.home[tag], 1)[0]

            wearer = min(wearers, key=lambda b: (distance_m(*points[demo.home[b]], *points[nearest(b)]), b))
            self.wanderer: str | None = wearer
            out = nearest(wearer)
            walk = travel_s(points[demo.home[wearer]], points[out], WALK_KMH, radii)
            plan.append((REPORT_AT_S + walk, "wander", out))
            plan.append((REPORT_AT_S + walk + GAP_S, "wander", out))
        else:
            self.wanderer = None
        plan.append((at + RECOVER_AFTER_S, "recover", None))
        return sorted(plan, key=lambda p: p[0])

    def story(self) -> str:
        """The plan in one sentence for the demo's console: when each story happens."""
        times = {what: [at for at, w, _s in self.plan if w == what] for what in ("report", "ride", "wander", "recover")}
        bike = (
            f"模拟车主 {STOLEN_OWNER} 的电动车 {times['report'][0]:.0f} 秒后报被盗，"
            + (f"{times['ride'][0]:.0f} 秒起被邻村基站发现（按正常车速行驶，无异常跳变），" if times["ride"] else "")
            + f"{times['recover'][0]:.0f} 秒后找回"
        )
        said = [bike]
        if times["wander"]:
            said.append(f"一名手环佩戴人步行离开安全区域，约 {times['wander'][-1]:.0f} 秒后告警")
        failing = next((st for st in self.demo.stations if st["code"] == self.demo.failing), None)
        if failing is not None:
            said.append(
                f"{failing['name']}开机后停止上报，约 {FAILING_SILENCE_MINUTES} 分钟后失联，运维公司收到基站维护任务"
            )
        return "；".join(said)

    def prelude(self) -> None:
        """Before the live feed: the stolen bike heard at home once, before it is stolen (35 minutes before the
        demo's start: the theft is 30 minutes before its report; the live feed never hears it at home again,
        so its track reads home → the neighbouring villages, not a sighting at home after the theft); the
        README resident's bike's morning ride."""
        now = self.services.clock.now()
        home = self.demo.home.get(STOLEN_BIKE)
        if home is not None:
            self._send(home, [{"tag": STOLEN_BIKE, "at": (now - timedelta(minutes=35)).isoformat(), "rssi": -70}])
        # The README resident's bike this morning: home, the next village's station and back, so 我的车 on /m
        # has a track from the first minute (the live feed adds to it as its base stations hear it).
        own = self.demo.home.get(OWN_BIKE)
        points = {c: p for c, p in self.demo.points.items() if c != self.demo.failing}
        if own in points and len(points) > 1:
            out = route(points, own, 1)[0]
            ride = timedelta(seconds=travel_s(points[own], points[out], RIDE_KMH / 2, 2.0 * RADIUS_M))
            start = now - timedelta(hours=3)
            for station, at in ((own, start), (out, start + ride), (own, start + 2 * ride + timedelta(hours=1))):
                self._send(station, [{"tag": OWN_BIKE, "at": at.isoformat(), "rssi": -68}])

    def _send(self, station: str, items: list[dict[str, Any]]) -> None:
        if self.publisher is not None:
            self.publisher.publish(self.topics.detection(station), orjson.dumps(items), qos=1)
        else:
            self.services.tracking.ingest([{**i, "station": station} for i in items])

    def _beat(self, *, first: bool) -> None:
        for s in self.demo.stations:
            if s["code"] == self.demo.failing and not first:
                continue  # broken down after its first heartbeat
            body = {"battery": self.rng.randint(60, 100)}
            if self.publisher is not None:
                self.publisher.publish(self.topics.status(s["code"]), orjson.dumps(body), qos=1)
            else:
                with self.services.db.write_lock, self.services.db.session() as session:
                    self.services.tracking.heartbeat(session, s["code"], body)

    def _detect(self, tag: str, station: str) -> None:
        at = self.services.clock.now()
        self._send(station, [{"tag": tag, "at": at.isoformat(), "rssi": self.rng.randint(-95, -55)}])

    def run(self, stop: threading.Event, mqtt_url: str | None = None) -> None:
        if mqtt_url is not None:
            import paho.mqtt.client as mqtt
            from paho.mqtt.enums import CallbackAPIVersion

            from pingan.workers.mqtt import parse_url

            self.publisher = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
            host, port = parse_url(mqtt_url)
            self.publisher.connect(host, port)
            self.publisher.loop_start()
        self.prelude()
        started = time.monotonic()
        tags = sorted(t for t in self.demo.home if t != STOLEN_BIKE and t not in self.demo.retired)
        story = 0
        last_beat = 0.0
        beats = 0
        try:
            while not stop.is_set():
                elapsed = time.monotonic() - started
                if beats == 0 or elapsed - last_beat >= 30:
                    self._beat(first=beats == 0)
                    beats += 1
                    last_beat = elapsed
                tag = self.rng.choice(tags)
                # The stories' tags are heard only as their stories say: the bike after its prelude, the wearer once
                # the walk has begun.
                home = self.demo.home[tag]
                if not (tag == self.wanderer and story > 0) and not (home == self.demo.failing and beats > 1):
                    self._detect(tag, home)
                story = self._story(story, elapsed)
                stop.wait(1.0 / self.rate)
        except Exception:
            log.exception("the demo's base-station feed stopped")
        finally:
            if self.publisher is not None:
                self.publisher.loop_stop()
                self.publisher.disconnect()

    def _story(self, step: int, elapsed: float) -> int:
        """Play the plan's next event once its time has come; returns the next step (len(plan): all done)."""
        if step >= len(self.plan) or elapsed < self.plan[step][0]:
            return step
        _at, what, station = self.plan[step]
        svc = self.services
        if what == "report":
            with svc.db.session() as session:
                # Reported at the owner's station by one of the simulation's own officers.
                officer = simulated_account(session, Role.OFFICER)
                if officer is not None:
                    now = svc.clock.now()
                    svc.tracking.report_theft(
                        session,
                        Actor.of(officer),
                        TheftCreate(tag=STOLEN_BIKE, stolen_at=now - timedelta(minutes=30), place="丹东菜市场门口"),
                    )
        elif what == "ride" and station is not None:
            self._detect(STOLEN_BIKE, station)
        elif what == "wander" and station is not None and self.wanderer is not None:
            self._detect(self.wanderer, station)
        elif what == "recover":
            with svc.db.session() as session:
                theft = session.scalar(select(Theft).join(Tag, Tag.id == Theft.tag_id).where(Tag.code == STOLEN_BIKE))
                head = simulated_account(session, Role.COMMANDER)
                if theft is not None and head is not None and theft.recovered_at is None:
                    from pingan.core.scope import scope_of

                    svc.tracking.recover(
                        session, Actor.of(head), scope_of(session, head), theft,
                        RecoveryCreate(place="东门岛某小区楼下", suspects=1, gang="东门岛盗窃电动车团伙"),
                    )  # fmt: skip
        return step + 1


def simulated_account(session: Session, role: Role) -> User | None:
    """One of the simulation's own accounts (``sim_…``), never a login of the README."""
    return session.scalar(select(User).where(is_simulated(), User.role == role).order_by(User.id).limit(1))
