"""Tracking's use cases, each one transaction: the registry, detections, heartbeats, thefts, recovery,
compensation, safe areas, and the sweep (silent stations and bracelets, the agreement's clock, partitions)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from shapely.geometry import Polygon
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from pingan.core.areas import Jurisdictions
from pingan.core.clock import Clock
from pingan.core.db import Database
from pingan.core.errors import BadInput, Conflict, NotFound
from pingan.core.identity import Actor
from pingan.core.models import Task, Unit
from pingan.core.scope import Scope
from pingan.core.streams import Message, Published, StreamName, StreamPublisher
from pingan.core.tasks import Command, TaskService
from pingan.tracking.alerts import Alerts, Sighting
from pingan.tracking.ingest import DetectionIntake
from pingan.tracking.logic import TheftFacts, compensation_due
from pingan.tracking.models import (
    BRACELETS,
    Alert,
    AlertKind,
    Detection,
    Station,
    Tag,
    TagKind,
    TagStatus,
    Theft,
    TheftStatus,
    Vehicle,
)
from pingan.tracking.registry import import_stations, import_tags
from pingan.tracking.rules import TrackingRules
from pingan.tracking.schemas import (
    CompensationCreate,
    DetectionIn,
    ImportResult,
    IngestResult,
    RecoveryCreate,
    SafeAreaUpdate,
    TheftCreate,
)
from pingan.tracking.storage import ensure_partitions
from pingan.tracking.workflow import MAINTENANCE_KIND, THEFT_KIND


def detection_msg_id(item: DetectionIn) -> str:
    """A detection's message id in the stream: its station's own id when it sent one (`station:id`, so that
    two stations' counters never collide), else a stable hash of tag, station and instant (UTC, to the
    microsecond): the same detection sent twice, by MQTT, HTTP or a file, is one message."""
    if item.id:
        return f"{item.station}:{item.id}"
    at = item.at.astimezone(UTC).isoformat(timespec="microseconds")
    digest = hashlib.sha256(f"{item.tag}|{item.station}|{at}".encode()).hexdigest()[:32]
    return f"{item.station}:h{digest}"


class Tracking:
    def __init__(
        self, db: Database, clock: Clock, rules: TrackingRules, tasks: TaskService, jurisdictions: Jurisdictions
    ) -> None:
        self.db = db
        self.clock = clock
        self.rules = rules
        self.tasks = tasks
        self.jurisdictions = jurisdictions
        self.zone = ZoneInfo(rules.timezone)
        self.alerts = Alerts(clock, tasks, jurisdictions)
        self.intake = DetectionIntake(clock, rules, tasks, self.alerts)
        tasks.on(THEFT_KIND, "recover", effect=self._recovered)
        tasks.on(THEFT_KIND, "compensate", check=self._may_compensate, effect=self._compensated)
        tasks.listen("tracking_alert", self._alert_closed)

    # -- the registry ------------------------------------------------------------------------------------

    def import_tags(self, items: Iterable[tuple[int, Any]]) -> ImportResult:
        with self.db.session() as session:
            return import_tags(
                session,
                items,
                self.clock.now(),
                zone=self.zone,
                card_fee_yuan=self.rules.compensation.card_fee_yuan,
            )

    def import_stations(self, items: Iterable[tuple[int, Any]]) -> ImportResult:
        try:
            with self.db.session() as session:
                return import_stations(session, items, self.jurisdictions)
        finally:
            self.intake.stations.forget()

    def set_safe_area(self, session: Session, tag: Tag, body: SafeAreaUpdate) -> None:
        if tag.kind not in BRACELETS:
            raise BadInput("只有手环可以设置安全区域", field="tag")
        known = set(session.scalars(select(Station.code).where(Station.code.in_(body.stations))))
        unknown = [c for c in body.stations if c not in known]
        if unknown:
            raise BadInput(f"未登记的基站：{'、'.join(unknown[:5])}", field="stations")
        tag.safe_stations = sorted(set(body.stations))
        if body.polygon is not None:
            ring = Polygon(body.polygon)
            if not ring.is_valid or ring.area == 0:
                raise BadInput("安全区域多边形无效（自相交或面积为零）", field="polygon")
            tag.safe_polygon = ring.wkb
        else:
            tag.safe_polygon = None
        if body.silence_hours is not None:
            tag.silence_hours = body.silence_hours

    # -- detections ----------------------------------------------------------------------------------------

    def ingest(self, items: Sequence[Any], *, station: str | None = None, offset: int = 0) -> IngestResult:
        with self.db.write_lock, self.db.session() as session:
            return self.intake.ingest_in(session, items, station=station, offset=offset)

    def publish(
        self,
        items: Sequence[Any],
        streams: StreamPublisher,
        county: str,
        *,
        station: str | None = None,
        offset: int = 0,
    ) -> IngestResult:
        """Several machines (`PINGAN_NATS_URL`): validate a batch here, at the edge, and publish each valid
        detection to `pingan.detections.{county}` for `pingan worker --nats` to store through `ingest_in`.

        Rejections are `ingest`'s field checks (the registry's, an unknown tag or station, are the worker's:
        it sets such a detection aside as a dead letter). `accepted` counts the messages the stream stored,
        `duplicates` the replays it recognised; a replay older than the stream's window is a duplicate to the
        worker (the same station's detection of the same sighting)."""
        good, rejected = self.intake.checked(items, station=station, offset=offset, now=self.clock.now())
        messages: list[Message] = []
        for _index, item, code, _at in good:
            item.station = code
            messages.append(
                Message(detection_msg_id(item), orjson.dumps(item.model_dump(mode="json", exclude_none=True)))
            )
        done = streams.publish(StreamName.DETECTIONS, county, messages) if messages else Published()
        return IngestResult(
            accepted=done.published, merged=0, duplicates=done.duplicates, rejected=rejected, alerts=[], queued=True
        )

    def heartbeat(self, session: Session, code: str, status: dict[str, Any]) -> bool:
        """A base station's heartbeat (pingan/stations/{code}/status); False for a station nobody registered."""
        station = session.scalar(select(Station).where(Station.code == code))
        if station is None:
            return False
        self.intake.heard(session, station, self.clock.now(), status)
        return True

    # -- thefts ----------------------------------------------------------------------------------------------

    def tag_by_code(self, session: Session, code: str) -> Tag:
        tag = session.scalar(select(Tag).where(Tag.code == code))
        if tag is None:
            raise NotFound("未登记的标签", field="tag")
        return tag

    def report_theft(self, session: Session, actor: Actor, body: TheftCreate) -> Theft:
        """A theft reported (by the owner on /m, at the desk, at a station): the tag is watched from now."""
        now = self.clock.now()
        tag = self.tag_by_code(session, body.tag)
        if tag.kind in BRACELETS:
            raise BadInput("手环不能报被盗", field="tag")
        reported = body.reported_at or now
        if body.stolen_at > reported:
            raise BadInput("被盗时间不能晚于报案时间", field="stolen_at")
        if reported > now + timedelta(minutes=5):
            raise BadInput("报案时间不能晚于现在", field="reported_at")
        open_theft = session.scalar(
            select(Theft.id).where(Theft.tag_id == tag.id, Theft.status.in_([TheftStatus.WATCHED, TheftStatus.SIGHTED]))
        )
        if open_theft is not None:
            raise Conflict(f"该标签已在布控中（被盗登记 {open_theft}）", field="tag", code="already_watched")
        theft = Theft(
            tag_id=tag.id,
            status=TheftStatus.WATCHED,
            stolen_at=body.stolen_at,
            reported_at=reported,
            reported_by=actor.id,
            area_id=tag.area_id,
            place=body.place,
        )
        session.add(theft)
        tag.status = TagStatus.STOLEN
        session.flush()
        task = self.tasks.create(
            session,
            kind=THEFT_KIND,
            title=f"被盗布控：{tag.code}",
            ref_type="tracking_theft",
            ref_id=theft.id,
            area_id=tag.area_id,
            unit_id=self.jurisdictions.unit_for_station(session, tag.area_id),
            actor_id=actor.id,
            facts={
                "theft_id": theft.id,
                "tag": tag.code,
                "plate": vehicle.plate if (vehicle := session.get(Vehicle, tag.id)) is not None else None,
                "stolen_at": body.stolen_at.isoformat(),
                "place": body.place,
                "reported_at": reported.isoformat(),
            },
        )
        theft.task_id = task.id
        # A detection already stored after the theft (reported late) is a sighting at once, judged on event time.
        last = session.execute(
            select(Detection.at, Detection.station_id)
            .where(Detection.tag_id == tag.id, Detection.at >= body.stolen_at)
            .order_by(Detection.at.desc())
            .limit(1)
        ).first()
        if last is not None:
            station = session.get(Station, last.station_id)
            self.alerts.raise_once(
                session,
                tag,
                AlertKind.THEFT_SIGHTING,
                Sighting(last.at, station),
                episode=f"theft:{theft.id}",
                theft_id=theft.id,
            )
            theft.status = TheftStatus.SIGHTED
            theft.first_sighted_at = last.at
            # The task hears of it as of a sighting after the report (`DetectionIntake`): 已发现, where, when.
            data = {"station": station.name if station is not None else "", "at": last.at.isoformat()}
            self.tasks.act(session, task, Command("sighted", None, None, data))
        return theft

    def theft_task(self, session: Session, theft: Theft) -> Task:
        task = session.get(Task, theft.task_id) if theft.task_id else None
        if task is None:
            raise NotFound("被盗登记没有任务", field="theft_id")
        return task

    def recover(self, session: Session, actor: Actor, scope: Scope, theft: Theft, body: RecoveryCreate) -> Theft:
        payload = body.model_dump(exclude_none=True)
        self.tasks.perform(session, actor, scope, self.theft_task(session, theft), "recover", payload)
        return theft

    def compensate(self, session: Session, actor: Actor, scope: Scope, theft: Theft, body: CompensationCreate) -> Theft:
        if body.card_destroyed is not None:
            theft.card_destroyed = body.card_destroyed
        self.judge(session, theft)
        payload = body.model_dump(exclude_none=True, exclude={"card_destroyed"})
        self.tasks.perform(session, actor, scope, self.theft_task(session, theft), "compensate", payload)
        return theft

    def judge(self, session: Session, theft: Theft) -> str | None:
        """The agreement's terms on a theft now; the reason (if any) is kept on the theft and its task."""
        terms = self.rules.compensation
        tag = session.get(Tag, theft.tag_id)
        signal = session.scalar(
            select(exists().where(Detection.tag_id == theft.tag_id, Detection.at >= theft.stolen_at))
        )
        facts = TheftFacts(
            stolen_at=theft.stolen_at,
            reported_at=theft.reported_at,
            recovered=theft.status is TheftStatus.RECOVERED,
            card_destroyed=theft.card_destroyed,
            signal_since_theft=bool(signal),
            insured=bool(tag and tag.insured),
        )
        reason = compensation_due(
            facts,
            self.clock.now(),
            late_report_months=terms.late_report_months,
            not_found_days=terms.not_found_days,
            no_signal_days=terms.no_signal_days,
            zone=self.zone,
        )
        value = reason.value if reason else None
        if theft.compensation_reason != value and theft.status not in (TheftStatus.COMPENSATED,):
            theft.compensation_reason = value
            task = session.get(Task, theft.task_id) if theft.task_id else None
            if task is not None:
                task.facts = {**(task.facts or {}), "compensation_reason": value}
        return value

    def _recovered(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        theft = session.get(Theft, task.ref_id)
        if theft is None:
            return
        theft.status = TheftStatus.RECOVERED
        theft.recovered_at = self.clock.now()
        theft.recovered_place = str(command.data.get("place", ""))
        theft.recovered_by = actor.id
        theft.suspects = int(command.data.get("suspects", 0))
        gang = " ".join(str(command.data.get("gang") or "").split())
        theft.gang = gang or None
        tag = session.get(Tag, theft.tag_id)
        if tag is not None:
            tag.status = TagStatus.ACTIVE
        self._end_alerts(session, theft, f"车辆已找回（{theft.recovered_place}）")

    def _may_compensate(self, session: Session, actor: Actor, task: Task, command: Command) -> Command:
        theft = session.get(Theft, task.ref_id)
        if theft is None or not self.judge(session, theft):
            raise BadInput("尚不符合平安卡协议的赔付条件", field="theft_id", code="not_eligible")
        return command

    def _compensated(self, session: Session, actor: Actor, task: Task, command: Command) -> None:
        theft = session.get(Theft, task.ref_id)
        if theft is None:
            return
        theft.status = TheftStatus.COMPENSATED
        theft.certificate_no = str(command.data.get("certificate_no", ""))
        theft.invoices = str(command.data.get("invoices", ""))
        theft.payout_yuan = self.rules.compensation.payout_yuan
        theft.paid_at = self.clock.now()
        tag = session.get(Tag, theft.tag_id)
        if tag is not None:
            tag.status = TagStatus.RETIRED
        self._end_alerts(session, theft, "已按协议赔付")

    def _end_alerts(self, session: Session, theft: Theft, outcome: str) -> None:
        """The theft is over: its sighting alerts end, and their tasks are handled with it (a station is not
        left to sign for a bike already found)."""
        for alert in self._alerts_of(session, theft):
            alert.open = False
            task = session.get(Task, alert.task_id) if alert.task_id is not None else None
            if task is not None and task.closed_at is None:
                self.tasks.act(session, task, Command("handle", None, None, {"outcome": outcome}))

    def _alerts_of(self, session: Session, theft: Theft) -> list[Alert]:
        return list(session.scalars(select(Alert).where(Alert.theft_id == theft.id, Alert.open.is_(True))))

    def _alert_closed(self, session: Session, task: Task, command: Command) -> None:
        # A removal has no natural end (the bracelet does not grow back): its episode ends when it is handled.
        if task.closed_at is None:
            return
        alert = session.get(Alert, task.ref_id)
        if alert is not None and alert.kind is AlertKind.REMOVAL:
            alert.open = False

    # -- the sweep ---------------------------------------------------------------------------------------

    def sweep(self, session: Session) -> int:
        """Silent stations → maintenance; silent bracelets → alerts; the agreement's clock on open thefts;
        PostgreSQL partitions for the months ahead. Returns how many things changed."""
        now = self.clock.now()
        changed = self._silent_stations(session, now) + self._silent_bracelets(session, now)
        for theft in session.scalars(select(Theft).where(Theft.status.in_([TheftStatus.WATCHED, TheftStatus.SIGHTED]))):
            before = theft.compensation_reason
            if self.judge(session, theft) != before:
                changed += 1
        ensure_partitions(session, now, retention_days=self.rules.retention_days)
        return changed

    def _silent_stations(self, session: Session, now: datetime) -> int:
        operator = session.scalar(select(Unit.id).where(Unit.code == self.rules.operator_unit))
        open_tasks = select(Task.ref_id).where(Task.kind == MAINTENANCE_KIND, Task.closed_at.is_(None))
        default = timedelta(minutes=self.rules.station_silence_minutes)
        raised = 0
        for station in session.scalars(select(Station).where(Station.active.is_(True), Station.id.not_in(open_tasks))):
            threshold = timedelta(minutes=station.silence_minutes) if station.silence_minutes else default
            if station.last_heard_at is None or station.last_heard_at >= now - threshold:
                continue
            self.tasks.create(
                session,
                kind=MAINTENANCE_KIND,
                title=f"基站失联：{station.name}（{station.code}）",
                ref_type="tracking_station",
                ref_id=station.id,
                area_id=station.area_id,
                unit_id=operator,
                facts={"station": station.code, "silent_since": station.last_heard_at.isoformat()},
            )
            raised += 1
        return raised

    def _silent_bracelets(self, session: Session, now: datetime) -> int:
        default = self.rules.bracelet_silence_hours
        ongoing = select(Alert.tag_id).where(Alert.kind == AlertKind.SILENCE, Alert.open.is_(True))
        candidates = session.scalars(
            select(Tag).where(
                Tag.kind.in_([TagKind.BRACELET, TagKind.ANTI_REMOVAL_BRACELET]),
                Tag.status == TagStatus.ACTIVE,
                Tag.id.not_in(ongoing),
                or_(
                    and_(Tag.last_seen_at.is_not(None), Tag.last_seen_at < now - timedelta(hours=1)),
                    and_(Tag.last_seen_at.is_(None), Tag.installed_at < now - timedelta(hours=1)),
                ),
            )
        ).all()
        raised = 0
        for tag in candidates:
            since = tag.last_seen_at or tag.installed_at
            hours = tag.silence_hours or default
            if since >= now - timedelta(hours=hours):
                continue
            station = session.get(Station, tag.last_station_id) if tag.last_station_id else None
            silent_at = since + timedelta(hours=hours)
            if self.alerts.raise_once(session, tag, AlertKind.SILENCE, Sighting(silent_at, station)) is not None:
                raised += 1
        return raised
