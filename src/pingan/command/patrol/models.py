"""Tables of patrol and response: the patrol zones (片区), the patrol units with their last position, the duty
roster (勤务: shifts on duty and leave)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base
from pingan.core.models import _enum


class UnitType(StrEnum):
    CAR = "car"  # 巡逻车
    MOTORBIKE = "motorbike"  # 摩托车
    EBIKE = "ebike"  # 电动自行车
    FOOT = "foot"  # 步巡


UNIT_TYPE_NAMES = {
    UnitType.CAR: "巡逻车",
    UnitType.MOTORBIKE: "摩托车",
    UnitType.EBIKE: "电动车",
    UnitType.FOOT: "步巡",
}


class ShiftKind(StrEnum):
    DUTY = "duty"  # 在岗
    LEAVE = "leave"  # 请假/休假


class PatrolZone(Base):
    """One patrol zone (巡防片区), a polygon in WGS84, answered for by a station (or the centre)."""

    __tablename__ = "patrol_zones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    geometry: Mapped[bytes] = mapped_column(LargeBinary)
    """WKB, WGS84 lon/lat."""
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    """The station answering for the zone; None: the command centre's own."""
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    """The station jurisdiction the zone's inner point lies in."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PatrolUnit(Base):
    """A patrol unit (a car, a motorbike, an e-bike, officers on foot) and its last reported position."""

    __tablename__ = "patrol_units"
    __table_args__ = (Index("ix_patrol_units_unit", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    """Its call sign (呼号), e.g. 丹东巡01."""
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[UnitType] = mapped_column(_enum(UnitType))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    """The station (or centre) the patrol unit belongs to."""
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_zones.id"))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The officer leading it (带班民警); on leave, the unit is not assignable."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    position_at: Mapped[datetime | None]
    """When the last position was taken (the device's time), UTC."""
    created_at: Mapped[datetime]


class DutyShift(Base):
    """One row of the roster: a patrol unit or an officer on duty (在岗) or on leave (请假) over [starts, ends)."""

    __tablename__ = "duty_shifts"
    __table_args__ = (
        Index("ix_duty_shifts_patrol_unit", "patrol_unit_id", "starts_at"),
        Index("ix_duty_shifts_user", "user_id", "starts_at"),
        Index("ix_duty_shifts_unit_starts", "unit_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ShiftKind] = mapped_column(_enum(ShiftKind))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    """The station whose roster it is."""
    patrol_unit_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_units.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
