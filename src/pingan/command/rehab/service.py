"""Plans, their schedule and the missed checks' tasks.

A plan is placed at its person's station: the registered resident's (ID number, then phone), else the station
its address names; its schedule (every check-in and test from start to end) is written when the plan is,
so that the sweep is one query: the checks past their day and grace, neither recorded nor missed yet, each
become a task for the plan's station, assigned to its community officer (one open task per plan: later
misses join it). Recording a check clears a plan reported lost; resolving the task as checked in records
the check it was opened for.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.command.places import AddressPlaces, NoAddresses
from pingan.command.rehab.models import CheckKind, PlanKind, RehabCheck, RehabPlan, TestResult
from pingan.command.rehab.rules import RehabRules
from pingan.command.rehab.schedule import schedule
from pingan.command.rehab.schemas import CheckIn, PlanIn
from pingan.command.rehab.workflow import KIND, REF_TYPE, RehabAction, RehabStatus
from pingan.core.clock import Clock
from pingan.core.csvfile import CsvColumns, read_csv
from pingan.core.db import Database
from pingan.core.errors import BadInput, Conflict, field_of
from pingan.core.models import Person, Task, Unit, UnitKind, User
from pingan.core.people import people_by_phone
from pingan.core.tasks import Command, TaskService

LOCAL = ZoneInfo("Asia/Shanghai")
KIND_NAMES = {PlanKind.DETOX: "社区戒毒", PlanKind.REHAB: "社区康复"}
CHECK_NAMES = {CheckKind.CHECKIN: "报到", CheckKind.TEST: "检测"}
PLAN_COLUMNS = CsvColumns.of(PlanIn)


@dataclass
class ImportReport:
    created: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str | None, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "unchanged": self.unchanged,
            "rejected": [{"line": line, "field": fld, "message": msg} for line, fld, msg in self.rejected],
        }


def read_plans_csv(path: Path) -> list[tuple[int, Any]]:
    return list(read_csv(path, PLAN_COLUMNS))


def read_plans_csv_bytes(raw: bytes) -> list[tuple[int, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plans.csv"
        path.write_bytes(raw)
        return read_plans_csv(path)


class RehabService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: RehabRules,
        tasks: TaskService,
        addresses: AddressPlaces | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.addresses = addresses or NoAddresses()
        tasks.listen(KIND, self._on_task)

    def today(self) -> date:
        return self.clock.now().astimezone(LOCAL).date()

    # -- plans -------------------------------------------------------------------------------------------

    def import_rows(self, session: Session, rows: Iterable[tuple[int, Any]]) -> ImportReport:
        """Plans from rows (CSV lines or JSON objects); bad rows named by line and field, the good kept; a plan
        already stored (its `id`) is left as it is."""
        report = ImportReport()
        for line, raw in rows:
            try:
                body = PlanIn.model_validate(raw)
            except ValidationError as exc:
                problem = exc.errors(include_url=False)[0]
                report.rejected.append((line, field_of(problem), str(problem["msg"]).removeprefix("Value error, ")))
                continue
            try:
                _plan, created = self.create(session, body)
            except BadInput as exc:
                report.rejected.append((line, exc.field, exc.message))
                continue
            if created:
                report.created += 1
            else:
                report.unchanged += 1
        return report

    def create(self, session: Session, body: PlanIn) -> tuple[RehabPlan, bool]:
        """Store a plan and its schedule; (the stored plan, False) when its `id` is known already."""
        known = session.scalar(select(RehabPlan).where(RehabPlan.source_id == body.id))
        if known is not None:
            return known, False
        now = self.clock.now()
        person = session.scalar(select(Person).where(Person.id_number == body.id_number))
        area_id = person.station_id if person is not None else None
        if area_id is None and body.phone:
            facts = people_by_phone(session, [body.phone]).get(body.phone)
            area_id = facts.station_id if facts else None
            person = person or (session.get(Person, facts.id) if facts else None)
        if area_id is None and body.address:
            area_id = self.addresses.station_of(session, body.address)
        unit_id = (
            session.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == area_id))
            if area_id is not None
            else None
        )
        officer_id: int | None = None
        if body.officer:
            officer = session.scalar(select(User).where(User.username == body.officer))
            if officer is None or not officer.active or (unit_id is not None and officer.unit_id != unit_id):
                raise BadInput("社区民警不存在或不属于该派出所", field="officer", code="no_such_officer")
            officer_id = officer.id
            if unit_id is None:
                unit_id = officer.unit_id
                area_id = session.scalar(select(Unit.area_id).where(Unit.id == unit_id))
        plan = RehabPlan(
            source_id=body.id,
            kind=body.kind,
            person_id=person.id if person is not None else None,
            name=body.name,
            id_number=body.id_number,
            phone=body.phone or None,
            address=body.address or (person.address if person is not None else None),
            starts_on=body.starts_on,
            ends_on=body.ends_on,
            checkin_days=body.checkin_days or self.rules.checkin_days,
            test_days=body.test_days or self.rules.test_days,
            area_id=area_id,
            unit_id=unit_id,
            officer_id=officer_id,
            created_at=now,
        )
        session.add(plan)
        session.flush()
        session.add_all(
            RehabCheck(plan_id=plan.id, kind=kind, due_on=day)
            for kind, day in schedule(plan.starts_on, plan.ends_on, plan.checkin_days, plan.test_days, plan.ends_on)
        )
        session.flush()
        return plan, True

    def end(self, session: Session, plan: RehabPlan, reason: str) -> None:
        """End a plan early or on time (解除): its later checks are no longer due."""
        if plan.ended_at is not None:
            raise Conflict("该人员已解除管控", code="already_ended")
        now = self.clock.now()
        plan.ended_at, plan.end_reason = now, reason
        for check in session.scalars(
            select(RehabCheck).where(
                RehabCheck.plan_id == plan.id, RehabCheck.done_at.is_(None), RehabCheck.due_on > self.today()
            )
        ):
            session.delete(check)

    # -- checks ------------------------------------------------------------------------------------------

    def record(self, session: Session, plan: RehabPlan, body: CheckIn, actor_id: int | None) -> RehabCheck:
        """Record a check-in or a test on `body.on` (today): it answers the latest check of its kind due by then
        that is not recorded (a late one included), else the next one due."""
        today = self.today()
        on = body.on or today
        if on > today:
            raise BadInput("不能登记未来日期", field="on", code="future_day")
        if on < plan.starts_on:
            raise BadInput("早于管控开始日期", field="on", code="before_start")
        if plan.ended_at is not None:
            raise Conflict("该人员已解除管控", code="already_ended")
        kind = CheckKind(body.kind)
        open_checks = select(RehabCheck).where(
            RehabCheck.plan_id == plan.id, RehabCheck.kind == kind, RehabCheck.done_at.is_(None)
        )
        check = session.scalar(
            open_checks.where(RehabCheck.due_on <= on).order_by(RehabCheck.due_on.desc()).limit(1)
        ) or session.scalar(open_checks.where(RehabCheck.due_on > on).order_by(RehabCheck.due_on).limit(1))
        now = self.clock.now()
        if check is None:  # everything of the plan's schedule is recorded: an extra one
            check = RehabCheck(plan_id=plan.id, kind=kind, due_on=on)
            if session.scalar(
                select(RehabCheck.id).where(
                    RehabCheck.plan_id == plan.id, RehabCheck.kind == kind, RehabCheck.due_on == on
                )
            ):
                raise Conflict(f"当日{CHECK_NAMES[kind]}已登记", code="already_recorded")
            session.add(check)
        check.done_at = now
        check.result = TestResult(body.result) if body.result else None
        check.recorded_by = actor_id
        check.note = body.note
        plan.lost_since = None
        session.flush()
        return check

    def sweep(self, session: Session, *, limit: int = 500) -> int:
        """Mark the checks past their day and grace as missed and open (or join) the plan's task. Returns how many."""
        now = self.clock.now()
        cutoff = self.today() - timedelta(days=self.rules.grace_days)
        missed = list(
            session.execute(
                select(RehabCheck, RehabPlan)
                .join(RehabPlan, RehabPlan.id == RehabCheck.plan_id)
                .where(
                    RehabCheck.done_at.is_(None),
                    RehabCheck.missed_at.is_(None),
                    RehabCheck.due_on < cutoff,
                    RehabPlan.ended_at.is_(None),
                )
                .order_by(RehabCheck.due_on, RehabCheck.id)
                .limit(limit)
            )
        )
        for check, plan in missed:
            check.missed_at = now
            open_task = session.scalar(
                select(Task).where(
                    Task.kind == KIND,
                    Task.closed_at.is_(None),
                    Task.ref_type == REF_TYPE,
                    Task.ref_id.in_(select(RehabCheck.id).where(RehabCheck.plan_id == plan.id)),
                )
            )
            what = f"{check.due_on.isoformat()} {CHECK_NAMES[check.kind]}"
            if open_task is not None:
                check.task_id = open_task.id
                self.tasks.act(session, open_task, Command("note", None, f"又一次未按期{what}"))
                continue
            task = self.tasks.create(
                session,
                kind=KIND,
                # No name in the title: a notification carries it to the whole station.
                title=f"{KIND_NAMES[plan.kind]}人员未按期{CHECK_NAMES[check.kind]}（{check.due_on.isoformat()}）",
                ref_type=REF_TYPE,
                ref_id=check.id,
                area_id=plan.area_id,
                unit_id=plan.unit_id,
                level="medium",
                reason=f"未按期{what}",
                facts={"plan_id": plan.id, "check_kind": check.kind.value, "due_on": check.due_on.isoformat()},
            )
            if plan.officer_id is not None:
                task.assignee_id = plan.officer_id
            check.task_id = task.id
        if missed:
            session.flush()
        return len(missed)

    def _on_task(self, session: Session, task: Task, command: Command) -> None:
        if command.action != RehabAction.RESOLVE or task.ref_type != REF_TYPE:
            return
        check = session.get(RehabCheck, task.ref_id)
        if check is None:
            return
        plan = session.get(RehabPlan, check.plan_id)
        if plan is None:
            return
        if task.status == RehabStatus.LOST:
            plan.lost_since = self.clock.now()
            return
        if check.done_at is None:
            check.done_at = self.clock.now()
            check.recorded_by = command.actor_id
            result = command.data.get("result")
            check.result = TestResult(result) if isinstance(result, str) else None
            check.note = command.reason
        plan.lost_since = None


def plans_in(session: Session, ids: Sequence[int]) -> list[RehabPlan]:
    return list(session.scalars(select(RehabPlan).where(RehabPlan.id.in_(list(ids)))))
