"""The dissuasion ladder (DESIGN §5) as pure rules on an in-memory task; no database.

Deadlines are checked against the DESIGN §5 table (minutes from the moment the task was issued),
written out here rather than read back from the rules under test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pingan.bootstrap import load_rules
from pingan.core.models import Task
from pingan.core.tasks import Command, WorkflowError, escalate
from pingan.core.tasks.base import fact
from pingan.fraud.models import Level
from pingan.fraud.rules import DissuasionRules
from pingan.fraud.workflow import KIND as DISSUASION_KIND
from pingan.fraud.workflow import DissuasionAction, DissuasionStatus, DissuasionStep, DissuasionWorkflow

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
OFFICER = 7

# DESIGN §5: level -> (sign, first call, met in person) in minutes from issue; None: no visit required.
DESIGN_DEADLINES: dict[Level, tuple[int, int, int | None]] = {
    Level.CRITICAL: (2, 5, 30),
    Level.HIGH: (5, 10, 120),
    Level.MEDIUM: (30, 120, 1440),
    Level.LOW: (120, 1440, None),
}
FACE_TO_FACE = (Level.CRITICAL, Level.HIGH)
BY_PHONE = (Level.MEDIUM, Level.LOW)
# The defaults of fraud/rules.toml that are not in the DESIGN table.
RETRY = timedelta(minutes=5)
MAX_UNANSWERED = 3
FEEDBACK = timedelta(minutes=60)
EVALUATE = timedelta(minutes=1440)
ESCALATION = timedelta(minutes=15)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture(scope="module")
def wf() -> DissuasionWorkflow:
    return DissuasionWorkflow(load_rules().section(DissuasionRules))


def issued(wf: DissuasionWorkflow, level: Level, at: datetime = T0) -> Task:
    task = Task(
        kind=DISSUASION_KIND,
        status=DissuasionStatus.ISSUED,
        level=level.value,
        title="138****0001 预警",
        ref_type="fraud_warning",
        ref_id=1,
        created_at=at,
        updated_at=at,
        escalation=0,
        breaches=0,
        facts={},
    )
    wf.start(task, at)
    return task


def do(
    wf: DissuasionWorkflow,
    task: Task,
    action: str,
    at: datetime,
    reason: str | None = None,
    actor: int | None = OFFICER,
    **data: Any,
) -> str | None:
    return wf.apply(task, Command(action, actor, reason, data), at)


def signed(wf: DissuasionWorkflow, level: Level) -> Task:
    task = issued(wf, level)
    do(wf, task, DissuasionAction.SIGN, T0 + minutes(1))
    return task


def refused(wf: DissuasionWorkflow, task: Task, action: str, at: datetime, **kw: Any) -> WorkflowError:
    before = snapshot(task)
    with pytest.raises(WorkflowError) as info:
        do(wf, task, action, at, **kw)
    assert snapshot(task) == before, "a refused action must leave the task as it was"
    return info.value


def state(task: Task) -> DissuasionStatus:
    """The task's status, read afresh (mypy would otherwise keep an earlier assertion's narrowing)."""
    return DissuasionStatus(task.status)


def snapshot(task: Task) -> tuple[object, ...]:
    return (
        task.status,
        task.due_step,
        task.due_at,
        task.escalate_at,
        task.escalation,
        fact(task, "calls"),
        fact(task, "unanswered"),
        fact(task, "visits"),
        task.outcome,
        task.closed_at,
        task.assignee_id,
        task.level,
    )


def deadline(level: Level, step: int) -> datetime:
    value = DESIGN_DEADLINES[level][step]
    assert value is not None
    return T0 + minutes(value)


# --- deadlines from the issue time ---------------------------------------------------------------------


@pytest.mark.parametrize("level", list(Level))
def test_issued_task_must_be_signed_by_the_level_deadline(wf: DissuasionWorkflow, level: Level) -> None:
    task = issued(wf, level)
    assert state(task) == DissuasionStatus.ISSUED
    assert task.due_step == DissuasionStep.SIGN
    assert task.due_at == deadline(level, 0)
    assert task.escalate_at == task.due_at


@pytest.mark.parametrize("level", list(Level))
def test_signing_starts_the_first_call_deadline_counted_from_issue(wf: DissuasionWorkflow, level: Level) -> None:
    task = issued(wf, level)
    do(wf, task, DissuasionAction.SIGN, T0 + minutes(1))
    assert state(task) == DissuasionStatus.SIGNED
    assert task.assignee_id == OFFICER
    assert task.due_step == DissuasionStep.CALL
    assert task.due_at == deadline(level, 1)


def test_late_signing_does_not_move_the_call_deadline(wf: DissuasionWorkflow) -> None:
    task = issued(wf, Level.HIGH)
    do(wf, task, DissuasionAction.SIGN, T0 + minutes(8))
    assert task.due_at == T0 + minutes(10)  # from issue, not from the late signature


def test_signing_keeps_an_assignee_already_chosen(wf: DissuasionWorkflow) -> None:
    task = issued(wf, Level.MEDIUM)
    do(wf, task, DissuasionAction.ASSIGN, T0, actor=1, assignee_id=42)
    do(wf, task, DissuasionAction.SIGN, T0 + minutes(1))
    assert task.assignee_id == 42


# --- the whole ladder ------------------------------------------------------------------------------


@pytest.mark.parametrize("level", list(Level))
def test_whole_ladder_from_issue_to_evaluation(wf: DissuasionWorkflow, level: Level) -> None:
    task = issued(wf, level)
    do(wf, task, DissuasionAction.SIGN, T0 + minutes(1))

    # 不接电话不放过: each unanswered call is retried within retry_minutes ...
    at = T0 + minutes(2)
    for n in range(1, MAX_UNANSWERED):
        do(wf, task, DissuasionAction.CALL, at, answered=False)
        assert state(task) == DissuasionStatus.CALLING
        assert fact(task, "unanswered") == n
        assert (task.due_step, task.due_at) == (DissuasionStep.CALL, at + RETRY)
        at += minutes(1)
    # ... and the last one turns the task into a visit.
    do(wf, task, DissuasionAction.CALL, at, answered=False)
    assert state(task) == DissuasionStatus.VISITING
    assert task.due_step == DissuasionStep.MEET
    meet = DESIGN_DEADLINES[level][2]
    # A level with no visit deadline still gets one once the phone failed: the evaluation window.
    meet_due = T0 + minutes(meet) if meet is not None else at + EVALUATE
    assert task.due_at == meet_due
    assert task.escalate_at == meet_due

    # 不见本人不放弃: a visit that finds nobody keeps looking, same deadline.
    at += minutes(3)
    do(wf, task, DissuasionAction.VISIT, at, found=False)
    assert state(task) == DissuasionStatus.VISITING
    assert task.due_at == meet_due

    at += minutes(3)
    do(wf, task, DissuasionAction.VISIT, at, found=True)
    assert state(task) == DissuasionStatus.MET
    assert (task.due_step, task.due_at) == (DissuasionStep.FEEDBACK, at + FEEDBACK)

    at += minutes(5)
    do(wf, task, DissuasionAction.FEEDBACK, at, outcome="dissuaded", amount_yuan="12000.50")
    assert state(task) == DissuasionStatus.FEEDBACK
    assert task.outcome == "dissuaded"
    assert (task.due_step, task.due_at) == (DissuasionStep.EVALUATE, at + EVALUATE)
    assert task.escalate_at is None  # the centre's evaluation is watched, not escalated
    assert task.closed_at is None

    at += minutes(30)
    do(wf, task, DissuasionAction.EVALUATE, at, actor=1)
    assert state(task) == DissuasionStatus.EVALUATED
    assert task.closed_at == at
    assert (task.due_step, task.due_at, task.escalate_at) == (None, None, None)
    assert (fact(task, "calls"), fact(task, "unanswered"), fact(task, "visits")) == (MAX_UNANSWERED, MAX_UNANSWERED, 2)


def test_fewer_unanswered_calls_than_the_limit_do_not_send_a_visit(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.MEDIUM)
    for i in range(MAX_UNANSWERED - 1):
        do(wf, task, DissuasionAction.CALL, T0 + minutes(2 + i), answered=False)
    assert state(task) == DissuasionStatus.CALLING
    assert task.due_step == DissuasionStep.CALL


def test_a_missed_call_after_the_person_was_reached_changes_no_deadline(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.MEDIUM)
    do(wf, task, DissuasionAction.CALL, T0 + minutes(2), answered=False)
    do(wf, task, DissuasionAction.CALL, T0 + minutes(3), answered=False)
    do(wf, task, DissuasionAction.CALL, T0 + minutes(4), answered=True)
    assert fact(task, "unanswered") == 0
    assert fact(task, "missed") == 2  # what the panel shows: the two missed calls stay counted
    assert wf.view(task)["missed"] == 2
    reached = (task.status, task.due_step, task.due_at)
    for i in range(MAX_UNANSWERED + 1):  # more misses than would send an unreached task to a visit
        do(wf, task, DissuasionAction.CALL, T0 + minutes(5 + i), answered=False)
    assert (task.status, task.due_step, task.due_at) == reached
    assert fact(task, "calls") == 3 + MAX_UNANSWERED + 1
    do(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(20), outcome="dissuaded")
    assert state(task) == DissuasionStatus.FEEDBACK


def test_unanswered_calls_while_visiting_keep_the_meet_deadline(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.HIGH)
    for i in range(MAX_UNANSWERED):
        do(wf, task, DissuasionAction.CALL, T0 + minutes(2 + i), answered=False)
    assert state(task) == DissuasionStatus.VISITING
    do(wf, task, DissuasionAction.CALL, T0 + minutes(20), answered=False)
    assert state(task) == DissuasionStatus.VISITING
    assert (task.due_step, task.due_at) == (DissuasionStep.MEET, deadline(Level.HIGH, 2))


@pytest.mark.parametrize("level", BY_PHONE)
def test_answered_call_at_medium_or_low_allows_feedback(wf: DissuasionWorkflow, level: Level) -> None:
    task = signed(wf, level)
    at = T0 + minutes(10)
    do(wf, task, DissuasionAction.CALL, at, answered=True)
    assert state(task) == DissuasionStatus.CALLING
    assert (task.due_step, task.due_at) == (DissuasionStep.FEEDBACK, at + FEEDBACK)
    do(wf, task, DissuasionAction.FEEDBACK, at + minutes(1), outcome="not_at_risk")
    assert state(task) == DissuasionStatus.FEEDBACK
    assert task.outcome == "not_at_risk"


@pytest.mark.parametrize("level", FACE_TO_FACE)
def test_answered_call_at_critical_or_high_requires_a_meeting(wf: DissuasionWorkflow, level: Level) -> None:
    task = signed(wf, level)
    at = T0 + minutes(3)
    do(wf, task, DissuasionAction.CALL, at, answered=True)
    assert state(task) == DissuasionStatus.CALLING
    assert (task.due_step, task.due_at) == (DissuasionStep.MEET, deadline(level, 2))
    error = refused(wf, task, DissuasionAction.FEEDBACK, at + minutes(1), outcome="dissuaded")
    assert error.code == "not_reached"

    do(wf, task, DissuasionAction.MEET, at + minutes(5))
    assert state(task) == DissuasionStatus.MET
    do(wf, task, DissuasionAction.FEEDBACK, at + minutes(6), outcome="dissuaded")
    assert state(task) == DissuasionStatus.FEEDBACK


@pytest.mark.parametrize("level", BY_PHONE)
def test_answered_call_after_a_fruitless_visit_allows_feedback_by_phone(wf: DissuasionWorkflow, level: Level) -> None:
    task = signed(wf, level)
    do(wf, task, DissuasionAction.VISIT, T0 + minutes(5), found=False)
    assert state(task) == DissuasionStatus.VISITING
    do(wf, task, DissuasionAction.CALL, T0 + minutes(6), answered=True)
    assert state(task) == DissuasionStatus.CALLING
    do(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(7), outcome="dissuaded")
    assert state(task) == DissuasionStatus.FEEDBACK


def test_unanswered_call_after_reaching_by_phone_does_not_loosen_the_meet_deadline(
    wf: DissuasionWorkflow,
) -> None:
    task = signed(wf, Level.CRITICAL)
    do(wf, task, DissuasionAction.CALL, T0 + minutes(4), answered=True)
    assert task.due_at == T0 + minutes(30)
    do(wf, task, DissuasionAction.CALL, T0 + minutes(28), answered=False)
    assert (task.due_step, task.due_at) == (DissuasionStep.MEET, T0 + minutes(30))
    assert task.escalate_at == T0 + minutes(30)


def test_meeting_directly_after_signing_skips_the_calls(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.CRITICAL)
    do(wf, task, DissuasionAction.MEET, T0 + minutes(3))
    assert state(task) == DissuasionStatus.MET
    assert fact(task, "calls") == 0


def test_defrauded_feedback_may_carry_the_amount_lost(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.CRITICAL)
    do(wf, task, DissuasionAction.MEET, T0 + minutes(3))
    do(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(4), outcome="defrauded", amount_yuan="3000")
    assert task.outcome == "defrauded"


# --- refusals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (DissuasionAction.CALL, {"answered": True}),
        (DissuasionAction.VISIT, {"found": True}),
        (DissuasionAction.MEET, {}),
        (DissuasionAction.FEEDBACK, {"outcome": "dissuaded"}),
    ],
)
def test_work_before_signing_is_refused(wf: DissuasionWorkflow, action: DissuasionAction, data: dict[str, Any]) -> None:
    task = issued(wf, Level.HIGH)
    error = refused(wf, task, action, T0 + minutes(1), **data)
    assert error.code == "not_signed"


def test_signing_twice_is_refused(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.HIGH)
    assert refused(wf, task, DissuasionAction.SIGN, T0 + minutes(2)).code == "already_signed"


@pytest.mark.parametrize("level", list(Level))
def test_feedback_before_the_person_is_reached_is_refused(wf: DissuasionWorkflow, level: Level) -> None:
    task = signed(wf, level)
    error = refused(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(2), outcome="dissuaded")
    assert error.code == "not_reached"


def test_feedback_after_an_unanswered_call_is_refused(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.LOW)
    do(wf, task, DissuasionAction.CALL, T0 + minutes(2), answered=False)
    assert refused(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(3), outcome="dissuaded").code == "not_reached"


def test_feedback_while_visiting_without_meeting_is_refused(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.MEDIUM)
    do(wf, task, DissuasionAction.VISIT, T0 + minutes(2), found=False)
    assert refused(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(3), outcome="dissuaded").code == "not_reached"


@pytest.mark.parametrize("level", list(Level))
def test_unreachable_feedback_is_refused_even_after_meeting(wf: DissuasionWorkflow, level: Level) -> None:
    task = signed(wf, level)
    do(wf, task, DissuasionAction.MEET, T0 + minutes(2))
    error = refused(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(3), outcome="unreachable")
    assert (error.code, error.field) == ("not_allowed", "outcome")


def test_unreachable_feedback_while_still_looking_is_refused(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.VISIT, T0 + minutes(2), found=False)
    error = refused(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(3), outcome="unreachable")
    assert (error.code, error.field) == ("not_allowed", "outcome")


@pytest.mark.parametrize("outcome", ["maybe", None, ""])
def test_feedback_with_an_unknown_outcome_is_refused(wf: DissuasionWorkflow, outcome: str | None) -> None:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.MEET, T0 + minutes(2))
    error = refused(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(3), outcome=outcome)
    assert (error.code, error.field) == ("invalid_field", "outcome")


@pytest.mark.parametrize("amount", ["-1", "1.234", "abc", "1e11"])
def test_feedback_with_a_bad_amount_is_refused(wf: DissuasionWorkflow, amount: str) -> None:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.MEET, T0 + minutes(2))
    error = refused(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(3), outcome="dissuaded", amount_yuan=amount)
    assert (error.code, error.field) == ("invalid_field", "amount_yuan")


def test_an_amount_with_a_not_at_risk_outcome_is_refused(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.MEET, T0 + minutes(2))
    error = refused(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(3), outcome="not_at_risk", amount_yuan="100")
    assert (error.code, error.field) == ("invalid_field", "amount_yuan")


@pytest.mark.parametrize("answered", [None, "yes", 1])
def test_a_call_must_say_whether_it_was_answered(wf: DissuasionWorkflow, answered: object) -> None:
    task = signed(wf, Level.HIGH)
    error = refused(wf, task, DissuasionAction.CALL, T0 + minutes(2), answered=answered)
    assert (error.code, error.field) == ("invalid_field", "answered")


def test_a_visit_must_say_whether_the_person_was_found(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.HIGH)
    error = refused(wf, task, DissuasionAction.VISIT, T0 + minutes(2))
    assert (error.code, error.field) == ("invalid_field", "found")


def test_evaluation_before_feedback_is_refused(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.MEET, T0 + minutes(2))
    assert refused(wf, task, DissuasionAction.EVALUATE, T0 + minutes(3), actor=1).code == "not_ready"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_closing_without_a_reason_is_refused(wf: DissuasionWorkflow, reason: str | None) -> None:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.VISIT, T0 + minutes(2), found=False)
    error = refused(wf, task, DissuasionAction.CLOSE, T0 + minutes(3), reason=reason, actor=1)
    assert (error.code, error.field) == ("reason_required", "reason")


def test_the_centre_closes_a_person_not_found_with_a_reason(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.VISIT, T0 + minutes(2), found=False)
    at = T0 + minutes(300)
    do(wf, task, DissuasionAction.CLOSE, at, reason="本人已出境，经家属确认", actor=1)
    assert state(task) == DissuasionStatus.CLOSED
    assert task.outcome == "unreachable"
    assert task.closed_at == at
    assert (task.due_step, task.due_at, task.escalate_at) == (None, None, None)


def test_closing_may_name_another_outcome(wf: DissuasionWorkflow) -> None:
    task = issued(wf, Level.LOW)
    do(wf, task, DissuasionAction.CLOSE, T0 + minutes(1), reason="号码为空号，误报", actor=1, outcome="not_at_risk")
    assert task.outcome == "not_at_risk"
    assert state(task) == DissuasionStatus.CLOSED


def test_closing_with_an_unknown_outcome_is_refused(wf: DissuasionWorkflow) -> None:
    task = issued(wf, Level.LOW)
    error = refused(wf, task, DissuasionAction.CLOSE, T0 + minutes(1), reason="x", actor=1, outcome="gone")
    assert (error.code, error.field) == ("invalid_field", "outcome")


def _evaluated(wf: DissuasionWorkflow) -> Task:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.MEET, T0 + minutes(2))
    do(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(3), outcome="dissuaded")
    do(wf, task, DissuasionAction.EVALUATE, T0 + minutes(4), actor=1)
    return task


def _closed(wf: DissuasionWorkflow) -> Task:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.CLOSE, T0 + minutes(2), reason="误报", actor=1)
    return task


@pytest.mark.parametrize("make", [_evaluated, _closed], ids=["evaluated", "closed"])
@pytest.mark.parametrize(
    ("action", "data"),
    [
        (DissuasionAction.SIGN, {}),
        (DissuasionAction.CALL, {"answered": True}),
        (DissuasionAction.VISIT, {"found": True}),
        (DissuasionAction.MEET, {}),
        (DissuasionAction.FEEDBACK, {"outcome": "dissuaded"}),
        (DissuasionAction.EVALUATE, {}),
        (DissuasionAction.CLOSE, {}),
        (DissuasionAction.LEVEL, {"level": "critical"}),
        (DissuasionAction.NOTE, {}),
    ],
)
def test_actions_on_a_closed_task_are_refused(
    wf: DissuasionWorkflow, make: Any, action: DissuasionAction, data: dict[str, Any]
) -> None:
    task = make(wf)
    error = refused(wf, task, action, T0 + minutes(10), reason="再次处理", **data)
    assert error.code == "task_closed"


def test_an_action_the_ladder_does_not_know_is_refused(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.HIGH)
    error = refused(wf, task, "reply", T0 + minutes(2))
    assert (error.code, error.field) == ("unsupported_action", "action")


# --- the actions offered match the actions accepted -----------------------------------------------


def _in_state(wf: DissuasionWorkflow, level: Level, state: str) -> Task:
    task = issued(wf, level)
    at = T0 + minutes(1)
    script: dict[str, list[tuple[DissuasionAction, dict[str, Any]]]] = {
        "issued": [],
        "signed": [(DissuasionAction.SIGN, {})],
        "missed": [(DissuasionAction.SIGN, {}), (DissuasionAction.CALL, {"answered": False})],
        "reached": [(DissuasionAction.SIGN, {}), (DissuasionAction.CALL, {"answered": True})],
        "visiting": [(DissuasionAction.SIGN, {}), (DissuasionAction.VISIT, {"found": False})],
        "met": [(DissuasionAction.SIGN, {}), (DissuasionAction.MEET, {})],
        "feedback": [
            (DissuasionAction.SIGN, {}),
            (DissuasionAction.MEET, {}),
            (DissuasionAction.FEEDBACK, {"outcome": "dissuaded"}),
        ],
        "closed": [(DissuasionAction.SIGN, {}), (DissuasionAction.CLOSE, {"reason": "误报"})],
    }
    for action, data in script[state]:
        reason = data.pop("reason", None)
        do(wf, task, action, at, reason=reason, **data)
    return task


_ATTEMPTS: dict[DissuasionAction, dict[str, Any]] = {
    DissuasionAction.SIGN: {},
    DissuasionAction.CALL: {"answered": True},
    DissuasionAction.VISIT: {"found": True},
    DissuasionAction.MEET: {},
    DissuasionAction.FEEDBACK: {"outcome": "dissuaded"},
    DissuasionAction.EVALUATE: {},
    DissuasionAction.CLOSE: {"reason": "中心关闭"},
    DissuasionAction.ASSIGN: {"assignee_id": 9},
    DissuasionAction.NOTE: {"reason": "备注"},
    DissuasionAction.REOPEN: {"reason": "重新核实"},
}


@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize("state", ["issued", "signed", "missed", "reached", "visiting", "met", "feedback", "closed"])
def test_the_actions_offered_are_exactly_those_the_ladder_accepts(
    wf: DissuasionWorkflow, level: Level, state: str
) -> None:
    offered = wf.allowed(_in_state(wf, level, state))
    accepted = set()
    for action, attempt in _ATTEMPTS.items():
        task = _in_state(wf, level, state)
        data = dict(attempt)
        reason = data.pop("reason", None)
        try:
            do(wf, task, action, T0 + minutes(2), reason=reason, **data)
        except WorkflowError:
            continue
        accepted.add(action)
    assert set(offered) == accepted


# --- relevelling tightens, never loosens ------------------------------------------------------------


def test_relevel_up_tightens_the_sign_deadline(wf: DissuasionWorkflow) -> None:
    task = issued(wf, Level.MEDIUM)
    do(wf, task, DissuasionAction.LEVEL, T0 + minutes(1), actor=None, level="critical")
    assert task.level == "critical"
    assert task.due_step == DissuasionStep.SIGN
    assert task.due_at == deadline(Level.CRITICAL, 0)
    assert task.escalate_at == task.due_at


def test_relevel_up_after_the_new_deadline_has_passed_makes_it_due_now(wf: DissuasionWorkflow) -> None:
    task = issued(wf, Level.MEDIUM)
    now = T0 + minutes(10)  # critical would have had to be signed by T0 + 2 min
    do(wf, task, DissuasionAction.LEVEL, now, actor=None, level="critical")
    assert task.due_at == now
    assert task.escalate_at == now


def test_relevel_up_tightens_the_call_deadline(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.LOW)
    do(wf, task, DissuasionAction.LEVEL, T0 + minutes(2), actor=None, level="high")
    assert (task.due_step, task.due_at) == (DissuasionStep.CALL, deadline(Level.HIGH, 1))


def test_relevel_up_tightens_the_meet_deadline(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.MEDIUM)
    for i in range(MAX_UNANSWERED):
        do(wf, task, DissuasionAction.CALL, T0 + minutes(2 + i), answered=False)
    assert task.due_at == deadline(Level.MEDIUM, 2)
    do(wf, task, DissuasionAction.LEVEL, T0 + minutes(6), actor=None, level="critical")
    assert (task.due_step, task.due_at) == (DissuasionStep.MEET, deadline(Level.CRITICAL, 2))


@pytest.mark.parametrize(
    ("start", "lower"),
    [(Level.CRITICAL, Level.LOW), (Level.HIGH, Level.MEDIUM), (Level.MEDIUM, Level.LOW)],
)
def test_relevel_down_never_loosens_a_deadline(wf: DissuasionWorkflow, start: Level, lower: Level) -> None:
    task = issued(wf, start)
    do(wf, task, DissuasionAction.LEVEL, T0 + minutes(1), actor=None, level=lower.value)
    assert task.due_at == deadline(start, 0)
    do(wf, task, DissuasionAction.SIGN, T0 + minutes(1))
    # From here on the (lower) level's own deadline applies, counted from issue.
    assert task.due_at == deadline(lower, 1)


def test_relevel_down_at_the_meet_step_keeps_the_deadline(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.HIGH)
    do(wf, task, DissuasionAction.CALL, T0 + minutes(2), answered=True)
    before = task.due_at
    do(wf, task, DissuasionAction.LEVEL, T0 + minutes(3), actor=None, level="low")
    assert (task.due_step, task.due_at) == (DissuasionStep.MEET, before)


def test_relevel_to_face_to_face_after_a_phone_answer_requires_a_meeting(wf: DissuasionWorkflow) -> None:
    task = signed(wf, Level.MEDIUM)
    do(wf, task, DissuasionAction.CALL, T0 + minutes(2), answered=True)
    assert task.due_step == DissuasionStep.FEEDBACK
    do(wf, task, DissuasionAction.LEVEL, T0 + minutes(3), actor=None, level="high")
    assert (task.due_step, task.due_at) == (DissuasionStep.MEET, deadline(Level.HIGH, 2))
    assert refused(wf, task, DissuasionAction.FEEDBACK, T0 + minutes(4), outcome="dissuaded").code == "not_reached"


# --- escalation (pure) -----------------------------------------------------------------------------------


def test_escalation_climbs_one_rung_per_interval_and_stops_at_the_top(wf: DissuasionWorkflow) -> None:
    task = issued(wf, Level.CRITICAL)
    due = deadline(Level.CRITICAL, 0)
    assert not escalate(task, due - timedelta(seconds=1), wf)
    assert task.escalation == 0

    assert escalate(task, due, wf)
    assert (task.escalation, task.breaches, task.escalate_at) == (1, 1, due + ESCALATION)
    assert not escalate(task, due + ESCALATION - timedelta(seconds=1), wf)

    assert escalate(task, due + ESCALATION, wf)
    assert (task.escalation, task.breaches, task.escalate_at) == (2, 1, due + 2 * ESCALATION)

    assert escalate(task, due + 2 * ESCALATION, wf)
    assert (task.escalation, task.breaches, task.escalate_at) == (3, 1, None)

    assert not escalate(task, due + 10 * ESCALATION, wf)
    assert task.escalation == 3


def test_a_new_step_starts_its_own_clock_and_a_second_miss_is_a_second_breach(wf: DissuasionWorkflow) -> None:
    task = issued(wf, Level.HIGH)
    assert escalate(task, deadline(Level.HIGH, 0), wf)
    do(wf, task, DissuasionAction.SIGN, T0 + minutes(6))
    assert (task.escalation, task.breaches) == (0, 1)
    assert escalate(task, deadline(Level.HIGH, 1), wf)
    assert (task.escalation, task.breaches) == (1, 2)


def test_a_closed_task_never_escalates(wf: DissuasionWorkflow) -> None:
    task = _closed(wf)
    assert not escalate(task, T0 + minutes(10_000), wf)
    assert task.escalation == 0
