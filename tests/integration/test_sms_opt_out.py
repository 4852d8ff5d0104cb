"""Campaign SMS opt-outs (退订), on SQLite and PostgreSQL, in the desk's world (see test_desk_api): a resident
opts out by replying TD to a campaign text (the SMS gateway's inbound messages), on /m, or through an officer;
campaigns skip the phone and count it; the list is the admins', masked, its reads and changes recorded; service
messages (sign-in codes, the opt-out's confirmation) still go.
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
from pingan.core.identity import create_user
from pingan.core.models import AccessLog, Person, PersonPhone, Role, Unit, UnitKind
from pingan.money.models import CampaignSms, SmsOptOut, SmsOptOutEvent
from tests.integration.test_desk_api import API, T0, D, World, build_world
from tests.integration.test_desk_api import db_fixture as db_fixture  # the parametrised database

ELDERS = ("13700000801", "13700000802", "13700000803")


@pytest.fixture(name="world")
def world_fixture(db: Database, tmp_path: Path) -> Iterator[World]:
    w = build_world(db, tmp_path)
    with w.services.db.session() as s:
        for i, phone in enumerate(ELDERS):
            person = Person(
                name=f"老人{i}", birth_year=1950, station_id=w.ids["area-A"], tags=["elderly"], created_at=T0
            )
            s.add(person)
            s.flush()
            s.add(PersonPhone(phone=phone, person_id=person.id))
        telecom = Unit(code="telecom-x", name="某通信公司", kind=UnitKind.TELECOM)
        s.add(telecom)
        s.flush()
        gateway = create_user(
            s, "sms_gateway", None, role=Role.PARTNER, display_name="短信网关", unit_id=telecom.id, now=T0
        )
        w.users["sms_gateway"] = gateway.id
    yield w
    w.client.close()
    w.services.desk.close()


def inbound(world: World, messages: list[dict[str, Any]], who: str = "sms_gateway") -> httpx.Response:
    response: httpx.Response = world.client.post(
        f"{API}/sms/inbound", json={"messages": messages}, headers=world.staff(who)
    )
    return response


def campaign(world: World) -> dict[str, Any]:
    body = {"fraud_type": "impersonate_officials", "area_ids": [world.ids["area-A"]], "group": "elderly", "push": False}
    r = world.client.post(f"{API}/campaigns", json=body, headers=world.staff("analyst"))
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


def texts_to(world: World, phone: str) -> list[str]:
    return [text for to, text in world.sms.sent if to == phone]


def test_a_td_reply_opts_the_phone_out_once_and_campaigns_skip_it(world: World) -> None:
    first = campaign(world)
    world.services.outbox.run_until_idle()
    assert first["sms"] == {"targeted": 3, "queued": 3, "sent": 0, "opted_out": 0}
    assert texts_to(world, ELDERS[0])[0].endswith("回复TD退订")
    r = inbound(
        world,
        [
            {"id": "mo-1", "phone": "+86 137-0000-0801", "text": "ＴＤ", "at": "2026-11-23T02:05:00Z"},
            {"id": "mo-2", "phone": ELDERS[1], "text": "谢谢提醒"},
            {"id": "mo-3", "phone": "12345", "text": "TD"},
            {"id": "", "phone": ELDERS[2], "text": "TD"},
        ],
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["opted_out"], report["already"], report["ignored"]) == (1, 0, 1)
    assert [(x["index"], x["field"]) for x in report["rejected"]] == [(2, "phone"), (3, "id")]
    # The same message delivered again, or another TD from the same phone, changes nothing.
    again = inbound(
        world, [{"id": "mo-1", "phone": ELDERS[0], "text": "TD"}, {"id": "mo-9", "phone": ELDERS[0], "text": "退订"}]
    )
    assert again.json()["already"] == 2
    world.services.outbox.run_until_idle()
    # The confirmation is a service message: it goes, once, to the phone that opted out.
    acks = [t for t in texts_to(world, ELDERS[0]) if "您已退订" in t]
    assert len(acks) == 1
    # The next campaign skips the phone and counts it as opted out.
    sent_before = len(world.sms.sent)
    second = campaign(world)
    assert second["sms"] == {"targeted": 3, "queued": 2, "sent": 0, "opted_out": 1}
    world.services.outbox.run_until_idle()
    assert sorted(to for to, _ in world.sms.sent[sent_before:]) == [ELDERS[1], ELDERS[2]]
    shown = world.client.get(f"{API}/campaigns/{second['id']}", headers=world.staff("analyst")).json()
    assert shown["sms"] == {"targeted": 3, "queued": 0, "sent": 2, "opted_out": 1}
    assert shown["reached"] == 2


def test_an_opt_out_after_queuing_stops_the_text_still_waiting(world: World) -> None:
    made = campaign(world)  # queued, not sent yet
    assert inbound(world, [{"id": "mo-late", "phone": ELDERS[2], "text": "T"}]).json()["opted_out"] == 1
    world.services.outbox.run_until_idle()
    assert [t for t in texts_to(world, ELDERS[2]) if "回复TD退订" in t and "您已" not in t] == []
    shown = world.client.get(f"{API}/campaigns/{made['id']}", headers=world.staff("analyst")).json()
    assert shown["sms"]["sent"] == 2
    assert shown["sms"]["opted_out"] == 1


def test_only_the_gateway_s_account_posts_inbound_messages(world: World) -> None:
    message = [{"id": "mo-x", "phone": ELDERS[0], "text": "TD"}]
    assert inbound(world, message, who="partner").status_code == 403  # a partner of no telecom unit
    assert inbound(world, message, who="admin").status_code == 403
    assert world.client.post(f"{API}/sms/inbound", json={"messages": message}).status_code == 401
    bad = world.client.post(f"{API}/sms/inbound", json={"messages": []}, headers=world.staff("sms_gateway"))
    assert bad.status_code == 422
    assert bad.json()["error"]["field"].endswith("messages")
    with world.services.db.session() as s:
        assert s.scalars(select(SmsOptOut)).all() == []


def test_a_resident_opts_out_on_m_and_back_in_and_still_gets_their_sign_in_code(world: World) -> None:
    phone = ELDERS[1]
    who = world.resident(phone)
    state = world.client.get(f"{API}/sms/me", headers=who).json()
    assert state["opted_out"] is False
    assert state["phone"] == "137****0802"
    r = world.client.put(f"{API}/sms/me", json={"opted_out": True}, headers=who)
    assert r.status_code == 200, r.text
    assert (r.json()["opted_out"], r.json()["changed"], r.json()["channel"]) == (True, True, "resident")
    assert world.client.put(f"{API}/sms/me", json={"opted_out": True}, headers=who).json()["changed"] is False
    assert world.client.put(f"{API}/sms/me", json={"opted_out": "maybe"}, headers=who).status_code == 422
    assert campaign(world)["sms"]["opted_out"] == 1
    # A sign-in code is a service message: it still goes to the opted-out phone.
    world.clock.advance(timedelta(minutes=2))
    assert world.client.post(f"{D}/auth/otp", json={"phone": phone}).status_code == 202
    assert world.sms.last_code(phone) is not None
    back = world.client.put(f"{API}/sms/me", json={"opted_out": False}, headers=who).json()
    assert back["opted_out"] is False
    assert campaign(world)["sms"]["opted_out"] == 0
    # Staff have no "me" here.
    assert world.client.get(f"{API}/sms/me", headers=world.staff("officer_a1")).status_code == 403


def test_an_officer_records_an_opt_out_on_request_and_the_admin_sees_the_list_masked(world: World) -> None:
    r = world.client.post(
        f"{API}/sms/opt-outs",
        json={"phone": "137 0000 0803", "opted_out": True, "note": "老人来电要求不再接收"},
        headers=world.staff("officer_a1"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["changed"], r.json()["phone"], r.json()["channel"]) == (True, "137****0803", "officer")
    for body, fld in (
        ({"phone": "abc", "opted_out": True}, "phone"),
        ({"phone": "057465771234", "opted_out": True}, "phone"),
        ({"phone": ELDERS[0]}, "opted_out"),
    ):
        bad = world.client.post(f"{API}/sms/opt-outs", json=body, headers=world.staff("officer_a1"))
        assert bad.status_code == 422, bad.text
        assert bad.json()["error"]["field"].endswith(fld)
    assert (
        world.client.post(
            f"{API}/sms/opt-outs", json={"phone": ELDERS[0], "opted_out": True}, headers=world.staff("gov_a")
        ).status_code
        == 403
    )
    inbound(world, [{"id": "mo-a", "phone": ELDERS[0], "text": "退订 我的手机13700000801"}])
    # The admin's list: masked, who and how; the officer's note kept, a reply's text only when revealed.
    listed = world.client.get(f"{API}/sms/opt-outs", headers=world.staff("admin")).json()
    assert listed["total"] == 2
    assert listed["masked"] is True
    by_phone = {x["phone"]: x for x in listed["items"]}
    assert set(by_phone) == {"137****0803", "137****0801"}
    assert by_phone["137****0803"]["by"] == "李警官"
    assert by_phone["137****0803"]["channel_name"] == "民警代为登记"
    assert by_phone["137****0801"]["note"] is None
    assert (
        world.client.get(f"{API}/sms/opt-outs", params={"q": "0803"}, headers=world.staff("admin")).json()["total"] == 1
    )
    assert (
        world.client.get(f"{API}/sms/opt-outs", params={"q": "两个"}, headers=world.staff("admin")).status_code == 422
    )
    with world.services.db.session() as s:
        assert s.scalars(select(AccessLog)).all() == []  # masked reads record nothing
    shown = world.client.get(
        f"{API}/sms/opt-outs", params={"reveal": True, "purpose": "核对投诉"}, headers=world.staff("admin")
    ).json()
    assert {x["phone"] for x in shown["items"]} == {ELDERS[0], ELDERS[2]}
    with world.services.db.session() as s:
        logs = s.scalars(select(AccessLog)).all()
    assert [(a.user_id, a.subject_type, a.purpose) for a in logs] == [
        (world.users["admin"], "sms_opt_out", "核对投诉")
    ] * 2
    for who in ("analyst", "officer_a1", "sms_gateway"):
        assert world.client.get(f"{API}/sms/opt-outs", headers=world.staff(who)).status_code == 403
    # The officer restores it on request; the history keeps both, masked, with who made each.
    world.client.post(
        f"{API}/sms/opt-outs", json={"phone": ELDERS[2], "opted_out": False}, headers=world.staff("head_a")
    )
    history = world.client.get(f"{API}/sms/opt-outs/history", headers=world.staff("admin")).json()
    assert [(h["phone"], h["action"], h["channel"]) for h in history] == [
        ("137****0803", "opt_in", "officer"),
        ("137****0801", "opt_out", "sms_reply"),
        ("137****0803", "opt_out", "officer"),
    ]
    with world.services.db.session() as s:
        assert len(s.scalars(select(SmsOptOutEvent)).all()) == 3
        assert [p for (p,) in s.execute(select(SmsOptOut.phone))] == [ELDERS[0]]


def test_a_campaign_row_of_an_opted_out_phone_is_never_sent_even_if_its_message_runs(world: World) -> None:
    world.client.put(f"{API}/sms/me", json={"opted_out": True}, headers=world.resident(ELDERS[0]))
    made = campaign(world)
    world.services.outbox.run_until_idle()
    with world.services.db.session() as s:
        statuses = dict(
            s.execute(select(CampaignSms.phone, CampaignSms.status).where(CampaignSms.campaign_id == made["id"])).all()
        )
    assert statuses[ELDERS[0]].value == "opted_out"
    assert [t for t in texts_to(world, ELDERS[0]) if "回复TD退订" in t and "您已" not in t] == []
