"""Wire the services together once: the app, the CLI, the demo and the tests all call `bootstrap()`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

# Every capability's tables on Base.metadata, for `Database.create_all()` (the core imports no capability).
from pingan import models  # noqa: F401
from pingan.adapters.jetstream import LazyJetStream, StreamSettings
from pingan.command.alarms import rules as alarm_rules
from pingan.command.alarms.rules import AlarmRules
from pingan.command.alarms.service import Alarms
from pingan.command.alarms.workflow import AlarmWorkflow
from pingan.command.dangers import rules as danger_rules
from pingan.command.dangers.ports import StoredPhoto
from pingan.command.dangers.rules import DangerRules
from pingan.command.dangers.service import Dangers
from pingan.command.dangers.workflow import DangerWorkflow, PartWorkflow
from pingan.command.disputes import rules as dispute_rules
from pingan.command.disputes.rules import DisputeRules
from pingan.command.disputes.service import Disputes
from pingan.command.disputes.workflow import DisputeWorkflow
from pingan.command.patrol import rules as patrol_rules
from pingan.command.patrol.rules import PatrolRules
from pingan.command.patrol.service import Patrol
from pingan.command.ranking import rules as ranking_rules
from pingan.command.ranking.indicators import DeskEvaluation, IndicatorRegistry, builtin_indicators
from pingan.command.ranking.rules import RankingRules
from pingan.command.ranking.service import RankingService
from pingan.command.rehab import rules as rehab_rules
from pingan.command.rehab.rules import RehabRules
from pingan.command.rehab.service import RehabService
from pingan.command.rehab.workflow import RehabCheckinWorkflow
from pingan.command.reports import rules as report_rules
from pingan.command.reports.rules import ReportRules
from pingan.command.reports.service import ReportService
from pingan.command.traffic.service import TrafficService
from pingan.command.verify import rules as verify_rules
from pingan.command.verify.rules import VerifyRules
from pingan.command.verify.service import VerifyService
from pingan.command.verify.workflow import VerificationWorkflow
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock, SystemClock
from pingan.core.db import Database
from pingan.core.errors import BadInput, PinganError
from pingan.core.identity import Actor
from pingan.core.logins import LoginGuard, LoginPolicy
from pingan.core.models import Area, AreaKind, Person, Task
from pingan.core.notify import Delivery, Notifier
from pingan.core.outbox import Outbox, OutboxPolicy
from pingan.core.rules import CountyRules, RulesRegistry
from pingan.core.series import Bucket, bucket_index
from pingan.core.settings import Settings, get_settings
from pingan.core.tasks import Command, TaskService, Workflow
from pingan.desk import queries as desk_queries
from pingan.desk.media import MediaStore, Upload
from pingan.desk.models import MediaKind
from pingan.desk.open311.models import Open311Request
from pingan.desk.otp import LoggingSmsGateway, SmsGateway
from pingan.desk.places import Places
from pingan.desk.ports import CaseRef, DefraudedRequest, FraudLead, FraudOutcome
from pingan.desk.rules import county as desk_rules
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.kinds import PushKind
from pingan.desk.schemas import PushCreate
from pingan.desk.wiring import Desk, build_desk, dingtalk_delivery
from pingan.desk.workflow import DeskWorkflow
from pingan.fraud import rules as fraud_rules
from pingan.fraud.classify import FraudClassifier
from pingan.fraud.intake import FraudIntake
from pingan.fraud.models import FraudEvent, FraudWarning, Indicator, Level, Outcome
from pingan.fraud.ports import NamedCounterpart, ReportedLoss
from pingan.fraud.rules import DissuasionRules, GradingRules
from pingan.fraud.service import FraudService
from pingan.fraud.workflow import KIND as DISSUASION_KIND
from pingan.fraud.workflow import DissuasionAction, DissuasionWorkflow
from pingan.money import rules as money_rules
from pingan.money.campaigns import CampaignService
from pingan.money.cards.ports import CaseIdentifierLinks, CaseLinkedPeople
from pingan.money.cards.rules import county as card_rules
from pingan.money.cards.rules.county import CardRules
from pingan.money.cards.service import CardsService
from pingan.money.cards.workflow import CardVerificationWorkflow
from pingan.money.models import Case, CaseSource
from pingan.money.payments import rules as payment_rules
from pingan.money.payments.rules import PaymentRules
from pingan.money.payments.service import PaymentService
from pingan.money.payments.workflow import StopWorkflow
from pingan.money.ports import PushResult, SeenWarning, WarningFacts, WarningFigures, WarningRow
from pingan.money.rules import CaseRules
from pingan.money.schemas import TYPE_NAMES
from pingan.money.service import CaseService, DefraudedWarning
from pingan.money.workflow import CaseWorkflow
from pingan.tracking import rules as tracking_rules
from pingan.tracking.rules import TrackingRules
from pingan.tracking.service import Tracking
from pingan.tracking.workflow import AlertWorkflow, MaintenanceWorkflow, TheftWorkflow

RULE_TABLES: tuple[Callable[[RulesRegistry], None], ...] = (
    fraud_rules.register_rules,
    desk_rules.register_rules,
    money_rules.register_rules,
    payment_rules.register_rules,
    card_rules.register_rules,
    tracking_rules.register_rules,
    ranking_rules.register_rules,
    patrol_rules.register_rules,
    alarm_rules.register_rules,
    verify_rules.register_rules,
    rehab_rules.register_rules,
    danger_rules.register_rules,
    dispute_rules.register_rules,
    report_rules.register_rules,
)
"""Each capability's registration of its county rules tables; a new capability adds its own here."""


