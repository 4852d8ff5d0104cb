"""The outbox: durable work, written in the transaction of the change that announces it, and delivered by a worker.

A capability announces work with `Outbox.put(session, kind, payload)` inside its own transaction, so the row
exists exactly when the change does: a rollback leaves none, a commit keeps it through any crash. A worker
(`pingan.workers.outbox`) claims one due row at a time, hands it to the handler registered for its kind and
marks it delivered. A failure pushes the row's `available_at` forward (exponential back-off, capped) and
records the error, so one bad row cannot crash-loop the worker; after `OutboxPolicy.max_attempts` the row is
dead and listed (`outbox_status`, `dead_messages`) until an operator requeues it (`Outbox.requeue`).

Claiming follows healthchecks' discipline: read one due row, then UPDATE it on the same conditions (and its
attempt number) and count on exactly one row changing; a worker that loses the race looks again. The claim is
a lease (`claimed_until`): a worker killed mid-delivery holds the row only until the lease runs out, then the
restarted worker (or another) claims it again. Every claim counts as an attempt, so even a row that kills its
worker each time ends dead rather than looping forever.

The core knows no capability: each registers the handlers of its kinds (`register`, `register_external`)
when it is wired, and a worker only claims the kinds registered with it. There are two sorts of handler:

- In-database (`register`): the handler writes through the session it is given, and the worker marks the row
  delivered in that same transaction, fenced on the claim (the row's id and attempt number). Either both
  commit or neither does, and a worker whose lease was taken over cannot commit: delivery is exactly once.
- External (`register_external`): the handler reaches outside the database (DingTalk, SMS, a bank) outside
  any transaction, and the row is marked delivered afterwards. Delivery is at least once: a worker that dies
  between the effect and the mark repeats the effect once its lease has run out. Such handlers narrow that
  window with a guard keyed by `Message.id` (see `pingan.desk.dingtalk`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Integer, String, Table, Text, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from pingan.core.clock import Clock
from pingan.core.db import Base, BigId, Database
from pingan.core.models import _enum

log = logging.getLogger(__name__)


class OutboxState(StrEnum):
    PENDING = "pending"
    """Waiting for its `available_at`, or leased to a worker until `claimed_until`."""
    DELIVERED = "delivered"
    DEAD = "dead"
    """Failed `max_attempts` times: kept, with its last error, until requeued."""


class OutboxMessage(Base):
    """One announced piece of work and how its delivery is going."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "available_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    """Announcing the same key again adds nothing."""
    payload: Mapped[dict[str, Any]]
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState), default=OutboxState.PENDING)
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    """Not claimed before this: the creation time, then the next retry."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Claims so far, the one in progress included."""
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    """The worker (host:pid) holding the lease, while it holds it."""
    claimed_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
_C = _OUTBOX.c
_ERROR_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Message:
    """What a handler is given: the row's id (the key for an idempotency guard), kind and payload."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    """1 on the first delivery, 2 on the first retry, and so on."""
    key: str | None = None


InDatabaseHandler = Callable[[Session, Message], None]
ExternalHandler = Callable[[Message], None]


@dataclass(frozen=True, slots=True)
class _Handler:
    in_database: InDatabaseHandler | None = None
    external: ExternalHandler | None = None


@dataclass(frozen=True, slots=True)
class OutboxPolicy:
    max_attempts: int = 10
    lease: timedelta = timedelta(seconds=60)
    """Longer than any handler takes (an external one's timeouts included), or a slow delivery is repeated."""
    backoff: timedelta = timedelta(seconds=10)
    backoff_cap: timedelta = timedelta(hours=1)

    def retry_delay(self, attempt: int) -> timedelta:
        """The wait after the `attempt`-th failure: backoff, twice that, four times, … up to the cap."""
        seconds = self.backoff.total_seconds() * 2 ** min(max(attempt, 1) - 1, 40)
        return timedelta(seconds=min(seconds, self.backoff_cap.total_seconds()))


class LeaseLost(Exception):
    """The worker's lease ran out and another worker claimed the row: this delivery must not count."""


@dataclass(frozen=True, slots=True)
class _Due:
    id: int
    attempts: int
    claimed_by: str | None
    last_error: str | None


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS]


