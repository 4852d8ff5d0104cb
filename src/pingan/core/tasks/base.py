"""What every workflow shares: deadlines, the capability's facts on a task, and the base actions
(assign, note, close with a reason, reopen). A capability's workflow subclasses `BaseWorkflow`, declares its
statuses, steps, actions and ladder, and adds its own action handlers. A task a station signs for and then
checks (a verification list's row, a card opening, a missed check-in) subclasses `StationCheckWorkflow`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks.contract import (
    COUNTY_WIDE,
    WITHDRAWN,
    ActionSpec,
    AssignPayload,
    BaseAction,
    BaseStatus,
    ClosePayload,
    Command,
    EmptyPayload,
    Ladder,
    NotePayload,
    Payload,
    Permission,
    ReopenPayload,
    Rung,
    WorkflowError,
)

Handler = Callable[[Task, Command, datetime], str]

BASE_OUTCOMES = {WITHDRAWN: "已撤回"}


def base_actions(staff: frozenset[Role], *, leads: frozenset[Role], closers: frozenset[Role]) -> dict[str, ActionSpec]:
    """The shared actions' declarations, with the roles a capability gives them."""
    return {
        BaseAction.ASSIGN: ActionSpec(
            BaseAction.ASSIGN, "指派", AssignPayload, Permission(leads, holder=True), "只有所长或中心可以指派"
        ),
        BaseAction.NOTE: ActionSpec(
            BaseAction.NOTE, "备注", NotePayload, Permission(staff, holder=True), "当前角色不能处理该任务"
        ),
        BaseAction.CLOSE: ActionSpec(
            BaseAction.CLOSE, "关闭", ClosePayload, Permission(closers, holder=True), "当前角色不能关闭该任务"
        ),
        BaseAction.REOPEN: ActionSpec(
            BaseAction.REOPEN, "重新打开", ReopenPayload, Permission(COUNTY_WIDE), "重新打开由中心进行"
        ),
    }


def fact(task: Task, name: str, default: int = 0) -> int:
    """A counter the capability keeps on its task (calls, visits…)."""
    value = (task.facts or {}).get(name, default)
    return int(value) if isinstance(value, int) else default


def set_facts(task: Task, **values: Any) -> None:
    # A new dict, so that the ORM sees the JSON column change.
    task.facts = {**(task.facts or {}), **values}


