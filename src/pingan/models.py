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
from pingan.fraud.models import FraudEvent, FraudWarning, Indicator

__all__ = [
    "AccessLog",
    "Area",
    "Counter",
    "FraudEvent",
    "FraudWarning",
    "Indicator",
    "Notification",
    "Person",
    "PersonPhone",
    "Task",
    "TaskEvent",
    "Unit",
    "User",
]
