"""Notifications: to a unit or a user, stored (the UI reads them) and handed to delivery adapters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.identifiers import mask_free_text
from pingan.core.models import Notification, Task, Unit, UnitKind

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
            # Notifications are stored for the inbox and delivered outward (DingTalk, SMS), and their text is
            # often a resident's words (a follow-up, a reply, a task title): never with the numbers in them.
            title=mask_free_text(title),
            body=mask_free_text(body),
            dedupe_key=dedupe_key,
        )
        session.add(note)
        for delivery in self.deliveries:
            delivery.deliver(note)
        return note

    def units_of_kinds(self, session: Session, kinds: Sequence[UnitKind]) -> list[int]:
        return list(session.scalars(select(Unit.id).where(Unit.kind.in_(list(kinds))).order_by(Unit.id)))

    @staticmethod
    def new_task_title(task: Task) -> str:
        level = LEVEL_NAMES.get(task.level or "", task.level or "")
        return f"新任务【{level}】{task.title}" if level else f"新任务 {task.title}"
