"""Open311 GeoReport v2 at /open311/v2 (DESIGN §7): every resource in XML and JSON exactly as the spec
writes them, posts that go through the desk like a resident's own, and errors in the spec's shape.

The county is two square stations whose answers are obvious by eye: 丹东 (121.90-121.95 E, 29.40-29.45 N),
split into 东门社区 (west half, with a community officer) and 西岙社区, and 爵溪 to its east.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from shapely.geometry import box
from sqlalchemy import func, insert, select

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea
from pingan.core.identity import Actor, create_user, issue_token
from pingan.core.models import Area, AreaKind, Role, Unit, UnitKind, User
from pingan.core.settings import Settings
from pingan.desk.models import DeskMessage, DeskRequest, DeskResident
from pingan.desk.open311.keys import create_api_key, revoke_api_key
from pingan.desk.open311.models import Open311Request
from pingan.desk.otp import FakeSmsGateway
from pingan.desk.rules.kinds import Category
from pingan.desk.schemas import OfficerUpdate
from pingan.desk.setup import ensure_desk_units

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai: working hours
DONGMEN = {"lat": "29.42", "long": "121.91"}  # 东门社区, 丹东
XIAO = {"lat": "29.42", "long": "121.94"}  # 西岙社区, 丹东
FORMATS = ["xml", "json"]

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@dataclass
class County:
    client: TestClient
    services: Services
    clock: FakeClock
    db: Database
    key: str
    key_id: int
    officer: Actor
    governance: Actor
    commander_token: str
    dandong_unit: int

    def post(self, fmt: str = "json", **fields: str) -> Response:
        data = {"api_key": self.key, "phone": "13812345678", **fields}
        response: Response = self.client.post(f"/open311/v2/requests.{fmt}", data=data)
        return response

    def created(self, **fields: str) -> int:
        response = self.post("json", **fields)
        assert response.status_code == 200, response.text
        return int(response.json()[0]["service_request_id"])

    def count(self, model: type[Any]) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def county(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[County]:
    """The county on in-memory SQLite and on a throwaway PostgreSQL database. Staff have no passwords
    (hashing them is the slowest part of a set-up): the commander's token is issued directly."""
    url = "sqlite://" if request.param == "sqlite" else request.getfixturevalue("fresh_postgres_url")
    db = Database(url)
    db.create_all()
    clock = FakeClock(T0)
    settings = Settings(media_dir=tmp_path / "media", desk_dingtalk_enabled=False)
    services = bootstrap(settings, clock=clock, db=db, sms=FakeSmsGateway())
    now = clock.now()
    with db.session() as s:
        ensure_desk_units(s)
        import_areas(
            s,
            [
                GeoArea("丹东街道", "330225001", box(121.90, 29.40, 121.95, 29.45), {"station": "丹东派出所"}),
                GeoArea("爵溪街道", "330225003", box(121.95, 29.40, 122.00, 29.45), {"station": "爵溪派出所"}),
            ],
            kind=AreaKind.STATION,
        )
        import_areas(
            s,
            [
                GeoArea("东门社区", "330225001001", box(121.90, 29.40, 121.925, 29.45), {}),
                GeoArea("西岙社区", "330225001002", box(121.925, 29.40, 121.95, 29.45), {}),
            ],
            kind=AreaKind.COMMUNITY,
            parent_code="330225001",
            with_units=False,
        )
        dandong_area = s.scalar(select(Area.id).where(Area.code == "330225001"))
        dongmen = s.scalar(select(Area.id).where(Area.code == "330225001001"))
        assert dandong_area is not None
        assert dongmen is not None
        dandong = s.scalar(select(Unit).where(Unit.kind == UnitKind.STATION, Unit.area_id == dandong_area))
        assert dandong is not None
        zongzhi = Unit(code="gov-dandong", name="丹东街道综治中心", kind=UnitKind.GOVERNANCE, area_id=dandong_area)
        s.add(zongzhi)
        s.flush()
        admin = create_user(s, "admin", None, role=Role.ADMIN, display_name="管理员", unit_id=None, now=now)
        commander = create_user(
            s, "qzzx", None, role=Role.COMMANDER, display_name="情指中心 林指挥", unit_id=None, now=now
        )
        token = issue_token(commander, settings.signing_key(), now, timedelta(hours=1))
        officer = create_user(
            s, "dd_mj", None, role=Role.OFFICER, display_name="丹东派出所 王社区民警", unit_id=dandong.id, now=now
        )
        staff = create_user(
            s, "dd_zz", None, role=Role.GOVERNANCE, display_name="综治 李调解", unit_id=zongzhi.id, now=now
        )
        key_row, key = create_api_key(s, "随手拍客户端", now)
        ids = (admin.id, officer.id, staff.id, zongzhi.id, dandong.id, key_row.id)
    admin_id, officer_id, staff_id, zongzhi_id, dandong_id, key_id = ids
    services.desk.admin.set_officer(
        Actor(admin_id, Role.ADMIN, None), officer_id, OfficerUpdate(area_id=dongmen, office="东门警务室")
    )
    with TestClient(create_app(services)) as client:
        yield County(
            client=client,
            services=services,
            clock=clock,
            db=db,
            key=key,
            key_id=key_id,
            officer=Actor(officer_id, Role.OFFICER, dandong_id),
            governance=Actor(staff_id, Role.GOVERNANCE, zongzhi_id),
            commander_token=token,
            dandong_unit=dandong_id,
        )
    services.close()


