"""The edges' shapes: a plan (a CSV line or a JSON object) and a recorded check."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pingan.command.rehab.models import PlanKind
from pingan.core.fields import FreeText
from pingan.core.identifiers import InvalidIdentifier, is_valid_cn_id_number, normalize_phone

_KIND_ALIASES = {"社区戒毒": "detox", "社区康复": "rehab"}


class PlanProblem(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class PlanIn(BaseModel):
    """A person's plan: `id` is the decision's number (决定书编号, a replay updates nothing twice), `kind`
    detox (社区戒毒) or rehab (社区康复), the start and end days, the schedule (days between check-ins and
    between tests; the county's defaults otherwise) and the community officer's login."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=64)
    kind: PlanKind
    name: FreeText = Field(min_length=1, max_length=100)
    id_number: str
    phone: str | None = None
    address: FreeText | None = Field(default=None, max_length=255)
    starts_on: date
    ends_on: date
    checkin_days: int | None = Field(default=None, ge=1, le=365)
    test_days: int | None = Field(default=None, ge=1, le=365)
    officer: str | None = Field(default=None, max_length=64)

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (None if isinstance(v, str) and not v.strip() else v) for k, v in value.items()}
        return value

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        return _KIND_ALIASES.get(str(value).strip(), value) if value is not None else value

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        text = value.upper()
        if not is_valid_cn_id_number(text):
            raise ValueError("身份证号码无效")
        return text

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_phone(value)
        except InvalidIdentifier as exc:
            raise ValueError(f"电话号码无效：{exc}") from None

    @model_validator(mode="after")
    def _period(self) -> PlanIn:
        if self.ends_on < self.starts_on:
            raise PlanProblem("结束日期不能早于开始日期", "ends_on")
        if (self.ends_on - self.starts_on).days > 366 * 6:
            raise PlanProblem("期限过长（最长6年）", "ends_on")
        return self


class CheckIn(BaseModel):
    """A check-in (报到) or a test (检测, with its result) recorded for a plan, on a day (today by default)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["checkin", "test"]
    result: Literal["negative", "positive"] | None = None
    on: date | None = None
    note: FreeText | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _result(self) -> CheckIn:
        if self.kind == "test" and self.result is None:
            raise PlanProblem("检测须填写结果", "result")
        if self.kind == "checkin" and self.result is not None:
            raise PlanProblem("报到没有检测结果", "result")
        return self
