"""The verification lists' county rules, [verify]: the default deadline, signing, escalation and limits."""

from __future__ import annotations

from importlib import resources

from pydantic import Field, model_validator

from pingan.core.rules import RulesModel, RulesRegistry


class VerifyRules(RulesModel):
    default_hours: int = Field(ge=1)
    sign_minutes: int = Field(ge=1)
    escalation_minutes: int = Field(ge=1)
    max_escalation: int = Field(ge=1, le=3)
    max_hours: int = Field(ge=1)
    max_rows: int = Field(ge=1, le=100_000)

    @model_validator(mode="after")
    def _hours(self) -> VerifyRules:
        if self.default_hours > self.max_hours:
            raise ValueError("default_hours must not exceed max_hours")
        return self


def register_rules(registry: RulesRegistry) -> None:
    """Add [verify], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.command.verify").joinpath("rules.toml"), verify=VerifyRules)