def rules_registry() -> RulesRegistry:
    registry = RulesRegistry()
    for register in RULE_TABLES:
        register(registry)
    return registry


def load_rules(path: Path | None = None) -> CountyRules:
    """Every capability's packaged defaults, with the tables of the county file `path` (if given) laid over them."""
    return rules_registry().load(path)


DESK_SOURCE = "desk"


class DeskAddressPlaces:
    """The command centre's `AddressPlaces` over the desk's matcher of the county's area names."""

    def __init__(self, places: Places) -> None:
        self.places = places

    def station_of(self, session: Session, address: str) -> int | None:
        place = self.places.address(session, address)
        return place.station_id if place is not None else None


class IntakeFraudReports:
    """The desk's `FraudReports` over the fraud intake: each lead a resident's `report` event from the desk,
    its event id the request's (so that a report made twice is stored once)."""

    def __init__(self, intake: FraudIntake, classifier: FraudClassifier | None = None) -> None:
        self.intake = intake
        self.classifier = classifier

    def report(self, session: Session, leads: Sequence[FraudLead]) -> Mapping[int, FraudOutcome]:
        items: list[dict[str, object]] = []
        for lead in leads:
            item: dict[str, object] = {
                "id": f"{DESK_SOURCE}-{lead.request_id}",
                "source": DESK_SOURCE,
                "kind": "report",
                "at": lead.at,
                "subject_phone": lead.phone,
                "text": lead.text,
            }
            if lead.lon is not None and lead.lat is not None:
                item.update(lon=lead.lon, lat=lead.lat, crs="wgs84")
            items.append(item)
        result = self.intake.ingest_in(session, items)
        refused = {r.id: r.message for r in result.rejected}
        warnings = dict(
            session.execute(
                select(FraudEvent.source_id, FraudEvent.warning_id).where(
                    FraudEvent.source == DESK_SOURCE, FraudEvent.source_id.in_([i["id"] for i in items])
                )
            ).all()
        )
        types = self.classifier.classify([lead.text for lead in leads]) if self.classifier is not None else None
        outcomes: dict[int, FraudOutcome] = {}
        for i, lead in enumerate(leads):
            source_id = f"{DESK_SOURCE}-{lead.request_id}"
            kind = types[i] if types is not None and lead.text else None
            outcomes[lead.request_id] = FraudOutcome(
                warnings.get(source_id),
                refused.get(source_id),
                kind.label.value if kind else None,
                kind.name if kind else None,
                kind.confidence if kind else None,
            )
        return outcomes


