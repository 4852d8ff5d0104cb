"""Detections in: one batch at a time, from MQTT, an HTTP batch or a file, idempotent.

A batch is validated item by item (a bad one is reported with its place and field, the good ones kept),
then stored as sightings: two stations hearing one tag within the county's overlap window saw one sighting
(stored once, with the best signal and both stations); a replay finds its station already in the sighting
and is a duplicate. Detections are stored by event time, so a late or out-of-order one takes its place in
the track; the alerts it might raise are judged on event time and raised once per episode.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from shapely import wkb
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import insert_values_ignoring_duplicates, utc_to_driver
from pingan.core.errors import first_problem
from pingan.core.models import Task
from pingan.core.tasks import Command, TaskService
from pingan.tracking.alerts import Alerts, Sighting
from pingan.tracking.logic import SafeArea, exit_confirmed, heading, impossible
from pingan.tracking.models import BRACELETS, AlertKind, Detection, Station, Tag, TagKind, TagStatus, Theft, TheftStatus
from pingan.tracking.rules import TrackingRules
from pingan.tracking.schemas import DetectionIn, IngestResult, Rejected
from pingan.tracking.storage import create_months, month_of
from pingan.tracking.workflow import MAINTENANCE_KIND, THEFT_KIND

JUMP_LOOKBACK = timedelta(hours=6)


@dataclass(slots=True)
class _Sighting:
    id: int | None
    tag_id: int
    at: datetime
    station_id: int
    rssi: int | None
    stations: list[str]
    source_id: str | None = None
    jump: bool = False
    dirty: bool = False


@dataclass(slots=True)
class _Tag:
    id: int
    code: str
    kind: TagKind
    status: TagStatus
    watched: bool
    """Stolen, or a bracelet: its detections may raise alerts."""


@dataclass
class _Batch:
    accepted: int = 0
    merged: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)


class DetectionIntake:
    def __init__(self, clock: Clock, rules: TrackingRules, tasks: TaskService, alerts: Alerts) -> None:
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.alerts = alerts

    def ingest_in(
        self, session: Session, items: Sequence[Any], *, station: str | None = None, offset: int = 0
    ) -> IngestResult:
        """Store a batch in the caller's transaction. `station` is the topic's station (MQTT); `offset` is
        added to each item's place in the rejections (a file's line numbers are given by the caller)."""
        now = self.clock.now()
        batch = _Batch()
        parsed: list[tuple[int, DetectionIn]] = []
        for index, raw in enumerate(items):
            if not isinstance(raw, Mapping):
                batch.rejected.append(Rejected(index=index + offset, field=None, message="每条侦测须为 JSON 对象"))
                continue
            try:
                item = DetectionIn.model_validate(raw)
            except ValidationError as exc:
                fld, _code, message = first_problem(exc)
                batch.rejected.append(Rejected(index=index + offset, field=fld, message=message))
                continue
            if station is not None:
                if item.station is not None and item.station != station:
                    batch.rejected.append(
                        Rejected(index=index + offset, field="station", message="与主题中的基站不一致")
                    )
                    continue
                item.station = station
            elif item.station is None:
                batch.rejected.append(Rejected(index=index + offset, field="station", message="须注明基站 station"))
                continue
            # One time zone for every instant: aware datetimes with the same tzinfo compare without utcoffset().
            item.at = item.at.astimezone(UTC)
            parsed.append((index + offset, item))
        if parsed:
            self._store(session, parsed, batch, now)
        return IngestResult(
            accepted=batch.accepted,
            merged=batch.merged,
            duplicates=batch.duplicates,
            rejected=sorted(batch.rejected, key=lambda r: r.index),
            alerts=batch.alerts,
        )

    # -- storing -----------------------------------------------------------------------------------------

    def _store(self, session: Session, parsed: list[tuple[int, DetectionIn]], batch: _Batch, now: datetime) -> None:
        station_codes = {item.station for _, item in parsed if item.station}
        stations = {s.code: s for s in session.scalars(select(Station).where(Station.code.in_(station_codes)))}
        tag_rows = session.execute(
            select(Tag.id, Tag.code, Tag.kind, Tag.status).where(Tag.code.in_({i.tag for _, i in parsed}))
        ).all()
        tags = {
            r.code: _Tag(r.id, r.code, r.kind, r.status, r.status is TagStatus.STOLEN or r.kind in BRACELETS)
            for r in tag_rows
        }
        good: list[tuple[int, DetectionIn, _Tag, Station]] = []
        for index, item in parsed:
            st = stations.get(item.station or "")
            if st is None or not st.active:
                batch.rejected.append(Rejected(index=index, field="station", message="未登记的基站"))
                continue
            tag = tags.get(item.tag)
            if tag is None:
                batch.rejected.append(Rejected(index=index, field="tag", message="未登记的标签"))
                continue
            good.append((index, item, tag, st))
        if not good:
            return
        window = timedelta(seconds=self.rules.overlap_seconds)
        by_id = {s.id: s for s in stations.values()}
        low = min(i.at for _, i, _, _ in good) - window
        high = max(i.at for _, i, _, _ in good) + window
        known: dict[int, list[_Sighting]] = defaultdict(list)
        tag_ids = sorted({t.id for _, _, t, _ in good})
        columns = (
            Detection.id, Detection.tag_id, Detection.at, Detection.station_id, Detection.rssi, Detection.stations
        )  # fmt: skip
        # The sightings a detection may join (within the overlap window), and each tag's last one before them
        # (for the jump and the heading): both read through the (tag_id, at) key.
        last_before = (
            select(Detection.tag_id, func.max(Detection.at).label("at"))
            .where(Detection.tag_id.in_(tag_ids), Detection.at < low, Detection.at >= low - JUMP_LOOKBACK)
            .group_by(Detection.tag_id)
            .subquery()
        )
        rows = [
            *session.execute(
                select(*columns).where(Detection.tag_id.in_(tag_ids), Detection.at >= low, Detection.at <= high)
            ),
            *session.execute(
                select(*columns).join(
                    last_before, and_(Detection.tag_id == last_before.c.tag_id, Detection.at == last_before.c.at)
                )
            ),
        ]
        for row in rows:
            known[row.tag_id].append(
                _Sighting(row.id, row.tag_id, row.at, row.station_id, row.rssi, list(row.stations))
            )
        missing = {s for lst in known.values() for s in (x.station_id for x in lst)} - set(by_id)
        if missing:
            by_id.update({s.id: s for s in session.scalars(select(Station).where(Station.id.in_(missing)))})
        new: list[_Sighting] = []
        fresh: list[tuple[DetectionIn, _Tag, Station, _Sighting]] = []
        for _index, item, tag, st in sorted(good, key=lambda g: (g[2].id, g[1].at)):
            mine = known[tag.id]
            near = [s for s in mine if abs((s.at - item.at).total_seconds()) <= window.total_seconds()]
            if near:
                sighting = min(near, key=lambda s: abs((s.at - item.at).total_seconds()))
                if st.code in sighting.stations:
                    batch.duplicates += 1
                    continue
                sighting.stations = sorted({*sighting.stations, st.code})
                if item.rssi is not None and (sighting.rssi is None or item.rssi > sighting.rssi):
                    sighting.rssi, sighting.station_id = item.rssi, st.id
                sighting.dirty = sighting.id is not None
                batch.merged += 1
                fresh.append((item, tag, st, sighting))
                continue
            sighting = _Sighting(None, tag.id, item.at, st.id, item.rssi, [st.code], item.id)
            before = max((s for s in mine if s.at < item.at), key=lambda s: s.at, default=None)
            if before is not None and before.station_id in by_id:
                prev = by_id[before.station_id]
                slack = prev.radius_m + st.radius_m
                limit = self.rules.speed_limit(tag.kind)
                sighting.jump = impossible((prev.lon, prev.lat, before.at), (st.lon, st.lat, item.at), limit, slack)
            mine.append(sighting)
            new.append(sighting)
            batch.accepted += 1
            fresh.append((item, tag, st, sighting))
        create_months(session, {month_of(s.at) for s in new})
        self._write(session, new, [s for lst in known.values() for s in lst if s.dirty], now)
        self._touch(session, good, now)
        watched = [f for f in fresh if f[1].watched or f[0].event is not None or f[0].battery is not None]
        if watched:
            self._judge(session, watched, known, by_id, batch)

    def _write(self, session: Session, new: list[_Sighting], changed: list[_Sighting], now: datetime) -> None:
        to_db = utc_to_driver(session)
        table = Detection.__table__
        received = to_db(now)
        rows = [
            (s.tag_id, to_db(s.at), s.station_id, s.rssi, _json(s.stations), received, s.source_id, s.jump) for s in new
        ]
        insert_values_ignoring_duplicates(
            session,
            table,  # type: ignore[arg-type]
            ("tag_id", "at", "station_id", "rssi", "stations", "received_at", "source_id", "jump"),
            rows,
        )
        for s in changed:
            session.execute(
                update(Detection)
                .where(Detection.id == s.id)
                .values(station_id=s.station_id, rssi=s.rssi, stations=s.stations)
                .execution_options(synchronize_session=False)
            )

    def _touch(self, session: Session, good: list[tuple[int, DetectionIn, _Tag, Station]], now: datetime) -> None:
        """Stations were heard now; each tag's last sighting moves forward (never back, for a late one)."""
        heard = {st.id: st for _, _, _, st in good}
        for st in heard.values():
            self.heard(session, st, now)
        latest: dict[int, tuple[datetime, int]] = {}
        for _, item, tag, st in good:
            if tag.id not in latest or item.at > latest[tag.id][0]:
                latest[tag.id] = (item.at, st.id)
        # One executemany at the driver: a batch touches thousands of tags, and the ORM's per-statement work
        # would cost more than the inserts themselves.
        conn = session.connection()
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        to_db = utc_to_driver(session)
        conn.exec_driver_sql(
            f"UPDATE tracking_tags SET last_seen_at = {mark}, last_station_id = {mark} "  # noqa: S608 - no input in it
            f"WHERE id = {mark} AND (last_seen_at IS NULL OR last_seen_at < {mark})",
            [(to_db(at), station_id, tag_id, to_db(at)) for tag_id, (at, station_id) in latest.items()],
        )

    def heard(self, session: Session, station: Station, now: datetime, status: dict[str, Any] | None = None) -> None:
        """A station was heard (a detection or a heartbeat): its maintenance task, if any, closes itself."""
        threshold = timedelta(minutes=station.silence_minutes or self.rules.station_silence_minutes)
        was_silent = station.last_heard_at is None or station.last_heard_at < now - threshold
        station.last_heard_at = now
        if status is not None:
            station.last_status = status
        if was_silent:
            for task in session.scalars(
                select(Task).where(Task.kind == MAINTENANCE_KIND, Task.ref_id == station.id, Task.closed_at.is_(None))
            ):
                self.tasks.act(session, task, Command("back_online", None, None, {"at": now.isoformat()}))

    # -- judging -----------------------------------------------------------------------------------------

    def _judge(
        self,
        session: Session,
        fresh: list[tuple[DetectionIn, _Tag, Station, _Sighting]],
        known: Mapping[int, list[_Sighting]],
        by_id: Mapping[int, Station],
        batch: _Batch,
    ) -> None:
        session.flush()
        tag_rows = {t.id: t for t in session.scalars(select(Tag).where(Tag.id.in_({f[1].id for f in fresh})))}
        thefts = {
            t.tag_id: t
            for t in session.scalars(
                select(Theft).where(
                    Theft.tag_id.in_(list(tag_rows)), Theft.status.in_([TheftStatus.WATCHED, TheftStatus.SIGHTED])
                )
            )
        }
        for item, tag, st, sighting in sorted(fresh, key=lambda f: f[0].at):
            row = tag_rows[tag.id]
            mine = sorted(known[tag.id], key=lambda s: s.at)
            before = max((s for s in mine if s.at < sighting.at), key=lambda s: s.at, default=None)
            prev = by_id.get(before.station_id) if before is not None else None
            toward = heading(prev.lon, prev.lat, st.lon, st.lat) if prev is not None else None
            seen = Sighting(item.at, st, toward)
            theft = thefts.get(tag.id)
            if theft is not None and item.at >= theft.stolen_at:
                alert = self.alerts.raise_once(
                    session, row, AlertKind.THEFT_SIGHTING, seen, episode=f"theft:{theft.id}", theft_id=theft.id
                )
                if alert is not None:
                    batch.alerts.append(alert.id)
                    theft.first_sighted_at = item.at
                    theft.status = TheftStatus.SIGHTED
                    task = session.get(Task, theft.task_id) if theft.task_id else None
                    if task is not None and task.kind == THEFT_KIND and task.closed_at is None:
                        data = {"station": st.name, "at": item.at.isoformat()}
                        self.tasks.act(session, task, Command("sighted", None, None, data))
            if item.event == "removed" and row.kind is TagKind.ANTI_REMOVAL_BRACELET:
                alert = self.alerts.raise_once(session, row, AlertKind.REMOVAL, seen)
                if alert is not None:
                    batch.alerts.append(alert.id)
            if item.battery is not None:
                if item.battery <= self.rules.low_battery_percent:
                    alert = self.alerts.raise_once(session, row, AlertKind.LOW_BATTERY, seen)
                    if alert is not None:
                        batch.alerts.append(alert.id)
                else:
                    self.alerts.end(session, row.id, AlertKind.LOW_BATTERY)
            if row.kind in BRACELETS:
                self.alerts.end(session, row.id, AlertKind.SILENCE)
                self._geofence(session, row, mine, by_id, seen, batch)

    def _geofence(
        self,
        session: Session,
        tag: Tag,
        mine: list[_Sighting],
        by_id: Mapping[int, Station],
        seen: Sighting,
        batch: _Batch,
    ) -> None:
        area = SafeArea(frozenset(tag.safe_stations or ()), wkb.loads(tag.safe_polygon) if tag.safe_polygon else None)
        if not area.defined:
            return
        n = self.rules.exit_confirmations
        latest = sorted(mine, key=lambda s: s.at, reverse=True)[:n]
        flags: list[bool] = []
        for s in latest:
            st = by_id.get(s.station_id)
            # Any station that heard the sighting inside the area counts it as inside (drift at the border).
            codes = s.stations or ([st.code] if st else [])
            inside = any(c in area.stations for c in codes) or (st is not None and area.holds(st.code, st.lon, st.lat))
            flags.append(inside)
        if flags and flags[0]:
            self.alerts.end(session, tag.id, AlertKind.GEOFENCE_EXIT)
            return
        if exit_confirmed(flags, n) and latest[0].at == seen.at:
            alert = self.alerts.raise_once(session, tag, AlertKind.GEOFENCE_EXIT, seen)
            if alert is not None:
                batch.alerts.append(alert.id)


def _json(value: list[str]) -> str:
    import orjson

    return orjson.dumps(value).decode()
