"""The dissuasion ladder (DESIGN §5) as pure rules on a task.

下发 issued → 签收 signed → 电话劝阻 calls → 上门寻找 visit → 见面 met → 反馈 feedback → 评估 evaluated.
"不接电话不放过、不见本人不放弃": an unanswered call is retried, and after the county's limit the task
escalates to a visit; a person not found stays open (and escalates on its deadlines) until met, or until
the centre closes it with a reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from pingan.core.models import Step, Task, TaskAction, TaskStatus
from pingan.core.tasks import Command, WorkflowError
from pingan.fraud.models import Level, Outcome
from pingan.fraud.rules import DissuasionRules

WORKING = frozenset({TaskStatus.SIGNED, TaskStatus.CALLING, TaskStatus.VISITING})
OUTCOME_NAMES = {
    Outcome.DISSUADED: "劝阻成功",
    Outcome.DEFRAUDED: "已被骗",
    Outcome.NOT_AT_RISK: "无风险",
    Outcome.UNREACHABLE: "无法联系",
}


class DissuasionWorkflow:
    """Implements `pingan.core.tasks.Workflow` for dissuasion tasks."""

    def __init__(self, rules: DissuasionRules) -> None:
        self.rules = rules
        self.escalation_interval = timedelta(minutes=rules.escalation_minutes)
        self.max_escalation = rules.max_escalation

    # -- deadlines ---------------------------------------------------------------------------------

    def _level(self, task: Task) -> Level:
        return Level(task.level or Level.MEDIUM)

    def _from_issue(self, task: Task, minutes: int) -> datetime:
        return task.created_at + timedelta(minutes=minutes)

    def _meet_due(self, task: Task, now: datetime) -> datetime:
        meet = self.rules.deadlines(self._level(task)).meet
        if meet == 0:  # a level that needs no visit, but the person could not be reached by phone
            return now + timedelta(minutes=self.rules.evaluate_minutes)
        return self._from_issue(task, meet)

    def _set_due(self, task: Task, step: Step | None, due: datetime | None) -> None:
        if step != task.due_step:
            task.escalation = 0  # a new step starts its own clock; the history keeps the earlier rungs
        task.due_step = step
        task.due_at = due
        # The centre's evaluation is watched on the dashboard but not escalated up the ladder.
        task.escalate_at = due if step not in (None, Step.EVALUATE) else None

    @staticmethod
    def _reached(task: Task) -> bool:
        """Reached by phone: an answered call moved the task on to its meet or feedback step."""
        return task.status is TaskStatus.CALLING and task.due_step in (Step.MEET, Step.FEEDBACK)

    def face_to_face(self, task: Task) -> bool:
        return self._level(task) in self.rules.face_to_face_levels

    # -- the Workflow protocol ---------------------------------------------------------------------

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = TaskStatus.ISSUED
        self._set_due(task, Step.SIGN, self._from_issue(task, self.rules.deadlines(self._level(task)).sign))
        return "预警下发"

    def apply(self, task: Task, command: Command, now: datetime) -> str | None:
        if task.closed_at is not None:
            raise WorkflowError("任务已办结", code="task_closed")
        handler = {
            TaskAction.SIGN: self._sign,
            TaskAction.CALL: self._call,
            TaskAction.VISIT: self._visit,
            TaskAction.MEET: self._meet,
            TaskAction.FEEDBACK: self._feedback,
            TaskAction.EVALUATE: self._evaluate,
            TaskAction.CLOSE: self._close,
            TaskAction.LEVEL: self._relevel,
            TaskAction.ASSIGN: self._assign,
            TaskAction.NOTE: self._note,
            TaskAction.MERGE: self._note,
        }.get(command.action)
        if handler is None:
            raise WorkflowError(f"劝阻任务不支持操作 {command.action.value}", code="unsupported_action", field="action")
        return handler(task, command, now)

    def allowed(self, task: Task) -> frozenset[TaskAction]:
        if task.closed_at is not None:
            return frozenset()
        always = {TaskAction.NOTE, TaskAction.CLOSE, TaskAction.ASSIGN}
        if task.status is TaskStatus.ISSUED:
            return frozenset({TaskAction.SIGN, *always})
        if task.status in WORKING:
            working = {TaskAction.CALL, TaskAction.VISIT, TaskAction.MEET, *always}
            if self._reached(task) and not self.face_to_face(task):
                working.add(TaskAction.FEEDBACK)
            return frozenset(working)
        if task.status is TaskStatus.MET:
            return frozenset({TaskAction.FEEDBACK, *always})
        if task.status is TaskStatus.FEEDBACK:
            return frozenset({TaskAction.EVALUATE, *always})
        return frozenset(always)

    def _sign(self, task: Task, command: Command, now: datetime) -> str:
        if task.status is not TaskStatus.ISSUED:
            raise WorkflowError("任务已签收", code="already_signed")
        task.status = TaskStatus.SIGNED
        if task.assignee_id is None:
            task.assignee_id = command.actor_id
        self._set_due(task, Step.CALL, self._from_issue(task, self.rules.deadlines(self._level(task)).call))
        return "签收"

    def _require_signed(self, task: Task) -> None:
        if task.status is TaskStatus.ISSUED:
            raise WorkflowError("请先签收任务", code="not_signed")

    def _call(self, task: Task, command: Command, now: datetime) -> str:
        self._require_signed(task)
        if task.status not in WORKING:
            raise WorkflowError("当前状态不能登记电话", code="invalid_transition")
        answered = command.data.get("answered")
        if not isinstance(answered, bool):
            raise WorkflowError("answered 必须为 true 或 false", code="invalid_field", field="answered")
        task.calls += 1
        if answered:
            task.unanswered = 0
            task.status = TaskStatus.CALLING  # reached by phone, also after a visit found nobody
            if self.face_to_face(task):
                if task.due_step is not Step.MEET:
                    self._set_due(task, Step.MEET, self._meet_due(task, now))
                return "电话接通，须见面劝阻"
            self._set_due(task, Step.FEEDBACK, now + timedelta(minutes=self.rules.feedback_minutes))
            return "电话接通"
        task.unanswered += 1
        if task.status is TaskStatus.VISITING:
            return f"电话未接通（连续第{task.unanswered}次），继续上门寻找"
        if self._reached(task):
            # Already reached: a later missed call changes no deadline (the meet or feedback clock runs on).
            return f"电话未接通（第{task.unanswered}次），本人此前已联系上"
        if task.unanswered >= self.rules.max_unanswered:
            task.status = TaskStatus.VISITING
            self._set_due(task, Step.MEET, self._meet_due(task, now))
            return f"连续{task.unanswered}次未接通，转上门寻找"
        task.status = TaskStatus.CALLING
        self._set_due(task, Step.CALL, now + timedelta(minutes=self.rules.retry_minutes))
        return f"电话未接通（第{task.unanswered}次），{self.rules.retry_minutes}分钟内重拨"

    def _visit(self, task: Task, command: Command, now: datetime) -> str:
        self._require_signed(task)
        if task.status not in WORKING:
            raise WorkflowError("当前状态不能登记上门", code="invalid_transition")
        found = command.data.get("found")
        if not isinstance(found, bool):
            raise WorkflowError("found 必须为 true 或 false", code="invalid_field", field="found")
        task.visits += 1
        if found:
            return self._meet(task, command, now)
        if self._reached(task) and not self.face_to_face(task):
            return f"上门未见到本人（第{task.visits}次），本人此前已电话联系上"
        task.status = TaskStatus.VISITING
        if task.due_step is not Step.MEET:
            self._set_due(task, Step.MEET, self._meet_due(task, now))
        return f"上门未见到本人（第{task.visits}次），继续寻找"

    def _meet(self, task: Task, command: Command, now: datetime) -> str:
        self._require_signed(task)
        if task.status not in WORKING:
            raise WorkflowError("当前状态不能登记见面", code="invalid_transition")
        task.status = TaskStatus.MET
        self._set_due(task, Step.FEEDBACK, now + timedelta(minutes=self.rules.feedback_minutes))
        return "见到本人，当面劝阻"

    def _feedback(self, task: Task, command: Command, now: datetime) -> str:
        self._require_signed(task)
        try:
            outcome = Outcome(str(command.data.get("outcome")))
        except ValueError:
            raise WorkflowError(
                "outcome 须为 dissuaded / defrauded / not_at_risk / unreachable",
                code="invalid_field",
                field="outcome",
            ) from None
        reached_by_phone = self._reached(task)
        if outcome is Outcome.UNREACHABLE:
            raise WorkflowError(
                "不见本人不放弃：无法联系的任务须继续寻找，或由中心说明理由后关闭",
                code="not_allowed",
                field="outcome",
            )
        if task.status is not TaskStatus.MET and not (reached_by_phone and not self.face_to_face(task)):
            need = "见到本人" if self.face_to_face(task) else "电话联系上本人或见到本人"
            raise WorkflowError(f"须先{need}才能反馈", code="not_reached")
        amount = _yuan(command.data.get("amount_yuan"), "amount_yuan")
        if outcome is not Outcome.DISSUADED and amount and outcome is not Outcome.DEFRAUDED:
            raise WorkflowError("只有劝阻成功或已被骗的任务可登记金额", code="invalid_field", field="amount_yuan")
        task.status = TaskStatus.FEEDBACK
        task.outcome = outcome.value
        self._set_due(task, Step.EVALUATE, now + timedelta(minutes=self.rules.evaluate_minutes))
        return f"反馈：{OUTCOME_NAMES[outcome]}" + (f"，金额 {amount} 元" if amount else "")

    def _evaluate(self, task: Task, command: Command, now: datetime) -> str:
        if task.status is not TaskStatus.FEEDBACK:
            raise WorkflowError("须先反馈才能评估", code="not_ready")
        task.status = TaskStatus.EVALUATED
        task.closed_at = now
        self._set_due(task, None, None)
        return "评估办结"

    def _close(self, task: Task, command: Command, now: datetime) -> str:
        if not (command.reason or "").strip():
            raise WorkflowError("关闭任务必须说明理由", code="reason_required", field="reason")
        raw = command.data.get("outcome") or task.outcome or Outcome.UNREACHABLE.value
        try:
            outcome = Outcome(str(raw))
        except ValueError:
            raise WorkflowError("outcome 无效", code="invalid_field", field="outcome") from None
        task.status = TaskStatus.CLOSED
        task.outcome = outcome.value
        task.closed_at = now
        self._set_due(task, None, None)
        return f"中心关闭：{OUTCOME_NAMES[outcome]}"

    def _relevel(self, task: Task, command: Command, now: datetime) -> str:
        """A merged event raised the level: tighten the current step's deadline, never loosen it."""
        new = Level(str(command.data["level"]))
        old = self._level(task)
        task.level = new.value
        if task.due_step in (Step.SIGN, Step.CALL, Step.MEET) and task.due_at is not None:
            marks = self.rules.deadlines(new)
            minutes = {Step.SIGN: marks.sign, Step.CALL: marks.call, Step.MEET: marks.meet or marks.call}[task.due_step]
            tightened = min(task.due_at, max(now, self._from_issue(task, minutes)))
            if task.due_at != tightened:
                task.due_at = tightened
                task.escalate_at = tightened
        if task.status is TaskStatus.CALLING and task.due_step is Step.FEEDBACK and self.face_to_face(task):
            self._set_due(task, Step.MEET, self._meet_due(task, now))
        return f"等级由{old.value}调整为{new.value}"

    def _assign(self, task: Task, command: Command, now: datetime) -> str:
        assignee = command.data.get("assignee_id")
        if not isinstance(assignee, int):
            raise WorkflowError("assignee_id 无效", code="invalid_field", field="assignee_id")
        task.assignee_id = assignee
        return "指派"

    def _note(self, task: Task, command: Command, now: datetime) -> str:
        return command.reason or "备注"


def _yuan(value: object, field: str) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise WorkflowError(f"{field} 不是有效金额", code="invalid_field", field=field) from None
    if amount < 0 or amount > Decimal("1e10") or amount != amount.quantize(Decimal("0.01")):
        raise WorkflowError(f"{field} 须为 0 至 100 亿之间、最多两位小数的金额", code="invalid_field", field=field)
    return amount
