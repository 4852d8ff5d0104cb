"""The back office's API: one search box, dispatch load, staff accounts, indicator files and exports, over
SQLite and PostgreSQL, with the two-station world of `test_api_fraud` (A west of B, one user per role)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pingan.api.routes import exports as export_routes
from pingan.core.db import Database
from pingan.core.models import AccessLog, AuthEvent, AuthEventKind, Task
from tests.integration.test_api_fraud import (
    API,
    ID_NUMBER_A,
    NAME_A,
    PHONE_A,
    PHONE_B,
    Api,
    assert_error,
    event,
    make_api,
)


@pytest.fixture
def api(db: Database) -> Iterator[Api]:
    app = make_api(db)
    with app.client:
        yield app


@pytest.fixture
def two_warnings(api: Api) -> dict[str, tuple[int, int]]:
    return {"a": api.report(PHONE_A, "rep-a"), "b": api.report(PHONE_B, "rep-b")}


def search(api: Api, who: str, q: str) -> dict[str, Any]:
    response = api.get("/search", who, q=q)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def hits(body: dict[str, Any], kind: str) -> set[int]:
    return {h["id"] for h in body["items"] if h["type"] == kind}


# --- search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13800000001",
        "+86 138-0000-0001",
        "138 0000 0001",
        "１３８００００００01",
        "0086 13800000001",
        "(138) 0000-0001",
    ],
)
def test_a_phone_in_any_format_finds_the_warning_the_task_and_the_person(
    api: Api, two_warnings: dict[str, tuple[int, int]], typed: str
) -> None:
    warning_a, task_a = two_warnings["a"]
    body = search(api, "analyst", typed)
    assert hits(body, "warning") == {warning_a}
    assert hits(body, "task") == {task_a}
    assert hits(body, "person") == {api.person["a"]}
    assert {"kind": "phone", "value": "138****0001"} in body["readings"]


def test_search_results_are_masked(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    body = search(api, "analyst", PHONE_A)
    text = str(body["items"]) + str(body["readings"])
    assert PHONE_A not in text
    assert NAME_A not in text
    assert ID_NUMBER_A not in text
    person = next(h for h in body["items"] if h["type"] == "person")
    assert person["title"] == "张**"


def test_an_id_number_and_a_name_find_the_person_and_their_warning(
    api: Api, two_warnings: dict[str, tuple[int, int]]
) -> None:
    warning_a, _task = two_warnings["a"]
    for q in (ID_NUMBER_A, NAME_A, ID_NUMBER_A.lower()):
        body = search(api, "analyst", q)
        assert hits(body, "person") == {api.person["a"]}, q
        assert warning_a in hits(body, "warning"), q


def test_a_number_finds_the_warning_and_the_task_of_that_number(
    api: Api, two_warnings: dict[str, tuple[int, int]]
) -> None:
    warning_a, task_a = two_warnings["a"]
    assert warning_a in hits(search(api, "analyst", f"#{warning_a}"), "warning")
    assert task_a in hits(search(api, "analyst", f"任务{task_a}"), "task")


def test_words_of_a_task_s_title_find_it_within_scope_only(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    _wa, task_a = two_warnings["a"]
    _wb, task_b = two_warnings["b"]
    with api.db.session() as s:
        for task_id, title in ((task_a, "回访独居老人（甲站）核实转账"), (task_b, "回访独居老人（乙站）核实转账")):
            task = s.get(Task, task_id)
            assert task is not None
            task.title = title
    assert hits(search(api, "analyst", "独居老人"), "task") == {task_a, task_b}
    assert hits(search(api, "analyst", "乙站"), "task") == {task_b}
    assert hits(search(api, "officer_a", "独居老人"), "task") == {task_a}
    assert hits(search(api, "officer_a", "乙站"), "task") == set()
    # LIKE's wildcards are text here, not patterns.
    assert hits(search(api, "analyst", "老人%转账"), "task") == set()
    assert hits(search(api, "analyst", "回访_居"), "task") == set()


def test_another_station_s_records_never_appear_in_search(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    warning_b, task_b = two_warnings["b"]
    for q in (PHONE_B, "李四光", str(warning_b), str(task_b)):
        body = search(api, "officer_a", q)
        assert hits(body, "warning") & {warning_b} == set(), q
        assert hits(body, "task") & {task_b} == set(), q
        assert hits(body, "person") & {api.person["b"]} == set(), q
    own = search(api, "officer_a", PHONE_A)
    assert hits(own, "warning") == {two_warnings["a"][0]}


def test_an_indicator_is_found_by_any_form_of_its_value(api: Api) -> None:
    created = api.post("/fraud/indicators", "analyst", {"kind": "domain", "value": "fraud-pay.example.cn"})
    assert created.status_code == 201, created.text
    body = search(api, "analyst", "HTTPS://Fraud-Pay.example.cn/login?x=1")
    assert hits(body, "indicator") == {created.json()["id"]}
    # Station staff do not read the lists.
    assert hits(search(api, "officer_a", "fraud-pay.example.cn"), "indicator") == set()


@pytest.mark.parametrize(("q", "field"), [("", "query.q"), ("   ", "q"), ("x" * 101, "query.q")])
def test_bad_search_text_is_a_422_naming_q(api: Api, q: str, field: str) -> None:
    assert_error(api.get("/search", "analyst", q=q), 422, field=field)


def test_a_missing_q_is_a_422_naming_it(api: Api) -> None:
    assert_error(api.get("/search", "analyst"), 422, field="query.q")


def test_residents_may_not_search(api: Api) -> None:
    assert_error(api.get("/search", "resident", q=PHONE_A), 403)


def test_revealing_a_person_found_is_recorded(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    person = api.person["a"]
    masked = api.get(f"/people/{person}", "officer_a")
    assert masked.status_code == 200
    assert masked.json()["masked"] is True
    assert api.count(AccessLog) == 0
    shown = api.get(f"/people/{person}", "officer_a", reveal="true", purpose="检索核查")
    assert shown.json()["name"] == NAME_A
    assert shown.json()["phones"] == [PHONE_A]
    with api.db.session() as s:
        logged = s.scalars(select(AccessLog)).all()
        assert [(a.subject_type, a.subject_id, a.user_id) for a in logged] == [
            ("person", person, api.user_id("officer_a"))
        ]
    assert_error(api.get(f"/people/{api.person['b']}", "officer_a", reveal="true"), 404, field="person_id")


# --- dispatch ---------------------------------------------------------------------------------------


def test_load_counts_open_and_unassigned_work_per_officer(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    _warning, task_a = two_warnings["a"]
    load = api.get("/dispatch/load", "head_a").json()
    [unit] = load["units"]
    assert unit["unit_id"] == api.unit["a"]
    assert (unit["open"], unit["unassigned"]) == (1, 1)
    assigned = api.act(task_a, "head_a", action="assign", assignee_id=api.user_id("officer_a"))
    assert assigned.status_code == 200, assigned.text
    load = api.get("/dispatch/load", "head_a").json()
    [unit] = load["units"]
    officers = {o["username"]: o for o in unit["officers"]}
    assert officers["officer_a"]["open"] == 1
    assert officers["head_a"]["open"] == 0
    assert unit["unassigned"] == 0
    mine = api.get("/tasks", "officer_a", mine="true").json()
    assert [t["id"] for t in mine["items"]] == [task_a]


def test_a_station_head_sees_only_their_station_s_load(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    assert_error(api.get("/dispatch/load", "head_a", unit_id=api.unit["b"]), 403, field="unit_id")
    assert_error(api.get("/dispatch/load", "officer_a"), 403)
    county = api.get("/dispatch/load", "commander").json()
    assert {u["unit_id"] for u in county["units"]} >= {api.unit["a"], api.unit["b"]}
    assert county["total_open"] == 2


def test_a_commander_assigns_across_units_but_only_to_the_holding_unit_s_officers(
    api: Api, two_warnings: dict[str, tuple[int, int]]
) -> None:
    _w, task_b = two_warnings["b"]
    wrong = api.act(task_b, "commander", action="assign", assignee_id=api.user_id("officer_a"))
    assert_error(wrong, 422, field="assignee_id")
    right = api.act(task_b, "commander", action="assign", assignee_id=api.user_id("officer_b"))
    assert right.status_code == 200, right.text
    assert right.json()["assignee"] == "officer_b"


def test_tasks_page_with_a_true_total(api: Api) -> None:
    for i in range(5):
        api.report(f"1380000010{i}", f"page-{i}")
    first = api.get("/tasks", "analyst", limit=2, offset=0).json()
    last = api.get("/tasks", "analyst", limit=2, offset=4).json()
    assert (first["total"], len(first["items"]), len(last["items"])) == (5, 2, 1)
    ids = [t["id"] for t in first["items"]] + [
        t["id"] for t in api.get("/tasks", "analyst", limit=2, offset=2).json()["items"]
    ]
    assert len(set(ids + [t["id"] for t in last["items"]])) == 5
    assert api.get("/tasks", "analyst", unassigned="true").json()["total"] == 5


# --- users ------------------------------------------------------------------------------------------


def test_an_admin_creates_and_lists_staff_accounts(api: Api) -> None:
    created = api.post(
        "/users",
        "admin",
        {
            "username": "new_mj",
            "display_name": "新民警",
            "role": "officer",
            "unit_id": api.unit["a"],
            "password": "Longer-pass-1",
        },
    )
    assert created.status_code == 201, created.text
    assert api.login("new_mj", "Longer-pass-1").status_code == 200
    page = api.get("/users", "admin", q="new_", limit=1).json()
    assert page["total"] == 1
    assert page["items"][0]["unit_name"] == "城东派出所" or page["items"][0]["unit_id"] == api.unit["a"]
    again = api.post(
        "/users", "admin", {"username": "new_mj", "display_name": "x", "role": "officer", "password": "Longer-pass-1"}
    )
    assert_error(again, 409, field="username")
    assert_error(
        api.post(
            "/users", "admin", {"username": "x y", "display_name": "x", "role": "officer", "password": "Longer-pass-1"}
        ),
        422,
        field="username",
    )
    assert_error(
        api.post(
            "/users", "analyst", {"username": "zz", "display_name": "x", "role": "officer", "password": "Longer-pass-1"}
        ),
        403,
    )
    assert_error(api.get("/users", "analyst"), 403)


# --- indicators -------------------------------------------------------------------------------------


def upload(api: Api, who: str, text: str) -> Any:
    return api.client.post(
        f"{API}/fraud/indicators/import",
        headers=api.auth(who),
        files={"file": ("list.csv", text.encode("utf-8"), "text/csv")},
    )


def test_an_indicator_file_keeps_its_good_rows_and_names_the_bad_ones(api: Api) -> None:
    response = upload(
        api, "analyst", "kind,value,note\nphone,+86 170-0000-0009,新号\nphone,abc,坏\nurl,http://bad.example.com/x,\n"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["updated"]) == (2, 0)
    assert body["rejected"] == [{"line": 3, "field": "value", "message": body["rejected"][0]["message"]}]
    listed = api.get("/fraud/indicators", "analyst", kind="phone")
    assert listed.headers["X-Total-Count"] == "1"
    assert listed.json()[0]["value"] == "17000000009"


def test_an_indicator_file_with_an_unknown_column_stores_nothing(api: Api) -> None:
    response = upload(api, "analyst", "kind,value,colour\nphone,17000000009,red\n")
    assert_error(response, 422)
    assert api.get("/fraud/indicators", "analyst").json() == []


def test_an_indicator_counts_its_hits_and_lists_them_masked(api: Api) -> None:
    created = api.post("/fraud/indicators", "analyst", {"kind": "phone", "value": "17000000001"}).json()
    accepted = api.events([event("hit-1"), event("hit-2", subject_phone=PHONE_B)])
    assert accepted.status_code == 200, accepted.text
    [row] = api.get("/fraud/indicators", "analyst").json()
    assert row["hits"] == 2
    detail = api.get(f"/fraud/indicators/{created['id']}/hits", "analyst").json()
    assert detail["total"] == 2
    assert {e["subject_phone"] for e in detail["items"]} == {"138****0001", "139****0001"}


# --- exports ----------------------------------------------------------------------------------------


def read_csv_export(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_xlsx_export(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = [str(c) for c in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_a_station_s_export_holds_its_own_rows_only_masked(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    warning_a, task_a = two_warnings["a"]
    rows = read_csv_export(api.get("/exports/warnings", "officer_a", format="csv"))
    assert [int(r["预警编号"]) for r in rows] == [warning_a]
    assert rows[0]["手机号"] == "138****0001"
    assert PHONE_A not in str(rows)
    tasks = read_xlsx_export(api.get("/exports/tasks", "officer_a", format="xlsx"))
    assert [t["任务编号"] for t in tasks] == [task_a]
    everything = read_csv_export(api.get("/exports/tasks", "analyst", format="csv"))
    assert {int(r["任务编号"]) for r in everything} == {task_a, two_warnings["b"][1]}


def test_an_export_keeps_the_list_s_filters(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    _w, task_b = two_warnings["b"]
    rows = read_csv_export(api.get("/exports/tasks", "analyst", format="csv", unit_id=api.unit["b"]))
    assert [int(r["任务编号"]) for r in rows] == [task_b]
    listed = api.get("/tasks", "analyst", unit_id=api.unit["b"]).json()
    assert listed["total"] == len(rows)


def test_every_export_is_in_the_audit_log(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    read_csv_export(api.get("/exports/tasks", "head_a", format="csv", level="low"))
    read_xlsx_export(api.get("/exports/search", "analyst", format="xlsx", q=PHONE_A))
    with api.db.session() as s:
        events = s.scalars(select(AuthEvent).where(AuthEvent.kind == AuthEventKind.EXPORT).order_by(AuthEvent.id)).all()
        got = [
            (e.username, e.detail["what"], e.detail["format"], e.detail["filters"], e.detail["rows"]) for e in events
        ]
    assert got[0] == ("head_a", "tasks", "csv", {"level": "low"}, 0)
    assert got[1][:3] == ("analyst", "search", "xlsx")
    assert got[1][4] >= 2
    listed = api.get("/audit/events", "admin", kind="export").json()
    assert listed["total"] == 2
    assert [e["kind"] for e in listed["items"]] == ["export", "export"]


def test_an_export_holds_the_whole_list_not_one_page(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read page after page (two rows a page here): every warning and task of seven, whatever `limit` the
    request names, each once, and the audit line counts them all."""
    monkeypatch.setattr(export_routes, "PAGE", 2)
    opened = [api.report(f"1370000{n:04d}", f"whole-{n}") for n in range(7)]
    warnings = read_csv_export(api.get("/exports/warnings", "analyst", format="csv", limit=1))
    assert sorted(int(r["预警编号"]) for r in warnings) == sorted(w for w, _t in opened)
    tasks = read_xlsx_export(api.get("/exports/tasks", "analyst", format="xlsx", limit=1))
    assert sorted(t["任务编号"] for t in tasks) == sorted(t for _w, t in opened)
    listed = api.get("/tasks", "analyst", limit=1).json()
    assert listed["total"] == len(tasks) == 7
    # A station's export pages within its scope too.
    assert read_csv_export(api.get("/exports/warnings", "officer_a", format="csv")) == []
    with api.db.session() as s:
        counted = [e.detail["rows"] for e in s.scalars(select(AuthEvent).where(AuthEvent.kind == AuthEventKind.EXPORT))]
    assert counted == [7, 7, 0]


