"""Reply deadlines, reminders and escalation of desk requests through the core sweeper, under a fake clock;
and the evaluation figures (答复及时率, satisfaction, score, hot topics) computed from what happened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from pingan.core.models import Notification, TaskEvent
from pingan.workers.sweeper import sweep_once
from tests.integration.test_desk_api import POINT_A1, POINT_A2, POINT_B, T0, D, World, db_fixture, world_fixture  # noqa: F401

MIN = timedelta(minutes=1)


def _escalations(world: World, request_id: int) -> list[tuple[int, str]]:
    task = world.task_of(request_id)
    with world.services.db.session() as session:
        return [
            (e.data["escalation"], e.reason or "")
            for e in session.scalars(
                select(TaskEvent)
                .where(TaskEvent.task_id == task.id, TaskEvent.action == "escalate")
                .order_by(TaskEvent.id)
            )
        ]


def _notified_units(world: World, request_id: int, title_start: str) -> list[int | None]:
    task = world.task_of(request_id)
    with world.services.db.session() as session:
        return [
            n.unit_id
            for n in session.scalars(
                select(Notification).where(Notification.task_id == task.id).order_by(Notification.id)
            )
            if n.title.startswith(title_start)
        ]


def test_a_late_reply_reminds_the_station_then_escalates_to_the_centre_and_the_bureau(world: World) -> None:
    rid = world.posted(world.resident("13800002001"))["id"]  # Monday 10:00: due 10:30
    world.clock.advance(minutes=29)
    assert sweep_once(world.services) == 0
    world.clock.advance(minutes=1)
    assert sweep_once(world.services) == 1
    assert sweep_once(world.services) == 0  # once per rung
    assert _escalations(world, rid) == [(1, "超时未完成「答复」，升级至所长/单位负责人")]
    assert _notified_units(world, rid, "任务超时升级（第1级）") == [world.ids["station-A"]]
    assert world.queue("head_a", overdue=True) == []  # due at this very minute: not yet overdue
    world.clock.advance(minutes=30)
    listed = world.queue("head_a", overdue=True)
    assert [i["id"] for i in listed] == [rid]
    assert listed[0]["overdue"] is True
    sweep_once(world.services)
    world.clock.advance(minutes=30)
    sweep_once(world.services)
    world.clock.advance(hours=3)
    assert sweep_once(world.services) == 0  # the top rung was reached
    assert [rung for rung, _ in _escalations(world, rid)] == [1, 2, 3]
    # The desk's own ladder: its second rung is the 情指中心, not the 反诈中心 (the fraud loop's).
    assert _notified_units(world, rid, "任务超时升级（第2级）") == [world.ids["command-centre"]]
    assert [reason for _, reason in _escalations(world, rid)] == [
        "超时未完成「答复」，升级至所长/单位负责人",
        "超时未完成「答复」，升级至情指中心",
        "超时未完成「答复」，升级至局领导",
    ]
    assert _notified_units(world, rid, "任务超时升级（第3级）") == [world.ids["bureau"]]
    task = world.task_of(rid)
    assert (task.escalation, task.breaches) == (3, 1)
    assert world.act("officer_a1", rid, "reply", body="抱歉回复晚了").status_code == 200
    row = world.request_row(rid)
    assert row.replied_on_time is False
    assert row.first_reply_at == T0 + timedelta(hours=4, minutes=30)
    assert world.queue("head_a", overdue=True) == []


def test_a_reply_within_the_window_is_on_time_and_never_escalated(world: World) -> None:
    rid = world.posted(world.resident("13800002002"))["id"]
    world.clock.advance(minutes=25)
    world.act("officer_a1", rid, "reply", body="带户口本")
    world.clock.advance(hours=5)
    assert sweep_once(world.services) == 0
    assert world.request_row(rid).replied_on_time is True
    assert _escalations(world, rid) == []


def test_an_evening_request_has_two_hours_and_an_emergency_five_minutes(world: World) -> None:
    me = world.resident("13800002003")
    world.clock.advance(hours=8)  # 18:00 local
    evening = world.posted(me, text="晚上路灯不亮", category="hazard")
    assert evening["reply_due_at"] == "2026-11-23T12:00:00Z"
    emergency = world.posted(me, category="emergency", text="门口有人晕倒了", point=POINT_A2)
    world.clock.advance(minutes=5)
    assert sweep_once(world.services) == 1
    assert [rung for rung, _ in _escalations(world, emergency["id"])] == [1]
    world.clock.advance(minutes=115)
    sweep_once(world.services)
    assert [rung for rung, _ in _escalations(world, evening["id"])] == [1]


def test_a_reroute_gives_the_new_unit_a_fresh_window_and_the_history_keeps_the_old_one(world: World) -> None:
    rid = world.posted(world.resident("13800002004"), point=POINT_A1)["id"]
    world.clock.advance(minutes=40)
    sweep_once(world.services)  # late at station A
    world.act("officer_a1", rid, "reroute", unit_id=world.ids["station-B"], reason="属乙镇辖区")
    task = world.task_of(rid)
    assert (task.unit_id, task.escalation, task.due_at) == (world.ids["station-B"], 0, T0 + timedelta(minutes=70))
    assert task.breaches == 1
    world.clock.advance(minutes=31)
    sweep_once(world.services)
    assert _notified_units(world, rid, "任务超时升级（第1级）") == [world.ids["station-A"], world.ids["station-B"]]


def _stats(world: World, who: str = "commander", **params: Any) -> dict[str, Any]:
    response = world.client.get(f"{D}/stats", params=params, headers=world.staff(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_figures_per_officer_and_per_unit_are_comparable(world: World) -> None:
    residents = [world.resident(f"1380000210{i}") for i in range(6)]
    for who in ("commander", "head_a", "gov_a", "gov_a1", "officer_b", "partner", "officer_a1"):
        world.staff(who)
    on_time = [world.posted(residents[i], text=f"户口问题{i}", point=POINT_A1)["id"] for i in range(3)]
    late = world.posted(residents[3], text="身份证补办", point=POINT_A2)["id"]
    world.posted(residents[4], text="居住证", point=POINT_A2)  # never answered
    noise = world.posted(residents[5], category="nuisance", topic="noise", text="夜里施工", point=POINT_A2)["id"]
    world.clock.advance(minutes=10)
    for i, rid in enumerate(on_time):
        world.act("officer_a1", rid, "reply", body="答复")
        world.client.post(f"{D}/requests/{rid}/rate", json={"rating": 5 - i}, headers=residents[i])
    world.act("gov_a", noise, "close", resolution="resolved", answer="已责令停工")
    world.clock.advance(minutes=50)
    world.act("officer_a2", late, "reply", body="晚了")
    world.client.post(f"{D}/requests/{late}/rate", json={"rating": 2}, headers=residents[3])
    figures = _stats(world)
    assert (figures["requests"], figures["replied"], figures["replied_on_time"], figures["late_unreplied"]) == (
        6,
        5,
        4,
        1,
    )
    assert figures["reply_timeliness"] == round(4 / 6, 4)
    assert (figures["ratings"], figures["mean_rating"], figures["satisfaction"]) == (4, 3.5, 0.5)
    assert figures["registered_residents"] == 6
    assert figures["by_category"] == {"consultation": 5, "nuisance": 1}
    officers = {o["name"]: o for o in figures["per_officer"]}
    assert (
        officers["李警官"]["requests"],
        officers["李警官"]["reply_timeliness"],
        officers["李警官"]["mean_rating"],
    ) == (3, 1.0, 4.0)
    assert (officers["王警官"]["requests"], officers["王警官"]["reply_timeliness"]) == (
        2,
        0.0,
    )  # one late, one unanswered
    assert officers["李警官"]["score"] > officers["王警官"]["score"]
    assert officers["李警官"]["rank"] < officers["王警官"]["rank"]
    units = {u["unit"]: u for u in figures["per_unit"]}
    assert units["甲街道派出所"]["requests"] == 5
    assert units["甲街道综治中心"]["reply_timeliness"] == 1.0
    assert units["甲街道综治中心"]["kind"] == "governance"
    # Scoped: a department sees its own figures only; a station its own and its area's.
    assert _stats(world, "gov_a")["requests"] == 1
    assert _stats(world, "head_a")["requests"] == 5  # the nuisance diverted to 综治 is the department's
    assert _stats(world, "officer_b")["requests"] == 0
    assert world.client.get(f"{D}/stats", headers=world.staff("partner")).status_code == 403
    bad = world.client.get(
        f"{D}/stats",
        params={"start": "2026-11-24T00:00:00Z", "end": "2026-11-23T00:00:00Z"},
        headers=world.staff("commander"),
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "start"


def test_hot_topics_by_area_and_week(world: World) -> None:
    people = [world.resident(f"1380000220{i}") for i in range(5)]
    world.staff("commander")
    for i, (category, topic, point) in enumerate(
        [
            ("nuisance", "noise", POINT_A1),
            ("nuisance", "noise", POINT_A2),
            ("nuisance", "dog", POINT_A2),
            ("consultation", "household", POINT_B),
            ("nuisance", "noise", POINT_B),
        ]
    ):
        world.posted(people[i], category=category, topic=topic, text=f"第{i}件事", point=point)
    hot = world.client.get(f"{D}/stats/hot-topics", params={"weeks": 2}, headers=world.staff("commander")).json()
    assert hot["weeks"] == ["2026-W47", "2026-W48"]
    this_week = hot["county"][-1]
    assert this_week["requests"] == 5
    assert this_week["topics"][0] == {
        "category": "nuisance", "topic": "noise", "name": "非警务求助·噪音扰民", "requests": 3, "change": 3,
    }  # fmt: skip
    by_area = {a["station"]: a["weeks"][-1]["topics"] for a in hot["areas"]}
    assert [t["name"] for t in by_area["甲街道"]] == ["非警务求助·噪音扰民", "非警务求助·犬类管理"]
    assert {t["name"] for t in by_area["乙镇"]} == {"咨询·户籍", "非警务求助·噪音扰民"}
