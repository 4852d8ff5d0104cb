"""Detections in: one batch at a time, from MQTT, an HTTP batch or a file, idempotent.

A batch is validated item by item (a bad one is reported with its place and field, the good ones kept),
then stored as sightings: two stations hearing one tag within the county's overlap window saw one sighting
(stored once, with the best signal and both stations); a replay finds its station already in the sighting
and is a duplicate. Detections are stored by event time, so a late or out-of-order one takes its place in
the track; the alerts it might raise are judged on event time and raised once per episode.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError
from shapely import wkb
from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from pingan.core.clock import Clock
from pingan.core.db import insert_values_ignoring_duplicates, rows_where_in, utc_from_driver, utc_to_driver
from pingan.core.errors import first_problem
from pingan.core.geo import distance_m
from pingan.core.models import Task
from pingan.core.tasks import Command, TaskService
from pingan.tracking.alerts import Alerts, Sighting
from pingan.tracking.logic import SafeArea, exit_confirmed, heading, speed_kmh
from pingan.tracking.models import (
    BRACELETS,
    TAG_TRIGGERS,
    AlertKind,
    Detection,
    Station,
    Tag,
    TagKind,
    TagStatus,
    Theft,
    TheftStatus,
)
from pingan.tracking.rules import TrackingRules
from pingan.tracking.schemas import DetectionIn, IngestResult, Rejected
from pingan.tracking.storage import create_months, oldest_kept
from pingan.tracking.workflow import MAINTENANCE_KIND, THEFT_KIND

JUMP_LOOKBACK = timedelta(hours=6)


@dataclass(slots=True)
class _Sighting:
    id: int | None
    """None for a sighting of this batch; -1 for a stored one known only from its tag's last sighting."""
    tag_id: int
    at: datetime
    station_id: int
    rssi: int | None
    stations: list[str]
    source_id: str | None = None
    jump: bool = False
    dirty: bool = False
    db_at: Any = None
    """`at` as the driver takes it, for a sighting of this batch (made once, for its insert and its tag)."""


@dataclass(frozen=True, slots=True)
class StationInfo:
    """What the intake needs of a base station (the cache holds these, not ORM objects)."""

    id: int
    code: str
    name: str
    lon: float
    lat: float
    radius_m: float
    area_id: int | None
    active: bool
    silence_minutes: int | None


class StationCache:
    """Every base station by code, read whole (a county has hundreds) and read again after `ttl` seconds, on
    a code it does not know, or when this process changed the registry (`forget`). A change made by another
    process is seen within `ttl`; the stations' health (last heard) is never cached."""

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._by_code: dict[str, StationInfo] = {}
        self._by_id: dict[int, StationInfo] = {}
        self._loaded = -math.inf
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._loaded = -math.inf

    def lookup(self, session: Session, codes: set[str]) -> tuple[dict[str, StationInfo], dict[int, StationInfo]]:
        with self._lock:
            fresh = time.monotonic() - self._loaded < self.ttl
            by_code, by_id = self._by_code, self._by_id
        if fresh and codes <= by_code.keys():
            return by_code, by_id
        columns = (Station.id, Station.code, Station.name, Station.lon, Station.lat, Station.radius_m,
                   Station.area_id, Station.active, Station.silence_minutes)  # fmt: skip
        rows = [StationInfo(*row) for row in session.execute(select(*columns))]
        by_code = {r.code: r for r in rows}
        by_id = {r.id: r for r in rows}
        with self._lock:
            self._by_code, self._by_id, self._loaded = by_code, by_id, time.monotonic()
        return by_code, by_id


@dataclass(slots=True)
class _Tag:
    id: int
    code: str
    kind: TagKind
    status: TagStatus
    watched: bool
    """Stolen, or a bracelet: its detections may raise alerts."""
    last_seen_at: datetime | None = None
    last_station_id: int | None = None


