"""The cases' county rules: the county code given to cases, and what may not link cases.

Their defaults are `money/rules.toml`; `register_rules` adds the [cases] table to the county rules
registry, and a county file may override any of its keys (a stoplist's list is replaced whole).
"""

from __future__ import annotations

from importlib import resources

from pydantic import Field, field_validator

from pingan.core.rules import RulesModel, RulesRegistry
from pingan.money.extract import BadIdentifier, CaseIdentifierKind, normalize
from pingan.money.linking import Key, LinkRules


class CaseRules(RulesModel):
    county_code: str = Field(default="330225", pattern=r"^[0-9]{6,12}$")
    max_cases_per_identifier: int = Field(default=50, ge=2)
    stoplist: dict[CaseIdentifierKind, list[str]] = Field(default_factory=dict)
    accept_hours: int = Field(default=24, ge=1, le=24 * 30)
    """立案 → 受理侦办: a station takes the case up within this."""
    solve_days: int = Field(default=60, ge=1, le=3650)
    """侦办 → 破案: the deadline whose miss climbs the ladder (a progress review, not a statute)."""
    transfer_days: int = Field(default=30, ge=1, le=365)
    """破案 → 移送起诉."""
    escalation_hours: int = Field(default=24, ge=1, le=24 * 30)
    """Between rungs of the ladder 所长 → 反诈中心 → 局领导 once a deadline is missed."""
    hot_min_cases: int = Field(default=3, ge=1)
    """A type is hot this week when it has at least this many cases and warnings and grew on last week."""

    @field_validator("stoplist")
    @classmethod
    def _readable(cls, value: dict[CaseIdentifierKind, list[str]]) -> dict[CaseIdentifierKind, list[str]]:
        for kind, values in value.items():
            for raw in values:
                try:
                    normalize(kind, raw)
                except BadIdentifier as exc:
                    raise ValueError(f"stoplist.{kind.value}: {exc}") from None
        return value

    def stop_keys(self) -> frozenset[Key]:
        """The stoplist as linking keys, each value normalised as case identifiers are."""
        keys: set[Key] = set()
        for kind, values in self.stoplist.items():
            for raw in values:
                k, v = normalize(kind, raw)
                keys.add((k.value, v))
        return frozenset(keys)

    def link_rules(self) -> LinkRules:
        return LinkRules(self.stop_keys(), self.max_cases_per_identifier)


def register_rules(registry: RulesRegistry) -> None:
    """Add [cases], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.money").joinpath("rules.toml"), cases=CaseRules)
