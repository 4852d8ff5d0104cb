"""Durable streams for a deployment on several machines (DESIGN §3): the port the capabilities publish
through, and the dead letters the stream workers set aside.

One machine needs none of this: intake writes straight to the database. When `PINGAN_NATS_URL` is set, the
HTTP, file and MQTT intakes validate at the edge and publish each item to a JetStream stream instead, with
its source id as the message id; `pingan worker --nats` consumes the stream, commits to the database, then
acks. The core only declares what a publisher is (`StreamPublisher`) and keeps the dead letters; the client
of the real server is an adapter (`pingan.adapters.jetstream`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pingan.core.db import Base, BigId
from pingan.core.identifiers import mask_free_text


class StreamName(StrEnum):
    """The streams of a deployment; each message's subject is `pingan.<stream>.<county>`.

    There is no outbox stream: the outbox stays a table (`pingan.core.outbox`), claimed `FOR UPDATE SKIP
    LOCKED` by workers on any machine, so that an in-database delivery commits with its row's mark (exactly
    once) and the retry and dead-letter rules live in one place (docs/deployment.md says why)."""

    LEADS = "leads"
    DETECTIONS = "detections"


@dataclass(frozen=True, slots=True)
class Message:
    """One item to publish: the key the stream and the database both deduplicate on, and its JSON."""

    msg_id: str
    data: bytes


@dataclass(slots=True)
class Published:
    """What a publish did: new messages stored by the stream, and replays it recognised in its window."""

    published: int = 0
    duplicates: int = 0


class StreamPublisher(Protocol):
    """Publishes a batch to a stream and returns once the stream has stored every message (or refused)."""

    def publish(self, stream: StreamName, subject_tail: str, messages: Sequence[Message]) -> Published: ...


class DeadLetter(Base):
    """A stream message a worker gave up on: invalid once and for all, or failing after every retry.

    Kept with its subject, message id, payload and error for the admin (`pingan streams dead`,
    `GET /api/v1/admin/dead-letters`); the stream message itself is acknowledged so that it stops
    blocking the consumer."""

    __tablename__ = "stream_dead_letters"
    __table_args__ = (Index("ix_stream_dead_letters_stream_at", "stream", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    stream: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    msg_id: Mapped[str | None] = mapped_column(String(200))
    deliveries: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    """The message as received (UTF-8, undecodable bytes replaced), cut at 64 KiB."""
    worker: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]


PAYLOAD_LIMIT = 64 * 1024


def record_dead_letter(
    session: Session,
    *,
    stream: str,
    subject: str,
    msg_id: str | None,
    deliveries: int,
    error: str,
    payload: bytes,
    worker: str,
    at: datetime,
) -> None:
    session.add(
        DeadLetter(
            stream=stream,
            subject=subject[:200],
            msg_id=msg_id[:200] if msg_id else None,
            deliveries=deliveries,
            error=error[:4000],
            payload=payload[:PAYLOAD_LIMIT].decode("utf-8", "replace"),
            worker=worker[:100],
            at=at,
        )
    )


def dead_letters(
    session: Session, *, limit: int = 50, offset: int = 0, stream: str | None = None, masked: bool = True
) -> dict[str, Any]:
    """The newest dead letters first, with the true total: `{total, limit, offset, items}`. A lead's payload
    holds phone numbers and free text: `masked` (the default) masks them as every other screen does."""
    shown = (lambda text: mask_free_text(text, names_and_addresses=True)) if masked else (lambda text: text)
    query = select(DeadLetter)
    count = select(func.count()).select_from(DeadLetter)
    if stream:
        query = query.where(DeadLetter.stream == stream)
        count = count.where(DeadLetter.stream == stream)
    rows = session.scalars(query.order_by(DeadLetter.at.desc(), DeadLetter.id.desc()).limit(limit).offset(offset))
    return {
        "total": session.scalar(count) or 0,
        "limit": limit,
        "offset": offset,
        "items": [
            {
                "id": r.id,
                "stream": r.stream,
                "subject": r.subject,
                "msg_id": r.msg_id,
                "deliveries": r.deliveries,
                "error": shown(r.error),
                "payload": shown(r.payload),
                "worker": r.worker,
                "at": r.at.isoformat(),
            }
            for r in rows
        ],
    }
