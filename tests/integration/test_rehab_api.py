"""社区戒毒/社区康复 over the real app and database (SQLite and PostgreSQL): plans and their schedule, a missed
check-in that becomes the community officer's task, the 在管率, and the restriction to the 禁毒 duty on every
path (list, detail, task, search, export, figures), each read recorded in the access log.

The world of `test_api_fraud` (stations A and B, 张三丰 registered at A), with the duty given to a second
commander (`jd`) and to station A's officer; the plain commander, the admin and station A's head lack it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pingan.cli import app as cli_app
from pingan.command.rehab.models import RehabCheck, RehabPlan
from pingan.command.rehab.schedule import due_dates, is_missed, schedule
from pingan.core.db import Database
from pingan.core.identity import create_user, set_duties
from pingan.core.models import AccessLog, Duty, Person, Role, Task, User
from tests.integration.test_api_fraud import API, ID_NUMBER_A, T0, Api, assert_error, make_api, password_hash

TODAY = date(2026, 11, 23)  # T0 in Shanghai
NARCOTICS = [Duty.NARCOTICS.value]


@pytest.fixture
def api(db: Database) -> Iterator[Api]:
    world = make_api(db)
    with world.db.session() as s:
        commander = s.scalar(select(User).where(User.username == "commander"))
        assert commander is not None
        jd = create_user(s, "jd", None, role=Role.COMMANDER, display_name="禁毒大队", unit_id=commander.unit_id, now=T0)
        jd.password_hash = password_hash()
        set_duties(s, jd, NARCOTICS, T0)
        officer = s.scalar(select(User).where(User.username == "officer_a"))
        assert officer is not None
        set_duties(s, officer, NARCOTICS, T0)
        officer_b = s.scalar(select(User).where(User.username == "officer_b"))
        assert officer_b is not None
        set_duties(s, officer_b, NARCOTICS, T0)
        person = s.get(Person, world.person["a"])
        assert person is not None
        person.tags = ["rehab"]
    with world.client:
        yield world


def plan(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "XS-2026-001",
        "kind": "社区戒毒",
        "name": "张三丰",
        "id_number": ID_NUMBER_A,
        "starts_on": (TODAY - timedelta(days=20)).isoformat(),
        "ends_on": (TODAY + timedelta(days=3 * 365)).isoformat(),
        "checkin_days": 7,
        "test_days": 30,
        "officer": "officer_a",
    }
    body.update(over)
    return body


def missed_one(api: Api) -> tuple[int, int]:
    """A plan of 20 days with check-ins on days 0, 7, 14 and a test on day 0: all recorded but day 7's. (plan, task)"""
    made = api.post("/rehab/plans", "jd", plan())
    assert made.status_code == 201, made.text
    plan_id = made.json()["id"]
    for on in (TODAY - timedelta(days=20), TODAY - timedelta(days=6)):
        ok = api.post(f"/rehab/plans/{plan_id}/checks", "officer_a", {"kind": "checkin", "on": on.isoformat()})
        assert ok.status_code == 201, ok.text
    tested = api.post(
        f"/rehab/plans/{plan_id}/checks",
        "officer_a",
        {"kind": "test", "result": "negative", "on": (TODAY - timedelta(days=20)).isoformat()},
    )
    assert tested.status_code == 201, tested.text
    with api.db.session() as s:
        assert api.services.rehab.sweep(s) == 1
        assert api.services.rehab.sweep(s) == 0  # swept once
        task = s.scalar(select(Task).where(Task.kind == "rehab_checkin"))
        assert task is not None
        return plan_id, task.id


def test_the_schedule_counts_from_the_start_and_a_check_is_missed_after_its_grace() -> None:
    start = date(2026, 1, 1)
    assert list(due_dates(start, date(2026, 1, 20), 7, date(2026, 12, 31))) == [
        start,
        date(2026, 1, 8),
        date(2026, 1, 15),
    ]
    assert list(due_dates(start, date(2026, 12, 31), 7, date(2026, 1, 7))) == [start]
    kinds = [k.value for k, _ in schedule(start, date(2026, 2, 5), 7, 30, date(2026, 2, 5))]
    assert kinds.count("test") == 2
    assert kinds.count("checkin") == 6
    assert not is_missed(date(2026, 1, 8), date(2026, 1, 9), 1)
    assert is_missed(date(2026, 1, 8), date(2026, 1, 10), 1)


