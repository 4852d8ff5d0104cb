"""The alarm's task kind, declared for the task engine as pure rules on a core `Task`.

`alarm`: 待派警 received → 已派警 dispatched (a patrol unit sent; 改派 sends another) → 已到场 arrived (the time
the unit reached the scene) → 已处置 handled (the outcome and what was done: 处警结果). Each step races the
county's minutes for the alarm's level; a missed one climbs to the station head, then the 情指中心. Held by the
station of the place (the 情指中心 when the place is unknown or outside every station).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, Field

from pingan.command.alarms.models import LEVEL_NAMES, OUTCOME_NAMES, AlarmLevel, AlarmOutcome
from pingan.command.alarms.rules import AlarmRules
from pingan.core.fields import DbId, FreeText
from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks import COUNTY_WIDE, ActionSpec, Command, Ladder, Permission, Rung, WorkflowError
from pingan.core.tasks.base import BaseWorkflow, Handler, base_actions, set_facts
from pingan.core.tasks.contract import Payload

KIND = "alarm"
STAFF = COUNTY_WIDE | {Role.STATION_HEAD, Role.OFFICER}
LEADS = COUNTY_WIDE | {Role.STATION_HEAD}


class AlarmStatus(StrEnum):
    RECEIVED = "received"
    DISPATCHED = "dispatched"
    ARRIVED = "arrived"
    HANDLED = "handled"
    CLOSED = "closed"


class DispatchPayload(Payload):
    patrol_unit_id: DbId
    """The patrol unit sent (one the roster has on duty: see the alarm's proposals)."""


class ArrivePayload(Payload):
    at: AwareDatetime | None = None
    """When the unit reached the scene; now if not given (never before the dispatch, never in the future)."""


class FinishPayload(Payload):
    outcome: AlarmOutcome
    result: FreeText = Field(min_length=1, max_length=2000)
    """What was done (处警结果)."""


def level_of(task: Task) -> AlarmLevel:
    try:
        return AlarmLevel(task.level or AlarmLevel.MEDIUM)
    except ValueError:
        return AlarmLevel.MEDIUM


class AlarmWorkflow(BaseWorkflow):
    kind = KIND
    name = "接警处警"
    fact_names: ClassVar[Mapping[str, str]] = {
        "patrol_unit_code": "处警力量",
        "received_at": "接警时间",
        "dispatched_at": "派警时间",
        "arrived_at": "到场时间",
    }
    seen_by_area = True
    overdue_steps = frozenset({"dispatch", "arrive", "handle"})

    def __init__(self, rules: AlarmRules) -> None:
        self.rules = rules
        self.statuses = {
            AlarmStatus.RECEIVED: "待派警",
            AlarmStatus.DISPATCHED: "已派警",
            AlarmStatus.ARRIVED: "已到场",
            AlarmStatus.HANDLED: "已处置",
            AlarmStatus.CLOSED: "已关闭",
        }
        self.steps = {"dispatch": "派警", "arrive": "到场", "handle": "处置反馈"}
        staff = Permission(STAFF, holder=True, jurisdiction=True)
        self.actions = {
            **base_actions(STAFF, leads=LEADS, closers=LEADS),
            "dispatch": ActionSpec("dispatch", "派警", DispatchPayload, staff),
            "arrive": ActionSpec("arrive", "到场", ArrivePayload, staff),
            "finish": ActionSpec("finish", "处置反馈", FinishPayload, staff),
        }
        self.ladder = Ladder(
            timedelta(minutes=rules.escalation_minutes),
            (Rung("所长/单位负责人", holder=True), Rung("情指中心", unit_kinds=(UnitKind.COMMAND_CENTRE,))),
        )

    def _due(self, table: Mapping[AlarmLevel, int], task: Task, start: datetime) -> datetime:
        return start + timedelta(minutes=table[level_of(task)])

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = AlarmStatus.RECEIVED
        received = _when((task.facts or {}).get("received_at")) or now
        self.set_due(task, "dispatch", self._due(self.rules.dispatch_minutes, task, received))
        return f"接警（{LEVEL_NAMES[level_of(task)]}），待派警"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = AlarmStatus.RECEIVED
        self.set_due(task, "dispatch", self._due(self.rules.dispatch_minutes, task, now))
        return "重新打开，待派警"

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        # The centre hears of every 特急 alarm and of one no station holds.
        if task.unit_id is None or level_of(task) is AlarmLevel.CRITICAL:
            return (UnitKind.COMMAND_CENTRE,)
        return ()

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({"reopen"})
        common = {"assign", "note", "close"}
        by_status = {
            AlarmStatus.RECEIVED: {"dispatch"},
            AlarmStatus.DISPATCHED: {"dispatch", "arrive"},
            AlarmStatus.ARRIVED: {"finish"},
        }
        return frozenset(common | by_status.get(AlarmStatus(task.status), set()))

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        keys = ("alarm_id", "patrol_unit_id", "patrol_unit_code", "dispatched_at", "arrived_at", "received_at")
        return {k: facts[k] for k in keys if k in facts}

    def handlers(self) -> Mapping[str, Handler]:
        return {"dispatch": self._dispatch, "arrive": self._arrive, "finish": self._finish}

    def _dispatch(self, task: Task, command: Command, now: datetime) -> str:
        if task.status not in (AlarmStatus.RECEIVED, AlarmStatus.DISPATCHED):
            raise WorkflowError("警情已到场，不能再派警", code="already_arrived")
        unit_id = command.data.get("patrol_unit_id")
        if not isinstance(unit_id, int) or isinstance(unit_id, bool):
            raise WorkflowError("patrol_unit_id 无效", code="invalid_field", field="patrol_unit_id")
        redispatch = task.status == AlarmStatus.DISPATCHED
        code = str(command.data.get("patrol_unit_code") or unit_id)
        facts: dict[str, Any] = {"patrol_unit_id": unit_id, "patrol_unit_code": code}
        if not redispatch:
            facts["dispatched_at"] = now.isoformat()
        set_facts(task, **facts)
        task.status = AlarmStatus.DISPATCHED
        self.set_due(task, "arrive", self._due(self.rules.arrive_minutes, task, now))
        eta = command.data.get("eta_s")
        told = f"，预计 {round(float(eta) / 60, 1)} 分钟到场" if isinstance(eta, int | float) else ""
        return f"{'改派' if redispatch else '派警'}：{code}{told}"

    def _arrive(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != AlarmStatus.DISPATCHED:
            raise WorkflowError("尚未派警", code="not_dispatched")
        at = _when(command.data.get("at")) or now
        dispatched = _when((task.facts or {}).get("dispatched_at"))
        if at > now:
            raise WorkflowError("到场时间不能晚于当前时间", code="invalid_field", field="at")
        if dispatched is not None and at < dispatched:
            raise WorkflowError("到场时间不能早于派警时间", code="invalid_field", field="at")
        set_facts(task, arrived_at=at.isoformat())
        task.status = AlarmStatus.ARRIVED
        self.set_due(task, "handle", self._due(self.rules.handle_minutes, task, at))
        minutes = f"，派警后 {round((at - dispatched).total_seconds() / 60, 1)} 分钟" if dispatched else ""
        return f"到场{minutes}"

    def _finish(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != AlarmStatus.ARRIVED:
            raise WorkflowError("处警民警尚未到场", code="not_arrived")
        outcome = AlarmOutcome(str(command.data.get("outcome")))
        self.finish(task, AlarmStatus.HANDLED, now, outcome.value)
        return f"处置反馈：{OUTCOME_NAMES[outcome]}；{command.data.get('result', '')}"


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
