"""A traffic enforcement record as the traffic police system exports it (one CSV line)."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from pingan.command.traffic.models import OUTCOME_NAMES, TYPE_NAMES, Outcome, ViolationType
from pingan.core.fields import FreeText
from pingan.core.geo import CRS, in_china

_TYPES = {name: key for key, name in TYPE_NAMES.items()} | {
    "酒驾": ViolationType.DRINK.value,
    "醉驾": ViolationType.DRINK.value,
    "酒后驾驶": ViolationType.DRINK.value,
    "醉酒驾驶": ViolationType.DRINK.value,
    "电动车": ViolationType.EBIKE.value,
    "电动自行车违法": ViolationType.EBIKE.value,
    "两客一危": ViolationType.KEY_VEHICLE.value,
    "工程运输车": ViolationType.KEY_VEHICLE.value,
    "重型货车": ViolationType.KEY_VEHICLE.value,
}
_OUTCOMES = {name: key for key, name in OUTCOME_NAMES.items()} | {
    "教育": Outcome.EDUCATION.value,
    "罚款": Outcome.FINE.value,
    "记分": Outcome.FINE.value,
    "拘留": Outcome.DETENTION.value,
    "刑事": Outcome.CRIMINAL.value,
}


class RecordProblem(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class TrafficRecordIn(BaseModel):
    """`id` (the system's own), `type` (三小车 涉酒驾驶/酒驾/醉驾 电动自行车 重点车辆 其他, or three_small drink ebike
    key_vehicle other), `at` (ISO 8601 with offset), `place` (road or place name), `lon`/`lat`/`crs`, `outcome`
    (教育劝导 警告 罚款记分 行政拘留 刑事案件 其他, or education warning fine detention criminal other)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=64)
    type: ViolationType
    at: AwareDatetime
    place: FreeText | None = Field(default=None, max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: CRS = CRS.WGS84
    outcome: Outcome

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in value.items()}
        return value

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: object) -> object:
        return _TYPES.get(str(value).strip(), str(value).strip().lower()) if value is not None else value

    @field_validator("outcome", mode="before")
    @classmethod
    def _outcome(cls, value: object) -> object:
        return _OUTCOMES.get(str(value).strip(), str(value).strip().lower()) if value is not None else value

    @field_validator("crs", mode="before")
    @classmethod
    def _crs(cls, value: object) -> object:
        return CRS.WGS84 if value is None else value

    @model_validator(mode="after")
    def _point(self) -> TrafficRecordIn:
        if (self.lon is None) != (self.lat is None):
            raise RecordProblem("经度和纬度须同时填写", "lat" if self.lat is None else "lon")
        if self.lon is not None and self.lat is not None and not in_china(self.lon, self.lat):
            raise RecordProblem("坐标不在中国境内", "lon")
        return self
