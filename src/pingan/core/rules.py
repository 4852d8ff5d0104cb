"""County rules (per-county settings): deadlines, the dissuasion ladder and the grading rules.

The packaged `rules/default.toml` holds the defaults of DESIGN §5; a county file named by
`PINGAN_RULES_FILE` overrides any top-level table it contains. Bad values fail loudly at start-up.
"""

from __future__ import annotations

import tomllib
from datetime import date, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pingan.desk.rules.kinds import Category, PushKind, Route, Specialty, Topic
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


class DeskRoute(_Strict):
    """A default routing rule of the county file; rules edited by an admin in the database come first."""

    category: Category | None = None
    topic: Topic | None = None
    target: Route
    specialty: Specialty | None = None
    triage: bool = True
    """For a specialty: through the command centre's triage (True) or straight to the specialty's unit."""

    @model_validator(mode="after")
    def _coherent(self) -> DeskRoute:
        if self.target is Route.SPECIALTY and self.specialty is None:
            raise ValueError("a specialty route names its specialty")
        if self.target is Route.UNIT:
            raise ValueError("a default route cannot name a unit (units are set per database); use an admin rule")
        if self.category is Category.EMERGENCY:
            raise ValueError("emergencies always go to the station; they take no route")
        return self


class DeskScoreWeights(_Strict):
    timeliness: float = Field(default=0.4, ge=0)
    satisfaction: float = Field(default=0.4, ge=0)
    resolution: float = Field(default=0.2, ge=0)
    prior_ratings: int = Field(default=5, ge=0)
    """Satisfaction is pulled toward the county mean by this many pseudo-ratings, so that a unit with two
    ratings is not ranked above one with two hundred."""

    @model_validator(mode="after")
    def _some_weight(self) -> DeskScoreWeights:
        if self.timeliness + self.satisfaction + self.resolution <= 0:
            raise ValueError("score weights must not all be 0")
        return self


class DeskRules(_Strict):
    """The citizen desk: working hours, reply deadlines, duplicates, limits, pushes, score, default routes."""

    timezone: str = "Asia/Shanghai"
    work_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    """ISO weekdays (1 = Monday)."""
    work_start: time = time(8, 30)
    work_end: time = time(17, 30)
    holidays: list[date] = Field(default_factory=list)
    """Public holidays that fall on working days."""
    extra_workdays: list[date] = Field(default_factory=list)
    """Weekend days worked in exchange for a holiday (调休)."""
    reply_minutes_working: int = Field(default=30, ge=1)
    reply_minutes_off: int = Field(default=120, ge=1)
    emergency_reply_minutes: int = Field(default=5, ge=1)
    escalation_minutes: int = Field(default=30, ge=1)
    max_escalation: int = Field(default=3, ge=1, le=3)
    duplicate_radius_m: float = Field(default=250.0, gt=0)
    duplicate_days: int = Field(default=7, ge=1)
    duplicate_similarity: float = Field(default=0.3, gt=0, le=1)
    repost_minutes: int = Field(default=10, ge=0)
    """The same text from the same phone within this window is refused as posted twice."""
    posts_per_phone_hour: int = Field(default=5, ge=1)
    posts_per_phone_day: int = Field(default=20, ge=1)
    posts_per_address_day: int = Field(default=30, ge=1)
    push_daily_limit: int = Field(default=3, ge=1)
    """Pushes one resident receives per day; more are recorded as held back, not delivered."""
    push_urgent_kinds: list[PushKind] = Field(default_factory=lambda: [PushKind.DISASTER])
    """Kinds that are delivered even over the daily limit (they still count toward it)."""
    rating_days: int = Field(default=30, ge=1)
    score: DeskScoreWeights = Field(default_factory=DeskScoreWeights)
    routes: list[DeskRoute] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("work_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(d < 1 or d > 7 for d in value):
            raise ValueError("work_days are ISO weekdays 1 (Monday) to 7 (Sunday)")
        return sorted(set(value))

    @model_validator(mode="after")
    def _hours(self) -> DeskRules:
        if self.work_end <= self.work_start:
            raise ValueError("work_end must be after work_start")
        if self.posts_per_phone_day < self.posts_per_phone_hour:
            raise ValueError("posts_per_phone_day must be at least posts_per_phone_hour")
        return self


class CountyRules(_Strict):
    dissuasion: DissuasionRules
    grading: GradingRules
    desk: DeskRules = Field(default_factory=DeskRules)


def _default_tables() -> dict[str, Any]:
    text = resources.files("pingan.rules").joinpath("default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_rules(path: Path | None = None) -> CountyRules:
    """The packaged defaults, with the tables of `path` (if given) laid over them."""
    tables = _default_tables()
    if path is not None:
        tables = _overlay(tables, tomllib.loads(path.read_text(encoding="utf-8")))
    return CountyRules.model_validate(tables)


def _overlay(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key at every depth; any other value (a list of rules included) replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged
