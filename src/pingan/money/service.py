"""Use cases of fraud cases: open (by hand, from a file, from a dissuasion), edit, and keep the links.

Every use case is one transaction in the caller's session; each opening or edit brings the clusters up to
date before it returns (`linking.relink`), so that a case is linked as soon as it is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, text, tuple_, update
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.errors import BadInput, Forbidden, NotFound, first_problem
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, Area, Person, PersonPhone, Role, Task, Unit
from pingan.core.people import people_by_phone
from pingan.core.scope import REVEAL_ROLES, Scope
from pingan.core.tasks import Command, NewTask, TaskService
from pingan.money import linking
from pingan.money.extract import BadIdentifier, CaseIdentifierKind, derived, extract_identifiers, normalize
from pingan.money.linking import Key, LinkRules
from pingan.money.models import (
    Case,
    CaseIdentifier,
    CaseSource,
    CaseStatus,
    CaseSuspect,
    IdentifierOrigin,
    WarningIdentifier,
    WarningMember,
)
from pingan.money.ports import NoWarningLinks, SeenWarning, TypeClassifier, WarningLinks
from pingan.money.queries import key_counts
from pingan.money.rules import CaseRules
from pingan.money.schemas import FRAUD_TYPES, TYPE_NAMES, CaseCreate, CaseUpdate, IdentifierIn, VictimIn
from pingan.money.workflow import KIND as CASE_KIND
from pingan.money.workflow import REF_TYPE as CASE_REF
from pingan.money.workflow import CaseAction, CaseTaskStatus

SOURCE_NAMES = {
    CaseSource.MANUAL: "民警录入",
    CaseSource.IMPORT: "文件导入",
    CaseSource.DISSUASION: "劝阻发现已被骗",
    CaseSource.DESK: "群众求助报案",
    CaseSource.OPEN311: "Open311 报案",
    CaseSource.HOTLINE: "96110 报案",
    CaseSource.CITIZEN: "群众举报已被骗",
}
_CASE_STATUS: dict[str, CaseStatus] = {
    CaseTaskStatus.REGISTERED: CaseStatus.OPEN,
    CaseTaskStatus.INVESTIGATING: CaseStatus.OPEN,
    CaseTaskStatus.SOLVED: CaseStatus.SOLVED,
    CaseTaskStatus.PROSECUTED: CaseStatus.PROSECUTED,
    CaseTaskStatus.CLOSED: CaseStatus.CLOSED,
}

# --- who may do what: the one decision for cases ----------------------------------------------------------

READ_ROLES = frozenset({*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER})
WRITE_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.STATION_HEAD, Role.OFFICER})
BULK_ROLES = frozenset({Role.ADMIN, Role.ANALYST})
"""Importing files and relinking everything: the anti-fraud centre's work."""

_ACTION_ROLES = {"read": READ_ROLES, "write": WRITE_ROLES, "reveal": REVEAL_ROLES, "bulk": BULK_ROLES}
NOT_VISIBLE = "案件不存在或不在本单位辖区"


def permit(actor: Actor, scope: Scope, action: str, case: Case | None = None) -> None:
    """May `actor` do `action` (read, write, reveal, bulk) on `case` (or on cases at all)? Raises Forbidden,
    or NotFound for a case outside the actor's jurisdiction (which they are not told exists)."""
    if actor.role not in _ACTION_ROLES[action]:
        raise Forbidden("当前角色无权进行此操作" if action != "reveal" else "当前角色不能查看完整个人信息")
    if case is not None and not scope.covers(unit_id=case.unit_id, area_id=case.area_id):
        raise NotFound(NOT_VISIBLE, field="case_id")


# --- linking over the database ------------------------------------------------------------------------------


