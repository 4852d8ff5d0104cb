"""Tracking's task kinds, declared for the task engine as pure rules on a core `Task`.

- `tracking_alert`: a stolen tag seen, a wearer out of their safe area, a bracelet silent or removed, a low
  battery. 下发 issued → 签收 signed → 处置 handled; unsigned past the county's minutes it climbs to the
  station head, then the 情指中心. Held by the police station of the base station that heard the tag, lying
  in the owner's station, so both see it.
- `tracking_theft`: a reported theft, watched until found. 布控 watched → 发现 sighted → 找回 recovered (where,
  by whom, suspects) or 赔付 compensated (the station's certificate, the owner's invoices, the insurer's
  payout); the clock runs from the report to the agreement's 60 days.
- `station_maintenance`: a base station silent past its threshold, for the operating company. 下发 issued →
  修复 repaired (by the company, or by itself when the station is heard again).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, Field

from pingan.core.models import Role, Task, UnitKind
from pingan.core.tasks import COUNTY_WIDE, ActionSpec, Command, Ladder, Permission, Rung, WorkflowError
from pingan.core.tasks.base import BaseWorkflow, Handler, base_actions, set_facts
from pingan.core.tasks.contract import EmptyPayload, Payload
from pingan.tracking.logic import REASON_NAMES
from pingan.tracking.models import AlertKind, TheftStatus
from pingan.tracking.rules import TrackingRules

ALERT_KIND = "tracking_alert"
THEFT_KIND = "tracking_theft"
MAINTENANCE_KIND = "station_maintenance"
ALERT_KIND_NAMES = {
    AlertKind.THEFT_SIGHTING: "被盗车辆出现",
    AlertKind.GEOFENCE_EXIT: "离开安全区域",
    AlertKind.SILENCE: "手环长时间无信号",
    AlertKind.REMOVAL: "防拆手环被拆除",
    AlertKind.LOW_BATTERY: "电量低",
}
STAFF = COUNTY_WIDE | {Role.STATION_HEAD, Role.OFFICER}
LEADS = COUNTY_WIDE | {Role.STATION_HEAD}
NOBODY: frozenset[Role] = frozenset()
"""System actions: the engine applies them (`TaskService.act`), no person may."""


def local_time(at: Any, zone: str) -> str:
    """An ISO 8601 instant as the county's wall clock (2026-12-02 04:40:15) for the history; as given if not one."""
    try:
        return datetime.fromisoformat(str(at)).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return str(at)


class HandlePayload(Payload):
    outcome: str = Field(min_length=1, max_length=500, title="处置结果")


class RecoverPayload(Payload):
    place: str = Field(min_length=1, max_length=200, title="找回地点")
    suspects: int = Field(default=0, ge=0, le=1000, title="抓获嫌疑人（名）")
    """Suspects caught with the vehicle."""
    gang: str | None = Field(default=None, max_length=64, title="打掉团伙（案件编号或名称）")
    """The gang broken with it (case number or name), if the recovery broke one."""


class CompensatePayload(Payload):
    certificate_no: str = Field(min_length=1, max_length=64, title="派出所证明编号")
    """The police station's certificate (派出所证明)."""
    invoices: str = Field(min_length=1, max_length=500, title="车主购车、购卡发票")
    """The owner's invoices for the vehicle and the card."""


class RepairPayload(Payload):
    note: str = Field(min_length=1, max_length=2000, title="维修情况")


class SystemPayload(Payload):
    model_config = ConfigDict(extra="allow")


class AlertStatus(StrEnum):
    ISSUED = "issued"
    SIGNED = "signed"
    HANDLED = "handled"
    CLOSED = "closed"


class MaintenanceStatus(StrEnum):
    ISSUED = "issued"
    REPAIRED = "repaired"
    CLOSED = "closed"


def _ladder(minutes: int) -> Ladder:
    return Ladder(
        timedelta(minutes=minutes),
        (Rung("所长/单位负责人", holder=True), Rung("情指中心", unit_kinds=(UnitKind.COMMAND_CENTRE,))),
    )


