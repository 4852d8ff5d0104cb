"""Bad input at the API's edges is a 4xx naming its field, never a 500 (the trust issue's probe findings).

Runs the desk tests' world (two stations, their officers, the county's centres) over SQLite and
PostgreSQL: ids out of the database's range, ids of rows that do not exist, NUL characters, LIKE
wildcards, bodies that are not JSON, and an unexpected error's answer.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Request

from pingan.api.app import create_app
from pingan.core.db import Database
from pingan.core.identifiers import mask_phone
from pingan.core.identity import create_user
from pingan.core.models import Role
from pingan.fraud.models import FraudEvent
from tests.integration.test_desk_api import POINT_A1, POINT_B, T0, D, World, build_world

TOO_BIG = 2**63


@pytest.fixture(name="world")
def world_fixture(db: Database, tmp_path: Path) -> Iterator[World]:
    w = build_world(db, tmp_path)
    yield w
    w.client.close()
    w.services.desk.close()


def _integer(schema: dict[str, Any]) -> bool:
    """Whether a parameter's schema takes an integer (alone, optional, or as a list of them)."""
    options = schema.get("anyOf", [schema])
    return any(o.get("type") == "integer" or o.get("items", {}).get("type") == "integer" for o in options)


def _integer_parameters(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter["in"] in ("path", "query") and _integer(parameter.get("schema", {})):
                    yield method, path, parameter, parameters


def test_every_integer_parameter_of_every_operation_refuses_ids_beyond_the_database_with_a_422(world: World) -> None:
    document = world.client.get("/api/v1/openapi.json").json()
    tried = []
    for method, path, target, parameters in _integer_parameters(document):
        url = path
        query: dict[str, Any] = {}
        for parameter in parameters:
            value: Any = TOO_BIG if parameter is target else (1 if _integer(parameter.get("schema", {})) else "json")
            if parameter["in"] == "path":
                url = url.replace("{" + parameter["name"] + "}", str(value))
            elif parameter is target or parameter.get("required"):
                query[parameter["name"]] = value
        response = world.client.request(method.upper(), url, params=query, headers=world.staff("admin"))
        tried.append((method, path, target["name"], response.status_code))
        assert response.status_code < 500, (method, path, target["name"], response.text)
        if response.status_code == 422:
            field = response.json()["error"]["field"]
            assert field.startswith(f"{target['in']}.{target['name']}"), (method, path, response.text)
    assert len(tried) >= 30  # every desk, fraud and task id is in the document


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (f"{D}/admin/routing-rules", {"target": "station", "area_id": TOO_BIG}, "area_id"),
        (f"{D}/admin/routing-rules", {"target": "unit", "unit_id": TOO_BIG}, "unit_id"),
        ("/api/v1/notifications/read", {"ids": [1, TOO_BIG]}, "ids.1"),
        (f"{D}/pushes", {"template_id": TOO_BIG}, "template_id"),
        (f"{D}/pushes", {"title": "t", "body": "b", "kind": "weather", "area_ids": [TOO_BIG]}, "area_ids.0"),
    ],
)
def test_body_ids_beyond_the_database_are_422s_naming_the_field(
    world: World, path: str, body: dict[str, Any], field: str
) -> None:
    response = world.client.post(path, json=body, headers=world.staff("admin"))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


# -- ids of rows that do not exist ---------------------------------------------------------------------

MISSING = 999_999


