"""The demo's patrol and alarms: 17 patrol zones (巡防片区) over the county town, patrol units (cars,
motorbikes, e-bikes, officers on foot) moving in them and reporting positions, a roster for the week (day and
night shifts, a day off in seven, an officer on leave per station), and 110 alarms arriving every half minute,
dispatched by the simulated 情指中心 to the nearest on-duty unit of the "135" reach, reached and closed.

Everything goes through the public services (the zones' GeoJSON import, the positions' batch, the alarm
intake, the task engine's `perform` with the access decision); the simulated people are the `sim_…` accounts.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import shapely
from shapely import wkb
from shapely.geometry import Point, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import select

from pingan.command.alarms.models import Alarm
from pingan.command.alarms.schemas import AlarmCreate
from pingan.command.alarms.workflow import KIND as ALARM_KIND
from pingan.command.alarms.workflow import AlarmStatus
from pingan.command.patrol.models import DutyShift, PatrolUnit, PatrolZone, ShiftKind
from pingan.core.errors import PinganError
from pingan.core.identity import Actor
from pingan.core.models import Area, AreaKind, Role, Task, Unit, UnitKind, User
from pingan.core.scope import Scope, scope_of
from pingan.demo.simulated import is_simulated

if TYPE_CHECKING:
    from pingan.bootstrap import Services

log = logging.getLogger(__name__)

ZONES = 17
TOWN_CODES = ("330225001", "330225002")
"""丹东街道 and 丹西街道: the county town (城区) that 象山 divided into 17 patrol zones."""
M_PER_DEG = 111_195.0
COUNTY = Scope(True, frozenset(), frozenset())

ALARM_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("dispute", "夜宵摊两桌客人发生口角"),
    ("dispute", "邻居装修噪音引发争吵"),
    ("public_order", "KTV门口有人醉酒闹事"),
    ("criminal", "电动车停在楼下被盗"),
    ("criminal", "有人正在撬门，疑似盗窃"),
    ("traffic", "十字路口两车追尾，无人受伤"),
    ("traffic", "电瓶车老人摔倒受伤"),
    ("help", "老人走失，家属求助"),
    ("help", "钥匙锁在车里"),
    ("public_order", "广场有人打架"),
    ("rescue", "有人落水，请求救援"),
    ("other", "路面有井盖缺失"),
)
OUTCOMES = ("handled", "mediated", "help_given", "admin_case", "criminal_case", "false_alarm", "referred")


@dataclass
class PatrolDemo:
    zones: dict[int, BaseGeometry] = field(default_factory=dict)
    """Zone id → polygon."""
    units: int = 0
    shifts: int = 0


def _zone_shapes(town: BaseGeometry, count: int, rng: random.Random) -> list[BaseGeometry]:
    """`count` zones splitting the town: Voronoi cells of points spread over it (the densest part gets the
    smallest zones, as the old town does), cut to its outline."""
    minx, miny, maxx, maxy = town.bounds
    seeds: list[Point] = []
    tries = 0
    while len(seeds) < count and tries < 20_000:
        tries += 1
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if town.contains(p) and all(p.distance(q) > 0.006 for q in seeds):
            seeds.append(p)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=town.envelope.buffer(0.05))
    shapes = []
    for cell in shapely.get_parts(cells):
        part = cell.intersection(town)
        if not part.is_empty and part.area > 0:
            shapes.append(part)
    shapes.sort(key=lambda g: (-round(g.centroid.y, 3), g.centroid.x))  # north to south, west to east
    return shapes


def _inside(shape: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = shape.bounds
    for _ in range(200):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if shape.contains(p):
            return p.x, p.y
    c = shape.representative_point()
    return c.x, c.y


def setup_patrol_demo(services: Services, *, seed: int = 7, zones: int = ZONES) -> PatrolDemo:
    """Zones, units and the week's roster (idempotent on the zone and unit codes)."""
    rng = random.Random(seed * 7919 + 17)
    demo = PatrolDemo()
    now = services.clock.now()
    with services.db.session() as session:
        rows = session.execute(select(Area.code, Area.geometry).where(Area.kind == AreaKind.STATION)).all()
        town_parts = [wkb.loads(g) for c, g in rows if g is not None and c in TOWN_CODES]
        if not town_parts:
            town_parts = [wkb.loads(g) for _c, g in rows if g is not None]
        if not town_parts:
            return demo
        town = unary_union(town_parts)
        shapes = _zone_shapes(town, zones, rng)
        document = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": f"PQ{i:02d}", "name": f"城区第{i}片区"},
                    "geometry": mapping(s),
                }
                for i, s in enumerate(shapes, 1)
            ],
        }
        services.patrol.import_zones(session, document)
        centre = session.scalar(select(Unit.id).where(Unit.kind == UnitKind.COMMAND_CENTRE).order_by(Unit.id).limit(1))
        unit_codes = dict(session.execute(select(Unit.id, Unit.code)).all())
        sim_officers: dict[int, list[User]] = {}
        for user in session.scalars(
            select(User).where(is_simulated(), User.role.in_([Role.OFFICER, Role.STATION_HEAD]))
        ):
            if user.unit_id is not None:
                sim_officers.setdefault(user.unit_id, []).append(user)
        items: list[dict[str, Any]] = []
        for zone in session.scalars(select(PatrolZone).order_by(PatrolZone.code)):
            demo.zones[zone.id] = wkb.loads(zone.geometry)
            owner = zone.unit_id or centre
            if owner is None:
                continue
            n = int(zone.code[2:])
            kinds = ["car"] + (["motorbike"] if n % 2 else ["ebike"]) + (["foot"] if n % 3 == 0 else [])
            officers = sim_officers.get(owner, [])
            for k, kind in enumerate(kinds, 1):
                leader = officers[(n + k) % len(officers)].username if officers else None
                items.append(
                    {"code": f"{zone.code}-{k}", "name": f"{zone.name}{'车巡' if kind == 'car' else '巡组'}{k}",
                     "kind": kind, "unit": unit_codes[owner], "zone": zone.code, "leader": leader}
                )  # fmt: skip
        services.patrol.register_units(session, enumerate(items))
        units = list(session.scalars(select(PatrolUnit).order_by(PatrolUnit.code)))
        demo.units = len(units)
        positions = []
        for unit in units:
            lon, lat = _inside(demo.zones.get(unit.zone_id or -1, town), rng)
            positions.append({"unit": unit.code, "lon": lon, "lat": lat, "at": now.isoformat()})
        services.patrol.report_positions(session, COUNTY, enumerate(positions))
        if session.scalar(select(DutyShift.id).limit(1)) is None:
            demo.shifts = _week_roster(session, services, units, sim_officers, now, rng)
    return demo


