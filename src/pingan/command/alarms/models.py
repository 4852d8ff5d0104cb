"""The alarm table: one row per alarm received (110, walk-in…), kept in step with its `alarm` task."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class AlarmSource(StrEnum):
    CALL_110 = "110"  # 110 报警电话
    WALK_IN = "walk_in"  # 来所报警
    PATROL = "patrol"  # 巡逻发现
    TRANSFER = "transfer"  # 122/119/12345 转警
    ONLINE = "online"  # 网上报警


SOURCE_NAMES = {
    AlarmSource.CALL_110: "110报警",
    AlarmSource.WALK_IN: "来所报警",
    AlarmSource.PATROL: "巡逻发现",
    AlarmSource.TRANSFER: "转警",
    AlarmSource.ONLINE: "网上报警",
}


class AlarmCategory(StrEnum):
    CRIMINAL = "criminal"  # 刑事
    PUBLIC_ORDER = "public_order"  # 治安
    TRAFFIC = "traffic"  # 交通
    FIRE = "fire"  # 火灾
    RESCUE = "rescue"  # 抢险救援
    DISPUTE = "dispute"  # 纠纷
    HELP = "help"  # 群众求助
    OTHER = "other"


CATEGORY_NAMES = {
    AlarmCategory.CRIMINAL: "刑事警情",
    AlarmCategory.PUBLIC_ORDER: "治安警情",
    AlarmCategory.TRAFFIC: "交通警情",
    AlarmCategory.FIRE: "火灾",
    AlarmCategory.RESCUE: "抢险救援",
    AlarmCategory.DISPUTE: "纠纷",
    AlarmCategory.HELP: "群众求助",
    AlarmCategory.OTHER: "其他",
}


class AlarmLevel(StrEnum):
    CRITICAL = "critical"  # 特急
    HIGH = "high"  # 紧急
    MEDIUM = "medium"  # 一般
    LOW = "low"  # 非紧急


LEVEL_NAMES = {
    AlarmLevel.CRITICAL: "特急",
    AlarmLevel.HIGH: "紧急",
    AlarmLevel.MEDIUM: "一般",
    AlarmLevel.LOW: "非紧急",
}
LEVEL_ORDER = {AlarmLevel.LOW: 0, AlarmLevel.MEDIUM: 1, AlarmLevel.HIGH: 2, AlarmLevel.CRITICAL: 3}


class AlarmOutcome(StrEnum):
    HANDLED = "handled"  # 现场处置完毕
    CRIMINAL_CASE = "criminal_case"  # 刑事立案
    ADMIN_CASE = "admin_case"  # 行政立案
    MEDIATED = "mediated"  # 调解
    REFERRED = "referred"  # 移交/分流
    HELP_GIVEN = "help_given"  # 求助已解决
    FALSE_ALARM = "false_alarm"  # 无效/谎报


OUTCOME_NAMES = {
    AlarmOutcome.HANDLED: "现场处置完毕",
    AlarmOutcome.CRIMINAL_CASE: "刑事立案",
    AlarmOutcome.ADMIN_CASE: "行政立案",
    AlarmOutcome.MEDIATED: "调解",
    AlarmOutcome.REFERRED: "移交分流",
    AlarmOutcome.HELP_GIVEN: "求助已解决",
    AlarmOutcome.FALSE_ALARM: "无效警情",
}


class Alarm(Base):
    """An alarm as received, graded and worked: the times of the response (received → dispatched → arrived →
    finished) are its own, so that response-time figures need no history replay."""

    __tablename__ = "alarms"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_alarms_source"),
        Index("ix_alarms_received", "received_at"),
        Index("ix_alarms_zone_received", "zone_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[AlarmSource] = mapped_column(_enum(AlarmSource))
    source_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    category: Mapped[AlarmCategory] = mapped_column(_enum(AlarmCategory))
    level: Mapped[AlarmLevel] = mapped_column(_enum(AlarmLevel))
    reasons: Mapped[list[str]] = mapped_column(default=list)
    text: Mapped[str] = mapped_column(Text)
    caller_name: Mapped[str | None] = mapped_column(String(100))
    caller_phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("patrol_zones.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    task_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tasks.id"))
    patrol_unit_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("patrol_units.id"))
    dispatched_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[AlarmOutcome | None] = mapped_column(_enum(AlarmOutcome))
    result: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
