"""Tables of the citizen desk (all prefixed ``desk_``).

A request is a core `Task` of kind `desk_request` (its status, deadline and history live there);
`desk_requests` keeps what the desk needs besides: the resident, the text and place, the route, and
denormalised copies of the task's status and deadline so that queues and figures are single-table
queries over millions of rows.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum
from pingan.desk.rules.kinds import Category, PushKind, Route, Specialty, Topic


class DeskStatus(StrEnum):
    """A request's (and its task's) status."""

    ISSUED = "issued"  # 下发, waiting to be signed
    SIGNED = "signed"  # 签收
    REPLIED = "replied"  # answered, waiting for the resident
    RESOLVED = "resolved"  # 办结
    CLOSED = "closed"  # closed with a reason (or merged)


class Resolution(StrEnum):
    RESOLVED = "resolved"  # answered and done (办结)
    CLOSED = "closed"  # closed without an answer, with a reason (withdrawn, invalid)
    MERGED = "merged"  # a duplicate, merged into another request


class AuthorKind(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    SYSTEM = "system"


class MediaKind(StrEnum):
    IMAGE = "image"
    AUDIO = "audio"


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    HELD = "held"  # over the resident's daily limit: recorded, not delivered


class DeskResident(Base):
    """A resident signed in on the desk (the `User` row has role resident); where they live, their tags."""

    __tablename__ = "desk_residents"
    __table_args__ = (Index("ix_desk_residents_station", "station_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    address: Mapped[str | None] = mapped_column(String(255))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    registered_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DeskOtp(Base):
    """A one-time sign-in code: stored as a keyed hash, short-lived, with its failed attempts counted."""

    __tablename__ = "desk_otp_codes"
    __table_args__ = (
        Index("ix_desk_otp_codes_phone_created", "phone", "created_at"),
        Index("ix_desk_otp_codes_client_created", "client", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(64))
    """The sender's address, for per-client send limits."""
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None]


class DeskOfficer(Base):
    """A community officer's card (社区民警) and the area they answer for (a community or a station)."""

    __tablename__ = "desk_officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    hours: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    """The officer's public work number (not a personal one)."""
    office: Mapped[str | None] = mapped_column(String(200))
    """Where to find them: the 警务室."""
    intro: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]


