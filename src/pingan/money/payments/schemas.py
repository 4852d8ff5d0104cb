"""Payloads and bodies at the edge of payments (Pydantic); amounts are yuan with at most two decimals."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pingan.core.fields import DbId, FreeText
from pingan.core.identifiers import InvalidIdentifier, normalize_account
from pingan.core.tasks.contract import Payload

Yuan = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
YuanOrZero = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


def fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


class StopResult(StrEnum):
    STOPPED = "stopped"
    WITHDRAWN = "withdrawn"
    NOT_FOUND = "not_found"


class StopCreate(BaseModel):
    """An emergency stop-payment request to a bank."""

    model_config = ConfigDict(extra="forbid")
    bank_unit_id: DbId
    account: str = Field(min_length=6, max_length=64)
    account_name: FreeText | None = Field(default=None, max_length=100)
    amount_yuan: Yuan
    basis: FreeText = Field(min_length=2, max_length=2000)
    case_ref: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w.:/-]+$")
    area_id: DbId | None = None
    client_ref: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w.:/-]+$")

    @field_validator("account")
    @classmethod
    def _account(cls, value: str) -> str:
        try:
            return normalize_account(value)
        except InvalidIdentifier:
            raise ValueError("账号须为 6 至 32 位数字") from None


class AnswerPayload(Payload):
    """The bank's answer to a stop."""

    result: StopResult
    amount_stopped_yuan: YuanOrZero | None = None
    amount_withdrawn_yuan: YuanOrZero | None = None


class OrderPayload(Payload):
    """A police order (freeze, renewal): the legal basis is required."""

    basis: FreeText = Field(min_length=2, max_length=2000)


class FreezePayload(Payload):
    amount_frozen_yuan: Yuan


class ReturnOrderPayload(Payload):
    amount_yuan: Yuan
    basis: FreeText = Field(min_length=2, max_length=2000)


class ReturnedPayload(Payload):
    amount_returned_yuan: Yuan
