"""The stop-payment order's closed loop, declared for the task engine, as pure rules on a core `Task`.

已下发 issued → the bank answers (止付 stopped: the account is held for 48 h; 已转出 withdrawn; 账户不存在
not found) → the police order a freeze before the hold lapses → the bank freezes (6 months) → renewals, each
ordered by the police and done by the bank before the freeze ends → the police order the return of the frozen
funds → the bank confirms it within 3 working days. A hold or a freeze that runs out is lapsed by the system
(`lapse`, announced through the outbox at the instant it runs out). Every wait is a task deadline on the
ladder 银行联络员 → 反诈中心 → 局领导. The times live in the task's facts (ISO 8601), so that the rules read
and write nothing but the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks import COUNTY_WIDE, ActionSpec, Command, Ladder, Permission, Rung, WorkflowError
from pingan.core.tasks.base import BaseWorkflow, Handler, base_actions, set_facts
from pingan.core.tasks.contract import EmptyPayload
from pingan.money.payments.calendar import WorkingCalendar
from pingan.money.payments.models import OrderStatus
from pingan.money.payments.rules import (
    PaymentRules,
    freeze_due,
    freeze_ends,
    hold_ends,
    renew_due,
    return_due,
)
from pingan.money.payments.schemas import (
    AnswerPayload,
    FreezePayload,
    OrderPayload,
    ReturnedPayload,
    ReturnOrderPayload,
    StopResult,
)

KIND = "bank_stop"
REF_TYPE = "payment_order"
BANK_ROLES = frozenset({Role.PARTNER, Role.ADMIN, Role.ANALYST})
"""Who records a bank's answers: the bank's liaison, or the centre when the bank answered by phone."""
POLICE_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.STATION_HEAD, Role.OFFICER})
STAFF_ROLES = COUNTY_WIDE | POLICE_ROLES | {Role.PARTNER}


class Step(StrEnum):
    ANSWER = "answer"
    FREEZE = "freeze"
    RENEW = "renew"
    RETURN = "return"


class Action(StrEnum):
    ANSWER = "answer"
    ORDER_FREEZE = "order_freeze"
    FREEZE = "freeze"
    ORDER_RENEWAL = "order_renewal"
    RENEW = "renew"
    ORDER_RETURN = "order_return"
    CONFIRM_RETURN = "confirm_return"
    LAPSE = "lapse"


STATUS_NAMES: Mapping[str, str] = {
    OrderStatus.ISSUED: "待止付",
    OrderStatus.HELD: "已止付",
    OrderStatus.WITHDRAWN: "资金已转出",
    OrderStatus.NOT_FOUND: "账户不存在",
    OrderStatus.LAPSED: "止付已失效",
    OrderStatus.FREEZE_ORDERED: "待冻结",
    OrderStatus.FROZEN: "已冻结",
    OrderStatus.RENEWAL_ORDERED: "待续冻",
    OrderStatus.FREEZE_LAPSED: "冻结已到期",
    OrderStatus.RETURN_ORDERED: "待返还",
    OrderStatus.RETURNED: "已返还",
    OrderStatus.CLOSED: "已关闭",
}
STEP_NAMES: Mapping[str, str] = {Step.ANSWER: "银行答复", Step.FREEZE: "冻结", Step.RENEW: "续冻", Step.RETURN: "返还"}
OPEN_ACTIONS: Mapping[str, frozenset[str]] = {
    OrderStatus.ISSUED: frozenset({Action.ANSWER}),
    OrderStatus.HELD: frozenset({Action.ORDER_FREEZE}),
    OrderStatus.FREEZE_ORDERED: frozenset({Action.FREEZE}),
    OrderStatus.FROZEN: frozenset({Action.ORDER_RENEWAL, Action.ORDER_RETURN}),
    OrderStatus.RENEWAL_ORDERED: frozenset({Action.RENEW}),
    OrderStatus.RETURN_ORDERED: frozenset({Action.CONFIRM_RETURN}),
}


def _at(task: Task, name: str) -> datetime | None:
    value = (task.facts or {}).get(name)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _yuan(value: Any) -> int:
    """Fen from a payload's yuan (already validated: a Decimal, or its JSON string)."""
    return int((Decimal(str(value)) * 100).to_integral_value())


