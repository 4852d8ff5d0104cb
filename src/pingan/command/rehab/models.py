"""People under a community rehabilitation plan, and their scheduled check-ins and tests."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class PlanKind(StrEnum):
    DETOX = "detox"  # 社区戒毒 (3 years)
    REHAB = "rehab"  # 社区康复 (after compulsory isolation, up to 3 years)


class CheckKind(StrEnum):
    CHECKIN = "checkin"  # 报到
    TEST = "test"  # 检测 (urine, hair)


class TestResult(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"


class RehabPlan(Base):
    __tablename__ = "rehab_plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), unique=True)
    """The decision's own number (决定书编号): an import replayed finds the same plan."""
    kind: Mapped[PlanKind] = mapped_column(_enum(PlanKind))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    checkin_days: Mapped[int] = mapped_column(Integer)
    test_days: Mapped[int] = mapped_column(Integer)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The community officer answering for the person (the missed check-in's assignee)."""
    created_at: Mapped[datetime]
    lost_since: Mapped[datetime | None]
    """Reported lost (失联) by the officer after a missed check, until a check is recorded again."""
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(Text)


class RehabCheck(Base):
    """One scheduled check-in or test: recorded (done), missed (a task), or still due."""

    __tablename__ = "rehab_checks"
    __table_args__ = (
        UniqueConstraint("plan_id", "kind", "due_on"),
        Index("ix_rehab_checks_open", "done_at", "missed_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("rehab_plans.id"), index=True)
    kind: Mapped[CheckKind] = mapped_column(_enum(CheckKind))
    due_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None]
    result: Mapped[TestResult | None] = mapped_column(_enum(TestResult))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    missed_at: Mapped[datetime | None]
    task_id: Mapped[int | None] = mapped_column(BigId)
