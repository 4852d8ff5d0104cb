"""已被骗，转立案: an officer working a desk request opens the fraud case from it in one step, on SQLite and
PostgreSQL, in the desk's world (stations A and B, community officers, the centres; see test_desk_api).

The case takes the resident as its victim (named from the registry when listed), the request's station, the
narrative (what the resident wrote, with their follow-ups, unless the officer gives it), the loss the officer
asked, and the identifiers read from the narrative. It is opened once per request, whoever opened it first.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from pingan.core.db import Database
from pingan.core.models import Notification, Person, PersonPhone, Task, TaskEvent
from pingan.desk.models import DeskMessage
from pingan.desk.open311.keys import create_api_key
from pingan.desk.open311.models import Open311Request
from pingan.money.models import Case, CaseIdentifier
from tests.integration.test_desk_api import POINT_A2, POINT_B, T0, D, World, build_world
from tests.integration.test_desk_api import db_fixture as db_fixture  # the parametrised database

STORY = "昨天有人加我微信 wxid_fake2026 说刷单返利，让我在 www.shuadan-fanli.cn 上做任务，先后转了3笔到 6222 0212 3456 7890 123，对方电话１７０-１２３４-５６７８。"


@pytest.fixture(name="world")
def world_fixture(db: Database, tmp_path: Path) -> Iterator[World]:
    w = build_world(db, tmp_path)
    yield w
    w.client.close()
    w.services.desk.close()


def open_case(world: World, staff: str, request_id: int, **body: Any) -> httpx.Response:
    return world.act(staff, request_id, "case", **body)


def _case(world: World, case_id: int) -> Case:
    with world.services.db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        s.expunge(case)
        return case


def _identifiers(world: World, case_id: int) -> set[tuple[str, str]]:
    with world.services.db.session() as s:
        rows = s.execute(
            select(CaseIdentifier.kind, CaseIdentifier.value).where(CaseIdentifier.case_id == case_id)
        ).all()
    return {(str(k), str(v)) for k, v in rows}


def test_an_officer_opens_the_case_of_a_defrauded_resident_in_one_step(world: World) -> None:
    with world.services.db.session() as s:
        person = Person(name="陈阿姨", id_number="330225195001011234", birth_year=1950, tags=[], created_at=T0)
        s.add(person)
        s.flush()
        s.add(PersonPhone(phone="13800000701", person_id=person.id))
    who = world.resident("13800000701")
    posted = world.posted(who, category="consultation", text=STORY)
    world.client.post(f"{D}/requests/{posted['id']}/messages", json={"body": "今天又转了一笔2000元"}, headers=who)
    view = world.client.get(f"{D}/staff/requests/{posted['id']}", headers=world.staff("officer_a1")).json()
    assert "open_case" in view["allowed_actions"]
    assert view["case"] is None

    r = open_case(world, "officer_a1", posted["id"], loss_yuan="12800.50")
    assert r.status_code == 201, r.text
    body = r.json()
    case_id = body["case"]["id"]
    assert body["case"]["created"] is True
    assert body["case"]["loss_yuan"] == "12800.50"
    case = _case(world, case_id)
    assert (case.source.value, case.source_id) == ("desk", str(posted["id"]))
    assert (case.victim_phone, case.victim_name, case.victim_id_number) == (
        "13800000701",
        "陈阿姨",
        "330225195001011234",
    )
    assert case.victim_person_id == person.id
    assert case.area_id == world.ids["area-A"]
    assert case.unit_id == world.ids["station-A"]
    assert case.loss_fen == 1_280_050
    assert case.created_by == world.users["officer_a1"]
    assert STORY in case.narrative
    assert "今天又转了一笔2000元" in case.narrative
    assert case.fraud_type == "order_brushing"  # the classifier's reading, none given
    found = _identifiers(world, case_id)
    assert {("phone", "17012345678"), ("account", "6222021234567890123"), ("wechat", "wxid_fake2026")} <= found
    assert ("domain", "shuadan-fanli.cn") in found
    # The case is the cases' task, held by the station; the request's history says who opened it.
    with world.services.db.session() as s:
        task = s.get(Task, case.task_id)
        assert task is not None
        assert (task.kind, task.unit_id) == ("case", world.ids["station-A"])
        events = s.scalars(
            select(TaskEvent)
            .join(Task, Task.id == TaskEvent.task_id)
            .where(Task.ref_type == "desk_request", Task.ref_id == posted["id"], TaskEvent.action == "open_case")
        ).all()
        assert [(e.actor_id, e.data["case_id"], e.data["loss_yuan"]) for e in events] == [
            (world.users["officer_a1"], case_id, "12800.50")
        ]
        assert "narrative" not in events[0].data
        messages = s.execute(
            select(DeskMessage.body, DeskMessage.internal).where(DeskMessage.request_id == posted["id"])
        ).all()
        resident_told = s.scalars(
            select(Notification.title).where(Notification.user_id == world.actor_for_phone("13800000701").id)
        ).all()
    assert any(internal and f"案件#{case_id}" in text for text, internal in messages)
    assert any(not internal and f"案件编号 {case_id}" in text for text, internal in messages)
    assert "您的报案已立案" in resident_told
    # The request stays the desk's to answer; its view shows the case.
    shown = world.client.get(f"{D}/staff/requests/{posted['id']}", headers=world.staff("head_a")).json()
    assert shown["case"]["id"] == case_id
    assert shown["status"] == "issued"


def test_a_second_click_shows_the_existing_case_and_records_nothing(world: World) -> None:
    posted = world.posted(world.resident("13800000702"), category="fraud", text="网上刷单被骗")
    first = open_case(world, "officer_a1", posted["id"], loss_yuan="500")
    assert first.status_code == 201, first.text
    again = open_case(world, "head_a", posted["id"], loss_yuan="900", narrative="另一份笔录")
    assert again.status_code == 200, again.text
    assert again.json()["case"]["id"] == first.json()["case"]["id"]
    assert again.json()["case"]["created"] is False
    assert again.json()["case"]["loss_yuan"] == "500.00"  # the case is edited on the 案件 screen, not here
    with world.services.db.session() as s:
        assert len(s.scalars(select(Case)).all()) == 1
        opened = s.scalars(select(TaskEvent).where(TaskEvent.action == "open_case")).all()
    assert len(opened) == 1


def test_a_case_opened_from_the_text_or_the_warning_is_the_one_shown(world: World) -> None:
    # The text says the money is gone: the fraud loop opens the case when the request reaches it.
    posted = world.posted(
        world.resident("13800000703"), category="fraud", text="我被骗了5000元，对方让我转账到安全账户"
    )
    assert world.services.outbox.run_until_idle() >= 1
    with world.services.db.session() as s:
        auto = s.scalar(select(Case).where(Case.source_id == str(posted["id"])))
        assert auto is not None
        auto_id = auto.id
    r = open_case(world, "officer_a1", posted["id"], loss_yuan="6000")
    assert r.status_code == 200, r.text
    assert r.json()["case"]["id"] == auto_id
    view = world.client.get(f"{D}/staff/requests/{posted['id']}", headers=world.staff("officer_a1")).json()
    assert view["case"]["id"] == auto_id


def test_a_closed_request_still_opens_its_case(world: World) -> None:
    posted = world.posted(world.resident("13800000704"), text="请问怎么办理居住证？后来发现被骗了")
    assert world.act("officer_a1", posted["id"], "reply", body="请带身份证到派出所办理").status_code == 200
    assert world.act("officer_a1", posted["id"], "close", resolution="resolved").status_code == 200
    view = world.client.get(f"{D}/staff/requests/{posted['id']}", headers=world.staff("officer_a1")).json()
    assert "open_case" in view["allowed_actions"]
    r = open_case(world, "officer_a1", posted["id"], loss_yuan="300", narrative="群众来电补充：被冒充客服骗300元")
    assert r.status_code == 201, r.text
    assert _case(world, r.json()["case"]["id"]).narrative == "群众来电补充：被冒充客服骗300元"


def test_who_may_open_a_case_is_the_desk_workflow_s_decision(world: World) -> None:
    posted = world.posted(world.resident("13800000705"), text="被骗了")
    in_b = world.posted(world.resident("13800000706"), text="被骗了两千", point=POINT_B)
    noise = world.posted(
        world.resident("13800000707"), category="nuisance", topic="noise", text="楼下太吵", point=POINT_A2
    )
    # Another station cannot see it; a governance department or the commander may not open a case.
    assert open_case(world, "officer_b", posted["id"], loss_yuan="100").status_code == 404
    assert world.client.get(f"{D}/staff/requests/{noise['id']}", headers=world.staff("gov_a")).status_code == 200
    refused = open_case(world, "gov_a", noise["id"], loss_yuan="100")
    assert refused.status_code == 403
    assert refused.json()["error"]["field"] == "action"
    assert open_case(world, "commander", posted["id"], loss_yuan="100").status_code == 403
    view = world.client.get(f"{D}/staff/requests/{posted['id']}", headers=world.staff("commander")).json()
    assert "open_case" not in view["allowed_actions"]
    # The anti-fraud centre opens cases anywhere; a resident never.
    assert open_case(world, "analyst", in_b["id"], loss_yuan="2000").status_code == 201
    r = world.client.post(
        f"{D}/staff/requests/{posted['id']}/case", json={"loss_yuan": "1"}, headers=world.resident("13800000705")
    )
    assert r.status_code == 403
    assert len(_all_cases(world)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "loss_yuan"),
        ({"loss_yuan": "0"}, "loss_yuan"),
        ({"loss_yuan": "-5"}, "loss_yuan"),
        ({"loss_yuan": "1.234"}, "loss_yuan"),
        ({"loss_yuan": "abc"}, "loss_yuan"),
        ({"loss_yuan": "100", "fraud_type": "aliens"}, "fraud_type"),
        ({"loss_yuan": "100", "fraud_type": "DROP TABLE"}, "fraud_type"),
        ({"loss_yuan": "100", "occurred_at": "yesterday"}, "occurred_at"),
        ({"loss_yuan": "100", "occurred_at": "2026-11-20T10:00:00"}, "occurred_at"),
        ({"loss_yuan": "100", "narrative": ""}, "narrative"),
        ({"loss_yuan": "100", "surprise": 1}, "surprise"),
    ],
)
def test_bad_input_names_its_field_and_opens_nothing(world: World, body: dict[str, Any], field: str) -> None:
    posted = world.posted(world.resident("13800000708"), text="被骗了")
    r = world.client.post(f"{D}/staff/requests/{posted['id']}/case", json=body, headers=world.staff("officer_a1"))
    assert r.status_code == 422, r.text
    assert field in (r.json()["error"]["field"] or ""), r.json()
    assert _all_cases(world) == []


def test_when_the_money_went_is_kept(world: World) -> None:
    posted = world.posted(world.resident("13800000709"), text="被骗了")
    at = (T0 - timedelta(days=2)).isoformat()
    r = open_case(world, "officer_a1", posted["id"], loss_yuan="100", occurred_at=at, fraud_type="romance")
    assert r.status_code == 201, r.text
    case = _case(world, r.json()["case"]["id"])
    assert case.occurred_at == T0 - timedelta(days=2)
    assert case.fraud_type == "romance"


def _all_cases(world: World) -> list[int]:
    with world.services.db.session() as s:
        return list(s.scalars(select(Case.id)))


def test_a_request_that_came_through_open311_opens_an_open311_case(world: World) -> None:
    posted = world.posted(world.resident("13800000710"), text="在随手拍上报：被冒充客服骗了")
    with world.services.db.session() as s:
        key, _secret = create_api_key(s, "随手拍客户端", T0)
        s.add(Open311Request(request_id=posted["id"], api_key_id=key.id, token="tok-710", created_at=T0))
    r = open_case(world, "officer_a1", posted["id"], loss_yuan="800")
    assert r.status_code == 201, r.text
    case = _case(world, r.json()["case"]["id"])
    assert (case.source.value, case.source_id) == ("open311", str(posted["id"]))
    assert open_case(world, "officer_a1", posted["id"], loss_yuan="800").status_code == 200
