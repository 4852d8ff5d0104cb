"""Wire the services together once: the app, the CLI, the demo and the tests all call `bootstrap()`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

# Every capability's tables on Base.metadata, for `Database.create_all()` (the core imports no capability).
from pingan import models  # noqa: F401
from pingan.adapters.jetstream import LazyJetStream, StreamSettings
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock, SystemClock
from pingan.core.db import Database
from pingan.core.logins import LoginGuard, LoginPolicy
from pingan.core.models import Area, AreaKind, Task
from pingan.core.notify import Delivery, Notifier
from pingan.core.outbox import Outbox, OutboxPolicy
from pingan.core.rules import CountyRules, RulesRegistry
from pingan.core.settings import Settings, get_settings
from pingan.core.tasks import Command, TaskService, Workflow
from pingan.desk.otp import SmsGateway
from pingan.desk.ports import FraudLead, FraudOutcome
from pingan.desk.rules import county as desk_rules
from pingan.desk.rules.county import DeskRules
from pingan.desk.wiring import Desk, build_desk, dingtalk_delivery
from pingan.desk.workflow import DeskWorkflow
from pingan.fraud import rules as fraud_rules
from pingan.fraud.classify import FraudClassifier
from pingan.fraud.intake import FraudIntake
from pingan.fraud.models import FraudEvent, FraudWarning, Outcome
from pingan.fraud.rules import DissuasionRules, GradingRules
from pingan.fraud.service import FraudService
from pingan.fraud.workflow import KIND as DISSUASION_KIND
from pingan.fraud.workflow import DissuasionAction, DissuasionWorkflow
from pingan.money import rules as money_rules
from pingan.money.cards.ports import CaseIdentifierLinks, CaseLinkedPeople
from pingan.money.cards.rules import county as card_rules
from pingan.money.cards.rules.county import CardRules
from pingan.money.cards.service import CardsService
from pingan.money.cards.workflow import CardVerificationWorkflow
from pingan.money.payments import rules as payment_rules
from pingan.money.payments.rules import PaymentRules
from pingan.money.payments.service import PaymentService
from pingan.money.payments.workflow import StopWorkflow
from pingan.money.rules import CaseRules
from pingan.money.service import CaseService, DefraudedWarning
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
    payment = rules.section(PaymentRules)
    working_days = payment.working_calendar()
    workflows: list[Workflow] = [
        DissuasionWorkflow(rules.section(DissuasionRules)),
        DeskWorkflow(rules.section(DeskRules)),
        StopWorkflow(payment, working_days),
        CardVerificationWorkflow(rules.section(CardRules)),
        AlertWorkflow(rules.section(TrackingRules)),
        TheftWorkflow(rules.section(TrackingRules)),
        MaintenanceWorkflow(rules.section(TrackingRules)),
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
    cases = CaseService(clock, rules.section(CaseRules), jurisdictions)
    tasks.listen(DISSUASION_KIND, DefraudedCases(cases))
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


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        window=timedelta(minutes=settings.login_window_minutes),
        max_per_account=settings.login_max_failures_per_account,
        max_per_address=settings.login_max_failures_per_address,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )
