"""Intake of fraud leads: validate, normalise, deduplicate, match, grade, merge and dispatch.

One code path serves the HTTP batch, `pingan ingest FILE.jsonl`, the demo's feeds and the benchmark.
A batch is one transaction: everything it acknowledges is committed before the call returns, and a
replay of the same (source, id) creates nothing twice.

Most events match nothing, so their path is kept short: the batch is validated in one Pydantic call,
each event becomes a tuple of driver-ready values, and the plain ones go to the database in a few
raw multi-row INSERT ... ON CONFLICT DO NOTHING statements (`pingan.core.db.insert_values_ignoring_duplicates`).
The leads (hits, reports, pushed warnings) are stored with RETURNING, which tells the new ones from
replays, then resolved, graded and merged together: a handful of queries per batch, not per lead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.db import Database, insert_values_ignoring_duplicates, serialize, utc_to_driver
from pingan.core.errors import Rejected
from pingan.core.gcpause import gc_paused
from pingan.core.geo import CRS, to_wgs84
from pingan.core.identifiers import IdentifierKind, InvalidIdentifier, guess_kind, mask_phone, match_keys
from pingan.core.models import Task
from pingan.core.people import PersonFacts, people_by_phone
from pingan.core.streams import Message, StreamName, StreamPublisher
from pingan.core.tasks import Command, NewTask, TaskService
from pingan.fraud.classify import FraudClassifier
from pingan.fraud.grading import EventFacts, Grade, Reason, add_event, grade, person_features
from pingan.fraud.indicators import Hit, IndicatorMatcher
from pingan.fraud.losses import reads_as_loss
from pingan.fraud.models import EventKind, EventSource, FraudEvent, FraudWarning, Level, WarningStatus
from pingan.fraud.ports import CounterpartLinks, LossReports, NamedCounterpart, ReportedLoss
from pingan.fraud.rules import GradingRules
from pingan.fraud.schemas import EventIn
from pingan.fraud.workflow import KIND, LEVEL_NAMES, DissuasionAction

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
    queued: bool = False
    """Published to the leads stream (several machines): the workers open the warnings, not this call."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            **({"queued": True} if self.queued else {}),
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
    row: tuple[Any, ...]
    """The event's values in `EVENT_COLUMNS` order, ready for the driver."""
    hit: Hit | None

    @property
    def amount_fen(self) -> int | None:
        value: int | None = self.row[_AMOUNT]
        return value

    @property
    def point(self) -> tuple[float, float] | None:
        lon, lat = self.row[_LON], self.row[_LAT]
        return None if lon is None or lat is None else (lon, lat)


@dataclass(slots=True)
class _Batch:
    """The valid, distinct events of a batch with their match keys and stored values, in order."""

    events: list[EventIn] = field(default_factory=list)
    keys: list[list[tuple[IdentifierKind, str]] | None] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)


# The columns of a stored event, in the order of the value tuples the intake builds.
EVENT_COLUMNS = (
    "source",
    "source_id",
    "kind",
    "at",
    "received_at",
    "subject_phone",
    "counterpart",
    "counterpart_kind",
    "duration_s",
    "amount_fen",
    "text",
    "lon",
    "lat",
    "level_hint",
)
LEAD_COLUMNS = (*EVENT_COLUMNS, "indicator_id")
_AMOUNT = EVENT_COLUMNS.index("amount_fen")
_COUNTERPART = EVENT_COLUMNS.index("counterpart")
_COUNTERPART_KIND = EVENT_COLUMNS.index("counterpart_kind")
_LON = EVENT_COLUMNS.index("lon")
_LAT = EVENT_COLUMNS.index("lat")

# Enum members to their plain values: a dict lookup, where `.value` is a property call per access and
# the driver would otherwise see str subclasses.
_SOURCE = {m: m.value for m in EventSource}
_KIND = {m: m.value for m in EventKind}
_LEVEL = {m: m.value for m in Level}
_ID_KIND = {m: m.value for m in IdentifierKind}
_EVENT_LIST: TypeAdapter[list[EventIn]] = TypeAdapter(list[EventIn])
_JSON_KINDS: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
}


LOSS_SOURCES = frozenset({EventSource.HOTLINE, EventSource.CITIZEN, EventSource.DESK})
"""Sources whose reports are read for a loss: a 96110 call, a citizen's report, a desk request."""


