"""The citizen desk in the demo: what it needs set up, and simulated residents and staff working it.

`setup_desk_demo` adds, to a county that has its stations, communities and station staff, the units
the desk routes to (specialties, the county governance centre, a 综治中心 per town and a 平安前哨
station in some villages), their staff, community officers' cards, demo resident accounts and push
templates. `DeskSimulation` then keeps the loop moving: residents post requests of every category
(with a place in the county and now and then a photo made in memory), the 情指中心 triages, officers
sign, reply and close, governance departments answer what was diverted to them, residents rate, and
a fraud warning is pushed now and then. Every step goes through the desk's services, as a user would.
"""

from __future__ import annotations

import logging
import random
import struct
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shapely import wkb
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.bootstrap import Services
from pingan.core.errors import PinganError
from pingan.core.geo import CRS
from pingan.core.identity import Actor, create_user
from pingan.core.models import COUNTY_WIDE_ROLES, Area, AreaKind, Role, Unit, UnitKind, User
from pingan.core.tasks import WorkflowError
from pingan.demo.county import random_points_in
from pingan.demo.simulated import SIM_MARK, SIM_RESIDENT_PHONE_PREFIX, is_simulated
from pingan.desk.media import Upload
from pingan.desk.models import DeskOfficer, DeskPushTemplate, DeskRequest, DeskResident, DeskStatus
from pingan.desk.residents import create_resident
from pingan.desk.rules.kinds import SPECIALTY_NAMES, Category, PushKind, Route, Specialty, Topic
from pingan.desk.schemas import DeskRequestCreate, PushCreate
from pingan.desk.setup import ensure_desk_units

log = logging.getLogger(__name__)

DEMO_PASSWORD = "pingan2026"  # noqa: S105 - the demo's published password (as in pingan.demo.run)
RESIDENT_PHONE_PREFIX = "1390574"
"""Demo residents' phones are 1390574xxxx: sign in with one of them and read the code in the log. They are the
user's: the simulation posts from its own range (`pingan.demo.simulated.SIM_RESIDENT_PHONE_PREFIX`)."""

SPECIALTY_LOGINS = {
    Specialty.PUBLIC_ORDER: ("zhian", "王治安"),
    Specialty.LEGAL: ("fazhi", "陈法制"),
    Specialty.TRAFFIC: ("jiaojing", "李交警"),
    Specialty.EXIT_ENTRY: ("churujing", "赵出入境"),
}
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"
_STREETS = ("中街", "东河路", "丹峰路", "海景路", "新华路", "靖南路", "石浦大道", "渔港路", "天安路", "建设路")


# -- set-up --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskLogin:
    username: str
    role: Role
    name: str


@dataclass(frozen=True)
class DemoResident:
    user_id: int
    phone: str
    station_id: int
    community_id: int
    lon: float
    lat: float


@dataclass
class DeskDemo:
    logins: list[DeskLogin] = field(default_factory=list)
    residents: list[DemoResident] = field(default_factory=list)
    simulated_residents: list[DemoResident] = field(default_factory=list)
    governance_units: dict[int, int] = field(default_factory=dict)
    """Area id (a station or a village) → its governance unit."""


def _slug(session: Session, station: Unit) -> str:
    """The station's login prefix, read from its head's username (``dandong_sz`` → ``dandong``)."""
    head = session.scalar(
        select(User.username)
        .where(User.unit_id == station.id, User.role == Role.STATION_HEAD, User.username.like("%_sz"))
        .order_by(User.id)
        .limit(1)
    )
    return head.removesuffix("_sz") if head else station.code.replace("-", "_")


def _unit(session: Session, code: str, name: str, kind: UnitKind, area_id: int | None) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code, name=name, kind=kind, area_id=area_id)
        session.add(unit)
        session.flush()
    return unit


