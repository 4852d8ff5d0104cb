"""The "135" reach, the roster's verdicts and the alarm's grading and task rules, alone (no database)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from pingan.bootstrap import load_rules
from pingan.command.alarms.models import AlarmCategory, AlarmLevel, AlarmOutcome
from pingan.command.alarms.rules import AlarmRules, grade
from pingan.command.alarms.workflow import AlarmStatus, AlarmWorkflow
from pingan.command.patrol.models import ShiftKind, UnitType
from pingan.command.patrol.reach import Exclusion, Fix, compute, radius_m
from pingan.command.patrol.roster import Crew, Row, officer_verdict, unit_verdicts
from pingan.command.patrol.rules import PatrolRules
from pingan.core.geo import EARTH_RADIUS_M, distance_m
from pingan.core.models import Task
from pingan.core.tasks import Command, WorkflowError

NOW = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)
SCENE = (121.873, 29.476)  # 丹东街道, 象山县城
RULES = load_rules().section(PatrolRules)
ALARM_RULES = load_rules().section(AlarmRules)


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point `metres` due north (on the sphere the haversine uses, exactly)."""
    return point[0], point[1] + math.degrees(metres / EARTH_RADIUS_M)


def straight_for(seconds: float, kind: UnitType, rules: PatrolRules = RULES) -> float:
    return seconds * rules.speed_ms(kind) / rules.road_factor


def fix(unit_id: int, kind: UnitType, point: tuple[float, float], age: timedelta = timedelta(0)) -> Fix:
    return Fix(unit_id, kind, point[0], point[1], NOW - age)


# -- the circles -------------------------------------------------------------------------------------------


def test_the_circles_are_travel_time_so_a_car_reaches_further_than_an_officer_on_foot() -> None:
    # 600 m away: a car (40 km/h, ×1.4 road) needs about 76 s, an officer on foot (5 km/h) about 605 s.
    p = north_of(SCENE, 600)
    result = compute(*SCENE, [fix(1, UnitType.CAR, p), fix(2, UnitType.FOOT, p)], NOW, RULES)
    by_id = {r.unit_id: r for r in result.reached}
    assert by_id[1].circle == 3
    assert by_id[2].circle is None  # beyond 5 minutes
    assert by_id[1].travel_s == pytest.approx(600 * 1.4 / (40 / 3.6), abs=0.01)
    assert [r.unit_id for r in result.reached] == [1, 2]  # nearest by time first


def test_a_unit_exactly_on_the_three_minute_border_is_inside_and_one_metre_further_is_not() -> None:
    border = straight_for(180, UnitType.CAR)
    on = fix(1, UnitType.CAR, north_of(SCENE, border))
    beyond = fix(2, UnitType.CAR, north_of(SCENE, border + 1.0))
    result = compute(*SCENE, [on, beyond], NOW, RULES)
    circles = {r.unit_id: r.circle for r in result.reached}
    assert circles == {1: 3, 2: 5}
    assert [r.unit_id for r in result.within(3)] == [1]
    assert {r.unit_id for r in result.within(5)} == {1, 2}


def test_each_circle_holds_the_smaller_ones() -> None:
    fixes = [
        fix(i, UnitType.MOTORBIKE, north_of(SCENE, straight_for(s, UnitType.MOTORBIKE)))
        for i, s in enumerate((30, 100, 250, 400), 1)
    ]
    result = compute(*SCENE, fixes, NOW, RULES)
    assert [r.unit_id for r in result.within(1)] == [1]
    assert [r.unit_id for r in result.within(3)] == [1, 2]
    assert [r.unit_id for r in result.within(5)] == [1, 2, 3]
    assert result.reached[-1].circle is None


def test_the_road_factor_and_speeds_are_the_countys() -> None:
    slow_roads = RULES.model_copy(update={"road_factor": 2.0})
    p = north_of(SCENE, straight_for(170, UnitType.CAR))  # inside 3 minutes at 1.4
    assert compute(*SCENE, [fix(1, UnitType.CAR, p)], NOW, RULES).reached[0].circle == 3
    assert compute(*SCENE, [fix(1, UnitType.CAR, p)], NOW, slow_roads).reached[0].circle == 5


def test_radius_is_the_inverse_of_travel_time() -> None:
    r = radius_m(5, UnitType.EBIKE, RULES)
    p = north_of(SCENE, r)
    assert distance_m(*SCENE, *p) == pytest.approx(r, rel=1e-9)
    assert compute(*SCENE, [fix(1, UnitType.EBIKE, p)], NOW, RULES).reached[0].circle == 5


