"""The access matrix, generated from the OpenAPI document: every operation × every role × the actor's relation
to the object gives the answer written down in `tests/integration/access_matrix.py`.

Every path and method of `app.openapi()` is enumerated; one without a written entry fails the suite by name
("new endpoint without an access decision: …"), and so does one without a way to call it here. Calls reach
real rows, made fresh for each cell when a success would use them up: dissuasion tasks and warnings of
station A and of station B, desk requests of two residents (one in A, one in B), people, templates of the
county, of station A and of station B, pushes, routing rules, robots, indicators, users, fraud cases of
station A and of station B, stop-payment orders of station A to bank X and of station B to bank Y (the partner
acting on them is bank X's liaison), tags of owners in station A and B (and the resident's own), base stations,
thefts, card openings. Bodies are valid, so that a refusal is the access decision's and a success is a success.
It runs on SQLite and on PostgreSQL.

The actors are the desk tests' world: admin, analyst, commander, station A's head and officer, a partner,
station A's governance centre, a resident, and nobody (no token). "own" is station A's (the actor's) or the
resident's own; "other" is station B's or another resident's; "county" is the county's.

The task actions of every workflow (kind × action × role) are in `test_task_access.py`, written down in the
same data module; here `POST /tasks/{id}/actions` is the `note` action, which every kind has.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from pingan.command.patrol.models import DutyShift, PatrolUnit, ShiftKind
from pingan.core.db import Database
from pingan.core.identity import create_user, issue_token
from pingan.core.models import Person, PersonPhone, Role, Unit, UnitKind, User
from pingan.desk.models import DeskMedia, DeskPushDelivery
from pingan.desk.open311.keys import create_api_key
from pingan.desk.open311.models import Open311Request
from pingan.fraud.models import FraudWarning
from pingan.migrate import upgrade
from tests.integration.access_matrix import (
    ACTOR_OF_ROLE,
    ALLOWED,
    EXPECTED,
    HIDDEN,
    RELATIONS,
    ROLES,
    Answer,
    desk_expected,
    dissuasion_expected,
)
from tests.integration.test_cards_api import REGISTERED, opening
from tests.integration.test_desk_api import (
    API,
    JPEG,
    POINT_A1,
    POINT_B,
    SECRET,
    T0,
    D,
    World,
    build_world,
)

PASSWORD = "Matrix-2026-correct-horse"
ROLE_USERS = {
    "admin": "admin",
    "analyst": "analyst",
    "commander": "commander",
    "station_head": "head_a",
    "officer": "officer_a1",
    "partner": "partner",
    "governance": "gov_a",
}
RESIDENT_PHONE, OTHER_RESIDENT_PHONE = "13800009001", "13800009002"
INDICATOR = "13800138000"


@cache
def _password_hash() -> str:
    """An Argon2 hash of PASSWORD with cheap parameters: sign-in verifies it for real, in milliseconds."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@dataclass
class Call:
    method: str
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    files: list[Any] | None = None
    headers: dict[str, str] | None = None
    """Instead of the role's own: a fresh account of the role, for calls that end its sessions."""


