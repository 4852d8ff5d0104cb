"""Tables of the tracking capability: the registry (service points, tags, vehicles, animals), the base
stations, the detections, thefts and alerts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class TagKind(StrEnum):
    VEHICLE_CARD = "vehicle_card"  # 两车平安卡 (e-bike, motorcycle)
    BRACELET = "bracelet"  # 定位手环 (children, the elderly)
    ANTI_REMOVAL_BRACELET = "anti_removal_bracelet"  # 防拆卸手环
    LIVESTOCK = "livestock"  # 大牲畜防盗平安卡


BRACELETS = frozenset({TagKind.BRACELET, TagKind.ANTI_REMOVAL_BRACELET})


class TagStatus(StrEnum):
    ACTIVE = "active"
    STOLEN = "stolen"  # reported stolen and watched
    RETIRED = "retired"


class AlertKind(StrEnum):
    THEFT_SIGHTING = "theft_sighting"
    GEOFENCE_EXIT = "geofence_exit"
    SILENCE = "silence"
    REMOVAL = "removal"
    LOW_BATTERY = "low_battery"


class TheftStatus(StrEnum):
    WATCHED = "watched"
    SIGHTED = "sighted"
    RECOVERED = "recovered"
    COMPENSATED = "compensated"
    CLOSED = "closed"


class ServicePoint(Base):
    """Where cards are installed (a dealer, a 交警大队, a station, a test centre)."""

    __tablename__ = "tracking_service_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    address: Mapped[str | None] = mapped_column(String(200))


class TagSeen(Base):
    """A tag's last sighting (its latest detection's instant and station), kept apart from the registry row.

    The intake moves it for every tag of every batch: a narrow row (no foreign keys to check, a hundred to a
    page) costs a fraction of rewriting the tag's own. `Tag.last_seen_at` and `Tag.last_station_id` read it."""

    __tablename__ = "tracking_tag_seen"

    tag_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    station_id: Mapped[int] = mapped_column(Integer)


class Tag(Base):
    """One tag and its owner (the resident who bought the card) or guardian (a bracelet wearer's)."""

    __tablename__ = "tracking_tags"
    __table_args__ = (Index("ix_tracking_tags_owner_phone", "owner_phone"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[TagKind] = mapped_column(_enum(TagKind))
    status: Mapped[TagStatus] = mapped_column(_enum(TagStatus), default=TagStatus.ACTIVE)
    owner_phone: Mapped[str] = mapped_column(String(20))
    """Normalised; a resident signed in with this phone sees the tag's track. For a bracelet: the guardian."""
    owner_name: Mapped[str] = mapped_column(String(100))
    wearer_name: Mapped[str | None] = mapped_column(String(100))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    """The owner's station (派出所辖区): where a theft is reported and alerts also go."""
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    """A bracelet wearer's community, whose officer hears of an exit."""
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("tracking_service_points.id"))
    installer: Mapped[str | None] = mapped_column(String(100))
    installed_at: Mapped[datetime]
    insured: Mapped[bool] = mapped_column(Boolean, default=True)
    """The 130-yuan card's agreement: the insurer pays under its rules (vehicle cards)."""
    fee_yuan: Mapped[int] = mapped_column(Integer, default=0)
    safe_stations: Mapped[list[str]] = mapped_column(default=list)
    """A bracelet's safe area as a set of base stations (codes)."""
    safe_polygon: Mapped[bytes | None] = mapped_column(LargeBinary)
    """… or as a polygon (WKB, WGS84)."""
    silence_hours: Mapped[float | None] = mapped_column(Float)
    """This tag's own silence threshold (else the county's)."""
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None] = column_property(
        select(TagSeen.at).where(TagSeen.tag_id == id).correlate_except(TagSeen).scalar_subquery()
    )
    """When it was last heard (read-only here: the intake writes `TagSeen`)."""
    last_station_id: Mapped[int | None] = column_property(
        select(TagSeen.station_id).where(TagSeen.tag_id == id).correlate_except(TagSeen).scalar_subquery()
    )


class IntakeStamp(Base):
    """One row: a token that changes whenever a tag's code, kind or status changes (SQLite triggers on
    `tracking_tags`, whoever changes it) and with every batch the intake stores on SQLite. An intake that
    finds the token its own last batch wrote knows that no one has changed a tag or a last sighting since,
    and keeps its tags between batches (`tracking.ingest.TagCache`)."""

    __tablename__ = "tracking_intake_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[int] = mapped_column(BigInteger)


_RENEW = "BEGIN UPDATE tracking_intake_stamp SET token = random() WHERE id = 1; END"
TAG_TRIGGERS = {
    "tracking_tags_insert_stamp": f"AFTER INSERT ON tracking_tags {_RENEW}",
    "tracking_tags_update_stamp": f"AFTER UPDATE OF id, code, kind, status ON tracking_tags {_RENEW}",
    "tracking_tags_delete_stamp": f"AFTER DELETE ON tracking_tags {_RENEW}",
}
"""SQLite triggers: a tag added, removed, or its code, kind or status changed sets a new token (see
`IntakeStamp`). PostgreSQL's intake reads every batch's tags and needs none."""

