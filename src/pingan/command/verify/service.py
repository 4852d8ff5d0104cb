"""Pushing a verification list: each good row becomes a task for the station of its person or place.

A list is unique on (source, id): pushing it again adds only the rows it did not hold (a row is its own `id`, or
its content), so a replay creates nothing twice. The good rows are kept, each bad one named by its line and
field. A row is placed as the core places a lead: a registered resident's station (by ID number, then by
phone), else the station holding its point, else the station its address names; a row placed nowhere is
held by no station and goes to the command centre, which routes it (`route`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from pydantic import TypeAdapter
from pydantic_core import ErrorDetails
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.command.places import AddressPlaces, NoAddresses
from pingan.command.verify.models import Finding, ResolvedBy, SubjectKind, VerifyItem, VerifyList
from pingan.command.verify.rules import VerifyRules
from pingan.command.verify.schemas import VerifyRowIn, deadline_of
from pingan.command.verify.workflow import KIND, REF_TYPE, VerifyAction
from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.csvfile import CsvColumns, read_csv
from pingan.core.db import Database
from pingan.core.errors import BadInput, Rejected, validate_items
from pingan.core.geo import CRS, to_wgs84
from pingan.core.identifiers import mask_name
from pingan.core.identity import Actor
from pingan.core.models import Area, Person, Task, Unit, UnitKind
from pingan.core.people import people_by_phone
from pingan.core.tasks import Command, NewTask, TaskService

LOCAL_SOURCE = "本级"
_ROW: TypeAdapter[VerifyRowIn] = TypeAdapter(VerifyRowIn)


class RowRejected(Rejected):
    """A bad row of a list, named by its line (of the file, or its place in a JSON list): a blank id cell is
    no id, and a validator's message is shown without Pydantic's "Value error, "."""

    __slots__ = ()
    place = "line"

    @property
    def line(self) -> int:
        return self.index

    @classmethod
    def invalid(cls, index: int, raw: Mapping[str, Any], problem: ErrorDetails) -> Self:
        row = super().invalid(index, raw, problem)
        row.id = row.id or None
        row.message = row.message.removeprefix("Value error, ")
        return row


@dataclass
class PushResult:
    list_id: int = 0
    new_list: bool = False
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[RowRejected] = field(default_factory=list)
    tasks_created: list[int] = field(default_factory=list)
    unplaced: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "list_id": self.list_id,
            "new_list": self.new_list,
            "received": self.received,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
            "tasks_created": self.tasks_created,
            "unplaced": self.unplaced,
        }


@dataclass(frozen=True, slots=True)
class ListHeader:
    id: str
    title: str
    source: str
    reason: str | None = None
    due_at: Any = None
    due_hours: int | None = None


def validate_rows(rows: Iterable[tuple[int, Any]]) -> tuple[list[tuple[int, VerifyRowIn]], list[RowRejected]]:
    """The good rows with their lines, and each bad one named (line, the row's id, field, message)."""
    return validate_items(_ROW, rows, "核查对象须为 JSON 对象", RowRejected)


class VerifyService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        rules: VerifyRules,
        tasks: TaskService,
        jurisdictions: Jurisdictions,
        addresses: AddressPlaces | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.jurisdictions = jurisdictions
        self.addresses = addresses or NoAddresses()
        tasks.listen(KIND, self._on_task)
        tasks.on(KIND, VerifyAction.ROUTE, check=self._check_route)

    def push(self, header: ListHeader, rows: Sequence[tuple[int, Any]], pushed_by: int) -> PushResult:
        """Push a list in one transaction (see the module docstring)."""
        with self.db.write_lock, self.db.session() as session:
            return self.push_in(session, header, rows, pushed_by)

    def push_in(
        self, session: Session, header: ListHeader, rows: Sequence[tuple[int, Any]], pushed_by: int
    ) -> PushResult:
        """`push` in the caller's transaction."""
        if len(rows) > self.rules.max_rows:
            raise BadInput(f"单个清单最多 {self.rules.max_rows} 行", field="rows", code="too_many_rows")
        now = self.clock.now()
        result = PushResult(received=len(rows))
        good, result.rejected = validate_rows(rows)
        row = session.scalar(
            select(VerifyList).where(VerifyList.source == header.source, VerifyList.source_id == header.id)
        )
        if row is None:
            due = deadline_of(now, header.due_at, header.due_hours, self.rules.default_hours)
            if due <= now:
                raise BadInput("核查期限须晚于当前时间", field="due_at", code="past_deadline")
            if (due - now).total_seconds() > self.rules.max_hours * 3600:
                raise BadInput(f"核查期限最长 {self.rules.max_hours} 小时", field="due_hours", code="too_long")
            if not good:
                # Nothing to check: no empty list is stored.
                return result
            row = VerifyList(
                source=header.source,
                source_id=header.id,
                title=header.title,
                reason=header.reason,
                pushed_by=pushed_by,
                pushed_at=now,
                due_at=due,
                rows=0,
                rejected=0,
            )
            session.add(row)
            session.flush()
            result.new_list = True
        elif row.pushed_by != pushed_by:
            raise BadInput("该清单编号已由其他推送方使用", field="id", code="list_of_another")
        result.list_id = row.id
        row.rejected = len(result.rejected) if result.new_list else row.rejected
        known = set(session.scalars(select(VerifyItem.row_key).where(VerifyItem.list_id == row.id)))
        fresh: list[tuple[int, VerifyRowIn]] = []
        for line, item in good:
            key = item.key()
            if key in known:
                result.duplicates += 1
                continue
            known.add(key)
            fresh.append((line, item))
        if fresh:
            self._store(session, row, fresh, result)
        return result

    def _store(
        self, session: Session, vlist: VerifyList, fresh: list[tuple[int, VerifyRowIn]], result: PushResult
    ) -> None:
        id_numbers = {i.id_number for _, i in fresh if i.id_number}
        by_id = {
            r.id_number: (r.id, r.station_id)
            for r in session.execute(
                select(Person.id, Person.id_number, Person.station_id).where(Person.id_number.in_(id_numbers))
            )
        }
        by_phone = people_by_phone(session, (i.phone for _, i in fresh if i.phone))
        items: list[VerifyItem] = []
        for line, i in fresh:
            lon, lat = i.lon, i.lat
            if lon is not None and lat is not None and i.crs is not CRS.WGS84:
                lon, lat = to_wgs84(lon, lat, i.crs)
            person_id: int | None = None
            area_id: int | None = None
            how = ResolvedBy.NONE
            if i.kind is SubjectKind.PERSON and i.id_number and i.id_number in by_id:
                person_id, area_id = by_id[i.id_number]
                how = ResolvedBy.ID_NUMBER if area_id is not None else how
            if area_id is None and i.kind is SubjectKind.PERSON and i.phone and i.phone in by_phone:
                facts = by_phone[i.phone]
                person_id = person_id or facts.id
                area_id = facts.station_id
                how = ResolvedBy.PHONE if area_id is not None else how
            if area_id is None and lon is not None and lat is not None:
                area_id = self.jurisdictions.station_at(session, lon, lat)
                how = ResolvedBy.POINT if area_id is not None else how
            if area_id is None and i.address:
                area_id = self.addresses.station_of(session, i.address)
                how = ResolvedBy.ADDRESS if area_id is not None else how
            unit_id = self._station_unit(session, area_id)
            items.append(
                VerifyItem(
                    list_id=vlist.id,
                    row_key=i.key(),
                    line=line,
                    kind=i.kind,
                    name=i.name,
                    id_number=i.id_number,
                    phone=i.phone,
                    address=i.address,
                    lon=lon,
                    lat=lat,
                    note=i.note,
                    person_id=person_id,
                    area_id=area_id,
                    unit_id=unit_id,
                    resolved_by=how,
                )
            )
        session.add_all(items)
        session.flush()
        specs = [
            NewTask(
                kind=KIND,
                title=_title(vlist, item),
                ref_type=REF_TYPE,
                ref_id=item.id,
                area_id=item.area_id,
                unit_id=item.unit_id,
                level="medium",
                reason=vlist.reason,
                facts={"list_id": vlist.id, "list_title": vlist.title, "due_at": vlist.due_at.isoformat()},
            )
            for item in items
        ]
        for item, task in zip(items, self.tasks.create_many(session, specs), strict=True):
            item.task_id = task.id
            result.tasks_created.append(task.id)
            result.unplaced += item.unit_id is None
        vlist.rows += len(items)
        result.accepted += len(items)

    def _station_unit(self, session: Session, area_id: int | None) -> int | None:
        """The station answering for the area; None (the command centre routes it) when there is none."""
        if area_id is None:
            return None
        return session.scalar(select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == area_id))

    # -- the task's outcome, on its row ------------------------------------------------------------------

    def _check_route(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        unit = session.get(Unit, int(command.data["unit_id"]))
        if unit is None or unit.kind is not UnitKind.STATION or unit.area_id is None:
            raise BadInput("请选择一个派出所", field="unit_id", code="not_a_station")
        return Command(command.action, command.actor_id, command.reason, {**command.data, "area_id": unit.area_id})

    def _on_task(self, session: Session, task: Task, command: Command) -> None:
        if task.ref_type != REF_TYPE:
            return
        finding = task.outcome if task.closed_at is not None else None
        values: dict[str, Any] = {
            "finding": Finding(finding) if finding in {f.value for f in Finding} else None,
            "done_at": task.closed_at,
            "unit_id": task.unit_id,
            "area_id": task.area_id,
        }
        if command.action == VerifyAction.FEEDBACK:
            values["measures"] = command.data.get("measures")
        session.execute(update(VerifyItem).where(VerifyItem.id == task.ref_id).values(**values))


def _title(vlist: VerifyList, item: VerifyItem) -> str:
    what = mask_name(item.name) if item.name else (item.address or "场所")[:12]
    return f"核查：{vlist.title[:40]} {what}"[:200]


def area_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    return dict(session.execute(select(Area.id, Area.name).where(Area.id.in_(wanted))).all())


VERIFY_COLUMNS = CsvColumns.of(VerifyRowIn)


def read_rows_csv(path: Path) -> list[tuple[int, Any]]:
    """The rows of a list's CSV file by line (its header checked first: `BadInput` naming the columns)."""
    return list(read_csv(path, VERIFY_COLUMNS))


def read_rows_csv_bytes(raw: bytes) -> list[tuple[int, Any]]:
    """`read_rows_csv` of an uploaded file's bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        path.write_bytes(raw)
        return read_rows_csv(path)
