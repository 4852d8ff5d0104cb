"""The edges' shapes of a pushed list: a row (a CSV line or a JSON object) and the list around it."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from pingan.command.verify.models import SubjectKind
from pingan.core.fields import FreeText
from pingan.core.geo import CRS, in_china
from pingan.core.identifiers import InvalidIdentifier, is_valid_cn_id_number, normalize_phone

_KIND_ALIASES = {"人员": "person", "人": "person", "场所": "place", "地点": "place", "": "person"}


class RowProblem(ValueError):
    """A row's fault that is about one named field (read by `pingan.core.errors.field_of`)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class VerifyRowIn(BaseModel):
    """One person or place to verify. A person names who (`name`) and how to find them (an ID number, a phone,
    an address or a point); a place gives an address or a point. `id` is the row's own id in the list (a
    replayed row with the same id is the same row; without one, the row's content is its identity)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = Field(default=None, max_length=128)
    kind: SubjectKind = SubjectKind.PERSON
    name: FreeText | None = Field(default=None, max_length=100)
    id_number: str | None = None
    phone: str | None = None
    address: FreeText | None = Field(default=None, max_length=255)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    crs: CRS = CRS.WGS84
    note: FreeText | None = Field(default=None, max_length=2000)
    """What the list says about the row (why it is to be checked)."""

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, value: Any) -> Any:
        # A CSV cell left empty is no value.
        if isinstance(value, dict):
            return {k: (None if isinstance(v, str) and not v.strip() and k != "kind" else v) for k, v in value.items()}
        return value

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> object:
        if value is None:
            return SubjectKind.PERSON
        return _KIND_ALIASES.get(str(value).strip(), str(value).strip().lower())

    @field_validator("crs", mode="before")
    @classmethod
    def _crs(cls, value: object) -> object:
        return CRS.WGS84 if value is None else value

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
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
    def _findable(self) -> VerifyRowIn:
        if (self.lon is None) != (self.lat is None):
            raise RowProblem("经度和纬度须同时填写", "lat" if self.lat is None else "lon")
        if self.lon is not None and self.lat is not None and not in_china(self.lon, self.lat):
            raise RowProblem("坐标不在中国境内", "lon")
        point = self.lon is not None
        if self.kind is SubjectKind.PERSON:
            if not self.name:
                raise RowProblem("人员须填写姓名", "name")
            if not (self.id_number or self.phone or self.address or point):
                raise RowProblem("人员须至少填写身份证号、电话、地址或坐标之一", "id_number")
        elif not (self.address or point):
            raise RowProblem("场所须填写地址或坐标", "address")
        return self

    def key(self) -> str:
        """The row's identity in its list: its own id, else a digest of what it names."""
        if self.id:
            return f"id:{self.id}"
        parts = (self.kind, self.name, self.id_number, self.phone, self.address, self.lon, self.lat)
        return "sha:" + hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:40]


class VerifyListIn(BaseModel):
    """A list pushed through the API: its own id (a replay with the same id is the same list), a title, the
    analysis behind it, the deadline (`due_at`, or `due_hours` from now; the county's default otherwise), and
    its rows (objects of `VerifyRowIn`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=128)
    title: FreeText = Field(min_length=1, max_length=200)
    source: str | None = Field(default=None, min_length=1, max_length=64)
    """Who the list comes from (the county's own centre when not given; a platform's key names itself)."""
    reason: FreeText | None = Field(default=None, max_length=2000)
    due_hours: int | None = Field(default=None, ge=1, le=100_000)
    due_at: AwareDatetime | None = None
    rows: list[Any] = Field(min_length=1)


def deadline_of(pushed_at: datetime, due_at: datetime | None, due_hours: int | None, default_hours: int) -> datetime:
    """A list's deadline: the one it gives, else `due_hours` (or the county's default) from its push."""
    if due_at is not None:
        return due_at
    return pushed_at + timedelta(hours=due_hours or default_hours)
