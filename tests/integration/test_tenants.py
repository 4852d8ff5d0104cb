"""Several counties in one deployment: each county's users see their county only, a province analyst sees
both, and a lead the province addresses to a county reaches that county's centre."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import select

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea
from pingan.core.identity import create_user
from pingan.core.models import Area, AreaKind, Role, Unit, UnitKind
from pingan.core.settings import Settings
from pingan.desk.models import DeskResident
from pingan.desk.residents import create_resident
from tests.integration.two_counties import import_province_and_counties

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
API = "/api/v1"
PASSWORD = "pw-tenant-1"


@dataclass
class Province:
    services: Services
    client: TestClient
    units: dict[str, int]
    tokens: dict[str, str]

    def get(self, who: str, path: str, **params: Any) -> Any:
        response = self.client.get(
            f"{API}{path}", params=params, headers={"Authorization": f"Bearer {self.tokens[who]}"}
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def province(db: Database) -> Iterator[Province]:
    services = bootstrap(
        Settings(database_url=str(db.engine.url.render_as_string(hide_password=False))), db=db, clock=FakeClock(T0)
    )
    hasher = PasswordHasher()
    with db.session() as s:
        import_province_and_counties(s)
        import_areas(s, [GeoArea("丹东", "xs-dandong", box(121.8, 29.4, 121.9, 29.5))], parent_code="330225")
        import_areas(s, [GeoArea("跃龙", "nh-yuelong", box(121.4, 29.5, 121.5, 29.6))], parent_code="330226")
        units = {u.code: u.id for u in s.scalars(select(Unit))}
        province_area = s.scalar(select(Area.id).where(Area.code == "33"))
        centre = Unit(
            code="33-anti-fraud-centre", name="省反诈中心", kind=UnitKind.ANTI_FRAUD_CENTRE, area_id=province_area
        )
        s.add(centre)
        s.flush()
        units["33-anti-fraud-centre"] = centre.id
        for username, role, unit in (
            ("xs_analyst", Role.ANALYST, "330225-anti-fraud-centre"),
            ("nh_analyst", Role.ANALYST, "330226-anti-fraud-centre"),
            ("nh_commander", Role.COMMANDER, "330226-command-centre"),
            ("zj_analyst", Role.ANALYST, "33-anti-fraud-centre"),
            ("xs_officer", Role.OFFICER, "station-xs-dandong"),
            ("xs_admin", Role.ADMIN, "330225-command-centre"),
            ("ops", Role.ADMIN, None),
        ):
            unit_id = units[unit] if unit is not None else None
            user = create_user(s, username, None, role=role, display_name=username, unit_id=unit_id, now=T0)
            user.password_hash = hasher.hash(PASSWORD)
    services.jurisdictions.invalidate()
    client = TestClient(create_app(services), raise_server_exceptions=False)
    tokens = {}
    for username in ("xs_analyst", "nh_analyst", "nh_commander", "zj_analyst", "xs_officer", "xs_admin", "ops"):
        response = client.post(f"{API}/auth/token", data={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        tokens[username] = response.json()["access_token"]
    yield Province(services, client, units, tokens)
    services.close()


def _report(i: int, phone: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"t{i}",
        "source": "platform",
        "kind": "pushed_warning",
        "level": "high",
        "at": "2026-11-23T09:00:00+08:00",
        "subject_phone": phone,
        "text": "省平台下发：疑似冒充客服诈骗",
        **extra,
    }


def test_each_county_sees_only_its_own_and_the_province_sees_both(province: Province) -> None:
    result = province.services.intake.ingest(
        [
            _report(1, "13905740001", lon=121.85, lat=29.45),  # 象山 丹东
            _report(2, "13905750002", lon=121.45, lat=29.55),  # 宁海 跃龙
            # The province addresses a lead to 宁海 it cannot place at a station: 宁海's centre takes it.
            _report(3, "13905750003", county="330226"),
        ]
    )
    assert (result.accepted, len(result.warnings_opened)) == (3, 3)

    def phones(who: str) -> set[str]:
        return {w["person"]["phone"][-4:] for w in province.get(who, "/fraud/warnings")}

    assert phones("xs_analyst") == {"0001"}
    assert phones("nh_analyst") == {"0002", "0003"}
    assert phones("nh_commander") == {"0002", "0003"}
    assert phones("zj_analyst") == {"0001", "0002", "0003"}
    assert phones("xs_officer") == {"0001"}

    warnings = {w["person"]["phone"][-4:]: w for w in province.get("zj_analyst", "/fraud/warnings")}
    assert warnings["0003"]["unit_id"] == province.units["330226-anti-fraud-centre"]

    def tasks(who: str) -> int:
        page = province.get(who, "/tasks", kind="dissuasion")
        return int(page["total"])

    assert (tasks("xs_analyst"), tasks("nh_analyst"), tasks("zj_analyst")) == (1, 2, 3)

    # Search by a phone of the other county finds nothing; of one's own, the warning.
    assert province.get("xs_analyst", "/search", q="139 0575 0002")["items"] == []
    found = province.get("nh_analyst", "/search", q="139 0575 0002")["items"]
    assert [hit["type"] for hit in found if hit["type"] == "warning"] == ["warning"]

    # A warning of the other county is not there for the asking either.
    other = warnings["0002"]["id"]
    response = province.client.get(
        f"{API}/fraud/warnings/{other}", headers={"Authorization": f"Bearer {province.tokens['xs_analyst']}"}
    )
    assert response.status_code == 404


def test_one_county_written_down_changes_nothing_for_its_users(db: Database) -> None:
    """A single county that writes its county area down (or none, as the demo) keeps county-wide users
    county-wide: tenancy starts with the second county."""
    from pingan.core.scope import scope_of

    with db.session() as s:
        import_areas(s, [GeoArea("象山县", "330225", box(121.0, 29.0, 122.0, 29.5))], kind=AreaKind.COUNTY)
        centre = s.scalar(select(Unit.id).where(Unit.code == "330225-anti-fraud-centre"))
        user = create_user(s, "solo", None, role=Role.ANALYST, display_name="solo", unit_id=centre, now=T0)
        assert scope_of(s, user).county_wide


def test_cases_of_two_counties_sharing_an_account_form_one_ring_that_neither_county_sees_unmasked(
    province: Province,
) -> None:
    """省域串并: the ring spans both counties; each county sees its own case and counts the other's, with
    none of the other county's victim data; the province sees the whole ring."""
    with province.services.db.session() as s:
        areas = {a.code: a.id for a in s.scalars(select(Area))}
    for who, i, area, victim in (
        ("xs_analyst", 1, "xs-dandong", {"name": "王秀英", "phone": "13905740011"}),
        ("nh_analyst", 2, "nh-yuelong", {"name": "李建国", "phone": "13905750022"}),
    ):
        response = province.client.post(
            f"{API}/cases",
            json={
                "id": f"case-{i}",
                "reported_at": "2026-11-20T10:00:00+08:00",
                "victim": victim,
                "loss_yuan": "52000",
                "narrative": "对方让我把钱转到安全账户 6222 0212 3456 7890 123，说是配合调查",
                "area_id": areas[area],
            },
            headers={"Authorization": f"Bearer {province.tokens[who]}"},
        )
        assert response.status_code == 201, response.text

    def ring(who: str) -> dict[str, Any]:
        rings = province.get(who, "/cases/clusters")
        assert len(rings) == 1, rings
        found: dict[str, Any] = rings[0]
        return found

    xs = ring("xs_analyst")
    assert (len(xs["cases"]), xs["hidden_cases"]) == (1, 1)
    assert [(link["kind"], len(link["case_ids"])) for link in xs["links"]] == [("account", 2)], xs["links"]
    assert xs["counties"] == ["330225", "330226"]
    assert "李建国" not in str(xs)
    assert "13905750022" not in str(xs)
    nh = ring("nh_analyst")
    assert (len(nh["cases"]), nh["hidden_cases"]) == (1, 1)
    assert "王秀英" not in str(nh)
    assert "13905740011" not in str(nh)
    zj = ring("zj_analyst")
    assert (len(zj["cases"]), zj["hidden_cases"]) == (2, 0)


