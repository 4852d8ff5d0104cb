"""SLA clocks and the escalation ladder under a fake clock, on SQLite and PostgreSQL (DESIGN §3, §5).

The sweeper escalates a missed deadline one rung every `escalation_minutes` (station head, the centres,
bureau leadership), once per rung even with two sweepers, and records every change in the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from shapely.geometry import box
from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState

from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import FakeClock
from pingan.core.db import Database
from pingan.core.geo import GeoArea
from pingan.core.identity import create_user
from pingan.core.models import Area, Notification, Role, Task, TaskEvent, Unit, UnitKind
from pingan.core.scope import COUNTY
from pingan.core.settings import Settings
from pingan.core.setup import ensure_centre_units
from pingan.core.tasks import Command
from pingan.fraud.service import Period, fraud_figures, overdue_tasks
from pingan.fraud.workflow import KIND as DISSUASION_KIND
from pingan.fraud.workflow import DissuasionAction, DissuasionStatus
from pingan.workers.sweeper import sweep_once

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
HIGH_SIGN = timedelta(minutes=5)  # DESIGN §5: a high warning is signed for within 5 minutes
HIGH_CALL = timedelta(minutes=10)
ESCALATION = timedelta(minutes=15)  # fraud/rules.toml: escalation_minutes
SECOND = timedelta(seconds=1)


@dataclass
class County:
    services: Services
    clock: FakeClock
    db: Database
    area_id: int
    unit_id: int
    centres: dict[str, int]
    officer_id: int
    analyst_id: int

    def new_task(self, level: str = "high") -> int:
        with self.db.session() as s:
            task = self.services.tasks.create(
                s,
                kind=DISSUASION_KIND,
                title="138****0001 群众报告正在受骗",
                ref_type="fraud_warning",
                ref_id=0,
                area_id=self.area_id,
                unit_id=self.unit_id,
                level=level,
            )
            return task.id

    def act(
        self, task_id: int, action: DissuasionAction, actor: int | None, reason: str | None = None, **data: Any
    ) -> None:
        with self.db.session() as s:
            task = s.get(Task, task_id)
            assert task is not None
            self.services.tasks.act(s, task, Command(action, actor, reason, data))

    def sweep(self) -> int:
        return sweep_once(self.services)

    def task(self, task_id: int) -> Task:
        with self.db.session() as s:
            task = s.get(Task, task_id)
            assert task is not None
            return task

    def history(self, task_id: int) -> list[TaskEvent]:
        with self.db.session() as s:
            return list(s.scalars(select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)))

    def escalation_notes(self, task_id: int) -> list[tuple[int | None, str]]:
        with self.db.session() as s:
            rows = s.execute(
                select(Notification.unit_id, Notification.title)
                .where(Notification.task_id == task_id, Notification.title.like("任务超时升级%"))
                .order_by(Notification.id)
            )
            return [(unit, title) for unit, title in rows]

    def counts(self) -> tuple[int, int]:
        with self.db.session() as s:
            return (
                s.scalar(select(func.count()).select_from(TaskEvent)) or 0,
                s.scalar(select(func.count()).select_from(Notification)) or 0,
            )


@pytest.fixture
def county(db: Database) -> County:
    clock = FakeClock(T0)
    services = bootstrap(Settings(), clock=clock, db=db)
    with db.session() as s:
        centres = ensure_centre_units(s)
        import_areas(s, [GeoArea("城关", "330225001", box(121.0, 29.0, 121.1, 29.1))])
        area_id = s.scalar(select(Area.id).where(Area.code == "330225001"))
        unit_id = s.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == area_id))
        assert area_id is not None
        assert unit_id is not None
        officer = create_user(s, "wang", None, role=Role.OFFICER, display_name="王警官", unit_id=unit_id, now=T0)
        analyst = create_user(
            s, "li", None, role=Role.ANALYST, display_name="李分析", unit_id=centres["anti-fraud-centre"], now=T0
        )
        officer_id, analyst_id = officer.id, analyst.id
    return County(services, clock, db, area_id, unit_id, centres, officer_id, analyst_id)


# --- the ladder of escalation -----------------------------------------------------------------------


def test_unsigned_task_escalates_rung_by_rung_and_then_stops(county: County) -> None:
    task_id = county.new_task("high")
    due = T0 + HIGH_SIGN

    county.clock.set(due - SECOND)
    assert county.sweep() == 0
    assert county.task(task_id).escalation == 0

    # Rung 1: the station head, told through the station unit.
    county.clock.set(due)
    assert county.sweep() == 1
    task = county.task(task_id)
    assert (task.escalation, task.breaches, task.status) == (1, 1, DissuasionStatus.ISSUED)
    assert task.escalate_at == due + ESCALATION
    assert [unit for unit, _ in county.escalation_notes(task_id)] == [county.unit_id]
    assert "第1级" in county.escalation_notes(task_id)[0][1]

    # Rung 2: the anti-fraud centre and the command centre, after escalation_minutes.
    county.clock.set(due + ESCALATION - SECOND)
    assert county.sweep() == 0
    county.clock.set(due + ESCALATION)
    assert county.sweep() == 1
    assert county.task(task_id).escalation == 2
    rung2 = county.escalation_notes(task_id)[1:]
    assert {unit for unit, _ in rung2} == {county.centres["anti-fraud-centre"], county.centres["command-centre"]}
    assert len(rung2) == 2
    assert all("第2级" in title for _, title in rung2)

    # Rung 3: bureau leadership; then the ladder stops.
    county.clock.set(due + 2 * ESCALATION)
    assert county.sweep() == 1
    task = county.task(task_id)
    assert (task.escalation, task.escalate_at) == (3, None)
    rung3 = county.escalation_notes(task_id)[3:]
    assert [unit for unit, _ in rung3] == [county.centres["bureau"]]

    before = county.counts()
    for later in (3, 4, 10, 100):
        county.clock.set(due + later * ESCALATION)
        assert county.sweep() == 0
    assert county.counts() == before
    task = county.task(task_id)
    assert (task.escalation, task.breaches) == (3, 1)

    escalations = [e for e in county.history(task_id) if e.action == DissuasionAction.ESCALATE]
    assert [e.data["escalation"] for e in escalations] == [1, 2, 3]
    assert all(e.data["step"] == "sign" for e in escalations)
    assert all(e.actor_id is None for e in escalations)
    assert [e.at for e in escalations] == [due, due + ESCALATION, due + 2 * ESCALATION]
    assert all(e.reason and "签收" in e.reason for e in escalations)


def test_a_task_signed_in_time_is_not_escalated(county: County) -> None:
    task_id = county.new_task("high")
    county.clock.set(T0 + HIGH_SIGN - SECOND)
    county.act(task_id, DissuasionAction.SIGN, county.officer_id)
    county.clock.set(T0 + HIGH_SIGN + timedelta(minutes=1))
    assert county.sweep() == 0
    assert county.task(task_id).breaches == 0


def test_sweep_twice_at_the_same_instant_changes_nothing_the_second_time(county: County) -> None:
    first, second = county.new_task("high"), county.new_task("critical")
    county.clock.set(T0 + HIGH_SIGN)
    assert county.sweep() == 2
    state = [(t.escalation, t.breaches, t.escalate_at, t.version) for t in map(county.task, (first, second))]
    counts = county.counts()
    assert county.sweep() == 0
    assert county.sweep() == 0
    assert [(t.escalation, t.breaches, t.escalate_at, t.version) for t in map(county.task, (first, second))] == state
    assert county.counts() == counts


def test_breaches_are_sticky_and_counted_once_per_missed_step(county: County) -> None:
    task_id = county.new_task("high")
    # The sign deadline is missed and climbs two rungs: one breach.
    county.clock.set(T0 + HIGH_SIGN)
    county.sweep()
    county.clock.set(T0 + HIGH_SIGN + ESCALATION)
    county.sweep()
    assert county.task(task_id).breaches == 1

    # Signing starts the call step on its own clock (its deadline has long passed): a second breach.
    county.act(task_id, DissuasionAction.SIGN, county.officer_id)
    task = county.task(task_id)
    assert (task.escalation, task.breaches) == (0, 1)
    assert county.sweep() == 1
    assert (county.task(task_id).escalation, county.task(task_id).breaches) == (1, 2)
    county.clock.advance(ESCALATION)
    assert county.sweep() == 1
    assert county.task(task_id).breaches == 2

    # Meeting and feedback in time add nothing; closing keeps the count.
    county.act(task_id, DissuasionAction.MEET, county.officer_id)
    county.act(task_id, DissuasionAction.FEEDBACK, county.officer_id, outcome="dissuaded")
    county.clock.advance(timedelta(minutes=30))
    county.act(task_id, DissuasionAction.EVALUATE, county.analyst_id)
    county.clock.advance(timedelta(days=3))
    assert county.sweep() == 0
    task = county.task(task_id)
    assert (task.status, task.breaches) == (DissuasionStatus.EVALUATED, 2)


def test_an_escalated_task_notifies_nobody_after_it_is_closed(county: County) -> None:
    task_id = county.new_task("high")
    county.clock.set(T0 + HIGH_SIGN)
    county.sweep()
    county.act(task_id, DissuasionAction.CLOSE, county.analyst_id, reason="号码为空号，误报")
    before = county.counts()
    county.clock.advance(timedelta(hours=5))
    assert county.sweep() == 0
    assert county.counts() == before


def test_two_sweepers_never_escalate_the_same_task_twice(county: County) -> None:
    task_id = county.new_task("high")
    county.clock.set(T0 + HIGH_SIGN)
    rival: list[int] = []

    # Sweeper B has read the due task; sweeper A claims and commits it before B's claim reaches the row.
    with county.db.session() as b:

        @event.listens_for(b, "do_orm_execute")
        def _race(state: ORMExecuteState) -> None:
            if state.is_update and not rival:
                with county.db.session() as a:
                    rival.append(county.services.tasks.sweep(a))

        mine = county.services.tasks.sweep(b)

    if county.db.is_sqlite:
        # One writer: A's claim commits first and B's versioned update then changes nothing.
        assert (rival, mine) == ([1], 0)
    else:
        # PostgreSQL: B read the task FOR UPDATE SKIP LOCKED, so A skips it rather than wait, and B escalates.
        assert (rival, mine) == ([0], 1)
    task = county.task(task_id)
    assert (task.escalation, task.breaches) == (1, 1)
    assert [e.data["escalation"] for e in county.history(task_id) if e.action == DissuasionAction.ESCALATE] == [1]
    assert [unit for unit, _ in county.escalation_notes(task_id)] == [county.unit_id]


def test_two_sweepers_one_after_the_other_escalate_once(county: County) -> None:
    task_id = county.new_task("high")
    county.clock.set(T0 + HIGH_SIGN)
    with county.db.session() as a, county.db.session() as b:
        assert county.services.tasks.sweep(a) == 1
        a.commit()
        assert county.services.tasks.sweep(b) == 0
    assert county.task(task_id).escalation == 1


# --- the history ------------------------------------------------------------------------------------


def test_history_records_every_change_with_actor_reason_and_statuses(county: County) -> None:
    task_id = county.new_task("high")
    officer, analyst = county.officer_id, county.analyst_id
    county.clock.set(T0 + timedelta(minutes=1))
    county.act(task_id, DissuasionAction.SIGN, officer)
    county.clock.set(T0 + HIGH_CALL)  # the call deadline passes with no call
    county.sweep()
    county.clock.advance(minutes=1)
    county.act(task_id, DissuasionAction.CALL, officer, answered=False)
    county.act(task_id, DissuasionAction.CALL, officer, answered=True)
    county.act(task_id, DissuasionAction.VISIT, officer, "到家中见到本人", found=True)
    county.act(task_id, DissuasionAction.FEEDBACK, officer, outcome="dissuaded", amount_yuan="5000")
    county.act(task_id, DissuasionAction.EVALUATE, analyst, "劝阻有效")

    rows = county.history(task_id)
    st = DissuasionStatus
    assert [(e.action, e.actor_id, e.from_status, e.to_status) for e in rows] == [
        (DissuasionAction.ISSUE, None, None, st.ISSUED),
        (DissuasionAction.SIGN, officer, st.ISSUED, st.SIGNED),
        (DissuasionAction.ESCALATE, None, st.SIGNED, st.SIGNED),
        (DissuasionAction.CALL, officer, st.SIGNED, st.CALLING),
        (DissuasionAction.CALL, officer, st.CALLING, st.CALLING),
        (DissuasionAction.VISIT, officer, st.CALLING, st.MET),
        (DissuasionAction.FEEDBACK, officer, st.MET, st.FEEDBACK),
        (DissuasionAction.EVALUATE, analyst, st.FEEDBACK, st.EVALUATED),
    ]
    assert all(e.reason for e in rows), "every change says why"
    # The ladder's account of each step, then the actor's own words.
    assert rows[5].reason == "见到本人，当面劝阻；到家中见到本人"
    assert rows[7].reason == "评估办结；劝阻有效"
    assert rows[3].data == {"answered": False}
    assert rows[6].data == {"outcome": "dissuaded", "amount_yuan": "5000"}
    assert [e.at for e in rows] == sorted(e.at for e in rows)


def test_history_is_append_only(county: County) -> None:
    task_id = county.new_task("high")
    county.clock.set(T0 + timedelta(minutes=1))
    county.act(task_id, DissuasionAction.SIGN, county.officer_id)
    county.act(task_id, DissuasionAction.NOTE, county.officer_id, "已联系家属")

    def frozen(rows: list[TaskEvent]) -> list[tuple[object, ...]]:
        return [(e.id, e.at, e.actor_id, e.action, e.from_status, e.to_status, e.reason, e.data) for e in rows]

    earlier = frozen(county.history(task_id))
    county.clock.set(T0 + HIGH_CALL)
    county.sweep()
    county.act(task_id, DissuasionAction.MEET, county.officer_id)
    county.act(task_id, DissuasionAction.CLOSE, county.analyst_id, "本人拒绝配合，已告知家属")
    later = frozen(county.history(task_id))
    assert later[: len(earlier)] == earlier
    assert len(later) == len(earlier) + 3
    ids = [e.id for e in county.history(task_id)]
    assert ids == sorted(ids)


def test_a_refused_action_leaves_no_history_and_no_change(county: County) -> None:
    from pingan.core.tasks import WorkflowError

    task_id = county.new_task("high")
    before = county.counts()
    with pytest.raises(WorkflowError):
        county.act(task_id, DissuasionAction.CALL, county.officer_id, answered=True)
    assert county.counts() == before
    assert county.task(task_id).status == DissuasionStatus.ISSUED


# --- the "deadline met" figure ----------------------------------------------------------------------


def test_tasks_closed_on_time_excludes_breached_tasks(county: County) -> None:
    phones = ["13800000001", "13800000002", "13800000003"]
    result = county.services.intake.ingest(
        [
            {
                "id": f"r{i}",
                "source": "hotline",
                "kind": "report",
                "at": T0.isoformat(),
                "subject_phone": phone,
                "lon": 121.05,
                "lat": 29.05,
            }
            for i, phone in enumerate(phones)
        ]
    )
    assert len(result.warnings_opened) == 3
    on_time, late, open_late = _tasks_of(county, result.warnings_opened)

    officer, analyst = county.officer_id, county.analyst_id
    county.clock.set(T0 + timedelta(minutes=1))
    for step, data in (
        (DissuasionAction.SIGN, {}),
        (DissuasionAction.MEET, {}),
        (DissuasionAction.FEEDBACK, {"outcome": "dissuaded"}),
    ):
        county.act(on_time, step, officer, **data)
    county.act(on_time, DissuasionAction.EVALUATE, analyst)

    county.clock.set(T0 + HIGH_SIGN)
    assert county.sweep() == 2  # `late` and `open_late` miss their signature
    for step, data in (
        (DissuasionAction.SIGN, {}),
        (DissuasionAction.MEET, {}),
        (DissuasionAction.FEEDBACK, {"outcome": "dissuaded"}),
    ):
        county.act(late, step, officer, **data)
    county.act(late, DissuasionAction.EVALUATE, analyst)

    county.clock.advance(seconds=1)  # overdue is strictly past the deadline, as the worklist says
    with county.db.session() as s:
        overdue = county.services.tasks.count(s, COUNTY, overdue_tasks(), county.clock.now())
        figures = fraud_figures(s, Period(T0 - timedelta(hours=1), T0 + timedelta(hours=1)), overdue_open=overdue)
    assert figures["tasks_closed"] == 2
    assert figures["tasks_closed_on_time"] == 1
    assert figures["on_time_rate"] == 0.5
    assert figures["tasks_overdue_open"] == 1
    assert county.task(open_late).closed_at is None


def _tasks_of(county: County, warning_ids: list[int]) -> list[int]:
    from pingan.fraud.models import FraudWarning

    with county.db.session() as s:
        ids = [s.get(FraudWarning, w).task_id for w in warning_ids]  # type: ignore[union-attr]
    assert all(i is not None for i in ids)
    return [i for i in ids if i is not None]


# --- many tasks at once (the intake's batches) -----------------------------------------------------


def test_create_many_starts_each_task_with_its_history_and_notices(county: County) -> None:
    from pingan.core.tasks import NewTask

    other_unit = county.centres["command-centre"]
    specs = [
        NewTask(DISSUASION_KIND, "t1", "fraud_warning", 11, county.area_id, county.unit_id, "high", reason="r1"),
        NewTask(DISSUASION_KIND, "t2", "fraud_warning", 12, county.area_id, county.unit_id, "critical"),
        NewTask(DISSUASION_KIND, "t3", "fraud_warning", 13, None, None, "low", data={"k": 1}),
        NewTask(DISSUASION_KIND, "t4", "fraud_warning", 14, county.area_id, other_unit, "critical"),
    ]
    with county.db.session() as s:
        ids = [t.id for t in county.services.tasks.create_many(s, specs)]
    assert len(set(ids)) == 4
    tasks = [county.task(i) for i in ids]
    assert [t.ref_id for t in tasks] == [11, 12, 13, 14]
    assert all(t.status == DissuasionStatus.ISSUED for t in tasks)
    # Deadlines come from each task's own level (DESIGN §5): high signs within 5 minutes, critical sooner.
    assert tasks[0].due_at == T0 + HIGH_SIGN
    assert tasks[1].due_at is not None
    assert tasks[1].due_at < tasks[0].due_at
    issued = [county.history(i) for i in ids]
    assert [[e.action for e in h] for h in issued] == [[DissuasionAction.ISSUE]] * 4
    assert issued[0][0].reason == "r1"
    assert issued[2][0].data == {"k": 1}
    with county.db.session() as s:
        notes = {
            task_id: sorted(
                unit or 0 for unit in s.scalars(select(Notification.unit_id).where(Notification.task_id == task_id))
            )
            for task_id in ids
        }
    centres = sorted((county.centres["anti-fraud-centre"], county.centres["command-centre"]))
    assert notes[ids[0]] == [county.unit_id]
    assert notes[ids[1]] == sorted([county.unit_id, *centres])  # 特高危: the centres call in parallel
    assert notes[ids[2]] == centres  # unrouted: the centres resolve it
    assert notes[ids[3]] == centres  # critical, routed to a centre: that centre once, the other too


def test_create_many_of_nothing_writes_nothing(county: County) -> None:
    before = county.counts()
    with county.db.session() as s:
        assert county.services.tasks.create_many(s, []) == []
    assert county.counts() == before
