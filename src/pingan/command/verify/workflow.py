"""The verification of one pushed row (核查), declared for the task engine as pure rules.

下发 issued → 签收 signed → 反馈 with one of three findings, which close the task: nothing wrong (核查无异常), a
problem found and dealt with (已处置, the measures named), or the person or place not found (查无此人). Signing
has the county's deadline, the feedback the list's own; a missed one climbs the ladder: the station head, the
command centre, the bureau. A row no station could be found for is held by nobody: the command centre routes
it to a station (`route`). The station holding the task works it; the centres may too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field

from pingan.command.verify.models import Finding
from pingan.command.verify.rules import VerifyRules
from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks import (
    COUNTY_WIDE,
    ActionSpec,
    BaseStatus,
    Command,
    Payload,
    Permission,
    Rung,
    WorkflowError,
)
from pingan.core.tasks.base import Handler, StationCheckWorkflow, station_check_actions, station_ladder

KIND = "verification"
REF_TYPE = "verify_item"
STAFF_ROLES = COUNTY_WIDE | {Role.STATION_HEAD, Role.OFFICER}


class VerifyStatus(StrEnum):
    ISSUED = BaseStatus.ISSUED.value
    SIGNED = "signed"
    CLEARED = "cleared"
    HANDLED = "handled"
    NOT_FOUND = "not_found"
    CLOSED = BaseStatus.CLOSED.value


class VerifyStep(StrEnum):
    SIGN = "sign"
    VERIFY = "verify"


class VerifyAction(StrEnum):
    SIGN = "sign"
    FEEDBACK = "feedback"
    ROUTE = "route"


STATUS_NAMES: Mapping[str, str] = {
    VerifyStatus.ISSUED: "已下发",
    VerifyStatus.SIGNED: "排查中",
    VerifyStatus.CLEARED: "核查无异常",
    VerifyStatus.HANDLED: "已处置",
    VerifyStatus.NOT_FOUND: "查无此人",
    VerifyStatus.CLOSED: "已关闭",
}
STEP_NAMES: Mapping[str, str] = {VerifyStep.SIGN: "签收", VerifyStep.VERIFY: "核查反馈"}
FINDING_NAMES: Mapping[str, str] = {
    Finding.CLEARED: "核查无异常",
    Finding.HANDLED: "已处置",
    Finding.NOT_FOUND: "查无此人",
}


class FeedbackPayload(Payload):
    finding: Literal["cleared", "handled", "not_found"]
    """核查无异常 (cleared), 发现问题已处置 (handled: `measures` required), 查无此人 (not_found)."""
    measures: str | None = Field(default=None, max_length=2000)
    """What was done about it (处置措施)."""


class RoutePayload(Payload):
    unit_id: int = Field(ge=1, le=2**63 - 1)
    """The station to verify the row."""


def verify_by(task: Task) -> datetime | None:
    """The list's deadline, carried on the task."""
    raw = (task.facts or {}).get("due_at")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


def _actions() -> dict[str, ActionSpec]:
    return {
        **station_check_actions(
            STAFF_ROLES,
            leads=COUNTY_WIDE | {Role.STATION_HEAD},
            closers=COUNTY_WIDE,
            denied="该核查任务不由本单位处理",
            work={VerifyAction.FEEDBACK: ("核查反馈", FeedbackPayload)},
        ),
        VerifyAction.ROUTE: ActionSpec(
            VerifyAction.ROUTE, "分派派出所", RoutePayload, Permission(COUNTY_WIDE), "分派由中心进行"
        ),
    }


class VerificationWorkflow(StationCheckWorkflow):
    """`pingan.core.tasks.Workflow` for a row of a pushed verification list."""

    kind = KIND
    name = "核查清单"
    fact_names: ClassVar[Mapping[str, str]] = {"list_title": "核查清单", "verify_by": "核查期限"}
    check_step = VerifyStep.VERIFY
    work_actions = frozenset({VerifyAction.FEEDBACK, VerifyAction.ROUTE})
    signed_note = "签收，排查中"
    unplaced_to = (UnitKind.COMMAND_CENTRE,)
    """A row no station holds goes to the command centre, which routes it."""

    def __init__(self, rules: VerifyRules) -> None:
        self.rules = rules
        self.statuses = STATUS_NAMES
        self.steps = STEP_NAMES
        self.actions = _actions()
        centre = Rung("情指中心", unit_kinds=(UnitKind.COMMAND_CENTRE,))
        self.ladder = station_ladder(rules.escalation_minutes, rules.max_escalation, centre)

    def sign_by(self, task: Task, now: datetime) -> datetime:
        due = verify_by(task)
        sign = now + timedelta(minutes=self.rules.sign_minutes)
        return min(sign, due) if due is not None else sign

    def check_by(self, task: Task, now: datetime) -> datetime:
        return verify_by(task) or now + timedelta(hours=self.rules.default_hours)

    def issued_note(self, task: Task) -> str:
        return "核查清单下发" if task.unit_id is not None else "未能落地到派出所，待情指中心分派"

    def recheck_by(self, task: Task, now: datetime) -> datetime:
        return now + timedelta(hours=self.rules.default_hours)

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        return {
            "list_id": facts.get("list_id"),
            "list_title": facts.get("list_title"),
            "verify_by": facts.get("due_at"),
        }

    def handlers(self) -> Mapping[str, Handler]:
        return {**super().handlers(), VerifyAction.FEEDBACK: self._feedback, VerifyAction.ROUTE: self._route}

    def _feedback(self, task: Task, command: Command, now: datetime) -> str:
        finding = Finding(str(command.data.get("finding")))
        measures = str(command.data.get("measures") or "").strip()
        if finding is Finding.HANDLED and not measures:
            raise WorkflowError("已处置须写明处置措施", code="measures_required", field="measures")
        self.claim(task, command)
        self.finish(task, VerifyStatus(finding.value), now, finding.value)
        return f"核查反馈：{FINDING_NAMES[finding]}" + (f"（处置：{measures}）" if measures else "")

    def _route(self, task: Task, command: Command, now: datetime) -> str:
        # The service's check has made sure the unit is a station and added its area.
        unit_id, area_id = command.data.get("unit_id"), command.data.get("area_id")
        if not isinstance(unit_id, int) or unit_id == task.unit_id:
            raise WorkflowError("已由该派出所核查", code="same_unit", field="unit_id")
        task.unit_id = unit_id
        task.area_id = area_id if isinstance(area_id, int) else task.area_id
        task.assignee_id = None
        task.status = VerifyStatus.ISSUED
        sign = now + timedelta(minutes=self.rules.sign_minutes)
        due = verify_by(task)
        self.set_due(task, VerifyStep.SIGN, min(sign, due) if due is not None and due > now else sign)
        return "分派至派出所核查"