# -- who is left out, and why --------------------------------------------------------------------------------


def test_a_stale_position_is_excluded_and_says_how_old_it_is() -> None:
    near = north_of(SCENE, 100)
    limit = timedelta(minutes=RULES.stale_minutes)
    result = compute(
        *SCENE,
        [fix(1, UnitType.CAR, near, limit), fix(2, UnitType.CAR, near, limit + timedelta(seconds=1))],
        NOW,
        RULES,
    )
    assert [r.unit_id for r in result.reached] == [1]  # exactly at the limit still counts
    assert [(x.unit_id, x.reason) for x in result.left] == [(2, Exclusion.STALE)]
    assert "10 分钟" in result.left[0].detail


def test_a_unit_without_a_position_is_excluded() -> None:
    result = compute(*SCENE, [Fix(1, UnitType.FOOT, None, None, None)], NOW, RULES)
    assert result.reached == []
    assert result.left[0].reason is Exclusion.NO_POSITION


def test_the_rosters_verdict_excludes_a_unit_wherever_it_is() -> None:
    near = north_of(SCENE, 50)
    result = compute(
        *SCENE,
        [fix(1, UnitType.CAR, near), fix(2, UnitType.CAR, near)],
        NOW,
        RULES,
        {2: (Exclusion.OFF_DUTY, "不在勤务时段")},
    )
    assert [r.unit_id for r in result.reached] == [1]
    assert result.left[0].reason is Exclusion.OFF_DUTY


# -- the roster ----------------------------------------------------------------------------------------------


def _row(kind: ShiftKind, unit: int | None, user: int | None, start: timedelta, end: timedelta) -> Row:
    return Row(kind, unit, user, NOW + start, NOW + end)


def test_a_unit_is_on_duty_only_inside_its_shift_which_is_half_open() -> None:
    rows = [
        _row(ShiftKind.DUTY, 1, None, timedelta(hours=-8), timedelta(0)),
        _row(ShiftKind.DUTY, 2, None, timedelta(0), timedelta(hours=8)),
    ]
    verdicts = unit_verdicts([Crew(1, None), Crew(2, None), Crew(3, None)], rows, NOW)
    assert verdicts[1][0] is Exclusion.OFF_DUTY  # its shift ended at NOW
    assert 2 not in verdicts  # its shift starts at NOW
    assert verdicts[3][0] is Exclusion.OFF_DUTY  # never on the roster


def test_leave_beats_duty_for_the_unit_and_for_its_leader() -> None:
    day = (timedelta(hours=-4), timedelta(hours=4))
    rows = [
        _row(ShiftKind.DUTY, 1, None, *day),
        _row(ShiftKind.DUTY, 2, None, *day),
        _row(ShiftKind.LEAVE, 1, None, *day),
        _row(ShiftKind.LEAVE, None, 77, *day),
    ]
    verdicts = unit_verdicts([Crew(1, None), Crew(2, 77), Crew(3, None, active=False)], rows, NOW)
    assert verdicts[1][0] is Exclusion.ON_LEAVE
    assert verdicts[2][0] is Exclusion.LEADER_ON_LEAVE
    assert verdicts[3][0] is Exclusion.INACTIVE


def test_an_officer_is_assignable_on_their_own_shift_or_their_units_and_never_on_leave() -> None:
    day = (timedelta(hours=-4), timedelta(hours=4))
    rows = [_row(ShiftKind.DUTY, None, 5, *day), _row(ShiftKind.DUTY, 9, None, *day)]
    assert officer_verdict(5, rows, NOW) is None
    assert officer_verdict(6, rows, NOW, led_units=[9]) is None
    missing = officer_verdict(7, rows, NOW)
    assert missing is not None
    assert missing[0] is Exclusion.OFF_DUTY
    on_leave = officer_verdict(5, [*rows, _row(ShiftKind.LEAVE, None, 5, *day)], NOW)
    assert on_leave is not None
    assert on_leave[0] is Exclusion.ON_LEAVE


# -- the county rules ----------------------------------------------------------------------------------------


def test_a_county_overrides_one_speed_and_keeps_the_others_and_a_zero_speed_is_refused(tmp_path: Path) -> None:
    county = tmp_path / "county.toml"
    county.write_text("[patrol]\nspeeds_kmh = { car = 30.0 }\n")
    speeds = load_rules(county).section(PatrolRules).speeds_kmh
    assert speeds[UnitType.CAR] == 30.0
    assert speeds[UnitType.FOOT] == RULES.speeds_kmh[UnitType.FOOT]
    county.write_text("[patrol]\nspeeds_kmh = { car = 0.0 }\n")
    with pytest.raises(ValidationError, match=r"patrol\.speeds_kmh"):
        load_rules(county)


