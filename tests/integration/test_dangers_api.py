"""Hidden dangers (隐患整治) through the HTTP API: a finding worked by a lead and co-departments to on-site
acceptance, each department seeing only its own findings, deadlines climbing the ladder, the year's targets.

The world is the desk tests' (stations A and B, A's governance centre, the centres), with three partner
departments of the county: 住建 (the lead), 消防 and 交通 (co-departments), each a governance unit with a
user of its own. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from pingan.core.db import Database
from pingan.core.identity import create_user
from pingan.core.models import Notification, Role, Task, Unit, UnitKind
from tests.integration.test_desk_api import API, JPEG, POINT_A1, POINT_B, T0, World, build_world

DG = f"{API}/command/dangers"
DEPARTMENTS = (
    ("dept-zj", "县住建局", "gov_zj"),
    ("dept-xf", "县消防救援大队", "gov_xf"),
    ("dept-jt", "县交通运输局", "gov_jt"),
)


def add_departments(world: World) -> None:
    with world.services.db.session() as session:
        for code, name, username in DEPARTMENTS:
            unit = Unit(code=code, name=name, kind=UnitKind.GOVERNANCE)
            session.add(unit)
            session.flush()
            world.ids[code] = unit.id
            user = create_user(
                session, username, None, role=Role.GOVERNANCE, display_name=name, unit_id=unit.id, now=T0
            )
            world.users[username] = user.id


@pytest.fixture(name="world")
def world_fixture(db: Database, tmp_path: Path) -> Iterator[World]:
    rules = tmp_path / "county.toml"
    rules.write_text("[dangers.targets.2026]\nfire_lane = 4\ntraffic = 312\n")
    w = build_world(db, tmp_path, rules_file=rules)
    add_departments(w)
    yield w
    w.client.close()
    w.services.desk.close()


def finding(world: World, who: str = "head_a", point: tuple[float, float] = POINT_A1, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "fire_lane",
        "title": "商贸小区消防通道被摩托车占用",
        "place": "甲街道商贸小区北门",
        "plan": "住建施划禁停标线，消防处罚占用行为，交通拖离占道车辆",
        "lon": point[0],
        "lat": point[1],
        "lead_unit_id": world.ids["dept-zj"],
        "lead_duty": "施划标线、设置隔离桩",
        "co_departments": [
            {"unit_id": world.ids["dept-xf"], "duty": "依法处罚占用消防通道"},
            {"unit_id": world.ids["dept-jt"], "duty": "拖离占道车辆"},
        ],
        **extra,
    }
    response = world.client.post(DG, json=body, headers=world.staff(who))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def act(world: World, who: str, task_id: int, action: str, **body: Any) -> Any:
    return world.client.post(
        f"{API}/tasks/{task_id}/actions", json={"action": action, **body}, headers=world.staff(who)
    )


def part_task(world: World, danger: dict[str, Any], code: str) -> int:
    (part,) = [d for d in danger["departments"] if d["unit_id"] == world.ids[code]]
    return int(part["task_id"])


def upload(world: World, who: str, danger_id: int, stage: str, data: bytes = JPEG) -> Any:
    return world.client.post(
        f"{DG}/{danger_id}/photos",
        data={"stage": stage},
        files=[("files", ("p.jpg", data, "image/jpeg"))],
        headers=world.staff(who),
    )


def test_a_fire_lane_is_worked_by_two_co_departments_and_accepted_on_site(world: World) -> None:
    danger = finding(world)
    assert danger["area_id"] == world.ids["area-A"]
    assert [d["role"] for d in danger["departments"]] == ["lead", "co", "co"]
    task_id = danger["task_id"]
    before = upload(world, "officer_a1", danger["id"], "before")
    assert before.status_code == 201, before.text
    assert act(world, "gov_zj", task_id, "sign").status_code == 200
    # the lead cannot submit while a co-department has not reported, nor without after-photos
    early = act(world, "gov_zj", task_id, "submit", summary="标线已施划")
    assert (early.status_code, early.json()["error"]["code"]) == (409, "parts_open")
    for code, who in (("dept-xf", "gov_xf"), ("dept-jt", "gov_jt")):
        pid = part_task(world, danger, code)
        assert act(world, who, pid, "sign").status_code == 200
        assert act(world, who, pid, "report", summary=f"{who} 已完成").status_code == 200
    progress = world.client.get(f"{DG}/{danger['id']}/progress", headers=world.staff("commander")).json()
    assert [p["reported_at"] is not None for p in progress] == [False, True, True]
    no_photo = act(world, "gov_zj", task_id, "submit", summary="标线已施划")
    assert no_photo.json()["error"]["code"] == "after_photos_required"
    # an after-photo from a department that is not on this finding is refused; the lead's is taken
    assert upload(world, "gov_a", danger["id"], "after").status_code == 404
    assert upload(world, "officer_a1", danger["id"], "after").status_code == 403
    assert upload(world, "gov_xf", danger["id"], "after").status_code == 201
    assert act(world, "gov_zj", task_id, "submit", summary="标线已施划，隔离桩已设").status_code == 200
    # the departments cannot accept their own work; the station of the place does, on site
    assert act(world, "gov_zj", task_id, "accept", opinion="合格").status_code == 403
    assert act(world, "officer_b", task_id, "accept", opinion="合格").status_code == 404
    accepted = act(world, "officer_a1", task_id, "accept", opinion="现场验收合格，通道畅通")
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["outcome"]) == ("accepted", "rectified")
    shown = world.client.get(f"{DG}/{danger['id']}", headers=world.staff("gov_jt")).json()
    assert shown["state"] == "rectified"
    assert [p["stage"] for p in shown["photos"]] == ["before", "after"]
    photo = world.client.get(shown["photos"][1]["url"], headers=world.staff("gov_jt"))
    assert (photo.status_code, photo.content) == (200, JPEG)
    assert world.client.get(shown["photos"][1]["url"], headers=world.staff("gov_a")).status_code == 404
    with world.services.db.session() as session:
        task = session.get(Task, task_id)
        assert task is not None
        assert (task.kind, task.outcome, task.closed_at is not None) == (
            "hidden_danger",
            "rectified",
            True,
        )


def test_a_rejected_acceptance_goes_back_to_the_lead_with_a_new_deadline(world: World) -> None:
    danger = finding(world, co_departments=[])
    task_id = danger["task_id"]
    act(world, "gov_zj", task_id, "sign")
    upload(world, "gov_zj", danger["id"], "after")
    assert act(world, "gov_zj", task_id, "submit", summary="已整改").status_code == 200
    world.clock.advance(timedelta(days=1))
    rejected = act(world, "head_a", task_id, "reject", reason="隔离桩缺失", days=10)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rectifying"
    shown = world.client.get(f"{DG}/{danger['id']}", headers=world.staff("gov_zj")).json()
    assert shown["state"] == "rectifying"
    assert shown["due_at"] == (T0 + timedelta(days=11)).isoformat()


def test_each_department_sees_only_the_findings_it_leads_or_works_on(world: World) -> None:
    mine = finding(world)
    other = finding(
        world,
        kind="traffic",
        co_departments=[],
        lead_unit_id=world.ids["dept-jt"],
        title="乙镇路口视距不良",
        point=POINT_B,
        who="commander",
    )

    def seen(who: str) -> list[int]:
        response = world.client.get(DG, headers=world.staff(who))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"])
        return sorted(i["id"] for i in body["items"])

    assert seen("gov_zj") == [mine["id"]]
    assert seen("gov_xf") == [mine["id"]]
    assert seen("gov_jt") == sorted([mine["id"], other["id"]])
    assert seen("gov_a") == []
    assert seen("officer_a1") == [mine["id"]]
    assert seen("officer_b") == [other["id"]]
    assert seen("commander") == sorted([mine["id"], other["id"]])
    assert world.client.get(f"{DG}/{other['id']}", headers=world.staff("gov_zj")).status_code == 404
    assert world.client.get(DG, headers=world.staff("partner")).status_code == 403
    # the worklist: the lead holds the finding, the co-department its part, nobody else's
    tasks = world.client.get(
        f"{API}/tasks", params={"kind": "hidden_danger_part"}, headers=world.staff("gov_xf")
    ).json()
    assert [t["unit_id"] for t in tasks["items"]] == [world.ids["dept-xf"]]
    listed = world.client.get(
        DG, params={"unit_id": world.ids["dept-jt"], "kind": "fire_lane"}, headers=world.staff("commander")
    )
    assert [i["id"] for i in listed.json()["items"]] == [mine["id"]]


def test_a_station_cannot_record_a_finding_outside_its_area_nor_name_a_police_unit_as_department(world: World) -> None:
    body = {
        "kind": "traffic",
        "title": "路口",
        "place": "乙镇",
        "lon": POINT_B[0],
        "lat": POINT_B[1],
        "lead_unit_id": world.ids["dept-jt"],
    }
    assert world.client.post(DG, json=body, headers=world.staff("head_a")).status_code == 403
    bad = world.client.post(DG, json={**body, "lead_unit_id": world.ids["station-A"]}, headers=world.staff("commander"))
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "lead_unit_id")
    twice = world.client.post(
        DG, json={**body, "co_departments": [{"unit_id": world.ids["dept-jt"]}]}, headers=world.staff("commander")
    )
    assert twice.status_code == 422
    assert world.client.post(DG, json=body, headers=world.staff("gov_jt")).status_code == 403


def test_a_replayed_source_id_creates_nothing_twice(world: World) -> None:
    first = finding(world, source_id="XS-2026-001")
    again = finding(world, source_id="XS-2026-001")
    assert first["id"] == again["id"]
    with world.services.db.session() as session:
        assert len(session.scalars(select(Task).where(Task.kind == "hidden_danger")).all()) == 1


def test_a_missed_signing_climbs_from_the_department_to_the_centre_and_the_bureau(world: World) -> None:
    danger = finding(world, co_departments=[{"unit_id": world.ids["dept-xf"]}])
    hours = world.services.dangers.rules.sign_hours
    world.clock.advance(timedelta(hours=hours) - timedelta(minutes=1))
    with world.services.db.session() as session:
        assert world.services.tasks.sweep(session) == 0
    world.clock.advance(timedelta(minutes=2))
    with world.services.db.session() as session:
        assert world.services.tasks.sweep(session) == 2  # the finding and the part, each unsigned
    with world.services.db.session() as session:
        task = session.get(Task, danger["task_id"])
        assert task is not None
        assert task.escalation == 1
        titles = session.scalars(select(Notification.title).where(Notification.unit_id == world.ids["dept-zj"])).all()
        assert any("超时升级（第1级）" in t for t in titles)
    world.clock.advance(timedelta(hours=world.services.dangers.rules.escalation_hours))
    with world.services.db.session() as session:
        world.services.tasks.sweep(session)
        task = session.get(Task, danger["task_id"])
        assert task is not None
        assert task.escalation == 2
        centre = session.scalars(
            select(Notification.title).where(Notification.unit_id == world.ids["command-centre"])
        ).all()
        assert any("第2级" in t for t in centre)
    overdue = world.client.get(DG, params={"overdue": "true"}, headers=world.staff("commander")).json()
    assert [i["id"] for i in overdue["items"]] == [danger["id"]]
    assert overdue["items"][0]["escalation"] == 2
    # signing starts the plan's deadline: no longer overdue
    assert act(world, "gov_zj", danger["task_id"], "sign").status_code == 200
    assert world.client.get(DG, params={"overdue": "true"}, headers=world.staff("commander")).json()["total"] == 0


def _rectify(world: World, danger: dict[str, Any]) -> None:
    task_id = danger["task_id"]
    assert act(world, "gov_zj", task_id, "sign").status_code == 200
    assert upload(world, "gov_zj", danger["id"], "after").status_code == 201
    assert act(world, "gov_zj", task_id, "submit", summary="已整改").status_code == 200
    assert act(world, "commander", task_id, "accept", opinion="合格").status_code == 200


def test_figures_count_rectified_findings_against_the_year_target_and_a_year_earlier(world: World) -> None:
    for i in range(3):
        d = finding(world, co_departments=[], title=f"通道{i}")
        if i < 2:
            _rectify(world, d)
    traffic = finding(world, co_departments=[], kind="traffic", title="路口", lead_unit_id=world.ids["dept-jt"])
    world.clock.advance(timedelta(days=1))
    figures = world.client.get(f"{DG}/figures", headers=world.staff("commander")).json()
    lane = next(k for k in figures["kinds"] if k["kind"] == "fire_lane")
    assert (lane["found"], lane["rectified"], lane["open"]) == (3, 2, 1)
    assert (lane["year_target"], lane["year_rectified"], lane["year_target_rate"]) == (4, 2, 0.5)
    assert (lane["found_year_ago"], lane["found_change"]) == (0, None)
    assert figures["year"] == 2026
    assert figures["total"]["year_target"] == 316
    assert figures["total"]["found"] == 4
    assert {a["area_id"]: a["found"] for a in figures["areas"]} == {world.ids["area-A"]: 4}
    # a year later, the same period counts these as a year ago (同比)
    later = world.client.get(
        f"{DG}/figures",
        params={
            "start": (T0 + timedelta(days=365) - timedelta(days=1)).isoformat(),
            "end": (T0 + timedelta(days=367)).isoformat(),
        },
        headers=world.staff("commander"),
    ).json()
    lane = next(k for k in later["kinds"] if k["kind"] == "fire_lane")
    assert (lane["found"], lane["found_year_ago"], lane["rectified_year_ago"]) == (0, 3, 2)
    assert (lane["found_change"], lane["rectified_change"]) == (-1.0, -1.0)
    assert (later["total"]["found_year_ago"], later["total"]["found_change"]) == (4, -1.0)
    assert lane["year_target"] is None  # no target set for 2027
    # a station sees its own area's figures; another station none of them
    assert world.client.get(f"{DG}/figures", headers=world.staff("officer_b")).json()["total"]["found"] == 0
    refused = world.client.get(
        f"{DG}/figures", params={"area_id": world.ids["area-A"]}, headers=world.staff("officer_b")
    )
    assert (refused.status_code, refused.json()["error"]["field"]) == (403, "area_id")
    assert traffic["kind"] == "traffic"


def test_photos_must_be_images_and_a_stage_must_be_named(world: World) -> None:
    danger = finding(world)
    not_image = upload(world, "gov_zj", danger["id"], "after", data=b"%PDF-1.4 not a photo" + bytes(100))
    assert (not_image.status_code, not_image.json()["error"]["field"]) == (422, "files[0]")
    no_stage = world.client.post(
        f"{DG}/{danger['id']}/photos", files=[("files", ("p.jpg", JPEG, "image/jpeg"))], headers=world.staff("gov_zj")
    )
    assert (no_stage.status_code, no_stage.json()["error"]["field"]) == (422, "stage")
    as_json = world.client.post(f"{DG}/{danger['id']}/photos", json={"stage": "after"}, headers=world.staff("gov_zj"))
    assert as_json.status_code == 422


def test_a_part_the_centre_closes_no_longer_holds_up_the_submission(world: World) -> None:
    danger = finding(world)
    task_id = danger["task_id"]
    act(world, "gov_zj", task_id, "sign")
    upload(world, "gov_zj", danger["id"], "after")
    assert act(world, "gov_xf", part_task(world, danger, "dept-xf"), "report", summary="已处罚").status_code == 200
    held = act(world, "gov_zj", task_id, "submit", summary="完成")
    assert held.json()["error"]["message"].endswith("县交通运输局")
    closed = act(world, "commander", part_task(world, danger, "dept-jt"), "close", reason="无需交通部门参与")
    assert closed.status_code == 200
    assert act(world, "gov_zj", task_id, "submit", summary="完成").status_code == 200


def test_a_finding_s_plan_deadline_and_departments_are_revised_in_its_history(world: World) -> None:
    """The lead or the centre revises (the co-departments and the station may not); each change is named in the
    finding's history; a co-department taken off has its open part withdrawn and no longer sees the finding;
    one that has reported cannot be taken off; bad input names its field and changes nothing."""
    danger = finding(world)
    task_id, did = danger["task_id"], danger["id"]
    jt_part = part_task(world, danger, "dept-jt")
    assert act(world, "gov_xf", task_id, "revise", reason="改方案", plan="x").status_code == 403
    assert act(world, "officer_a1", task_id, "revise", reason="改方案", plan="x").status_code == 403
    assert act(world, "gov_a", task_id, "revise", reason="改方案", plan="x").status_code == 404
    assert act(world, "gov_zj", task_id, "sign").status_code == 200
    assert act(world, "gov_xf", part_task(world, danger, "dept-xf"), "sign").status_code == 200
    later = (world.clock.now() + timedelta(days=60)).date().isoformat()
    revised = act(
        world,
        "gov_zj",
        task_id,
        "revise",
        reason="交通部门职责调整",
        plan="住建施划标线，消防处罚",
        due_date=later,
        co_departments=[{"unit_id": world.ids["dept-xf"], "duty": "依法处罚"}],
    )
    assert revised.status_code == 200, revised.text
    shown = world.client.get(f"{DG}/{did}", headers=world.staff("commander")).json()
    assert shown["plan"] == "住建施划标线，消防处罚"
    assert shown["due_at"].startswith(later) or shown["due_at"] > later
    assert [d["unit_id"] for d in shown["departments"]] == [world.ids["dept-zj"], world.ids["dept-xf"]]
    history = world.client.get(f"{API}/tasks/{task_id}", headers=world.staff("commander")).json()["history"]
    (change,) = [h for h in history if h["action"] == "revise"]
    assert "整改方案" in change["reason"]
    assert f"整改期限改为 {later}" in change["reason"]
    assert "移除协办部门 县交通运输局" in change["reason"]
    assert "交通部门职责调整" in change["reason"]
    with world.services.db.session() as session:
        part = session.get(Task, jt_part)
        assert part is not None
        assert (part.outcome, part.closed_at is not None) == ("withdrawn", True)
        finding_task = session.get(Task, task_id)
        assert finding_task is not None
        assert finding_task.facts["parts_open"] == 1
        assert finding_task.due_at is not None
        assert finding_task.due_at.date().isoformat() >= later
    assert world.client.get(f"{DG}/{did}", headers=world.staff("gov_jt")).status_code == 404
    assert world.client.get(f"{API}/tasks/{task_id}", headers=world.staff("gov_jt")).status_code == 404
    assert world.client.get(f"{API}/tasks/{task_id}", headers=world.staff("gov_xf")).status_code == 200
    # the centre adds 交通 back: a new part of its own, and it sees the finding again
    again = act(
        world,
        "commander",
        task_id,
        "revise",
        reason="需交通部门协助",
        co_departments=[{"unit_id": world.ids["dept-xf"]}, {"unit_id": world.ids["dept-jt"], "duty": "拖车"}],
    )
    assert again.status_code == 200, again.text
    tasks = world.client.get(f"{API}/tasks", params={"kind": "hidden_danger_part"}, headers=world.staff("gov_jt"))
    (new_part,) = tasks.json()["items"]
    assert new_part["id"] != jt_part
    assert world.client.get(f"{DG}/{did}", headers=world.staff("gov_jt")).status_code == 200
    # a reported part stays: its work is in the record
    xf_part = part_task(world, danger, "dept-xf")
    assert act(world, "gov_xf", xf_part, "report", summary="已处罚").status_code == 200
    refused = act(
        world, "commander", task_id, "revise", reason="调整", co_departments=[{"unit_id": world.ids["dept-jt"]}]
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "part_reported")
    assert "县消防救援大队已反馈" in refused.json()["error"]["message"]
    # bad input, each named; nothing changes
    past = (world.clock.now() - timedelta(days=2)).date().isoformat()
    for body, field in (
        ({"due_date": past}, "due_date"),
        ({"plan": "住建施划标线，消防处罚"}, "plan"),  # the same plan: nothing to change
        ({"co_departments": [{"unit_id": world.ids["dept-zj"]}]}, "co_departments[0].unit_id"),
        ({"co_departments": [{"unit_id": world.ids["station-A"]}]}, "co_departments[0].unit_id"),
        ({"due_date": "2026-13-01"}, "due_date"),
    ):
        bad = act(world, "commander", task_id, "revise", reason="调整", **body)
        assert (bad.status_code, bad.json()["error"]["field"]) == (422, field), (body, bad.text)
    missing_reason = act(world, "commander", task_id, "revise", plan="新方案")
    assert (missing_reason.status_code, missing_reason.json()["error"]["field"]) == (422, "reason")
    history_after = world.client.get(f"{API}/tasks/{task_id}", headers=world.staff("commander")).json()["history"]
    assert len([h for h in history_after if h["action"] == "revise"]) == 2
    # once submitted for acceptance, nothing is revised
    assert upload(world, "gov_zj", did, "after").status_code == 201
    assert act(world, "gov_jt", new_part["id"], "report", summary="已拖离").status_code == 200
    assert act(world, "gov_zj", task_id, "submit", summary="完成").status_code == 200
    late = act(world, "commander", task_id, "revise", reason="调整", plan="再改")
    assert (late.status_code, late.json()["error"]["code"]) == (409, "not_revisable")


def test_the_dangers_list_is_exported_whole_with_the_screen_s_filters_and_recorded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page after page (PAGE lowered to 2), only what the list shows the user, the filters applied, capped,
    and one line in the audit log."""
    from pingan.api.routes import exports as export_routes
    from pingan.core.models import AuthEvent
    from tests.integration.test_backoffice import read_csv_export, read_xlsx_export

    monkeypatch.setattr(export_routes, "PAGE", 2)
    mine = [finding(world, co_departments=[], title=f"通道{i}")["id"] for i in range(5)]
    traffic = finding(world, co_departments=[], kind="traffic", title="路口", lead_unit_id=world.ids["dept-jt"])
    other = finding(world, "commander", point=POINT_B, co_departments=[], title="乙镇通道")
    rows = read_csv_export(
        world.client.get(f"{API}/exports/dangers", params={"format": "csv"}, headers=world.staff("officer_a1"))
    )
    assert sorted(int(r["编号"]) for r in rows) == sorted([*mine, traffic["id"]])
    assert other["id"] not in {int(r["编号"]) for r in rows}
    assert {r["牵头部门"] for r in rows} == {"县住建局", "县交通运输局"}
    fire = read_xlsx_export(
        world.client.get(
            f"{API}/exports/dangers", params={"format": "xlsx", "kind": "fire_lane"}, headers=world.staff("commander")
        )
    )
    assert sorted(int(r["编号"]) for r in fire) == sorted([*mine, other["id"]])
    assert {r["类型"] for r in fire} == {"生命通道"}
    led = read_csv_export(
        world.client.get(f"{API}/exports/dangers", params={"format": "csv"}, headers=world.staff("gov_jt"))
    )
    assert [int(r["编号"]) for r in led] == [traffic["id"]]
    monkeypatch.setattr(export_routes, "MAX_EXPORT_ROWS", 3)
    capped = world.client.get(f"{API}/exports/dangers", params={"format": "csv"}, headers=world.staff("commander"))
    assert (capped.headers["X-Export-Rows"], capped.headers["X-Export-Truncated"]) == ("3", "1")
    bad = world.client.get(
        f"{API}/exports/dangers", params={"format": "csv", "kind": "nope"}, headers=world.staff("commander")
    )
    assert (bad.status_code, bad.json()["error"]["field"]) == (422, "query.kind")
    assert (
        world.client.get(f"{API}/exports/dangers", params={"format": "csv"}, headers=world.staff("partner")).status_code
        == 403
    )
    with world.services.db.session() as session:
        events = session.scalars(select(AuthEvent).where(AuthEvent.kind == "export")).all()
        dangers = [e.detail for e in events if e.detail.get("what") == "dangers"]
        assert [d["rows"] for d in dangers] == [6, 6, 1, 3]
        assert dangers[1]["filters"] == {"kind": "fire_lane"}
