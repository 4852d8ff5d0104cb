"""Pydantic models at tracking's edges: the import rows, detections, thefts and their answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from pingan.core.fields import FreeText, refuse_nul
from pingan.core.geo import CRS
from pingan.core.identifiers import InvalidIdentifier, normalize_phone
from pingan.tracking.models import TagKind

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
Text100 = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(refuse_nul)]


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidIdentifier as exc:
        raise ValueError(f"不是有效的电话号码：{exc}") from None


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TagRow(_Row):
    """One tag of `pingan tags import` (a CSV row) or `POST /api/v1/tracking/tags`."""

    tag: Code
    kind: TagKind
    owner_phone: Annotated[str, AfterValidator(_phone)]
    owner_name: Text100
    plate: Annotated[str | None, Field(max_length=20)] = None
    frame_no: Annotated[str | None, Field(max_length=40)] = None
    installed_at: datetime | date
    service_point: Text100 | None = None
    model: Annotated[str | None, Field(max_length=60)] = None
    colour: Annotated[str | None, Field(max_length=20)] = None
    installer: Text100 | None = None
    wearer_name: Text100 | None = None
    species: Annotated[str | None, Field(max_length=20)] = None
    safe_stations: Annotated[str | None, Field(max_length=2000)] = None
    """Base station codes separated by spaces or `;` (a bracelet's safe area)."""
    silence_hours: Annotated[float | None, Field(gt=0, le=24 * 30)] = None

    def installed(self, zone: Any) -> datetime:
        value = self.installed_at
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=zone)
        return datetime.combine(value, time(0), tzinfo=zone)

    def safe_station_codes(self) -> list[str]:
        raw = (self.safe_stations or "").replace(";", " ").replace(",", " ")
        return sorted({c for c in raw.split() if c})


class StationRow(_Row):
    """One base station of `pingan stations import` or `POST /api/v1/tracking/stations`."""

    code: Code
    name: Text100
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    village: Text100 | None = None
    radius_m: float = Field(default=500.0, gt=0, le=50_000)
    crs: CRS = CRS.WGS84
    silence_minutes: int | None = Field(default=None, ge=1, le=30 * 24 * 60)


class DetectionIn(BaseModel):
    """One detection as a base station sends it (MQTT, an HTTP batch, a line of a file)."""

    model_config = ConfigDict(extra="forbid")
    tag: Code
    at: Annotated[AwareDatetime, Field(ge=EARLIEST, le=LATEST)]
    rssi: int | None = Field(default=None, ge=-150, le=20)
    id: Annotated[str | None, Field(max_length=64)] = None
    station: Code | None = None
    """Over MQTT the topic names the station; over HTTP and in files each detection does."""
    event: Literal["removed"] | None = None
    """An anti-removal bracelet reports that it was cut or taken off."""
    battery: int | None = Field(default=None, ge=0, le=100)


class StationStatusIn(BaseModel):
    """A base station's heartbeat (MQTT `{prefix}/stations/{code}/status`, or HTTP): any JSON object, kept as
    given; these are the fields Pingan shows."""

    model_config = ConfigDict(extra="allow")
    battery: int | None = None
    """Percent."""
    firmware: str | None = None
    temperature_c: float | None = None


class TheftCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tag: Code
    stolen_at: Annotated[AwareDatetime, Field(ge=EARLIEST, le=LATEST)]
    reported_at: Annotated[AwareDatetime | None, Field(ge=EARLIEST, le=LATEST)] = None
    """When the owner reported it (default: now)."""
    place: FreeText | None = Field(default=None, max_length=200)


class RecoveryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    place: FreeText = Field(min_length=1, max_length=200)
    suspects: int = Field(default=0, ge=0, le=1000)
    gang: FreeText | None = Field(default=None, max_length=64)
    """The gang (团伙) broken with this recovery: its case number or name; thefts naming one gang count once."""
    note: FreeText | None = Field(default=None, max_length=2000)


class CompensationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificate_no: FreeText = Field(min_length=1, max_length=64)
    invoices: FreeText = Field(min_length=1, max_length=500)
    card_destroyed: bool | None = None


class SafeAreaUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stations: list[Code] = Field(default_factory=list, max_length=500)
    polygon: list[tuple[float, float]] | None = Field(default=None, min_length=3, max_length=5000)
    """A ring of (lon, lat) WGS84 points."""
    silence_hours: float | None = Field(default=None, gt=0, le=24 * 30)


class Rejected(BaseModel):
    index: int
    """The item's place in the batch (from 0), or its line in a file (from 1)."""
    field: str | None
    message: str


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[Rejected]


class IngestResult(BaseModel):
    accepted: int
    merged: int
    """Heard by a second station in the same sighting (kept once, with both stations)."""
    duplicates: int
    rejected: list[Rejected]
    alerts: list[int]
    queued: bool = False
    """Published to the detections stream (`PINGAN_NATS_URL`): stored by the stream workers, the alerts after."""


Period = Literal["day", "week", "month"]
