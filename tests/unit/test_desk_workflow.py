"""The desk request's closed loop on a core task, without a database: deadlines, replies, hand-overs, closure,
and the core escalation ladder driven by a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingan.core.models import Task
from pingan.core.tasks import Command, WorkflowError, escalate
from pingan.desk.models import DeskStatus
from pingan.desk.rules.county import DeskRules
from pingan.desk.workflow import KIND as DESK_KIND
from pingan.desk.workflow import DeskAction, DeskStep, DeskWorkflow

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
OFFICER, OTHER, RESIDENT = 7, 8, 99


def new_task(created: datetime = MONDAY_10, level: str | None = None) -> tuple[DeskWorkflow, Task]:
    workflow = DeskWorkflow(DeskRules())
    task = Task(
        kind=DESK_KIND,
        status=DeskStatus.ISSUED,
        level=level,
        title="t",
        ref_type="desk_request",
        ref_id=1,
        unit_id=100,
        created_at=created,
        updated_at=created,
        escalation=0,
        breaches=0,
    )
    workflow.start(task, created)
    return workflow, task


def act(workflow: DeskWorkflow, task: Task, action: str, at: datetime, actor: int | None = OFFICER,
        reason: str | None = None, **data: object) -> str | None:  # fmt: skip
    return workflow.apply(task, Command(action, actor, reason, data), at)


def test_a_new_request_races_the_reply_deadline() -> None:
    _, task = new_task()
    assert (task.status, task.due_step) == (DeskStatus.ISSUED, DeskStep.REPLY)
    assert task.due_at == task.escalate_at == MONDAY_10 + timedelta(minutes=30)


def test_an_emergency_is_due_in_five_minutes() -> None:
    _, task = new_task(level="critical")
    assert task.due_at == MONDAY_10 + timedelta(minutes=5)


def test_a_reply_stops_the_clock_and_a_late_one_says_so() -> None:
    workflow, task = new_task()
    assert act(workflow, task, DeskAction.REPLY, MONDAY_10 + timedelta(minutes=45)) == "答复（超时）"
    assert (task.status, task.due_at, task.escalate_at, task.assignee_id) == (DeskStatus.REPLIED, None, None, OFFICER)


def test_a_follow_up_after_the_reply_restarts_the_clock() -> None:
    workflow, task = new_task()
    act(workflow, task, DeskAction.REPLY, MONDAY_10 + timedelta(minutes=5))
    evening = MONDAY_10 + timedelta(hours=9)  # 19:00 local
    act(workflow, task, DeskAction.FOLLOW_UP, evening, actor=RESIDENT)
    assert (task.status, task.due_at) == (DeskStatus.SIGNED, evening + timedelta(hours=2))


def test_signing_takes_the_request_and_keeps_the_deadline() -> None:
    workflow, task = new_task()
    act(workflow, task, DeskAction.SIGN, MONDAY_10 + timedelta(minutes=1), actor=OTHER)
    assert (task.status, task.assignee_id, task.due_at) == (DeskStatus.SIGNED, OTHER, MONDAY_10 + timedelta(minutes=30))
    with pytest.raises(WorkflowError, match="已签收"):
        act(workflow, task, DeskAction.SIGN, MONDAY_10 + timedelta(minutes=2))


def test_a_reroute_needs_a_reason_and_gives_the_new_unit_a_fresh_window() -> None:
    workflow, task = new_task()
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, DeskAction.REROUTE, MONDAY_10, unit_id=200)
    assert caught.value.field == "reason"
    later = MONDAY_10 + timedelta(minutes=20)
    act(workflow, task, DeskAction.REROUTE, later, reason="非本所辖区", unit_id=200)
    assert (task.unit_id, task.status, task.due_at) == (200, DeskStatus.ISSUED, later + timedelta(minutes=30))
    with pytest.raises(WorkflowError, match="已由该单位处理"):
        act(workflow, task, DeskAction.REROUTE, later, reason="again", unit_id=200)


def test_resolving_needs_a_reply_and_closing_needs_a_reason() -> None:
    workflow, task = new_task()
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, DeskAction.CLOSE, MONDAY_10, resolution="resolved")
    assert caught.value.field == "answer"
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, DeskAction.CLOSE, MONDAY_10, resolution="closed")
    assert caught.value.field == "reason"
    act(workflow, task, DeskAction.CLOSE, MONDAY_10, reason="群众撤回", resolution="closed")
    assert (task.status, task.outcome, task.closed_at) == (DeskStatus.CLOSED, "closed", MONDAY_10)
    with pytest.raises(WorkflowError, match="已办结"):
        act(workflow, task, DeskAction.REPLY, MONDAY_10)


def test_rating_an_answered_request_resolves_it_and_a_resolved_one_may_still_be_rated() -> None:
    workflow, task = new_task()
    with pytest.raises(WorkflowError, match="答复之后"):
        act(workflow, task, DeskAction.RATE, MONDAY_10, actor=RESIDENT, rating=5)
    act(workflow, task, DeskAction.REPLY, MONDAY_10)
    act(workflow, task, DeskAction.RATE, MONDAY_10, actor=RESIDENT, rating=4)
    assert (task.status, task.closed_at) == (DeskStatus.RESOLVED, MONDAY_10)
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, DeskAction.RATE, MONDAY_10, actor=RESIDENT, rating=9)
    assert caught.value.field == "rating"


def test_a_merged_duplicate_is_closed() -> None:
    workflow, task = new_task()
    assert act(workflow, task, DeskAction.MERGE, MONDAY_10, into_id=42) == "与诉求#42合并处理"
    assert (task.status, task.outcome) == (DeskStatus.CLOSED, "merged")


def test_ladder_actions_are_not_desk_actions() -> None:
    workflow, task = new_task()
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, "call", MONDAY_10, answered=True)
    assert caught.value.code == "unsupported_action"


def test_a_late_reply_climbs_the_core_ladder_every_interval_and_stops_at_the_top() -> None:
    workflow, task = new_task()
    due = MONDAY_10 + timedelta(minutes=30)
    assert not escalate(task, due - timedelta(seconds=1), workflow)
    rungs = []
    now = due
    while escalate(task, now, workflow):
        rungs.append((task.escalation, task.escalate_at))
        now = task.escalate_at or now
    assert rungs == [
        (1, due + timedelta(minutes=30)),
        (2, due + timedelta(minutes=60)),
        (3, None),
    ]
    assert task.breaches == 1
    act(workflow, task, DeskAction.REPLY, now)
    assert (task.escalation, task.breaches) == (0, 1)


def test_the_actions_offered_follow_the_state() -> None:
    workflow, task = new_task()
    assert DeskAction.SIGN in workflow.allowed(task)
    assert DeskAction.RATE not in workflow.allowed(task)
    act(workflow, task, DeskAction.REPLY, MONDAY_10)
    assert DeskAction.SIGN not in workflow.allowed(task)
    assert DeskAction.RATE in workflow.allowed(task)
    act(workflow, task, DeskAction.RATE, MONDAY_10, actor=RESIDENT, rating=5)
    # A closed request may still open its case (the loss came out after it was answered).
    assert workflow.allowed(task) == frozenset({DeskAction.RATE, DeskAction.REOPEN, DeskAction.OPEN_CASE})
    _, closed = new_task()
    act(workflow, closed, DeskAction.CLOSE, MONDAY_10, reason="撤回", resolution="closed")
    assert workflow.allowed(closed) == frozenset({DeskAction.REOPEN, DeskAction.OPEN_CASE})


@pytest.mark.parametrize("stars", [1, 2])
def test_a_low_rating_sends_the_request_back_to_its_unit_for_a_return_visit(stars: int) -> None:
    workflow, task = new_task()
    act(workflow, task, DeskAction.SIGN, MONDAY_10)
    act(workflow, task, DeskAction.REPLY, MONDAY_10)
    said = act(workflow, task, DeskAction.RATE, MONDAY_10 + timedelta(hours=1), actor=RESIDENT, rating=stars)
    assert said == f"群众评价 {stars} 星（不满意），转单位回访"
    assert task.closed_at is None
    assert (task.status, task.assignee_id, task.due_step) == (DeskStatus.SIGNED, OFFICER, DeskStep.RETURN_VISIT)
    assert task.due_at == MONDAY_10 + timedelta(hours=25)
    assert act(workflow, task, DeskAction.REPLY, MONDAY_10 + timedelta(hours=3)) == "回访答复"
    act(workflow, task, DeskAction.CLOSE, MONDAY_10 + timedelta(hours=3))
    assert task.status == DeskStatus.RESOLVED


def test_a_low_rating_after_the_unit_closed_reopens_it_and_a_fair_one_does_not() -> None:
    workflow, task = new_task()
    act(workflow, task, DeskAction.REPLY, MONDAY_10)
    act(workflow, task, DeskAction.CLOSE, MONDAY_10)
    act(workflow, task, DeskAction.RATE, MONDAY_10, actor=RESIDENT, rating=2)
    assert task.closed_at is None
    assert task.due_step == DeskStep.RETURN_VISIT

    workflow, task = new_task()
    act(workflow, task, DeskAction.REPLY, MONDAY_10)
    act(workflow, task, DeskAction.RATE, MONDAY_10, actor=RESIDENT, rating=3)
    assert (task.status, task.closed_at) == (DeskStatus.RESOLVED, MONDAY_10)
