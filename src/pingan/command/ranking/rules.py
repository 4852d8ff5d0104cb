"""The rankings' county rules, [ranking]: the boards (who is ranked on what, with which weights), the
normalisation, the districts (片区) and the generic "closed tasks of kind K with outcome O" indicators.

Defaults are `command/ranking/rules.toml`; a county file may override any key (a list is replaced whole).
"""

from __future__ import annotations

import re
from importlib import resources

from pydantic import Field, field_validator, model_validator

from pingan.command.ranking.arith import Direction, Missing, Normalisation
from pingan.core.models import UnitKind
from pingan.core.rules import RulesModel, RulesRegistry

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


class WeightedIndicator(RulesModel):
    name: str = Field(min_length=1, max_length=64)
    weight: float = Field(ge=0, le=1000)


class Board(RulesModel):
    """One ranking: the units of these kinds (or these unit codes), on these indicators."""

    label: str = Field(min_length=1, max_length=40)
    unit_kinds: list[UnitKind] = Field(default_factory=list)
    unit_codes: list[str] = Field(default_factory=list)
    """Ranked in addition to the kinds' units (a governance department among the 警种, say)."""
    indicators: list[WeightedIndicator] = Field(min_length=1)
    normalisation: Normalisation = Normalisation.MINMAX
    missing: Missing = Missing.MEAN

    @model_validator(mode="after")
    def _someone_and_something(self) -> Board:
        if not self.unit_kinds and not self.unit_codes:
            raise ValueError("a board ranks units of some unit_kinds or unit_codes")
        names = [i.name for i in self.indicators]
        if len(set(names)) != len(names):
            raise ValueError(f"an indicator appears twice on the board: {names}")
        if sum(i.weight for i in self.indicators) <= 0:
            raise ValueError("the weights of a board must not all be 0")
        return self


class OutcomeIndicator(RulesModel):
    """Closed tasks of `kind` whose outcome is one of `outcomes`, per unit (a count, higher is better)."""

    name: str = Field(min_length=1, max_length=64)
    label: str = Field(min_length=1, max_length=40)
    kind: str = Field(min_length=1, max_length=32)
    outcomes: list[str] = Field(min_length=1)
    direction: Direction = Direction.HIGHER

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use lower case letters, digits and _")
        return value


class District(RulesModel):
    """A group of stations competing together (三大片区): its name and its units' codes."""

    name: str = Field(min_length=1, max_length=40)
    units: list[str] = Field(min_length=1)


class RankingRules(RulesModel):
    boards: dict[str, Board] = Field(min_length=1)
    district_board: str = "stations"
    """The board whose units the districts group; a district's score is the mean of its units' scores."""
    districts: list[District] = Field(default_factory=list)
    outcome_indicators: list[OutcomeIndicator] = Field(default_factory=list)
    county_board: Board
    """In a deployment of several counties, the board a city or the province ranks its county bureaus on
    (board name `counties`); each county's figures are those of all its units and areas."""

    @model_validator(mode="after")
    def _consistent(self) -> RankingRules:
        for key in self.boards:
            if not _NAME.match(key):
                raise ValueError(f"board name {key!r}: use lower case letters, digits and _")
            if key == "counties":
                raise ValueError("board name 'counties' is the county bureaus' board ([ranking.county_board])")
        if self.districts and self.district_board not in self.boards:
            raise ValueError(f"district_board {self.district_board!r} is not a board")
        seen: dict[str, str] = {}
        for district in self.districts:
            for code in district.units:
                if code in seen:
                    raise ValueError(f"unit {code} is in two districts: {seen[code]} and {district.name}")
                seen[code] = district.name
        names = [o.name for o in self.outcome_indicators]
        if len(set(names)) != len(names):
            raise ValueError(f"an outcome indicator is defined twice: {names}")
        return self


def register_rules(registry: RulesRegistry) -> None:
    """Add [ranking], with its defaults, to the county rules registry."""
    registry.register(resources.files("pingan.command.ranking").joinpath("rules.toml"), ranking=RankingRules)