def setup_desk_demo(
    services: Services,
    session: Session,
    rng: random.Random,
    *,
    residents: int = 40,
    simulated_residents: int = 40,
) -> DeskDemo:
    """Everything the desk demo needs on top of a county with stations, communities and station staff.

    Idempotent for units, staff and cards (existing ones are kept); residents are added once: `residents`
    for the user to sign in as (1390574xxxx), `simulated_residents` for the simulation (1390575xxxx).
    """
    now = services.clock.now()
    demo = DeskDemo()
    ids = ensure_desk_units(session)

    def login(username: str, role: Role, name: str, unit_id: int | None) -> User:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = create_user(session, username, DEMO_PASSWORD, role=role, display_name=name, unit_id=unit_id, now=now)
        demo.logins.append(DeskLogin(username, role, name))
        return user

    for specialty, (username, person) in SPECIALTY_LOGINS.items():
        login(username, Role.OFFICER, f"{SPECIALTY_NAMES[specialty]} {person}", ids[specialty.unit_code])
    login("zhili", Role.GOVERNANCE, "县社会治理中心 周协调", ids["governance-county"])

    areas = {a.id: a for a in session.scalars(select(Area).where(Area.active))}
    stations = list(
        session.scalars(select(Unit).where(Unit.kind == UnitKind.STATION, Unit.area_id.is_not(None)).order_by(Unit.id))
    )
    by_town: list[list[tuple[Area, BaseGeometry]]] = []
    for station in stations:
        assert station.area_id is not None
        town = areas.get(station.area_id)
        if town is None:
            continue
        slug = _slug(session, station)
        short = town.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        centre = _unit(session, f"gov-{town.code}", f"{short}综治中心", UnitKind.GOVERNANCE, town.id)
        demo.governance_units[town.id] = centre.id
        login(f"{slug}_zz", Role.GOVERNANCE, f"{centre.name} {rng.choice(_SURNAMES)}网格长", centre.id)
        communities = sorted((a for a in areas.values() if a.parent_id == town.id), key=lambda a: a.code)
        villages = [c for c in communities if c.name.endswith("村")]
        if villages:
            village = villages[0]
            post = _unit(
                session, f"gov-{village.code}", f"{short}{village.name}平安前哨工作站", UnitKind.GOVERNANCE, village.id
            )
            demo.governance_units[village.id] = post.id
            login(f"{slug}_sq", Role.GOVERNANCE, f"{post.name} {rng.choice(_SURNAMES)}站长", post.id)
        _officer_cards(session, station, town, communities, rng, now)
        # The village with the 平安前哨 station first, so that the town's first residents live under it and
        # the next ones under the town's 综治中心: each routing target has people to send it work.
        first = villages[:1]
        shapes = [(c, wkb.loads(c.geometry)) for c in first + [c for c in communities if c not in first] if c.geometry]
        if shapes:
            by_town.append(shapes)
    # Residents are spread over every town (round robin), not heaped in the first towns' communities.
    village_shapes = [
        town[i] for i in range(max((len(t) for t in by_town), default=0)) for town in by_town if i < len(town)
    ]
    _templates(session, now)
    demo.residents = _residents(session, village_shapes, areas, residents, rng, now)
    demo.simulated_residents = _residents(
        session, village_shapes, areas, simulated_residents, rng, now, prefix=SIM_RESIDENT_PHONE_PREFIX
    )
    session.flush()
    services.desk.places.invalidate()
    services.desk.requests.directory.invalidate()
    return demo


def _officer_cards(
    session: Session, station: Unit, town: Area, communities: list[Area], rng: random.Random, now: datetime
) -> None:
    """The station's officers become community officers: the first of its communities for one, the
    station's whole area (the fallback for its other communities) for the next."""
    officers = list(
        session.scalars(
            select(User).where(User.unit_id == station.id, User.role == Role.OFFICER, User.active).order_by(User.id)
        )
    )
    officers.sort(key=lambda u: 0 if "社区民警" in u.display_name else 1)
    patches = [*communities[:1], town]
    for user, area in zip(officers, patches, strict=False):
        if session.scalar(select(DeskOfficer.id).where(DeskOfficer.user_id == user.id)) is not None:
            continue
        session.add(
            DeskOfficer(
                user_id=user.id,
                area_id=area.id,
                hours="工作日 08:30-17:30，紧急情况请拨打110",
                contact_phone=f"0574-65{rng.randint(100000, 999999)}",
                office=f"{area.name}警务室",
                intro=f"负责{area.name}的社区警务：户籍咨询、矛盾调解、防范宣传，有事请留言。",
                active=True,
                updated_at=now,
            )
        )
    if station.phone is None:
        station.phone = f"0574-6{rng.randint(5000000, 5999999)}"


