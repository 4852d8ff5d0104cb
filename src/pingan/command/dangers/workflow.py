"""The task kinds of hidden dangers, as pure rules on a core `Task`.

- `hidden_danger`, held by the lead department: 下发 issued → 签收 rectifying (the plan's deadline) →
  提请验收 submitted (after-photos; every co-department's part reported) → 验收通过 accepted, outcome
  `rectified`; 验收不通过 sends it back to rectifying with a new deadline. The station of the place and the
  centres accept (现场验收 by the police).
- `hidden_danger_part`, held by a co-department: 下发 → 签收 → 反馈 reported (its part done, outcome
  `reported`), due some days before the finding's deadline.

Both climb the ladder 牵头/责任部门 → 情指中心 → 局领导 every `escalation_hours` after a missed deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from pingan.command.dangers.rules import DangerRules
from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks import COUNTY_WIDE, ActionSpec, Command, Ladder, Permission, Rung, WorkflowError
from pingan.core.tasks.base import BaseWorkflow, Handler, base_actions
from pingan.core.tasks.contract import WITHDRAWN, BaseAction, EmptyPayload, NotePayload, Payload

KIND = "hidden_danger"
PART_KIND = "hidden_danger_part"
RECTIFIED = "rectified"
"""The outcome of an accepted finding: what the rankings and the big screen count."""
REPORTED = "reported"

DEPARTMENT = frozenset({Role.GOVERNANCE})
POLICE = frozenset({Role.STATION_HEAD, Role.OFFICER})
STAFF = COUNTY_WIDE | DEPARTMENT | POLICE


class DangerStatus(StrEnum):
    ISSUED = "issued"
    RECTIFYING = "rectifying"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    CLOSED = "closed"


class PartStatus(StrEnum):
    ISSUED = "issued"
    SIGNED = "signed"
    REPORTED = "reported"
    CLOSED = "closed"


class DangerAction(StrEnum):
    SIGN = "sign"
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    REPORT = "report"
    REVISE = "revise"
    """The plan, deadline or co-departments of a finding changed after it was issued (修改方案)."""
    WITHDRAW = "withdraw"
    """A co-department taken off the finding (the finding's edit): its open part closes as `WITHDRAWN`."""


class SubmitPayload(Payload):
    summary: str = Field(min_length=1, max_length=2000)
    """What was done (整改情况), shown at acceptance."""


class AcceptPayload(Payload):
    opinion: str = Field(min_length=1, max_length=2000)
    """The on-site acceptance's opinion (验收意见)."""


class RejectPayload(Payload):
    reason: str = Field(min_length=1, max_length=2000)
    days: int = Field(default=15, ge=1, le=365)
    """The new deadline, in days from now."""


class CoDepartmentPayload(Payload):
    unit_id: int = Field(ge=1, le=2**53)
    duty: str = Field(default="", max_length=500)


class RevisePayload(Payload):
    """What changes (each field left out stays as it is); `reason` goes to the history."""

    reason: str = Field(min_length=1, max_length=500)
    plan: str | None = Field(default=None, max_length=4000)
    due_date: date | None = None
    """The new deadline (a local date, the end of that day)."""
    co_departments: list[CoDepartmentPayload] | None = Field(default=None, max_length=10)
    """The whole new list of co-departments: one left out is taken off (its open part withdrawn)."""


class ReportPayload(Payload):
    summary: str = Field(min_length=1, max_length=2000)


def _ladder(rules: DangerRules, first: str) -> Ladder:
    return Ladder(
        timedelta(hours=rules.escalation_hours),
        (
            Rung(first, holder=True),
            Rung("情指中心", unit_kinds=(UnitKind.COMMAND_CENTRE,)),
            Rung("局领导", unit_kinds=(UnitKind.BUREAU,)),
        ),
    )


def _due(task: Task, name: str) -> datetime | None:
    raw = (task.facts or {}).get(name)
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


class DangerWorkflow(BaseWorkflow):
    kind = KIND
    name = "隐患整治"
    fact_names: ClassVar[Mapping[str, str]] = {"rectify_due": "整改期限", "parts_open": "未完成协办部门"}
    seen_by_area = True  # the station of the place follows it and accepts it
    read_by_kinds = frozenset({PART_KIND})  # each co-department follows the finding it has a part of
    assignee_roles = DEPARTMENT | POLICE

    def __init__(self, rules: DangerRules) -> None:
        self.rules = rules
        self.statuses = {
            DangerStatus.ISSUED: "待签收",
            DangerStatus.RECTIFYING: "整改中",
            DangerStatus.SUBMITTED: "待验收",
            DangerStatus.ACCEPTED: "验收通过",
            DangerStatus.CLOSED: "已关闭",
        }
        self.steps = {"sign": "签收", "rectify": "整改", "accept": "现场验收"}
        lead = Permission(COUNTY_WIDE | DEPARTMENT, holder=True)
        police = Permission(COUNTY_WIDE | POLICE, holder=False, jurisdiction=True)
        self.actions = {
            **base_actions(STAFF, leads=COUNTY_WIDE | DEPARTMENT, closers=COUNTY_WIDE),
            # the station of the place notes too (jurisdiction), the lead department as the holder
            BaseAction.NOTE: ActionSpec(
                BaseAction.NOTE, "备注", NotePayload, Permission(STAFF, holder=True, jurisdiction=True)
            ),
            DangerAction.SIGN: ActionSpec(DangerAction.SIGN, "签收", EmptyPayload, lead, "由牵头部门签收"),
            DangerAction.SUBMIT: ActionSpec(DangerAction.SUBMIT, "提请验收", SubmitPayload, lead, "由牵头部门提请验收"),
            DangerAction.ACCEPT: ActionSpec(DangerAction.ACCEPT, "验收通过", AcceptPayload, police, "由公安机关验收"),
            DangerAction.REJECT: ActionSpec(DangerAction.REJECT, "验收不通过", RejectPayload, police, "由公安机关验收"),
            DangerAction.REVISE: ActionSpec(
                DangerAction.REVISE, "修改方案", RevisePayload, lead, "由牵头部门或指挥中心修改"
            ),
        }
        self.ladder = _ladder(rules, "牵头部门")

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = DangerStatus.ISSUED
        self.set_due(task, "sign", now + timedelta(hours=self.rules.sign_hours))
        return "隐患下发牵头部门"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = DangerStatus.RECTIFYING
        self.set_due(task, "rectify", max(_due(task, "rectify_due") or now, now + timedelta(days=1)))
        return "重新打开，继续整改"

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({"reopen"})
        common = {"assign", "note", "close"}
        by_status = {
            DangerStatus.ISSUED: {DangerAction.SIGN, DangerAction.REVISE},
            DangerStatus.RECTIFYING: {DangerAction.SUBMIT, DangerAction.REVISE},
            DangerStatus.SUBMITTED: {DangerAction.ACCEPT, DangerAction.REJECT},
        }
        return frozenset(common | by_status.get(DangerStatus(task.status), set()))

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        return (UnitKind.COMMAND_CENTRE,)

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        return {k: facts[k] for k in ("danger_id", "danger_kind", "rectify_due", "parts_open") if k in facts}

    def handlers(self) -> Mapping[str, Handler]:
        return {
            DangerAction.SIGN: self._sign,
            DangerAction.SUBMIT: self._submit,
            DangerAction.ACCEPT: self._accept,
            DangerAction.REJECT: self._reject,
            DangerAction.REVISE: self._revise,
        }

    def _sign(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != DangerStatus.ISSUED:
            raise WorkflowError("已签收", code="already_signed")
        task.status = DangerStatus.RECTIFYING
        task.assignee_id = task.assignee_id or command.actor_id
        due = _due(task, "rectify_due") or now + timedelta(days=30)
        self.set_due(task, "rectify", due)
        return f"签收，整改期限 {due.date().isoformat()}"

    def _submit(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != DangerStatus.RECTIFYING:
            raise WorkflowError("当前状态不能提请验收", code="not_rectifying")
        # The service's check has refused a submission while a part is open or without after-photos.
        task.status = DangerStatus.SUBMITTED
        self.set_due(task, "accept", now + timedelta(days=self.rules.accept_days))
        return f"整改完成，提请验收：{command.data.get('summary', '')}"

    def _accept(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != DangerStatus.SUBMITTED:
            raise WorkflowError("尚未提请验收", code="not_submitted")
        self.finish(task, DangerStatus.ACCEPTED, now, RECTIFIED)
        return f"现场验收通过：{command.data.get('opinion', '')}"

    def _revise(self, task: Task, command: Command, now: datetime) -> str:
        if task.status not in (DangerStatus.ISSUED, DangerStatus.RECTIFYING):
            raise WorkflowError("已提请验收或已办结的隐患不能修改方案、期限和部门", code="not_revisable")
        # The service's check has turned the payload into `rectify_due` (ISO) and the account of the changes.
        due = command.data.get("rectify_due")
        if isinstance(due, str):
            task.facts = {**(task.facts or {}), "rectify_due": due}
            if task.status == DangerStatus.RECTIFYING:
                self.set_due(task, "rectify", datetime.fromisoformat(due))
        return f"修改隐患：{command.data.get('changes', '')}"

    def _reject(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != DangerStatus.SUBMITTED:
            raise WorkflowError("尚未提请验收", code="not_submitted")
        days = command.data.get("days", 15)
        due = now + timedelta(days=int(days) if isinstance(days, int) else 15)
        task.status = DangerStatus.RECTIFYING
        self.set_due(task, "rectify", due)
        task.facts = {**(task.facts or {}), "rectify_due": due.isoformat()}
        return f"验收不通过，退回整改，新期限 {due.date().isoformat()}"


class PartWorkflow(BaseWorkflow):
    kind = PART_KIND
    name = "隐患整治（协办）"
    fact_names: ClassVar[Mapping[str, str]] = {"rectify_due": "整改期限"}
    seen_by_area = True
    assignee_roles = DEPARTMENT

    def __init__(self, rules: DangerRules) -> None:
        self.rules = rules
        self.statuses = {
            PartStatus.ISSUED: "待签收",
            PartStatus.SIGNED: "整改中",
            PartStatus.REPORTED: "已反馈",
            PartStatus.CLOSED: "已关闭",
        }
        self.steps = {"sign": "签收", "report": "反馈"}
        own = Permission(COUNTY_WIDE | DEPARTMENT, holder=True)
        self.actions = {
            **base_actions(COUNTY_WIDE | DEPARTMENT, leads=COUNTY_WIDE | DEPARTMENT, closers=COUNTY_WIDE),
            DangerAction.SIGN: ActionSpec(DangerAction.SIGN, "签收", EmptyPayload, own, "由协办部门签收"),
            DangerAction.REPORT: ActionSpec(DangerAction.REPORT, "反馈整改", ReportPayload, own, "由协办部门反馈"),
            DangerAction.WITHDRAW: ActionSpec(
                DangerAction.WITHDRAW, "撤销协办", NotePayload, Permission(frozenset()), "由修改隐患的部门撤销"
            ),
        }
        self.ladder = _ladder(rules, "协办部门")

    def _report_due(self, task: Task, now: datetime) -> datetime:
        due = _due(task, "rectify_due")
        if due is None:
            return now + timedelta(days=30)
        return max(due - timedelta(days=self.rules.part_lead_days), now + timedelta(hours=self.rules.sign_hours))

    def follow_deadline(self, task: Task, due: datetime, now: datetime) -> None:
        """The finding's deadline moved: an open part's own deadline (反馈) moves with it."""
        task.facts = {**(task.facts or {}), "rectify_due": due.isoformat()}
        if task.closed_at is None and task.status == PartStatus.SIGNED:
            self.set_due(task, "report", self._report_due(task, now))

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = PartStatus.ISSUED
        self.set_due(task, "sign", now + timedelta(hours=self.rules.sign_hours))
        return "隐患协办任务下发"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = PartStatus.SIGNED
        self.set_due(task, "report", self._report_due(task, now))
        return "重新打开，继续整改"

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({"reopen"})
        common = {"assign", "note", "close", DangerAction.REPORT}
        return frozenset({DangerAction.SIGN, *common} if task.status == PartStatus.ISSUED else common)

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        return {k: facts[k] for k in ("danger_id", "danger_kind", "rectify_due") if k in facts}

    def handlers(self) -> Mapping[str, Handler]:
        return {DangerAction.SIGN: self._sign, DangerAction.REPORT: self._report, DangerAction.WITHDRAW: self._withdraw}

    def _withdraw(self, task: Task, command: Command, now: datetime) -> str:
        self.finish(task, PartStatus.CLOSED, now, WITHDRAWN)
        return f"协办部门调整，撤销协办任务：{command.reason or ''}".rstrip("：")

    def _sign(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != PartStatus.ISSUED:
            raise WorkflowError("已签收", code="already_signed")
        task.status = PartStatus.SIGNED
        task.assignee_id = task.assignee_id or command.actor_id
        due = self._report_due(task, now)
        self.set_due(task, "report", due)
        return f"签收，反馈期限 {due.date().isoformat()}"

    def _report(self, task: Task, command: Command, now: datetime) -> str:
        if task.assignee_id is None:
            task.assignee_id = command.actor_id
        self.finish(task, PartStatus.REPORTED, now, REPORTED)
        return f"反馈整改情况：{command.data.get('summary', '')}"
