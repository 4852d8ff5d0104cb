"""The alarm intake's county rules and its grading, as pure functions.

Defaults in `command/alarms/rules.toml`; `register_rules` adds the [alarms] table to the registry.
"""

from __future__ import annotations

from importlib import resources

from pydantic import Field, field_validator

from pingan.command.alarms.models import CATEGORY_NAMES, LEVEL_NAMES, LEVEL_ORDER, AlarmCategory, AlarmLevel
from pingan.core.rules import RulesModel, RulesRegistry


class KeywordRule(RulesModel):
    words: list[str] = Field(min_length=1)
    level: AlarmLevel
    reason: str = Field(min_length=1, max_length=100)


def _every_level(value: dict[AlarmLevel, int]) -> dict[AlarmLevel, int]:
    missing = [lv.value for lv in AlarmLevel if lv not in value]
    if missing:
        raise ValueError(f"a value is needed for every level; missing: {', '.join(missing)}")
    if any(v < 1 for v in value.values()):
        raise ValueError("minutes must be at least 1")
    return value


class AlarmRules(RulesModel):
    category_levels: dict[AlarmCategory, AlarmLevel] = Field(default_factory=dict)
    dispatch_minutes: dict[AlarmLevel, int]
    arrive_minutes: dict[AlarmLevel, int]
    handle_minutes: dict[AlarmLevel, int]
    escalation_minutes: int = Field(default=5, ge=1, le=1440)
    keywords: list[KeywordRule] = Field(default_factory=list)

    @field_validator("dispatch_minutes", "arrive_minutes", "handle_minutes")
    @classmethod
    def _levels(cls, value: dict[AlarmLevel, int]) -> dict[AlarmLevel, int]:
        return _every_level(value)


def grade(category: AlarmCategory, text: str, rules: AlarmRules) -> tuple[AlarmLevel, list[str]]:
    """The alarm's level and the reasons for it: the category's level, raised by each keyword rule that hits."""
    level = rules.category_levels.get(category, AlarmLevel.MEDIUM)
    reasons = [f"{CATEGORY_NAMES[category]}：{LEVEL_NAMES[level]}"]
    for rule in rules.keywords:
        hits = [w for w in rule.words if w and w in text]
        if hits and LEVEL_ORDER[rule.level] > LEVEL_ORDER[level]:
            level = rule.level
            reasons.append(f"{rule.reason}（{'、'.join(hits)}）")
        elif hits:
            reasons.append(f"{rule.reason}（{'、'.join(hits)}，已不低于该等级）")
    return level, reasons


def register_rules(registry: RulesRegistry) -> None:
    """Add [alarms], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.command.alarms").joinpath("rules.toml"), alarms=AlarmRules)