class TagCache:
    """The intake's tags between batches, with their statuses and last sightings, on SQLite.

    A batch must be judged on its tags as stored: a theft reported a moment ago, the last sighting another
    writer stored. Every change of a tag's code, kind or status sets `tracking_intake_stamp.token` to a new
    random value (triggers on `tracking_tags`, whoever makes the change), and every batch sets it to a token
    of its own. A batch's first statement swaps the token this intake wrote last for a new one (compare and
    set, which takes SQLite's write lock, so nothing changes after it until the commit): when that succeeds,
    nothing has changed since this intake's last batch, and only tags it does not hold are read. Any other
    token (another process's batch, a theft reported, an import, a batch of this one that was rolled back)
    empties the cache first. Unregistered codes are held too (a registration changes the token).

    PostgreSQL, where several workers store at once, and a SQLite schema without the triggers read every
    batch's tags (`load`)."""

    LIMIT = 2_000_000
    """Tags held at most (a county has a few hundred thousand); past it the cache starts again."""

    def __init__(self, load: Callable[[Session, set[str]], dict[str, _Tag]]) -> None:
        self.load = load
        self._by_code: dict[str, _Tag] = {}
        self._unknown: set[str] = set()
        self._token: int | None = None
        self._usable: bool | None = None
        self._lock = threading.Lock()

    def read(self, session: Session, codes: set[str]) -> Mapping[str, _Tag]:
        """The tags of these codes (registered ones; others are absent), as stored at the batch's start."""
        conn = session.connection()
        if conn.dialect.name != "sqlite" or not self._triggers(conn):
            return self.load(session, codes)
        # Taken away before the swap (the token with the tags it vouches for): a batch on another thread
        # meanwhile finds none and starts again, rather than swap a token this batch may yet roll back.
        with self._lock:
            mine, by_code, unknown = self._token, self._by_code, self._unknown
            self._token = None
        token = secrets.randbits(62)
        held = (
            mine is not None
            and conn.exec_driver_sql(
                "UPDATE tracking_intake_stamp SET token = ? WHERE id = 1 AND token = ?", (token, mine)
            ).rowcount
            == 1
        )
        if not held or len(by_code) + len(unknown) > self.LIMIT:
            by_code, unknown = {}, set()
            conn.exec_driver_sql(
                "INSERT INTO tracking_intake_stamp (id, token) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET token = excluded.token",
                (token,),
            )
        # From here this batch holds SQLite's write lock: what it reads is as stored until its commit.
        missing = codes - by_code.keys()
        if missing:
            missing -= unknown
        if missing:
            found = self.load(session, missing)
            by_code.update(found)
            unknown.update(missing - found.keys())
        # Given back before this batch's writes, which move its tags' last sightings in `by_code`: if they are
        # rolled back, the stored token is not this one, and the next batch starts again.
        with self._lock:
            self._token, self._by_code, self._unknown = token, by_code, unknown
        return by_code

    def _triggers(self, conn: Any) -> bool:
        if self._usable is None:
            names = {
                name
                for (name,) in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tracking_tags'"
                )
            }
            self._usable = TAG_TRIGGERS.keys() <= names
        return self._usable


@dataclass
class _Batch:
    accepted: int = 0
    merged: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)


Checked = tuple[int, DetectionIn, str, datetime]
"""A detection that passed the edge's checks: its place in the batch, itself, its station's code, its instant (UTC)."""
Good = tuple[int, DetectionIn, _Tag, StationInfo, datetime]
"""… with its tag and station found."""
Fresh = tuple[DetectionIn, datetime, _Tag, StationInfo, _Sighting]
"""A detection that may raise or end an alert, with the sighting it made or joined."""
_KINDS = {k.value: k for k in TagKind}
_STATUSES = {t.value: t for t in TagStatus}


def _event_time(good: Good) -> datetime:
    return good[4]


