"""What the desk needs from other capabilities, declared here and wired in `pingan.bootstrap`.

The desk imports no other capability: suspected fraud goes to the fraud loop through `FraudReports`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session


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
