"""A missed check-in or test of a person in community rehabilitation (未按期报到), for the task engine.

下发 issued → 签收 signed (the community officer looks for the person) → found and checked in (已补报到) or
reported lost (失联，已上报), which close the task. Restricted to the 禁毒 duty: nobody without it sees these
tasks, whatever their role (`duty`, decided in `pingan.core.tasks.access`). A missed deadline tells the
station head.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pingan.command.rehab.rules import RehabRules
from pingan.core.models import Duty, Role, Task
from pingan.core.tasks import (
    COUNTY_WIDE,
    ActionSpec,
    BaseStatus,
    Command,
    Ladder,
    Payload,
    Rung,
    WorkflowError,
)
from pingan.core.tasks.base import Handler, StationCheckWorkflow, station_check_actions

KIND = "rehab_checkin"
REF_TYPE = "rehab_check"
STAFF_ROLES = COUNTY_WIDE | {Role.STATION_HEAD, Role.OFFICER}


class RehabStatus(StrEnum):
    ISSUED = BaseStatus.ISSUED.value
    SIGNED = "signed"
    CHECKED_IN = "checked_in"
    LOST = "lost"
    CLOSED = BaseStatus.CLOSED.value


class RehabStep(StrEnum):
    SIGN = "sign"
    RESOLVE = "resolve"


class RehabAction(StrEnum):
    SIGN = "sign"
    RESOLVE = "resolve"


STATUS_NAMES: Mapping[str, str] = {
    RehabStatus.ISSUED: "已下发",
    RehabStatus.SIGNED: "查找中",
    RehabStatus.CHECKED_IN: "已补报到",
    RehabStatus.LOST: "失联已上报",
    RehabStatus.CLOSED: "已关闭",
}
STEP_NAMES: Mapping[str, str] = {RehabStep.SIGN: "签收", RehabStep.RESOLVE: "找到本人"}
OUTCOME_NAMES: Mapping[str, str] = {RehabStatus.CHECKED_IN: "已补报到", RehabStatus.LOST: "失联已上报"}


class ResolvePayload(Payload):
    outcome: Literal["checked_in", "lost"]
    """已补报到 (the person was found and checked in, tested for a missed test) or 失联 (reported lost)."""
    result: Literal["negative", "positive"] | None = None
    """For a missed test: its result."""


def _actions() -> dict[str, ActionSpec]:
    leads = COUNTY_WIDE | {Role.STATION_HEAD}
    return station_check_actions(
        STAFF_ROLES,
        leads=leads,
        closers=leads,
        denied="该任务不由本单位处理",
        work={RehabAction.RESOLVE: ("处理结果", ResolvePayload)},
    )


class RehabCheckinWorkflow(StationCheckWorkflow):
    """`pingan.core.tasks.Workflow` for a missed check-in or test."""

    kind = KIND
    name = "社区戒毒未报到"
    fact_names: ClassVar[Mapping[str, str]] = {"due_on": "应报到日期"}
    duty: ClassVar[str | None] = Duty.NARCOTICS.value
    check_step = RehabStep.RESOLVE
    work_actions = frozenset({RehabAction.RESOLVE})
    signed_note = "签收，查找本人"
    already_signed = "任务已签收"

    def __init__(self, rules: RehabRules) -> None:
        self.rules = rules
        self.statuses = STATUS_NAMES
        self.steps = STEP_NAMES
        self.actions = _actions()
        self.ladder = Ladder(timedelta(minutes=rules.escalation_minutes), (Rung("所长", holder=True),))

    def sign_by(self, task: Task, now: datetime) -> datetime:
        return now + timedelta(minutes=self.rules.sign_minutes)

    def check_by(self, task: Task, now: datetime) -> datetime:
        return now + timedelta(hours=self.rules.resolve_hours)

    def issued_note(self, task: Task) -> str:
        return "未按期报到或检测，请社区民警查找本人"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = RehabStatus.SIGNED
        self.set_due(task, RehabStep.RESOLVE, now + timedelta(hours=self.rules.resolve_hours))
        return "重新打开，待再次查找"

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        return {"plan_id": facts.get("plan_id"), "check_kind": facts.get("check_kind"), "due_on": facts.get("due_on")}

    def handlers(self) -> Mapping[str, Handler]:
        return {**super().handlers(), RehabAction.RESOLVE: self._resolve}

    def _resolve(self, task: Task, command: Command, now: datetime) -> str:
        outcome = RehabStatus(str(command.data.get("outcome")))
        is_test = (task.facts or {}).get("check_kind") == "test"
        if outcome is RehabStatus.CHECKED_IN and is_test and command.data.get("result") is None:
            raise WorkflowError("补检测须填写检测结果", code="result_required", field="result")
        if outcome is RehabStatus.LOST and not (command.reason or "").strip():
            raise WorkflowError("失联须说明查找经过", code="reason_required", field="note")
        self.claim(task, command)
        self.finish(task, outcome, now, outcome.value)
        return f"处理结果：{OUTCOME_NAMES[outcome]}"
