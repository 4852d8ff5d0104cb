"""The fraud capability's county rules: the dissuasion ladder's deadlines and the grading rules.

Their defaults are `fraud/rules.toml` (DESIGN §5); `register_rules` adds both tables to the county
rules registry, and a county file may override any of their keys.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from typing import Literal

from pydantic import Field, model_validator

from pingan.core.rules import RulesModel, RulesRegistry
from pingan.fraud.grading import FEATURES
from pingan.fraud.models import Level

Op = Literal[">=", ">", "<=", "<", "=="]


class LevelDeadlines(RulesModel):
    sign: int = Field(ge=1)
    call: int = Field(ge=1)
    meet: int = Field(ge=0)
    """0: no visit required at this level."""


class DissuasionRules(RulesModel):
    critical: LevelDeadlines
    high: LevelDeadlines
    medium: LevelDeadlines
    low: LevelDeadlines
    feedback_minutes: int = Field(ge=1)
    evaluate_minutes: int = Field(ge=1)
    retry_minutes: int = Field(ge=1)
    max_unanswered: int = Field(ge=1)
    face_to_face_levels: list[Level]
    escalation_minutes: int = Field(ge=1)
    max_escalation: int = Field(ge=1, le=3)

    def deadlines(self, level: Level) -> LevelDeadlines:
        value: LevelDeadlines = getattr(self, level.value)
        return value

    def minutes(self, n: int) -> timedelta:
        return timedelta(minutes=n)


class GradingRule(RulesModel):
    id: str
    feature: str
    op: Op = ">="
    value: float
    level: Level | None = None
    raise_: int | None = Field(default=None, alias="raise")
    level_from_value: bool = False
    reason: str

    @model_validator(mode="after")
    def _one_effect(self) -> GradingRule:
        effects = (self.level is not None) + (self.raise_ is not None) + self.level_from_value
        if effects != 1:
            raise ValueError(f"rule {self.id!r}: give exactly one of level, raise, level_from_value")
        return self


class GradingRules(RulesModel):
    merge_window_minutes: int = Field(ge=0)
    history_days: int = Field(ge=0)
    rules: list[GradingRule]

    @model_validator(mode="after")
    def _known_features(self) -> GradingRules:
        for rule in self.rules:
            if rule.feature not in FEATURES:
                raise ValueError(f"rule {rule.id!r}: unknown feature {rule.feature!r}; known: {sorted(FEATURES)}")
        return self


def register_rules(registry: RulesRegistry) -> None:
    """Add [dissuasion] and [grading], with their defaults, to the county rules registry."""
    registry.register(
        resources.files("pingan.fraud").joinpath("rules.toml"), dissuasion=DissuasionRules, grading=GradingRules
    )
