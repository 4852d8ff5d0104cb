"""The dissuasion ladder (DESIGN §5) as pure rules on a task.

下发 issued → 签收 signed → 电话劝阻 calls → 上门寻找 visit → 见面 met → 反馈 feedback → 评估 evaluated.
"不接电话不放过、不见本人不放弃": an unanswered call is retried, and after the county's limit the task
escalates to a visit; a person not found stays open (and escalates on its deadlines) until met, or until
the centre closes it with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks import COUNTY_WIDE, ActionSpec, Command, Ladder, Payload, Permission, Rung, WorkflowError
from pingan.core.tasks.base import BaseWorkflow, Handler, base_actions, fact, set_facts
from pingan.core.tasks.contract import ClosePayload, EmptyPayload
from pingan.fraud.models import Level, Outcome
from pingan.fraud.rules import DissuasionRules

KIND = "dissuasion"
REF_TYPE = "fraud_warning"


class DissuasionStatus(StrEnum):
    ISSUED = "issued"  # 下发
    SIGNED = "signed"  # 签收
    CALLING = "calling"  # 电话劝阻
    VISITING = "visiting"  # 上门寻找
    MET = "met"  # 见面
    FEEDBACK = "feedback"  # 反馈
    EVALUATED = "evaluated"  # 评估 (closed)
    CLOSED = "closed"  # closed by the centre with a reason


class DissuasionStep(StrEnum):
    """The step whose deadline a dissuasion task is racing."""

    SIGN = "sign"
    CALL = "call"
    MEET = "meet"
    FEEDBACK = "feedback"
    EVALUATE = "evaluate"


class DissuasionAction(StrEnum):
    ISSUE = "issue"
    SIGN = "sign"
    CALL = "call"
    VISIT = "visit"
    MEET = "meet"
    FEEDBACK = "feedback"
    EVALUATE = "evaluate"
    LEVEL = "level"  # the intake: a merged event raised the level
    MERGE = "merge"  # the intake: an event merged into the warning
    ASSIGN = "assign"
    NOTE = "note"
    CLOSE = "close"
    REOPEN = "reopen"
    ESCALATE = "escalate"


STATUS_NAMES: Mapping[str, str] = {
    DissuasionStatus.ISSUED: "已下发",
    DissuasionStatus.SIGNED: "已签收",
    DissuasionStatus.CALLING: "电话劝阻中",
    DissuasionStatus.VISITING: "上门寻找中",
    DissuasionStatus.MET: "已见面",
    DissuasionStatus.FEEDBACK: "已反馈",
    DissuasionStatus.EVALUATED: "已评估",
    DissuasionStatus.CLOSED: "已关闭",
}
STEP_NAMES: Mapping[str, str] = {
    DissuasionStep.SIGN: "签收",
    DissuasionStep.CALL: "电话劝阻",
    DissuasionStep.MEET: "见面劝阻",
    DissuasionStep.FEEDBACK: "反馈",
    DissuasionStep.EVALUATE: "评估",
}
LEVEL_NAMES = {Level.CRITICAL: "特高危", Level.HIGH: "高", Level.MEDIUM: "中", Level.LOW: "低"}
CENTRES = (UnitKind.ANTI_FRAUD_CENTRE, UnitKind.COMMAND_CENTRE)
FIELD_ROLES = frozenset({Role.STATION_HEAD, Role.OFFICER})
STAFF = COUNTY_WIDE | FIELD_ROLES


class CallPayload(Payload):
    answered: bool


class VisitPayload(Payload):
    found: bool


class FeedbackPayload(Payload):
    outcome: Outcome
    amount_yuan: Decimal | None = Field(default=None, ge=0, le=Decimal("1e10"), decimal_places=2)


class CloseDissuasionPayload(ClosePayload):
    outcome: Outcome | None = None
    """Defaults to the outcome already fed back, else unreachable."""


class LevelPayload(Payload):
    level: Level
    title: str | None = Field(default=None, max_length=200)
    """The task's line after the merge: it quotes the reason that graded the warning, which may have changed."""


class MergePayload(Payload):
    event_id: int | None = None
    title: str | None = Field(default=None, max_length=200)