def _send(province: Province, method: str, who: str, path: str, body: Any) -> Any:
    return province.client.request(
        method, f"{API}{path}", json=body, headers={"Authorization": f"Bearer {province.tokens[who]}"}
    )


def test_a_countys_admin_lists_creates_and_changes_the_accounts_of_its_own_county_only(province: Province) -> None:
    def logins(who: str) -> set[str]:
        return {u["username"] for u in province.get(who, "/users", limit=1000)["items"]}

    xs = logins("xs_admin")
    assert {"xs_analyst", "xs_officer", "xs_admin"} <= xs
    assert not xs & {"nh_analyst", "nh_commander", "zj_analyst", "ops"}
    assert province.get("xs_admin", "/users", q="nh_")["total"] == 0
    # The deployment's operator (an admin of no unit) sees every county's accounts.
    assert {"xs_analyst", "nh_analyst", "zj_analyst", "ops"} <= logins("ops")

    new = {"username": "xs_new", "display_name": "新民警", "role": "officer", "password": "pw-new-officer-1"}
    elsewhere = _send(province, "POST", "xs_admin", "/users", {**new, "unit_id": province.units["station-nh-yuelong"]})
    assert (elsewhere.status_code, elsewhere.json()["error"]["field"]) == (403, "unit_id")
    no_unit = _send(province, "POST", "xs_admin", "/users", {**new, "role": "admin"})
    assert (no_unit.status_code, no_unit.json()["error"]["field"]) == (403, "unit_id"), "no operator accounts"
    mine = _send(province, "POST", "xs_admin", "/users", {**new, "unit_id": province.units["station-xs-dandong"]})
    assert mine.status_code == 201, mine.text

    ids = {u["username"]: u["id"] for u in province.get("ops", "/users", limit=1000)["items"]}
    other = _send(province, "PATCH", "xs_admin", f"/users/{ids['nh_analyst']}", {"active": False})
    assert (other.status_code, other.json()["error"]["field"]) == (404, "user_id")
    assert _send(province, "PATCH", "xs_admin", f"/users/{ids['ops']}", {"active": False}).status_code == 404
    own = _send(province, "PATCH", "xs_admin", f"/users/{ids['xs_officer']}", {"active": False})
    assert own.status_code == 200, own.text
    assert _send(province, "PATCH", "ops", f"/users/{ids['nh_analyst']}", {"active": False}).status_code == 200


