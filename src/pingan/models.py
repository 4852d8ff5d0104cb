"""Every table, imported in one place so that metadata (and Alembic) sees them all."""

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
from pingan.money.models import Case, CaseIdentifier
from pingan.money.payments.models import BankApiKey, PaymentOrder
from pingan.tracking.models import Alert as TrackingAlert
from pingan.tracking.models import Animal, Detection, ServicePoint, Station, Tag, Theft, Vehicle

__all__ = [
    "AccessLog",
    "Animal",
    "Area",
    "BankApiKey",
    "CardOpening",
    "Case",
    "CaseIdentifier",
    "Counter",
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
    "FraudEvent",
    "FraudWarning",
    "Indicator",
    "Notification",
    "Open311ApiKey",
    "Open311Request",
    "OutboxMessage",
    "PaymentOrder",
    "Person",
    "PersonPhone",
    "ServicePoint",
    "Station",
    "Tag",
    "Task",
    "TaskEvent",
    "Theft",
    "TrackingAlert",
    "Unit",
    "User",
    "Vehicle",
]