def _actions() -> dict[str, ActionSpec]:
    field_work = Permission(STAFF, holder=True, jurisdiction=True)
    work = "当前角色不能处理任务"
    centre = Permission(COUNTY_WIDE)
    system = Permission(frozenset())  # the intake's own: no person does these
    actions = base_actions(STAFF, leads=COUNTY_WIDE | {Role.STATION_HEAD}, closers=COUNTY_WIDE)
    actions[DissuasionAction.ASSIGN] = ActionSpec(
        DissuasionAction.ASSIGN,
        "指派",
        actions[DissuasionAction.ASSIGN].payload,
        Permission(COUNTY_WIDE | {Role.STATION_HEAD}, holder=True, jurisdiction=True),
        "只有所长或中心可以指派",
    )
    actions[DissuasionAction.NOTE] = ActionSpec(
        DissuasionAction.NOTE, "备注", actions[DissuasionAction.NOTE].payload, field_work, work
    )
    actions[DissuasionAction.CLOSE] = ActionSpec(
        DissuasionAction.CLOSE, "中心关闭", CloseDissuasionPayload, centre, "评估与关闭由中心进行"
    )
    return {
        **actions,
        DissuasionAction.SIGN: ActionSpec(DissuasionAction.SIGN, "签收", EmptyPayload, field_work, work),
        DissuasionAction.CALL: ActionSpec(DissuasionAction.CALL, "电话劝阻", CallPayload, field_work, work),
        DissuasionAction.VISIT: ActionSpec(DissuasionAction.VISIT, "上门寻找", VisitPayload, field_work, work),
        DissuasionAction.MEET: ActionSpec(DissuasionAction.MEET, "见面劝阻", EmptyPayload, field_work, work),
        DissuasionAction.FEEDBACK: ActionSpec(DissuasionAction.FEEDBACK, "反馈", FeedbackPayload, field_work, work),
        DissuasionAction.EVALUATE: ActionSpec(
            DissuasionAction.EVALUATE, "评估", EmptyPayload, centre, "评估与关闭由中心进行"
        ),
        DissuasionAction.LEVEL: ActionSpec(DissuasionAction.LEVEL, "调整等级", LevelPayload, system),
        DissuasionAction.MERGE: ActionSpec(DissuasionAction.MERGE, "合并线索", MergePayload, system),
    }


WORKING = frozenset({DissuasionStatus.SIGNED, DissuasionStatus.CALLING, DissuasionStatus.VISITING})
OUTCOME_NAMES = {
    Outcome.DISSUADED: "劝阻成功",
    Outcome.DEFRAUDED: "已被骗",
    Outcome.NOT_AT_RISK: "无风险",
    Outcome.UNREACHABLE: "无法联系",
}


