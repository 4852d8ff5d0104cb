"""The workflow contract: what a capability declares about its tasks, and what the engine and the edges read.

A capability registers one `Workflow` per task kind. It declares, once:

- its statuses and steps, each with the Chinese name the screens show;
- its actions, each an `ActionSpec`: the payload schema (Pydantic, validated at the edge), who may do it
  (`Permission`: roles, and for the roles that are not county-wide, the unit holding the task, the
  jurisdiction it lies in, its assignee or its owner), and the name shown;
- its escalation `Ladder`: the interval and the rungs, each naming the units it notifies;
- what "overdue" means (`overdue_steps`), who sees its tasks (`seen_by_area`), and how a task is shown
  (`view`: the capability's own facts, such as the dissuasion's call counts).

The rules themselves (`start`, `apply`, `allowed`) are pure: they mutate a `Task` in memory and take `now`.
`pingan.core.tasks.base.BaseWorkflow` gives every workflow the shared actions: assign, note, close with a
reason, reopen. The engine (`pingan.core.tasks.engine.TaskService`) persists, records the history, decides
access (`pingan.core.tasks.access`) and sweeps deadlines; the one task API serves every kind from this.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from types import UnionType
from typing import Any, ClassVar, Protocol, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field

from pingan.core.errors import PinganError
from pingan.core.models import Role, Task, UnitKind


class BaseAction(StrEnum):
    """Actions every workflow has (the engine's own, and those `BaseWorkflow` provides)."""

    ISSUE = "issue"  # the engine: a task is opened
    ESCALATE = "escalate"  # the engine: a deadline was missed
    ASSIGN = "assign"
    NOTE = "note"
    CLOSE = "close"
    REOPEN = "reopen"


class BaseStatus(StrEnum):
    ISSUED = "issued"
    CLOSED = "closed"


WITHDRAWN = "withdrawn"
"""The outcome of a task withdrawn from the work it was part of (a co-department taken off a finding): its
holder no longer reads the shared task (`BaseWorkflow.read_by_kinds`)."""


class WorkflowError(PinganError):
    """An action that the task's state or rules do not allow; `field` names the offending input.

    409 (the state does not admit it), or 422 when it names a field.
    """

    def __init__(self, message: str, *, code: str = "invalid_transition", field: str | None = None) -> None:
        super().__init__(message, field=field, code=code)
        self.status = 422 if field else 409


@dataclass(frozen=True)
class Command:
    """An action on a task: validated payload in `data`, the person's note or reason in `reason`."""

    action: str
    actor_id: int | None
    reason: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


# -- payloads ------------------------------------------------------------------------------------------


class Payload(BaseModel):
    """The body of an action (besides `action`): every payload may carry a note for the history."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


FIELD_NAMES = {"note": "备注", "reason": "理由", "assignee_id": "承办人", "outcome": "结果"}
"""The Chinese names of the fields many payloads share; a payload names its own with `Field(title=...)`."""


def _field_type(annotation: Any) -> str:
    args = [a for a in get_args(annotation) if a is not type(None)]
    kind = args[0] if get_origin(annotation) in (Union, UnionType) and len(args) == 1 else annotation
    if kind is bool:
        return "boolean"
    if isinstance(kind, type) and issubclass(kind, int | float | Decimal):
        return "number"
    if isinstance(kind, type) and issubclass(kind, datetime):
        return "datetime"
    if isinstance(kind, type) and issubclass(kind, date):
        return "date"
    if isinstance(kind, type) and issubclass(kind, str):
        return "text"
    return "other"


def form_fields(payload: type[BaseModel]) -> list[dict[str, Any]]:
    """An action's payload as the fields of a form: name, Chinese label, type (text, number, boolean, date,
    datetime, other), whether it is required, and its length or range bounds."""
    out: list[dict[str, Any]] = []
    for name, info in payload.model_fields.items():
        spec: dict[str, Any] = {
            "name": name,
            "label": info.title or FIELD_NAMES.get(name, name),
            "type": _field_type(info.annotation),
            "required": info.is_required(),
        }
        if info.description:
            spec["hint"] = info.description
        for meta in info.metadata:
            for bound in ("min_length", "max_length", "ge", "le"):
                if getattr(meta, bound, None) is not None:
                    spec[bound] = getattr(meta, bound)
        out.append(spec)
    return out


class EmptyPayload(Payload):
    pass


class AssignPayload(Payload):
    assignee_id: int = Field(ge=1, le=2**63 - 1)


class NotePayload(Payload):
    note: str = Field(min_length=1, max_length=2000)


class ClosePayload(Payload):
    reason: str = Field(min_length=1, max_length=2000)


class ReopenPayload(Payload):
    reason: str = Field(min_length=1, max_length=2000)


# -- who may act -----------------------------------------------------------------------------------------

COUNTY_WIDE = frozenset({Role.ADMIN, Role.ANALYST, Role.COMMANDER})


@dataclass(frozen=True)
class Permission:
    """Who may do an action on a task.

    A role outside `roles` may never. A county-wide role (admin, analyst, commander) in `roles` may on any
    task it can see. Any other role in `roles` may when one of the relations allowed here holds: its unit
    holds the task (`holder`), the task lies in its unit's jurisdiction (`jurisdiction`), it is the task's
    assignee (`assignee`), or it owns the task (`owner`: a resident's own request).
    """

    roles: frozenset[Role]
    holder: bool = True
    jurisdiction: bool = False
    assignee: bool = False
    owner: bool = False


@dataclass(frozen=True)
class ActionSpec:
    action: str
    name: str
    """What the screens call it (签收, 电话劝阻…)."""
    payload: type[Payload]
    permission: Permission
    denied: str = "当前角色不能进行此操作"
    """What a refused user is told."""


# -- escalation ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rung:
    """One rung of a ladder: its name, and the units told when a task climbs to it."""

    name: str
    holder: bool = False
    """Tell the unit holding the task."""
    unit_kinds: tuple[UnitKind, ...] = ()
    """Tell every unit of these kinds (the centres, the bureau)."""


@dataclass(frozen=True)
class Ladder:
    interval: timedelta
    """Between rungs, once a deadline is missed."""
    rungs: tuple[Rung, ...]
    """Rung 1 first. A task at the top rung stays there."""

    @property
    def top(self) -> int:
        return len(self.rungs)

    def rung(self, level: int) -> Rung | None:
        return self.rungs[level - 1] if 1 <= level <= len(self.rungs) else None


# -- the workflow ----------------------------------------------------------------------------------------


class Workflow(Protocol):
    """A capability's declaration of one task kind (see the module docstring)."""

    kind: ClassVar[str]
    name: ClassVar[str]
    statuses: Mapping[str, str]
    steps: Mapping[str, str]
    actions: Mapping[str, ActionSpec]
    ladder: Ladder
    seen_by_area: ClassVar[bool]
    """Whether staff of the jurisdiction see the kind's tasks held by another unit (a dissuasion in their
    area: yes; a desk request handed to the 出入境 specialty: no, it is no longer theirs)."""
    assignee_roles: ClassVar[frozenset[Role]]
    """Who a task of this kind may be assigned to (staff of the unit holding it)."""
    duty: ClassVar[str | None]
    """The clearance (`pingan.core.models.Duty`) without which nobody sees the kind's tasks, whatever their
    role (people in drug rehabilitation: 禁毒); None for most kinds."""

    def start(self, task: Task, now: datetime) -> str | None:
        """Set the first status and deadline of a new task; returns the history's account."""
        ...

    def apply(self, task: Task, command: Command, now: datetime) -> str | None:
        """Apply an action (its payload already validated); raises WorkflowError; returns the account."""
        ...

    def allowed(self, task: Task) -> frozenset[str]:
        """The actions the task's state admits now (before any access decision), for the UI to offer."""
        ...

    def overdue(self, task: Task, now: datetime) -> bool:
        """Open and past the deadline of a step that counts as overdue."""
        ...

    def view(self, task: Task) -> dict[str, Any]:
        """The capability's own facts about a task, shown beside the core's fields."""
        ...

    def shown(self, task: Task) -> list[dict[str, Any]]:
        """The facts a person reads on the task's page, each with its Chinese name and a display value
        (`{"key", "name", "value"}`): the generic task screen draws any kind from this alone."""
        ...

    def outcome_name(self, outcome: str | None) -> str | None:
        """The Chinese name of a closing outcome (找回, 已修复…), for the screens."""
        ...

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        """Units to tell of a new task besides its holder (a 特高危 warning goes to the centres too)."""
        ...

    def owner_of(self, task: Task) -> int | None:
        """The user who owns the task (a resident's request), for `Permission.owner`; None if nobody."""
        ...
