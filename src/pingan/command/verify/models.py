"""Verification lists and their rows, and the upper platforms' API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.apikeys import AccountKeyColumns
from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class SubjectKind(StrEnum):
    PERSON = "person"
    PLACE = "place"


class Finding(StrEnum):
    """What the station found (the row's feedback, 反馈)."""

    CLEARED = "cleared"  # 核查无异常
    HANDLED = "handled"  # 发现问题，已处置
    NOT_FOUND = "not_found"  # 查无此人（此处）/无法落地


class ResolvedBy(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"
    POINT = "point"
    ADDRESS = "address"
    NONE = "none"


class VerifyList(Base):
    """One pushed list, unique on (source, source_id): a replay is the same list."""

    __tablename__ = "verify_lists"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    """Who pushed it: the upper platform's name, or 本级 for the county's own centre."""
    source_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    """The analysis (研判) behind the list, shown on every row's task."""
    pushed_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    pushed_at: Mapped[datetime]
    due_at: Mapped[datetime]
    rows: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class VerifyItem(Base):
    """One row of a list: the person or place, where it was resolved to, its task and the station's finding."""

    __tablename__ = "verify_items"
    __table_args__ = (UniqueConstraint("list_id", "row_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("verify_lists.id"), index=True)
    row_key: Mapped[str] = mapped_column(String(128))
    """The row's own id in the list, or a digest of its content: a replayed row is the same row."""
    line: Mapped[int] = mapped_column(Integer)
    kind: Mapped[SubjectKind] = mapped_column(_enum(SubjectKind))
    name: Mapped[str | None] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(255))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    """What the list says about this row (why it is to be checked)."""
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    resolved_by: Mapped[ResolvedBy] = mapped_column(_enum(ResolvedBy))
    task_id: Mapped[int | None] = mapped_column(BigId, index=True)
    finding: Mapped[Finding | None] = mapped_column(_enum(Finding))
    measures: Mapped[str | None] = mapped_column(Text)
    """What the station did about it (处置), with the finding."""
    done_at: Mapped[datetime | None]


class VerifyPlatformKey(AccountKeyColumns, Base):
    """An upper platform's API key (only its SHA-256 is kept), acting as an account of its own."""

    __tablename__ = "verify_platform_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