# -- reading the answers -------------------------------------------------------------------------------


def xml_of(response: Response, root: str) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    tree = ET.fromstring(response.content)  # noqa: S314 - our own server's answer, in a test
    assert tree.tag == root
    return tree


def json_of(response: Response) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def items(response: Response, fmt: str, root: str, item: str) -> list[dict[str, Any]]:
    """A list document read the same way from either format: XML leaves as text (None when empty)."""
    if fmt == "json":
        data = json_of(response)
        assert isinstance(data, list)
        return [dict(d) for d in data]
    tree = xml_of(response, root)
    assert all(child.tag == item for child in tree)
    return [{leaf.tag: leaf.text for leaf in child} for child in tree]


def errors(response: Response, fmt: str) -> list[tuple[int, str]]:
    found = items(response, fmt, "errors", "error")
    assert found, "an error answer lists at least one error"
    for error in found:
        assert set(error) == {"code", "description"}
        assert error["description"]
    return [(int(e["code"]), str(e["description"])) for e in found]


# -- discovery and services ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_this_endpoint_and_both_formats(county: County, fmt: str) -> None:
    response = county.client.get(f"/open311/v2/discovery.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        tree = xml_of(response, "discovery")
        assert [c.tag for c in tree] == ["changeset", "contact", "key_service", "endpoints"]
        (endpoint,) = tree.findall("endpoints/endpoint")
        doc: dict[str, Any] = {c.tag: c.text for c in endpoint if c.tag != "formats"}
        doc["formats"] = [f.text for f in endpoint.findall("formats/format")]
    else:
        body = json_of(response)
        assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
        (doc,) = body["endpoints"]
    assert doc["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert doc["url"] == "http://testserver/open311/v2"
    assert doc["type"] == "production"
    assert doc["formats"] == ["text/xml", "application/json"]
    assert str(doc["changeset"]).endswith("+08:00")


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_service_list_has_one_service_per_desk_category(county: County, fmt: str) -> None:
    response = county.client.get(f"/open311/v2/services.{fmt}")
    assert response.status_code == 200
    services = items(response, fmt, "services", "service")
    assert [s["service_code"] for s in services] == [c.value for c in Category]
    for s in services:
        assert list(s) == SERVICE_FIELDS
        assert s["type"] == "realtime"
        assert s["service_name"]
        assert s["description"]
        assert s["keywords"]
        assert s["group"]
    by_code = {s["service_code"]: s for s in services}
    assert by_code["nuisance"]["service_name"] == "非警务求助"
    metadata = {code: s["metadata"] for code, s in by_code.items()}
    if fmt == "xml":
        assert metadata["consultation"] == "true"
        assert metadata["fraud"] == "false"
    else:
        assert metadata["consultation"] is True
        assert metadata["fraud"] is False
    assert "110" in by_code["emergency"]["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_lists_its_topics_as_a_single_value_list(county: County, fmt: str) -> None:
    response = county.client.get(f"/open311/v2/services/nuisance.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        tree = xml_of(response, "service_definition")
        assert tree.findtext("service_code") == "nuisance"
        (attribute,) = tree.findall("attributes/attribute")
        assert [c.tag for c in attribute] == [
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        ]
        assert attribute.findtext("variable") == "true"
        assert attribute.findtext("datatype") == "singlevaluelist"
        assert attribute.findtext("required") == "false"
        assert attribute.findtext("order") == "1"
        values = [(v.findtext("key"), v.findtext("name")) for v in attribute.findall("values/value")]
    else:
        body = json_of(response)
        assert body["service_code"] == "nuisance"
        (a,) = body["attributes"]
        assert (a["variable"], a["code"], a["datatype"], a["required"], a["order"]) == (
            True,
            "topic",
            "singlevaluelist",
            False,
            1,
        )
        assert a["datatype_description"] is None
        values = [(v["key"], v["name"]) for v in a["values"]]
    assert values == [("dog", "犬类管理"), ("noise", "噪音扰民"), ("other", "其他")]


def test_the_emergency_definition_carries_the_110_notice_as_information(county: County) -> None:
    body = county.client.get("/open311/v2/services/emergency.json").json()
    (notice,) = body["attributes"]
    assert notice["variable"] is False
    assert "110" in notice["description"]
    assert county.client.get("/open311/v2/services/fraud.json").json() == {"service_code": "fraud", "attributes": []}


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_definition_is_a_404_in_the_spec_shape(county: County, fmt: str) -> None:
    response = county.client.get(f"/open311/v2/services/potholes.{fmt}")
    assert response.status_code == 404
    assert errors(response, fmt)[0][0] == 404


def test_an_unknown_path_or_format_answers_in_the_spec_shape(county: County) -> None:
    missing = county.client.get("/open311/v2/nothing.json")
    assert missing.status_code == 404
    assert errors(missing, "json")[0][0] == 404
    yaml = county.client.get("/open311/v2/services.yaml")
    assert yaml.status_code == 404
    assert errors(yaml, "xml")[0][0] == 404
    wrong_method = county.client.delete("/open311/v2/services.xml")
    assert wrong_method.status_code == 405
    assert errors(wrong_method, "xml")[0][0] == 405


# -- posting -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_with_a_valid_key_becomes_a_desk_request_of_that_resident(county: County, fmt: str) -> None:
    response = county.post(
        fmt,
        service_code="consultation",
        **DONGMEN,
        description="孩子的户口怎么迁入？",
        **{"attribute[topic]": "household"},
        first_name="三",
        last_name="张",
        email="zhang@example.cn",
        account_id="acct-9",
        device_id="dev-1",
        media_url="http://photos.example.cn/1.jpg",
        jurisdiction_id="xiangshan.gov.cn",
    )
    assert response.status_code == 200, response.text
    (created,) = items(response, fmt, "service_requests", "request")
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    request_id = int(created["service_request_id"])
    assert created["account_id"] == "acct-9"
    assert "东门" not in str(created["service_notice"])  # the notice names the handler, not the place
    assert "丹东派出所" in str(created["service_notice"])
    with county.db.session() as s:
        row = s.get(DeskRequest, request_id)
        assert row is not None
        assert (row.category.value, row.topic and row.topic.value, row.phone) == (
            "consultation",
            "household",
            "13812345678",
        )
        assert (row.lon, row.lat) == (121.91, 29.42)  # WGS84 in, WGS84 stored: no GCJ-02 shift
        assert row.handler_id == county.officer.id  # routed like a resident's post: to the community officer
        resident = s.scalar(select(DeskResident).where(DeskResident.phone == "13812345678"))
        assert resident is not None
        assert resident.user_id == row.resident_id
        link = s.get(Open311Request, request_id)
        assert link is not None
        assert link.api_key_id == county.key_id
        assert link.device_id == "dev-1"
        note = s.scalar(select(DeskMessage).where(DeskMessage.request_id == request_id, DeskMessage.internal))
        assert note is not None
        assert "张三" in note.body
        assert "随手拍客户端" in note.body


def test_a_post_needs_a_valid_key_and_stores_nothing_without_one(county: County) -> None:
    fields = {"service_code": "hazard", **DONGMEN, "phone": "13812345678", "description": "路灯坏了"}
    no_key = county.client.post("/open311/v2/requests.xml", data=fields)
    assert no_key.status_code == 403
    assert errors(no_key, "xml")[0][0] == 403
    wrong = county.client.post("/open311/v2/requests.json", data={**fields, "api_key": "o311_not-a-key"})
    assert wrong.status_code == 403
    with county.db.session() as s:
        revoke_api_key(s, county.key_id, county.clock.now())
    revoked = county.client.post("/open311/v2/requests.json", data={**fields, "api_key": county.key})
    assert revoked.status_code == 403
    assert (county.count(DeskRequest), county.count(User)) == (0, 4)


MALFORMED: list[tuple[str, dict[str, str], int, str]] = [
    ("missing service_code", {**DONGMEN, "description": "x"}, 400, "service_code"),
    ("unknown service", {"service_code": "potholes", **DONGMEN, "description": "x"}, 404, "potholes"),
    ("lat is not a number", {"service_code": "hazard", "lat": "北纬29", "long": "121.91"}, 400, "lat"),
    ("long missing", {"service_code": "hazard", "lat": "29.42"}, 400, "long"),
    ("lat out of range", {"service_code": "hazard", "lat": "129.42", "long": "121.91"}, 400, "lat"),
    ("lat and long swapped", {"service_code": "hazard", "lat": "121.91", "long": "29.42"}, 400, "lat"),
    ("outside the county", {"service_code": "hazard", "lat": "30.25", "long": "120.16"}, 400, "本县"),
    ("no location", {"service_code": "hazard", "description": "x"}, 400, "位置"),
    ("only an address id", {"service_code": "hazard", "address_id": "545483"}, 400, "address_id"),
    ("unknown topic", {"service_code": "nuisance", **DONGMEN, "attribute[topic]": "cats"}, 400, "topic"),
    ("attribute of another service", {"service_code": "fraud", **DONGMEN, "attribute[topic]": "dog"}, 400, "topic"),
    ("no phone", {"service_code": "hazard", **DONGMEN, "phone": ""}, 400, "phone"),
    ("a landline", {"service_code": "hazard", **DONGMEN, "phone": "0574-65721234"}, 400, "phone"),
    ("description too long", {"service_code": "hazard", **DONGMEN, "description": "坑" * 4001}, 400, "4000"),
    (
        "a NUL in the description",
        {"service_code": "hazard", **DONGMEN, "description": "路面\x00塌陷"},
        400,
        "description",
    ),
    (
        "media_url not a link",
        {"service_code": "hazard", **DONGMEN, "media_url": "file:///etc/passwd"},
        400,
        "media_url",
    ),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("case", "fields", "status", "hint"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_a_malformed_post_is_a_spec_error_and_stores_nothing(
    county: County, fmt: str, case: str, fields: dict[str, str], status: int, hint: str
) -> None:
    response = county.post(fmt, **fields)
    assert response.status_code == status, response.text
    found = errors(response, fmt)
    assert {code for code, _ in found} == {status}
    assert any(hint in description for _, description in found), found
    assert (county.count(DeskRequest), county.count(DeskResident), county.count(Open311Request)) == (0, 0, 0)


def test_every_problem_of_a_form_is_reported_at_once(county: County) -> None:
    response = county.post("json", service_code="nuisance", phone="", **{"attribute[topic]": "cats"})
    assert response.status_code == 400
    described = " ".join(d for _, d in errors(response, "json"))
    assert "位置" in described
    assert "topic" in described
    assert "phone" in described


def test_a_post_by_address_alone_finds_the_community_by_name(county: County) -> None:
    request_id = county.created(
        service_code="consultation", address_string="丹东街道东门社区中街12号", description="办居住证"
    )
    with county.db.session() as s:
        row = s.get(DeskRequest, request_id)
        assert row is not None
        assert row.lon is None
        assert row.handler_id == county.officer.id


def test_a_description_longer_than_the_desk_keeps_follows_as_a_message(county: County) -> None:
    text = "甲" * 2000 + "乙" * 500
    request_id = county.created(service_code="hazard", **DONGMEN, description=text)
    with county.db.session() as s:
        row = s.get(DeskRequest, request_id)
        assert row is not None
        assert row.text == "甲" * 2000
        bodies = list(s.scalars(select(DeskMessage.body).where(DeskMessage.request_id == request_id)))
    assert "乙" * 500 in bodies


def test_a_post_is_in_the_staff_queue_of_the_desk(county: County) -> None:
    request_id = county.created(service_code="hazard", **XIAO, description="消防通道被电动车堵住")
    auth = {"Authorization": f"Bearer {county.commander_token}"}
    queue = county.client.get("/api/v1/desk/staff/requests", headers=auth)
    assert queue.status_code == 200, queue.text
    (item,) = queue.json()["items"]
    assert item["id"] == request_id
    assert item["phone"] == "138****5678"  # masked in the queue like any resident's
    view = county.client.get(f"/api/v1/desk/staff/requests/{request_id}", headers=auth).json()
    assert any("Open311" in m["body"] and m["internal"] for m in view["messages"])
    resident = county.client.get("/open311/v2/requests.json").json()
    assert [r["service_request_id"] for r in resident] == [request_id]


# -- reading -------------------------------------------------------------------------------------------


def _by_id(county: County, fmt: str, request_id: int) -> dict[str, Any]:
    response = county.client.get(f"/open311/v2/requests/{request_id}.{fmt}")
    assert response.status_code == 200, response.text
    (found,) = items(response, fmt, "service_requests", "request")
    return found


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_is_read_back_with_the_spec_fields_and_no_personal_data(county: County, fmt: str) -> None:
    request_id = county.created(
        service_code="nuisance",
        **DONGMEN,
        **{"attribute[topic]": "dog"},
        description="中街12号的狗每晚叫，我电话13812345678",
        address_string="丹东街道东门社区中街12号3幢501室",
        first_name="三",
        last_name="张",
    )
    found = _by_id(county, fmt, request_id)
    assert list(found) == REQUEST_FIELDS
    raw = county.client.get(f"/open311/v2/requests/{request_id}.{fmt}").text
    assert "13812345678" not in raw
    assert "5678" not in raw
    assert "张" not in raw
    assert "501" not in raw  # the house number of the address is masked
    assert str(found["service_request_id"]) == str(request_id)
    assert (found["status"], found["service_code"], found["service_name"]) == ("open", "nuisance", "非警务求助")
    assert str(found["description"]).startswith("中街***的狗每晚叫")  # the street, not the house number
    assert found["agency_responsible"] == "丹东街道综治中心"  # diverted to the town's governance centre
    assert "综治中心" in str(found["service_notice"])
    assert found["requested_datetime"] == "2026-11-23T10:00:00+08:00"
    assert found["expected_datetime"] == "2026-11-23T10:30:00+08:00"  # the reply window in working hours
    assert float(found["lat"]) == 29.42
    assert float(found["long"]) == 121.91
    if fmt == "json":
        assert found["address_id"] is None
        assert found["zipcode"] is None
        assert found["media_url"] is None
    else:
        assert found["address_id"] is None
        assert found["zipcode"] is None


def test_a_sensitive_request_is_listed_without_its_text_or_place(county: County) -> None:
    request_id = county.created(service_code="fraud", **DONGMEN, description="有人冒充公安让我转账到安全账户")
    found = _by_id(county, "json", request_id)
    assert found["description"] is None
    assert found["lat"] is None
    assert found["address"] is None
    assert found["service_code"] == "fraud"
    assert found["status"] == "open"


def test_status_is_open_until_the_desk_closes_the_request(county: County) -> None:
    desk = county.services.desk.requests
    answered = county.created(service_code="consultation", **DONGMEN, description="护照怎么办？")
    resolved = county.created(
        service_code="consultation", **DONGMEN, description="身份证丢了怎么补？", phone="13912345678"
    )
    desk.reply(county.officer, answered, "请带户口本到派出所户籍窗口办理。")
    desk.reply(county.officer, resolved, "可在派出所补领，当场受理。")
    desk.close(county.officer, resolved)
    a, r = _by_id(county, "xml", answered), _by_id(county, "xml", resolved)
    assert (a["status"], a["status_notes"], a["expected_datetime"]) == ("open", "已答复", None)
    assert (r["status"], r["status_notes"]) == ("closed", "已办结")
    county.clock.advance(minutes=5)
    desk.close(county.officer, answered, resolution="closed", reason="群众已自行办理")
    closed = _by_id(county, "json", answered)
    assert (closed["status"], closed["status_notes"]) == ("closed", "已关闭")
    assert closed["updated_datetime"] == "2026-11-23T10:05:00+08:00"
    opened = county.client.get("/open311/v2/requests.json", params={"status": "open"}).json()
    done = county.client.get("/open311/v2/requests.xml", params={"status": "closed"})
    assert opened == []
    assert {int(str(d["service_request_id"])) for d in items(done, "xml", "service_requests", "request")} == {
        answered,
        resolved,
    }


def test_a_merged_duplicate_is_closed_and_says_into_which(county: County) -> None:
    first = county.created(service_code="hazard", **DONGMEN, description="中街路口红绿灯坏了")
    second = county.created(
        service_code="hazard", **DONGMEN, description="中街路口的红绿灯坏了很久", phone="13912345678"
    )
    county.services.desk.requests.merge(county.officer, second, first)
    merged = _by_id(county, "json", second)
    assert (merged["status"], merged["status_notes"]) == ("closed", f"与诉求{first}合并处理")


@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_are_filtered_by_code_status_ids_and_dates(county: County, fmt: str) -> None:
    old = county.created(service_code="hazard", **DONGMEN, description="井盖缺失")
    county.clock.advance(days=91)
    dog = county.created(service_code="nuisance", **DONGMEN, description="狗叫", phone="13912345678")
    tip = county.created(service_code="consultation", **XIAO, description="驾照换证", phone="13712345678")

    def ids(**params: str) -> list[int]:
        response = county.client.get(f"/open311/v2/requests.{fmt}", params=params)
        assert response.status_code == 200, response.text
        return [int(str(r["service_request_id"])) for r in items(response, fmt, "service_requests", "request")]

    assert ids() == [tip, dog]  # the last 90 days, newest first
    assert ids(service_code="nuisance,consultation") == [tip, dog]
    assert ids(service_code="nuisance") == [dog]
    assert ids(service_code="potholes") == []
    assert ids(status="open,closed") == [tip, dog]
    assert ids(service_request_id=f"{old},{dog}", service_code="consultation") == [dog, old]  # ids override
    assert ids(start_date="2026-11-01T00:00:00+08:00", end_date="2026-11-30T00:00:00+08:00") == [old]
    assert ids(start_date="2026-11-01", end_date="2026-11-30") == [old]
    assert ids(end_date="2026-11-30T00:00:00Z") == [old]
    assert ids(start_date="2027-02-20T00:00:00Z") == [tip, dog]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"},
        {"start_date": "2026-12-01T00:00:00Z", "end_date": "2026-11-01T00:00:00Z"},
        {"start_date": "yesterday"},
        {"status": "pending"},
        {"service_request_id": "12,abc"},
    ],
)
def test_bad_query_arguments_are_400s(county: County, params: dict[str, str]) -> None:
    response = county.client.get("/open311/v2/requests.xml", params=params)
    assert response.status_code == 400
    assert errors(response, "xml")[0][0] == 400


def test_no_more_than_a_thousand_requests_are_returned(county: County) -> None:
    with county.db.session() as s:
        template = s.get(DeskRequest, county.created(service_code="hazard", **DONGMEN, description="路面塌陷"))
        assert template is not None
        values = {c.key: getattr(template, c.key) for c in DeskRequest.__table__.columns if c.key != "id"}
        s.execute(
            insert(DeskRequest),
            [
                {**values, "task_id": None, "client_ref": f"bulk-{i}", "created_at": T0 - timedelta(minutes=i + 1)}
                for i in range(1005)
            ],
        )
    listed = county.client.get("/open311/v2/requests.json").json()
    assert len(listed) == 1000


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_request_is_a_404(county: County, fmt: str) -> None:
    for path in ("/open311/v2/requests/999", "/open311/v2/requests/abc"):
        response = county.client.get(f"{path}.{fmt}")
        assert response.status_code == 404
        assert errors(response, fmt)[0][0] == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_resolves_to_its_request(county: County, fmt: str) -> None:
    request_id = county.created(service_code="hazard", **DONGMEN, description="电线杆倾斜")
    with county.db.session() as s:
        token = s.scalar(select(Open311Request.token).where(Open311Request.request_id == request_id))
    assert token
    response = county.client.get(f"/open311/v2/tokens/{token}.{fmt}")
    assert response.status_code == 200
    (found,) = items(response, fmt, "service_requests", "request")
    assert (str(found["service_request_id"]), found["token"]) == (str(request_id), token)
    missing = county.client.get(f"/open311/v2/tokens/nope.{fmt}")
    assert missing.status_code == 404
    assert errors(missing, fmt)[0][0] == 404


def test_the_same_text_posted_twice_is_refused_by_the_desk(county: County) -> None:
    county.created(service_code="hazard", **DONGMEN, description="桥栏杆断了")
    again = county.post("json", service_code="hazard", **DONGMEN, description="桥栏杆断了")
    assert again.status_code == 400
    assert "重复" in errors(again, "json")[0][1]
    assert county.count(DeskRequest) == 1


def test_a_flood_from_one_phone_is_429_with_retry_after(county: County) -> None:
    for i in range(5):
        county.created(service_code="hazard", **DONGMEN, description=f"第{i}处路灯坏了")
    flood = county.post("xml", service_code="hazard", **DONGMEN, description="又一处路灯坏了")
    assert flood.status_code == 429
    assert int(flood.headers["retry-after"]) > 0
    assert errors(flood, "xml")[0][0] == 429


def test_text_that_xml_cannot_carry_is_dropped_not_a_broken_document(county: County) -> None:
    request_id = county.created(service_code="hazard", **DONGMEN, description="路面\x01有坑\x0b")
    found = _by_id(county, "xml", request_id)
    assert found["description"] == "路面有坑"
