"""What a case looks like at the edges (API, import file): validated here, dataclasses inside."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from pingan.core.fields import DbId, FreeText, refuse_nul
from pingan.core.identifiers import InvalidIdentifier, normalize_phone
from pingan.money.extract import BadIdentifier, CaseIdentifierKind, normalize
from pingan.money.models import CaseStatus

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# DESIGN §4, the canonical fraud types ("normal" is no case).
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
)
TYPE_NAMES = {
    "order_brushing": "刷单返利类",
    "investment": "虚假网络投资理财类",
    "loan": "虚假网络贷款类",
    "fake_customer_service": "冒充电商物流客服类",
    "impersonate_officials": "冒充公检法及政府机关类",
    "credit_repair": "虚假征信类",
    "fake_shopping": "虚假购物、服务类",
    "impersonate_acquaintance": "冒充领导、熟人类",
    "game_trade": "网络游戏产品虚假交易类",
    "romance": "网络婚恋、交友类",
    "military_purchase": "冒充军警购物类",
    "gambling": "网络赌博、博彩类",
    "other": "其他类型诈骗",
}
"""DESIGN §4's names, as the screens and task titles show them."""
FraudType = Annotated[str, Field(pattern="^(" + "|".join(FRAUD_TYPES) + ")$")]


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_phone(value)
    except InvalidIdentifier as exc:
        raise ValueError(str(exc)) from None


def _no_nul(value: str | None) -> str | None:
    return None if value is None else refuse_nul(value)


class VictimIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[str | None, Field(max_length=100), AfterValidator(_no_nul)] = None
    phone: Annotated[str | None, Field(max_length=40), AfterValidator(_phone)] = None
    id_number: Annotated[str | None, Field(max_length=32), AfterValidator(_no_nul)] = None


class IdentifierIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: CaseIdentifierKind
    value: Annotated[str, Field(min_length=1, max_length=255), AfterValidator(refuse_nul)]

    @model_validator(mode="after")
    def _readable(self) -> Self:
        try:
            normalize(self.kind, self.value)
        except BadIdentifier as exc:
            raise ValueError(str(exc)) from None
        return self


Yuan = Annotated[Decimal, Field(ge=0, le=Decimal("1e10"), decimal_places=2)]
Narrative = Annotated[FreeText, Field(max_length=20_000)]
When = Annotated[AwareDatetime, Field(ge=EARLIEST, le=LATEST)]


class CaseCreate(BaseModel):
    """A case by hand or from a file. `id` is the source's own id: a replay of it creates nothing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: Annotated[str | None, Field(min_length=1, max_length=128), AfterValidator(_no_nul)] = None
    reported_at: When
    occurred_at: When | None = None
    victim: VictimIn = Field(default_factory=VictimIn)
    loss_yuan: Yuan = Decimal(0)
    fraud_type: FraudType | None = None
    narrative: Narrative = ""
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=200)
    county_code: Annotated[str | None, Field(pattern=r"^[0-9]{6,12}$")] = None
    area_id: DbId | None = None


class CaseUpdate(BaseModel):
    """A change to a case. `identifiers`, when given, is the case's whole list (what the screen shows, edited);
    a new `narrative` without it reads the narrative's identifiers again and keeps the ones given by hand."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    occurred_at: When | None = None
    victim: VictimIn | None = None
    loss_yuan: Yuan | None = None
    fraud_type: FraudType | None = None
    narrative: Narrative | None = None
    identifiers: list[IdentifierIn] | None = Field(default=None, max_length=200)
    status: CaseStatus | None = None
    area_id: DbId | None = None
