"""The desk request's closed loop as pure rules on a core `Task`.

下发 issued → 签收 signed → 答复 replied → 办结 resolved (by the handler, or when the resident rates the
answer) or 关闭 closed (with a reason; a merged duplicate is closed too). The first reply is due within
the county's window (shorter in working hours, shortest for an emergency); a late reply climbs the core
escalation ladder through `TaskService.sweep`. A follow-up from the resident after a reply reopens the
reply clock; a re-route hands the request to another unit with a fresh window, keeping the history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pingan.core.models import Step, Task, TaskAction, TaskStatus
from pingan.core.tasks import Command, WorkflowError
from pingan.desk.models import Resolution
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.hours import reply_due

WAITING = frozenset({TaskStatus.ISSUED, TaskStatus.SIGNED})
EMERGENCY_LEVEL = "critical"


class DeskWorkflow:
    """Implements `pingan.core.tasks.Workflow` for desk requests."""

    def __init__(self, rules: DeskRules) -> None:
        self.rules = rules
        self.escalation_interval = timedelta(minutes=rules.escalation_minutes)
        self.max_escalation = rules.max_escalation

    def reply_due(self, task: Task, at: datetime) -> datetime:
        return reply_due(at, self.rules, emergency=task.level == EMERGENCY_LEVEL)

    def _set_due(self, task: Task, step: Step | None, due: datetime | None) -> None:
        if step != task.due_step or due != task.due_at:
            task.escalation = 0  # a new deadline starts its own ladder; the history keeps the earlier rungs
        task.due_step = step
        task.due_at = due
        task.escalate_at = due

    # -- the Workflow protocol ---------------------------------------------------------------------

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = TaskStatus.ISSUED
        self._set_due(task, Step.REPLY, self.reply_due(task, task.created_at))
        return "诉求受理"

    def allowed(self, task: Task) -> frozenset[TaskAction]:
        """What the request's state admits now (roles are checked by the desk service)."""
        if task.closed_at is not None:
            return frozenset({TaskAction.RATE}) if task.status is TaskStatus.RESOLVED else frozenset()
        common = {TaskAction.ASSIGN, TaskAction.REPLY, TaskAction.NOTE, TaskAction.REROUTE, TaskAction.MERGE}
        if task.status is TaskStatus.ISSUED:
            return frozenset({TaskAction.SIGN, TaskAction.CLOSE, *common})
        if task.status is TaskStatus.REPLIED:
            return frozenset({TaskAction.CLOSE, TaskAction.RATE, *common})
        return frozenset({TaskAction.CLOSE, *common})

    def apply(self, task: Task, command: Command, now: datetime) -> str | None:
        if task.closed_at is not None and not (
            command.action is TaskAction.RATE and task.status is TaskStatus.RESOLVED
        ):
            raise WorkflowError("诉求已办结", code="request_closed")
        handler = {
            TaskAction.SIGN: self._sign,
            TaskAction.ASSIGN: self._assign,
            TaskAction.REPLY: self._reply,
            TaskAction.NOTE: self._note,
            TaskAction.REROUTE: self._reroute,
            TaskAction.MERGE: self._merge,
            TaskAction.CLOSE: self._close,
            TaskAction.RATE: self._rate,
        }.get(command.action)
        if handler is None:
            raise WorkflowError(f"诉求不支持操作 {command.action.value}", code="unsupported_action", field="action")
        return handler(task, command, now)

    def _sign(self, task: Task, command: Command, now: datetime) -> str:
        if task.status is not TaskStatus.ISSUED:
            raise WorkflowError("诉求已签收", code="already_signed")
        task.status = TaskStatus.SIGNED
        if command.actor_id is not None:
            task.assignee_id = command.actor_id
        return "签收"

    def _assign(self, task: Task, command: Command, now: datetime) -> str:
        assignee = command.data.get("assignee_id")
        if not isinstance(assignee, int) or isinstance(assignee, bool):
            raise WorkflowError("assignee_id 无效", code="invalid_field", field="assignee_id")
        task.assignee_id = assignee
        return "指派"

    def _reply(self, task: Task, command: Command, now: datetime) -> str:
        if task.status not in (*WAITING, TaskStatus.REPLIED):
            raise WorkflowError("当前状态不能答复", code="invalid_transition")
        first = task.due_step is Step.REPLY
        late = first and task.due_at is not None and now > task.due_at
        task.status = TaskStatus.REPLIED
        if task.assignee_id is None:
            task.assignee_id = command.actor_id
        self._set_due(task, None, None)
        said = "最终答复" if command.data.get("final") else "答复"
        return f"{said}（超时）" if late else said

    def _note(self, task: Task, command: Command, now: datetime) -> str:
        if command.data.get("follow_up") is True:
            if task.status is TaskStatus.REPLIED:
                task.status = TaskStatus.SIGNED
                self._set_due(task, Step.REPLY, self.reply_due(task, now))
                return "群众追问，待再次答复"
            return "群众补充说明"
        return command.reason or "备注"

    def _reroute(self, task: Task, command: Command, now: datetime) -> str:
        if not (command.reason or "").strip():
            raise WorkflowError("改派须说明理由", code="reason_required", field="reason")
        unit = command.data.get("unit_id")
        if unit is not None and (not isinstance(unit, int) or isinstance(unit, bool)):
            raise WorkflowError("unit_id 无效", code="invalid_field", field="unit_id")
        assignee = command.data.get("assignee_id")
        if assignee is not None and (not isinstance(assignee, int) or isinstance(assignee, bool)):
            raise WorkflowError("assignee_id 无效", code="invalid_field", field="assignee_id")
        if unit == task.unit_id and assignee == task.assignee_id:
            raise WorkflowError("已由该单位处理", code="same_unit", field="unit_id")
        task.unit_id = unit
        task.assignee_id = assignee
        task.status = TaskStatus.ISSUED
        # The new handler gets a fresh window from the hand-over; the history keeps the old deadline.
        self._set_due(task, Step.REPLY, self.reply_due(task, now))
        return "改派"

    def _merge(self, task: Task, command: Command, now: datetime) -> str:
        into = command.data.get("into_id")
        if not isinstance(into, int) or isinstance(into, bool):
            raise WorkflowError("into_id 无效", code="invalid_field", field="into_id")
        task.status = TaskStatus.CLOSED
        task.outcome = Resolution.MERGED.value
        task.closed_at = now
        self._set_due(task, None, None)
        return f"与诉求#{into}合并处理"

    def _close(self, task: Task, command: Command, now: datetime) -> str:
        try:
            resolution = Resolution(str(command.data.get("resolution", Resolution.RESOLVED.value)))
        except ValueError:
            raise WorkflowError(
                "resolution 须为 resolved 或 closed", code="invalid_field", field="resolution"
            ) from None
        if resolution is Resolution.MERGED:
            raise WorkflowError("合并请用 merge", code="invalid_field", field="resolution")
        if resolution is Resolution.RESOLVED:
            if task.status is not TaskStatus.REPLIED:
                raise WorkflowError("办结前须先答复群众", code="not_replied", field="answer")
            task.status = TaskStatus.RESOLVED
            reason = "办结"
        else:
            if not (command.reason or "").strip():
                raise WorkflowError("关闭诉求须说明理由", code="reason_required", field="reason")
            task.status = TaskStatus.CLOSED
            reason = "关闭"
        task.outcome = resolution.value
        task.closed_at = now
        self._set_due(task, None, None)
        return reason

    def _rate(self, task: Task, command: Command, now: datetime) -> str:
        rating = command.data.get("rating")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise WorkflowError("评分须为 1 至 5", code="invalid_field", field="rating")
        if task.status not in (TaskStatus.REPLIED, TaskStatus.RESOLVED):
            raise WorkflowError("答复之后才能评价", code="not_replied")
        if task.status is TaskStatus.REPLIED:
            task.status = TaskStatus.RESOLVED
            task.outcome = Resolution.RESOLVED.value
            task.closed_at = now
            self._set_due(task, None, None)
        return f"群众评价 {rating} 星"
