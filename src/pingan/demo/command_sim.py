"""The command centre's part of the demo: a verification list pushed down by the city platform and checked by
the stations' simulated officers, people in community rehabilitation (one missed check-in, a task for
丹东's community officer), and a year and a half of traffic enforcement records so that 同比 shows.

Everything goes through the services' own use cases (the push, the plans, the import, the task engine's
`perform` under the access decision), as the API would.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from pingan.bootstrap import Services
from pingan.command.rehab.models import CheckKind, RehabCheck, RehabPlan, TestResult
from pingan.command.rehab.schemas import PlanIn
from pingan.command.verify.keys import create_platform_key
from pingan.command.verify.service import ListHeader
from pingan.command.verify.workflow import KIND as VERIFY_KIND
from pingan.command.verify.workflow import VerifyStatus
from pingan.core.errors import PinganError
from pingan.core.identity import Actor, create_user, set_duties
from pingan.core.models import Duty, Role, Task, Unit, UnitKind, User
from pingan.core.scope import scope_of
from pingan.demo.simulated import is_simulated

log = logging.getLogger(__name__)
LOCAL = ZoneInfo("Asia/Shanghai")
PLATFORM = "市级精准劝阻宣防平台"
LIST_TITLE = "涉疫人员协查（市级平台下发）"
NARCOTICS_LOGIN = ("jdzd", "禁毒大队 吴大队长")
COMMUNITY_OFFICER = "dandong_mj2"
TRAFFIC_DAYS = 540


@dataclass
class CommandDemo:
    list_id: int
    rows: int
    plans: int
    missed: int
    traffic: int
    logins: list[tuple[str, Role, str]] = field(default_factory=list)


def setup_command_demo(services: Services, people: list[dict[str, Any]], *, seed: int, password: str) -> CommandDemo:
    rng = random.Random(seed * 31 + 5)
    now = services.clock.now()
    with services.db.session() as session:
        unit = Unit(code="specialty-narcotics", name="禁毒大队", kind=UnitKind.SPECIALTY)
        session.add(unit)
        session.flush()
        chief = create_user(
            session,
            NARCOTICS_LOGIN[0],
            password,
            role=Role.COMMANDER,
            display_name=NARCOTICS_LOGIN[1],
            unit_id=unit.id,
            now=now,
        )
        set_duties(session, chief, [Duty.NARCOTICS.value], now)
        community = session.scalar(select(User).where(User.username == COMMUNITY_OFFICER))
        if community is not None:
            set_duties(session, community, [Duty.NARCOTICS.value], now)
        _key, _secret = create_platform_key(session, PLATFORM, now)
        platform = session.scalar(select(User).where(User.display_name == PLATFORM, User.role == Role.PARTNER))
        assert platform is not None
        platform_id = platform.id
    with_ids = [p for p in people if p.get("id_number")]
    chosen = rng.sample(with_ids, min(36, len(with_ids)))
    rows: list[tuple[int, Any]] = []
    for i, p in enumerate(chosen[:30]):
        rows.append(
            (
                i + 1,
                {
                    "id": f"xc-{i + 1:03d}",
                    "name": p["name"],
                    "id_number": p["id_number"],
                    "note": "有中高风险地区旅居史",
                },
            )
        )
    for i, p in enumerate(chosen[30:]):
        rows.append(
            (
                31 + i,
                {
                    "id": f"cs-{i + 1:03d}",
                    "kind": "place",
                    "name": "出租房",
                    "lon": p["lon"],
                    "lat": p["lat"],
                    "note": "排查居住人员",
                },
            )
        )
    rows.append(
        (len(rows) + 1, {"id": "xc-wd", "name": "外地来象人员", "address": "外省某市", "note": "落地不明，请中心分派"})
    )
    header = ListHeader("2026-xc-0001", LIST_TITLE, PLATFORM, "市级平台研判推送，请属地派出所限时核查反馈", None, 6)
    pushed = services.verify.push(header, rows, platform_id)
    plans, missed = _rehab(services, with_ids, rng)
    traffic = _traffic(services, people, rng)
    return CommandDemo(
        pushed.list_id,
        pushed.accepted,
        plans,
        missed,
        traffic,
        [(NARCOTICS_LOGIN[0], Role.COMMANDER, NARCOTICS_LOGIN[1])],
    )


def _rehab(services: Services, people: list[dict[str, Any]], rng: random.Random) -> tuple[int, int]:
    """A dozen plans across the county, every due check recorded but one of 丹东's (the sweep makes its task)."""
    today = services.clock.now().astimezone(LOCAL).date()
    made = 0
    with services.db.session() as session:
        officers = {u.unit_id: u.username for u in session.scalars(select(User).where(User.username.endswith("_mj2")))}
        units = {u.area_id: u.id for u in session.scalars(select(Unit).where(Unit.kind == UnitKind.STATION))}
        dandong = session.scalar(select(Unit).where(Unit.kind == UnitKind.STATION, Unit.code == "station-330225001"))
        picked = [p for p in people if dandong is not None and p.get("station") == "330225001"][:2]
        others = [p for p in people if p not in picked]
        picked += rng.sample(others, min(10, len(others)))
        for i, p in enumerate(picked):
            starts = today - timedelta(days=rng.randint(20, 500))
            body = PlanIn.model_validate(
                {
                    "id": f"象公(禁)决字〔2026〕{i + 1:03d}号",
                    "kind": "detox" if i % 3 else "rehab",
                    "name": p["name"],
                    "id_number": p["id_number"],
                    "address": p.get("address"),
                    "starts_on": (today - timedelta(days=20) if i == 0 else starts).isoformat(),
                    "ends_on": (starts + timedelta(days=3 * 365)).isoformat(),
                }
            )
            plan, created = services.rehab.create(session, body)
            if not created:
                continue
            made += 1
            plan.officer_id = session.scalar(
                select(User.id).where(User.username == officers.get(units.get(plan.area_id or -1, -1), ""))
            )
        session.flush()
        first = session.scalar(select(RehabPlan).order_by(RehabPlan.id).limit(1))
        for plan in session.scalars(select(RehabPlan)):
            due = session.scalars(
                select(RehabCheck)
                .where(RehabCheck.plan_id == plan.id, RehabCheck.due_on <= today)
                .order_by(RehabCheck.due_on)
            ).all()
            for check in due:
                if (
                    first is not None
                    and plan.id == first.id
                    and check.kind is CheckKind.CHECKIN
                    and check.due_on == today - timedelta(days=13)
                ):
                    continue  # the one missed check-in
                check.done_at = datetime(check.due_on.year, check.due_on.month, check.due_on.day, 10, tzinfo=LOCAL)
                check.result = TestResult.NEGATIVE if check.kind is CheckKind.TEST else None
        missed = services.rehab.sweep(session)
    return made, missed


