"""The demo's 民生地网: a base station in every village, cards on residents' bikes, bracelets on a few elderly
residents, and a simulated base-station feed through Mosquitto (or straight into the intake when no broker
answers). A bike is stolen and seen and found again; a bracelet wearer wanders off."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.identity import Actor, create_user
from pingan.core.models import Area, AreaKind, Person, PersonPhone, Role, Unit, UnitKind, User
from pingan.demo.simulated import SIM_MARK, SIM_RESIDENT_PHONE_PREFIX, is_simulated
from pingan.tracking.models import Tag, Theft
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


@dataclass
class TrackingDemo:
    stations: list[dict[str, Any]] = field(default_factory=list)
    home: dict[str, str] = field(default_factory=dict)
    """Tag → the code of the station near its owner."""
    bracelets: list[str] = field(default_factory=list)


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

    for area_id, code, name, geometry in communities:
        if geometry is None:
            continue
        point = wkb.loads(geometry).representative_point()
        demo.stations.append(
            {"code": f"BS-{code}", "name": f"{name}基站", "lon": round(point.x, 6), "lat": round(point.y, 6),
             "village": name, "radius_m": 800, "area": area_id}
        )  # fmt: skip
    services.tracking.import_stations(enumerate([{k: v for k, v in s.items() if k != "area"} for s in demo.stations]))
    by_area = {s["area"]: s["code"] for s in demo.stations}
    _registered(services, STOLEN_OWNER, f"{SIM_MARK}车主", [c for c in communities if c[3] is not None], now)
    owners = [p for p in people if p.get("phones")][:300]
    tags: list[dict[str, Any]] = [
        {"tag": OWN_BIKE, "kind": "vehicle_card", "owner_phone": DEMO_OWNER, "owner_name": "演示居民",
         "plate": "浙B00001", "model": "雅迪电动车", "colour": "白", "installed_at": "2026-06-01",
         "service_point": "丹东车行"},
        {"tag": STOLEN_BIKE, "kind": "vehicle_card", "owner_phone": STOLEN_OWNER, "owner_name": f"{SIM_MARK}车主",
         "plate": "浙B0S001", "model": "爱玛电动车", "colour": "红", "installed_at": "2026-06-01",
         "service_point": "丹东车行"},
    ]  # fmt: skip
    for i, person in enumerate(owners):
        kind = "bracelet" if i % 60 == 0 else "vehicle_card"
        tags.append(
            {"tag": f"DEMO-{'BR' if kind == 'bracelet' else 'CARD'}-{i + 2:04d}", "kind": kind,
             "owner_phone": person["phones"][0], "owner_name": person["name"],
             "wearer_name": person["name"] if kind == "bracelet" else None,
             "plate": f"浙B{10000 + i}" if kind == "vehicle_card" else None,
             "installed_at": "2026-06-01", "service_point": rng.choice(["丹东车行", "交警大队服务点", "摩托车检测站"])}
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

    def _send(self, station: str, items: list[dict[str, Any]]) -> None:
        if self.publisher is not None:
            self.publisher.publish(self.topics.detection(station), orjson.dumps(items), qos=1)
        else:
            self.services.tracking.ingest([{**i, "station": station} for i in items])

    def _beat(self) -> None:
        for s in self.demo.stations:
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
        started = time.monotonic()
        tags = sorted(self.demo.home)
        codes = [s["code"] for s in self.demo.stations]
        story = 0
        last_beat = 0.0
        try:
            while not stop.is_set():
                elapsed = time.monotonic() - started
                if elapsed - last_beat >= 30:
                    self._beat()
                    last_beat = elapsed
                tag = self.rng.choice(tags)
                wanderer = self.demo.bracelets[0] if self.demo.bracelets else None
                # The two stories' tags are heard only as their stories say, once they have begun.
                if not (tag == STOLEN_BIKE and story > 0) and not (tag == wanderer and story >= 3):
                    self._detect(tag, self.demo.home[tag])
                story = self._story(story, elapsed, codes)
                stop.wait(1.0 / self.rate)
        except Exception:
            log.exception("the demo's base-station feed stopped")
        finally:
            if self.publisher is not None:
                self.publisher.loop_stop()
                self.publisher.disconnect()

    def _story(self, step: int, elapsed: float, codes: list[str]) -> int:
        """The stolen bike (reported at 20 s, seen at 40 s and 50 s, found at 120 s) and a wearer who wanders
        off (seen outside at 60 s and 75 s)."""
        svc = self.services
        bike = STOLEN_BIKE
        away = [c for c in codes if c != self.demo.home.get(bike)]
        if step == 0 and elapsed >= 20:
            with svc.db.session() as session:
                # Reported at the owner's station by one of the simulation's own officers.
                officer = _simulated(session, Role.OFFICER)
                if officer is not None:
                    at = svc.clock.now()
                    svc.tracking.report_theft(
                        session,
                        Actor.of(officer),
                        TheftCreate(tag=bike, stolen_at=at - timedelta(minutes=30), place="丹东菜市场门口"),
                    )
            return 1
        if step == 1 and elapsed >= 40 and away:
            self._detect(bike, away[0])
            return 2
        if step == 2 and elapsed >= 50 and len(away) > 1:
            self._detect(bike, away[1])
            return 3
        if step in (3, 4) and elapsed >= (60 if step == 3 else 75):
            if not self.demo.bracelets:
                return 5  # nobody wears a bracelet: on to the bike's recovery
            # Two detections outside the wearer's area, further apart than the overlap window: an exit.
            wearer = self.demo.bracelets[0]
            outside = [c for c in codes if c != self.demo.home[wearer]]
            if outside:
                self._detect(wearer, outside[step - 3] if len(outside) > 1 else outside[0])
            return step + 1
        if step == 5 and elapsed >= 120:
            with svc.db.session() as session:
                theft = session.scalar(select(Theft).join(Tag, Tag.id == Theft.tag_id).where(Tag.code == bike))
                head = _simulated(session, Role.COMMANDER)
                if theft is not None and head is not None and theft.recovered_at is None:
                    from pingan.core.scope import scope_of

                    svc.tracking.recover(
                        session, Actor.of(head), scope_of(session, head), theft,
                        RecoveryCreate(place="东门岛某小区楼下", suspects=1, gang="东门岛盗窃电动车团伙"),
                    )  # fmt: skip
            return 6
        return step


def _simulated(session: Session, role: Role) -> User | None:
    """One of the simulation's own accounts (``sim_…``), never a login of the README."""
    return session.scalar(select(User).where(is_simulated(), User.role == role).order_by(User.id).limit(1))
