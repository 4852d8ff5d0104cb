"""What the fraud loop hands to other capabilities, declared here and wired in `pingan.bootstrap` (the fraud
capability imports no other)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ReportedLoss:
    """A report (96110, a citizen's, a desk request's) whose text says the money is already gone."""

    source: str
    """The event's source: `hotline` (96110), `citizen`, `desk`."""
    source_id: str
    """The event's own id (a desk request's is `desk-<request id>`)."""
    warning_id: int
    at: datetime
    phone: str
    person_id: int | None
    area_id: int | None
    unit_id: int | None
    text: str
    amount_fen: int
    fraud_type: str
    identifiers: Sequence[tuple[str, str]]
    """(kind, value) of the counterpart the report named, if any."""
    phrase: str
    """What in the text said so ("已转账")."""


class LossReports(Protocol):
    def reported(self, session: Session, losses: Sequence[ReportedLoss]) -> None:
        """In the intake's transaction: open (once) the case of each loss."""
        ...


@dataclass(frozen=True)
class NamedCounterpart:
    """A counterpart (the other phone, the account paid, the URL) an event of a warning named."""

    warning_id: int
    opened_at: datetime
    """When the warning was opened."""
    area_id: int | None
    unit_id: int | None
    kind: str
    value: str
    """Normalised (DESIGN §7)."""
    source_id: str
    """The event's own id."""


class CounterpartLinks(Protocol):
    def named(self, session: Session, named: Sequence[NamedCounterpart]) -> None:
        """In the intake's transaction: the warnings are linked with the cases (and each other) by these."""
        ...
