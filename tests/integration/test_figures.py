"""Figures from Pingan's own data (DESIGN §6): warnings, dissuasions, money protected, per station and period.

A handful of warnings with known levels, outcomes and amounts, in two stations and two weeks (plus one
that could not be placed, and one just outside each end). The expected figures are computed here from
that table of inputs, and GET /api/v1/fraud/figures must return exactly them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import select

from pingan.api.app import create_app
from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea
from pingan.core.identity import create_user
from pingan.core.models import Area, Person, PersonPhone, Role, Task, Unit, UnitKind
from pingan.core.settings import Settings
from pingan.core.setup import ensure_centre_units
from pingan.core.tasks import Command
from pingan.fraud.models import FraudWarning
from pingan.fraud.workflow import KIND as DISSUASION_KIND
from pingan.fraud.workflow import DissuasionAction

PASSWORD = "Xiangshan-2026-figures"
STATION_NAMES = {"a": "城东派出所", "b": "城西派出所"}  # the stations, not the towns they cover
UNPLACED = "未落地"


def utc(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


P1 = (utc(11, 1), utc(11, 8))
P2 = (utc(11, 8), utc(11, 15))
NOW = utc(11, 20)


@dataclass(frozen=True)
class Case:
    key: str
    station: str | None
    """'a', 'b', or None: a phone on no register and no location (the centre's to place)."""
    opened: datetime
    level: str
    outcome: str | None = None
    """dissuaded / defrauded (officer's feedback), not_at_risk (closed by the centre), None (still open)."""
    amount: str | None = None
    evaluated: bool = True
    worked_at: datetime | None = None
    """When the officer met the person and gave feedback (default: an hour after the warning)."""


CASES = [
    Case("a1", "a", utc(11, 2, 2), "high", "dissuaded", "1000.00"),
    Case("a2", "a", utc(11, 3, 3), "critical", "defrauded", "200.50", evaluated=False),
    Case("a3", "a", utc(11, 4, 4), "medium"),
    Case("a5", "a", utc(11, 6, 6), "low", "dissuaded", "300.10", worked_at=utc(11, 9, 9)),  # opened in P1, won in P2
    Case("b1", "b", utc(11, 5, 5), "high", "dissuaded", "99.99"),
    Case("b2", "b", utc(11, 7, 23, 59, 59), "critical", "dissuaded", "0.01"),
    Case("u1", None, utc(11, 6, 7), "medium"),
    Case("a4", "a", utc(11, 8), "critical", "dissuaded", "5000"),  # exactly at the start of P2
    Case("b3", "b", utc(11, 10, 10), "low", "not_at_risk"),
    Case("b4", "b", utc(11, 12, 12), "high"),
    Case("b5", "b", utc(11, 13, 13), "medium", "defrauded", "12345.67"),
    Case("x0", "a", utc(10, 31, 23, 59, 59), "high", "dissuaded", "777"),  # before P1
    Case("x1", "b", utc(11, 15), "high", "dissuaded", "888"),  # at the end of P2: outside it
]


# --- the expectation, from the table ------------------------------------------------------------------


def closed(case: Case) -> bool:
    return case.outcome == "not_at_risk" or (case.outcome is not None and case.evaluated)


def money(cases: list[Case], outcome: str) -> str:
    total = sum((Decimal(c.amount or 0) for c in cases if c.outcome == outcome), Decimal(0))
    return str(total.quantize(Decimal("0.01")))


def tally(cases: list[Case]) -> dict[str, Any]:
    return {
        "warnings": len(cases),
        "dissuaded": sum(c.outcome == "dissuaded" for c in cases),
        "defrauded": sum(c.outcome == "defrauded" for c in cases),
        "protected_yuan": money(cases, "dissuaded"),
        "lost_yuan": money(cases, "defrauded"),
        "open": sum(not closed(c) for c in cases),
    }


def expected(start: datetime, end: datetime, stations: set[str | None] | None = None) -> dict[str, Any]:
    cases = [c for c in CASES if start <= c.opened < end and (stations is None or c.station in stations)]
    per_station = {
        station: {
            "station": STATION_NAMES.get(station or "", UNPLACED),
            **tally([c for c in cases if c.station == station]),
        }
        for station in {c.station for c in cases}
    }
    closed_tasks = sum(closed(c) for c in cases)
    return {
        **tally(cases),
        "by_level": dict(Counter(c.level for c in cases)),
        "tasks_closed": closed_tasks,
        "tasks_closed_on_time": closed_tasks,  # the sweeper never ran: no deadline was recorded as missed
        "per_station": per_station,
    }


def test_the_table_covers_what_the_figures_must_tell_apart() -> None:
    # Guard the inputs themselves: each period has both stations, open and closed warnings, money both ways.
    for start, end in (P1, P2):
        period = [c for c in CASES if start <= c.opened < end]
        assert {c.station for c in period} >= {"a", "b"}
        assert {c.outcome for c in period} >= {"dissuaded", "defrauded", None}
        assert len({c.level for c in period}) >= 3
    assert any(c.opened == P2[0] for c in CASES)
    assert any(c.opened == P2[1] for c in CASES)


# --- building the county ------------------------------------------------------------------------------


@cache
def password_hash() -> str:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


@dataclass
class County:
    services: Services
    clock: FakeClock
    client: TestClient
    area: dict[str, int]
    warning: dict[str, int]

    def figures(self, username: str, **params: Any) -> dict[str, Any]:
        token = self.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        response = self.client.get("/api/v1/fraud/figures", headers=headers, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def area_key(self, area_id: int | None) -> str | None:
        return next((k for k, v in self.area.items() if v == area_id), None)


def _phone(i: int) -> str:
    return f"1370000{i:04d}"


@pytest.fixture(name="county")
def county_fixture(db: Database) -> Iterator[County]:
    clock = FakeClock(utc(10, 1))
    services = bootstrap(Settings(), clock=clock, db=db)
    with db.session() as s:
        centres = ensure_centre_units(s)
        import_areas(
            s,
            [
                GeoArea(STATION_NAMES["a"], "station-a", box(121.0, 29.0, 121.1, 29.1)),
                GeoArea(STATION_NAMES["b"], "station-b", box(121.1, 29.0, 121.2, 29.1)),
            ],
        )
        area = {k: s.scalar(select(Area.id).where(Area.code == f"station-{k}")) or 0 for k in "ab"}
        unit_a = s.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == area["a"]))
        for username, role, unit_id in (
            ("analyst", Role.ANALYST, centres["anti-fraud-centre"]),
            ("officer_a", Role.OFFICER, unit_a),
        ):
            user = create_user(s, username, None, role=role, display_name=username, unit_id=unit_id, now=clock.now())
            user.password_hash = password_hash()
        officer_id = user.id
        for i, case in enumerate(CASES):
            if case.station is None:
                continue
            person = Person(
                name=f"居民{i}", birth_year=1990, station_id=area[case.station], tags=[], created_at=clock.now()
            )
            s.add(person)
            s.flush()
            s.add(PersonPhone(phone=_phone(i), person_id=person.id))

    # Replay the table in time order: warnings pushed down by the city platform, then the work on them.
    steps: list[tuple[datetime, int, Case]] = []
    for case in CASES:
        steps.append((case.opened, 0, case))
        if case.outcome is not None:
            steps.append((case.worked_at or case.opened + timedelta(hours=1), 1, case))
    warning: dict[str, int] = {}
    for at, kind, case in sorted(steps, key=lambda s: (s[0], s[1])):
        clock.set(at)
        if kind == 0:
            i = CASES.index(case)
            result = services.intake.ingest(
                [
                    {
                        "id": case.key,
                        "source": "platform",
                        "kind": "pushed_warning",
                        "at": at.isoformat(),
                        "subject_phone": _phone(i),
                        "level": case.level,
                    }
                ]
            )
            [warning[case.key]] = result.warnings_opened
        else:
            _work(services, db, warning[case.key], case, officer_id)
    clock.set(NOW)
    client = TestClient(create_app(services), raise_server_exceptions=False)
    with client:
        yield County(services, clock, client, area, warning)