class DissuasionWorkflow(BaseWorkflow):
    """The dissuasion task (预警劝阻): `pingan.core.tasks.Workflow` for the fraud loop."""

    kind = KIND
    name = "预警劝阻"
    fact_names: ClassVar[Mapping[str, str]] = {"calls": "电话", "missed": "未接通", "visits": "上门"}
    outcomes: ClassVar[Mapping[str, str]] = {
        "dissuaded": "劝阻成功",
        "defrauded": "已被骗",
        "not_at_risk": "无风险",
        "unreachable": "无法联系",
    }
    unescalated_steps = frozenset({DissuasionStep.EVALUATE})
    """The centre's evaluation is watched on the dashboard but not escalated up the ladder."""

    def __init__(self, rules: DissuasionRules) -> None:
        self.rules = rules
        self.statuses = STATUS_NAMES
        self.steps = STEP_NAMES
        self.actions = _actions()
        rungs = (
            Rung("所长", holder=True),
            Rung("反诈中心/情指中心", unit_kinds=CENTRES),
            Rung("局领导", unit_kinds=(UnitKind.BUREAU,)),
        )
        self.ladder = Ladder(timedelta(minutes=rules.escalation_minutes), rungs[: rules.max_escalation])

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

    @staticmethod
    def _reached(task: Task) -> bool:
        """Reached by phone: an answered call moved the task on to its meet or feedback step."""
        return task.status == DissuasionStatus.CALLING and task.due_step in (
            DissuasionStep.MEET,
            DissuasionStep.FEEDBACK,
        )

    def face_to_face(self, task: Task) -> bool:
        return self._level(task) in self.rules.face_to_face_levels

    # -- the Workflow contract ---------------------------------------------------------------------

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = DissuasionStatus.ISSUED
        self.set_due(task, DissuasionStep.SIGN, self._from_issue(task, self.rules.deadlines(self._level(task)).sign))
        return "预警下发"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = DissuasionStatus.SIGNED if task.assignee_id is not None else DissuasionStatus.ISSUED
        step = DissuasionStep.CALL if task.assignee_id is not None else DissuasionStep.SIGN
        marks = self.rules.deadlines(self._level(task))
        self.set_due(task, step, now + timedelta(minutes=marks.call if step == DissuasionStep.CALL else marks.sign))
        return "重新打开，继续劝阻"

    def handlers(self) -> Mapping[str, Handler]:
        return {
            DissuasionAction.SIGN: self._sign,
            DissuasionAction.CALL: self._call,
            DissuasionAction.VISIT: self._visit,
            DissuasionAction.MEET: self._meet,
            DissuasionAction.FEEDBACK: self._feedback,
            DissuasionAction.EVALUATE: self._evaluate,
            DissuasionAction.CLOSE: self._close,
            DissuasionAction.LEVEL: self._relevel,
            DissuasionAction.MERGE: self._merged,
        }

    def view(self, task: Task) -> dict[str, Any]:
        # `unanswered` counts the missed calls since the last answered one (what the retry rule reads); `missed`
        # all of them (what the task's panel shows beside its calls).
        return {
            "calls": fact(task, "calls"),
            "unanswered": fact(task, "unanswered"),
            "missed": fact(task, "missed"),
            "visits": fact(task, "visits"),
        }

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        """A 特高危 warning goes to the centres too (they call in parallel); an unrouted one is theirs."""
        return CENTRES if task.level == Level.CRITICAL or task.unit_id is None else ()

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({DissuasionAction.REOPEN})
        always: set[str] = {DissuasionAction.NOTE, DissuasionAction.CLOSE, DissuasionAction.ASSIGN}
        if task.status == DissuasionStatus.ISSUED:
            return frozenset({DissuasionAction.SIGN, *always})
        if task.status in WORKING:
            working = {DissuasionAction.CALL, DissuasionAction.VISIT, DissuasionAction.MEET, *always}
            if self._reached(task) and not self.face_to_face(task):
                working.add(DissuasionAction.FEEDBACK)
            return frozenset(working)
        if task.status == DissuasionStatus.MET:
            return frozenset({DissuasionAction.FEEDBACK, *always})
        if task.status == DissuasionStatus.FEEDBACK:
            return frozenset({DissuasionAction.EVALUATE, *always})
        return frozenset(always)

    def _sign(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != DissuasionStatus.ISSUED:
            raise WorkflowError("任务已签收", code="already_signed")
        task.status = DissuasionStatus.SIGNED
        self.claim(task, command)
        self.set_due(task, DissuasionStep.CALL, self._from_issue(task, self.rules.deadlines(self._level(task)).call))
        return "签收"

    def _require_signed(self, task: Task) -> None:
        if task.status == DissuasionStatus.ISSUED:
            raise WorkflowError("请先签收任务", code="not_signed")

    def _call(self, task: Task, command: Command, now: datetime) -> str:
        self._require_signed(task)
        if task.status not in WORKING:
            raise WorkflowError("当前状态不能登记电话", code="invalid_transition")
        answered = command.data.get("answered")
        if not isinstance(answered, bool):
            raise WorkflowError("answered 必须为 true 或 false", code="invalid_field", field="answered")
        set_facts(task, calls=fact(task, "calls") + 1)
        if answered:
            set_facts(task, unanswered=0)
            task.status = DissuasionStatus.CALLING  # reached by phone, also after a visit found nobody
            if self.face_to_face(task):
                if task.due_step != DissuasionStep.MEET:
                    self.set_due(task, DissuasionStep.MEET, self._meet_due(task, now))
                return "电话接通，须见面劝阻"
            self.set_due(task, DissuasionStep.FEEDBACK, now + timedelta(minutes=self.rules.feedback_minutes))
            return "电话接通"
        unanswered = fact(task, "unanswered") + 1
        set_facts(task, unanswered=unanswered, missed=fact(task, "missed") + 1)
        if task.status == DissuasionStatus.VISITING:
            return f"电话未接通（连续第{unanswered}次），继续上门寻找"
        if self._reached(task):
            # Already reached: a later missed call changes no deadline (the meet or feedback clock runs on).
            return f"电话未接通（第{unanswered}次），本人此前已联系上"
        if unanswered >= self.rules.max_unanswered:
            task.status = DissuasionStatus.VISITING
            self.set_due(task, DissuasionStep.MEET, self._meet_due(task, now))
            return f"连续{unanswered}次未接通，转上门寻找"
        task.status = DissuasionStatus.CALLING
        self.set_due(task, DissuasionStep.CALL, now + timedelta(minutes=self.rules.retry_minutes))
        return f"电话未接通（第{unanswered}次），{self.rules.retry_minutes}分钟内重拨"

    def _visit(self, task: Task, command: Command, now: datetime) -> str:
        self._require_signed(task)
        if task.status not in WORKING:
            raise WorkflowError("当前状态不能登记上门", code="invalid_transition")
        found = command.data.get("found")
        if not isinstance(found, bool):
            raise WorkflowError("found 必须为 true 或 false", code="invalid_field", field="found")
        visits = fact(task, "visits") + 1
        set_facts(task, visits=visits)
        if found:
            return self._meet(task, command, now)
        if self._reached(task) and not self.face_to_face(task):
            return f"上门未见到本人（第{visits}次），本人此前已电话联系上"
        task.status = DissuasionStatus.VISITING
        if task.due_step != DissuasionStep.MEET:
            self.set_due(task, DissuasionStep.MEET, self._meet_due(task, now))
        return f"上门未见到本人（第{visits}次），继续寻找"

    def _meet(self, task: Task, command: Command, now: datetime) -> str:
        self._require_signed(task)
        if task.status not in WORKING:
            raise WorkflowError("当前状态不能登记见面", code="invalid_transition")
        task.status = DissuasionStatus.MET
        self.set_due(task, DissuasionStep.FEEDBACK, now + timedelta(minutes=self.rules.feedback_minutes))
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
        if task.status != DissuasionStatus.MET and not (reached_by_phone and not self.face_to_face(task)):
            need = "见到本人" if self.face_to_face(task) else "电话联系上本人或见到本人"
            raise WorkflowError(f"须先{need}才能反馈", code="not_reached")
        amount = _yuan(command.data.get("amount_yuan"), "amount_yuan")
        if outcome is not Outcome.DISSUADED and amount and outcome is not Outcome.DEFRAUDED:
            raise WorkflowError("只有劝阻成功或已被骗的任务可登记金额", code="invalid_field", field="amount_yuan")
        task.status = DissuasionStatus.FEEDBACK
        task.outcome = outcome.value
        self.set_due(task, DissuasionStep.EVALUATE, now + timedelta(minutes=self.rules.evaluate_minutes))
        return f"反馈：{OUTCOME_NAMES[outcome]}" + (f"，金额 {amount} 元" if amount else "")

    def _evaluate(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != DissuasionStatus.FEEDBACK:
            raise WorkflowError("须先反馈才能评估", code="not_ready")
        self.finish(task, DissuasionStatus.EVALUATED, now)
        return "评估办结"

    def _close(self, task: Task, command: Command, now: datetime) -> str:
        if not (command.reason or "").strip():
            raise WorkflowError("关闭任务必须说明理由", code="reason_required", field="reason")
        raw = command.data.get("outcome") or task.outcome or Outcome.UNREACHABLE.value
        try:
            outcome = Outcome(str(raw))
        except ValueError:
            raise WorkflowError("outcome 无效", code="invalid_field", field="outcome") from None
        self.finish(task, DissuasionStatus.CLOSED, now, outcome.value)
        return f"中心关闭：{OUTCOME_NAMES[outcome]}"

    def _merged(self, task: Task, command: Command, now: datetime) -> str:
        _retitle(task, command)
        return self._note(task, command, now)

    def _relevel(self, task: Task, command: Command, now: datetime) -> str:
        """A merged event raised the level: tighten the current step's deadline, never loosen it."""
        _retitle(task, command)
        new = Level(str(command.data["level"]))
        old = self._level(task)
        task.level = new.value
        if task.due_step in (DissuasionStep.SIGN, DissuasionStep.CALL, DissuasionStep.MEET) and task.due_at is not None:
            marks = self.rules.deadlines(new)
            minutes: int = {
                DissuasionStep.SIGN: marks.sign,
                DissuasionStep.CALL: marks.call,
                DissuasionStep.MEET: marks.meet or marks.call,
            }[DissuasionStep(task.due_step)]
            tightened = min(task.due_at, max(now, self._from_issue(task, minutes)))
            if task.due_at != tightened:
                task.due_at = tightened
                task.escalate_at = tightened
        if (
            task.status == DissuasionStatus.CALLING
            and task.due_step == DissuasionStep.FEEDBACK
            and self.face_to_face(task)
        ):
            self.set_due(task, DissuasionStep.MEET, self._meet_due(task, now))
        return f"等级由{LEVEL_NAMES[old]}调整为{LEVEL_NAMES[new]}"


def _retitle(task: Task, command: Command) -> None:
    title = command.data.get("title")
    if isinstance(title, str) and title.strip():
        task.title = title.strip()


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
