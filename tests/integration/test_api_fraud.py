"""The JSON API of the fraud loop (DESIGN §7): log-in, scoping by jurisdiction, masking, intake, task actions.

Every test runs the real app (`create_app(bootstrap(...))`) over a real database, SQLite and PostgreSQL,
with a fake clock. Two stations side by side (A west of B), the centres, and one user per role.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from sqlalchemy import func, select

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea
from pingan.core.identity import create_user, verify_password
from pingan.core.models import AccessLog, Area, Person, PersonPhone, Role, Task, TaskEvent, Unit, UnitKind, User
from pingan.core.settings import Settings
from pingan.core.setup import ensure_centre_units
from pingan.fraud.models import FraudEvent, FraudWarning
from pingan.fraud.workflow import KIND as DISSUASION_KIND
from pingan.workers.sweeper import sweep_once

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PASSWORD = "Zhenhai-2026-correct-horse"
API = "/api/v1"

# Station A covers lon 121.0-121.1, station B lon 121.1-121.2 (lat 29.0-29.1): points obvious by eye.
POINT_A = (121.05, 29.05)
POINT_B = (121.15, 29.05)
PHONE_A, PHONE_B = "13800000001", "13900000001"
NAME_A = "张三丰"
ID_NUMBER_A = "330225199001011234"


@cache
def password_hash() -> str:
    """An Argon2 hash of PASSWORD with cheap parameters: log-in still verifies it for real, in milliseconds."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@dataclass
class Api:
    client: TestClient
    services: Services
    clock: FakeClock
    db: Database
    area: dict[str, int]
    unit: dict[str, int]
    person: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)

    def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        response: httpx.Response = self.client.post(
            f"{API}/auth/token", data={"username": username, "password": password}
        )
        return response

    def auth(self, who: str) -> dict[str, str]:
        if who not in self.tokens:
            response = self.login(who)
            assert response.status_code == 200, response.text
            self.tokens[who] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str, **params: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(f"{API}{path}", headers=self.auth(who), params=params)
        return response

    def post(self, path: str, who: str, body: Any) -> httpx.Response:
        response: httpx.Response = self.client.post(f"{API}{path}", headers=self.auth(who), json=body)
        return response

    def events(self, body: Any, who: str = "analyst") -> httpx.Response:
        return self.post("/fraud/events", who, body)

    def user_id(self, username: str) -> int:
        with self.db.session() as session:
            found = session.scalar(select(User.id).where(User.username == username))
        assert found is not None, username
        return found

    def act(self, task_id: int, who: str, **body: Any) -> httpx.Response:
        return self.post(f"/tasks/{task_id}/actions", who, body)

    def report(self, phone: str, event_id: str, **extra: Any) -> tuple[int, int]:
        """A citizen's report about `phone` (a warning by nature): (warning id, task id)."""
        response = self.events([event(event_id, source="hotline", kind="report", subject_phone=phone, **extra)])
        assert response.status_code == 200, response.text
        [warning_id] = response.json()["warnings_opened"]
        with self.db.session() as s:
            task_id = s.scalar(select(FraudWarning.task_id).where(FraudWarning.id == warning_id))
        assert task_id is not None
        return warning_id, task_id

    def count(self, model: type[Any]) -> int:
        with self.db.session() as s:
            return s.scalar(select(func.count()).select_from(model)) or 0


def event(event_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": event_id,
        "source": "telecom",
        "kind": "call",
        "at": "2026-11-23T10:00:00+08:00",
        "subject_phone": PHONE_A,
        "counterpart": "17000000001",
        "duration_s": 30,
    }
    return {**base, **fields}


def make_api(db: Database, settings: Settings | None = None) -> Api:
    clock = FakeClock(T0)
    # Tokens that outlive the hours the fake clock is moved on by (staff tokens live an hour by default).
    services = bootstrap(settings or Settings(token_ttl_minutes=12 * 60), clock=clock, db=db)
    with db.session() as s:
        centres = ensure_centre_units(s)
        import_areas(
            s,
            [
                GeoArea("城东", "station-a", box(121.0, 29.0, 121.1, 29.1)),
                GeoArea("城西", "station-b", box(121.1, 29.0, 121.2, 29.1)),
            ],
        )
        area = {k: s.scalar(select(Area.id).where(Area.code == f"station-{k}")) or 0 for k in "ab"}
        unit = {
            k: s.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == area[k])) or 0
            for k in "ab"
        }
        bank = Unit(code="bank-1", name="某银行", kind=UnitKind.BANK)
        governance = Unit(code="gov-1", name="综治中心", kind=UnitKind.GOVERNANCE)
        s.add_all([bank, governance])
        s.flush()
        unit.update(bank=bank.id, governance=governance.id, centre=centres["anti-fraud-centre"])
        users = [
            ("admin", Role.ADMIN, None),
            ("analyst", Role.ANALYST, centres["anti-fraud-centre"]),
            ("commander", Role.COMMANDER, centres["command-centre"]),
            ("head_a", Role.STATION_HEAD, unit["a"]),
            ("officer_a", Role.OFFICER, unit["a"]),
            ("officer_b", Role.OFFICER, unit["b"]),
            ("partner", Role.PARTNER, bank.id),
            ("governance", Role.GOVERNANCE, governance.id),
            ("resident", Role.RESIDENT, None),
        ]
        for username, role, unit_id in users:
            user = create_user(s, username, None, role=role, display_name=username, unit_id=unit_id, now=T0)
            user.password_hash = password_hash()
        person: dict[str, int] = {}
        for key, name, phone, id_number, station in (
            ("a", NAME_A, PHONE_A, ID_NUMBER_A, area["a"]),
            ("b", "李四光", PHONE_B, "330225198505051237", area["b"]),
        ):
            row = Person(
                name=name,
                id_number=id_number,
                birth_year=1990,
                address="浙江省宁波市象山县丹城街道新华路12号3幢201室",
                station_id=station,
                tags=[],
                created_at=T0,
            )
            s.add(row)
            s.flush()
            s.add(PersonPhone(phone=phone, person_id=row.id))
            person[key] = row.id
    client = TestClient(create_app(services), raise_server_exceptions=False)
    return Api(client, services, clock, db, area, unit, person)


