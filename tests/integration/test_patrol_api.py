"""Patrol and alarms through the API on the real 象山县: the towns as stations, two of them as patrol zones,
patrol units placed around a point of 丹东街道, a roster, and alarms received, dispatched and closed.

The "135" circles are checked on that geography: units exactly on a circle's border (inside), one beyond,
a stale position, units off duty and on leave (excluded, each with its reason), the same answer for the
point given in GCJ-02, and bad coordinates refused naming the field. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import mapping
from sqlalchemy import select

from pingan.command.patrol.models import UnitType
from pingan.command.patrol.rules import PatrolRules
from pingan.core.areas import import_areas
from pingan.core.db import Database
from pingan.core.geo import EARTH_RADIUS_M, GeoArea, read_geojson_areas, wgs84_to_gcj02
from pingan.core.identity import create_user
from pingan.core.models import Area, Role, Unit, UnitKind
from tests.integration.test_desk_api import API, T0, World, build_world

pytestmark = pytest.mark.shared_data

DANDONG, DANXI, SHIPU = "330225001", "330225002", "330225101"
C = f"{API}/command"


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0], point[1] + math.degrees(metres / EARTH_RADIUS_M)


@dataclass
class Xs:
    world: World
    towns: dict[str, GeoArea]
    scene: tuple[float, float]
    rules: PatrolRules
    units: dict[str, int]
    stations: dict[str, int]

    def staff(self, name: str) -> dict[str, str]:
        return self.world.staff(name)

    def straight_for(self, seconds: float, kind: UnitType) -> float:
        return seconds * self.rules.speed_ms(kind) / self.rules.road_factor


@pytest.fixture
def xs(db: Database, tmp_path: Path, shared_data: Path) -> Iterator[Xs]:
    world = build_world(db, tmp_path)
    towns = {t.code or "": t for t in read_geojson_areas(shared_data / "geo" / "xiangshan_towns.geojson")}
    with db.session() as session:
        import_areas(session, list(towns.values()))
        areas = {a.code: a.id for a in session.scalars(select(Area))}
        stations = {
            code: int(
                session.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == areas[code])) or 0
            )
            for code in (DANDONG, DANXI, SHIPU)
        }
        for name, role, town in (
            ("dd_sz", Role.STATION_HEAD, DANDONG),
            ("dd_mj1", Role.OFFICER, DANDONG),
            ("dd_mj2", Role.OFFICER, DANDONG),
            ("sp_sz", Role.STATION_HEAD, SHIPU),
        ):
            user = create_user(session, name, None, role=role, display_name=name, unit_id=stations[town], now=T0)
            world.users[name] = user.id
    world.services.jurisdictions.invalidate()
    dandong = towns[DANDONG].geometry.representative_point()
    x = Xs(world, towns, (dandong.x, dandong.y), world.services.patrol.rules, {}, stations)
    admin = x.staff("admin")
    zones = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": f"{towns[c].name}片区", "code": f"Z-{c}"},
                "geometry": mapping(towns[c].geometry),
            }
            for c in (DANDONG, DANXI)
        ],
    }
    done = world.client.post(f"{C}/patrol/zones", json=zones, headers=admin)
    assert done.status_code == 200, done.text
    dd = f"station-{DANDONG}"
    placed = {
        # call sign: kind, metres north of the scene, position age
        "DD-CAR-3": (UnitType.CAR, x.straight_for(180, UnitType.CAR), timedelta(0)),  # exactly on the 3-minute border
        "DD-CAR-5": (UnitType.CAR, x.straight_for(180, UnitType.CAR) + 2.0, timedelta(0)),  # just beyond it
        "DD-MOTO-1": (UnitType.MOTORBIKE, x.straight_for(60, UnitType.MOTORBIKE), timedelta(0)),  # on the 1-minute one
        "DD-FOOT": (UnitType.FOOT, 150.0, timedelta(minutes=2)),  # 151 s on foot
        "DD-STALE": (UnitType.EBIKE, 100.0, timedelta(minutes=x.rules.stale_minutes, seconds=30)),
        "DD-OFF": (UnitType.CAR, 50.0, timedelta(0)),  # close, but not on the roster
        "DD-LEAVE": (UnitType.CAR, 60.0, timedelta(0)),  # its leader is on leave
    }
    rows = [
        {"code": code, "name": code, "kind": kind.value, "unit": dd, "zone": f"Z-{DANDONG}"}
        | ({"leader": "dd_mj2"} if code == "DD-LEAVE" else {})
        for code, (kind, _m, _age) in placed.items()
    ]
    rows.append({"code": "SP-CAR", "name": "石浦巡01", "kind": "car", "unit": f"station-{SHIPU}"})
    done = world.client.post(f"{C}/patrol/units", json=rows, headers=admin)
    assert done.status_code == 200, done.text
    assert done.json()["created"] == len(rows), done.text
    now = world.clock.now()
    positions = []
    for code, (_kind, metres, age) in placed.items():
        lon, lat = north_of(x.scene, metres)
        positions.append({"unit": code, "lon": lon, "lat": lat, "at": (now - age).isoformat()})
    positions.append({"unit": "SP-CAR", "lon": x.scene[0], "lat": x.scene[1] - 0.001, "at": now.isoformat()})
    done = world.client.post(f"{C}/patrol/positions", json=positions, headers=admin)
    assert done.status_code == 200, done.text
    assert done.json()["stored"] == len(positions), done.text
    units = {u["code"]: u["id"] for u in world.client.get(f"{C}/patrol/units", headers=admin).json()["items"]}
    x.units = units
    shift = {"starts_at": (now - timedelta(hours=2)).isoformat(), "ends_at": (now + timedelta(hours=6)).isoformat()}
    for code in (*placed, "SP-CAR"):
        if code != "DD-OFF":
            made = world.client.post(f"{C}/patrol/roster", json={**shift, "patrol_unit_id": units[code]}, headers=admin)
            assert made.status_code == 201, made.text
    for officer, kind in (("dd_mj1", "duty"), ("dd_mj2", "leave")):
        body = {**shift, "user_id": world.users[officer], "kind": kind}
        made = world.client.post(f"{C}/patrol/roster", json=body, headers=x.staff("dd_sz"))
        assert made.status_code == 201, made.text
    yield x
    world.client.close()
    world.services.desk.close()


def _reach(x: Xs, lon: float, lat: float, crs: str = "wgs84", who: str = "commander") -> dict[str, Any]:
    got = x.world.client.get(f"{C}/reach", params={"lon": lon, "lat": lat, "crs": crs}, headers=x.staff(who))
    assert got.status_code == 200, got.text
    return dict(got.json())


def _circles(answer: dict[str, Any]) -> dict[str, int | None]:
    return {u["code"]: u["circle"] for u in answer["units"]}


def test_the_135_circles_on_real_ground_with_the_borders_inside(xs: Xs) -> None:
    answer = _reach(xs, *xs.scene)
    circles = _circles(answer)
    assert circles["DD-MOTO-1"] == 1
    assert circles["DD-CAR-3"] == 3
    assert circles["DD-CAR-5"] == 5
    assert circles["DD-FOOT"] == 3
    assert circles["SP-CAR"] == 1  # the centre sees every station's units
    one, three, five = (set(c["units"]) for c in answer["circles"])
    assert one <= three <= five
    assert xs.units["DD-CAR-3"] in three
    assert xs.units["DD-CAR-5"] not in three
    assert xs.units["DD-CAR-5"] in five
    times = [u["travel_s"] for u in answer["units"]]
    assert times == sorted(times)
    assert answer["units"][0]["code"] in ("SP-CAR", "DD-MOTO-1")


def test_stale_off_duty_and_on_leave_units_are_left_out_with_their_reason(xs: Xs) -> None:
    answer = _reach(xs, *xs.scene)
    left = {u["code"]: u["reason"] for u in answer["excluded"]}
    assert left == {"DD-STALE": "stale_position", "DD-OFF": "off_duty", "DD-LEAVE": "leader_on_leave"}
    assert not {"DD-STALE", "DD-OFF", "DD-LEAVE"} & set(_circles(answer))
    assert all(u["detail"] for u in answer["excluded"])


def test_the_point_in_gcj02_gives_the_same_reach(xs: Xs) -> None:
    wgs = _circles(_reach(xs, *xs.scene))
    gcj = _circles(_reach(xs, *wgs84_to_gcj02(*xs.scene), crs="gcj02"))
    # The border unit is within centimetres of its circle: the inverse conversion may move it either way.
    wgs.pop("DD-CAR-3"), gcj.pop("DD-CAR-3")
    assert gcj == wgs
    # Read as WGS84, the GCJ-02 point is some 500 m off: the answer differs.
    assert _circles(_reach(xs, *wgs84_to_gcj02(*xs.scene))) != _circles(_reach(xs, *xs.scene))


def test_a_station_head_sees_only_their_own_stations_units(xs: Xs) -> None:
    codes = set(_circles(_reach(xs, *xs.scene, who="sp_sz")))
    assert codes == {"SP-CAR"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lon": 999, "lat": 29.4}, "lon"),
        ({"lon": 121.9, "lat": 95}, "lat"),
        ({"lon": 121.9}, "lat"),
        ({"lon": "东经121", "lat": 29.4}, "lon"),
        ({"lon": 0, "lat": 0}, "lon"),
        ({"lon": 29.45, "lat": 121.91}, "lat"),
        ({"lon": 121.9, "lat": 29.4, "crs": "bd09"}, "crs"),
        ({"lon": "nan", "lat": 29.4}, "lon"),
    ],
)
def test_bad_coordinates_are_a_4xx_naming_the_field(xs: Xs, params: dict[str, Any], field: str) -> None:
    got = xs.world.client.get(f"{C}/reach", params=params, headers=xs.staff("commander"))
    assert 400 <= got.status_code < 500, got.text
    assert got.json()["error"]["field"].split(".")[-1] == field, got.text


def test_positions_keep_the_newest_refuse_the_future_and_name_bad_fields(xs: Xs) -> None:
    now = xs.world.clock.now()
    lon, lat = north_of(xs.scene, 10)
    batch = [
        {"unit": "DD-FOOT", "lon": lon, "lat": lat, "at": (now - timedelta(hours=1)).isoformat()},  # older
        {"unit": "DD-FOOT", "lon": lon, "lat": lat, "at": (now + timedelta(hours=1)).isoformat()},  # future
        {"unit": "DD-FOOT", "lon": 200, "lat": lat, "at": now.isoformat()},
        {"unit": "NO-SUCH", "lon": lon, "lat": lat, "at": now.isoformat()},
        {"unit": "SP-CAR", "lon": lon, "lat": lat, "at": now.isoformat()},  # another station's, for dd_sz
    ]
    got = xs.world.client.post(f"{C}/patrol/positions", json=batch, headers=xs.staff("dd_sz"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["stored"] == 0
    assert body["older"] == 1
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(1, "at"), (2, "lon"), (3, "unit"), (4, "unit")]
    gcj = wgs84_to_gcj02(lon, lat)
    got = xs.world.client.post(
        f"{C}/patrol/positions",
        json={"positions": [{"unit": "DD-FOOT", "lon": gcj[0], "lat": gcj[1], "crs": "gcj02", "at": now.isoformat()}]},
        headers=xs.staff("dd_mj1"),
    )
    assert got.json()["stored"] == 1, got.text
    foot = next(
        u
        for u in xs.world.client.get(f"{C}/patrol/units", headers=xs.staff("dd_sz")).json()["items"]
        if u["code"] == "DD-FOOT"
    )
    assert foot["lon"] == pytest.approx(lon, abs=1e-5)
    assert foot["lat"] == pytest.approx(lat, abs=1e-5)


def _alarm(xs: Xs, source_id: str, point: tuple[float, float], **extra: Any) -> Any:
    body = {"source": "110", "source_id": source_id, "category": "dispute", "text": "夜宵摊有人吵架", **extra}
    body.update(lon=point[0], lat=point[1])
    return xs.world.client.post(f"{C}/alarms", json=body, headers=xs.staff("commander"))


def _act(xs: Xs, task_id: int, who: str, **body: Any) -> Any:
    return xs.world.client.post(f"{API}/tasks/{task_id}/actions", json=body, headers=xs.staff(who))


def test_an_alarm_is_received_once_placed_graded_dispatched_to_an_on_duty_unit_and_closed(xs: Xs) -> None:
    gcj = wgs84_to_gcj02(*xs.scene)
    first = _alarm(xs, "110-20261116-0001", gcj, crs="gcj02", text="有人持刀威胁", caller_phone="139 0574 0001")
    assert first.status_code == 201, first.text
    alarm = first.json()
    replay = _alarm(xs, "110-20261116-0001", gcj, crs="gcj02", text="有人持刀威胁")
    assert replay.status_code == 200
    assert replay.json()["id"] == alarm["id"]
    assert replay.json()["duplicate"] is True
    assert alarm["level"] == "critical"
    assert alarm["caller_phone"] != "13905740001"  # masked
    assert alarm["unit_id"] == xs.stations[DANDONG]
    assert alarm["zone_name"] == "丹东街道片区"
    assert alarm["lon"] == pytest.approx(xs.scene[0], abs=1e-5)
    detail = xs.world.client.get(f"{C}/alarms/{alarm['id']}", headers=xs.staff("dd_sz")).json()
    proposed = detail["reach"]["proposed"]
    assert proposed[0] == xs.units["DD-MOTO-1"]  # dd_sz's own units: the 石浦 car is not theirs
    assert xs.units["SP-CAR"] not in proposed
    assert not {xs.units[c] for c in ("DD-OFF", "DD-LEAVE", "DD-STALE")} & set(proposed)
    task_id = detail["task_id"]
    assert "dispatch" in detail["allowed_actions"]

    refused = _act(xs, task_id, "dd_sz", action="dispatch", patrol_unit_id=xs.units["DD-OFF"])
    assert refused.status_code == 422
    assert (refused.json()["error"]["field"], refused.json()["error"]["code"]) == ("patrol_unit_id", "off_duty")
    refused = _act(xs, task_id, "dd_sz", action="dispatch", patrol_unit_id=xs.units["DD-LEAVE"])
    assert refused.json()["error"]["code"] == "leader_on_leave"
    refused = _act(xs, task_id, "dd_sz", action="dispatch", patrol_unit_id=xs.units["SP-CAR"])
    assert refused.json()["error"]["code"] == "no_such_unit"  # not the station's own
    refused = _act(xs, task_id, "dd_sz", action="assign", assignee_id=xs.world.users["dd_mj2"])
    assert (refused.json()["error"]["field"], refused.json()["error"]["code"]) == ("assignee_id", "on_leave")
    assert _act(xs, task_id, "dd_sz", action="assign", assignee_id=xs.world.users["dd_mj1"]).status_code == 200

    xs.world.clock.advance(timedelta(seconds=45))
    sent = _act(xs, task_id, "dd_mj1", action="dispatch", patrol_unit_id=xs.units["DD-MOTO-1"])
    assert sent.status_code == 200, sent.text
    # The unit now works this alarm: another alarm nearby does not propose it.
    other = _alarm(xs, "110-20261116-0002", xs.scene).json()
    other_reach = xs.world.client.get(f"{C}/alarms/{other['id']}", headers=xs.staff("commander")).json()["reach"]
    assert {u["code"]: u["reason"] for u in other_reach["excluded"]}["DD-MOTO-1"] == "busy"
    busy = _act(xs, other["task_id"], "commander", action="dispatch", patrol_unit_id=xs.units["DD-MOTO-1"])
    assert busy.json()["error"]["code"] == "busy"

    xs.world.clock.advance(timedelta(seconds=75))
    assert _act(xs, task_id, "dd_mj1", action="arrive").status_code == 200
    early = _act(xs, task_id, "dd_mj1", action="finish", outcome="nonsense", result="x")
    assert early.status_code == 422
    assert early.json()["error"]["field"] == "outcome"
    done = _act(xs, task_id, "dd_mj1", action="finish", outcome="criminal_case", result="当场控制嫌疑人，刑事立案")
    assert done.status_code == 200, done.text
    closed = xs.world.client.get(f"{C}/alarms/{alarm['id']}", headers=xs.staff("commander")).json()
    assert closed["outcome"] == "criminal_case"
    assert closed["dispatch_s"] == 45
    assert closed["arrive_s"] == 75
    assert closed["response_s"] == 120
    # Finished, the unit is free again.
    free = xs.world.client.get(f"{C}/alarms/{other['id']}", headers=xs.staff("commander")).json()["reach"]
    assert "DD-MOTO-1" not in {u["code"] for u in free["excluded"]}

    figures = xs.world.client.get(f"{C}/alarms/figures", headers=xs.staff("commander")).json()
    zone = next(z for z in figures["zones"] if z["zone_code"] == f"Z-{DANDONG}")
    assert zone["alarms"] == 2
    assert zone["arrived"] == 1
    assert zone["received_to_arrived"]["median_s"] == 120
    assert zone["arrived_within"] == {"1": 0, "3": 1, "5": 1}
    assert figures["total"]["alarms"] == 2
    # Station B's head sees none of it.
    hidden = xs.world.client.get(f"{C}/alarms/{alarm['id']}", headers=xs.staff("sp_sz"))
    assert hidden.status_code == 404
    assert xs.world.client.get(f"{C}/alarms/figures", headers=xs.staff("sp_sz")).json()["total"]["alarms"] == 0


def test_an_alarm_outside_every_station_goes_to_the_centre_and_bad_places_are_refused(xs: Xs) -> None:
    at_sea = _alarm(xs, "110-sea", (122.6, 29.3), text="渔船上有人落水", category="rescue")
    assert at_sea.status_code == 201, at_sea.text
    with xs.world.services.db.session() as session:
        centre = session.scalar(select(Unit.id).where(Unit.kind == UnitKind.COMMAND_CENTRE))
    assert at_sea.json()["unit_id"] == centre
    assert at_sea.json()["level"] == "critical"
    for point, field in (((0.0, 0.0), "lon"), ((121.9, 95.0), "lat"), ((500.0, 29.0), "lon")):
        got = _alarm(xs, f"110-bad-{field}-{point[0]}", point)
        assert got.status_code == 422, got.text
        assert got.json()["error"]["field"] == field
    half = xs.world.client.post(
        f"{C}/alarms",
        json={"source": "walk_in", "source_id": "w-1", "text": "丢了钱包", "lon": 121.9},
        headers=xs.staff("dd_mj1"),
    )
    assert half.status_code == 422
    assert half.json()["error"]["field"] == "lat"
    walk_in = xs.world.client.post(
        f"{C}/alarms",
        json={"source": "walk_in", "source_id": "w-2", "text": "丢了钱包", "category": "help"},
        headers=xs.staff("dd_mj1"),
    )
    assert walk_in.status_code == 201
    assert walk_in.json()["unit_id"] == xs.stations[DANDONG]  # no place given: the station that took it holds it
    by_centre = xs.world.client.post(
        f"{C}/alarms", json={"source": "110", "source_id": "c-1", "text": "有人求助"}, headers=xs.staff("commander")
    )
    assert by_centre.json()["unit_id"] == centre  # the centre's own, to route
    detail = xs.world.client.get(f"{C}/alarms/{walk_in.json()['id']}", headers=xs.staff("commander")).json()
    assert detail["reach"] is None


def test_the_roster_of_today_and_who_may_change_it(xs: Xs) -> None:
    roster = xs.world.client.get(f"{C}/patrol/roster", headers=xs.staff("dd_sz")).json()
    kinds = {(r["patrol_unit_code"] or r["user_name"], r["kind"]) for r in roster["items"]}
    assert ("dd_mj2", "leave") in kinds
    assert ("DD-CAR-3", "duty") in kinds
    assert all(r["unit_id"] == xs.stations[DANDONG] for r in roster["items"])
    sp = next(
        r
        for r in xs.world.client.get(f"{C}/patrol/roster", headers=xs.staff("admin")).json()["items"]
        if r["patrol_unit_code"] == "SP-CAR"
    )
    assert xs.world.client.delete(f"{C}/patrol/roster/{sp['id']}", headers=xs.staff("dd_sz")).status_code == 404
    now = xs.world.clock.now()
    wrong = {"patrol_unit_id": xs.units["DD-OFF"], "starts_at": now.isoformat(), "ends_at": now.isoformat()}
    got = xs.world.client.post(f"{C}/patrol/roster", json=wrong, headers=xs.staff("dd_sz"))
    assert (got.status_code, got.json()["error"]["field"]) == (422, "ends_at")
    both = {**wrong, "ends_at": (now + timedelta(hours=1)).isoformat(), "user_id": xs.world.users["dd_mj1"]}
    assert (
        xs.world.client.post(f"{C}/patrol/roster", json=both, headers=xs.staff("dd_sz")).json()["error"]["field"]
        == "user_id"
    )
    theirs = {**wrong, "patrol_unit_id": xs.units["SP-CAR"], "ends_at": (now + timedelta(hours=1)).isoformat()}
    assert (
        xs.world.client.post(f"{C}/patrol/roster", json=theirs, headers=xs.staff("dd_sz")).json()["error"]["field"]
        == "patrol_unit_id"
    )
    # Put DD-OFF on duty now: it enters the reach (the reach's cached roster follows every change, also a
    # shift given the id of one just deleted, as SQLite does).
    assert "DD-OFF" not in _circles(_reach(xs, *xs.scene))
    on = {**wrong, "ends_at": (now + timedelta(hours=1)).isoformat()}
    for _ in range(2):
        made = xs.world.client.post(f"{C}/patrol/roster", json=on, headers=xs.staff("dd_sz"))
        assert made.status_code == 201, made.text
        assert "DD-OFF" in _circles(_reach(xs, *xs.scene))
        gone = xs.world.client.delete(f"{C}/patrol/roster/{made.json()['id']}", headers=xs.staff("dd_sz"))
        assert gone.status_code == 204
        assert "DD-OFF" not in _circles(_reach(xs, *xs.scene))
        xs.world.clock.advance(timedelta(seconds=1))


def test_zones_from_the_gcj02_file_land_where_the_wgs84_ones_are(xs: Xs, shared_data: Path) -> None:
    import orjson

    document = orjson.loads((shared_data / "geo" / "xiangshan_towns.gcj02.geojson").read_bytes())
    document["features"] = [f for f in document["features"] if str(f["properties"].get("adcode")) == SHIPU]
    got = xs.world.client.post(
        f"{C}/patrol/zones",
        params={"crs": "gcj02", "code_property": "adcode"},
        json=document,
        headers=xs.staff("commander"),
    )
    assert got.status_code == 200, got.text
    zones = xs.world.client.get(f"{C}/patrol/zones", headers=xs.staff("officer_a1")).json()["features"]
    shipu = next(z for z in zones if z["properties"]["code"] == SHIPU)
    assert shipu["properties"]["unit_id"] == xs.stations[SHIPU]
    from shapely.geometry import shape

    drawn = shape(shipu["geometry"])
    truth = xs.towns[SHIPU].geometry
    assert drawn.symmetric_difference(truth).area / truth.area < 0.01
    bad = xs.world.client.post(
        f"{C}/patrol/zones",
        json={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": "x"},
                    "geometry": {"type": "Point", "coordinates": [121, 29]},
                }
            ],
        },
        headers=xs.staff("commander"),
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"]
    too_long = {**document, "features": [{**document["features"][0], "properties": {"name": "石浦", "code": "Z" * 40}}]}
    refused = xs.world.client.post(f"{C}/patrol/zones", json=too_long, headers=xs.staff("commander"))
    assert (refused.status_code, refused.json()["error"]["field"]) == (422, "code")
    assert xs.world.client.post(f"{C}/patrol/zones", json=document, headers=xs.staff("dd_sz")).status_code == 403
