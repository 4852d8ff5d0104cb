"""The task engine: one for every capability.

It opens tasks, applies actions under the one access decision (`pingan.core.tasks.access`), writes the
append-only history, tells the units concerned, and sweeps missed deadlines up each workflow's own ladder.
What a task kind means is the capability's declaration (`pingan.core.tasks.contract.Workflow`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, update
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import containing
from pingan.core.errors import BadInput, NotFound, first_problem
from pingan.core.identity import Actor
from pingan.core.models import Area, Task, TaskEvent, Unit, User
from pingan.core.notify import Notifier
from pingan.core.scope import Scope
from pingan.core.tasks import access
from pingan.core.tasks.contract import COUNTY_WIDE, BaseAction, BaseStatus, Command, Workflow, form_fields


@dataclass(frozen=True, slots=True)
class NewTask:
    """What a capability asks for when it opens a task (see `TaskService.create`)."""

    kind: str
    title: str
    ref_type: str
    ref_id: int
    area_id: int | None
    unit_id: int | None
    level: str | None = None
    actor_id: int | None = None
    reason: str | None = None
    data: Mapping[str, Any] | None = None
    facts: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """What a list of tasks asks for; the worklist and every figure that counts tasks read the same one, so
    a count and the list it links to agree (`TaskService.select`)."""

    kind: str | None = None
    statuses: Sequence[str] = ()
    open_only: bool = True
    level: str | None = None
    unit_id: int | None = None
    area_ids: Collection[int] | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    overdue: bool = False
    title: str | None = None
    """Text in the title (a LIKE, case-insensitive)."""


Listener = Callable[[Session, Task, Command], None]
Check = Callable[[Session, Actor, Task, Command], Command]
"""Runs before an action is applied, with the database: may refuse (raise) or complete the command."""
Effect = Callable[[Session, Actor, Task, Command], None]
"""Runs after an action was applied and recorded, in the same transaction (messages, notices)."""


def escalate(task: Task, now: datetime, workflow: Workflow) -> bool:
    """A missed deadline: climb one rung (up to the ladder's top) and look again after its interval.

    Returns whether the task changed. Pure: mutates the task only.
    """
    if task.closed_at is not None or task.escalate_at is None or task.escalate_at > now:
        return False
    top = workflow.ladder.top
    if task.escalation >= top:
        task.escalate_at = None  # already at the top rung: a later deadline of the same step is no news
        return False
    if task.escalation == 0:
        task.breaches += 1
    task.escalation = min(task.escalation + 1, top)
    task.escalate_at = now + workflow.ladder.interval if task.escalation < top else None
    task.updated_at = now
    return True


def overdue_clause(kind: str, steps: frozenset[str] | None, now: datetime) -> ColumnElement[bool]:
    """`Workflow.overdue` of one kind as a WHERE clause on tasks: open, past the deadline of a step that counts
    (`steps`; None: any)."""
    cond = and_(Task.kind == kind, Task.closed_at.is_(None), Task.due_at < now)
    return and_(cond, Task.due_step.in_(sorted(steps))) if steps is not None else cond


def history_reason(system: str | None, note: str | None) -> str | None:
    """What the history says of a change: the workflow's own account (what happened, what comes next) and
    the person's note, both kept."""
    if system and note and note != system:
        return f"{system}；{note}"
    return note or system


class TaskService:
    """Creates tasks, applies actions and sweeps deadlines, recording every change."""

    def __init__(self, clock: Clock, workflows: Iterable[Workflow], notifier: Notifier) -> None:
        self.clock = clock
        self.workflows: dict[str, Workflow] = {}
        self.notifier = notifier
        self._listeners: dict[str, list[Listener]] = {}
        self._checks: dict[tuple[str, str], list[Check]] = {}
        self._effects: dict[tuple[str, str], list[Effect]] = {}
        for workflow in workflows:
            self.register(workflow)

    # -- registration ------------------------------------------------------------------------------------

    def register(self, workflow: Workflow) -> None:
        """Add a capability's task kind (bootstrap does this for every capability)."""
        if workflow.kind in self.workflows:
            raise ValueError(f"task kind {workflow.kind!r} is registered twice")
        self.workflows[workflow.kind] = workflow

    def listen(self, kind: str, listener: Listener) -> None:
        """Call `listener(session, task, command)` after every command applied to a task of `kind`.

        A capability keeps its own records (a warning, a request) in step with its tasks this way.
        """
        self._listeners.setdefault(kind, []).append(listener)

    def on(self, kind: str, action: str, *, check: Check | None = None, effect: Effect | None = None) -> None:
        """A capability's database work around one of its actions, whichever edge the action came from."""
        if check is not None:
            self._checks.setdefault((kind, action), []).append(check)
        if effect is not None:
            self._effects.setdefault((kind, action), []).append(effect)

    def workflow(self, kind: str) -> Workflow:
        return self.workflows[kind]

    # -- opening -----------------------------------------------------------------------------------------

    def create(
        self,
        session: Session,
        *,
        kind: str,
        title: str,
        ref_type: str,
        ref_id: int,
        area_id: int | None,
        unit_id: int | None,
        level: str | None = None,
        actor_id: int | None = None,
        reason: str | None = None,
        data: Mapping[str, Any] | None = None,
        facts: Mapping[str, Any] | None = None,
    ) -> Task:
        spec = NewTask(kind, title, ref_type, ref_id, area_id, unit_id, level, actor_id, reason, data, facts)
        return self.create_many(session, [spec])[0]

    def create_many(self, session: Session, specs: Sequence[NewTask]) -> list[Task]:
        """Start a task for each spec, in order, with its history and notifications: one flush for all."""
        now = self.clock.now()
        tasks: list[Task] = []
        started: list[str | None] = []
        for spec in specs:
            task = Task(
                kind=spec.kind,
                status=BaseStatus.ISSUED,
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
                facts=dict(spec.facts or {}),
            )
            started.append(self.workflow(spec.kind).start(task, now))
            tasks.append(task)
        session.add_all(tasks)
        session.flush()
        for spec, task, reason in zip(specs, tasks, started, strict=True):
            self._record(
                session, task, BaseAction.ISSUE, spec.actor_id, None, spec.reason or reason, dict(spec.data or {}), now
            )
        self._tell_issued(session, tasks)
        return tasks

    # -- acting ------------------------------------------------------------------------------------------

    def perform(
        self, session: Session, actor: Actor, scope: Scope, task: Task | None, action: str, payload: Mapping[str, Any]
    ) -> Task:
        """An action by a person, from any edge: the access decision, the payload's schema, the capability's
        checks, the workflow's rules, the history and the capability's effects, in that order.

        Raises NotFound (the actor cannot see the task), Forbidden (may not do this), BadInput (a field is
        wrong, named), WorkflowError (the task's state does not admit it).
        """
        workflow = self.workflows.get(task.kind) if task is not None else None
        access.check(actor, scope, task, workflow, action)
        assert task is not None  # checked above
        assert workflow is not None
        spec = workflow.actions[action]
        try:
            body = spec.payload.model_validate(dict(payload))
        except ValidationError as exc:
            field, code, message = first_problem(exc)
            raise BadInput(message, field=field, code=code) from None
        data = body.model_dump(mode="json", exclude={"note"}, exclude_none=True)
        reason = data.pop("reason", None) or body.note
        command = Command(action, actor.id, reason, data)
        if action == BaseAction.ASSIGN:
            self.check_assignee(session, workflow, int(data["assignee_id"]), unit_id=task.unit_id, area_id=task.area_id)
        for check in self._checks.get((task.kind, action), ()):
            command = check(session, actor, task, command)
        self.act(session, task, command)
        for effect in self._effects.get((task.kind, action), ()):
            effect(session, actor, task, command)
        return task

    def act(self, session: Session, task: Task, command: Command) -> Task:
        """Apply a command as the system (intake, a capability's own use case after its own checks); raises
        WorkflowError if the workflow refuses it. People's actions go through `perform`."""
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
            self._tell_escalated(session, task)
        for listener in self._listeners.get(task.kind, ()):
            listener(session, task, command)
        return task

    def check_assignee(
        self, session: Session, workflow: Workflow, assignee_id: int, *, unit_id: int | None, area_id: int | None
    ) -> None:
        """An assignee is an active staff user of a unit that may hold the task: the unit holding it (`unit_id`:
        now, or after a hand-over), or, for a task no unit holds, a unit of its jurisdiction or a county-wide one.
        Raises BadInput naming `assignee_id`."""
        user = session.get(User, assignee_id)
        if user is None or not user.active:
            raise BadInput("指派对象不存在或已停用", field="assignee_id", code="no_such_user")
        if user.role not in workflow.assignee_roles:
            raise BadInput("指派对象不能处理此类任务", field="assignee_id", code="not_staff")
        if unit_id is not None:
            if user.unit_id != unit_id:
                raise BadInput("指派对象不属于处理单位", field="assignee_id", code="other_unit")
            return
        if user.role in COUNTY_WIDE:
            return
        unit = session.get(Unit, user.unit_id) if user.unit_id is not None else None
        if unit is None or unit.area_id is None or area_id is None:
            raise BadInput("指派对象不属于任务辖区", field="assignee_id", code="other_unit")
        covered = {unit.area_id, *session.scalars(select(Area.id).where(Area.parent_id == unit.area_id))}
        if area_id not in covered:
            raise BadInput("指派对象不属于任务辖区", field="assignee_id", code="other_unit")

    # -- reading -----------------------------------------------------------------------------------------

    def sees(self, actor: Actor, scope: Scope, task: Task) -> bool:
        workflow = self.workflows.get(task.kind)
        return workflow is not None and access.sees(actor, scope, task, workflow)

    def visible(self, session: Session, actor: Actor, scope: Scope, task_id: int) -> Task:
        task = session.get(Task, task_id)
        if task is None or not self.sees(actor, scope, task):
            raise NotFound(access.NOT_VISIBLE, field="task_id")
        return task

    def visible_clause(self, scope: Scope) -> ColumnElement[bool]:
        return access.visible_clause(scope, self.workflows.values())

    def permitted(self, actor: Actor, scope: Scope, task: Task) -> frozenset[str]:
        return access.permitted(actor, scope, task, self.workflow(task.kind))

    def overdue(self, task: Task, now: datetime) -> bool:
        return self.workflow(task.kind).overdue(task, now)

    def overdue_clause(self, now: datetime) -> ColumnElement[bool]:
        """`Workflow.overdue` as a WHERE clause, for every kind."""
        parts = [overdue_clause(w.kind, getattr(w, "overdue_steps", None), now) for w in self.workflows.values()]
        return or_(*parts) if parts else false()

    def select(self, scope: Scope, f: TaskFilter, now: datetime) -> Select[Task]:
        """The tasks in `scope` that `f` asks for, unordered: the one query of the worklist and its counts."""
        query = select(Task).where(self.visible_clause(scope))
        if f.kind is not None:
            query = query.where(Task.kind == f.kind)
        if f.statuses:
            query = query.where(Task.status.in_(list(f.statuses)))
        if f.open_only:
            query = query.where(Task.closed_at.is_(None))
        if f.level is not None:
            query = query.where(Task.level == f.level)
        if f.unit_id is not None:
            query = query.where(Task.unit_id == f.unit_id)
        if f.area_ids is not None:
            query = query.where(Task.area_id.in_(list(f.area_ids)))
        if f.assignee_id is not None:
            query = query.where(Task.assignee_id == f.assignee_id)
        if f.unassigned:
            query = query.where(Task.assignee_id.is_(None))
        if f.overdue:
            query = query.where(self.overdue_clause(now))
        if f.title is not None:
            query = query.where(containing(Task.title, f.title))
        return query

    def count(self, session: Session, scope: Scope, f: TaskFilter, now: datetime) -> int:
        query = self.select(scope, f, now)
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    def brief(self, task: Task, now: datetime) -> dict[str, Any]:
        """A task as every screen shows it: status and step with their names, deadline, overdue, escalation."""
        workflow = self.workflow(task.kind)
        rung = workflow.ladder.rung(task.escalation)
        return {
            "id": task.id,
            "kind": task.kind,
            "kind_name": workflow.name,
            "status": task.status,
            "status_name": workflow.statuses.get(task.status, task.status),
            "due_step": task.due_step,
            "due_step_name": workflow.steps.get(task.due_step, "") if task.due_step else None,
            "due_at": task.due_at.isoformat() if task.due_at else None,
            "overdue": workflow.overdue(task, now),
            "escalation": task.escalation,
            "escalation_name": rung.name if rung else None,
            "assignee_id": task.assignee_id,
            "outcome": task.outcome,
            "outcome_name": workflow.outcome_name(task.outcome),
            "facts": workflow.shown(task),
            **workflow.view(task),
        }

    def status_name(self, kind: str, status: str | None) -> str | None:
        if status is None:
            return None
        workflow = self.workflows.get(kind)
        return workflow.statuses.get(status, status) if workflow else status

    def action_forms(self, kind: str, actions: Iterable[str]) -> list[dict[str, Any]]:
        """The person's actions of a kind with their names and the fields each asks for, so a generic
        screen can offer a kind's work (`form_fields`); `generic` says whether the form is plain enough for it."""
        workflow = self.workflow(kind)
        wanted = set(actions)
        # The kind's own work first, in the order it declares it; then the shared ones (note, close…).
        base = {a.value for a in BaseAction}
        order = [a for a in workflow.actions if a not in base] + [a for a in workflow.actions if a in base]
        out: list[dict[str, Any]] = []
        for a in order:
            if a not in wanted:
                continue
            spec = workflow.actions[a]
            fields = form_fields(spec.payload)
            # A form of named, plain fields can be filled on any screen; an id to pick or a choice of codes
            # is left to the kind's own screen (`generic`: false).
            plain = all(
                f["type"] != "other" and f["label"] != f["name"] and not f["name"].endswith("_id") for f in fields
            )
            out.append({"action": a, "name": spec.name, "fields": fields, "generic": plain})
        return out

    def action_name(self, kind: str, action: str) -> str:
        workflow = self.workflows.get(kind)
        spec = workflow.actions.get(action) if workflow else None
        return spec.name if spec else {"issue": "下发", "escalate": "超时升级"}.get(action, action)

    # -- sweeping ----------------------------------------------------------------------------------------

    def sweep(self, session: Session, *, limit: int = 500) -> int:
        """Escalate every open task whose deadline has passed. Returns how many changed.

        Each row is claimed with an update that must change exactly one row, so two sweepers never
        escalate the same task twice; on PostgreSQL the rows are read `FOR UPDATE SKIP LOCKED`.
        """
        now = self.clock.now()
        due = session.scalars(
            select(Task)
            .where(Task.closed_at.is_(None), Task.escalate_at.is_not(None), Task.escalate_at <= now)
            .order_by(Task.escalate_at)
            .limit(limit)
            # PostgreSQL: sweepers on several machines each take tasks no other is sweeping (SKIP LOCKED)
            # rather than queue behind one another; the versioned update below still fences every change.
            .with_for_update(skip_locked=True)
        ).all()
        changed = 0
        for task in due:
            claimed_at, claimed_version = task.escalate_at, task.version
            workflow = self.workflows.get(task.kind)
            if workflow is None:
                continue
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
            step = task.due_step or ""
            rung = workflow.ladder.rung(task.escalation)
            self._record(
                session,
                task,
                BaseAction.ESCALATE,
                None,
                before_status,
                f"超时未完成「{workflow.steps.get(step, step)}」，升级至{rung.name if rung else ''}",
                {"escalation": task.escalation, "step": step},
                now,
            )
            self._tell_escalated(session, task)
            changed += 1
        return changed

    # -- telling -----------------------------------------------------------------------------------------

    def _tell_issued(self, session: Session, tasks: Sequence[Task]) -> None:
        """Tell each new task's unit, and the units its workflow names (the centres, for a 特高危 warning or a
        task no unit holds)."""
        by_kind: dict[tuple[Any, ...], list[int]] = {}
        for task in tasks:
            title = self.notifier.new_task_title(task)
            if task.unit_id is not None:
                self.notifier.send(session, title=title, unit_id=task.unit_id, task_id=task.id)
            kinds = self.workflow(task.kind).issued_to(task)
            if kinds:
                if kinds not in by_kind:
                    by_kind[kinds] = self.notifier.units_of_kinds(session, kinds)
                for unit_id in by_kind[kinds]:
                    if unit_id != task.unit_id:
                        self.notifier.send(session, title=title, unit_id=unit_id, task_id=task.id)

    def _tell_escalated(self, session: Session, task: Task) -> None:
        workflow = self.workflow(task.kind)
        rung = workflow.ladder.rung(task.escalation)
        if rung is None:
            return
        targets: list[int] = []
        if rung.holder and task.unit_id is not None:
            targets.append(task.unit_id)
        elif rung.holder:  # no unit holds it yet: whoever the workflow names for such a task
            targets.extend(self.notifier.units_of_kinds(session, workflow.issued_to(task)))
        if rung.unit_kinds:
            targets.extend(u for u in self.notifier.units_of_kinds(session, rung.unit_kinds) if u not in targets)
        title = f"任务超时升级（第{task.escalation}级）：{task.title}"
        for unit_id in targets:
            self.notifier.send(session, title=title, unit_id=unit_id, task_id=task.id)

    @staticmethod
    def _record(
        session: Session,
        task: Task,
        action: str,
        actor_id: int | None,
        before: str | None,
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
