"""Alerts to residents: by jurisdiction, by a polygon drawn on the map (GCJ-02 from the map), by tag; templates;
a daily limit per resident (urgent kinds get through); delivery and read records."""

from __future__ import annotations

from typing import Any

import httpx

from pingan.core.geo import wgs84_to_gcj02
from tests.integration.test_desk_api import POINT_A1, POINT_A2, POINT_B, D, World, db_fixture, world_fixture  # noqa: F401


def _settle(world: World, phone: str, point: tuple[float, float], tags: list[str] | None = None) -> dict[str, str]:
    me = world.resident(phone)
    body: dict[str, Any] = {"lon": point[0], "lat": point[1], "crs": "wgs84"}
    if tags is not None:
        body["tags"] = tags
    assert world.client.put(f"{D}/me", json=body, headers=me).status_code == 200
    return me


def _push(world: World, who: str = "commander", **body: Any) -> httpx.Response:
    response: httpx.Response = world.client.post(f"{D}/pushes", json=body, headers=world.staff(who))
    return response


def _inbox(world: World, me: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = world.client.get(f"{D}/pushes/inbox", params=params, headers=me).json()
    return items


def test_a_template_pushed_to_a_jurisdiction_reaches_its_residents_and_is_read(world: World) -> None:
    in_a1 = _settle(world, "13800003001", POINT_A1)
    in_a2 = _settle(world, "13800003002", POINT_A2)
    in_b = _settle(world, "13800003003", POINT_B)
    template = world.client.post(
        f"{D}/push-templates",
        json={
            "code": "fraud-police",
            "kind": "fraud",
            "title": "警惕冒充公检法诈骗",
            "body": "{area}居民请注意：公检法不会电话要求转账。",
        },
        headers=world.staff("commander"),
    )
    assert template.status_code == 201
    sent = _push(world, template_id=template.json()["id"], area_ids=[world.ids["area-A"]])
    assert sent.status_code == 201
    assert (sent.json()["targeted"], sent.json()["delivered"], sent.json()["held"]) == (2, 2, 0)
    assert sent.json()["body"] == "甲街道居民请注意：公检法不会电话要求转账。"
    [alert] = _inbox(world, in_a1)
    assert (alert["kind"], alert["title"], alert["read_at"]) == ("fraud", "警惕冒充公检法诈骗", None)
    assert len(_inbox(world, in_a2)) == 1
    assert _inbox(world, in_b) == []
    assert world.client.post(f"{D}/pushes/inbox/{alert['id']}/read", headers=in_a1).status_code == 204
    assert _inbox(world, in_a1, unread=True) == []
    assert world.client.post(f"{D}/pushes/inbox/{alert['id']}/read", headers=in_b).status_code == 404
    records = world.client.get(f"{D}/pushes/{sent.json()['id']}", headers=world.staff("commander")).json()
    assert (records["delivered"], records["read"]) == (2, 1)
    assert sorted(d["phone"] for d in records["deliveries"]) == ["138****3001", "138****3002"]
    assert [d["read_at"] is not None for d in sorted(records["deliveries"], key=lambda d: d["phone"])] == [True, False]


def test_a_polygon_drawn_on_the_map_in_gcj02_picks_the_residents_inside(world: World) -> None:
    inside = _settle(world, "13800003011", (121.07, 29.05))
    outside = _settle(world, "13800003012", (121.02, 29.05))
    ring = [
        wgs84_to_gcj02(lon, lat) for lon, lat in [(121.06, 29.04), (121.08, 29.04), (121.08, 29.06), (121.06, 29.06)]
    ]
    polygon = {"type": "Polygon", "coordinates": [[list(p) for p in [*ring, ring[0]]]]}
    sent = _push(world, kind="weather", title="台风预警", body="今夜有大风", polygon=polygon, crs="gcj02")
    assert sent.status_code == 201
    assert sent.json()["targeted"] == 1
    assert len(_inbox(world, inside)) == 1
    assert _inbox(world, outside) == []
    bad = _push(world, kind="weather", title="x", body="y", polygon={"type": "Point", "coordinates": [121, 29]})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "polygon"


def test_tags_narrow_a_push_to_the_elderly_or_students(world: World) -> None:
    elder = _settle(world, "13800003021", POINT_A1, ["elderly"])
    student = _settle(world, "13800003022", POINT_A1, ["student"])
    sent = _push(
        world,
        kind="fraud",
        title="养老诈骗提醒",
        body="保健品讲座多为骗局",
        tags=["elderly"],
        area_ids=[world.ids["area-A"]],
    )
    assert sent.json()["targeted"] == 1
    assert len(_inbox(world, elder)) == 1
    assert _inbox(world, student) == []


def test_nobody_gets_more_than_the_daily_limit_but_disaster_warnings_get_through(world: World) -> None:
    me = _settle(world, "13800003031", POINT_A1)
    for i in range(3):
        assert (
            _push(world, kind="traffic", title=f"交通提醒{i}", body="注意安全", area_ids=[world.ids["area-A"]]).json()[
                "delivered"
            ]
            == 1
        )
    held = _push(world, kind="traffic", title="交通提醒3", body="注意安全", area_ids=[world.ids["area-A"]]).json()
    assert (held["targeted"], held["delivered"], held["held"]) == (1, 0, 1)
    urgent = _push(world, kind="disaster", title="山洪警报", body="请立即转移", area_ids=[world.ids["area-A"]]).json()
    assert urgent["delivered"] == 1
    assert [a["title"] for a in _inbox(world, me)] == ["山洪警报", "交通提醒2", "交通提醒1", "交通提醒0"]
    world.clock.advance(hours=16)  # the next local day
    assert (
        _push(world, kind="traffic", title="次日提醒", body="x", area_ids=[world.ids["area-A"]]).json()["delivered"]
        == 1
    )


def test_a_station_head_pushes_only_to_their_own_area_and_others_not_at_all(world: World) -> None:
    _settle(world, "13800003041", POINT_A1)
    _settle(world, "13800003042", POINT_B)
    own = _push(world, "head_a", kind="notice", title="所内通知", body="x")
    assert own.status_code == 201
    assert own.json()["targeted"] == 1
    other = _push(world, "head_a", kind="notice", title="x", body="y", area_ids=[world.ids["area-B"]])
    assert other.status_code == 403
    assert other.json()["error"]["field"] == "area_ids"
    assert _push(world, "officer_a1", kind="notice", title="x", body="y").status_code == 403
    assert (
        world.client.post(
            f"{D}/pushes", json={"kind": "notice", "title": "x", "body": "y"}, headers=world.resident("13800003043")
        ).status_code
        == 403
    )
    assert [p["title"] for p in world.client.get(f"{D}/pushes", headers=world.staff("head_a")).json()] == ["所内通知"]


def test_bad_pushes_name_their_field(world: World) -> None:
    assert _push(world, kind="notice", body="y").json()["error"]["field"] == "title"
    assert _push(world, template_id=999).json()["error"]["field"] == "template_id"
    assert _push(world, kind="notice", title="x", body="y", area_ids=[999]).json()["error"]["field"] == "area_ids"
    assert _push(world, kind="gossip", title="x", body="y").json()["error"]["field"] == "kind"
    dup = {"code": "t1", "kind": "notice", "title": "x", "body": "y"}
    assert world.client.post(f"{D}/push-templates", json=dup, headers=world.staff("commander")).status_code == 201
    again = world.client.post(f"{D}/push-templates", json=dup, headers=world.staff("commander"))
    assert again.status_code == 409
    assert again.json()["error"]["field"] == "code"