class FraudIntake:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: GradingRules,
        tasks: TaskService,
        jurisdictions: Jurisdictions,
        matcher: IndicatorMatcher | None = None,
        classifier: FraudClassifier | None = None,
        losses: LossReports | None = None,
    ) -> None:
        self.losses = losses
        """Where a report of money already gone is handed on (the cases), when wired."""
        self.counterparts: CounterpartLinks | None = None
        """Where the counterparts the warnings' events name are handed on (the clusters), when wired."""
        self.db = db
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.jurisdictions = jurisdictions
        self.matcher = matcher or IndicatorMatcher()
        self.classifier = classifier
        self._utc = utc_to_driver(db.engine)
        # SQLite has one writer: batches take turns with every other writer, in this process and others.
        self._write_lock = db.write_lock

    # -- validation ------------------------------------------------------------------------------

    def _parse(self, items: Sequence[Mapping[str, Any] | EventIn], result: IntakeResult) -> list[tuple[int, EventIn]]:
        """The valid events with their index in the batch; the rest go to `result.rejected` by field.

        The whole batch is validated in one call; only a batch with errors is looked at item by item.
        """
        batch = items if isinstance(items, list) else list(items)
        try:
            return list(enumerate(_EVENT_LIST.validate_python(batch)))
        except ValidationError as exc:
            first: dict[int, ErrorDetails] = {}
            for problem in exc.errors(include_url=False):
                loc = problem.get("loc") or ()
                if loc and isinstance(loc[0], int) and loc[0] not in first:
                    first[loc[0]] = {**problem, "loc": loc[1:]}
        if not first:  # not a list of items at all: cannot happen through the typed signature
            raise TypeError("intake takes a sequence of event objects")
        for index, err in first.items():
            item = batch[index]
            if not isinstance(item, Mapping | EventIn):
                # Said as it is: "missing id" would send the sender looking for a field in a number.
                kind = _JSON_KINDS.get(type(item), type(item).__name__)
                result.rejected.append(Rejected.not_an_object(index, f"事件须为 JSON 对象，收到 {kind}"))
                continue
            result.rejected.append(Rejected.invalid(index, item if isinstance(item, Mapping) else {}, err))
        # Validation is per item, so the rest validate as a batch again.
        kept = [i for i in range(len(batch)) if i not in first]
        return list(zip(kept, _EVENT_LIST.validate_python([batch[i] for i in kept]), strict=True))

    def _validate(self, items: Sequence[Mapping[str, Any] | EventIn], result: IntakeResult) -> _Batch:
        """Validate, deduplicate within the batch and normalise: the per-event work done outside the lock."""
        good = _Batch()
        seen: set[tuple[str, str]] = set()
        received_at = self._utc(self.clock.now())
        utc = self._utc
        sources, kinds, levels, id_kinds = _SOURCE, _KIND, _LEVEL, _ID_KIND
        default_counterpart = DEFAULT_COUNTERPART
        add_event, add_keys, add_row = good.events.append, good.keys.append, good.rows.append
        rejected = False
        for index, event in self._parse(items, result):
            source = sources[event.source]
            key = (source, event.id)
            if key in seen:
                result.duplicates += 1
                continue
            seen.add(key)
            counterpart = event.counterpart
            keys: list[tuple[IdentifierKind, str]] | None = None
            counterpart_kind = None
            if counterpart is not None:
                counterpart_kind = (
                    event.counterpart_kind or default_counterpart.get(event.kind) or guess_kind(counterpart)
                )
                try:
                    keys = match_keys(counterpart_kind, counterpart)
                except InvalidIdentifier as exc:
                    result.rejected.append(Rejected(index, event.id, "counterpart", "invalid_identifier", str(exc)))
                    rejected = True
                    continue
                counterpart = keys[0][1]
            lon, lat = event.lon, event.lat
            if lon is not None and lat is not None and event.crs is not CRS.WGS84:
                lon, lat = to_wgs84(lon, lat, event.crs)
            amount = event.amount
            level = event.level
            add_event(event)
            add_keys(keys)
            add_row(
                (
                    source,
                    event.id,
                    kinds[event.kind],
                    utc(event.at),
                    received_at,
                    event.subject_phone,
                    counterpart,
                    id_kinds[counterpart_kind] if counterpart_kind is not None else None,
                    event.duration_s,
                    int(amount * 100) if amount is not None else None,
                    event.text,
                    lon,
                    lat,
                    levels[level] if level is not None else None,
                )
            )
        if rejected and len(result.rejected) > 1:
            result.rejected.sort(key=lambda r: r.index)
        return good

    # -- the batch -------------------------------------------------------------------------------

    def ingest(self, items: Sequence[Mapping[str, Any] | EventIn]) -> IntakeResult:
        """Take one batch. Returns what was accepted, what was a replay and what was rejected (by field).

        Everything accepted is committed before this returns; a replay of a (source, id) already
        stored, in this batch or an earlier one, is counted as a duplicate and creates nothing.
        """
        result = IntakeResult(received=len(items))
        with gc_paused():
            good = self._validate(items, result)
        if not good.events:
            return result
        with self._write_lock, gc_paused(), self.db.session() as session:
            self._store(session, good, result)
        result.committed_at = self.clock.now()
        return result

    def ingest_in(self, session: Session, items: Sequence[Mapping[str, Any] | EventIn]) -> IntakeResult:
        """`ingest` in the caller's transaction: nothing is committed here (`committed_at` stays None), and a
        rollback of the caller's transaction takes the batch with it. For work that must be stored together
        with the batch, such as an outbox delivery's mark."""
        result = IntakeResult(received=len(items))
        good = self._validate(items, result)
        if good.events:
            with self._write_lock:
                self._store(session, good, result)
        return result

    def publish(
        self, items: Sequence[Mapping[str, Any] | EventIn], streams: StreamPublisher, county: str
    ) -> IntakeResult:
        """Validate a batch here, at the edge, and publish its valid events to the leads stream, one message
        each with `source:id` as its id, for `pingan worker --nats` to store. Rejections are as `ingest`'s;
        `accepted` counts the messages the stream stored, `duplicates` the replays it recognised (and the
        repeats inside the batch); a replay older than the stream's window is caught by the workers."""
        result = IntakeResult(received=len(items), queued=True)
        good = self._validate(items, result)
        by_county: dict[str, list[Message]] = {}
        for event in good.events:
            data = orjson.dumps(event.model_dump(mode="json", exclude_none=True))
            by_county.setdefault(event.county or county, []).append(Message(f"{event.source.value}:{event.id}", data))
        for tail, messages in by_county.items():
            done = streams.publish(StreamName.LEADS, tail, messages)
            result.accepted += done.published
            result.duplicates += done.duplicates
        return result

    def _store(self, session: Session, good: _Batch, result: IntakeResult) -> None:
        self.matcher.refresh(session)
        plain: list[tuple[Any, ...]] = []
        leads: list[_Lead] = []
        match = self.matcher.match
        keep = plain.append
        for event, keys, row in zip(good.events, good.keys, good.rows, strict=True):
            hit = match(keys, event.at) if keys else None
            if hit is None and event.kind not in INHERENT:
                keep(row)
            else:
                leads.append(_Lead(event, row, hit))
        stored, _ = insert_values_ignoring_duplicates(session, _EVENTS, EVENT_COLUMNS, plain)
        result.accepted += stored
        result.duplicates += len(plain) - stored
        if leads:
            self._leads(session, leads, result)

    def _leads(self, session: Session, leads: list[_Lead], result: IntakeResult) -> None:
        # Batches stored at once by several processes (the API's, the stream workers') take turns from here:
        # the warnings they open or merge into are looked up below, and two must not both open one.
        serialize(session, "fraud.leads")
        _, inserted = insert_values_ignoring_duplicates(
            session,
            _EVENTS,
            LEAD_COLUMNS,
            [(*lead.row, lead.hit.indicator_id if lead.hit else None) for lead in leads],
            returning=("id", "source", "source_id"),
        )
        ids = {(source, source_id): event_id for event_id, source, source_id in inserted}
        fresh: list[tuple[_Lead, int]] = []
        for lead in leads:
            event_id = ids.get((lead.row[0], lead.row[1]))
            if event_id is None:
                result.duplicates += 1
            else:
                result.accepted += 1
                fresh.append((lead, event_id))
        if not fresh:
            return
        people = people_by_phone(session, (lead.event.subject_phone for lead, _ in fresh))
        window = timedelta(minutes=self.rules.merge_window_minutes)
        open_warnings = self._open_warnings(session, fresh, people)
        # The tasks the merges will touch, in one query; held here because the session only keeps
        # unchanged objects weakly.
        task_ids = [w.task_id for w in open_warnings.values() if w.task_id is not None]
        tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(task_ids)))} if task_ids else {}
        earlier = self._earlier_warnings(session, {p.id for p in people.values()})
        # First decide every lead's warning and grade (no writes), then store the new warnings in one
        # flush, then create and update their tasks in the order the leads came.
        steps: list[_Step] = []
        new: set[int] = set()
        for lead, event_id in sorted(fresh, key=lambda pair: pair[0].event.at):
            person = people.get(lead.event.subject_phone)
            key = ("p", person.id) if person else ("n", lead.event.subject_phone)
            warning = open_warnings.get(key)
            if warning is not None and not _within(warning, lead.event.at, window):
                warning = None
            if warning is None:
                warning, graded = self._open(session, lead, person, earlier)
                open_warnings[key] = warning
                new.add(id(warning))
                steps.append(_Step(lead, event_id, warning, graded, None))
            else:
                command = self._merge(warning, lead, has_task=id(warning) in new or warning.task_id is not None)
                steps.append(_Step(lead, event_id, warning, None, command))
        self._classify(steps)
        opening = [step for step in steps if step.graded is not None]
        session.add_all(step.warning for step in opening)
        session.flush()
        # Every new warning's dissuasion task in one go, then the merges (some into those very tasks).
        created = self.tasks.create_many(session, [self._dispatch(step) for step in opening])
        dispatched = [(step.warning, task) for step, task in zip(opening, created, strict=True)]
        dispatched_to = {id(warning): task for warning, task in dispatched}
        links: list[dict[str, int]] = []
        for step in steps:
            warning = step.warning
            if step.graded is not None:
                result.warnings_opened.append(warning.id)
                result.tasks_created.append(dispatched_to[id(warning)].id)
            else:
                if id(warning) not in new and warning.id not in result.warnings_updated:
                    result.warnings_updated.append(warning.id)
                task_of = dispatched_to.get(id(warning)) or (
                    tasks.get(warning.task_id) if warning.task_id is not None else None
                )
                if step.command is not None and task_of is not None and task_of.closed_at is None:
                    self.tasks.act(session, task_of, step.command)
            links.append({"event_id": step.event_id, "warning": warning.id})
        # Linked at the end, so that every task's flush does not also update the previous warning.
        for warning, task in dispatched:
            warning.task_id = task.id
        session.flush()
        session.connection().execute(
            update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id")).values(warning_id=bindparam("warning")),
            links,
        )
        if self.counterparts is not None:
            self._counterparts(session, steps)
        if self.losses is not None:
            self._losses(session, steps)

    def _counterparts(self, session: Session, steps: Sequence[_Step]) -> None:
        """The counterparts the fresh leads named, handed on to link their warnings (串并)."""
        assert self.counterparts is not None
        named = [
            NamedCounterpart(
                warning_id=step.warning.id,
                opened_at=step.warning.created_at,
                area_id=step.warning.area_id,
                unit_id=step.warning.unit_id,
                kind=str(step.lead.row[_COUNTERPART_KIND]),
                value=str(step.lead.row[_COUNTERPART]),
                source_id=step.lead.event.id,
            )
            for step in steps
            if step.lead.row[_COUNTERPART] is not None and step.lead.row[_COUNTERPART_KIND] is not None
        ]
        if named:
            self.counterparts.named(session, named)

    def _losses(self, session: Session, steps: Sequence[_Step]) -> None:
        """The reports whose text says the money is gone (96110, citizens, the desk) become cases."""
        assert self.losses is not None
        found: list[ReportedLoss] = []
        for step in steps:
            event = step.lead.event
            if event.kind is not EventKind.REPORT or event.source not in LOSS_SOURCES:
                continue
            amount = int(event.amount * 100) if event.amount is not None else None
            reading = reads_as_loss(event.text, amount)
            if reading is None:
                continue
            warning = step.warning
            kind = event.counterpart_kind.value if event.counterpart_kind is not None else None
            found.append(
                ReportedLoss(
                    source=event.source.value,
                    source_id=event.id,
                    warning_id=warning.id,
                    at=event.at,
                    phone=event.subject_phone,
                    person_id=warning.person_id,
                    area_id=warning.area_id,
                    unit_id=warning.unit_id,
                    text=event.text or "",
                    amount_fen=reading.amount_fen,
                    fraud_type=event.fraud_type or warning.predicted_type or warning.fraud_type,
                    identifiers=[(kind, event.counterpart)] if kind and event.counterpart else [],
                    phrase=reading.phrase,
                )
            )
        if found:
            self.losses.reported(session, found)

    def _classify(self, steps: Sequence[_Step]) -> None:
        """The fraud type read in each lead's text, for its warning: one call for the batch's texts. A warning keeps
        the most confident of the predictions of its texts."""
        if self.classifier is None:
            return
        with_text = [step for step in steps if step.lead.event.text and step.lead.event.text.strip()]
        if not with_text:
            return
        predictions = self.classifier.classify([step.lead.event.text for step in with_text])
        for step, prediction in zip(with_text, predictions, strict=True):
            warning = step.warning
            if warning.predicted_confidence is None or prediction.confidence > warning.predicted_confidence:
                warning.predicted_type = prediction.label.value
                warning.predicted_confidence = round(prediction.confidence, 4)

    def _earlier_warnings(self, session: Session, person_ids: set[int]) -> dict[int, int]:
        """Warnings of each person within the grading history window (kept up to date as the batch opens more)."""
        if not person_ids:
            return {}
        since = self.clock.now() - timedelta(days=self.rules.history_days)
        rows = session.execute(
            select(FraudWarning.person_id, func.count())
            .where(FraudWarning.person_id.in_(person_ids), FraudWarning.created_at >= since)
            .group_by(FraudWarning.person_id)
        ).all()
        return {person_id: count for person_id, count in rows if person_id is not None}

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
            amount_fen=lead.amount_fen,
            level_hint=e.level,
        )

    def _open(
        self, session: Session, lead: _Lead, person: PersonFacts | None, earlier: dict[int, int]
    ) -> tuple[FraudWarning, Grade]:
        """A new warning for the lead, graded and routed; not yet in the session."""
        now = self.clock.now()
        e = lead.event
        features: dict[str, float] = {}
        if person is not None:
            count = earlier.get(person.id, 0)
            earlier[person.id] = count + 1
            person_features(
                features, birth_year=person.birth_year, tags=person.tags, year=now.year, earlier_warnings=count
            )
        add_event(features, self._facts(lead))
        graded = grade(features, self.rules)
        area_id = person.station_id if person else None
        point = lead.point
        if area_id is None and point is not None:
            area_id = self.jurisdictions.station_at(session, *point)
        unit_id = self.jurisdictions.unit_for_station(session, area_id)
        if area_id is None and e.county is not None:
            unit_id = self.jurisdictions.centre_of_county(session, e.county) or unit_id
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
        return warning, graded

    def _dispatch(self, step: _Step) -> NewTask:
        """The dissuasion task of a new (stored) warning; the caller links the warning to it."""
        warning, graded = step.warning, step.graded
        assert graded is not None
        return NewTask(
            kind=KIND,
            title=_task_title(step.lead.event.subject_phone, graded.reasons),
            ref_type="fraud_warning",
            ref_id=warning.id,
            area_id=warning.area_id,
            unit_id=warning.unit_id,
            level=graded.level.value,
            reason="；".join(r.text for r in graded.reasons) or None,
        )

    def _merge(self, warning: FraudWarning, lead: _Lead, *, has_task: bool) -> Command | None:
        """Fold the lead into the warning and regrade; returns what to record on its task."""
        now = self.clock.now()
        features = dict(warning.features)
        add_event(features, self._facts(lead))
        graded = grade(features, self.rules)
        unresolved = [r for r in warning.reasons if r.get("rule") == "unresolved"]
        warning.features = features
        warning.reasons = [r.as_dict() for r in graded.reasons] + unresolved
        warning.event_count += 1
        warning.first_event_at = min(warning.first_event_at, lead.event.at)
        warning.last_event_at = max(warning.last_event_at, lead.event.at)
        warning.updated_at = now
        if lead.hit and warning.fraud_type == "other":
            warning.fraud_type = lead.hit.fraud_type
        if not has_task:
            return None
        # The task's line quotes the reason that grades the warning now (the longest call, not the first).
        title = _task_title(warning.subject_phone, graded.reasons)
        if graded.level.rank > Level(warning.level).rank:
            old = warning.level
            warning.level = graded.level
            return Command(
                DissuasionAction.LEVEL,
                None,
                f"合并新线索，等级由{LEVEL_NAMES[Level(old)]}升为{LEVEL_NAMES[graded.level]}：{_headline(graded.reasons)}",
                {"level": graded.level.value, "title": title},
            )
        return Command(DissuasionAction.MERGE, None, f"合并新线索（第{warning.event_count}条）", {"title": title})


@dataclass(slots=True)
class _Step:
    """What one fresh lead does: open a warning (with its grade) or merge into one (with a task command)."""

    lead: _Lead
    event_id: int
    warning: FraudWarning
    graded: Grade | None
    command: Command | None


def _task_title(phone: str, reasons: Sequence[Reason]) -> str:
    return f"{mask_phone(phone)} {_headline(reasons)}"


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
