"""Raising alerts: one per episode, as a task for the police station of the base station that heard the tag
(lying in the owner's station, so that both see it), told to the owner's station and, for a bracelet, to the
guardian. A later sighting of the same episode updates the alert and its history; it raises nothing new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.models import Task, User
from pingan.core.tasks import Command, TaskService
from pingan.tracking.models import Alert, AlertKind, Station, Tag
from pingan.tracking.workflow import ALERT_KIND
from pingan.tracking.workflow import ALERT_KIND_NAMES as KIND_NAMES

LEVELS = {
    AlertKind.THEFT_SIGHTING: "high",
    AlertKind.REMOVAL: "critical",
    AlertKind.GEOFENCE_EXIT: "high",
    AlertKind.SILENCE: "medium",
    AlertKind.LOW_BATTERY: "low",
}


@dataclass(frozen=True, slots=True)
class Sighting:
    """Where and when the tag was heard, for an alert (None station for a silence)."""

    at: datetime
    station: Station | None
    heading: str | None = None


class Alerts:
    def __init__(self, clock: Clock, tasks: TaskService, jurisdictions: Jurisdictions) -> None:
        self.clock = clock
        self.tasks = tasks
        self.jurisdictions = jurisdictions

    def open_alert(self, session: Session, tag_id: int, kind: AlertKind) -> Alert | None:
        return session.scalar(
            select(Alert).where(Alert.tag_id == tag_id, Alert.kind == kind, Alert.open.is_(True)).limit(1)
        )

    def end(self, session: Session, tag_id: int, kind: AlertKind) -> None:
        """The episode is over (back inside, heard again, charged): the next one is a new alert."""
        alert = self.open_alert(session, tag_id, kind)
        if alert is not None:
            alert.open = False

    def raise_once(
        self,
        session: Session,
        tag: Tag,
        kind: AlertKind,
        seen: Sighting,
        *,
        episode: str | None = None,
        theft_id: int | None = None,
    ) -> Alert | None:
        """The alert of this episode: raised now if it is new (returned), updated if a later sighting of it
        arrives (None: nothing new to tell), left alone for an earlier one (a late or out-of-order detection)."""
        existing = (
            session.scalar(select(Alert).where(Alert.episode == episode))
            if episode is not None
            else self.open_alert(session, tag.id, kind)
        )
        if existing is not None:
            if seen.station is not None and existing.last_at is not None and seen.at > existing.last_at:
                existing.last_at = seen.at
                existing.last_station_id = seen.station.id
                existing.lon, existing.lat = seen.station.lon, seen.station.lat
                if seen.heading:
                    existing.heading = seen.heading
                task = self._task(session, existing)
                if task is not None and task.closed_at is None:
                    data = {"station": seen.station.name, "at": seen.at.isoformat(), "heading": seen.heading}
                    self.tasks.act(session, task, Command("sighted", None, None, data))
            return None
        now = self.clock.now()
        station = seen.station
        station_area = station.area_id if station is not None else None
        unit_id = self.jurisdictions.unit_for_station(session, station_area or tag.area_id)
        area_id = tag.area_id or station_area
        alert = Alert(
            episode=episode or f"{kind.value}:{tag.id}:{seen.at.isoformat()}",
            tag_id=tag.id,
            kind=kind,
            station_id=station.id if station is not None else None,
            unit_id=unit_id,
            area_id=area_id,
            at=seen.at,
            detected_at=now,
            lon=station.lon if station is not None else None,
            lat=station.lat if station is not None else None,
            heading=seen.heading,
            last_at=seen.at,
            last_station_id=station.id if station is not None else None,
            theft_id=theft_id,
            open=True,
        )
        session.add(alert)
        session.flush()
        where = f"，{station.name}" if station is not None else ""
        toward = f"，向{seen.heading}" if seen.heading else ""
        title = f"{KIND_NAMES[kind]}：{tag.code}{where}{toward}"
        task = self.tasks.create(
            session,
            kind=ALERT_KIND,
            title=title[:200],
            ref_type="tracking_alert",
            ref_id=alert.id,
            area_id=area_id,
            unit_id=unit_id,
            level=LEVELS[kind],
            facts={
                "alert_id": alert.id,
                "alert_kind": kind.value,
                "tag": tag.code,
                "station": station.name if station is not None else None,
                "heading": seen.heading,
                "at": seen.at.isoformat(),
            },
        )
        alert.task_id = task.id
        # The owner's station hears of it too, when it is another one than the detecting station's.
        owner_unit = self.jurisdictions.unit_for_station(session, tag.area_id) if tag.area_id else None
        if owner_unit is not None and owner_unit != unit_id:
            self.tasks.notifier.send(session, title=title, unit_id=owner_unit, task_id=task.id)
        owner = session.scalar(select(User.id).where(User.username == f"resident:{tag.owner_phone}"))
        if owner is not None:
            self.tasks.notifier.send(session, title=title, user_id=owner)
        return alert

    def _task(self, session: Session, alert: Alert) -> Task | None:
        return session.get(Task, alert.task_id) if alert.task_id is not None else None