def _templates(session: Session, now: datetime) -> None:
    for code, kind, title, body in (
        (
            "fraud-refund",
            PushKind.FRAUD,
            "警惕“退款理赔”诈骗",
            "近期{area}多发冒充电商客服以“退款理赔”为由的诈骗：客服不会让您下载会议软件或共享屏幕。如有疑问请拨打96110。",
        ),
        (
            "typhoon",
            PushKind.DISASTER,
            "台风预警",
            "{date}起台风将影响我县，请{area}居民关好门窗、远离海边，渔船回港避风。",
        ),
        ("traffic-safety", PushKind.TRAFFIC, "骑电动车请戴头盔", "一盔一带，安全常在。{area}交警提醒您出行注意安全。"),
    ):
        if session.scalar(select(DeskPushTemplate.id).where(DeskPushTemplate.code == code)) is None:
            session.add(
                DeskPushTemplate(
                    code=code, kind=kind, title=title, body=body, active=True, created_at=now, updated_at=now
                )
            )


def _residents(
    session: Session,
    shapes: list[tuple[Area, BaseGeometry]],
    areas: dict[int, Area],
    n: int,
    rng: random.Random,
    now: datetime,
    *,
    prefix: str = RESIDENT_PHONE_PREFIX,
) -> list[DemoResident]:
    out: list[DemoResident] = []
    if not shapes:
        return out
    for i in range(n):
        phone = f"{prefix}{i:04d}"
        existing = session.scalar(select(DeskResident).where(DeskResident.phone == phone))
        if existing is not None:
            if existing.station_id and existing.community_id and existing.lon is not None and existing.lat is not None:
                out.append(
                    DemoResident(
                        existing.user_id, phone, existing.station_id, existing.community_id, existing.lon, existing.lat
                    )
                )
            continue
        community, shape = shapes[i % len(shapes)]
        assert community.parent_id is not None
        ((lon, lat),) = random_points_in(shape, 1, rng)
        user = create_resident(session, phone, now)
        if prefix != RESIDENT_PHONE_PREFIX:
            user.display_name = f"{SIM_MARK}{user.display_name}"
        town = areas[community.parent_id].name
        session.add(
            DeskResident(
                user_id=user.id,
                phone=phone,
                person_id=None,
                address=f"{town}{community.name}{rng.choice(_STREETS)}{rng.randint(1, 200)}号",
                lon=lon,
                lat=lat,
                station_id=community.parent_id,
                community_id=community.id,
                tags=["elderly"] if rng.random() < 0.2 else [],
                registered_at=now,
                updated_at=now,
            )
        )
        out.append(DemoResident(user.id, phone, community.parent_id, community.id, lon, lat))
    return out


# -- photos made in memory -----------------------------------------------------------------------


