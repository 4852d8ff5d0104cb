"""The reports' county rules: the [reports] table (defaults in `rules.toml`)."""

from __future__ import annotations

from importlib import resources

from pydantic import Field

from pingan.command.reports.periods import Cadence
from pingan.core.rules import RulesModel, RulesRegistry


class RankingWeights(RulesModel):
    dissuasion_rate: float = Field(default=30, ge=0)
    on_time_rate: float = Field(default=30, ge=0)
    desk_timeliness: float = Field(default=20, ge=0)
    overdue: float = Field(default=20, ge=0)


class ReportRules(RulesModel):
    bureau_name: str = Field(default="", max_length=60)
    publish_hour: int = Field(default=7, ge=0, le=23)
    scheduled: tuple[Cadence, ...] = (Cadence.DAILY, Cadence.WEEKLY, Cadence.MONTHLY, Cadence.QUARTERLY)
    alarm_kinds: tuple[str, ...] = ("alarm",)
    hot_types: int = Field(default=6, ge=1, le=20)
    named_tasks: int = Field(default=30, ge=0, le=500)
    ranking_weights: RankingWeights = RankingWeights()


def register_rules(registry: RulesRegistry) -> None:
    """Add [reports], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.command.reports").joinpath("rules.toml"), reports=ReportRules)
