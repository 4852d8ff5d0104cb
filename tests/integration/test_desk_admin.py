"""What an admin keeps for the desk: routing rules (edited, tried before the county file's), officers' cards,
DingTalk robots; and who may touch them."""

from __future__ import annotations

from typing import Any

import httpx

from pingan.desk.models import DeskRequest
from tests.integration.test_desk_api import POINT_A1, POINT_B, D, World, db_fixture, world_fixture  # noqa: F401

RULES = f"{D}/admin/routing-rules"


def _rule(world: World, who: str = "admin", **body: Any) -> httpx.Response:
    response: httpx.Response = world.client.post(RULES, json=body, headers=world.staff(who))
    return response


def test_an_admins_rule_changes_where_the_next_request_goes(world: World) -> None:
    me = world.resident("13800004001")
    before = world.posted(me, category="hazard", text="河边护栏断了", point=POINT_A1)
    assert before["handler"]["route"] == "officer"
    created = _rule(
        world,
        category="hazard",
        target="governance",
        unit_id=world.ids["gov-A"],
        area_id=world.ids["area-A"],
        name="隐患归街道",
    )
    assert created.status_code == 201
    assert created.json()["source"] == "admin"
    after = world.posted(me, category="hazard", text="路边大树要倒", point=POINT_A1)
    assert (after["handler"]["route"], after["handler"]["unit"]) == ("governance", "甲街道综治中心")
    elsewhere = world.posted(me, category="hazard", text="桥面坑洼", point=POINT_B)
    assert elsewhere["handler"]["route"] == "officer"  # the rule covers area A only
    history = world.client.get(f"{D}/staff/requests/{after['id']}", headers=world.staff("commander")).json()["history"]
    assert history[0]["reason"].startswith(f"规则#{created.json()['id']}")
    listed = world.client.get(RULES, headers=world.staff("admin")).json()
    assert listed[0]["id"] == created.json()["id"]
    assert listed[-1]["source"] == "county_file"
    off = world.client.patch(f"{RULES}/{created.json()['id']}", json={"active": False}, headers=world.staff("admin"))
    assert off.status_code == 200
    assert off.json()["active"] is False
    assert world.posted(me, category="hazard", text="井盖松动", point=POINT_A1)["handler"]["route"] == "officer"
    assert world.client.delete(f"{RULES}/{created.json()['id']}", headers=world.staff("admin")).status_code == 204
    assert world.client.delete(f"{RULES}/{created.json()['id']}", headers=world.staff("admin")).status_code == 404


def test_the_preview_says_where_a_request_would_go_without_storing_it(world: World) -> None:
    preview = world.client.post(
        f"{RULES}/preview",
        json={
            "category": "consultation",
            "topic": "exit_entry",
            "lon": POINT_A1[0],
            "lat": POINT_A1[1],
            "crs": "wgs84",
        },
        headers=world.staff("commander"),
    ).json()
    assert (preview["route"], preview["unit"], preview["suggested_unit_id"]) == (
        "triage",
        "情报指挥中心",
        world.ids["specialty-exit_entry"],
    )
    assert preview["station_id"] == world.ids["area-A"]
    assert preview["community_id"] == world.ids["area-A1"]
    assert world.count(DeskRequest) == 0


def test_rules_that_cannot_work_are_refused_with_their_field(world: World) -> None:
    assert _rule(world, category="emergency", target="station").json()["error"]["field"] == "category"
    assert _rule(world, category="hazard", target="unit").json()["error"]["field"] == "unit_id"
    assert (
        _rule(world, category="hazard", target="governance", unit_id=world.ids["station-A"]).json()["error"]["field"]
        == "unit_id"
    )
    assert _rule(world, category="nuisance", topic="legal", target="officer").json()["error"]["field"] == "topic"
    assert _rule(world, category="hazard", target="officer", area_id=9999).json()["error"]["field"] == "area_id"
    assert _rule(world, category="hazard", target="nowhere").json()["error"]["field"] == "target"
    assert _rule(world, "commander", category="hazard", target="station").status_code == 403
    assert world.client.get(RULES, headers=world.staff("officer_a1")).status_code == 403


def test_officer_cards_are_set_by_the_admin(world: World) -> None:
    card = world.client.put(
        f"{D}/admin/officers/{world.users['officer_b']}",
        json={
            "area_id": world.ids["area-A1"],
            "hours": "周一至周六 8:00-18:00",
            "contact_phone": "0574-65001111",
            "office": "甲一村警务室",
        },
        headers=world.staff("admin"),
    )
    assert card.status_code == 200
    assert card.json()["area"] == "甲一村"
    listed = world.client.get(
        f"{D}/admin/officers", params={"area_id": world.ids["area-A1"]}, headers=world.staff("admin")
    ).json()
    assert [o["name"] for o in listed] == ["李警官", "赵警官"]
    not_police = world.client.put(
        f"{D}/admin/officers/{world.users['gov_a']}",
        json={"area_id": world.ids["area-A1"]},
        headers=world.staff("admin"),
    )
    assert not_police.status_code == 422
    assert not_police.json()["error"]["field"] == "user_id"


def test_robots_are_listed_without_their_tokens(world: World) -> None:
    added = world.client.post(
        f"{D}/admin/dingtalk-robots",
        json={
            "name": "甲所群",
            "unit_id": world.ids["station-A"],
            "webhook": "https://oapi.dingtalk.com/robot/send?access_token=s3cr3t",
            "secret": "SECabc",
        },
        headers=world.staff("admin"),
    )
    assert added.status_code == 201
    listed = world.client.get(f"{D}/admin/dingtalk-robots", headers=world.staff("admin")).json()
    assert "s3cr3t" not in str(listed)
    assert listed[0]["signed"] is True
    both = world.client.post(
        f"{D}/admin/dingtalk-robots",
        json={
            "unit_id": world.ids["station-A"],
            "user_id": world.users["officer_a1"],
            "webhook": "https://example.invalid/x",
        },
        headers=world.staff("admin"),
    )
    assert both.status_code == 422
    assert both.json()["error"]["field"] == "unit_id"
    assert (
        world.client.delete(f"{D}/admin/dingtalk-robots/{added.json()['id']}", headers=world.staff("admin")).status_code
        == 204
    )
    assert world.client.get(f"{D}/admin/dingtalk-robots", headers=world.staff("commander")).status_code == 403
