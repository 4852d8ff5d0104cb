"""Grading (DESIGN §5): every default rule at its threshold, floors and raises, event folding.

Pure: features in, a `Grade` out; no database. The thresholds below are read from the packaged
`fraud/rules.toml` as the county's defaults document them, not from the code under test.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pytest

from pingan.bootstrap import load_rules
from pingan.fraud.grading import FEATURES, EventFacts, Grade, add_event, grade, person_features
from pingan.fraud.models import EventKind, EventSource, Level
from pingan.fraud.rules import GradingRules

LOW, MEDIUM, HIGH, CRITICAL = Level.LOW, Level.MEDIUM, Level.HIGH, Level.CRITICAL


@pytest.fixture(scope="module")
def rules() -> GradingRules:
    return load_rules().section(GradingRules)


def graded(rules: GradingRules, **features: float) -> Grade:
    return grade(features, rules)


def fired(result: Grade) -> set[str]:
    return {r.rule for r in result.reasons}


def text_of(result: Grade, rule: str) -> str:
    [reason] = [r for r in result.reasons if r.rule == rule]
    return reason.text


# --- each rule at its threshold, and not just below it ------------------------------------------


@pytest.mark.parametrize(
    ("feature", "below", "at", "rule", "level"),
    [
        ("call_seconds", 59, 60, "call_1min", MEDIUM),
        ("call_seconds", 299, 300, "call_5min", HIGH),
        ("call_seconds", 899, 900, "call_15min", CRITICAL),
        ("contacts", 0, 1, "indicator_hit", LOW),
        ("contacts", 2, 3, "repeated", MEDIUM),
        ("contacts", 5, 6, "repeated_many", HIGH),
        ("amount_yuan", 0, 0.01, "money", HIGH),
        ("amount_yuan", 49999.99, 50000, "money_large", CRITICAL),
        ("app_installed", 0, 1, "app", HIGH),
        ("url_visited", 0, 1, "url", MEDIUM),
        ("sms_received", 0, 1, "sms", LOW),
        ("reported", 0, 1, "reported", HIGH),
    ],
)
def test_rule_fires_at_its_threshold_and_not_just_below(
    rules: GradingRules, feature: str, below: float, at: float, rule: str, level: Level
) -> None:
    under = graded(rules, **{feature: below})
    assert rule not in fired(under)
    assert under.level.rank < level.rank or under.level is level is LOW

    result = graded(rules, **{feature: at})
    assert rule in fired(result)
    assert result.level is level
    [reason] = [r for r in result.reasons if r.rule == rule]
    assert reason.level is level
    assert reason.raised == 0


def test_no_features_grade_low_with_no_reasons(rules: GradingRules) -> None:
    result = graded(rules)
    assert result.level is LOW
    assert result.reasons == ()


def test_a_feature_absent_from_the_map_never_fires(rules: GradingRules) -> None:
    # A person without a birth year has no `age`: the elderly rule must not treat it as 0 or fire.
    result = grade({"call_seconds": 60}, rules)
    assert fired(result) == {"call_1min"}


@pytest.mark.parametrize(("platform_level", "level"), [(1, LOW), (2, MEDIUM), (3, HIGH), (4, CRITICAL)])
def test_platform_level_sets_the_pushed_level(rules: GradingRules, platform_level: int, level: Level) -> None:
    result = graded(rules, platform_level=platform_level)
    assert result.level is level
    assert text_of(result, "platform") == f"上级平台下发预警（{platform_level} 级）"


def test_platform_level_zero_does_not_fire(rules: GradingRules) -> None:
    assert "platform" not in fired(graded(rules, platform_level=0))


def test_platform_level_above_the_scale_is_critical(rules: GradingRules) -> None:
    assert graded(rules, platform_level=5).level is CRITICAL


# --- raises -----------------------------------------------------------------------------------------


def test_age_65_raises_one_level_and_64_does_not(rules: GradingRules) -> None:
    assert graded(rules, call_seconds=60, age=64).level is MEDIUM
    result = graded(rules, call_seconds=60, age=65)
    assert result.level is HIGH
    [elderly] = [r for r in result.reasons if r.rule == "elderly"]
    assert elderly.level is None
    assert elderly.raised == 1
    assert elderly.text == "高龄（65 岁），易受骗群体"


def test_elderly_raise_is_capped_at_critical(rules: GradingRules) -> None:
    assert graded(rules, call_seconds=900, age=80).level is CRITICAL


def test_elderly_raise_applies_to_the_low_floor_without_other_rules(rules: GradingRules) -> None:
    # A raise lifts the floor (low by default) even when no floor rule matched.
    assert graded(rules, age=70).level is MEDIUM


def test_earlier_warnings_raise_one_level(rules: GradingRules) -> None:
    assert graded(rules, sms_received=1, earlier_warnings=0).level is LOW
    result = graded(rules, sms_received=1, earlier_warnings=2)
    assert result.level is MEDIUM
    assert text_of(result, "warned_before") == "近期曾被预警 2 次"


def test_raises_add_up(rules: GradingRules) -> None:
    result = graded(rules, sms_received=1, age=70, earlier_warnings=1)
    assert result.level is HIGH  # low + 1 (elderly) + 1 (warned before)
    assert sum(r.raised for r in result.reasons) == 2


def test_raises_add_up_and_stop_at_critical(rules: GradingRules) -> None:
    assert graded(rules, call_seconds=300, age=70, earlier_warnings=1).level is CRITICAL


def test_student_tag_gives_a_reason_but_no_raise(rules: GradingRules) -> None:
    result = graded(rules, url_visited=1, student=1)
    assert result.level is MEDIUM
    assert text_of(result, "student") == "在校学生"


# --- floors take the maximum ----------------------------------------------------------------------


def test_floors_take_the_highest_whatever_the_rule_order(rules: GradingRules) -> None:
    result = graded(rules, sms_received=1, call_seconds=300, url_visited=1, contacts=3)
    assert result.level is HIGH
    assert {"sms", "call_1min", "call_5min", "url", "indicator_hit", "repeated"} <= fired(result)


def test_floors_do_not_add_up(rules: GradingRules) -> None:
    # Three medium-level rules are still medium: only raises add.
    assert graded(rules, call_seconds=60, url_visited=1, contacts=3).level is MEDIUM


def test_every_matching_rule_is_listed_as_a_reason_in_rule_order(rules: GradingRules) -> None:
    result = graded(rules, call_seconds=900)
    assert [r.rule for r in result.reasons] == ["call_1min", "call_5min", "call_15min"]
    assert [r.level for r in result.reasons] == [MEDIUM, HIGH, CRITICAL]


# --- reasons carry the value, formatted ----------------------------------------------------------


@pytest.mark.parametrize(
    ("features", "rule", "text"),
    [
        ({"call_seconds": 61}, "call_1min", "与涉诈号码通话 61 秒"),
        ({"call_seconds": 960}, "call_15min", "与涉诈号码长时间通话（960 秒），可能正在受骗"),
        ({"contacts": 4}, "repeated", "短时间内被涉诈号码/账户/网址反复接触 4 次"),
        ({"amount_yuan": 0.01}, "money", "向涉诈账户转账 0.01 元"),
        ({"amount_yuan": 1234.5}, "money", "向涉诈账户转账 1234.50 元"),
        ({"amount_yuan": 2000.0}, "money", "向涉诈账户转账 2000 元"),
        ({"amount_yuan": 50000}, "money_large", "向涉诈账户大额转账 50000 元"),
        ({"sms_received": 2}, "sms", "收到涉诈短信 2 条"),
        ({"url_visited": 3}, "url", "访问涉诈网址 3 次"),
        ({"app_installed": 1}, "app", "安装涉诈APP"),
        ({"reported": 1}, "reported", "群众/96110 报告正在受骗"),
    ],
)
def test_reason_text_carries_the_formatted_value(
    rules: GradingRules, features: Mapping[str, float], rule: str, text: str
) -> None:
    assert text_of(grade(features, rules), rule) == text


def test_reason_as_dict_names_rule_text_level_and_raise(rules: GradingRules) -> None:
    result = graded(rules, call_seconds=60, age=66)
    assert [r.as_dict() for r in result.reasons] == [
        {"rule": "call_1min", "text": "与涉诈号码通话 60 秒", "level": MEDIUM, "raise": 0},
        {"rule": "elderly", "text": "高龄（66 岁），易受骗群体", "level": None, "raise": 1},
    ]


# --- folding events into a warning's features ----------------------------------------------------


def facts(kind: EventKind, *, hit: bool = True, **kwargs: object) -> EventFacts:
    source = {
        EventKind.TRANSFER: EventSource.BANK,
        EventKind.URL_VISIT: EventSource.INTERNET,
        EventKind.APP_INSTALL: EventSource.INTERNET,
        EventKind.REPORT: EventSource.HOTLINE,
        EventKind.PUSHED_WARNING: EventSource.PLATFORM,
    }.get(kind, EventSource.TELECOM)
    return EventFacts(source=source, kind=kind, hit=hit, **kwargs)  # type: ignore[arg-type]


def test_calls_keep_the_longest_duration_and_count_contacts() -> None:
    features: dict[str, float] = {}
    add_event(features, facts(EventKind.CALL, duration_s=120))
    add_event(features, facts(EventKind.CALL, duration_s=30))
    add_event(features, facts(EventKind.CALL, duration_s=400))
    assert features == {"contacts": 3, "call_seconds": 400}


def test_a_call_without_a_duration_counts_as_a_contact_only() -> None:
    features: dict[str, float] = {}
    add_event(features, facts(EventKind.CALL, duration_s=None))
    add_event(features, facts(EventKind.CALL, duration_s=0))
    assert features == {"contacts": 2}


def test_transfers_add_their_amounts_in_yuan() -> None:
    features: dict[str, float] = {}
    add_event(features, facts(EventKind.TRANSFER, amount_fen=150_050))
    add_event(features, facts(EventKind.TRANSFER, amount_fen=99))
    assert features["amount_yuan"] == pytest.approx(1500.50 + 0.99)
    assert features["contacts"] == 2


def test_sms_app_and_url_count_only_when_they_hit_an_indicator() -> None:
    features: dict[str, float] = {}
    for kind in (EventKind.SMS, EventKind.APP_INSTALL, EventKind.URL_VISIT):
        add_event(features, facts(kind, hit=False))
    assert features == {}
    for kind in (EventKind.SMS, EventKind.APP_INSTALL, EventKind.URL_VISIT, EventKind.SMS):
        add_event(features, facts(kind, hit=True))
    assert features == {"contacts": 4, "sms_received": 2, "app_installed": 1, "url_visited": 1}


def test_a_report_counts_without_an_indicator_hit() -> None:
    features: dict[str, float] = {}
    add_event(features, facts(EventKind.REPORT, hit=False))
    add_event(features, facts(EventKind.REPORT, hit=False))
    assert features == {"reported": 2}


@pytest.mark.parametrize(("hint", "expected"), [(LOW, 1), (MEDIUM, 2), (HIGH, 3), (CRITICAL, 4), (None, 2)])
def test_pushed_warning_sets_the_platform_level_from_its_hint(hint: Level | None, expected: int) -> None:
    features: dict[str, float] = {}
    add_event(features, facts(EventKind.PUSHED_WARNING, hit=False, level_hint=hint))
    assert features == {"platform_level": expected}


def test_pushed_warnings_keep_the_highest_platform_level(rules: GradingRules) -> None:
    features: dict[str, float] = {}
    add_event(features, facts(EventKind.PUSHED_WARNING, hit=False, level_hint=HIGH))
    add_event(features, facts(EventKind.PUSHED_WARNING, hit=False, level_hint=LOW))
    assert features["platform_level"] == 3
    assert grade(features, rules).level is HIGH


def test_folded_events_grade_like_the_sum_of_their_parts(rules: GradingRules) -> None:
    features: dict[str, float] = {}
    add_event(features, facts(EventKind.SMS))
    assert grade(features, rules).level is LOW
    add_event(features, facts(EventKind.CALL, duration_s=75))
    assert grade(features, rules).level is MEDIUM
    add_event(features, facts(EventKind.TRANSFER, amount_fen=1))
    assert grade(features, rules).level is HIGH
    add_event(features, facts(EventKind.TRANSFER, amount_fen=5_000_000))
    assert grade(features, rules).level is CRITICAL


def test_transfers_adding_up_to_exactly_fifty_thousand_yuan_are_critical(rules: GradingRules) -> None:
    features: dict[str, float] = {}
    fen = [1_000_030, 2_500_010, 1_499_960]  # 10000.30 + 25000.10 + 14999.60 = 50000.00 yuan
    assert sum(Decimal(f) / 100 for f in fen) == Decimal(50000)
    for amount in fen:
        add_event(features, facts(EventKind.TRANSFER, amount_fen=amount))
    assert grade(features, rules).level is CRITICAL


def test_person_features_set_age_tags_and_earlier_warnings() -> None:
    features: dict[str, float] = {}
    person_features(features, birth_year=1960, tags=["elderly", "rehab"], year=2026, earlier_warnings=2)
    assert features == {"age": 66, "elderly": 1, "elderly_no_age": 0, "student": 0, "earlier_warnings": 2}


def test_tagged_elderly_without_birth_year_is_raised_once_and_says_why(rules: GradingRules) -> None:
    features: dict[str, float] = {}
    person_features(features, birth_year=None, tags=["elderly"], year=2026, earlier_warnings=0)
    features["sms_received"] = 1
    result = grade(features, rules)
    assert result.level is MEDIUM  # low + 1
    assert text_of(result, "elderly_tag") == "登记为老年人（出生年份不详），易受骗群体"
    # With a known birth year the age rule speaks instead, and only once.
    features = {"sms_received": 1}
    person_features(features, birth_year=1950, tags=["elderly"], year=2026, earlier_warnings=0)
    result = grade(features, rules)
    assert result.level is MEDIUM
    assert fired(result) == {"sms", "elderly"}
    # Not tagged and no birth year: nothing to go on.
    features = {"sms_received": 1}
    person_features(features, birth_year=None, tags=[], year=2026, earlier_warnings=0)
    assert grade(features, rules).level is LOW


def test_person_without_birth_year_has_no_age() -> None:
    features: dict[str, float] = {}
    person_features(features, birth_year=None, tags=["student"], year=2026, earlier_warnings=0)
    assert "age" not in features
    assert features["student"] == 1


def test_every_default_rule_names_a_known_feature(rules: GradingRules) -> None:
    assert {r.feature for r in rules.rules} <= FEATURES
