"""The stop-payment order's loop on a core task, without a database: the 48 h hold at its border, freezes and
renewals, the return deadline in working days, the two-stop rule, and the ladder bank → 反诈中心 → 局领导."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pingan.core.models import Task
from pingan.core.tasks import Command, WorkflowError, escalate
from pingan.money.payments.calendar import CalendarYearUnknown, build_calendar
from pingan.money.payments.models import OrderStatus
from pingan.money.payments.rules import (
    PaymentRules,
    add_months,
    freeze_ends,
    freeze_reminders,
    hold_lapsed,
    stop_refusal,
)
from pingan.money.payments.workflow import KIND, Action, Step, StopWorkflow

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 9, 29, 2, 0, tzinfo=UTC)  # Monday 29 September 2025, 10:00 in Shanghai
BANK = 3
RULES = PaymentRules()


def new_task(rules: PaymentRules = RULES) -> tuple[StopWorkflow, Task]:
    workflow = StopWorkflow(rules, rules.working_calendar())
    task = Task(
        kind=KIND, status="issued", title="t", ref_type="payment_order", ref_id=1, unit_id=BANK,
        created_at=T0, updated_at=T0, escalation=0, breaches=0, facts={},
    )  # fmt: skip
    workflow.start(task, T0)
    return workflow, task


def act(workflow: StopWorkflow, task: Task, action: str, at: datetime, **data: object) -> str | None:
    return workflow.apply(task, Command(action, 1, None, data), at)


def stopped(at: datetime = T0) -> tuple[StopWorkflow, Task]:
    workflow, task = new_task()
    act(workflow, task, Action.ANSWER, at, result="stopped", amount_stopped_yuan="50000.00")
    return workflow, task


def frozen(at: datetime = T0) -> tuple[StopWorkflow, Task]:
    workflow, task = stopped(at)
    act(workflow, task, Action.ORDER_FREEZE, at + timedelta(hours=1), basis="冻结决定书")
    act(workflow, task, Action.FREEZE, at + timedelta(hours=2), amount_frozen_yuan="48000")
    return workflow, task


def test_a_new_stop_waits_for_the_banks_answer() -> None:
    _, task = new_task()
    assert (task.status, task.due_step, task.due_at) == (OrderStatus.ISSUED, Step.ANSWER, T0 + timedelta(minutes=30))


def test_a_stop_holds_for_48_hours_and_the_freeze_is_due_12_hours_before() -> None:
    workflow, task = stopped()
    assert task.status == OrderStatus.HELD
    assert task.facts["hold_ends_at"] == (T0 + timedelta(hours=48)).isoformat()
    assert (task.due_step, task.due_at) == (Step.FREEZE, T0 + timedelta(hours=36))
    assert workflow.allowed(task) >= {Action.ORDER_FREEZE}


def test_the_hold_lapses_at_48_hours_exactly() -> None:
    assert not hold_lapsed(T0, T0 + timedelta(hours=48) - timedelta(microseconds=1), RULES)
    assert hold_lapsed(T0, T0 + timedelta(hours=48), RULES)


def test_a_freeze_one_second_before_the_48_hours_is_taken() -> None:
    workflow, task = stopped()
    last = T0 + timedelta(hours=48) - timedelta(seconds=1)
    act(workflow, task, Action.ORDER_FREEZE, last - timedelta(seconds=1), basis="冻结决定书")
    act(workflow, task, Action.FREEZE, last, amount_frozen_yuan="1")
    assert task.status == OrderStatus.FROZEN


def test_a_freeze_at_48_hours_is_refused_the_hold_has_lapsed() -> None:
    workflow, task = stopped()
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, Action.ORDER_FREEZE, T0 + timedelta(hours=48), basis="冻结决定书")
    assert caught.value.code == "hold_lapsed"
    # Ordered in time, the bank's freeze after the lapse is refused too.
    act(workflow, task, Action.ORDER_FREEZE, T0 + timedelta(hours=47), basis="冻结决定书")
    with pytest.raises(WorkflowError, match="失效"):
        act(workflow, task, Action.FREEZE, T0 + timedelta(hours=48), amount_frozen_yuan="1")


def test_the_system_lapses_the_hold_only_once_it_has_run_out() -> None:
    workflow, task = stopped()
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, Action.LAPSE, T0 + timedelta(hours=47, minutes=59))
    assert caught.value.code == "not_due"
    act(workflow, task, Action.LAPSE, T0 + timedelta(hours=48))
    assert (task.status, task.closed_at) == (OrderStatus.LAPSED, T0 + timedelta(hours=48))


def test_a_stop_answered_without_an_amount_names_the_field() -> None:
    workflow, task = new_task()
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, Action.ANSWER, T0, result="stopped")
    assert caught.value.field == "amount_stopped_yuan"


def test_withdrawn_and_not_found_close_the_order() -> None:
    for result, status in (("withdrawn", OrderStatus.WITHDRAWN), ("not_found", OrderStatus.NOT_FOUND)):
        workflow, task = new_task()
        act(workflow, task, Action.ANSWER, T0, result=result)
        assert (task.status, task.closed_at, task.due_at) == (status, T0, None)


def test_a_third_stop_on_an_account_is_refused_with_the_reason() -> None:
    assert stop_refusal(0, RULES) is None
    assert stop_refusal(1, RULES) is None
    reason = stop_refusal(2, RULES)
    assert reason is not None
    assert "最多止付 2 次" in reason


def test_a_freeze_lasts_six_calendar_months_and_renewal_is_due_three_days_before() -> None:
    _workflow, task = frozen()
    at = T0 + timedelta(hours=2)
    ends = datetime(2026, 3, 29, 12, 0, tzinfo=SHANGHAI)
    assert task.facts["freeze_ends_at"] == ends.astimezone(UTC).isoformat()
    assert (task.status, task.due_step, task.due_at) == (OrderStatus.FROZEN, Step.RENEW, ends - timedelta(days=3))
    assert [d for d, _ in freeze_reminders(ends, at, RULES)] == [15, 3]


def test_six_months_from_the_end_of_august_is_the_end_of_february() -> None:
    assert add_months(datetime(2025, 8, 31, 4, tzinfo=UTC), 6, SHANGHAI) == datetime(2026, 2, 28, 12, tzinfo=SHANGHAI)


def test_a_renewal_continues_the_freeze_from_its_end() -> None:
    workflow, task = frozen()
    first_end = datetime.fromisoformat(task.facts["freeze_ends_at"])
    act(workflow, task, Action.ORDER_RENEWAL, first_end - timedelta(days=10), basis="续冻决定书")
    assert task.status == OrderStatus.RENEWAL_ORDERED
    act(workflow, task, Action.RENEW, first_end - timedelta(days=9))
    assert task.status == OrderStatus.FROZEN
    assert task.facts["renewals"] == 1
    assert datetime.fromisoformat(task.facts["freeze_ends_at"]) == freeze_ends(first_end, RULES)


def test_a_renewal_after_the_freeze_ended_is_refused_and_the_freeze_lapses() -> None:
    workflow, task = frozen()
    end = datetime.fromisoformat(task.facts["freeze_ends_at"])
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, Action.ORDER_RENEWAL, end, basis="续冻决定书")
    assert caught.value.code == "freeze_lapsed"
    act(workflow, task, Action.LAPSE, end)
    assert task.status == OrderStatus.FREEZE_LAPSED


def test_the_return_is_due_within_three_working_days_across_national_day() -> None:
    workflow, task = frozen(datetime(2025, 9, 29, 2, tzinfo=UTC))
    ordered = datetime(2025, 9, 30, 8, 0, tzinfo=UTC)  # Tuesday 16:00 in Shanghai, the eve of the holiday
    act(workflow, task, Action.ORDER_RETURN, ordered, amount_yuan="48000", basis="返还决定书")
    # 1–8 October off; Thursday 9, Friday 10 and the make-up Saturday 11 are the three working days.
    assert (task.status, task.due_step) == (OrderStatus.RETURN_ORDERED, Step.RETURN)
    assert task.due_at == datetime(2025, 10, 12, tzinfo=SHANGHAI)
    assert act(
        workflow, task, Action.CONFIRM_RETURN, task.due_at - timedelta(hours=1), amount_returned_yuan="48000"
    ) == ("已返还 48000.00 元")
    assert task.status == OrderStatus.RETURNED


def test_a_return_larger_than_the_frozen_amount_names_the_field() -> None:
    workflow, task = frozen()
    with pytest.raises(WorkflowError) as caught:
        act(workflow, task, Action.ORDER_RETURN, T0 + timedelta(days=1), amount_yuan="48000.01", basis="返还决定书")
    assert caught.value.field == "amount_yuan"


def test_a_return_in_a_year_no_calendar_covers_is_refused_naming_the_year() -> None:
    rules = PaymentRules()
    workflow = StopWorkflow(rules, build_calendar({}))
    last = workflow.calendar.years[-1]
    _, task = frozen()
    task.facts = {**task.facts, "freeze_ends_at": datetime(last + 2, 1, 1, tzinfo=UTC).isoformat()}
    with pytest.raises(CalendarYearUnknown) as caught:
        act(
            workflow,
            task,
            Action.ORDER_RETURN,
            datetime(last, 12, 30, 2, tzinfo=UTC),
            amount_yuan="1",
            basis="返还决定书",
        )
    assert caught.value.year == last + 1


def test_a_late_answer_climbs_bank_then_centre_then_bureau() -> None:
    workflow, task = new_task()
    names = []
    at = T0 + timedelta(minutes=30)
    for _ in range(4):
        escalate(task, at, workflow)
        rung = workflow.ladder.rung(task.escalation)
        names.append(rung.name if rung else None)
        at += timedelta(minutes=60)
    assert names == ["银行联络员", "反诈中心", "局领导", "局领导"]
    assert task.breaches == 1
