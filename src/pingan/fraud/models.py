"""Tables of the fraud loop: indicators, intake events, warnings."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class EventSource(StrEnum):
    TELECOM = "telecom"
    BANK = "bank"
    INTERNET = "internet"
    CITIZEN = "citizen"  # a resident's own report
    HOTLINE = "hotline"  # 96110
    PLATFORM = "platform"  # pushed down by the city / province platform
    DESK = "desk"  # a suspected-fraud request on the citizen desk


class EventKind(StrEnum):
    CALL = "call"
    SMS = "sms"
    TRANSFER = "transfer"
    URL_VISIT = "url_visit"
    APP_INSTALL = "app_install"
    REPORT = "report"
    PUSHED_WARNING = "pushed_warning"


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def raised(self, steps: int) -> Level:
        return _ORDER[min(len(_ORDER) - 1, max(0, self.rank + steps))]


_ORDER = (Level.LOW, Level.MEDIUM, Level.HIGH, Level.CRITICAL)
_RANK = {lvl: i for i, lvl in enumerate(_ORDER)}


class Outcome(StrEnum):
    DISSUADED = "dissuaded"  # 劝阻成功
    DEFRAUDED = "defrauded"  # 已被骗
    NOT_AT_RISK = "not_at_risk"
    UNREACHABLE = "unreachable"


class WarningStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Indicator(Base):
    """A listed fraud identifier (涉诈号码、账户、网址、APP), stored normalised."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    fraud_type: Mapped[str] = mapped_column(String(32), default="other")
    source: Mapped[str] = mapped_column(String(64), default="manual")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FraudEvent(Base):
    """One intake event, exactly as acknowledged; unique on (source, source_id)."""

    __tablename__ = "fraud_events"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_fraud_events_warning", "warning_id"),
        # Linking warnings into the cases' clusters looks events up by their counterpart.
        Index("ix_fraud_events_counterpart", "counterpart_kind", "counterpart"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    received_at: Mapped[datetime]
    subject_phone: Mapped[str] = mapped_column(String(20))
    counterpart: Mapped[str | None] = mapped_column(String(255))
    counterpart_kind: Mapped[str | None] = mapped_column(String(16))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int | None] = mapped_column(BigId)
    text: Mapped[str | None] = mapped_column(Text)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    level_hint: Mapped[str | None] = mapped_column(String(16))
    indicator_id: Mapped[int | None] = mapped_column(Integer)
    warning_id: Mapped[int | None] = mapped_column(BigId)


class FraudWarning(Base):
    """A graded warning about one person: the events merged into it, its level and why."""

    __tablename__ = "fraud_warnings"
    __table_args__ = (
        Index("ix_fraud_warnings_person_open", "person_id", "status"),
        Index("ix_fraud_warnings_phone_open", "subject_phone", "status"),
        Index("ix_fraud_warnings_area_created", "area_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    subject_phone: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    level: Mapped[Level] = mapped_column(_enum(Level))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    features: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fraud_type: Mapped[str] = mapped_column(String(32), default="other")
    predicted_type: Mapped[str | None] = mapped_column(String(32))
    """The fraud type the classifier reads in the warning's texts (`pingan.fraud.classify`); None without text."""
    predicted_confidence: Mapped[float | None] = mapped_column(Float)
    status: Mapped[WarningStatus] = mapped_column(_enum(WarningStatus))
    first_event_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    event_count: Mapped[int] = mapped_column(Integer, default=1)
    task_id: Mapped[int | None] = mapped_column(BigId)
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome))
    amount_protected_fen: Mapped[int] = mapped_column(BigId, default=0)
    amount_lost_fen: Mapped[int] = mapped_column(BigId, default=0)
    closed_at: Mapped[datetime | None]