class DefraudedCases:
    """A dissuasion task's listener: a warning whose outcome becomes "already defrauded" (feedback or close)
    opens its case, with the counterparts the warning's events named and their texts as the narrative."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def __call__(self, session: Session, task: Task, command: Command) -> None:
        if (
            command.action not in (DissuasionAction.FEEDBACK, DissuasionAction.CLOSE)
            or task.ref_type != "fraud_warning"
        ):
            return
        warning = session.get(FraudWarning, task.ref_id)
        if warning is None or warning.outcome is not Outcome.DEFRAUDED:
            return
        events = session.scalars(
            select(FraudEvent).where(FraudEvent.warning_id == warning.id).order_by(FraudEvent.at)
        ).all()
        identifiers = [(e.counterpart_kind, e.counterpart) for e in events if e.counterpart and e.counterpart_kind]
        lines = [f"{e.at.isoformat()} {e.source}/{e.kind}：{e.text}" for e in events if e.text]
        if command.reason:
            lines.append(f"劝阻反馈：{command.reason}")
        self.cases.open_from_dissuasion(
            session,
            DefraudedWarning(
                warning_id=warning.id,
                at=warning.closed_at or warning.updated_at,
                phone=warning.subject_phone,
                person_id=warning.person_id,
                area_id=warning.area_id,
                unit_id=warning.unit_id,
                loss_fen=warning.amount_lost_fen,
                fraud_type=warning.fraud_type,
                narrative="\n".join(lines),
                identifiers=identifiers,
            ),
        )


class FraudWarningFigures:
    """Money's `WarningFigures` over the fraud capability's warnings and indicator lists."""

    def grouped(
        self, session: Session, edges: Sequence[tuple[datetime, datetime]], area_ids: Sequence[int] | None
    ) -> list[WarningRow]:
        w = FraudWarning
        # The type on the warning (its indicator's), or the one read in its texts when the indicator named none.
        kind = case(
            (
                and_(w.fraud_type == "other", w.predicted_type.is_not(None), w.predicted_type != "normal"),
                w.predicted_type,
            ),
            else_=w.fraud_type,
        )
        out: list[WarningRow] = []
        # Contiguous edges (a series' buckets) are one query with one CASE; the others one query each.
        runs: list[list[int]] = []
        for i, (start, _end) in enumerate(edges):
            if runs and edges[runs[-1][-1]][1] == start:
                runs[-1].append(i)
            else:
                runs.append([i])
        for run in runs:
            cuts = [Bucket(*edges[i]) for i in run]
            index = bucket_index(w.created_at, cuts).label("bucket")
            conds = [w.created_at >= cuts[0].start, w.created_at < cuts[-1].end]
            if area_ids is not None:
                conds.append(w.area_id.in_(list(area_ids)))
            query = (
                select(
                    index,
                    kind.label("kind"),
                    w.area_id,
                    Person.birth_year,
                    func.count(w.id),
                    func.coalesce(func.sum(case((w.outcome == Outcome.DISSUADED, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((w.outcome == Outcome.DEFRAUDED, 1), else_=0)), 0),
                    func.coalesce(func.sum(w.amount_protected_fen), 0),
                    func.coalesce(func.sum(w.amount_lost_fen), 0),
                )
                .outerjoin(Person, Person.id == w.person_id)
                .where(and_(*conds))
                .group_by(index, kind, w.area_id, Person.birth_year)
            )
            for b, fraud_type, area_id, birth_year, n, dissuaded, defrauded, protected, lost in session.execute(query):
                if b < 0:
                    continue
                out.append(
                    WarningRow(
                        run[int(b)],
                        str(fraud_type),
                        area_id,
                        birth_year,
                        int(n),
                        int(dissuaded),
                        int(defrauded),
                        int(protected),
                        int(lost),
                    )
                )
        return out

    def numbers_blocked(self, session: Session, start: datetime, end: datetime) -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Indicator)
                .where(Indicator.kind == "phone", Indicator.created_at >= start, Indicator.created_at < end)
            )
            or 0
        )


class DeskWarningPushes:
    """Money's `WarningPushes` over the desk's pushes (kind 电诈预警)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def push(self, actor: Actor, *, title: str, body: str, area_ids: Sequence[int], tags: Sequence[str]) -> PushResult:
        sent = self.desk.pushes.send(
            actor,
            PushCreate.model_validate(
                {"kind": PushKind.FRAUD, "title": title, "body": body, "area_ids": list(area_ids), "tags": list(tags)}
            ),
        )
        return PushResult(sent.id, sent.targeted, sent.delivered, sent.held)


