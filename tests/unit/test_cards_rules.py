"""断卡 rules and the verification workflow, alone: borders of every threshold, the ID number's facts, the task."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pingan.bootstrap import load_rules
from pingan.core.identifiers import is_valid_cn_id_number
from pingan.core.models import Task, UnitKind
from pingan.core.tasks import Command, WorkflowError
from pingan.money.cards.rules.county import CardRules
from pingan.money.cards.rules.detect import Reason, age_on, assess, id_facts, is_high
from pingan.money.cards.workflow import CardStatus, CardStep, CardVerificationWorkflow
from tests.cards_ids import id_number

RULES = load_rules().section(CardRules)
DAY = date(2026, 11, 23)
LOCAL_ADULT = id_number("330225", "19900101")
AWAY_YOUNG = id_number("522301", "20050301")  # 兴义市, 21 on DAY
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def rules_of(result: list[Reason]) -> list[str]:
    return [r.rule for r in result]


def test_the_test_ids_are_valid_resident_id_numbers() -> None:
    assert is_valid_cn_id_number(LOCAL_ADULT)
    assert is_valid_cn_id_number(AWAY_YOUNG)


def test_id_facts_read_the_area_code_and_the_birth_date() -> None:
    facts = id_facts(AWAY_YOUNG)
    assert facts is not None
    assert (facts.area_code, facts.born) == ("522301", date(2005, 3, 1))
    assert id_facts("52230120050231123X") is None  # 31 February
    assert id_facts("5223012005") is None


def test_age_counts_full_years_only() -> None:
    born = date(2005, 3, 1)
    assert age_on(born, date(2026, 2, 28)) == 20
    assert age_on(born, date(2026, 3, 1)) == 21
    assert age_on(date(2004, 2, 29), date(2025, 2, 28)) == 20


def _assess(
    number: str = LOCAL_ADULT,
    *,
    holder: int = 1,
    outlet: int = 1,
    linked: bool = False,
    day: date = DAY,
    rules: CardRules = RULES,
) -> list[str]:
    return rules_of(
        assess(id_number=number, day=day, holder_cards=holder, outlet_cards=outlet, linked_to_case=linked, rules=rules)
    )


def test_an_ordinary_opening_is_not_flagged() -> None:
    assert _assess() == []


def test_one_person_many_cards_flags_at_the_threshold_not_before() -> None:
    assert _assess(holder=RULES.person_cards - 1) == []
    assert _assess(holder=RULES.person_cards) == ["person_cards"]


def test_a_batch_at_one_outlet_flags_at_the_threshold_not_before() -> None:
    assert _assess(outlet=RULES.outlet_cards - 1) == []
    assert _assess(outlet=RULES.outlet_cards) == ["outlet_batch"]


def test_young_people_away_from_home_are_flagged_within_the_age_bounds() -> None:
    assert _assess(AWAY_YOUNG) == ["young_away_from_home"]
    too_old = id_number("522301", "20000101")  # 26
    assert _assess(too_old) == []
    just_25 = id_number("522301", "20011123")  # 25 today
    assert _assess(just_25) == ["young_away_from_home"]
    just_16 = id_number("522301", "20101123")
    assert _assess(just_16) == ["young_away_from_home"]
    fifteen = id_number("522301", "20101124")
    assert _assess(fifteen) == []
    young_local = id_number("330225", "20050301")
    assert _assess(young_local) == []


def test_home_can_be_the_city_instead_of_the_county() -> None:
    same_city = id_number("330206", "20050301")  # 宁波市北仑区: another county of the same city
    assert _assess(same_city) == ["young_away_from_home"]
    city = RULES.model_copy(update={"home_prefix_digits": 4})
    assert _assess(same_city, rules=city) == []
    assert _assess(AWAY_YOUNG, rules=city) == ["young_away_from_home"]


def test_a_holder_linked_to_a_case_is_flagged_and_urgent() -> None:
    reasons = assess(id_number=LOCAL_ADULT, day=DAY, holder_cards=1, outlet_cards=1, linked_to_case=True, rules=RULES)
    assert rules_of(reasons) == ["linked_to_case"]
    assert is_high(reasons)
    two = assess(
        id_number=AWAY_YOUNG,
        day=DAY,
        holder_cards=RULES.person_cards,
        outlet_cards=1,
        linked_to_case=False,
        rules=RULES,
    )
    assert is_high(two)
    one = assess(id_number=AWAY_YOUNG, day=DAY, holder_cards=1, outlet_cards=1, linked_to_case=False, rules=RULES)
    assert not is_high(one)


def test_bad_county_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="area code"):
        CardRules.model_validate({**RULES.model_dump(), "local_area_codes": ["3302"]})
    with pytest.raises(ValueError, match="young_max_age"):
        CardRules.model_validate({**RULES.model_dump(), "young_min_age": 30, "young_max_age": 20})


# -- the workflow ----------------------------------------------------------------------------------------


def _task(level: str = "medium") -> Task:
    task = Task(
        kind="card_verification",
        status="issued",
        level=level,
        created_at=NOW,
        updated_at=NOW,
        escalation=0,
        breaches=0,
        facts={"openings": 2},
    )
    return task


def test_a_task_is_signed_for_then_verified_within_the_county_deadlines() -> None:
    flow = CardVerificationWorkflow(RULES)
    task = _task()
    flow.start(task, NOW)
    assert (task.status, task.due_step) == (CardStatus.ISSUED, CardStep.SIGN)
    assert task.due_at == NOW + timedelta(minutes=RULES.sign_minutes)
    flow.apply(task, Command("sign", 7), NOW + timedelta(minutes=5))
    assert (task.status, task.assignee_id, task.due_step) == (CardStatus.SIGNED, 7, CardStep.VERIFY)
    assert task.due_at == NOW + timedelta(hours=RULES.verify_hours)
    with pytest.raises(WorkflowError):
        flow.apply(task, Command("sign", 7), NOW)
    flow.apply(task, Command("verify", 7, None, {"outcome": "cancelled"}), NOW + timedelta(hours=1))
    assert (task.status, task.outcome) == (CardStatus.CANCELLED, "cancelled")
    assert task.closed_at is not None
    assert task.facts["cards_cancelled"] == 2  # every opening on the task, unless said otherwise
    assert flow.allowed(task) == frozenset({"reopen"})


def test_a_high_task_is_due_sooner() -> None:
    flow = CardVerificationWorkflow(RULES)
    task = _task("high")
    flow.start(task, NOW)
    flow.apply(task, Command("sign", 7), NOW)
    assert task.due_at == NOW + timedelta(hours=RULES.verify_hours_high)


def test_cleared_needs_a_note_and_suspect_closes_the_task() -> None:
    flow = CardVerificationWorkflow(RULES)
    task = _task()
    flow.start(task, NOW)
    with pytest.raises(WorkflowError) as caught:
        flow.apply(task, Command("verify", 7, None, {"outcome": "cleared"}), NOW)
    assert caught.value.field == "note"
    flow.apply(task, Command("verify", 7, "本人使用，已核实", {"outcome": "cleared"}), NOW)
    assert task.status == CardStatus.CLEARED
    other = _task()
    flow.start(other, NOW)
    flow.apply(other, Command("verify", 7, None, {"outcome": "suspect"}), NOW)
    assert (other.status, other.outcome) == (CardStatus.SUSPECT, "suspect")


def test_attaching_an_opening_counts_it() -> None:
    flow = CardVerificationWorkflow(RULES)
    task = _task()
    flow.start(task, NOW)
    flow.apply(task, Command("attach", None, "新增", {"opening_id": 9}), NOW)
    assert task.facts["openings"] == 3
    assert flow.view(task)["openings"] == 3


def test_the_ladder_goes_to_the_station_head_then_the_anti_fraud_centre() -> None:
    flow = CardVerificationWorkflow(RULES)
    assert [r.name for r in flow.ladder.rungs] == ["所长", "反诈中心", "局领导"]
    assert flow.ladder.interval == timedelta(minutes=RULES.escalation_minutes)


def test_a_reopened_task_is_verified_again_within_its_levels_hours_from_now() -> None:
    flow = CardVerificationWorkflow(RULES)
    task = _task("high")
    flow.start(task, NOW)
    flow.apply(task, Command("sign", 7), NOW)
    flow.apply(task, Command("verify", 7, None, {"outcome": "suspect"}), NOW)
    later = NOW + timedelta(days=2)
    assert flow.apply(task, Command("reopen", 1, "复核"), later) == "重新打开，待再次核查"
    assert (task.status, task.due_step, task.assignee_id) == (CardStatus.SIGNED, CardStep.VERIFY, 7)
    assert task.due_at == later + timedelta(hours=RULES.verify_hours_high)
    unplaced = _task()
    assert flow.issued_to(unplaced) == (UnitKind.ANTI_FRAUD_CENTRE,)
    unplaced.unit_id = 3
    assert flow.issued_to(unplaced) == ()
