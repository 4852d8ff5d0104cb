"""`pingan bench desk`: latency of posting a request and of listing requests, with a million stored.

A generated county (18 stations, their communities, officers, governance departments and residents)
is filled with `--stored` requests spread over the past year, each a core task with its history, as
the desk stores them. That seeded database is kept (`--database`) and copied afresh for every run,
so that runs start alike and the seeding is paid once.

Then `--processes` server processes (one per core by default, as `pingan serve --workers N` runs) serve
the app with uvicorn over that file, and as many load processes drive them over loopback HTTP, as
signed-in residents and staff, for `--warmup` seconds (not measured) and then for `--seconds`: residents
post at `--rate` requests per second in all (open loop: each post is due at its own instant and its
latency is measured from that instant, so a stall cannot hide), some with a photo, while staff and
residents list requests at `--list-rate` per second through a mix of filters. A post is the whole route:
authentication, the JSON or multipart body, `DeskService.post` (place, limits, routing, duplicates, task,
notifications, photos, the fraud loop for suspected fraud) and the answer. `--no-http` calls the desk
service in the load processes instead, without a server.

One JSON object goes to stdout (with how busy the machine's cores were: on a shared machine the figures
say as much about the neighbours as about the desk); progress goes to stderr.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import platform
import queue
import random
import resource
import shutil
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import httpx
import numpy as np
import sqlalchemy
import typer
import uvicorn
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from pingan.api.app import create_app
from pingan.api.routes.desk import _posted_public
from pingan.bench.common import percentile, stderr
from pingan.bootstrap import Services, bootstrap
from pingan.core.areas import import_areas
from pingan.core.clock import SystemClock
from pingan.core.db import Base, Database, insert_values_ignoring_duplicates, utc_to_driver
from pingan.core.gcpause import settle_heap
from pingan.core.geo import CRS, wgs84_to_gcj02
from pingan.core.identity import Actor, create_user, issue_token
from pingan.core.models import (
    Area,
    AreaKind,
    Counter,
    Role,
    Task,
    TaskEvent,
    Unit,
    UnitKind,
    User,
)
from pingan.core.scope import Scope
from pingan.core.settings import Settings
from pingan.demo.county import generate_communities, generate_county, random_points_in
from pingan.desk.media import Upload
from pingan.desk.models import DeskOfficer, DeskRequest, DeskResident, DeskStatus, Resolution
from pingan.desk.otp import FakeSmsGateway
from pingan.desk.queries import QueueFilter, resident_list, staff_list
from pingan.desk.residents import resident_username
from pingan.desk.rules.county import DeskRules
from pingan.desk.rules.hours import iso_week
from pingan.desk.rules.kinds import CATEGORY_NAMES, TOPICS_OF, Category, Route, Specialty, Topic
from pingan.desk.rules.similar import content_hash
from pingan.desk.schemas import DeskRequestCreate
from pingan.desk.setup import ensure_desk_units
from pingan.workers.outbox import run_outbox

Progress = Callable[[str], None]
SEED_COUNTER = "desk_bench_seed"
POST_TARGET_MS = 50.0
LIST_TARGET_MS = 100.0

# The lists staff and residents run, in turn: a station's open queue and its filters, the county's views,
# a governance department's queue, a later page, and a resident's own requests.
LIST_KINDS = (
    "station_open",
    "station_category",
    "county_station_category",
    "county_overdue",
    "governance_open",
    "county_closed_week",
    "station_page",
    "resident_mine",
)
CATEGORY_WEIGHTS = {
    Category.CONSULTATION: 0.45,
    Category.NUISANCE: 0.18,
    Category.DISPUTE: 0.10,
    Category.HAZARD: 0.12,
    Category.FRAUD: 0.12,
    Category.EMERGENCY: 0.03,
}
TEXTS = {
    Category.CONSULTATION: (
        "孩子刚出生，上户口需要带哪些材料？",
        "护照快过期了，换发需要预约吗？",
        "驾驶证到期换证在哪里办理？",
        "邻居欠钱不还，可以怎么走法律程序？",
        "居住证办理需要多长时间？",
        "身份证丢了，补办要去哪个窗口？",
    ),
    Category.NUISANCE: (
        "楼下的狗每天晚上一直叫，影响休息",
        "隔壁装修噪音太大，中午也不停",
        "小区里有流浪狗追人，老人小孩害怕",
        "广场舞音响声音太大，晚上十点还在跳",
    ),
    Category.DISPUTE: (
        "和邻居因为停车位发生争执，希望调解",
        "房东不退押金，双方协商不成",
        "店铺和顾客因为退货吵起来了",
    ),
    Category.HAZARD: (
        "路口的红绿灯坏了，车辆很乱",
        "小区消防通道被车堵死了",
        "河边护栏断了，晚上很危险",
        "电动车在楼道里充电，担心起火",
    ),
    Category.FRAUD: (
        "有人打电话自称公安说我涉嫌洗钱，让我转账到安全账户",
        "网上刷单返利，先垫付了两笔钱，现在提不出来",
        "接到电话说快递丢了要理赔，让我下载会议软件",
        "有人冒充领导加微信让我帮忙转账",
    ),
    Category.EMERGENCY: (
        "有人在店门口打架，已经有人受伤",
        "小孩独自在家爬窗户，很危险",
        "家门口有人晕倒了",
    ),
}
_TINY_JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + bytes(2000) + b"\xff\xd9"


@dataclass(frozen=True)
class DeskBenchConfig:
    stored: int = 1_000_000
    rate: float = 200.0
    seconds: float = 30.0
    list_rate: float = 20.0
    residents: int = 20_000
    communities: int = 8
    workers: int = 8
    list_workers: int = 4
    processes: int = 2
    photo_ratio: float = 0.05
    warmup: float = 3.0
    """Seconds of the same load before the measured run (not measured)."""
    http: bool = True
    """Through a real server (uvicorn in each process, driven over loopback HTTP); else the service layer."""
    database: Path | None = None
    fresh: bool = False
    seed: int = 7


def _summary(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    return {
        "p50": _ms(percentile(ordered, 50)),
        "p90": _ms(percentile(ordered, 90)),
        "p99": _ms(percentile(ordered, 99)),
        "max": _ms(ordered[-1] if ordered else None),
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


# -- the county and a year of requests ---------------------------------------------------------------


@dataclass
class _County:
    stations: list[int]
    """Station area ids."""
    station_units: dict[int, int]
    governance_units: dict[int, int]
    specialty_units: dict[Specialty, int]
    command_centre: int
    communities: dict[int, list[int]]
    officers: dict[int, tuple[int, int]]
    """community area id → (officer user id, station unit id)."""
    residents: list[tuple[int, str]]
    points: list[tuple[float, float, int, int | None]]
    """A pool of (lon, lat, station, community) in the county, WGS84."""


def _load_county(session: Session, svc: Services, cfg: DeskBenchConfig, say: Progress) -> _County:
    units = ensure_desk_units(session)
    stations = generate_county(cfg.seed)
    import_areas(session, stations)
    rng = random.Random(cfg.seed)
    for station in stations:
        import_areas(
            session,
            generate_communities(station, cfg.communities, rng),
            kind=AreaKind.COMMUNITY,
            parent_code=station.code,
            with_units=False,
        )
    session.flush()
    svc.jurisdictions.invalidate()
    now = svc.clock.now()
    areas = {a.code: a for a in session.scalars(select(Area))}
    station_ids = [areas[s.code or s.name].id for s in stations]
    station_units = {
        area_id: unit_id
        for unit_id, area_id in session.execute(select(Unit.id, Unit.area_id).where(Unit.kind == UnitKind.STATION))
        if area_id is not None
    }
    governance: dict[int, int] = {}
    for s in stations:
        area_id = areas[s.code or s.name].id
        unit = Unit(code=f"governance-{s.code}", name=f"{s.name}综治中心", kind=UnitKind.GOVERNANCE, area_id=area_id)
        session.add(unit)
        session.flush()
        governance[area_id] = unit.id
    communities: dict[int, list[int]] = {}
    for a in areas.values():
        if a.kind is AreaKind.COMMUNITY and a.parent_id is not None:
            communities.setdefault(a.parent_id, []).append(a.id)
    officer_rows = []
    for station_id, cids in communities.items():
        for cid in cids:
            officer_rows.append(
                {
                    "username": f"officer-{cid}",
                    "display_name": f"社区民警{cid}",
                    "password_hash": None,
                    "role": Role.OFFICER,
                    "unit_id": station_units[station_id],
                    "phone": f"139{cid:08d}",
                    "badge": f"{100000 + cid}",
                    "active": True,
                    "created_at": now,
                }
            )
    session.execute(insert(User), officer_rows)
    officer_ids = dict(session.execute(select(User.username, User.id).where(User.username.like("officer-%"))).all())
    officers: dict[int, tuple[int, int]] = {}
    cards = []
    for station_id, cids in communities.items():
        for cid in cids:
            uid = officer_ids[f"officer-{cid}"]
            officers[cid] = (uid, station_units[station_id])
            cards.append(
                {
                    "user_id": uid,
                    "area_id": cid,
                    "hours": "工作日 08:30-17:30",
                    "contact_phone": f"0574-6{cid:07d}",
                    "office": None,
                    "intro": None,
                    "active": True,
                    "updated_at": now,
                }
            )
    session.execute(insert(DeskOfficer), cards)
    say(f"county: {len(stations)} stations, {sum(len(c) for c in communities.values())} communities and officers")

    # A pool of places, each located once through the same index the desk uses.
    pool: list[tuple[float, float]] = []
    for s in stations:
        pool.extend(random_points_in(s.geometry, 4000, rng))
    index_s = svc.jurisdictions.index(session)
    index_c = svc.jurisdictions.index(session, AreaKind.COMMUNITY)
    if index_s is None or index_c is None:
        raise RuntimeError("the county has no areas")
    lons = [p[0] for p in pool]
    lats = [p[1] for p in pool]
    located = [
        (lon, lat, s, c)
        for lon, lat, s, c in zip(
            lons, lats, index_s.lookup_many(lons, lats), index_c.lookup_many(lons, lats), strict=True
        )
        if s is not None
    ]
    resident_rows: list[dict[str, Any]] = []
    profile_points = []
    for i in range(cfg.residents):
        phone = f"13{rng.randint(5, 8)}{i:08d}"
        resident_rows.append(
            {
                "username": resident_username(phone),
                "display_name": "群众",
                "password_hash": None,
                "role": Role.RESIDENT,
                "unit_id": None,
                "phone": phone,
                "badge": None,
                "active": True,
                "created_at": now,
            }
        )
        profile_points.append(located[rng.randrange(len(located))])
    for start in range(0, len(resident_rows), 5000):
        session.execute(insert(User), resident_rows[start : start + 5000])
    ids = dict(session.execute(select(User.username, User.id).where(User.role == Role.RESIDENT)).all())
    profiles = []
    residents: list[tuple[int, str]] = []
    for row, (lon, lat, station_id, c) in zip(resident_rows, profile_points, strict=True):
        uid = ids[str(row["username"])]
        residents.append((uid, str(row["phone"])))
        tags = ["elderly"] if rng.random() < 0.2 else (["student"] if rng.random() < 0.1 else [])
        profiles.append(
            {
                "user_id": uid,
                "phone": row["phone"],
                "person_id": None,
                "address": None,
                "lon": lon,
                "lat": lat,
                "station_id": station_id,
                "community_id": c,
                "tags": tags,
                "registered_at": now - timedelta(days=rng.randint(0, 400)),
                "updated_at": now,
            }
        )
    for start in range(0, len(profiles), 5000):
        session.execute(insert(DeskResident), profiles[start : start + 5000])
    say(f"residents: {len(residents)}")
    specialty = {s: units[s.unit_code] for s in Specialty}
    return _County(
        stations=station_ids,
        station_units=station_units,
        governance_units=governance,
        specialty_units=specialty,
        command_centre=units["command-centre"],
        communities=communities,
        officers=officers,
        residents=residents,
        points=located,
    )


def _county_from_db(session: Session, svc: Services) -> _County:
    """The same facts, read back from an already seeded database."""
    units = list(session.scalars(select(Unit)))
    station_units = {u.area_id: u.id for u in units if u.kind is UnitKind.STATION and u.area_id is not None}
    governance = {u.area_id: u.id for u in units if u.kind is UnitKind.GOVERNANCE and u.area_id is not None}
    specialty = {s: next(u.id for u in units if u.code == s.unit_code) for s in Specialty}
    centre = next(u.id for u in units if u.kind is UnitKind.COMMAND_CENTRE)
    communities: dict[int, list[int]] = {}
    for aid, parent in session.execute(select(Area.id, Area.parent_id).where(Area.kind == AreaKind.COMMUNITY)):
        if parent is not None:
            communities.setdefault(parent, []).append(aid)
    officers = {
        area_id: (uid, unit_id or 0)
        for uid, area_id, unit_id in session.execute(
            select(DeskOfficer.user_id, DeskOfficer.area_id, User.unit_id).join(User, User.id == DeskOfficer.user_id)
        )
    }
    residents = [
        (uid, phone)
        for uid, phone in session.execute(
            select(DeskResident.user_id, DeskResident.phone).order_by(DeskResident.user_id)
        )
    ]
    points = [
        (lon, lat, s, c)
        for lon, lat, s, c in session.execute(
            select(DeskResident.lon, DeskResident.lat, DeskResident.station_id, DeskResident.community_id).where(
                DeskResident.lon.is_not(None), DeskResident.station_id.is_not(None)
            )
        )
        if lon is not None and lat is not None and s is not None
    ]
    return _County(
        stations=sorted(station_units),
        station_units=station_units,
        governance_units=governance,
        specialty_units=specialty,
        command_centre=centre,
        communities=communities,
        officers=officers,
        residents=residents,
        points=points,
    )


def _unit_for(
    county: _County, category: Category, topic: Topic | None, station: int, community: int | None
) -> tuple[Route, int, int | None]:
    if category in (Category.NUISANCE, Category.DISPUTE):
        return Route.GOVERNANCE, county.governance_units[station], None
    if category is Category.CONSULTATION and topic in (Topic.EXIT_ENTRY, Topic.TRAFFIC, Topic.LEGAL):
        specialty = {
            Topic.EXIT_ENTRY: Specialty.EXIT_ENTRY,
            Topic.TRAFFIC: Specialty.TRAFFIC,
            Topic.LEGAL: Specialty.LEGAL,
        }
        return Route.SPECIALTY, county.specialty_units[specialty[topic]], None
    if category is Category.EMERGENCY:
        return Route.STATION, county.station_units[station], None
    officer = county.officers.get(community) if community is not None else None
    if officer is not None:
        return Route.OFFICER, officer[1], officer[0]
    return Route.STATION, county.station_units[station], None


_TASKS: Table = Task.__table__  # type: ignore[assignment]
_REQUESTS: Table = DeskRequest.__table__  # type: ignore[assignment]
_EVENTS: Table = TaskEvent.__table__  # type: ignore[assignment]


_REQUEST_COLUMNS = (
    "id", "resident_id", "phone", "category", "topic", "text", "address", "address_key", "lon", "lat",
    "station_id", "community_id", "route", "unit_id", "suggested_unit_id", "handler_id", "status", "is_open",
    "client_ref", "content_hash", "created_at", "updated_at", "reply_due_at", "first_reply_at", "first_reply_by",
    "replied_on_time", "closed_at", "resolution", "merged_into_id", "duplicate_of_id", "duplicate_score", "rating",
    "rating_comment", "rated_at", "week", "media_count", "fraud_forwarded_at", "fraud_warning_id",
)  # fmt: skip
_TASK_COLUMNS = (
    "id", "kind", "status", "level", "title", "ref_type", "ref_id", "area_id", "unit_id", "assignee_id",
    "created_at", "updated_at", "due_step", "due_at", "escalate_at", "escalation", "breaches", "facts",
    "outcome", "closed_at", "version",
)  # fmt: skip
_EVENT_COLUMNS = ("task_id", "at", "actor_id", "action", "from_status", "to_status", "reason", "data")


def _seed_requests(session: Session, svc: Services, county: _County, cfg: DeskBenchConfig, say: Progress) -> None:
    """`cfg.stored` requests over the past year, ids growing with time: most answered and closed, the last
    days' partly open. Rows go to the driver as tuples of stored values (enums as their strings,
    datetimes in SQLite's text form): generating them is most of the seeding time."""
    rng = np.random.default_rng(cfg.seed)
    zone = ZoneInfo(svc.rules.section(DeskRules).timezone)
    now = svc.clock.now()
    year = 365 * 24 * 3600.0
    cats = list(CATEGORY_WEIGHTS)
    weights = np.array([CATEGORY_WEIGHTS[c] for c in cats])
    topics = {c: sorted(TOPICS_OF[c], key=lambda t: t.value) for c in cats}
    hashes = {(c, t): content_hash(c.value, t) for c in cats for t in TEXTS[c]}
    route_json = {r: json.dumps({"route": r.value}) for r in Route}
    conn = session.connection()
    utc = utc_to_driver(conn)
    weeks: dict[str, str] = {}
    chunk = 20_000
    started = time.perf_counter()
    done = 0
    total = cfg.stored
    while done < total:
        n = min(chunk, total - done)
        # Ages fall with the id: request k arrived (1 - k/N) of a year ago, give or take one step.
        k = np.arange(done, done + n) + rng.random(n)
        ages = 600.0 + (year - 600.0) * (1.0 - k / total)
        cat_idx = rng.choice(len(cats), size=n, p=weights)
        pick = rng.integers(0, len(county.points), n)
        who = rng.integers(0, len(county.residents), n)
        rolls = rng.random((n, 4))
        requests: list[tuple[Any, ...]] = []
        tasks: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        for i in range(n):
            rid = done + i + 1
            age = float(ages[i])
            r0, r1, r2, r3 = (float(x) for x in rolls[i])
            created = now - timedelta(seconds=age)
            category = cats[int(cat_idx[i])]
            options = topics[category]
            topic = options[int(r0 * len(options))] if category is not Category.FRAUD else None
            lon, lat, station, community = county.points[int(pick[i])]
            lon += (r1 - 0.5) * 0.002
            lat += (r2 - 0.5) * 0.002
            route, unit_id, officer = _unit_for(county, category, topic, station, community)
            resident_id, phone = county.residents[int(who[i])]
            texts = TEXTS[category]
            body = texts[int(r3 * len(texts))]
            due = created + timedelta(minutes=30)
            is_open = age < 3 * 86400 and r0 < 0.5
            replied = not is_open or r1 < 0.4
            first_reply = created + timedelta(minutes=5 + 60 * r2) if replied else None
            on_time = first_reply is not None and first_reply <= due
            if is_open:
                status = DeskStatus.REPLIED if replied else DeskStatus.ISSUED
                resolution: Resolution | None = None
                closed = None
            else:
                resolution = Resolution.RESOLVED if r3 < 0.93 else Resolution.CLOSED
                status = DeskStatus.RESOLVED if resolution is Resolution.RESOLVED else DeskStatus.CLOSED
                closed = (first_reply or created) + timedelta(hours=1 + 24 * r0)
            rating = (
                (1 + round(4 * (0.6 + 0.4 * r2) * r3**0.3)) if resolution is Resolution.RESOLVED and r0 < 0.6 else None
            )
            day = created.date().isoformat()
            week = weeks.get(day)
            if week is None:
                week = weeks[day] = iso_week(created, zone)
            created_s = utc(created)
            touched = utc(closed or first_reply or created)
            due_s = utc(due)
            reply_s = utc(first_reply) if first_reply else None
            closed_s = utc(closed) if closed else None
            waiting = is_open and not replied
            requests.append(
                (
                    rid, resident_id, phone, category.value, topic.value if topic else None, body, None,
                    f"g:{lon:.4f},{lat:.4f}", lon, lat, station, community, route.value, unit_id, None, officer,
                    status.value, is_open, None, hashes[(category, body)], created_s, touched, due_s, reply_s,
                    officer if first_reply else None, on_time if first_reply else None, closed_s,
                    resolution.value if resolution else None, None, None, None, rating, None,
                    closed_s if rating else None, week, 0, created_s if category is Category.FRAUD else None, None,
                )
            )  # fmt: skip
            tasks.append(
                (
                    rid, "desk_request", status.value, "critical" if category is Category.EMERGENCY else None,
                    f"【{CATEGORY_NAMES[category]}】{body[:40]}", "desk_request", rid, station, unit_id, officer,
                    created_s, touched, "reply" if waiting else None, due_s if waiting else None,
                    due_s if waiting else None, 0, 0 if on_time or waiting else 1, f'{{"resident_id": {resident_id}}}',
                    resolution.value if resolution else None, closed_s, 1,
                )
            )  # fmt: skip
            events.append((rid, created_s, resident_id, "issue", None, "issued", "诉求受理", route_json[route]))
        insert_values_ignoring_duplicates(conn, _TASKS, _TASK_COLUMNS, tasks)
        insert_values_ignoring_duplicates(conn, _REQUESTS, _REQUEST_COLUMNS, requests)
        insert_values_ignoring_duplicates(conn, _EVENTS, _EVENT_COLUMNS, events)
        session.commit()
        conn = session.connection()
        done += n
        if done % 100_000 == 0 or done == total:
            say(f"  {done:,} requests stored ({done / (time.perf_counter() - started):,.0f}/s)")


