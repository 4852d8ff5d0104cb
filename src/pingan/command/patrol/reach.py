"""The "135" reach, as pure rules: which patrol units can be at a point within 1, 3 and 5 minutes.

Travel time, not distance: the straight-line (great-circle) distance times the county's road factor, at the
average road speed of the unit's kind. A unit is left out, with the reason, when its position is missing or
older than the county's staleness limit, when it is off duty or on leave (the roster's verdict, given), or
when it is busy on another alarm. A unit exactly on a circle's border is inside it: "within 3 minutes".

Computed over numpy arrays, so that a county's hundreds of units are answered in well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np

from pingan.command.patrol.models import UnitType
from pingan.command.patrol.rules import PatrolRules
from pingan.core.geo import EARTH_RADIUS_M

# Travel times are compared with the circles after rounding to a tenth of a second, so that a unit placed
# exactly on a border is not pushed out by floating point or by its position stored to 1e-7 degrees (about
# a centimetre, a hundredth of a second on foot).
_ROUND_S = 1


class Exclusion(StrEnum):
    NO_POSITION = "no_position"
    STALE = "stale_position"
    OFF_DUTY = "off_duty"
    ON_LEAVE = "on_leave"
    LEADER_ON_LEAVE = "leader_on_leave"
    BUSY = "busy"
    INACTIVE = "inactive"


EXCLUSION_NAMES = {
    Exclusion.NO_POSITION: "未上报位置",
    Exclusion.STALE: "位置过时",
    Exclusion.OFF_DUTY: "不在勤务时段",
    Exclusion.ON_LEAVE: "请假/休假",
    Exclusion.LEADER_ON_LEAVE: "带班民警请假",
    Exclusion.BUSY: "正在处警",
    Exclusion.INACTIVE: "已停用",
}


@dataclass(frozen=True, slots=True)
class Fix:
    """A patrol unit as the reach sees it: its kind and last position (None: never reported)."""

    unit_id: int
    kind: UnitType
    lon: float | None
    lat: float | None
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Reached:
    unit_id: int
    distance_m: float
    """Straight-line distance."""
    road_m: float
    """The distance the unit drives (straight line × road factor)."""
    travel_s: float
    circle: int | None
    """The smallest circle (minutes) the unit is inside; None: beyond the largest."""
    position_age_s: float


@dataclass(frozen=True, slots=True)
class Left:
    unit_id: int
    reason: Exclusion
    detail: str


@dataclass(frozen=True)
class Reach:
    """Units that may go, nearest (by travel time) first, and those left out, each with its reason."""

    reached: list[Reached]
    left: list[Left]

    def within(self, minutes: int) -> list[Reached]:
        return [r for r in self.reached if r.circle is not None and r.circle <= minutes]


def great_circle_m(lon: float, lat: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Haversine distances in metres from one point to many (the core's `distance_m`, vectorised)."""
    phi1 = np.radians(lat)
    phi2 = np.radians(lats)
    h = np.sin((phi2 - phi1) / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lons - lon) / 2.0) ** 2
    out: np.ndarray = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return out


def compute(
    lon: float,
    lat: float,
    fixes: Sequence[Fix],
    now: datetime,
    rules: PatrolRules,
    unavailable: Mapping[int, tuple[Exclusion, str]] | None = None,
) -> Reach:
    """The reach of (lon, lat) (WGS84) at `now`. `unavailable` holds the roster's and the dispatch's verdicts
    (unit id → reason, detail) for units that may not go, whatever their position."""
    unavailable = unavailable or {}
    stale_s = rules.stale_minutes * 60.0
    left: list[Left] = []
    usable: list[Fix] = []
    ages: list[float] = []
    for fix in fixes:
        if fix.unit_id in unavailable:
            reason, detail = unavailable[fix.unit_id]
            left.append(Left(fix.unit_id, reason, detail))
        elif fix.lon is None or fix.lat is None or fix.at is None:
            left.append(Left(fix.unit_id, Exclusion.NO_POSITION, EXCLUSION_NAMES[Exclusion.NO_POSITION]))
        else:
            age = (now - fix.at).total_seconds()
            if age > stale_s:
                minutes = int(age // 60)
                left.append(
                    Left(
                        fix.unit_id, Exclusion.STALE, f"位置已 {minutes} 分钟未更新（超过 {rules.stale_minutes} 分钟）"
                    )
                )
            else:
                usable.append(fix)
                ages.append(age)
    if not usable:
        return Reach([], left)
    count = len(usable)
    lons = np.fromiter((f.lon for f in usable), dtype=np.float64, count=count)
    lats = np.fromiter((f.lat for f in usable), dtype=np.float64, count=count)
    by_kind = {k: rules.speed_ms(k) for k in {f.kind for f in usable}}
    speeds = np.fromiter((by_kind[f.kind] for f in usable), dtype=np.float64, count=count)
    straight = great_circle_m(lon, lat, lons, lats)
    road = straight * rules.road_factor
    travel = np.round(road / speeds, _ROUND_S)
    circles = np.asarray(rules.circles_minutes, dtype=np.float64) * 60.0
    # The first circle whose radius (in seconds) holds the travel time; len(circles): beyond them all.
    which = np.searchsorted(circles, travel, side="left").tolist()
    order = np.argsort(travel, kind="stable").tolist()
    names: list[int | None] = [*rules.circles_minutes, None]
    straight_l, road_l, travel_l = straight.tolist(), road.tolist(), travel.tolist()
    reached = [
        Reached(usable[i].unit_id, straight_l[i], road_l[i], travel_l[i], names[which[i]], ages[i]) for i in order
    ]
    return Reach(reached, left)


def radius_m(minutes: int, kind: UnitType, rules: PatrolRules) -> float:
    """The straight-line radius of a circle for a kind of unit: how far it may be and still arrive in time."""
    return minutes * 60.0 * rules.speed_ms(kind) / rules.road_factor