def test_circles_out_of_order_are_refused(tmp_path: Path) -> None:
    county = tmp_path / "county.toml"
    county.write_text("[patrol]\ncircles_minutes = [3, 1, 5]\n")
    with pytest.raises(ValidationError, match=r"patrol\.circles_minutes"):
        load_rules(county)


# -- grading -------------------------------------------------------------------------------------------------


def test_a_keyword_raises_the_level_and_says_why() -> None:
    level, reasons = grade(AlarmCategory.DISPUTE, "两人在夜宵摊持刀对峙", ALARM_RULES)
    assert level is AlarmLevel.CRITICAL
    assert any("持刀" in r for r in reasons)


def test_a_keyword_never_lowers_the_categorys_level() -> None:
    level, _ = grade(AlarmCategory.FIRE, "有人打架", ALARM_RULES)
    assert level is AlarmLevel.CRITICAL


def test_without_a_keyword_the_category_decides() -> None:
    assert grade(AlarmCategory.HELP, "钥匙锁在家里了", ALARM_RULES)[0] is AlarmLevel.LOW
    assert grade(AlarmCategory.CRIMINAL, "家里丢了东西", ALARM_RULES)[0] is AlarmLevel.HIGH


# -- the alarm's task ----------------------------------------------------------------------------------------


def _task(level: AlarmLevel) -> Task:
    task = Task(
        kind="alarm", level=level.value, title="t", ref_type="alarm", ref_id=1, escalation=0, breaches=0, facts={}
    )
    task.created_at = task.updated_at = NOW
    return task


def test_an_alarm_races_dispatch_then_arrival_then_the_outcome_by_its_level() -> None:
    flow = AlarmWorkflow(ALARM_RULES)
    task = _task(AlarmLevel.CRITICAL)
    flow.start(task, NOW)
    assert (task.status, task.due_step, task.due_at) == (AlarmStatus.RECEIVED, "dispatch", NOW + timedelta(minutes=1))
    sent = NOW + timedelta(seconds=40)
    flow.apply(task, Command("dispatch", 1, data={"patrol_unit_id": 3, "patrol_unit_code": "丹东巡01"}), sent)
    assert (task.status, task.due_step, task.due_at) == (AlarmStatus.DISPATCHED, "arrive", sent + timedelta(minutes=5))
    arrived = sent + timedelta(minutes=2)
    flow.apply(task, Command("arrive", 1, data={"at": arrived.isoformat()}), arrived + timedelta(minutes=1))
    assert task.status == AlarmStatus.ARRIVED
    assert task.facts["arrived_at"] == arrived.isoformat()
    flow.apply(
        task, Command("finish", 1, data={"outcome": "mediated", "result": "双方和解"}), arrived + timedelta(minutes=30)
    )
    assert task.closed_at is not None
    assert task.outcome == AlarmOutcome.MEDIATED


def test_an_arrival_before_the_dispatch_or_in_the_future_is_refused_naming_at() -> None:
    flow = AlarmWorkflow(ALARM_RULES)
    task = _task(AlarmLevel.MEDIUM)
    flow.start(task, NOW)
    flow.apply(task, Command("dispatch", 1, data={"patrol_unit_id": 3}), NOW)
    for at in (NOW - timedelta(seconds=1), NOW + timedelta(minutes=5)):
        with pytest.raises(WorkflowError) as refused:
            flow.apply(task, Command("arrive", 1, data={"at": at.isoformat()}), NOW + timedelta(minutes=1))
        assert refused.value.field == "at"


def test_the_outcome_needs_an_arrival_and_a_redispatch_keeps_the_first_dispatch_time() -> None:
    flow = AlarmWorkflow(ALARM_RULES)
    task = _task(AlarmLevel.HIGH)
    flow.start(task, NOW)
    with pytest.raises(WorkflowError):
        flow.apply(task, Command("arrive", 1), NOW)
    flow.apply(task, Command("dispatch", 1, data={"patrol_unit_id": 3}), NOW)
    with pytest.raises(WorkflowError):
        flow.apply(task, Command("finish", 1, data={"outcome": "handled", "result": "x"}), NOW)
    flow.apply(task, Command("dispatch", 1, data={"patrol_unit_id": 4}), NOW + timedelta(minutes=1))
    assert task.facts["dispatched_at"] == NOW.isoformat()
    assert task.facts["patrol_unit_id"] == 4
    assert "finish" not in flow.allowed(task)
    assert {"dispatch", "arrive"} <= flow.allowed(task)