def _actions() -> dict[str, ActionSpec]:
    bank = Permission(BANK_ROLES, holder=True)
    police = Permission(POLICE_ROLES, holder=False, jurisdiction=True)
    bank_only = "仅限承办银行或反诈中心录入"
    police_only = "仅限公安机关下达"
    base = base_actions(STAFF_ROLES, leads=COUNTY_WIDE | {Role.PARTNER}, closers=frozenset({Role.ADMIN, Role.ANALYST}))
    return {
        **base,
        Action.ANSWER: ActionSpec(Action.ANSWER, "止付反馈", AnswerPayload, bank, bank_only),
        Action.ORDER_FREEZE: ActionSpec(Action.ORDER_FREEZE, "下达冻结", OrderPayload, police, police_only),
        Action.FREEZE: ActionSpec(Action.FREEZE, "冻结反馈", FreezePayload, bank, bank_only),
        Action.ORDER_RENEWAL: ActionSpec(Action.ORDER_RENEWAL, "下达续冻", OrderPayload, police, police_only),
        Action.RENEW: ActionSpec(Action.RENEW, "续冻反馈", EmptyPayload, bank, bank_only),
        Action.ORDER_RETURN: ActionSpec(Action.ORDER_RETURN, "下达返还", ReturnOrderPayload, police, police_only),
        Action.CONFIRM_RETURN: ActionSpec(Action.CONFIRM_RETURN, "返还反馈", ReturnedPayload, bank, bank_only),
        # Only the system lapses a hold or a freeze, at the instant it runs out: no role may.
        Action.LAPSE: ActionSpec(Action.LAPSE, "到期失效", EmptyPayload, Permission(frozenset()), "到期由系统处理"),
    }


