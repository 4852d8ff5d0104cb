"""Tables of hidden dangers: the finding, its departments (the lead and the co-departments), its photos."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class DangerKind(StrEnum):
    TRAFFIC = "traffic"  # 交通隐患点 (a crossing, a road section)
    FIRE_LANE = "fire_lane"  # 生命通道 / 消防通道
    RENTAL_HOUSING = "rental_housing"  # 出租房屋
    OTHER = "other"


KIND_NAMES: dict[DangerKind, str] = {
    DangerKind.TRAFFIC: "交通隐患点",
    DangerKind.FIRE_LANE: "生命通道",
    DangerKind.RENTAL_HOUSING: "出租房屋",
    DangerKind.OTHER: "其他隐患",
}


class DangerState(StrEnum):
    """The finding's own state, kept in step with its task (for lists and figures without the task)."""

    RECTIFYING = "rectifying"
    SUBMITTED = "submitted"  # awaiting on-site acceptance
    RECTIFIED = "rectified"  # accepted
    CLOSED = "closed"  # closed without acceptance (a duplicate, not a danger)


class DepartmentRole(StrEnum):
    LEAD = "lead"
    CO = "co"


class PhotoStage(StrEnum):
    BEFORE = "before"  # 整改前
    AFTER = "after"  # 整改后
    ACCEPTANCE = "acceptance"  # 现场验收


class Danger(Base):
    __tablename__ = "dangers"
    __table_args__ = (
        UniqueConstraint("source_id", name="uq_dangers_source_id"),
        Index("ix_dangers_found_at", "found_at"),
        Index("ix_dangers_area_state", "area_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[str | None] = mapped_column(String(64))
    """The list's own id (an import's `id`): a replay creates nothing twice."""
    kind: Mapped[DangerKind] = mapped_column(_enum(DangerKind))
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    """The rectification plan (整改方案): one per finding."""
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    state: Mapped[DangerState] = mapped_column(_enum(DangerState))
    found_at: Mapped[datetime]
    due_at: Mapped[datetime]
    """The rectification deadline (整改期限)."""
    submitted_at: Mapped[datetime | None]
    rectified_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    task_id: Mapped[int | None] = mapped_column(BigId, index=True)
    budget_yuan: Mapped[int | None] = mapped_column(Integer)
    """Money set aside for it (治理资金), when known."""


class DangerDepartment(Base):
    """One department's part of a finding: the lead's, or a co-department's with its own part task."""

    __tablename__ = "danger_departments"
    __table_args__ = (UniqueConstraint("danger_id", "unit_id", name="uq_danger_departments_unit"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    danger_id: Mapped[int] = mapped_column(ForeignKey("dangers.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[DepartmentRole] = mapped_column(_enum(DepartmentRole))
    duty: Mapped[str] = mapped_column(String(500), default="")
    """What this department is to do (拖离占道车辆, 处罚占用消防通道…)."""
    task_id: Mapped[int | None] = mapped_column(BigId)
    """A co-department's `hidden_danger_part` task (the lead's part is the finding's own task)."""
    reported_at: Mapped[datetime | None]
    report: Mapped[str | None] = mapped_column(Text)


class DangerPhoto(Base):
    __tablename__ = "danger_photos"
    __table_args__ = (Index("ix_danger_photos_danger", "danger_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    danger_id: Mapped[int] = mapped_column(ForeignKey("dangers.id"))
    stage: Mapped[PhotoStage] = mapped_column(_enum(PhotoStage))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    """Relative to the photo store's folder."""
    filename: Mapped[str | None] = mapped_column(String(255))
