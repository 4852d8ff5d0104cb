"""Tables of dispute mediation: mediators, disputes, sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class DisputeCategory(StrEnum):
    NEIGHBOUR = "neighbour"
    FAMILY = "family"
    EMOTIONAL = "emotional"
    DEBT = "debt"
    LABOUR = "labour"
    PROPERTY = "property"
    TRAFFIC = "traffic"
    OTHER = "other"


CATEGORY_NAMES: dict[DisputeCategory, str] = {
    DisputeCategory.NEIGHBOUR: "邻里纠纷",
    DisputeCategory.FAMILY: "婚姻家庭",
    DisputeCategory.EMOTIONAL: "情感纠葛",
    DisputeCategory.DEBT: "经济债务",
    DisputeCategory.LABOUR: "劳资纠纷",
    DisputeCategory.PROPERTY: "土地物业",
    DisputeCategory.TRAFFIC: "交通事故",
    DisputeCategory.OTHER: "其他纠纷",
}


class MediatorKind(StrEnum):
    ROOM = "room"  # a station's mediation room or studio (刘大姐工作室, 综合调解室)
    STREET = "street"  # a street's or village's people's mediator (街道调解员)
    OFFICER = "officer"  # a community officer
    JOINT = "joint"  # a joint centre (海上矛盾纠纷联合调处中心)


MEDIATOR_KIND_NAMES = {
    MediatorKind.ROOM: "调解工作室",
    MediatorKind.STREET: "街道调解员",
    MediatorKind.OFFICER: "社区民警",
    MediatorKind.JOINT: "联合调处中心",
}


class DisputeState(StrEnum):
    RECEIVED = "received"
    MEDIATING = "mediating"
    AGREED = "agreed"  # an agreement, awaiting the follow-up visit
    RESOLVED = "resolved"
    FAILED = "failed"
    CLOSED = "closed"


class Mediator(Base):
    __tablename__ = "dispute_mediators"
    __table_args__ = (UniqueConstraint("unit_id", "name", name="uq_dispute_mediators_unit_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[MediatorKind] = mapped_column(_enum(MediatorKind))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    """The station or street the mediator works for; its disputes are held by that unit."""
    note: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Dispute(Base):
    __tablename__ = "disputes"
    __table_args__ = (
        UniqueConstraint("source_id", name="uq_disputes_source_id"),
        Index("ix_disputes_received_at", "received_at"),
        Index("ix_disputes_area_state", "area_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[DisputeCategory] = mapped_column(_enum(DisputeCategory))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("dispute_mediators.id"))
    parties: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    """[{name, phone, role}]: shown masked unless the role needs them and asks (the read recorded)."""
    state: Mapped[DisputeState] = mapped_column(_enum(DisputeState))
    received_at: Mapped[datetime]
    agreement: Mapped[str | None] = mapped_column(Text)
    compensation_yuan: Mapped[int | None] = mapped_column(Integer)
    agreed_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    referral: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    task_id: Mapped[int | None] = mapped_column(BigId, index=True)


class DisputeSession(Base):
    """One mediation session (调解): when, where, who mediated, what came of it."""

    __tablename__ = "dispute_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    mediators: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
