"""The search box and the exports over the citizen desk: a request is found by its resident's phone typed in
another format, within the desk's own visibility (a request another station holds never appears), and the
desk queue's export holds what the queue shows, phones masked. The desk world of `test_desk_api`."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.integration.test_desk_api import (  # noqa: F401 - the fixtures are used by name
    POINT_B,
    World,
    db_fixture,
    world_fixture,
)

API = "/api/v1"
PHONE = "13800000777"


def search(world: World, who: str, q: str) -> dict[str, Any]:
    response = world.client.get(f"{API}/search", params={"q": q}, headers=world.staff(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def requests_found(body: dict[str, Any]) -> set[int]:
    return {h["id"] for h in body["items"] if h["type"] == "request"}


def test_a_request_is_found_by_its_phone_in_another_format_by_its_station_only(world: World) -> None:
    posted = world.posted(world.resident(PHONE), text=f"我的电话 {PHONE}，门口有人乱停车")
    found = search(world, "head_a", "+86 138 0000 0777")
    assert requests_found(found) == {posted["id"]}
    hit = next(h for h in found["items"] if h["type"] == "request")
    assert PHONE not in str(hit)
    assert "138****0777" in hit["title"]
    assert requests_found(search(world, "officer_b", PHONE)) == set()
    assert requests_found(search(world, "officer_b", f"诉求{posted['id']}")) == set()
    assert requests_found(search(world, "commander", f"#{posted['id']}")) == {posted["id"]}


def test_the_desk_queue_export_holds_the_queue_masked_and_scoped(world: World) -> None:
    mine = world.posted(world.resident(PHONE))
    other = world.posted(world.resident("13800000778"), point=POINT_B)
    response = world.client.get(
        f"{API}/exports/desk-requests", params={"format": "csv", "state": "all"}, headers=world.staff("head_a")
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    queue = world.client.get(
        f"{API}/desk/staff/requests", params={"state": "all"}, headers=world.staff("head_a")
    ).json()
    assert [int(r["诉求编号"]) for r in rows] == [i["id"] for i in queue["items"]]
    assert mine["id"] in {int(r["诉求编号"]) for r in rows}
    assert other["id"] not in {int(r["诉求编号"]) for r in rows}
    assert {r["手机号"] for r in rows if int(r["诉求编号"]) == mine["id"]} == {"138****0777"}
    assert PHONE not in response.content.decode("utf-8-sig")
