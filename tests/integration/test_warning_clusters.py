"""Warnings as members of the clusters (串并): a warning whose events named an identifier is linked with the
cases and the other warnings holding it, under the same stoplist and cap, scoped and masked as cases are.

The world is the fraud API's: stations A and B, one user per role, residents PHONE_A (A) and PHONE_B (B).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from pingan.money.linking import LinkRules, batch_clusters, blocked_keys
from pingan.money.models import Case, WarningIdentifier, WarningMember
from pingan.money.service import DbLinkStore
from tests.integration.test_api_fraud import PHONE_A, PHONE_B, Api, event
from tests.integration.test_api_fraud import api as api  # the fixture, re-exported
from tests.integration.test_cases_api import case_body, clusters, open_case

RING = "17012345678"
ACCOUNT = "6222021234567890123"


def report(api: Api, event_id: str, counterpart: str, *, phone: str = PHONE_A, kind: str = "phone") -> int:
    """A 96110 report about `phone` naming `counterpart` (a warning by nature): the warning's id."""
    body = event(
        event_id, source="hotline", kind="report", subject_phone=phone, counterpart=counterpart, counterpart_kind=kind
    )
    response = api.events([body])
    assert response.status_code == 200, response.text
    out = response.json()
    [warning_id] = out["warnings_opened"] or out["warnings_updated"]
    return int(warning_id)


def members_equal_a_batch(api: Api) -> None:
    """The clusters stored for cases and warnings are those a batch computation over the same rows gives."""
    rules = api.services.cases.link_rules
    with api.db.session() as s:
        stored = {c.id: c.cluster_id for c in s.scalars(select(Case))}
        stored |= {-w.warning_id: w.cluster_id for w in s.scalars(select(WarningMember))}
        held = DbLinkStore(s).keys_of(stored)
    counts: dict[tuple[str, str], int] = {}
    for keys in held.values():
        for k in keys:
            counts[k] = counts.get(k, 0) + 1
    assert stored == batch_clusters({m: held.get(m, set()) for m in stored}, set(blocked_keys(counts, rules)))


def test_two_warnings_naming_one_phone_form_a_cluster_of_their_own(api: Api) -> None:
    one = report(api, "w-1", RING)
    two = report(api, "w-2", "170 1234 5678", phone=PHONE_B)
    report(api, "w-3", "17099998888", phone="13700000009")  # shares nothing
    [found] = clusters(api)
    assert found["cluster_id"] == -min(one, two)  # no case in it: named by minus its smallest warning
    assert (found["size"], found["warning_count"], found["members"]) == (0, 2, 2)
    assert found["cases"] == []
    assert found["loss_yuan"] == "0.00"
    assert [w["warning_id"] for w in found["warnings"]] == [two, one]  # newest first
    assert [w["source_ids"] for w in found["warnings"]] == [["w-2"], ["w-1"]]
    assert found["warnings"][0]["identifiers"] == [{"kind": "phone", "value": RING, "source_id": "w-2"}]
    assert found["warnings"][0]["level"]
    assert found["warnings"][0]["outcome"] is None
    assert found["links"] == [
        {
            "kind": "phone",
            "kind_name": "电话",
            "value": RING,
            "case_ids": [],
            "source_ids": [],
            "warning_ids": [one, two],
            "warning_source_ids": ["w-1", "w-2"],
        }
    ]
    # Nobody warned is shown: the person's phone is on no cluster.
    assert PHONE_A not in str(found)
    assert PHONE_B not in str(found)
    members_equal_a_batch(api)


def test_a_warning_joins_the_cluster_of_a_case_and_a_case_opened_later_joins_the_warnings(api: Api) -> None:
    warned = report(api, "w-1", RING)
    case = open_case(api, case_body("c-1", narrative=f"对方电话{RING}"))
    [found] = clusters(api)
    assert found["cluster_id"] == case["id"]  # a cluster with a case is named by its smallest case
    assert [x["source_id"] for x in found["cases"]] == ["c-1"]
    assert [w["warning_id"] for w in found["warnings"]] == [warned]
    assert found["links"][0]["case_ids"] == [case["id"]]
    assert found["links"][0]["warning_ids"] == [warned]
    detail = api.get(f"/cases/{case['id']}", "analyst").json()
    ring = next(i for i in detail["identifiers"] if i["value"] == RING)
    assert (ring["cases"], ring["warnings"]) == (1, 1)
    assert (detail["cluster_size"], detail["cluster_warnings"]) == (1, 1)
    members_equal_a_batch(api)