_TYPES = (("三小车", 0.58), ("电动自行车", 0.24), ("重点车辆", 0.07), ("酒驾", 0.03), ("其他", 0.08))
_OUTCOMES = (("罚款记分", 0.6), ("警告", 0.2), ("教育劝导", 0.17), ("行政拘留", 0.02), ("刑事案件", 0.01))


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random()
    for name, share in table:
        roll -= share
        if roll < 0:
            return name
    return table[-1][0]


def _traffic(services: Services, people: list[dict[str, Any]], rng: random.Random) -> int:
    """A year and a half of records, about 30 a day, more this year (the 电动自行车 campaign since August)."""
    now = services.clock.now()
    points = [(p["lon"], p["lat"]) for p in rng.sample(people, min(400, len(people))) if p.get("lon") is not None]
    rows: list[tuple[int, Any]] = []
    for day in range(TRAFFIC_DAYS, 0, -1):
        at_day = now - timedelta(days=day)
        this_year = day <= 365
        count = rng.randint(22, 34) + (6 if this_year else 0)
        for _ in range(count):
            kind = _pick(rng, _TYPES)
            if this_year and at_day.month >= 8 and rng.random() < 0.25:
                kind = "电动自行车"
            outcome = "行政拘留" if kind == "酒驾" and rng.random() < 0.4 else _pick(rng, _OUTCOMES)
            lon, lat = rng.choice(points)
            at = at_day.replace(hour=rng.randint(6, 22), minute=rng.randint(0, 59))
            rows.append(
                (
                    len(rows) + 2,
                    {
                        "id": f"jj-{len(rows) + 1:06d}",
                        "type": kind,
                        "at": at.isoformat(),
                        "lon": lon,
                        "lat": lat,
                        "outcome": outcome,
                    },
                )
            )
    with services.db.session() as session:
        report = services.traffic.import_rows(session, rows)
    return report.accepted


