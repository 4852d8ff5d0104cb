"""The desk request's closed loop, declared for the task engine, as pure rules on a core `Task`.

下发 issued → 签收 signed → 答复 replied → 办结 resolved (by the handler, or when the resident rates the
answer) or 关闭 closed (with a reason; a merged duplicate is closed too). The first reply is due within
the county's window (shorter in working hours, shortest for an emergency); a late reply climbs the desk's
own ladder (the handling unit's head, the 情指中心, the bureau). A follow-up from the resident after a reply
reopens the reply clock; a re-route hands the request to another unit with a fresh window, keeping the
history. Who may do what is declared here, once: the handling unit's staff (or the centres) work the
request; the resident who posted it follows up and rates.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks import COUNTY_WIDE, ActionSpec, Command, Ladder, Permission, Rung, WorkflowError
from pingan.core.tasks.base import BaseWorkflow, Handler, base_actions
from pingan.core.tasks.contract import AssignPayload, EmptyPayload, NotePayload, ReopenPayload
from pingan.desk.models import DeskStatus, Resolution
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.hours import reply_due
from pingan.desk.schemas import (
    CloseCreate,
    DivertCreate,
    MergeCreate,
    MessageCreate,
    OpenCaseCreate,
    RateCreate,
    ReplyBody,
    RerouteCreate,
)

KIND = "desk_request"
REF_TYPE = "desk_request"
EMERGENCY_LEVEL = "critical"
WAITING = frozenset({DeskStatus.ISSUED, DeskStatus.SIGNED})
HANDLER_ROLES = frozenset({Role.STATION_HEAD, Role.OFFICER, Role.GOVERNANCE})
STAFF_ROLES = COUNTY_WIDE | HANDLER_ROLES
CASE_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.STATION_HEAD, Role.OFFICER})
"""Who opens a fraud case from a request (the police who open cases; not a governance department)."""


class DeskStep(StrEnum):
    REPLY = "reply"
    RETURN_VISIT = "return_visit"


class DeskAction(StrEnum):
    ISSUE = "issue"
    SIGN = "sign"
    ASSIGN = "assign"
    REPLY = "reply"
    NOTE = "note"
    REROUTE = "reroute"
    DIVERT = "divert"
    MERGE = "merge"
    CLOSE = "close"
    REOPEN = "reopen"
    FOLLOW_UP = "follow_up"
    RATE = "rate"
    OPEN_CASE = "open_case"
    ESCALATE = "escalate"


STATUS_NAMES: Mapping[str, str] = {
    DeskStatus.ISSUED: "已下发",
    DeskStatus.SIGNED: "已签收",
    DeskStatus.REPLIED: "已答复",
    DeskStatus.RESOLVED: "已办结",
    DeskStatus.CLOSED: "已关闭",
}
STEP_NAMES: Mapping[str, str] = {DeskStep.REPLY: "答复", DeskStep.RETURN_VISIT: "回访"}


def _actions() -> dict[str, ActionSpec]:
    handlers = Permission(STAFF_ROLES, holder=True)
    work = "该诉求不由本单位处理"
    resident = Permission(frozenset({Role.RESIDENT}), holder=False, owner=True)
    base = base_actions(STAFF_ROLES, leads=COUNTY_WIDE | {Role.STATION_HEAD}, closers=STAFF_ROLES)

    def spec(
        action: DeskAction, name: str, payload: Any, rule: Permission = handlers, denied: str = work
    ) -> ActionSpec:
        return ActionSpec(action, name, payload, rule, denied)

    return {
        **base,
        DeskAction.SIGN: spec(DeskAction.SIGN, "签收", EmptyPayload),
        DeskAction.ASSIGN: spec(
            DeskAction.ASSIGN,
            "指派",
            AssignPayload,
            Permission(COUNTY_WIDE | {Role.STATION_HEAD}),
            "只有所长或中心可以指派",
        ),
        DeskAction.REPLY: spec(DeskAction.REPLY, "答复", ReplyBody),
        DeskAction.NOTE: spec(DeskAction.NOTE, "内部备注", NotePayload),
        DeskAction.REROUTE: spec(DeskAction.REROUTE, "改派", RerouteCreate),
        DeskAction.DIVERT: spec(DeskAction.DIVERT, "分流", DivertCreate),
        DeskAction.MERGE: spec(DeskAction.MERGE, "合并", MergeCreate),
        DeskAction.CLOSE: spec(DeskAction.CLOSE, "办结/关闭", CloseCreate),
        DeskAction.REOPEN: spec(
            DeskAction.REOPEN, "重新打开", ReopenPayload, Permission(COUNTY_WIDE), "重新打开由中心进行"
        ),
        DeskAction.FOLLOW_UP: spec(DeskAction.FOLLOW_UP, "群众追问", MessageCreate, resident, "仅限提交诉求的群众"),
        DeskAction.RATE: spec(DeskAction.RATE, "群众评价", RateCreate, resident, "仅限提交诉求的群众"),
        DeskAction.OPEN_CASE: spec(
            DeskAction.OPEN_CASE,
            "已被骗，转立案",
            OpenCaseCreate,
            Permission(CASE_ROLES, holder=True),
            "只有处理该诉求的派出所民警或反诈中心可以立案",
        ),
    }


class DeskWorkflow(BaseWorkflow):
    """The desk request (E警通诉求): `pingan.core.tasks.Workflow` for the citizen desk."""

    kind = KIND
    name = "群众诉求"
    seen_by_area = False
    """A request handed to another unit (a specialty, a governance department) is no longer the station's."""
    assignee_roles = STAFF_ROLES
    new_deadline_resets_ladder = True
    closed_actions = frozenset({DeskAction.RATE, DeskAction.REOPEN, DeskAction.OPEN_CASE})
    """A request closed before the loss came out may still open its case (the history says so)."""

    def __init__(self, rules: DeskRules) -> None:
        self.rules = rules
        self.statuses = STATUS_NAMES
        self.steps = STEP_NAMES
        self.actions = _actions()
        rungs = (
            Rung("所长/单位负责人", holder=True),
            Rung("情指中心", unit_kinds=(UnitKind.COMMAND_CENTRE,)),
            Rung("局领导", unit_kinds=(UnitKind.BUREAU,)),
        )
        self.ladder = Ladder(timedelta(minutes=rules.escalation_minutes), rungs[: rules.max_escalation])

    def reply_due(self, task: Task, at: datetime) -> datetime:
        return reply_due(at, self.rules, emergency=task.level == EMERGENCY_LEVEL)

    # -- the Workflow contract ---------------------------------------------------------------------------

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = DeskStatus.ISSUED
        self.set_due(task, DeskStep.REPLY, self.reply_due(task, task.created_at))
        return "诉求受理"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = DeskStatus.SIGNED if task.assignee_id is not None else DeskStatus.ISSUED
        self.set_due(task, DeskStep.REPLY, self.reply_due(task, now))
        return "重新打开，待再次答复"

    def owner_of(self, task: Task) -> int | None:
        owner = (task.facts or {}).get("resident_id")
        return owner if isinstance(owner, int) else None

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        """An emergency, and a request no unit holds, go to the 情指中心."""
        return (UnitKind.COMMAND_CENTRE,) if task.level == EMERGENCY_LEVEL or task.unit_id is None else ()

    def allowed(self, task: Task) -> frozenset[str]:
        """What the request's state admits now (who may is decided from `actions`)."""
        if task.closed_at is not None:
            after: set[str] = {DeskAction.REOPEN, DeskAction.OPEN_CASE}
            if task.status == DeskStatus.RESOLVED:
                after.add(DeskAction.RATE)
            return frozenset(after)
        common: set[str] = {
            DeskAction.ASSIGN,
            DeskAction.REPLY,
            DeskAction.NOTE,
            DeskAction.REROUTE,
            DeskAction.DIVERT,
            DeskAction.MERGE,
            DeskAction.CLOSE,
            DeskAction.FOLLOW_UP,
            DeskAction.OPEN_CASE,
        }
        if task.status == DeskStatus.ISSUED:
            return frozenset({DeskAction.SIGN, *common})
        if task.status == DeskStatus.REPLIED:
            return frozenset({DeskAction.RATE, *common})
        return frozenset(common)

    def handlers(self) -> Mapping[str, Handler]:
        return {
            DeskAction.SIGN: self._sign,
            DeskAction.REPLY: self._reply,
            DeskAction.FOLLOW_UP: self._follow_up,
            DeskAction.REROUTE: self._reroute,
            DeskAction.DIVERT: self._reroute,
            DeskAction.MERGE: self._merge,
            DeskAction.CLOSE: self._close,
            DeskAction.RATE: self._rate,
            DeskAction.OPEN_CASE: self._open_case,
        }

    # -- the desk's own actions --------------------------------------------------------------------------

    def _sign(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != DeskStatus.ISSUED:
            raise WorkflowError("诉求已签收", code="already_signed")
        task.status = DeskStatus.SIGNED
        if command.actor_id is not None:
            task.assignee_id = command.actor_id
        return "签收"

    def _reply(self, task: Task, command: Command, now: datetime) -> str:
        if task.status not in (*WAITING, DeskStatus.REPLIED):
            raise WorkflowError("当前状态不能答复", code="invalid_transition")
        revisit = task.due_step == DeskStep.RETURN_VISIT
        late = (
            task.due_step in (DeskStep.REPLY, DeskStep.RETURN_VISIT) and task.due_at is not None and now > task.due_at
        )
        task.status = DeskStatus.REPLIED
        if task.assignee_id is None:
            task.assignee_id = command.actor_id
        self.set_due(task, None, None)
        said = "回访答复" if revisit else "最终答复" if command.data.get("final") else "答复"
        return f"{said}（超时）" if late else said

    def _follow_up(self, task: Task, command: Command, now: datetime) -> str:
        if task.status == DeskStatus.REPLIED:
            task.status = DeskStatus.SIGNED
            self.set_due(task, DeskStep.REPLY, self.reply_due(task, now))
            return "群众追问，待再次答复"
        return "群众补充说明"

    def _reroute(self, task: Task, command: Command, now: datetime) -> str:
        if not (command.reason or "").strip():
            raise WorkflowError("改派须说明理由", code="reason_required", field="reason")
        unit = command.data.get("unit_id")
        if not isinstance(unit, int) or isinstance(unit, bool):
            raise WorkflowError("unit_id 无效", code="invalid_field", field="unit_id")
        assignee = command.data.get("assignee_id")
        if assignee is not None and (not isinstance(assignee, int) or isinstance(assignee, bool)):
            raise WorkflowError("assignee_id 无效", code="invalid_field", field="assignee_id")
        if unit == task.unit_id and assignee == task.assignee_id:
            raise WorkflowError("已由该单位处理", code="same_unit", field="unit_id")
        task.unit_id = unit
        task.assignee_id = assignee
        task.status = DeskStatus.ISSUED
        # The new handler gets a fresh window from the hand-over; the history keeps the old deadline.
        self.set_due(task, DeskStep.REPLY, self.reply_due(task, now))
        return "分流" if command.action == DeskAction.DIVERT else "改派"

    def _merge(self, task: Task, command: Command, now: datetime) -> str:
        into = command.data.get("into_id")
        if not isinstance(into, int) or isinstance(into, bool):
            raise WorkflowError("into_id 无效", code="invalid_field", field="into_id")
        self.finish(task, DeskStatus.CLOSED, now, Resolution.MERGED.value)
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
            if task.status != DeskStatus.REPLIED:
                raise WorkflowError("办结前须先答复群众", code="not_replied", field="answer")
            self.finish(task, DeskStatus.RESOLVED, now, resolution.value)
            return "办结"
        if not (command.reason or "").strip():
            raise WorkflowError("关闭诉求须说明理由", code="reason_required", field="reason")
        self.finish(task, DeskStatus.CLOSED, now, resolution.value)
        return "关闭"

    def _open_case(self, task: Task, command: Command, now: datetime) -> str:
        # The request's own loop goes on (the resident is still answered); the case is the cases' task.
        case_id = command.data.get("case_id")
        return f"已被骗，转立案（案件#{case_id}）" if case_id else "已被骗，转立案"

    def _rate(self, task: Task, command: Command, now: datetime) -> str:
        rating = command.data.get("rating")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise WorkflowError("评分须为 1 至 5", code="invalid_field", field="rating")
        if task.status not in (DeskStatus.REPLIED, DeskStatus.RESOLVED):
            raise WorkflowError("答复之后才能评价", code="not_replied")
        if rating <= self.rules.low_rating:
            # Not satisfied: back to the unit for a return visit, closed again only once it has answered.
            task.closed_at, task.outcome = None, None
            task.status = DeskStatus.SIGNED if task.assignee_id is not None else DeskStatus.ISSUED
            self.set_due(task, DeskStep.RETURN_VISIT, now + timedelta(hours=self.rules.return_visit_hours))
            return f"群众评价 {rating} 星（不满意），转单位回访"
        if task.status == DeskStatus.REPLIED:
            self.finish(task, DeskStatus.RESOLVED, now, Resolution.RESOLVED.value)
        return f"群众评价 {rating} 星"