def _references(world: World) -> list[tuple[str, str, dict[str, Any], str]]:
    """Every create and update that names another row, with an id that names none."""
    rule = world.client.post(
        f"{D}/admin/routing-rules",
        json={"target": "station", "area_id": world.ids["area-A"]},
        headers=world.staff("admin"),
    ).json()["id"]
    request = world.posted(world.quick_resident("13905740001"))["id"]
    webhook = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    act = f"{D}/staff/requests/{request}"
    return [
        ("POST", f"{D}/admin/routing-rules", {"target": "station", "area_id": MISSING}, "area_id"),
        ("POST", f"{D}/admin/routing-rules", {"target": "unit", "unit_id": MISSING}, "unit_id"),
        ("PATCH", f"{D}/admin/routing-rules/{rule}", {"area_id": MISSING}, "area_id"),
        ("PATCH", f"{D}/admin/routing-rules/{rule}", {"target": "unit", "unit_id": MISSING}, "unit_id"),
        ("PUT", f"{D}/admin/officers/{world.users['officer_a1']}", {"area_id": MISSING}, "area_id"),
        ("PUT", f"{D}/admin/officers/{MISSING}", {"area_id": world.ids["area-A"]}, "user_id"),
        ("POST", f"{D}/admin/dingtalk-robots", {"unit_id": MISSING, "webhook": webhook}, "unit_id"),
        ("POST", f"{D}/admin/dingtalk-robots", {"user_id": MISSING, "webhook": webhook}, "user_id"),
        ("POST", f"{D}/pushes", {"template_id": MISSING}, "template_id"),
        ("POST", f"{D}/pushes", {"title": "t", "body": "b", "kind": "weather", "area_ids": [MISSING]}, "area_ids"),
        ("POST", f"{act}/reroute", {"unit_id": MISSING, "reason": "转办"}, "unit_id"),
        (
            "POST",
            f"{act}/reroute",
            {"unit_id": world.ids["station-B"], "assignee_id": MISSING, "reason": "转办"},
            "assignee_id",
        ),
        ("POST", f"{act}/assign", {"assignee_id": MISSING}, "assignee_id"),
        ("POST", f"{act}/divert", {"unit_id": MISSING, "reason": "非警务"}, "unit_id"),
        ("POST", f"{act}/merge", {"into_id": MISSING}, "into_id"),
    ]


def test_creates_and_updates_naming_a_row_that_does_not_exist_are_refused_naming_the_field(world: World) -> None:
    for method, path, body, field in _references(world):
        response = world.client.request(method, path, json=body, headers=world.staff("admin"))
        assert response.status_code in (404, 422), (method, path, body, response.text)
        assert response.json()["error"]["field"] == field, (method, path, response.text)
    rules = world.client.get(f"{D}/admin/routing-rules", headers=world.staff("admin")).json()
    assert [r["area_id"] for r in rules if r["source"] == "admin"] == [world.ids["area-A"]]  # nothing half-written


# -- an unexpected error -------------------------------------------------------------------------------


def test_an_unexpected_error_is_a_clean_500_and_the_connection_is_kept(world: World) -> None:
    """Over a real uvicorn server and one keep-alive connection: the request after the 500 goes over the
    same connection (the server sees the same client port)."""
    app = create_app(world.services)

    async def boom() -> None:
        raise RuntimeError("a bug with a secret in its message")

    async def port(request: Request) -> dict[str, int]:
        assert request.client is not None
        return {"port": request.client.port}

    app.add_api_route("/api/v1/test/boom", boom)
    app.add_api_route("/api/v1/test/port", port)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        host, number = sock.getsockname()
        with httpx.Client(base_url=f"http://{host}:{number}", timeout=10) as client:
            before = client.get("/api/v1/test/port").json()["port"]
            crashed = client.get("/api/v1/test/boom")
            after = client.get("/api/v1/test/port").json()["port"]
    finally:
        server.should_exit = True
        thread.join(10)
    assert crashed.status_code == 500
    assert crashed.json() == {"error": {"code": "internal_error", "message": "服务器内部错误，已记录", "field": None}}
    assert "secret" not in crashed.text
    assert "Traceback" not in crashed.text
    assert crashed.headers.get("connection") != "close"
    assert after == before


# -- NUL characters ------------------------------------------------------------------------------------


