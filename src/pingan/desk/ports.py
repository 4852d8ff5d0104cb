"""What the desk needs from other capabilities, declared here and wired in `pingan.bootstrap`.

The desk imports no other capability: suspected fraud goes to the fraud loop through `FraudReports`, and a
resident already defrauded becomes a case through `FraudCases`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from pingan.core.errors import Unavailable


@dataclass(frozen=True, slots=True)
class FraudLead:
    """A resident's suspected-fraud request, as the desk reports it."""

    request_id: int
    at: datetime
    phone: str
    text: str | None
    lon: float | None = None
    lat: float | None = None
    """WGS84, when the resident gave a point."""


@dataclass(frozen=True, slots=True)
class FraudOutcome:
    """What became of one lead: the warning it opened or joined, or why it was refused."""

    warning_id: int | None = None
    refused: str | None = None
    fraud_type: str | None = None
    """The fraud type read in the text (a taxonomy id), with its Chinese name and the classifier's confidence."""
    fraud_type_name: str | None = None
    confidence: float | None = None


class FraudReports(Protocol):
    def report(self, session: Session, leads: Sequence[FraudLead]) -> Mapping[int, FraudOutcome]:
        """Hand the leads to the fraud loop in the caller's transaction (nothing is committed here), keyed by
        request id. Idempotent: a lead reported again opens nothing new and answers with the same warning."""
        ...


@dataclass(frozen=True, slots=True)
class DefraudedRequest:
    """A request whose resident was already defrauded, as the officer opens its case (已被骗，转立案)."""

    request_id: int
    through_open311: bool
    reported_at: datetime
    """When the resident told the desk (the request's time)."""
    phone: str
    area_id: int | None
    """The request's station."""
    loss_fen: int
    narrative: str
    fraud_type: str | None
    occurred_at: datetime | None
    actor_id: int
    warning_id: int | None
    """The warning the request raised in the fraud loop, if it was forwarded there."""


@dataclass(frozen=True, slots=True)
class CaseRef:
    """The case a request opened (or that was opened for it before)."""

    case_id: int
    created: bool
    loss_fen: int
    fraud_type: str
    fraud_type_name: str
    status: str
    opened_at: datetime


class FraudCases(Protocol):
    """The cases capability, as the desk reaches it (wired in `pingan.bootstrap`)."""

    def case_of(self, session: Session, request_id: int, warning_id: int | None) -> CaseRef | None:
        """The case already opened for the request: from it (by hand or on reading its text), or from the warning
        it raised (a dissuasion's "already defrauded")."""
        ...

    def open(self, session: Session, request: DefraudedRequest) -> CaseRef:
        """Open the request's case in the caller's transaction (the found one if there is one already). Raises
        BadInput naming the field for what the cases refuse (an unknown fraud type)."""
        ...


class NoFraudCases:
    """A desk without the cases capability (some unit tests): nothing opened, a clear refusal."""

    def case_of(self, session: Session, request_id: int, warning_id: int | None) -> CaseRef | None:
        return None

    def open(self, session: Session, request: DefraudedRequest) -> CaseRef:
        raise Unavailable("案件功能未启用")
