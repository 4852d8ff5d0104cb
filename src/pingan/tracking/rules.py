"""The tracking capability's county rules (民生地网): overlap, speed limits, silences, the agreement's terms.

Their defaults are `tracking/rules.toml`; `register_rules` adds the [tracking] table to the county rules
registry, and a county file may override any of its keys.
"""

from __future__ import annotations

from importlib import resources

from pydantic import Field, field_validator

from pingan.core.rules import RulesModel, RulesRegistry
from pingan.tracking.models import TagKind


class CompensationTerms(RulesModel):
    card_fee_yuan: int = Field(default=130, ge=0)
    payout_yuan: int = Field(default=2000, ge=0)
    late_report_months: int = Field(default=2, ge=0)
    not_found_days: int = Field(default=60, ge=1)
    no_signal_days: int = Field(default=7, ge=0)


class TrackingRules(RulesModel):
    overlap_seconds: int = Field(default=10, ge=0, le=600)
    max_speed_kmh: dict[TagKind, float] = Field(default_factory=dict)
    station_silence_minutes: int = Field(default=60, ge=1)
    operator_unit: str = Field(default="diwang-operator", min_length=1)
    bracelet_silence_hours: float = Field(default=6, gt=0)
    exit_confirmations: int = Field(default=2, ge=1, le=10)
    low_battery_percent: int = Field(default=15, ge=0, le=100)
    villages_total: int = Field(default=0, ge=0)
    alert_sign_minutes: int = Field(default=10, ge=1)
    repair_hours: int = Field(default=24, ge=1)
    timezone: str = "Asia/Shanghai"
    retention_days: int = Field(default=400, ge=0)
    compensation: CompensationTerms = Field(default_factory=CompensationTerms)

    @field_validator("max_speed_kmh")
    @classmethod
    def _positive(cls, value: dict[TagKind, float]) -> dict[TagKind, float]:
        if any(v <= 0 for v in value.values()):
            raise ValueError("speed limits must be above 0")
        return value

    def speed_limit(self, kind: TagKind) -> float | None:
        return self.max_speed_kmh.get(kind)


def register_rules(registry: RulesRegistry) -> None:
    """Add [tracking], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.tracking").joinpath("rules.toml"), tracking=TrackingRules)