def _work(services: Services, db: Database, warning_id: int, case: Case, officer_id: int) -> None:
    with db.session() as s:
        task_id = s.scalar(select(FraudWarning.task_id).where(FraudWarning.id == warning_id))
        task = s.get(Task, task_id)
        assert task is not None

        def act(action: DissuasionAction, reason: str | None = None, **data: Any) -> None:
            assert task is not None
            services.tasks.act(s, task, Command(action, officer_id, reason, data))

        if case.outcome == "not_at_risk":
            act(DissuasionAction.CLOSE, "核实为正常交易，无风险", outcome="not_at_risk")
            return
        act(DissuasionAction.SIGN)
        act(DissuasionAction.MEET)
        act(DissuasionAction.FEEDBACK, outcome=case.outcome, amount_yuan=case.amount)
        if case.evaluated:
            act(DissuasionAction.EVALUATE)


# --- the figures ----------------------------------------------------------------------------------------


def _observed(county: County, body: dict[str, Any]) -> dict[str, Any]:
    keys = ("warnings", "dissuaded", "defrauded", "protected_yuan", "lost_yuan", "open")
    return {
        **{k: body[k] for k in keys},
        "by_level": body["by_level"],
        "tasks_closed": body["tasks_closed"],
        "tasks_closed_on_time": body["tasks_closed_on_time"],
        "per_station": {
            county.area_key(row["area_id"]): {k: row[k] for k in ("station", *keys)} for row in body["per_station"]
        },
    }