class BaseWorkflow:
    """The shared half of `pingan.core.tasks.contract.Workflow`; subclasses set the declarations."""

    kind: ClassVar[str]
    name: ClassVar[str]
    statuses: Mapping[str, str]
    steps: Mapping[str, str]
    actions: Mapping[str, ActionSpec]
    ladder: Ladder
    seen_by_area: ClassVar[bool] = True
    assignee_roles: ClassVar[frozenset[Role]] = frozenset({Role.STATION_HEAD, Role.OFFICER})
    duty: ClassVar[str | None] = None
    read_by_kinds: ClassVar[frozenset[str]] = frozenset()
    """Kinds whose holders also see (read, never work) this kind's task on the same reference: a finding's
    co-departments, holding a part of it, follow the lead's task. A part closed as `WITHDRAWN` gives no sight."""
    overdue_steps: ClassVar[frozenset[str] | None] = None
    """Steps whose passed deadline makes a task overdue; None: every step."""
    unescalated_steps: ClassVar[frozenset[str]] = frozenset()
    """Steps whose deadline is watched (overdue) but not escalated up the ladder."""
    new_deadline_resets_ladder: ClassVar[bool] = False
    """Whether a new deadline for the same step starts the ladder again (the desk: a follow-up is a new
    question), or only a new step does (the dissuasion: a retried call is still the same call step)."""
    closed_actions: ClassVar[frozenset[str]] = frozenset({BaseAction.REOPEN})
    """Actions a closed task still admits."""
    fact_names: ClassVar[Mapping[str, str]] = {}
    """The Chinese name of each fact of `view` a person reads (`shown`); the others are ids for the screens."""
    outcomes: ClassVar[Mapping[str, str]] = {}
    """The Chinese name of each closing outcome the kind records."""

    # -- the capability's hooks --------------------------------------------------------------------------

    def handlers(self) -> Mapping[str, Handler]:
        """The capability's own actions (the base ones are added)."""
        return {}

    def rearm(self, task: Task, now: datetime) -> str:
        """A reopened task's first status and deadline (from now); returns the history's account."""
        raise NotImplementedError

    # -- the contract ------------------------------------------------------------------------------------

    def start(self, task: Task, now: datetime) -> str | None:
        raise NotImplementedError

    def allowed(self, task: Task) -> frozenset[str]:
        raise NotImplementedError

    def view(self, task: Task) -> dict[str, Any]:
        return {}

    def shown(self, task: Task) -> list[dict[str, Any]]:
        facts = self.view(task)
        return [
            {"key": key, "name": name, "value": self.fact_value(key, facts[key])}
            for key, name in self.fact_names.items()
            if facts.get(key) not in (None, "", [])
        ]

    def fact_value(self, key: str, value: Any) -> Any:
        """A fact as a person reads it (a code turned into its name); as stored by default."""
        return value

    def outcome_name(self, outcome: str | None) -> str | None:
        if outcome is None:
            return None
        return self.outcomes.get(outcome, BASE_OUTCOMES.get(outcome, outcome))

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        return ()

    def owner_of(self, task: Task) -> int | None:
        return None

    def overdue(self, task: Task, now: datetime) -> bool:
        if task.closed_at is not None or task.due_at is None or task.due_at >= now:
            return False
        return self.overdue_steps is None or task.due_step in self.overdue_steps

    def apply(self, task: Task, command: Command, now: datetime) -> str | None:
        if task.closed_at is not None and command.action not in self.closed_actions:
            raise WorkflowError("任务已办结", code="task_closed")
        handler = {**self._base_handlers(), **self.handlers()}.get(command.action)
        if handler is None or command.action not in self.actions:
            raise WorkflowError(f"{self.name}不支持操作 {command.action}", code="unsupported_action", field="action")
        return handler(task, command, now)

    # -- shared pieces -----------------------------------------------------------------------------------

    def set_due(self, task: Task, step: str | None, due: datetime | None) -> None:
        """Race `step` until `due` (None: no deadline). A new step starts its own ladder; the history keeps
        the rungs climbed before."""
        if step != task.due_step or (self.new_deadline_resets_ladder and due != task.due_at):
            task.escalation = 0
        task.due_step = step
        task.due_at = due
        task.escalate_at = due if step is not None and step not in self.unescalated_steps else None

    def finish(self, task: Task, status: str, now: datetime, outcome: str | None = None) -> None:
        task.status = status
        if outcome is not None:
            task.outcome = outcome
        task.closed_at = now
        self.set_due(task, None, None)

    def claim(self, task: Task, command: Command) -> None:
        """The one who signs or answers a task nobody holds holds it."""
        if task.assignee_id is None and command.actor_id is not None:
            task.assignee_id = command.actor_id

    def _base_handlers(self) -> dict[str, Handler]:
        return {
            BaseAction.ASSIGN: self._assign,
            BaseAction.NOTE: self._note,
            BaseAction.CLOSE: self._close,
            BaseAction.REOPEN: self._reopen,
        }

    def _assign(self, task: Task, command: Command, now: datetime) -> str:
        # The engine has checked the assignee (an active staff user of the unit holding the task).
        assignee = command.data.get("assignee_id")
        if not isinstance(assignee, int) or isinstance(assignee, bool):
            raise WorkflowError("assignee_id 无效", code="invalid_field", field="assignee_id")
        task.assignee_id = assignee
        return "指派"

    def _note(self, task: Task, command: Command, now: datetime) -> str:
        return command.reason or "备注"

    def _close(self, task: Task, command: Command, now: datetime) -> str:
        if not (command.reason or "").strip():
            raise WorkflowError("关闭任务必须说明理由", code="reason_required", field="reason")
        self.finish(task, BaseStatus.CLOSED, now)
        return "关闭"

    def _reopen(self, task: Task, command: Command, now: datetime) -> str:
        if task.closed_at is None:
            raise WorkflowError("任务未办结，无需重新打开", code="not_closed")
        if not (command.reason or "").strip():
            raise WorkflowError("重新打开须说明理由", code="reason_required", field="reason")
        task.closed_at = None
        task.outcome = None
        task.escalation = 0
        return self.rearm(task, now)


