"""The county rules of hidden dangers ([dangers]): deadlines per step and kind, escalation, the year's targets.

Defaults are `dangers/rules.toml`; a county file may override any key."""

from __future__ import annotations

from importlib import resources

from pydantic import Field, field_validator

from pingan.command.dangers.models import DangerKind
from pingan.core.rules import RulesModel, RulesRegistry


class DangerRules(RulesModel):
    sign_hours: int = Field(default=24, ge=1, le=24 * 30)
    accept_days: int = Field(default=7, ge=1, le=365)
    part_lead_days: int = Field(default=3, ge=0, le=365)
    escalation_hours: int = Field(default=24, ge=1, le=24 * 30)
    timezone: str = "Asia/Shanghai"
    rectify_days: dict[DangerKind, int] = Field(default_factory=dict)
    targets: dict[int, dict[DangerKind, int]] = Field(default_factory=dict)
    """Per year, per kind: how many findings are to be rectified (年度目标)."""

    @field_validator("rectify_days")
    @classmethod
    def _positive_days(cls, value: dict[DangerKind, int]) -> dict[DangerKind, int]:
        if any(v < 1 for v in value.values()):
            raise ValueError("rectify_days must be at least 1")
        return value

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: dict[int, dict[DangerKind, int]]) -> dict[int, dict[DangerKind, int]]:
        for year, kinds in value.items():
            if not 2000 <= year <= 2100:
                raise ValueError(f"target year {year} is out of range")
            if any(v < 0 for v in kinds.values()):
                raise ValueError("targets cannot be negative")
        return value

    def days_for(self, kind: DangerKind) -> int:
        return self.rectify_days.get(kind, self.rectify_days.get(DangerKind.OTHER, 30))

    def target(self, year: int, kind: DangerKind) -> int | None:
        return self.targets.get(year, {}).get(kind)


def register_rules(registry: RulesRegistry) -> None:
    """Add [dangers], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.command.dangers").joinpath("rules.toml"), dangers=DangerRules)
