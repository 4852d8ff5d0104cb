"""The command centre's task kinds as pure rules: hidden dangers (finding and part) and disputes, with their
deadlines and ladders; and the year-on-year period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingan.command.dangers.rules import DangerRules
from pingan.command.dangers.workflow import DangerWorkflow, PartWorkflow
from pingan.command.disputes.rules import DisputeRules
from pingan.command.disputes.workflow import DisputeWorkflow
from pingan.command.yoy import change, year_earlier
from pingan.core.models import Task
from pingan.core.tasks import Command, WorkflowError, escalate

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
RULES = DangerRules(sign_hours=24, accept_days=7, part_lead_days=3, escalation_hours=24)


def task(kind: str, **facts: object) -> Task:
    return Task(
        kind=kind,
        status="issued",
        title="t",
        ref_type="x",
        ref_id=1,
        created_at=T0,
        updated_at=T0,
        escalation=0,
        breaches=0,
        facts=dict(facts),
    )


def test_a_finding_is_signed_rectified_by_its_deadline_submitted_and_accepted_as_rectified() -> None:
    wf = DangerWorkflow(RULES)
    due = T0 + timedelta(days=15)
    t = task("hidden_danger", rectify_due=due.isoformat())
    wf.start(t, T0)
    assert (t.due_step, t.due_at) == ("sign", T0 + timedelta(hours=24))
    assert wf.allowed(t) >= {"sign"}
    assert "submit" not in wf.allowed(t)
    wf.apply(t, Command("sign", 5), T0 + timedelta(hours=1))
    assert (t.status, t.due_step, t.due_at, t.assignee_id) == ("rectifying", "rectify", due, 5)
    with pytest.raises(WorkflowError):
        wf.apply(t, Command("accept", 6, None, {"opinion": "合格"}), T0)
    wf.apply(t, Command("submit", 5, None, {"summary": "完成"}), T0 + timedelta(days=10))
    assert (t.status, t.due_step, t.due_at) == ("submitted", "accept", T0 + timedelta(days=17))
    wf.apply(t, Command("accept", 6, None, {"opinion": "合格"}), T0 + timedelta(days=11))
    assert (t.status, t.outcome, t.closed_at, t.due_at) == ("accepted", "rectified", T0 + timedelta(days=11), None)
    assert wf.allowed(t) == frozenset({"reopen"})


def test_a_rejected_acceptance_sets_a_new_deadline_and_a_reopened_finding_resumes_it() -> None:
    wf = DangerWorkflow(RULES)
    t = task("hidden_danger", rectify_due=(T0 + timedelta(days=5)).isoformat())
    wf.start(t, T0)
    wf.apply(t, Command("sign", 5), T0)
    wf.apply(t, Command("submit", 5, None, {"summary": "完成"}), T0 + timedelta(days=1))
    wf.apply(t, Command("reject", 6, "缺隔离桩", {"days": 10}), T0 + timedelta(days=2))
    assert (t.status, t.due_step, t.due_at) == ("rectifying", "rectify", T0 + timedelta(days=12))
    assert t.facts["rectify_due"] == (T0 + timedelta(days=12)).isoformat()


def test_a_part_is_due_some_days_before_the_findings_deadline_but_never_before_it_could_be_signed() -> None:
    wf = PartWorkflow(RULES)
    far = task("hidden_danger_part", rectify_due=(T0 + timedelta(days=30)).isoformat())
    wf.start(far, T0)
    wf.apply(far, Command("sign", 7), T0)
    assert far.due_at == T0 + timedelta(days=27)
    near = task("hidden_danger_part", rectify_due=(T0 + timedelta(days=1)).isoformat())
    wf.start(near, T0)
    wf.apply(near, Command("sign", 7), T0)
    assert near.due_at == T0 + timedelta(hours=24)
    wf.apply(near, Command("report", 7, None, {"summary": "已处罚"}), T0 + timedelta(hours=2))
    assert (near.status, near.outcome) == ("reported", "reported")


def test_a_missed_deadline_climbs_the_department_the_centre_and_the_bureau_then_stays() -> None:
    wf = DangerWorkflow(RULES)
    t = task("hidden_danger")
    wf.start(t, T0)
    assert [r.name for r in wf.ladder.rungs] == ["牵头部门", "情指中心", "局领导"]
    at = T0 + timedelta(hours=24)
    assert not escalate(t, at - timedelta(seconds=1), wf)
    assert escalate(t, at, wf)
    assert (t.escalation, t.breaches, t.escalate_at) == (1, 1, at + timedelta(hours=24))
    assert escalate(t, at + timedelta(hours=24), wf)
    assert escalate(t, at + timedelta(hours=48), wf)
    assert (t.escalation, t.escalate_at) == (3, None)
    assert not escalate(t, at + timedelta(days=30), wf)


def test_a_dispute_is_mediated_agreed_visited_and_resolved_or_rebounds() -> None:
    wf = DisputeWorkflow(DisputeRules(first_session_days=3, mediate_days=30, follow_up_days=15))
    t = task("dispute")
    wf.start(t, T0)
    assert (t.due_step, t.due_at) == ("session", T0 + timedelta(days=3))
    assert "agree" not in wf.allowed(t)
    wf.apply(t, Command("session", 9, None, {"place": "调解室", "summary": "陈述"}), T0 + timedelta(days=1))
    assert (t.status, t.due_step, t.due_at, t.facts["sessions"]) == ("mediating", "agree", T0 + timedelta(days=30), 1)
    wf.apply(t, Command("session", 9, None, {"place": "调解室", "summary": "再调"}), T0 + timedelta(days=2))
    assert t.due_at == T0 + timedelta(days=30), "a second session does not move the agreement's deadline"
    wf.apply(t, Command("agree", 9, None, {"terms": "和解"}), T0 + timedelta(days=3))
    assert (t.status, t.due_step, t.due_at) == ("agreed", "follow_up", T0 + timedelta(days=18))
    wf.apply(t, Command("follow_up", 9, None, {"stable": False, "summary": "反弹"}), T0 + timedelta(days=10))
    assert (t.status, t.due_step, t.closed_at) == ("mediating", "agree", None)
    wf.apply(t, Command("agree", 9, None, {"terms": "再次和解"}), T0 + timedelta(days=11))
    wf.apply(t, Command("follow_up", 9, None, {"stable": True, "summary": "稳定"}), T0 + timedelta(days=20))
    assert (t.status, t.outcome) == ("resolved", "resolved")


def test_a_failed_mediation_closes_as_unresolved_and_cannot_be_agreed_after() -> None:
    wf = DisputeWorkflow(DisputeRules())
    t = task("dispute")
    wf.start(t, T0)
    wf.apply(t, Command("fail", 9, "分歧大", {"referral": "court"}), T0)
    assert (t.status, t.outcome) == ("failed", "unresolved")
    with pytest.raises(WorkflowError):
        wf.apply(t, Command("agree", 9, None, {"terms": "x"}), T0)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 3, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)),
        (datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2027, 2, 28, 12, tzinfo=UTC)),
    ],
)
def test_a_year_earlier_is_the_same_calendar_day_and_29_february_falls_on_the_28th(
    at: datetime, expected: datetime
) -> None:
    assert year_earlier(at) == expected


def test_a_change_from_nothing_is_not_a_number() -> None:
    assert change(5, 0) is None
    assert change(3, 4) == -0.25
