"""The edge of the fraud loop: intake events and indicators as they arrive (Pydantic)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from pingan.core.fields import refuse_nul
from pingan.core.geo import CRS, in_china
from pingan.core.identifiers import IdentifierKind, InvalidIdentifier, normalize_phone
from pingan.fraud.models import EventKind, EventSource, Level


class FieldProblem(ValueError):
    """A cross-field check that still names the one field to fix (read back by `pingan.api.errors`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidIdentifier as exc:
        raise ValueError(str(exc)) from None


# Far-off years overflow once shifted to UTC and say nothing true about a lead. Checked as a
# constraint (in pydantic-core): a Python validator comparing aware datetimes cost intake a third
# of its validation time.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _no_nul(value: str | None) -> str | None:
    # The core's one check (`refuse_nul`), for fields that may be absent.
    return None if value is None else refuse_nul(value)


Phone = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_phone)]

FRAUD_TYPES = (
    "order_brushing",
    "investment",
    "loan",
    "fake_customer_service",
    "impersonate_officials",
    "credit_repair",
    "fake_shopping",
    "impersonate_acquaintance",
    "game_trade",
    "romance",
    "military_purchase",
    "gambling",
    "other",
    "normal",
)


class EventIn(BaseModel):
    """One lead from a feed. `id` is the source's own id: a replay of the same (source, id) is a no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_no_nul)]
    source: EventSource
    kind: EventKind
    at: Annotated[AwareDatetime, Field(ge=EARLIEST, le=LATEST)]
    subject_phone: Phone
    counterpart: Annotated[str | None, Field(min_length=1, max_length=255), AfterValidator(_no_nul)] = None
    counterpart_kind: IdentifierKind | None = None
    duration_s: int | None = Field(default=None, ge=0, le=86_400)
    amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e10"), decimal_places=2)
    text: Annotated[str | None, Field(max_length=4000), AfterValidator(_no_nul)] = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: CRS = CRS.WGS84
    level: Level | None = None
    """The level a city / province platform pushed the warning down with."""
    fraud_type: str | None = Field(default=None, pattern="^(" + "|".join(FRAUD_TYPES) + ")$")
    county: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    """The code of the county a city or province platform addressed the lead to (several counties in one
    deployment): a lead that cannot be placed at a station goes to that county's centre."""

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if (self.lon is None) != (self.lat is None):
            raise FieldProblem("lat" if self.lat is None else "lon", "lon and lat must be given together")
        if self.lon is not None and self.lat is not None and not in_china(self.lon, self.lat):
            raise FieldProblem("lon", "coordinates outside China")
        if self.kind is EventKind.TRANSFER and self.amount is None:
            raise FieldProblem("amount", "a transfer needs an amount")
        return self


class IndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=255)
    fraud_type: str = Field(default="other", pattern="^(" + "|".join(FRAUD_TYPES) + ")$")
    source: str = Field(default="manual", max_length=64)
    note: str | None = Field(default=None, max_length=1000)
    expires_at: AwareDatetime | None = None


class IndicatorPublic(BaseModel):
    id: int
    kind: str
    value: str
    fraud_type: str
    source: str
    note: str | None
    created_at: datetime
    expires_at: datetime | None
    active: bool
    hits: int = 0
    """Events this indicator matched (in the lists; 0 elsewhere)."""