def test_an_export_past_the_cap_says_it_was_cut(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_routes, "PAGE", 2)
    monkeypatch.setattr(export_routes, "MAX_EXPORT_ROWS", 3)
    for n in range(5):
        api.report(f"1370001{n:04d}", f"cap-{n}")
    response = api.get("/exports/tasks", "analyst", format="csv")
    assert len(read_csv_export(response)) == 3
    assert response.headers["x-export-rows"] == "3"
    assert response.headers["x-export-truncated"] == "1"
    with api.db.session() as s:
        event = s.scalars(select(AuthEvent).where(AuthEvent.kind == AuthEventKind.EXPORT)).one()
    assert (event.detail["rows"], event.detail["truncated"]) == (3, True)


def test_the_queue_summary_counts_every_matching_warning_not_the_rows_loaded(api: Api) -> None:
    """Five warnings, the screen loads two: the summary still says five, each level's count, the unsigned
    and, once the deadlines pass, the overdue; a station counts its own only."""
    opened = [api.report(f"1370002{n:04d}", f"sum-{n}") for n in range(4)]
    opened.append(api.report(PHONE_A, "sum-a"))
    assert len(api.get("/fraud/warnings", "analyst", limit=2).json()) == 2
    body = api.get("/fraud/warnings/summary", "analyst", status="open").json()
    assert body["total"] == 5
    assert sum(body["by_level"].values()) == 5
    assert body["unsigned"] == 5
    assert body["overdue"] == 0
    levels = {w["level"] for w in api.get("/fraud/warnings", "analyst").json()}
    one = sorted(levels)[0]
    chosen = api.get("/fraud/warnings/summary", "analyst", status="open", level=one).json()
    assert chosen["total"] == body["by_level"][one]
    assert chosen["by_level"] == body["by_level"]  # the chips do not collapse to the chosen level
    api.clock.advance(hours=6)
    assert api.get("/fraud/warnings/summary", "analyst", status="open").json()["overdue"] == 5
    assert api.get("/fraud/warnings/summary", "officer_a").json()["total"] == 1
    assert_error(api.get("/fraud/warnings/summary", "analyst", level="extreme"), 422, field="query.level")


