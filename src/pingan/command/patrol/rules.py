"""The patrol capability's county rules: the "135" circles, speeds per unit kind, the road factor, staleness.

Their defaults are `command/patrol/rules.toml`; `register_rules` adds the [patrol] table to the county rules
registry, and a county file may override any of its keys.
"""

from __future__ import annotations

from importlib import resources

from pydantic import Field, field_validator

from pingan.command.patrol.models import UnitType
from pingan.core.rules import RulesModel, RulesRegistry

DEFAULT_SPEEDS = {UnitType.CAR: 40.0, UnitType.MOTORBIKE: 35.0, UnitType.EBIKE: 22.0, UnitType.FOOT: 5.0}


class PatrolRules(RulesModel):
    circles_minutes: list[int] = Field(default_factory=lambda: [1, 3, 5], min_length=1, max_length=10)
    speeds_kmh: dict[UnitType, float] = Field(default_factory=lambda: dict(DEFAULT_SPEEDS))
    road_factor: float = Field(default=1.4, ge=1.0, le=5.0)
    stale_minutes: int = Field(default=10, ge=1, le=1440)
    propose_count: int = Field(default=5, ge=1, le=50)
    timezone: str = "Asia/Shanghai"

    @field_validator("circles_minutes")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(v <= 0 for v in value) or sorted(set(value)) != value:
            raise ValueError("circles must be distinct positive minutes in increasing order")
        return value

    @field_validator("speeds_kmh")
    @classmethod
    def _every_kind(cls, value: dict[UnitType, float]) -> dict[UnitType, float]:
        missing = [k.value for k in UnitType if k not in value]
        if missing:
            raise ValueError(f"a speed is needed for every kind of unit; missing: {', '.join(missing)}")
        if any(v <= 0 or v > 300 for v in value.values()):
            raise ValueError("speeds must be above 0 and at most 300 km/h")
        return value

    def speed_ms(self, kind: UnitType) -> float:
        """Metres per second on the road."""
        return self.speeds_kmh[kind] / 3.6


def register_rules(registry: RulesRegistry) -> None:
    """Add [patrol], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.command.patrol").joinpath("rules.toml"), patrol=PatrolRules)
