"""Every table, imported in one place so that metadata (and Alembic) sees them all."""

from pingan.command.alarms.models import Alarm
from pingan.command.dangers.models import Danger, DangerDepartment, DangerPhoto
from pingan.command.disputes.models import Dispute, DisputeSession, Mediator
from pingan.command.patrol.models import DutyShift, PatrolUnit, PatrolZone
from pingan.command.ranking.models import RankingSnapshot
from pingan.command.rehab.models import RehabCheck, RehabPlan
from pingan.command.traffic.models import TrafficRecord
from pingan.command.verify.models import VerifyItem, VerifyList, VerifyPlatformKey
from pingan.core.models import (
    AccessLog,
    Area,
    Counter,
    Notification,
    Person,
    PersonPhone,
    Task,
    TaskEvent,
    Unit,
    User,
)
from pingan.core.outbox import OutboxMessage
from pingan.core.streams import DeadLetter
from pingan.desk.models import (
    DeskMedia,
    DeskMessage,
    DeskOfficer,
    DeskOtp,
    DeskPush,
    DeskPushDelivery,
    DeskPushTemplate,
    DeskRequest,
    DeskResident,
    DeskRoutingRule,
    DingTalkRobot,
    DingTalkSend,
)
from pingan.desk.open311.models import Open311ApiKey, Open311Request
from pingan.fraud.models import FraudEvent, FraudWarning, Indicator
from pingan.money.cards.models import CardOpening
from pingan.money.models import (
    Campaign,
    CampaignSms,
    Case,
    CaseIdentifier,
    CaseSuspect,
    SmsOptOut,
    SmsOptOutEvent,
    WarningIdentifier,
    WarningMember,
)
from pingan.money.payments.models import BankApiKey, PaymentOrder
from pingan.tracking.models import Alert as TrackingAlert
from pingan.tracking.models import Animal, Detection, ServicePoint, Station, Tag, Theft, Vehicle

__all__ = [
    "AccessLog",
    "Alarm",
    "Animal",
    "Area",
    "BankApiKey",
    "Campaign",
    "CampaignSms",
    "CardOpening",
    "Case",
    "CaseIdentifier",
    "CaseSuspect",
    "Counter",
    "Danger",
    "DangerDepartment",
    "DangerPhoto",
    "DeadLetter",
    "DeskMedia",
    "DeskMessage",
    "DeskOfficer",
    "DeskOtp",
    "DeskPush",
    "DeskPushDelivery",
    "DeskPushTemplate",
    "DeskRequest",
    "DeskResident",
    "DeskRoutingRule",
    "Detection",
    "DingTalkRobot",
    "DingTalkSend",
    "Dispute",
    "DisputeSession",
    "DutyShift",
    "FraudEvent",
    "FraudWarning",
    "Indicator",
    "Mediator",
    "Notification",
    "Open311ApiKey",
    "Open311Request",
    "OutboxMessage",
    "PatrolUnit",
    "PatrolZone",
    "PaymentOrder",
    "Person",
    "PersonPhone",
    "RankingSnapshot",
    "RehabCheck",
    "RehabPlan",
    "ServicePoint",
    "SmsOptOut",
    "SmsOptOutEvent",
    "Station",
    "Tag",
    "Task",
    "TaskEvent",
    "Theft",
    "TrackingAlert",
    "TrafficRecord",
    "Unit",
    "User",
    "Vehicle",
    "VerifyItem",
    "VerifyList",
    "VerifyPlatformKey",
    "WarningIdentifier",
    "WarningMember",
]
