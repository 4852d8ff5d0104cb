"""The one access decision for tasks: who sees a task, and who may do which action on it.

Every edge (the generic task API, the desk's endpoints, the residents' page, the CLI) asks here, so a
permission is decided in exactly one place, from the workflow's declarations.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, aliased, object_session

from pingan.core.errors import BadInput, Forbidden, NotFound
from pingan.core.identity import Actor
from pingan.core.models import Role, Task
from pingan.core.scope import Scope
from pingan.core.tasks.contract import COUNTY_WIDE, WITHDRAWN, ActionSpec, Workflow

NOT_VISIBLE = "任务不存在或不在本单位辖区"


def sees(actor: Actor, scope: Scope, task: Task, workflow: Workflow) -> bool:
    """Whether the actor may see the task at all."""
    if not scope.has(workflow.duty):
        return False
    if actor.role is Role.RESIDENT:
        return workflow.owner_of(task) == actor.id
    if scope.county_wide:
        return True
    if task.unit_id is not None and task.unit_id in scope.unit_ids:
        return True
    in_area = task.area_id is not None and task.area_id in scope.area_ids
    if in_area and (workflow.seen_by_area or task.unit_id is None):
        return True
    return _reads_through_part(scope, task, workflow)


def _readers(workflow: Workflow) -> frozenset[str]:
    found: frozenset[str] = getattr(workflow, "read_by_kinds", frozenset())
    return found


def _part_of(
    scope: Scope,
    readers: frozenset[str],
    ref_type: InstrumentedAttribute[str] | str,
    ref_id: InstrumentedAttribute[int] | int,
) -> ColumnElement[bool]:
    """A task of a reader kind on the reference, held by one of the scope's units, not withdrawn."""
    part = aliased(Task)
    return exists().where(
        part.ref_type == ref_type,
        part.ref_id == ref_id,
        part.kind.in_(sorted(readers)),
        part.unit_id.in_(scope.unit_ids),
        or_(part.outcome.is_(None), part.outcome != WITHDRAWN),
    )


def _reads_through_part(scope: Scope, task: Task, workflow: Workflow) -> bool:
    """Whether one of the scope's units holds a part of the task (`BaseWorkflow.read_by_kinds`): it reads it,
    the same decision as `visible_clause`'s."""
    readers = _readers(workflow)
    session = object_session(task)
    if not readers or not scope.unit_ids or session is None:
        return False
    return bool(session.scalar(select(_part_of(scope, readers, task.ref_type, task.ref_id))))


def visible_clause(scope: Scope, workflows: Iterable[Workflow]) -> ColumnElement[bool]:
    """`sees` as a WHERE clause on tasks, for staff lists (residents see their own through their capability)."""
    workflows = list(workflows)
    restricted = sorted(w.kind for w in workflows if not scope.has(w.duty))
    seen = _visible_clause(scope, workflows)
    return and_(Task.kind.not_in(restricted), seen) if restricted else seen


def _visible_clause(scope: Scope, workflows: list[Workflow]) -> ColumnElement[bool]:
    if scope.county_wide:
        return true()
    parts: list[ColumnElement[bool]] = []
    if scope.unit_ids:
        parts.append(Task.unit_id.in_(scope.unit_ids))
    if scope.area_ids:
        by_area = [w.kind for w in workflows if w.seen_by_area]
        in_area = Task.area_id.in_(scope.area_ids)
        held_elsewhere_ok = or_(Task.kind.in_(by_area), Task.unit_id.is_(None)) if by_area else Task.unit_id.is_(None)
        parts.append(and_(in_area, held_elsewhere_ok))
    if scope.unit_ids:
        for workflow in workflows:
            readers = _readers(workflow)
            if readers:
                parts.append(and_(Task.kind == workflow.kind, _part_of(scope, readers, Task.ref_type, Task.ref_id)))
    return or_(*parts) if parts else false()


def refusal(actor: Actor, scope: Scope, task: Task, workflow: Workflow, action: str) -> Forbidden | BadInput | None:
    """Why the actor may not do `action` on a task they can see; None if they may."""
    spec: ActionSpec | None = workflow.actions.get(action)
    if spec is None:
        known = "、".join(sorted(workflow.actions))
        return BadInput(
            f"{workflow.name}不支持操作 {action}（可用：{known}）", field="action", code="unsupported_action"
        )
    rule = spec.permission
    if actor.role not in rule.roles:
        return Forbidden(spec.denied, field="action")
    if actor.role in COUNTY_WIDE:
        return None
    if rule.holder and actor.unit_id is not None and actor.unit_id == task.unit_id:
        return None
    if rule.jurisdiction and task.area_id is not None and task.area_id in scope.area_ids:
        return None
    if rule.assignee and task.assignee_id is not None and task.assignee_id == actor.id:
        return None
    if rule.owner and workflow.owner_of(task) == actor.id:
        return None
    return Forbidden("该任务不由本单位处理", field="action", code="not_holder")


def check(actor: Actor, scope: Scope, task: Task | None, workflow: Workflow | None, action: str) -> None:
    """Raise NotFound (cannot see it) or the refusal; return if the actor may act."""
    if task is None or workflow is None or not sees(actor, scope, task, workflow):
        raise NotFound(NOT_VISIBLE, field="task_id")
    denied = refusal(actor, scope, task, workflow, action)
    if denied is not None:
        raise denied


def permitted(actor: Actor, scope: Scope, task: Task, workflow: Workflow) -> frozenset[str]:
    """The actions to offer this actor now: the state admits them and the decision allows them."""
    if not sees(actor, scope, task, workflow):
        return frozenset()
    return frozenset(a for a in workflow.allowed(task) if refusal(actor, scope, task, workflow, a) is None)
