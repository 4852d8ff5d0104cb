"""County rules (per-county settings): deadlines, the dissuasion ladder and the grading rules.

The packaged `rules/default.toml` holds the defaults of DESIGN §5; a county file named by
`PINGAN_RULES_FILE` overrides any top-level table it contains. Bad values fail loudly at start-up.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pingan.fraud.models import Level

Op = Literal[">=", ">", "<=", "<", "=="]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelDeadlines(_Strict):
    sign: int = Field(ge=1)
    call: int = Field(ge=1)
    meet: int = Field(ge=0)
    """0: no visit required at this level."""


class DissuasionRules(_Strict):
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


class GradingRule(_Strict):
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


class GradingRules(_Strict):
    merge_window_minutes: int = Field(ge=0)
    history_days: int = Field(ge=0)
    rules: list[GradingRule]

    @model_validator(mode="after")
    def _known_features(self) -> GradingRules:
        from pingan.fraud.grading import FEATURES

        for rule in self.rules:
            if rule.feature not in FEATURES:
                raise ValueError(f"rule {rule.id!r}: unknown feature {rule.feature!r}; known: {sorted(FEATURES)}")
        return self


class CountyRules(_Strict):
    dissuasion: DissuasionRules
    grading: GradingRules


def _default_tables() -> dict[str, Any]:
    text = resources.files("pingan.rules").joinpath("default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_rules(path: Path | None = None) -> CountyRules:
    """The packaged defaults, with the tables of `path` (if given) laid over them."""
    tables = _default_tables()
    if path is not None:
        override = tomllib.loads(path.read_text(encoding="utf-8"))
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(tables.get(key), dict):
                tables[key] = {**tables[key], **value}
            else:
                tables[key] = value
    return CountyRules.model_validate(tables)