class EventWarningLinks:
    """Money's `WarningLinks` over the fraud warnings and their events' counterparts."""

    def facts(self, session: Session, warning_ids: Sequence[int]) -> dict[int, WarningFacts]:
        out: dict[int, WarningFacts] = {}
        for i in range(0, len(warning_ids), 500):
            rows = session.execute(
                select(FraudWarning.id, FraudWarning.level, FraudWarning.outcome).where(
                    FraudWarning.id.in_(warning_ids[i : i + 500])
                )
            )
            for wid, level, outcome in rows:
                out[wid] = WarningFacts(Level(level).value, Outcome(outcome).value if outcome is not None else None)
        return out

    def seen(self, session: Session, after_id: int, limit: int) -> list[SeenWarning]:
        w, e = FraudWarning, FraudEvent
        warnings = session.execute(
            select(w.id, w.created_at, w.area_id, w.unit_id)
            .where(w.id > after_id, w.id.in_(select(e.warning_id).where(e.counterpart.is_not(None))))
            .order_by(w.id)
            .limit(limit)
        ).all()
        if not warnings:
            return []
        named: dict[int, list[tuple[str, str, str]]] = {}
        rows = session.execute(
            select(e.warning_id, e.counterpart_kind, e.counterpart, e.source_id)
            .where(e.warning_id.in_([row[0] for row in warnings]), e.counterpart.is_not(None))
            .order_by(e.id)
        )
        for wid, kind, value, source_id in rows:
            if kind is not None and wid is not None:
                named.setdefault(wid, []).append((str(kind), str(value), source_id))
        return [SeenWarning(wid, at, area_id, unit_id, named.get(wid, [])) for wid, at, area_id, unit_id in warnings]