class AlertWorkflow(BaseWorkflow):
    kind = ALERT_KIND
    name = "地网告警"
    seen_by_area = True
    fact_names: ClassVar[Mapping[str, str]] = {
        "alert_kind": "告警类型",
        "tag": "标签",
        "station": "侦测基站",
        "at": "侦测时间",
        "last_station": "最近发现基站",
        "last_at": "最近发现时间",
        "heading": "行进方向",
    }
    outcomes: ClassVar[Mapping[str, str]] = {"handled": "已处置"}

    def __init__(self, rules: TrackingRules) -> None:
        self.rules = rules
        self.statuses = {
            AlertStatus.ISSUED: "已下发",
            AlertStatus.SIGNED: "已签收",
            AlertStatus.HANDLED: "已处置",
            AlertStatus.CLOSED: "已关闭",
        }
        self.steps = {"sign": "签收"}
        staff = Permission(STAFF, holder=True, jurisdiction=True)
        self.actions = {
            **base_actions(STAFF, leads=LEADS, closers=STAFF),
            "sign": ActionSpec("sign", "签收", EmptyPayload, staff),
            "handle": ActionSpec("handle", "处置", HandlePayload, staff),
            "sighted": ActionSpec("sighted", "再次发现", SystemPayload, Permission(NOBODY)),
        }
        self.ladder = _ladder(rules.alert_sign_minutes)

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = AlertStatus.ISSUED
        self.set_due(task, "sign", now + timedelta(minutes=self.rules.alert_sign_minutes))
        return "告警下发"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = AlertStatus.ISSUED
        self.set_due(task, "sign", now + timedelta(minutes=self.rules.alert_sign_minutes))
        return "重新打开，待签收"

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        return (UnitKind.COMMAND_CENTRE,) if task.unit_id is None else ()

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({"reopen"})
        common = {"assign", "note", "close", "handle"}
        return frozenset({"sign", *common} if task.status == AlertStatus.ISSUED else common)

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        return {k: facts[k] for k in ("alert_id", *self.fact_names) if k in facts}

    def fact_value(self, key: str, value: Any) -> Any:
        return ALERT_KIND_NAMES.get(value, value) if key == "alert_kind" else value

    def handlers(self) -> Mapping[str, Handler]:
        return {"sign": self._sign, "handle": self._handle, "sighted": self._sighted}

    def _sign(self, task: Task, command: Command, now: datetime) -> str:
        if task.status != AlertStatus.ISSUED:
            raise WorkflowError("告警已签收", code="already_signed")
        task.status = AlertStatus.SIGNED
        task.assignee_id = task.assignee_id or command.actor_id
        self.set_due(task, None, None)
        return "签收"

    def _handle(self, task: Task, command: Command, now: datetime) -> str:
        self.finish(task, AlertStatus.HANDLED, now, "handled")
        return f"处置：{command.data.get('outcome', '')}"

    def _sighted(self, task: Task, command: Command, now: datetime) -> str:
        station = command.data.get("station", "")
        at = command.data.get("at", "")
        heading = command.data.get("heading")
        set_facts(task, last_station=station, last_at=at, **({"heading": heading} if heading else {}))
        return f"再次发现于{station}（{local_time(at, self.rules.timezone)}）" + (f"，向{heading}" if heading else "")


class TheftWorkflow(BaseWorkflow):
    kind = THEFT_KIND
    name = "车辆被盗布控"
    seen_by_area = True
    closed_actions = frozenset({"reopen"})
    fact_names: ClassVar[Mapping[str, str]] = {
        "tag": "平安卡",
        "plate": "车牌",
        "stolen_at": "被盗时间",
        "place": "被盗地点",
        "reported_at": "报案时间",
        "first_station": "首次发现基站",
        "first_sighted_at": "首次发现时间",
        "recovered_place": "找回地点",
        "suspects": "抓获嫌疑人",
        "gang": "打掉团伙",
        "compensation_reason": "赔付条件",
        "certificate_no": "派出所证明",
    }
    outcomes: ClassVar[Mapping[str, str]] = {"recovered": "已找回", "compensated": "已赔付"}

    def __init__(self, rules: TrackingRules) -> None:
        self.rules = rules
        self.statuses = {
            TheftStatus.WATCHED: "布控中",
            TheftStatus.SIGHTED: "已发现",
            TheftStatus.RECOVERED: "已找回",
            TheftStatus.COMPENSATED: "已赔付",
            TheftStatus.CLOSED: "已关闭",
        }
        self.steps = {"find": "找回"}
        staff = Permission(STAFF, holder=True, jurisdiction=True)
        self.actions = {
            **base_actions(STAFF, leads=LEADS, closers=LEADS),
            "recover": ActionSpec("recover", "找回", RecoverPayload, staff),
            "compensate": ActionSpec(
                "compensate", "赔付", CompensatePayload, Permission(LEADS, holder=True), "赔付须由所长或中心登记"
            ),
            "sighted": ActionSpec("sighted", "地网发现", SystemPayload, Permission(NOBODY)),
        }
        self.ladder = Ladder(
            timedelta(days=1),
            (Rung("所长/单位负责人", holder=True), Rung("情指中心", unit_kinds=(UnitKind.COMMAND_CENTRE,))),
        )

    def find_due(self, task: Task) -> datetime:
        reported = datetime.fromisoformat(str((task.facts or {}).get("reported_at") or task.created_at.isoformat()))
        return reported + timedelta(days=self.rules.compensation.not_found_days)

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = TheftStatus.WATCHED
        self.set_due(task, "find", self.find_due(task))
        return "被盗报案，地网布控"

    def rearm(self, task: Task, now: datetime) -> str:
        task.status = TheftStatus.WATCHED
        self.set_due(task, "find", max(now, self.find_due(task)))
        return "重新布控"

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({"reopen"})
        return frozenset({"assign", "note", "close", "recover", "compensate"})

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        return {k: facts[k] for k in ("theft_id", *self.fact_names) if k in facts}

    def fact_value(self, key: str, value: Any) -> Any:
        if key == "compensation_reason":
            return REASON_NAMES.get(value, value)
        return f"{value}名" if key == "suspects" else value

    def handlers(self) -> Mapping[str, Handler]:
        return {"recover": self._recover, "compensate": self._compensate, "sighted": self._sighted}

    def _recover(self, task: Task, command: Command, now: datetime) -> str:
        self.finish(task, TheftStatus.RECOVERED, now, "recovered")
        suspects = int(command.data.get("suspects", 0))
        gang = command.data.get("gang")
        set_facts(task, recovered_place=command.data.get("place"), suspects=suspects, gang=gang)
        return (
            f"找回于{command.data.get('place', '')}"
            + (f"，抓获嫌疑人{suspects}名" if suspects else "")
            + (f"，打掉团伙{gang}" if gang else "")
        )

    def _compensate(self, task: Task, command: Command, now: datetime) -> str:
        reason = (task.facts or {}).get("compensation_reason")
        if not reason:
            raise WorkflowError("尚不符合平安卡协议的赔付条件", code="not_eligible")
        self.finish(task, TheftStatus.COMPENSATED, now, "compensated")
        set_facts(task, certificate_no=command.data.get("certificate_no"))
        return f"按协议赔付（证明 {command.data.get('certificate_no', '')}）"

    def _sighted(self, task: Task, command: Command, now: datetime) -> str:
        if task.status == TheftStatus.WATCHED:
            task.status = TheftStatus.SIGHTED
        at = command.data.get("at", "")
        # The theft hears of its first sighting only; the alert task follows the later ones.
        set_facts(task, first_station=command.data.get("station"), first_sighted_at=at)
        return f"地网发现于{command.data.get('station', '')}（{local_time(at, self.rules.timezone)}）"


