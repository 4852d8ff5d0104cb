"""One enforcement record of the traffic police system (a violation dealt with), unique on its own id."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class ViolationType(StrEnum):
    THREE_SMALL = "three_small"  # “三小车”：低速电动车、电动三轮、老年代步车
    DRINK = "drink"  # 涉酒驾驶：酒后驾驶、醉酒驾驶
    EBIKE = "ebike"  # 电动自行车违法（未戴头盔、逆行、闯红灯…）
    KEY_VEHICLE = "key_vehicle"  # 重点车辆：“两客一危”、重型货车、工程运输车
    OTHER = "other"


class Outcome(StrEnum):
    EDUCATION = "education"  # 教育劝导
    WARNING = "warning"  # 警告
    FINE = "fine"  # 罚款 / 记分
    DETENTION = "detention"  # 行政拘留
    CRIMINAL = "criminal"  # 刑事立案
    OTHER = "other"


TYPE_NAMES: dict[str, str] = {
    ViolationType.THREE_SMALL: "三小车",
    ViolationType.DRINK: "涉酒驾驶",
    ViolationType.EBIKE: "电动自行车",
    ViolationType.KEY_VEHICLE: "重点车辆",
    ViolationType.OTHER: "其他",
}
OUTCOME_NAMES: dict[str, str] = {
    Outcome.EDUCATION: "教育劝导",
    Outcome.WARNING: "警告",
    Outcome.FINE: "罚款记分",
    Outcome.DETENTION: "行政拘留",
    Outcome.CRIMINAL: "刑事案件",
    Outcome.OTHER: "其他",
}


class TrafficRecord(Base):
    __tablename__ = "traffic_records"
    __table_args__ = (Index("ix_traffic_records_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    """The traffic police system's own id of the record: an import replayed creates nothing twice."""
    type: Mapped[ViolationType] = mapped_column(_enum(ViolationType))
    at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    """The station area it happened in (its point, else the place's name), None when neither says."""
    outcome: Mapped[Outcome] = mapped_column(_enum(Outcome))
    imported_at: Mapped[datetime]
