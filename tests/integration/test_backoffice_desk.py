"""The search box and the exports over the citizen desk: a request is found by its resident's phone typed in
another format, within the desk's own visibility (a request another station holds never appears), and the
desk queue's export holds what the queue shows, phones masked. The desk world of `test_desk_api`."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from pingan.api.routes import exports as export_routes
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


@pytest.mark.parametrize("order", ["newest", "due"])
def test_the_desk_queue_pages_with_a_true_total_and_exports_every_page(
    world: World, order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five requests, two a page: the total is five on every page, the pages never repeat a row, and the
    export (read two at a time) holds all five once, in either order (the deadline order pages by offset)."""
    monkeypatch.setattr(export_routes, "PAGE", 2)
    posted = [world.posted(world.resident(f"1380000{n:04d}"))["id"] for n in range(5)]
    seen: list[int] = []
    for offset in (0, 2, 4):
        page = world.client.get(
            f"{API}/desk/staff/requests",
            params={"state": "all", "order": order, "limit": 2, "offset": offset},
            headers=world.staff("commander"),
        ).json()
        assert page["total"] == 5, page
        seen += [i["id"] for i in page["items"]]
    assert sorted(seen) == sorted(posted)
    response = world.client.get(
        f"{API}/exports/desk-requests",
        params={"format": "csv", "state": "all", "order": order},
        headers=world.staff("commander"),
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(int(r["诉求编号"]) for r in rows) == sorted(posted)
