"""The 断卡 county rules, [cards]: thresholds of the abnormal-opening rules and the verification deadlines.

Their defaults are `county.toml` beside this file; `register_rules` adds the table to the county rules
registry, and a county file may override any key.
"""

from __future__ import annotations

from importlib import resources

from pydantic import Field, field_validator, model_validator

from pingan.core.rules import RulesModel, RulesRegistry


class CardRules(RulesModel):
    person_cards: int = Field(ge=2)
    person_window_hours: int = Field(ge=1)
    outlet_cards: int = Field(ge=2)
    outlet_window_minutes: int = Field(ge=1)
    young_min_age: int = Field(ge=0, le=120)
    young_max_age: int = Field(ge=0, le=120)
    local_area_codes: list[str]
    home_prefix_digits: int = Field(ge=2, le=6)
    sign_minutes: int = Field(ge=1)
    verify_hours: int = Field(ge=1)
    verify_hours_high: int = Field(ge=1)
    escalation_minutes: int = Field(ge=1)
    max_escalation: int = Field(ge=1, le=3)

    @field_validator("local_area_codes")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if len(code) != 6 or not code.isdigit():
                raise ValueError(f"an area code is the 6 digits an ID number begins with, not {code!r}")
        return value

    @model_validator(mode="after")
    def _ages(self) -> CardRules:
        if self.young_max_age < self.young_min_age:
            raise ValueError("young_max_age must not be below young_min_age")
        return self


def register_rules(registry: RulesRegistry) -> None:
    """Add [cards], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.money.cards.rules").joinpath("county.toml"), cards=CardRules)
