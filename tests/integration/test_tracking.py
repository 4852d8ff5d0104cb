"""Tracking (民生地网) through its API on SQLite and PostgreSQL: the registry, detections (replays, two
stations' overlap, out-of-order and late ones), thefts and their alerts, bracelets' safe areas (flapping at
the border, silence, removal), base-station health, compensation on its edge days, figures, owner scoping."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from pingan.core.db import Database
from pingan.core.models import Notification, Task, TaskEvent
from pingan.tracking import queries as tracking_queries
from pingan.tracking.models import Detection, Station, Tag
from pingan.workers.sweeper import sweep_once
from tests.integration.test_desk_api import T0, db_fixture  # noqa: F401
from tests.integration.tracking_world import (
    GUARDIAN,
    OTHER_OWNER,
    OWNER,
    STATIONS,
    TAGS,
    TrackingWorld,
    at,
    build_tracking_world,
)


@pytest.fixture(name="tw")
def tracking_world(db: Database, tmp_path: Path) -> Iterator[TrackingWorld]:
    world = build_tracking_world(db, tmp_path)
    yield world
    world.client.close()
    world.w.services.desk.close()


def _alerts(tw: TrackingWorld, who: str = "commander", **params: object) -> list[dict[str, object]]:
    response = tw.get(who, "/alerts", **params)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()
    return items


# -- the registry ------------------------------------------------------------------------------------------


def test_a_replayed_registry_changes_nothing_and_bad_rows_are_named_while_good_ones_are_kept(tw: TrackingWorld) -> None:
    again = tw.post("admin", "/tags", TAGS).json()
    assert (again["created"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, len(TAGS), [])
    assert tw.post("admin", "/stations", STATIONS).json()["unchanged"] == len(STATIONS)
    mixed = [
        {**TAGS[0], "tag": "CARD-9", "owner_phone": "无"},
        {**TAGS[0], "tag": "CARD-10", "kind": "spaceship"},
        {**TAGS[0], "tag": "CARD-11", "plate": None, "frame_no": None},
        {**TAGS[0], "tag": "CARD-12", "colour": "红"},
        "not an object",
    ]
    result = tw.post("admin", "/tags", mixed).json()
    assert result["created"] == 1
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [
        (0, "owner_phone"),
        (1, "kind"),
        (2, "plate"),
        (4, None),
    ]
    assert result["rejected"][1]["message"].startswith("须为以下之一：'vehicle_card'")
    changed = tw.post("admin", "/tags", [{**TAGS[0], "colour": "蓝"}]).json()
    assert changed["updated"] == 1


def test_the_registry_takes_the_clis_csv_files_as_an_upload_with_bad_lines_named(tw: TrackingWorld) -> None:
    headers = tw.w.staff("admin")
    stations = (
        "code,name,lon,lat,village,radius_m\n"
        f"S1,{STATIONS[0]['name']},{STATIONS[0]['lon']},{STATIONS[0]['lat']},{STATIONS[0]['village']},{STATIONS[0]['radius_m']}\n"
        "S-NEW,新基站,121.9,29.45,新村,500\n"
        "S-BAD,坏基站,东经,29.45,坏村,500\n"
    )
    files = {"file": ("stations.csv", stations.encode("utf-8-sig"), "text/csv")}
    result = tw.client.post("/api/v1/tracking/stations", files=files, headers=headers)
    assert result.status_code == 200, result.text
    body = result.json()
    assert (body["created"], body["rejected"][0]["index"], body["rejected"][0]["field"]) == (1, 4, "lon")
    assert body["rejected"][0]["message"] == "须为数字"  # read by people on the screen: in Chinese
    again = tw.client.post("/api/v1/tracking/stations", files=files, headers=headers).json()
    assert (again["created"], again["updated"]) == (0, 0)  # a replay changes nothing
    tags = "tag,kind,owner_phone,owner_name,plate,frame_no,installed_at,service_point\nCARD-CSV,vehicle_card,13800000001,张某,浙B12345,F1,2026-10-01,城关网点\n"
    made = tw.client.post(
        "/api/v1/tracking/tags", files={"file": ("t.csv", tags.encode(), "text/csv")}, headers=headers
    )
    assert made.json()["created"] == 1, made.text
    # A file that is not the registry's, or not UTF-8, is refused whole with the field named.
    wrong = tw.client.post(
        "/api/v1/tracking/tags", files={"file": ("t.csv", b"a,b\n1,2\n", "text/csv")}, headers=headers
    )
    assert (wrong.status_code, wrong.json()["error"]["field"]) == (422, "file")
    gbk = tw.client.post(
        "/api/v1/tracking/tags", files={"file": ("t.csv", "标签".encode("gbk"), "text/csv")}, headers=headers
    )
    assert (gbk.status_code, gbk.json()["error"]["field"]) == (422, "file")
    missing = tw.client.post(
        "/api/v1/tracking/tags", data={"x": "1"}, files={"other": ("t", b"", "text/csv")}, headers=headers
    )
    assert (missing.status_code, missing.json()["error"]["field"]) == (422, "file")
    officer = tw.client.post(
        "/api/v1/tracking/tags", files={"file": ("t.csv", tags.encode(), "text/csv")}, headers=tw.w.staff("officer_a1")
    )
    assert officer.status_code == 403


def test_only_registrars_register_and_staff_see_owners_masked_unless_revealed(tw: TrackingWorld) -> None:
    assert tw.post("officer_a1", "/tags", TAGS).status_code == 403
    listed = tw.get("officer_a1", "/tags").json()["items"]
    card = next(t for t in listed if t["tag"] == "CARD-1")
    assert card["owner_phone"] != OWNER
    assert "*" in card["owner_phone"]
    assert card["plate"] == "浙B12345"
    assert tw.get("officer_b", "/tags").json()["items"] == []  # the owners live in station A
    revealed = tw.get("officer_a1", "/tags", reveal="true").json()["items"]
    assert OWNER in {t["owner_phone"] for t in revealed}


# -- detections --------------------------------------------------------------------------------------------


def test_a_replay_is_a_duplicate_and_two_stations_overlap_is_one_sighting_with_the_best_signal(
    tw: TrackingWorld,
) -> None:
    first = tw.detect({"tag": "CARD-1", "at": at(0), "rssi": -80, "station": "S1"})
    assert (first["accepted"], first["duplicates"]) == (1, 0)
    replay = tw.detect({"tag": "CARD-1", "at": at(0), "rssi": -80, "station": "S1"})
    assert (replay["accepted"], replay["duplicates"]) == (0, 1)
    overlap = tw.detect({"tag": "CARD-1", "at": at(0.05), "rssi": -60, "station": "S2"})  # 3 s later, next station
    assert (overlap["accepted"], overlap["merged"]) == (0, 1)
    with tw.w.services.db.session() as session:
        rows = session.scalars(select(Detection)).all()
        assert len(rows) == 1
        assert rows[0].rssi == -60
        assert sorted(rows[0].stations) == ["S1", "S2"]
    track = tw.get("commander", "/tags/CARD-1/track").json()
    points = [f for f in track["features"] if f["geometry"]["type"] == "Point"]
    assert [p["properties"]["station"] for p in points] == ["S2"]


def test_out_of_order_detections_take_their_place_in_time_and_bad_items_are_named(tw: TrackingWorld) -> None:
    result = tw.detect(
        {"tag": "CARD-1", "at": at(30), "station": "S4"},
        {"tag": "CARD-1", "at": at(10), "station": "S1"},
        {"tag": "NOPE", "at": at(11), "station": "S1"},
        {"tag": "CARD-1", "at": "yesterday", "station": "S1"},
        {"tag": "CARD-1", "at": at(12), "station": "S9"},
        {"tag": "CARD-1", "at": at(13)},
    )
    assert result["accepted"] == 2
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [
        (2, "tag"),
        (3, "at"),
        (4, "station"),
        (5, "station"),
    ]
    late = tw.detect({"tag": "CARD-1", "at": at(20), "station": "S2"})
    assert late["accepted"] == 1
    track = tw.get("commander", "/tags/CARD-1/track", **{"from": at(0), "to": at(60)}).json()
    stations = [f["properties"]["station"] for f in track["features"] if f["geometry"]["type"] == "Point"]
    assert stations == ["S1", "S2", "S4"]
    with tw.w.services.db.session() as session:
        tag = session.scalar(select(Tag).where(Tag.code == "CARD-1"))
        assert tag is not None
        assert tag.last_seen_at == T0 + timedelta(minutes=30)
    assert tw.get("commander", "/tags/CARD-1/track", **{"from": at(60), "to": at(0)}).status_code == 422


def test_a_move_faster_than_the_kinds_limit_is_flagged_as_an_impossible_jump(tw: TrackingWorld) -> None:
    # S1 → S3 is about 12.6 km: in one minute that is ~700 km/h, over a bike's 120 km/h.
    tw.detect({"tag": "CARD-1", "at": at(0), "station": "S1"}, {"tag": "CARD-1", "at": at(1), "station": "S3"})
    tw.detect({"tag": "CARD-1", "at": at(60), "station": "S1"})  # an hour later: ~12 km/h, possible
    track = tw.get("commander", "/tags/CARD-1/track").json()
    jumps = [f["properties"]["jump"] for f in track["features"] if f["geometry"]["type"] == "Point"]
    assert jumps == [False, True, False]
    assert track["features"][0]["properties"]["jumps"] == 1


def test_a_jump_is_judged_against_the_last_sighting_of_an_earlier_batch(tw: TrackingWorld) -> None:
    # Each batch alone holds one sighting: the move is judged against the tag's last sighting (an in-order
    # stream reads no detections back), and a late one between them against the stored ones around it.
    tw.detect({"tag": "CARD-2", "at": at(0), "station": "S1"})
    tw.detect({"tag": "CARD-2", "at": at(1), "station": "S3"})  # ~12.6 km in a minute
    tw.detect({"tag": "CARD-2", "at": at(300), "station": "S4"})  # five hours later: possible
    tw.detect({"tag": "CARD-2", "at": at(0.5), "station": "S4"})  # late: S1 → S4 (~4.9 km) in 30 s
    track = tw.get("commander", "/tags/CARD-2/track").json()
    points = [f["properties"] for f in track["features"] if f["geometry"]["type"] == "Point"]
    assert [(p["station"], p["jump"]) for p in points] == [("S1", False), ("S4", True), ("S3", True), ("S4", False)]


# -- thefts ------------------------------------------------------------------------------------------------


def test_a_stolen_bike_seen_raises_one_alert_to_the_detecting_station_and_tells_the_owners(tw: TrackingWorld) -> None:
    tw.detect({"tag": "CARD-1", "at": at(-30), "station": "S1"})  # before the theft: its last place
    me = tw.w.resident(OWNER)
    reported = tw.client.post("/api/v1/tracking/thefts", json={"tag": "CARD-1", "stolen_at": at(-20)}, headers=me)
    assert reported.status_code == 201, reported.text
    theft = reported.json()
    assert theft["status"] == "watched"
    assert _alerts(tw) == []  # the sighting before the theft is no alert
    seen = tw.detect({"tag": "CARD-1", "at": at(5), "rssi": -70, "station": "S3"})
    assert len(seen["alerts"]) == 1
    [alert] = _alerts(tw)
    assert (alert["kind"], alert["station"], alert["heading"]) == ("theft_sighting", "S3", "东")
    assert alert["at"] == (T0 + timedelta(minutes=5)).isoformat()
    assert alert["unit_id"] == tw.w.ids["station-B"]  # the station of the base station that heard it
    assert [a["id"] for a in _alerts(tw, "officer_a1")] == [alert["id"]]  # the owner's station sees it too
    assert [a["id"] for a in _alerts(tw, "officer_b")] == [alert["id"]]
    with tw.w.services.db.session() as session:
        told = set(session.scalars(select(Notification.unit_id).where(Notification.task_id == alert["task_id"])))
    assert {tw.w.ids["station-A"], tw.w.ids["station-B"]} <= told
    # Later sightings of the same episode update it; a late one from before does not raise another.
    tw.detect({"tag": "CARD-1", "at": at(9), "station": "S4"})
    tw.detect({"tag": "CARD-1", "at": at(2), "station": "S1"})
    [again] = _alerts(tw)
    assert again["id"] == alert["id"]
    assert again["last_at"] == (T0 + timedelta(minutes=9)).isoformat()
    assert again["heading"] == "西"
    with tw.w.services.db.session() as session:
        history = session.scalars(
            select(TaskEvent.action).where(TaskEvent.task_id == alert["task_id"]).order_by(TaskEvent.id)
        ).all()
    assert list(history) == ["issue", "sighted"]
    # Recovery: where, by whom, suspects; the figures count it.
    recovered = tw.post("officer_b", f"/thefts/{theft['id']}/recovery", {"place": "乙镇某小区楼下", "suspects": 1})
    assert recovered.status_code == 404  # the theft lies in the owner's station, not B's
    recovered = tw.post("officer_a1", f"/thefts/{theft['id']}/recovery", {"place": "乙镇某小区楼下", "suspects": 1})
    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["status"] == "recovered"
    figures = tw.get("commander", "/figures", start=at(-60 * 24 * 90), end=at(60)).json()
    assert (figures["thefts"], figures["recovered"], figures["recovery_rate"], figures["suspects_caught"]) == (
        1,
        1,
        1.0,
        1,
    )
    assert figures["cards_installed"] == 2


def test_gangs_broken_count_each_gang_once_however_its_name_is_spaced_and_a_long_name_is_refused(
    tw: TrackingWorld,
) -> None:
    thefts = []
    for tag in ("CARD-1", "CARD-2"):
        reported = tw.post("officer_a1", "/thefts", {"tag": tag, "stolen_at": at(-30)})
        assert reported.status_code == 201, reported.text
        thefts.append(reported.json()["id"])
    too_long = tw.post("officer_a1", f"/thefts/{thefts[0]}/recovery", {"place": "甲镇", "gang": "团" * 65})
    assert (too_long.status_code, too_long.json()["error"]["field"]) == (422, "gang")
    assert tw.get("officer_a1", "/figures", start=at(-60), end=at(60)).json()["gangs_broken"] == 0

    first = tw.post(
        "officer_a1", f"/thefts/{thefts[0]}/recovery", {"place": "甲镇", "suspects": 2, "gang": " 象公刑案 118号 "}
    )
    assert first.status_code == 200, first.text
    assert first.json()["gang"] == "象公刑案 118号"
    second = {"place": "乙镇", "suspects": 1, "gang": "象公刑案\u3000 118号"}
    assert tw.post("officer_a1", f"/thefts/{thefts[1]}/recovery", second).status_code == 200
    figures = tw.get("commander", "/figures", start=at(-60), end=at(60)).json()
    assert (figures["recovered"], figures["suspects_caught"], figures["gangs_broken"]) == (2, 3, 1)
    before = tw.get("commander", "/figures", start=at(-60), end=at(-1)).json()
    assert before["gangs_broken"] == 0, "a gang counts in the period of its recovery"


def test_a_theft_is_reported_only_by_its_owner_or_the_owners_station_and_not_twice(tw: TrackingWorld) -> None:
    stranger = tw.w.resident(OTHER_OWNER)
    body = {"tag": "CARD-1", "stolen_at": at(-60)}
    assert tw.client.post("/api/v1/tracking/thefts", json=body, headers=stranger).status_code == 404
    assert tw.post("officer_b", "/thefts", body).status_code == 404
    assert tw.post("officer_a1", "/thefts", {**body, "stolen_at": at(60)}).json()["error"]["field"] == "stolen_at"
    assert tw.post("officer_a1", "/thefts", body).status_code == 201
    twice = tw.post("officer_a1", "/thefts", body)
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "already_watched")


def test_a_theft_reported_late_is_sighted_at_once_from_the_detection_already_stored(tw: TrackingWorld) -> None:
    tw.detect({"tag": "CARD-2", "at": at(-10), "station": "S3"})
    theft = tw.post("officer_a1", "/thefts", {"tag": "CARD-2", "stolen_at": at(-30)}).json()
    [alert] = _alerts(tw)
    assert (alert["kind"], alert["station"]) == ("theft_sighting", "S3")
    assert alert["at"] == (T0 - timedelta(minutes=10)).isoformat()
    # Its task says so too, as a sighting after the report would: 已发现, where and when, in its history.
    task = _task(tw, "officer_a1", theft["task_id"])
    assert task["status_name"] == "已发现"
    assert {f["name"]: f["value"] for f in task["facts"]}["首次发现基站"] == "乙镇基站"
    assert [h["action"] for h in task["history"]] == ["issue", "sighted"]


# -- bracelets -----------------------------------------------------------------------------------------------


def test_drift_at_the_border_does_not_flap_and_two_detections_outside_confirm_one_exit(tw: TrackingWorld) -> None:
    flapping = ["S1", "S4", "S2", "S4", "S1", "S4", "S2"]  # out and back again, never twice out in a row
    for i, station in enumerate(flapping):
        tw.detect({"tag": "BR-1", "at": at(i), "station": station})
    assert _alerts(tw) == []
    tw.detect({"tag": "BR-1", "at": at(10), "station": "S4"})
    assert _alerts(tw) == []  # one outside: not yet
    tw.detect({"tag": "BR-1", "at": at(11), "station": "S3"})
    [exit_alert] = _alerts(tw)
    assert (exit_alert["kind"], exit_alert["station"]) == ("geofence_exit", "S3")
    tw.detect({"tag": "BR-1", "at": at(12), "station": "S3"}, {"tag": "BR-1", "at": at(13), "station": "S4"})
    assert len(_alerts(tw)) == 1  # the same episode
    # Back home, then out again twice: a new episode.
    tw.detect({"tag": "BR-1", "at": at(20), "station": "S1"})
    tw.detect({"tag": "BR-1", "at": at(30), "station": "S4"}, {"tag": "BR-1", "at": at(31), "station": "S4"})
    assert [a["kind"] for a in _alerts(tw)] == ["geofence_exit", "geofence_exit"]
    # The guardian (the tag's owner) is told, as a resident.
    guardian = tw.w.actor_for_phone(GUARDIAN)
    with tw.w.services.db.session() as session:
        titles = session.scalars(select(Notification.title).where(Notification.user_id == guardian.id)).all()
    assert titles == []  # signed in after the alerts: the notices went to nobody yet
    tw.detect({"tag": "BR-1", "at": at(40), "station": "S1"})
    tw.detect({"tag": "BR-1", "at": at(41), "station": "S3"}, {"tag": "BR-1", "at": at(42), "station": "S3"})
    with tw.w.services.db.session() as session:
        titles = session.scalars(select(Notification.title).where(Notification.user_id == guardian.id)).all()
    assert len(titles) == 1
    assert "离开安全区域" in titles[0]


def test_a_sighting_heard_inside_by_one_of_two_overlapping_stations_counts_as_inside(tw: TrackingWorld) -> None:
    # S1 is AR-1's safe area; S2 overlaps it. Heard by both: inside, however strong S2's signal.
    for minute in (0, 1, 2):
        tw.detect(
            {"tag": "AR-1", "at": at(minute), "rssi": -90, "station": "S1"},
            {"tag": "AR-1", "at": at(minute + 0.02), "rssi": -50, "station": "S2"},
        )
    assert _alerts(tw) == []


def test_removing_an_anti_removal_bracelet_alerts_at_once_and_once(tw: TrackingWorld) -> None:
    tw.detect({"tag": "AR-1", "at": at(0), "station": "S1", "event": "removed"})
    [alert] = _alerts(tw)
    assert alert["kind"] == "removal"
    tw.detect({"tag": "AR-1", "at": at(1), "station": "S1", "event": "removed"})
    assert len(_alerts(tw)) == 1
    with tw.w.services.db.session() as session:
        task = session.get(Task, alert["task_id"])
        assert task is not None
        assert task.level == "critical"
    handled = tw.client.post(
        f"/api/v1/tasks/{alert['task_id']}/actions",
        json={"action": "handle", "outcome": "已找到本人，重新佩戴"},
        headers=tw.w.staff("officer_a1"),
    )
    assert handled.status_code == 200, handled.text
    tw.detect({"tag": "AR-1", "at": at(30), "station": "S1", "event": "removed"})
    assert len(_alerts(tw)) == 2  # handled: a new removal is a new episode
    # The guardian sees the wearer's two episodes on the residents' page, newest first; the owner of a bike
    # sees none of them.
    guardian = tw.get(tw.w.resident(GUARDIAN), "/me/tags").json()
    [bracelet] = [t for t in guardian if t["tag"] == "AR-1"]
    assert [(a["kind"], a["station_name"]) for a in bracelet["alerts"]] == [("removal", "甲一村基站")] * 2
    assert bracelet["alerts"][0]["at"] > bracelet["alerts"][1]["at"]
    assert "task_id" not in bracelet["alerts"][0]
    assert all(t["alerts"] == [] for t in tw.get(tw.w.resident(OWNER), "/me/tags").json())


def test_a_silent_bracelet_alerts_after_its_own_threshold_once_until_it_is_heard_again(tw: TrackingWorld) -> None:
    tw.detect({"tag": "BR-1", "at": at(0), "station": "S1"})
    tw.w.clock.advance(hours=5, minutes=59)
    sweep_once(tw.w.services)
    assert _alerts(tw, tag="BR-1") == []
    # AR-1 was never heard since it was installed in October: silent long ago.
    assert [a["kind"] for a in _alerts(tw, tag="AR-1")] == ["silence"]
    tw.w.clock.advance(minutes=2)
    sweep_once(tw.w.services)
    [silence] = _alerts(tw, kind="silence", tag="BR-1")
    assert silence["at"] == (T0 + timedelta(hours=6)).isoformat()
    sweep_once(tw.w.services)
    assert len(_alerts(tw, kind="silence", tag="BR-1")) == 1
    tw.detect({"tag": "BR-1", "at": at(6 * 60 + 5), "station": "S1"})
    tw.w.clock.advance(hours=7)
    sweep_once(tw.w.services)
    assert len(_alerts(tw, kind="silence", tag="BR-1")) == 2


def test_a_low_battery_alerts_once_until_it_is_charged(tw: TrackingWorld) -> None:
    tw.detect({"tag": "BR-1", "at": at(0), "station": "S1", "battery": 12})
    tw.detect({"tag": "BR-1", "at": at(1), "station": "S1", "battery": 10})
    assert [a["kind"] for a in _alerts(tw)] == ["low_battery"]
    tw.detect({"tag": "BR-1", "at": at(2), "station": "S1", "battery": 90})
    tw.detect({"tag": "BR-1", "at": at(3), "station": "S1", "battery": 9})
    assert [a["kind"] for a in _alerts(tw)] == ["low_battery", "low_battery"]


# -- base stations ---------------------------------------------------------------------------------------


def test_a_silent_station_raises_one_maintenance_task_for_the_operator_that_closes_when_heard(
    tw: TrackingWorld,
) -> None:
    tw.detect({"tag": "CARD-1", "at": at(0), "station": "S1"})
    assert (
        tw.client.post(
            "/api/v1/tracking/stations/S3/status", json={"battery": 80}, headers=tw.w.staff("feed")
        ).status_code
        == 204
    )
    tw.w.clock.advance(minutes=61)
    tw.client.post("/api/v1/tracking/stations/S3/status", json={"battery": 79}, headers=tw.w.staff("feed"))
    sweep_once(tw.w.services)
    sweep_once(tw.w.services)
    with tw.w.services.db.session() as session:
        tasks = session.scalars(select(Task).where(Task.kind == "station_maintenance")).all()
        assert [(t.unit_id, t.facts["station"]) for t in tasks] == [(tw.w.ids["diwang-operator"], "S1")]
        task_id = tasks[0].id
    stations = {f["properties"]["code"]: f["properties"] for f in tw.get("commander", "/stations").json()["features"]}
    assert stations["S1"]["silent"] is True
    assert stations["S3"]["silent"] is False
    assert stations["S3"]["status"] == {"battery": 79}
    assert stations["S1"]["detections_last_hour"] == 0
    # The operator's staff see their task; the station officers do not.
    mine = tw.client.get("/api/v1/tasks", params={"kind": "station_maintenance"}, headers=tw.w.staff("diwang"))
    assert [t["id"] for t in mine.json()["items"]] == [task_id]
    theirs = tw.client.get("/api/v1/tasks", params={"kind": "station_maintenance"}, headers=tw.w.staff("officer_a1"))
    assert theirs.json()["items"] == []
    tw.detect({"tag": "CARD-1", "at": at(62), "station": "S1"})
    with tw.w.services.db.session() as session:
        task = session.get(Task, task_id)
        assert task is not None
        assert (task.status, task.outcome) == ("repaired", "back_online")


def test_coverage_counts_the_villages_with_a_station(tw: TrackingWorld) -> None:
    body = tw.get("commander", "/coverage").json()
    # Three communities on the map (甲一村, 甲二社区, 乙一社区), each with a station.
    assert (body["villages_total"], body["villages_covered"], body["coverage_rate"]) == (3, 3, 1.0)
    assert len(body["geojson"]["features"]) == 4
    assert body["geojson"]["features"][0]["geometry"]["type"] == "Polygon"
    assert body["villages_uncovered"] == []


def test_a_village_without_an_active_station_is_named_as_uncovered(tw: TrackingWorld) -> None:
    with tw.w.services.db.session() as session:
        for station in session.scalars(select(Station).where(Station.village == "乙一社区")):
            station.active = False
    body = tw.get("commander", "/coverage").json()
    assert (body["villages_total"], body["villages_covered"], body["coverage_rate"]) == (3, 2, 0.6667)
    assert body["villages_uncovered"] == ["乙一社区"]


# -- compensation ----------------------------------------------------------------------------------------


def test_compensation_waits_for_day_60_after_the_report_and_pays_2000_yuan(tw: TrackingWorld) -> None:
    # Reported 59 and 60 local days ago, each bike heard after its theft (so the signal was not lost).
    days = timedelta(days=1)
    early = tw.post(
        "officer_a1", "/thefts", {"tag": "CARD-1", "stolen_at": at(-70 * 24 * 60), "reported_at": at(-59 * 24 * 60)}
    ).json()
    due = tw.post(
        "officer_a1", "/thefts", {"tag": "CARD-2", "stolen_at": at(-70 * 24 * 60), "reported_at": at(-60 * 24 * 60)}
    ).json()
    tw.detect(
        {"tag": "CARD-1", "at": (T0 - 58 * days).isoformat(), "station": "S3"},
        {"tag": "CARD-2", "at": (T0 - 58 * days).isoformat(), "station": "S3"},
    )
    sweep_once(tw.w.services)
    body = {"certificate_no": "丹东证2026-001", "invoices": "购车发票、购卡发票"}
    refused = tw.post("head_a", f"/thefts/{early['id']}/compensation", body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "not_eligible")
    assert tw.get("head_a", f"/thefts/{due['id']}").json()["compensation_reason"] == "not_found"
    assert tw.post("officer_a1", f"/thefts/{due['id']}/compensation", body).status_code == 403
    paid = tw.post("head_a", f"/thefts/{due['id']}/compensation", body)
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["payout_yuan"]) == ("compensated", 2000)
    figures = tw.get("commander", "/figures", start=at(-60), end=at(60)).json()
    assert (figures["compensated"], figures["payouts_yuan"]) == (1, 2000)


def test_a_destroyed_card_is_paid_at_once_and_a_recovered_bike_never(tw: TrackingWorld) -> None:
    first = tw.post("officer_a1", "/thefts", {"tag": "CARD-1", "stolen_at": at(-10)}).json()
    body = {"certificate_no": "证-1", "invoices": "发票", "card_destroyed": True}
    assert tw.post("head_a", f"/thefts/{first['id']}/compensation", body).status_code == 200
    second = tw.post("officer_a1", "/thefts", {"tag": "CARD-2", "stolen_at": at(-10)}).json()
    tw.post("officer_a1", f"/thefts/{second['id']}/recovery", {"place": "村口"})
    again = tw.post("head_a", f"/thefts/{second['id']}/compensation", body)
    assert (again.status_code, again.json()["error"]["code"]) == (422, "not_eligible")


# -- owners ----------------------------------------------------------------------------------------------


def test_an_owner_sees_only_their_own_tags_and_tracks(tw: TrackingWorld) -> None:
    tw.detect({"tag": "CARD-1", "at": at(0), "station": "S1"}, {"tag": "CARD-2", "at": at(0), "station": "S3"})
    me = tw.w.resident(OWNER)
    mine = tw.get(me, "/me/tags").json()
    assert [t["tag"] for t in mine] == ["CARD-1"]
    assert mine[0]["owner_phone"] == OWNER
    track = tw.get(me, "/tags/CARD-1/track")
    assert track.status_code == 200
    assert len(track.json()["features"]) == 2
    assert tw.get(me, "/tags/CARD-2/track").status_code == 404
    assert tw.get(me, "/alerts").status_code == 403
    assert tw.get("officer_b", "/tags/CARD-1/track").status_code == 404
    assert tw.get("officer_a1", "/me/tags").status_code == 403


def test_a_track_with_more_sightings_than_its_limit_gives_the_latest_ones_in_time_order_and_says_so(
    tw: TrackingWorld,
) -> None:
    """A parked bike is heard every few seconds: a week's track may hold more sightings than are sent. The
    latest are kept (where it is now), in time order, and the answer says that earlier ones were left out."""
    tw.detect(*({"tag": "CARD-1", "at": at(m), "station": "S1" if m % 2 else "S3"} for m in range(5)))
    with tw.w.services.db.session() as session:
        tag = session.scalar(select(Tag).where(Tag.code == "CARD-1"))
        assert tag is not None
        cut = tracking_queries.track(session, tag, None, None, limit=3)
        whole = tracking_queries.track(session, tag, None, None, limit=5)
    points = [f["properties"]["at"] for f in cut["features"][1:]]
    assert points == [(T0 + timedelta(minutes=m)).isoformat() for m in (2, 3, 4)]
    assert cut["features"][0]["properties"]["truncated"] is True
    assert cut["features"][0]["properties"]["sightings"] == 3
    assert len(whole["features"]) == 6
    assert whole["features"][0]["properties"]["truncated"] is False


def test_bad_batches_are_refused_with_the_field_named(tw: TrackingWorld) -> None:
    headers = {**tw.w.staff("feed"), "Content-Type": "application/json"}
    not_json = tw.client.post("/api/v1/tracking/detections", content=b"{", headers=headers)
    assert (not_json.status_code, not_json.json()["error"]["field"]) == (422, "body")
    wrapped = tw.post("feed", "/detections", {"detections": [{"tag": "CARD-1", "at": at(0), "station": "S1"}]})
    assert wrapped.json()["accepted"] == 1
    assert tw.post("feed", "/detections", {"x": 1}).status_code == 422
    assert tw.post("officer_a1", "/detections", []).status_code == 403
    unknown = tw.client.post("/api/v1/tracking/stations/S99/status", json={}, headers=tw.w.staff("feed"))
    assert unknown.status_code == 404


def test_the_raw_json_endpoints_say_in_the_openapi_document_what_they_take(tw: TrackingWorld) -> None:
    document = tw.client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    for path, item, key in (
        ("/tracking/detections", "DetectionIn", "detections"),
        ("/tracking/tags", "TagRow", "tags"),
        ("/tracking/stations", "StationRow", "stations"),
    ):
        body = document["paths"][f"/api/v1{path}"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        ref = f"#/components/schemas/{item}"
        assert body["oneOf"][0] == {"type": "array", "items": {"$ref": ref}}
        assert body["oneOf"][1]["properties"][key]["items"]["$ref"] == ref
        assert item in schemas
    assert set(schemas["DetectionIn"]["properties"]) >= {"tag", "at", "rssi", "id", "station", "event", "battery"}
    status = document["paths"]["/api/v1/tracking/stations/{code}/status"]["post"]["requestBody"]
    assert status["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/StationStatusIn"}
    assert "StationStatusIn" in schemas


# -- the generic task page ---------------------------------------------------------------------------------


def _task(tw: TrackingWorld, who: str, task_id: object) -> dict[str, Any]:
    response = tw.client.get(f"/api/v1/tasks/{task_id}", headers=tw.w.staff(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_tracking_tasks_read_with_their_own_names_facts_and_actions_on_the_one_task_api(tw: TrackingWorld) -> None:
    """The task page draws any kind from the task alone: the theft and the alert say what they are (not 劝阻),
    their facts carry their Chinese names, and the person's actions their fields in Chinese."""
    tw.detect({"tag": "CARD-1", "at": at(-30), "station": "S1"})
    theft = tw.post("officer_a1", "/thefts", {"tag": "CARD-1", "stolen_at": at(-20), "place": "村口小卖部"}).json()
    tw.detect({"tag": "CARD-1", "at": at(5), "station": "S3"})
    task = _task(tw, "officer_a1", theft["task_id"])
    assert (task["kind_name"], task["status_name"]) == ("车辆被盗布控", "已发现")
    facts = {f["name"]: f["value"] for f in task["facts"]}
    assert facts["平安卡"] == "CARD-1"
    assert facts["车牌"] == "浙B12345"
    assert facts["被盗地点"] == "村口小卖部"
    assert facts["首次发现基站"] == "乙镇基站"
    assert "theft_id" not in {f["key"] for f in task["facts"]}  # ids are for the screens, not read
    actions = {a["action"]: a for a in task["actions"]}
    assert set(actions) == {"recover", "note"}  # the officer's; compensating and closing are the leads'
    assert {"recover", "compensate", "note", "close"} <= {
        a["action"] for a in _task(tw, "commander", theft["task_id"])["actions"]
    }
    assert actions["recover"]["name"] == "找回"
    recover = {f["name"]: f for f in actions["recover"]["fields"]}
    assert (recover["place"]["label"], recover["place"]["type"], recover["place"]["required"]) == (
        "找回地点",
        "text",
        True,
    )
    assert (recover["suspects"]["type"], recover["suspects"]["ge"], recover["suspects"]["required"]) == (
        "number",
        0,
        False,
    )
    assert recover["note"]["label"] == "备注"
    assert all(not re.search(r"[A-Za-z]", f["label"]) for a in task["actions"] for f in a["fields"])
    # The alert it raised, read by the detecting station's officer.
    [alert] = _alerts(tw)
    shown = _task(tw, "officer_b", alert["task_id"])
    assert shown["kind_name"] == "地网告警"
    assert {f["name"]: f["value"] for f in shown["facts"]} == {
        "告警类型": "被盗车辆出现",
        "标签": "CARD-1",
        "侦测基站": "乙镇基站",
        "侦测时间": (T0 + timedelta(minutes=5)).isoformat(),
        "行进方向": "东",
    }
    assert {a["action"]: a["name"] for a in shown["actions"]}["sign"] == "签收"
    # Seen again further on: the task says where it is now and which way it goes, the history in local time.
    tw.detect({"tag": "CARD-1", "at": at(9), "station": "S4"})
    shown = _task(tw, "officer_b", alert["task_id"])
    again = {f["name"]: f["value"] for f in shown["facts"]}
    assert (again["最近发现基站"], again["行进方向"]) == ("甲二社区基站", "西")
    local = (T0 + timedelta(minutes=9)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    assert shown["history"][-1]["reason"] == f"再次发现于甲二社区基站（{local}），向西"
    # Recovered through the one task API with the form's fields: the outcome has its name, the facts the place.
    done = tw.client.post(
        f"/api/v1/tasks/{theft['task_id']}/actions",
        json={"action": "recover", "place": "乙镇某小区楼下", "suspects": 2, "gang": "乙刑案7号"},
        headers=tw.w.staff("officer_a1"),
    )
    assert done.status_code == 200, done.text
    task = _task(tw, "officer_a1", theft["task_id"])
    assert (task["status_name"], task["outcome_name"]) == ("已找回", "已找回")
    facts = {f["name"]: f["value"] for f in task["facts"]}
    assert (facts["找回地点"], facts["抓获嫌疑人"], facts["打掉团伙"]) == ("乙镇某小区楼下", "2名", "乙刑案7号")
    # The bike found, its alert's task is done with it: the detecting station has nothing left to sign for.
    ended = _task(tw, "officer_b", alert["task_id"])
    assert (ended["status_name"], ended["outcome_name"], ended["closed_at"] is not None) == ("已处置", "已处置", True)
    assert ended["history"][-1]["reason"] == "处置：车辆已找回（乙镇某小区楼下）"
    assert [a["action"] for a in task["actions"]] == []  # an officer may not reopen


def test_a_maintenance_task_names_its_station_and_the_repair_asks_for_the_work_done(tw: TrackingWorld) -> None:
    tw.detect({"tag": "CARD-1", "at": at(0), "station": "S4"})
    tw.w.clock.advance(minutes=61)
    sweep_once(tw.w.services)
    items = tw.client.get("/api/v1/tasks", params={"kind": "station_maintenance"}, headers=tw.w.staff("diwang")).json()[
        "items"
    ]
    [item] = [t for t in items if {f["key"]: f["value"] for f in t["facts"]}.get("station") == "S4"]
    assert item["kind_name"] == "基站维护"
    assert [f["name"] for f in item["facts"]] == ["基站", "最后上报"]
    task = _task(tw, "diwang", item["id"])
    [repair] = [a for a in task["actions"] if a["action"] == "repair"]
    assert repair["name"] == "修复"
    assert [(f["name"], f["label"], f["required"]) for f in repair["fields"]] == [("note", "维修情况", True)]
    bad = tw.client.post(f"/api/v1/tasks/{item['id']}/actions", json={"action": "repair"}, headers=tw.w.staff("diwang"))
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "note"


def test_the_thefts_list_puts_the_latest_report_first_whatever_order_they_were_registered_in(
    tw: TrackingWorld,
) -> None:
    """A station registering an older report after a newer one (a report taken on paper, typed in later) still
    finds the list in the order the owners reported, newest first."""
    newer = tw.post("officer_a1", "/thefts", {"tag": "CARD-1", "stolen_at": at(-90), "reported_at": at(-60)})
    older = tw.post("officer_a1", "/thefts", {"tag": "CARD-2", "stolen_at": at(-300), "reported_at": at(-240)})
    assert (newer.status_code, older.status_code) == (201, 201)
    listed = tw.client.get("/api/v1/tracking/thefts", headers=tw.w.staff("commander")).json()
    assert [t["tag"] for t in listed] == ["CARD-1", "CARD-2"]
    assert [t["id"] for t in listed] == [newer.json()["id"], older.json()["id"]]