def test_a_missed_check_in_becomes_the_community_officers_task_and_the_rate_counts_the_lost(api: Api) -> None:
    plan_id, task_id = missed_one(api)
    with api.db.session() as s:
        task = s.get(Task, task_id)
        assert task is not None
        assert task.unit_id == api.unit["a"]
        assert task.assignee_id == api.user_id("officer_a")
        assert "张" not in task.title  # the station's notification carries no name
        missed = s.scalars(select(RehabCheck).where(RehabCheck.missed_at.is_not(None))).all()
        assert [(c.kind.value, c.due_on) for c in missed] == [("checkin", TODAY - timedelta(days=13))]
    figures = api.get("/rehab/figures", "jd").json()
    assert (figures["in_force"], figures["under_management"], figures["rate"]) == (1, 1, 1.0)
    assert figures["checks_missed"] == 1
    assert_error(api.act(task_id, "officer_a", action="resolve", outcome="lost"), 422, field="note")
    lost = api.act(task_id, "officer_a", action="resolve", outcome="lost", note="多次上门未见，已通报禁毒大队")
    assert lost.status_code == 200, lost.text
    figures = api.get("/rehab/figures", "jd").json()
    assert (figures["in_force"], figures["lost"], figures["under_management"], figures["rate"]) == (1, 1, 0, 0.0)
    assert api.get("/rehab/plans", "jd", lost="true").json()["total"] == 1
    # Found again: a check recorded clears the plan's lost state.
    again = api.post(f"/rehab/plans/{plan_id}/checks", "officer_a", {"kind": "checkin"})
    assert again.status_code == 201, again.text
    assert api.get("/rehab/figures", "jd").json()["rate"] == 1.0


def test_resolving_the_task_as_checked_in_records_the_missed_check(api: Api) -> None:
    _plan_id, task_id = missed_one(api)
    done = api.act(task_id, "officer_a", action="resolve", outcome="checked_in", note="已补报到")
    assert done.status_code == 200, done.text
    with api.db.session() as s:
        check = s.scalar(select(RehabCheck).where(RehabCheck.task_id == task_id))
        assert check is not None
        assert check.done_at is not None


def test_without_the_narcotics_duty_nothing_of_it_is_seen_on_any_path(api: Api) -> None:
    plan_id, task_id = missed_one(api)
    for who in ("commander", "admin", "analyst", "head_a", "partner", "resident"):
        assert_error(api.get("/rehab/plans", who), 403)
        assert_error(api.get(f"/rehab/plans/{plan_id}", who), 403)
        assert_error(api.get("/rehab/figures", who), 403)
        assert_error(api.get("/exports/rehab-plans", who, format="csv"), 403)
        assert_error(api.post(f"/rehab/plans/{plan_id}/checks", who, {"kind": "checkin"}), 403)
        assert_error(api.post("/rehab/plans", who, plan(id="other")), 403)
    for who in ("commander", "admin", "analyst", "head_a"):
        assert_error(api.get(f"/tasks/{task_id}", who), 404)
        assert_error(api.act(task_id, who, action="note", note="看看"), 404)
        listed = api.get("/tasks", who, kind="rehab_checkin").json()
        assert listed["items"] == []
        everything = api.get("/tasks", who, limit=500).json()["items"]
        assert task_id not in [t["id"] for t in everything]
        hits = api.get("/search", who, q=f"#{task_id}").json()
        assert task_id not in [h["id"] for h in hits["items"] if h["type"] == "task"]
        exported = api.get("/exports/tasks", who, format="csv")
        assert exported.status_code == 200
        assert "未按期" not in exported.content.decode("utf-8-sig")
        person = api.get(f"/people/{api.person['a']}", who)
        assert person.status_code == 200
        assert "rehab" not in person.json()["tags"]
    # With the duty: the task, the person's tag, the list, the export.
    assert api.get(f"/tasks/{task_id}", "jd").status_code == 200
    assert "rehab" in api.get(f"/people/{api.person['a']}", "jd").json()["tags"]
    assert [t["id"] for t in api.get("/tasks", "officer_a", kind="rehab_checkin").json()["items"]] == [task_id]
    hits = api.get("/search", "jd", q=f"#{task_id}").json()
    assert task_id in [h["id"] for h in hits["items"] if h["type"] == "task"]
    csv = api.get("/exports/rehab-plans", "jd", format="csv")
    assert csv.status_code == 200
    assert "张**" in csv.content.decode("utf-8-sig")
    # Station B's officer holds the duty but not the jurisdiction.
    assert api.get("/rehab/plans", "officer_b").json()["items"] == []
    assert_error(api.get(f"/rehab/plans/{plan_id}", "officer_b"), 404)
    assert_error(api.get(f"/tasks/{task_id}", "officer_b"), 404)


def test_every_read_of_a_plan_is_recorded_and_unmasking_says_so(api: Api) -> None:
    plan_id, _task_id = missed_one(api)

    def reads() -> list[tuple[str, str]]:
        with api.db.session() as s:
            return [
                (r.fields, r.purpose)
                for r in s.scalars(
                    select(AccessLog).where(AccessLog.subject_type == "rehab_plan").order_by(AccessLog.id)
                )
            ]

    before = len(reads())
    listed = api.get("/rehab/plans", "jd").json()["items"]
    assert listed[0]["name"] == "张**"
    assert listed[0]["id_number"] != ID_NUMBER_A
    detail = api.get(f"/rehab/plans/{plan_id}", "jd", reveal="true").json()
    assert detail["id_number"] == ID_NUMBER_A
    assert [c["missed"] for c in detail["checks"] if c["kind"] == "checkin"].count(True) == 1
    after = reads()[before:]
    assert [f for f, _ in after] == ["plan", "name,id_number,phone,address,plan"]