def test_verification_lists_each_countys_centre_follows_its_own_county_and_the_province_both(
    province: Province,
) -> None:
    for who, list_id, lon, lat in (("xs_analyst", "xs-list", 121.85, 29.45), ("nh_analyst", "nh-list", 121.45, 29.55)):
        body = {
            "id": list_id,
            "title": "涉诈高危人员核查",
            "due_hours": 48,
            "rows": [
                {"id": f"{list_id}-1", "kind": "person", "name": "张三", "phone": "13905740099", "lon": lon, "lat": lat}
            ],
        }
        response = _send(province, "POST", who, "/verify/lists", body)
        assert response.status_code == 200, response.text

    def titles(who: str) -> dict[str, int]:
        return {item["source_id"]: item["rows"] for item in province.get(who, "/verify/lists")["items"]}

    assert titles("xs_analyst") == {"xs-list": 1}
    assert titles("nh_analyst") == {"nh-list": 1}
    assert titles("zj_analyst") == {"xs-list": 1, "nh-list": 1}
    theirs = {i["source_id"]: i["id"] for i in province.get("zj_analyst", "/verify/lists")["items"]}["nh-list"]
    assert _send(province, "GET", "xs_analyst", f"/verify/lists/{theirs}", None).status_code == 404
    assert _send(province, "GET", "xs_analyst", f"/verify/lists/{theirs}/items", None).status_code == 404


