"""The `dispute` task kind: 受理 issued → 调解 mediating (sessions) → 达成协议 agreed → 回访 resolved, or
调解未成 failed (referred). The first session, the agreement and the follow-up visit each have a deadline;
a missed one climbs 所长/单位负责人 → 情指中心 → 局领导. Outcome `resolved` is what the rankings count."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field

from pingan.command.disputes.rules import DisputeRules
from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks import COUNTY_WIDE, ActionSpec, Command, Ladder, Permission, Rung, WorkflowError
from pingan.core.tasks.base import BaseWorkflow, Handler, base_actions
from pingan.core.tasks.contract import Payload

KIND = "dispute"
RESOLVED = "resolved"
UNRESOLVED = "unresolved"
STAFF = COUNTY_WIDE | {Role.STATION_HEAD, Role.OFFICER, Role.GOVERNANCE}
LEADS = COUNTY_WIDE | {Role.STATION_HEAD}


class DisputeStatus(StrEnum):
    ISSUED = "issued"
    MEDIATING = "mediating"
    AGREED = "agreed"
    RESOLVED = "resolved"
    FAILED = "failed"
    CLOSED = "closed"


class DisputeAction(StrEnum):
    SESSION = "session"
    AGREE = "agree"
    FOLLOW_UP = "follow_up"
    FAIL = "fail"


class SessionPayload(Payload):
    place: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=4000)
    mediators: str = Field(default="", max_length=200)


class AgreePayload(Payload):
    terms: str = Field(min_length=1, max_length=4000)
    compensation_yuan: int | None = Field(default=None, ge=0, le=10**9)


class FollowUpPayload(Payload):
    stable: bool
    """Whether the parties keep the agreement (矛盾未反弹)."""
    summary: str = Field(min_length=1, max_length=2000)


class FailPayload(Payload):
    reason: str = Field(min_length=1, max_length=2000)
    referral: Literal["court", "arbitration", "petition", "department", "none"] = "none"
    """Where the parties were pointed: 诉讼, 仲裁, 信访, 主管部门, nowhere."""


class DisputeWorkflow(BaseWorkflow):
    kind = KIND
    name = "矛盾纠纷"
    fact_names: ClassVar[Mapping[str, str]] = {"sessions": "调解次数"}
    seen_by_area = True
    assignee_roles = frozenset({Role.STATION_HEAD, Role.OFFICER, Role.GOVERNANCE})

    def __init__(self, rules: DisputeRules) -> None:
        self.rules = rules
        self.statuses = {
            DisputeStatus.ISSUED: "待调解",
            DisputeStatus.MEDIATING: "调解中",
            DisputeStatus.AGREED: "已达成协议",
            DisputeStatus.RESOLVED: "已化解",
            DisputeStatus.FAILED: "调解未成",
            DisputeStatus.CLOSED: "已关闭",
        }
        self.steps = {"session": "首次调解", "agree": "达成协议", "follow_up": "回访"}
        work = Permission(STAFF, holder=True, jurisdiction=True)
        self.actions = {
            **base_actions(STAFF, leads=LEADS, closers=LEADS),
            DisputeAction.SESSION: ActionSpec(DisputeAction.SESSION, "调解", SessionPayload, work),
            DisputeAction.AGREE: ActionSpec(DisputeAction.AGREE, "达成协议", AgreePayload, work),
            DisputeAction.FOLLOW_UP: ActionSpec(DisputeAction.FOLLOW_UP, "回访", FollowUpPayload, work),
            DisputeAction.FAIL: ActionSpec(DisputeAction.FAIL, "调解未成", FailPayload, work),
        }
        self.ladder = Ladder(
            timedelta(hours=rules.escalation_hours),
            (
                Rung("所长/单位负责人", holder=True),
                Rung("情指中心", unit_kinds=(UnitKind.COMMAND_CENTRE,)),
                Rung("局领导", unit_kinds=(UnitKind.BUREAU,)),
            ),
        )

    def _agree_due(self, task: Task) -> datetime:
        return task.created_at + timedelta(days=self.rules.mediate_days)

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = DisputeStatus.ISSUED
        self.set_due(task, "session", now + timedelta(days=self.rules.first_session_days))
        return "纠纷登记，待调解"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = DisputeStatus.MEDIATING
        self.set_due(task, "agree", now + timedelta(days=self.rules.mediate_days))
        return "重新打开，继续调解"

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({"reopen"})
        common = {"assign", "note", "close"}
        by_status = {
            DisputeStatus.ISSUED: {DisputeAction.SESSION, DisputeAction.FAIL},
            DisputeStatus.MEDIATING: {DisputeAction.SESSION, DisputeAction.AGREE, DisputeAction.FAIL},
            DisputeStatus.AGREED: {DisputeAction.FOLLOW_UP},
        }
        return frozenset(common | by_status.get(DisputeStatus(task.status), set()))

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        return {k: facts[k] for k in ("dispute_id", "category", "sessions") if k in facts}

    def handlers(self) -> Mapping[str, Handler]:
        return {
            DisputeAction.SESSION: self._session,
            DisputeAction.AGREE: self._agree,
            DisputeAction.FOLLOW_UP: self._follow_up,
            DisputeAction.FAIL: self._fail,
        }

    def _session(self, task: Task, command: Command, now: datetime) -> str:
        if task.status not in (DisputeStatus.ISSUED, DisputeStatus.MEDIATING):
            raise WorkflowError("当前状态不能登记调解", code="not_mediating")
        sessions = int((task.facts or {}).get("sessions", 0)) + 1
        task.facts = {**(task.facts or {}), "sessions": sessions}
        if task.status == DisputeStatus.ISSUED:
            task.status = DisputeStatus.MEDIATING
            task.assignee_id = task.assignee_id or command.actor_id
            self.set_due(task, "agree", max(self._agree_due(task), now + timedelta(days=1)))
        return f"第{sessions}次调解（{command.data.get('place', '')}）：{command.data.get('summary', '')}"

    def _agree(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != DisputeStatus.MEDIATING:
            raise WorkflowError("须先登记调解", code="not_mediating")
        task.status = DisputeStatus.AGREED
        self.set_due(task, "follow_up", now + timedelta(days=self.rules.follow_up_days))
        return f"达成调解协议：{command.data.get('terms', '')}"

    def _follow_up(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != DisputeStatus.AGREED:
            raise WorkflowError("尚未达成协议", code="not_agreed")
        if command.data.get("stable"):
            self.finish(task, DisputeStatus.RESOLVED, now, RESOLVED)
            return f"回访：协议履行，矛盾化解。{command.data.get('summary', '')}"
        task.status = DisputeStatus.MEDIATING
        self.set_due(task, "agree", now + timedelta(days=self.rules.mediate_days))
        return f"回访：矛盾反弹，重新调解。{command.data.get('summary', '')}"

    def _fail(self, task: Task, command: Command, now: datetime) -> str:
        if task.status not in (DisputeStatus.ISSUED, DisputeStatus.MEDIATING):
            raise WorkflowError("当前状态不能结束调解", code="not_mediating")
        self.finish(task, DisputeStatus.FAILED, now, UNRESOLVED)
        return f"调解未成（{command.data.get('referral', 'none')}）"
