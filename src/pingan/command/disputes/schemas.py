"""The edges' shapes of dispute mediation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.command.disputes.models import DisputeCategory, MediatorKind
from pingan.core.fields import DbId, FreeText
from pingan.core.geo import CRS


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: FreeText = Field(min_length=1, max_length=100)
    phone: FreeText | None = Field(default=None, max_length=32)
    role: Literal["applicant", "respondent", "other"] = "applicant"


class DisputeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: DisputeCategory
    title: FreeText = Field(min_length=1, max_length=200)
    description: FreeText = Field(default="", max_length=4000)
    place: FreeText = Field(default="", max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: CRS = CRS.WGS84
    area_id: DbId | None = None
    parties: list[Party] = Field(min_length=2, max_length=20)
    mediator_id: DbId | None = None
    """Its unit handles the dispute; without one, the station of the place (or the user's own unit)."""
    source_id: str | None = Field(default=None, min_length=1, max_length=64)


class MediatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: FreeText = Field(min_length=1, max_length=100)
    kind: MediatorKind
    unit_id: DbId
    note: FreeText = Field(default="", max_length=500)