class DeskRoutingRule(Base):
    """A routing rule an admin edits; tried before the county file's defaults."""

    __tablename__ = "desk_routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    name: Mapped[str] = mapped_column(String(100), default="")
    category: Mapped[Category | None] = mapped_column(_enum(Category))
    topic: Mapped[Topic | None] = mapped_column(_enum(Topic))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    target: Mapped[Route] = mapped_column(_enum(Route))
    specialty: Mapped[Specialty | None] = mapped_column(_enum(Specialty))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    triage: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DeskRequest(Base):
    """A resident's request (诉求). Its workflow is the core task with ref_type ``desk_request`` and ref_id
    the request's id (found through the tasks' ref index)."""

    __tablename__ = "desk_requests"
    __table_args__ = (
        UniqueConstraint("resident_id", "client_ref", name="uq_desk_requests_client_ref"),
        Index("ix_desk_requests_resident", "resident_id", "id"),
        Index("ix_desk_requests_unit_open", "unit_id", "is_open", "id"),
        Index("ix_desk_requests_station_open", "station_id", "is_open", "id"),
        Index("ix_desk_requests_station_category", "station_id", "category", "id"),
        Index("ix_desk_requests_nearby", "category", "is_open", "lat", "lon", "created_at"),
        Index("ix_desk_requests_phone_created", "phone", "created_at"),
        Index("ix_desk_requests_address_created", "address_key", "created_at"),
        Index("ix_desk_requests_created", "created_at"),
        Index(
            "ix_desk_requests_fraud_pending",
            "id",
            sqlite_where=text("category = 'fraud' AND fraud_forwarded_at IS NULL"),
            postgresql_where=text("category = 'fraud' AND fraud_forwarded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    phone: Mapped[str] = mapped_column(String(20))
    category: Mapped[Category] = mapped_column(_enum(Category))
    topic: Mapped[Topic | None] = mapped_column(_enum(Topic))
    text: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str | None] = mapped_column(String(255))
    address_key: Mapped[str | None] = mapped_column(String(32))
    lon: Mapped[float | None] = mapped_column(Float)
    """WGS84 (converted from GCJ-02 when the phone sent that)."""
    lat: Mapped[float | None] = mapped_column(Float)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    route: Mapped[Route] = mapped_column(_enum(Route))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    """The unit handling it now (station, specialty, command centre or governance department)."""
    suggested_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The officer or staff member handling it (the task's assignee)."""
    status: Mapped[DeskStatus] = mapped_column(_enum(DeskStatus))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    client_ref: Mapped[str | None] = mapped_column(String(64))
    """The client's idempotency key: the same key from the same resident returns the first request."""
    content_hash: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    reply_due_at: Mapped[datetime | None]
    first_reply_at: Mapped[datetime | None]
    first_reply_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replied_on_time: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None]
    resolution: Mapped[Resolution | None] = mapped_column(_enum(Resolution))
    merged_into_id: Mapped[int | None] = mapped_column(BigId)
    duplicate_of_id: Mapped[int | None] = mapped_column(BigId)
    """An open request this one looks like, offered to staff to merge."""
    duplicate_score: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(String(500))
    rated_at: Mapped[datetime | None]
    week: Mapped[str] = mapped_column(String(8))
    """Local ISO week of arrival (``2026-W48``), for hot topics."""
    media_count: Mapped[int] = mapped_column(Integer, default=0)
    fraud_forwarded_at: Mapped[datetime | None]
    fraud_warning_id: Mapped[int | None] = mapped_column(BigId)


class DeskMessage(Base):
    """The conversation on a request: replies the resident sees, follow-ups, system notes, internal notes."""

    __tablename__ = "desk_messages"
    __table_args__ = (Index("ix_desk_messages_request", "request_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("desk_requests.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    author_kind: Mapped[AuthorKind] = mapped_column(_enum(AuthorKind))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    """Staff-only notes; the resident never sees them."""


class DeskMedia(Base):
    """A stored upload (photo or voice note), sniffed and checked; the file lives under `media_dir`."""

    __tablename__ = "desk_media"
    __table_args__ = (Index("ix_desk_media_request", "request_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("desk_requests.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(BigId)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[MediaKind] = mapped_column(_enum(MediaKind))
    mime: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    """Relative to `media_dir`."""
    filename: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime]


class DeskPushTemplate(Base):
    __tablename__ = "desk_push_templates"
    # A code is unique within its tenancy; the deployment's own (no tenancy) count as one tenancy, 0.
    __table_args__ = (
        Index("uq_desk_push_templates_tenant_code", text("coalesce(tenant_area_id, 0)"), "code", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[PushKind] = mapped_column(_enum(PushKind))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    """May hold ``{area}`` and ``{date}``, filled in when sent."""
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    """The owning unit, whose staff may edit it; None: a county template, the county-wide roles'."""
    tenant_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    """The tenancy (a county's, a city's, a province's area) whose users wrote it; None: the deployment's own
    (its operator's, or a single county's written before its county area was)."""
    shared_below: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    """Shared, read-only, with the counties below its tenancy (a city's, a province's, the deployment's own):
    they may push from it. Never true of a county's or a unit's, which have nothing below them."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DeskPush(Base):
    """One alert sent to residents by area, drawn polygon and/or tag, with its delivery counts."""

    __tablename__ = "desk_pushes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[PushKind] = mapped_column(_enum(PushKind))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("desk_push_templates.id"))
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """{"area_ids": [...], "polygon": GeoJSON (WGS84) or null, "tags": [...]}"""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    targeted: Mapped[int] = mapped_column(Integer, default=0)
    delivered: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)


class DeskPushDelivery(Base):
    __tablename__ = "desk_push_deliveries"
    __table_args__ = (
        UniqueConstraint("push_id", "resident_id", name="uq_desk_push_deliveries_push_resident"),
        Index("ix_desk_push_deliveries_resident_at", "resident_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("desk_pushes.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus))
    read_at: Mapped[datetime | None]


class DingTalkRobot(Base):
    """A DingTalk custom robot (群机器人) bound to a unit's group or to one officer; messages @ the officer."""

    __tablename__ = "desk_dingtalk_robots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    webhook: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str | None] = mapped_column(String(200))
    """The robot's 加签 secret (SEC...)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class DingTalkSend(Base):
    """One post to a robot and how it went; failures are recorded here, never raised."""

    __tablename__ = "desk_dingtalk_sends"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    robot_id: Mapped[int] = mapped_column(Integer, index=True)
    notification_id: Mapped[int | None] = mapped_column(BigId)
    outbox_id: Mapped[int | None] = mapped_column(BigId, index=True)
    """The outbox row whose delivery made this post: a redelivery skips the robots that took it."""
    msgtype: Mapped[str] = mapped_column(String(16))
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    errcode: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
