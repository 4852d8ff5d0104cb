"""The ranking (打榜) and the big screen (大屏) per tenant: with two counties in one deployment, each county
ranks its own stations on its own figures and publishes its own snapshots, the province ranks the county
bureaus against each other, and every figure of a county's big screen is its own (the province's the sum).

象山 (A) and 宁海 (B) are given different numbers everywhere, so that a figure leaking from one county into
the other's would fail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import select
from typer.testing import CliRunner

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea
from pingan.core.identity import create_user
from pingan.core.models import Area, AreaKind, Role, Task, Unit, UnitKind
from pingan.core.settings import Settings
from pingan.fraud.models import FraudWarning, Level, Outcome, WarningStatus
from tests.integration.two_counties import import_province_and_counties

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
API = "/api/v1"
PASSWORD = "pw-tenant-rank-1"

# Dissuaded warnings this month per station, and open tasks (open, of which overdue) per station.
DISSUADED = {"xs-a": 2, "xs-b": 1, "nh-a": 5, "nh-b": 4, "nh-c": 0}
OPEN = {"xs-a": (1, 1), "xs-b": (0, 0), "nh-a": (2, 2), "nh-b": (1, 0), "nh-c": (0, 0)}
XS = ("station-xs-a", "station-xs-b")
NH = ("station-nh-a", "station-nh-b", "station-nh-c")


@dataclass
class Two:
    services: Services
    client: TestClient
    units: dict[str, int]
    areas: dict[str, int]
    tokens: dict[str, str]
    db: Database

    def call(self, method: str, who: str, path: str, body: Any = None, **params: Any) -> Any:
        return self.client.request(
            method,
            f"{API}{path}",
            params=params,
            json=body,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
        )

    def get(self, who: str, path: str, **params: Any) -> Any:
        response = self.call("GET", who, path, **params)
        assert response.status_code == 200, response.text
        return response.json()


def work(
    s: Any, unit: int, area: int, dissuaded: int, open_: tuple[int, int], ref: int, *, now: datetime = NOW
) -> None:
    """`dissuaded` warnings closed as dissuaded at the station, and `open_` (open, of which overdue) tasks."""
    at = now - timedelta(days=5) if now == NOW else now - timedelta(hours=3)
    for i in range(dissuaded):
        task = Task(
            kind="dissuasion",
            status="closed",
            title=f"预警 {ref}-{i}",
            ref_type="fraud_warning",
            ref_id=ref * 100 + i,
            area_id=area,
            unit_id=unit,
            created_at=at,
            updated_at=at,
            breaches=0,
            outcome="dissuaded",
            closed_at=at + timedelta(hours=2),
            facts={},
        )
        s.add(task)
        s.flush()
        s.add(
            FraudWarning(
                subject_phone=f"1390{ref:03d}{i:04d}",
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
    total, overdue = open_
    for i in range(total):
        late = i < overdue
        s.add(
            Task(
                kind="dissuasion",
                status="issued",
                title=f"在办 {ref}-{i}",
                ref_type="fraud_warning",
                ref_id=90000 + ref * 100 + i,
                area_id=area,
                unit_id=unit,
                created_at=now - timedelta(hours=3, minutes=i),
                updated_at=now - timedelta(hours=3),
                due_step="sign",
                due_at=now - timedelta(hours=2) if late else now + timedelta(hours=2),
                level="high",
                facts={},
            )
        )


USERS = (
    ("xs_commander", Role.COMMANDER, "330225-command-centre"),
    ("nh_commander", Role.COMMANDER, "330226-command-centre"),
    ("nh_analyst", Role.ANALYST, "330226-anti-fraud-centre"),
    ("xs_head", Role.STATION_HEAD, "station-xs-a"),
    ("zj_commander", Role.COMMANDER, "33-command-centre"),
    ("ops", Role.ADMIN, None),
)


def build_two_counties(db: Database, password: str, now: datetime = NOW) -> tuple[dict[str, int], dict[str, int]]:
    """浙江省 → 宁波市 → 象山县 (2 stations) and 宁海县 (3 stations), the work of `DISSUADED` and `OPEN`, a lead
    宁海's centre holds placed nowhere, and the `USERS` with `password`: the units' and areas' ids by code."""
    hashed = PasswordHasher().hash(password)
    with db.session() as s:
        import_province_and_counties(s)
        for i, code in enumerate(("xs-a", "xs-b")):
            shape = box(121 + i / 10, 29.1, 121.1 + i / 10, 29.2)
            import_areas(s, [GeoArea(f"象山{i}", code, shape)], parent_code="330225")
        for i, code in enumerate(("nh-a", "nh-b", "nh-c")):
            shape = box(121 + i / 10, 29.6, 121.1 + i / 10, 29.7)
            import_areas(s, [GeoArea(f"宁海{i}", code, shape)], parent_code="330226")
        units = {u.code: u.id for u in s.scalars(select(Unit))}
        areas = {a.code: a.id for a in s.scalars(select(Area))}
        centre = Unit(code="33-command-centre", name="省情指中心", kind=UnitKind.COMMAND_CENTRE, area_id=areas["33"])
        s.add(centre)
        s.flush()
        units[centre.code] = centre.id
        for ref, code in enumerate(DISSUADED, start=1):
            work(s, units[f"station-{code}"], areas[code], DISSUADED[code], OPEN[code], ref, now=now)
        # A lead the province addressed to 宁海 that no station could take: 宁海's centre holds it, placed nowhere.
        at = now - timedelta(days=1) if now == NOW else now - timedelta(hours=1)
        s.add(
            FraudWarning(
                subject_phone="13905750003",
                area_id=None,
                unit_id=units["330226-anti-fraud-centre"],
                level=Level.HIGH,
                status=WarningStatus.OPEN,
                first_event_at=at,
                last_event_at=at,
                created_at=at,
                updated_at=at,
            )
        )
        for username, role, unit in USERS:
            unit_id = units[unit] if unit is not None else None
            user = create_user(s, username, None, role=role, display_name=username, unit_id=unit_id, now=now)
            user.password_hash = hashed
    return units, areas


