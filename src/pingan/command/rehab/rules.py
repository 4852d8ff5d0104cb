"""The community rehabilitation county rules, [rehab]: the schedule's defaults and the missed check-in's task."""

from __future__ import annotations

from importlib import resources

from pydantic import Field

from pingan.core.rules import RulesModel, RulesRegistry


class RehabRules(RulesModel):
    checkin_days: int = Field(ge=1, le=365)
    test_days: int = Field(ge=1, le=365)
    grace_days: int = Field(ge=0, le=30)
    sign_minutes: int = Field(ge=1)
    resolve_hours: int = Field(ge=1)
    escalation_minutes: int = Field(ge=1)


def register_rules(registry: RulesRegistry) -> None:
    """Add [rehab], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.command.rehab").joinpath("rules.toml"), rehab=RehabRules)