class WarningClusters:
    """The fraud intake's `CounterpartLinks` over the cases' clusters: a warning is linked as its events
    arrive."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def named(self, session: Session, named: Sequence[NamedCounterpart]) -> None:
        self.cases.link_warnings(
            session,
            [
                SeenWarning(x.warning_id, x.opened_at, x.area_id, x.unit_id, [(x.kind, x.value, x.source_id)])
                for x in named
            ],
        )


def _desk_request(event_id: str) -> int | None:
    """The desk request an intake event of the desk stands for (`desk-<id>`, as `IntakeFraudReports` names it);
    None for an id of another shape (a feed may send source `desk` with its own ids)."""
    rest = event_id.removeprefix(f"{DESK_SOURCE}-")
    return int(rest) if rest != event_id and rest.isdigit() and len(rest) < 19 else None


class LossCases:
    """The fraud intake's `LossReports` over the cases: a 96110 call, a citizen's report or a desk request
    (an Open311 one included) whose text says the money is gone opens its case at once, once per warning."""

    SOURCES: Mapping[str, CaseSource] = {
        "hotline": CaseSource.HOTLINE,
        "citizen": CaseSource.CITIZEN,
        "desk": CaseSource.DESK,
    }

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def reported(self, session: Session, losses: Sequence[ReportedLoss]) -> None:
        desk_ids = [request for x in losses if x.source == DESK_SOURCE and (request := _desk_request(x.source_id))]
        through_open311 = (
            set(session.scalars(select(Open311Request.request_id).where(Open311Request.request_id.in_(desk_ids))))
            if desk_ids
            else set()
        )
        for loss in losses:
            source = self.SOURCES.get(loss.source, CaseSource.CITIZEN)
            source_id = loss.source_id
            request_id = _desk_request(source_id) if loss.source == DESK_SOURCE else None
            if request_id is not None:
                source = CaseSource.OPEN311 if request_id in through_open311 else CaseSource.DESK
                source_id = str(request_id)  # as `POST /cases?source=desk` names it: the request's own id
            self.cases.open_from_dissuasion(
                session,
                DefraudedWarning(
                    warning_id=loss.warning_id,
                    at=loss.at,
                    phone=loss.phone,
                    person_id=loss.person_id,
                    area_id=loss.area_id,
                    unit_id=loss.unit_id,
                    loss_fen=loss.amount_fen,
                    fraud_type=loss.fraud_type,
                    narrative=f"{loss.text}\n（据报案内容“{loss.phrase}”自动立案）",
                    identifiers=loss.identifiers,
                    source=source,
                    source_id=source_id,
                ),
            )


class DeskCases:
    """The desk's `FraudCases` over the cases: 已被骗，转立案 from a request, once per request."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    @staticmethod
    def _ref(case: Case, created: bool) -> CaseRef:
        return CaseRef(
            case_id=case.id,
            created=created,
            loss_fen=case.loss_fen,
            fraud_type=case.fraud_type,
            fraud_type_name=TYPE_NAMES.get(case.fraud_type, case.fraud_type),
            status=case.status.value,
            opened_at=case.created_at,
        )

    def case_of(self, session: Session, request_id: int, warning_id: int | None) -> CaseRef | None:
        case = self.cases.case_of_request(session, request_id, warning_id)
        return self._ref(case, False) if case is not None else None

    def open(self, session: Session, request: DefraudedRequest) -> CaseRef:
        case, created = self.cases.open_from_request(
            session,
            request_id=request.request_id,
            through_open311=request.through_open311,
            reported_at=request.reported_at,
            phone=request.phone,
            area_id=request.area_id,
            loss_fen=request.loss_fen,
            narrative=request.narrative,
            fraud_type=request.fraud_type,
            occurred_at=request.occurred_at,
            actor_id=request.actor_id,
            warning_id=request.warning_id,
        )
        return self._ref(case, created)


class MediaPhotoStore:
    """Hidden dangers' `PhotoStore` over the desk's media store (the same sniffing, size limits and atomic
    writes), in a folder of its own under the media folder; images only."""

    def __init__(self, store: MediaStore) -> None:
        self.store_ = store
        self.read_limit = store.max_image_bytes + 1

    def store(
        self, filename: str | None, declared_type: str | None, data: bytes, now: datetime, field: str
    ) -> StoredPhoto:
        try:
            (checked,) = self.store_.check([Upload(filename, declared_type, data)])
        except PinganError as exc:
            exc.field = field
            raise
        if checked.kind is not MediaKind.IMAGE:
            raise BadInput("只接受 JPEG/PNG/WebP 照片", field=field, code="unsupported_media_type")
        saved = self.store_.write(checked, now)
        return StoredPhoto(saved.relative, checked.mime, checked.size, checked.sha256, checked.filename)

    def discard(self, relative: str) -> None:
        with contextlib.suppress(FileNotFoundError, PinganError):
            self.store_.path_of(relative).unlink()

    def path_of(self, relative: str) -> Path:
        return self.store_.path_of(relative)


