"""Intake of card openings and the verification of the abnormal ones: each batch is one transaction.

Idempotent on (reporter, id): a replay is counted as a duplicate and creates nothing. The good part of a batch
is kept; each bad item is refused with its index, id and the field at fault. Every new opening is assessed by
the county's rules (`rules.detect`); a flagged one joins the open verification task of its holder, or opens one
at the holder's station (the registered resident's, else the outlet's), so that a holder is verified once for
all the cards they opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import Rejected, validate_items
from pingan.core.geo import CRS, to_wgs84
from pingan.core.identifiers import mask_id_number, mask_name
from pingan.core.models import Person, Task
from pingan.core.tasks import Command, NewTask, TaskService
from pingan.money.cards.models import CardOpening, SourceKind, Verification
from pingan.money.cards.ports import CaseLinkedPeople, NoCaseLinks
from pingan.money.cards.rules.county import CardRules
from pingan.money.cards.rules.detect import RULE_OUTLET, RULE_PERSON, Reason, assess, is_high
from pingan.money.cards.schemas import OpeningIn
from pingan.money.cards.workflow import HIGH, KIND, REF_TYPE, CardAction

LOCAL = ZoneInfo("Asia/Shanghai")
OPENINGS_LOCK = 7320
"""PostgreSQL advisory lock key of the openings' intake (the cases' linking holds 7310)."""


def lock_openings(session: Session) -> None:
    """One openings batch at a time per database, until its transaction ends.

    Two feeds sending the same opening at once would both find it new and the second would fail on the
    unique key (an IntegrityError, a 500); and the windows of the rules (one person's cards, an outlet's
    batch) would each miss the other's rows. Under this lock the second batch reads the first's committed
    rows: its replay is a duplicate and its counts include them. SQLite has one writer (`Database.write_lock`
    and its own file lock) and needs nothing more.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OPENINGS_LOCK})


_ITEM: TypeAdapter[OpeningIn] = TypeAdapter(OpeningIn)


@dataclass
class CardsResult:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    flagged: list[int] = field(default_factory=list)
    """Openings flagged by this batch (earlier ones of an outlet's batch included)."""
    tasks_created: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
            "flagged": self.flagged,
            "tasks_created": self.tasks_created,
        }


