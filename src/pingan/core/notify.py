"""Notifications: to a unit or a user, stored (the UI reads them) and handed to delivery adapters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.models import Notification, Task, Unit, UnitKind

CENTRE_KINDS = (UnitKind.ANTI_FRAUD_CENTRE, UnitKind.COMMAND_CENTRE)
LEVEL_NAMES = {"critical": "特高危", "high": "高", "medium": "中", "low": "低"}


class Delivery(Protocol):
    """An outward channel (DingTalk robot, SMS gateway). Called after the notification is stored."""

    def deliver(self, notification: Notification) -> None: ...


class Notifier:
    def __init__(self, clock: Clock, deliveries: Sequence[Delivery] = ()) -> None:
        self.clock = clock
        self.deliveries = list(deliveries)

    def send(
        self,
        session: Session,
        *,
        title: str,
        body: str = "",
        unit_id: int | None = None,
        user_id: int | None = None,
        task_id: int | None = None,
        dedupe_key: str | None = None,
        at: datetime | None = None,
    ) -> Notification:
        note = Notification(
            at=at or self.clock.now(),
            unit_id=unit_id,
            user_id=user_id,
            task_id=task_id,
            title=title,
            body=body,
            dedupe_key=dedupe_key,
        )
        session.add(note)
        for delivery in self.deliveries:
            delivery.deliver(note)
        return note

    def _centre_units(self, session: Session) -> list[int]:
        return list(session.scalars(select(Unit.id).where(Unit.kind.in_(CENTRE_KINDS))))

    def task_issued(self, session: Session, task: Task) -> None:
        self.tasks_issued(session, [task])

    def tasks_issued(self, session: Session, tasks: Sequence[Task]) -> None:
        """Tell each new task's unit; a 特高危 task also goes to the centres (who call in parallel), and an
        unrouted one is the centres' to resolve."""
        centres: list[int] | None = None
        for task in tasks:
            level = LEVEL_NAMES.get(task.level or "", task.level or "")
            title = f"新任务【{level}】{task.title}" if level else f"新任务 {task.title}"
            if task.unit_id is not None:
                self.send(session, title=title, unit_id=task.unit_id, task_id=task.id)
            if task.level == "critical" or task.unit_id is None:
                if centres is None:
                    centres = self._centre_units(session)
                for unit_id in centres:
                    if unit_id != task.unit_id:
                        self.send(session, title=title, unit_id=unit_id, task_id=task.id)

    def task_escalated(self, session: Session, task: Task) -> None:
        title = f"任务超时升级（第{task.escalation}级）：{task.title}"
        if task.escalation <= 1:
            targets = [task.unit_id] if task.unit_id is not None else self._centre_units(session)
        elif task.escalation == 2:
            targets = self._centre_units(session)
        else:
            targets = list(session.scalars(select(Unit.id).where(Unit.kind == UnitKind.BUREAU)))
        for unit_id in targets:
            self.send(session, title=title, unit_id=unit_id, task_id=task.id)