def test_warnings_of_two_counties_naming_one_phone_form_one_cluster_each_county_seeing_its_own(
    province: Province,
) -> None:
    """省域串并 of warnings: one placed at a station of 象山, one the province addressed to 宁海's centre; each
    county sees its own warning and counts the other's, never its source ids or the person warned."""
    ring = {"counterpart": "17055550001", "counterpart_kind": "phone"}
    result = province.services.intake.ingest(
        [
            _report(11, "13905740011", lon=121.85, lat=29.45, **ring),  # 象山 丹东
            _report(12, "13905750012", county="330226", **ring),  # 宁海, placed at no station
        ]
    )
    assert len(result.warnings_opened) == 2

    def ring_of(who: str) -> dict[str, Any]:
        [found] = province.get(who, "/cases/clusters")
        out: dict[str, Any] = found
        return out

    xs = ring_of("xs_analyst")
    assert [w["source_ids"] for w in xs["warnings"]] == [["t11"]]
    assert (xs["warning_count"], xs["hidden_warnings"]) == (2, 1)
    assert xs["counties"] == ["330225", "330226"]
    assert xs["links"][0]["warning_source_ids"] == ["t11"]
    assert "t12" not in str(xs)
    assert "13905750012" not in str(xs)
    nh = ring_of("nh_analyst")
    assert [w["source_ids"] for w in nh["warnings"]] == [["t12"]]
    assert nh["warnings"][0]["county_code"] == "330226"
    assert "13905740011" not in str(nh)
    zj = ring_of("zj_analyst")
    assert (len(zj["warnings"]), zj["hidden_warnings"]) == (2, 0)
    assert province.get("xs_officer", "/cases/clusters")[0]["hidden_warnings"] == 1


def test_a_countys_push_reaches_its_own_residents_only_and_its_list_holds_its_own_pushes(province: Province) -> None:
    """E警通 pushes in a deployment of two counties: 宁海's commander pushing to "everyone" reaches 宁海's
    residents, never 象山's; each county lists (and opens) its own pushes only; the operator reaches both."""
    with province.services.db.session() as s:
        areas = {a.code: a.id for a in s.scalars(select(Area))}
        for phone, station in (("13905740101", "xs-dandong"), ("13905750102", "nh-yuelong")):
            user = create_resident(s, phone, T0)
            s.add(
                DeskResident(
                    user_id=user.id, phone=phone, station_id=areas[station], tags=[], registered_at=T0, updated_at=T0
                )
            )
    everyone = {"kind": "fraud", "title": "反诈提醒", "body": "谨防冒充客服诈骗"}
    nh = _send(province, "POST", "nh_commander", "/desk/pushes", everyone)
    assert nh.status_code == 201, nh.text
    assert nh.json()["targeted"] == 1, "宁海's residents only"
    elsewhere = _send(province, "POST", "nh_commander", "/desk/pushes", {**everyone, "area_ids": [areas["xs-dandong"]]})
    assert (elsewhere.status_code, elsewhere.json()["error"]["field"]) == (403, "area_ids")
    ops = _send(province, "POST", "ops", "/desk/pushes", everyone)
    assert (ops.status_code, ops.json()["targeted"]) == (201, 2)

    assert [p["id"] for p in province.get("nh_commander", "/desk/pushes")] == [nh.json()["id"]]
    assert province.get("xs_analyst", "/desk/pushes") == []
    assert {p["id"] for p in province.get("ops", "/desk/pushes")} == {nh.json()["id"], ops.json()["id"]}
    theirs = _send(province, "GET", "xs_analyst", f"/desk/pushes/{nh.json()['id']}", None)
    assert theirs.status_code == 404
    assert _send(province, "GET", "ops", f"/desk/pushes/{nh.json()['id']}", None).status_code == 200
