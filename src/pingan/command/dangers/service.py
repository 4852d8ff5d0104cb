"""Hidden dangers' use cases: open a finding with its departments and tasks, photos, the checks around the
task actions, and keeping the finding in step with its tasks. Each call runs in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.command.dangers import queries
from pingan.command.dangers.models import (
    Danger,
    DangerDepartment,
    DangerPhoto,
    DangerState,
    DepartmentRole,
    PhotoStage,
)
from pingan.command.dangers.ports import PhotoStore, StoredPhoto
from pingan.command.dangers.rules import DangerRules
from pingan.command.dangers.schemas import CoDepartment, DangerCreate, DangerRow
from pingan.command.dangers.workflow import KIND, PART_KIND, REPORTED, DangerAction, DangerStatus, PartWorkflow
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.errors import BadInput, Forbidden, first_problem
from pingan.core.geo import to_wgs84
from pingan.core.identity import Actor
from pingan.core.models import COUNTY_WIDE_ROLES, Area, AreaKind, Role, Task, Unit, UnitKind
from pingan.core.scope import Scope
from pingan.core.tasks import Command, TaskService, WorkflowError
from pingan.core.tasks.base import set_facts

CREATORS = frozenset({*COUNTY_WIDE_ROLES, Role.STATION_HEAD, Role.OFFICER})
"""Who records a finding: the centres, and the station of the place (排查发现)."""


@dataclass
class ImportReport:
    created: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


class Dangers:
    def __init__(
        self,
        clock: Clock,
        rules: DangerRules,
        tasks: TaskService,
        jurisdictions: Jurisdictions,
        photos: PhotoStore,
    ) -> None:
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.jurisdictions = jurisdictions
        self.photos = photos
        self.zone = ZoneInfo(rules.timezone)
        tasks.on(KIND, DangerAction.SUBMIT, check=self._check_submit)
        tasks.on(KIND, DangerAction.REVISE, check=self._check_revise, effect=self._revise)
        tasks.listen(KIND, self._follow_finding)
        tasks.listen(PART_KIND, self._follow_part)

    # -- opening ------------------------------------------------------------------------------------------

    def create(self, session: Session, actor: Actor | None, scope: Scope, body: DangerCreate) -> Danger:
        """Record a finding; its lead department gets the `hidden_danger` task, each co-department a part.
        `actor` None: the system (a list imported from the command line, county-wide)."""
        actor_id = actor.id if actor is not None else None
        if actor is not None and actor.role not in CREATORS:
            raise Forbidden("当前角色不能登记隐患")
        if body.source_id is not None:
            existing = session.scalar(select(Danger).where(Danger.source_id == body.source_id))
            if existing is not None:
                return existing
        lead = self._department(session, body.lead_unit_id, "lead_unit_id")
        cos = [
            (self._department(session, c.unit_id, f"co_departments[{i}].unit_id"), c)
            for i, c in enumerate(body.co_departments)
        ]
        lon, lat = (None, None)
        if body.lon is not None and body.lat is not None:
            lon, lat = to_wgs84(body.lon, body.lat, body.crs)
        area_id = body.area_id
        if area_id is not None:
            area = session.get(Area, area_id)
            if area is None or area.kind is AreaKind.COUNTY:
                raise BadInput("辖区不存在", field="area_id", code="no_such_area")
        elif lon is not None and lat is not None:
            area_id = self.jurisdictions.station_at(session, lon, lat)
        if not scope.county_wide and (area_id is None or area_id not in scope.area_ids):
            raise Forbidden("只能登记本辖区的隐患", field="area_id")
        now = self.clock.now()
        due = self._due(now, body)
        danger = Danger(
            source_id=body.source_id,
            kind=body.kind,
            title=body.title,
            place=body.place,
            description=body.description,
            plan=body.plan,
            lon=lon,
            lat=lat,
            area_id=area_id,
            lead_unit_id=lead.id,
            state=DangerState.RECTIFYING,
            found_at=now,
            due_at=due,
            created_by=actor_id,
            budget_yuan=body.budget_yuan,
        )
        session.add(danger)
        session.flush()
        facts = {"danger_id": danger.id, "danger_kind": danger.kind.value, "rectify_due": due.isoformat()}
        task = self.tasks.create(
            session,
            kind=KIND,
            title=f"隐患整治：{body.title}",
            ref_type="danger",
            ref_id=danger.id,
            area_id=area_id,
            unit_id=lead.id,
            actor_id=actor_id,
            facts={**facts, "parts_open": len(cos)},
        )
        danger.task_id = task.id
        session.add(
            DangerDepartment(danger_id=danger.id, unit_id=lead.id, role=DepartmentRole.LEAD, duty=body.lead_duty)
        )
        for unit, co in cos:
            part = self.tasks.create(
                session,
                kind=PART_KIND,
                title=f"隐患协办：{body.title}",
                ref_type="danger",
                ref_id=danger.id,
                area_id=area_id,
                unit_id=unit.id,
                actor_id=actor_id,
                facts=facts,
            )
            session.add(
                DangerDepartment(
                    danger_id=danger.id, unit_id=unit.id, role=DepartmentRole.CO, duty=co.duty, task_id=part.id
                )
            )
        session.flush()
        return danger

    def _department(self, session: Session, unit_id: int, where: str) -> Unit:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.kind is not UnitKind.GOVERNANCE:
            raise BadInput(
                "整改部门须为已登记的治理部门（住建、消防、交通、街道等）", field=where, code="not_a_department"
            )
        return unit

    def _due(self, now: datetime, body: DangerCreate) -> datetime:
        if body.due_date is None:
            return now + timedelta(days=self.rules.days_for(body.kind))
        end = datetime.combine(body.due_date + timedelta(days=1), time(0), self.zone)
        if end <= now:
            raise BadInput("整改期限不能早于今天", field="due_date")
        return end

    def import_rows(
        self, session: Session, actor: Actor | None, scope: Scope, rows: Iterable[tuple[int, dict[str, Any]]]
    ) -> ImportReport:
        """A list of findings (the CSV's rows, units by code): good rows kept, bad ones named by line and field."""
        report = ImportReport()
        codes = dict(session.execute(select(Unit.code, Unit.id)).all())
        for line, raw in rows:
            try:
                row = DangerRow.model_validate({k: v for k, v in raw.items() if v not in (None, "")})
            except ValidationError as exc:
                where, _code, message = first_problem(exc)
                report.rejected.append({"line": line, "field": where, "message": message})
                continue
            try:
                co = _co_departments(row.co, codes)
                lead = codes.get(row.lead)
                if lead is None:
                    raise BadInput(f"未知的单位代码 {row.lead}", field="lead")
                body = DangerCreate(
                    kind=row.kind,
                    title=row.title,
                    place=row.place,
                    description=row.description,
                    plan=row.plan,
                    lon=row.lon,
                    lat=row.lat,
                    crs=row.crs,
                    lead_unit_id=lead,
                    co_departments=co,
                    due_date=row.due_date,
                    budget_yuan=row.budget_yuan,
                    source_id=row.id,
                )
                if session.scalar(select(func.count()).select_from(Danger).where(Danger.source_id == row.id)):
                    report.unchanged += 1
                    continue
                with session.begin_nested():
                    self.create(session, actor, scope, body)
                report.created += 1
            except (BadInput, Forbidden) as exc:
                report.rejected.append({"line": line, "field": exc.field, "message": str(exc)})
            except ValidationError as exc:
                where, _code, message = first_problem(exc)
                report.rejected.append({"line": line, "field": where, "message": message})
        return report

    # -- photos -------------------------------------------------------------------------------------------

    def add_photos(
        self,
        session: Session,
        actor: Actor,
        scope: Scope,
        danger: Danger,
        stage: PhotoStage,
        files: Sequence[tuple[str | None, str | None, bytes]],
    ) -> list[DangerPhoto]:
        """Before-photos by anyone who sees the finding; after-photos by its departments (or the centres);
        acceptance photos by the police. Written files are deleted again if the transaction fails."""
        if not files:
            raise BadInput("请选择照片", field="files")
        if len(files) > 9:
            raise BadInput("一次最多上传 9 张照片", field="files", code="too_many_files")
        departments = queries.department_units(session, danger.id)
        county = actor.role in COUNTY_WIDE_ROLES
        if stage is PhotoStage.AFTER and not (county or (actor.unit_id in departments)):
            raise Forbidden("整改后照片由整改部门上传", field="stage")
        if stage is PhotoStage.ACCEPTANCE and not (county or actor.role in (Role.STATION_HEAD, Role.OFFICER)):
            raise Forbidden("验收照片由公安机关上传", field="stage")
        if danger.state in (DangerState.RECTIFIED, DangerState.CLOSED) and stage is not PhotoStage.ACCEPTANCE:
            raise WorkflowError("隐患已办结，不能再上传整改照片", code="danger_closed")
        now = self.clock.now()
        stored: list[StoredPhoto] = []
        rows: list[DangerPhoto] = []
        try:
            for i, (name, declared, data) in enumerate(files):
                photo = self.photos.store(name, declared, data, now, f"files[{i}]")
                stored.append(photo)
                rows.append(
                    DangerPhoto(
                        danger_id=danger.id,
                        stage=stage,
                        unit_id=actor.unit_id,
                        uploaded_by=actor.id,
                        at=now,
                        mime=photo.mime,
                        size=photo.size,
                        sha256=photo.sha256,
                        path=photo.relative,
                        filename=photo.filename,
                    )
                )
            session.add_all(rows)
            session.flush()
        except BaseException:
            for photo in stored:
                self.photos.discard(photo.relative)
            raise
        return rows

    # -- around the task actions --------------------------------------------------------------------------

    def _check_submit(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        open_parts = queries.open_parts(session, task.ref_id)
        if open_parts:
            names = "、".join(open_parts)
            raise WorkflowError(f"协办部门尚未反馈：{names}", code="parts_open")
        after = session.scalar(
            select(func.count())
            .select_from(DangerPhoto)
            .where(DangerPhoto.danger_id == task.ref_id, DangerPhoto.stage == PhotoStage.AFTER)
        )
        if not after:
            raise WorkflowError("提请验收须先上传整改后照片", code="after_photos_required")
        return command

    def _check_revise(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        """Name what changes before anything does: the new deadline (not in the past), the co-departments added
        (governance units, not the lead) and taken off (refused once their part is reported: the work stands)."""
        danger = session.get(Danger, task.ref_id) if task.ref_type == "danger" else None
        if danger is None:
            raise WorkflowError("隐患记录不存在", code="no_such_danger")
        if task.status not in (DangerStatus.ISSUED, DangerStatus.RECTIFYING):
            raise WorkflowError("已提请验收或已办结的隐患不能修改方案、期限和部门", code="not_revisable")
        data = dict(command.data)
        changes: list[str] = []
        plan = data.get("plan")
        if isinstance(plan, str) and plan != danger.plan:
            changes.append("整改方案")
        raw_due = data.pop("due_date", None)
        if isinstance(raw_due, str):
            end = datetime.combine(date.fromisoformat(raw_due) + timedelta(days=1), time(0), self.zone)
            if end <= self.clock.now():
                raise BadInput("整改期限不能早于今天", field="due_date", code="due_in_past")
            if end != danger.due_at:
                data["rectify_due"] = end.isoformat()
                changes.append(f"整改期限改为 {raw_due}")
        cos = data.get("co_departments")
        if isinstance(cos, list):
            departments = {
                d.unit_id: d
                for d in session.scalars(select(DangerDepartment).where(DangerDepartment.danger_id == danger.id))
            }
            wanted: dict[int, str] = {}
            for i, co in enumerate(cos):
                unit_id, where = int(co["unit_id"]), f"co_departments[{i}].unit_id"
                if unit_id in wanted or unit_id == danger.lead_unit_id:
                    raise BadInput("协办部门不能重复，也不能是牵头部门", field=where, code="duplicate_department")
                if unit_id not in departments:
                    self._department(session, unit_id, where)
                wanted[unit_id] = str(co.get("duty", ""))
            current = {u for u, d in departments.items() if d.role is DepartmentRole.CO}
            added, removed = [u for u in wanted if u not in current], sorted(current - set(wanted))
            names: dict[int, str] = dict(
                session.execute(select(Unit.id, Unit.name).where(Unit.id.in_([*added, *removed]))).all()
            )
            for unit_id in removed:
                part = session.get(Task, departments[unit_id].task_id) if departments[unit_id].task_id else None
                if part is not None and part.closed_at is not None and part.outcome == REPORTED:
                    raise WorkflowError(
                        f"{names.get(unit_id, unit_id)}已反馈整改情况，不能移除",
                        code="part_reported",
                    )
            data["added"] = {str(u): wanted[u] for u in added}
            data["removed"] = removed
            if added:
                changes.append("增加协办部门 " + "、".join(names.get(u, str(u)) for u in added))
            if removed:
                changes.append("移除协办部门 " + "、".join(names.get(u, str(u)) for u in removed))
        if not changes:
            raise BadInput("没有需要修改的内容", field="plan", code="nothing_changed")
        data["changes"] = "；".join(changes)
        return Command(command.action, command.actor_id, command.reason, data)

    def _revise(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        """After the finding's history has the change: the finding, its departments and their parts follow."""
        danger = session.get(Danger, task.ref_id)
        assert danger is not None  # checked
        now = self.clock.now()
        data = command.data
        plan = data.get("plan")
        if isinstance(plan, str):
            danger.plan = plan
        due_raw = data.get("rectify_due")
        due = datetime.fromisoformat(due_raw) if isinstance(due_raw, str) else None
        if due is not None:
            danger.due_at = due
        parts = self.tasks.workflow(PART_KIND)
        assert isinstance(parts, PartWorkflow)
        departments = list(session.scalars(select(DangerDepartment).where(DangerDepartment.danger_id == danger.id)))
        removed = set(data.get("removed") or [])
        reason = f"协办部门调整：{command.reason}" if command.reason else "协办部门调整"
        for department in departments:
            part = session.get(Task, department.task_id) if department.task_id is not None else None
            if department.unit_id in removed:
                if part is not None and part.closed_at is None:
                    self.tasks.act(session, part, Command(DangerAction.WITHDRAW, actor.id, reason, {}))
                session.delete(department)
            elif part is not None and due is not None:
                parts.follow_deadline(part, due, now)
        facts = {"danger_id": danger.id, "danger_kind": danger.kind.value, "rectify_due": danger.due_at.isoformat()}
        for unit_id, duty in (data.get("added") or {}).items():
            part = self.tasks.create(
                session,
                kind=PART_KIND,
                title=f"隐患协办：{danger.title}",
                ref_type="danger",
                ref_id=danger.id,
                area_id=danger.area_id,
                unit_id=int(unit_id),
                actor_id=actor.id,
                facts=facts,
                reason=f"修改隐患，增加协办部门：{command.reason}" if command.reason else None,
            )
            session.add(
                DangerDepartment(
                    danger_id=danger.id, unit_id=int(unit_id), role=DepartmentRole.CO, duty=duty, task_id=part.id
                )
            )
        session.flush()
        set_facts(task, parts_open=len(queries.open_parts(session, danger.id)))

    def _follow_finding(self, session: Session, task: Task, command: Command) -> None:
        danger = session.get(Danger, task.ref_id)
        if danger is None:
            return
        now = self.clock.now()
        if task.status == DangerStatus.SUBMITTED:
            danger.state = DangerState.SUBMITTED
            danger.submitted_at = now
            lead = session.scalar(
                select(DangerDepartment).where(
                    DangerDepartment.danger_id == danger.id, DangerDepartment.role == DepartmentRole.LEAD
                )
            )
            if lead is not None:
                lead.reported_at = now
                lead.report = str(command.data.get("summary", ""))
        elif task.status == DangerStatus.ACCEPTED:
            danger.state = DangerState.RECTIFIED
            danger.rectified_at = now
            danger.closed_at = now
        elif task.status == DangerStatus.RECTIFYING:
            danger.state = DangerState.RECTIFYING
            danger.rectified_at = None
            danger.closed_at = None
            due = (task.facts or {}).get("rectify_due")
            if isinstance(due, str):
                danger.due_at = datetime.fromisoformat(due)
        elif task.closed_at is not None:
            danger.state = DangerState.CLOSED
            danger.closed_at = now

    def _follow_part(self, session: Session, task: Task, command: Command) -> None:
        part = session.scalar(select(DangerDepartment).where(DangerDepartment.task_id == task.id))
        if part is None:
            return
        if command.action == DangerAction.REPORT:
            part.reported_at = self.clock.now()
            part.report = str(command.data.get("summary", ""))
        elif command.action == "reopen":
            part.reported_at = None
        finding = session.get(Task, session.scalar(select(Danger.task_id).where(Danger.id == part.danger_id)))
        if finding is not None:
            session.flush()
            set_facts(finding, parts_open=len(queries.open_parts(session, part.danger_id)))


def _co_departments(raw: str, codes: dict[str, int]) -> list[CoDepartment]:
    out: list[CoDepartment] = []
    for item in filter(None, (p.strip() for p in raw.split(";"))):
        code, _, duty = item.partition(":")
        unit = codes.get(code.strip())
        if unit is None:
            raise BadInput(f"未知的单位代码 {code.strip()}", field="co")
        out.append(CoDepartment(unit_id=unit, duty=duty.strip()))
    return out