@dataclass
class _Plan:
    next_at: datetime
    rng: random.Random


class SimulatedVerifiers:
    """The stations' simulated officers working the pushed list's rows: sign, check, feed back, a few minutes
    apart; a row a person holds (assigned to anyone else) is theirs, and an unplaced row waits for the centre."""

    def __init__(self, services: Services, *, seed: int = 7) -> None:
        self.services = services
        self.seed = seed
        self._plans: dict[int, _Plan] = {}
        self._officers: dict[int, list[int]] = {}
        self._sim: set[int] = set()

    def step(self) -> int:
        now = self.services.clock.now()
        moves = 0
        # One writer at a time on SQLite: the simulation queues for the lock as the intake does, rather
        # than outwait SQLite's busy timeout while the feeds write.
        with self.services.db.write_lock, self.services.db.session() as session:
            if not self._officers:
                for uid, unit_id in session.execute(
                    select(User.id, User.unit_id).where(User.role == Role.OFFICER, User.active, is_simulated())
                ):
                    if unit_id is not None:
                        self._officers.setdefault(unit_id, []).append(uid)
                self._sim = set(session.scalars(select(User.id).where(is_simulated())))
            tasks = session.scalars(
                select(Task).where(Task.kind == VERIFY_KIND, Task.closed_at.is_(None), Task.unit_id.is_not(None))
            ).all()
            for task in tasks:
                if task.assignee_id is not None and task.assignee_id not in self._sim:
                    continue
                plan = self._plans.get(task.id)
                if plan is None:
                    rng = random.Random(self.seed * 7919 + task.id)
                    plan = self._plans[task.id] = _Plan(now + timedelta(seconds=rng.uniform(15, 240)), rng)
                staff = self._officers.get(task.unit_id or -1)
                if plan.next_at > now or not staff:
                    continue
                actor_id = task.assignee_id or plan.rng.choice(staff)
                user = session.get(User, actor_id)
                if user is None:
                    continue
                if task.status == VerifyStatus.ISSUED:
                    action, payload = "sign", {}
                else:
                    roll = plan.rng.random()
                    if roll < 0.8:
                        action, payload = (
                            "feedback",
                            {"finding": "cleared", "note": "电话访问及视频核实，本人在家，无异常"},
                        )
                    elif roll < 0.95:
                        action, payload = (
                            "feedback",
                            {"finding": "handled", "measures": "已落实居家健康监测，通知社区跟进"},
                        )
                    else:
                        action, payload = "feedback", {"finding": "not_found", "note": "登记地址无此人，已反馈中心"}
                try:
                    self.services.tasks.perform(session, Actor.of(user), scope_of(session, user), task, action, payload)
                    moves += 1
                except PinganError as exc:
                    log.debug("simulated %s on verification %s refused: %s", action, task.id, exc.message)
                plan.next_at = now + timedelta(seconds=plan.rng.uniform(20, 180))
        return moves

    def run(self, stop: threading.Event, interval: float = 3.0) -> None:
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # the demo keeps going; the error is in the log
                log.exception("simulated verification step failed")
            stop.wait(interval)