def png_bytes(width: int, height: int, pixel: Any) -> bytes:
    """An RGB PNG of `pixel(x, y) -> (r, g, b)`, written with zlib (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            r, g, b = pixel(x, y)
            rows.extend((r & 255, g & 255, b & 255))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
        + chunk(b"IEND", b"")
    )


def make_photo(rng: random.Random, width: int = 96, height: int = 72) -> bytes:
    """A little picture (sky, ground and a blob) that differs every time: a stand-in for a phone photo."""
    sky = (rng.randint(120, 200), rng.randint(170, 220), 255)
    ground = (rng.randint(60, 140), rng.randint(90, 150), rng.randint(40, 90))
    cx, cy, radius = rng.randint(20, width - 20), rng.randint(height // 3, height - 15), rng.randint(6, 14)
    blob = (rng.randint(150, 255), rng.randint(0, 80), rng.randint(0, 80))
    horizon = height // 2 + rng.randint(-8, 8)

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        if (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius:
            return blob
        return sky if y < horizon else ground

    return png_bytes(width, height, pixel)


# -- what residents write ------------------------------------------------------------------------

_TEXTS: dict[tuple[Category, Topic | None], tuple[str, ...]] = {
    (Category.CONSULTATION, Topic.HOUSEHOLD): (
        "孩子刚出生，户口怎么上？需要带哪些材料？",
        "身份证丢了，补办要多久？可以异地补办吗？",
        "老人去世后户口注销需要什么手续？",
    ),
    (Category.CONSULTATION, Topic.EXIT_ENTRY): (
        "港澳通行证过期了，续签可以在网上办吗？",
        "护照办理需要预约吗？周末能办吗？",
    ),
    (Category.CONSULTATION, Topic.TRAFFIC): (
        "驾驶证快到期了，换证需要体检吗？",
        "电动车上牌需要带什么？",
    ),
    (Category.CONSULTATION, Topic.LEGAL): (
        "邻居借钱不还，打了欠条，应该怎么办？",
        "被网购商家骗了两百块，可以报警吗？",
    ),
    (Category.CONSULTATION, Topic.GOVERNMENT): (
        "居住证怎么办理？租房的可以办吗？",
        "想开一家小旅馆，特种行业许可证怎么办？",
        "公司要刻公章，需要到派出所备案吗？",
    ),
    (Category.FRAUD, None): (
        "接到自称快递客服的电话，说包裹丢了要理赔，让我下载一个会议软件，是不是诈骗？",
        "有人加我微信说刷单返利，先给了我20元佣金，现在让我垫付3000元。",
        "收到短信说我的医保卡被冻结，让点链接解冻。",
        "自称公安局的人打电话说我涉嫌洗钱，要我把钱转到安全账户。",
    ),
    (Category.HAZARD, Topic.TRAFFIC): (
        "路口红绿灯坏了两天了，早晚高峰很危险。",
        "学校门口的斑马线看不清了，能不能重新画一下？",
    ),
    (Category.HAZARD, None): (
        "小区消防通道被电动车和杂物堵住了。",
        "楼道里有人给电动车充电，拉了很长的电线。",
        "河边的护栏断了一截，晚上看不见，怕有人掉下去。",
    ),
    (Category.DISPUTE, None): (
        "楼上装修漏水到我家，协商不成。",
        "和邻居因为停车位吵了起来，希望有人来调解。",
        "物业乱收费，业主和物业闹得很僵。",
    ),
    (Category.NUISANCE, Topic.DOG): (
        "隔壁的狗天天晚上叫，吵得睡不着。",
        "小区里有人遛狗不牵绳，孩子被吓哭了。",
        "楼下的大狗没拴好，已经追过好几个路人。",
    ),
    (Category.NUISANCE, Topic.NOISE): (
        "楼下的饭店油烟机噪音一直到半夜。",
        "广场舞音响太大声，晚上九点多还在跳。",
        "工地夜里还在施工，噪音很大。",
    ),
    (Category.EMERGENCY, None): (
        "家里老人走失了，穿蓝色外套，早上出门一直没回来！",
        "看到有人在河边落水，正在呼救！",
    ),
}
_WEIGHTS = (
    ((Category.CONSULTATION, Topic.HOUSEHOLD), 10),
    ((Category.CONSULTATION, Topic.EXIT_ENTRY), 5),
    ((Category.CONSULTATION, Topic.TRAFFIC), 4),
    ((Category.CONSULTATION, Topic.LEGAL), 4),
    ((Category.CONSULTATION, Topic.GOVERNMENT), 3),
    ((Category.FRAUD, None), 10),
    ((Category.HAZARD, Topic.TRAFFIC), 4),
    ((Category.HAZARD, None), 7),
    ((Category.DISPUTE, None), 7),
    ((Category.NUISANCE, Topic.DOG), 8),
    ((Category.NUISANCE, Topic.NOISE), 8),
    ((Category.EMERGENCY, None), 2),
)
_REPLIES: dict[Category, tuple[str, ...]] = {
    Category.CONSULTATION: (
        "您好，请携带身份证、户口本到派出所户籍窗口办理，工作日8:30-17:30，材料齐全可当场受理。",
        "您好，可通过“浙里办”预约后到窗口办理，如有疑问可拨打派出所电话。",
    ),
    Category.FRAUD: (
        "您好，这是典型的诈骗手法，请不要转账、不要点链接、不要下载陌生软件。社区民警稍后会电话联系您。",
        "已核实为诈骗，已将相关号码报反诈中心处理。如已转账请立即拨打110。",
    ),
    Category.HAZARD: (
        "已安排民警到现场查看，联系相关单位整改，整改情况会在此告知。",
        "民警已到现场核实，已通知责任单位于三日内整改完毕。",
    ),
    Category.DISPUTE: ("已联系双方，约定明天上午在社区调解室调解。",),
    Category.NUISANCE: ("已安排网格员上门劝导，并告知相关规定，请您留意后续情况。",),
    Category.EMERGENCY: ("民警已到达现场处置，请保持电话畅通。",),
}
_GOVERNANCE_REPLIES = (
    "网格员已上门劝导，对方表示会整改，我们将持续跟踪。",
    "已联合社区、物业现场处理，问题已解决。",
    "已组织双方调解，达成一致意见。",
)


# -- the simulation ------------------------------------------------------------------------------


@dataclass
class _Plan:
    rng: random.Random
    next_at: datetime
    slow: bool


class DeskSimulation:
    """Simulated residents and staff on the desk. `step()` makes the moves that are due; `run()` loops."""

    def __init__(
        self,
        services: Services,
        seed: int = 7,
        *,
        speed: float = 1.0,
        posts_per_minute: float = 3.0,
        staff: bool = True,
        residents: bool = True,
    ) -> None:
        self.services = services
        self.simulate_staff = staff
        self.simulate_residents = residents
        self.seed = seed
        self.speed = speed
        self.posts_per_minute = posts_per_minute
        self.rng = random.Random(seed)
        self._plans: dict[int, _Plan] = {}
        self._staff: dict[int, list[Actor]] = {}
        self._commander: Actor | None = None
        self._residents: list[tuple[int, float | None, float | None]] = []
        self._places: dict[int, tuple[int | None, int | None]] = {}
        """Each simulated resident's (station, community)."""
        self._coverage: list[tuple[Category, Topic | None, int | None]] | None = None
        """Posts still owed so that every routing target gets work early: (category, topic, resident)."""
        self._demo_ids: set[int] = set()
        self._sim_staff_ids: set[int] = set()
        self._owed = 0.0
        self._last: datetime | None = None
        self._next_push: datetime | None = None

    # -- who is who --------------------------------------------------------------------------------

    def _load(self, session: Session) -> None:
        if self._staff and self._residents:
            return
        self._staff.clear()
        for user_id, role, unit_id in session.execute(
            select(User.id, User.role, User.unit_id).where(
                User.active, User.role.in_([Role.OFFICER, Role.STATION_HEAD, Role.GOVERNANCE]), is_simulated()
            )
        ):
            if unit_id is not None:
                self._staff.setdefault(unit_id, []).append(Actor(user_id, role, unit_id))
                self._sim_staff_ids.add(user_id)
        commander = session.execute(
            select(User.id, User.unit_id)
            .where(User.role == Role.COMMANDER, User.active, is_simulated())
            .order_by(User.id)
            .limit(1)
        ).first()
        self._commander = Actor(commander[0], Role.COMMANDER, commander[1]) if commander else None
        rows = session.execute(
            select(
                DeskResident.user_id,
                DeskResident.lon,
                DeskResident.lat,
                DeskResident.station_id,
                DeskResident.community_id,
            ).where(DeskResident.phone.startswith(SIM_RESIDENT_PHONE_PREFIX))
        ).all()
        self._residents = [(uid, lon, lat) for uid, lon, lat, _station, _community in rows]
        self._places = {uid: (station, community) for uid, _lon, _lat, station, community in rows}
        self._demo_ids = {uid for uid, _lon, _lat in self._residents}
        if self._coverage is None and self._residents:
            self._coverage = self._plan_coverage(session)

    def _plan_coverage(self, session: Session) -> list[tuple[Category, Topic | None, int | None]]:
        """The first posts: one of every kind of request the county routes somewhere of its own (each
        specialty through the 情指中心, the community officer, the station), then a non-police matter from
        under every governance unit with a place (each 平安前哨 station, each town's 综治中心); emergencies stay
        rare. Without this, a rare kind or a town's centre could wait for an hour of demo before its first."""
        rng = random.Random(self.seed * 7 + 1)
        residents = [uid for uid, lon, lat in self._residents if lon is not None and lat is not None]
        if not residents:
            return []
        plan: list[tuple[Category, Topic | None, int | None]] = []
        kinds = [k for k, _w in _WEIGHTS if k[0] not in (Category.EMERGENCY, Category.NUISANCE, Category.DISPUTE)]
        rng.shuffle(kinds)
        plan.extend((cat, topic, rng.choice(residents)) for cat, topic in kinds)
        posts: set[int] = {
            area_id
            for (area_id,) in session.execute(
                select(Unit.area_id).where(Unit.kind == UnitKind.GOVERNANCE, Unit.area_id.is_not(None))
            )
            if area_id is not None
        }
        matters = [k for k, _w in _WEIGHTS if k[0] in (Category.NUISANCE, Category.DISPUTE)]
        for area_id in sorted(posts):
            # Under a 前哨 station: a resident of that community; under a town's centre: one of the town who
            # lives in a community without a station of its own.
            under = [
                uid
                for uid in residents
                if self._places[uid][1] == area_id
                or (self._places[uid][0] == area_id and self._places[uid][1] not in posts)
            ]
            if under:
                cat, topic = rng.choice(matters)
                plan.append((cat, topic, rng.choice(under)))
        return plan

    def _delay(self, plan: _Plan, lo: float, hi: float) -> timedelta:
        return timedelta(seconds=plan.rng.uniform(lo, hi) / self.speed)

    def _plan(self, request_id: int, now: datetime) -> _Plan:
        plan = self._plans.get(request_id)
        if plan is None:
            rng = random.Random(self.seed * 1_000_003 + request_id)
            slow = rng.random() < 0.1
            first = rng.uniform(40 * 60, 50 * 60) if slow else rng.uniform(8, 60)
            plan = _Plan(rng, now + timedelta(seconds=first / self.speed), slow)
            self._plans[request_id] = plan
        return plan

    # -- the loop ----------------------------------------------------------------------------------

    def step(self) -> int:
        """Post what is owed, move every request whose next move is due, rate, push; returns the moves made."""
        now = self.services.clock.now()
        with self.services.db.session() as session:
            self._load(session)
        moves = 0
        if self.simulate_residents:
            moves += self._post_new(now)
        moves += self._work(now)
        if self.simulate_staff:
            moves += self._push(now)
        return moves

    def run(self, stop: threading.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # the demo keeps going; the error is in the log
                log.exception("simulated desk step failed")
            stop.wait(interval)

    # -- residents ---------------------------------------------------------------------------------

    def _post_new(self, now: datetime) -> int:
        if self._last is None:
            self._last = now
            self._owed = 1.0
        # Twice the pace while the first round (every routing target once) is still owed.
        pace = self.posts_per_minute * (2.0 if self._coverage else 1.0)
        self._owed += (now - self._last).total_seconds() / 60.0 * pace
        self._last = now
        posted = 0
        while self._owed >= 1.0 and self._residents:
            self._owed -= 1.0
            if self.post_one():
                posted += 1
        return posted

    def post_one(self, category: Category | None = None) -> bool:
        """One simulated resident posts one request (of `category`, else a weighted random one)."""
        rng = self.rng
        if not self._residents:
            with self.services.db.session() as session:
                self._load(session)
        if not self._residents:
            return False
        owed = self._coverage.pop(0) if category is None and self._coverage else None
        if owed is not None:
            cat, topic, chosen = owed
            user_id, home_lon, home_lat = next(r for r in self._residents if r[0] == chosen)
        else:
            user_id, home_lon, home_lat = rng.choice(self._residents)
            kinds = [k for k, _w in _WEIGHTS if category is None or k[0] is category]
            weights = [w for k, w in _WEIGHTS if category is None or k[0] is category]
            cat, topic = rng.choices(kinds, weights)[0]
        text = rng.choice(_TEXTS[(cat, topic)])
        lon = lat = None
        if home_lon is not None and home_lat is not None and (owed is not None or rng.random() < 0.85):
            # At home (a little off it): the first round's posts keep to the resident's own community.
            jitter = 0.0003 if owed is not None else 0.002
            lon, lat = home_lon + rng.uniform(-jitter, jitter), home_lat + rng.uniform(-jitter, jitter)
        uploads = []
        if cat in (Category.HAZARD, Category.NUISANCE, Category.DISPUTE) and rng.random() < 0.35:
            uploads.append(Upload("photo.png", "image/png", make_photo(rng)))
        body = DeskRequestCreate(category=cat, topic=topic, text=text, lon=lon, lat=lat, crs=CRS.WGS84)
        actor = Actor(user_id, Role.RESIDENT, None)
        try:
            self.services.desk.requests.post(actor, body, uploads)
        except PinganError as exc:
            if exc.field == "lon" and lon is not None:  # jittered across the county's edge: post without the point
                try:
                    self.services.desk.requests.post(actor, body.model_copy(update={"lon": None, "lat": None}), uploads)
                    return True
                except PinganError as again:
                    exc = again
            log.debug("simulated post refused: %s", exc.message)
            return False
        return True

    # -- staff -------------------------------------------------------------------------------------

    def _work(self, now: datetime) -> int:
        with self.services.db.session() as session:
            rows = session.execute(
                select(
                    DeskRequest.id,
                    DeskRequest.category,
                    DeskRequest.route,
                    DeskRequest.unit_id,
                    DeskRequest.suggested_unit_id,
                    DeskRequest.handler_id,
                    DeskRequest.status,
                    DeskRequest.duplicate_of_id,
                    DeskRequest.resident_id,
                    DeskRequest.first_reply_at,
                    DeskRequest.rating,
                    DeskRequest.station_id,
                )
                .where(DeskRequest.is_open.is_(True))
                .order_by(DeskRequest.id)
                .limit(500)
            ).all()
            kinds = {unit_id: kind for unit_id, kind in session.execute(select(Unit.id, Unit.kind))}
            station_units = {
                area_id: unit_id
                for area_id, unit_id in session.execute(
                    select(Unit.area_id, Unit.id).where(Unit.kind == UnitKind.STATION)
                )
                if area_id is not None
            }
            open_ids = {row.id for row in rows}
        moves = 0
        for row in rows:
            # A person who handles a request (an officer signed in, or the card's officer) answers it; the
            # simulation's staff leave it alone, and its residents rate only their own requests.
            staff = self.simulate_staff and (row.handler_id is None or row.handler_id in self._sim_staff_ids)
            resident = (
                self.simulate_residents
                and row.resident_id in self._demo_ids
                and row.first_reply_at is not None
                and now - _aware(row.first_reply_at) >= RATING_AFTER
            )
            if not staff and not resident:
                continue
            plan = self._plan(row.id, now)
            if plan.next_at > now:
                continue
            try:
                if self._move(row, plan, kinds, station_units, open_ids, staff=staff, resident=resident):
                    moves += 1
            except (PinganError, WorkflowError) as exc:
                log.debug("simulated move on desk request %s refused: %s", row.id, exc)
            plan.next_at = now + self._delay(plan, 10, 60)
        for request_id in [r for r in self._plans if r not in open_ids]:
            del self._plans[request_id]
        return moves

    def _actor(self, unit_id: int | None, handler_id: int | None, rng: random.Random) -> Actor | None:
        staff = self._staff.get(unit_id or -1, [])
        for actor in staff:
            if actor.id == handler_id:
                return actor
        if staff:
            return rng.choice(staff)
        return self._commander

    def _move(
        self,
        row: Any,
        plan: _Plan,
        kinds: dict[int, UnitKind],
        station_units: dict[int, int],
        open_ids: set[int],
        *,
        staff: bool = True,
        resident: bool = True,
    ) -> bool:
        desk = self.services.desk.requests
        rng = plan.rng
        kind = kinds.get(row.unit_id) if row.unit_id is not None else None
        category: Category = row.category
        status: DeskStatus = row.status
        if status is DeskStatus.REPLIED and resident and row.rating is None and rng.random() < 0.6:
            # The resident reads the answer (a while after it came) and rates it; most are pleased.
            stars = rng.choices([5, 4, 3, 2], [70, 18, 8, 4])[0]
            desk.rate(Actor(row.resident_id, Role.RESIDENT, None), row.id, stars, "谢谢民警！" if stars >= 4 else None)
            return True
        if not staff:
            return False
        if kind is UnitKind.COMMAND_CENTRE or row.route is Route.TRIAGE:
            commander = self._commander
            if commander is None:
                return False
            if category in (Category.NUISANCE, Category.DISPUTE):
                desk.divert(commander, row.id, "情指中心研判：非警务事项，分流属地治理部门")
            elif row.suggested_unit_id is not None:
                desk.reroute(commander, row.id, row.suggested_unit_id, "情指中心研判：转相关警种答复")
            elif row.station_id in station_units:
                desk.reroute(commander, row.id, station_units[row.station_id], "情指中心研判：交属地派出所")
            else:
                desk.reply(commander, row.id, _pick(rng, _REPLIES[category]))
            return True
        actor = self._actor(row.unit_id, row.handler_id, rng)
        if actor is None:
            return False
        if row.duplicate_of_id is not None and row.duplicate_of_id in open_ids and rng.random() < 0.7:
            desk.merge(actor, row.id, row.duplicate_of_id)
            return True
        governance = kind is UnitKind.GOVERNANCE
        if (
            not governance
            and category is Category.NUISANCE
            and status is DeskStatus.ISSUED
            and actor.role not in COUNTY_WIDE_ROLES
        ):
            desk.divert(actor, row.id, "非警务事项，分流至属地治理部门")
            return True
        if status is DeskStatus.ISSUED:
            desk.sign(actor, row.id)
        elif status is DeskStatus.SIGNED:
            replies = _GOVERNANCE_REPLIES if governance else _REPLIES[category]
            desk.reply(actor, row.id, _pick(rng, replies))
        elif status is DeskStatus.REPLIED:
            if row.resident_id not in self._demo_ids:
                return False  # a real resident (from the E警通 page) reads the answer and rates it themselves
            if row.rating is None and not resident:
                return False  # the simulated resident has not had the time to read it yet
            desk.close(actor, row.id)
        else:
            return False
        return True

    # -- pushes ------------------------------------------------------------------------------------

    def _push(self, now: datetime) -> int:
        if self._next_push is None:
            self._next_push = now + timedelta(minutes=2 / self.speed)
            return 0
        if now < self._next_push or self._commander is None:
            return 0
        self._next_push = now + timedelta(minutes=self.rng.uniform(8, 20) / self.speed)
        with self.services.db.session() as session:
            template = session.scalar(select(DeskPushTemplate.id).where(DeskPushTemplate.code == "fraud-refund"))
            stations = list(session.scalars(select(Area.id).where(Area.kind == AreaKind.STATION, Area.active)))
        if template is None or not stations:
            return 0
        areas = self.rng.sample(stations, min(3, len(stations)))
        try:
            self.services.desk.pushes.send(self._commander, PushCreate(template_id=template, area_ids=areas))
        except PinganError as exc:
            log.debug("simulated push refused: %s", exc.message)
            return 0
        return 1


RATING_AFTER = timedelta(minutes=2)
"""A simulated resident rates an answer no sooner than this after it came (people read before they rate)."""


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _pick(rng: random.Random, options: tuple[str, ...]) -> str:
    return options[rng.randrange(len(options))]
