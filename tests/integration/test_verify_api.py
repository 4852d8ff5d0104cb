"""核查清单 over the real app and database (SQLite and PostgreSQL): a pushed list becomes one task per row at the
station of its person or place, replays create nothing twice, bad rows are named, the stations feed back, and
whoever pushed the list follows its progress (a platform through its key, seeing its own lists only).

The world of `test_api_fraud`: stations A (城东, west) and B (城西, east), 张三丰 registered at A (phone PHONE_A,
ID_NUMBER_A), 李四光 at B (PHONE_B), the centres and one user per role, a fake clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from pingan.cli import app as cli_app
from pingan.command.verify.keys import create_platform_key
from pingan.command.verify.models import VerifyItem, VerifyList
from pingan.core.db import Database
from pingan.core.models import AccessLog, Task, Unit, UnitKind
from tests.integration.test_api_fraud import (
    API,
    ID_NUMBER_A,
    PHONE_B,
    POINT_B,
    Api,
    assert_error,
    make_api,
)


@pytest.fixture
def api(db: Database) -> Iterator[Api]:
    world = make_api(db)
    with world.client:
        yield world


def rows() -> list[dict[str, Any]]:
    return [
        {"id": "r1", "name": "张三丰", "id_number": ID_NUMBER_A, "note": "涉疫密接"},  # registered at A
        {"id": "r2", "name": "李四光", "phone": "+86 " + PHONE_B},  # registered at B, by phone
        {"id": "r3", "kind": "place", "name": "出租房", "lon": POINT_B[0], "lat": POINT_B[1]},  # a point in B
        {"id": "r4", "name": "王五", "address": "外省某地"},  # nowhere: the command centre routes it
        {"id": "r5", "name": "赵六", "id_number": "330225199001011230"},  # a bad check digit
        {"id": "r6", "phone": "13700000000"},  # a person without a name
    ]


def push(api: Api, body: dict[str, Any], who: str = "commander", status: int = 200) -> dict[str, Any]:
    response = api.post("/verify/lists", who, body)
    assert response.status_code == status, response.text
    out: dict[str, Any] = response.json()
    return out


def a_list(list_id: str = "L-1", **over: Any) -> dict[str, Any]:
    return {"id": list_id, "title": "涉疫人员核查", "reason": "市局研判", "due_hours": 12, "rows": rows(), **over}


def tasks_of(api: Api, list_id: int) -> dict[str, Task]:
    with api.db.session() as s:
        pairs = s.execute(
            select(VerifyItem.row_key, Task)
            .join(Task, Task.id == VerifyItem.task_id)
            .where(VerifyItem.list_id == list_id)
        )
        out = {key.removeprefix("id:"): task for key, task in pairs}
        s.expunge_all()
        return out


def test_each_good_row_becomes_a_task_at_its_station_and_each_bad_row_is_named(api: Api) -> None:
    out = push(api, a_list())
    assert (out["received"], out["accepted"], out["duplicates"], out["unplaced"]) == (6, 4, 0, 1)
    assert [(r["line"], r["id"], r["error"]["field"]) for r in out["rejected"]] == [
        (5, "r5", "id_number"),
        (6, "r6", "name"),
    ]
    tasks = tasks_of(api, out["list_id"])
    assert {k: t.unit_id for k, t in tasks.items()} == {
        "r1": api.unit["a"],
        "r2": api.unit["b"],
        "r3": api.unit["b"],
        "r4": None,
    }
    assert all(t.kind == "verification" and t.status == "issued" for t in tasks.values())
    # The list's deadline is on every task; signing comes first.
    due = api.clock.now() + timedelta(hours=12)
    assert all(t.due_step == "sign" and t.due_at is not None and t.due_at <= due for t in tasks.values())
    with api.db.session() as s:
        how = dict(s.execute(select(VerifyItem.row_key, VerifyItem.resolved_by)).all())
    assert {k.removeprefix("id:"): v.value for k, v in how.items()} == {
        "r1": "id_number",
        "r2": "phone",
        "r3": "point",
        "r4": "none",
    }


def test_a_replayed_list_creates_nothing_twice_and_a_longer_one_adds_only_its_new_rows(api: Api) -> None:
    first = push(api, a_list())
    again = push(api, a_list())
    assert (again["list_id"], again["new_list"], again["accepted"], again["duplicates"]) == (
        first["list_id"],
        False,
        0,
        4,
    )
    assert again["tasks_created"] == []
    longer = push(api, a_list(rows=[*rows(), {"id": "r7", "name": "钱七", "id_number": ID_NUMBER_A}]))
    assert (longer["accepted"], longer["duplicates"]) == (1, 4)
    with api.db.session() as s:
        assert s.scalar(select(VerifyList.rows).where(VerifyList.id == first["list_id"])) == 5
    # Rows without an id are their content: the same row twice in one list is one row.
    plain = {"name": "孙八", "id_number": ID_NUMBER_A}
    out = push(api, a_list("L-2", rows=[plain, dict(plain), {**plain, "name": "孙九"}]))
    assert (out["accepted"], out["duplicates"]) == (2, 1)


def test_a_list_with_no_good_row_is_refused_naming_the_first_bad_one_and_stores_nothing(api: Api) -> None:
    response = api.post("/verify/lists", "commander", a_list(rows=rows()[4:]))
    assert_error(response, 422, code="no_valid_row", field="rows[1].id_number")
    assert api.count(VerifyList) == 0
    assert_error(api.post("/verify/lists", "commander", a_list(rows=[])), 422, field="rows")
    assert_error(api.post("/verify/lists", "commander", a_list(due_hours=100000)), 422, field="due_hours")
    assert_error(
        api.post("/verify/lists", "commander", {**a_list(), "due_at": "2020-01-01T00:00:00+08:00"}), 422, field="due_at"
    )
    assert_error(api.post("/verify/lists", "commander", a_list(rows=["not an object"])), 422, code="no_valid_row")


def test_the_stations_check_their_rows_and_the_pusher_sees_the_progress(api: Api) -> None:
    out = push(api, a_list())
    tasks = tasks_of(api, out["list_id"])
    lid = out["list_id"]
    # Station A sees its row only; station B cannot touch it.
    assert_error(api.act(tasks["r1"].id, "officer_b", action="sign"), 404)
    assert api.act(tasks["r1"].id, "officer_a", action="sign").status_code == 200
    assert_error(api.act(tasks["r1"].id, "officer_a", action="feedback", finding="handled"), 422, field="measures")
    done = api.act(tasks["r1"].id, "officer_a", action="feedback", finding="handled", measures="已落实居家健康监测")
    assert done.status_code == 200, done.text
    assert api.act(tasks["r2"].id, "officer_b", action="feedback", finding="cleared").status_code == 200
    progress = api.get(f"/verify/lists/{lid}", "commander").json()
    assert (progress["rows"], progress["done"], progress["open"], progress["overdue"]) == (4, 2, 2, 0)
    stations = {r["unit_id"]: (r["rows"], r["done"]) for r in progress["by_station"]}
    assert stations == {api.unit["a"]: (1, 1), api.unit["b"]: (2, 1), None: (1, 0)}
    findings = {f["finding"]: f["count"] for f in progress["findings"]}
    assert findings == {"cleared": 1, "handled": 1, "not_found": 0}
    items = api.get(f"/verify/lists/{lid}/items", "commander").json()["items"]
    first = next(i for i in items if i["line"] == 1)
    assert (first["finding"], first["measures"], first["name"]) == ("handled", "已落实居家健康监测", "张**")
    assert first["id_number"] != ID_NUMBER_A
    # A station's staff see the list through their own rows only.
    mine = api.get(f"/verify/lists/{lid}", "officer_a").json()
    assert (mine["rows"], mine["done"]) == (1, 1)
    assert [i["line"] for i in api.get(f"/verify/lists/{lid}/items", "officer_a").json()["items"]] == [1]
    assert [r["id"] for r in api.get("/verify/lists", "officer_a").json()["items"]] == [lid]
    assert_error(api.get(f"/verify/lists/{lid}", "partner"), 403)
    assert_error(api.get(f"/verify/lists/{lid}", "governance"), 403)


def test_an_unplaced_row_is_routed_by_the_command_centre_and_late_rows_count_as_overdue(api: Api) -> None:
    out = push(api, a_list(due_hours=2))
    tasks = tasks_of(api, out["list_id"])
    unplaced = tasks["r4"].id
    assert_error(api.act(unplaced, "officer_a", action="route", unit_id=api.unit["a"]), 404)
    assert_error(api.act(unplaced, "commander", action="route", unit_id=api.unit["bank"]), 422, field="unit_id")
    routed = api.act(unplaced, "commander", action="route", unit_id=api.unit["a"])
    assert routed.status_code == 200, routed.text
    assert api.act(unplaced, "officer_a", action="feedback", finding="not_found").status_code == 200
    api.clock.advance(hours=3)
    progress = api.get(f"/verify/lists/{out['list_id']}", "commander").json()
    assert (progress["done"], progress["overdue"], progress["past_due"]) == (1, 3, True)
    with api.db.session() as s:
        assert api.services.tasks.sweep(s) >= 3
        escalated = s.scalar(select(Task).where(Task.id == tasks["r2"].id))
        assert escalated is not None
        assert escalated.escalation == 1
    with api.db.session() as s:
        item = s.scalar(select(VerifyItem).where(VerifyItem.task_id == unplaced))
        assert item is not None
        assert item.unit_id == api.unit["a"]
        assert item.finding is not None


def test_a_platform_pushes_with_its_key_and_follows_only_its_own_lists(api: Api) -> None:
    with api.db.session() as s:
        _row, key = create_platform_key(s, "市级精准劝阻宣防平台", api.clock.now())
        _other, other_key = create_platform_key(s, "省厅平台", api.clock.now())
    head = {"X-Platform-Key": key}
    response = api.client.post(f"{API}/verify/lists", json=a_list("P-1"), headers=head)
    assert response.status_code == 200, response.text
    lid = response.json()["list_id"]
    with api.db.session() as s:
        assert s.scalar(select(VerifyList.source).where(VerifyList.id == lid)) == "市级精准劝阻宣防平台"
    mine = api.client.get(f"{API}/verify/lists", headers=head).json()
    assert [r["id"] for r in mine["items"]] == [lid]
    assert api.client.get(f"{API}/verify/lists/{lid}", headers=head).json()["rows"] == 4
    assert api.client.get(f"{API}/verify/lists", headers={"X-Platform-Key": other_key}).json()["items"] == []
    assert_error(api.client.get(f"{API}/verify/lists/{lid}", headers={"X-Platform-Key": other_key}), 404)
    # The other platform cannot take over the list's id; a bad key is a 401; a bank's liaison may not push.
    taken = api.client.post(f"{API}/verify/lists", json=a_list("P-1"), headers={"X-Platform-Key": other_key})
    assert taken.status_code == 200
    assert taken.json()["list_id"] != lid
    assert_error(api.client.post(f"{API}/verify/lists", json=a_list(), headers={"X-Platform-Key": "verify_nope"}), 401)
    assert_error(api.post("/verify/lists", "partner", a_list()), 403)
    assert_error(api.post("/verify/lists", "officer_a", a_list()), 403)
    # Unmasked rows are for the police roles, and each row shown is recorded.
    assert_error(api.client.get(f"{API}/verify/lists/{lid}/items", params={"reveal": "true"}, headers=head), 403)
    shown = api.get(f"/verify/lists/{lid}/items", "commander", reveal="true").json()["items"]
    assert shown[0]["id_number"] == ID_NUMBER_A
    with api.db.session() as s:
        assert len(s.scalars(select(AccessLog).where(AccessLog.subject_type == "verify_item")).all()) == 4


def test_a_csv_upload_is_checked_by_its_header_and_names_bad_rows_by_line(api: Api) -> None:
    csv = (
        "id,kind,name,id_number,phone,address,lon,lat,crs,note\n"
        f"c1,person,张三丰,{ID_NUMBER_A},,,,,,\n"
        "c2,场所,,,,,121.15,,,\n"
        f"c3,place,网吧,,,,{POINT_B[0]},{POINT_B[1]},wgs84,\n"
    )
    files = {"file": ("list.csv", csv.encode(), "text/csv")}
    response = api.client.post(
        f"{API}/verify/lists/upload", data={"title": "场所核查"}, files=files, headers=api.auth("analyst")
    )
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["accepted"] == 2
    assert [(r["line"], r["error"]["field"]) for r in out["rejected"]] == [(3, "lat")]
    again = api.client.post(
        f"{API}/verify/lists/upload", data={"title": "场所核查"}, files=files, headers=api.auth("analyst")
    )
    assert (again.json()["list_id"], again.json()["accepted"], again.json()["duplicates"]) == (out["list_id"], 0, 2)
    bad = {"file": ("list.csv", b"id,nmae\nx,y\n", "text/csv")}
    refused = api.client.post(f"{API}/verify/lists/upload", data={"title": "x"}, files=bad, headers=api.auth("analyst"))
    assert_error(refused, 422, field="nmae")


def test_the_command_line_pushes_a_file_and_lists_the_progress(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(f"id,name,id_number\nx1,张三丰,{ID_NUMBER_A}\nx2,,\n", encoding="utf-8")
    env = {"PINGAN_DATABASE_URL": api.db.url, "PINGAN_SECRET_KEY": "k" * 40}
    runner = CliRunner()
    result = runner.invoke(
        cli_app, ["verify", "push", str(path), "--title", "命令行清单", "--as", "commander"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "1 rows accepted" in result.output
    assert "line 3 name" in result.output
    again = runner.invoke(cli_app, ["verify", "push", str(path), "--title", "命令行清单", "--as", "commander"], env=env)
    assert "0 rows accepted, 1 duplicates" in again.output
    listed = runner.invoke(cli_app, ["verify", "lists", "--json"], env=env)
    assert listed.exit_code == 0
    assert "命令行清单" in listed.output
    with api.db.session() as s:
        station = s.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.id == api.unit["a"]))
        assert s.scalar(select(Task.unit_id).where(Task.kind == "verification")) == station
