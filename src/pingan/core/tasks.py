"""The closed-loop task: one workflow engine for every capability.

A capability supplies a `Workflow` (its states, steps and deadlines, as pure rules that mutate a
`Task` in memory); this module persists the change, writes the append-only history and runs the
SLA sweeper that escalates missed deadlines rung by rung.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.models import Task, TaskAction, TaskEvent, TaskKind, TaskStatus
from pingan.core.notify import Notifier


class WorkflowError(Exception):
    """An action that the task's state or rules do not allow; `field` names the offending input."""

    def __init__(self, message: str, *, code: str = "invalid_transition", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


@dataclass(frozen=True)
class Command:
    action: TaskAction
    actor_id: int | None
    reason: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


class Workflow(Protocol):
    """A capability's rules for its tasks. Methods mutate the task and return the history reason."""

    escalation_interval: timedelta
    max_escalation: int

    def start(self, task: Task, now: datetime) -> str | None: ...

    def apply(self, task: Task, command: Command, now: datetime) -> str | None: ...

    def allowed(self, task: Task) -> frozenset[TaskAction]:
        """The actions the task's state admits now (before any role check), for the UI to offer."""
        ...


@dataclass(frozen=True, slots=True)
class NewTask:
    """What a capability asks for when it opens a task (see `TaskService.create`)."""

    kind: TaskKind
    title: str
    ref_type: str
    ref_id: int
    area_id: int | None
    unit_id: int | None
    level: str | None = None
    actor_id: int | None = None
    reason: str | None = None
    data: Mapping[str, Any] | None = None


Listener = Callable[[Session, Task, Command], None]

ESCALATION_RUNGS = {1: "所长", 2: "反诈中心/情指中心", 3: "局领导"}


def escalate(task: Task, now: datetime, workflow: Workflow) -> bool:
    """A missed deadline: climb one rung (up to the workflow's top) and look again after an interval.

    Returns whether the task changed. Pure: mutates the task only.
    """
    if task.closed_at is not None or task.escalate_at is None or task.escalate_at > now:
        return False
    if task.escalation >= workflow.max_escalation:
        task.escalate_at = None  # already at the top rung: a later deadline of the same step is no news
        return False
    if task.escalation == 0:
        task.breaches += 1
    task.escalation = min(task.escalation + 1, workflow.max_escalation)
    task.escalate_at = now + workflow.escalation_interval if task.escalation < workflow.max_escalation else None
    task.updated_at = now
    return True


class TaskService:
    """Creates tasks, applies commands and sweeps deadlines, recording every change."""

    def __init__(self, clock: Clock, workflows: Mapping[TaskKind, Workflow], notifier: Notifier) -> None:
        self.clock = clock
        self.workflows = dict(workflows)
        self.notifier = notifier
        self._listeners: dict[TaskKind, list[Listener]] = {}

    def listen(self, kind: TaskKind, listener: Listener) -> None:
        """Call `listener(session, task, command)` after every command applied to a task of `kind`.

        A capability keeps its own records (a warning, a request) in step with its tasks this way.
        """
        self._listeners.setdefault(kind, []).append(listener)

    def workflow(self, kind: TaskKind) -> Workflow:
        return self.workflows[kind]

    def create(
        self,
        session: Session,
        *,
        kind: TaskKind,
        title: str,
        ref_type: str,
        ref_id: int,
        area_id: int | None,
        unit_id: int | None,
        level: str | None = None,
        actor_id: int | None = None,
        reason: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Task:
        spec = NewTask(kind, title, ref_type, ref_id, area_id, unit_id, level, actor_id, reason, data)
        return self.create_many(session, [spec])[0]

    def create_many(self, session: Session, specs: Sequence[NewTask]) -> list[Task]:
        """Start a task for each spec, in order, with its history and notifications: one flush for all."""
        now = self.clock.now()
        tasks: list[Task] = []
        started: list[str | None] = []
        for spec in specs:
            task = Task(
                kind=spec.kind,
                status=TaskStatus.ISSUED,
                level=spec.level,
                title=spec.title,
                ref_type=spec.ref_type,
                ref_id=spec.ref_id,
                area_id=spec.area_id,
                unit_id=spec.unit_id,
                created_at=now,
                updated_at=now,
                escalation=0,
                breaches=0,
                calls=0,
                unanswered=0,
                visits=0,
            )
            started.append(self.workflow(spec.kind).start(task, now))
            tasks.append(task)
        session.add_all(tasks)
        session.flush()
        for spec, task, reason in zip(specs, tasks, started, strict=True):
            self._record(
                session, task, TaskAction.ISSUE, spec.actor_id, None, spec.reason or reason, dict(spec.data or {}), now
            )
        self.notifier.tasks_issued(session, tasks)
        return tasks

    def act(self, session: Session, task: Task, command: Command) -> Task:
        """Apply a command; raises WorkflowError if the workflow refuses it."""
        now = self.clock.now()
        before = task.status
        before_escalation = task.escalation
        reason = self.workflow(task.kind).apply(task, command, now)
        task.updated_at = now
        self._record(
            session,
            task,
            command.action,
            command.actor_id,
            before,
            history_reason(reason, command.reason),
            dict(command.data),
            now,
        )
        if task.escalation > before_escalation:
            self.notifier.task_escalated(session, task)
        for listener in self._listeners.get(task.kind, ()):
            listener(session, task, command)
        return task

    def sweep(self, session: Session, *, limit: int = 500) -> int:
        """Escalate every open task whose deadline has passed. Returns how many changed.

        Each row is claimed with an update that must change exactly one row, so two sweepers never
        escalate the same task twice.
        """
        now = self.clock.now()
        due = session.scalars(
            select(Task)
            .where(Task.closed_at.is_(None), Task.escalate_at.is_not(None), Task.escalate_at <= now)
            .order_by(Task.escalate_at)
            .limit(limit)
        ).all()
        changed = 0
        for task in due:
            claimed_at, claimed_version = task.escalate_at, task.version
            workflow = self.workflow(task.kind)
            before_status = task.status
            with session.no_autoflush:
                if not escalate(task, now, workflow):
                    continue
                result = session.execute(
                    update(Task)
                    .where(Task.id == task.id, Task.escalate_at == claimed_at, Task.version == claimed_version)
                    .values(
                        escalation=task.escalation,
                        escalate_at=task.escalate_at,
                        breaches=task.breaches,
                        updated_at=now,
                        version=claimed_version + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
            # The row now holds what we computed (or someone else's change): reload it either way.
            session.expire(task)
            if result.rowcount != 1:  # type: ignore[attr-defined]
                continue
            step = task.due_step.value if task.due_step else ""
            self._record(
                session,
                task,
                TaskAction.ESCALATE,
                None,
                before_status,
                f"超时未完成「{STEP_NAMES.get(step, step)}」，升级至{ESCALATION_RUNGS.get(task.escalation, '')}",
                {"escalation": task.escalation, "step": step},
                now,
            )
            self.notifier.task_escalated(session, task)
            changed += 1
        return changed

    @staticmethod
    def _record(
        session: Session,
        task: Task,
        action: TaskAction,
        actor_id: int | None,
        before: TaskStatus | None,
        reason: str | None,
        data: dict[str, Any],
        now: datetime,
    ) -> None:
        session.add(
            TaskEvent(
                task_id=task.id,
                at=now,
                actor_id=actor_id,
                action=action,
                from_status=before,
                to_status=task.status,
                reason=reason,
                data=data,
            )
        )


STEP_NAMES = {
    "sign": "签收",
    "call": "电话劝阻",
    "meet": "见面劝阻",
    "feedback": "反馈",
    "evaluate": "评估",
    "reply": "答复",
}


def history_reason(system: str | None, note: str | None) -> str | None:
    """What the history says of a change: the workflow's own account (what happened, what comes next) and
    the person's note, both kept."""
    if system and note and note != system:
        return f"{system}；{note}"
    return note or system


def is_overdue(task: Task, now: datetime) -> bool:
    """The task is open and past its current step's deadline."""
    return task.closed_at is None and task.due_at is not None and task.due_at < now