def outbox_policy(settings: Settings) -> OutboxPolicy:
    return OutboxPolicy(
        max_attempts=settings.outbox_max_attempts,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        backoff=timedelta(seconds=settings.outbox_backoff_seconds),
        backoff_cap=timedelta(seconds=settings.outbox_backoff_max_seconds),
    )


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    rules: CountyRules
    notifier: Notifier
    outbox: Outbox
    tasks: TaskService
    jurisdictions: Jurisdictions
    intake: FraudIntake
    classifier: FraudClassifier
    """`classify(texts) -> list[Prediction]`, for any capability's port (money's cases)."""
    fraud: FraudService
    desk: Desk
    cases: CaseService
    cards: CardsService
    logins: LoginGuard
    payments: PaymentService
    tracking: Tracking
    ranking: RankingService
    """Rankings (打榜): `rank(session, period, board)`; other parts add indicators to `ranking.indicators`."""
    campaigns: CampaignService
    warning_figures: WarningFigures
    """The fraud warnings and indicator lists as money's analysis and interception figures read them."""
    patrol: Patrol
    alarms: Alarms
    verify: VerifyService
    rehab: RehabService
    traffic: TrafficService
    dangers: Dangers
    disputes: Disputes
    reports: ReportService
    streams: LazyJetStream | None = None
    """Set when `PINGAN_NATS_URL` is: the intakes publish there instead of writing (several machines)."""

    def county_code(self) -> str:
        """The county's code in stream subjects: the setting, else the county area's code."""
        if self.settings.county:
            return self.settings.county
        with self.db.session() as session:
            code = session.scalar(select(Area.code).where(Area.kind == AreaKind.COUNTY).order_by(Area.id).limit(1))
        return code or "default"

    def close(self) -> None:
        if self.streams is not None:
            self.streams.close()
        self.desk.close()
        self.db.dispose()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    rules: CountyRules | None = None,
    deliveries: tuple[Delivery, ...] = (),
    sms: SmsGateway | None = None,
    dingtalk_transport: httpx.BaseTransport | None = None,
    case_links: CaseLinkedPeople | None = None,
) -> Services:
    settings = settings or get_settings()
    settings.signing_key()  # no key, no start: MissingSecret says how to get one
    clock = clock or SystemClock()
    db = db or Database(settings.database_url)
    rules = rules or load_rules(settings.rules_file)
    # Durable work of every capability: each registers the handlers of its kinds as it is wired below.
    outbox = Outbox(db, clock, outbox_policy(settings))
    dingtalk = dingtalk_delivery(settings, db, clock, outbox, transport=dingtalk_transport)
    notifier = Notifier(clock, (*deliveries, dingtalk) if dingtalk is not None else deliveries)
    sms = sms or LoggingSmsGateway()  # one gateway for the desk's codes and the campaigns' warnings
    payment = rules.section(PaymentRules)
    working_days = payment.working_calendar()
    workflows: list[Workflow] = [
        DissuasionWorkflow(rules.section(DissuasionRules)),
        DeskWorkflow(rules.section(DeskRules)),
        StopWorkflow(payment, working_days),
        CaseWorkflow(rules.section(CaseRules)),
        CardVerificationWorkflow(rules.section(CardRules)),
        AlertWorkflow(rules.section(TrackingRules)),
        TheftWorkflow(rules.section(TrackingRules)),
        MaintenanceWorkflow(rules.section(TrackingRules)),
        AlarmWorkflow(rules.section(AlarmRules)),
        VerificationWorkflow(rules.section(VerifyRules)),
        RehabCheckinWorkflow(rules.section(RehabRules)),
        DangerWorkflow(rules.section(DangerRules)),
        PartWorkflow(rules.section(DangerRules)),
        DisputeWorkflow(rules.section(DisputeRules)),
    ]
    tasks = TaskService(clock, workflows, notifier)
    jurisdictions = Jurisdictions(db)
    classifier = FraudClassifier.in_instance(settings.instance_dir)
    intake = FraudIntake(db, clock, rules.section(GradingRules), tasks, jurisdictions, classifier=classifier)
    desk = build_desk(
        settings,
        db,
        clock,
        rules.section(DeskRules),
        tasks,
        jurisdictions,
        IntakeFraudReports(intake, classifier),
        notifier,
        outbox,
        sms=sms,
        dingtalk=dingtalk,
    )
    fraud = FraudService(clock, tasks)  # its listener first: a case reads the warning's outcome it sets
    cases = CaseService(
        clock, rules.section(CaseRules), jurisdictions, tasks, classifier, warning_links=EventWarningLinks()
    )
    tasks.listen(DISSUASION_KIND, DefraudedCases(cases))
    intake.losses = LossCases(cases)
    desk.requests.cases = DeskCases(cases)
    intake.counterparts = WarningClusters(cases)
    patrol = Patrol(db, clock, rules.section(PatrolRules), jurisdictions)
    addresses = DeskAddressPlaces(desk.places)
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        rules=rules,
        notifier=notifier,
        outbox=outbox,
        tasks=tasks,
        jurisdictions=jurisdictions,
        intake=intake,
        fraud=fraud,
        desk=desk,
        cases=cases,
        classifier=classifier,
        # A holder is linked when a card or phone of theirs is an identifier that links fraud cases.
        cards=CardsService(
            db, clock, rules.section(CardRules), tasks, jurisdictions, case_links or CaseIdentifierLinks()
        ),
        logins=LoginGuard(db, clock, login_policy(settings)),
        payments=PaymentService(db, clock, payment, working_days, tasks, notifier, outbox),
        tracking=Tracking(db, clock, rules.section(TrackingRules), tasks, jurisdictions),
        ranking=ranking_service(rules, clock),
        campaigns=CampaignService(db, clock, outbox, DeskWarningPushes(desk), sms),
        warning_figures=FraudWarningFigures(),
        patrol=patrol,
        alarms=Alarms(clock, rules.section(AlarmRules), tasks, jurisdictions, patrol),
        verify=VerifyService(db, clock, rules.section(VerifyRules), tasks, jurisdictions, addresses),
        rehab=RehabService(db, clock, rules.section(RehabRules), tasks, addresses),
        traffic=TrafficService(clock, jurisdictions, addresses),
        dangers=Dangers(clock, rules.section(DangerRules), tasks, jurisdictions, danger_photos(settings)),
        disputes=Disputes(clock, tasks, jurisdictions),
        reports=ReportService(
            db,
            clock,
            tasks,
            rules.section(ReportRules),
            rules.section(DeskRules),
            outbox,
            settings.instance_dir / "reports",
        ),
        streams=LazyJetStream(stream_settings(settings)) if settings.nats_url else None,
    )


