"""The demo's 民生地网 past: a year of stolen bikes before the demo starts, so that the figures (C7: thefts,
recovered, recovery rate, payouts, suspects, gangs) read as a county's do and not as zeros.

As in the report (普安县: 51 thefts, 48 found by their tracks, 94.11 %; 3 not found and paid by the
agreement), nearly every stolen bike is heard again by a village's base station as the thief rides it off,
and is found within hours; some recoveries catch their thieves, and a few of those break a gang that stole
several. One bike is never heard again: sixty days after its report its card is paid for (2,000 yuan) on the
station's certificate and the owner's invoices, and the card is retired.

The past runs through the same registry, intake and task engine as the live demo, on a clock set to each
moment in turn (as the rankings' history does), by the simulation's own officers, on generated residents'
bikes: never a README resident's (1390574xxxx), never the live stories' tags.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.bootstrap import bootstrap
from pingan.core.clock import FakeClock, as_utc
from pingan.core.identity import Actor
from pingan.core.models import Role
from pingan.core.scope import scope_of
from pingan.demo.desk_sim import RESIDENT_PHONE_PREFIX
from pingan.demo.tracking_sim import (
    OWN_BIKE,
    RADIUS_M,
    RIDE_KMH,
    STOLEN_BIKE,
    TrackingDemo,
    route,
    simulated_account,
    travel_s,
)
from pingan.tracking.models import Tag, TagKind, TagStatus, Theft
from pingan.tracking.schemas import CompensationCreate, RecoveryCreate, TheftCreate

if TYPE_CHECKING:
    from pingan.bootstrap import Services

THEFTS = 17
"""Stolen bikes in the year before the demo: all but `UNFOUND` found by their tracks."""
UNFOUND = 1
DAYS = 330
"""How far back the past goes (within the detections' retention)."""
PLACES = ("菜市场门口", "小区楼下车棚", "镇卫生院门口", "学校门口", "村委会院内", "渔港码头", "超市停车场", "汽车站旁")
FOUND = ("城郊出租屋楼下", "废品收购站", "邻镇修车铺", "村道旁树林", "高速路口附近", "渔港仓库")
GANGS = ("跨镇盗窃电动车团伙", "销赃摩托车团伙")


@dataclass(frozen=True)
class TrackingPast:
    thefts: int
    recovered: int
    paid: int
    payout_yuan: int
    suspects: int
    gangs: int

    def line(self) -> str:
        rate = f"{self.recovered / self.thefts:.1%}" if self.thefts else "—"
        return (
            f"近一年平安卡车辆被盗 {self.thefts} 起，凭轨迹找回 {self.recovered} 辆（找回率 {rate}），"
            f"抓获嫌疑人 {self.suspects} 名、打掉团伙 {self.gangs} 个；未找回 {self.paid} 辆按协议赔付 "
            f"{self.payout_yuan} 元"
        )


def tracking_history(services: Services, demo: TrackingDemo, *, seed: int) -> TrackingPast | None:
    """Play the year before the demo (once, on a new database); None when the simulation has no officers."""
    rng = random.Random(seed + 11)
    now = services.clock.now()
    points = {c: p for c, p in demo.points.items() if c != demo.failing}
    with services.db.session() as session:
        officer = simulated_account(session, Role.OFFICER)
        head = simulated_account(session, Role.COMMANDER)
        if officer is None or head is None or len(points) < 3:
            return None
        officer_actor, head_actor, head_scope = Actor.of(officer), Actor.of(head), scope_of(session, head)
        cards = [
            (tag.code, tag.installed_at)
            for tag in session.scalars(
                select(Tag).where(Tag.kind == TagKind.VEHICLE_CARD, Tag.status == TagStatus.ACTIVE).order_by(Tag.code)
            )
            if tag.code not in (STOLEN_BIKE, OWN_BIKE)
            and not tag.owner_phone.startswith(RESIDENT_PHONE_PREFIX)
            and demo.home.get(tag.code) in points
        ]
    earliest = now - timedelta(days=DAYS)
    # A bike is stolen after its card was fitted (a week at least), and at least 3 days before the demo.
    eligible = [(code, max(earliest, as_utc(at) + timedelta(days=7))) for code, at in cards]
    eligible = [(code, start) for code, start in eligible if start < now - timedelta(days=70)]
    if len(eligible) < THEFTS:
        return None
    chosen = rng.sample(eligible, THEFTS)
    clock = FakeClock(earliest)
    past = bootstrap(services.settings, clock=clock, db=services.db, rules=services.rules)
    recovered = suspects = paid = payout = 0
    gangs: set[str] = set()
    zone = services.tracking.zone  # the county's calendar: thefts happen in its daytime
    plan: list[tuple[datetime, str, bool]] = []
    for n, (code, start) in enumerate(chosen):
        unfound = n < UNFOUND
        # The unfound one long enough ago for its sixty days to have passed; the others any day since.
        end = now - timedelta(days=70 if unfound else 3)
        day = start + timedelta(seconds=rng.uniform(0, max(0.0, (end - start).total_seconds())))
        local = datetime.combine(day.astimezone(zone).date(), time(rng.randint(7, 21), rng.randint(0, 59)))
        plan.append((local.replace(tzinfo=zone).astimezone(UTC), code, unfound))
    # Played in the order they happened (the thefts' registrations are numbered as a station's would be).
    for n, (stolen, code, unfound) in enumerate(sorted(plan)):
        reported = stolen + timedelta(hours=rng.uniform(0.5, 8))
        clock.set(reported)
        with services.db.write_lock, services.db.session() as session:
            theft = past.tracking.report_theft(
                session, officer_actor, TheftCreate(tag=code, stolen_at=stolen, reported_at=reported,
                                                    place=rng.choice(PLACES))
            )  # fmt: skip
            theft_id = theft.id
        if unfound:
            # Never heard again: sixty days after the report the agreement pays on the station's certificate.
            clock.set(reported + timedelta(days=61, hours=rng.uniform(1, 6)))
            with services.db.write_lock, services.db.session() as session:
                theft = _theft(session, theft_id)
                past.tracking.compensate(
                    session, head_actor, head_scope, theft,
                    CompensationCreate(certificate_no=f"地网证字〔{clock.now().year}〕第{n + 1:03d}号",
                                       invoices="购车发票、平安卡安装发票"),
                )  # fmt: skip
                paid += 1
                payout += theft.payout_yuan or 0
            demo.retired.add(code)
            continue
        # Ridden off past the next villages' stations at a plausible speed, each heard once.
        at = reported + timedelta(hours=rng.uniform(0.3, 20))
        here = demo.home[code]
        for station in route(points, here, rng.randint(2, 3)):
            at += timedelta(seconds=travel_s(points[here], points[station], RIDE_KMH, 2.0 * RADIUS_M))
            clock.set(at + timedelta(seconds=1))
            past.tracking.ingest([{"tag": code, "at": at.isoformat(), "station": station,
                                   "rssi": rng.randint(-95, -60)}])  # fmt: skip
            here = station
        clock.set(at + timedelta(hours=rng.uniform(0.5, 4)))
        caught = rng.choice((0, 1, 1, 2))
        gang = GANGS[n % len(GANGS)] if caught and n % 3 == 0 else None
        with services.db.write_lock, services.db.session() as session:
            past.tracking.recover(
                session, head_actor, head_scope, _theft(session, theft_id),
                RecoveryCreate(place=rng.choice(FOUND), suspects=caught, gang=gang),
            )  # fmt: skip
        recovered += 1
        suspects += caught
        if gang is not None:
            gangs.add(gang)
    return TrackingPast(THEFTS, recovered, paid, payout, suspects, len(gangs))


def _theft(session: Session, theft_id: int) -> Theft:
    theft = session.get(Theft, theft_id)
    if theft is None:  # pragma: no cover - stored a moment ago in the same database
        raise LookupError(f"theft {theft_id}")
    return theft
