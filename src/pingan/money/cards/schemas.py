"""The card-opening feed at the edge: one JSON object per opening (API batch or a JSONL file)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from pingan.core.geo import CRS
from pingan.core.identifiers import InvalidIdentifier, is_valid_cn_id_number, normalize_account, normalize_phone
from pingan.money.cards.models import CardKind


class HolderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=32)
    phone: str | None = Field(default=None, max_length=32)

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        text = value.upper()
        if not is_valid_cn_id_number(text):
            raise ValueError("不是有效的居民身份证号码")
        return text

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            return normalize_phone(value)
        except InvalidIdentifier as exc:
            raise ValueError(str(exc)) from None


class OutletIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90, validate_default=True)
    crs: CRS = CRS.WGS84

    @field_validator("lat")
    @classmethod
    def _both(cls, value: float | None, info: ValidationInfo) -> float | None:
        if "lon" in info.data and (info.data["lon"] is None) != (value is None):
            raise ValueError("lon 与 lat 须同时给出")
        return value


class OpeningIn(BaseModel):
    """One card opening. Exactly one of `operator` (SIM) and `bank` (bank card) names the reporter."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=128, description="The reporter's own id of the opening.")
    at: AwareDatetime
    bank: str | None = Field(default=None, min_length=1, max_length=64)
    operator: str | None = Field(default=None, min_length=1, max_length=64, validate_default=True)
    kind: CardKind
    number: str = Field(min_length=1, max_length=64)
    holder: HolderIn
    outlet: OutletIn

    @field_validator("operator")
    @classmethod
    def _one_reporter(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "bank" in info.data and (value is None) == (info.data["bank"] is None):
            raise ValueError("须给出 operator（运营商）或 bank（银行）之一")
        return value

    @field_validator("number")
    @classmethod
    def _number(cls, value: str, info: ValidationInfo) -> str:
        try:
            if info.data.get("kind") is CardKind.SIM:
                return normalize_phone(value)
            return normalize_account(value)
        except InvalidIdentifier as exc:
            raise ValueError(str(exc)) from None

    @property
    def source(self) -> str:
        name = self.operator if self.operator is not None else self.bank
        assert name is not None  # validated
        return name
