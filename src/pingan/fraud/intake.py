"""Intake of fraud leads: validate, normalise, deduplicate, match, grade, merge and dispatch.

One code path serves the HTTP batch, `pingan ingest FILE.jsonl`, the demo's feeds and the benchmark.
A batch is one transaction: everything it acknowledges is committed before the call returns, and a
replay of the same (source, id) creates nothing twice.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.errors import field_of
from pingan.core.geo import to_wgs84
from pingan.core.identifiers import IdentifierKind, InvalidIdentifier, guess_kind, mask_phone, match_keys
from pingan.core.models import Task, TaskAction, TaskKind
from pingan.core.people import PersonFacts, people_by_phone
from pingan.core.rules import CountyRules
from pingan.core.tasks import Command, TaskService
from pingan.db import Database, dialect_insert, insert_ignoring_duplicates
from pingan.fraud.grading import EventFacts, Reason, add_event, grade, person_features
from pingan.fraud.indicators import Hit, IndicatorMatcher
from pingan.fraud.models import EventKind, FraudEvent, FraudWarning, Level, WarningStatus
from pingan.fraud.schemas import EventIn

DEFAULT_COUNTERPART = {
    EventKind.CALL: IdentifierKind.PHONE,
    EventKind.SMS: IdentifierKind.PHONE,
    EventKind.TRANSFER: IdentifierKind.ACCOUNT,
    EventKind.URL_VISIT: IdentifierKind.URL,
    EventKind.APP_INSTALL: IdentifierKind.APP,
}
# Kinds that are warnings by nature, whatever the indicator lists say.
INHERENT = frozenset({EventKind.REPORT, EventKind.PUSHED_WARNING})
_EVENTS: Table = FraudEvent.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class Rejected:
    index: int
    id: str | None
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "error": {"code": self.code, "message": self.message, "field": self.field},
        }


@dataclass
class IntakeResult:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    warnings_opened: list[int] = field(default_factory=list)
    warnings_updated: list[int] = field(default_factory=list)
    tasks_created: list[int] = field(default_factory=list)
    committed_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
            "warnings_opened": self.warnings_opened,
            "warnings_updated": self.warnings_updated,
        }


@dataclass(slots=True)
class _Lead:
    """A valid event that matched an indicator or is a warning by nature."""

    event: EventIn
    row: dict[str, Any]
    hit: Hit | None


class FraudIntake:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: CountyRules,
        tasks: TaskService,
        jurisdictions: Jurisdictions,
        matcher: IndicatorMatcher | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.jurisdictions = jurisdictions
        self.matcher = matcher or IndicatorMatcher()
        # SQLite has one writer; serialising batches in-process avoids busy waits between threads.
        self._write_lock = threading.Lock()

    # -- validation ------------------------------------------------------------------------------

    def _validate(
        self, items: Sequence[Mapping[str, Any] | EventIn], result: IntakeResult
    ) -> list[tuple[EventIn, dict[str, Any], list[tuple[IdentifierKind, str]]]]:
        good: list[tuple[EventIn, dict[str, Any], list[tuple[IdentifierKind, str]]]] = []
        seen: set[tuple[str, str]] = set()
        received_at = self.clock.now()
        validate = EventIn.model_validate
        for index, item in enumerate(items):
            try:
                event = item if isinstance(item, EventIn) else validate(item)
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]
                raw_id = item.get("id") if isinstance(item, Mapping) else None
                result.rejected.append(
                    Rejected(
                        index,
                        str(raw_id)[:128] if raw_id is not None else None,
                        field_of(err),
                        str(err["type"]),
                        str(err["msg"]),
                    )
                )
                continue
            key = (event.source.value, event.id)
            if key in seen:
                result.duplicates += 1
                continue
            seen.add(key)
            keys: list[tuple[IdentifierKind, str]] = []
            counterpart_kind = None
            if event.counterpart is not None:
                counterpart_kind = (
                    event.counterpart_kind or DEFAULT_COUNTERPART.get(event.kind) or guess_kind(event.counterpart)
                )
                try:
                    keys = match_keys(counterpart_kind, event.counterpart)
                except InvalidIdentifier as exc:
                    result.rejected.append(Rejected(index, event.id, "counterpart", "invalid_identifier", str(exc)))
                    continue
            lon, lat = event.lon, event.lat
            if lon is not None and lat is not None:
                lon, lat = to_wgs84(lon, lat, event.crs)
            good.append(
                (
                    event,
                    {
                        "source": event.source.value,
                        "source_id": event.id,
                        "kind": event.kind.value,
                        "at": event.at,
                        "received_at": received_at,
                        "subject_phone": event.subject_phone,
                        "counterpart": keys[0][1] if keys else event.counterpart,
                        "counterpart_kind": counterpart_kind.value if counterpart_kind else None,
                        "duration_s": event.duration_s,
                        "amount_fen": int(event.amount * 100) if event.amount is not None else None,
                        "text": event.text,
                        "lon": lon,
                        "lat": lat,
                        "level_hint": event.level.value if event.level else None,
                        "indicator_id": None,
                        "warning_id": None,
                    },
                    keys,
                )
            )
        return good

    # -- the batch -------------------------------------------------------------------------------

    def ingest(self, items: Sequence[Mapping[str, Any] | EventIn]) -> IntakeResult:
        """Take one batch. Returns what was accepted, what was a replay and what was rejected (by field)."""
        result = IntakeResult(received=len(items))
        good = self._validate(items, result)
        if not good:
            return result
        with self._write_lock, self.db.session() as session:
            self.matcher.refresh(session)
            plain: list[dict[str, Any]] = []
            leads: list[_Lead] = []
            match = self.matcher.match
            for event, row, keys in good:
                hit = match(keys, event.at) if keys else None
                if hit is not None:
                    row["indicator_id"] = hit.indicator_id
                if hit is not None or event.kind in INHERENT:
                    leads.append(_Lead(event, row, hit))
                else:
                    plain.append(row)
            stored = insert_ignoring_duplicates(session, _EVENTS, plain)
            result.accepted += stored
            result.duplicates += len(plain) - stored
            if leads:
                self._leads(session, leads, result)
        result.committed_at = self.clock.now()
        return result

    def _leads(self, session: Session, leads: list[_Lead], result: IntakeResult) -> None:
        fresh: list[tuple[_Lead, int]] = []
        for lead in leads:
            event_id = session.execute(
                dialect_insert(session, _EVENTS).values(**lead.row).on_conflict_do_nothing().returning(_EVENTS.c.id)
            ).scalar()
            if event_id is None:
                result.duplicates += 1
            else:
                result.accepted += 1
                fresh.append((lead, event_id))
        if not fresh:
            return
        people = people_by_phone(session, (lead.event.subject_phone for lead, _ in fresh))
        window = timedelta(minutes=self.rules.grading.merge_window_minutes)
        open_warnings = self._open_warnings(session, fresh, people)
        opened: set[int] = set()
        for lead, event_id in sorted(fresh, key=lambda pair: pair[0].event.at):
            person = people.get(lead.event.subject_phone)
            key = ("p", person.id) if person else ("n", lead.event.subject_phone)
            warning = open_warnings.get(key)
            if warning is not None and not _within(warning, lead.event.at, window):
                warning = None
            if warning is None:
                warning = self._open(session, lead, person)
                open_warnings[key] = warning
                opened.add(warning.id)
                result.warnings_opened.append(warning.id)
            else:
                self._merge(session, warning, lead)
                if warning.id not in opened and warning.id not in result.warnings_updated:
                    result.warnings_updated.append(warning.id)
            session.execute(update(FraudEvent).where(FraudEvent.id == event_id).values(warning_id=warning.id))

    def _open_warnings(
        self, session: Session, fresh: list[tuple[_Lead, int]], people: Mapping[str, PersonFacts]
    ) -> dict[tuple[str, object], FraudWarning]:
        person_ids = {p.id for p in people.values()}
        phones = {lead.event.subject_phone for lead, _ in fresh if lead.event.subject_phone not in people}
        found: dict[tuple[str, object], FraudWarning] = {}
        if person_ids:
            for w in session.scalars(
                select(FraudWarning).where(
                    FraudWarning.person_id.in_(person_ids), FraudWarning.status == WarningStatus.OPEN
                )
            ):
                found[("p", w.person_id)] = w
        if phones:
            for w in session.scalars(
                select(FraudWarning).where(
                    FraudWarning.person_id.is_(None),
                    FraudWarning.subject_phone.in_(phones),
                    FraudWarning.status == WarningStatus.OPEN,
                )
            ):
                found[("n", w.subject_phone)] = w
        return found

    def _facts(self, lead: _Lead) -> EventFacts:
        e = lead.event
        return EventFacts(
            source=e.source,
            kind=e.kind,
            hit=lead.hit is not None,
            duration_s=e.duration_s,
            amount_fen=lead.row["amount_fen"],
            level_hint=e.level,
        )

    def _open(self, session: Session, lead: _Lead, person: PersonFacts | None) -> FraudWarning:
        now = self.clock.now()
        e = lead.event
        features: dict[str, float] = {}
        if person is not None:
            since = now - timedelta(days=self.rules.grading.history_days)
            earlier = (
                session.scalar(
                    select(func.count())
                    .select_from(FraudWarning)
                    .where(FraudWarning.person_id == person.id, FraudWarning.created_at >= since)
                )
                or 0
            )
            person_features(
                features, birth_year=person.birth_year, tags=person.tags, year=now.year, earlier_warnings=earlier
            )
        add_event(features, self._facts(lead))
        graded = grade(features, self.rules.grading)
        area_id = person.station_id if person else None
        if area_id is None and lead.row["lon"] is not None:
            area_id = self.jurisdictions.station_at(session, lead.row["lon"], lead.row["lat"])
        unit_id = self.jurisdictions.unit_for_station(session, area_id)
        reasons = [r.as_dict() for r in graded.reasons]
        if person is None:
            reasons.append({"rule": "unresolved", "text": "未能落地到登记人员，请中心研判", "level": None, "raise": 0})
        warning = FraudWarning(
            person_id=person.id if person else None,
            subject_phone=e.subject_phone,
            area_id=area_id,
            unit_id=unit_id,
            level=graded.level,
            reasons=reasons,
            features=features,
            fraud_type=(lead.hit.fraud_type if lead.hit else None) or e.fraud_type or "other",
            status=WarningStatus.OPEN,
            first_event_at=e.at,
            last_event_at=e.at,
            created_at=now,
            updated_at=now,
            event_count=1,
            amount_protected_fen=0,
            amount_lost_fen=0,
        )
        session.add(warning)
        session.flush()
        headline = _headline(graded.reasons)
        task = self.tasks.create(
            session,
            kind=TaskKind.DISSUASION,
            title=f"{mask_phone(e.subject_phone)} {headline}",
            ref_type="fraud_warning",
            ref_id=warning.id,
            area_id=area_id,
            unit_id=unit_id,
            level=graded.level.value,
            reason="；".join(r.text for r in graded.reasons) or None,
        )
        warning.task_id = task.id
        return warning

    def _merge(self, session: Session, warning: FraudWarning, lead: _Lead) -> None:
        now = self.clock.now()
        features = dict(warning.features)
        add_event(features, self._facts(lead))
        graded = grade(features, self.rules.grading)
        unresolved = [r for r in warning.reasons if r.get("rule") == "unresolved"]
        warning.features = features
        warning.reasons = [r.as_dict() for r in graded.reasons] + unresolved
        warning.event_count += 1
        warning.first_event_at = min(warning.first_event_at, lead.event.at)
        warning.last_event_at = max(warning.last_event_at, lead.event.at)
        warning.updated_at = now
        if lead.hit and warning.fraud_type == "other":
            warning.fraud_type = lead.hit.fraud_type
        if graded.level.rank > Level(warning.level).rank and warning.task_id is not None:
            old = warning.level
            warning.level = graded.level
            task = session.get(Task, warning.task_id)
            if task is not None and task.closed_at is None:
                self.tasks.act(
                    session,
                    task,
                    Command(
                        TaskAction.LEVEL,
                        None,
                        f"合并新线索，等级由{Level(old).value}升为{graded.level.value}：{_headline(graded.reasons)}",
                        {"level": graded.level.value},
                    ),
                )
        elif warning.task_id is not None:
            task = session.get(Task, warning.task_id)
            if task is not None and task.closed_at is None:
                self.tasks.act(
                    session, task, Command(TaskAction.MERGE, None, f"合并新线索（第{warning.event_count}条）")
                )


def _headline(reasons: Sequence[Reason]) -> str:
    """The strongest reason: the rule that set the highest floor (the last of equals, being the most specific)."""
    floors = [r for r in reasons if r.level is not None]
    if not floors:
        return "涉诈预警"
    top = max(r.level.rank for r in floors if r.level is not None)
    return [r for r in floors if r.level is not None and r.level.rank == top][-1].text


def _within(warning: FraudWarning, at: datetime, window: timedelta) -> bool:
    return warning.first_event_at - window <= at <= warning.last_event_at + window


def amount_yuan(fen: int | None) -> Decimal:
    return Decimal(fen or 0) / 100
