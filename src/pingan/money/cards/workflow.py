"""The verification of a flagged holder's card openings (断卡核查), declared for the task engine as pure rules.

下发 issued → 签收 signed → 核查 verified, with one of three outcomes that close the task: the cards were
cancelled (注销: sold, rented or opened for someone else), the openings are normal (正常), or a suspect was found
(发现涉诈嫌疑: the holder is handed on as a lead). Signing and verifying each have a deadline from the county's
rules (sooner for a holder linked to a case or flagged by several rules); a missed one climbs the ladder:
the station head, the anti-fraud centre, the bureau. The station holding the task works it; the centres may too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import Field

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
from pingan.money.cards.models import Verification
from pingan.money.cards.rules.county import CardRules

KIND = "card_verification"
REF_TYPE = "card_opening"
HIGH = "high"
STAFF_ROLES = COUNTY_WIDE | {Role.STATION_HEAD, Role.OFFICER}


class CardStatus(StrEnum):
    ISSUED = BaseStatus.ISSUED.value
    SIGNED = "signed"
    CANCELLED = "cancelled"
    CLEARED = "cleared"
    SUSPECT = "suspect"
    CLOSED = BaseStatus.CLOSED.value


class CardStep(StrEnum):
    SIGN = "sign"
    VERIFY = "verify"


class CardAction(StrEnum):
    SIGN = "sign"
    VERIFY = "verify"
    ATTACH = "attach"
    """The system: another flagged opening of the same holder joins the open task."""


STATUS_NAMES: Mapping[str, str] = {
    CardStatus.ISSUED: "已下发",
    CardStatus.SIGNED: "已签收",
    CardStatus.CANCELLED: "已注销",
    CardStatus.CLEARED: "核查正常",
    CardStatus.SUSPECT: "发现涉诈嫌疑",
    CardStatus.CLOSED: "已关闭",
}
STEP_NAMES: Mapping[str, str] = {CardStep.SIGN: "签收", CardStep.VERIFY: "核查"}
OUTCOME_NAMES: Mapping[str, str] = {
    Verification.CANCELLED: "注销",
    Verification.CLEARED: "正常",
    Verification.SUSPECT: "发现涉诈嫌疑",
}
_STATUS_OF = {
    Verification.CANCELLED: CardStatus.CANCELLED,
    Verification.CLEARED: CardStatus.CLEARED,
    Verification.SUSPECT: CardStatus.SUSPECT,
}


class VerifyPayload(Payload):
    outcome: Literal["cancelled", "cleared", "suspect"]
    """注销 (cancelled), 正常 (cleared), 发现涉诈嫌疑 (suspect)."""
    cards_cancelled: int | None = Field(default=None, ge=0, le=1000)
    """How many of the holder's cards were cancelled (default: all of the task's openings, for `cancelled`)."""


class AttachPayload(Payload):
    opening_id: int = Field(ge=1)


def _actions() -> dict[str, ActionSpec]:
    return {
        **station_check_actions(
            STAFF_ROLES,
            leads=COUNTY_WIDE | {Role.STATION_HEAD},
            closers=COUNTY_WIDE,
            denied="该核查任务不由本单位处理",
            work={CardAction.VERIFY: ("核查结果", VerifyPayload)},
        ),
        # Only the system attaches (no role may): it is declared so that the history names it.
        CardAction.ATTACH: ActionSpec(
            CardAction.ATTACH, "新增开卡记录", AttachPayload, Permission(frozenset()), "由系统记录"
        ),
    }


class CardVerificationWorkflow(StationCheckWorkflow):
    """`pingan.core.tasks.Workflow` for the verification of abnormal card openings."""

    kind = KIND
    name = "断卡核查"
    fact_names: ClassVar[Mapping[str, str]] = {"openings": "异常开卡", "cards_cancelled": "已注销"}
    assignee_roles = frozenset({Role.STATION_HEAD, Role.OFFICER})
    check_step = CardStep.VERIFY
    work_actions = frozenset({CardAction.VERIFY})
    signed_note = "签收，待核查"
    unplaced_to = (UnitKind.ANTI_FRAUD_CENTRE,)
    """A task no station holds (holder and outlet both unplaced) goes to the anti-fraud centre."""

    def __init__(self, rules: CardRules) -> None:
        self.rules = rules
        self.statuses = STATUS_NAMES
        self.steps = STEP_NAMES
        self.actions = _actions()
        centre = Rung("反诈中心", unit_kinds=(UnitKind.ANTI_FRAUD_CENTRE,))
        self.ladder = station_ladder(rules.escalation_minutes, rules.max_escalation, centre)

    def verify_hours(self, task: Task) -> int:
        """The hours a check may take: fewer for a high-risk holder."""
        return self.rules.verify_hours_high if task.level == HIGH else self.rules.verify_hours

    def verify_by(self, task: Task) -> datetime:
        return task.created_at + timedelta(hours=self.verify_hours(task))

    # -- the contract ----------------------------------------------------------------------------------

    def sign_by(self, task: Task, now: datetime) -> datetime:
        return now + timedelta(minutes=self.rules.sign_minutes)

    def check_by(self, task: Task, now: datetime) -> datetime:
        return self.verify_by(task)

    def issued_note(self, task: Task) -> str:
        return "异常开卡，下发核查"

    def recheck_by(self, task: Task, now: datetime) -> datetime:
        return now + timedelta(hours=self.verify_hours(task))

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        return {"openings": facts.get("openings", 0), "cards_cancelled": facts.get("cards_cancelled")}

    def handlers(self) -> Mapping[str, Handler]:
        return {**super().handlers(), CardAction.VERIFY: self._verify, CardAction.ATTACH: self._attach}

    # -- its own actions -------------------------------------------------------------------------------

    def _verify(self, task: Task, command: Command, now: datetime) -> str:
        outcome = Verification(str(command.data.get("outcome")))
        if outcome is Verification.CLEARED and not (command.reason or "").strip():
            raise WorkflowError("核查正常须说明情况", code="reason_required", field="note")
        cancelled = command.data.get("cards_cancelled")
        openings = int((task.facts or {}).get("openings", 1))
        if outcome is Verification.CANCELLED:
            count = openings if cancelled is None else int(cancelled)
            if count < 1:
                raise WorkflowError("注销须至少一张卡", code="invalid_field", field="cards_cancelled")
            task.facts = {**(task.facts or {}), "cards_cancelled": count}
        self.claim(task, command)
        self.finish(task, _STATUS_OF[outcome], now, outcome.value)
        return f"核查结果：{OUTCOME_NAMES[outcome]}"

    def _attach(self, task: Task, command: Command, now: datetime) -> str:
        task.facts = {**(task.facts or {}), "openings": int((task.facts or {}).get("openings", 1)) + 1}
        return command.reason or "新增开卡记录"