class CardsService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: CardRules,
        tasks: TaskService,
        jurisdictions: Jurisdictions,
        cases: CaseLinkedPeople | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.jurisdictions = jurisdictions
        self.cases = cases or NoCaseLinks()
        tasks.listen(KIND, self._on_task)

    # -- intake ------------------------------------------------------------------------------------------

    def ingest(self, items: Sequence[Any]) -> CardsResult:
        """Take one batch (see the module docstring); everything accepted is committed before this returns."""
        result = CardsResult(received=len(items))
        good = self._validate(items, result)
        if good:
            with self.db.write_lock, self.db.session() as session:
                self._store(session, good, result)
        return result

    def ingest_in(self, session: Session, items: Sequence[Any]) -> CardsResult:
        """`ingest` in the caller's transaction."""
        result = CardsResult(received=len(items))
        good = self._validate(items, result)
        if good:
            self._store(session, good, result)
        return result

    def _validate(self, items: Sequence[Any], result: CardsResult) -> list[OpeningIn]:
        valid, result.rejected = validate_items(_ITEM, enumerate(items), "开卡记录须为 JSON 对象", Rejected)
        good: list[OpeningIn] = []
        seen: set[tuple[str, str]] = set()
        for _index, opening in valid:
            key = (opening.source, opening.id)
            if key in seen:
                result.duplicates += 1
                continue
            seen.add(key)
            good.append(opening)
        return good

    def _store(self, session: Session, batch: list[OpeningIn], result: CardsResult) -> None:
        lock_openings(session)
        now = self.clock.now()
        stored = set(
            session.execute(
                select(CardOpening.source, CardOpening.source_id).where(
                    CardOpening.source_id.in_([o.id for o in batch])
                )
            )
        )
        fresh = [o for o in batch if (o.source, o.id) not in stored]
        result.duplicates += len(batch) - len(fresh)
        if not fresh:
            return
        holders = {o.holder.id_number for o in fresh}
        people = {
            row.id_number: (row.id, row.station_id)
            for row in session.execute(
                select(Person.id, Person.id_number, Person.station_id).where(Person.id_number.in_(holders))
            )
        }
        rows: list[CardOpening] = []
        for o in sorted(fresh, key=lambda o: o.at):
            lon, lat = o.outlet.lon, o.outlet.lat
            if lon is not None and lat is not None and o.outlet.crs is not CRS.WGS84:
                lon, lat = to_wgs84(lon, lat, o.outlet.crs)
            person_id, area_id = people.get(o.holder.id_number, (None, None))
            if area_id is None and lon is not None and lat is not None:
                area_id = self.jurisdictions.station_at(session, lon, lat)
            rows.append(
                CardOpening(
                    source_kind=SourceKind.OPERATOR if o.operator is not None else SourceKind.BANK,
                    source=o.source,
                    source_id=o.id,
                    kind=o.kind,
                    number=o.number,
                    opened_at=o.at,
                    received_at=now,
                    holder_name=o.holder.name,
                    holder_id_number=o.holder.id_number,
                    holder_phone=o.holder.phone,
                    person_id=person_id,
                    outlet_id=o.outlet.id,
                    outlet_name=o.outlet.name,
                    lon=lon,
                    lat=lat,
                    area_id=area_id,
                    unit_id=self.jurisdictions.unit_for_station(session, area_id),
                    flagged=False,
                    reasons=[],
                )
            )
        session.add_all(rows)
        session.flush()
        result.accepted += len(rows)
        linked = self.cases.linked(session, holders)
        flagged: dict[int, tuple[CardOpening, list[Reason]]] = {}
        for row in rows:
            same_holder = CardOpening.holder_id_number == row.holder_id_number
            same_outlet = (CardOpening.source == row.source) & (CardOpening.outlet_id == row.outlet_id)
            person_span = timedelta(hours=self.rules.person_window_hours)
            outlet_span = timedelta(minutes=self.rules.outlet_window_minutes)
            reasons = assess(
                id_number=row.holder_id_number,
                day=row.opened_at.astimezone(LOCAL).date(),
                holder_cards=self._around(session, row, same_holder, person_span),
                outlet_cards=self._around(session, row, same_outlet, outlet_span),
                linked_to_case=row.holder_id_number in linked,
                rules=self.rules,
            )
            if reasons:
                flagged.setdefault(row.id, (row, []))[1].extend(r for r in reasons if r not in flagged[row.id][1])
            # The openings counted by a rule are flagged with it too, those before the threshold included, so
            # that a batch gives what the same openings one by one would.
            for rule, same, span in ((RULE_PERSON, same_holder, person_span), (RULE_OUTLET, same_outlet, outlet_span)):
                reason = next((r for r in reasons if r.rule == rule), None)
                if reason is None:
                    continue
                for other in self._around_rows(session, row, same, span):
                    if other.verification is not None or any(r["rule"] == rule for r in other.reasons):
                        continue  # verified already, or flagged for this before
                    entry = flagged.setdefault(other.id, (other, []))
                    if all(r.rule != rule for r in entry[1]):
                        entry[1].append(reason)
        if flagged:
            self._flag(session, list(flagged.values()), result)

    def _around(self, session: Session, row: CardOpening, same: Any, span: timedelta) -> int:
        """Openings like `row` (`same`) within `span` before or after it, itself included: a feed may report an
        earlier opening late."""
        counted = session.scalar(
            select(func.count())
            .select_from(CardOpening)
            .where(same, CardOpening.opened_at >= row.opened_at - span, CardOpening.opened_at <= row.opened_at + span)
        )
        return int(counted or 0)

    def _around_rows(self, session: Session, row: CardOpening, same: Any, span: timedelta) -> list[CardOpening]:
        return list(
            session.scalars(
                select(CardOpening).where(
                    same,
                    CardOpening.opened_at >= row.opened_at - span,
                    CardOpening.opened_at <= row.opened_at + span,
                    CardOpening.id != row.id,
                )
            )
        )

    def _flag(self, session: Session, flagged: list[tuple[CardOpening, list[Reason]]], result: CardsResult) -> None:
        """Mark the openings and put each on its holder's open verification task, or a new one."""
        for row, reasons in flagged:
            row.flagged = True
            row.reasons = [
                *row.reasons,
                *(r.as_dict() for r in reasons if r.rule not in {x["rule"] for x in row.reasons}),
            ]
            result.flagged.append(row.id)
        holders = {row.holder_id_number for row, _ in flagged}
        open_tasks: dict[str, Task] = {
            number: task
            for number, task in session.execute(
                select(CardOpening.holder_id_number, Task)
                .join(Task, Task.id == CardOpening.task_id)
                .where(CardOpening.holder_id_number.in_(holders), Task.kind == KIND, Task.closed_at.is_(None))
            )
        }
        by_holder: dict[str, list[tuple[CardOpening, list[Reason]]]] = {}
        for row, reasons in sorted(flagged, key=lambda pair: pair[0].opened_at):
            by_holder.setdefault(row.holder_id_number, []).append((row, reasons))
        new: list[tuple[NewTask, list[tuple[CardOpening, list[Reason]]]]] = []
        for number, group in by_holder.items():
            task = open_tasks.get(number)
            if task is not None:
                self._attach(session, task, group)
                continue
            first, _ = group[0]
            reasons = [r for _, rs in group for r in rs]
            spec = NewTask(
                kind=KIND,
                title=f"断卡核查 {mask_name(first.holder_name)} {mask_id_number(first.holder_id_number)}",
                ref_type=REF_TYPE,
                ref_id=first.id,
                area_id=first.area_id,
                unit_id=first.unit_id,
                level=HIGH if is_high(reasons) else "medium",
                reason="；".join(dict.fromkeys(r.text for r in reasons)),
                facts={"openings": 1},
            )
            new.append((spec, group))
        if not new:
            return
        created = self.tasks.create_many(session, [spec for spec, _ in new])
        for task, (_, group) in zip(created, new, strict=True):
            result.tasks_created.append(task.id)
            group[0][0].task_id = task.id
            if len(group) > 1:
                self._attach(session, task, group[1:])

    def _attach(self, session: Session, task: Task, group: list[tuple[CardOpening, list[Reason]]]) -> None:
        for row, reasons in group:
            if row.task_id == task.id:
                continue
            row.task_id = task.id
            text = "；".join(r.text for r in reasons)
            self.tasks.act(
                session, task, Command(CardAction.ATTACH, None, f"新增异常开卡：{text}", {"opening_id": row.id})
            )

    # -- the task's outcome, on its openings -------------------------------------------------------------

    def _on_task(self, session: Session, task: Task, command: Command) -> None:
        outcome = task.outcome if task.closed_at is not None else None
        value = Verification(outcome) if outcome in {v.value for v in Verification} else None
        session.execute(update(CardOpening).where(CardOpening.task_id == task.id).values(verification=value))
