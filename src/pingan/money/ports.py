"""What the cases, the analysis and the campaigns need from other capabilities, declared here and wired in
`pingan.bootstrap` (the money capability imports no other)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from pingan.core.identity import Actor


class TypePrediction(Protocol):
    """What the money capability reads of a prediction: the type id (DESIGN §4) and its probability."""

    @property
    def label(self) -> str: ...

    @property
    def confidence(self) -> float: ...


class TypeClassifier(Protocol):
    def classify(self, texts: Sequence[str]) -> Sequence[TypePrediction]:
        """One prediction per text, in order (`normal` for a text with no sign of fraud)."""
        ...


@dataclass(frozen=True)
class WarningRow:
    """Warnings grouped as the analysis reads them: one row per (bucket, type, station, birth year)."""

    bucket: int
    fraud_type: str
    area_id: int | None
    birth_year: int | None
    warnings: int
    dissuaded: int
    defrauded: int
    protected_fen: int
    lost_fen: int


class WarningFigures(Protocol):
    """The fraud capability's warnings, for the analysis (money protected, the types people are warned of) and
    the interception figures (numbers blocked)."""

    def grouped(
        self, session: Session, edges: Sequence[tuple[datetime, datetime]], area_ids: Sequence[int] | None
    ) -> list[WarningRow]:
        """Warnings opened within each of `edges` (the bucket is the index), grouped; `area_ids` None: all."""
        ...

    def numbers_blocked(self, session: Session, start: datetime, end: datetime) -> int:
        """Phone numbers put on the county's indicator list (拦截阻断) in [start, end)."""
        ...


class NoWarnings:
    """The default until the fraud capability is wired: no warnings."""

    def grouped(
        self, session: Session, edges: Sequence[tuple[datetime, datetime]], area_ids: Sequence[int] | None
    ) -> list[WarningRow]:
        return []

    def numbers_blocked(self, session: Session, start: datetime, end: datetime) -> int:
        return 0


@dataclass(frozen=True)
class PushResult:
    push_id: int
    targeted: int
    delivered: int
    held: int


class WarningPushes(Protocol):
    """The desk's pushes to the registered residents (E警通) of some stations, those of a group (the desk's
    resident tags) only when `tags` is given."""

    def push(
        self, actor: Actor, *, title: str, body: str, area_ids: Sequence[int], tags: Sequence[str]
    ) -> PushResult: ...


class TextMessages(Protocol):
    """An SMS gateway: sends one message, raises on failure (the outbox tries again)."""

    def send(self, phone: str, text: str) -> None: ...


@dataclass(frozen=True)
class SeenWarning:
    """A warning (not a case: nobody lost money yet) and identifiers its events named as their counterpart,
    as the fraud capability hands them over: the warning is a member of the clusters."""

    warning_id: int
    at: datetime
    """When the warning was opened."""
    area_id: int | None
    unit_id: int | None
    identifiers: Sequence[tuple[str, str, str]]
    """(kind, value, the event's source id) of each counterpart named."""


@dataclass(frozen=True)
class WarningFacts:
    """What a cluster shows of a warning besides where it lies: its level and outcome, as they are now."""

    level: str
    outcome: str | None


class WarningLinks(Protocol):
    def facts(self, session: Session, warning_ids: Sequence[int]) -> dict[int, WarningFacts]:
        """The level and outcome of each warning (one that no longer exists is left out)."""
        ...

    def seen(self, session: Session, after_id: int, limit: int) -> list[SeenWarning]:
        """Warnings whose events named a counterpart, by id above `after_id`, at most `limit` of them, each
        with every counterpart its events named: what a relink of everything reads again."""
        ...


class NoWarningLinks:
    def facts(self, session: Session, warning_ids: Sequence[int]) -> dict[int, WarningFacts]:
        return {}

    def seen(self, session: Session, after_id: int, limit: int) -> list[SeenWarning]:
        return []
