"""交通执法 over the real app and database (SQLite and PostgreSQL): the traffic police system's CSV imported
(idempotent, bad rows named), placed in station areas, and counted by type, area, outcome and month against
the same period a year before (同比).

The world of `test_api_fraud`: stations A (城东, west) and B (城西, east), a fake clock at 2026-11-23.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pingan.cli import app as cli_app
from pingan.command.traffic.models import TrafficRecord
from pingan.core.db import Database
from tests.integration.test_api_fraud import API, POINT_A, POINT_B, Api, assert_error, make_api

HEADER = "id,type,at,place,lon,lat,crs,outcome\n"


@pytest.fixture
def api(db: Database) -> Iterator[Api]:
    world = make_api(db)
    with world.client:
        yield world


def upload(api: Api, text: str, who: str = "commander") -> dict[str, Any]:
    files = {"file": ("traffic.csv", text.encode("utf-8"), "text/csv")}
    response = api.client.post(f"{API}/traffic/records/import", files=files, headers=api.auth(who))
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def lines() -> str:
    a, b = POINT_A, POINT_B
    return HEADER + "".join(
        [
            f"t1,三小车,2026-11-10T09:00:00+08:00,城东路口,{a[0]},{a[1]},,罚款\n",
            f"t2,酒驾,2026-11-11T23:00:00+08:00,城西大道,{b[0]},{b[1]},wgs84,行政拘留\n",
            f"t3,醉驾,2026-11-12T01:00:00+08:00,城西大道,{b[0]},{b[1]},,刑事案件\n",
            f"t4,电动自行车,2026-11-12T08:00:00+08:00,,{a[0]},{a[1]},,警告\n",
            "t5,重点车辆,2026-11-13T08:00:00+08:00,外省高速,,,,罚款\n",  # placed nowhere
            f"y1,三小车,2025-11-10T09:00:00+08:00,城东路口,{a[0]},{a[1]},,罚款\n",  # a year before
            f"y2,三小车,2025-11-11T09:00:00+08:00,城东路口,{a[0]},{a[1]},,罚款\n",
            f"y3,酒驾,2025-11-12T09:00:00+08:00,城西大道,{b[0]},{b[1]},,罚款\n",
            "bad1,飙车,2026-11-12T08:00:00+08:00,,,,,罚款\n",
            "bad2,三小车,2026-11-12 08:00,,,,,罚款\n",
            f"bad3,三小车,2026-11-12T08:00:00+08:00,,{a[0]},,,罚款\n",
        ]
    )


def test_the_import_keeps_the_good_rows_names_the_bad_and_a_replay_adds_nothing(api: Api) -> None:
    out = upload(api, lines())
    assert (out["accepted"], out["duplicates"], out["unplaced"]) == (8, 0, 1)
    assert [(r["line"], r["field"]) for r in out["rejected"]] == [(10, "type"), (11, "at"), (12, "lat")]
    again = upload(api, lines())
    assert (again["accepted"], again["duplicates"]) == (0, 8)
    assert api.count(TrafficRecord) == 8
    refused = api.client.post(
        f"{API}/traffic/records/import",
        files={"file": ("t.csv", b"id,kind\nx,y\n", "text/csv")},
        headers=api.auth("commander"),
    )
    assert_error(refused, 422, field="kind")
    for who in ("officer_a", "analyst", "partner"):
        forbidden = api.client.post(
            f"{API}/traffic/records/import",
            files={"file": ("t.csv", lines().encode(), "text/csv")},
            headers=api.auth(who),
        )
        assert_error(forbidden, 403)


def test_the_figures_count_by_type_area_and_month_with_the_year_before(api: Api) -> None:
    upload(api, lines())
    period = {"start": "2026-11-01T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00"}
    figures = api.get("/traffic/figures", "commander", **period).json()
    assert (figures["total"], figures["last_year"], figures["yoy"]) == (5, 3, round(2 / 3, 4))
    by_type = {r["key"]: (r["count"], r["last_year"], r["yoy"]) for r in figures["by_type"]}
    assert by_type["three_small"] == (1, 2, -0.5)
    assert by_type["drink"] == (2, 1, 1.0)
    assert by_type["ebike"] == (1, 0, None)
    assert by_type["key_vehicle"] == (1, 0, None)
    areas = {r["key"]: r["count"] for r in figures["by_area"]}
    assert areas == {api.area["a"]: 2, api.area["b"]: 2, None: 1}
    assert figures["by_month"] == [{"month": "2026-11", "count": 5, "last_year": 3, "yoy": round(2 / 3, 4)}]
    outcomes = {r["key"]: r["count"] for r in figures["by_outcome"]}
    assert (outcomes["criminal"], outcomes["detention"], outcomes["fine"]) == (1, 1, 2)
    # A station sees its own area's records; one area can be asked for.
    mine = api.get("/traffic/figures", "officer_a", **period).json()
    assert (mine["total"], mine["last_year"]) == (2, 2)
    only_b = api.get("/traffic/figures", "commander", area_id=api.area["b"], **period).json()
    assert only_b["total"] == 2
    assert_error(api.get("/traffic/figures", "partner"), 403)
    assert_error(
        api.get("/traffic/figures", "commander", start="2026-12-01T00:00:00+08:00", end="2026-11-01T00:00:00+08:00"),
        422,
        field="start",
    )


def test_the_command_line_imports_a_file(api: Api, tmp_path: Path) -> None:
    path = tmp_path / "traffic.csv"
    path.write_text(lines(), encoding="utf-8")
    env = {"PINGAN_DATABASE_URL": api.db.url, "PINGAN_SECRET_KEY": "k" * 40}
    result = CliRunner().invoke(cli_app, ["traffic", "import", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "8 accepted, 0 duplicates, 3 rejected" in result.output
    assert "line 10 type" in result.output