@dataclass
class Matrix:
    """The world, and fresh rows of each kind in the relation a cell asks for."""

    world: World
    _serial: Iterator[int] = field(default_factory=lambda: count(1))
    open311_key: str = ""
    feed_tag: str = ""
    patrol_a: int = 0

    def n(self) -> int:
        return next(self._serial)

    # -- who -------------------------------------------------------------------------------------

    def headers(self, role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        if role == "resident":
            return self.world.quick_resident(RESIDENT_PHONE)
        return self.world.staff(ROLE_USERS[role])

    def user_id(self, role: str) -> int:
        if role == "resident":
            self.headers("resident")
            return self._resident_id(RESIDENT_PHONE)
        return self.world.users[ROLE_USERS[role]]

    def _resident_id(self, phone: str) -> int:
        with self.world.services.db.session() as session:
            uid = session.scalar(select(User.id).where(User.username == f"resident:{phone}"))
            assert uid is not None
            return int(uid)

    def fresh(self, role: str) -> dict[str, str]:
        """A new account of `role` (in the same unit as the role's own) with a password, signed in."""
        if role == "anonymous":
            return {}
        if role == "resident":
            return self.world.quick_resident(f"1370000{self.n():04d}")
        with self.world.services.db.session() as session:
            model = session.get(User, self.world.users[ROLE_USERS[role]])
            assert model is not None
            user = create_user(
                session,
                f"{ROLE_USERS[role]}_{self.n()}",
                None,
                role=model.role,
                display_name="临时账号",
                unit_id=model.unit_id,
                now=T0,
            )
            user.password_hash = _password_hash()
            token = issue_token(user, SECRET, self.world.clock.now(), timedelta(days=1))
        return {"Authorization": f"Bearer {token}"}

    def staff_user(self, relation: str, role: Role = Role.OFFICER) -> int:
        """A new staff account of station A ("own") or B ("other")."""
        unit = self.world.ids["station-A" if relation == "own" else "station-B"]
        with self.world.services.db.session() as session:
            user = create_user(
                session, f"u{self.n()}", None, role=role, display_name="新民警", unit_id=unit, now=T0, phone=None
            )
            return user.id

    # -- rows ------------------------------------------------------------------------------------

    def warning(self, relation: str) -> tuple[int, int]:
        """A new warning (and its dissuasion task) of a resident of station A or B: (warning id, task id)."""
        n = self.n()
        lon, lat = POINT_A1 if relation == "own" else POINT_B
        event = {
            "id": f"matrix-{n}",
            "source": "telecom",
            "kind": "call",
            "at": "2026-11-23T09:00:00+08:00",
            "subject_phone": f"1390574{n:04d}",
            "counterpart": INDICATOR,
            "lon": lon,
            "lat": lat,
            "crs": "wgs84",
        }
        result = self.world.services.intake.ingest([event])
        assert result.accepted == 1, result
        with self.world.services.db.session() as session:
            warning = session.scalar(select(FraudWarning).order_by(FraudWarning.id.desc()).limit(1))
            assert warning is not None
            assert warning.task_id is not None
            return warning.id, warning.task_id

    def task(self, relation: str) -> int:
        return self.warning(relation)[1]

    def request(self, relation: str, *, replied: bool = False, photo: bool = False) -> int:
        """A new desk request: the resident's own, held by station A ("own"), or another resident's, held by
        station B ("other"); or the resident's own, held by station A and then handed to 出入境 ("handed") or
        diverted to the town's governance centre ("diverted").
        """
        if relation == "handed":
            rid = self.request("own")
            moved = self.world.act(
                "admin", rid, "reroute", unit_id=self.world.ids["specialty-exit_entry"], reason="护照业务"
            )
            assert moved.status_code == 200, moved.text
            return rid
        if relation == "diverted":  # to station A's town governance centre, the governance actor's unit
            rid = self.request("own")
            moved = self.world.act("admin", rid, "divert", unit_id=self.world.ids["gov-A"], reason="非警务事项")
            assert moved.status_code == 200, moved.text
            return rid
        phone, point = (RESIDENT_PHONE, POINT_A1) if relation == "own" else (OTHER_RESIDENT_PHONE, POINT_B)
        who = self.world.quick_resident(phone)
        text = f"咨询第{self.n()}个问题"
        if photo:
            response = self.world.client.post(
                f"{D}/requests",
                data={"category": "consultation", "text": text, "lon": str(point[0]), "lat": str(point[1])},
                files=[("files", ("a.jpg", io.BytesIO(JPEG), "image/jpeg"))],
                headers=who,
            )
            assert response.status_code == 201, response.text
            rid = int(response.json()["id"])
        else:
            rid = int(self.world.posted(who, text=text, point=point)["id"])
        if replied:
            officer = "officer_a1" if relation == "own" else "officer_b"
            answered = self.world.act(officer, rid, "reply", body="已答复")
            assert answered.status_code == 200, answered.text
        return rid

    def request_task(self, relation: str) -> int:
        return self.world.task_of(self.request(relation)).id

    def media(self, relation: str) -> int:
        rid = self.request(relation, photo=True)
        with self.world.services.db.session() as session:
            mid = session.scalar(select(DeskMedia.id).where(DeskMedia.request_id == rid))
            assert mid is not None
            return int(mid)

    def person_phone(self, relation: str) -> str:
        """A registered person living in station A or B, by phone."""
        n = self.n()
        phone = f"1350000{n:04d}"
        lon, lat = POINT_A1 if relation == "own" else POINT_B
        station = self.world.ids["area-A" if relation == "own" else "area-B"]
        with self.world.services.db.session() as session:
            person = Person(
                name="张三丰", birth_year=1960, address="某街道1号", lon=lon, lat=lat,
                station_id=station, tags=[], created_at=T0,
            )  # fmt: skip
            session.add(person)
            session.flush()
            session.add(PersonPhone(phone=phone, person_id=person.id))
        return phone

    def bank(self, role: str) -> dict[str, str] | None:
        """The partner as bank X's liaison (the banks' calls need a bank); every other role as itself."""
        return self.world.staff("partner_x") if role == "partner" else None

    def order(self, relation: str, state: str = "issued") -> int:
        """A new stop-payment order of a victim of station A to bank X ("own"), or of station B to bank Y
        ("other"), brought to `state` by the anti-fraud centre and the bank."""
        bank, area = ("bank-x", "area-A") if relation == "own" else ("bank-y", "area-B")
        body = {
            "bank_unit_id": self.world.ids[bank],
            "account": f"6222021{self.n():012d}",
            "account_name": "张三",
            "amount_yuan": "50000",
            "basis": "受害人被冒充客服诈骗转账",
            "area_id": self.world.ids[area],
        }
        analyst = self.world.staff("analyst")
        created = self.world.client.post(f"{API}/payments/stops", json=body, headers=analyst)
        assert created.status_code == 201, created.text
        order_id = int(created.json()["id"])
        steps = {
            "issued": [],
            "held": [{"action": "answer", "result": "stopped", "amount_stopped_yuan": "50000"}],
            "freeze_ordered": [
                {"action": "answer", "result": "stopped", "amount_stopped_yuan": "50000"},
                {"action": "order_freeze", "basis": "冻结决定书"},
            ],
            "frozen": [
                {"action": "answer", "result": "stopped", "amount_stopped_yuan": "50000"},
                {"action": "order_freeze", "basis": "冻结决定书"},
                {"action": "freeze", "amount_frozen_yuan": "50000"},
            ],
        }
        extra = {
            "renewal_ordered": {"action": "order_renewal", "basis": "续冻决定书"},
            "return_ordered": {"action": "order_return", "amount_yuan": "50000", "basis": "返还决定书"},
        }
        for step in steps.get(state, steps["frozen"]) + ([extra[state]] if state in extra else []):
            done = self.world.client.post(f"{API}/payments/orders/{order_id}/actions", json=step, headers=analyst)
            assert done.status_code == 200, done.text
        return order_id

    def case(self, relation: str) -> int:
        """A new fraud case of a victim of station A ("own") or B ("other"), opened by the anti-fraud centre."""
        body = _case(self, "area-A" if relation == "own" else "area-B")
        created = self.world.client.post(f"{API}/cases", json=body, headers=self.world.staff("analyst"))
        assert created.status_code == 201, created.text
        return int(created.json()["id"])

    def campaign(self, relation: str) -> int:
        """A new warning campaign to the elderly of station A ("own") or B ("other"), sent by the centre."""
        area = self.world.ids["area-A" if relation == "own" else "area-B"]
        body = {"fraud_type": "impersonate_officials", "area_ids": [area], "group": "elderly"}
        created = self.world.client.post(f"{API}/campaigns", json=body, headers=self.world.staff("analyst"))
        assert created.status_code == 201, created.text
        return int(created.json()["id"])

    def tag(self, role: str, relation: str, kind: str = "vehicle_card") -> str:
        """A new tag: for a resident, their own ("own") or another resident's ("other"); for staff, one of an
        owner living in station A ("own") or B ("other")."""
        n = self.n()
        if role == "resident":
            phone = RESIDENT_PHONE if relation == "own" else OTHER_RESIDENT_PHONE
        else:
            phone = self.person_phone(relation)
        code = f"MT-{n}"
        row: dict[str, Any] = {"tag": code, "kind": kind, "owner_phone": phone, "owner_name": "秦某江"}
        row.update(
            {"wearer_name": "王老伯", "safe_stations": "MS-A"} if kind == "bracelet" else {"plate": f"浙B{n:05d}"}
        )
        row["installed_at"] = "2026-10-01"
        done = self.world.client.post(f"{API}/tracking/tags", json=[row], headers=self.world.staff("admin"))
        assert done.status_code == 200, done.text
        assert not done.json().get("rejected"), done.text
        return code

    def theft(self, role: str, relation: str) -> int:
        """A new theft of a bike whose tag is the resident's / of an owner of station A ("own") or B ("other")."""
        stolen = (self.world.clock.now() - timedelta(minutes=30)).isoformat()
        body = {"tag": self.tag(role, relation), "stolen_at": stolen}
        done = self.world.client.post(f"{API}/tracking/thefts", json=body, headers=self.world.staff("admin"))
        assert done.status_code == 201, done.text
        return int(done.json()["id"])

    def shift(self, relation: str) -> int:
        """A new roster row of station A's patrol unit ("own") or station B's ("other")."""
        code = "PU-A" if relation == "own" else "PU-B"
        now = self.world.clock.now()
        with self.world.services.db.session() as session:
            unit = session.scalar(select(PatrolUnit).where(PatrolUnit.code == code))
            assert unit is not None
            shift = DutyShift(
                kind=ShiftKind.DUTY,
                unit_id=unit.unit_id,
                patrol_unit_id=unit.id,
                starts_at=now,
                ends_at=now + timedelta(hours=8),
                created_at=now,
            )
            session.add(shift)
            session.flush()
            return int(shift.id)

    def alarm(self, relation: str) -> int:
        """A new 110 alarm in station A ("own") or B ("other")."""
        point = POINT_A1 if relation == "own" else POINT_B
        body = {"source": "110", "source_id": f"MX-{self.n()}", "category": "dispute", "text": "邻里吵架"}
        done = self.world.client.post(
            f"{API}/command/alarms", json={**body, "lon": point[0], "lat": point[1]}, headers=self.world.staff("admin")
        )
        assert done.status_code == 201, done.text
        return int(done.json()["id"])

    def person(self, relation: str) -> int:
        """A registered person living in station A or B, by id."""
        phone = self.person_phone(relation)
        with self.world.services.db.session() as session:
            pid = session.scalar(select(PersonPhone.person_id).where(PersonPhone.phone == phone))
            assert pid is not None
            return int(pid)

    def verify_list(self, relation: str) -> int:
        """A new pushed list: with a row in station A ("own"), or rows in station B only ("other")."""
        from pingan.command.verify.service import ListHeader

        point = POINT_A1 if relation == "own" else POINT_B
        rows = [(1, {"kind": "place", "address": "出租房", "lon": point[0], "lat": point[1]})]
        header = ListHeader(f"matrix-{self.n()}", "矩阵清单", "本级")
        result = self.world.services.verify.push(header, rows, self.world.users["admin"])
        assert result.accepted == 1, result
        return result.list_id

    def rehab_plan(self) -> int:
        """A person under a community rehabilitation plan (station A's)."""
        from pingan.command.rehab.schemas import PlanIn

        n = self.n()
        body = PlanIn.model_validate(
            {
                "id": f"matrix-{n}",
                "kind": "detox",
                "name": "矩阵",
                "id_number": "330225199001011234",
                "starts_on": "2026-11-01",
                "ends_on": "2027-11-01",
            }
        )
        with self.world.services.db.session() as session:
            plan, _ = self.world.services.rehab.create(session, body)
            return plan.id

    def department(self) -> int:
        """A county department (住建) that leads the findings of station B's area."""
        if "dept-matrix" not in self.world.ids:
            with self.world.services.db.session() as session:
                unit = Unit(code="dept-matrix", name="县住建局", kind=UnitKind.GOVERNANCE)
                session.add(unit)
                session.flush()
                self.world.ids["dept-matrix"] = unit.id
        return self.world.ids["dept-matrix"]

    def danger(self, relation: str) -> int:
        """A new finding in station A's area led by its governance centre ("own"), or in station B's led by a
        county department ("other"), recorded by the centre."""
        point, lead = (POINT_A1, self.world.ids["gov-A"]) if relation == "own" else (POINT_B, self.department())
        body = {"kind": "fire_lane", "title": f"通道{self.n()}", "place": "小区北门", "lon": point[0], "lat": point[1]}
        done = self.world.client.post(
            f"{API}/command/dangers", json={**body, "lead_unit_id": lead}, headers=self.world.staff("commander")
        )
        assert done.status_code == 201, done.text
        return int(done.json()["id"])

    def danger_photo(self, relation: str) -> tuple[int, int]:
        danger = self.danger(relation)
        done = self.world.client.post(
            f"{API}/command/dangers/{danger}/photos",
            data={"stage": "before"},
            files=[("files", ("p.jpg", JPEG, "image/jpeg"))],
            headers=self.world.staff("admin"),
        )
        assert done.status_code == 201, done.text
        return danger, int(done.json()[0]["id"])

    def dispute(self, role: str, relation: str) -> int:
        """A new dispute held by station A ("own"; for the governance actor, held by its own centre) or by
        station B ("other"), registered by the unit holding it."""
        who = ("gov_a" if role == "governance" else "head_a") if relation == "own" else "head_b"
        point = POINT_A1 if relation == "own" else POINT_B
        parties = [{"name": "王某", "phone": "13900001111"}, {"name": "李某", "role": "respondent"}]
        body = {
            "category": "neighbour",
            "title": f"漏水纠纷{self.n()}",
            "lon": point[0],
            "lat": point[1],
            "parties": parties,
        }
        done = self.world.client.post(f"{API}/command/disputes", json=body, headers=self.world.staff(who))
        assert done.status_code == 201, done.text
        return int(done.json()["id"])

    def template(self, relation: str) -> int:
        """A new push template: station A's ("own"), station B's ("other") or the county's ("county")."""
        author = {"own": "head_a", "other": "head_b", "county": "commander"}[relation]
        body = {"code": f"t{self.n()}", "kind": "fraud", "title": "警惕诈骗", "body": "{area}居民请注意"}
        response = self.world.client.post(f"{D}/push-templates", json=body, headers=self.world.staff(author))
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def push(self, relation: str) -> int:
        """A push sent by station A's head ("own") or station B's ("other")."""
        author, area = ("head_a", "area-A") if relation == "own" else ("head_b", "area-B")
        body = {"kind": "fraud", "title": "警惕诈骗", "body": "请注意", "area_ids": [self.world.ids[area]]}
        response = self.world.client.post(f"{D}/pushes", json=body, headers=self.world.staff(author))
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def delivery(self, relation: str) -> int:
        """A push delivered to the resident ("own") or to another resident ("other")."""
        phone = RESIDENT_PHONE if relation == "own" else OTHER_RESIDENT_PHONE
        self.world.quick_resident(phone)
        self.push("own" if relation == "own" else "other")
        resident = self._resident_id(phone)
        with self.world.services.db.session() as session:
            did = session.scalar(
                select(DeskPushDelivery.id)
                .where(DeskPushDelivery.resident_id == resident)
                .order_by(DeskPushDelivery.id.desc())
                .limit(1)
            )
            assert did is not None, "the push reached the resident"
            return int(did)

    def rule(self) -> int:
        body = {"target": "station", "area_id": self.world.ids["area-A"], "name": f"规则{self.n()}"}
        response = self.world.client.post(f"{D}/admin/routing-rules", json=body, headers=self.world.staff("admin"))
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def robot(self) -> int:
        body = {"unit_id": self.world.ids["station-A"], "webhook": f"https://oapi.dingtalk.com/robot/{self.n()}"}
        response = self.world.client.post(f"{D}/admin/dingtalk-robots", json=body, headers=self.world.staff("admin"))
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def indicator(self) -> int:
        body = {"kind": "phone", "value": f"1330000{self.n():04d}"}
        response = self.world.client.post(f"{API}/fraud/indicators", json=body, headers=self.world.staff("admin"))
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def open311_post(self) -> dict[str, Any]:
        return {
            "api_key": self.open311_key,
            "phone": "13812345678",
            "service_code": "nuisance",
            "lat": str(POINT_A1[1]),
            "long": str(POINT_A1[0]),
            "description": f"广场舞噪音第{self.n()}次",
        }

    def open311_token(self) -> str:
        request_id = int(self.open311_request())
        with self.world.services.db.session() as session:
            token = session.scalar(select(Open311Request.token).where(Open311Request.request_id == request_id))
            assert token is not None
            return str(token)

    def open311_request(self) -> str:
        response = self.world.client.post("/open311/v2/requests.json", data=self.open311_post())
        assert response.status_code == 200, response.text
        return str(response.json()[0]["service_request_id"])


Builder = Callable[[Matrix, str, str], Call]
"""(matrix, role, relation) → the call."""


def _event(m: Matrix) -> dict[str, Any]:
    return {
        "id": f"matrix-ev-{m.n()}",
        "source": "bank",
        "kind": "transfer",
        "at": "2026-11-23T09:00:00+08:00",
        "subject_phone": "13905740001",
        "counterpart": "6222020200112233445",
        "amount": 1000,
    }


def _case(m: Matrix, area: str) -> dict[str, Any]:
    return {
        "id": f"matrix-case-{m.n()}",
        "reported_at": "2026-11-23T10:00:00+08:00",
        "loss_yuan": "31833.50",
        "fraud_type": "fake_customer_service",
        "narrative": "接到自称客服的电话，称可以退款，向对方账户转账。",
        "area_id": m.world.ids[area],
    }


def _station(code: str, point: tuple[float, float]) -> dict[str, Any]:
    return {"code": code, "name": f"{code}基站", "lon": point[0], "lat": point[1], "village": "甲一村", "radius_m": 400}


def _zones() -> dict[str, Any]:
    square = [[121.0, 29.0], [121.05, 29.0], [121.05, 29.05], [121.0, 29.05], [121.0, 29.0]]
    feature = {"type": "Feature", "properties": {"name": "矩阵片区", "code": "MZ-1"}}
    return {
        "type": "FeatureCollection",
        "features": [{**feature, "geometry": {"type": "Polygon", "coordinates": [square]}}],
    }


def _export(name: str) -> Builder:
    """An export in CSV: the same query as the list it exports."""
    params = {"format": "csv", **({"q": "张三丰"} if name == "search" else {})}
    return lambda m, r, x: Call("GET", f"{API}/exports/{name}", params=params)


def _archived_report(m: Matrix) -> str:
    """A report in the archive (written once, as the worker writes it), by its name."""
    from pingan.command.reports.periods import Cadence, parse_period
    from pingan.command.reports.service import ReportFormat, render

    reports = m.world.services.reports
    if not reports.archive():
        with m.world.services.db.session() as session:
            built = reports.build(session, Cadence.DAILY, parse_period(Cadence.DAILY, "2026-11-20"))
        reports.archive_dir.mkdir(parents=True, exist_ok=True)
        (reports.archive_dir / f"{built.file_stem}.html").write_bytes(render(built, ReportFormat.HTML))
    return reports.archive()[0].name


CALLS: dict[str, Builder] = {
    # -- the core ---------------------------------------------------------------------------------------
    "GET /api/v1/health": lambda m, r, x: Call("GET", f"{API}/health"),
    "GET /api/v1/command/reports": lambda m, r, x: Call("GET", f"{API}/command/reports"),
    "GET /api/v1/command/reports/{cadence}": lambda m, r, x: Call(
        "GET", f"{API}/command/reports/daily", params={"period": "2026-11-20", "format": "html"}
    ),
    "GET /api/v1/command/reports/archive/{name}": lambda m, r, x: Call(
        "GET", f"{API}/command/reports/archive/{_archived_report(m)}"
    ),
    "GET /api/v1/health/live": lambda m, r, x: Call("GET", f"{API}/health/live"),
    "GET /api/v1/health/ready": lambda m, r, x: Call("GET", f"{API}/health/ready"),
    "POST /api/v1/auth/token": lambda m, r, x: Call(
        "POST", f"{API}/auth/token", data={"username": "matrix_login", "password": PASSWORD}
    ),
    "POST /api/v1/auth/refresh": lambda m, r, x: Call("POST", f"{API}/auth/refresh", headers=m.fresh(r)),
    "POST /api/v1/auth/logout": lambda m, r, x: Call("POST", f"{API}/auth/logout", headers=m.fresh(r)),
    "POST /api/v1/auth/password": lambda m, r, x: Call(
        "POST",
        f"{API}/auth/password",
        json={"old_password": PASSWORD, "new_password": "Another-2026-horse"},
        headers=m.fresh(r),
    ),
    "PATCH /api/v1/users/{user_id}": lambda m, r, x: Call(
        "PATCH", f"{API}/users/{m.staff_user(x)}", json={"active": False}
    ),
    "GET /api/v1/me": lambda m, r, x: Call("GET", f"{API}/me"),
    "GET /api/v1/areas": lambda m, r, x: Call("GET", f"{API}/areas"),
    "POST /api/v1/areas/lookup": lambda m, r, x: Call(
        "POST", f"{API}/areas/lookup", json={"points": [{"lon": POINT_A1[0], "lat": POINT_A1[1]}]}
    ),
    "GET /api/v1/units": lambda m, r, x: Call("GET", f"{API}/units"),
    "GET /api/v1/notifications": lambda m, r, x: Call("GET", f"{API}/notifications"),
    "POST /api/v1/notifications/read": lambda m, r, x: Call("POST", f"{API}/notifications/read", json={"all": True}),
    "GET /api/v1/tasks": lambda m, r, x: Call("GET", f"{API}/tasks"),
    "GET /api/v1/tasks/kinds": lambda m, r, x: Call("GET", f"{API}/tasks/kinds"),
    "GET /api/v1/tasks/{task_id}": lambda m, r, x: Call(
        "GET", f"{API}/tasks/{m.request_task(x) if r == 'resident' else m.task(x)}"
    ),
    "POST /api/v1/tasks/{task_id}/actions": lambda m, r, x: Call(
        "POST",
        f"{API}/tasks/{m.request_task(x) if r == 'resident' else m.task(x)}/actions",
        json={"action": "note", "note": "已联系家属"},
    ),
    "GET /api/v1/audit/events": lambda m, r, x: Call("GET", f"{API}/audit/events"),
    "GET /api/v1/audit/access": lambda m, r, x: Call("GET", f"{API}/audit/access"),
    "GET /api/v1/admin/dead-letters": lambda m, r, x: Call("GET", f"{API}/admin/dead-letters"),
    # -- fraud ------------------------------------------------------------------------------------------
    "POST /api/v1/fraud/events": lambda m, r, x: Call("POST", f"{API}/fraud/events", json=[_event(m)]),
    "GET /api/v1/fraud/indicators": lambda m, r, x: Call("GET", f"{API}/fraud/indicators"),
    "POST /api/v1/fraud/indicators": lambda m, r, x: Call(
        "POST", f"{API}/fraud/indicators", json={"kind": "phone", "value": f"1310000{m.n():04d}"}
    ),
    "DELETE /api/v1/fraud/indicators/{indicator_id}": lambda m, r, x: Call(
        "DELETE", f"{API}/fraud/indicators/{m.indicator()}"
    ),
    "GET /api/v1/fraud/warnings": lambda m, r, x: Call("GET", f"{API}/fraud/warnings"),
    "GET /api/v1/fraud/warnings/summary": lambda m, r, x: Call("GET", f"{API}/fraud/warnings/summary"),
    "GET /api/v1/fraud/warnings/{warning_id}": lambda m, r, x: Call("GET", f"{API}/fraud/warnings/{m.warning(x)[0]}"),
    "GET /api/v1/fraud/warnings/by-task/{task_id}": lambda m, r, x: Call(
        "GET", f"{API}/fraud/warnings/by-task/{m.warning(x)[1]}"
    ),
    "GET /api/v1/fraud/figures": lambda m, r, x: Call("GET", f"{API}/fraud/figures"),
    "GET /api/v1/fraud/people/by-phone/{phone}": lambda m, r, x: Call(
        "GET", f"{API}/fraud/people/by-phone/{m.person_phone(x)}"
    ),
    # -- the desk: residents ----------------------------------------------------------------------------
    "POST /api/v1/desk/auth/otp": lambda m, r, x: Call("POST", f"{D}/auth/otp", json={"phone": f"1370001{m.n():04d}"}),
    "POST /api/v1/desk/auth/verify": lambda m, r, x: _verify(m),
    "GET /api/v1/desk/me": lambda m, r, x: Call("GET", f"{D}/me"),
    "PUT /api/v1/desk/me": lambda m, r, x: Call("PUT", f"{D}/me", json={"address": "某县甲街道甲一村12号"}),
    "GET /api/v1/desk/me/officer": lambda m, r, x: Call(
        "GET", f"{D}/me/officer", params={"lon": POINT_A1[0], "lat": POINT_A1[1], "crs": "wgs84"}
    ),
    "POST /api/v1/desk/requests": lambda m, r, x: Call(
        "POST",
        f"{D}/requests",
        json={"category": "consultation", "text": f"第{m.n()}个问题", "lon": POINT_A1[0], "lat": POINT_A1[1]},
    ),
    "GET /api/v1/desk/requests": lambda m, r, x: Call("GET", f"{D}/requests"),
    "GET /api/v1/desk/requests/{request_id}": lambda m, r, x: Call("GET", f"{D}/requests/{m.request(x)}"),
    "POST /api/v1/desk/requests/{request_id}/messages": lambda m, r, x: Call(
        "POST", f"{D}/requests/{m.request(x, replied=True)}/messages", json={"body": "还有一个问题"}
    ),
    "POST /api/v1/desk/requests/{request_id}/rate": lambda m, r, x: Call(
        "POST", f"{D}/requests/{m.request(x, replied=True)}/rate", json={"rating": 4}
    ),
    "GET /api/v1/desk/media/{media_id}": lambda m, r, x: Call("GET", f"{D}/media/{m.media(x)}"),
    "GET /api/v1/desk/pushes/inbox": lambda m, r, x: Call("GET", f"{D}/pushes/inbox"),
    "POST /api/v1/desk/pushes/inbox/{delivery_id}/read": lambda m, r, x: Call(
        "POST", f"{D}/pushes/inbox/{m.delivery(x)}/read"
    ),
    # -- the desk: staff --------------------------------------------------------------------------------
    "GET /api/v1/desk/staff/requests": lambda m, r, x: Call("GET", f"{D}/staff/requests"),
    "GET /api/v1/desk/staff/requests/{request_id}": lambda m, r, x: Call("GET", f"{D}/staff/requests/{m.request(x)}"),
    "GET /api/v1/desk/staff/requests/{request_id}/duplicates": lambda m, r, x: Call(
        "GET", f"{D}/staff/requests/{m.request(x)}/duplicates"
    ),
    "POST /api/v1/desk/staff/requests/{request_id}/sign": lambda m, r, x: Call(
        "POST", f"{D}/staff/requests/{m.request(x)}/sign", json={}
    ),
    "POST /api/v1/desk/staff/requests/{request_id}/assign": lambda m, r, x: Call(
        "POST",
        f"{D}/staff/requests/{m.request(x)}/assign",
        json={"assignee_id": m.world.users["officer_a2" if x == "own" else "officer_b"]},
    ),
    "POST /api/v1/desk/staff/requests/{request_id}/reply": lambda m, r, x: Call(
        "POST", f"{D}/staff/requests/{m.request(x)}/reply", json={"body": "您好，已收到"}
    ),
    "POST /api/v1/desk/staff/requests/{request_id}/reroute": lambda m, r, x: Call(
        "POST",
        f"{D}/staff/requests/{m.request(x)}/reroute",
        json={"unit_id": m.world.ids["command-centre"], "reason": "请中心处理"},
    ),
    "POST /api/v1/desk/staff/requests/{request_id}/divert": lambda m, r, x: Call(
        "POST",
        f"{D}/staff/requests/{m.request(x)}/divert",
        json={"unit_id": m.world.ids["governance-county"], "reason": "非警务事项"},
    ),
    "POST /api/v1/desk/staff/requests/{request_id}/merge": lambda m, r, x: Call(
        "POST", f"{D}/staff/requests/{m.request(x)}/merge", json={"into_id": m.request(x), "reason": "重复"}
    ),
    "POST /api/v1/desk/staff/requests/{request_id}/case": lambda m, r, x: Call(
        "POST", f"{D}/staff/requests/{m.request(x)}/case", json={"loss_yuan": "2000"}
    ),
    "POST /api/v1/desk/staff/requests/{request_id}/close": lambda m, r, x: Call(
        "POST", f"{D}/staff/requests/{m.request(x)}/close", json={"resolution": "closed", "reason": "群众撤回"}
    ),
    "GET /api/v1/desk/admin/routing-rules": lambda m, r, x: Call("GET", f"{D}/admin/routing-rules"),
    "POST /api/v1/desk/admin/routing-rules": lambda m, r, x: Call(
        "POST", f"{D}/admin/routing-rules", json={"target": "station", "area_id": m.world.ids["area-A"]}
    ),
    "PATCH /api/v1/desk/admin/routing-rules/{rule_id}": lambda m, r, x: Call(
        "PATCH", f"{D}/admin/routing-rules/{m.rule()}", json={"priority": 50}
    ),
    "DELETE /api/v1/desk/admin/routing-rules/{rule_id}": lambda m, r, x: Call(
        "DELETE", f"{D}/admin/routing-rules/{m.rule()}"
    ),
    "POST /api/v1/desk/admin/routing-rules/preview": lambda m, r, x: Call(
        "POST",
        f"{D}/admin/routing-rules/preview",
        json={"category": "consultation", "lon": POINT_A1[0], "lat": POINT_A1[1]},
    ),
    "GET /api/v1/desk/admin/officers": lambda m, r, x: Call("GET", f"{D}/admin/officers"),
    "PUT /api/v1/desk/admin/officers/{user_id}": lambda m, r, x: Call(
        "PUT",
        f"{D}/admin/officers/{m.world.users['officer_a2' if x == 'own' else 'officer_b']}",
        json={
            "area_id": m.world.ids["area-A2" if x == "own" else "area-B1"],
            "hours": f"工作日 08:{m.n() % 60:02d}-17:30",
        },
    ),
    "GET /api/v1/desk/admin/dingtalk-robots": lambda m, r, x: Call("GET", f"{D}/admin/dingtalk-robots"),
    "POST /api/v1/desk/admin/dingtalk-robots": lambda m, r, x: Call(
        "POST",
        f"{D}/admin/dingtalk-robots",
        json={"unit_id": m.world.ids["station-A"], "webhook": f"https://oapi.dingtalk.com/robot/x{m.n()}"},
    ),
    "DELETE /api/v1/desk/admin/dingtalk-robots/{robot_id}": lambda m, r, x: Call(
        "DELETE", f"{D}/admin/dingtalk-robots/{m.robot()}"
    ),
    "GET /api/v1/desk/stats": lambda m, r, x: Call("GET", f"{D}/stats"),
    "GET /api/v1/desk/stats/hot-topics": lambda m, r, x: Call("GET", f"{D}/stats/hot-topics"),
    "GET /api/v1/desk/push-templates": lambda m, r, x: Call("GET", f"{D}/push-templates"),
    "POST /api/v1/desk/push-templates": lambda m, r, x: Call(
        "POST",
        f"{D}/push-templates",
        json={"code": f"new{m.n()}", "kind": "fraud", "title": "警惕诈骗", "body": "{area}居民请注意"},
    ),
    "PATCH /api/v1/desk/push-templates/{template_id}": lambda m, r, x: Call(
        "PATCH", f"{D}/push-templates/{m.template(x)}", json={"title": "警惕新型诈骗"}
    ),
    "POST /api/v1/desk/pushes": lambda m, r, x: Call(
        "POST",
        f"{D}/pushes",
        json={"kind": "fraud", "title": "警惕诈骗", "body": "请注意", "area_ids": [m.world.ids["area-A"]]},
    ),
    "GET /api/v1/desk/pushes": lambda m, r, x: Call("GET", f"{D}/pushes"),
    "GET /api/v1/desk/pushes/{push_id}": lambda m, r, x: Call("GET", f"{D}/pushes/{m.push(x)}"),
    # -- Open311: public, an API key to post --------------------------------------------------------------
    "GET /open311/v2/discovery.{fmt}": lambda m, r, x: Call("GET", "/open311/v2/discovery.json"),
    "GET /open311/v2/services.{fmt}": lambda m, r, x: Call("GET", "/open311/v2/services.json"),
    "GET /open311/v2/services/{service_code}.{fmt}": lambda m, r, x: Call("GET", "/open311/v2/services/nuisance.json"),
    "POST /open311/v2/requests.{fmt}": lambda m, r, x: Call("POST", "/open311/v2/requests.json", data=m.open311_post()),
    "GET /open311/v2/requests.{fmt}": lambda m, r, x: Call("GET", "/open311/v2/requests.json"),
    "GET /open311/v2/requests/{service_request_id}.{fmt}": lambda m, r, x: Call(
        "GET", f"/open311/v2/requests/{m.open311_request()}.json"
    ),
    "GET /open311/v2/tokens/{token}.{fmt}": lambda m, r, x: Call("GET", f"/open311/v2/tokens/{m.open311_token()}.json"),
    # -- cases, search, people, dispatch, users, exports ------------------------------------------------
    "GET /api/v1/fraud/figures/series": lambda m, r, x: Call("GET", f"{API}/fraud/figures/series"),
    "GET /api/v1/cases": lambda m, r, x: Call("GET", f"{API}/cases"),
    "GET /api/v1/cases/clusters": lambda m, r, x: Call("GET", f"{API}/cases/clusters"),
    "GET /api/v1/cases/blocked": lambda m, r, x: Call("GET", f"{API}/cases/blocked"),
    "POST /api/v1/cases/relink": lambda m, r, x: Call("POST", f"{API}/cases/relink"),
    "GET /api/v1/search": lambda m, r, x: Call("GET", f"{API}/search", params={"q": "张三丰"}),
    "GET /api/v1/dispatch/load": lambda m, r, x: Call("GET", f"{API}/dispatch/load"),
    "GET /api/v1/users": lambda m, r, x: Call("GET", f"{API}/users"),
    "GET /api/v1/exports/tasks": _export("tasks"),
    "GET /api/v1/exports/warnings": _export("warnings"),
    "GET /api/v1/exports/desk-requests": _export("desk-requests"),
    "GET /api/v1/exports/indicators": _export("indicators"),
    "GET /api/v1/exports/audit-access": _export("audit-access"),
    "GET /api/v1/exports/users": _export("users"),
    "GET /api/v1/exports/dispatch-load": _export("dispatch-load"),
    "GET /api/v1/exports/fraud-figures": _export("fraud-figures"),
    "GET /api/v1/exports/desk-figures": _export("desk-figures"),
    "GET /api/v1/exports/search": _export("search"),
    "GET /api/v1/exports/interception-figures": _export("interception-figures"),
    "GET /api/v1/analysis": lambda m, r, x: Call("GET", f"{API}/analysis"),
    "GET /api/v1/interception/figures": lambda m, r, x: Call("GET", f"{API}/interception/figures"),
    "GET /api/v1/campaigns": lambda m, r, x: Call("GET", f"{API}/campaigns"),
    "POST /api/v1/campaigns": lambda m, r, x: Call(
        "POST",
        f"{API}/campaigns",
        json={"fraud_type": "investment", "area_ids": [m.world.ids["area-A"]], "group": "all", "sms": False},
    ),
    "GET /api/v1/campaigns/{campaign_id}": lambda m, r, x: Call("GET", f"{API}/campaigns/{m.campaign(x)}"),
    "POST /api/v1/sms/inbound": lambda m, r, x: Call(
        "POST", f"{API}/sms/inbound", json={"messages": [{"id": f"mo-{m.n()}", "phone": "13800001234", "text": "TD"}]}
    ),
    "GET /api/v1/sms/opt-outs": lambda m, r, x: Call("GET", f"{API}/sms/opt-outs"),
    "GET /api/v1/sms/opt-outs/history": lambda m, r, x: Call("GET", f"{API}/sms/opt-outs/history"),
    "POST /api/v1/sms/opt-outs": lambda m, r, x: Call(
        "POST", f"{API}/sms/opt-outs", json={"phone": "13800001235", "opted_out": True, "note": "来电要求"}
    ),
    "GET /api/v1/sms/me": lambda m, r, x: Call("GET", f"{API}/sms/me"),
    "PUT /api/v1/sms/me": lambda m, r, x: Call("PUT", f"{API}/sms/me", json={"opted_out": True}),
    # -- maps ---------------------------------------------------------------------------------------------
    "GET /api/v1/map/config": lambda m, r, x: Call("GET", f"{API}/map/config"),
    "GET /api/v1/map/areas": lambda m, r, x: Call("GET", f"{API}/map/areas"),
    "GET /api/v1/map/warnings": lambda m, r, x: Call("GET", f"{API}/map/warnings"),
    "GET /api/v1/map/desk-requests": lambda m, r, x: Call("GET", f"{API}/map/desk-requests"),
    # -- 断卡 -----------------------------------------------------------------------------------------------
    "GET /api/v1/cards/flagged": lambda m, r, x: Call("GET", f"{API}/cards/flagged"),
    "GET /api/v1/cards/figures": lambda m, r, x: Call("GET", f"{API}/cards/figures"),
    # -- tracking -------------------------------------------------------------------------------------------
    "GET /api/v1/tracking/tags": lambda m, r, x: Call("GET", f"{API}/tracking/tags"),
    "GET /api/v1/tracking/stations": lambda m, r, x: Call("GET", f"{API}/tracking/stations"),
    "GET /api/v1/tracking/me/tags": lambda m, r, x: Call("GET", f"{API}/tracking/me/tags"),
    "GET /api/v1/tracking/coverage": lambda m, r, x: Call("GET", f"{API}/tracking/coverage"),
    "GET /api/v1/tracking/thefts": lambda m, r, x: Call("GET", f"{API}/tracking/thefts"),
    "GET /api/v1/tracking/alerts": lambda m, r, x: Call("GET", f"{API}/tracking/alerts"),
    "GET /api/v1/tracking/figures": lambda m, r, x: Call("GET", f"{API}/tracking/figures"),
    "GET /api/v1/desk/stats/series": lambda m, r, x: Call("GET", f"{D}/stats/series"),
    # -- stop-payments ------------------------------------------------------------------------------------
    "GET /api/v1/payments/banks": lambda m, r, x: Call("GET", f"{API}/payments/banks"),
    "GET /api/v1/payments/orders": lambda m, r, x: Call("GET", f"{API}/payments/orders"),
    "GET /api/v1/payments/figures": lambda m, r, x: Call("GET", f"{API}/payments/figures"),
    "GET /api/v1/payments/calendar/{year}": lambda m, r, x: Call("GET", f"{API}/payments/calendar/2026"),
    "GET /api/v1/payments/working-days": lambda m, r, x: Call("GET", f"{API}/payments/working-days"),
    "GET /api/v1/payments/bank/requests": lambda m, r, x: Call("GET", f"{API}/payments/bank/requests"),
    "GET /api/v1/fraud/indicators/{indicator_id}/hits": lambda m, r, x: Call(
        "GET", f"{API}/fraud/indicators/{m.indicator()}/hits"
    ),
    "POST /api/v1/payments/stops": lambda m, r, x: Call(
        "POST",
        f"{API}/payments/stops",
        json={
            "bank_unit_id": m.world.ids["bank-x"],
            "account": f"6222022{m.n():012d}",
            "amount_yuan": "50000",
            "basis": "受害人被冒充客服诈骗转账",
            "area_id": m.world.ids["area-A"],
        },
        headers=m.bank(r),
    ),
    "GET /api/v1/payments/orders/{order_id}": lambda m, r, x: Call(
        "GET", f"{API}/payments/orders/{m.order(x)}", headers=m.bank(r)
    ),
    "POST /api/v1/payments/orders/{order_id}/actions": lambda m, r, x: Call(
        "POST",
        f"{API}/payments/orders/{m.order(x)}/actions",
        json={"action": "note", "note": "已电话催办"},
        headers=m.bank(r),
    ),
    "GET /api/v1/payments/bank/requests/{order_id}": lambda m, r, x: Call(
        "GET", f"{API}/payments/bank/requests/{m.order(x)}", headers=m.bank(r)
    ),
    "POST /api/v1/payments/bank/requests/{order_id}/answer": lambda m, r, x: Call(
        "POST",
        f"{API}/payments/bank/requests/{m.order(x)}/answer",
        json={"result": "stopped", "amount_stopped_yuan": "50000"},
        headers=m.bank(r),
    ),
    "POST /api/v1/payments/bank/requests/{order_id}/freeze": lambda m, r, x: Call(
        "POST",
        f"{API}/payments/bank/requests/{m.order(x, 'freeze_ordered')}/freeze",
        json={"amount_frozen_yuan": "50000"},
        headers=m.bank(r),
    ),
    "POST /api/v1/payments/bank/requests/{order_id}/renew": lambda m, r, x: Call(
        "POST", f"{API}/payments/bank/requests/{m.order(x, 'renewal_ordered')}/renew", headers=m.bank(r)
    ),
    "POST /api/v1/payments/bank/requests/{order_id}/return": lambda m, r, x: Call(
        "POST",
        f"{API}/payments/bank/requests/{m.order(x, 'return_ordered')}/return",
        json={"amount_returned_yuan": "50000"},
        headers=m.bank(r),
    ),
    "POST /api/v1/cases": lambda m, r, x: Call("POST", f"{API}/cases", json=_case(m, "area-A")),
    "GET /api/v1/cases/{case_id}": lambda m, r, x: Call("GET", f"{API}/cases/{m.case(x)}"),
    "PATCH /api/v1/cases/{case_id}": lambda m, r, x: Call(
        "PATCH", f"{API}/cases/{m.case(x)}", json={"loss_yuan": "32000"}
    ),
    "POST /api/v1/tracking/tags": lambda m, r, x: Call(
        "POST",
        f"{API}/tracking/tags",
        json=[
            {
                "tag": f"MN-{m.n()}",
                "kind": "vehicle_card",
                "owner_phone": m.person_phone("own"),
                "owner_name": "秦某江",
                "plate": f"浙B9{m.n():04d}",
                "installed_at": "2026-10-01",
            }
        ],
    ),
    "POST /api/v1/tracking/stations": lambda m, r, x: Call(
        "POST", f"{API}/tracking/stations", json=[_station(f"MN-{m.n()}", POINT_A1)]
    ),
    "GET /api/v1/tracking/tags/{tag}/track": lambda m, r, x: Call("GET", f"{API}/tracking/tags/{m.tag(r, x)}/track"),
    "PUT /api/v1/tracking/tags/{tag}/safe-area": lambda m, r, x: Call(
        "PUT", f"{API}/tracking/tags/{m.tag(r, x, 'bracelet')}/safe-area", json={"stations": ["MS-A"]}
    ),
    "POST /api/v1/tracking/detections": lambda m, r, x: Call(
        "POST",
        f"{API}/tracking/detections",
        json=[{"tag": m.feed_tag, "at": m.world.clock.now().isoformat(), "station": "MS-A", "rssi": -70 - m.n() % 20}],
    ),
    "POST /api/v1/tracking/stations/{code}/status": lambda m, r, x: Call(
        "POST", f"{API}/tracking/stations/MS-A/status", json={"battery": 80}
    ),
    "POST /api/v1/tracking/thefts": lambda m, r, x: Call(
        "POST",
        f"{API}/tracking/thefts",
        json={"tag": m.tag(r, x), "stolen_at": (m.world.clock.now() - timedelta(minutes=30)).isoformat()},
    ),
    "POST /api/v1/tracking/thefts/{theft_id}/recovery": lambda m, r, x: Call(
        "POST", f"{API}/tracking/thefts/{m.theft(r, x)}/recovery", json={"place": "村口", "suspects": 1}
    ),
    "POST /api/v1/tracking/thefts/{theft_id}/compensation": lambda m, r, x: Call(
        "POST",
        f"{API}/tracking/thefts/{m.theft(r, x)}/compensation",
        json={"certificate_no": f"证{m.n()}", "invoices": "发票1张", "card_destroyed": True},
    ),
    "GET /api/v1/tracking/thefts/{theft_id}": lambda m, r, x: Call("GET", f"{API}/tracking/thefts/{m.theft(r, x)}"),
    # -- patrol and alarms ----------------------------------------------------------------------------------
    # -- 核查清单 ------------------------------------------------------------------------------------------
    "POST /api/v1/verify/lists": lambda m, r, x: Call(
        "POST",
        f"{API}/verify/lists",
        json={
            "id": f"mx-{m.n()}",
            "title": "矩阵清单",
            "rows": [{"kind": "place", "address": "出租房", "lon": POINT_A1[0], "lat": POINT_A1[1]}],
        },
    ),
    "POST /api/v1/verify/lists/upload": lambda m, r, x: Call(
        "POST",
        f"{API}/verify/lists/upload",
        data={"title": "矩阵清单", "id": f"mx-{m.n()}"},
        files=[
            (
                "file",
                ("l.csv", f"kind,address,lon,lat\nplace,出租房,{POINT_A1[0]},{POINT_A1[1]}\n".encode(), "text/csv"),
            )
        ],
    ),
    "GET /api/v1/verify/lists": lambda m, r, x: Call("GET", f"{API}/verify/lists"),
    "GET /api/v1/verify/lists/{list_id}": lambda m, r, x: Call("GET", f"{API}/verify/lists/{m.verify_list(x)}"),
    "GET /api/v1/verify/lists/{list_id}/items": lambda m, r, x: Call(
        "GET", f"{API}/verify/lists/{m.verify_list(x)}/items"
    ),
    "GET /api/v1/exports/verify-items": lambda m, r, x: Call(
        "GET", f"{API}/exports/verify-items", params={"format": "csv", "list_id": m.verify_list(x)}
    ),
    # -- 社区戒毒 ------------------------------------------------------------------------------------------
    "GET /api/v1/rehab/plans": lambda m, r, x: Call("GET", f"{API}/rehab/plans"),
    "POST /api/v1/rehab/plans": lambda m, r, x: Call(
        "POST",
        f"{API}/rehab/plans",
        json={
            "id": f"mx-{m.n()}",
            "kind": "detox",
            "name": "矩阵",
            "id_number": "330225199001011234",
            "starts_on": "2026-11-01",
            "ends_on": "2027-11-01",
        },
    ),
    "POST /api/v1/rehab/plans/import": lambda m, r, x: Call(
        "POST",
        f"{API}/rehab/plans/import",
        files=[
            (
                "file",
                (
                    "p.csv",
                    f"id,kind,name,id_number,starts_on,ends_on\nmx-{m.n()},detox,矩阵,330225199001011234,2026-11-01,2027-11-01\n".encode(),
                    "text/csv",
                ),
            )
        ],
    ),
    "GET /api/v1/rehab/plans/{plan_id}": lambda m, r, x: Call("GET", f"{API}/rehab/plans/{m.rehab_plan()}"),
    "POST /api/v1/rehab/plans/{plan_id}/checks": lambda m, r, x: Call(
        "POST", f"{API}/rehab/plans/{m.rehab_plan()}/checks", json={"kind": "checkin", "on": "2026-11-20"}
    ),
    "POST /api/v1/rehab/plans/{plan_id}/end": lambda m, r, x: Call(
        "POST", f"{API}/rehab/plans/{m.rehab_plan()}/end", params={"reason": "期满"}
    ),
    "GET /api/v1/rehab/figures": lambda m, r, x: Call("GET", f"{API}/rehab/figures"),
    "GET /api/v1/exports/rehab-plans": lambda m, r, x: Call(
        "GET", f"{API}/exports/rehab-plans", params={"format": "csv"}
    ),
    # -- 交通执法 ------------------------------------------------------------------------------------------
    "POST /api/v1/traffic/records/import": lambda m, r, x: Call(
        "POST",
        f"{API}/traffic/records/import",
        files=[
            (
                "file",
                (
                    "t.csv",
                    f"id,type,at,outcome\nmx-{m.n()},三小车,2026-11-20T09:00:00+08:00,罚款\n".encode(),
                    "text/csv",
                ),
            )
        ],
    ),
    "GET /api/v1/traffic/figures": lambda m, r, x: Call("GET", f"{API}/traffic/figures"),
    "GET /api/v1/command/reach": lambda m, r, x: Call(
        "GET", f"{API}/command/reach", params={"lon": POINT_A1[0], "lat": POINT_A1[1]}
    ),
    "GET /api/v1/command/patrol/zones": lambda m, r, x: Call("GET", f"{API}/command/patrol/zones"),
    "POST /api/v1/command/patrol/zones": lambda m, r, x: Call("POST", f"{API}/command/patrol/zones", json=_zones()),
    "GET /api/v1/command/patrol/units": lambda m, r, x: Call("GET", f"{API}/command/patrol/units"),
    "POST /api/v1/command/patrol/units": lambda m, r, x: Call(
        "POST",
        f"{API}/command/patrol/units",
        json=[{"code": f"PU-N{m.n()}", "name": "新巡组", "kind": "car", "unit": "station-A"}],
    ),
    "POST /api/v1/command/patrol/positions": lambda m, r, x: Call(
        "POST",
        f"{API}/command/patrol/positions",
        json=[{"unit": "PU-A", "lon": POINT_A1[0], "lat": POINT_A1[1], "at": m.world.clock.now().isoformat()}],
    ),
    "GET /api/v1/command/patrol/roster": lambda m, r, x: Call("GET", f"{API}/command/patrol/roster"),
    "POST /api/v1/command/patrol/roster": lambda m, r, x: Call(
        "POST",
        f"{API}/command/patrol/roster",
        json={
            "patrol_unit_id": m.patrol_a,
            "starts_at": m.world.clock.now().isoformat(),
            "ends_at": (m.world.clock.now() + timedelta(hours=8)).isoformat(),
        },
    ),
    "DELETE /api/v1/command/patrol/roster/{shift_id}": lambda m, r, x: Call(
        "DELETE", f"{API}/command/patrol/roster/{m.shift(x)}"
    ),
    "POST /api/v1/command/alarms": lambda m, r, x: Call(
        "POST",
        f"{API}/command/alarms",
        json={"source": "walk_in", "source_id": f"MW-{m.n()}", "text": "来所报警：电动车被盗", "category": "criminal"},
    ),
    "GET /api/v1/command/alarms": lambda m, r, x: Call("GET", f"{API}/command/alarms"),
    "GET /api/v1/command/alarms/figures": lambda m, r, x: Call("GET", f"{API}/command/alarms/figures"),
    "GET /api/v1/command/alarms/{alarm_id}": lambda m, r, x: Call("GET", f"{API}/command/alarms/{m.alarm(x)}"),
    "POST /api/v1/fraud/indicators/import": lambda m, r, x: Call(
        "POST",
        f"{API}/fraud/indicators/import",
        files=[("file", ("i.csv", f"kind,value\nphone,1320000{m.n():04d}\n".encode(), "text/csv"))],
    ),
    "POST /api/v1/users": lambda m, r, x: Call(
        "POST",
        f"{API}/users",
        json={
            "username": f"new_{m.n()}",
            "display_name": "新民警",
            "role": "officer",
            "unit_id": m.world.ids["station-A"],
            "password": "Matrix-2026-new-horse",
        },
    ),
    "POST /api/v1/cards/openings": lambda m, r, x: Call(
        "POST", f"{API}/cards/openings", json=[opening(f"mx-{m.n():04d}", REGISTERED)]
    ),
    "GET /api/v1/people/{person_id}": lambda m, r, x: Call("GET", f"{API}/people/{m.person(x)}"),
    # -- the command centre -------------------------------------------------------------------------------
    "GET /api/v1/command/rankings": lambda m, r, x: Call(
        "GET", f"{API}/command/rankings", params={"period": "2026-11"}
    ),
    "GET /api/v1/command/rankings/boards": lambda m, r, x: Call("GET", f"{API}/command/rankings/boards"),
    "GET /api/v1/command/rankings/published": lambda m, r, x: Call("GET", f"{API}/command/rankings/published"),
    # A period of its own for each call: a period is published once.
    "POST /api/v1/command/rankings/publish": lambda m, r, x: Call(
        "POST", f"{API}/command/rankings/publish", json={"period": f"{2000 + m.n()}-01", "board": "stations"}
    ),
    "GET /api/v1/command/screen": lambda m, r, x: Call("GET", f"{API}/command/screen"),
    "GET /api/v1/exports/rankings": _export("rankings"),
    "POST /api/v1/command/dangers": lambda m, r, x: Call(
        "POST",
        f"{API}/command/dangers",
        json={
            "kind": "traffic",
            "title": f"路口{m.n()}",
            "place": "甲街道路口",
            "lon": POINT_A1[0],
            "lat": POINT_A1[1],
            "lead_unit_id": m.world.ids["gov-A"],
        },
    ),
    "GET /api/v1/command/dangers": lambda m, r, x: Call("GET", f"{API}/command/dangers"),
    "GET /api/v1/command/dangers/map": lambda m, r, x: Call("GET", f"{API}/command/dangers/map"),
    "GET /api/v1/command/dangers/figures": lambda m, r, x: Call("GET", f"{API}/command/dangers/figures"),
    "GET /api/v1/command/dangers/{danger_id}": lambda m, r, x: Call("GET", f"{API}/command/dangers/{m.danger(x)}"),
    "GET /api/v1/command/dangers/{danger_id}/progress": lambda m, r, x: Call(
        "GET", f"{API}/command/dangers/{m.danger(x)}/progress"
    ),
    "POST /api/v1/command/dangers/{danger_id}/photos": lambda m, r, x: Call(
        "POST",
        f"{API}/command/dangers/{m.danger(x)}/photos",
        data={"stage": "before"},
        files=[("files", ("p.jpg", JPEG, "image/jpeg"))],
    ),
    "GET /api/v1/command/dangers/{danger_id}/photos/{photo_id}": lambda m, r, x: Call(
        "GET", "{}/command/dangers/{}/photos/{}".format(API, *m.danger_photo(x))
    ),
    "POST /api/v1/command/disputes": lambda m, r, x: Call(
        "POST",
        f"{API}/command/disputes",
        json={
            "category": "family",
            "title": f"家庭纠纷{m.n()}",
            "lon": POINT_A1[0],
            "lat": POINT_A1[1],
            "parties": [{"name": "张某"}, {"name": "陈某", "role": "respondent"}],
        },
    ),
    "GET /api/v1/command/disputes": lambda m, r, x: Call("GET", f"{API}/command/disputes"),
    "GET /api/v1/exports/dangers": _export("dangers"),
    "GET /api/v1/exports/disputes": _export("disputes"),
    "GET /api/v1/command/disputes/figures": lambda m, r, x: Call("GET", f"{API}/command/disputes/figures"),
    "GET /api/v1/command/disputes/mediators": lambda m, r, x: Call("GET", f"{API}/command/disputes/mediators"),
    "POST /api/v1/command/disputes/mediators": lambda m, r, x: Call(
        "POST",
        f"{API}/command/disputes/mediators",
        json={"name": f"调解室{m.n()}", "kind": "room", "unit_id": m.world.ids["station-A"]},
    ),
    "GET /api/v1/command/disputes/{dispute_id}": lambda m, r, x: Call(
        "GET", f"{API}/command/disputes/{m.dispute(r, x)}"
    ),
}


def _verify(m: Matrix) -> Call:
    phone = f"1370002{m.n():04d}"
    sent = m.world.client.post(f"{D}/auth/otp", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    return Call("POST", f"{D}/auth/verify", json={"phone": phone, "code": m.world.sms.last_code(phone)})


def _database(request: pytest.FixtureRequest, path: Path) -> Generator[Database]:
    """The matrix's database: a SQLite file, or a throwaway PostgreSQL database (the suite's server)."""
    if request.param == "sqlite":
        yield Database(f"sqlite:///{path / 'matrix.db'}")
        return
    import uuid

    import sqlalchemy as sa

    from pingan.core.db import make_engine

    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"pingan_m_{uuid.uuid4().hex[:12]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield Database(admin_url.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    name="matrix", scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def matrix_fixture(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    path: Path = tmp_path_factory.mktemp("matrix")
    databases = _database(request, path)
    db = next(databases)
    upgrade(db)  # by the migrations, as `pingan init` does: the readiness probe answers 200
    rules = path / "county.toml"  # hundreds of requests from two residents: the flood limits are not tested here
    rules.write_text(
        "[desk]\nposts_per_address_day = 100000\nposts_per_phone_hour = 100000\nposts_per_phone_day = 100000\n"
        "push_daily_limit = 100000\n"
    )
    w = build_world(db, path, rules_file=rules, instance_dir=path / "instance")  # the reports' archive
    with w.services.db.session() as session:
        head_b = create_user(
            session, "head_b", None, role=Role.STATION_HEAD, display_name="乙所长", unit_id=w.ids["station-B"], now=T0
        )
        w.users["head_b"] = head_b.id
        login = create_user(session, "matrix_login", None, role=Role.OFFICER, display_name="登录", unit_id=None, now=T0)
        login.password_hash = _password_hash()
        _key_row, key = create_api_key(session, "矩阵", T0)
        for code, name in (("bank-x", "农业银行某县支行"), ("bank-y", "工商银行某县支行")):
            unit = Unit(code=code, name=name, kind=UnitKind.BANK)
            session.add(unit)
            session.flush()
            w.ids[code] = unit.id
        liaison = create_user(
            session, "partner_x", None, role=Role.PARTNER, display_name="农行联络员", unit_id=w.ids["bank-x"], now=T0
        )
        w.users["partner_x"] = liaison.id
    m = Matrix(w, open311_key=key)
    registered = w.client.post(
        f"{API}/tracking/stations",
        json=[_station("MS-A", POINT_A1), _station("MS-B", POINT_B)],
        headers=w.staff("admin"),
    )
    assert registered.status_code == 200, registered.text
    m.feed_tag = m.tag("admin", "own")
    patrol = w.client.post(
        f"{API}/command/patrol/units",
        json=[
            {"code": "PU-A", "name": "甲巡01", "kind": "car", "unit": "station-A"},
            {"code": "PU-B", "name": "乙巡01", "kind": "car", "unit": "station-B"},
        ],
        headers=w.staff("admin"),
    )
    assert patrol.status_code == 200, patrol.text
    with w.services.db.session() as session:
        m.patrol_a = int(session.scalar(select(PatrolUnit.id).where(PatrolUnit.code == "PU-A")) or 0)
    indicator = w.client.post(
        f"{API}/fraud/indicators", json={"kind": "phone", "value": INDICATOR}, headers=w.staff("admin")
    )
    assert indicator.status_code == 201, indicator.text
    yield m
    w.client.close()
    w.services.desk.close()
    db.dispose()
    databases.close()


def _operations(matrix: Matrix) -> list[str]:
    from pingan.api.app import create_app

    document = create_app(matrix.world.services).openapi()
    return [f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item]


def _answer(response: httpx.Response) -> Answer:
    status = response.status_code
    if 200 <= status < 300:
        return "2xx"
    if status == 403 and response.json()["error"]["code"] == "handed_over":
        return "2xx"  # done: the request went to another unit and so out of the actor's view
    return status  # type: ignore[return-value]


def _observe(matrix: Matrix, operation: str, role: str, relation: str) -> tuple[Answer, str]:
    call = CALLS[operation](matrix, role, relation)
    headers = call.headers if call.headers is not None else matrix.headers(role)
    response = matrix.world.client.request(
        call.method,
        call.path,
        json=call.json,
        params=call.params,
        data=call.data,
        files=call.files,
        headers=headers,
    )
    return _answer(response), response.text[:200]


def test_every_operation_of_the_openapi_document_has_an_access_decision_written_down(matrix: Matrix) -> None:
    operations = _operations(matrix)
    missing = [f"new endpoint without an access decision: {op}" for op in operations if op not in EXPECTED]
    uncalled = [f"endpoint without a call in the access matrix: {op}" for op in operations if op not in CALLS]
    gone = [f"access decision for an endpoint that is gone: {op}" for op in EXPECTED if op not in operations]
    assert not missing + uncalled + gone, "\n".join(missing + uncalled + gone)


def test_every_role_gets_the_written_answer_on_every_operation(matrix: Matrix) -> None:
    wrong: list[str] = []
    for operation in _operations(matrix):
        if operation not in EXPECTED or operation not in CALLS:
            continue  # reported by the test above
        for role in ROLES:
            expected = EXPECTED[operation][role]
            cells = expected if isinstance(expected, dict) else {"any": expected}
            for relation, answer in cells.items():
                assert relation in RELATIONS, f"{operation} {role}: unknown relation {relation}"
                got, text = _observe(matrix, operation, role, relation)
                if got != answer:
                    wrong.append(f"{operation} as {role} ({relation}): {got}, written {answer}: {text}")
    assert not wrong, f"{len(wrong)} unexpected answers:\n" + "\n".join(wrong)


def test_the_generic_action_cells_agree_with_the_workflow_registry_cells() -> None:
    """`POST /tasks/{id}/actions` (a note on a dissuasion of station A; for a resident, on their own desk
    request) is written down twice: here, and in the registry's grid of `test_task_access.py`."""
    verdict = {ALLOWED: "2xx", HIDDEN: 404}
    cells = EXPECTED["POST /api/v1/tasks/{task_id}/actions"]
    for role, actor in ACTOR_OF_ROLE.items():
        declared = desk_expected(actor, "note") if role == "resident" else dissuasion_expected(actor, "note")
        cell = cells[role]
        assert isinstance(cell, dict)
        assert cell["own"] == verdict.get(declared, 403), role