def _seed(cfg: DeskBenchConfig, path: Path, say: Progress) -> None:
    if path.exists():
        path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(f"sqlite:///{path}")
    db.create_all()
    svc = bootstrap(Settings(database_url=db.url), db=db, sms=FakeSmsGateway(), clock=SystemClock())
    with db.session() as session:
        county = _load_county(session, svc, cfg, say)
    say(f"storing {cfg.stored:,} requests ...")
    # Bulk loading is much faster without the secondary indexes; they are built once at the end.
    indexes = [ix for table in (_TASKS, _REQUESTS, _EVENTS) for ix in table.indexes]
    with db.engine.begin() as conn:
        for ix in indexes:
            ix.drop(conn)
    with db.sessions() as session:
        _seed_requests(session, svc, county, cfg, say)
        session.add(Counter(name=SEED_COUNTER, value=cfg.stored))
        session.commit()
    say("building indexes ...")
    with db.engine.begin() as conn:
        for ix in indexes:
            ix.create(conn)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    svc.close()


def _seeded(path: Path, cfg: DeskBenchConfig) -> bool:
    if not path.exists():
        return False
    db = Database(f"sqlite:///{path}")
    try:
        if set(Base.metadata.tables) - set(sqlalchemy.inspect(db.engine).get_table_names()):
            return False  # seeded by an older schema (before the outbox, say): seeded again
        with db.sessions() as session:
            value = session.scalar(select(Counter.value).where(Counter.name == SEED_COUNTER))
        return value == cfg.stored
    except sqlalchemy.exc.SQLAlchemyError:
        return False
    finally:
        db.dispose()


