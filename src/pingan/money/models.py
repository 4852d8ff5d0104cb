"""Tables of fraud cases (案件): the case, and the identifiers it is linked by."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.models import _enum


class CaseSource(StrEnum):
    MANUAL = "manual"  # opened by hand on the staff screen or the API
    IMPORT = "import"  # `pingan cases import`
    DISSUASION = "dissuasion"  # a dissuasion whose outcome was "already defrauded"
    DESK = "desk"  # a resident's report on the citizen desk
    OPEN311 = "open311"  # a report through Open311
    HOTLINE = "hotline"  # a 96110 call of someone already defrauded
    CITIZEN = "citizen"  # a resident's own report (a feed's citizen report) of money already gone


class CaseStatus(StrEnum):
    OPEN = "open"  # 侦办中
    SOLVED = "solved"  # 已破案
    PROSECUTED = "prosecuted"  # 已移送起诉
    CLOSED = "closed"  # 已撤销/结案


class IdentifierOrigin(StrEnum):
    NARRATIVE = "narrative"  # read out of the narrative
    GIVEN = "given"  # given with the case (an import's list, the form)
    DERIVED = "derived"  # a URL's host or registrable domain


class Case(Base):
    """One fraud case: victim, loss, time, type, narrative; unique on (source, source_id)."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_cases_cluster", "cluster_id"),
        Index("ix_cases_area_reported", "area_id", "reported_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[CaseSource] = mapped_column(_enum(CaseSource))
    source_id: Mapped[str] = mapped_column(String(128))
    county_code: Mapped[str] = mapped_column(String(12))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus))
    reported_at: Mapped[datetime]
    occurred_at: Mapped[datetime | None]
    victim_name: Mapped[str | None] = mapped_column(String(100))
    victim_phone: Mapped[str | None] = mapped_column(String(20))
    victim_id_number: Mapped[str | None] = mapped_column(String(32))
    victim_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    loss_fen: Mapped[int] = mapped_column(BigId, default=0)
    fraud_type: Mapped[str] = mapped_column(String(32), default="other")
    narrative: Mapped[str] = mapped_column(Text, default="")
    warning_id: Mapped[int | None] = mapped_column(BigId)
    """The dissuasion warning the case came from, if any (the fraud capability's id)."""
    cluster_id: Mapped[int | None] = mapped_column(BigId)
    """The smallest case id of the cluster this case is linked into (its own id when it shares nothing)."""
    task_id: Mapped[int | None] = mapped_column(BigId)
    """The investigation's task (kind `case`); None for a case stored before cases were tasks."""
    solved_at: Mapped[datetime | None]
    """When it was solved (破案), for the interception figures."""
    predicted_type: Mapped[str | None] = mapped_column(String(32))
    """The fraud type the classifier reads in the narrative (None without one)."""
    predicted_confidence: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CaseIdentifier(Base):
    """An identifier of a case, normalised: the key it is linked by, and how it was written."""

    __tablename__ = "case_identifiers"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "value"),
        Index("ix_case_identifiers_key", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    raw: Mapped[str] = mapped_column(String(255))
    origin: Mapped[IdentifierOrigin] = mapped_column(_enum(IdentifierOrigin))
    linkable: Mapped[bool] = mapped_column(Boolean, default=True)
    """False for what never links (a card's tail, the victim's own phone)."""
    position: Mapped[int | None] = mapped_column(Integer)
    """Where in the narrative it was read (a character offset), for the screen."""


class CaseSuspect(Base):
    """A suspect recorded on a case (the case task's `add_suspect`)."""

    __tablename__ = "case_suspects"
    __table_args__ = (Index("ix_case_suspects_case", "case_id"), Index("ix_case_suspects_recorded", "recorded_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[str | None] = mapped_column(String(100))
    caught: Mapped[bool] = mapped_column(Boolean, default=False)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    """The case's station when recorded (the figures count a suspect in the case's area)."""
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]


class WarningMember(Base):
    """A warning (someone warned, nobody defrauded yet) as a member of the clusters: where it lies, as the
    fraud capability last reported it, and its cluster. Clusters hold cases and warnings alike; a cluster's
    id is the smallest case id in it, or, for a cluster of warnings alone, minus its smallest warning id."""

    __tablename__ = "warning_members"
    __table_args__ = (Index("ix_warning_members_cluster", "cluster_id"),)

    warning_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    """The fraud capability's warning id."""
    county_code: Mapped[str] = mapped_column(String(12))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    at: Mapped[datetime]
    """When the warning was opened."""
    cluster_id: Mapped[int | None] = mapped_column(BigId)


class WarningIdentifier(Base):
    """An identifier a warning's events named (the counterpart), normalised as a case's: a key it links by."""

    __tablename__ = "warning_identifiers"
    __table_args__ = (
        UniqueConstraint("warning_id", "kind", "value"),
        Index("ix_warning_identifiers_key", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    warning_id: Mapped[int] = mapped_column(BigId, ForeignKey("warning_members.warning_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    source_id: Mapped[str] = mapped_column(String(128))
    """The source's own id of the first event that named it."""


class CampaignGroup(StrEnum):
    ALL = "all"  # everyone in the areas
    ELDERLY = "elderly"  # 60 and over
    YOUNG = "young"  # 18 to 35
    STUDENT = "student"  # under 23 (students)


class Campaign(Base):
    """A targeted warning campaign (精准宣防): a fraud type, areas × a group, sent through the desk's pushes and
    SMS; what was sent and delivered is counted here."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_created", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fraud_type: Mapped[str] = mapped_column(String(32))
    group: Mapped[CampaignGroup] = mapped_column("target_group", _enum(CampaignGroup))
    area_ids: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    """The target areas, each {"id", "name"} as they were when it was sent."""
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    push_id: Mapped[int | None] = mapped_column(BigId)
    """The desk's push to the registered residents (E警通) of the target."""
    push_targeted: Mapped[int] = mapped_column(Integer, default=0)
    push_delivered: Mapped[int] = mapped_column(Integer, default=0)
    push_held: Mapped[int] = mapped_column(Integer, default=0)
    sms_targeted: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class CampaignSmsStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    OPTED_OUT = "opted_out"  # the phone opted out of campaign SMS (at queuing, or before it was sent): not sent


class CampaignSms(Base):
    """One text message of a campaign to a registered person of the target, sent through the outbox."""

    __tablename__ = "campaign_sms"
    __table_args__ = (
        UniqueConstraint("campaign_id", "phone"),
        Index("ix_campaign_sms_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[CampaignSmsStatus] = mapped_column(_enum(CampaignSmsStatus))
    queued_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class OptOutChannel(StrEnum):
    SMS_REPLY = "sms_reply"  # the resident replied 退订 / TD to a campaign text (the gateway's inbound message)
    RESIDENT = "resident"  # the resident on the residents' page (/m)
    OFFICER = "officer"  # staff, on the resident's request (a call, a visit)


class OptOutAction(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


class SmsOptOut(Base):
    """A phone that receives no campaign SMS (宣防短信) any more: present while the opt-out holds. Service
    messages about the person's own request or case, and sign-in codes, are not campaign SMS and still go."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    at: Mapped[datetime]
    channel: Mapped[OptOutChannel] = mapped_column(_enum(OptOutChannel))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The resident's account or the officer who recorded it (None: the gateway's inbound reply)."""
    note: Mapped[str | None] = mapped_column(String(200))


class SmsOptOutEvent(Base):
    """Append-only history of opt-outs and opt-ins, whoever made them (the admins' audit of the list).
    `ref` is the SMS gateway's id of an inbound reply: the same reply delivered twice is recorded once."""

    __tablename__ = "sms_opt_out_events"
    __table_args__ = (
        UniqueConstraint("ref"),
        Index("ix_sms_opt_out_events_phone", "phone", "at"),
        Index("ix_sms_opt_out_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    phone: Mapped[str] = mapped_column(String(20))
    action: Mapped[OptOutAction] = mapped_column(_enum(OptOutAction))
    channel: Mapped[OptOutChannel] = mapped_column(_enum(OptOutChannel))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ref: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(200))


__all__ = [
    "Campaign",
    "CampaignGroup",
    "CampaignSms",
    "CampaignSmsStatus",
    "Case",
    "CaseIdentifier",
    "CaseSource",
    "CaseStatus",
    "CaseSuspect",
    "IdentifierOrigin",
    "OptOutAction",
    "OptOutChannel",
    "SmsOptOut",
    "SmsOptOutEvent",
    "WarningIdentifier",
    "WarningMember",
]
