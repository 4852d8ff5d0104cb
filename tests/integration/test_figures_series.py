"""Figures over time: the fraud loop's and the desk's numbers per Shanghai day or ISO week, each bucket
exactly the figures of its own period, scoped as the figures are."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pingan.core.series import Step, buckets
from tests.integration.test_desk_api import POINT_A1, POINT_B, D, World, db_fixture, world_fixture  # noqa: F401
from tests.integration.test_figures import P1, P2, PASSWORD, County, county_fixture, expected  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")
TALLY = ("warnings", "dissuaded", "defrauded", "protected_yuan", "lost_yuan")


def _fraud_series(county: County, username: str = "analyst", **params: Any) -> dict[str, Any]:
    token = county.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    response = county.client.get("/api/v1/fraud/figures/series", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_day_holds_exactly_the_warnings_opened_that_shanghai_day(county: County) -> None:
    body = _fraud_series(county, start=P1[0].isoformat(), end=P2[1].isoformat(), step="day")
    assert body["step"] == "day"
    cuts = buckets(P1[0], P2[1], Step.DAY, SHANGHAI)
    assert [(b["start"], b["end"]) for b in body["buckets"]] == [(c.start.isoformat(), c.end.isoformat()) for c in cuts]
    for bucket in body["buckets"]:
        want = expected(datetime.fromisoformat(bucket["start"]), datetime.fromisoformat(bucket["end"]))
        assert {k: bucket[k] for k in TALLY} == {k: want[k] for k in TALLY}, bucket["start"]
    assert sum(b["warnings"] for b in body["buckets"]) == expected(P1[0], P2[1])["warnings"]
    # Local days, not UTC ones: a warning at 23:59:59 UTC on 11-07 is 07:59:59 on 11-08 in Shanghai.
    by_day = {datetime.fromisoformat(b["start"]).astimezone(SHANGHAI).date().isoformat(): b for b in body["buckets"]}
    assert by_day["2026-11-08"]["warnings"] == 2  # b2 (11-07 23:59:59 UTC) and a4 (11-08 00:00 UTC)
    assert by_day["2026-11-07"]["warnings"] == 0


def test_weeks_add_up_to_the_period_s_figures(county: County) -> None:
    body = _fraud_series(county, start=P1[0].isoformat(), end=P2[1].isoformat(), step="week")
    total = expected(P1[0], P2[1])
    assert sum(b["warnings"] for b in body["buckets"]) == total["warnings"]
    assert sum(b["dissuaded"] for b in body["buckets"]) == total["dissuaded"]
    assert sum(Decimal(b["protected_yuan"]) for b in body["buckets"]) == Decimal(total["protected_yuan"])


def test_an_officer_s_series_is_their_station_s(county: County) -> None:
    body = _fraud_series(county, "officer_a", start=P1[0].isoformat(), end=P2[1].isoformat(), step="week")
    assert sum(b["warnings"] for b in body["buckets"]) == expected(P1[0], P2[1], {"a"})["warnings"]
    token = county.client.post("/api/v1/auth/token", data={"username": "officer_a", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    other = county.client.get("/api/v1/fraud/figures/series", headers=headers, params={"area_id": county.area["b"]})
    assert other.status_code == 403
    assert other.json()["error"]["field"] == "area_id"


def test_a_bad_step_or_too_long_a_period_names_the_field(county: County) -> None:
    token = county.client.post("/api/v1/auth/token", data={"username": "analyst", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    bad = county.client.get("/api/v1/fraud/figures/series", headers=headers, params={"step": "hour"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "query.step"
    long = county.client.get(
        "/api/v1/fraud/figures/series",
        headers=headers,
        params={"start": "2020-01-01T00:00:00+08:00", "end": "2026-01-01T00:00:00+08:00", "step": "day"},
    )
    assert long.status_code == 422
    assert long.json()["error"]["field"] == "start"


# -- the desk ----------------------------------------------------------------------------------------------


def _get(world: World, path: str, who: str = "commander", **params: Any) -> dict[str, Any]:
    response = world.client.get(f"{D}{path}", params=params, headers=world.staff(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_desk_day_is_the_desk_figures_of_that_day(world: World) -> None:
    start = world.clock.now() - timedelta(hours=2)  # Monday 08:00 in Shanghai
    residents = [world.resident(f"1380000310{i}") for i in range(4)]
    world.staff("officer_a1")
    first = [world.posted(residents[i], text=f"户口问题{i}", point=POINT_A1)["id"] for i in range(2)]
    world.clock.advance(minutes=10)
    world.act("officer_a1", first[0], "reply", body="答复")
    world.client.post(f"{D}/requests/{first[0]}/rate", json={"rating": 5}, headers=residents[0])
    world.clock.advance(days=1)
    later = world.posted(residents[2], text="居住证办理", point=POINT_A1)["id"]
    world.posted(residents[3], text="出入境咨询", point=POINT_B)
    world.clock.advance(minutes=5)
    world.act("officer_a1", later, "reply", body="答复")
    world.client.post(f"{D}/requests/{later}/rate", json={"rating": 2}, headers=residents[2])
    end = world.clock.now() + timedelta(hours=1)

    series = _get(world, "/stats/series", start=start.isoformat(), end=end.isoformat(), step="day")
    assert [b["requests"] for b in series["buckets"]] == [2, 2]
    for bucket in series["buckets"]:
        figures = _get(world, "/stats", start=bucket["start"], end=bucket["end"])
        for key in ("requests", "replied", "replied_on_time", "reply_timeliness", "ratings", "satisfaction"):
            assert bucket[key] == figures[key], (bucket["start"], key)
        assert bucket["new_residents"] == figures["new_residents"]
        assert bucket["pushes"] == figures["pushes"]
    assert [b["satisfaction"] for b in series["buckets"]] == [1.0, 0.0]
    assert sum(b["new_residents"] for b in series["buckets"]) == 4
    # Scoped as the figures are: station B's officer sees the one request of B.
    mine = _get(world, "/stats/series", "officer_b", start=start.isoformat(), end=end.isoformat())
    assert sum(b["requests"] for b in mine["buckets"]) == 1
    assert world.client.get(f"{D}/stats/series", headers=world.staff("partner")).status_code == 403