# -- the load ----------------------------------------------------------------------------------------


@dataclass
class _Samples:
    latency: list[float] = field(default_factory=list)
    service: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def as_dict(self) -> dict[str, Any]:
        return {"latency": self.latency, "service": self.service, "outcomes": self.outcomes, "by_kind": self.by_kind}

    def merge(self, other: dict[str, Any]) -> None:
        self.latency += other["latency"]
        self.service += other["service"]
        for key, n in other["outcomes"].items():
            self.outcomes[key] = self.outcomes.get(key, 0) + n
        for key, values in other["by_kind"].items():
            self.by_kind.setdefault(key, []).extend(values)

    def add(self, kind: str, due: float, started: float, finished: float, outcome: str) -> None:
        with self.lock:
            self.latency.append(finished - due)
            self.service.append(finished - started)
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
            self.by_kind.setdefault(kind, []).append(finished - due)


def _open_loop(
    t0: float,
    rate: float,
    indices: range,
    pool: ThreadPoolExecutor,
    job: Callable[[int, float], None],
    first: int = 0,
) -> None:
    """Submit job(i, due) for each i at its due instant t0 + (i - first)/rate (open loop: late work piles up,
    and shows); return when every job is done."""
    submitted = []
    for i in indices:
        due = t0 + (i - first) / rate
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        submitted.append(pool.submit(job, i, due))
    futures.wait(submitted)