SIGN = "sign"
"""The action and the first step of a station's check (签收)."""
SIGNED = "signed"


def station_check_actions(
    staff: frozenset[Role],
    *,
    leads: frozenset[Role],
    closers: frozenset[Role],
    denied: str,
    work: Mapping[str, tuple[str, type[Payload]]],
) -> dict[str, ActionSpec]:
    """The declarations of a station's check: the shared actions, signing, and the check's own `work`
    (action → its name and payload), which the staff of the unit holding the task perform (`denied` to others)."""
    permitted = Permission(staff, holder=True)
    return {
        **base_actions(staff, leads=leads, closers=closers),
        SIGN: ActionSpec(SIGN, "签收", EmptyPayload, permitted, denied),
        **{action: ActionSpec(action, name, payload, permitted, denied) for action, (name, payload) in work.items()},
    }


def station_ladder(minutes: int, depth: int, centre: Rung) -> Ladder:
    """The ladder of a station's check: 所长 (the unit holding the task), then `centre`, then 局领导, one rung
    every `minutes` once a deadline is missed; the first `depth` rungs only (the county's rules say how far)."""
    rungs = (Rung("所长", holder=True), centre, Rung("局领导", unit_kinds=(UnitKind.BUREAU,)))
    return Ladder(timedelta(minutes=minutes), rungs[:depth])


class StationCheckWorkflow(BaseWorkflow):
    """A task a station signs for (签收) and then checks, closed by what it found: issued → signed → an outcome.

    Signing has its deadline, the check its own; the one who signs holds the task if nobody did. A subclass
    declares its check step, what an open task admits, the words of its history and the deadlines, and adds
    the handlers of its outcome (`{**super().handlers(), ...}`). Reopened, a task is back with whoever signed
    it (issued again if nobody did), its check due anew (`recheck_by`); a subclass may rearm it otherwise.
    """

    check_step: ClassVar[str]
    """The step raced once signed."""
    work_actions: ClassVar[frozenset[str]]
    """What an open task admits besides assign, note, close and, until signed, sign."""
    signed_note: ClassVar[str]
    """The history's account of signing."""
    already_signed: ClassVar[str] = "核查任务已签收"
    reopened_note: ClassVar[str] = "重新打开，待再次核查"
    """The history's account of reopening."""
    unplaced_to: ClassVar[tuple[UnitKind, ...]] = ()
    """The units told of a task no station holds (a centre, which routes it)."""

    def sign_by(self, task: Task, now: datetime) -> datetime:
        """The deadline of signing, for a task issued `now`."""
        raise NotImplementedError

    def check_by(self, task: Task, now: datetime) -> datetime:
        """The deadline of the check, for a task signed `now`."""
        raise NotImplementedError

    def recheck_by(self, task: Task, now: datetime) -> datetime:
        """The deadline of the check, for a task reopened `now`."""
        raise NotImplementedError

    def issued_note(self, task: Task) -> str:
        """The history's account of issuing."""
        raise NotImplementedError

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = SIGNED if task.assignee_id is not None else BaseStatus.ISSUED
        self.set_due(task, self.check_step, self.recheck_by(task, now))
        return self.reopened_note

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        return self.unplaced_to if task.unit_id is None else ()

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = BaseStatus.ISSUED
        self.set_due(task, SIGN, self.sign_by(task, now))
        return self.issued_note(task)

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({BaseAction.REOPEN})
        out = {BaseAction.ASSIGN, BaseAction.NOTE, BaseAction.CLOSE, *self.work_actions}
        if task.status == BaseStatus.ISSUED:
            out.add(SIGN)
        return frozenset(out)

    def handlers(self) -> Mapping[str, Handler]:
        return {SIGN: self._sign}

    def _sign(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != BaseStatus.ISSUED:
            raise WorkflowError(self.already_signed, code="already_signed")
        task.status = SIGNED
        self.claim(task, command)
        self.set_due(task, self.check_step, self.check_by(task, now))
        return self.signed_note