def test_a_nul_in_a_request_its_replies_or_its_messages_is_refused_naming_the_field(world: World) -> None:
    resident = world.quick_resident("13905740001")
    response = world.post(resident, text="孩子上户口\x00需要什么")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "text"
    response = world.post(resident, address="甲街道\x001号")
    assert response.json()["error"]["field"] == "address"
    request = world.posted(resident)["id"]
    for staff, action, body, field in (
        ("officer_a1", "reply", {"body": "请带户口本\x00"}, "body"),
        ("officer_a1", "close", {"resolution": "closed", "reason": "重复\x00"}, "reason"),
        ("officer_a1", "reroute", {"unit_id": world.ids["station-B"], "reason": "\x00"}, "reason"),
    ):
        response = world.act(staff, request, action, **body)
        assert response.status_code == 422, (action, response.text)
        assert response.json()["error"]["field"] == field
    response = world.client.post(f"{D}/requests/{request}/messages", json={"body": "还有\x00"}, headers=resident)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "body"
    view = world.client.get(f"{D}/requests/{request}", headers=resident).json()
    assert "\x00" not in str(view)
    assert len(view["messages"]) == 1  # the request's own text only: nothing refused was stored


# -- LIKE wildcards ------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["%", "_", "\\"])
def test_a_search_for_a_wildcard_finds_only_text_that_holds_it(world: World, q: str) -> None:
    admin = world.staff("admin")
    world.posted(world.quick_resident("13905740001"))
    created = world.client.post(
        "/api/v1/fraud/indicators", json={"kind": "phone", "value": "13800138000"}, headers=admin
    )
    assert created.status_code == 201, created.text
    tasks = world.client.get("/api/v1/tasks", params={"q": q}, headers=admin).json()
    assert tasks["total"] == 0
    assert world.client.get("/api/v1/tasks", headers=admin).json()["total"] == 1
    indicators = world.client.get("/api/v1/fraud/indicators", params={"q": q}, headers=admin).json()
    assert indicators == []
    assert len(world.client.get("/api/v1/fraud/indicators", params={"q": "138"}, headers=admin).json()) == 1


# -- intake bodies -------------------------------------------------------------------------------------

EVENT = {
    "id": "tel-1",
    "source": "telecom",
    "kind": "call",
    "at": "2026-11-23T09:00:00+08:00",
    "subject_phone": "13905740001",
}


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_an_event_batch_that_is_not_json_is_a_415_naming_its_content_type(
    world: World, content_type: str | None
) -> None:
    headers = {**world.staff("analyst"), **({"content-type": content_type} if content_type else {})}
    response = world.client.post("/api/v1/fraud/events", content=json.dumps([EVENT]).encode(), headers=headers)
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type"
    assert (content_type or "无 Content-Type") in error["message"]
    assert world.count(FraudEvent) == 0