class Outbox:
    """Announce work (`put`), register how each kind is delivered, and deliver (`deliver_one`, `run_until_idle`)."""

    def __init__(
        self, db: Database, clock: Clock, policy: OutboxPolicy | None = None, *, worker: str | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.policy = policy or OutboxPolicy()
        self._worker = worker
        self._handlers: dict[str, _Handler] = {}
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        # Built once: the desk's post announces through it on its hot path.
        self._insert = dialect.insert(_OUTBOX).on_conflict_do_nothing().returning(_C.id)

    @property
    def worker(self) -> str:
        """Who claims: named at the claim, so that a forked process is told apart from its parent."""
        return self._worker or f"{socket.gethostname()}:{os.getpid()}"

    # -- registering -------------------------------------------------------------------------------

    def register(self, kind: str, handler: InDatabaseHandler) -> None:
        """Deliver `kind` by writing in the database: `handler(session, message)` runs in the transaction that
        marks the row delivered (exactly once). It raises to have the row retried."""
        self._add(kind, _Handler(in_database=handler))

    def register_external(self, kind: str, handler: ExternalHandler) -> None:
        """Deliver `kind` to the outside world: `handler(message)` runs outside any transaction, at least once
        (again after a crash between its effect and the mark). It raises to have the row retried."""
        self._add(kind, _Handler(external=handler))

    def _add(self, kind: str, handler: _Handler) -> None:
        if kind in self._handlers:
            raise ValueError(f"outbox kind {kind!r} already has a handler")
        self._handlers[kind] = handler

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)

    # -- announcing --------------------------------------------------------------------------------

    def put(
        self,
        session: Session,
        kind: str,
        payload: Mapping[str, Any],
        key: str | None = None,
        *,
        at: datetime | None = None,
    ) -> int | None:
        """Add a row in the caller's transaction (it commits or rolls back with the caller's change).

        Returns the row's id, or None when a row with the same `key` exists already (nothing is added).
        The payload must be JSON: ids and plain values, which the handler reads back from the database.
        """
        now = at or self.clock.now()
        row = (
            session.connection()
            .execute(
                self._insert,
                {
                    "kind": kind,
                    "dedupe_key": key,
                    "payload": dict(payload),
                    "state": OutboxState.PENDING,
                    "created_at": now,
                    "available_at": now,
                    "attempts": 0,
                },
            )
            .first()
        )
        return None if row is None else int(row[0])

    # -- claiming ----------------------------------------------------------------------------------

    def _due(self, session: Session, now: datetime) -> _Due | None:
        row = session.execute(
            select(_C.id, _C.attempts, _C.claimed_by, _C.last_error)
            .where(
                _C.state == OutboxState.PENDING,
                _C.available_at <= now,
                or_(_C.claimed_until.is_(None), _C.claimed_until <= now),
                _C.kind.in_(sorted(self._handlers)),
            )
            .order_by(_C.available_at, _C.id)
            .limit(1)
            # PostgreSQL: a row another worker is claiming right now is skipped, not waited for, so that
            # workers on several machines each take the next free row (SQLite has one writer: no clause).
            .with_for_update(skip_locked=True)
        ).first()
        return None if row is None else _Due(row.id, row.attempts, row.claimed_by, row.last_error)

    def _claim(self) -> tuple[bool, Message | None]:
        """(whether a row was due, the message now leased to this worker).

        A due row can still come back without a message: another worker claimed it between the read and the
        update, or it was buried (its worker died on its last attempt).
        """
        if not self._handlers:
            return False, None
        now = self.clock.now()
        with self.db.write_lock, self.db.session() as session:
            due = self._due(session, now)
            if due is None:
                return False, None
            claimable = (
                _C.id == due.id,
                _C.state == OutboxState.PENDING,
                _C.attempts == due.attempts,
                _C.available_at <= now,
                or_(_C.claimed_until.is_(None), _C.claimed_until <= now),
            )
            error = due.last_error
            if due.claimed_by is not None:  # its lease ran out: the worker stopped without a word
                error = f"{due.claimed_by} stopped during attempt {due.attempts} (its lease ran out)"
            if due.attempts >= self.policy.max_attempts:
                session.connection().execute(
                    update(_OUTBOX)
                    .where(*claimable)
                    .values(state=OutboxState.DEAD, claimed_by=None, claimed_until=None, last_error=error)
                )
                log.error("outbox #%d is dead after %d attempts: %s", due.id, due.attempts, error)
                return True, None
            changed = (
                session.connection()
                .execute(
                    update(_OUTBOX)
                    .where(*claimable)
                    .values(
                        attempts=_C.attempts + 1,
                        claimed_by=self.worker[:100],
                        claimed_until=now + self.policy.lease,
                        last_error=error,
                    )
                )
                .rowcount
            )
            if changed != 1:  # another worker was quicker
                return True, None
            row = session.execute(select(_C.kind, _C.payload, _C.dedupe_key).where(_C.id == due.id)).one()
        return True, Message(due.id, row.kind, dict(row.payload), due.attempts + 1, row.dedupe_key)

    def claim(self) -> Message | None:
        """Lease the next due row to this worker (for `policy.lease`); None when none is due or another
        worker took it first. `deliver_one` claims and delivers."""
        return self._claim()[1]

    # -- delivering --------------------------------------------------------------------------------

    def deliver_one(self) -> bool:
        """Claim one due row and deliver it (or schedule its retry). Returns False when nothing was due: the
        worker may sleep. A handler's failure is recorded on the row, never raised."""
        found, message = self._claim()
        if message is not None:
            self.deliver(message)
        return found

    def run_until_idle(self, limit: int = 10_000) -> int:
        """Deliver every row due now, in this thread; returns how many claims were made. Rows that fail wait
        for their retry time, so this ends (tests, shutdown, the benchmark)."""
        done = 0
        while done < limit and self.deliver_one():
            done += 1
        return done

    def deliver(self, message: Message) -> None:
        """Deliver a claimed message: delivered, or its retry scheduled with the error (dead after the last)."""
        handler = self._handlers[message.kind]
        try:
            if handler.in_database is not None:
                with self.db.write_lock, self.db.session() as session:
                    handler.in_database(session, message)
                    if not self._mark_delivered(session, message):
                        raise LeaseLost(f"outbox #{message.id}: the lease ran out and another worker claimed it")
            else:
                assert handler.external is not None
                handler.external(message)
                with self.db.write_lock, self.db.session() as session:
                    if not self._mark_delivered(session, message):
                        log.warning("outbox #%d was delivered after its lease ran out: perhaps twice", message.id)
        except LeaseLost as exc:
            log.warning("%s; its effect was rolled back", exc)
        except Exception as exc:
            self._failed(message, exc)

    def _fence(self, message: Message) -> tuple[Any, ...]:
        """Still this worker's claim: the same attempt, still pending."""
        return (_C.id == message.id, _C.attempts == message.attempt, _C.state == OutboxState.PENDING)

    def _mark_delivered(self, session: Session, message: Message) -> bool:
        now = self.clock.now()
        changed = (
            session.connection()
            .execute(
                update(_OUTBOX)
                .where(*self._fence(message))
                .values(state=OutboxState.DELIVERED, delivered_at=now, claimed_by=None, claimed_until=None)
            )
            .rowcount
        )
        return bool(changed == 1)

    def _failed(self, message: Message, exc: Exception) -> None:
        now = self.clock.now()
        error = _error_text(exc)
        if message.attempt >= self.policy.max_attempts:
            values: dict[str, Any] = {"state": OutboxState.DEAD}
            log.error("outbox #%d (%s) is dead after %d attempts: %s", message.id, message.kind, message.attempt, error)
        else:
            retry_at = now + self.policy.retry_delay(message.attempt)
            values = {"available_at": retry_at}
            log.warning(
                "outbox #%d (%s) failed, attempt %d of %d; retry at %s: %s",
                message.id,
                message.kind,
                message.attempt,
                self.policy.max_attempts,
                retry_at.isoformat(timespec="seconds"),
                error,
                exc_info=exc if message.attempt == 1 else None,  # where it failed, once; then the error alone
            )
        with self.db.write_lock, self.db.session() as session:
            session.connection().execute(
                update(_OUTBOX)
                .where(*self._fence(message))
                .values(last_error=error, claimed_by=None, claimed_until=None, **values)
            )

    # -- operating ---------------------------------------------------------------------------------

    def requeue(self, session: Session, ids: Iterable[int]) -> int:
        """Give dead rows a fresh set of attempts, due now (after the cause is mended). Returns how many."""
        wanted = list(ids)
        if not wanted:
            return 0
        changed = (
            session.connection()
            .execute(
                update(_OUTBOX)
                .where(_C.id.in_(wanted), _C.state == OutboxState.DEAD)
                .values(state=OutboxState.PENDING, attempts=0, available_at=self.clock.now())
            )
            .rowcount
        )
        return int(changed)


@dataclass(frozen=True, slots=True)
class KindCount:
    kind: str
    state: OutboxState
    count: int


def outbox_status(session: Session) -> list[KindCount]:
    """How many rows of each kind are pending, delivered and dead."""
    rows = session.execute(
        select(_C.kind, _C.state, func.count()).group_by(_C.kind, _C.state).order_by(_C.kind, _C.state)
    ).all()
    return [KindCount(kind, OutboxState(state), int(count)) for kind, state, count in rows]


@dataclass(frozen=True, slots=True)
class DeadMessage:
    id: int
    kind: str
    key: str | None
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    last_error: str | None


def dead_messages(session: Session, *, kind: str | None = None, limit: int = 100) -> list[DeadMessage]:
    """The dead rows, newest first, with the error that finished them."""
    query = select(OutboxMessage).where(OutboxMessage.state == OutboxState.DEAD)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return [
        DeadMessage(m.id, m.kind, m.dedupe_key, m.payload, m.attempts, m.created_at, m.last_error)
        for m in session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit))
    ]
