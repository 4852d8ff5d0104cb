"""A small county for the tracking tests: the desk's world (stations A and B, their staff, residents) with
base stations, an operating company, and tagged bikes and bracelets whose owners live in station A."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pingan.core.db import Database
from pingan.core.identity import create_user
from pingan.core.models import Person, PersonPhone, Role, Unit, UnitKind
from pingan.migrate import upgrade
from pingan.tracking.models import Detection, Tag
from tests.integration.test_desk_api import API, T0, World, build_world

TR = f"{API}/tracking"
OWNER = "13800009001"
OTHER_OWNER = "13800009002"
GUARDIAN = "13800009003"

STATIONS = [
    {"code": "S1", "name": "甲一村基站", "lon": 121.02, "lat": 29.05, "village": "甲一村", "radius_m": 400},
    {"code": "S2", "name": "甲一村东基站", "lon": 121.025, "lat": 29.05, "village": "甲一村", "radius_m": 400},
    {"code": "S3", "name": "乙镇基站", "lon": 121.15, "lat": 29.05, "village": "乙一社区", "radius_m": 500},
    {"code": "S4", "name": "甲二社区基站", "lon": 121.07, "lat": 29.05, "village": "甲二社区", "radius_m": 500},
]
TAGS = [
    {
        "tag": "CARD-1",
        "kind": "vehicle_card",
        "owner_phone": OWNER,
        "owner_name": "秦某江",
        "plate": "浙B12345",
        "frame_no": "LX123",
        "installed_at": "2026-10-01",
        "service_point": "丹东车行",
    },
    {
        "tag": "CARD-2",
        "kind": "vehicle_card",
        "owner_phone": OTHER_OWNER,
        "owner_name": "李四",
        "plate": "浙B54321",
        "installed_at": "2026-10-02",
        "service_point": "丹东车行",
    },
    {
        "tag": "BR-1",
        "kind": "bracelet",
        "owner_phone": GUARDIAN,
        "owner_name": "王家属",
        "wearer_name": "王老伯",
        "installed_at": "2026-10-03",
        "safe_stations": "S1 S2",
    },
    {
        "tag": "AR-1",
        "kind": "anti_removal_bracelet",
        "owner_phone": GUARDIAN,
        "owner_name": "王家属",
        "wearer_name": "王某",
        "installed_at": "2026-10-03",
        "safe_stations": "S1",
    },
]


@dataclass
class TrackingWorld:
    w: World

    @property
    def client(self) -> Any:
        return self.w.client

    def post(self, who: str, path: str, body: Any) -> httpx.Response:
        response: httpx.Response = self.client.post(f"{TR}{path}", json=body, headers=self.w.staff(who))
        return response

    def get(self, who: str | dict[str, str], path: str, **params: Any) -> httpx.Response:
        headers = self.w.staff(who) if isinstance(who, str) else who
        response: httpx.Response = self.client.get(f"{TR}{path}", params=params, headers=headers)
        return response

    def detect(self, *items: dict[str, Any]) -> dict[str, Any]:
        response = self.post("feed", "/detections", list(items))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def count(self, model: Any) -> int:
        with self.w.services.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


def at(minutes: float = 0, base: datetime = T0) -> str:
    return (base + timedelta(minutes=minutes)).isoformat()


def build_tracking_world(db: Database, tmp_path: Path, **settings: Any) -> TrackingWorld:
    w = build_world(db, tmp_path, **settings)
    with db.session() as session:
        operator = Unit(code="diwang-operator", name="地网运营公司", kind=UnitKind.TELECOM)
        session.add(operator)
        session.flush()
        w.ids["diwang-operator"] = operator.id
        for username, role, unit in (("feed", Role.PARTNER, operator.id), ("diwang", Role.PARTNER, operator.id)):
            w.users[username] = create_user(
                session, username, None, role=role, display_name=username, unit_id=unit, now=T0
            ).id
        for phone, name in ((OWNER, "秦某江"), (OTHER_OWNER, "李四"), (GUARDIAN, "王家属")):
            person = Person(
                name=name, station_id=w.ids["area-A"], community_id=w.ids["area-A1"], created_at=T0, tags=[]
            )
            session.add(person)
            session.flush()
            session.add(PersonPhone(phone=phone, person_id=person.id))
    tw = TrackingWorld(w)
    assert tw.post("admin", "/stations", STATIONS).status_code == 200
    assert tw.post("admin", "/tags", TAGS).status_code == 200
    return tw


def migrated_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrackingWorld]:
    """A tracking world on a database the migrations built: a SQLite file, or (`request.param ==
    "postgresql"`) a fresh PostgreSQL database; for a test module's fixture parametrised on the two."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'tracking.db'}")
    else:
        db = Database(request.getfixturevalue("fresh_postgres_url"))
    upgrade(db)
    tw = build_tracking_world(db, tmp_path)
    try:
        yield tw
    finally:
        tw.client.close()
        tw.w.services.desk.close()
        db.dispose()


def track(tw: TrackingWorld, code: str) -> list[tuple[datetime, list[str], bool]]:
    """A tag's stored sightings in time order: instant, the stations that heard it, whether a jump."""
    with tw.w.services.db.session() as session:
        tag_id = session.scalar(select(Tag.id).where(Tag.code == code))
        rows = session.execute(
            select(Detection.at, Detection.stations, Detection.jump)
            .where(Detection.tag_id == tag_id)
            .order_by(Detection.at)
        )
        return [(r.at, sorted(r.stations), r.jump) for r in rows]