def test_the_warnings_were_placed_and_graded_as_the_table_says(county: County) -> None:
    with county.services.db.session() as s:
        for case in CASES:
            warning = s.get(FraudWarning, county.warning[case.key])
            assert warning is not None
            assert warning.level.value == case.level
            assert warning.area_id == (county.area[case.station] if case.station else None)
            assert warning.created_at == case.opened


@pytest.mark.parametrize("period", [P1, P2], ids=["week1", "week2"])
def test_figures_per_period_are_exactly_those_of_the_inputs(county: County, period: tuple[datetime, datetime]) -> None:
    start, end = period
    body = county.figures("analyst", start=start.isoformat(), end=end.isoformat())
    assert _observed(county, body) == expected(start, end)
    assert body["period"] == {"start": start.isoformat(), "end": end.isoformat()}


def test_figures_over_both_periods_add_up(county: County) -> None:
    body = county.figures("analyst", start=P1[0].isoformat(), end=P2[1].isoformat())
    assert _observed(county, body) == expected(P1[0], P2[1])
    week1 = county.figures("analyst", start=P1[0].isoformat(), end=P1[1].isoformat())
    week2 = county.figures("analyst", start=P2[0].isoformat(), end=P2[1].isoformat())
    for key in ("warnings", "dissuaded", "defrauded", "open", "tasks_closed"):
        assert body[key] == week1[key] + week2[key]
    for key in ("protected_yuan", "lost_yuan"):
        assert Decimal(body[key]) == Decimal(week1[key]) + Decimal(week2[key])


def test_a_warning_counts_in_the_period_it_was_opened_not_the_one_it_was_won(county: County) -> None:
    week1 = county.figures("analyst", start=P1[0].isoformat(), end=P1[1].isoformat())
    [station_a] = [row for row in week1["per_station"] if row["area_id"] == county.area["a"]]
    assert Decimal(station_a["protected_yuan"]) == Decimal("1000.00") + Decimal("300.10")


@pytest.mark.parametrize("station", ["a", "b"])
def test_figures_for_one_station(county: County, station: str) -> None:
    for start, end in (P1, P2):
        body = county.figures("analyst", start=start.isoformat(), end=end.isoformat(), area_id=county.area[station])
        assert _observed(county, body) == expected(start, end, {station})


def test_an_officer_s_figures_are_those_of_their_station(county: County) -> None:
    for start, end in (P1, P2):
        body = county.figures("officer_a", start=start.isoformat(), end=end.isoformat())
        assert _observed(county, body) == expected(start, end, {"a"})


def test_default_period_is_the_last_thirty_days(county: County) -> None:
    body = county.figures("analyst")
    assert _observed(county, body) == expected(
        NOW + timedelta(seconds=1) - timedelta(days=30), NOW + timedelta(seconds=1)
    )


def test_an_empty_period_gives_zeros_not_nulls(county: County) -> None:
    body = county.figures("analyst", start=utc(9, 1).isoformat(), end=utc(9, 8).isoformat())
    assert (body["warnings"], body["dissuaded"], body["protected_yuan"], body["lost_yuan"]) == (0, 0, "0.00", "0.00")
    assert body["per_station"] == []
    assert body["on_time_rate"] is None


def test_a_start_after_the_end_is_refused(county: County) -> None:
    token = county.client.post("/api/v1/auth/token", data={"username": "analyst", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    response = county.client.get(
        "/api/v1/fraud/figures", headers=headers, params={"start": P2[0].isoformat(), "end": P1[0].isoformat()}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "start"


@pytest.mark.parametrize("username", ["analyst", "officer_a"])
def test_overdue_open_is_the_worklists_overdue_tab_in_any_period(county: County, username: str) -> None:
    """数据's 超时未办结 and the worklist's 已超时 tab are one definition and one query: the tasks overdue now,
    whatever period the figures cover, within the user's scope."""
    token = county.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    tab = county.client.get("/api/v1/tasks", headers=headers, params={"kind": "dissuasion", "overdue": "true"})
    assert tab.status_code == 200, tab.text
    listed = tab.json()["total"]
    assert listed == len(tab.json()["items"])
    assert listed > 0
    for start, end in (P1, P2, (utc(9, 1), utc(9, 8))):
        body = county.figures(username, start=start.isoformat(), end=end.isoformat())
        assert body["tasks_overdue_open"] == listed, (start, end)
    assert county.figures(username)["tasks_overdue_open"] == listed


def test_overdue_open_for_one_station_counts_that_stations_overdue_tasks(county: County) -> None:
    body = county.figures("analyst", area_id=county.area["b"])
    with county.services.db.session() as s:
        now = county.clock.now()
        # The fraud figures count the dissuasion tasks (a defrauded warning's case task is the money chase's).
        tasks = s.scalars(
            select(Task).where(Task.area_id == county.area["b"], Task.closed_at.is_(None), Task.kind == DISSUASION_KIND)
        ).all()
        late = [t for t in tasks if county.services.tasks.overdue(t, now)]
    assert body["tasks_overdue_open"] == len(late) > 0