class DbLinkStore:
    """`linking.LinkStore` over the cases' and the warning members' tables, in one session: a member id above
    zero is a case, below zero minus a warning's id."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def keys_of(self, case_ids: Iterable[int]) -> dict[int, set[Key]]:
        out: dict[int, set[Key]] = {}
        cases, warnings = _split(case_ids)
        for chunk in _chunks(cases):
            rows = self.session.execute(
                select(CaseIdentifier.case_id, CaseIdentifier.kind, CaseIdentifier.value).where(
                    CaseIdentifier.case_id.in_(chunk), CaseIdentifier.linkable.is_(True)
                )
            )
            for case_id, kind, value in rows:
                out.setdefault(case_id, set()).add((kind, value))
        for chunk in _chunks(warnings):
            wrows = self.session.execute(
                select(WarningIdentifier.warning_id, WarningIdentifier.kind, WarningIdentifier.value).where(
                    WarningIdentifier.warning_id.in_(chunk)
                )
            )
            for warning_id, kind, value in wrows:
                out.setdefault(-warning_id, set()).add((kind, value))
        return out

    def counts(self, keys: Iterable[Key]) -> dict[Key, int]:
        return key_counts(self.session, sorted(set(keys)))

    def holders(self, keys: Iterable[Key]) -> dict[Key, set[int]]:
        out: dict[Key, set[int]] = {}
        for chunk in _chunks(sorted(set(keys))):
            rows = self.session.execute(
                select(CaseIdentifier.kind, CaseIdentifier.value, CaseIdentifier.case_id).where(
                    CaseIdentifier.linkable.is_(True), tuple_(CaseIdentifier.kind, CaseIdentifier.value).in_(chunk)
                )
            )
            for kind, value, case_id in rows:
                out.setdefault((kind, value), set()).add(case_id)
            wrows = self.session.execute(
                select(WarningIdentifier.kind, WarningIdentifier.value, WarningIdentifier.warning_id).where(
                    tuple_(WarningIdentifier.kind, WarningIdentifier.value).in_(chunk)
                )
            )
            for kind, value, warning_id in wrows:
                out.setdefault((kind, value), set()).add(-warning_id)
        return out

    def clusters_of(self, case_ids: Iterable[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        cases, warnings = _split(case_ids)
        for chunk in _chunks(cases):
            rows = self.session.execute(select(Case.id, Case.cluster_id).where(Case.id.in_(chunk)))
            out.update({c: k if k is not None else c for c, k in rows})
        for chunk in _chunks(warnings):
            wrows = self.session.execute(
                select(WarningMember.warning_id, WarningMember.cluster_id).where(WarningMember.warning_id.in_(chunk))
            )
            out.update({-w: k if k is not None else -w for w, k in wrows})
        return out

    def members(self, cluster_ids: Iterable[int]) -> set[int]:
        out: set[int] = set()
        for chunk in _chunks(sorted(set(cluster_ids))):
            out.update(self.session.scalars(select(Case.id).where(Case.cluster_id.in_(chunk))))
            out.update(
                -w
                for w in self.session.scalars(
                    select(WarningMember.warning_id).where(WarningMember.cluster_id.in_(chunk))
                )
            )
        return out

    def set_clusters(self, assignment: Mapping[int, int]) -> None:
        current = self.clusters_of(assignment)
        by_cluster: dict[int, list[int]] = {}
        for member, cluster in assignment.items():
            if current.get(member) != cluster:
                by_cluster.setdefault(cluster, []).append(member)
        for cluster, members in by_cluster.items():
            cases, warnings = _split(members)
            for chunk in _chunks(cases):
                self.session.execute(
                    update(Case).where(Case.id.in_(chunk)).values(cluster_id=cluster),
                    execution_options={"synchronize_session": False},
                )
            for chunk in _chunks(warnings):
                self.session.execute(
                    update(WarningMember).where(WarningMember.warning_id.in_(chunk)).values(cluster_id=cluster),
                    execution_options={"synchronize_session": False},
                )


def _split(members: Iterable[int]) -> tuple[list[int], list[int]]:
    """Member ids as (case ids, warning ids), each sorted and distinct."""
    distinct = set(members)
    return sorted(m for m in distinct if m > 0), sorted(-m for m in distinct if m < 0)


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def lock_linking(session: Session) -> None:
    """One relink at a time per database: PostgreSQL's transaction-scoped advisory lock (SQLite has one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7310)"))