class MaintenanceWorkflow(BaseWorkflow):
    kind = MAINTENANCE_KIND
    name = "基站维护"
    seen_by_area = False
    assignee_roles = frozenset({Role.PARTNER})
    fact_names: ClassVar[Mapping[str, str]] = {"station": "基站", "silent_since": "最后上报"}
    outcomes: ClassVar[Mapping[str, str]] = {"repaired": "已修复", "back_online": "已恢复在线"}

    def __init__(self, rules: TrackingRules) -> None:
        self.rules = rules
        self.statuses = {
            MaintenanceStatus.ISSUED: "待维修",
            MaintenanceStatus.REPAIRED: "已恢复",
            MaintenanceStatus.CLOSED: "已关闭",
        }
        self.steps = {"repair": "修复"}
        crew = Permission(COUNTY_WIDE | {Role.PARTNER}, holder=True)
        self.actions = {
            **base_actions(COUNTY_WIDE | {Role.PARTNER}, leads=COUNTY_WIDE | {Role.PARTNER}, closers=COUNTY_WIDE),
            "repair": ActionSpec("repair", "修复", RepairPayload, crew),
            "back_online": ActionSpec("back_online", "恢复在线", SystemPayload, Permission(NOBODY)),
        }
        self.ladder = Ladder(
            timedelta(hours=rules.repair_hours), (Rung("情指中心", unit_kinds=(UnitKind.COMMAND_CENTRE,)),)
        )

    def start(self, task: Task, now: datetime) -> str | None:
        task.status = MaintenanceStatus.ISSUED
        self.set_due(task, "repair", now + timedelta(hours=self.rules.repair_hours))
        return "基站失联，待维修"

    def rearm(self, task: Task, now: datetime) -> str:
        return self.start(task, now) or ""

    def issued_to(self, task: Task) -> tuple[UnitKind, ...]:
        return (UnitKind.COMMAND_CENTRE,) if task.unit_id is None else ()

    def allowed(self, task: Task) -> frozenset[str]:
        if task.closed_at is not None:
            return frozenset({"reopen"})
        return frozenset({"assign", "note", "close", "repair"})

    def view(self, task: Task) -> dict[str, Any]:
        facts = task.facts or {}
        return {k: facts[k] for k in ("station", "silent_since") if k in facts}

    def handlers(self) -> Mapping[str, Handler]:
        return {"repair": self._repair, "back_online": self._back}

    def _repair(self, task: Task, command: Command, now: datetime) -> str:
        self.finish(task, MaintenanceStatus.REPAIRED, now, "repaired")
        return "修复"

    def _back(self, task: Task, command: Command, now: datetime) -> str:
        self.finish(task, MaintenanceStatus.REPAIRED, now, "back_online")
        return "基站恢复在线"