def test_export_bad_input_is_a_422_naming_the_field(api: Api) -> None:
    assert_error(api.get("/exports/tasks", "analyst", format="pdf"), 422, field="query.format")
    assert_error(api.get("/exports/tasks", "analyst"), 422, field="query.format")
    assert_error(api.get("/exports/tasks", "analyst", format="csv", level="extreme"), 422, field="query.level")
    assert_error(api.get("/exports/users", "officer_a", format="csv"), 403)


def test_text_that_looks_like_a_formula_is_exported_as_text(api: Api) -> None:
    api.post("/fraud/indicators", "analyst", {"kind": "phone", "value": "17000000002", "note": '=HYPERLINK("x")'})
    rows = read_csv_export(api.get("/exports/indicators", "analyst", format="csv"))
    assert rows[0]["备注"] == '\'=HYPERLINK("x")'


def test_figure_tables_export(api: Api, two_warnings: dict[str, tuple[int, int]]) -> None:
    rows = read_xlsx_export(api.get("/exports/fraud-figures", "commander", format="xlsx"))
    assert {r["派出所"] for r in rows} >= {"城东"} or len(rows) >= 1
    assert sum(int(r["预警数"]) for r in rows) == 2
    own = read_csv_export(api.get("/exports/fraud-figures", "officer_a", format="csv"))
    assert sum(int(r["预警数"]) for r in own) == 1
    load = read_csv_export(api.get("/exports/dispatch-load", "head_a", format="csv"))
    assert {r["账号"] for r in load} >= {"head_a", "officer_a"}
