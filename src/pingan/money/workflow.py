"""A fraud case's investigation (案件侦办), declared for the task engine as pure rules.

The stages police practice names for a telecom-fraud case (seed 003: 立案侦办, 破案, 返还; the criminal
procedure's 移送审查起诉), each with a county deadline that climbs the ladder when missed:

    立案 registered ──受理侦办──► 侦办 investigating ──破案──► 破案 solved ──移送起诉──► 移诉 prosecuted
         └───────────── 撤案 close (with a reason) at any stage ─────────────┘

Suspects are recorded at any open stage (`add_suspect`; the money capability keeps their rows and the A11
figures count them); a case is solved only once at least one suspect is recorded. The station holding the
case works it; the centres may too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from pingan.core.fields import FreeText
from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks import (
    COUNTY_WIDE,
    ActionSpec,
    BaseStatus,
    Command,
    Ladder,
    Payload,
    Permission,
    Rung,
    WorkflowError,
)
from pingan.core.tasks.base import BaseWorkflow, Handler, base_actions, fact, set_facts
from pingan.core.tasks.contract import EmptyPayload
from pingan.money.rules import CaseRules

KIND = "case"
REF_TYPE = "case"
STAFF_ROLES = COUNTY_WIDE | {Role.STATION_HEAD, Role.OFFICER}


class CaseTaskStatus(StrEnum):
    REGISTERED = BaseStatus.ISSUED.value  # 已立案: the engine's first status
    INVESTIGATING = "investigating"
    SOLVED = "solved"
    PROSECUTED = "prosecuted"
    CLOSED = BaseStatus.CLOSED.value  # 撤案/结案 with a reason


class CaseStep(StrEnum):
    ACCEPT = "accept"  # 受理侦办
    SOLVE = "solve"  # 破案
    TRANSFER = "transfer"  # 移送起诉


class CaseAction(StrEnum):
    INVESTIGATE = "investigate"
    ADD_SUSPECT = "add_suspect"
    SOLVE = "solve"
    TRANSFER = "transfer"


STATUS_NAMES: Mapping[str, str] = {
    CaseTaskStatus.REGISTERED: "已立案",
    CaseTaskStatus.INVESTIGATING: "侦办中",
    CaseTaskStatus.SOLVED: "已破案",
    CaseTaskStatus.PROSECUTED: "已移送起诉",
    CaseTaskStatus.CLOSED: "已撤案",
}
STEP_NAMES: Mapping[str, str] = {CaseStep.ACCEPT: "受理侦办", CaseStep.SOLVE: "破案", CaseStep.TRANSFER: "移送起诉"}


class SuspectPayload(Payload):
    """A suspect (嫌疑人): a name or an alias, and what is known; `caught` once in custody (抓获)."""

    name: FreeText = Field(min_length=1, max_length=100)
    id_number: str | None = Field(default=None, pattern=r"^[0-9]{17}[0-9Xx]$")
    phone: str | None = Field(default=None, max_length=40)
    caught: bool = False
    role: str | None = Field(default=None, max_length=100)
    """What they did (卡农, 取款人, 话务员…)."""


class SolvePayload(Payload):
    note: str = Field(min_length=1, max_length=2000)


class TransferPayload(Payload):
    note: str = Field(min_length=1, max_length=2000)
    """The prosecutor's office and the file number (移送起诉)."""


def _actions() -> dict[str, ActionSpec]:
    work = Permission(STAFF_ROLES, holder=True, jurisdiction=True, assignee=True)
    denied = "该案件不由本单位侦办"
    leads = COUNTY_WIDE | {Role.STATION_HEAD}
    base = base_actions(STAFF_ROLES, leads=leads, closers=leads)
    return {
        **base,
        CaseAction.INVESTIGATE: ActionSpec(CaseAction.INVESTIGATE, "受理侦办", EmptyPayload, work, denied),
        CaseAction.ADD_SUSPECT: ActionSpec(CaseAction.ADD_SUSPECT, "记录嫌疑人", SuspectPayload, work, denied),
        CaseAction.SOLVE: ActionSpec(
            CaseAction.SOLVE, "破案", SolvePayload, Permission(leads, holder=True), "破案由所长或中心确认"
        ),
        CaseAction.TRANSFER: ActionSpec(
            CaseAction.TRANSFER, "移送起诉", TransferPayload, Permission(leads, holder=True), "移送起诉由所长或中心确认"
        ),
    }