def test_items_of_a_batch_that_are_not_objects_are_reported_as_such_by_index(world: World) -> None:
    response = world.client.post("/api/v1/fraud/events", json=[42, None, EVENT, "x"], headers=world.staff("analyst"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["accepted"] == 1
    assert [(r["index"], r["error"]["code"], r["error"]["field"]) for r in body["rejected"]] == [
        (0, "not_an_object", None),
        (1, "not_an_object", None),
        (3, "not_an_object", None),
    ]
    assert "number" in body["rejected"][0]["error"]["message"]
    assert "null" in body["rejected"][1]["error"]["message"]


# -- scope ---------------------------------------------------------------------------------------------


def _template(world: World, who: str, code: str) -> httpx.Response:
    body = {"code": code, "kind": "fraud", "title": "警惕冒充公检法", "body": "{area}居民请注意"}
    response: httpx.Response = world.client.post(f"{D}/push-templates", json=body, headers=world.staff(who))
    return response


def test_a_county_template_is_the_centres_and_a_stations_template_its_own(world: World) -> None:
    with world.services.db.session() as session:
        head_b = create_user(
            session,
            "head_b",
            None,
            role=Role.STATION_HEAD,
            display_name="乙所长",
            unit_id=world.ids["station-B"],
            now=T0,
        )
        world.users["head_b"] = head_b.id
    county = _template(world, "commander", "county-fraud").json()
    assert county["unit_id"] is None
    own = _template(world, "head_a", "a-fraud").json()
    assert own["unit_id"] == world.ids["station-A"]
    url = f"{D}/push-templates"
    refused = world.client.patch(f"{url}/{county['id']}", json={"active": False}, headers=world.staff("head_a"))
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["field"] == "template_id"
    other = world.client.patch(f"{url}/{own['id']}", json={"title": "改"}, headers=world.staff("head_b"))
    assert other.status_code == 404  # another station's template is not theirs to see
    edited = world.client.patch(f"{url}/{own['id']}", json={"title": "本所提醒"}, headers=world.staff("head_a"))
    assert edited.status_code == 200, edited.text
    assert (
        world.client.patch(f"{url}/{own['id']}", json={"active": False}, headers=world.staff("admin")).status_code
        == 200
    )
    listed = world.client.get(url, params={"include_inactive": True}, headers=world.staff("head_b")).json()
    assert [t["code"] for t in listed] == ["county-fraud"]
    still = world.client.get(url, headers=world.staff("commander")).json()
    assert [(t["code"], t["active"]) for t in still] == [("county-fraud", True)]
    sent = world.client.post(
        f"{D}/pushes", json={"template_id": own["id"], "area_ids": [world.ids["area-B"]]}, headers=world.staff("head_b")
    )
    assert sent.status_code == 404


def test_a_station_officers_figures_count_only_their_stations_residents_requests_and_pushes(world: World) -> None:
    world.posted(world.quick_resident("13905740001"))  # at A1
    for phone, point in (("13905740002", POINT_A1), ("13905740003", POINT_B)):
        me = world.quick_resident(phone)
        assert (
            world.client.put(f"{D}/me", json={"lon": point[0], "lat": point[1], "crs": "wgs84"}, headers=me).status_code
            == 200
        )
    pushed = world.client.post(
        f"{D}/pushes",
        json={"kind": "fraud", "title": "提醒", "body": "请注意", "area_ids": [world.ids["area-A"]]},
        headers=world.staff("head_a"),
    )
    assert pushed.status_code == 201, pushed.text

    def figures(who: str) -> tuple[int, int, int]:
        body = world.client.get(f"{D}/stats", headers=world.staff(who)).json()
        return body["registered_residents"], body["requests"], body["pushes"]

    county = figures("admin")
    assert county[1:] == (1, 1)
    assert figures("officer_b") == (1, 0, 0)
    assert figures("officer_a1")[1:] == (1, 1)
    assert figures("officer_a1")[0] + figures("officer_b")[0] <= county[0]


def test_a_station_head_lists_their_own_stations_officers_with_phones_masked(world: World) -> None:
    listed = world.client.get(f"{D}/admin/officers", headers=world.staff("head_a")).json()
    assert sorted(o["name"] for o in listed) == ["李警官", "王警官"]
    assert {o["contact_phone"] for o in listed} == {mask_phone("0574-65000000")}
    everyone = world.client.get(f"{D}/admin/officers", headers=world.staff("admin")).json()
    assert len(everyone) == 3
    assert {o["contact_phone"] for o in everyone} == {"0574-65000000"}
    commander = world.client.get(f"{D}/admin/officers", headers=world.staff("commander")).json()
    assert len(commander) == 3
    assert "0574-65000000" not in str(commander)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/fraud/figures",
        "/api/v1/fraud/figures/series",
        "/api/v1/desk/stats",
        "/api/v1/payments/figures",
        "/api/v1/tracking/figures",
    ],
)
def test_every_figures_period_is_checked_in_one_place(world: World, path: str) -> None:
    # An end in the first days of year 1 has no default start 30 days before it: a 422 naming `end`
    # (fraud's figures gave a 500), and a start after the end a 422 naming `start`, on every figure.
    early = world.client.get(path, params={"end": "0001-01-02T00:00:00+00:00"}, headers=world.staff("admin"))
    assert early.status_code == 422, early.text
    assert early.json()["error"]["field"] == "end"
    backwards = world.client.get(
        path,
        params={"start": "2026-11-02T00:00:00+08:00", "end": "2026-11-01T00:00:00+08:00"},
        headers=world.staff("admin"),
    )
    assert backwards.status_code == 422, backwards.text
    assert backwards.json()["error"]["field"] == "start"
