"""The command centre in the demo: partner departments (住建, 消防, 交通, with the towns' 综治中心 as 街道) with
logins of their own, mediation rooms (刘大姐工作室), hidden dangers being rectified and disputes being
mediated, this year and last (for 同比), and a simulation that moves them on.

The simulation acts as the demo's own accounts (``sim_…``: a department's 模拟网格员, a station's 模拟民警)
through the task engine, never as a README login, and leaves alone a task that a person holds (signed by or
assigned to anyone else).
"""

from __future__ import annotations

import logging
import random
import struct
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shapely import wkb
from shapely.geometry import Point
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pingan.bootstrap import Services
from pingan.command.dangers.models import Danger, DangerKind, DangerState, PhotoStage
from pingan.command.dangers.schemas import CoDepartment, DangerCreate
from pingan.command.dangers.workflow import KIND as DANGER_KIND
from pingan.command.dangers.workflow import PART_KIND, DangerStatus, PartStatus
from pingan.command.disputes.models import Dispute, DisputeCategory, MediatorKind
from pingan.command.disputes.schemas import DisputeCreate, MediatorCreate, Party
from pingan.command.disputes.workflow import KIND as DISPUTE_KIND
from pingan.command.disputes.workflow import DisputeStatus
from pingan.core.errors import PinganError
from pingan.core.identity import Actor, create_user
from pingan.core.models import Area, AreaKind, Role, Task, Unit, UnitKind, User
from pingan.core.scope import Scope, scope_of
from pingan.demo.simulated import is_simulated

log = logging.getLogger(__name__)

DEPARTMENTS = (
    ("dept-zhujian", "县住建局", "zhujian", "县住建局 城管大队联络员"),
    ("dept-xiaofang", "县消防救援大队", "xiaofang", "县消防救援大队 防火监督员"),
    ("dept-jiaotong", "县交通运输局", "jiaotong", "县交通运输局 路政联络员"),
)
COUNTY = Scope(True, frozenset(), frozenset())