class DetectionIntake:
    def __init__(self, clock: Clock, rules: TrackingRules, tasks: TaskService, alerts: Alerts) -> None:
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.alerts = alerts
        self.stations = StationCache()
        self.tags = TagCache(self._read_tags)
        self._alone: dict[str, str] = {}
        """The `stations` JSON of a sighting heard by one station, by its code (nearly every row's)."""
        self._distances: dict[tuple[int, int], float] = {}
        """Metres between two stations' centres, by their ids (a county has a few thousand pairs in use)."""

    def checked(
        self, items: Sequence[Any], *, station: str | None, offset: int, now: datetime
    ) -> tuple[list[Checked], list[Rejected]]:
        """The edge's checks of a batch, before any registry read: each item's fields, its station (the
        topic's, or named), and the retention. The valid ones come with their place, station code and UTC
        instant; the others are named by place and field. Shared by this intake and the stream publishers."""
        good: list[Checked] = []
        rejected: list[Rejected] = []
        oldest = oldest_kept(now, self.rules.retention_days)
        # The model's validator itself (what model_validate calls, without its per-call wrapping).
        validate = DetectionIn.__pydantic_validator__.validate_python
        for index, raw in enumerate(items):
            if type(raw) is not dict and not isinstance(raw, Mapping):  # a dict, nearly always: no ABC check
                rejected.append(Rejected(index=index + offset, field=None, message="每条侦测须为 JSON 对象"))
                continue
            try:
                item = validate(raw)
            except ValidationError as exc:
                fld, _code, message = first_problem(exc)
                rejected.append(Rejected(index=index + offset, field=fld, message=message))
                continue
            code = item.station
            if station is not None:
                if code is not None and code != station:
                    rejected.append(Rejected(index=index + offset, field="station", message="与主题中的基站不一致"))
                    continue
                code = station
            elif code is None:
                rejected.append(Rejected(index=index + offset, field="station", message="须注明基站 station"))
                continue
            # One time zone for every instant: aware datetimes with the same tzinfo compare without utcoffset().
            at = item.at if item.at.tzinfo is UTC else item.at.astimezone(UTC)
            if oldest is not None and at < oldest:
                # Past the retention: its month is dropped (or about to be) by the sweep; refused, not stored.
                rejected.append(
                    Rejected(
                        index=index + offset,
                        field="at",
                        message=f"早于保留期限（{self.rules.retention_days} 天），不予保存",
                    )
                )
                continue
            good.append((index + offset, item, code, at))
        return good, rejected

    def ingest_in(
        self, session: Session, items: Sequence[Any], *, station: str | None = None, offset: int = 0
    ) -> IngestResult:
        """Store a batch in the caller's transaction. `station` is the topic's station (MQTT); `offset` is
        added to each item's place in the rejections (a file's line numbers are given by the caller)."""
        now = self.clock.now()
        batch = _Batch()
        good, batch.rejected = self.checked(items, station=station, offset=offset, now=now)
        if good:
            self._store(session, good, batch, now)
        return IngestResult(
            accepted=batch.accepted,
            merged=batch.merged,
            duplicates=batch.duplicates,
            rejected=sorted(batch.rejected, key=lambda r: r.index),
            alerts=batch.alerts,
        )

    # -- storing -----------------------------------------------------------------------------------------
    #
    # A busy county's stream is tens of thousands of detections a second, nearly all of them the steady
    # case: one detection of a tag in the batch, later than its last sighting. That case costs a dictionary
    # look-up, a comparison and a row; the loops below are written for it (locals and tuples, two calls an
    # item), and everything else (overlaps, late or out-of-order detections, watched tags) takes
    # the general path beside it.

    def _store(self, session: Session, checked: list[Checked], batch: _Batch, now: datetime) -> None:
        stations, by_id = self.stations.lookup(session, {code for _, _, code, _ in checked})
        tags = self.tags.read(session, {item.tag for _, item, _, _ in checked})
        per_tag: dict[int, list[Good]] = defaultdict(list)
        reject = batch.rejected.append
        for index, item, code, at in checked:
            st = stations.get(code)
            if st is None or not st.active:
                reject(Rejected(index=index, field="station", message="未登记的基站"))
                continue
            tag = tags.get(item.tag)
            if tag is None:
                reject(Rejected(index=index, field="tag", message="未登记的标签"))
                continue
            per_tag[tag.id].append((index, item, tag, st, at))
        if not per_tag:
            return
        # Tags in id order, each tag's detections in event time: every writer takes the (tag, at) keys in the
        # same order (no deadlock between two PostgreSQL workers), and a tag's track is judged forwards.
        order = sorted(per_tag)
        for tag_id in order:
            mine_in = per_tag[tag_id]
            if len(mine_in) > 1:
                mine_in.sort(key=_event_time)
        window = timedelta(seconds=self.rules.overlap_seconds)
        known = self._known(session, per_tag, order, window)
        driver = utc_to_driver(session)
        # A batch's detections share their instants (stations report to the second, thousands of them a
        # second): each instant is made the driver's value once.
        instants: dict[datetime, Any] = {}

        def to_db(at: datetime) -> Any:
            value = instants.get(at)
            if value is None:
                value = instants[at] = driver(at)
            return value

        limits = {kind: self.rules.speed_limit(kind) for kind in TagKind}
        new: list[_Sighting] = []
        fresh: list[Fresh] = []
        # Each tag's latest detection of the batch: its instant, station and driver value (for _touch).
        newest: dict[int, tuple[datetime, int, Any]] = {}
        heard: dict[int, StationInfo] = {}
        for tag_id in order:
            entries = per_tag[tag_id]
            tag = entries[0][2]
            limit = limits[tag.kind]
            mine = known.get(tag_id)
            if mine is None and len(entries) == 1:
                # The steady case: nothing stored near it; the tag's last sighting is the one before it.
                _index, item, _tag, st, at = entries[0]
                db_at = to_db(at)
                sighting = _Sighting(None, tag_id, at, st.id, item.rssi, [st.code], item.id, db_at=db_at)
                if limit is not None and tag.last_seen_at is not None and tag.last_station_id is not None:
                    sighting.jump = self._jumped(by_id.get(tag.last_station_id), tag.last_seen_at, st, at, limit)
                new.append(sighting)
                heard[st.id] = st
                newest[tag_id] = (at, st.id, db_at)
                if tag.watched or item.event is not None or item.battery is not None:
                    # Judged like any other (the heading needs the sighting before): its track as known.
                    prior = (
                        []
                        if tag.last_seen_at is None or tag.last_station_id is None
                        else [_Sighting(-1, tag_id, tag.last_seen_at, tag.last_station_id, None, [])]
                    )
                    known[tag_id] = [*prior, sighting]
                    fresh.append((item, at, tag, st, sighting))
                continue
            if mine is None:
                mine = known[tag_id] = []
                if tag.last_seen_at is not None and tag.last_station_id is not None:
                    mine.append(_Sighting(-1, tag_id, tag.last_seen_at, tag.last_station_id, None, []))
            for _index, item, _tag, st, at in entries:
                heard[st.id] = st
                near = None
                gap = window
                before: _Sighting | None = None
                for s in mine:
                    d = abs(s.at - at)
                    if d <= gap and (near is None or d < gap):
                        near, gap = s, d
                    if s.at < at and (before is None or s.at > before.at):
                        before = s
                if near is not None:
                    newest[tag_id] = (at, st.id, None)
                    if st.code in near.stations:
                        batch.duplicates += 1
                        continue
                    near.stations = sorted({*near.stations, st.code})
                    if item.rssi is not None and (near.rssi is None or item.rssi > near.rssi):
                        near.rssi, near.station_id = item.rssi, st.id
                    near.dirty = near.id is not None and near.id > 0
                    batch.merged += 1
                    fresh.append((item, at, tag, st, near))
                    continue
                db_at = to_db(at)
                sighting = _Sighting(None, tag_id, at, st.id, item.rssi, [st.code], item.id, db_at=db_at)
                if limit is not None and before is not None:
                    sighting.jump = self._jumped(by_id.get(before.station_id), before.at, st, at, limit)
                mine.append(sighting)
                new.append(sighting)
                newest[tag_id] = (at, st.id, db_at)
                fresh.append((item, at, tag, st, sighting))
        # The new sightings' instants are the ones made driver values so far.
        create_months(session, {date(a.year, a.month, 1) for a in instants})
        stored = self._write(session, new, [s for lst in known.values() for s in lst if s.dirty], now)
        batch.accepted += stored
        # Another writer stored the same (tag, at) between our read and our insert: a duplicate, not a sighting.
        batch.duplicates += len(new) - stored
        self._heard(session, heard, now)
        self._touch(session, newest, to_db)
        for tag_id, (at, station_id, _db_at) in newest.items():
            # The held tag moves as its stored last sighting does (forward only; see `_touch`).
            tag = per_tag[tag_id][0][2]
            if tag.last_seen_at is None or tag.last_seen_at < at:
                tag.last_seen_at, tag.last_station_id = at, station_id
        watched = [f for f in fresh if f[2].watched or f[0].event is not None or f[0].battery is not None]
        if watched:
            self._judge(session, watched, known, by_id, batch)

    def _read_tags(self, session: Session, codes: set[str]) -> dict[str, _Tag]:
        """Tags by code with their last sightings as stored (one statement, at the DBAPI cursor): for every
        batch on PostgreSQL, for the tags `TagCache` does not hold on SQLite."""
        conn = session.connection()
        param: Any
        if conn.dialect.name == "postgresql":
            where, param = "t.code = ANY(%s::varchar[])", list(codes)
        else:
            where, param = "t.code IN (SELECT value FROM json_each(?))", orjson.dumps(list(codes)).decode()
        cursor = conn.connection.cursor()
        try:
            cursor.execute(
                "SELECT t.id, t.code, t.kind, t.status, s.at, s.station_id FROM tracking_tags AS t "  # noqa: S608
                f"LEFT JOIN tracking_tag_seen AS s ON s.tag_id = t.id WHERE {where}",
                (param,),
            )
            rows = cursor.fetchall()
        finally:
            cursor.close()
        from_db = utc_from_driver(session)
        kinds, statuses, stolen = _KINDS, _STATUSES, TagStatus.STOLEN
        tags: dict[str, _Tag] = {}
        for tag_id, code, kind_value, status_value, last_seen, last_station in rows:
            kind, status = kinds[kind_value], statuses[status_value]
            watched = status is stolen or kind in BRACELETS
            tags[code] = _Tag(tag_id, code, kind, status, watched, from_db(last_seen), last_station)
        return tags

    def _jumped(self, prev: StationInfo | None, prev_at: datetime, st: StationInfo, at: datetime, limit: float) -> bool:
        """An impossible move from the sighting before (within the look-back): faster than the kind's limit
        between the two stations' circles."""
        if prev is None or prev.id == st.id or at - prev_at > JUMP_LOOKBACK:
            return False
        meters = max(0.0, self._distance(prev, st) - prev.radius_m - st.radius_m)
        return speed_kmh(meters, abs((at - prev_at).total_seconds())) > limit

    def _distance(self, a: StationInfo, b: StationInfo) -> float:
        key = (a.id, b.id)
        meters = self._distances.get(key)
        if meters is None:
            if len(self._distances) > 1_000_000:  # a bound, never reached by one county's stations
                self._distances.clear()
            meters = self._distances[key] = distance_m(a.lon, a.lat, b.lon, b.lat)
        return meters

    def _known(
        self, session: Session, per_tag: Mapping[int, list[Good]], order: list[int], window: timedelta
    ) -> dict[int, list[_Sighting]]:
        """The stored sightings the detections of the tags that need them must be judged against.

        A tag whose detections all come after its last sighting (plus the overlap window) cannot join a
        stored one: its last sighting (kept on the tag) is all it needs, for the jump and the heading, and no
        detection is read for it. That is the steady stream, and such a tag is not in the answer. A late or
        out-of-order detection, a second station's overlap, or a watched tag (alerts need the sightings
        themselves: a bracelet's last ones, all stations that heard them) has its sightings around the batch
        read through the (tag_id, at) key."""
        known: dict[int, list[_Sighting]] = {}
        read: list[int] = []
        low: datetime | None = None
        high: datetime | None = None
        for tag_id in order:
            entries = per_tag[tag_id]
            tag = entries[0][2]
            earliest, latest = entries[0][4], entries[-1][4]
            if tag.watched or (tag.last_seen_at is not None and earliest <= tag.last_seen_at + window):
                read.append(tag_id)
                known[tag_id] = []
                low = earliest if low is None or earliest < low else low
                high = latest if high is None or latest > high else high
        if not read or low is None or high is None:
            return known
        low, high = low - window, high + window
        columns = (
            Detection.id, Detection.tag_id, Detection.at, Detection.station_id, Detection.rssi, Detection.stations
        )  # fmt: skip
        # The sightings a detection may join (within the overlap window), and each tag's last one before them
        # (for the jump and the heading): both read through the (tag_id, at) key.
        last_before = (
            select(Detection.tag_id, func.max(Detection.at).label("at"))
            .where(
                Detection.tag_id.in_(bindparam("read", expanding=True)),
                Detection.at < low,
                Detection.at >= low - JUMP_LOOKBACK,
            )
            .group_by(Detection.tag_id)
            .subquery()
        )
        rows = [
            *session.execute(
                select(*columns).where(
                    Detection.tag_id.in_(bindparam("read", expanding=True)), Detection.at >= low, Detection.at <= high
                ),
                {"read": read},
            ),
            *session.execute(
                select(*columns).join(
                    last_before, and_(Detection.tag_id == last_before.c.tag_id, Detection.at == last_before.c.at)
                ),
                {"read": read},
            ),
        ]
        for row in rows:
            known[row.tag_id].append(
                _Sighting(row.id, row.tag_id, row.at, row.station_id, row.rssi, list(row.stations))
            )
        return known

    def _write(self, session: Session, new: list[_Sighting], changed: list[_Sighting], now: datetime) -> int:
        """New sightings in one statement (duplicates of the (tag, at) key skipped in SQL); returns how many
        were stored. Merged ones (a second station) are updated in place."""
        table = Detection.__table__
        received = utc_to_driver(session)(now)
        dumps = orjson.dumps
        alone = self._alone
        rows = []
        for s in new:
            heard_by = s.stations
            if len(heard_by) == 1:
                code = heard_by[0]
                text = alone.get(code)
                if text is None:
                    text = alone[code] = dumps(heard_by).decode()
            else:
                text = dumps(heard_by).decode()
            rows.append((s.tag_id, s.db_at, s.station_id, s.rssi, text, received, s.source_id, s.jump))
        stored, _ = insert_values_ignoring_duplicates(
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
        return stored

    def _touch(
        self,
        session: Session,
        newest: Mapping[int, tuple[datetime, int, Any]],
        to_db: Callable[[datetime], Any],
    ) -> None:
        """Each tag's last sighting (`TagSeen`) moves forward, never back (a late detection, or another writer's
        later one)."""
        # The statement keeps a later stored sighting (its WHERE), so a late detection may be in it.
        moved = sorted(
            (tag_id, to_db(at) if db_at is None else db_at, station_id)
            for tag_id, (at, station_id, db_at) in newest.items()
        )
        if not moved:
            return
        # One upsert at the driver: a batch touches thousands of tags, and the ORM's per-row work would cost
        # more than the inserts themselves. Rows in tag order (writers lock them in the same order).
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "INSERT INTO tracking_tag_seen (tag_id, at, station_id) "
                "SELECT * FROM unnest(%s::bigint[], %s::timestamp[], %s::integer[]) "
                "ON CONFLICT (tag_id) DO UPDATE SET at = EXCLUDED.at, station_id = EXCLUDED.station_id "
                "WHERE tracking_tag_seen.at < EXCLUDED.at",
                ([m[0] for m in moved], [m[1] for m in moved], [m[2] for m in moved]),
            )
            return
        # SQLite: the rows as one JSON array spread by json_each (`WHERE true` lets the upsert parse).
        conn.exec_driver_sql(
            "INSERT INTO tracking_tag_seen (tag_id, at, station_id) SELECT json_extract(value, '$[0]'), "
            "json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?) WHERE true "
            "ON CONFLICT (tag_id) DO UPDATE SET at = excluded.at, station_id = excluded.station_id "
            "WHERE tracking_tag_seen.at < excluded.at",
            (orjson.dumps(moved).decode(),),
        )

    def _heard(self, session: Session, heard: Mapping[int, StationInfo], now: datetime) -> None:
        """The batch's stations were heard: one read of their health, one update; a station that had been
        silent past its threshold gets its maintenance task closed (as a heartbeat would)."""
        default = self.rules.station_silence_minutes
        table = Station.__table__
        from_db, to_db = utc_from_driver(session), utc_to_driver(session)
        # At the driver, the ids as one parameter (every batch of a busy stream hears every station: the ORM's
        # expanding IN and its per-statement work cost more than the update itself).
        rows = rows_where_in(session, table, ("id", "last_heard_at", "silence_minutes"), "id", list(heard))  # type: ignore[arg-type]
        silent: list[int] = []
        behind: list[int] = []
        for station_id, stored, minutes in rows:
            last = from_db(stored)
            if last is None or last < now:
                behind.append(station_id)
            if last is None or last < now - timedelta(minutes=minutes or default):
                silent.append(station_id)
        if behind:
            conn = session.connection()
            # Never back: another writer may have heard a station later than this batch's `now`.
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(
                    "UPDATE tracking_stations SET last_heard_at = %s WHERE id = ANY(%s::integer[]) "
                    "AND (last_heard_at IS NULL OR last_heard_at < %s)",
                    (to_db(now), behind, to_db(now)),
                )
            else:
                conn.exec_driver_sql(
                    "UPDATE tracking_stations SET last_heard_at = ? WHERE id IN (SELECT value FROM json_each(?)) "
                    "AND (last_heard_at IS NULL OR last_heard_at < ?)",
                    (to_db(now), orjson.dumps(behind).decode(), to_db(now)),
                )
        if silent:
            self._back_online(session, silent, now)

    def _back_online(self, session: Session, station_ids: Sequence[int], now: datetime) -> None:
        for task in session.scalars(
            select(Task).where(
                Task.kind == MAINTENANCE_KIND, Task.ref_id.in_(list(station_ids)), Task.closed_at.is_(None)
            )
        ):
            self.tasks.act(session, task, Command("back_online", None, None, {"at": now.isoformat()}))

    def heard(self, session: Session, station: Station, now: datetime, status: dict[str, Any] | None = None) -> None:
        """A station was heard (a heartbeat): its maintenance task, if any, closes itself."""
        threshold = timedelta(minutes=station.silence_minutes or self.rules.station_silence_minutes)
        was_silent = station.last_heard_at is None or station.last_heard_at < now - threshold
        station.last_heard_at = now
        if status is not None:
            station.last_status = status
        if was_silent:
            self._back_online(session, [station.id], now)

    # -- judging -----------------------------------------------------------------------------------------

    def _judge(
        self,
        session: Session,
        fresh: list[Fresh],
        known: Mapping[int, list[_Sighting]],
        by_id: Mapping[int, StationInfo],
        batch: _Batch,
    ) -> None:
        session.flush()
        tag_rows = {t.id: t for t in session.scalars(select(Tag).where(Tag.id.in_({f[2].id for f in fresh})))}
        where = {s.id: s for s in session.scalars(select(Station).where(Station.id.in_({f[3].id for f in fresh})))}
        thefts = {
            t.tag_id: t
            for t in session.scalars(
                select(Theft).where(
                    Theft.tag_id.in_(list(tag_rows)), Theft.status.in_([TheftStatus.WATCHED, TheftStatus.SIGHTED])
                )
            )
        }
        for item, at, tag, st, sighting in sorted(fresh, key=lambda f: f[1]):
            row = tag_rows[tag.id]
            mine = sorted(known[tag.id], key=lambda s: s.at)
            before = max((s for s in mine if s.at < sighting.at), key=lambda s: s.at, default=None)
            prev = by_id.get(before.station_id) if before is not None else None
            toward = heading(prev.lon, prev.lat, st.lon, st.lat) if prev is not None else None
            seen = Sighting(at, where[st.id], toward)
            theft = thefts.get(tag.id)
            if theft is not None and at >= theft.stolen_at:
                alert = self.alerts.raise_once(
                    session, row, AlertKind.THEFT_SIGHTING, seen, episode=f"theft:{theft.id}", theft_id=theft.id
                )
                if alert is not None:
                    batch.alerts.append(alert.id)
                    theft.first_sighted_at = at
                    theft.status = TheftStatus.SIGHTED
                    task = session.get(Task, theft.task_id) if theft.task_id else None
                    if task is not None and task.kind == THEFT_KIND and task.closed_at is None:
                        data = {"station": st.name, "at": at.isoformat()}
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
        by_id: Mapping[int, StationInfo],
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
