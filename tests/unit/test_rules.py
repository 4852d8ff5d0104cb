"""County rules (DESIGN §5): the packaged defaults, a county's override file, and bad files failing loudly."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from pingan.bootstrap import load_rules
from pingan.command.dangers.models import DangerKind
from pingan.command.dangers.rules import DangerRules
from pingan.desk.rules.county import DeskRules
from pingan.fraud.grading import grade
from pingan.fraud.models import Level
from pingan.fraud.rules import DissuasionRules, GradingRules


def county_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the defaults are those of DESIGN §5 -----------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "sign", "call", "meet"),
    [
        (Level.CRITICAL, 2, 5, 30),
        (Level.HIGH, 5, 10, 120),
        (Level.MEDIUM, 30, 120, 1440),
        (Level.LOW, 120, 1440, 0),
    ],
)
def test_default_deadlines_are_those_of_the_design(level: Level, sign: int, call: int, meet: int) -> None:
    marks = load_rules().section(DissuasionRules).deadlines(level)
    assert (marks.sign, marks.call, marks.meet) == (sign, call, meet)


def test_default_ladder_settings() -> None:
    d = load_rules().section(DissuasionRules)
    assert set(d.face_to_face_levels) == {Level.CRITICAL, Level.HIGH}
    assert 1 <= d.max_escalation <= 3
    assert d.max_unanswered >= 1


# --- a county file changes behaviour -------------------------------------------------------------


def test_county_file_replaces_a_deadline_table(tmp_path: Path) -> None:
    path = county_file(
        tmp_path,
        """
        [dissuasion]
        critical = { sign = 1, call = 3, meet = 20 }
        retry_minutes = 2
        """,
    )
    rules = load_rules(path).section(DissuasionRules)
    assert (rules.critical.sign, rules.critical.call, rules.critical.meet) == (1, 3, 20)
    assert rules.retry_minutes == 2
    # What the file does not mention keeps the defaults.
    assert (rules.high.sign, rules.high.call, rules.high.meet) == (5, 10, 120)
    assert rules.max_unanswered == 3


def test_county_grading_rules_change_the_grade(tmp_path: Path) -> None:
    path = county_file(
        tmp_path,
        """
        [grading]
        rules = [
          { id = "call_30s", feature = "call_seconds", op = ">=", value = 30, level = "critical", reason = "通话 {value} 秒" },
          { id = "young", feature = "age", op = "<", value = 25, raise = 1, reason = "年轻人（{value} 岁）" },
        ]
        """,
    )
    default = load_rules().section(GradingRules)
    county = load_rules(path).section(GradingRules)
    assert grade({"call_seconds": 30}, default).level is Level.LOW
    result = grade({"call_seconds": 30}, county)
    assert result.level is Level.CRITICAL
    assert [r.text for r in result.reasons] == ["通话 30 秒"]
    # The county's list replaces the defaults: the packaged money rule no longer exists.
    assert grade({"amount_yuan": 60000}, county).level is Level.LOW
    assert grade({"call_seconds": 1, "age": 20}, county).level is Level.MEDIUM
    # The grading table's other keys keep their defaults.
    assert county.merge_window_minutes == default.merge_window_minutes


def test_county_file_can_lower_an_operator_threshold(tmp_path: Path) -> None:
    path = county_file(
        tmp_path,
        """
        [grading]
        rules = [{ id = "money", feature = "amount_yuan", op = ">=", value = 1000, level = "high", reason = "转账 {value} 元" }]
        """,
    )
    county = load_rules(path).section(GradingRules)
    assert grade({"amount_yuan": 999.99}, county).level is Level.LOW
    assert grade({"amount_yuan": 1000}, county).level is Level.HIGH


def test_county_file_overriding_one_deadline_keeps_the_others(tmp_path: Path) -> None:
    path = county_file(tmp_path, "[dissuasion]\ncritical = { sign = 1 }\n")
    rules = load_rules(path).section(DissuasionRules)
    assert (rules.critical.sign, rules.critical.call, rules.critical.meet) == (1, 5, 30)


# --- bad files fail loudly --------------------------------------------------------------------------


def _fails(tmp_path: Path, text: str, *needles: str) -> None:
    with pytest.raises(ValidationError) as info:
        load_rules(county_file(tmp_path, text))
    message = str(info.value)
    for needle in needles:
        assert needle in message


def test_unknown_feature_is_refused(tmp_path: Path) -> None:
    _fails(
        tmp_path,
        '[grading]\nrules = [{ id = "shoe", feature = "shoe_size", value = 40, level = "high", reason = "x" }]\n',
        "shoe_size",
        "unknown feature",
    )


def test_a_rule_with_two_effects_is_refused(tmp_path: Path) -> None:
    _fails(
        tmp_path,
        '[grading]\nrules = [{ id = "both", feature = "contacts", value = 1, level = "high", raise = 1, reason = "x" }]\n',
        "both",
        "exactly one",
    )


def test_a_rule_with_no_effect_is_refused(tmp_path: Path) -> None:
    _fails(
        tmp_path,
        '[grading]\nrules = [{ id = "none", feature = "contacts", value = 1, reason = "x" }]\n',
        "exactly one",
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[dissuasion]\nretry_minutes = -5\n", "retry_minutes"),
        ("[dissuasion]\nescalation_minutes = 0\n", "escalation_minutes"),
        ("[dissuasion]\nhigh = { sign = -1, call = 10, meet = 120 }\n", "sign"),
        ("[dissuasion]\nlow = { sign = 120, call = 1440, meet = -1 }\n", "meet"),
        ("[dissuasion]\nmax_escalation = 4\n", "max_escalation"),
        ("[grading]\nmerge_window_minutes = -1\n", "merge_window_minutes"),
    ],
)
def test_negative_or_out_of_range_minutes_are_refused(tmp_path: Path, text: str, field: str) -> None:
    _fails(tmp_path, text, field)


def test_a_misspelt_setting_is_refused_not_ignored(tmp_path: Path) -> None:
    _fails(tmp_path, "[dissuasion]\nretry_minute = 2\n", "retry_minute")


def test_an_unknown_level_is_refused(tmp_path: Path) -> None:
    _fails(
        tmp_path,
        '[grading]\nrules = [{ id = "x", feature = "contacts", value = 1, level = "severe", reason = "x" }]\n',
        "level",
    )


def test_an_unknown_operator_is_refused(tmp_path: Path) -> None:
    _fails(
        tmp_path,
        '[grading]\nrules = [{ id = "x", feature = "contacts", op = "=>", value = 1, level = "high", reason = "x" }]\n',
        "op",
    )


def test_an_unknown_face_to_face_level_is_refused(tmp_path: Path) -> None:
    _fails(tmp_path, '[dissuasion]\nface_to_face_levels = ["urgent"]\n', "face_to_face_levels")


def test_a_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(tomllib.TOMLDecodeError):
        load_rules(county_file(tmp_path, "[dissuasion\nretry_minutes = 2\n"))


# --- the registry of every capability's tables ------------------------------------------------------


def test_an_unknown_table_is_refused_naming_it_and_every_known_table(tmp_path: Path) -> None:
    _fails(
        tmp_path,
        "[dissuasion]\nretry_minutes = 2\n\n[money]\nfreeze_minutes = 10\n",
        "unknown table [money]",
        "[alarms], [cards], [cases], [dangers], [desk], [disputes], [dissuasion], [grading], [patrol], [payments], [ranking], [rehab], [reports], [tracking], [verify]",
    )


def test_a_top_level_key_outside_any_table_is_refused_as_an_unknown_table(tmp_path: Path) -> None:
    _fails(tmp_path, "retry_minutes = 2\n", "unknown table [retry_minutes]")


def test_a_bad_value_in_the_desk_table_is_refused_naming_the_table_and_key(tmp_path: Path) -> None:
    _fails(tmp_path, "[desk]\nreply_minutes_working = 0\n", "desk.reply_minutes_working", "greater than or equal to 1")


def test_a_bad_value_in_a_fraud_table_is_refused_naming_the_table_and_key(tmp_path: Path) -> None:
    _fails(tmp_path, "[dissuasion]\nretry_minutes = -5\n", "dissuasion.retry_minutes")


def test_tables_the_county_file_omits_keep_their_capabilities_defaults(tmp_path: Path) -> None:
    packaged = load_rules()
    only_desk = load_rules(county_file(tmp_path, "[desk]\nreply_minutes_working = 20\n"))
    assert only_desk.section(DeskRules).reply_minutes_working == 20
    assert only_desk.section(DissuasionRules) == packaged.section(DissuasionRules)
    assert only_desk.section(GradingRules) == packaged.section(GradingRules)
    assert len(only_desk.section(GradingRules).rules) == 17  # the packaged fraud/rules.toml, not an empty list

    (tmp_path / "fraud").mkdir()
    only_fraud = load_rules(county_file(tmp_path / "fraud", "[dissuasion]\nretry_minutes = 2\n"))
    desk = only_fraud.section(DeskRules)
    assert desk == packaged.section(DeskRules)
    assert len(desk.routes) == 11  # the packaged desk/rules/county.toml, not the model's empty default


def test_the_dangers_targets_are_read_per_year_and_kind_and_a_bad_one_is_named(tmp_path: Path) -> None:
    county = tmp_path / "county.toml"
    county.write_text(
        "[dangers.targets.2026]\ntraffic = 312\nrental_housing = 1616\n[dangers.rectify_days]\nfire_lane = 10\n"
    )
    rules = load_rules(county).section(DangerRules)
    assert rules.target(2026, DangerKind.TRAFFIC) == 312
    assert rules.target(2027, DangerKind.TRAFFIC) is None
    assert rules.days_for(DangerKind.FIRE_LANE) == 10
    assert rules.days_for(DangerKind.TRAFFIC) == 90, "a key the county leaves out keeps its default"
    _fails(tmp_path, "[dangers.targets.2026]\ntraffic = -1\n", "dangers")
    _fails(tmp_path, "[dangers.rectify_days]\nbridges = 3\n", "dangers")