def test_plans_are_imported_from_csv_with_bad_rows_named_and_replays_harmless(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "plans.csv"
    path.write_text(
        "id,kind,name,id_number,phone,address,starts_on,ends_on,checkin_days,test_days,officer\n"
        f"P1,社区康复,张三丰,{ID_NUMBER_A},,,2026-11-01,2029-10-31,,,officer_a\n"
        "P2,社区戒毒,李四,330225199001011230,,,2026-11-01,2029-10-31,,,\n"
        f"P3,社区戒毒,王五,{ID_NUMBER_A},,,2026-11-01,2026-10-01,,,\n"
        f"P4,戒毒所,王五,{ID_NUMBER_A},,,2026-11-01,2027-10-01,,,\n"
        f"P5,社区戒毒,王五,{ID_NUMBER_A},,,2026-11-01,2027-10-01,,,officer_b\n",
        encoding="utf-8",
    )
    env = {"PINGAN_DATABASE_URL": api.db.url, "PINGAN_SECRET_KEY": "k" * 40}
    runner = CliRunner()
    result = runner.invoke(cli_app, ["rehab", "import", str(path)], env=env)
    assert result.exit_code == 0, result.output
    for where in ("line 3 id_number", "line 4 ends_on", "line 5 kind", "line 6 officer"):
        assert where in result.output
    assert "1 created" in result.output
    again = runner.invoke(cli_app, ["rehab", "import", str(path)], env=env)
    assert "0 created, 1 already known" in again.output
    with api.db.session() as s:
        assert s.scalar(select(func.count()).select_from(RehabPlan)) == 1
        stored = s.scalar(select(RehabPlan))
        assert stored is not None
        assert (stored.unit_id, stored.checkin_days) == (api.unit["a"], 7)
    files = {"file": ("p.csv", b"id,name\nx,y\n", "text/csv")}
    refused = api.client.post(f"{API}/rehab/plans/import", files=files, headers=api.auth("jd"))
    assert_error(refused, 422)


def test_bad_checks_are_refused_naming_their_field(api: Api) -> None:
    plan_id = api.post("/rehab/plans", "jd", plan()).json()["id"]
    assert_error(api.post(f"/rehab/plans/{plan_id}/checks", "officer_a", {"kind": "test"}), 422, field="result")
    future = (TODAY + timedelta(days=1)).isoformat()
    assert_error(
        api.post(f"/rehab/plans/{plan_id}/checks", "officer_a", {"kind": "checkin", "on": future}), 422, field="on"
    )
    assert_error(api.post(f"/rehab/plans/{plan_id}/checks", "officer_a", {"kind": "nap"}), 422, field="kind")
    assert_error(api.post("/rehab/plans", "jd", plan(id="x2", officer="nobody")), 422, field="officer")
    same = api.post("/rehab/plans", "jd", plan())
    assert same.status_code == 201
    assert same.json()["created"] is False
    ended = api.client.post(f"{API}/rehab/plans/{plan_id}/end", params={"reason": "期满解除"}, headers=api.auth("jd"))
    assert ended.status_code == 200, ended.text
    assert_error(api.post(f"/rehab/plans/{plan_id}/checks", "officer_a", {"kind": "checkin"}), 409)


def test_the_search_box_finds_a_plan_only_for_the_duty_and_records_the_read(api: Api) -> None:
    """By name or ID number, masked, in the holder's jurisdiction, each read in the access log; without the duty
    the plans are absent from the answer, not even counted; station B's holder does not find station A's."""
    made = api.post("/rehab/plans", "jd", plan())
    assert made.status_code == 201, made.text
    plan_id = made.json()["id"]
    for who, q in (("jd", "张三丰"), ("officer_a", ID_NUMBER_A)):
        found = api.get("/search", who, q=q)
        assert found.status_code == 200, found.text
        hits = [h for h in found.json()["items"] if h["type"] == "rehab"]
        assert [h["id"] for h in hits] == [plan_id]
        assert "张三丰" not in hits[0]["title"]
        assert ID_NUMBER_A not in (hits[0]["detail"] or "")
        assert found.json()["counts"]["rehab"] == 1
    with api.db.session() as s:
        reads = s.scalars(
            select(AccessLog).where(AccessLog.subject_type == "rehab_plan", AccessLog.purpose.like("工作台检索%"))
        ).all()
        assert sorted(r.user_id for r in reads) == sorted([api.user_id("jd"), api.user_id("officer_a")])
    assert api.get("/search", "officer_b", q="张三丰").json()["counts"]["rehab"] == 0
    for who in ("commander", "admin", "analyst", "head_a"):
        answer = api.get("/search", who, q="张三丰").json()
        assert "rehab" not in answer["counts"], who
        assert all(h["type"] != "rehab" for h in answer["items"]), who
    with api.db.session() as s:
        before = len(s.scalars(select(AccessLog).where(AccessLog.subject_type == "rehab_plan")).all())
    api.get("/search", "commander", q=ID_NUMBER_A)
    with api.db.session() as s:
        assert len(s.scalars(select(AccessLog).where(AccessLog.subject_type == "rehab_plan")).all()) == before