@pytest.fixture
def two(db: Database) -> Iterator[Two]:
    services = bootstrap(
        Settings(database_url=str(db.engine.url.render_as_string(hide_password=False))), db=db, clock=FakeClock(NOW)
    )
    units, areas = build_two_counties(db, PASSWORD)
    services.jurisdictions.invalidate()
    client = TestClient(create_app(services), raise_server_exceptions=False)
    tokens = {}
    for username, _role, _unit in USERS:
        response = client.post(f"{API}/auth/token", data={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        tokens[username] = response.json()["access_token"]
    yield Two(services, client, units, areas, tokens, db)
    services.close()


def _dissuaded(body: dict[str, Any]) -> dict[str, float | None]:
    return {r["code"]: r["cells"]["dissuaded"]["value"] for r in body["rows"]}


def test_a_countys_ranking_has_only_its_own_stations_and_their_numbers(two: Two) -> None:
    xs = two.get("xs_commander", "/command/rankings", period="2026-11")
    assert xs["board"] == "stations"
    assert xs["county"] == {"code": "330225", "name": "象山县", "kind": "county"}
    assert _dissuaded(xs) == {"station-xs-a": 2.0, "station-xs-b": 1.0}
    assert [r["code"] for r in xs["rows"]] == ["station-xs-a", "station-xs-b"]
    # minmax within the county: its best station 100, its worst 0 (宁海's 5 would make 象山's 2 less than 100)
    assert xs["rows"][0]["cells"]["dissuaded"]["points"] == 100.0
    assert xs["rows"][1]["cells"]["dissuaded"]["points"] == 0.0
    nh = two.get("nh_analyst", "/command/rankings", period="2026-11")
    assert _dissuaded(nh) == {"station-nh-a": 5.0, "station-nh-b": 4.0, "station-nh-c": 0.0}
    # A station head reads their own county's board, with their row marked.
    head = two.get("xs_head", "/command/rankings", period="2026-11")
    assert set(_dissuaded(head)) == set(XS)
    assert head["own_unit_id"] == two.units["station-xs-a"]
    # The other county's board is not there for the asking, nor is the counties board.
    other = two.call("GET", "xs_commander", "/command/rankings", county="330226")
    assert (other.status_code, other.json()["error"]["field"]) == (404, "county")
    board = two.call("GET", "xs_commander", "/command/rankings", board="counties")
    assert (board.status_code, board.json()["error"]["field"]) == (403, "board")
    own = two.get("xs_commander", "/command/rankings", period="2026-11", county="330225")
    assert _dissuaded(own) == _dissuaded(xs)
    # The export is the same table, the same county.
    exported = two.call("GET", "xs_commander", "/exports/rankings", period="2026-11", format="csv")
    assert exported.status_code == 200, exported.text
    assert "象山0" in exported.text or "象山" in exported.text
    assert "宁海" not in exported.text


def test_one_county_publishing_never_freezes_another(two: Two) -> None:
    done = two.call("POST", "nh_commander", "/command/rankings/publish", {"period": "2026-11"})
    assert done.status_code == 201, done.text
    assert done.json()["county"]["code"] == "330226"
    xs = two.get("xs_commander", "/command/rankings", period="2026-11")
    assert xs["published"] is False
    assert two.get("nh_commander", "/command/rankings", period="2026-11")["published"] is True
    again = two.call("POST", "nh_commander", "/command/rankings/publish", {"period": "2026-11"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_published")
    mine = two.call("POST", "xs_commander", "/command/rankings/publish", {"period": "2026-11"})
    assert mine.status_code == 201, mine.text
    assert _dissuaded(mine.json()) == {"station-xs-a": 2.0, "station-xs-b": 1.0}
    elsewhere = two.call("POST", "xs_commander", "/command/rankings/publish", {"period": "2026-10", "county": "330226"})
    assert (elsewhere.status_code, elsewhere.json()["error"]["field"]) == (404, "county")

    def listed(who: str) -> set[tuple[str, str, str]]:
        return {(i["county"], i["board"], i["period"]) for i in two.get(who, "/command/rankings/published")["items"]}

    assert listed("xs_commander") == {("330225", "stations", "2026-11")}
    assert listed("nh_commander") == {("330226", "stations", "2026-11")}
    assert listed("zj_commander") == {("330225", "stations", "2026-11"), ("330226", "stations", "2026-11")}
    only = two.get("zj_commander", "/command/rankings/published", board="stations", county="330226")["items"]
    assert [(i["county"], i["period"]) for i in only] == [("330226", "2026-11")]


def test_the_province_ranks_the_county_bureaus_and_opens_one_countys_board(two: Two) -> None:
    zj = two.get("zj_commander", "/command/rankings", period="2026-11")
    assert zj["board"] == "counties"
    assert zj["county"]["code"] == "33"
    assert [(r["code"], r["position"]) for r in zj["rows"]] == [("330226", 1), ("330225", 2)]
    assert _dissuaded(zj) == {"330226": 9.0, "330225": 3.0}
    assert {r["name"] for r in zj["rows"]} == {"象山县公安局", "宁海县公安局"}
    assert zj["districts"] == []
    xs = two.get("zj_commander", "/command/rankings", period="2026-11", county="330225")
    assert _dissuaded(xs) == {"station-xs-a": 2.0, "station-xs-b": 1.0}
    unnamed = two.call("GET", "zj_commander", "/command/rankings", board="stations")
    assert (unnamed.status_code, unnamed.json()["error"]["field"]) == (422, "county")
    unknown = two.call("GET", "zj_commander", "/command/rankings", county="999999")
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "county")
    boards = two.get("zj_commander", "/command/rankings/boards")
    assert boards["default_board"] == "counties"
    assert boards["boards"][0]["board"] == "counties"
    assert boards["counties"] == [{"code": "330225", "name": "象山县"}, {"code": "330226", "name": "宁海县"}]
    county_view = two.get("xs_commander", "/command/rankings/boards")
    assert county_view["default_board"] == "stations"
    assert "counties" not in {b["board"] for b in county_view["boards"]}
    # The province's counties board is published as the province's; a county's own stays unpublished.
    done = two.call("POST", "zj_commander", "/command/rankings/publish", {"period": "2026-11", "board": "counties"})
    assert done.status_code == 201, done.text
    assert two.get("xs_commander", "/command/rankings", period="2026-11")["published"] is False
    # The deployment's operator ranks every county, and names a county for a station board.
    ops = two.get("ops", "/command/rankings", period="2026-11")
    assert (ops["board"], ops["county"]) == ("counties", None)
    assert len(ops["rows"]) == 2


def test_the_big_screen_of_a_county_counts_its_own_and_the_provinces_the_sum(two: Two) -> None:
    def load(who: str) -> tuple[set[int], int, int]:
        body = two.get(who, "/command/screen")
        stations = body["stations"]
        return ({s["unit_id"] for s in stations}, sum(s["open"] for s in stations), sum(s["overdue"] for s in stations))

    xs_ids = {two.units[c] for c in XS}
    nh_ids = {two.units[c] for c in NH}
    assert load("xs_commander") == (xs_ids, 1, 1)
    assert load("nh_commander") == (nh_ids, 3, 2)
    assert load("zj_commander") == (xs_ids | nh_ids, 4, 3)

    xs = two.get("xs_commander", "/command/screen")
    assert xs["county"]["code"] == "330225"
    kinds = {k["kind"]: (k["open"], k["overdue"]) for k in xs["queues"]["kinds"]}
    assert kinds["dissuasion"] == (1, 1)
    assert [t["title"] for t in xs["queues"]["latest"]] == ["在办 1-0"]
    assert {r["name"] for r in xs["ranking"]["top"] + xs["ranking"]["bottom"]} <= {"象山0派出所", "象山1派出所"} | {
        r["name"] for r in two.get("xs_commander", "/command/rankings")["rows"]
    }
    assert xs["ranking"]["county"]["code"] == "330225"
    assert len(xs["ranking"]["top"]) == 2
    zj = two.get("zj_commander", "/command/screen")
    assert {k["kind"]: (k["open"], k["overdue"]) for k in zj["queues"]["kinds"]}["dissuasion"] == (4, 3)
    assert len(zj["queues"]["latest"]) == 4
    assert zj["ranking"]["board"] == "counties"
    assert [r["name"] for r in zj["ranking"]["top"]] == ["宁海县公安局", "象山县公安局"]

    # The tiles' figures endpoints, within the same scope: 象山 3 warnings, 宁海 9 + 1 its centre holds placed
    # nowhere, the province 13.
    period = {"start": "2026-11-01T00:00:00+08:00", "end": "2026-11-23T10:00:00+08:00"}
    warnings = {
        w: two.get(w, "/fraud/figures", **period)["warnings"] for w in ("xs_commander", "nh_commander", "zj_commander")
    }
    assert warnings == {"xs_commander": 3, "nh_commander": 10, "zj_commander": 13}
    series = {
        w: sum(b["warnings"] for b in two.get(w, "/fraud/figures/series", **period)["buckets"])
        for w in ("xs_commander", "nh_commander", "zj_commander")
    }
    assert series == warnings
    stations_on_map = {
        w: {f["properties"]["code"] for f in two.get(w, "/map/areas")["features"]}
        for w in ("xs_commander", "zj_commander")
    }
    assert stations_on_map["xs_commander"] == {"xs-a", "xs-b"}
    assert stations_on_map["zj_commander"] == {"xs-a", "xs-b", "nh-a", "nh-b", "nh-c"}


def test_the_cli_ranks_and_publishes_one_county(two: Two, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli.main import app

    url = str(two.db.engine.url.render_as_string(hide_password=False))
    if url.startswith("postgresql"):
        pytest.skip("the CLI is exercised on the SQLite file")
    monkeypatch.setenv("PINGAN_SECRET_KEY", "x" * 40)
    runner = CliRunner()
    base = ["--database-url", url, "ranking"]
    shown = runner.invoke(app, [*base, "show", "--period", "2026-11", "--county", "330226", "--json"])
    assert shown.exit_code == 0, shown.output
    assert _dissuaded(json.loads(shown.stdout)) == {"station-nh-a": 5.0, "station-nh-b": 4.0, "station-nh-c": 0.0}
    unnamed = runner.invoke(app, [*base, "show", "--period", "2026-11"])
    assert unnamed.exit_code == 1
    assert "--county" in unnamed.output
    counties = runner.invoke(app, [*base, "show", "--period", "2026-11", "--board", "counties", "--json"])
    assert counties.exit_code == 0, counties.output
    assert _dissuaded(json.loads(counties.stdout)) == {"330226": 9.0, "330225": 3.0}
    done = runner.invoke(app, [*base, "publish", "--period", "2026-11", "--county", "330225"])
    assert done.exit_code == 0, done.output
    other = runner.invoke(app, [*base, "publish", "--period", "2026-11", "--county", "330226"])
    assert other.exit_code == 0, other.output
    twice = runner.invoke(app, [*base, "publish", "--period", "2026-11", "--county", "330225"])
    assert twice.exit_code == 1
    assert "已发布" in twice.output


def test_a_bad_county_is_refused_naming_it(two: Two) -> None:
    long = two.call("GET", "zj_commander", "/command/rankings", county="3" * 40)
    assert (long.status_code, long.json()["error"]["field"]) == (422, "query.county")
    station = two.call("GET", "zj_commander", "/command/rankings", county="xs-a")  # an area, not a county
    assert (station.status_code, station.json()["error"]["field"]) == (404, "county")
    published = two.call("GET", "xs_commander", "/command/rankings/published", county="330226")
    assert (published.status_code, published.json()["error"]["field"]) == (404, "county")
    body = {"period": "2026-11", "board": "counties"}
    refused = two.call("POST", "xs_commander", "/command/rankings/publish", body)
    assert (refused.status_code, refused.json()["error"]["field"]) == (403, "board")


def test_with_one_county_there_is_no_county_to_name_nor_a_counties_board(db: Database) -> None:
    from pingan.command.ranking import tenants
    from pingan.core.errors import BadInput, NotFound

    with db.session() as s:
        import_areas(s, [GeoArea("象山县", "330225", box(121.0, 29.0, 122.0, 29.5))], kind=AreaKind.COUNTY)
        county = s.scalar(select(Area.id).where(Area.code == "330225"))
        assert tenants.resolve(s, county, None, board="stations") is tenants.WHOLE
        assert tenants.resolve(s, county, "330225", board="stations") is tenants.WHOLE
        assert tenants.default_board(s, county) == "stations"
        assert tenants.counties_of(s, county) == []
        assert tenants.visible_keys(s, county) is None
        with pytest.raises(NotFound) as other:
            tenants.resolve(s, county, "330226", board="stations")
        assert other.value.field == "county"
        with pytest.raises(BadInput) as board:
            tenants.resolve(s, county, None, board="counties")
        assert board.value.field == "board"
