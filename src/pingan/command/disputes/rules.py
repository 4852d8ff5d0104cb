"""The county rules of dispute mediation ([disputes]); defaults in `disputes/rules.toml`."""

from __future__ import annotations

from importlib import resources

from pydantic import Field

from pingan.core.rules import RulesModel, RulesRegistry


class DisputeRules(RulesModel):
    first_session_days: int = Field(default=3, ge=1, le=365)
    mediate_days: int = Field(default=30, ge=1, le=365)
    follow_up_days: int = Field(default=15, ge=1, le=365)
    escalation_hours: int = Field(default=24, ge=1, le=24 * 30)
    timezone: str = "Asia/Shanghai"


def register_rules(registry: RulesRegistry) -> None:
    """Add [disputes], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.command.disputes").joinpath("rules.toml"), disputes=DisputeRules)