@pytest.fixture
def api(db: Database) -> Iterator[Api]:
    app = make_api(db)
    with app.client:
        yield app


def assert_error(response: httpx.Response, status: int, *, code: str | None = None, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) >= {"code", "message", "field"}
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert "Traceback" not in response.text
    if code is not None:
        assert body["error"]["code"] == code
    if field is not None:
        assert body["error"]["field"] == field


# --- log-in -------------------------------------------------------------------------------------------


def test_health_is_open(api: Api) -> None:
    response = api.client.get(f"{API}/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == api.db.engine.dialect.name


# The tags of the core and fraud routers: other capabilities' routes (the desk, Open311) have their own tests.
GUARDED_TAGS = {"auth", "jurisdictions", "notifications", "tasks", "audit", "fraud", "people", "system"}


def _guarded_routes(api: Api) -> list[tuple[str, str]]:
    open_paths = {f"{API}/health", f"{API}/health/live", f"{API}/health/ready", f"{API}/auth/token"}
    document = api.client.get(f"{API}/openapi.json").json()
    routes = []
    for path, operations in document["paths"].items():
        if path in open_paths or not path.startswith(API):
            continue
        for method, operation in operations.items():
            if set(operation.get("tags", ())) & GUARDED_TAGS:
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "1", path)))
    return routes


def test_every_route_but_health_and_login_needs_a_token(api: Api) -> None:
    routes = _guarded_routes(api)
    assert ("POST", f"{API}/fraud/events") in routes
    assert ("GET", f"{API}/fraud/warnings") in routes
    assert ("POST", f"{API}/tasks/1/actions") in routes
    for method, path in routes:
        response = api.client.request(method, path, json={})
        assert_error(response, 401, code="unauthorized")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        jwt.encode({"sub": "1", "exp": 4_102_444_800}, "another-secret-of-enough-length", algorithm="HS256"),
        jwt.encode({"sub": "1", "exp": 4_102_444_800}, "x", algorithm="HS384"),
    ],
    ids=["garbage", "other-key", "other-algorithm"],
)
def test_a_forged_or_garbled_token_is_refused(api: Api, token: str) -> None:
    response = api.client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 401, code="unauthorized")


def test_the_test_password_hash_is_a_real_argon2_hash() -> None:
    assert password_hash().startswith("$argon2")
    assert verify_password(PASSWORD, password_hash())
    assert not verify_password(PASSWORD + "x", password_hash())


def test_login_gives_a_token_that_identifies_the_user(api: Api) -> None:
    response = api.login("officer_a")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["role"] == "officer"
    assert body["user"]["unit_id"] == api.unit["a"]
    me = api.client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "officer_a"


@pytest.mark.parametrize(("username", "password"), [("officer_a", "wrong-password"), ("nobody", PASSWORD)])
def test_a_wrong_password_or_unknown_user_is_refused_alike(api: Api, username: str, password: str) -> None:
    response = api.login(username, password)
    assert_error(response, 401, code="unauthorized")
    assert response.json()["error"]["message"] == "用户名或密码错误"


def test_a_token_expires_after_its_lifetime(api: Api) -> None:
    headers = api.auth("officer_a")
    ttl = timedelta(minutes=api.services.settings.token_ttl_minutes)
    api.clock.set(T0 + ttl - timedelta(seconds=1))
    assert api.client.get(f"{API}/me", headers=headers).status_code == 200
    api.clock.set(T0 + ttl)
    assert_error(api.client.get(f"{API}/me", headers=headers), 401, code="unauthorized")


def test_a_deactivated_user_s_token_stops_working(api: Api) -> None:
    headers = api.auth("officer_a")
    assert api.client.get(f"{API}/me", headers=headers).status_code == 200
    with api.db.session() as s:
        user = s.scalar(select(User).where(User.username == "officer_a"))
        assert user is not None
        user.active = False
    assert_error(api.client.get(f"{API}/me", headers=headers), 401, code="unauthorized")
    assert_error(api.login("officer_a"), 401)


