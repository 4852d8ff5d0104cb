"""Wire the services together once: the app, the CLI, the demo and the tests all call `bootstrap()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

# Every capability's tables on Base.metadata, for `Database.create_all()` (the core imports no capability).
from pingan import models  # noqa: F401
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock, SystemClock
from pingan.core.db import Database
from pingan.core.notify import Delivery, Notifier
from pingan.core.rules import CountyRules, RulesRegistry
from pingan.core.settings import Settings, get_settings
from pingan.core.tasks import TaskService, Workflow
from pingan.desk.otp import SmsGateway
from pingan.desk.rules import county as desk_rules
from pingan.desk.rules.county import DeskRules
from pingan.desk.wiring import Desk, build_desk, dingtalk_delivery
from pingan.desk.workflow import DeskWorkflow
from pingan.fraud import rules as fraud_rules
from pingan.fraud.intake import FraudIntake
from pingan.fraud.rules import DissuasionRules, GradingRules
from pingan.fraud.service import FraudService
from pingan.fraud.workflow import DissuasionWorkflow

RULE_TABLES: tuple[Callable[[RulesRegistry], None], ...] = (fraud_rules.register_rules, desk_rules.register_rules)
"""Each capability's registration of its county rules tables; a new capability adds its own here."""


def rules_registry() -> RulesRegistry:
    registry = RulesRegistry()
    for register in RULE_TABLES:
        register(registry)
    return registry


def load_rules(path: Path | None = None) -> CountyRules:
    """Every capability's packaged defaults, with the tables of the county file `path` (if given) laid over them."""
    return rules_registry().load(path)


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    rules: CountyRules
    notifier: Notifier
    tasks: TaskService
    jurisdictions: Jurisdictions
    intake: FraudIntake
    fraud: FraudService
    desk: Desk

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
    dingtalk_background: bool = True,
) -> Services:
    settings = settings or get_settings()
    clock = clock or SystemClock()
    db = db or Database(settings.database_url)
    rules = rules or load_rules(settings.rules_file)
    dingtalk = dingtalk_delivery(settings, db, clock, transport=dingtalk_transport, background=dingtalk_background)
    notifier = Notifier(clock, (*deliveries, dingtalk) if dingtalk is not None else deliveries)
    workflows: list[Workflow] = [
        DissuasionWorkflow(rules.section(DissuasionRules)),
        DeskWorkflow(rules.section(DeskRules)),
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
        intake,
        notifier,
        sms=sms,
        dingtalk=dingtalk,
    )
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        rules=rules,
        notifier=notifier,
        tasks=tasks,
        jurisdictions=jurisdictions,
        intake=intake,
        fraud=FraudService(clock, tasks),
        desk=desk,
    )
