"""Pure rules of tracking, apart from the database: headings, impossible jumps, safe areas, the
compensation agreement. Each takes what it judges and `now`; nothing here reads a clock or a table."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from pingan.core.geo import distance_m

HEADINGS = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The initial bearing from the first point to the second, degrees clockwise from north (0–360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def heading(lon1: float, lat1: float, lon2: float, lat2: float) -> str | None:
    """The direction of travel in eight Chinese compass words; None when the two points are the same place."""
    if distance_m(lon1, lat1, lon2, lat2) < 1.0:
        return None
    return HEADINGS[int(((bearing_deg(lon1, lat1, lon2, lat2) + 22.5) % 360) // 45)]


def speed_kmh(distance: float, seconds: float) -> float:
    """Speed over a move; a move in no time at all counts as infinitely fast once it covers any ground."""
    if seconds <= 0:
        return math.inf if distance > 0 else 0.0
    return distance / seconds * 3.6


def impossible(
    a: tuple[float, float, datetime], b: tuple[float, float, datetime], limit_kmh: float | None, slack_m: float = 0.0
) -> bool:
    """Whether going from sighting `a` (lon, lat, at) to `b` needs more than `limit_kmh`.

    `slack_m` is the stations' radii: a tag heard at the edges of two circles moved less than the centres
    are apart."""
    if limit_kmh is None:
        return False
    meters = max(0.0, distance_m(a[0], a[1], b[0], b[1]) - slack_m)
    return speed_kmh(meters, abs((b[2] - a[2]).total_seconds())) > limit_kmh


@dataclass(frozen=True, slots=True)
class SafeArea:
    """A wearer's safe area: a set of base stations, a polygon, or both (inside either is inside)."""

    stations: frozenset[str]
    polygon: BaseGeometry | None

    @property
    def defined(self) -> bool:
        return bool(self.stations) or self.polygon is not None

    def holds(self, station_code: str, lon: float, lat: float) -> bool:
        if station_code in self.stations:
            return True
        return self.polygon is not None and bool(self.polygon.covers(Point(lon, lat)))


def exit_confirmed(inside_latest_first: list[bool], confirmations: int) -> bool:
    """The latest `confirmations` sightings (latest first, in event time) were all outside."""
    return len(inside_latest_first) >= confirmations and not any(inside_latest_first[:confirmations])


# -- the 平安卡 agreement ---------------------------------------------------------------------------------


class CompensationReason(StrEnum):
    NO_SIGNAL = "no_signal"  # 车辆已无法追踪到信号
    LATE_REPORT = "late_report"  # 报案时间距离被盗时间超过两个月
    NOT_FOUND = "not_found"  # 60 日内仍未找到
    CARD_DESTROYED = "card_destroyed"  # 平安卡损毁无法找到


REASON_NAMES = {
    CompensationReason.NO_SIGNAL: "已无法追踪到信号",
    CompensationReason.LATE_REPORT: "报案距被盗超过两个月",
    CompensationReason.NOT_FOUND: "报案后60日内仍未找到",
    CompensationReason.CARD_DESTROYED: "平安卡损毁无法找到",
}


@dataclass(frozen=True, slots=True)
class TheftFacts:
    stolen_at: datetime
    reported_at: datetime
    recovered: bool
    card_destroyed: bool
    signal_since_theft: bool
    """Whether any base station heard the tag after the theft."""
    insured: bool = True


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 Dec + 2 months = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def compensation_due(
    facts: TheftFacts,
    now: datetime,
    *,
    late_report_months: int,
    not_found_days: int,
    no_signal_days: int,
    zone: ZoneInfo,
) -> CompensationReason | None:
    """Which term of the agreement makes the insurer pay now, or None (judged on local calendar days).

    - the card was destroyed (and the vehicle not found): at once;
    - reported more than `late_report_months` months after the theft (the day after the same day two months
      on is late; that day itself is not);
    - not found `not_found_days` days after the report (on that day, not the day before);
    - no base station heard the tag in the `no_signal_days` days after the report.
    A recovered vehicle, or a tag without the agreement, is never paid.
    """
    if facts.recovered or not facts.insured:
        return None
    if facts.card_destroyed:
        return CompensationReason.CARD_DESTROYED
    stolen = facts.stolen_at.astimezone(zone).date()
    reported = facts.reported_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    if reported > add_months(stolen, late_report_months):
        return CompensationReason.LATE_REPORT
    days = (today - reported).days
    if days >= not_found_days:
        return CompensationReason.NOT_FOUND
    if not facts.signal_since_theft and days >= no_signal_days:
        return CompensationReason.NO_SIGNAL
    return None
