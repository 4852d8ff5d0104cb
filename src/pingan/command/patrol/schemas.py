"""Pydantic models at patrol's edges: units, positions, roster entries, and the answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from pingan.command.patrol.models import ShiftKind, UnitType
from pingan.core.fields import DbId, refuse_nul
from pingan.core.geo import CRS

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
Code = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(refuse_nul)]
Text100 = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(refuse_nul)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PatrolUnitIn(_Row):
    """A patrol unit to register (or update, by its call sign)."""

    code: Code
    """The call sign (呼号)."""
    name: Text100
    kind: UnitType
    unit: Annotated[str, Field(min_length=1, max_length=64)]
    """The code of the station (or centre) it belongs to."""
    zone: Code | None = None
    """The code of its patrol zone."""
    leader: Annotated[str | None, Field(max_length=64)] = None
    """The username of its leading officer (带班民警)."""
    active: bool = True


class PositionIn(_Row):
    """A position report from a patrol unit's device."""

    unit: Code
    lon: Lon
    lat: Lat
    crs: CRS = CRS.WGS84
    at: AwareDatetime

    @model_validator(mode="after")
    def _sane_time(self) -> PositionIn:
        if not EARLIEST <= self.at <= LATEST:
            raise ValueError("at 超出合理范围")
        return self


class ShiftCreate(_Row):
    """A roster row: a patrol unit or an officer (exactly one) on duty or on leave over [starts_at, ends_at)."""

    kind: ShiftKind = ShiftKind.DUTY
    patrol_unit_id: DbId | None = None
    user_id: DbId | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: Annotated[str | None, Field(max_length=200), AfterValidator(lambda v: refuse_nul(v) if v else v)] = None

    """The order of the times and the subject are checked by the roster (`roster.check_shift`), naming the field."""


class Rejected(BaseModel):
    index: int
    id: str | None = None
    field: str | None
    message: str


class ImportResult(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = Field(default_factory=list)


class PositionsResult(BaseModel):
    stored: int = 0
    older: int = 0
    """Reports older than the unit's last position: kept out (a replay, or a late one)."""
    rejected: list[Rejected] = Field(default_factory=list)