class _Load:
    def __init__(self, svc: Services, county: _County, cfg: DeskBenchConfig, worker: int = 0) -> None:
        self.svc = svc
        self.county = county
        self.cfg = cfg
        self.posts = _Samples()
        self.lists = _Samples()
        self.max_id = 0
        # The same shuffle in every worker, so that post i is always resident i's: nobody hits the per-phone limit.
        self._posters = list(range(len(county.residents)))
        random.Random(cfg.seed).shuffle(self._posters)
        self.rng = random.Random(cfg.seed + 1 + worker)
        with svc.db.session() as session:
            self.max_id = session.scalar(select(func.max(DeskRequest.id))) or 0
        stations = county.stations
        self.station_scopes = [
            Scope(
                False,
                frozenset({county.station_units[s]}),
                frozenset({s, *county.communities.get(s, [])}),
            )
            for s in stations
        ]
        self.governance_scopes = [Scope(False, frozenset({u}), frozenset()) for u in county.governance_units.values()]
        self.http: httpx.Client | None = None
        self._resident_tokens: dict[int, str] = {}
        self._staff: dict[str, list[str]] = {}

    def connect(self, port: int, staff: dict[str, list[str]]) -> None:
        """Send the load to the server on this loopback port from now on, as signed-in residents and staff."""
        pool = self.cfg.workers + self.cfg.list_workers
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}/api/v1",
            timeout=60,
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
        )
        self._staff = staff
        # Every resident signed in beforehand (the tokens their phones would hold), so that a sign-in is not
        # part of a post's latency.
        now, secret = self.svc.clock.now(), self.svc.settings.signing_key()
        ttl = timedelta(hours=2)
        with self.svc.db.session() as session:
            ids = [resident_id for resident_id, _ in self.county.residents]
            for user in session.scalars(select(User).where(User.id.in_(ids))):
                self._resident_tokens[user.id] = issue_token(user, secret, now, ttl)

    def _resident_token(self, resident_id: int, phone: str) -> str:
        token = self._resident_tokens.get(resident_id)
        if token is None:
            token = self.svc.desk.residents.sign_in(phone).access_token
            self._resident_tokens[resident_id] = token
        return token

    def _staff_token(self, kind: str, rng: random.Random) -> dict[str, str]:
        return {"Authorization": "Bearer " + rng.choice(self._staff[kind])}

    def payload(self, i: int) -> tuple[Actor, dict[str, Any], list[Upload]]:
        rng = self.rng
        resident_id, _phone = self.county.residents[self._posters[i % len(self._posters)]]
        category = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        options = sorted(TOPICS_OF[category], key=lambda t: t.value)
        topic = rng.choice(options) if category is not Category.FRAUD else None
        lon, lat, _s, _c = self.county.points[rng.randrange(len(self.county.points))]
        glon, glat = wgs84_to_gcj02(lon + rng.uniform(-0.001, 0.001), lat + rng.uniform(-0.001, 0.001))
        text_ = rng.choice(TEXTS[category]) + f"（{rng.randint(1, 99)}号楼）"
        body = {
            "category": category.value,
            "topic": topic.value if topic else None,
            "text": text_,
            "lon": glon,
            "lat": glat,
            "crs": CRS.GCJ02.value,
            "client_ref": uuid.uuid4().hex,
        }
        uploads = [Upload("photo.jpg", "image/jpeg", _TINY_JPEG)] if rng.random() < self.cfg.photo_ratio else []
        return Actor(resident_id, Role.RESIDENT, None), body, uploads

    def post(self, i: int, due: float) -> None:
        actor, payload, uploads = self.payload(i)
        if self.http is not None:
            self._post_http(i, due, actor, payload, uploads)
            return
        started = time.perf_counter()
        outcome = "ok"
        try:
            body = DeskRequestCreate.model_validate(payload)
            posted = self.svc.desk.requests.post(actor, body, uploads)
            _posted_public(self.svc, actor, posted).model_dump_json()
        except Exception as exc:
            outcome = type(exc).__name__ + ":" + getattr(exc, "code", "")
        self.posts.add(payload["category"], due, started, time.perf_counter(), outcome)

    def _post_http(self, i: int, due: float, actor: Actor, payload: dict[str, Any], uploads: list[Upload]) -> None:
        """As the residents' page posts: JSON, or multipart with the photo."""
        assert self.http is not None
        _, phone = self.county.residents[self._posters[i % len(self._posters)]]
        headers = {"Authorization": "Bearer " + self._resident_token(actor.id, phone)}
        started = time.perf_counter()
        outcome = "ok"
        try:
            if uploads:
                files = [
                    ("files", (u.filename or "photo.jpg", u.data, u.declared_type or "image/jpeg")) for u in uploads
                ]
                response = self.http.post(
                    "/desk/requests", headers=headers, data={"payload": json.dumps(payload)}, files=files
                )
            else:
                response = self.http.post("/desk/requests", headers=headers, json=payload)
            if response.status_code != 201:
                outcome = f"http {response.status_code}:" + str(response.json().get("error", {}).get("code", ""))
        except Exception as exc:
            outcome = type(exc).__name__
        self.posts.add(payload["category"], due, started, time.perf_counter(), outcome)

    def _list_http(self, i: int, due: float, kind: str, rng: random.Random) -> None:
        """As the staff UI and the residents' page list: the same filters, as query strings."""
        assert self.http is not None
        now = self.svc.clock.now()
        category = rng.choice(list(Category)).value
        params: dict[str, str | int]
        if kind == "resident_mine":
            resident_id, phone = rng.choice(self.county.residents)
            path, params = "/desk/requests", {"limit": 20}
            headers = {"Authorization": "Bearer " + self._resident_token(resident_id, phone)}
        else:
            filters: dict[str, tuple[str, dict[str, str | int]]] = {
                "station_open": ("station", {"state": "open"}),
                "station_category": ("station", {"state": "all", "category": category}),
                "county_station_category": (
                    "county",
                    {"state": "all", "category": category, "station_id": rng.choice(self.county.stations)},
                ),
                "county_overdue": ("county", {"state": "open", "overdue": "true"}),
                "governance_open": ("governance", {"state": "open"}),
                "county_closed_week": ("county", {"state": "closed", "since": (now - timedelta(days=7)).isoformat()}),
                "station_page": ("station", {"state": "all", "before_id": rng.randint(self.max_id // 2, self.max_id)}),
            }
            who, params = filters[kind]
            path, headers = "/desk/staff/requests", self._staff_token(who, rng)
        started = time.perf_counter()
        outcome = "ok"
        try:
            response = self.http.get(path, params=params, headers=headers)
            if response.status_code != 200:
                outcome = f"http {response.status_code}"
        except Exception as exc:
            outcome = type(exc).__name__
        self.lists.add(kind, due, started, time.perf_counter(), outcome)

    def list(self, i: int, due: float) -> None:
        rng = random.Random(self.cfg.seed * 1000 + i)
        now = self.svc.clock.now()
        kind = LIST_KINDS[i % len(LIST_KINDS)]
        if self.http is not None:
            self._list_http(i, due, kind, rng)
            return
        started = time.perf_counter()
        outcome = "ok"
        try:
            with self.svc.db.session() as session:
                county_wide = Scope(True, frozenset(), frozenset())
                station = rng.choice(self.station_scopes)
                category = rng.choice(list(Category))
                if kind == "resident_mine":
                    resident_id, _ = rng.choice(self.county.residents)
                    page = resident_list(
                        session, resident_id, now, before_id=None, limit=20, names=self.svc.desk.requests.names(session)
                    )
                else:
                    scope, f = {
                        "station_open": (station, QueueFilter(state="open")),
                        "station_category": (station, QueueFilter(state="all", category=category)),
                        "county_station_category": (
                            county_wide,
                            QueueFilter(state="all", category=category, station_id=rng.choice(self.county.stations)),
                        ),
                        "county_overdue": (county_wide, QueueFilter(state="open", overdue=True)),
                        "governance_open": (rng.choice(self.governance_scopes), QueueFilter(state="open")),
                        "county_closed_week": (
                            county_wide,
                            QueueFilter(state="closed", since=now - timedelta(days=7)),
                        ),
                        "station_page": (
                            station,
                            QueueFilter(state="all", before_id=rng.randint(self.max_id // 2, self.max_id)),
                        ),
                    }[kind]
                    page = staff_list(session, scope, f, now, names=self.svc.desk.requests.names(session))
                page.model_dump_json()
        except Exception as exc:
            outcome = type(exc).__name__
        self.lists.add(kind, due, started, time.perf_counter(), outcome)


BARRIER_SECONDS = 600.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _machine_cpu() -> tuple[float, float] | None:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat (Linux), else None."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = [float(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


def _share(before: tuple[float, float] | None, after: tuple[float, float] | None) -> float | None:
    """How busy the machine's cores were in between (1.0: all of them, whoever used them)."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]), 2)


def _staff_tokens(db: Database) -> dict[str, list[str]]:
    """Bearer tokens of the staff who list: a community officer of each station, a commander for the county,
    an account for each governance department (these last two are added to the copy of the seeded file)."""
    now = SystemClock().now()
    secret = Settings().signing_key()
    ttl = timedelta(hours=2)
    tokens: dict[str, list[str]] = {"station": [], "county": [], "governance": []}
    with db.session() as session:
        units = list(session.scalars(select(Unit)))
        stations = {u.id for u in units if u.kind is UnitKind.STATION}
        centre = next(u.id for u in units if u.kind is UnitKind.COMMAND_CENTRE)
        seen: set[int] = set()
        for user in session.scalars(select(User).join(DeskOfficer, DeskOfficer.user_id == User.id)):
            if user.unit_id in stations and user.unit_id not in seen:
                seen.add(user.unit_id)
                tokens["station"].append(issue_token(user, secret, now, ttl))
        commander = create_user(
            session, "bench_commander", None, role=Role.COMMANDER, display_name="压测指挥", unit_id=centre, now=now
        )
        session.flush()
        tokens["county"].append(issue_token(commander, secret, now, ttl))
        for unit in units:
            if unit.kind is UnitKind.GOVERNANCE:
                user = create_user(
                    session,
                    f"bench_gov_{unit.id}",
                    None,
                    role=Role.GOVERNANCE,
                    display_name=unit.name,
                    unit_id=unit.id,
                    now=now,
                )
                session.flush()
                tokens["governance"].append(issue_token(user, secret, now, ttl))
    if not all(tokens.values()):
        raise RuntimeError(f"the seeded county lacks staff to list with: {[k for k, v in tokens.items() if not v]}")
    return tokens


def _database_name(db: Database) -> str:
    with db.engine.connect() as conn:
        if db.is_sqlite:
            return f"sqlite {conn.exec_driver_sql('select sqlite_version()').scalar()}"
        return f"{db.engine.dialect.name} {conn.exec_driver_sql('show server_version').scalar()}"


def _services(path: str, media: str) -> Services:
    db = Database(f"sqlite:///{path}")
    return bootstrap(
        Settings(database_url=db.url, media_dir=Path(media)), db=db, sms=FakeSmsGateway(), clock=SystemClock()
    )


def _server(path: str, media: str, port: int, ready: Any, stop: Any) -> None:
    """One server process, as `pingan serve --workers N` runs them: the app under uvicorn until told to stop."""
    svc = _services(path, media)
    server = uvicorn.Server(
        uvicorn.Config(create_app(svc), host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name="bench-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the bench server did not start")
        time.sleep(0.02)
    ready.set()
    with _outbox_worker(svc):
        stop.wait()
        server.should_exit = True
        thread.join(timeout=30)
    svc.close()


@contextlib.contextmanager
def _outbox_worker(svc: Services) -> Iterator[None]:
    """An outbox worker beside the posts, as the desk's fraud reports are delivered in production; what it
    holds at the end is delivered before it stops."""
    stop = threading.Event()
    worker = threading.Thread(target=run_outbox, args=(svc,), kwargs={"stop": stop}, name="outbox")
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(timeout=60)
        svc.outbox.run_until_idle()


def _worker(
    index: int,
    cfg: DeskBenchConfig,
    path: str,
    media: str,
    staff: dict[str, list[str]],
    port: int | None,
    barrier: Any,
    results: Any,
) -> None:
    """One load process: its share of the posts and of the lists, from the barrier on; over HTTP to the server
    on `port`, or (without one) through the desk service in this process."""
    svc = _services(path, media)
    with svc.db.session() as session:
        county = _county_from_db(session, svc)
    load = _Load(svc, county, cfg, index)
    if port is not None:
        load.connect(port, staff)
    settle_heap()  # the county and the tokens: out of the collector's walks, as a server's start-up objects are
    posts = int(cfg.rate * cfg.seconds)
    lists = int(cfg.list_rate * cfg.seconds)
    share = cfg.processes
    with (
        # Without a server, the posts are this process's, and so is the delivery of their outbox rows.
        _outbox_worker(svc) if port is None else contextlib.nullcontext(),
        ThreadPoolExecutor(cfg.workers, thread_name_prefix="post") as posters,
        ThreadPoolExecutor(cfg.list_workers, thread_name_prefix="list") as listers,
    ):

        def run(t0: float, post_ids: range, list_ids: range) -> None:
            lister = threading.Thread(
                target=_open_loop, args=(t0, cfg.list_rate, list_ids, listers, load.list, list_ids.start - index)
            )
            lister.start()
            _open_loop(t0, cfg.rate, post_ids, posters, load.post, post_ids.start - index)
            lister.join()

        # Warm-up: the same load for `warmup` seconds, not measured, on residents the run does not use. A server
        # that has just started opens its database connections (each with a cold page cache) and its threads.
        barrier.wait(timeout=BARRIER_SECONDS)
        warm_posts, warm_lists = int(cfg.rate * cfg.warmup), int(cfg.list_rate * cfg.warmup)
        warm_post_ids = range(posts + index, posts + warm_posts, share)
        run(time.perf_counter() + 0.2, warm_post_ids, range(lists + index, lists + warm_lists, share))
        if port is None:
            svc.outbox.run_until_idle()
        load.posts, load.lists = _Samples(), _Samples()
        barrier.wait(timeout=BARRIER_SECONDS)
        t0 = time.perf_counter() + 0.2
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        run(t0, range(index, posts, share), range(index, lists, share))
    elapsed = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    results.put(
        {"worker": index, "posts": load.posts.as_dict(), "lists": load.lists.as_dict(), "elapsed": elapsed, "cpu": cpu}
    )
    svc.close()


def run_desk_bench(cfg: DeskBenchConfig, say: Progress = stderr) -> dict[str, Any]:
    seeded = cfg.database or Path("var/bench/desk-seed.db")
    seed_seconds = None
    if cfg.fresh or not _seeded(seeded, cfg):
        say(f"seeding {seeded} with {cfg.stored:,} requests (kept for later runs) ...")
        started = time.perf_counter()
        _seed(cfg, seeded, say)
        seed_seconds = round(time.perf_counter() - started, 1)
    work = Path(tempfile.mkdtemp(prefix="pingan-bench-desk-"))
    try:
        path = work / "desk.db"
        shutil.copyfile(seeded, path)
        db = Database(f"sqlite:///{path}")
        with db.sessions() as session:
            stored = session.scalar(select(func.count()).select_from(DeskRequest)) or 0
            residents = session.scalar(select(func.count()).select_from(DeskResident)) or 0
        say(f"stored: {stored:,} requests; {residents:,} residents")
        staff = _staff_tokens(db) if cfg.http else {}
        say(
            f"load: {cfg.processes} processes posting {cfg.rate:g}/s and listing {cfg.list_rate:g}/s"
            f" for {cfg.seconds:g} s ..."
        )
        ctx = multiprocessing.get_context("spawn")
        media = str(work / "media")
        servers: list[Any] = []
        stop = ctx.Event()
        ports: list[int | None] = [None] * cfg.processes
        if cfg.http:  # the servers first, each in its own process; the load comes from other processes
            ports = [_free_port() for _ in range(cfg.processes)]
            readies = [ctx.Event() for _ in ports]
            servers = [
                ctx.Process(target=_server, args=(str(path), media, port, ready, stop))
                for port, ready in zip(ports, readies, strict=True)
            ]
            for proc in servers:
                proc.start()
            for ready in readies:
                if not ready.wait(120):
                    stop.set()
                    raise RuntimeError("a bench server did not start")
        barrier = ctx.Barrier(cfg.processes + 1)  # and this process, which reads the machine's CPU time
        results = ctx.Queue()
        procs = [
            ctx.Process(target=_worker, args=(i, cfg, str(path), media, staff, ports[i], barrier, results))
            for i in range(cfg.processes)
        ]
        for proc in procs:
            proc.start()
        barrier.wait(timeout=BARRIER_SECONDS)  # warm-up
        barrier.wait(timeout=BARRIER_SECONDS)  # the measured run
        busy0 = _machine_cpu()
        parts: list[dict[str, Any]] = []
        deadline = time.monotonic() + cfg.seconds + 900
        while len(parts) < len(procs):
            try:
                parts.append(results.get(timeout=1.0))
            except queue.Empty:
                dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                if dead or time.monotonic() > deadline:
                    for proc in procs:
                        proc.kill()
                    raise RuntimeError(f"a bench worker failed (exit codes {dead}) or took too long") from None
        busy1 = _machine_cpu()
        for proc in procs:
            proc.join(timeout=60)
        stop.set()
        for proc in servers:
            proc.join(timeout=60)
        posts, lists = _Samples(), _Samples()
        for part in parts:
            posts.merge(part["posts"])
            lists.merge(part["lists"])
        elapsed = max(part["elapsed"] for part in parts)
        cpu = sum(part["cpu"] for part in parts)
        with db.sessions() as session:
            after = session.scalar(select(func.count()).select_from(DeskRequest)) or 0
        post_p99 = _summary(posts.latency)["p99"]
        list_p99 = _summary(lists.latency)["p99"]
        figures = {
            "bench": "desk",
            "stored_requests": stored,
            "layer": (
                "HTTP: one uvicorn process per core over the SQLite file, loaded over loopback from other processes"
                if cfg.http
                else "desk service, as the HTTP routes call it (schema, post, answer as JSON); no HTTP parsing"
            ),
            "processes": cfg.processes,
            "posts": {
                "rate": cfg.rate,
                "offered": int(cfg.rate * cfg.seconds),
                "achieved_per_s": round(len(posts.latency) / elapsed, 1),
                "stored": after - stored,
                "warmup_posts": int(cfg.rate * cfg.warmup),
                "outcomes": posts.outcomes,
                "latency_ms": _summary(posts.latency),
                "service_ms": _summary(posts.service),
                "p99_ms_by_category": {k: _summary(v)["p99"] for k, v in sorted(posts.by_kind.items())},
                "target_p99_ms": POST_TARGET_MS,
                "met": post_p99 is not None and post_p99 <= POST_TARGET_MS and set(posts.outcomes) == {"ok"},
            },
            "lists": {
                "rate": cfg.list_rate,
                "count": len(lists.latency),
                "outcomes": lists.outcomes,
                "latency_ms": _summary(lists.latency),
                "service_ms": _summary(lists.service),
                "p99_ms_by_filter": {k: _summary(v)["p99"] for k, v in sorted(lists.by_kind.items())},
                "target_p99_ms": LIST_TARGET_MS,
                "met": list_p99 is not None and list_p99 <= LIST_TARGET_MS and set(lists.outcomes) == {"ok"},
            },
            "seconds": round(elapsed, 1),
            "warmup_seconds": cfg.warmup,
            "load_cpu_seconds": round(cpu, 1),
            "machine_cpu_share": _share(busy0, busy1),
            "photo_ratio": cfg.photo_ratio,
            "residents": residents,
            "seed_seconds": seed_seconds,
            "database": _database_name(db),
            "python": platform.python_version(),
            "sqlalchemy": sqlalchemy.__version__,
            "cores": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "machine": platform.machine(),
            "seed": cfg.seed,
        }
        db.dispose()
        return figures
    finally:
        shutil.rmtree(work, ignore_errors=True)


def register(bench_app: typer.Typer) -> None:
    """Add `pingan bench desk` to the bench command group."""

    @bench_app.command("desk")
    def desk(
        stored: Annotated[int, typer.Option(min=1000, help="Requests already stored before the load.")] = 1_000_000,
        rate: Annotated[float, typer.Option(min=1, help="Posts per second during the load.")] = 200.0,
        seconds: Annotated[float, typer.Option(min=1, help="Length of the load.")] = 30.0,
        list_rate: Annotated[float, typer.Option(min=0.1, help="Staff list queries per second.")] = 20.0,
        residents: Annotated[int, typer.Option(min=100)] = 20_000,
        workers: Annotated[int, typer.Option(min=1, max=256, help="Threads posting, per process.")] = 8,
        processes: Annotated[
            int, typer.Option(min=1, max=64, help="Server processes, and load processes (default: one each per core).")
        ] = os.cpu_count() or 1,
        warmup: Annotated[
            float, typer.Option(min=0, help="Seconds of the same load before the measured run (not measured).")
        ] = 3.0,
        http: Annotated[
            bool, typer.Option(help="Through a real HTTP server (default), or --no-http for the service layer alone.")
        ] = True,
        database: Annotated[Path | None, typer.Option(help="The seeded SQLite file, kept between runs.")] = None,
        fresh: Annotated[bool, typer.Option(help="Seed again even if the file is already seeded.")] = False,
        seed: Annotated[int, typer.Option()] = 7,
    ) -> None:
        """Latency of posting a request and of listing requests under load, with a million stored (JSON)."""

        figures = run_desk_bench(
            DeskBenchConfig(
                stored=stored,
                rate=rate,
                seconds=seconds,
                list_rate=list_rate,
                residents=residents,
                workers=workers,
                processes=processes,
                http=http,
                warmup=warmup,
                database=database,
                fresh=fresh,
                seed=seed,
            )
        )
        sys.stdout.write(json.dumps(figures, ensure_ascii=False) + "\n")
