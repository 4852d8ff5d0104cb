"""Tables of the core: areas, units, users, people, tasks and their append-only history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId


def _enum(cls: type[StrEnum]) -> Enum:
    # Stored as the value (a short lowercase string), checked by a constraint-free VARCHAR so that
    # adding a member needs no migration on SQLite; the Python side is still an enum.
    return Enum(cls, native_enum=False, create_constraint=False, length=32, values_callable=_values)


def _values(cls: type[StrEnum]) -> list[str]:
    return [m.value for m in cls]


class AreaKind(StrEnum):
    PROVINCE = "province"
    CITY = "city"  # 地级市
    COUNTY = "county"  # 县、县级市、区: one county bureau, a tenant when a deployment holds several
    STATION = "station"  # 派出所辖区
    COMMUNITY = "community"  # 社区 / 村, a community officer's patch


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[AreaKind] = mapped_column(_enum(AreaKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    geometry: Mapped[bytes | None] = mapped_column(LargeBinary)
    """WKB, WGS84 lon/lat."""
    generation: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UnitKind(StrEnum):
    BUREAU = "bureau"  # 县公安局
    ANTI_FRAUD_CENTRE = "anti_fraud_centre"  # 反诈中心
    COMMAND_CENTRE = "command_centre"  # 情指中心
    STATION = "station"  # 派出所
    COMMUNITY_TEAM = "community_team"  # 社区警务队
    SPECIALTY = "specialty"  # 警种: 治安、法制、交警、出入境
    BANK = "bank"
    TELECOM = "telecom"
    GOVERNANCE = "governance"  # 治理中心、综治、平安前哨、住建、消防 ...


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    """The jurisdiction the unit answers for (a station's area); None for county-wide units."""
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    phone: Mapped[str | None] = mapped_column(String(32))


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"  # 反诈中心 analyst / dispatcher
    COMMANDER = "commander"  # 情指中心
    STATION_HEAD = "station_head"  # 所长
    OFFICER = "officer"  # 派出所民警 / 社区民警 / 网格员
    PARTNER = "partner"  # bank or telecom liaison
    GOVERNANCE = "governance"  # governance department staff
    RESIDENT = "resident"


COUNTY_WIDE_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.COMMANDER})


class Duty(StrEnum):
    """A clearance held on top of a role, for data that the role alone does not open (need to know).

    Decided in the one access place (`pingan.core.scope.Scope.duties`, `pingan.core.tasks.access`): a
    workflow or a list that names a duty is invisible to everyone without it, county-wide roles included.
    """

    NARCOTICS = "narcotics"  # 禁毒: people in community drug rehabilitation (社区戒毒/社区康复)


DUTY_NAMES: dict[str, str] = {Duty.NARCOTICS: "禁毒"}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_enum(Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    phone: Mapped[str | None] = mapped_column(String(32))
    badge: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    duties: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    """The user's `Duty` clearances (values), granted by the admin."""
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Carried in every token issued to the user; bumped to revoke them all at once (log-out, a new password,
    deactivation, a new role), so that no table of issued tokens is needed."""


class AuthEventKind(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event kind, not a password
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    ROLE_CHANGED = "role_changed"
    DUTIES_CHANGED = "duties_changed"
    CREATED = "created"
    EXPORT = "export"  # a list or figure table written out as a file: what, filters, rows (in `detail`)


class AuthEvent(Base):
    """Append-only record of staff sign-ins, account changes and exports of lists, read by the admin (`GET /audit/events`); the
    failures in it are also what the sign-in throttle counts, so every server process sees the same ones."""

    __tablename__ = "auth_events"
    __table_args__ = (
        Index("ix_auth_events_username_at", "username", "at"),
        Index("ix_auth_events_address_at", "address", "at"),
        Index("ix_auth_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[AuthEventKind] = mapped_column(_enum(AuthEventKind))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    """The account concerned, when it exists."""
    username: Mapped[str | None] = mapped_column(String(64))
    """As typed at sign-in (also for names that match no account), cut to 64 characters."""
    address: Mapped[str | None] = mapped_column(String(64))
    """The client address (behind a trusted proxy, the forwarded one)."""
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who made the change, when it is not the user (an admin deactivating an account)."""
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Person(Base):
    """A resident in the registry (常住人口), the person a warning is about."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    """Indexed for the staff search box."""
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(255))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    tags: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime]


class PersonPhone(Base):
    __tablename__ = "person_phones"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)


class Task(Base):
    """One closed-loop piece of work, shared by every capability."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_open_escalate", "closed_at", "escalate_at"),
        Index("ix_tasks_area_status", "area_id", "status"),
        Index("ix_tasks_ref", "ref_type", "ref_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    """The capability's task kind (its registered workflow)."""
    status: Mapped[str] = mapped_column(String(32))
    """One of the workflow's statuses."""
    level: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    ref_type: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int] = mapped_column(BigId)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    due_step: Mapped[str | None] = mapped_column(String(32))
    """The workflow's step whose deadline the task is racing now."""
    due_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    """When the sweeper next looks at this task: the step deadline, then each escalation interval."""
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    """The rung of the workflow's ladder reached (0: none)."""
    breaches: Mapped[int] = mapped_column(Integer, default=0)
    """How many step deadlines this task has missed (sticky, for "deadline met" figures)."""
    facts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The capability's own facts about the task (a dissuasion's calls and visits, a request's resident)."""
    outcome: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own convention

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class TaskEvent(Base):
    """Append-only history of a task: who did what, when and why. Never updated, never deleted."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """None for the system (intake, the SLA sweeper)."""
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AccessLog(Base):
    """Every read of unmasked personal data: who, when, whose, why."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigId)
    fields: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(200))


class Notification(Base):
    """A message to a user or a unit (in the UI, and through adapters such as DingTalk)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("dedupe_key", name="uq_notifications_dedupe_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    read_at: Mapped[datetime | None]


class Counter(Base):
    """Small named counters; `indicators` is bumped on every change so that in-memory matchers reload."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