for _name, _body in TAG_TRIGGERS.items():
    event.listen(Tag.__table__, "after_create", DDL(f"CREATE TRIGGER {_name} {_body}").execute_if(dialect="sqlite"))  # type: ignore[no-untyped-call]


class Vehicle(Base):
    __tablename__ = "tracking_vehicles"

    tag_id: Mapped[int] = mapped_column(ForeignKey("tracking_tags.id", ondelete="CASCADE"), primary_key=True)
    plate: Mapped[str | None] = mapped_column(String(20), index=True)
    frame_no: Mapped[str | None] = mapped_column(String(40), index=True)
    model: Mapped[str | None] = mapped_column(String(60))
    colour: Mapped[str | None] = mapped_column(String(20))


class Animal(Base):
    __tablename__ = "tracking_animals"

    tag_id: Mapped[int] = mapped_column(ForeignKey("tracking_tags.id", ondelete="CASCADE"), primary_key=True)
    species: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(200))


class Station(Base):
    """A village base station (侦测基站)."""

    __tablename__ = "tracking_stations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    village: Mapped[str | None] = mapped_column(String(100))
    radius_m: Mapped[float] = mapped_column(Float, default=500.0)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    """The police station's area it stands in (from the jurisdiction map)."""
    silence_minutes: Mapped[int | None] = mapped_column(Integer)
    """Its own threshold for a maintenance task (else the county's)."""
    last_heard_at: Mapped[datetime | None]
    last_status: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The last heartbeat's payload (battery, firmware…)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Detection(Base):
    """One sighting of a tag: the first time it was heard, the best signal, every station that heard it.

    On PostgreSQL the table is partitioned by month on `at` (the migration creates it so, and the tracking
    sweep creates the months ahead), hence the unique key holding `at`.
    """

    __tablename__ = "tracking_detections"
    __table_args__ = (
        UniqueConstraint("tag_id", "at", name="uq_tracking_detections_tag_at"),
        Index("ix_tracking_detections_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tag_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[datetime]
    station_id: Mapped[int] = mapped_column(Integer)
    """The station with the best signal."""
    rssi: Mapped[int | None] = mapped_column(Integer)
    stations: Mapped[list[str]] = mapped_column(default=list)
    """Codes of every station that heard it."""
    received_at: Mapped[datetime]
    source_id: Mapped[str | None] = mapped_column(String(64))
    jump: Mapped[bool] = mapped_column(Boolean, default=False)
    """An impossible move from the sighting before (speed over the kind's limit)."""


class Theft(Base):
    __tablename__ = "tracking_thefts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tracking_tags.id"), index=True)
    status: Mapped[TheftStatus] = mapped_column(_enum(TheftStatus))
    stolen_at: Mapped[datetime]
    reported_at: Mapped[datetime]
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    place: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[int | None] = mapped_column(BigId)
    first_sighted_at: Mapped[datetime | None]
    recovered_at: Mapped[datetime | None]
    recovered_place: Mapped[str | None] = mapped_column(String(200))
    recovered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    suspects: Mapped[int] = mapped_column(Integer, default=0)
    gang: Mapped[str | None] = mapped_column(String(64), index=True)
    """The gang (团伙) broken with this recovery: its case number or name, as the station records it; the
    thefts naming one gang count it once among the gangs broken (C7)."""
    card_destroyed: Mapped[bool] = mapped_column(Boolean, default=False)
    compensation_reason: Mapped[str | None] = mapped_column(String(40))
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    invoices: Mapped[str | None] = mapped_column(Text)
    payout_yuan: Mapped[int | None] = mapped_column(Integer)
    paid_at: Mapped[datetime | None]


class Alert(Base):
    """One alert episode (a stolen tag seen, a wearer out of their area, a silence, a removal): later
    detections of the same episode update it, they do not raise another."""

    __tablename__ = "tracking_alerts"
    __table_args__ = (
        UniqueConstraint("episode", name="uq_tracking_alerts_episode"),
        Index("ix_tracking_alerts_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    episode: Mapped[str] = mapped_column(String(100))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tracking_tags.id"), index=True)
    kind: Mapped[AlertKind] = mapped_column(_enum(AlertKind))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("tracking_stations.id"))
    """The base station of the detection that raised it (none for a silence)."""
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    at: Mapped[datetime]
    """Event time: when the tag was heard (or went silent)."""
    detected_at: Mapped[datetime]
    """When Pingan raised it."""
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    heading: Mapped[str | None] = mapped_column(String(8))
    """Direction of travel from the sighting before (东北…)."""
    last_at: Mapped[datetime | None]
    last_station_id: Mapped[int | None] = mapped_column(Integer)
    theft_id: Mapped[int | None] = mapped_column(ForeignKey("tracking_thefts.id"))
    task_id: Mapped[int | None] = mapped_column(BigId)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    """The episode is still going on (a later exit or silence of the tag is a new one once it ended)."""
