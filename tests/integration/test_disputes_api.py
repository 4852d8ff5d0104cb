"""Dispute mediation (矛盾纠纷化解) through the HTTP API: a dispute registered, mediated in a station's room,
agreed, visited again and resolved; a rebound; a failure with a referral; deadlines climbing the ladder;
parties masked unless revealed (the read recorded); the figures with 同比. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pingan.command.disputes.rules import DisputeRules
from pingan.core.db import Database
from pingan.core.models import AccessLog, Notification, Task
from tests.integration.test_desk_api import API, POINT_A1, POINT_B, T0, World, build_world

DS = f"{API}/command/disputes"


@pytest.fixture(name="world")
def world_fixture(db: Database, tmp_path: Path) -> Iterator[World]:
    w = build_world(db, tmp_path)
    yield w
    w.client.close()
    w.services.desk.close()


def mediator(world: World, who: str = "head_a", name: str = "刘大姐工作室", unit: str = "station-A") -> int:
    body = {"name": name, "kind": "room", "unit_id": world.ids[unit], "note": "返聘退休女民警调解疑难纠纷"}
    response = world.client.post(f"{DS}/mediators", json=body, headers=world.staff(who))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def dispute(
    world: World, who: str = "officer_a1", point: tuple[float, float] = POINT_A1, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "emotional",
        "title": "分手后多次口角并发生推搡",
        "place": "登胜村",
        "lon": point[0],
        "lat": point[1],
        "parties": [
            {"name": "王小明", "phone": "13905741234", "role": "applicant"},
            {"name": "李小红", "phone": "13905745678", "role": "respondent"},
        ],
        **extra,
    }
    response = world.client.post(DS, json=body, headers=world.staff(who))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def act(world: World, who: str, task_id: int, action: str, **body: Any) -> Any:
    return world.client.post(
        f"{API}/tasks/{task_id}/actions", json={"action": action, **body}, headers=world.staff(who)
    )


def test_a_dispute_is_mediated_in_the_stations_room_agreed_visited_and_resolved(world: World) -> None:
    room = mediator(world)
    d = dispute(world, mediator_id=room)
    assert (d["unit_id"], d["mediator"], d["state"]) == (world.ids["station-A"], "刘大姐工作室", "received")
    assert [p["name"] for p in d["parties"]] == ["王**", "李**"]
    assert d["parties"][0]["phone"] == "139****1234"
    task = d["task_id"]
    early = act(world, "officer_a1", task, "agree", terms="赔偿医药费")
    assert early.status_code == 409, "no agreement before a session"
    first = act(
        world,
        "officer_a1",
        task,
        "session",
        place="派出所综合调解室",
        summary="双方陈述，情绪激动",
        mediators="吴家豪、街道调解员",
    )
    assert first.status_code == 200, first.text
    assert act(world, "officer_a1", task, "session", place="刘大姐工作室", summary="找准契合点").status_code == 200
    agreed = act(
        world, "officer_a1", task, "agree", terms="王某赔偿李某医药费2000元，双方互不纠缠", compensation_yuan=2000
    )
    assert (agreed.status_code, agreed.json()["status"], agreed.json()["due_step"]) == (200, "agreed", "follow_up")
    world.clock.advance(timedelta(days=7))
    done = act(world, "officer_a1", task, "follow_up", stable=True, summary="回访双方，未再发生冲突")
    assert (done.json()["status"], done.json()["outcome"]) == ("resolved", "resolved")
    shown = world.client.get(f"{DS}/{d['id']}", headers=world.staff("head_a")).json()
    assert shown["state"] == "resolved"
    assert [s["place"] for s in shown["sessions_list"]] == ["派出所综合调解室", "刘大姐工作室"]
    assert shown["compensation_yuan"] == 2000
    rooms = world.client.get(f"{DS}/mediators", headers=world.staff("officer_a1")).json()
    assert [(r["name"], r["resolved"]) for r in rooms] == [("刘大姐工作室", 1)]
    with world.services.db.session() as session:
        row = session.get(Task, task)
        assert row is not None
        assert (row.kind, row.outcome) == ("dispute", "resolved")


def test_a_rebound_at_the_follow_up_goes_back_to_mediation_and_a_failure_is_referred(world: World) -> None:
    d = dispute(world)
    task = d["task_id"]
    act(world, "officer_a1", task, "session", place="调解室", summary="初步调解")
    act(world, "officer_a1", task, "agree", terms="互相道歉")
    rebound = act(world, "officer_a1", task, "follow_up", stable=False, summary="又发生口角")
    assert (rebound.json()["status"], rebound.json()["due_step"]) == ("mediating", "agree")
    failed = act(world, "officer_a1", task, "fail", reason="双方分歧大，引导诉讼", referral="court")
    assert (failed.json()["status"], failed.json()["outcome"]) == ("failed", "unresolved")
    shown = world.client.get(f"{DS}/{d['id']}", headers=world.staff("officer_a1")).json()
    assert (shown["state"], shown["referral"]) == ("failed", "court")
    bad = act(world, "head_a", dispute(world)["task_id"], "fail", reason="x", referral="moon")
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "referral")


def test_a_missed_first_session_climbs_the_ladder(world: World) -> None:
    d = dispute(world)
    days = world.services.rules.section(DisputeRules).first_session_days
    world.clock.advance(timedelta(days=days, minutes=1))
    with world.services.db.session() as session:
        assert world.services.tasks.sweep(session) == 1
    with world.services.db.session() as session:
        titles = session.scalars(select(Notification.title).where(Notification.unit_id == world.ids["station-A"])).all()
        assert any("超时升级（第1级）" in t and "矛盾纠纷" in t for t in titles)
    late = world.client.get(DS, params={"overdue": "true"}, headers=world.staff("commander")).json()
    assert [i["id"] for i in late["items"]] == [d["id"]]
    assert act(world, "officer_a1", d["task_id"], "session", place="调解室", summary="调解").status_code == 200
    assert world.client.get(DS, params={"overdue": "true"}, headers=world.staff("commander")).json()["total"] == 0


def test_parties_are_shown_in_full_only_when_asked_and_the_read_is_recorded(world: World) -> None:
    d = dispute(world)
    revealed = world.client.get(f"{DS}/{d['id']}", params={"reveal": "true"}, headers=world.staff("officer_a1")).json()
    assert [p["phone"] for p in revealed["parties"]] == ["13905741234", "13905745678"]
    with world.services.db.session() as session:
        logged = session.scalars(select(AccessLog).where(AccessLog.subject_type == "dispute")).all()
        assert [(a.subject_id, a.user_id) for a in logged] == [(d["id"], world.users["officer_a1"])]
    assert world.client.get(DS, params={"reveal": "true"}, headers=world.staff("gov_a")).status_code == 403


def test_each_unit_sees_its_own_disputes_and_a_street_mediates_the_ones_it_registers(world: World) -> None:
    a = dispute(world)
    b = dispute(world, who="commander", point=POINT_B, title="乙镇邻里纠纷")
    street = dispute(world, who="gov_a", title="街道调解")
    assert street["unit_id"] == world.ids["gov-A"]

    def seen(who: str) -> list[int]:
        body = world.client.get(DS, headers=world.staff(who)).json()
        assert body["total"] == len(body["items"])
        return sorted(i["id"] for i in body["items"])

    assert seen("officer_a1") == sorted([a["id"], street["id"]])
    assert seen("officer_b") == [b["id"]]
    assert seen("gov_a") == [street["id"]]
    assert seen("commander") == sorted([a["id"], b["id"], street["id"]])
    assert world.client.get(f"{DS}/{b['id']}", headers=world.staff("officer_a1")).status_code == 404
    outside = world.client.post(
        DS,
        json={
            "category": "debt",
            "title": "欠款",
            "lon": POINT_B[0],
            "lat": POINT_B[1],
            "parties": [{"name": "甲"}, {"name": "乙"}],
        },
        headers=world.staff("officer_a1"),
    )
    assert (outside.status_code, outside.json()["error"]["field"]) == (403, "area_id")
    one_party = world.client.post(
        DS, json={"category": "debt", "title": "欠款", "parties": [{"name": "甲"}]}, headers=world.staff("officer_a1")
    )
    assert (one_party.status_code, one_party.json()["error"]["field"]) == (422, "parties")
    # a station head registers a room of their own station only
    assert (
        world.client.post(
            f"{DS}/mediators",
            json={"name": "乙所调解室", "kind": "room", "unit_id": world.ids["station-B"]},
            headers=world.staff("head_a"),
        ).status_code
        == 403
    )


def test_figures_count_resolutions_by_category_and_mediator_with_a_year_earlier(world: World) -> None:
    room = mediator(world)
    for i in range(3):
        d = dispute(world, mediator_id=room, title=f"纠纷{i}", category="neighbour")
        act(world, "officer_a1", d["task_id"], "session", place="调解室", summary="调解")
        if i < 2:
            act(world, "officer_a1", d["task_id"], "agree", terms="和解")
            act(world, "officer_a1", d["task_id"], "follow_up", stable=True, summary="稳定")
        else:
            act(world, "officer_a1", d["task_id"], "fail", reason="未成", referral="court")
    dispute(world, category="family")
    figures = world.client.get(f"{DS}/figures", headers=world.staff("commander")).json()
    neighbour = next(c for c in figures["categories"] if c["category"] == "neighbour")
    assert (neighbour["received"], neighbour["resolved"], neighbour["failed"], neighbour["resolution_rate"]) == (
        3,
        2,
        1,
        0.6667,
    )
    assert figures["total"]["received"] == 4
    assert figures["total"]["open"] == 1
    assert figures["mediators"] == [{"mediator_id": room, "mediator": "刘大姐工作室", "resolved": 2}]
    later = world.client.get(
        f"{DS}/figures",
        params={"start": (T0 + timedelta(days=364)).isoformat(), "end": (T0 + timedelta(days=366)).isoformat()},
        headers=world.staff("commander"),
    ).json()
    assert (later["total"]["resolved"], later["total"]["resolved_year_ago"]) == (0, 2)
    assert (later["total"]["resolved_change"], later["total"]["received_change"]) == (-1.0, -1.0)
    neighbour = next(c for c in later["categories"] if c["category"] == "neighbour")
    assert (neighbour["received_year_ago"], neighbour["resolved_year_ago"], neighbour["resolved_change"]) == (
        3,
        2,
        -1.0,
    )
    assert figures["total"]["received_change"] is None  # nothing a year before
    assert world.client.get(f"{DS}/figures", headers=world.staff("officer_b")).json()["total"]["received"] == 0


def test_the_disputes_list_is_exported_whole_masked_as_the_list_and_a_revealed_export_is_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pingan.api.routes import exports as export_routes
    from tests.integration.test_backoffice import read_csv_export

    monkeypatch.setattr(export_routes, "PAGE", 2)
    ids = [dispute(world, title=f"纠纷{i}")["id"] for i in range(3)]
    other = dispute(world, "commander", point=POINT_B)["id"]
    url = f"{API}/exports/disputes"
    rows = read_csv_export(world.client.get(url, params={"format": "csv"}, headers=world.staff("officer_a1")))
    assert sorted(int(r["编号"]) for r in rows) == sorted(ids)
    assert other not in {int(r["编号"]) for r in rows}
    assert "13905741234" not in rows[0]["当事人"]
    assert "王小明" not in rows[0]["当事人"]
    assert "139****1234" in rows[0]["当事人"]
    one = read_csv_export(
        world.client.get(url, params={"format": "csv", "q": "纠纷1"}, headers=world.staff("commander"))
    )
    assert [int(r["编号"]) for r in one] == [ids[1]]
    with world.services.db.session() as session:
        before = len(session.scalars(select(AccessLog)).all())
    shown = read_csv_export(
        world.client.get(url, params={"format": "csv", "reveal": "true"}, headers=world.staff("commander"))
    )
    assert any("13905741234" in r["当事人"] for r in shown)
    with world.services.db.session() as session:
        assert len(session.scalars(select(AccessLog)).all()) >= before + len(shown)
