"""API shapes shared by the routers (`XCreate` / `XUpdate` / `XPublic`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.core.geo import CRS
from pingan.fraud.models import Outcome


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime
    user: UserPublic


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_name: str | None


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    database: str


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class LookupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    crs: CRS = CRS.WGS84
    points: list[Point] = Field(min_length=1, max_length=100_000)


class LookupResult(BaseModel):
    station_id: int | None
    station: str | None


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


class SignAction(_Action):
    action: Literal["sign"]


class CallAction(_Action):
    action: Literal["call"]
    answered: bool


class VisitAction(_Action):
    action: Literal["visit"]
    found: bool


class MeetAction(_Action):
    action: Literal["meet"]


class FeedbackAction(_Action):
    action: Literal["feedback"]
    outcome: Outcome
    amount_yuan: Decimal | None = Field(default=None, ge=0, le=Decimal("1e10"), decimal_places=2)


class EvaluateAction(_Action):
    action: Literal["evaluate"]


class CloseAction(_Action):
    action: Literal["close"]
    reason: str = Field(min_length=1, max_length=2000)
    outcome: Outcome | None = None
    """Defaults to the outcome already fed back, else unreachable."""


class AssignAction(_Action):
    action: Literal["assign"]
    assignee_id: int


class NoteAction(_Action):
    action: Literal["note"]
    note: str = Field(min_length=1, max_length=2000)


TaskActionIn = Annotated[
    SignAction
    | CallAction
    | VisitAction
    | MeetAction
    | FeedbackAction
    | EvaluateAction
    | CloseAction
    | AssignAction
    | NoteAction,
    Field(discriminator="action"),
]