TRAFFIC = (
    "沿海南线{n}号道口视距不良",
    "穿镇道路{n}号路口缺少减速带",
    "村道{n}号急弯无警示标志",
    "国道交叉口{n}红绿灯设置不规范",
)
FIRE_LANES = ("商贸小区{n}号楼消防通道被摩托车占用", "老旧小区{n}区生命通道堆放杂物", "农贸市场{n}号通道被摊位占用")
RENTALS = ("出租房屋{n}号群租、电动车室内充电", "出租房屋{n}号逃生通道被封堵", "出租房屋{n}号私拉乱接电线")
DISPUTES = (
    (DisputeCategory.NEIGHBOUR, "楼上漏水引发邻里纠纷"),
    (DisputeCategory.EMOTIONAL, "分手后多次口角发生推搡"),
    (DisputeCategory.FAMILY, "赡养老人费用分担纠纷"),
    (DisputeCategory.DEBT, "装修款拖欠纠纷"),
    (DisputeCategory.LABOUR, "工地工资拖欠纠纷"),
    (DisputeCategory.PROPERTY, "宅基地边界纠纷"),
    (DisputeCategory.TRAFFIC, "电动车剐蹭赔偿纠纷"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"


def png(colour: tuple[int, int, int], size: int = 48) -> bytes:
    """A small PNG of one colour: the demo's stand-in for a photo taken on site."""
    raw = b"".join(b"\x00" + bytes(colour) * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


BEFORE_PHOTO = png((190, 70, 50))
AFTER_PHOTO = png((60, 150, 80))


@dataclass
class CommandDemo:
    logins: list[tuple[str, Role, str]] = field(default_factory=list)
    dangers: int = 0
    disputes: int = 0


def create_departments(session: Session, now: datetime, password: str) -> list[tuple[str, Role, str]]:
    """The county's partner departments, each a governance unit with a login (idempotent)."""
    logins = []
    for code, name, username, person in DEPARTMENTS:
        unit = session.scalar(select(Unit).where(Unit.code == code))
        if unit is None:
            unit = Unit(code=code, name=name, kind=UnitKind.GOVERNANCE)
            session.add(unit)
            session.flush()
        if session.scalar(select(User.id).where(User.username == username)) is None:
            create_user(
                session, username, password, role=Role.GOVERNANCE, display_name=person, unit_id=unit.id, now=now
            )
        logins.append((username, Role.GOVERNANCE, person))
    return logins


def _point(geometry: bytes | None, rng: random.Random) -> tuple[float, float] | None:
    if geometry is None:
        return None
    shape = wkb.loads(geometry)
    minx, miny, maxx, maxy = shape.bounds
    for _ in range(50):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if shape.contains(p):
            return p.x, p.y
    centre = shape.representative_point()
    return centre.x, centre.y


def _sim_user(session: Session, unit_id: int) -> User | None:
    return session.scalar(
        select(User).where(User.unit_id == unit_id, User.active, is_simulated()).order_by(User.id).limit(1)
    )


def _perform(
    services: Services, session: Session, user: User, task: Task, action: str, payload: dict[str, Any]
) -> None:
    services.tasks.perform(session, Actor.of(user), scope_of(session, user), task, action, payload)


def setup_command_demo(services: Services, *, seed: int, findings: int = 24, disputes: int = 16) -> CommandDemo:
    """Mediators, findings and disputes: some rectified or resolved (this year and last), the rest under way."""
    rng = random.Random(seed * 31 + 5)
    demo = CommandDemo()
    now = services.clock.now()
    with services.db.session() as session:
        units = {u.code: u for u in session.scalars(select(Unit))}
        towns = list(
            session.scalars(select(Area).where(Area.kind == AreaKind.STATION, Area.active).order_by(Area.code))
        )
        stations = {u.area_id: u for u in units.values() if u.kind is UnitKind.STATION}
        centre = session.scalar(
            select(User).where(User.role == Role.COMMANDER, is_simulated()).order_by(User.id).limit(1)
        )
        if centre is None:
            return demo
        admin = Actor.of(centre)  # the centre's simulated commander records what the demo starts with
        rooms: dict[int, int] = {}
        for i, town in enumerate(towns):
            station = stations.get(town.id)
            if station is None:
                continue
            name = (
                "刘大姐工作室"
                if station.name.startswith("丹西")
                else f"{station.name.removesuffix('派出所')}综合调解室"
            )
            note = "返聘退休女民警，专门调解疑难杂症" if name == "刘大姐工作室" else "派出所综合调解室"
            mediator = services.disputes.add_mediator(
                session, admin, MediatorCreate(name=name, kind=MediatorKind.ROOM, unit_id=station.id, note=note)
            )
            rooms[town.id] = mediator.id
            street = units.get(f"gov-{town.code}")
            if street is not None and i % 3 == 0:
                services.disputes.add_mediator(
                    session,
                    admin,
                    MediatorCreate(name=f"{street.name}人民调解员", kind=MediatorKind.STREET, unit_id=street.id),
                )
        made: list[tuple[Danger, int]] = []
        for n in range(findings):
            town = towns[n % len(towns)]
            kind = (DangerKind.TRAFFIC, DangerKind.FIRE_LANE, DangerKind.RENTAL_HOUSING)[n % 3]
            street = units.get(f"gov-{town.code}")
            if kind is DangerKind.TRAFFIC:
                lead, cos = units["dept-jiaotong"], [units["dept-zhujian"]]
                title = rng.choice(TRAFFIC)
            elif kind is DangerKind.FIRE_LANE:
                lead, cos = units["dept-zhujian"], [units["dept-xiaofang"], units["dept-jiaotong"]]
                title = rng.choice(FIRE_LANES)
            else:
                lead, cos = (street or units["dept-zhujian"]), [units["dept-xiaofang"]]
                title = rng.choice(RENTALS)
            point = _point(town.geometry, rng)
            body = DangerCreate(
                kind=kind,
                title=title.format(n=n + 1),
                place=f"{town.name}{title.format(n=n + 1)[:6]}",
                description="排查发现，现场拍照取证",
                plan="一个问题一个整改方案：先易后难、先急后缓、少钱快整",
                lon=point[0] if point else None,
                lat=point[1] if point else None,
                area_id=None if point else town.id,
                lead_unit_id=lead.id,
                co_departments=[CoDepartment(unit_id=c.id, duty="配合整改") for c in cos],
                budget_yuan=rng.choice([None, 20000, 80000, 350000]),
                source_id=f"demo-danger-{n + 1}",
            )
            danger = services.dangers.create(session, None, COUNTY, body)
            services.dangers.add_photos(
                session, admin, COUNTY, danger, PhotoStage.BEFORE, [("before.png", "image/png", BEFORE_PHOTO)]
            )
            made.append((danger, n))
        session.flush()
        # Half of them were rectified and accepted earlier (a few of those last year, for 同比).
        for danger, n in made:
            if n % 2:
                continue
            _rectify(services, session, danger, stations)
            days = rng.randint(20, 200) if n % 6 else rng.randint(370, 500)
            _backdate_danger(session, danger, now, days, rng)
        demo.dangers = len(made)
        for n in range(disputes):
            town = towns[(n * 5) % len(towns)]
            station = stations.get(town.id)
            if station is None:
                continue
            category, title = DISPUTES[n % len(DISPUTES)]
            point = _point(town.geometry, rng)
            parties = [
                Party(
                    name=rng.choice(SURNAMES) + "某" + rng.choice("明华强丽芳军"),
                    phone=f"1390575{rng.randint(0, 9999):04d}",
                ),
                Party(name=rng.choice(SURNAMES) + "某" + rng.choice("明华强丽芳军"), role="respondent"),
            ]
            complaint = DisputeCreate(
                category=category,
                title=title,
                place=town.name,
                lon=point[0] if point else None,
                lat=point[1] if point else None,
                area_id=None if point else town.id,
                parties=parties,
                mediator_id=rooms.get(town.id),
                source_id=f"demo-dispute-{n + 1}",
            )
            dispute = services.disputes.create(session, admin, COUNTY, complaint)
            if n % 3 != 2:
                _resolve(services, session, dispute, station, rng)
                _backdate_dispute(session, dispute, now, rng.randint(10, 200) if n % 4 else rng.randint(370, 450))
            demo.disputes += 1
    return demo


def _rectify(services: Services, session: Session, danger: Danger, stations: dict[int | None, Unit]) -> None:
    """Every department signs and reports, the lead submits with after-photos, the station accepts."""
    parts = session.scalars(
        select(Task).where(Task.ref_type == "danger", Task.ref_id == danger.id).order_by(Task.id)
    ).all()
    main = next(t for t in parts if t.kind == DANGER_KIND)
    for part in (t for t in parts if t.kind == PART_KIND):
        user = _sim_user(session, part.unit_id or 0)
        if user is None:
            return
        _perform(services, session, user, part, "sign", {})
        _perform(services, session, user, part, "report", {"summary": "已按分工完成整改"})
    lead = _sim_user(session, main.unit_id or 0)
    station = stations.get(danger.area_id)
    police = _sim_user(session, station.id) if station is not None else None
    if lead is None or police is None:
        return
    _perform(services, session, lead, main, "sign", {})
    services.dangers.add_photos(
        session, Actor.of(lead), COUNTY, danger, PhotoStage.AFTER, [("after.png", "image/png", AFTER_PHOTO)]
    )
    _perform(services, session, lead, main, "submit", {"summary": "整改完成，提请验收"})
    _perform(services, session, police, main, "accept", {"opinion": "现场验收合格"})


def _backdate_danger(session: Session, danger: Danger, now: datetime, days: int, rng: random.Random) -> None:
    """The demo's history: a finding rectified `days` ago (found some weeks before that)."""
    rectified = now - timedelta(days=days)
    found = rectified - timedelta(days=rng.randint(10, 60))
    session.flush()
    session.execute(
        update(Danger)
        .where(Danger.id == danger.id)
        .values(
            found_at=found,
            rectified_at=rectified,
            closed_at=rectified,
            submitted_at=rectified,
            due_at=found + timedelta(days=60),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Task)
        .where(Task.ref_type == "danger", Task.ref_id == danger.id)
        .values(created_at=found, closed_at=rectified, updated_at=rectified)
        .execution_options(synchronize_session=False)
    )


def _resolve(services: Services, session: Session, dispute: Dispute, station: Unit, rng: random.Random) -> None:
    task = session.get(Task, dispute.task_id)
    user = _sim_user(session, dispute.unit_id) or _sim_user(session, station.id)
    if task is None or user is None:
        return
    _perform(
        services,
        session,
        user,
        task,
        "session",
        {"place": "派出所综合调解室", "summary": "听取双方陈述，晓之以理、动之以情"},
    )
    if rng.random() < 0.15:
        _perform(
            services, session, user, task, "fail", {"reason": "双方分歧较大，引导通过诉讼解决", "referral": "court"}
        )
        return
    _perform(
        services,
        session,
        user,
        task,
        "agree",
        {"terms": "双方达成和解，一方适当经济赔偿", "compensation_yuan": rng.choice([500, 1000, 2000, 5000])},
    )
    _perform(services, session, user, task, "follow_up", {"stable": True, "summary": "回访双方，协议已履行，矛盾化解"})


def _backdate_dispute(session: Session, dispute: Dispute, now: datetime, days: int) -> None:
    done = now - timedelta(days=days)
    session.flush()
    values: dict[str, Any] = {"received_at": done - timedelta(days=7), "closed_at": done}
    if dispute.state.value == "resolved":
        values.update(resolved_at=done, agreed_at=done - timedelta(days=5))
    session.execute(
        update(Dispute).where(Dispute.id == dispute.id).values(**values).execution_options(synchronize_session=False)
    )
    session.execute(
        update(Task)
        .where(Task.id == dispute.task_id)
        .values(created_at=done - timedelta(days=7), closed_at=done, updated_at=done)
        .execution_options(synchronize_session=False)
    )


class CommandSimulation:
    """Moves the open findings and disputes on, as the departments' and stations' simulated staff."""

    def __init__(self, services: Services, *, seed: int = 7, speed: float = 1.0) -> None:
        self.services = services
        self.rng = random.Random(seed * 17 + 3)
        self.speed = speed
        self._next: dict[int, datetime] = {}
        self._sim_ids: set[int] = set()

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(3.0):
            try:
                self.step()
            except Exception:
                log.exception("command simulation step failed")

    def _due(self, task: Task, now: datetime) -> bool:
        at = self._next.get(task.id)
        if at is None:
            self._next[task.id] = now + timedelta(seconds=self.rng.uniform(15, 90) / self.speed)
            return False
        return at <= now

    def step(self) -> int:
        now = self.services.clock.now()
        moves = 0
        # One writer at a time on SQLite: the simulation queues for the lock as the intake does, rather
        # than outwait SQLite's busy timeout while the feeds write.
        with self.services.db.write_lock, self.services.db.session() as session:
            if not self._sim_ids:
                self._sim_ids = set(session.scalars(select(User.id).where(is_simulated())))
            tasks = session.scalars(
                select(Task)
                .where(Task.kind.in_([DANGER_KIND, PART_KIND, DISPUTE_KIND]), Task.closed_at.is_(None))
                .order_by(Task.id)
            ).all()
            for task in tasks:
                if task.assignee_id is not None and task.assignee_id not in self._sim_ids:
                    continue  # a person holds it: theirs to work
                if not self._due(task, now):
                    continue
                try:
                    with session.begin_nested():
                        moved = self._move(session, task)
                except PinganError as exc:
                    log.debug("simulated move on task %s refused: %s", task.id, exc.message)
                    moved = False
                if moved:
                    moves += 1
                self._next[task.id] = now + timedelta(seconds=self.rng.uniform(20, 120) / self.speed)
        return moves

    def _move(self, session: Session, task: Task) -> bool:
        if task.kind == PART_KIND:
            user = _sim_user(session, task.unit_id or 0)
            if user is None:
                return False
            if task.status == PartStatus.ISSUED:
                _perform(self.services, session, user, task, "sign", {})
            else:
                _perform(self.services, session, user, task, "report", {"summary": "本部门已按分工完成整改"})
            return True
        if task.kind == DANGER_KIND:
            danger = session.get(Danger, task.ref_id)
            if danger is None:
                return False
            if task.status == DangerStatus.ISSUED:
                user = _sim_user(session, task.unit_id or 0)
                if user is None:
                    return False
                _perform(self.services, session, user, task, "sign", {})
                return True
            if task.status == DangerStatus.RECTIFYING:
                user = _sim_user(session, task.unit_id or 0)
                if user is None or (task.facts or {}).get("parts_open"):
                    return False
                if danger.state is DangerState.RECTIFYING:
                    self.services.dangers.add_photos(
                        session,
                        Actor.of(user),
                        COUNTY,
                        danger,
                        PhotoStage.AFTER,
                        [("after.png", "image/png", AFTER_PHOTO)],
                    )
                _perform(self.services, session, user, task, "submit", {"summary": "整改完成，提请现场验收"})
                return True
            if task.status == DangerStatus.SUBMITTED:
                station = session.scalar(
                    select(Unit.id).where(Unit.kind == UnitKind.STATION, Unit.area_id == task.area_id)
                )
                police = _sim_user(session, station) if station is not None else None
                if police is None:
                    return False
                if self.rng.random() < 0.2:
                    _perform(
                        self.services, session, police, task, "reject", {"reason": "隔离设施不完整，请补齐", "days": 7}
                    )
                else:
                    _perform(self.services, session, police, task, "accept", {"opinion": "现场验收合格"})
                return True
            return False
        user = _sim_user(session, task.unit_id or 0)
        if user is None:
            return False
        if task.status in (DisputeStatus.ISSUED,) or (
            task.status == DisputeStatus.MEDIATING and self.rng.random() < 0.4
        ):
            _perform(
                self.services,
                session,
                user,
                task,
                "session",
                {"place": "综合调解室", "summary": "继续调解，双方情绪平稳"},
            )
        elif task.status == DisputeStatus.MEDIATING:
            _perform(self.services, session, user, task, "agree", {"terms": "双方达成和解"})
        elif task.status == DisputeStatus.AGREED:
            _perform(
                self.services, session, user, task, "follow_up", {"stable": self.rng.random() < 0.85, "summary": "回访"}
            )
        else:
            return False
        return True


def demo_rules_file(folder: Path, year: int) -> Path:
    """The demo county's rules file: the year's hidden-danger targets, as 象山 set them (312 traffic danger
    points; the rental homes it rectified), written beside the demo's database."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo-rules.toml"
    path.write_text(
        f"# Written by `pingan demo`: the demo county's own rules.\n[dangers.targets.{year}]\n"
        "traffic = 312\nfire_lane = 40\nrental_housing = 1616\n",
        encoding="utf-8",
    )
    return path
