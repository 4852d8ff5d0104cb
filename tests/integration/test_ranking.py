"""Rankings (打榜) from the database: the built-in indicators, weights, ties, the change since the month
before, districts, published snapshots that do not move; the API, its roles and errors; the CLI.

Four stations A–D. In October only D dissuades anyone; in November A does best on every indicator, B and C
have exactly the same figures (a tie), D has nothing to count. The expected scores are worked out from the
table of inputs below with the rules the county file sets (min-max, equal weights, missing = mean).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import select
from typer.testing import CliRunner

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap, load_rules
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea
from pingan.core.identity import create_user
from pingan.core.models import Area, Role, Task, Unit, UnitKind
from pingan.core.settings import Settings
from pingan.core.setup import ensure_centre_units
from pingan.fraud.models import FraudWarning, Level, Outcome, WarningStatus

PASSWORD = "Xiangshan-2026-ranking"
API = "/api/v1/command"
STATIONS = "abcd"
NOW = datetime(2026, 11, 28, 4, tzinfo=UTC)

RULES = """
[ranking]
district_board = "stations"
districts = [
  { name = "东部片区", units = ["station-a", "station-b"] },
  { name = "西部片区", units = ["station-c", "station-d"] },
]

[ranking.boards.stations]
label = "派出所"
unit_kinds = ["station"]
normalisation = "minmax"
missing = "mean"
indicators = [
  { name = "dissuaded", weight = 10 },
  { name = "tasks_on_time", weight = 10 },
  { name = "dangers_rectified", weight = 10 },
  { name = "disputes_resolved", weight = 30 },
]
"""


@dataclass(frozen=True)
class Work:
    station: str
    month: int
    dissuaded: int = 0
    """Warnings dissuaded, each task closed on time."""
    dangers_on_time: int = 0
    """`hidden_danger` tasks accepted (rectified), closed on time."""
    dangers_late: int = 0
    """`hidden_danger` tasks accepted after a missed deadline."""


TABLE = [
    Work("d", 10, dissuaded=2),
    Work("a", 11, dissuaded=3, dangers_on_time=1),
    Work("b", 11, dissuaded=1, dangers_late=1),
    Work("c", 11, dissuaded=1, dangers_late=1),
]


def expected_scores(month: int) -> dict[str, float]:
    """Min-max points per indicator, a missing value filled with the others' mean, equal weights of the
    indicators anybody has (disputes: no such task at all, left out)."""
    rows = {s: next((w for w in TABLE if w.station == s and w.month == month), Work(s, month)) for s in STATIONS}
    columns: list[dict[str, float | None]] = [
        {s: float(w.dissuaded) for s, w in rows.items()},
        {
            s: ((w.dissuaded + w.dangers_on_time) / (w.dissuaded + w.dangers_on_time + w.dangers_late))
            if (w.dissuaded + w.dangers_on_time + w.dangers_late)
            else None
            for s, w in rows.items()
        },
        {s: float(w.dangers_on_time + w.dangers_late) for s, w in rows.items()},
    ]
    if not any(w.dangers_on_time + w.dangers_late for w in rows.values()):
        columns.pop()  # nobody closed a hidden danger that month: the indicator is left out
    points: list[dict[str, float]] = []
    for col in columns:
        present = {s: v for s, v in col.items() if v is not None}
        lo, hi = min(present.values()), max(present.values())
        p = {s: 100.0 if hi == lo else 100 * (v - lo) / (hi - lo) for s, v in present.items()}
        mean = sum(p.values()) / len(p)
        points.append({s: p.get(s, mean) for s in STATIONS})
    return {s: round(sum(p[s] for p in points) / len(points), 2) for s in STATIONS}


def competition(scores: dict[str, float]) -> dict[str, int]:
    return {s: 1 + sum(other > v for other in scores.values()) for s, v in scores.items()}


@cache
def password_hash() -> str:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@dataclass
class World:
    services: Services
    clock: FakeClock
    client: TestClient
    unit: dict[str, int]
    area: dict[str, int]
    db: Database

    def headers(self, username: str) -> dict[str, str]:
        token = self.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}


def _task(kind: str, station: int, area: int, at: datetime, *, outcome: str, late: bool, ref: int) -> Task:
    return Task(
        kind=kind,
        status="closed",
        title=f"{kind} {ref}",
        ref_type=kind,
        ref_id=ref,
        area_id=area,
        unit_id=station,
        created_at=at,
        updated_at=at,
        breaches=1 if late else 0,
        outcome=outcome,
        closed_at=at + timedelta(hours=2),
        facts={},
    )


def add_work(world: World, work: Work, day: int = 10) -> None:
    at = datetime(2026, work.month, day, 2, tzinfo=UTC)
    unit, area = world.unit[work.station], world.area[work.station]
    with world.db.session() as s:
        for i in range(work.dissuaded):
            task = _task("dissuasion", unit, area, at, outcome="dissuaded", late=False, ref=0)
            s.add(task)
            s.flush()
            s.add(
                FraudWarning(
                    subject_phone=f"1390000{task.id:04d}",
                    area_id=area,
                    unit_id=unit,
                    level=Level.HIGH,
                    status=WarningStatus.CLOSED,
                    first_event_at=at,
                    last_event_at=at,
                    created_at=at + timedelta(minutes=i),
                    updated_at=at,
                    task_id=task.id,
                    outcome=Outcome.DISSUADED,
                    closed_at=at + timedelta(hours=2),
                )
            )
        for i in range(work.dangers_on_time + work.dangers_late):
            s.add(_task("hidden_danger", unit, area, at, outcome="accepted", late=i >= work.dangers_on_time, ref=i))


@pytest.fixture(name="world")
def world_fixture(db: Database, tmp_path: Path) -> Iterator[World]:
    rules_file = tmp_path / "county.toml"
    rules_file.write_text(RULES, encoding="utf-8")
    clock = FakeClock(NOW)
    services = bootstrap(Settings(), clock=clock, db=db, rules=load_rules(rules_file))
    with db.session() as s:
        centres = ensure_centre_units(s)
        import_areas(
            s,
            [GeoArea(f"{k.upper()}镇", k, box(121 + i / 10, 29, 121.1 + i / 10, 29.1)) for i, k in enumerate(STATIONS)],
        )
        area = {k: s.scalar(select(Area.id).where(Area.code == k)) or 0 for k in STATIONS}
        unit = {
            k: s.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == area[k])) or 0
            for k in STATIONS
        }
        for username, role, unit_id in (
            ("commander", Role.COMMANDER, centres["command-centre"]),
            ("analyst", Role.ANALYST, centres["anti-fraud-centre"]),
            ("head_a", Role.STATION_HEAD, unit["a"]),
            ("officer_a", Role.OFFICER, unit["a"]),
        ):
            user = create_user(s, username, None, role=role, display_name=username, unit_id=unit_id, now=clock.now())
            user.password_hash = password_hash()
    client = TestClient(create_app(services), raise_server_exceptions=False)
    w = World(services, clock, client, unit, area, db)
    for work in TABLE:
        add_work(w, work)
    with client:
        yield w
    services.close()


def _by_code(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"].removeprefix("station-"): row for row in body["rows"]}


def test_the_scores_and_positions_are_those_worked_out_from_the_inputs_with_ties_shared(world: World) -> None:
    with world.db.session() as s:
        ranking = world.services.ranking.rank(s, "2026-11")
    scores = {r.code.removeprefix("station-"): r.score for r in ranking.rows}
    assert scores == expected_scores(11)
    positions = {r.code.removeprefix("station-"): r.position for r in ranking.rows}
    assert positions == competition(expected_scores(11))
    assert sorted(positions.values()) == [1, 2, 2, 4]  # B and C tie, nobody is third
    assert [r.position for r in ranking.rows] == sorted(r.position for r in ranking.rows)


def test_each_unit_shows_the_figures_behind_its_score(world: World) -> None:
    with world.db.session() as s:
        ranking = world.services.ranking.rank(s, "2026-11")
    a = next(r for r in ranking.rows if r.code == "station-a")
    assert a.cells["dissuaded"].value == 3
    assert a.cells["dissuaded"].detail == "劝阻成功 3 / 预警 3"
    assert a.cells["tasks_on_time"].value == 1.0
    assert a.cells["tasks_on_time"].detail == "按期 4 / 办结 4"
    b = next(r for r in ranking.rows if r.code == "station-b")
    assert b.cells["tasks_on_time"].value == 0.5
    d = next(r for r in ranking.rows if r.code == "station-d")
    assert d.cells["tasks_on_time"].value is None
    assert d.cells["tasks_on_time"].points is None
    assert sum(c.contribution for c in a.cells.values()) == pytest.approx(a.score, abs=0.05)
    columns = {c.name: c for c in ranking.indicators}
    assert not columns["disputes_resolved"].used
    assert columns["disputes_resolved"].share == 0
    assert columns["dissuaded"].share == pytest.approx(1 / 3, abs=1e-3)
    assert any("纠纷化解" in note for note in ranking.notes)


def test_the_change_since_last_month_and_the_districts(world: World) -> None:
    with world.db.session() as s:
        ranking = world.services.ranking.rank(s, "2026-11")
    before = competition(expected_scores(10))
    now = competition(expected_scores(11))
    assert ranking.previous_source == "computed"
    for row in ranking.rows:
        key = row.code.removeprefix("station-")
        assert row.previous_position == before[key]
        assert row.change == before[key] - now[key]
    assert (before["d"], now["d"]) == (1, 4)  # first in October, last in November
    east, west = (next(d for d in ranking.districts if d.name == n) for n in ("东部片区", "西部片区"))
    s11 = expected_scores(11)
    assert east.score == round((s11["a"] + s11["b"]) / 2, 2)
    assert west.score == round((s11["c"] + s11["d"]) / 2, 2)
    assert (east.position, west.position) == (1, 2)
    assert east.change == 1
    assert west.change == -1


def test_a_published_ranking_does_not_move_and_anchors_the_next_months_change(world: World) -> None:
    with world.db.session() as s:
        october = world.services.ranking.publish(s, "2026-10")
    assert october.published
    assert october.published_at == NOW.isoformat()
    add_work(world, Work("a", 10, dissuaded=5), day=20)  # late data for October
    with world.db.session() as s:
        again = world.services.ranking.rank(s, "2026-10")
        november = world.services.ranking.rank(s, "2026-11")
        fresh = world.services.ranking.rank(s, "2026-11", "stations")
    assert again.public() == october.public()
    assert november.previous_source == "published"
    assert {r.code: r.previous_position for r in november.rows} == {r.code: r.position for r in october.rows}
    assert fresh.public()["rows"] == november.public()["rows"]


def test_after_a_month_with_nothing_to_count_nobody_has_a_change(world: World) -> None:
    with world.db.session() as s:
        october = world.services.ranking.rank(s, "2026-10")  # September: no work at all
    assert october.previous_source is None
    assert [r.change for r in october.rows] == [None] * len(STATIONS)
    assert [d.change for d in october.districts] == [None, None]


def test_an_empty_board_ranks_nobody(world: World) -> None:
    with world.db.session() as s:
        ranking = world.services.ranking.rank(s, "2026-11", "departments")
    assert ranking.rows == []


# --- the API ------------------------------------------------------------------------------------------


def test_the_api_gives_the_centres_and_station_heads_the_ranking_and_marks_the_heads_own(world: World) -> None:
    got = world.client.get(f"{API}/rankings", params={"period": "2026-11"}, headers=world.headers("commander"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert {k: r["position"] for k, r in _by_code(body).items()} == competition(expected_scores(11))
    assert body["own_unit_id"] is None
    head = world.client.get(f"{API}/rankings", params={"period": "2026-11"}, headers=world.headers("head_a")).json()
    assert head["own_unit_id"] == world.unit["a"]
    assert world.client.get(f"{API}/rankings", headers=world.headers("officer_a")).status_code == 403
    default = world.client.get(f"{API}/rankings", headers=world.headers("analyst")).json()
    assert default["period"]["key"] == "2026-11"  # this month by default


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [({"period": "2026-13"}, 422, "period"), ({"period": "abc"}, 422, "period"), ({"board": "nope"}, 404, "board")],
)
def test_a_bad_period_or_board_is_refused_naming_it(
    world: World, params: dict[str, str], status: int, field: str
) -> None:
    got = world.client.get(f"{API}/rankings", params=params, headers=world.headers("commander"))
    assert got.status_code == status, got.text
    assert got.json()["error"]["field"] == field


def test_publishing_is_the_commanders_once_per_period_and_listed(world: World) -> None:
    body = {"period": "2026-11", "board": "stations"}
    assert world.client.post(f"{API}/rankings/publish", json=body, headers=world.headers("analyst")).status_code == 403
    done = world.client.post(f"{API}/rankings/publish", json=body, headers=world.headers("commander"))
    assert done.status_code == 201, done.text
    assert done.json()["published"] is True
    twice = world.client.post(f"{API}/rankings/publish", json=body, headers=world.headers("commander"))
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "already_published"
    listed = world.client.get(f"{API}/rankings/published", headers=world.headers("head_a")).json()["items"]
    assert [(i["board"], i["period"]) for i in listed] == [("stations", "2026-11")]
    bad = world.client.post(f"{API}/rankings/publish", json={"period": "11月"}, headers=world.headers("commander"))
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "period"


def test_the_ranking_exports_as_the_table_shows_it(world: World) -> None:
    got = world.client.get(
        "/api/v1/exports/rankings",
        params={"format": "csv", "period": "2026-11"},
        headers=world.headers("commander"),
    )
    assert got.status_code == 200, got.text
    lines = got.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("名次,较上期,单位,片区,总分,劝阻成功（权重10）,劝阻成功依据,劝阻成功得分")
    assert len(lines) == 1 + len(STATIONS)
    assert lines[1].startswith("1,上升1,A镇派出所,东部片区,100.0,3,劝阻成功 3 / 预警 3,100.0,100.0%,按期 4 / 办结 4")
    assert (
        world.client.get(
            "/api/v1/exports/rankings", params={"format": "csv"}, headers=world.headers("officer_a")
        ).status_code
        == 403
    )


def test_the_boards_endpoint_shows_the_weights_and_every_indicator(world: World) -> None:
    body = world.client.get(f"{API}/rankings/boards", headers=world.headers("analyst")).json()
    stations = next(b for b in body["boards"] if b["board"] == "stations")
    assert {i["name"]: i["weight"] for i in stations["indicators"]}["disputes_resolved"] == 30
    assert [d["name"] for d in stations["districts"]] == ["东部片区", "西部片区"]
    names = {i["name"] for i in body["indicators"]}
    assert {"dissuaded", "dissuasion_on_time", "desk_score", "desk_timeliness", "tasks_on_time"} <= names


def test_the_big_screen_counts_open_and_overdue_work_per_station_and_kind(world: World) -> None:
    with world.db.session() as s:
        s.add(
            Task(
                kind="dissuasion",
                status="issued",
                title="预警 139****0001",
                ref_type="fraud_warning",
                ref_id=999,
                area_id=world.area["b"],
                unit_id=world.unit["b"],
                created_at=NOW - timedelta(hours=3),
                updated_at=NOW - timedelta(hours=3),
                due_step="sign",
                due_at=NOW - timedelta(hours=2),
                level="high",
                facts={},
            )
        )
    got = world.client.get(f"{API}/screen", headers=world.headers("commander"))
    assert got.status_code == 200, got.text
    body = got.json()
    b = next(r for r in body["stations"] if r["unit_id"] == world.unit["b"])
    assert (b["open"], b["overdue"]) == (1, 1)
    assert body["stations"][0]["unit_id"] == world.unit["b"]  # the most overdue first
    dissuasion = next(k for k in body["queues"]["kinds"] if k["kind"] == "dissuasion")
    assert (dissuasion["open"], dissuasion["overdue"]) == (1, 1)
    assert {k["kind"] for k in body["queues"]["kinds"]} >= {"dissuasion", "desk_request"}
    assert [t["title"] for t in body["queues"]["latest"]] == ["预警 139****0001"]
    assert body["ranking"]["top"][0]["name"] == "A派出所" or body["ranking"]["top"][0]["position"] == 1
    assert world.client.get(f"{API}/screen", headers=world.headers("head_a")).status_code == 403


# --- the CLI ------------------------------------------------------------------------------------------


def test_the_cli_shows_and_publishes_a_ranking(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli.main import app

    url = str(world.db.engine.url.render_as_string(hide_password=False))
    if url.startswith("postgresql"):
        pytest.skip("the CLI is exercised on the SQLite file")
    monkeypatch.setenv("PINGAN_SECRET_KEY", "x" * 40)
    runner = CliRunner()
    shown = runner.invoke(app, ["--database-url", url, "ranking", "show", "--period", "2026-11", "--json"])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["period"]["key"] == "2026-11"
    assert len(body["rows"]) == 4
    done = runner.invoke(app, ["--database-url", url, "ranking", "publish", "--period", "2026-11"])
    assert done.exit_code == 0, done.output
    assert "published" in done.output
    twice = runner.invoke(app, ["--database-url", url, "ranking", "publish", "--period", "2026-11"])
    assert twice.exit_code == 1
    assert "已发布" in twice.output
    bad = runner.invoke(app, ["--database-url", url, "ranking", "show", "--period", "2026-13"])
    assert bad.exit_code == 1
    assert "--period" in bad.output