def _week_roster(
    session: Any,
    services: Services,
    units: list[PatrolUnit],
    officers: dict[int, list[User]],
    now: datetime,
    rng: random.Random,
) -> int:
    """Day (08:00–20:00) and night (20:00–08:00) shifts for seven days from today: each unit works both but
    has one day off in seven (leave), every eighth unit works nights only; in each station one simulated
    officer is on leave each day, the others on the day shift."""
    zone = ZoneInfo(services.patrol.rules.timezone)
    today = now.astimezone(zone).date()
    rows: list[DutyShift] = []

    def shift(kind: ShiftKind, unit_id: int, start: datetime, end: datetime, **who: Any) -> None:
        rows.append(DutyShift(kind=kind, unit_id=unit_id, starts_at=start, ends_at=end, created_at=now, **who))

    for day in range(-1, 7):
        date = today + timedelta(days=day)
        morning = datetime.combine(date, time(8), tzinfo=zone)
        evening = morning + timedelta(hours=12)
        night_end = morning + timedelta(hours=24)
        for i, unit in enumerate(units):
            if (i + day) % 7 == 3 and day >= 0:
                shift(
                    ShiftKind.LEAVE,
                    unit.unit_id,
                    morning - timedelta(hours=8),
                    night_end - timedelta(hours=8),
                    patrol_unit_id=unit.id,
                )
                continue
            if i % 8 != 5:
                shift(ShiftKind.DUTY, unit.unit_id, morning, evening, patrol_unit_id=unit.id)
            shift(ShiftKind.DUTY, unit.unit_id, evening, night_end, patrol_unit_id=unit.id)
        for unit_id, staff in officers.items():
            for j, user in enumerate(staff):
                if len(staff) > 1 and (j + day) % len(staff) == 0 and day >= 0 and rng.random() < 0.5:
                    shift(ShiftKind.LEAVE, unit_id, morning, evening, user_id=user.id, note="调休")
                else:
                    shift(
                        ShiftKind.DUTY,
                        unit_id,
                        morning - timedelta(hours=1),
                        evening + timedelta(hours=1),
                        user_id=user.id,
                    )
    session.add_all(rows)
    session.flush()
    return len(rows)


