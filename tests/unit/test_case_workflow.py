"""A fraud case's investigation on a core task, without a database: 立案 → 侦办 → 破案 → 移送起诉, the suspect
before 破案, the county's deadlines at their borders, the ladder, 撤案 and reopening; and the analysis' pure rules
(age groups, 同比/环比 changes, the hot types)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingan.core.models import Task
from pingan.core.tasks import Command, WorkflowError, escalate
from pingan.money.analysis import Tally, age_group, birth_year_of, change, hot
from pingan.money.rules import CaseRules
from pingan.money.workflow import KIND, CaseAction, CaseStep, CaseTaskStatus, CaseWorkflow

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def new_case(rules: CaseRules | None = None) -> tuple[CaseWorkflow, Task]:
    workflow = CaseWorkflow(rules or CaseRules())
    task = Task(
        kind=KIND, status="issued", title="t", ref_type="case", ref_id=1, unit_id=2,
        created_at=T0, updated_at=T0, escalation=0, breaches=0, facts={},
    )  # fmt: skip
    workflow.start(task, T0)
    return workflow, task


def act(workflow: CaseWorkflow, task: Task, action: str, at: datetime, **data: object) -> str | None:
    return workflow.apply(task, Command(action, 7, data.pop("reason", None), data), at)  # type: ignore[arg-type]


def test_a_case_is_taken_up_solved_with_a_suspect_and_transferred() -> None:
    workflow, task = new_case()
    assert (task.status, task.due_step, task.due_at) == ("issued", CaseStep.ACCEPT, T0 + timedelta(hours=24))
    assert CaseAction.SOLVE not in workflow.allowed(task)
    act(workflow, task, CaseAction.INVESTIGATE, T0 + timedelta(hours=1))
    assert task.status == CaseTaskStatus.INVESTIGATING
    assert task.assignee_id == 7
    assert task.due_at == T0 + timedelta(hours=1, days=60)
    assert CaseAction.SOLVE not in workflow.allowed(task)  # no suspect yet
    with pytest.raises(WorkflowError) as refused:
        act(workflow, task, CaseAction.SOLVE, T0 + timedelta(days=2), note="破")
    assert refused.value.code == "suspect_required"
    act(workflow, task, CaseAction.ADD_SUSPECT, T0 + timedelta(days=3), name="王某", caught=True)
    act(workflow, task, CaseAction.ADD_SUSPECT, T0 + timedelta(days=3), name="李某")
    assert workflow.view(task) == {"suspects": 2, "suspects_caught": 1}
    act(workflow, task, CaseAction.SOLVE, T0 + timedelta(days=4), note="破")
    assert (task.status, task.outcome, task.due_step) == (CaseTaskStatus.SOLVED, "solved", CaseStep.TRANSFER)
    assert task.due_at == T0 + timedelta(days=34)
    assert workflow.allowed(task) >= {CaseAction.TRANSFER, CaseAction.ADD_SUSPECT}
    act(workflow, task, CaseAction.TRANSFER, T0 + timedelta(days=10), note="移送")
    assert (task.status, task.closed_at) == (CaseTaskStatus.PROSECUTED, T0 + timedelta(days=10))
    assert task.due_at is None
    assert workflow.allowed(task) == frozenset({"reopen"})


def test_stages_cannot_be_skipped_or_repeated() -> None:
    workflow, task = new_case()
    with pytest.raises(WorkflowError):
        act(workflow, task, CaseAction.TRANSFER, T0, note="x")
    act(workflow, task, CaseAction.INVESTIGATE, T0)
    with pytest.raises(WorkflowError) as again:
        act(workflow, task, CaseAction.INVESTIGATE, T0)
    assert again.value.code == "already_investigating"


def test_a_missed_deadline_climbs_the_ladder_at_the_countys_interval() -> None:
    workflow, task = new_case(CaseRules(accept_hours=2, escalation_hours=6))
    assert not workflow.overdue(task, T0 + timedelta(hours=2))  # at the border: still in time
    assert workflow.overdue(task, T0 + timedelta(hours=2, seconds=1))
    assert escalate(task, T0 + timedelta(hours=2, seconds=1), workflow)
    assert task.escalation == 1
    assert task.escalate_at == T0 + timedelta(hours=8, seconds=1)
    assert [r.name for r in workflow.ladder.rungs] == ["所长", "反诈中心", "局领导"]


def test_closing_is_a_withdrawal_with_a_reason_and_reopening_resumes_the_investigation() -> None:
    workflow, task = new_case()
    with pytest.raises(WorkflowError):
        act(workflow, task, "close", T0)
    act(workflow, task, "close", T0, reason="不构成诈骗，撤案")
    assert task.status == CaseTaskStatus.CLOSED
    act(workflow, task, "reopen", T0 + timedelta(days=1), reason="发现新线索")
    assert (task.status, task.closed_at, task.due_step) == (CaseTaskStatus.INVESTIGATING, None, CaseStep.SOLVE)


@pytest.mark.parametrize(
    ("born", "year", "group"),
    [(1966, 2026, "60_plus"), (1967, 2026, "46_59"), (2008, 2026, "18_25"), (2009, 2026, "under_18"),
     (None, 2026, "unknown"), (2030, 2026, "unknown"), (1800, 2026, "unknown")],
)  # fmt: skip
def test_age_groups_at_their_borders(born: int | None, year: int, group: str) -> None:
    assert age_group(born, year) == group


def test_birth_year_is_read_from_an_id_number_only_when_it_reads_as_one() -> None:
    assert birth_year_of("33022519500101001X") == 1950
    assert birth_year_of("330225") is None
    assert birth_year_of("3302251x500101001X") is None
    assert birth_year_of(None) is None


def test_changes_are_relative_and_none_without_a_base() -> None:
    assert change(3, 1) == 2.0
    assert change(1, 2) == -0.5
    assert change(5, 0) is None
    assert change(0, 0) is None


def test_a_hot_type_has_enough_incidents_and_grows_on_last_week() -> None:
    now = {
        "investment": Tally(cases=2, warnings=2),
        "loan": Tally(cases=5),
        "romance": Tally(cases=2),
        "gambling": Tally(warnings=3),
    }
    before = {"investment": Tally(cases=1), "loan": Tally(cases=5), "gambling": Tally()}
    found = hot(now, before, 3)
    assert [h["fraud_type"] for h in found] == ["investment", "gambling"]  # loan flat, romance too few
    assert found[0]["change"] == 3.0
    assert found[1]["change"] is None  # new this week