def test_a_short_token_lifetime_is_honoured(db: Database) -> None:
    app = make_api(db, Settings(token_ttl_minutes=5))
    headers = app.auth("analyst")
    app.clock.advance(minutes=4)
    assert app.client.get(f"{API}/fraud/warnings", headers=headers).status_code == 200
    app.clock.advance(minutes=1)
    assert_error(app.client.get(f"{API}/fraud/warnings", headers=headers), 401)


# --- who sees what -------------------------------------------------------------------------------------


@pytest.fixture
def two_warnings(api: Api) -> dict[str, tuple[int, int]]:
    """One warning (and its task) in each station."""
    return {"a": api.report(PHONE_A, "rep-a"), "b": api.report(PHONE_B, "rep-b")}


def test_warnings_are_routed_to_the_person_s_station(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    with api.db.session() as s:
        for key, (warning_id, task_id) in two_warnings.items():
            warning = s.get(FraudWarning, warning_id)
            task = s.get(Task, task_id)
            assert warning is not None
            assert task is not None
            assert (warning.area_id, warning.unit_id) == (api.area[key], api.unit[key])
            assert (task.area_id, task.unit_id, task.kind) == (api.area[key], api.unit[key], DISSUASION_KIND)


@pytest.mark.parametrize(("point", "station"), [(POINT_A, "a"), (POINT_B, "b")])
def test_an_unregistered_phone_is_placed_by_its_location(api: Api, point: tuple[float, float], station: str) -> None:
    lon, lat = point
    warning_id, task_id = api.report("13700000009", "loc-1", lon=lon, lat=lat)
    view = warning_of(api, warning_id)
    assert (view["station_id"], view["unit_id"]) == (api.area[station], api.unit[station])
    assert view["person"]["id"] is None
    other = "officer_b" if station == "a" else "officer_a"
    assert_error(api.get(f"/tasks/{task_id}", other), 404)


def test_a_warning_that_cannot_be_placed_goes_to_the_centre(api: Api) -> None:
    warning_id, task_id = api.report("13700000009", "nowhere")
    view = warning_of(api, warning_id)
    assert (view["station_id"], view["unit_id"]) == (None, api.unit["centre"])
    assert any(r["rule"] == "unresolved" for r in view["reasons"])
    for officer in ("officer_a", "officer_b"):
        assert_error(api.get(f"/tasks/{task_id}", officer), 404)
        assert api.get("/fraud/warnings", officer).json() == []


@pytest.mark.parametrize("who", ["officer_a", "head_a"])
def test_station_staff_see_only_their_station_s_warnings_and_tasks(
    api: Api, two_warnings: dict[str, tuple[int, int]], who: str
) -> None:
    (warning_a, task_a), (warning_b, task_b) = two_warnings["a"], two_warnings["b"]
    assert [w["id"] for w in api.get("/fraud/warnings", who).json()] == [warning_a]
    assert [t["id"] for t in api.get("/tasks", who).json()["items"]] == [task_a]
    assert api.get(f"/fraud/warnings/{warning_a}", who).status_code == 200
    assert api.get(f"/tasks/{task_a}", who).status_code == 200

    assert_error(api.get(f"/fraud/warnings/{warning_b}", who), 404)
    assert_error(api.get(f"/fraud/warnings/by-task/{task_b}", who), 404)
    assert_error(api.get(f"/tasks/{task_b}", who), 404)
    assert_error(api.act(task_b, who, action="sign"), 404)
    assert_error(api.get("/fraud/figures", who, area_id=api.area["b"]), 403, field="area_id")
    assert api.get("/fraud/warnings", who, area_id=api.area["b"]).json() == []


def test_an_officer_s_refused_action_on_another_station_changes_nothing(
    api: Api, two_warnings: dict[str, tuple[int, int]]
) -> None:
    _, task_b = two_warnings["b"]
    before = api.count(TaskEvent)
    api.act(task_b, "officer_a", action="sign")
    assert api.count(TaskEvent) == before
    assert api.get(f"/tasks/{task_b}", "officer_b").json()["status"] == "issued"


def test_an_officer_s_figures_cover_only_their_station(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    mine = api.get("/fraud/figures", "officer_a").json()
    assert mine["warnings"] == 1
    assert [row["area_id"] for row in mine["per_station"]] == [api.area["a"]]


@pytest.mark.parametrize("who", ["analyst", "commander", "admin"])
def test_the_centre_sees_every_station(api: Api, two_warnings: dict[str, tuple[int, int]], who: str) -> None:
    warnings = {w["id"] for w in api.get("/fraud/warnings", who).json()}
    tasks = {t["id"] for t in api.get("/tasks", who).json()["items"]}
    assert warnings == {w for w, _ in two_warnings.values()}
    assert tasks == {t for _, t in two_warnings.values()}
    for warning_id, task_id in two_warnings.values():
        assert api.get(f"/fraud/warnings/{warning_id}", who).status_code == 200
        assert api.get(f"/tasks/{task_id}", who).status_code == 200
    figures = api.get("/fraud/figures", who).json()
    assert figures["warnings"] == 2
    assert api.get("/fraud/figures", who, area_id=api.area["b"]).json()["warnings"] == 1


@pytest.mark.parametrize("who", ["resident", "partner", "governance"])
def test_residents_partners_and_governance_cannot_read_warnings(
    api: Api, two_warnings: dict[str, tuple[int, int]], who: str
) -> None:
    assert_error(api.get("/fraud/warnings", who), 403)
    for warning_id, task_id in two_warnings.values():
        for path in (f"/fraud/warnings/{warning_id}", f"/fraud/warnings/by-task/{task_id}", f"/tasks/{task_id}"):
            response = api.get(path, who)
            assert response.status_code in (403, 404), (path, response.text)
            assert PHONE_A[-4:] not in response.text
            assert PHONE_B[-4:] not in response.text
        assert_error(api.act(task_id, who, action="sign"), 404)
    assert api.get("/tasks", who).json()["items"] == []


def test_an_officer_cannot_post_intake_events(api: Api) -> None:
    assert_error(api.events([event("e1")], who="officer_a"), 403)


def test_a_partner_may_post_intake_events(api: Api) -> None:
    response = api.events(
        [event("bank-1", source="bank", kind="transfer", counterpart="6222021234567890123", amount="100")],
        who="partner",
    )
    assert response.status_code == 200
    assert response.json()["accepted"] == 1


# --- masking and the access log ------------------------------------------------------------------


def test_personal_data_is_masked_unless_revealed(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    warning_id, _ = two_warnings["a"]
    for view in (
        api.get(f"/fraud/warnings/{warning_id}", "officer_a").json(),
        api.get("/fraud/warnings", "officer_a").json()[0],
    ):
        person = view["person"]
        assert person["masked"] is True
        assert person["phone"] == "138****0001"
        assert person["name"] == "张**"
        assert person["id_number"] != ID_NUMBER_A
        assert person["id_number"].endswith("1234")
        assert "12号" not in person["address"]
    assert api.count(AccessLog) == 0


def test_reveal_unmasks_and_records_the_read(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    warning_id, _ = two_warnings["a"]
    response = api.get(f"/fraud/warnings/{warning_id}", "officer_a", reveal="true", purpose="上门劝阻")
    assert response.status_code == 200
    person = response.json()["person"]
    assert (person["name"], person["phone"], person["id_number"]) == (NAME_A, PHONE_A, ID_NUMBER_A)
    assert person["masked"] is False
    with api.db.session() as s:
        [row] = s.scalars(select(AccessLog)).all()
        officer_id = s.scalar(select(User.id).where(User.username == "officer_a"))
    assert row.user_id == officer_id
    assert row.subject_type == "person"
    assert row.subject_id == api.person["a"]
    assert "上门劝阻" in row.purpose
    assert row.at == T0
    audit = api.get("/audit/access", "admin").json()["items"]
    assert [(a["subject_id"], a["user_id"]) for a in audit] == [(api.person["a"], officer_id)]


def test_every_reveal_is_recorded_each_time(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    warning_id, task_id = two_warnings["a"]
    api.get(f"/fraud/warnings/{warning_id}", "officer_a", reveal="true")
    api.get(f"/fraud/warnings/by-task/{task_id}", "analyst", reveal="true")
    assert api.count(AccessLog) == 2


def test_a_refused_reveal_records_nothing(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    warning_id, _ = two_warnings["b"]
    assert_error(api.get(f"/fraud/warnings/{warning_id}", "officer_a", reveal="true"), 404)
    assert api.count(AccessLog) == 0


def test_numbers_in_an_event_s_text_are_masked_unless_revealed(api: Api) -> None:
    said = "对方让我报身份证330225199001011234和卡号6222021234567890128，共转账5000元"
    warning_id, _ = api.report("13800000009", "ev-text-1", text=said)
    (masked,) = api.get(f"/fraud/warnings/{warning_id}", "analyst").json()["events"]
    assert masked["text"] == "对方让我报身份证330225********1234和卡号6222***********0128，共转账5000元"
    assert api.count(AccessLog) == 0
    (shown,) = api.get(f"/fraud/warnings/{warning_id}", "analyst", reveal="true").json()["events"]
    assert shown["text"] == said
    with api.db.session() as s:
        [row] = s.scalars(select(AccessLog)).all()
    assert "text" in row.fields.split(",")


# --- intake --------------------------------------------------------------------------------------------


def test_a_valid_batch_is_stored_and_counted(api: Api) -> None:
    batch = [
        event("c1"),  # a call from a number on no list: stored, no warning
        event("c2", subject_phone=PHONE_B, counterpart="17000000002"),
        event("r1", source="hotline", kind="report", subject_phone=PHONE_B, counterpart=None, duration_s=None),
    ]
    response = api.events(batch)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["accepted"], body["duplicates"], body["rejected"]) == (3, 3, 0, [])
    assert len(body["warnings_opened"]) == 1
    assert api.count(FraudEvent) == 3
    assert api.count(FraudWarning) == 1


def test_the_events_wrapper_object_is_accepted(api: Api) -> None:
    response = api.events({"events": [event("w1"), event("w2")]})
    assert response.status_code == 200
    assert response.json()["accepted"] == 2


def test_a_replayed_batch_creates_nothing(api: Api) -> None:
    batch = [
        event("c1"),
        event("r1", source="hotline", kind="report", counterpart=None, duration_s=None),
        event("r2", source="citizen", kind="report", subject_phone=PHONE_B, counterpart=None, duration_s=None),
    ]
    assert api.events(batch).status_code == 200
    counts = [api.count(m) for m in (FraudEvent, FraudWarning, Task, TaskEvent)]
    response = api.events(batch)
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (0, 3)
    assert body["warnings_opened"] == body["warnings_updated"] == []
    assert [api.count(m) for m in (FraudEvent, FraudWarning, Task, TaskEvent)] == counts


def test_the_same_id_from_another_source_is_another_event(api: Api) -> None:
    api.events([event("same")])
    response = api.events(
        [event("same", source="internet", kind="url_visit", counterpart="http://evil.example.com/pay")]
    )
    assert response.json()["accepted"] == 1
    assert api.count(FraudEvent) == 2


def test_a_repeat_inside_one_batch_counts_once(api: Api) -> None:
    response = api.events([event("d1"), event("d1"), event("d2")])
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    assert api.count(FraudEvent) == 2


def test_a_mixed_batch_keeps_the_good_events_and_names_each_rejection(api: Api) -> None:
    no_phone = event("m5")
    del no_phone["subject_phone"]
    batch = [
        event("m0"),
        event("m1", duration_s="about a minute"),
        event("m2", kind="fax"),
        event("m3", lon=2.35, lat=48.85),  # Paris
        event("m4"),
        no_phone,
        event("m6", counterpart="not a phone number!"),
        event("m7", lon=121.05),  # lat missing
        event("m8", kind="transfer", counterpart="6222021234567890123", duration_s=None),  # no amount
        "just a string",
    ]
    response = api.events(batch)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["accepted"]) == (10, 2)
    rejected = {(r["index"], r["id"], r["error"]["field"]) for r in body["rejected"] if r["index"] != 9}
    assert rejected == {
        (1, "m1", "duration_s"),
        (2, "m2", "kind"),
        (3, "m3", "lon"),
        (5, "m5", "subject_phone"),
        (6, "m6", "counterpart"),
        (7, "m7", "lat"),
        (8, "m8", "amount"),
    }
    assert [(r["index"], r["id"]) for r in body["rejected"] if r["index"] == 9] == [(9, None)]
    assert all(r["error"]["code"] and r["error"]["message"] for r in body["rejected"])
    with api.db.session() as s:
        assert set(s.scalars(select(FraudEvent.source_id))) == {"m0", "m4"}


def test_a_batch_with_nothing_valid_is_422_naming_the_first_problem(api: Api) -> None:
    response = api.events([event("x0", kind="fax"), event("x1", duration_s=-1)])
    assert_error(response, 422, field="events[0].kind")
    assert len(response.json()["rejected"]) == 2
    assert api.count(FraudEvent) == 0


def test_invalid_json_is_422_on_the_body(api: Api) -> None:
    response = api.client.post(
        f"{API}/fraud/events",
        content=b'[{"id": "x", ',
        headers={**api.auth("analyst"), "content-type": "application/json"},
    )
    assert_error(response, 422, field="body")


@pytest.mark.parametrize("body", [[], {"events": []}])
def test_an_empty_batch_is_422(api: Api, body: Any) -> None:
    assert_error(api.events(body), 422, field="events")


@pytest.mark.parametrize("body", [b'{"event": []}', b'"events"', b"42", b"null", b'{"events": {"id": "x"}}'])
def test_a_body_that_is_not_a_batch_is_422(api: Api, body: bytes) -> None:
    response = api.client.post(
        f"{API}/fraud/events", content=body, headers={**api.auth("analyst"), "content-type": "application/json"}
    )
    assert_error(response, 422, field="events")


def test_more_events_than_the_batch_limit_is_413(db: Database) -> None:
    app = make_api(db, Settings(max_batch_events=5))
    assert app.events([event(f"b{i}") for i in range(5)]).status_code == 200
    response = app.events([event(f"c{i}") for i in range(6)])
    assert_error(response, 413, field="events")
    assert app.count(FraudEvent) == 5


def test_an_oversized_body_is_413(db: Database) -> None:
    app = make_api(db, Settings(max_body_bytes=1024))
    batch = [event(f"big{i}", text="诈" * 50) for i in range(10)]
    assert len(json.dumps(batch).encode()) > 1024
    assert_error(app.events(batch), 413, field="body")
    assert app.count(FraudEvent) == 0


def test_an_oversized_streamed_body_without_a_length_is_413(db: Database) -> None:
    app = make_api(db, Settings(max_body_bytes=1024))

    def chunks() -> Iterator[bytes]:
        yield b"["
        for i in range(20):
            yield json.dumps(event(f"s{i}")).encode() + b","
        yield json.dumps(event("last")).encode() + b"]"

    response = app.client.post(
        f"{API}/fraud/events", content=chunks(), headers={**app.auth("analyst"), "content-type": "application/json"}
    )
    assert_error(response, 413, field="body")
    assert app.count(FraudEvent) == 0


def test_an_oversized_streamed_action_body_is_413(db: Database) -> None:
    app = make_api(db, Settings(max_body_bytes=1024))

    def chunks() -> Iterator[bytes]:
        yield b'{"action": "note", "note": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    response = app.client.post(
        f"{API}/tasks/1/actions", content=chunks(), headers={**app.auth("analyst"), "content-type": "application/json"}
    )
    assert_error(response, 413, field="body")


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_event_time_outside_the_calendar_is_rejected_by_field(api: Api, at: str) -> None:
    response = api.events([event("t1", kind="report", source="hotline", at=at), event("t2")])
    assert response.status_code == 200, response.text
    assert [(r["index"], r["error"]["field"]) for r in response.json()["rejected"]] == [(0, "at")]


def test_an_absurdly_early_event_does_not_poison_later_events_for_that_phone(api: Api) -> None:
    api.events([event("early", kind="report", source="hotline", at="0001-01-01T00:30:00+00:00")])
    response = api.events([event("later", kind="report", source="hotline")])
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1


def test_a_nul_character_in_an_event_is_not_a_crash(api: Api) -> None:
    response = api.events([event("nul-1", kind="report", source="citizen", text="转账\x00给我"), event("ok")])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] + len(body["rejected"]) == 2
    assert all(r["error"]["field"] == "text" for r in body["rejected"])


_TEXT = st.text(st.characters(codec="utf-8"), max_size=24)
_SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) | _TEXT
)
_JSON = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3), max_leaves=8
)
_OFFSETS = st.sampled_from(["Z", "+08:00", "-05:00", "+00:00", "+14:00", ""])
_AT = st.one_of(
    st.builds(
        lambda d, o: d.isoformat() + o,
        st.datetimes(),
        _OFFSETS,
    ),
    st.integers(0, 4_000_000_000),
    _SCALARS,
)
_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": _TEXT | st.integers(0, 10),
    "source": st.sampled_from(["telecom", "bank", "internet", "citizen", "hotline", "platform", "desk", "fax"])
    | _SCALARS,
    "kind": st.sampled_from(["call", "sms", "transfer", "url_visit", "app_install", "report", "pushed_warning", "x"])
    | _SCALARS,
    "at": _AT,
    "subject_phone": st.sampled_from(
        [PHONE_A, PHONE_B, "+86 138 0000 0001", "１３８０００００００１", "110", "abc", ""]
    )
    | _SCALARS,
    "counterpart": st.sampled_from(["17000000001", "http://evil.example.com/p", "com.evil.app", "6222021234567890123"])
    | _SCALARS,
    "counterpart_kind": st.sampled_from(["phone", "account", "url", "domain", "app", "nope"]) | _SCALARS,
    "duration_s": st.integers(-10, 100_000) | _SCALARS,
    "amount": st.decimals(min_value=-1, max_value=Decimal("1e11"), places=3, allow_nan=False).map(str) | _SCALARS,
    "text": _TEXT,
    "lon": st.floats(-200, 200) | _SCALARS,
    "lat": st.floats(-100, 100) | _SCALARS,
    "crs": st.sampled_from(["wgs84", "gcj02", "bd09"]) | _SCALARS,
    "level": st.sampled_from(["low", "medium", "high", "critical", "extreme"]) | _SCALARS,
    "fraud_type": st.sampled_from(["investment", "romance", "unknown"]) | _SCALARS,
    "extra": _SCALARS,
}
_EVENTISH = st.fixed_dictionaries({}, optional=_FIELDS)
_BODIES = st.one_of(
    st.binary(max_size=64),
    _JSON.map(lambda v: json.dumps(v).encode()),
    st.lists(_EVENTISH | _JSON, max_size=6).map(lambda v: json.dumps(v).encode()),
    st.lists(_EVENTISH, min_size=1, max_size=6).map(lambda v: json.dumps({"events": v}).encode()),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(body=_BODIES)
def test_fuzzed_event_bodies_never_crash(api: Api, body: bytes) -> None:
    response = api.client.post(
        f"{API}/fraud/events", content=body, headers={**api.auth("analyst"), "content-type": "application/json"}
    )
    assert response.status_code < 500, response.text
    payload = response.json()
    if response.status_code >= 400:
        assert_error(response, response.status_code)
    if "received" in payload:
        assert payload["received"] == payload["accepted"] + payload["duplicates"] + len(payload["rejected"])
        for rejection in payload["rejected"]:
            assert set(rejection) == {"index", "id", "error"}
            assert set(rejection["error"]) == {"code", "message", "field"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=_JSON
    | st.fixed_dictionaries(
        {
            "action": st.sampled_from(
                ["sign", "call", "visit", "meet", "feedback", "evaluate", "close", "assign", "note", "dance"]
            )
        },
        optional={
            "answered": _SCALARS,
            "found": _SCALARS,
            "outcome": _SCALARS,
            "amount_yuan": _SCALARS,
            "reason": _SCALARS,
            "note": _SCALARS,
            "assignee_id": _SCALARS,
        },
    )
)
def test_fuzzed_task_actions_never_crash(api: Api, body: Any) -> None:
    response = api.post("/tasks/1/actions", "analyst", body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_error(response, response.status_code)


# --- working a warning through the task actions ---------------------------------------------------


def warning_of(api: Api, warning_id: int, who: str = "analyst") -> dict[str, Any]:
    response = api.get(f"/fraud/warnings/{warning_id}", who)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_an_officer_works_a_warning_up_the_whole_ladder(api: Api) -> None:
    warning_id, task_id = api.report(PHONE_A, "rep-1")
    assert warning_of(api, warning_id)["task"]["status"] == "issued"

    steps: list[tuple[dict[str, Any], str]] = [
        ({"action": "sign"}, "signed"),
        ({"action": "call", "answered": False}, "calling"),
        ({"action": "call", "answered": False}, "calling"),
        ({"action": "call", "answered": False}, "visiting"),
        ({"action": "visit", "found": False, "note": "家中无人"}, "visiting"),
        ({"action": "visit", "found": True}, "met"),
        ({"action": "feedback", "outcome": "dissuaded", "amount_yuan": "1234.56"}, "feedback"),
    ]
    for body, status in steps:
        api.clock.advance(minutes=1)
        response = api.act(task_id, "officer_a", **body)
        assert response.status_code == 200, (body, response.text)
        assert response.json()["status"] == status
    warning = warning_of(api, warning_id)
    assert (warning["outcome"], warning["amount_protected_yuan"], warning["status"]) == ("dissuaded", "1234.56", "open")

    api.clock.advance(minutes=30)
    response = api.act(task_id, "analyst", action="evaluate")
    assert response.status_code == 200
    assert response.json()["status"] == "evaluated"
    warning = warning_of(api, warning_id)
    assert warning["status"] == "closed"
    assert warning["task"]["status"] == "evaluated"

    history = api.get(f"/tasks/{task_id}", "officer_a").json()["history"]
    assert [h["action"] for h in history] == [
        "issue",
        "sign",
        "call",
        "call",
        "call",
        "visit",
        "visit",
        "feedback",
        "evaluate",
    ]
    assert {h["actor"] for h in history[1:-1]} == {"officer_a"}
    assert history[-1]["actor"] == "analyst"
    # The ladder's own account and the officer's note, both kept.
    assert history[5]["reason"] == "上门未见到本人（第1次），继续寻找；家中无人"


def test_defrauded_feedback_records_the_amount_lost(api: Api) -> None:
    warning_id, task_id = api.report(PHONE_A, "rep-1")
    for body in (
        {"action": "sign"},
        {"action": "meet"},
        {"action": "feedback", "outcome": "defrauded", "amount_yuan": "8800"},
    ):
        assert api.act(task_id, "officer_a", **body).status_code == 200
    warning = warning_of(api, warning_id)
    assert (warning["outcome"], warning["amount_lost_yuan"], warning["amount_protected_yuan"]) == (
        "defrauded",
        "8800.00",
        "0.00",
    )


@pytest.mark.parametrize("action", [{"action": "evaluate"}, {"action": "close", "reason": "无法联系"}])
def test_an_officer_cannot_evaluate_or_close(api: Api, action: dict[str, Any]) -> None:
    _, task_id = api.report(PHONE_A, "rep-1")
    assert_error(api.act(task_id, "officer_a", **action), 403, field="action")
    assert_error(api.act(task_id, "head_a", **action), 403, field="action")


def test_the_centre_closes_a_warning_with_a_reason(api: Api) -> None:
    warning_id, task_id = api.report(PHONE_A, "rep-1")
    api.act(task_id, "officer_a", action="sign")
    api.act(task_id, "officer_a", action="visit", found=False)
    api.clock.advance(hours=3)
    response = api.act(task_id, "commander", action="close", reason="本人已出境，经家属确认")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome"]) == ("closed", "unreachable")
    warning = warning_of(api, warning_id)
    assert (warning["status"], warning["outcome"]) == ("closed", "unreachable")
    history = api.get(f"/tasks/{task_id}", "analyst").json()["history"]
    assert history[-1]["reason"] == "中心关闭：无法联系；本人已出境，经家属确认"
    assert history[-1]["actor"] == "commander"


def test_closing_after_a_dissuasion_keeps_the_count_and_the_money_consistent(api: Api) -> None:
    warning_id, task_id = api.report(PHONE_A, "rep-1")
    for body in (
        {"action": "sign"},
        {"action": "meet"},
        {"action": "feedback", "outcome": "dissuaded", "amount_yuan": "5000"},
    ):
        assert api.act(task_id, "officer_a", **body).status_code == 200
    assert api.act(task_id, "analyst", action="close", reason="中心直接办结").status_code == 200
    figures = api.get("/fraud/figures", "analyst").json()
    assert (figures["dissuaded"], figures["protected_yuan"]) in {(1, "5000.00"), (0, "0.00")}
    warning = warning_of(api, warning_id)
    assert warning["outcome"] == "dissuaded" or warning["amount_protected_yuan"] == "0.00"


def test_closing_without_a_reason_is_refused(api: Api) -> None:
    _, task_id = api.report(PHONE_A, "rep-1")
    for body in ({"action": "close"}, {"action": "close", "reason": ""}):
        response = api.act(task_id, "analyst", **body)
        assert_error(response, 422)
        assert response.json()["error"]["field"].endswith("reason")
    assert api.get(f"/tasks/{task_id}", "analyst").json()["status"] == "issued"


@pytest.mark.parametrize(("body", "field"), [({"action": "close"}, "reason"), ({"action": "call"}, "answered")])
def test_a_bad_action_body_names_the_json_field(api: Api, body: dict[str, Any], field: str) -> None:
    _, task_id = api.report(PHONE_A, "rep-1")
    assert_error(api.act(task_id, "analyst", **body), 422, field=field)


def test_ladder_refusals_come_back_with_their_code(api: Api) -> None:
    _, task_id = api.report(PHONE_A, "rep-1")
    assert_error(api.act(task_id, "officer_a", action="call", answered=True), 409, code="not_signed")
    api.act(task_id, "officer_a", action="sign")
    assert_error(api.act(task_id, "officer_a", action="sign"), 409, code="already_signed")
    assert_error(api.act(task_id, "officer_a", action="feedback", outcome="dissuaded"), 409, code="not_reached")
    api.act(task_id, "officer_a", action="meet")
    assert_error(api.act(task_id, "officer_a", action="feedback", outcome="unreachable"), 422, field="outcome")
    assert_error(api.act(task_id, "officer_a", action="call", answered="perhaps"), 422)
    assert_error(api.act(task_id, "officer_a", action="dance"), 422)


def test_actions_on_a_closed_task_are_refused(api: Api) -> None:
    _, task_id = api.report(PHONE_A, "rep-1")
    assert api.act(task_id, "analyst", action="close", reason="误报").status_code == 200
    assert_error(api.act(task_id, "officer_a", action="sign"), 409, code="task_closed")


def test_only_the_station_head_or_centre_assigns(api: Api) -> None:
    _, task_id = api.report(PHONE_A, "rep-1")
    officer = api.user_id("officer_a")
    assert_error(api.act(task_id, "officer_a", action="assign", assignee_id=officer), 403, field="action")
    assigned = api.act(task_id, "head_a", action="assign", assignee_id=officer)
    assert assigned.status_code == 200
    assert assigned.json()["assignee"] is not None


def test_an_action_racing_the_sweeper_is_a_conflict_not_a_crash(api: Api) -> None:
    _, task_id = api.report(PHONE_A, "rep-1")
    api.clock.advance(minutes=6)  # past the sign deadline of a high warning
    workflow = api.services.tasks.workflows[DISSUASION_KIND]
    apply = workflow.apply
    swept: list[int] = []

    def racing(task: Task, command: Any, now: datetime) -> str | None:
        if not swept:
            swept.append(sweep_once(api.services))  # the sweeper commits after the API read the task
        return apply(task, command, now)

    workflow.apply = racing  # type: ignore[method-assign]
    try:
        response = api.act(task_id, "officer_a", action="sign")
    finally:
        workflow.apply = apply  # type: ignore[method-assign]
    assert swept == [1]
    assert_error(response, 409)


# --- the OpenAPI document ---------------------------------------------------------------------------


def test_the_openapi_document_lists_the_routes(api: Api) -> None:
    response = api.client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path, method in [
        ("/api/v1/health", "get"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/fraud/events", "post"),
        ("/api/v1/fraud/warnings", "get"),
        ("/api/v1/fraud/warnings/{warning_id}", "get"),
        ("/api/v1/fraud/figures", "get"),
        ("/api/v1/fraud/indicators", "post"),
        ("/api/v1/tasks", "get"),
        ("/api/v1/tasks/{task_id}", "get"),
        ("/api/v1/tasks/{task_id}/actions", "post"),
    ]:
        assert method in paths.get(path, {}), path
    events_body = paths["/api/v1/fraud/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "oneOf" in events_body


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_reference_in_the_openapi_document_resolves(api: Api) -> None:
    document = api.client.get(f"{API}/openapi.json").json()
    schemas = document.get("components", {}).get("schemas", {})
    dangling = sorted({ref for ref in _refs(document) if ref.removeprefix("#/components/schemas/") not in schemas})
    assert dangling == []
