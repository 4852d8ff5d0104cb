"""The citizen desk through its HTTP API (issue 3): sign-in, posting, bad input, scoping, diversion and closure,
re-routing, duplicates, rating, fraud leads, files.

Every test runs the real app over a real database, SQLite and PostgreSQL, with a fake clock (Monday
10:00 in Shanghai). Two stations side by side, A west of B; A is cut into communities A1 and A2, each
with its community officer; A has a town governance centre and A1 a village 平安前哨; the county has
its centres, its specialties and a governance centre. The other desk test modules build on this world.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import func, select, update

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea, wgs84_to_gcj02
from pingan.core.identity import Actor, create_user, issue_token
from pingan.core.models import (
    AccessLog,
    Area,
    AreaKind,
    Notification,
    Role,
    Task,
    TaskEvent,
    Unit,
    UnitKind,
    User,
)
from pingan.core.settings import Settings
from pingan.desk.media import Upload
from pingan.desk.models import DeskMedia, DeskMessage, DeskOtp, DeskRequest
from pingan.desk.otp import FakeSmsGateway
from pingan.desk.schemas import DeskRequestCreate, OfficerUpdate
from pingan.desk.setup import ensure_desk_units
from pingan.fraud.models import FraudEvent, FraudWarning

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
API = "/api/v1"
D = f"{API}/desk"
SECRET = "desk-tests-secret-0123456789abcdefghij"

# WGS84 points, obvious by eye: A1 is the west half of A, A2 the east half; B lies east of A.
POINT_A1 = (121.02, 29.05)
POINT_A2 = (121.07, 29.05)
POINT_B = (121.15, 29.05)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(200) + b"\xff\xd9"
OGG = b"OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00" + bytes(300)


@pytest.fixture(name="db", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_fixture(request: pytest.FixtureRequest) -> Iterator[Database]:
    """An empty database with every table: in-memory SQLite, or a throwaway PostgreSQL database."""
    url = "sqlite://" if request.param == "sqlite" else request.getfixturevalue("fresh_postgres_url")
    database = Database(url)
    database.create_all()
    yield database
    database.dispose()


@dataclass
class World:
    services: Services
    client: TestClient
    clock: FakeClock
    sms: FakeSmsGateway
    ids: dict[str, int]
    users: dict[str, int]
    _residents: dict[str, dict[str, str]] = field(default_factory=dict)
    _staff: dict[str, dict[str, str]] = field(default_factory=dict)

    # -- who --------------------------------------------------------------------------------------
    # Tokens are made once, at the start: PyJWT checks `iat` against the real time, so a token made
    # after the fake clock has run past the real one would not be accepted.

    def staff(self, name: str) -> dict[str, str]:
        if name not in self._staff:
            with self.services.db.session() as session:
                user = session.get(User, self.users[name])
                assert user is not None
                token = issue_token(user, SECRET, self.clock.now(), timedelta(days=30))
            self._staff[name] = {"Authorization": f"Bearer {token}"}
        return self._staff[name]

    def resident(self, phone: str) -> dict[str, str]:
        """Signed in the way a resident signs in: a code texted to the phone, then verified."""
        if phone not in self._residents:
            sent = self.client.post(f"{D}/auth/otp", json={"phone": phone})
            assert sent.status_code == 202, sent.text
            code = self.sms.last_code(phone)
            verified = self.client.post(f"{D}/auth/verify", json={"phone": phone, "code": code})
            assert verified.status_code == 200, verified.text
            self._residents[phone] = {"Authorization": f"Bearer {verified.json()['access_token']}"}
        return self._residents[phone]

    def quick_resident(self, phone: str) -> dict[str, str]:
        """Signed in without the texted code (for tests that need many residents at once)."""
        if phone not in self._residents:
            token = self.services.desk.residents.sign_in(phone).access_token
            self._residents[phone] = {"Authorization": f"Bearer {token}"}
        return self._residents[phone]

    def actor(self, name: str) -> Actor:
        with self.services.db.session() as session:
            user = session.get(User, self.users[name])
            assert user is not None
            return Actor.of(user)

    def actor_for_phone(self, phone: str) -> Actor:
        self.resident(phone)
        with self.services.db.session() as session:
            user = session.scalar(select(User).where(User.username == f"resident:{phone}"))
            assert user is not None
            return Actor.of(user)

    # -- doing ------------------------------------------------------------------------------------

    def post(
        self,
        who: dict[str, str],
        category: str = "consultation",
        text: str = "孩子上户口需要带哪些材料？",
        point: tuple[float, float] | None = POINT_A1,
        crs: str = "wgs84",
        **extra: Any,
    ) -> httpx.Response:
        body: dict[str, Any] = {"category": category, "text": text, **extra}
        if point is not None:
            body.update(lon=point[0], lat=point[1], crs=crs)
        response: httpx.Response = self.client.post(f"{D}/requests", json=body, headers=who)
        return response

    def posted(self, who: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        response = self.post(who, **kwargs)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def act(self, staff: str, request_id: int, action: str, **body: Any) -> httpx.Response:
        response: httpx.Response = self.client.post(
            f"{D}/staff/requests/{request_id}/{action}", json=body, headers=self.staff(staff)
        )
        return response

    def queue(self, staff: str, **params: Any) -> list[dict[str, Any]]:
        response = self.client.get(f"{D}/staff/requests", params=params, headers=self.staff(staff))
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def count(self, model: Any) -> int:
        with self.services.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def request_row(self, request_id: int) -> DeskRequest:
        with self.services.db.session() as session:
            row = session.get(DeskRequest, request_id)
            assert row is not None
            return row

    def task_of(self, request_id: int) -> Task:
        with self.services.db.session() as session:
            task = session.scalar(select(Task).where(Task.ref_type == "desk_request", Task.ref_id == request_id))
            assert task is not None
            return task

    def notes_to_unit(self, unit: str) -> list[str]:
        with self.services.db.session() as session:
            return list(
                session.scalars(
                    select(Notification.title).where(Notification.unit_id == self.ids[unit]).order_by(Notification.id)
                )
            )


def build_world(db: Database, tmp_path: Path, **settings: Any) -> World:
    clock = FakeClock(T0)
    sms = FakeSmsGateway()
    services = bootstrap(
        Settings(
            database_url=db.url,
            secret_key=SECRET,
            media_dir=tmp_path / "media",
            **settings,
        ),
        clock=clock,
        db=db,
        sms=sms,
    )
    ids: dict[str, int] = {}
    users: dict[str, int] = {}
    with db.session() as session:
        ids.update(ensure_desk_units(session))
        import_areas(
            session,
            [
                GeoArea("甲街道", "A", box(121.0, 29.0, 121.1, 29.1), {}),
                GeoArea("乙镇", "B", box(121.1, 29.0, 121.2, 29.1), {}),
            ],
        )
        import_areas(
            session,
            [
                GeoArea("甲一村", "A1", box(121.0, 29.0, 121.05, 29.1), {}),
                GeoArea("甲二社区", "A2", box(121.05, 29.0, 121.1, 29.1), {}),
            ],
            kind=AreaKind.COMMUNITY,
            parent_code="A",
            with_units=False,
        )
        import_areas(
            session,
            [GeoArea("乙一社区", "B1", box(121.1, 29.0, 121.2, 29.1), {})],
            kind=AreaKind.COMMUNITY,
            parent_code="B",
            with_units=False,
        )
        for area in session.scalars(select(Area)):
            ids[f"area-{area.code}"] = area.id
        for unit in session.scalars(select(Unit)):
            ids[unit.code] = unit.id
        for code, name, area_key in (("gov-A", "甲街道综治中心", "area-A"), ("gov-A1", "甲一村平安前哨", "area-A1")):
            unit = Unit(code=code, name=name, kind=UnitKind.GOVERNANCE, area_id=ids[area_key])
            session.add(unit)
            session.flush()
            ids[code] = unit.id
        people = (
            ("admin", Role.ADMIN, None, None),
            ("analyst", Role.ANALYST, "anti-fraud-centre", None),
            ("commander", Role.COMMANDER, "command-centre", None),
            ("officer_a1", Role.OFFICER, "station-A", "13900000001"),
            ("officer_a2", Role.OFFICER, "station-A", "13900000002"),
            ("head_a", Role.STATION_HEAD, "station-A", "13900000003"),
            ("officer_b", Role.OFFICER, "station-B", "13900000004"),
            ("gov_a", Role.GOVERNANCE, "gov-A", None),
            ("gov_a1", Role.GOVERNANCE, "gov-A1", None),
            ("gov_county", Role.GOVERNANCE, "governance-county", None),
            ("exit_officer", Role.OFFICER, "specialty-exit_entry", None),
            ("partner", Role.PARTNER, None, None),
        )
        names = {"officer_a1": "李警官", "officer_a2": "王警官", "officer_b": "赵警官"}
        for username, role, unit_code, phone in people:
            user = create_user(
                session,
                username,
                None,
                role=role,
                display_name=names.get(username, username),
                unit_id=ids[unit_code] if unit_code else None,
                now=T0,
                phone=phone,
            )
            users[username] = user.id
    services.jurisdictions.invalidate()
    world = World(services, TestClient(create_app(services)), clock, sms, ids, users)
    admin = world.actor("admin")
    for officer, area_key in (("officer_a1", "area-A1"), ("officer_a2", "area-A2"), ("officer_b", "area-B1")):
        services.desk.admin.set_officer(
            admin,
            users[officer],
            OfficerUpdate(area_id=ids[area_key], hours="工作日 08:30-17:30", contact_phone="0574-65000000"),
        )
    return world


@pytest.fixture(name="world")
def world_fixture(db: Database, tmp_path: Path) -> Iterator[World]:
    w = build_world(db, tmp_path)
    yield w
    w.client.close()
    w.services.desk.close()


# -- sign-in ---------------------------------------------------------------------------------------


def test_a_resident_signs_in_with_a_texted_code_stored_only_as_a_hash(world: World) -> None:
    sent = world.client.post(f"{D}/auth/otp", json={"phone": "+86 138-0000-0101"})
    assert sent.status_code == 202
    assert sent.json()["phone"] == "13800000101"
    code = world.sms.last_code("13800000101")
    assert code is not None
    assert len(code) == 6
    with world.services.db.session() as session:
        stored = session.scalars(select(DeskOtp.code_hash)).all()
    assert stored
    assert all(code not in h for h in stored)
    verified = world.client.post(f"{D}/auth/verify", json={"phone": "13800000101", "code": code})
    assert verified.status_code == 200
    token = verified.json()["access_token"]
    me = world.client.get(f"{D}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["phone"] == "13800000101"
    again = world.client.post(f"{D}/auth/verify", json={"phone": "13800000101", "code": code})
    assert again.status_code == 422
    assert again.json()["error"]["code"] == "otp_expired"


def test_the_code_is_never_in_the_answer_unless_the_demo_asks_for_it(world: World) -> None:
    assert world.services.desk.otp.policy.show_code is False  # the default settings
    sent = world.client.post(f"{D}/auth/otp", json={"phone": "13800000102"})
    assert sent.status_code == 202
    assert sent.json()["dev_code"] is None

    world.services.desk.otp.policy = replace(world.services.desk.otp.policy, show_code=True)  # as `pingan demo`
    shown = world.client.post(f"{D}/auth/otp", json={"phone": "13800000103"}).json()["dev_code"]
    assert shown == world.sms.last_code("13800000103")
    verified = world.client.post(f"{D}/auth/verify", json={"phone": "13800000103", "code": shown})
    assert verified.status_code == 200


def test_wrong_codes_are_counted_and_then_the_code_is_dead(world: World) -> None:
    world.client.post(f"{D}/auth/otp", json={"phone": "13800000102"})
    code = world.sms.last_code("13800000102")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        bad = world.client.post(f"{D}/auth/verify", json={"phone": "13800000102", "code": wrong})
        assert bad.status_code == 422
        assert bad.json()["error"] == {
            "code": "otp_invalid",
            "message": "验证码错误",
            "field": "code",
        }
    dead = world.client.post(f"{D}/auth/verify", json={"phone": "13800000102", "code": code})
    assert dead.status_code == 429
    assert dead.json()["error"]["code"] == "otp_exhausted"


def test_codes_expire_and_sends_are_rate_limited(world: World) -> None:
    world.client.post(f"{D}/auth/otp", json={"phone": "13800000103"})
    code = world.sms.last_code("13800000103")
    soon = world.client.post(f"{D}/auth/otp", json={"phone": "13800000103"})
    assert soon.status_code == 429
    assert int(soon.headers["Retry-After"]) > 0
    world.clock.advance(minutes=6)
    late = world.client.post(f"{D}/auth/verify", json={"phone": "13800000103", "code": code})
    assert late.status_code == 422
    assert late.json()["error"]["code"] == "otp_expired"
    for _ in range(4):
        assert world.client.post(f"{D}/auth/otp", json={"phone": "13800000103"}).status_code == 202
        world.clock.advance(minutes=2)
    over = world.client.post(f"{D}/auth/otp", json={"phone": "13800000103"})
    assert over.status_code == 429
    assert over.json()["error"]["field"] == "phone"


@pytest.mark.parametrize("phone", ["12345", "010-12345678", "abc", "+1 415 555 0100"])
def test_only_mainland_mobiles_get_codes(world: World, phone: str) -> None:
    response = world.client.post(f"{D}/auth/otp", json={"phone": phone})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "phone"


def test_a_gateway_outage_is_a_503_not_a_500(world: World) -> None:
    world.sms.fail = True
    response = world.client.post(f"{D}/auth/otp", json={"phone": "13800000104"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


def test_a_registered_resident_brings_their_tags_and_place_from_the_registry(world: World) -> None:
    from pingan.core.models import Person, PersonPhone

    with world.services.db.session() as session:
        person = Person(
            name="王阿婆", birth_year=1950, address="甲街道甲二社区5号", lon=POINT_A2[0], lat=POINT_A2[1],
            station_id=world.ids["area-A"], community_id=world.ids["area-A2"], tags=[], created_at=T0,
        )  # fmt: skip
        session.add(person)
        session.flush()
        session.add(PersonPhone(phone="13800000105", person_id=person.id))
    me = world.client.get(f"{D}/me", headers=world.resident("13800000105")).json()
    assert me["tags"] == ["elderly"]
    assert me["community"] == "甲二社区"


# -- my community officer ---------------------------------------------------------------------------


def test_my_officer_is_found_from_a_phone_location_in_gcj02(world: World) -> None:
    glon, glat = wgs84_to_gcj02(*POINT_A2)
    card = world.client.get(f"{D}/me/officer", params={"lon": glon, "lat": glat}, headers=world.resident("13800000201"))
    assert card.status_code == 200
    assert (
        card.json().items()
        >= {
            "name": "王警官",
            "station": "甲街道派出所",
            "hours": "工作日 08:30-17:30",
            "matched_by": "location",
        }.items()
    )


def test_my_officer_is_found_from_an_address_or_my_profile(world: World) -> None:
    me = world.resident("13800000202")
    card = world.client.get(f"{D}/me/officer", params={"address": "某县甲街道甲一村12号"}, headers=me).json()
    assert (card["name"], card["matched_by"]) == ("李警官", "address")
    unknown = world.client.get(f"{D}/me/officer", params={"address": "火星某处"}, headers=me)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["field"] == "address"
    nothing = world.client.get(f"{D}/me/officer", headers=me)
    assert nothing.status_code == 422
    world.client.put(f"{D}/me", json={"lon": POINT_B[0], "lat": POINT_B[1], "crs": "wgs84"}, headers=me)
    assert world.client.get(f"{D}/me/officer", headers=me).json()["name"] == "赵警官"


def test_staff_cannot_use_the_residents_side(world: World) -> None:
    response = world.client.get(f"{D}/me/officer", params={"address": "甲一村"}, headers=world.staff("officer_a1"))
    assert response.status_code == 403


# -- posting ---------------------------------------------------------------------------------------


def test_the_welcome_names_the_unit_once_when_the_officer_name_already_carries_it(world: World) -> None:
    with world.services.db.session() as session:
        officer = session.scalars(select(User).where(User.username == "officer_a1")).one()
        officer.display_name = "甲街道派出所 李警官"
    world.services.desk.requests.directory.invalidate()
    posted = world.posted(world.resident("13800000302"), topic="household")
    assert posted["messages"][0]["body"].startswith("您的诉求已受理，由甲街道派出所 李警官处理，")


def test_a_question_reaches_the_community_officer_with_a_reply_deadline(world: World) -> None:
    me = world.resident("13800000301")
    posted = world.posted(me, topic="household")
    assert posted["handler"] == {
        "route": "officer",
        "route_name": "社区民警",
        "unit_id": world.ids["station-A"],
        "unit": "甲街道派出所",
        "officer": "李警官",
    }
    assert posted["reply_due_at"] == "2026-11-23T02:30:00Z"
    assert posted["status"] == "issued"
    assert posted["messages"][0]["body"] == "您的诉求已受理，由甲街道派出所 李警官处理，预计11月23日 10:30前答复。"
    task = world.task_of(posted["id"])
    assert (task.kind, task.unit_id, task.assignee_id) == (
        "desk_request",
        world.ids["station-A"],
        world.users["officer_a1"],
    )
    assert world.notes_to_unit("station-A")[-1].startswith("新任务")
    assert [i["id"] for i in world.queue("officer_a1")] == [posted["id"]]


def test_the_same_post_with_its_client_ref_is_answered_once(world: World) -> None:
    me = world.resident("13800000302")
    first = world.post(me, client_ref="app-0001")
    again = world.post(me, client_ref="app-0001", text="不同的文字也一样")
    header = world.client.post(
        f"{D}/requests", json={"category": "hazard", "text": "路灯坏了"}, headers={**me, "Idempotency-Key": "app-0001"}
    )
    assert (first.status_code, again.status_code, header.status_code) == (201, 200, 200)
    assert first.json()["id"] == again.json()["id"] == header.json()["id"]
    assert again.json()["replayed"] is True
    assert world.count(DeskRequest) == 1
    assert world.count(Task) == 1


def test_the_same_text_posted_twice_without_a_client_ref_is_refused(world: World) -> None:
    me = world.resident("13800000303")
    first = world.posted(me)
    second = world.post(me, text="孩子上户口  需要带哪些材料?")
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "duplicate_post"
    assert str(first["id"]) in second.json()["error"]["message"]
    world.clock.advance(minutes=11)
    assert world.post(me).status_code == 201


def test_floods_from_one_phone_and_one_address_are_refused_with_retry_after(world: World) -> None:
    me = world.resident("13800000304")
    for i in range(5):
        assert (
            world.post(me, text=f"第{i}个问题：户口迁移怎么办理", point=(121.01 + i * 0.001, 29.05)).status_code == 201
        )
    sixth = world.post(me, text="第6个问题", point=(121.03, 29.06))
    assert sixth.status_code == 429
    assert sixth.json()["error"]["field"] == "phone"
    assert 0 < int(sixth.headers["Retry-After"]) <= 3600
    emergency = world.post(me, category="emergency", text="有人打架")
    assert emergency.status_code == 429
    assert "110" in emergency.json()["error"]["message"]
    world.clock.advance(hours=1, minutes=1)
    assert world.post(me, text="一小时后可以再问", point=(121.04, 29.07)).status_code == 201
    # One address, many phones: 30 a day.
    for i in range(30):
        other = world.quick_resident(f"1370000{i:04d}")
        assert world.post(other, text=f"楼道堆物{i}", address="甲街道甲一村8号", point=None).status_code == 201, i
    blocked = world.post(
        world.quick_resident("13700009999"), text="楼道堆物又来了", address="甲街道 甲一村 8号", point=None
    )
    assert blocked.status_code == 429
    assert blocked.json()["error"]["field"] == "address"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"category": "consultation", "text": "   "}, "text", "empty_text"),
        ({"category": "consultation"}, "text", "empty_text"),
        ({"category": "gossip", "text": "x"}, "category", "enum"),
        ({"category": "nuisance", "topic": "exit_entry", "text": "x"}, "topic", "value_error"),
        ({"category": "hazard", "text": "x", "lon": 121.0}, "lat", "value_error"),
        ({"category": "hazard", "text": "x", "lon": 29.05, "lat": 121.02}, "lat", "less_than_equal"),
        ({"category": "hazard", "text": "x", "lon": 2.35, "lat": 48.85}, "lon", "value_error"),
        ({"category": "hazard", "text": "x", "lon": 120.5, "lat": 30.5, "crs": "wgs84"}, "lon", "outside_county"),
        ({"category": "hazard", "text": "x" * 2001}, "text", "string_too_long"),
        ({"category": "hazard", "text": "x", "urgent": True}, "urgent", "extra_forbidden"),
        ({"category": "hazard", "text": "x", "client_ref": "has space"}, "client_ref", "string_pattern_mismatch"),
        ({"category": "hazard", "text": "x", "lon": "east", "lat": 29}, "lon", "float_parsing"),
    ],
)
def test_bad_posts_get_a_clear_error_and_store_nothing(
    world: World, body: dict[str, Any], field: str, code: str
) -> None:
    response = world.client.post(f"{D}/requests", json=body, headers=world.resident("13800000305"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    assert response.json()["error"]["code"] == code
    assert world.count(DeskRequest) == world.count(Task) == 0


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"category": "hazard", "text": ', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"category=hazard&text=x", "application/x-www-form-urlencoded"),
        (
            b'--x\r\nContent-Disposition: form-data; name="category"\r\n\r\nhazard\r\n',
            "multipart/form-data; boundary=x",
        ),
        (b"\xff\xfe\x00", "text/plain"),
    ],
)
def test_malformed_bodies_are_422s_never_500s(world: World, content: bytes, content_type: str) -> None:
    response = world.client.post(
        f"{D}/requests", content=content, headers={**world.resident("13800000306"), "Content-Type": content_type}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] in ("body", "category", "text")


def test_a_post_needs_a_resident(world: World) -> None:
    assert world.post({}).status_code == 401
    assert world.post(world.staff("officer_a1")).status_code == 403
    assert world.post({"Authorization": "Bearer not-a-token"}).status_code == 401


# -- files -----------------------------------------------------------------------------------------


def _multipart(world: World, who: dict[str, str], files: list[tuple[str, bytes, str]], **fields: str) -> httpx.Response:
    data = {
        "category": "hazard",
        "text": "河边护栏断了",
        "lon": str(POINT_A1[0]),
        "lat": str(POINT_A1[1]),
        "crs": "wgs84",
    }
    data.update(fields)
    response: httpx.Response = world.client.post(
        f"{D}/requests",
        data=data,
        files=[("files", (name, io.BytesIO(content), ctype)) for name, content, ctype in files],
        headers=who,
    )
    return response


def test_photos_and_voice_notes_are_stored_and_served_only_to_those_allowed(world: World) -> None:
    me = world.resident("13800000401")
    response = _multipart(world, me, [("a.jpg", JPEG, "image/jpeg"), ("voice.ogg", OGG, "application/octet-stream")])
    assert response.status_code == 201, response.text
    media = response.json()["media"]
    assert [(m["kind"], m["mime"], m["size"]) for m in media] == [
        ("image", "image/jpeg", len(JPEG)),
        ("audio", "audio/ogg", len(OGG)),
    ]
    audio = media[1]
    played = world.client.get(audio["url"])  # the signed link: no header needed, as an <audio src> loads it
    assert played.status_code == 200
    assert played.content == OGG
    assert played.headers["content-type"] == "audio/ogg"
    assert played.headers["x-content-type-options"] == "nosniff"
    ranged = world.client.get(audio["url"], headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206
    assert ranged.content == b"OggS"
    plain = f"{D}/media/{audio['id']}"
    assert world.client.get(plain, headers=me).status_code == 200
    assert world.client.get(plain, headers=world.staff("officer_a1")).status_code == 200
    assert world.client.get(plain, headers=world.resident("13800000402")).status_code == 404
    assert world.client.get(plain, headers=world.staff("gov_a")).status_code == 404
    assert world.client.get(plain, headers=world.staff("officer_b")).status_code == 404
    assert world.client.get(plain).status_code == 401
    tampered = audio["url"].replace("sig=", "sig=0")
    assert world.client.get(tampered).status_code == 403
    world.clock.advance(hours=2)
    assert world.client.get(audio["url"]).status_code == 403


def test_a_voice_note_alone_is_a_request(world: World) -> None:
    response = _multipart(
        world, world.resident("13800000403"), [("v.amr", b"#!AMR\n" + bytes(100), "audio/amr")], text=""
    )
    assert response.status_code == 201
    assert response.json()["media"][0]["mime"] == "audio/amr"


def test_bad_files_are_refused_and_leave_nothing_behind(world: World, tmp_path: Path) -> None:
    me = world.resident("13800000404")
    disguised = _multipart(world, me, [("a.jpg", JPEG, "image/jpeg"), ("b.jpg", b"<?php echo 1;", "image/jpeg")])
    assert disguised.status_code == 422
    assert disguised.json()["error"]["field"] == "files[1]"
    big = _multipart(world, me, [("big.png", b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024 + 1), "image/png")])
    assert big.status_code == 413
    assert big.json()["error"]["code"] in ("file_too_large", "body_too_large")
    too_many = _multipart(world, me, [("a.jpg", JPEG, "image/jpeg")] * 7)
    assert too_many.status_code == 422
    wrong_name = world.client.post(
        f"{D}/requests",
        data={"category": "hazard", "text": "x"},
        files=[("photo", ("a.jpg", JPEG, "image/jpeg"))],
        headers=me,
    )
    assert wrong_name.status_code == 422
    assert wrong_name.json()["error"]["field"] == "photo"
    outside = _multipart(world, me, [("a.jpg", JPEG, "image/jpeg")], lon="120.5", lat="30.5")
    assert outside.status_code == 422
    assert outside.json()["error"]["code"] == "outside_county"
    assert world.count(DeskRequest) == world.count(DeskMedia) == 0
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]


def test_a_post_that_fails_after_writing_its_files_removes_them(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> str:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(world.services.desk.requests, "_welcome", boom)
    with pytest.raises(RuntimeError):
        world.services.desk.requests.post(
            world.actor_for_phone("13800000405"),
            DeskRequestCreate(category="hazard", text="x", lon=POINT_A1[0], lat=POINT_A1[1], crs="wgs84"),
            [Upload("a.jpg", "image/jpeg", JPEG)],
        )
    assert world.count(DeskRequest) == world.count(DeskMedia) == world.count(Task) == 0
    assert not [p for p in (tmp_path / "media").rglob("*") if p.is_file()]


# -- emergencies and fraud ---------------------------------------------------------------------------


def test_an_emergency_says_call_110_at_once_and_still_alerts_the_station_and_the_centre(world: World) -> None:
    posted = world.posted(
        world.resident("13800000501"), category="emergency", text="小孩独自在家爬窗户", point=POINT_A2
    )
    assert posted["call_110"] is True
    assert "110" in posted["notice"]
    assert "110" in posted["messages"][0]["body"]
    assert posted["handler"]["unit"] == "甲街道派出所"
    assert posted["reply_due_at"] == "2026-11-23T02:05:00Z"
    assert world.notes_to_unit("station-A")[-1].startswith("新任务【特高危】")
    assert world.notes_to_unit("command-centre")[-1].startswith("新任务【特高危】")


def test_suspected_fraud_becomes_a_lead_in_the_fraud_loop_once(world: World) -> None:
    posted = world.posted(world.resident("13800000502"), category="fraud", text="有人自称公安让我把钱转到安全账户")
    assert world.count(FraudEvent) == 0  # the post announced it; the outbox worker reports it
    assert world.services.outbox.run_until_idle() == 1
    with world.services.db.session() as session:
        event = session.scalar(select(FraudEvent).where(FraudEvent.source == "desk"))
        assert event is not None
        assert (event.source_id, event.kind, event.subject_phone) == (f"desk-{posted['id']}", "report", "13800000502")
        warning = session.get(FraudWarning, event.warning_id)
        assert warning is not None
        assert warning.task_id is not None
    row = world.request_row(posted["id"])
    assert row.fraud_forwarded_at == T0
    assert row.fraud_warning_id == warning.id
    with world.services.db.session() as session:
        notes = session.scalars(
            select(DeskMessage.body).where(DeskMessage.request_id == posted["id"], DeskMessage.internal)
        ).all()
    # The note says what type of fraud the text reads as (the classifier, through the desk's port).
    [note] = notes
    assert note.startswith(f"已转反诈中心（预警#{warning.id}）；研判类型：冒充公检法及政府机关类（置信度 ")
    # Reporting again (as if the mark had been lost) adds nothing to the fraud loop.
    with world.services.db.session() as session:
        session.execute(update(DeskRequest).values(fraud_forwarded_at=None))
    with world.services.db.session() as session:
        assert world.services.desk.requests.forward_fraud(session, [posted["id"]]) == 1
    assert world.request_row(posted["id"]).fraud_warning_id == warning.id
    assert world.count(FraudEvent) == 1
    assert world.count(FraudWarning) == 1
    # The desk request itself is answered by the community officer.
    assert posted["handler"]["officer"] == "李警官"


# -- scoping ---------------------------------------------------------------------------------------


def test_each_sees_only_their_own_requests(world: World) -> None:
    alice, bob = world.resident("13800000601"), world.resident("13800000602")
    question = world.posted(alice)["id"]
    noise = world.posted(alice, category="nuisance", topic="noise", text="广场舞音响太吵", point=POINT_A2)["id"]
    village = world.posted(bob, category="dispute", text="宅基地边界纠纷", point=POINT_A1)["id"]
    in_b = world.posted(bob, category="hazard", text="路灯坏了", point=POINT_B)["id"]
    assert [i["id"] for i in world.client.get(f"{D}/requests", headers=alice).json()["items"]] == [noise, question]
    assert world.client.get(f"{D}/requests/{in_b}", headers=alice).status_code == 404
    assert {i["id"] for i in world.queue("gov_a")} == {noise}
    assert {i["id"] for i in world.queue("gov_a1")} == {village}
    assert world.queue("gov_county") == []
    assert {i["id"] for i in world.queue("officer_b")} == {in_b}
    # Diverted to governance, the noise and the village dispute are no longer the station's.
    assert {i["id"] for i in world.queue("head_a")} == {question}
    assert {i["id"] for i in world.queue("commander")} == {question, noise, village, in_b}
    assert world.client.get(f"{D}/staff/requests/{in_b}", headers=world.staff("gov_a")).status_code == 404
    assert world.client.get(f"{D}/staff/requests", headers=world.staff("partner")).status_code == 403
    assert world.client.get(f"{D}/staff/requests", headers=alice).status_code == 403


def test_staff_see_phones_masked_unless_they_ask_and_the_read_is_recorded(world: World) -> None:
    posted = world.posted(world.resident("13800000603"), address="甲街道甲一村12号3室")
    masked = world.client.get(f"{D}/staff/requests/{posted['id']}", headers=world.staff("officer_a1")).json()
    assert masked["phone"] == "138****0603"
    assert masked["masked"] is True
    assert "12号" not in masked["address"]
    shown = world.client.get(
        f"{D}/staff/requests/{posted['id']}",
        params={"reveal": True, "purpose": "回电"},
        headers=world.staff("officer_a1"),
    ).json()
    assert shown["phone"] == "13800000603"
    assert shown["address"] == "甲街道甲一村12号3室"
    with world.services.db.session() as session:
        log = session.scalars(select(AccessLog)).all()
    assert [(a.user_id, a.subject_type, a.subject_id, a.purpose) for a in log] == [
        (world.users["officer_a1"], "desk_request", posted["id"], "回电")
    ]
    assert world.queue("officer_a1")[0]["phone"] == "138****0603"


# -- diversion and closure -------------------------------------------------------------------------


def test_a_nuisance_is_diverted_answered_and_closed_by_the_department(world: World) -> None:
    me = world.resident("13800000701")
    posted = world.posted(me, category="nuisance", topic="dog", text="楼下的狗每天晚上一直叫", point=POINT_A2)
    assert posted["handler"]["route"] == "governance"
    assert posted["handler"]["unit"] == "甲街道综治中心"
    assert posted["notice"] == "该诉求由甲街道综治中心处理"
    rid = posted["id"]
    assert world.act("officer_a2", rid, "reply", body="我来答").status_code == 404  # the department's, not theirs
    replied = world.act("gov_a", rid, "reply", body="已联系物业和犬主，今晚起拴养")
    assert replied.status_code == 200
    assert replied.json()["status"] == "replied"
    closed = world.act("gov_a", rid, "close", resolution="resolved")
    assert closed.status_code == 200
    assert closed.json()["status"] == "resolved"
    seen = world.client.get(f"{D}/requests/{rid}", headers=me).json()
    assert [m["author"] for m in seen["messages"]] == ["system", "staff", "system"]
    assert (
        seen["messages"][1].items()
        >= {"author_name": "gov_a", "unit": "甲街道综治中心", "body": "已联系物业和犬主，今晚起拴养"}.items()
    )
    assert seen["can_rate"] is True
    rated = world.client.post(f"{D}/requests/{rid}/rate", json={"rating": 5, "comment": "很快"}, headers=me)
    assert rated.status_code == 200
    assert rated.json()["rating"] == 5
    assert rated.json()["can_rate"] is False
    assert world.client.post(f"{D}/requests/{rid}/rate", json={"rating": 4}, headers=me).status_code == 409


def test_a_station_diverts_a_non_police_matter_to_the_local_department_with_a_reason(world: World) -> None:
    me = world.resident("13800000702")
    rid = world.posted(me, category="hazard", text="小区门口井盖松动", point=POINT_A1)["id"]
    diverted = world.act("officer_a1", rid, "divert", reason="市政设施，非警务")
    assert (diverted.status_code, diverted.json()["error"]["code"]) == (403, "handed_over")
    assert world.act("officer_a1", rid, "reply", body="我来答").status_code == 404  # it is the department's now
    row = world.request_row(rid)
    assert (row.unit_id, row.route.value) == (world.ids["gov-A1"], "governance")
    assert [i["id"] for i in world.queue("gov_a1")] == [rid]
    history = world.client.get(f"{D}/staff/requests/{rid}", headers=world.staff("gov_a1")).json()["history"]
    assert [(h["action"], h["reason"]) for h in history][-1] == ("divert", "分流；市政设施，非警务")
    assert history[-1]["data"]["from_unit_id"] == world.ids["station-A"]
    assert "甲一村平安前哨" in world.client.get(f"{D}/requests/{rid}", headers=me).json()["messages"][-1]["body"]
    assert world.notes_to_unit("gov-A1")[-1].startswith("转来诉求")
    not_gov = world.act("commander", rid, "divert", reason="x", unit_id=world.ids["station-B"])
    assert not_gov.status_code == 422
    assert not_gov.json()["error"]["field"] == "unit_id"


def test_closing_without_an_answer_needs_a_reason_and_resolving_needs_a_reply(world: World) -> None:
    rid = world.posted(world.resident("13800000703"))["id"]
    assert world.act("officer_a1", rid, "close", resolution="closed").json()["error"]["field"] == "reason"
    unreplied = world.act("officer_a1", rid, "close", resolution="resolved")
    assert unreplied.status_code == 422
    assert unreplied.json()["error"]["field"] == "answer"
    done = world.act("officer_a1", rid, "close", resolution="resolved", answer="带户口本和出生证明到派出所户籍窗口办理")
    assert done.status_code == 200
    assert done.json()["status"] == "resolved"
    assert world.request_row(rid).replied_on_time is True
    history = [(h["action"], h["reason"]) for h in done.json()["history"]]
    assert history[-2:] == [("reply", "最终答复"), ("close", "办结")]


# -- triage and re-routing -------------------------------------------------------------------------


def test_a_specialty_question_is_triaged_by_the_command_centre_and_rerouted_with_its_history(world: World) -> None:
    me = world.resident("13800000801")
    posted = world.posted(me, topic="exit_entry", text="护照过期了怎么换发？")
    rid = posted["id"]
    assert (posted["handler"]["route"], posted["handler"]["unit"]) == ("triage", "情报指挥中心")
    view = world.client.get(f"{D}/staff/requests/{rid}", headers=world.staff("commander")).json()
    assert view["suggested_unit"] == "出入境管理大队"
    assert world.queue("exit_officer") == []
    moved = world.act("commander", rid, "reroute", unit_id=world.ids["specialty-exit_entry"], reason="出入境业务")
    assert moved.status_code == 200
    assert moved.json()["route"] == "specialty"
    assert [i["id"] for i in world.queue("exit_officer")] == [rid]
    world.clock.advance(minutes=10)
    assert world.act("exit_officer", rid, "reply", body="可在出入境窗口办理，需带身份证").status_code == 200
    history = world.client.get(f"{D}/staff/requests/{rid}", headers=world.staff("commander")).json()["history"]
    assert [h["action"] for h in history] == ["issue", "reroute", "reply"]
    assert history[1]["reason"] == "改派；出入境业务"
    assert history[1]["data"]["from_unit_id"] == world.ids["command-centre"]
    seen = world.client.get(f"{D}/requests/{rid}", headers=me).json()
    assert seen["handler"]["unit"] == "出入境管理大队"
    assert seen["status"] == "replied"


def test_a_reroute_needs_a_reason_and_a_real_unit(world: World) -> None:
    rid = world.posted(world.resident("13800000802"))["id"]
    no_reason = world.act("officer_a1", rid, "reroute", unit_id=world.ids["station-B"])
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["field"] == "reason"
    nowhere = world.act("officer_a1", rid, "reroute", unit_id=987654, reason="x")
    assert nowhere.status_code == 422
    assert nowhere.json()["error"]["field"] == "unit_id"
    other_station_staff = world.act("officer_b", rid, "reroute", unit_id=world.ids["station-B"], reason="x")
    assert other_station_staff.status_code == 404
    moved = world.act("officer_a1", rid, "reroute", unit_id=world.ids["station-B"], reason="属乙镇辖区")
    assert (moved.status_code, moved.json()["error"]["code"]) == (403, "handed_over")  # done; no longer A's
    assert world.request_row(rid).unit_id == world.ids["station-B"]
    assert [i["id"] for i in world.queue("officer_b")] == [rid]
    assert world.queue("officer_a1") == []
    gone = world.act("gov_a1", world.posted(world.resident("13800000803"), category="dispute", text="邻里纠纷")["id"],
                     "reroute", unit_id=world.ids["gov-A"], reason="归街道")  # fmt: skip
    assert gone.status_code == 403
    assert gone.json()["error"]["code"] == "handed_over"


# -- duplicates ------------------------------------------------------------------------------------


def test_a_request_like_an_open_one_nearby_is_offered_as_a_duplicate_and_merged(world: World) -> None:
    first_me, second_me = world.resident("13800000901"), world.resident("13800000902")
    here = (121.02, 29.05)
    near = (121.02, 29.05 + 200 / 111_195)  # 200 m north
    world.staff("gov_a1")
    first = world.posted(first_me, category="nuisance", topic="noise", text="楼上装修噪音太大，中午也不停", point=here)
    world.clock.advance(days=2)
    second = world.posted(
        second_me, category="nuisance", topic="noise", text="楼上装修噪音很大，中午都不停", point=near
    )
    row = world.request_row(second["id"])
    assert row.duplicate_of_id == first["id"]
    assert (row.duplicate_score or 0) >= 0.3
    flagged = world.queue("gov_a1", duplicates=True)
    assert [i["id"] for i in flagged] == [second["id"]]
    assert flagged[0]["duplicate_of_id"] == first["id"]
    offered = world.client.get(f"{D}/staff/requests/{second['id']}/duplicates", headers=world.staff("gov_a1")).json()
    assert [o["id"] for o in offered] == [first["id"]]
    merged = world.act("gov_a1", second["id"], "merge", into_id=first["id"])
    assert merged.status_code == 200
    assert merged.json()["status"] == "closed"
    assert merged.json()["merged_into_id"] == first["id"]
    world.act("gov_a1", first["id"], "reply", body="已约谈装修方，中午12-14点停工")
    follower = world.client.get(f"{D}/requests/{second['id']}", headers=second_me).json()
    assert follower["merged_into_id"] == first["id"]
    assert follower["messages"][-1]["body"] == "已约谈装修方，中午12-14点停工"
    assert all(m["body"] != "楼上装修噪音太大，中午也不停" for m in follower["messages"])
    assert world.act("gov_a1", second["id"], "merge", into_id=first["id"]).status_code == 409


@pytest.mark.parametrize(
    ("what", "category", "text", "metres", "days"),
    [
        ("farther than 250 m", "nuisance", "楼上装修噪音很大，中午都不停", 300, 1),
        ("another kind", "dispute", "楼上装修噪音很大，中午都不停", 10, 1),
        ("other words", "nuisance", "小区门口的路灯坏了好几天", 10, 1),
        ("more than 7 days later", "nuisance", "楼上装修噪音很大，中午都不停", 10, 8),
    ],
)
def test_unlike_requests_are_not_duplicates(
    world: World, what: str, category: str, text: str, metres: float, days: int
) -> None:
    here = (121.02, 29.05)
    first = world.posted(
        world.resident("13800000903"), category="nuisance", text="楼上装修噪音太大，中午也不停", point=here
    )
    with world.services.db.session() as session:  # as if it had come `days` ago
        session.execute(
            update(DeskRequest).where(DeskRequest.id == first["id"]).values(created_at=T0 - timedelta(days=days))
        )
    second = world.posted(
        world.resident("13800000904"), category=category, text=text, point=(here[0], here[1] + metres / 111_195)
    )
    assert world.request_row(second["id"]).duplicate_of_id is None, what


def test_a_closed_request_is_no_longer_a_duplicate_target(world: World) -> None:
    first = world.posted(world.resident("13800000905"), category="hazard", text="河边护栏断了很危险")
    world.act("officer_a1", first["id"], "close", resolution="resolved", answer="已通知水利部门修复")
    second = world.posted(world.resident("13800000906"), category="hazard", text="河边的护栏断了，很危险")
    assert world.request_row(second["id"]).duplicate_of_id is None


# -- follow-ups ------------------------------------------------------------------------------------


def test_a_follow_up_after_a_reply_asks_again_and_restarts_the_clock(world: World) -> None:
    me = world.resident("13800001001")
    rid = world.posted(me)["id"]
    world.act("officer_a1", rid, "reply", body="带户口本")
    world.clock.advance(hours=8)  # 18:00 local: outside office hours
    asked = world.client.post(f"{D}/requests/{rid}/messages", json={"body": "还需要照片吗？"}, headers=me)
    assert asked.status_code == 200
    assert asked.json()["status"] == "signed"
    assert asked.json()["reply_due_at"] == (T0 + timedelta(hours=10)).isoformat().replace("+00:00", "Z")
    internal = world.act("officer_a1", rid, "reply", body="她上次也问过", internal=True)
    assert internal.json()["status"] == "signed"
    assert all(
        m["body"] != "她上次也问过" for m in world.client.get(f"{D}/requests/{rid}", headers=me).json()["messages"]
    )
    assert world.client.post(f"{D}/requests/{rid}/messages", json={"body": ""}, headers=me).status_code == 422


def test_messages_and_the_task_history_agree(world: World) -> None:
    rid = world.posted(world.resident("13800001002"))["id"]
    world.act("officer_a1", rid, "sign")
    world.act("officer_a1", rid, "reply", body="带户口本")
    with world.services.db.session() as session:
        actions = [e.action for e in session.scalars(select(TaskEvent).order_by(TaskEvent.id))]
        replies = session.scalars(select(DeskMessage.body).where(DeskMessage.author_kind == "staff")).all()
    assert actions == ["issue", "sign", "reply"]
    assert replies == ["带户口本"]


def test_the_openapi_document_describes_the_desk(world: World) -> None:
    doc = world.client.get(f"{API}/openapi.json").json()
    assert {"/api/v1/desk/requests", "/api/v1/desk/auth/otp", "/api/v1/desk/staff/requests/{request_id}/divert"} <= set(
        doc["paths"]
    )
    assert "multipart/form-data" in doc["paths"]["/api/v1/desk/requests"]["post"]["requestBody"]["content"]
    assert json.dumps(doc)  # serialisable