class PatrolSimulation:
    """Moves the patrol units, brings in 110 alarms and works them as the simulated 情指中心 and officers."""

    def __init__(
        self, services: Services, demo: PatrolDemo, *, seed: int = 7, alarm_every: float = 30.0, work: bool = True
    ) -> None:
        self.services = services
        self.work = work
        """Whether the simulated staff dispatch and work the alarms (off: they wait for you)."""
        self.demo = demo
        self.rng = random.Random(seed * 104729 + 3)
        self.alarm_every = alarm_every
        self._next_alarm = services.clock.now() + timedelta(seconds=5)
        self._serial = 0
        self._plans: dict[int, datetime] = {}
        self._sim_ids: set[int] = set()

    def run(self, stop: threading.Event, interval: float = 3.0) -> None:
        while not stop.wait(interval):
            try:
                self.step()
            except Exception:  # the demo goes on; the next step tries again
                log.exception("patrol simulation step failed")

    def step(self) -> None:
        now = self.services.clock.now()
        # One writer at a time on SQLite: the simulation queues for the lock as the intake does, rather
        # than outwait SQLite's busy timeout while the feeds write.
        with self.services.db.write_lock, self.services.db.session() as session:
            if not self._sim_ids:
                self._sim_ids = set(session.scalars(select(User.id).where(is_simulated())))
            self._move(session, now, busy=self.services.alarms.busy(session))
            if now >= self._next_alarm and self.demo.zones:
                self._alarm(session, now)
                self._next_alarm = now + timedelta(seconds=self.rng.uniform(0.5, 1.5) * self.alarm_every)
            if self.work:
                self._work(session, now)

    def _move(self, session: Any, now: datetime, busy: dict[int, str]) -> None:
        positions = []
        for unit in session.scalars(select(PatrolUnit).where(PatrolUnit.active)):
            if unit.lon is None or unit.lat is None or unit.id in busy:
                continue  # a unit at a scene stays there
            shape = self.demo.zones.get(unit.zone_id or -1)
            step_m = self.services.patrol.rules.speeds_kmh[unit.kind] / 3.6 * 3.0 * self.rng.uniform(0.2, 1.0)
            angle = self.rng.uniform(0, 2 * math.pi)
            lon = unit.lon + step_m * math.cos(angle) / (M_PER_DEG * math.cos(math.radians(unit.lat)))
            lat = unit.lat + step_m * math.sin(angle) / M_PER_DEG
            if shape is not None and not shape.contains(Point(lon, lat)):
                c = shape.representative_point()
                lon, lat = unit.lon + (c.x - unit.lon) * 0.05, unit.lat + (c.y - unit.lat) * 0.05
            positions.append({"unit": unit.code, "lon": lon, "lat": lat, "at": now.isoformat()})
        if positions:
            self.services.patrol.report_positions(session, COUNTY, enumerate(positions))

    def _alarm(self, session: Any, now: datetime) -> None:
        self._serial += 1
        category, text = self.rng.choice(ALARM_SCRIPTS)
        shape = self.rng.choice(list(self.demo.zones.values()))
        lon, lat = _inside(shape, self.rng)
        phone = f"1390575{self.rng.randrange(10000):04d}"
        body = AlarmCreate(
            source="110",
            source_id=f"SIM{now:%Y%m%d%H%M%S}{self._serial:04d}",
            category=category,
            text=text,
            caller_name=f"模拟群众{self._serial}",
            caller_phone=phone,
            lon=lon,
            lat=lat,
        )
        self.services.alarms.receive(session, None, body)

    def _actor(self, session: Any, task: Task, role: Role) -> User | None:
        stmt = select(User).where(is_simulated(), User.active)
        if role is Role.COMMANDER:
            stmt = stmt.where(User.role == Role.COMMANDER)
        else:
            stmt = stmt.where(User.unit_id == task.unit_id, User.role.in_([Role.OFFICER, Role.STATION_HEAD]))
        found: User | None = session.scalars(stmt.order_by(User.id)).first()
        return found

    def _perform(self, session: Any, user: User, task: Task, action: str, payload: dict[str, Any]) -> bool:
        try:
            self.services.tasks.perform(session, Actor.of(user), scope_of(session, user), task, action, payload)
            return True
        except PinganError as exc:
            log.debug("simulated %s on alarm task %s refused: %s", action, task.id, exc.message)
            return False

    def _work(self, session: Any, now: datetime) -> None:
        tasks = session.scalars(
            select(Task).where(Task.kind == ALARM_KIND, Task.closed_at.is_(None)).order_by(Task.id)
        ).all()
        for task in tasks:
            if task.assignee_id is not None and task.assignee_id not in self._sim_ids:
                continue  # a person holds it: theirs to work
            due = self._plans.setdefault(task.id, now + timedelta(seconds=self.rng.uniform(8, 25)))
            if due > now:
                continue
            alarm = session.get(Alarm, task.ref_id) if task.ref_type == "alarm" else None
            if alarm is None:
                continue
            if task.status == AlarmStatus.RECEIVED:
                self._dispatch(session, task, alarm, now)
            elif task.status == AlarmStatus.DISPATCHED:
                self._arrive(session, task, alarm, now)
            elif task.status == AlarmStatus.ARRIVED:
                user = self._actor(session, task, Role.OFFICER) or self._actor(session, task, Role.COMMANDER)
                outcome = self.rng.choice(OUTCOMES)
                if user is not None and self._perform(
                    session, user, task, "finish", {"outcome": outcome, "result": "模拟民警现场处置完毕"}
                ):
                    self._plans.pop(task.id, None)

    def _dispatch(self, session: Any, task: Task, alarm: Alarm, now: datetime) -> None:
        user = self._actor(session, task, Role.COMMANDER)
        if user is None:
            return
        proposed = self.services.alarms.proposals(session, COUNTY, alarm)
        candidates = [r for r in proposed[0].reached] if proposed else []
        for reached in candidates[:3]:
            if self._perform(session, user, task, "dispatch", {"patrol_unit_id": reached.unit_id}):
                # Arrival after the travel time (at demo speed: a tenth of it, at least 15 s).
                self._plans[task.id] = now + timedelta(seconds=max(15.0, reached.travel_s / 10))
                return
        self._plans[task.id] = now + timedelta(seconds=20)

    def _arrive(self, session: Any, task: Task, alarm: Alarm, now: datetime) -> None:
        user = self._actor(session, task, Role.OFFICER) or self._actor(session, task, Role.COMMANDER)
        unit = session.get(PatrolUnit, alarm.patrol_unit_id) if alarm.patrol_unit_id else None
        if user is None:
            return
        if self._perform(session, user, task, "arrive", {}):
            if unit is not None and alarm.lon is not None and alarm.lat is not None:
                report = [{"unit": unit.code, "lon": alarm.lon, "lat": alarm.lat, "at": now.isoformat()}]
                self.services.patrol.report_positions(session, COUNTY, enumerate(report))
            self._plans[task.id] = now + timedelta(seconds=self.rng.uniform(30, 90))
