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
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock, SystemClock
from pingan.core.db import Database
from pingan.core.logins import LoginGuard, LoginPolicy
from pingan.core.notify import Delivery, Notifier
from pingan.core.outbox import Outbox, OutboxPolicy
from pingan.core.rules import CountyRules, RulesRegistry
from pingan.core.settings import Settings, get_settings
from pingan.core.tasks import TaskService, Workflow
from pingan.desk.otp import SmsGateway
from pingan.desk.ports import FraudLead, FraudOutcome
from pingan.desk.rules import county as desk_rules
from pingan.desk.rules.county import DeskRules
from pingan.desk.wiring import Desk, build_desk, dingtalk_delivery
from pingan.desk.workflow import DeskWorkflow
from pingan.fraud import rules as fraud_rules
from pingan.fraud.intake import FraudIntake
from pingan.fraud.models import FraudEvent
from pingan.fraud.rules import DissuasionRules, GradingRules
from pingan.fraud.service import FraudService
from pingan.fraud.workflow import DissuasionWorkflow
from pingan.tracking import rules as tracking_rules
from pingan.tracking.rules import TrackingRules
from pingan.tracking.service import Tracking
from pingan.tracking.workflow import AlertWorkflow, MaintenanceWorkflow, TheftWorkflow

RULE_TABLES: tuple[Callable[[RulesRegistry], None], ...] = (
    fraud_rules.register_rules,
    desk_rules.register_rules,
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

    def __init__(self, intake: FraudIntake) -> None:
        self.intake = intake

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
        outcomes: dict[int, FraudOutcome] = {}
        for lead in leads:
            source_id = f"{DESK_SOURCE}-{lead.request_id}"
            outcomes[lead.request_id] = FraudOutcome(warnings.get(source_id), refused.get(source_id))
        return outcomes


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
    fraud: FraudService
    desk: Desk
    logins: LoginGuard
    tracking: Tracking

    def close(self) -> None:
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
    workflows: list[Workflow] = [
        DissuasionWorkflow(rules.section(DissuasionRules)),
        DeskWorkflow(rules.section(DeskRules)),
        AlertWorkflow(rules.section(TrackingRules)),
        TheftWorkflow(rules.section(TrackingRules)),
        MaintenanceWorkflow(rules.section(TrackingRules)),
    ]
    tasks = TaskService(clock, workflows, notifier)
    jurisdictions = Jurisdictions(db)
    intake = FraudIntake(db, clock, rules.section(GradingRules), tasks, jurisdictions)
    desk = build_desk(
        settings,
        db,
        clock,
        rules.section(DeskRules),
        tasks,
        jurisdictions,
        IntakeFraudReports(intake),
        notifier,
        outbox,
        sms=sms,
        dingtalk=dingtalk,
    )
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
        fraud=FraudService(clock, tasks),
        desk=desk,
        logins=LoginGuard(db, clock, login_policy(settings)),
        tracking=Tracking(db, clock, rules.section(TrackingRules), tasks, jurisdictions),
    )


def login_policy(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        window=timedelta(minutes=settings.login_window_minutes),
        max_per_account=settings.login_max_failures_per_account,
        max_per_address=settings.login_max_failures_per_address,
        lockout=timedelta(minutes=settings.login_lockout_minutes),
    )
