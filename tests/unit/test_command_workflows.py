"""The pure rules of the verification and rehabilitation workflows and of the duty in the one access decision:
no database, a task in memory, `now` given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pingan.command.rehab.rules import RehabRules
from pingan.command.rehab.workflow import RehabCheckinWorkflow
from pingan.command.verify.rules import VerifyRules
from pingan.command.verify.schemas import VerifyRowIn
from pingan.command.verify.workflow import VerificationWorkflow
from pingan.core.errors import Forbidden
from pingan.core.identity import Actor
from pingan.core.models import Duty, Role, Task
from pingan.core.scope import Scope
from pingan.core.tasks import Command, WorkflowError
from pingan.core.tasks.access import sees

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
VERIFY = VerifyRules(
    default_hours=24, sign_minutes=60, escalation_minutes=120, max_escalation=3, max_hours=720, max_rows=100
)
REHAB = RehabRules(
    checkin_days=7, test_days=30, grace_days=1, sign_minutes=240, resolve_hours=24, escalation_minutes=240
)


def task(kind: str, *, due: datetime | None = None, unit_id: int | None = 1, **facts: object) -> Task:
    return Task(
        kind=kind,
        title="t",
        ref_type="x",
        ref_id=1,
        unit_id=unit_id,
        area_id=10,
        created_at=NOW,
        updated_at=NOW,
        escalation=0,
        breaches=0,
        facts={**({"due_at": due.isoformat()} if due else {}), **facts},
    )


def test_a_row_is_signed_before_the_lists_deadline_and_fed_back_by_it() -> None:
    flow = VerificationWorkflow(VERIFY)
    due = NOW + timedelta(minutes=30)  # sooner than signing's hour: signing is due by the list's deadline
    t = task("verification", due=due)
    flow.start(t, NOW)
    assert (t.due_step, t.due_at) == ("sign", due)
    later = task("verification", due=NOW + timedelta(hours=6))
    flow.start(later, NOW)
    assert later.due_at == NOW + timedelta(minutes=60)
    flow.apply(later, Command("sign", 5), NOW)
    assert (later.status, later.due_step, later.due_at, later.assignee_id) == (
        "signed",
        "verify",
        NOW + timedelta(hours=6),
        5,
    )
    with pytest.raises(WorkflowError) as refused:
        flow.apply(later, Command("feedback", 5, data={"finding": "handled"}), NOW)
    assert refused.value.field == "measures"
    flow.apply(later, Command("feedback", 5, data={"finding": "handled", "measures": "已处置"}), NOW)
    assert (later.status, later.outcome, later.closed_at) == ("handled", "handled", NOW)
    assert flow.allowed(later) == {"reopen"}


def test_an_unplaced_row_goes_to_the_command_centre_and_routing_hands_it_to_a_station() -> None:
    flow = VerificationWorkflow(VERIFY)
    t = task("verification", due=NOW + timedelta(hours=6), unit_id=None)
    assert "待情指中心分派" in (flow.start(t, NOW) or "")
    assert flow.issued_to(t) != ()
    flow.apply(t, Command("route", 1, data={"unit_id": 7, "area_id": 70}), NOW)
    assert (t.unit_id, t.area_id, t.status, t.due_step) == (7, 70, "issued", "sign")
    with pytest.raises(WorkflowError):
        flow.apply(t, Command("route", 1, data={"unit_id": 7, "area_id": 70}), NOW)


def test_a_rows_identity_is_its_id_or_else_its_content() -> None:
    a = VerifyRowIn.model_validate({"name": "张三", "phone": "+86 139-0574-0001"})
    b = VerifyRowIn.model_validate({"name": "张三", "phone": "13905740001"})
    assert a.key() == b.key()  # normalised before
    assert VerifyRowIn.model_validate({"id": "r1", "name": "李四", "phone": "13905740001"}).key() == "id:r1"


def test_a_missed_check_in_is_resolved_checked_in_or_lost_with_what_was_done() -> None:
    flow = RehabCheckinWorkflow(REHAB)
    t = task("rehab_checkin", check_kind="test")
    flow.start(t, NOW)
    flow.apply(t, Command("sign", 3), NOW)
    with pytest.raises(WorkflowError) as no_result:
        flow.apply(t, Command("resolve", 3, data={"outcome": "checked_in"}), NOW)
    assert no_result.value.field == "result"
    with pytest.raises(WorkflowError) as no_note:
        flow.apply(t, Command("resolve", 3, data={"outcome": "lost"}), NOW)
    assert no_note.value.field == "note"
    flow.apply(t, Command("resolve", 3, "多次上门未见", {"outcome": "lost"}), NOW)
    assert t.status == "lost"


def test_a_workflow_with_a_duty_is_invisible_without_it_whatever_the_role() -> None:
    flow = RehabCheckinWorkflow(REHAB)
    t = task("rehab_checkin")
    commander = Actor(1, Role.COMMANDER, None)
    assert not sees(commander, Scope(True, frozenset(), frozenset()), t, flow)
    assert sees(commander, Scope(True, frozenset(), frozenset(), frozenset({Duty.NARCOTICS.value})), t, flow)
    officer = Actor(2, Role.OFFICER, 1)
    assert sees(officer, Scope(False, frozenset({1}), frozenset({10}), frozenset({Duty.NARCOTICS.value})), t, flow)
    assert not sees(officer, Scope(False, frozenset({2}), frozenset({20}), frozenset({Duty.NARCOTICS.value})), t, flow)
    with pytest.raises(Forbidden):
        Scope(True, frozenset(), frozenset()).require(Duty.NARCOTICS)
    Scope(False, frozenset(), frozenset(), frozenset({"narcotics"})).require(Duty.NARCOTICS)


def test_a_reopened_row_is_back_with_whoever_signed_it_or_issued_again_with_a_fresh_deadline() -> None:
    flow = VerificationWorkflow(VERIFY)
    signed = task("verification", due=NOW + timedelta(hours=6))
    flow.start(signed, NOW)
    flow.apply(signed, Command("sign", 5), NOW)
    flow.apply(signed, Command("feedback", 5, data={"finding": "cleared"}), NOW)
    later = NOW + timedelta(days=3)
    assert flow.apply(signed, Command("reopen", 1, "复核"), later) == "重新打开，待再次核查"
    assert (signed.status, signed.due_step, signed.due_at, signed.closed_at) == (
        "signed",
        "verify",
        later + timedelta(hours=VERIFY.default_hours),
        None,
    )
    unsigned = task("verification", due=NOW + timedelta(hours=6))
    flow.start(unsigned, NOW)
    flow.apply(unsigned, Command("close", 1, "重复下发"), NOW)
    flow.apply(unsigned, Command("reopen", 1, "并非重复"), later)
    assert (unsigned.status, unsigned.due_step, unsigned.assignee_id) == ("issued", "verify", None)


def test_the_verification_ladder_climbs_as_far_as_the_county_says() -> None:
    assert [r.name for r in VerificationWorkflow(VERIFY).ladder.rungs] == ["所长", "情指中心", "局领导"]
    short = VerificationWorkflow(VERIFY.model_copy(update={"max_escalation": 1}))
    assert [r.name for r in short.ladder.rungs] == ["所长"]
    assert short.ladder.interval == timedelta(minutes=VERIFY.escalation_minutes)
    assert VerificationWorkflow(VERIFY).issued_to(task("verification")) == ()


def test_a_reopened_check_in_is_signed_again_whoever_held_it() -> None:
    flow = RehabCheckinWorkflow(REHAB)
    t = task("rehab_checkin", check_kind="checkin")
    flow.start(t, NOW)
    flow.apply(t, Command("close", 1, "已核实"), NOW)
    assert flow.apply(t, Command("reopen", 1, "复核"), NOW) == "重新打开，待再次查找"
    assert (t.status, t.due_step, t.due_at) == ("signed", "resolve", NOW + timedelta(hours=REHAB.resolve_hours))
    assert flow.issued_to(task("rehab_checkin", unit_id=None)) == ()