def stream_settings(settings: Settings, url: str | None = None) -> StreamSettings:
    return StreamSettings(
        url=url or settings.nats_url or "nats://127.0.0.1:4222",
        prefix=settings.nats_prefix,
        replicas=settings.nats_replicas,
        max_age_days=settings.nats_max_age_days,
        duplicate_window_seconds=settings.nats_duplicate_window_seconds,
        ack_wait_seconds=settings.nats_ack_wait_seconds,
        max_deliver=settings.nats_max_deliver,
    )


def danger_photos(settings: Settings) -> MediaPhotoStore:
    return MediaPhotoStore(
        MediaStore(
            settings.media_dir / "dangers",
            max_image_bytes=settings.desk_max_image_bytes,
            max_audio_bytes=0,
            max_files=1,
        )
    )


def ranking_service(rules: CountyRules, clock: Clock) -> RankingService:
    """The rankings with Pingan's built-in indicators; the desk's read with the county's desk rules."""
    desk = rules.section(DeskRules)
    evaluation = DeskEvaluation(
        lambda s, a, b, now, groups, within: desk_queries.group_evaluation(
            s, desk_queries.Period(a, b), now, desk, groups, within
        ),
        clock,
    )
    section = rules.section(RankingRules)
    return RankingService(section, IndicatorRegistry(builtin_indicators(evaluation, section.outcome_indicators)), clock)


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        window=timedelta(minutes=settings.login_window_minutes),
        max_per_account=settings.login_max_failures_per_account,
        max_per_address=settings.login_max_failures_per_address,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )
