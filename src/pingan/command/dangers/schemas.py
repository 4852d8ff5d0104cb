"""The edges' shapes of hidden dangers (API bodies, CSV rows)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pingan.command.dangers.models import DangerKind
from pingan.core.fields import DbId, FreeText
from pingan.core.geo import CRS


class CoDepartment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_id: DbId
    duty: FreeText = Field(default="", max_length=500)


class DangerCreate(BaseModel):
    """A finding: its place, what is wrong, the plan, the lead and the co-departments."""

    model_config = ConfigDict(extra="forbid")
    kind: DangerKind
    title: FreeText = Field(min_length=1, max_length=200)
    place: FreeText = Field(min_length=1, max_length=200)
    description: FreeText = Field(default="", max_length=4000)
    plan: FreeText = Field(default="", max_length=4000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: CRS = CRS.WGS84
    area_id: DbId | None = None
    """The station's area; found from the point when not given."""
    lead_unit_id: DbId
    lead_duty: FreeText = Field(default="", max_length=500)
    co_departments: list[CoDepartment] = Field(default_factory=list, max_length=10)
    due_date: date | None = None
    """The plan's deadline (a local date, the end of that day); the kind's default otherwise."""
    budget_yuan: int | None = Field(default=None, ge=0, le=10**10)
    source_id: str | None = Field(default=None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _point(self) -> DangerCreate:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon 与 lat 须同时给出")
        ids = [c.unit_id for c in self.co_departments]
        if len(set(ids)) != len(ids) or self.lead_unit_id in ids:
            raise ValueError("协办部门不能重复，也不能是牵头部门")
        return self


class DangerRow(BaseModel):
    """One line of `pingan dangers import FILE.csv`: units by their code, co-departments as `code:duty;code`."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64)
    kind: DangerKind
    title: str = Field(min_length=1, max_length=200)
    place: str = Field(min_length=1, max_length=200)
    lead: str = Field(min_length=1, max_length=64)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: CRS = CRS.WGS84
    description: str = Field(default="", max_length=4000)
    plan: str = Field(default="", max_length=4000)
    co: str = Field(default="", max_length=1000)
    due_date: date | None = None
    budget_yuan: int | None = Field(default=None, ge=0)
