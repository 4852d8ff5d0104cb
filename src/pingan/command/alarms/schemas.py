"""Pydantic models at the alarm intake's edge."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from pingan.command.alarms.models import AlarmCategory, AlarmSource
from pingan.core.fields import FreeText, refuse_nul
from pingan.core.geo import CRS
from pingan.core.identifiers import InvalidIdentifier, normalize_phone

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def _phone(value: str) -> str:
    try:
        return normalize_phone(value)
    except InvalidIdentifier as exc:
        raise ValueError(f"不是有效的电话号码：{exc}") from None


def _not_ancient(value: datetime) -> datetime:
    if value < EARLIEST:
        raise ValueError("接警时间超出合理范围")
    return value


class AlarmCreate(BaseModel):
    """One alarm as the 110 system hands it over, or as the desk officer types a walk-in."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source: AlarmSource
    source_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
    """The alarm's id in its source (the 110 system's 警情编号): a replay with the same id creates nothing."""
    received_at: Annotated[AwareDatetime | None, AfterValidator(lambda v: _not_ancient(v) if v else v)] = None
    """When it was received; now if not given."""
    category: AlarmCategory = AlarmCategory.OTHER
    text: Annotated[FreeText, Field(min_length=1, max_length=2000)]
    caller_name: Annotated[str | None, Field(max_length=100), AfterValidator(lambda v: refuse_nul(v) if v else v)] = (
        None
    )
    caller_phone: Annotated[str | None, AfterValidator(lambda v: _phone(v) if v else v)] = None
    address: Annotated[str | None, Field(max_length=200), AfterValidator(lambda v: refuse_nul(v) if v else v)] = None
    lon: Annotated[float | None, Field(ge=-180, le=180, allow_inf_nan=False)] = None
    lat: Annotated[float | None, Field(ge=-90, le=90, allow_inf_nan=False)] = None
    crs: CRS = CRS.WGS84