class StopWorkflow(BaseWorkflow):
    """紧急止付、冻结与返还: `pingan.core.tasks.Workflow` for an order held by the bank's unit."""

    kind = KIND
    name = "止付冻结"
    fact_names: ClassVar[Mapping[str, str]] = {
        "stopped_at": "止付时间",
        "amount_stopped_yuan": "止付金额（元）",
        "hold_ends_at": "止付到期",
        "frozen_at": "冻结时间",
        "amount_frozen_yuan": "冻结金额（元）",
        "freeze_ends_at": "冻结到期",
        "renewals": "续冻次数",
        "amount_to_return_yuan": "应返还（元）",
        "return_due_at": "返还期限",
        "amount_returned_yuan": "已返还（元）",
        "returned_at": "返还时间",
    }
    outcomes: ClassVar[Mapping[str, str]] = {"returned": "已返还", "lapsed": "止付到期", "freeze_lapsed": "冻结到期"}
    seen_by_area = True
    """The victim's station follows the order of its area (it may order the freeze); other banks never see it."""
    assignee_roles = frozenset({Role.PARTNER})
    closed_actions = frozenset()
    """A closed order stays closed: stopping the account again is a new order, and counts toward its limit."""

    def __init__(self, rules: PaymentRules, calendar: WorkingCalendar) -> None:
        self.rules = rules
        self.calendar = calendar
        self.statuses = STATUS_NAMES
        self.steps = STEP_NAMES
        self.actions = _actions()
        self.ladder = Ladder(
            timedelta(minutes=rules.escalation_minutes),
            (
                Rung("银行联络员", holder=True),
                Rung("反诈中心", unit_kinds=(UnitKind.ANTI_FRAUD_CENTRE,)),
                Rung("局领导", unit_kinds=(UnitKind.BUREAU,)),
            ),
        )

    def _answer_due(self, now: datetime, limit: datetime | None = None) -> datetime:
        due = now + timedelta(minutes=self.rules.answer_minutes)
        return min(due, limit) if limit is not None else due

    # -- the Workflow contract ---------------------------------------------------------------------------

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = OrderStatus.ISSUED
        self.set_due(task, Step.ANSWER, self._answer_due(now))
        return "紧急止付下发至银行"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = OrderStatus.ISSUED
        self.set_due(task, Step.ANSWER, self._answer_due(now))
        return "重新打开，待银行再次答复"

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        return (UnitKind.ANTI_FRAUD_CENTRE,)

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset()
        return OPEN_ACTIONS.get(task.status, frozenset()) | {"assign", "note", "close"}

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        names = (
            "stopped_at",
            "hold_ends_at",
            "frozen_at",
            "freeze_ends_at",
            "renewals",
            "return_due_at",
            "returned_at",
        )
        shown: dict[str, Any] = {n: facts.get(n) for n in names}
        for name in ("amount_stopped", "amount_withdrawn", "amount_frozen", "amount_to_return", "amount_returned"):
            value = facts.get(f"{name}_fen")
            shown[f"{name}_yuan"] = f"{value / 100:.2f}" if isinstance(value, int) else None
        return shown

    def handlers(self) -> Mapping[str, Handler]:
        return {
            Action.ANSWER: self._answer,
            Action.ORDER_FREEZE: self._order_freeze,
            Action.FREEZE: self._freeze,
            Action.ORDER_RENEWAL: self._order_renewal,
            Action.RENEW: self._renew,
            Action.ORDER_RETURN: self._order_return,
            Action.CONFIRM_RETURN: self._confirm_return,
            Action.LAPSE: self._lapse,
        }

    # -- guards ------------------------------------------------------------------------------------------

    @staticmethod
    def _expect(task: Task, *statuses: OrderStatus) -> None:
        if task.status not in statuses:
            wanted = "、".join(STATUS_NAMES[s] for s in statuses)
            raise WorkflowError(
                f"当前状态为「{STATUS_NAMES.get(task.status, task.status)}」，此操作须在「{wanted}」时进行"
            )

    def _hold_running(self, task: Task, now: datetime) -> datetime:
        ends = _at(task, "hold_ends_at")
        if ends is None or now >= ends:
            hours = self.rules.emergency_hold_hours
            raise WorkflowError(f"紧急止付已满 {hours} 小时失效，不能再冻结；请重新止付", code="hold_lapsed")
        return ends

    @staticmethod
    def _freeze_running(task: Task, now: datetime) -> datetime:
        ends = _at(task, "freeze_ends_at")
        if ends is None or now >= ends:
            raise WorkflowError("冻结已到期失效", code="freeze_lapsed")
        return ends

    # -- the order's own actions -------------------------------------------------------------------------

    def _answer(self, task: Task, command: Command, now: datetime) -> str:
        self._expect(task, OrderStatus.ISSUED)
        result = StopResult(str(command.data.get("result")))
        stopped = command.data.get("amount_stopped_yuan")
        withdrawn = command.data.get("amount_withdrawn_yuan")
        if withdrawn is not None:
            set_facts(task, amount_withdrawn_fen=_yuan(withdrawn))
        if result is StopResult.STOPPED:
            if stopped is None or _yuan(stopped) <= 0:
                raise WorkflowError("止付成功须填写止付金额", code="amount_required", field="amount_stopped_yuan")
            ends = hold_ends(now, self.rules)
            set_facts(
                task, stopped_at=now.isoformat(), hold_ends_at=ends.isoformat(), amount_stopped_fen=_yuan(stopped)
            )
            task.status = OrderStatus.HELD
            self.set_due(task, Step.FREEZE, freeze_due(now, self.rules))
            return f"银行已止付 {_yuan(stopped) / 100:.2f} 元，止付至 {ends.isoformat()} 失效"
        if result is StopResult.WITHDRAWN:
            self.finish(task, OrderStatus.WITHDRAWN, now, result.value)
            return "资金已转出，未能止付"
        self.finish(task, OrderStatus.NOT_FOUND, now, result.value)
        return "账户不存在"

    def _order_freeze(self, task: Task, command: Command, now: datetime) -> str:
        self._expect(task, OrderStatus.HELD)
        ends = self._hold_running(task, now)
        task.status = OrderStatus.FREEZE_ORDERED
        self.set_due(task, Step.FREEZE, self._answer_due(now, ends))
        return "下达冻结，待银行冻结"

    def _freeze(self, task: Task, command: Command, now: datetime) -> str:
        self._expect(task, OrderStatus.FREEZE_ORDERED)
        self._hold_running(task, now)
        amount = _yuan(command.data.get("amount_frozen_yuan"))
        ends = freeze_ends(now, self.rules)
        set_facts(
            task, frozen_at=now.isoformat(), freeze_ends_at=ends.isoformat(), amount_frozen_fen=amount, renewals=0
        )
        task.status = OrderStatus.FROZEN
        self.set_due(task, Step.RENEW, renew_due(ends, self.rules))
        return f"已冻结 {amount / 100:.2f} 元，至 {ends.isoformat()} 到期"

    def _order_renewal(self, task: Task, command: Command, now: datetime) -> str:
        self._expect(task, OrderStatus.FROZEN)
        ends = self._freeze_running(task, now)
        task.status = OrderStatus.RENEWAL_ORDERED
        self.set_due(task, Step.RENEW, self._answer_due(now, ends))
        return "下达续冻，待银行续冻"

    def _renew(self, task: Task, command: Command, now: datetime) -> str:
        self._expect(task, OrderStatus.RENEWAL_ORDERED)
        # A renewal continues the freeze from its end: no gap, no overlap.
        ends = freeze_ends(self._freeze_running(task, now), self.rules)
        renewals = int((task.facts or {}).get("renewals", 0)) + 1
        set_facts(task, freeze_ends_at=ends.isoformat(), renewals=renewals)
        task.status = OrderStatus.FROZEN
        self.set_due(task, Step.RENEW, renew_due(ends, self.rules))
        return f"第 {renewals} 次续冻，至 {ends.isoformat()} 到期"

    def _order_return(self, task: Task, command: Command, now: datetime) -> str:
        self._expect(task, OrderStatus.FROZEN)
        self._freeze_running(task, now)
        amount = _yuan(command.data.get("amount_yuan"))
        frozen = int((task.facts or {}).get("amount_frozen_fen", 0))
        if amount > frozen:
            raise WorkflowError(
                f"返还金额超过冻结金额 {frozen / 100:.2f} 元", code="amount_exceeds_frozen", field="amount_yuan"
            )
        due = return_due(now, self.rules, self.calendar)
        set_facts(task, amount_to_return_fen=amount, return_due_at=due.isoformat())
        task.status = OrderStatus.RETURN_ORDERED
        self.set_due(task, Step.RETURN, due)
        return f"下达返还 {amount / 100:.2f} 元，{self.rules.return_working_days} 个工作日内（{due.isoformat()} 前）返还受害人"

    def _confirm_return(self, task: Task, command: Command, now: datetime) -> str:
        self._expect(task, OrderStatus.RETURN_ORDERED)
        amount = _yuan(command.data.get("amount_returned_yuan"))
        ordered = int((task.facts or {}).get("amount_to_return_fen", 0))
        if amount > ordered:
            raise WorkflowError(
                f"返还金额超过下达金额 {ordered / 100:.2f} 元",
                code="amount_exceeds_order",
                field="amount_returned_yuan",
            )
        due = _at(task, "return_due_at")
        late = due is not None and now > due
        set_facts(task, returned_at=now.isoformat(), amount_returned_fen=amount)
        self.finish(task, OrderStatus.RETURNED, now, "returned")
        return f"已返还 {amount / 100:.2f} 元" + ("（超时）" if late else "")

    def _lapse(self, task: Task, command: Command, now: datetime) -> str:
        if task.status in (OrderStatus.HELD, OrderStatus.FREEZE_ORDERED):
            ends = _at(task, "hold_ends_at")
            if ends is None or now < ends:
                raise WorkflowError("止付尚未到期", code="not_due")
            self.finish(task, OrderStatus.LAPSED, now, "lapsed")
            return f"紧急止付满 {self.rules.emergency_hold_hours} 小时未冻结，已失效"
        if task.status in (OrderStatus.FROZEN, OrderStatus.RENEWAL_ORDERED):
            ends = _at(task, "freeze_ends_at")
            if ends is None or now < ends:
                raise WorkflowError("冻结尚未到期", code="not_due")
            self.finish(task, OrderStatus.FREEZE_LAPSED, now, "freeze_lapsed")
            return "冻结期满未续冻，已到期"
        raise WorkflowError("当前状态无可到期的止付或冻结", code="not_due")