# --- the use cases ---------------------------------------------------------------------------------------------


@dataclass
class Rejected:
    line: int
    field: str | None
    message: str


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class DefraudedWarning:
    """A dissuasion whose outcome was "already defrauded", as the fraud capability hands it over."""

    warning_id: int
    at: datetime
    phone: str
    person_id: int | None
    area_id: int | None
    unit_id: int | None
    loss_fen: int
    fraud_type: str
    narrative: str
    identifiers: Sequence[tuple[str, str]]
    """(kind, value) of the counterparts the warning's events named."""
    source: CaseSource = CaseSource.DISSUASION
    """Where it came from: a dissuasion's outcome, or a report whose text said the money was gone (96110,
    a citizen's report, a desk or Open311 request)."""
    source_id: str | None = None
    """The source's own id (default `warning-<id>` for a dissuasion)."""


class CaseService:
    def __init__(
        self,
        clock: Clock,
        rules: CaseRules,
        jurisdictions: Jurisdictions,
        tasks: TaskService | None = None,
        classifier: TypeClassifier | None = None,
        *,
        warning_links: WarningLinks | None = None,
    ) -> None:
        self.clock = clock
        self.rules = rules
        self.link_rules: LinkRules = rules.link_rules()
        self.jurisdictions = jurisdictions
        self.tasks = tasks
        self.classifier = classifier
        self.warning_links: WarningLinks = warning_links or NoWarningLinks()
        """Warnings (nobody defrauded yet) naming an identifier of a case, shown on its cluster."""
        if tasks is not None:
            tasks.listen(CASE_KIND, self._on_task)

    # -- the investigation's task ------------------------------------------------------------------------

    def _open_task(self, session: Session, case: Case) -> None:
        """Every case is investigated on the one task workflow (kind `case`), held by its station."""
        if self.tasks is None or case.task_id is not None:
            return
        spec = NewTask(
            kind=CASE_KIND,
            title=f"诈骗案件 {TYPE_NAMES.get(case.fraud_type, case.fraud_type)} 损失 {case.loss_fen / 100:.2f} 元",
            ref_type=CASE_REF,
            ref_id=case.id,
            area_id=case.area_id,
            unit_id=case.unit_id,
            level="high" if case.loss_fen >= 10_000_000 else "medium",  # 10 万元 or more: 重大
            actor_id=case.created_by,
            reason=f"立案（{SOURCE_NAMES[case.source]}）",
        )
        (task,) = self.tasks.create_many(session, [spec])
        case.task_id = task.id

    def _on_task(self, session: Session, task: Task, command: Command) -> None:
        """Keep the case in step with its task: its status, when it was solved, the suspects recorded."""
        case = session.get(Case, task.ref_id) if task.ref_type == CASE_REF else None
        if case is None:
            return
        now = self.clock.now()
        if command.action == CaseAction.ADD_SUSPECT:
            data = command.data
            session.add(
                CaseSuspect(
                    case_id=case.id,
                    name=str(data.get("name") or "")[:100],
                    id_number=str(data["id_number"]).upper() if data.get("id_number") else None,
                    phone=str(data["phone"])[:20] if data.get("phone") else None,
                    role=str(data["role"])[:100] if data.get("role") else None,
                    caught=bool(data.get("caught")),
                    area_id=case.area_id,
                    recorded_by=command.actor_id,
                    recorded_at=now,
                )
            )
        status = _CASE_STATUS.get(task.status, CaseStatus.OPEN)
        if task.status == CaseTaskStatus.CLOSED and task.outcome == "solved":
            status = CaseStatus.SOLVED  # solved, then closed: still a solved case
        case.status = status
        if command.action == CaseAction.SOLVE and case.solved_at is None:
            case.solved_at = now  # the first time: a reopened and solved-again case stays in its period's figures
        case.updated_at = now

    def _predict(self, case: Case, *, given_type: bool) -> None:
        """The classifier's reading of the narrative; a case opened without a type takes the predicted one."""
        if self.classifier is None or not case.narrative.strip():
            case.predicted_type = None
            case.predicted_confidence = None
            return
        (prediction,) = self.classifier.classify([case.narrative])
        case.predicted_type = str(prediction.label)
        case.predicted_confidence = round(float(prediction.confidence), 4)
        if not given_type and case.predicted_type in FRAUD_TYPES:
            case.fraud_type = case.predicted_type

    # -- opening -----------------------------------------------------------------------------------------

    def open(
        self, session: Session, actor: Actor | None, scope: Scope | None, body: CaseCreate, source: CaseSource
    ) -> tuple[Case, bool]:
        """Open one case (or find the one a replay of the same source id opened). Returns (case, created)."""
        if actor is not None and scope is not None:
            permit(actor, scope, "write")
        lock_linking(session)
        case, created = self._store(session, actor, scope, body, source)
        if created:
            linking.relink(DbLinkStore(session), [case.id], (), self.link_rules)
            session.refresh(case)
        return case, created

    def import_many(
        self, session: Session, actor: Actor | None, lines: Sequence[tuple[int, Mapping[str, Any]]]
    ) -> ImportReport:
        """Open the cases of a batch of file lines; a bad line is reported by number and field, the good kept.
        One relink for the batch."""
        report = ImportReport()
        lock_linking(session)
        for line, raw in lines:
            try:
                body = CaseCreate.model_validate(dict(raw))
            except ValidationError as exc:
                fld, _code, message = first_problem(exc)
                report.rejected.append(Rejected(line, fld, message))
                continue
            if body.id is None:
                report.rejected.append(Rejected(line, "id", "a line of a file needs its id (the source's own)"))
                continue
            try:
                with session.begin_nested():
                    case, created = self._store(session, actor, None, body, CaseSource.IMPORT)
            except BadInput as exc:
                report.rejected.append(Rejected(line, exc.field, exc.message))
                continue
            if created:
                report.created += 1
                report.case_ids.append(case.id)
            else:
                report.duplicates += 1
        if report.case_ids:
            linking.relink(DbLinkStore(session), report.case_ids, (), self.link_rules)
        return report

    def open_from_dissuasion(self, session: Session, warning: DefraudedWarning) -> Case:
        """The case of a warning whose person was already defrauded: its dissuasion's outcome, or the report that
        raised it said so. Once per warning, whichever came first (a report's case takes the dissuasion's loss)."""
        source_id = warning.source_id or f"warning-{warning.warning_id}"
        found = session.scalar(
            select(Case)
            .where(
                (Case.warning_id == warning.warning_id)
                | ((Case.source == warning.source) & (Case.source_id == source_id))
            )
            .order_by(Case.id)
            .limit(1)
        )
        if found is not None:
            if warning.loss_fen and found.loss_fen != warning.loss_fen:
                found.loss_fen = warning.loss_fen  # the feedback's amount, given again with a close
                found.updated_at = self.clock.now()
            return found
        identifiers: list[IdentifierIn] = []
        for kind, value in warning.identifiers:
            try:
                identifiers.append(IdentifierIn(kind=CaseIdentifierKind(kind), value=value))
            except (ValueError, ValidationError):
                continue  # a counterpart the case kinds cannot read (an unknown kind) is left on the warning
        body = CaseCreate(
            id=source_id,
            reported_at=warning.at,
            victim=VictimIn(phone=warning.phone),
            loss_yuan=Decimal(warning.loss_fen) / 100,
            # "other" is no reading at all: the classifier's reading of the narrative then gives the type.
            fraud_type=warning.fraud_type if warning.fraud_type not in ("normal", "other") else None,
            narrative=warning.narrative[:20_000],
            identifiers=identifiers,
        )
        lock_linking(session)
        case, created = self._store(
            session, None, None, body, warning.source,
            area=(warning.area_id, warning.unit_id), warning_id=warning.warning_id, person_id=warning.person_id,
        )  # fmt: skip
        if created:
            linking.relink(DbLinkStore(session), [case.id], (), self.link_rules)
        return case

    def case_of_request(self, session: Session, request_id: int, warning_id: int | None) -> Case | None:
        """The case a desk (or Open311) request opened, by hand or on reading its text, or the one its warning
        opened (a dissuasion's "already defrauded")."""
        clause = Case.source.in_([CaseSource.DESK, CaseSource.OPEN311]) & (Case.source_id == str(request_id))
        if warning_id is not None:
            clause = clause | (Case.warning_id == warning_id)
        return session.scalar(select(Case).where(clause).order_by(Case.id).limit(1))

    def open_from_request(
        self,
        session: Session,
        *,
        request_id: int,
        through_open311: bool,
        reported_at: datetime,
        phone: str,
        area_id: int | None,
        loss_fen: int,
        narrative: str,
        fraud_type: str | None,
        occurred_at: datetime | None,
        actor_id: int,
        warning_id: int | None,
    ) -> tuple[Case, bool]:
        """已被骗，转立案: the case of a desk request whose resident was already defrauded, opened by the officer
        working it (whose access the desk decided). The victim is the resident (named from the registry when
        listed), the station the request's, the identifiers read from the narrative. Once per request: the case
        found (opened before by hand, on reading its text, or from its warning) is returned as it is."""
        found = self.case_of_request(session, request_id, warning_id)
        if found is not None:
            return found, False
        person = session.scalar(
            select(Person).join(PersonPhone, PersonPhone.person_id == Person.id).where(PersonPhone.phone == phone)
        )
        try:
            body = CaseCreate.model_validate(
                {
                    "id": str(request_id),
                    "reported_at": reported_at,
                    "occurred_at": occurred_at,
                    "victim": {
                        "name": person.name if person else None,
                        "phone": phone,
                        "id_number": person.id_number if person else None,
                    },
                    "loss_yuan": Decimal(loss_fen) / 100,
                    "fraud_type": fraud_type,
                    "narrative": narrative[:20_000],
                }
            )
        except ValidationError as exc:
            fld, code, message = first_problem(exc)
            raise BadInput(message, field=fld, code=code) from None
        if area_id is None and person is not None:
            area_id = person.station_id
        unit_id = self.jurisdictions.unit_for_station(session, area_id) if area_id is not None else None
        lock_linking(session)
        case, created = self._store(
            session, None, None, body, CaseSource.OPEN311 if through_open311 else CaseSource.DESK,
            area=(area_id, unit_id), warning_id=warning_id, person_id=person.id if person else None,
            created_by=actor_id,
        )  # fmt: skip
        if created:
            linking.relink(DbLinkStore(session), [case.id], (), self.link_rules)
            session.refresh(case)
        return case, created

    def _store(
        self,
        session: Session,
        actor: Actor | None,
        scope: Scope | None,
        body: CaseCreate,
        source: CaseSource,
        *,
        area: tuple[int | None, int | None] | None = None,
        warning_id: int | None = None,
        person_id: int | None = None,
        created_by: int | None = None,
    ) -> tuple[Case, bool]:
        source_id = body.id or uuid.uuid4().hex
        found = session.scalar(select(Case).where(Case.source == source, Case.source_id == source_id))
        if found is not None:
            return found, False
        now = self.clock.now()
        victim = body.victim
        if area is None:
            area = self._place(session, actor, scope, body.area_id, victim.phone)
        if person_id is None and victim.phone:
            facts = people_by_phone(session, [victim.phone]).get(victim.phone)
            person_id = facts.id if facts else None
        case = Case(
            source=source,
            source_id=source_id,
            # Several counties in one deployment: the county of the case's station, before the county setting.
            county_code=body.county_code
            or self.jurisdictions.county_code_of(session, area[0])
            or self.rules.county_code,
            area_id=area[0],
            unit_id=area[1],
            status=CaseStatus.OPEN,
            reported_at=body.reported_at,
            occurred_at=body.occurred_at,
            victim_name=victim.name,
            victim_phone=victim.phone,
            victim_id_number=victim.id_number,
            victim_person_id=person_id,
            loss_fen=int(body.loss_yuan * 100),
            fraud_type=body.fraud_type or "other",
            narrative=body.narrative,
            warning_id=warning_id,
            created_by=actor.id if actor else created_by,
            created_at=now,
            updated_at=now,
        )
        self._predict(case, given_type=body.fraud_type is not None)
        session.add(case)
        session.flush()
        case.cluster_id = case.id
        self._set_identifiers(session, case, body.identifiers, keep_given=False, extract=True)
        self._open_task(session, case)
        return case, True

    def _place(
        self, session: Session, actor: Actor | None, scope: Scope | None, area_id: int | None, phone: str | None
    ) -> tuple[int | None, int | None]:
        """The case's jurisdiction: the one given, else the victim's registered station, else (station staff
        opening it) their own station's; a station's staff may not open a case in another's."""
        if area_id is not None and session.get(Area, area_id) is None:
            raise BadInput("辖区不存在", field="area_id", code="no_such_area")
        if area_id is None and phone:
            facts = people_by_phone(session, [phone]).get(phone)
            area_id = facts.station_id if facts else None
        if area_id is None and actor is not None and actor.unit_id is not None and actor.role not in COUNTY_WIDE_ROLES:
            unit = session.get(Unit, actor.unit_id)
            area_id = unit.area_id if unit else None
        unit_id = self.jurisdictions.unit_for_station(session, area_id) if area_id is not None else None
        if scope is not None and not scope.covers(unit_id=unit_id, area_id=area_id):
            raise Forbidden("不能在本单位辖区以外立案", field="area_id")
        return area_id, unit_id

    def _set_identifiers(
        self, session: Session, case: Case, given: Sequence[IdentifierIn], *, keep_given: bool, extract: bool
    ) -> None:
        """The case's identifiers: what was `given`, plus (`extract`) what its narrative names, plus their
        derived keys. With `keep_given`, the ones given before are kept too. A given identifier that was
        stored before keeps where it came from (an edited list still says what the narrative named)."""
        existing = session.scalars(select(CaseIdentifier).where(CaseIdentifier.case_id == case.id)).all()
        before = {(i.kind, i.value): (i.origin, i.raw, i.position) for i in existing}
        kept: list[tuple[CaseIdentifierKind, str, str]] = []
        if keep_given:
            kept = [
                (CaseIdentifierKind(i.kind), i.value, i.raw) for i in existing if i.origin == IdentifierOrigin.GIVEN
            ]
        for row in existing:
            session.delete(row)
        session.flush()
        rows: dict[tuple[str, str], CaseIdentifier] = {}
        victim = case.victim_phone

        def put(kind: CaseIdentifierKind, value: str, raw: str, origin: IdentifierOrigin, pos: int | None) -> None:
            key = (kind.value, value)
            if key in rows:
                return
            linkable = kind is not CaseIdentifierKind.CARD_TAIL and not (
                kind is CaseIdentifierKind.PHONE and value == victim
            )
            rows[key] = CaseIdentifier(
                case_id=case.id, kind=kind.value, value=value, raw=raw[:255], origin=origin, linkable=linkable,
                position=pos,
            )  # fmt: skip
            if linkable:
                for dk, dv in derived(kind, value):
                    if (dk.value, dv) not in rows:
                        rows[(dk.value, dv)] = CaseIdentifier(
                            case_id=case.id, kind=dk.value, value=dv, raw=value[:255],
                            origin=IdentifierOrigin.DERIVED, linkable=True, position=pos,
                        )  # fmt: skip

        for kind, value, raw in kept:
            put(kind, value, raw, IdentifierOrigin.GIVEN, None)
        for item in given:
            kind, value = normalize(item.kind, item.value)
            old = before.get((kind.value, value))
            if old is not None and old[0] != IdentifierOrigin.DERIVED:
                put(kind, value, old[1], old[0], old[2])
            else:
                put(kind, value, item.value, IdentifierOrigin.GIVEN, None)
        if extract:
            for f in extract_identifiers(case.narrative):
                put(f.kind, f.value, f.raw, IdentifierOrigin.NARRATIVE, f.start)
        session.add_all(rows.values())
        session.flush()

    # -- editing -----------------------------------------------------------------------------------------

    def update(self, session: Session, actor: Actor, scope: Scope, case_id: int, body: CaseUpdate) -> Case:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(NOT_VISIBLE, field="case_id")
        permit(actor, scope, "write", case)
        lock_linking(session)
        old_keys = DbLinkStore(session).keys_of([case.id]).get(case.id, set())
        fields = body.model_fields_set
        if "area_id" in fields and body.area_id is not None and body.area_id != case.area_id:
            case.area_id, case.unit_id = self._place(session, actor, scope, body.area_id, None)
        if body.victim is not None:
            case.victim_name = body.victim.name
            case.victim_phone = body.victim.phone
            case.victim_id_number = body.victim.id_number
        if body.loss_yuan is not None:
            case.loss_fen = int(body.loss_yuan * 100)
        if body.fraud_type is not None:
            case.fraud_type = body.fraud_type
        if body.status is not None and body.status != case.status:
            if case.task_id is not None:
                raise BadInput(
                    "案件状态随侦办任务变化：请在任务上受理、破案、移送起诉或撤案", field="status", code="use_case_task"
                )
            case.status = body.status
        if "occurred_at" in fields:
            case.occurred_at = body.occurred_at
        relink = False
        if body.identifiers is not None:
            if body.narrative is not None:
                case.narrative = body.narrative
            self._set_identifiers(session, case, body.identifiers, keep_given=False, extract=False)
            relink = True
        elif body.narrative is not None or body.victim is not None:
            if body.narrative is not None:
                case.narrative = body.narrative
            self._set_identifiers(session, case, [], keep_given=True, extract=True)
            relink = True
        if body.narrative is not None:
            self._predict(case, given_type=True)
        case.updated_at = self.clock.now()
        session.flush()
        if relink:
            linking.relink(DbLinkStore(session), [case.id], old_keys, self.link_rules)
            session.refresh(case)
        return case

    def link_warnings(self, session: Session, seen: Sequence[SeenWarning]) -> dict[int, int]:
        """Take warnings into the clusters (in the caller's transaction, as their events are stored): each
        is a member by the counterparts its events named, normalised as a case's identifiers are (a value
        that does not read as its kind is left out). Returns the new cluster of every member looked at."""
        if not any(_warning_keys(k, v) for item in seen for k, v, _ in item.identifiers):
            return {}
        lock_linking(session)
        changed = self._store_warnings(session, seen)
        if not changed:
            return {}
        return linking.relink(DbLinkStore(session), changed, [], self.link_rules)

    def relink_all(self, session: Session) -> dict[str, int]:
        """Every cluster computed again from scratch (after the stoplist or the cap changed), the warnings'
        counterparts read again from the warnings (what was stored before warnings were members included)."""
        lock_linking(session)
        after = 0
        while batch := self.warning_links.seen(session, after, 2000):
            self._store_warnings(session, batch)
            after = max(w.warning_id for w in batch)
        store = DbLinkStore(session)
        member_ids = list(session.scalars(select(Case.id)))
        member_ids += [linking.warning_member(w) for w in session.scalars(select(WarningMember.warning_id))]
        held = store.keys_of(member_ids)
        counts: dict[Key, int] = {}
        for keys in held.values():
            for key in keys:
                counts[key] = counts.get(key, 0) + 1
        blocked = set(linking.blocked_keys(counts, self.link_rules))
        assignment = linking.batch_clusters({c: held.get(c, set()) for c in member_ids}, blocked)
        store.set_clusters(assignment)
        return {
            "cases": sum(1 for m in member_ids if m > 0),
            "warnings": sum(1 for m in member_ids if m < 0),
            "clusters": len(set(assignment.values())),
            "blocked": len(blocked),
        }

    def _store_warnings(self, session: Session, seen: Sequence[SeenWarning]) -> list[int]:
        """Warning members and their keys as `seen` says (the last report of a warning says where it lies);
        returns the member ids of the warnings that are new or hold a new key."""
        keys: dict[int, dict[Key, str]] = {}
        last: dict[int, SeenWarning] = {}
        for item in seen:
            last[item.warning_id] = item
            own = keys.setdefault(item.warning_id, {})
            for kind, value, source_id in item.identifiers:
                for key in _warning_keys(kind, value):
                    own.setdefault(key, source_id[:128])
        ids = sorted(w for w, own in keys.items() if own)
        members: dict[int, WarningMember] = {}
        held: set[tuple[int, str, str]] = set()
        for chunk in _chunks(ids):
            members.update(
                (m.warning_id, m)
                for m in session.scalars(select(WarningMember).where(WarningMember.warning_id.in_(chunk)))
            )
            rows = session.execute(
                select(WarningIdentifier.warning_id, WarningIdentifier.kind, WarningIdentifier.value).where(
                    WarningIdentifier.warning_id.in_(chunk)
                )
            )
            held.update((warning_id, kind, value) for warning_id, kind, value in rows)
        for warning_id in ids:
            item = last[warning_id]
            county = self._county(session, item.area_id, item.unit_id)
            member = members.get(warning_id)
            if member is None:
                member = WarningMember(warning_id=warning_id, at=item.at, cluster_id=linking.warning_member(warning_id))
                session.add(member)
            member.area_id, member.unit_id, member.county_code = item.area_id, item.unit_id, county
        session.flush()  # the members before their keys (no relationship orders the inserts)
        changed: list[int] = []
        for warning_id in ids:
            fresh = [(key, source_id) for key, source_id in keys[warning_id].items() if (warning_id, *key) not in held]
            session.add_all(
                WarningIdentifier(warning_id=warning_id, kind=kind, value=value, source_id=source_id)
                for (kind, value), source_id in fresh
            )
            if fresh or warning_id not in members:
                changed.append(linking.warning_member(warning_id))
        session.flush()
        return changed

    def _county(self, session: Session, area_id: int | None, unit_id: int | None) -> str:
        """The county of a warning: its station's, else (a lead the province addressed to a county's centre,
        placed at no station) the holding unit's, else the county setting."""
        county = self.jurisdictions.county_code_of(session, area_id)
        if county is None and area_id is None and unit_id is not None:
            unit_area = session.scalar(select(Unit.area_id).where(Unit.id == unit_id))
            county = self.jurisdictions.county_code_of(session, unit_area)
        return county or self.rules.county_code


def _warning_keys(kind: str, value: str) -> list[Key]:
    """The keys a counterpart a warning named links by: normalised as a case's identifier, with a URL's
    host and registrable domain; none for a kind cases do not link by or a value that does not read."""
    try:
        as_kind = CaseIdentifierKind(kind)
    except ValueError:
        return []
    if as_kind is CaseIdentifierKind.CARD_TAIL:
        return []
    try:
        norm_kind, norm = normalize(as_kind, value)
    except BadIdentifier:
        return []
    return [(norm_kind.value, norm)] + [(k.value, v) for k, v in derived(norm_kind, norm)]
