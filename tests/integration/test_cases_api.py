"""Cases (案件) and their linking (串并案) through the API, the CLI and the dissuasion loop, on SQLite and PostgreSQL.

The world is the fraud API's: two stations side by side, the centres, one user per role, and two registered
residents (PHONE_A in station A, PHONE_B in station B).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from pingan.cli import app as cli
from pingan.core.db import Database
from pingan.core.models import AccessLog
from pingan.money.linking import batch_clusters
from pingan.money.models import Case, CaseIdentifier
from pingan.money.service import DbLinkStore
from tests.integration.test_api_fraud import ID_NUMBER_A, NAME_A, PHONE_A, PHONE_B, Api, assert_error
from tests.integration.test_api_fraud import api as api  # the fixture, re-exported

NARRATIVE = (
    "2026年11月20日14时许，我接到自称淘宝客服的电话１３８－１２３４－５６７８，称可以退款，让我下载APP（包名"
    "com.zoom.yunhui），登录 www.tb-tuikuan.cc/refund ，向对方账户6222 0212 3456 7890 123转账31833.5元，"
    "我的卡尾号1234。对方还冒充95588客服。"
)


def case_body(source_id: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": source_id,
        "reported_at": "2026-11-23T10:00:00+08:00",
        "victim": {"name": NAME_A, "phone": PHONE_A, "id_number": ID_NUMBER_A},
        "loss_yuan": "31833.50",
        "fraud_type": "fake_customer_service",
        "narrative": NARRATIVE,
    }
    return {**body, **fields}


def open_case(api: Api, body: dict[str, Any], who: str = "analyst") -> dict[str, Any]:
    response = api.post("/cases", who, body)
    assert response.status_code in (200, 201), response.text
    out: dict[str, Any] = response.json()
    return out


def patch(api: Api, case_id: int, who: str, body: Any) -> httpx.Response:
    response: httpx.Response = api.client.patch(f"/api/v1/cases/{case_id}", headers=api.auth(who), json=body)
    return response


def test_a_case_by_hand_has_the_identifiers_of_its_narrative_and_a_masked_victim(api: Api) -> None:
    case = open_case(api, case_body("c-1"))
    kinds = {(i["kind"], i["value"]): i for i in case["identifiers"]}
    assert set(kinds) >= {
        ("phone", "13812345678"),
        ("app", "com.zoom.yunhui"),
        ("url", "www.tb-tuikuan.cc/refund"),
        ("domain", "tb-tuikuan.cc"),  # the URL's registrable domain, derived
        ("account", "6222021234567890123"),
        ("card_tail", "1234"),
        ("phone", "95588"),
    }
    assert kinds[("card_tail", "1234")]["linkable"] is False
    assert kinds[("phone", "95588")]["blocked"] is True  # on the default stoplist
    assert kinds[("domain", "tb-tuikuan.cc")]["origin"] == "derived"
    assert case["victim"] == {
        "name": "张**",
        "phone": "138****0001",
        "id_number": "330225********1234",
        "person_id": api.person["a"],
        "masked": True,
    }
    assert case["station_id"] == api.area["a"]  # the victim's registered station
    assert case["loss_yuan"] == "31833.50"
    assert "6222 **** **** ***0 123" in case["narrative"]  # the card in the narrative is masked
    assert "6222 0212 3456 7890 123" not in case["narrative"]


def test_the_victims_own_phone_in_the_narrative_links_nothing_and_is_masked(api: Api) -> None:
    case = open_case(api, case_body("c-1", narrative=f"报警人电话{PHONE_A}，对方电话13812345678"))
    own = next(i for i in case["identifiers"] if i["value"].startswith("138****"))
    assert own["linkable"] is False


def test_replaying_a_case_creates_nothing_twice(api: Api) -> None:
    first = api.post("/cases", "analyst", case_body("c-1"))
    again = api.post("/cases", "analyst", case_body("c-1", loss_yuan="1"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["loss_yuan"] == "31833.50"
    assert api.count(Case) == 1


def test_bad_input_is_a_422_naming_the_field(api: Api) -> None:
    assert_error(api.post("/cases", "analyst", case_body("c-1", loss_yuan="-5")), 422, field="loss_yuan")
    assert_error(api.post("/cases", "analyst", case_body("c-1", fraud_type="nonsense")), 422, field="fraud_type")
    assert_error(api.post("/cases", "analyst", case_body("c-1", reported_at="yesterday")), 422, field="reported_at")
    bad_id = case_body("c-1", identifiers=[{"kind": "qq", "value": "0abc"}])
    assert_error(api.post("/cases", "analyst", bad_id), 422, field="identifiers.0")
    assert_error(api.post("/cases", "analyst", case_body("c-1", victim={"phone": "12ab"})), 422, field="victim.phone")
    assert_error(api.post("/cases", "analyst", case_body("c-1", narrative="a\x00b")), 422, field="narrative")
    assert_error(api.post("/cases", "analyst", case_body("c-1", area_id=999_999)), 422, field="area_id")
    assert api.count(Case) == 0


def test_a_station_sees_its_own_cases_only(api: Api) -> None:
    case_a = open_case(api, case_body("c-a"))
    case_b = open_case(api, case_body("c-b", victim={"phone": PHONE_B}))
    assert {c["id"] for c in api.get("/cases", "officer_a").json()} == {case_a["id"]}
    assert {c["id"] for c in api.get("/cases", "officer_b").json()} == {case_b["id"]}
    assert {c["id"] for c in api.get("/cases", "commander").json()} == {case_a["id"], case_b["id"]}
    assert_error(api.get(f"/cases/{case_b['id']}", "officer_a"), 404, field="case_id")
    assert_error(patch(api, case_b["id"], "officer_a", {"loss_yuan": "1"}), 404, field="case_id")
    for who in ("partner", "governance", "resident"):
        assert_error(api.get("/cases", who), 403)


def test_station_staff_open_cases_in_their_own_station_only(api: Api) -> None:
    mine = open_case(api, case_body("c-1", victim={"name": "某人"}), who="officer_a")
    assert mine["station_id"] == api.area["a"]  # no registered victim: the officer's own station
    response = api.post("/cases", "officer_a", case_body("c-2", area_id=api.area["b"]))
    assert_error(response, 403, field="area_id")
    assert_error(api.post("/cases", "commander", case_body("c-3")), 403)  # the command centre reads, opens nothing


def test_reveal_shows_the_victim_and_records_the_read(api: Api) -> None:
    case = open_case(api, case_body("c-1"))
    shown = api.get(f"/cases/{case['id']}", "officer_a", reveal="true", purpose="联系受害人").json()
    assert shown["victim"]["name"] == NAME_A
    assert shown["victim"]["id_number"] == ID_NUMBER_A
    assert "6222 0212 3456 7890 123" in shown["narrative"]
    with api.db.session() as s:
        log = s.scalars(select(AccessLog)).all()
    assert [(r.subject_type, r.subject_id, r.purpose) for r in log] == [
        ("person", api.person["a"], f"联系受害人（案件 {case['id']}）")
    ]
    assert api.get(f"/cases/{case['id']}", "officer_a").json()["victim"]["masked"] is True


def clusters(api: Api, who: str = "analyst") -> list[dict[str, Any]]:
    response = api.get("/cases/clusters", who)
    assert response.status_code == 200, response.text
    out: list[dict[str, Any]] = response.json()
    return out


def test_cases_sharing_an_identifier_form_a_cluster_that_says_which_identifier_linked_them(api: Api) -> None:
    one = open_case(api, case_body("c-1", narrative="对方电话13812345678，冒充95588客服"))
    two = open_case(api, case_body("c-2", narrative="来电138 1234 5678，也说是95588客服", victim={"phone": PHONE_B}))
    three = open_case(api, case_body("c-3", narrative="对方QQ：55667788", victim={}))
    four = open_case(api, case_body("c-4", narrative="拨打95588，QQ号 55667788", victim={}))
    found = clusters(api)
    assert [(c["size"], [x["source_id"] for x in c["cases"]]) for c in found] == [
        (2, ["c-1", "c-2"]),
        (2, ["c-3", "c-4"]),
    ]  # 95588 is on every case but glues none of them: two rings, not one
    assert found[0]["links"] == [
        {
            "kind": "phone",
            "kind_name": "电话",
            "value": "13812345678",
            "case_ids": [one["id"], two["id"]],
            "source_ids": ["c-1", "c-2"],
            "warning_ids": [],
            "warning_source_ids": [],
        }
    ]
    assert found[1]["links"][0]["value"] == "55667788"
    assert {three["id"], four["id"]} == set(found[1]["links"][0]["case_ids"])
    blocked = api.get("/cases/blocked", "analyst").json()
    assert {
        "kind": "phone",
        "value": "95588",
        "cases": 3,
        "warnings": 0,
        "members": 3,
        "reason": "stoplist",
    } in blocked["values"]


def test_a_station_sees_the_clusters_of_its_cases_with_the_others_counted(api: Api) -> None:
    open_case(api, case_body("c-a", narrative="对方电话13812345678"))
    open_case(api, case_body("c-b", narrative="对方电话13812345678", victim={"phone": PHONE_B}))
    [seen] = clusters(api, "officer_a")
    assert [c["source_id"] for c in seen["cases"]] == ["c-a"]
    assert seen["hidden_cases"] == 1
    assert seen["links"][0]["source_ids"] == ["c-a"]


def test_editing_the_identifiers_relinks_the_case(api: Api) -> None:
    one = open_case(api, case_body("c-1", narrative="对方电话13812345678"))
    two = open_case(api, case_body("c-2", narrative="对方电话13812345678"))
    assert len(clusters(api)) == 1
    edited = patch(api, two["id"], "analyst", {"identifiers": [{"kind": "wechat", "value": "Kefu_8899"}]})
    assert edited.status_code == 200, edited.text
    assert [(i["kind"], i["value"]) for i in edited.json()["identifiers"]] == [("wechat", "kefu_8899")]
    assert clusters(api) == []
    again = patch(api, one["id"], "analyst", {"narrative": "加了微信号：kefu_8899"})
    assert again.status_code == 200
    assert [x["source_id"] for x in clusters(api)[0]["cases"]] == ["c-1", "c-2"]
    assert_error(patch(api, one["id"], "analyst", {"identifiers": [{"kind": "phone", "value": "x"}]}), 422)


def test_a_defrauded_dissuasion_opens_a_case_with_the_warnings_counterparts(api: Api) -> None:
    _, task_id = api.report(PHONE_A, "rep-1", counterpart="+86 170-0000-0009", counterpart_kind="phone")
    for body in (
        {"action": "sign"},
        {"action": "meet"},
        {"action": "feedback", "outcome": "defrauded", "amount_yuan": "8800", "note": "已转账"},
    ):
        assert api.act(task_id, "officer_a", **body).status_code == 200
    [case] = api.get("/cases", "analyst").json()
    assert (case["source"], case["loss_yuan"], case["station_id"]) == ("dissuasion", "8800.00", api.area["a"])
    detail = api.get(f"/cases/{case['id']}", "analyst").json()
    assert ("phone", "17000000009") in {(i["kind"], i["value"]) for i in detail["identifiers"]}
    # Closing it afterwards opens no second case.
    api.clock.advance(minutes=5)
    assert api.act(task_id, "analyst", action="evaluate").status_code == 200
    assert api.count(Case) == 1


def test_a_dissuasion_that_succeeded_opens_no_case(api: Api) -> None:
    _, task_id = api.report(PHONE_A, "rep-1")
    for body in ({"action": "sign"}, {"action": "meet"}, {"action": "feedback", "outcome": "dissuaded"}):
        assert api.act(task_id, "officer_a", **body).status_code == 200
    assert api.count(Case) == 0


def db_clusters(db: Database) -> tuple[dict[int, int], dict[int, int]]:
    """The clusters stored, and those a batch computation over the same rows gives."""
    from pingan.money.linking import blocked_keys
    from pingan.money.rules import CaseRules

    rules = CaseRules.model_validate({}).link_rules()
    with db.session() as s:
        stored = {c.id: c.cluster_id or c.id for c in s.scalars(select(Case))}
        held = DbLinkStore(s).keys_of(stored)
    counts: dict[tuple[str, str], int] = {}
    for keys in held.values():
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
    expected = batch_clusters({c: held.get(c, set()) for c in stored}, set(blocked_keys(counts, rules)))
    return stored, expected


def write_jsonl(path: Path, lines: list[Any]) -> None:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n")


def test_import_keeps_the_good_lines_reports_the_bad_and_replays_harmlessly(
    api: Api, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PINGAN_DATABASE_URL", api.db.url)
    path = tmp_path / "cases.jsonl"
    good = [
        {"id": f"imp-{i}", "reported_at": f"2026-11-2{i % 9 + 1}T10:00:00+08:00",
         "victim": {"name": "受害人", "phone": f"1390000{i:04d}"}, "loss_yuan": 1000 + i,
         "narrative": f"对方微信号：ring_{i % 3}_boss，网址 shop{i % 5}.xn--fiqs8s/pay", "county_code": "522301" if i % 2 else "330225"}
        for i in range(12)
    ]  # fmt: skip
    write_jsonl(
        path,
        [*good[:6], {"id": "bad-1", "reported_at": "2026-11-23T10:00:00+08:00", "loss_yuan": "lots"}, "{oops",
         {"reported_at": "2026-11-23T10:00:00+08:00"}, *good[6:]],
    )  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(cli, ["cases", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "cases: 12 created, 0 duplicates, 3 rejected" in result.output
    assert "line 7 loss_yuan" in result.output
    assert "line 8" in result.output
    assert "line 9 id" in result.output
    again = runner.invoke(cli, ["cases", "import", str(path)])
    assert "cases: 0 created, 12 duplicates, 3 rejected" in again.output
    assert api.count(Case) == 12
    stored, expected = db_clusters(api.db)
    assert stored == expected
    out = runner.invoke(cli, ["cases", "clusters", "--json"])
    rings = json.loads(out.stdout)
    # Three WeChat rings and five sites: every case shares its site with cases of other rings, so all are one.
    assert [c["size"] for c in rings] == [12]
    assert rings[0]["counties"] == ["330225", "522301"]  # 省域串并: across counties
    assert {link["kind"] for link in rings[0]["links"]} == {"wechat", "url", "domain"}


def test_incremental_clusters_in_the_database_equal_a_batch_computation(api: Api) -> None:
    # A ring, a common value that crosses the default cap (50), and edits: after each step, stored == batch.
    for i in range(53):
        narrative = f"对方电话1700000{i % 4:04d}，支付处理商 shared-pay.com" + (f"，QQ：9{i:07d}" if i % 7 else "")
        open_case(api, case_body(f"c-{i}", narrative=narrative, victim={}))
        if i in (10, 49, 50, 52):
            stored, expected = db_clusters(api.db)
            assert stored == expected, i
    with api.db.session() as s:
        n = s.scalar(select(CaseIdentifier.id).where(CaseIdentifier.value == "shared-pay.com").limit(1))
    assert n is not None
    found = clusters(api)
    assert sorted(c["size"] for c in found) == [13, 13, 13, 14]  # the four phones, not one cluster of 53
    blocked = api.get("/cases/blocked", "analyst").json()["values"]
    assert {
        "kind": "domain",
        "value": "shared-pay.com",
        "cases": 53,
        "warnings": 0,
        "members": 53,
        "reason": "cap",
    } in blocked
    relinked = api.post("/cases/relink", "analyst", {})
    assert relinked.status_code == 200
    assert db_clusters(api.db)[0] == db_clusters(api.db)[1]
    assert_error(api.post("/cases/relink", "officer_a", {}), 403)