class CaseWorkflow(BaseWorkflow):
    """`pingan.core.tasks.Workflow` for a fraud case's investigation."""

    kind = KIND
    name = "诈骗案件"
    fact_names: ClassVar[Mapping[str, str]] = {"suspects": "嫌疑人", "suspects_caught": "已抓获"}
    outcomes: ClassVar[Mapping[str, str]] = {"solved": "已破案", "prosecuted": "已移送起诉"}
    assignee_roles = frozenset({Role.STATION_HEAD, Role.OFFICER})

    def __init__(self, rules: CaseRules) -> None:
        self.rules = rules
        self.statuses = STATUS_NAMES
        self.steps = STEP_NAMES
        self.actions = _actions()
        rungs = (
            Rung("所长", holder=True),
            Rung("反诈中心", unit_kinds=(UnitKind.ANTI_FRAUD_CENTRE,)),
            Rung("局领导", unit_kinds=(UnitKind.BUREAU,)),
        )
        self.ladder = Ladder(timedelta(hours=rules.escalation_hours), rungs)

    # -- the contract ----------------------------------------------------------------------------------

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = CaseTaskStatus.REGISTERED
        self.set_due(task, CaseStep.ACCEPT, now + timedelta(hours=self.rules.accept_hours))
        return "立案，待受理侦办"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = CaseTaskStatus.INVESTIGATING
        self.set_due(task, CaseStep.SOLVE, now + timedelta(days=self.rules.solve_days))
        return "重新打开，继续侦办"

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        """The anti-fraud centre hears of every case (it links them and orders the stops)."""
        return (UnitKind.ANTI_FRAUD_CENTRE,)

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({"reopen"})
        out = {"assign", "note", "close", CaseAction.ADD_SUSPECT}
        if task.status == CaseTaskStatus.REGISTERED:
            out.add(CaseAction.INVESTIGATE)
        if task.status == CaseTaskStatus.INVESTIGATING and fact(task, "suspects") > 0:
            out.add(CaseAction.SOLVE)
        if task.status == CaseTaskStatus.SOLVED:
            out.add(CaseAction.TRANSFER)
        return frozenset(out)

    def view(self, task: Task) -> dict[str, Any]:
        return {"suspects": fact(task, "suspects"), "suspects_caught": fact(task, "suspects_caught")}

    def handlers(self) -> Mapping[str, Handler]:
        return {
            CaseAction.INVESTIGATE: self._investigate,
            CaseAction.ADD_SUSPECT: self._add_suspect,
            CaseAction.SOLVE: self._solve,
            CaseAction.TRANSFER: self._transfer,
        }

    # -- its own actions -------------------------------------------------------------------------------

    def _investigate(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != CaseTaskStatus.REGISTERED:
            raise WorkflowError("案件已在侦办", code="already_investigating")
        task.status = CaseTaskStatus.INVESTIGATING
        self.claim(task, command)
        self.set_due(task, CaseStep.SOLVE, now + timedelta(days=self.rules.solve_days))
        return "受理侦办"

    def _add_suspect(self, task: Task, command: Command, now: datetime) -> str:
        caught = bool(command.data.get("caught"))
        set_facts(
            task,
            suspects=fact(task, "suspects") + 1,
            suspects_caught=fact(task, "suspects_caught") + (1 if caught else 0),
        )
        return "记录嫌疑人（已抓获）" if caught else "记录嫌疑人"

    def _solve(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != CaseTaskStatus.INVESTIGATING:
            raise WorkflowError("只有侦办中的案件可以破案", code="not_investigating")
        if fact(task, "suspects") < 1:
            raise WorkflowError("破案须先记录至少一名嫌疑人", code="suspect_required")
        task.status = CaseTaskStatus.SOLVED
        task.outcome = "solved"
        set_facts(task, solved_at=now.isoformat())
        self.set_due(task, CaseStep.TRANSFER, now + timedelta(days=self.rules.transfer_days))
        return "破案"

    def _transfer(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != CaseTaskStatus.SOLVED:
            raise WorkflowError("破案后方可移送起诉", code="not_solved")
        self.finish(task, CaseTaskStatus.PROSECUTED, now, "prosecuted")
        return "移送起诉"