def test_a_warning_naming_two_cases_identifiers_bridges_their_clusters(api: Api) -> None:
    first = open_case(api, case_body("c-1", narrative=f"对方电话{RING}"))
    second = open_case(api, case_body("c-2", narrative=f"转账到 {ACCOUNT}", victim={"phone": PHONE_B}))
    assert clusters(api) == []
    warned = report(api, "w-1", RING)
    assert clusters(api)[0]["cases"][0]["source_id"] == "c-1"
    # The same person's next report (merged into the same warning) names the second case's account.
    assert report(api, "w-2", ACCOUNT, kind="account") == warned
    [found] = clusters(api)
    assert found["cluster_id"] == first["id"]
    assert [x["source_id"] for x in found["cases"]] == ["c-1", "c-2"]
    assert [(link["kind"], link["value"]) for link in found["links"]] == [("account", ACCOUNT), ("phone", RING)]
    assert found["warnings"][0]["source_ids"] == ["w-1", "w-2"]
    with api.db.session() as s:
        assert s.get(Case, second["id"]).cluster_id == first["id"]  # type: ignore[union-attr]
    members_equal_a_batch(api)


def test_a_stoplisted_value_and_one_over_the_cap_link_no_warnings(api: Api) -> None:
    report(api, "w-1", "95588")  # a bank's hotline, on the default stoplist
    report(api, "w-2", "95588", phone=PHONE_B)
    assert clusters(api) == []
    blocked = api.get("/cases/blocked", "analyst").json()["values"]
    assert {"kind": "phone", "value": "95588", "cases": 0, "warnings": 2, "members": 2, "reason": "stoplist"} in blocked
    # The cap counts every member holding a value, cases and warnings alike.
    api.services.cases.link_rules = LinkRules(api.services.cases.link_rules.stoplist, cap=2)
    report(api, "w-3", RING)
    report(api, "w-4", RING, phone=PHONE_B)
    assert len(clusters(api)) == 1
    open_case(api, case_body("c-1", narrative=f"对方电话{RING}"))  # the third holder: over the cap
    assert clusters(api) == []
    blocked = api.get("/cases/blocked", "analyst").json()["values"]
    assert {"kind": "phone", "value": RING, "cases": 1, "warnings": 2, "members": 3, "reason": "cap"} in blocked
    members_equal_a_batch(api)


def test_a_station_sees_its_warnings_and_counts_the_others(api: Api) -> None:
    mine = report(api, "w-a", RING)  # a resident of station A
    report(api, "w-b", RING, phone=PHONE_B)  # of station B
    [seen] = clusters(api, "officer_a")
    assert [w["warning_id"] for w in seen["warnings"]] == [mine]
    assert seen["hidden_warnings"] == 1
    assert seen["links"][0]["warning_source_ids"] == ["w-a"]
    assert "w-b" not in str(seen)
    # A station none of whose members are in the cluster does not see it.
    open_case(api, case_body("c-x", narrative="对方电话17055556666", victim={}))
    assert [c["cluster_id"] for c in clusters(api, "analyst")] == [seen["cluster_id"]]


def test_relinking_everything_takes_in_the_warnings_stored_before_they_were_members(api: Api) -> None:
    case = open_case(api, case_body("c-1", narrative=f"对方电话{RING}"))
    report(api, "w-1", RING)
    report(api, "w-2", RING, phone=PHONE_B)
    before = clusters(api)
    with api.db.session() as s:  # as a database upgraded from before this revision
        s.execute(delete(WarningIdentifier))
        s.execute(delete(WarningMember))
        s.commit()
    assert clusters(api) == []
    response = api.post("/cases/relink", "analyst", {})
    assert response.status_code == 200, response.text
    assert response.json()["warnings"] == 2
    assert clusters(api) == before
    assert before[0]["cluster_id"] == case["id"]
    # A second relink changes nothing (replays create nothing twice).
    assert api.post("/cases/relink", "analyst", {}).json()["warnings"] == 2
    with api.db.session() as s:
        assert len(s.scalars(select(WarningIdentifier)).all()) == 2
    members_equal_a_batch(api)


def test_clusters_on_the_command_line_list_the_warnings_source_ids(api: Api, monkeypatch: Any) -> None:
    import json

    from typer.testing import CliRunner

    from pingan.cli import money as cli_money
    from pingan.cli.main import app

    report(api, "w-1", RING)
    report(api, "w-2", RING, phone=PHONE_B)
    monkeypatch.setattr(cli_money, "services", lambda: api.services)
    result = CliRunner().invoke(app, ["cases", "clusters", "--json"])
    assert result.exit_code == 0, result.output
    [found] = json.loads(result.stdout)
    assert sorted(s for w in found["warnings"] for s in w["source_ids"]) == ["w-1", "w-2"]
    assert found["links"][0]["value"] == RING
