"""Tasks: the workflow contract, the base workflow, the one access decision and the engine."""

from pingan.core.tasks.contract import (
    COUNTY_WIDE,
    ActionSpec,
    BaseAction,
    BaseStatus,
    Command,
    Ladder,
    Payload,
    Permission,
    Rung,
    Workflow,
    WorkflowError,
)
from pingan.core.tasks.engine import NewTask, TaskService, escalate, history_reason

__all__ = [
    "COUNTY_WIDE",
    "ActionSpec",
    "BaseAction",
    "BaseStatus",
    "Command",
    "Ladder",
    "NewTask",
    "Payload",
    "Permission",
    "Rung",
    "TaskService",
    "Workflow",
    "WorkflowError",
    "escalate",
    "history_reason",
]
