"""The alarm intake's use cases: receive (idempotent on the source id), grade, locate, open the `alarm` task,
propose patrol units by the "135" reach, and the checks and records around the task's actions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pingan.command.alarms.models import CATEGORY_NAMES, SOURCE_NAMES, Alarm, AlarmOutcome
from pingan.command.alarms.rules import AlarmRules, grade
from pingan.command.alarms.schemas import AlarmCreate
from pingan.command.alarms.workflow import KIND, AlarmStatus
from pingan.command.patrol.models import PatrolUnit
from pingan.command.patrol.reach import Reach
from pingan.command.patrol.service import Patrol, UnitBrief
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.errors import BadInput
from pingan.core.geo import distance_m, in_china, to_wgs84
from pingan.core.identifiers import mask_free_text
from pingan.core.identity import Actor
from pingan.core.models import Task, Unit, UnitKind, User
from pingan.core.scope import Scope, scope_of
from pingan.core.tasks import Command, TaskService

FUTURE_SLACK = timedelta(minutes=2)
OPEN = (AlarmStatus.DISPATCHED, AlarmStatus.ARRIVED)


class Alarms:
    """Unified alarm intake (统一接警) over the task engine and patrol's reach."""

    def __init__(
        self, clock: Clock, rules: AlarmRules, tasks: TaskService, jurisdictions: Jurisdictions, patrol: Patrol
    ) -> None:
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.jurisdictions = jurisdictions
        self.patrol = patrol
        tasks.on(KIND, "dispatch", check=self._check_dispatch)
        tasks.on(KIND, "assign", check=self._check_assign)
        tasks.listen(KIND, self._sync)

    # -- intake --------------------------------------------------------------------------------------------

    def receive(self, session: Session, actor_id: int | None, body: AlarmCreate) -> tuple[Alarm, bool]:
        """Store an alarm and open its task; a replay (same source and source id) returns the stored one."""
        found = self._existing(session, body)
        if found is not None:
            return found, False
        now = self.clock.now()
        received = body.received_at or now
        if received > now + FUTURE_SLACK:
            raise BadInput("接警时间晚于当前时间", field="received_at")
        lon = lat = None
        if (body.lon is None) != (body.lat is None):
            raise BadInput("经纬度须同时给出", field="lat" if body.lat is None else "lon")
        if body.lon is not None and body.lat is not None:
            lon, lat = to_wgs84(body.lon, body.lat, body.crs)
            if not in_china(lon, lat):
                raise BadInput("坐标不在中国境内（经纬度是否颠倒？）", field="lon", code="out_of_range")
        area_id = self.jurisdictions.station_at(session, lon, lat) if lon is not None and lat is not None else None
        zone_id = self.patrol.zone_at(session, lon, lat) if lon is not None and lat is not None else None
        unit_id = self._holder(session, area_id)
        if area_id is None and actor_id is not None:
            # No place given by a station's own staff (a walk-in at the counter): the station holds it.
            unit = session.scalar(select(Unit).join(User, User.unit_id == Unit.id).where(User.id == actor_id))
            if unit is not None and unit.kind is UnitKind.STATION:
                unit_id, area_id = unit.id, unit.area_id
        level, reasons = grade(body.category, body.text, self.rules)
        alarm = Alarm(
            source=body.source,
            source_id=body.source_id,
            received_at=received,
            category=body.category,
            level=level,
            reasons=reasons,
            text=body.text,
            caller_name=body.caller_name,
            caller_phone=body.caller_phone,
            address=body.address,
            lon=round(lon, 7) if lon is not None else None,
            lat=round(lat, 7) if lat is not None else None,
            area_id=area_id,
            zone_id=zone_id,
            unit_id=unit_id,
            created_by=actor_id,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(alarm)
                session.flush()
        except IntegrityError:
            # Another request stored the same alarm between our look and our insert.
            found = self._existing(session, body)
            if found is None:
                raise
            return found, False
        title = f"{SOURCE_NAMES[body.source]}·{CATEGORY_NAMES[body.category]}：{mask_free_text(body.text)}"[:200]
        task = self.tasks.create(
            session,
            kind=KIND,
            title=title,
            ref_type="alarm",
            ref_id=alarm.id,
            area_id=area_id,
            unit_id=unit_id,
            level=level.value,
            actor_id=actor_id,
            facts={"alarm_id": alarm.id, "received_at": received.isoformat()},
        )
        alarm.task_id = task.id
        session.flush()
        return alarm, True

    @staticmethod
    def _existing(session: Session, body: AlarmCreate) -> Alarm | None:
        return session.scalar(select(Alarm).where(Alarm.source == body.source, Alarm.source_id == body.source_id))

    def _holder(self, session: Session, area_id: int | None) -> int | None:
        """The station of the place; the 情指中心 for a place outside every station (or none given: a walk-in
        typed at a station without a place stays with that station, see `receive`)."""
        if area_id is not None:
            unit = session.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == area_id))
            if unit is not None:
                return unit
        return session.scalar(select(Unit.id).where(Unit.kind == UnitKind.COMMAND_CENTRE).order_by(Unit.id).limit(1))

    # -- the reach for an alarm ----------------------------------------------------------------------------

    def busy(self, session: Session, *, but: int | None = None) -> dict[int, str]:
        """Patrol units sent to an alarm still open (dispatched, or on the scene), with the alarm they work."""
        rows = session.execute(
            select(Alarm.patrol_unit_id, Alarm.id)
            .join(Task, Task.id == Alarm.task_id)
            .where(Task.closed_at.is_(None), Task.status.in_(OPEN), Alarm.patrol_unit_id.is_not(None))
        ).all()
        return {int(u): f"正在处置警情 #{a}" for u, a in rows if u is not None and a != but}

    def proposals(self, session: Session, scope: Scope, alarm: Alarm) -> tuple[Reach, dict[int, UnitBrief]] | None:
        """The reach of the alarm's place over the units the scope may send (None: the place is unknown)."""
        if alarm.lon is None or alarm.lat is None:
            return None
        return self.patrol.reach(session, scope, alarm.lon, alarm.lat, busy=self.busy(session, but=alarm.id))

    # -- around the task's actions -------------------------------------------------------------------------

    def _alarm(self, session: Session, task: Task) -> Alarm | None:
        return session.get(Alarm, task.ref_id) if task.ref_type == "alarm" else None

    def _check_dispatch(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        unit_id = int(command.data["patrol_unit_id"])
        patrol_unit = session.get(PatrolUnit, unit_id)
        user = session.get(User, actor.id)
        scope = scope_of(session, user) if user is not None else Scope(False, frozenset(), frozenset())
        if patrol_unit is None or not (scope.county_wide or patrol_unit.unit_id in scope.unit_ids):
            raise BadInput("巡组不存在或不属于本单位", field="patrol_unit_id", code="no_such_unit")
        now = self.clock.now()
        verdict = self.patrol.available(session, patrol_unit, now)
        if verdict is not None:
            reason, detail = verdict
            raise BadInput(f"{patrol_unit.code}不能派警：{detail}", field="patrol_unit_id", code=reason.value)
        busy = self.busy(session, but=task.ref_id if task.ref_type == "alarm" else None)
        if unit_id in busy:
            raise BadInput(f"{patrol_unit.code}不能派警：{busy[unit_id]}", field="patrol_unit_id", code="busy")
        data: dict[str, Any] = {**command.data, "patrol_unit_code": patrol_unit.code}
        alarm = self._alarm(session, task)
        if alarm is not None and alarm.lon is not None and alarm.lat is not None and patrol_unit.lon is not None:
            assert patrol_unit.lat is not None
            road = distance_m(patrol_unit.lon, patrol_unit.lat, alarm.lon, alarm.lat) * self.patrol.rules.road_factor
            data["eta_s"] = round(road / self.patrol.rules.speed_ms(patrol_unit.kind))
        return Command(command.action, command.actor_id, command.reason, data)

    def _check_assign(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        verdict = self.patrol.officer_verdict(session, int(command.data["assignee_id"]), self.clock.now())
        if verdict is not None:
            reason, detail = verdict
            raise BadInput(detail, field="assignee_id", code=reason.value)
        return command

    def _sync(self, session: Session, task: Task, command: Command) -> None:
        """Keep the alarm's own times and outcome in step with its task."""
        alarm = self._alarm(session, task)
        if alarm is None:
            return
        now = self.clock.now()
        facts = task.facts or {}
        if command.action == "dispatch":
            alarm.patrol_unit_id = int(command.data["patrol_unit_id"])
            if alarm.dispatched_at is None:
                alarm.dispatched_at = now
        elif command.action == "arrive":
            arrived = facts.get("arrived_at")
            alarm.arrived_at = datetime.fromisoformat(arrived) if isinstance(arrived, str) else now
        elif command.action in ("finish", "close"):
            alarm.finished_at = now
            alarm.outcome = AlarmOutcome(task.outcome) if command.action == "finish" and task.outcome else None
            alarm.result = str(command.data.get("result") or command.reason or "")[:2000] or None
        elif command.action == "reopen":
            alarm.finished_at = None
            alarm.outcome = None
            alarm.result = None
            alarm.patrol_unit_id = None
