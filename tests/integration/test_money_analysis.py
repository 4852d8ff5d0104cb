"""After "already defrauded", on SQLite and PostgreSQL: the case's investigation on the task workflow (立案 → 侦办 →
破案 → 移送起诉, suspects, deadlines and the ladder), the interception figures (A11) and their export, the
analysis (A8: types, areas, ages, 同比/环比, hot types, the groups hit), the targeted campaigns (A9) with their
deliveries, and warnings shown on the cases' clusters.

The world is the fraud API's: stations A and B, the centres, one user per role, residents PHONE_A (A) and PHONE_B (B).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from pingan.core.models import Person, PersonPhone, Task
from pingan.desk.otp import FakeSmsGateway
from pingan.fraud.models import Indicator
from pingan.money.models import Case, CaseSuspect
from pingan.workers.sweeper import sweep_once
from tests.integration.test_api_fraud import PHONE_A, PHONE_B, T0, Api, assert_error, event
from tests.integration.test_api_fraud import api as api  # the fixture, re-exported
from tests.integration.test_cases_api import case_body, open_case, patch

OFFICIALS = "对方自称公安局民警，说我涉嫌洗钱案件，要求把钱转到安全账户配合调查，并让我下载会议软件保密。"


def task_of(api: Api, case_id: int) -> Task:
    with api.db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        assert case.task_id is not None
        task = s.get(Task, case.task_id)
        assert task is not None
        return task


def test_a_case_is_investigated_on_the_task_workflow_until_it_is_solved_and_transferred(api: Api) -> None:
    case = open_case(api, case_body("wf-1"), who="officer_a")
    assert case["task_id"]
    assert case["status"] == "open"
    task = task_of(api, case["id"])
    assert (task.kind, task.status, task.due_step) == ("case", "issued", "accept")
    assert task.due_at == T0 + timedelta(hours=24)
    tid = task.id
    # Another station's officer cannot see it; the holding station works it.
    assert api.act(tid, "officer_b", action="investigate").status_code == 404
    assert api.act(tid, "officer_a", action="investigate").status_code == 200
    # No 破案 without a suspect, and only a station head or the centre declares it.
    assert_error(api.act(tid, "head_a", action="solve", note="抓获"), 409, code="suspect_required")
    r = api.act(tid, "officer_a", action="add_suspect", name="王某", id_number="330225199201011234", caught=True)
    assert r.status_code == 200, r.text
    api.act(tid, "officer_a", action="add_suspect", name="“卡农”李某", role="卡农")
    assert_error(api.act(tid, "officer_a", action="solve", note="抓获"), 403)
    assert api.act(tid, "head_a", action="solve", note="抓获王某").status_code == 200
    # The case follows its task; its status is not edited by hand any more.
    detail = api.get(f"/cases/{case['id']}", "analyst").json()
    assert detail["status"] == "solved"
    assert detail["solved_at"]
    assert [s["caught"] for s in detail["suspects"]] == [True, False]
    assert detail["suspects"][0]["id_number"] != "330225199201011234"  # masked
    assert_error(patch(api, case["id"], "analyst", {"status": "closed"}), 422, code="use_case_task", field="status")
    assert api.act(tid, "head_a", action="transfer", note="移送县检察院 象检刑诉〔2026〕12号").status_code == 200
    assert api.get(f"/cases/{case['id']}", "analyst").json()["status"] == "prosecuted"
    assert task_of(api, case["id"]).closed_at is not None
    # The worklist offers the kind with its own actions.
    kinds = {k["kind"]: k for k in api.get("/tasks/kinds", "analyst").json()}
    assert {"investigate", "add_suspect", "solve", "transfer"} <= set(kinds["case"]["actions"])


def test_a_case_not_taken_up_in_time_climbs_the_ladder(api: Api) -> None:
    case = open_case(api, case_body("wf-late"))
    api.clock.advance(timedelta(hours=25))
    sweep_once(api.services)
    task = task_of(api, case["id"])
    assert task.escalation == 1
    assert task.breaches >= 1


def test_every_case_carries_the_classifiers_reading_and_takes_its_type_when_none_is_given(api: Api) -> None:
    body = case_body("cls-1", narrative=OFFICIALS)
    del body["fraud_type"]
    case = open_case(api, body)
    assert case["predicted_type"] == "impersonate_officials"
    assert 0 < case["predicted_confidence"] <= 1
    assert case["fraud_type"] == "impersonate_officials"
    given = open_case(api, case_body("cls-2", narrative=OFFICIALS, fraud_type="other"))
    assert (given["fraud_type"], given["predicted_type"]) == ("other", "impersonate_officials")


def _cancel_a_card(api: Api) -> None:
    from tests.integration.test_cards_api import LOCAL_ADULTS, opening

    holder = LOCAL_ADULTS[3]
    items = [opening(f"fig-{i:04d}", holder, at=f"2026-11-23T0{i}:00:00+08:00") for i in range(1, 5)]
    out = api.post("/cards/openings", "partner", items).json()
    [tid] = out["tasks_created"]
    r = api.act(tid, "analyst", action="verify", outcome="cancelled", cards_cancelled=4)
    assert r.status_code == 200, r.text


def test_interception_figures_count_cards_cases_solved_and_suspects_per_area(api: Api) -> None:
    a = open_case(api, case_body("f-1", loss_yuan="1000.00"))  # station A (the victim's)
    b = open_case(api, case_body("f-2", victim={"phone": PHONE_B}, loss_yuan="250.50"))  # station B
    tid = task_of(api, a["id"]).id
    api.act(tid, "officer_a", action="investigate")
    api.act(tid, "officer_a", action="add_suspect", name="王某", caught=True)
    api.act(tid, "head_a", action="solve", note="破")
    with api.db.session() as s:
        s.add(Indicator(kind="phone", value="17000000009", created_at=api.clock.now()))
        s.add(Indicator(kind="domain", value="tb-tuikuan.cc", created_at=api.clock.now()))
    _cancel_a_card(api)
    start = (T0 - timedelta(days=1)).isoformat()
    end = (T0 + timedelta(days=1)).isoformat()
    figures = api.get("/interception/figures", "analyst", start=start, end=end).json()
    total = figures["total"]
    assert total["numbers_blocked"] == 1  # phones only
    assert (total["sim_cancelled"], total["cards_cancelled"]) == (4, 4)
    assert (total["cases"], total["cases_linked"], total["cases_solved"]) == (2, 2, 1)  # they share identifiers
    assert (total["suspects"], total["suspects_caught"]) == (1, 1)
    assert total["loss_yuan"] == "1250.50"
    rows = {r["area_id"]: r for r in figures["areas"]}
    assert rows[api.area["a"]]["cases_solved"] == 1
    assert rows[api.area["b"]]["cases_solved"] == 0
    # A station sees its own area only; another's is refused by name.
    mine = api.get("/interception/figures", "head_a", start=start, end=end).json()
    assert {r["area_id"] for r in mine["areas"]} <= {api.area["a"]}
    assert mine["total"]["cases"] == 1
    assert_error(api.get("/interception/figures", "head_a", area_id=api.area["b"]), 403, field="area_id")
    assert_error(api.get("/interception/figures", "partner"), 403)
    # A period before anything happened counts nothing; a reversed one names its field.
    early = api.get("/interception/figures", "analyst", end=(T0 - timedelta(days=2)).isoformat()).json()
    assert early["total"]["cases"] == 0
    assert early["total"]["cards_cancelled"] == 0
    assert_error(api.get("/interception/figures", "analyst", start=end, end=start), 422, field="start")
    # The export holds the same table, a row per area and the total.
    r = api.get("/exports/interception-figures", "analyst", start=start, end=end, format="csv")
    assert r.status_code == 200, r.text
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["辖区", "拦截阻断号码", "封停电话卡"]
    assert table[-1][0] == "合计"
    assert table[-1][1] == "1"
    assert b["id"]


def _person(api: Api, name: str, phone: str, birth_year: int, area: str) -> None:
    with api.db.session() as s:
        row = Person(name=name, birth_year=birth_year, station_id=api.area[area], tags=[], created_at=T0)
        s.add(row)
        s.flush()
        s.add(PersonPhone(phone=phone, person_id=row.id))


def test_analysis_compares_periods_finds_hot_types_and_the_groups_hit(api: Api) -> None:
    _person(api, "老王", "13700000060", 1950, "a")
    _person(api, "老李", "13700000061", 1948, "a")
    now = T0
    # This week: three 公检法 cases of elderly victims in A; last week one; a year ago two.
    for i in range(3):
        open_case(
            api,
            case_body(
                f"an-now-{i}", narrative=f"{OFFICIALS}第{i}次", fraud_type="impersonate_officials",
                victim={"phone": "13700000060" if i % 2 else "13700000061"}, identifiers=[],
                reported_at=(now - timedelta(days=i)).isoformat(),
            ),
        )  # fmt: skip
    open_case(
        api,
        case_body("an-last-week", narrative="刷单返利", fraud_type="impersonate_officials",
                  reported_at=(now - timedelta(days=9)).isoformat()),
    )  # fmt: skip
    for i in range(2):
        open_case(
            api,
            case_body(f"an-yoy-{i}", narrative="刷单", fraud_type="impersonate_officials",
                      reported_at=(now - timedelta(days=365 + 1 + i)).isoformat()),
        )  # fmt: skip
    start, end = (now - timedelta(days=7)).isoformat(), (now + timedelta(seconds=1)).isoformat()
    out = api.get("/analysis", "analyst", start=start, end=end).json()
    officials = next(t for t in out["by_type"] if t["fraud_type"] == "impersonate_officials")
    assert officials["cases"] == 3
    assert officials["mom"]["cases"] == 2.0  # 3 against 1 the week before: +200%
    assert officials["yoy"]["cases"] == 0.5  # 3 against 2 a year before
    assert [h["fraud_type"] for h in out["hot_types"]][:1] == ["impersonate_officials"]
    assert out["hot_types"][0]["last_week"] == 1
    elderly = next(g for g in out["by_age"] if g["age_group"] == "60_plus")
    assert elderly["cases"] == 3
    hit = out["groups_hit"][0]
    assert (hit["area_id"], hit["age_group"], hit["campaign_group"], hit["fraud_type"], hit["cases"]) == (
        api.area["a"], "60_plus", "elderly", "impersonate_officials", 3,
    )  # fmt: skip
    assert len(out["series"]) == 8
    assert sum(b["cases"] for b in out["series"]) == 3
    # A station sees its own; another's area is refused; a resident nothing.
    assert api.get("/analysis", "officer_b", start=start, end=end).json()["total"]["cases"] == 0
    assert_error(api.get("/analysis", "officer_b", area_id=api.area["a"]), 403, field="area_id")
    assert_error(api.get("/analysis", "resident"), 403)
    assert_error(api.get("/analysis", "analyst", step="month"), 422, field="query.step")


def test_warnings_count_in_the_analysis_with_what_they_protected(api: Api) -> None:
    wid, tid = api.report(PHONE_A, "an-w-1", text=OFFICIALS)
    api.act(tid, "officer_a", action="sign")
    api.act(tid, "officer_a", action="call", answered=True)
    api.act(tid, "officer_a", action="meet")
    r = api.act(tid, "officer_a", action="feedback", outcome="dissuaded", amount_yuan="5000")
    assert r.status_code == 200, r.text
    out = api.get("/analysis", "analyst").json()
    assert out["total"]["warnings"] == 1
    assert out["total"]["protected_yuan"] == "5000.00"
    assert any(t["warnings"] == 1 for t in out["by_type"])
    assert wid


def test_a_campaign_reaches_the_group_of_its_areas_by_push_and_sms_and_counts_deliveries(api: Api) -> None:
    sms = FakeSmsGateway()
    api.services.campaigns.sms = sms
    _person(api, "老王", "13700000060", 1950, "a")
    _person(api, "老李", "13700000061", 1948, "a")
    _person(api, "小张", "13700000062", 2000, "a")
    _person(api, "老赵", "13700000063", 1950, "b")  # elderly, but of the other station
    body = {"fraud_type": "impersonate_officials", "area_ids": [api.area["a"]], "group": "elderly"}
    r = api.post("/campaigns", "analyst", body)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["sms"] == {"targeted": 2, "queued": 2, "sent": 0, "opted_out": 0}
    assert "公检法" in made["body"]
    assert made["group_name"].startswith("60岁")
    assert made["push"]["push_id"] is not None
    api.services.outbox.run_until_idle()
    assert sorted(p for p, _ in sms.sent) == ["13700000060", "13700000061"]
    shown = api.get(f"/campaigns/{made['id']}", "analyst").json()
    assert shown["sms"]["sent"] == 2
    assert shown["sms"]["queued"] == 0
    assert shown["reached"] >= 2
    # Delivered once: the outbox running again sends nothing more.
    api.services.outbox.run_until_idle()
    assert len(sms.sent) == 2
    # A station head campaigns in their own station only; an officer not at all; bad input names its field.
    assert_error(api.post("/campaigns", "head_a", {**body, "area_ids": [api.area["b"]]}), 403, field="area_ids")
    assert api.post("/campaigns", "head_a", body).status_code == 201
    assert_error(api.post("/campaigns", "officer_a", body), 403)
    assert_error(api.post("/campaigns", "analyst", {**body, "area_ids": [999999]}), 422, field="area_ids")
    assert_error(api.post("/campaigns", "analyst", {**body, "group": "toddlers"}), 422, field="group")
    assert_error(api.post("/campaigns", "analyst", {**body, "push": False, "sms": False}), 422, field="push")
    listed = api.get("/campaigns", "head_a").json()
    assert [c["id"] for c in listed][-1] == made["id"]
    assert api.get("/campaigns", "analyst").json()[0]["areas"][0]["id"] == api.area["a"]
    assert_error(api.get(f"/campaigns/{made['id']}", "officer_a"), 403)


def test_a_warning_naming_a_clusters_identifier_is_shown_on_the_cluster(api: Api) -> None:
    ring = "17012345678"
    open_case(api, case_body("cl-1", narrative=f"对方电话{ring}", identifiers=[]))
    open_case(api, case_body("cl-2", victim={"phone": PHONE_B}, narrative=f"骗子号码 {ring}", identifiers=[]))
    assert api.post("/fraud/indicators", "analyst", {"kind": "phone", "value": ring}).status_code in (200, 201)
    r = api.events([event("cl-w-1", counterpart=ring, counterpart_kind="phone", subject_phone=PHONE_B)])
    assert r.status_code == 200, r.text
    [wid] = r.json()["warnings_opened"]
    clusters: list[dict[str, Any]] = api.get("/cases/clusters", "analyst").json()
    cluster = next(c for c in clusters if any(link["value"] == ring for link in c["links"]))
    assert [w["warning_id"] for w in cluster["warnings"]] == [wid]
    assert cluster["warnings"][0]["identifiers"] == [{"kind": "phone", "value": ring, "source_id": "cl-w-1"}]
    assert cluster["warnings"][0]["source_ids"] == ["cl-w-1"]
    # A value the stoplist blocks links no warning either.
    open_case(api, case_body("cl-3", narrative="冒充 95588 客服", identifiers=[]))
    api.events([event("cl-w-2", counterpart="95588", counterpart_kind="phone")])
    clusters = api.get("/cases/clusters", "analyst").json()
    assert all(w["warning_id"] != wid + 1 for c in clusters for w in c["warnings"])
    with api.db.session() as s:
        assert s.scalar(select(CaseSuspect.id)) is None


def test_a_96110_call_of_money_already_gone_opens_its_case_once(api: Api) -> None:
    text = "我接到冒充公安的电话，已经转账3万元到对方的安全账户6222021234567890123"
    body = [event("hl-1", source="hotline", kind="report", text=text, counterpart="6222021234567890123",
                  counterpart_kind="account")]  # fmt: skip
    first = api.events(body).json()
    [wid] = first["warnings_opened"]
    with api.db.session() as s:
        cases = s.scalars(select(Case).where(Case.warning_id == wid)).all()
        assert len(cases) == 1
        case = cases[0]
        assert (case.source.value, case.source_id, case.loss_fen) == ("hotline", "hl-1", 3_000_000)
        assert case.fraud_type == "impersonate_officials"  # read by the classifier
        assert case.task_id is not None
        assert case.area_id == api.area["a"]
    detail = api.get(f"/cases/{case.id}", "analyst").json()
    assert any(i["value"] == "6222021234567890123" for i in detail["identifiers"])
    # A replay, and the dissuasion later recording "already defrauded", open nothing more.
    api.events(body)
    with api.db.session() as s:
        tid = s.scalar(select(Task.id).where(Task.ref_type == "fraud_warning", Task.ref_id == wid))
    assert tid is not None
    api.act(tid, "officer_a", action="sign")
    api.act(tid, "officer_a", action="call", answered=True)
    api.act(tid, "officer_a", action="meet")
    r = api.act(tid, "officer_a", action="feedback", outcome="defrauded", amount_yuan="31000")
    assert r.status_code == 200, r.text
    with api.db.session() as s:
        cases = s.scalars(select(Case).where(Case.warning_id == wid)).all()
        assert [c.loss_fen for c in cases] == [3_100_000]  # the officer's figure


def test_a_report_that_is_only_a_near_miss_opens_no_case(api: Api) -> None:
    api.events([event("hl-2", source="hotline", kind="report", text="差点被骗，还好没有转账，提醒大家")])
    api.events([event("hl-3", source="telecom", kind="sms", text="您已转账5000元", counterpart="17000000002")])
    with api.db.session() as s:
        assert s.scalar(select(Case.id)) is None


def test_a_desk_report_of_a_loss_opens_a_case_named_by_the_request(api: Api) -> None:
    """What the desk's `FraudReports` port sends for a resident's fraud request (event `desk-<request id>`)."""
    api.events([event("desk-77", source="desk", kind="report", subject_phone=PHONE_B,
                      text="网上刷单，先后付了4笔共8600元，现在平台不让提现")])  # fmt: skip
    with api.db.session() as s:
        case = s.scalar(select(Case).where(Case.source_id == "77"))
        assert case is not None
        assert (case.source.value, case.loss_fen, case.area_id) == ("desk", 860_000, api.area["b"])
        assert case.predicted_type is not None
    # A feed's own "desk" ids, not a request's, keep their id (and are no 500).
    r = api.events([event("desk-x1", source="desk", kind="report", text="已经转账2000元")])
    assert r.status_code == 200, r.text
    with api.db.session() as s:
        assert s.scalar(select(Case.loss_fen).where(Case.source_id == "desk-x1")) == 200_000
