"""The citizen desk's county rules: working hours, reply deadlines, duplicates, limits, pushes, score, routes.

Their defaults are `desk/rules/county.toml` (DESIGN §5); `register_rules` adds the [desk] table to the
county rules registry, and a county file may override any of its keys.
"""

from __future__ import annotations

from datetime import date, time
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from pingan.core.rules import RulesModel, RulesRegistry
from pingan.desk.rules.kinds import Category, PushKind, Route, Specialty, Topic


class DeskRoute(RulesModel):
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


class DeskScoreWeights(RulesModel):
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


class DeskRules(RulesModel):
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
    low_rating: int = Field(default=2, ge=0, le=5)
    """A rating of this many stars or fewer is not the end: the request goes back to its unit for a return
    visit (回访), due within `return_visit_hours`; 0 turns this off."""
    return_visit_hours: int = Field(default=24, ge=1)
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


def register_rules(registry: RulesRegistry) -> None:
    """Add [desk], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.desk.rules").joinpath("county.toml"), desk=DeskRules)
