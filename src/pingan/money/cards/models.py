"""The card openings' table: one row per opening reported by an operator or a bank, unique on (source, id)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class CardKind(StrEnum):
    SIM = "sim"
    BANK_CARD = "bank_card"


class SourceKind(StrEnum):
    OPERATOR = "operator"
    BANK = "bank"


class Verification(StrEnum):
    """What the station found (the verification task's outcome), written on every opening of the task."""

    CANCELLED = "cancelled"  # 注销
    CLEARED = "cleared"  # 正常
    SUSPECT = "suspect"  # 发现涉诈嫌疑


class CardOpening(Base):
    __tablename__ = "card_openings"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_card_openings_holder_at", "holder_id_number", "opened_at"),
        Index("ix_card_openings_outlet_at", "source", "outlet_id", "opened_at"),
        Index("ix_card_openings_flagged", "flagged", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_kind: Mapped[SourceKind] = mapped_column(_enum(SourceKind))
    source: Mapped[str] = mapped_column(String(64))
    """The operator or bank that reported it (中国移动, 农业银行…)."""
    source_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[CardKind] = mapped_column(_enum(CardKind))
    number: Mapped[str] = mapped_column(String(32))
    """Normalised: a phone number for a SIM, the digits of a bank card."""
    opened_at: Mapped[datetime]
    received_at: Mapped[datetime]
    holder_name: Mapped[str] = mapped_column(String(100))
    holder_id_number: Mapped[str] = mapped_column(String(18))
    holder_phone: Mapped[str | None] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    """The registered resident with this ID number, if any."""
    outlet_id: Mapped[str] = mapped_column(String(64))
    outlet_name: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    """The station the verification goes to: the holder's registered one, else the outlet's."""
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    task_id: Mapped[int | None] = mapped_column(BigId)
    verification: Mapped[Verification | None] = mapped_column(_enum(Verification))
