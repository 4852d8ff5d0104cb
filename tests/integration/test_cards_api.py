"""断卡 over the real app and database (SQLite and PostgreSQL): the feed of openings, the rules that flag them,
the verification task at the right station, masking and reveals, and the command line.

The world of `test_api_fraud`: stations A (west) and B (east), the centres and one user per role, a fake clock.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.cli import app as cli_app
from pingan.core.db import Database
from pingan.core.models import AccessLog, Person, Task
from pingan.core.settings import Settings
from pingan.money.cards.models import CardOpening
from tests.cards_ids import id_number
from tests.integration.test_api_fraud import POINT_A, POINT_B, Api, assert_error, make_api

REGISTERED = id_number("330225", "19900101", "011")  # a resident registered at station A
AWAY_YOUNG = id_number("522301", "20050301", "022")  # 21, from 兴义市
LOCAL_ADULTS = [id_number("330225", f"1980{m:02d}01", "033") for m in range(1, 13)]


def opening(
    oid: str,
    holder: str,
    *,
    at: str = "2026-11-23T10:00:00+08:00",
    outlet: str = "yd-01",
    point: tuple[float, float] = POINT_B,
    **over: Any,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": oid,
        "at": at,
        "operator": "中国移动",
        "kind": "sim",
        "number": f"1390574{int(oid[-4:]) if oid[-4:].isdigit() else 1:04d}",
        "holder": {"name": "王小明", "id_number": holder, "phone": "13805740000"},
        "outlet": {"id": outlet, "name": "丹城营业厅", "lon": point[0], "lat": point[1]},
    }
    item.update(over)
    return item


@pytest.fixture
def api(db: Database) -> Iterator[Api]:
    world = make_api(db)
    with world.db.session() as s:
        s.add(
            Person(
                name="王小明",
                id_number=REGISTERED,
                birth_year=1990,
                station_id=world.area["a"],
                tags=[],
                created_at=world.clock.now(),
            )
        )
    with world.client:
        yield world


def post(api: Api, items: Any, who: str = "partner") -> dict[str, Any]:
    response = api.post("/cards/openings", who, items)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def task_of(api: Api, task_id: int) -> Task:
    with api.db.session() as s:
        task = s.get(Task, task_id)
        assert task is not None
        s.expunge(task)
        return task


def test_a_batch_keeps_the_good_openings_and_names_each_bad_field(api: Api) -> None:
    good = opening("op-0001", LOCAL_ADULTS[0])
    bad_id = opening("op-0002", LOCAL_ADULTS[0][:-1] + ("0" if LOCAL_ADULTS[0][-1] != "0" else "1"))
    bad_number = opening("op-0003", LOCAL_ADULTS[1], kind="bank_card", number="abc")
    both = opening("op-0004", LOCAL_ADULTS[1], bank="农业银行")
    half_point = opening("op-0005", LOCAL_ADULTS[1])
    half_point["outlet"] = {"id": "x", "lon": 121.1}
    body = post(api, {"openings": [good, bad_id, bad_number, both, half_point, 7]})
    assert (body["accepted"], body["duplicates"]) == (1, 0)
    fields = [(r["index"], r["error"]["field"]) for r in body["rejected"]]
    assert fields == [(1, "holder.id_number"), (2, "number"), (3, "operator"), (4, "outlet.lat"), (5, None)]
    assert body["flagged"] == []
    assert body["tasks_created"] == []
    # A replay creates nothing twice.
    again = post(api, [good])
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    assert api.count(CardOpening) == 1


def test_an_all_bad_batch_is_a_422_naming_the_first_field_and_the_body_must_be_json(api: Api) -> None:
    response = api.post("/cards/openings", "partner", [opening("op-0001", "123")])
    assert_error(response, 422, field="openings[0].holder.id_number")
    response = api.client.post(
        "/api/v1/cards/openings", content="x", headers={**api.auth("partner"), "Content-Type": "text/plain"}
    )
    assert_error(response, 415)
    assert_error(api.post("/cards/openings", "partner", []), 422, field="openings")
    assert_error(api.post("/cards/openings", "officer_a", [opening("op-0001", REGISTERED)]), 403)


def test_one_person_many_cards_opens_one_task_at_the_registered_station(api: Api) -> None:
    # The registered station (A) wins over the outlet's (B); the third card within 72 h flags all three.
    body = post(api, [opening("op-0001", REGISTERED, at="2026-11-21T10:00:00+08:00")])
    assert body["flagged"] == []
    post(api, [opening("op-0002", REGISTERED, at="2026-11-22T10:00:00+08:00", outlet="yd-02")])
    third = post(api, [opening("op-0003", REGISTERED, at="2026-11-23T09:00:00+08:00", outlet="yd-03")])
    assert len(third["flagged"]) == 3
    [task_id] = third["tasks_created"]
    task = task_of(api, task_id)
    assert (task.kind, task.unit_id, task.area_id, task.level) == (
        "card_verification",
        api.unit["a"],
        api.area["a"],
        "medium",
    )
    assert (task.facts or {})["openings"] == 3
    assert "王**" in task.title
    assert REGISTERED not in task.title
    # A fourth card joins the same open task.
    fourth = post(api, [opening("op-0004", REGISTERED, at="2026-11-23T11:00:00+08:00", outlet="yd-04")])
    assert fourth["tasks_created"] == []
    assert (task_of(api, task_id).facts or {})["openings"] == 4
    seen_b = api.get("/cards/flagged", "officer_b").json()
    assert seen_b == []
    assert api.get(f"/tasks/{task_id}", "officer_b").status_code == 404


def test_a_batch_at_one_outlet_flags_every_opening_and_routes_by_the_outlet(api: Api) -> None:
    items = [opening(f"op-{i:04d}", LOCAL_ADULTS[i], at=f"2026-11-23T10:{i * 5:02d}:00+08:00") for i in range(10)]
    first = post(api, items[:9])
    assert first["flagged"] == []
    last = post(api, items[9:])
    assert len(last["flagged"]) == 10
    assert len(last["tasks_created"]) == 10  # one per holder
    assert {task_of(api, t).unit_id for t in last["tasks_created"]} == {api.unit["b"]}
    rows = api.get("/cards/flagged", "officer_b").json()
    assert len(rows) == 10
    assert all(r["reasons"][0]["rule"] == "outlet_batch" for r in rows)


def test_a_young_holder_away_from_home_is_flagged_with_age_and_area(api: Api) -> None:
    body = post(api, [opening("op-0001", AWAY_YOUNG, point=POINT_A)])
    [opening_id] = body["flagged"]
    [row] = api.get("/cards/flagged", "officer_a").json()
    assert row["id"] == opening_id
    assert row["reasons"] == [{"rule": "young_away_from_home", "text": "21 岁青年异地开卡（身份证归属地 522301）"}]
    assert row["station_id"] == api.area["a"]
    assert row["task"]["status"] == "issued"


def test_holders_linked_to_cases_are_flagged_through_the_port(db: Database) -> None:
    class Linked:
        def linked(self, session: Session, id_numbers: Collection[str]) -> set[str]:
            return {n for n in id_numbers if n == LOCAL_ADULTS[3]}

    from pingan.bootstrap import bootstrap
    from pingan.core.clock import FakeClock

    world = make_api(db)
    services = bootstrap(Settings(), clock=FakeClock(world.clock.now()), db=db, case_links=Linked())
    result = services.cards.ingest([opening("op-0001", LOCAL_ADULTS[3]), opening("op-0002", LOCAL_ADULTS[4])])
    assert result.accepted == 2
    assert len(result.flagged) == 1
    [task_id] = result.tasks_created
    assert task_of(world, task_id).level == "high"
    services.close()
    world.client.close()


def test_a_holder_whose_earlier_card_is_in_a_fraud_case_is_flagged_when_opening_another(api: Api) -> None:
    # LOCAL_ADULTS[5] opened a SIM; that number then turns up in a victim's statement as the caller's.
    first = post(api, [opening("op-0101", LOCAL_ADULTS[5], number="13905740101")])
    assert first["flagged"] == []
    case = {
        "id": "c-card-1",
        "reported_at": "2026-11-23T12:00:00+08:00",
        "victim": {"name": "李红", "phone": "13700000001", "id_number": LOCAL_ADULTS[0]},
        "loss_yuan": "8830.40",
        "narrative": "对方用139-0574-0101打来电话，自称客服，让我转账。",
    }
    response = api.post("/cases", "analyst", case)
    assert response.status_code in (200, 201), response.text
    # The same holder opens another card: linked to a case, flagged; a stranger's card is not.
    later = post(
        api,
        [
            opening("op-0102", LOCAL_ADULTS[5], at="2026-11-30T10:00:00+08:00", number="13905740102"),
            opening("op-0103", LOCAL_ADULTS[6], at="2026-11-30T10:00:00+08:00", number="13905740103"),
        ],
    )
    with api.db.session() as s:
        flagged = s.scalars(select(CardOpening.source_id).where(CardOpening.id.in_(later["flagged"]))).all()
        reasons = s.scalar(select(CardOpening.reasons).where(CardOpening.source_id == "op-0102"))
    assert flagged == ["op-0102"], later
    assert "case" in json.dumps(reasons, ensure_ascii=False), reasons


def test_the_station_verifies_and_cancels_and_the_figures_count_it(api: Api) -> None:
    body = post(api, [opening("op-0001", AWAY_YOUNG, point=POINT_A)])
    [task_id] = body["tasks_created"]
    assert api.act(task_id, "officer_b", action="sign").status_code == 404
    assert api.act(task_id, "officer_a", action="sign").status_code == 200
    response = api.act(task_id, "officer_a", action="verify", outcome="lost")
    assert_error(response, 422, field="outcome")
    response = api.act(task_id, "officer_a", action="verify", outcome="cancelled", note="本人承认出租电话卡，已注销")
    assert response.status_code == 200, response.text
    [row] = api.get("/cards/flagged", "analyst").json()
    assert row["verification"] == "cancelled"
    assert row["task"]["status_name"] == "已注销"
    assert api.get("/cards/flagged", "analyst", open="true").json() == []
    figures = api.get("/cards/figures", "commander").json()
    assert figures == {"openings": 1, "flagged": 1, "cancelled": 1, "cleared": 0, "suspect": 0}
    kinds = {k["kind"]: k for k in api.get("/tasks/kinds", "analyst").json()}
    assert kinds["card_verification"]["actions"]["verify"]["name"] == "核查结果"


def test_holders_are_masked_unless_revealed_and_every_reveal_is_recorded(api: Api) -> None:
    post(api, [opening("op-0001", AWAY_YOUNG, point=POINT_A)])
    [masked] = api.get("/cards/flagged", "officer_a").json()
    assert masked["holder"]["name"] == "王**"
    assert masked["holder"]["id_number"] == "522301********" + AWAY_YOUNG[-4:]
    assert masked["holder"]["phone"] == "138****0000"
    assert "*" in masked["number"]
    assert api.count(AccessLog) == 0
    [shown] = api.get("/cards/flagged", "officer_a", reveal="true").json()
    assert shown["holder"]["id_number"] == AWAY_YOUNG
    with api.db.session() as s:
        [log] = s.scalars(select(AccessLog)).all()
        assert (log.subject_type, log.subject_id, log.user_id) == (
            "card_opening",
            shown["id"],
            api.user_id("officer_a"),
        )
    assert_error(api.get("/cards/flagged", "partner"), 403)
    assert_error(api.get("/cards/flagged", "governance", reveal="true"), 403)


def test_the_command_line_ingests_a_file_and_lists_the_flagged(api: Api, tmp_path: Path) -> None:
    lines = [
        json.dumps(opening("op-0001", AWAY_YOUNG, point=POINT_A), ensure_ascii=False),
        "not json",
        json.dumps(opening("op-0002", "42")),
    ]
    path = tmp_path / "openings.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        cli_app, ["--database-url", api.db.url, "cards", "ingest", str(path)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "1 accepted, 0 duplicates, 2 rejected; 1 flagged, 1 tasks opened" in result.output
    assert "line 2" in result.output
    assert "line 3 holder.id_number" in result.output
    listed = runner.invoke(cli_app, ["--database-url", api.db.url, "cards", "flagged", "--json"])
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert row["holder"]["masked"] is True
    assert row["reasons"][0]["rule"] == "young_away_from_home"


def test_two_concurrent_feeds_of_the_same_opening_store_it_once(api: Api) -> None:
    """Two ingests of one opening id at once (two feeds, or a retry racing the first send) both succeed: one
    stores it, the other counts it a duplicate. On PostgreSQL both transactions would otherwise find it new
    and the second fail on the unique key (an IntegrityError, a 500). Two threads, each with services and a
    connection pool of its own as two server processes have (one process's threads share a writer lock),
    many rounds."""
    import threading

    from pingan.bootstrap import bootstrap
    from pingan.core.db import Database

    second = Database(api.db.url)
    other = bootstrap(api.services.settings, clock=api.clock, db=second)
    feeds = [api.services.cards, other.cards]
    rounds = 12 if api.db.engine.dialect.name == "postgresql" else 4
    for n in range(rounds):
        item = opening(f"race-{n:04d}", LOCAL_ADULTS[n % len(LOCAL_ADULTS)], outlet=f"race-outlet-{n}")
        barrier = threading.Barrier(2)
        results: list[Any] = []
        errors: list[BaseException] = []

        def feed(
            cards: Any,
            item: dict[str, Any] = item,
            barrier: threading.Barrier = barrier,
            results: list[Any] = results,
            errors: list[BaseException] = errors,
        ) -> None:
            barrier.wait()
            try:
                results.append(cards.ingest([item]))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=feed, args=(cards,)) for cards in feeds]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert not errors, errors
        assert sorted((r.accepted, r.duplicates) for r in results) == [(0, 1), (1, 0)]
        with api.db.session() as s:
            stored = s.scalars(select(CardOpening).where(CardOpening.source_id == item["id"])).all()
            assert len(stored) == 1
    other.close()
    # The HTTP edge gives the same: a replay racing its first send is a 200 with a duplicate, never a 500.
    item = opening("race-http-0001", LOCAL_ADULTS[0], outlet="race-http")
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: api.post("/cards/openings", "partner", [item]), range(2)))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert sorted(a.json()["accepted"] for a in answers) == [0, 1]
